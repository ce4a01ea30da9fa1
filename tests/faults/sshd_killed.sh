#!/bin/bash
# sshd dies in the guest mid-sweep (init respawns it): the harness reconnects once,
# brings home the rows written so far and marks the size incomplete.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --workload cmd --arg 'cmd=/root/bench.sh {concurrency}' \
	--push "$(dirname "$0")/../data/bench_killsshd.sh:/root/bench.sh" --concurrency 1,2,4,8 \
	--duration 1s --warmup 0 --timeout 30s --no-plot -o out 2>log.txt
rc=$?
cat log.txt
[ $rc = 1 ] || fail "exit $rc, expected 1 (incomplete)"
grep -q 'reconnecting once' log.txt || fail "no reconnect attempted"
m=out/manifest.json
[ "$(json $m 'j["sizes"][0]["status"]')" = incomplete ] || fail "size not incomplete"
csv=$(ls out/vcpus-1/sweep_*.csv) || fail "no CSV"
[ "$(csv_rows "$csv")" -ge 1 ] || fail "no rows"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "$(csv_rows "$csv") rows kept after sshd died"
