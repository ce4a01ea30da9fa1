#!/bin/bash
# --base-arg / --interleave: baseline and candidate alternate A B B A ... in one VM, and
# the run ends with compare's verdict: a candidate doing 3x the work per operation is a
# regression (exit 3).
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --workload cpu --arg work=60000 --base-arg work=20000 --runs 5 \
	--concurrency 1 --duration 1s --warmup 5 --timeout 20s --no-plot -o out >verdict.txt 2>log.txt
rc=$?
cat log.txt verdict.txt
[ $rc = 3 ] || fail "exit $rc, expected 3 (regression)"
order=$(sed -n 's/.*repetition [0-9]*\/5: \(base\|candidate\)$/\1/p' log.txt | tr '\n' ' ')
[ "$order" = "base candidate candidate base base candidate candidate base base candidate " ] ||
	fail "order was '$order', expected A B B A A B B A A B"
for side in base candidate; do
	rows=$(cat out/vcpus-1/$side/sweep_*.csv | grep -vc '^ts,')
	[ "$rows" = 5 ] || fail "$side has $rows rows, expected 5"
done
grep -qi 'regression' verdict.txt || fail "the verdict does not say regression"
[ "$(json out/manifest.json 'j["ab_verdicts"][0]["compare_exit"]')" = 3 ] || fail "manifest lacks the A/B verdict"
[ "$(json out/manifest.json 'j["exit_code"]')" = 3 ] || fail "manifest lacks the exit code"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "interleaved A/B in one VM: ABBA order, 5 runs each, regression found"
