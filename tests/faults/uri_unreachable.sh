#!/bin/bash
# A libvirt URI that cannot be reached: exit 1 with libvirt's reason, no output rows (a
# daemon's socket nobody listens on); a remote host over ssh nobody answers for, and a
# remote transport other than ssh, refused with a sentence naming the URI.
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
grep -qF "'qemu+tcp://127.0.0.1:1/system' names a remote host through the transport tcp: not supported" err2.txt ||
	fail "a remote URI of the tcp transport is not refused with a sentence naming it"
ok "a remote URI of the tcp transport refused"
"$VMSWEEP" run --connect 'qemu+ssh://root@127.0.0.1:1/system?no_verify=1' --vcpus 1 "${QUICK[@]}" -o ssh 2>err3.txt
rc=$?
cat err3.txt
[ $rc = 1 ] || fail "an unreachable ssh host: exit $rc, expected 1"
grep -qF "cannot connect over SSH to the libvirt host 'root@127.0.0.1:1'" err3.txt ||
	fail "an unreachable ssh host is not reported with a sentence naming it"
ok "an unreachable ssh host reported"
