#!/bin/bash
# Right-sizing (issue 20): a run on 1 and 2 vCPUs with --target-qps and --slo-p99 ends with
# an answer that matches the capacities it prints: the size chosen is the smallest whose
# capacity interval covers target / (1 - headroom), in sizing.json, the summary on stdout,
# knee.json, report.html, metrics.prom and --json.  `vmsweep plot` on the same CSVs then
# answers a target between the sizes and one above both (with the prediction).
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1,2 --workload cpu --arg work=20000 --concurrency 1,2,4 --runs 3 \
	--duration 1s --warmup 5 --timeout 20s --slo-p99 2s --target-qps 1 --cost-per-vcpu 0.04 \
	-o out --json >doc.json 2>log.txt || { tail -30 log.txt; fail "run failed"; }
for f in sizing.json capacity_vs_vcpus.png; do
	[ -s out/$f ] || fail "$f missing"
done
# check DIR TARGET: the answer in DIR/sizing.json follows from the capacities it prints.
check() {
	python3 - "$1" "$2" <<'PY'
import json, sys
d, target = json.load(open(sys.argv[1] + "/sizing.json")), float(sys.argv[2])
need = target / (1 - d["headroom"])
assert abs(d["needed_qps"] - need) < 1e-6 * need, d["needed_qps"]
p = d["plans"][0]
sizes = p["sizes"]
assert [s["vcpus"] for s in sizes] == [1, 2], sizes
covering = [s["vcpus"] for s in sizes if s["capacity_lo"] >= need]
want = min(covering) if covering else None
assert p["choice_vcpus"] == want, (p["choice_vcpus"], want, sizes)
for s in sizes:
    assert s["verdict"] == ("covers" if s["capacity_lo"] >= need else
                            "marginal" if s["capacity_hi"] >= need else "short"), s
if want:
    assert p["answer"].startswith("cpu: %d vCPU" % want), p["answer"]
else:
    assert "no swept size serves" in p["answer"], p["answer"]
print(p["answer"])
PY
}
check out 1 >answer.txt || fail "the run's answer does not follow from its capacities"
grep -qF "answer: $(cat answer.txt)" out/knee_summary.txt || fail "the summary lacks the answer"
grep -q '^  answer: cpu: 1 vCPU: ' out/knee_summary.txt || fail "1 qps is not served by 1 vCPU"
json out/knee.json '[g["sizing"]["verdict"] for g in j]' | grep -q "'covers', 'covers'" ||
	fail "knee.json's curves lack their sizing"
[ "$(json doc.json 'j["sizing"]["plans"][0]["choice_vcpus"]')" = 1 ] || fail "--json lacks the sizing"
grep -q 'Right-sizing' out/report.html || fail "report.html lacks the right-sizing table"
grep -q '^vmsweep_sizing_chosen{plan="cpu",vcpus="1".*} 1' out/metrics.prom ||
	fail "metrics.prom lacks the choice"
ok "run: $(cat answer.txt)"
cap() { json out/sizing.json "j['plans'][0]['sizes'][$1]['$2']"; }
# A target the 2-vCPU size covers and the 1-vCPU size does not, when the two differ
# enough (TCG on a busy host may not scale): the answer is then 2 vCPUs.
t=$(python3 -c "import sys; lo1, hi1, lo2 = map(float, sys.argv[1:]); print((hi1 + (lo2 - hi1) / 2) * 0.7 if lo2 > hi1 * 1.05 else '')" \
	"$(cap 0 capacity_lo)" "$(cap 0 capacity_hi)" "$(cap 1 capacity_lo)")
if [ -n "$t" ]; then
	"$VMSWEEP" plot out/vcpus-*/sweep_*.csv -o between --slo-p99 2s --target-qps "$t" -q ||
		fail "plot with a target between the sizes failed"
	check between "$t" | grep -q '^cpu: 2 vCPUs: ' || fail "a target between the sizes is not answered with 2 vCPUs"
	ok "between the sizes: $(check between "$t")"
fi
# Above both: no size; the sentence gives the largest's capacity and a prediction or
# says why there is none.
t=$(python3 -c "import sys; print(float(sys.argv[1]) * 3)" "$(cap 1 capacity_hi)")
"$VMSWEEP" plot out/vcpus-*/sweep_*.csv -o above --slo-p99 2s --target-qps "$t" -q ||
	fail "plot with a target above both failed"
check above "$t" | grep -Eq 'no swept size serves .*the largest, 2 vCPUs, reaches .*; (predicted|too few|the trend)' ||
	fail "a target above both sizes is not answered with the largest and a prediction"
ok "above both: $(check above "$t")"
"$VMSWEEP" plot out/vcpus-*/sweep_*.csv -o bad --target-qps lots 2>err.txt
[ $? = 2 ] && grep -q "invalid value 'lots' for --target-qps" err.txt || fail "a bad target is not refused with exit 2"
[ ! -e bad ] || fail "a refused plot wrote files"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
