#!/bin/bash
# The harness is SIGKILLed mid-sweep: the guest's dead-man switch powers it off when the
# host stops feeding it, and the next vmsweep start reaps the leftover QEMU.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --deadman 10s --workload sleep --arg us=1000 --concurrency 1,2,4,8,16,32 \
	--duration 10s --warmup 5 --timeout 30s --no-plot -o out 2>log.txt &
pid=$!
wait_for log.txt 'SSH up' 240 || { cat log.txt; fail "the guest never answered SSH"; }
kill -KILL $pid
wait $pid 2>/dev/null
left=$(qemu_pids)
[ -n "$left" ] || fail "QEMU vanished with the harness: nothing to test"
wait_for out/vcpus-1/console.log "dead-man switch" 90 || fail "the dead-man switch did not fire"
ok "dead-man switch powered the guest off"
"$VMSWEEP" run --vcpus 1 "${QUICK[@]}" --no-plot -o next 2>next.log || { cat next.log; fail "next run failed"; }
for p in $left; do
	[ -d /proc/$p ] && fail "leftover QEMU $p not reaped"
done
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "the next run reaped the leftover QEMU"
