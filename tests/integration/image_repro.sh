#!/bin/bash
# Two builds of the tiny image from the same packages: the kernel is bit-identical and
# the initramfs differs only in the generated SSH host key (a fresh identity per build,
# pinned by the harness).  No VM needed.
set -u
: "${VMSWEEP:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME=$T/cache
mkdir -p "$XDG_CACHE_HOME"
for n in a b; do
	"$VMSWEEP" image build --name $n -q || { echo "FAIL: build $n"; exit 1; }
done
d=$XDG_CACHE_HOME/vmsweep/images
cmp -s $d/a/vmlinuz $d/b/vmlinuz || { echo "FAIL: kernels differ"; exit 1; }
for n in a b; do
	mkdir -p $T/x$n
	(cd $T/x$n && zcat $d/$n/initrd.img | cpio -id --quiet 2>/dev/null)
done
diff -r $T/xa $T/xb >$T/diff.txt
if grep -v 'dropbear_ed25519_host_key' $T/diff.txt | grep -q .; then
	cat $T/diff.txt
	echo "FAIL: the initramfs trees differ beyond the host key"
	exit 1
fi
grep -q dropbear_ed25519_host_key $T/diff.txt || { echo "FAIL: host keys are equal: not regenerated"; exit 1; }
cmp -s $d/a/hostkey.pub $d/b/hostkey.pub && { echo "FAIL: same host key twice"; exit 1; }
echo "ok: kernels identical; initramfs trees differ only in the SSH host key"
"$VMSWEEP" image build --name c --kernel 0.0.0-nosuch -q 2>$T/err.txt
rc=$?
[ $rc = 2 ] || { cat $T/err.txt; echo "FAIL: missing kernel exit $rc, expected 2"; exit 1; }
grep -q 'install' $T/err.txt || { cat $T/err.txt; echo "FAIL: no hint how to fix"; exit 1; }
echo "ok: a missing kernel package is exit 2 with a hint"
