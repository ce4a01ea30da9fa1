#!/bin/bash
# Two builds of the tiny image from the same packages: the kernel is bit-identical and
# the initramfs differs only in the generated SSH host key (a fresh identity per build,
# pinned by the harness); the same for the aarch64 image, made from downloaded arm64
# packages (the download cache is the user's, so they are fetched once).  No VM needed.
set -u
: "${VMSWEEP:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME=$T/cache
mkdir -p "$XDG_CACHE_HOME"
export VMSWEEP_DEB_CACHE=${VMSWEEP_DEB_CACHE:-$HOME/.cache/vmsweep/debs}
mkdir -p "$VMSWEEP_DEB_CACHE"
d=$XDG_CACHE_HOME/vmsweep/images
same_but_key() { # arch name1 name2
	cmp -s $d/$2/vmlinuz $d/$3/vmlinuz || { echo "FAIL: $1 kernels differ"; exit 1; }
	for n in $2 $3; do
		mkdir -p $T/x$n
		(cd $T/x$n && zcat $d/$n/initrd.img | cpio -id --quiet 2>/dev/null)
	done
	diff -r $T/x$2 $T/x$3 >$T/diff.txt
	if grep -v 'dropbear_ed25519_host_key' $T/diff.txt | grep -q .; then
		cat $T/diff.txt
		echo "FAIL: the $1 initramfs trees differ beyond the host key"
		exit 1
	fi
	grep -q dropbear_ed25519_host_key $T/diff.txt || { echo "FAIL: $1 host keys are equal: not regenerated"; exit 1; }
	cmp -s $d/$2/hostkey.pub $d/$3/hostkey.pub && { echo "FAIL: same $1 host key twice"; exit 1; }
	cmp -s $d/$2/packages.txt $d/$3/packages.txt || { echo "FAIL: $1 package lists differ"; exit 1; }
	echo "ok: $1: kernels identical; initramfs trees differ only in the SSH host key"
}
for n in a b; do
	"$VMSWEEP" image build --name $n -q || { echo "FAIL: build $n"; exit 1; }
done
same_but_key x86_64 a b
for n in arm-a arm-b; do
	"$VMSWEEP" image build --arch aarch64 --name $n -q || { echo "FAIL: build $n"; exit 1; }
done
same_but_key aarch64 arm-a arm-b
grep -q '"arch":[[:space:]]*"aarch64"' $d/arm-a/manifest.json || { echo "FAIL: the aarch64 manifest does not say so"; exit 1; }
tar -C $T/xarm-a -c . | grep -qa 'ld-linux-aarch64.so.1' || { echo "FAIL: no aarch64 loader in the image"; exit 1; }
file -L $T/xarm-a/usr/sbin/dropbear | grep -q 'ARM aarch64' || { echo "FAIL: dropbear is not arm64"; exit 1; }
"$VMSWEEP" image build --arch sparc -q 2>/dev/null
[ $? = 2 ] || { echo "FAIL: an unknown --arch is not exit 2"; exit 1; }
echo "ok: the aarch64 image holds arm64 programs and its loader; an unknown --arch is exit 2"
"$VMSWEEP" image build --name c --kernel 0.0.0-nosuch -q 2>$T/err.txt
rc=$?
[ $rc = 2 ] || { cat $T/err.txt; echo "FAIL: missing kernel exit $rc, expected 2"; exit 1; }
grep -q 'install' $T/err.txt || { cat $T/err.txt; echo "FAIL: no hint how to fix"; exit 1; }
echo "ok: a missing kernel package is exit 2 with a hint"
