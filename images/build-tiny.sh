#!/bin/bash
# Build the "tiny" vmsweep guest: the host's Debian kernel (linux-image-amd64) and a
# busybox initramfs with dropbear, for direct kernel boot.  Called by `vmsweep image build`.
#
#   build-tiny.sh OUTDIR CLIENT_PUBKEY_FILE [KERNEL_VERSION]
#
# VMSWEEP_IMAGE_ARCH=aarch64 builds the same guest for arm64 from Debian's arm64 packages,
# downloaded (apt-get download: ci/install-deps.sh enables the arm64 architecture) into
# VMSWEEP_DEB_CACHE and unpacked with dpkg-deb into a private tree: nothing foreign is
# installed on the host, and no arm64 binary is run (libraries by readelf, not ldd).
#
# Writes OUTDIR/vmlinuz, OUTDIR/vmlinux (the same kernel uncompressed, when it can be
# booted through its PVH entry), OUTDIR/initrd.img, OUTDIR/hostkey.pub (the guest's SSH host key,
# OpenSSH format, pinned by the harness), OUTDIR/packages.txt (name=version of every
# package that went in), OUTDIR/kernel.txt (kernel version) and OUTDIR/arch.txt.
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
arch=${VMSWEEP_IMAGE_ARCH:-x86_64}
# The packages that go in (their versions land in packages.txt).
pkgs="busybox-static dropbear-bin openssh-sftp-server libc6 zlib1g libtomcrypt1 libtommath1 libgmp10 libcrypt1"

[ -r "$pubkey" ] || die 2 "cannot read client public key '$pubkey'"
for tool in cpio gzip dropbearkey; do
	command -v "$tool" >/dev/null || die 2 "'$tool' is missing: $hint"
done

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmsweep-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# Where the guest's files come from: / for the host's own architecture, else a tree
# unpacked from that architecture's packages.
src=
case $arch in
x86_64) ;;
aarch64)
	hint="run ci/install-deps.sh (it enables Debian's arm64 packages: dpkg --add-architecture arm64; apt-get update)"
	for tool in apt-get apt-cache dpkg-deb depmod readelf; do
		command -v "$tool" >/dev/null || die 2 "'$tool' is missing: $hint"
	done
	dpkg --print-foreign-architectures | grep -qx arm64 || die 2 "Debian's arm64 packages are not enabled: $hint"
	debs=${VMSWEEP_DEB_CACHE:-$work/debs}
	mkdir -p "$debs"
	if [ -z "$kver" ]; then
		# The kernel the arm64 metapackage names, as the host's linux-image-amd64 would.
		kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -n 1)
		[ -n "$kpkg" ] || die 2 "no arm64 kernel package is known to apt: $hint"
		kver=${kpkg#linux-image-}
	fi
	src=$work/sysroot
	mkdir -p "$src"
	find_deb() { # package version: the downloaded .deb of that version, if any
		local d
		for d in "$debs/${1}_"*"_arm64.deb"; do
			[ -e "$d" ] && [ "$(dpkg-deb -f "$d" Version)" = "$2" ] && { echo "$d"; return 0; }
		done
		return 0
	}
	for p in linux-image-$kver $pkgs; do
		# Reuse a downloaded package of the version apt has now (same inputs, same image).
		v=$(apt-cache policy "$p:arm64" 2>/dev/null | sed -n 's/^ *Candidate: //p')
		[ -n "$v" ] && [ "$v" != "(none)" ] || die 2 "no arm64 package '$p' is known to apt: $hint"
		f=$(find_deb "$p" "$v")
		if [ -z "$f" ]; then
			(cd "$debs" && apt-get download -q "$p:arm64=$v" >/dev/null 2>&1) ||
				die 2 "cannot download the arm64 package '$p' ($v): $hint"
			f=$(find_deb "$p" "$v")
			[ -n "$f" ] || die 1 "apt-get download left no '$p' ($v) in '$debs'"
		fi
		dpkg-deb -x "$f" "$src" || die 1 "cannot unpack '$f'"
		echo "$p=$v" >>"$work/packages.txt"
	done
	# Debian's arm64 kernel package ships no modules.dep: made here, for its own tree.
	depmod -b "$src" "$kver" || die 1 "depmod failed for the arm64 kernel '$kver'"
	;;
*) die 2 "unknown architecture '$arch' (x86_64 or aarch64)" ;;
esac

busybox=$src/bin/busybox
[ -x "$busybox" ] && file -L "$busybox" | grep -q 'statically linked' ||
	die 2 "a static busybox is missing: $hint"
[ -x "$src/usr/sbin/dropbear" ] || die 2 "dropbear is missing: $hint"
sftp=$src/usr/lib/openssh/sftp-server
[ -x "$sftp" ] || die 2 "sftp-server is missing: $hint"

if [ -z "$kver" ]; then
	# Newest kernel that has both an image in /boot and its modules.
	for k in $(ls -1 /lib/modules 2>/dev/null | sort -V -r); do
		if [ -r "/boot/vmlinuz-$k" ] && [ -r "/lib/modules/$k/modules.dep" ]; then kver=$k; break; fi
	done
	[ -n "$kver" ] || die 2 "no Debian kernel with modules found in /boot and /lib/modules: $hint"
fi
[ -r "$src/boot/vmlinuz-$kver" ] || die 2 "kernel image '$src/boot/vmlinuz-$kver' is missing or unreadable: $hint"
moddir=/lib/modules/$kver
[ -r "$src$moddir/modules.dep" ] || die 2 "modules of kernel '$kver' are missing ('$src$moddir/modules.dep'): $hint"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib,usr/local/bin,etc/dropbear,etc/vmsweep,root/.ssh,proc,sys,dev,run,tmp,results,var/log,lib64}

# busybox and its applets as symlinks (a foreign busybox cannot list them: the host's
# busybox-static is the same Debian version and has the same applets).
cp "$busybox" "$root/bin/busybox"
lister=$busybox
[ -z "$src" ] || lister=/bin/busybox
for applet in $("$lister" --list-full); do
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
# The same for a foreign program: its NEEDED libraries (readelf), found in the unpacked
# tree, recursively, and its interpreter.
copy_foreign() { # src dst
	cp "$1" "$root$2"
	copy_foreign_libs "$1"
}
copy_foreign_libs() { # a library already copied: the libraries it needs
	local lib dir f
	for lib in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		for dir in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu; do
			f=$src$dir/$lib
			[ -e "$f" ] || continue
			[ -e "$root$dir/$lib" ] && break
			mkdir -p "$root$dir"
			cp -L "$f" "$root$dir/$lib"
			copy_foreign_libs "$f"
			break
		done
	done
}
if [ -z "$src" ]; then
	copy_with_libs /usr/sbin/dropbear /usr/sbin/dropbear
	copy_with_libs "$sftp" /usr/lib/sftp-server
	[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
else
	copy_foreign "$src/usr/sbin/dropbear" /usr/sbin/dropbear
	copy_foreign "$sftp" /usr/lib/sftp-server
	mkdir -p "$root/lib/aarch64-linux-gnu"
	cp -L "$src/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" "$root/lib/aarch64-linux-gnu/"
	ln -sf aarch64-linux-gnu/ld-linux-aarch64.so.1 "$root/lib/ld-linux-aarch64.so.1"
fi

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
	line=$(grep -E "/${pat}\.ko(\.[a-z]+)?:" "$src$moddir/modules.dep" | head -n 1) ||
		die 2 "kernel module '$1' not found for kernel '$kver'"
	path=${line%%:*}
	[ -n "${seen[$path]:-}" ] && return 0
	# The name modprobe knows it by.
	name=$(basename "$path" | sed 's/\.ko.*//')
	seen[$path]=1
	deps=${line#*:}
	for d in $deps; do add_module "$(basename "$d" | sed 's/\.ko.*//')" "$2"; done
	mkdir -p "$root$moddir/$(dirname "$path")"
	cp "$src$moddir/$path" "$root$moddir/$path"
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

cp "$src/boot/vmlinuz-$kver" "$work/vmlinuz"

# The same kernel uncompressed, for a PVH boot: under TCG the bzImage spends ~2.5 s of
# every boot decompressing itself.  The payload is the first xz stream in the bzImage;
# the result must be an ELF with the Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, 18),
# which QEMU's -kernel uses to enter it directly.  Without xz, an xz payload or the note
# (or with VMSWEEP_NO_PVH set) the image boots the bzImage as before.
pvh=
if [ -z "${VMSWEEP_NO_PVH:-}" ] && [ "$arch" = x86_64 ] && command -v xz >/dev/null; then
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
if [ -z "$src" ]; then
	for p in linux-image-$kver $pkgs; do
		v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
		[ -n "$v" ] && echo "$p=$v"
	done >"$work/packages.txt"
fi
echo "$arch" >"$work/arch.txt"
echo "$kver" >"$work/kernel.txt"

# Publish atomically-ish: every file lands complete under its final name.
for f in vmlinuz ${pvh:+vmlinux} initrd.img hostkey.pub packages.txt kernel.txt arch.txt; do
	cp "$work/$f" "$out/.$f.tmp"
	mv -f "$out/.$f.tmp" "$out/$f"
done
[ -n "${VMSWEEP_QUIET:-}" ] || echo "image build: tiny image for kernel $kver in '$out' ($(du -sh "$out" | cut -f1))" >&2
