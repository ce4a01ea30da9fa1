#!/bin/bash
# While a VM runs: its SSH forward listens on 127.0.0.1 only, and a client key other
# than the user's is refused.  Then SIGTERM: exit 143 and no QEMU left.
. "$(dirname "$0")/_lib.sh"
command -v dbclient >/dev/null || skip "dbclient (dropbear-bin) not installed"
"$VMSWEEP" run --vcpus 1 --workload sleep --arg us=1000 --concurrency 1,2,4,8,16 \
	--duration 5s --warmup 5 --timeout 20s --no-plot -o out 2>log.txt &
pid=$!
wait_for log.txt 'SSH up' 240 || { cat log.txt; fail "the guest never answered SSH"; }
port=$(sed -n 's/.*waiting for SSH on 127\.0\.0\.1:\([0-9]*\).*/\1/p' log.txt | head -1)
[ -n "$port" ] || fail "no port in the log"
ss -ltnH "sport = :$port" >listen.txt
grep -q "127.0.0.1:$port" listen.txt || { cat listen.txt; fail "forward not on 127.0.0.1:$port"; }
if grep -v "127.0.0.1:$port" listen.txt | grep -q ":$port"; then
	cat listen.txt
	fail "port $port is also bound beyond loopback"
fi
ok "SSH forward bound to 127.0.0.1:$port only"
dropbearkey -t ed25519 -f other.key >/dev/null 2>&1 || fail "cannot make a key"
if timeout 30 dbclient -y -i other.key -p "$port" root@127.0.0.1 true </dev/null >dbclient.txt 2>&1; then
	fail "a login with a foreign key succeeded"
fi
cat dbclient.txt
ok "a foreign client key is refused"
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 143 ] || { cat log.txt; fail "exit code $rc, expected 143"; }
[ -z "$(qemu_pids)" ] || fail "QEMU left running after SIGTERM"
ok "SIGTERM: exit 143, no VM left"
