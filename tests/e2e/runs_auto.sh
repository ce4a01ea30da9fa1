#!/bin/bash
# --runs auto (issue 14): every level starts with 3 runs; a level whose median qps is not
# yet known to within +-3% (a distribution-free interval of coverage >= 90%, which 3 runs
# cannot give) gets 2 more at a time, up to 10.  On a steady cpu workload 5 runs settle
# it: each level ends with 5 runs or more, never more than 10, and the manifest lists the
# passes; a level that never settles ends with exactly 10.  The spec printed with
# --print-spec says "auto" and reads back.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run "${QUICK[@]}" --vcpus 1 --runs auto --print-spec >spec.json 2>/dev/null ||
	fail "--print-spec failed"
grep -q '"runs":[[:space:]]*"auto"' spec.json || fail "the printed spec does not say runs auto"
"$VMSWEEP" run spec.json -o out -v >stdout.txt 2>log.txt || { tail -30 log.txt; fail "run failed"; }
python3 - out <<'PY' || { tail -30 log.txt; fail "runs per level or manifest wrong"; }
import csv, glob, json, sys
rows = [r for f in glob.glob(sys.argv[1] + "/vcpus-1/sweep_*.csv") for r in csv.DictReader(open(f))]
per = {}
for r in rows:
    per[r["concurrency"]] = per.get(r["concurrency"], 0) + 1
assert set(per) == {"1", "2"}, per
assert all(5 <= n <= 10 for n in per.values()), per
passes = json.load(open(sys.argv[1] + "/manifest.json"))["sizes"][0]["runs_auto"]
assert len(passes) >= 1 and all(set(map(int, p)) <= {1, 2} for p in passes), passes
print("runs per level:", per, "passes:", passes)
PY
grep -q "more runs" log.txt || fail "the log does not say why levels got more runs"
ok "--runs auto: $(grep -c 'more runs' log.txt) level decision(s) in the log"

# A level that never settles (each operation sleeps 10-90 ms at random) stops at the cap:
# 3, 5, 7, 9, then one more run, not two: exactly 10 rows.  On a noisy host this is where
# a steady level ends too, so the cap must hold whatever the host does.
"$VMSWEEP" run --vcpus 1 --runs auto --workload exec --arg shell=1 \
	--arg 'cmd=sleep 0.0$((RANDOM%9+1))' --concurrency 1 --duration 1s --warmup 0 \
	--timeout 20s -o noisy -v >/dev/null 2>noisy.txt || { tail -30 noisy.txt; fail "noisy run failed"; }
n=$(cat noisy/vcpus-1/sweep_*.csv | grep -c '^[^a-z]')
[ "$n" = 10 ] || { tail -30 noisy.txt; fail "a level that never settles has $n runs, not 10"; }
ok "--runs auto: a level that never settles stops at 10 runs"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
