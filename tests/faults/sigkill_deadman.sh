#!/bin/bash
# The harness is SIGKILLed mid-sweep: the guest's dead-man switch powers it off when the
# host stops feeding it, and the next vmsweep start cleans up the dead run's embed root.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --deadman 10s --workload sleep --arg us=1000 --concurrency 1,2,4,8,16,32 \
	--duration 10s --warmup 5 --timeout 30s --no-plot -o out 2>log.txt &
pid=$!
# Mid-sweep: after the first level's run (not while the VM is being started, saved or
# restored, when QEMU is paused and only the next run's reaping can end it).
wait_for log.txt 'level 1/' 240 || { cat log.txt; fail "the sweep never finished its first level"; }
kill -KILL $pid
wait $pid 2>/dev/null
left=$(qemu_pids)
[ -n "$left" ] || fail "QEMU vanished with the harness: nothing to test"
# The console was the harness's to read (it died with it): the proof is QEMU exiting on
# its own, with nobody left to stop it, once the guest powered itself off.
for ((i = 0; i < 450; i++)); do
	alive=
	for p in $left; do [ -d /proc/$p ] && alive=1; done
	[ -z "$alive" ] && break
	sleep 0.2
done
[ -z "$alive" ] || fail "the dead-man switch did not power the guest off within 90 s"
ok "dead-man switch powered the guest off"

# Again with a dead-man period longer than the test: the next run must kill the QEMU.
"$VMSWEEP" run --vcpus 1 --deadman 300s --workload sleep --arg us=1000 --concurrency 1,2,4,8,16,32 \
	--duration 10s --warmup 5 --timeout 30s --no-plot -o out2 2>log2.txt &
pid=$!
wait_for log2.txt 'SSH up' 240 || { cat log2.txt; fail "the guest never answered SSH"; }
kill -KILL $pid
wait $pid 2>/dev/null
left=$(qemu_pids)
[ -n "$left" ] || fail "QEMU vanished with the harness: nothing to reap"
"$VMSWEEP" run --vcpus 1 "${QUICK[@]}" --no-plot -o next 2>next.log || { cat next.log; fail "next run failed"; }
for p in $left; do
	[ -d /proc/$p ] && fail "leftover QEMU $p not reaped"
done
grep -q 'reaped 1 QEMU process left by an earlier run' next.log || { cat next.log; fail "the reaping is not reported"; }
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "the next run reaped the leftover QEMU"
