#!/bin/bash
# The temp folder is shared: someone may plant $TMPDIR/vmsweep-<uid>/embed as a symlink
# to a folder of theirs (or of the victim's).  When the cache path is too long for
# libvirt's sockets, the embed roots move there; a run must refuse the planted link and
# delete nothing behind it, and in a real private folder it must remove only names of
# the shape it creates.  A short private TMPDIR stands for /tmp, so the machine's /tmp
# is untouched.
set -u
: "${VMSWEEP:?set by make check}"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vmsweep
img=$cache/images/tiny
[ -f "$img/manifest.json" ] || { echo "SKIP: no guest image: run 'make image'"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
uid=$(id -u)
# Short enough for the embed roots below it (sockets are limited to 108 bytes).
TMPDIR=$(mktemp -d /tmp/v.XXX) || fail "cannot make a temp folder"
export TMPDIR
work=$(mktemp -d /tmp/vmsweep-planted.XXXXXX)
trap 'rm -rf "$TMPDIR" "$work"' EXIT
cd "$work"
# A cache path longer than the embed roots may be.
long=$work/$(printf "%060d" 0)/cache
mkdir -p "$long/vmsweep"
cp -a "$cache/keys" "$long/vmsweep/" # the client key the image trusts
RUN=(run --image "$img" --accel tcg --vcpus 1 --workload noop --concurrency 1 --duration 1s --no-plot)
base=$TMPDIR/vmsweep-$uid

victim=$(mktemp -d "$work/victim.XXXXXX")
echo precious >"$victim/keep"
mkdir "$victim/123-abcd" "$victim/99999999-0000"
echo data >"$victim/123-abcd/file"
mkdir -m 0700 "$base"
ln -s "$victim" "$base/embed"
XDG_CACHE_HOME=$long "$VMSWEEP" "${RUN[@]}" -o out1 >out1.txt 2>log1.txt
rc=$?
cat log1.txt
[ $rc = 1 ] || fail "a run with a planted embed link exited $rc, not 1"
grep -q "vmsweep-$uid/embed.*symbolic link" log1.txt || fail "the message does not name the planted link"
[ "$(cat "$victim/keep" 2>/dev/null)" = precious ] || fail "the victim lost its file"
[ -f "$victim/123-abcd/file" ] && [ -d "$victim/99999999-0000" ] || fail "the victim lost its folders"
ok "a planted embed link is refused and the folder behind it is untouched"

# A real private folder: stale roots of our shape go, anything else stays.
rm "$base/embed"
mkdir -m 0700 "$base/embed"
mkdir "$base/embed/notours" "$base/embed/99999999-00zz" "$base/embed/99999999-abcd"
echo keep >"$base/embed/notes.txt"
XDG_CACHE_HOME=$long "$VMSWEEP" "${RUN[@]}" -o out2 >out2.txt 2>log2.txt || { cat log2.txt; fail "a run with a private embed folder failed"; }
[ -d "$base/embed/notours" ] && [ -d "$base/embed/99999999-00zz" ] &&
	[ -f "$base/embed/notes.txt" ] || fail "entries not of our shape were removed"
[ -d "$base/embed/99999999-abcd" ] && fail "a stale root of our shape was not reaped"
grep -q "root=$base/embed/" out2/manifest.json || fail "the run did not use the embed folder under \$TMPDIR"
ok "only stale roots of the shape vmsweep creates are removed"
pgrep -f "[q]emu-system.*guest=vmsweep-" >/dev/null && fail "QEMU left running"
exit 0
