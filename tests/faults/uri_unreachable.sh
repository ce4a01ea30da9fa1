#!/bin/bash
# A libvirt URI that cannot be reached: exit 1 with libvirt's reason, no output rows.  (A
# daemon's socket nobody listens on: remote URIs are refused before any connection until
# they are supported, issue 16.)
. "$(dirname "$0")/_lib.sh"
uri='qemu:///system?socket=/nonexistent/vmsweep-test.sock'
"$VMSWEEP" run --connect "$uri" --vcpus 1 "${QUICK[@]}" -o out 2>err.txt
rc=$?
cat err.txt
[ $rc = 1 ] || fail "exit $rc, expected 1"
grep -qF "cannot connect to libvirt at '$uri'" err.txt || fail "message does not name the URI"
ok "unreachable URI reported"
"$VMSWEEP" run --connect 'qemu+tcp://127.0.0.1:1/system' --vcpus 1 "${QUICK[@]}" -o remote 2>err2.txt
rc=$?
[ $rc = 1 ] || fail "a remote URI: exit $rc, expected 1"
grep -qF "'qemu+tcp://127.0.0.1:1/system' names a remote host: not supported yet" err2.txt ||
	fail "a remote URI is not refused with a sentence naming it"
