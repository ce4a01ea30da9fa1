#!/bin/bash
# A libvirt URI that cannot be reached: exit 1 with libvirt's reason, no output rows.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --connect 'qemu+tcp://127.0.0.1:1/system' --vcpus 1 "${QUICK[@]}" -o out 2>err.txt
rc=$?
cat err.txt
[ $rc = 1 ] || fail "exit $rc, expected 1"
grep -q "cannot connect to libvirt at 'qemu+tcp://127.0.0.1:1/system'" err.txt || fail "message does not name the URI"
ok "unreachable URI reported"
