#!/bin/bash
# Build the "tiny" vmsweep guest: the host's Debian kernel (linux-image-amd64) and a
# busybox initramfs with dropbear, for direct kernel boot.  Called by `vmsweep image build`.
#
#   build-tiny.sh OUTDIR CLIENT_PUBKEY_FILE [KERNEL_VERSION]
#
# Writes OUTDIR/vmlinuz, OUTDIR/vmlinux (the same kernel uncompressed, when it can be
# booted through its PVH entry), OUTDIR/initrd.img, OUTDIR/hostkey.pub (the guest's SSH host key,
# OpenSSH format, pinned by the harness), OUTDIR/packages.txt (name=version of every
# package that went in) and OUTDIR/kernel.txt (kernel version).
#
# Reproducible: files are added in sorted order, owned by 0:0, with mtime SOURCE_DATE_EPOCH
# (default 0), and gzip stores no name or time, so two builds from the same packages differ
# only in the generated SSH host key and the client's authorized key.
#
# Exit codes: 0 built, 2 bad input or a missing package (message says what to install),
# 1 anything else.
set -euo pipefail
export LC_ALL=C

die() { echo "image build: $2" >&2; exit "$1"; }
[ $# -ge 2 ] || die 2 "usage: build-tiny.sh OUTDIR CLIENT_PUBKEY_FILE [KERNEL_VERSION]"
out=$1
pubkey=$2
kver=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
epoch=${SOURCE_DATE_EPOCH:-0}
hint="run ci/install-deps.sh (or: apt-get install linux-image-amd64 busybox-static dropbear-bin openssh-sftp-server cpio xz-utils)"

[ -r "$pubkey" ] || die 2 "cannot read client public key '$pubkey'"
for tool in cpio gzip dropbearkey; do
	command -v "$tool" >/dev/null || die 2 "'$tool' is missing: $hint"
done
busybox=/bin/busybox
[ -x "$busybox" ] && file -L "$busybox" | grep -q 'statically linked' ||
	die 2 "a static busybox is missing: $hint"
[ -x /usr/sbin/dropbear ] || die 2 "dropbear is missing: $hint"
sftp=/usr/lib/openssh/sftp-server
[ -x "$sftp" ] || die 2 "sftp-server is missing: $hint"

if [ -z "$kver" ]; then
	# Newest kernel that has both an image in /boot and its modules.
	for k in $(ls -1 /lib/modules 2>/dev/null | sort -V -r); do
		if [ -r "/boot/vmlinuz-$k" ] && [ -r "/lib/modules/$k/modules.dep" ]; then kver=$k; break; fi
	done
	[ -n "$kver" ] || die 2 "no Debian kernel with modules found in /boot and /lib/modules: $hint"
fi
[ -r "/boot/vmlinuz-$kver" ] || die 2 "kernel image '/boot/vmlinuz-$kver' is missing or unreadable: $hint"
moddir=/lib/modules/$kver
[ -r "$moddir/modules.dep" ] || die 2 "modules of kernel '$kver' are missing ('$moddir/modules.dep'): $hint"

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmsweep-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib,usr/local/bin,etc/dropbear,etc/vmsweep,root/.ssh,proc,sys,dev,run,tmp,results,var/log,lib64}

# busybox and its applets as symlinks.
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# Dynamically linked programs with the libraries they need.
copy_with_libs() { # src dst
	cp "$1" "$root$2"
	ldd "$1" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
		[ -n "$lib" ] && [ -e "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_with_libs /usr/sbin/dropbear /usr/sbin/dropbear
copy_with_libs "$sftp" /usr/lib/sftp-server
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

# Kernel modules: the transitive closure of what the guest needs, in modules.dep order, in
# two lists: what SSH needs (loaded first), and the results disk's filesystem (loaded while
# the host does its SSH handshake: ext4 alone takes 0.25 s to load under TCG).
early="virtio_pci virtio_net"
late="virtio_blk virtio_rng crc32c_generic ext4"
mkdir -p "$root$moddir"
: >"$root$moddir/modules.dep"
declare -A seen=()
add_module() { # name (as in modules.dep, with - or _), list file
	local pat=${1//[-_]/[-_]} line path deps d name
	line=$(grep -E "/${pat}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n 1) ||
		die 2 "kernel module '$1' not found for kernel '$kver'"
	path=${line%%:*}
	[ -n "${seen[$path]:-}" ] && return 0
	# The name modprobe knows it by.
	name=$(basename "$path" | sed 's/\.ko.*//')
	seen[$path]=1
	deps=${line#*:}
	for d in $deps; do add_module "$(basename "$d" | sed 's/\.ko.*//')" "$2"; done
	mkdir -p "$root$moddir/$(dirname "$path")"
	cp "$moddir/$path" "$root$moddir/$path"
	echo "$line" >>"$root$moddir/modules.dep"
	echo "$name" >>"$2"
}
mkdir -p "$root/etc/vmsweep"
: >"$root/etc/vmsweep/modules"
: >"$root/etc/vmsweep/modules.late"
for m in $early; do add_module "$m" "$root/etc/vmsweep/modules"; done
for m in $late; do add_module "$m" "$root/etc/vmsweep/modules.late"; done

# Scripts and configuration.
install -m 0755 "$here/init.sh" "$root/init"
install -m 0755 "$here/deadman.sh" "$root/etc/vmsweep/deadman.sh"
install -m 0755 "$here/sshd.sh" "$root/etc/vmsweep/sshd.sh"
install -m 0755 "$here/udhcpc.script" "$root/etc/vmsweep/udhcpc.script"
install -m 0644 "$here/inittab" "$root/etc/inittab"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf '/bin/sh\n' >"$root/etc/shells"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost vmsweep\n' >"$root/etc/hosts"
echo "vmsweep-tiny $kver" >"$root/etc/vmsweep/release"

# Identity: a fresh host key per build, the client key the harness made.
dropbearkey -t ed25519 -f "$root/etc/dropbear/dropbear_ed25519_host_key" >/dev/null 2>&1 ||
	die 1 "cannot generate the guest's SSH host key with dropbearkey"
dropbearkey -y -f "$root/etc/dropbear/dropbear_ed25519_host_key" | grep '^ssh-' |
	awk '{ print $1, $2, "vmsweep-guest" }' >"$work/hostkey.pub"
install -m 0600 "$pubkey" "$root/root/.ssh/authorized_keys"
chmod 0700 "$root/root" "$root/root/.ssh"
chmod 0600 "$root/etc/dropbear/dropbear_ed25519_host_key"

# Archive: sorted, 0:0, fixed mtimes.
find "$root" -exec touch -h -d "@$epoch" {} +
(cd "$root" && find . -print0 | sort -z | cpio --null --create --format=newc --owner=0:0 \
	--reproducible --quiet) | gzip -n -6 >"$work/initrd.img"

cp "/boot/vmlinuz-$kver" "$work/vmlinuz"

# The same kernel uncompressed, for a PVH boot: under TCG the bzImage spends ~2.5 s of
# every boot decompressing itself.  The payload is the first xz stream in the bzImage;
# the result must be an ELF with the Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, 18),
# which QEMU's -kernel uses to enter it directly.  Without xz, an xz payload or the note
# (or with VMSWEEP_NO_PVH set) the image boots the bzImage as before.
pvh=
if [ -z "${VMSWEEP_NO_PVH:-}" ] && command -v xz >/dev/null; then
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$work/vmlinuz" | head -n 1 | cut -d: -f1 || true)
	# (Through a file: xz stops reading at the stream's end, and pipefail would see the
	# writer's SIGPIPE as a failure.)
	if [ -n "$off" ] && tail -c +"$((off + 1))" "$work/vmlinuz" >"$work/payload.xz" &&
		xz -dc --single-stream "$work/payload.xz" >"$work/vmlinux" 2>/dev/null &&
		[ "$(head -c 4 "$work/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] &&
		LC_ALL=C grep -qaP '\x04\x00\x00\x00[\x04\x08]\x00\x00\x00\x12\x00\x00\x00Xen\x00' "$work/vmlinux"; then
		pvh=1
	else
		rm -f "$work/vmlinux"
	fi
	rm -f "$work/payload.xz"
fi

# The same guest as a root filesystem tree for a disk image (image build --disk): the
# kernel and this initramfs under /boot (they find and mount the disk root), and the
# marker that tells /init it runs from the disk.
if [ -n "${VMSWEEP_ROOTFS_TAR:-}" ]; then
	mkdir -p "$root/boot"
	cp "$work/vmlinuz" "$root/boot/vmlinuz-$kver"
	cp "$work/initrd.img" "$root/boot/initrd.img-$kver"
	: >"$root/etc/vmsweep/disk-root"
	find "$root" -exec touch -h -d "@$epoch" {} +
	tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner -cf "$VMSWEEP_ROOTFS_TAR" . ||
		die 1 "cannot write the root tree '$VMSWEEP_ROOTFS_TAR'"
fi
{
	for p in linux-image-$kver busybox-static dropbear-bin openssh-sftp-server libc6 zlib1g \
		libtomcrypt1 libtommath1 libgmp10 libcrypt1; do
		v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
		[ -n "$v" ] && echo "$p=$v"
	done
} >"$work/packages.txt"
echo "$kver" >"$work/kernel.txt"

# Publish atomically-ish: every file lands complete under its final name.
for f in vmlinuz ${pvh:+vmlinux} initrd.img hostkey.pub packages.txt kernel.txt; do
	cp "$work/$f" "$out/.$f.tmp"
	mv -f "$out/.$f.tmp" "$out/$f"
done
[ -n "${VMSWEEP_QUIET:-}" ] || echo "image build: tiny image for kernel $kver in '$out' ($(du -sh "$out" | cut -f1))" >&2
