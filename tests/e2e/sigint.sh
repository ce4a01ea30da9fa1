#!/bin/bash
# SIGINT in the middle of a sweep: exit 130, no QEMU left, the rows so far on disk and
# the manifest says the run was interrupted.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --workload cpu --arg work=20000 --concurrency 1,2,4,8,16,32 \
	--duration 2s --warmup 5 --timeout 20s --no-plot -o out 2>log.txt &
pid=$!
wait_for log.txt 'concurrency=2' 240 || { cat log.txt; fail "the sweep never reached its second level"; }
kill -INT $pid
wait $pid
rc=$?
cat log.txt
[ $rc = 130 ] || fail "exit code $rc, expected 130"
[ -z "$(qemu_pids)" ] || fail "QEMU left running after SIGINT"
csv=$(ls out/vcpus-1/sweep_*.csv) || fail "no CSV kept"
[ "$(csv_rows "$csv")" -ge 1 ] || fail "no rows kept"
json out/manifest.json 'j["interrupted"]' | grep -qi interrupt || fail "manifest does not say interrupted"
ok "interrupted cleanly with $(csv_rows "$csv") row(s) kept"
