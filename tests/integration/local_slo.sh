#!/bin/bash
# vmsweep local on the host: the same sweep without a VM, the analysis written, and SLO
# gates that fail the run with exit 3 (and pass it when they hold); a malformed gate is
# an input error.
set -u
: "${VMSWEEP:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail() { echo "FAIL: $*"; exit 1; }
common=(--workload sleep --arg us=1000 --concurrency 1,2 --duration 1s --warmup 5)
"$VMSWEEP" local "${common[@]}" -o ok --slo 'p99_us<=1000000' --slo 'qps>=100@1' \
	--max-error-rate 0.5 --min-fairness 0.5 >ok.txt 2>ok.log || { cat ok.log; fail "gates that hold failed the run"; }
[ "$(grep -c '^SLO .* ok$' ok.txt)" = 7 ] || { cat ok.txt; fail "expected 7 passing checks"; }
for f in knee_summary.txt knee.json qps_vs_concurrency.png; do
	[ -s ok/$f ] || fail "analysis file $f missing"
done
"$VMSWEEP" local "${common[@]}" -o bad --slo 'p99_us<=1' >bad.txt 2>bad.log
rc=$?
[ $rc = 3 ] || { cat bad.log; fail "a violated gate gave exit $rc, expected 3"; }
grep -q 'VIOLATED' bad.txt || fail "the violation is not printed"
"$VMSWEEP" local "${common[@]}" -o never --slo 'p42<=1' 2>err.txt
[ $? = 2 ] && grep -q "invalid --slo 'p42<=1'" err.txt || { cat err.txt; fail "malformed gate not refused"; }
[ ! -e never ] || fail "bad input created the output folder"
"$VMSWEEP" local --vcpus 2 2>err.txt
[ $? = 2 ] && grep -q "is for \`vmsweep run\`" err.txt || fail "local accepted a VM option"
echo "ok: local sweep analysed; SLO gates pass, fail with exit 3, refuse bad syntax"
