#!/bin/bash
# The output filesystem is full: a clear error before any VM boots, exit 1, and no
# half-written files.
. "$(dirname "$0")/_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
mkdir -p small
mount -t tmpfs -o size=512k tmpfs small || skip "cannot mount tmpfs"
trap 'umount small 2>/dev/null; cleanup' EXIT
dd if=/dev/zero of=small/filler bs=4k count=1000 2>/dev/null
"$VMSWEEP" run --vcpus 1 "${QUICK[@]}" -o small/out 2>err.txt
rc=$?
cat err.txt
[ $rc = 1 ] || fail "exit $rc, expected 1"
grep -qi 'no space left' err.txt || fail "the message does not say the disk is full"
[ -z "$(find small -name '*.tmp*' -o -name '.*' -type f)" ] || fail "temporary files left"
[ -z "$(qemu_pids)" ] || fail "QEMU started"
ok "full output disk reported, nothing half-written"
# The image cache on a full disk: the build fails with the reason, and no broken image
# is published under the name.
XDG_CACHE_HOME=$T/small/cache "$VMSWEEP" image build --name full 2>img.txt
rc=$?
cat img.txt
[ $rc = 1 ] || [ $rc = 2 ] || fail "image build on a full disk: exit $rc, expected 1 or 2"
grep -qi 'no space left\|cannot' img.txt || fail "the image build does not say why it failed"
[ ! -e small/cache/vmsweep/images/full ] || fail "a broken image was published"
ok "image build on a full disk fails cleanly"
