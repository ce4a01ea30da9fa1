#!/bin/bash
# Run commands in a fresh Debian 12 (bookworm) chroot holding a clean clone of this
# project, the way a new user's machine would run them: only what the project's own
# scripts install is there.  CI runs the README's `make demo` this way (see .ci/run),
# because CI's own machine already has the packages and would hide a missing install step.
#
#   ci/fresh-machine.sh [PROJECT_DIR] 'make demo' ['command' ...]
#
# The clone is of PROJECT_DIR's committed HEAD (default: this checkout).  The base
# system (debootstrap --variant=minbase plus git, make, sudo, ca-certificates) is cached
# as a tarball, and the packages the commands download are kept in an apt archive
# folder, both under $VMSWEEP_FRESH_CACHE (default /var/cache/vmsweep-fresh), so a
# second run downloads nothing.  Needs root (chroot, mounts).
#
# Exit: the first failing command's status (its name and time are printed), 0 when all
# passed, 2 on bad usage.  The chroot, its mounts and every process left inside it are
# removed on exit, also on Ctrl-C.
set -euo pipefail

die() { echo "fresh-machine: $*" >&2; exit 2; }
if [ $# -ge 1 ] && [ -d "$1" ]; then proj=$(cd "$1" && pwd); shift; else proj=$(cd "$(dirname "$0")/.." && pwd); fi
[ $# -ge 1 ] || die "usage: $0 [PROJECT_DIR] 'command' ..."
[ "$(id -u)" -eq 0 ] || die "needs root (chroot and bind mounts)"
git -C "$proj" rev-parse HEAD >/dev/null 2>&1 || die "'$proj' is not a git checkout"

cache=${VMSWEEP_FRESH_CACHE:-/var/cache/vmsweep-fresh}
suite=bookworm
base_tar=$cache/$suite-minbase.tar
archives=$cache/apt-archives
mkdir -p "$cache" "$archives/partial"
chmod 0700 "$cache"

if ! command -v debootstrap >/dev/null; then
	echo "fresh-machine: installing debootstrap" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

root=$(mktemp -d "${TMPDIR:-/tmp}/vmsweep-fresh.XXXXXX")
mounted=()
cleanup() {
	local pids p
	# Whatever a command left running inside (QEMU, libvirt helpers) goes first.
	for _ in 1 2 3; do
		pids=
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && pids="$pids ${p#/proc/}"
		done
		[ -z "$pids" ] && break
		kill -KILL $pids 2>/dev/null || true
		sleep 0.5
	done
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
	# Only remove the folder when nothing is mounted below it any more.
	if ! grep -q " $root/" /proc/mounts; then rm -rf "$root"; else echo "fresh-machine: '$root' still has mounts; left in place" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -s "$base_tar" ]; then
	tar -C "$root" -xf "$base_tar"
else
	echo "fresh-machine: creating the $suite base system from $mirror (cached in $base_tar)" >&2
	debootstrap --variant=minbase --include=git,make,sudo,ca-certificates "$suite" "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
	rm -f "$root"/var/cache/apt/archives/*.deb
	tar -C "$root" -cf "$base_tar.tmp.$$" . && mv "$base_tar.tmp.$$" "$base_tar"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
fi
# Keep what apt downloads for the next run.
echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$root/etc/apt/apt.conf.d/99vmsweep-keep"
bindm() { mount --bind "$1" "$2"; mounted+=("$2"); }
mount -t proc proc "$root/proc"; mounted+=("$root/proc")
mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys"; mounted+=("$root/sys")
bindm /dev "$root/dev"
bindm /dev/pts "$root/dev/pts"
bindm "$archives" "$root/var/cache/apt/archives"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"; mounted+=("$root/tmp")

git clone -q "$proj" "$root/root/project"
rc=0
for cmd in "$@"; do
	echo "== fresh machine ($suite): $cmd"
	SECONDS=0
	if chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -lc "cd /root/project && $cmd"; then
		echo "== ok in ${SECONDS}s: $cmd"
	else
		rc=$?
		echo "== FAILED (exit $rc) after ${SECONDS}s: $cmd"
		break
	fi
done
exit $rc
