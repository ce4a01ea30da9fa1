#!/bin/bash
# Hostile inputs to `vmsweep plot` and `compare` (CSV files may come from anywhere): a FIFO
# and /dev/zero are refused at once, a plan name written to run gnuplot commands runs
# none, 200000 levels and 200000 runs per level finish (they were quadratic), and the
# titles and report name the accelerator from the run's manifest.  Uses $VMSWEEP.
set -u
VMSWEEP=${VMSWEEP:-}
[ -x "$VMSWEEP" ] || { echo "SKIP: \$VMSWEEP is not an executable"; exit 77; }
command -v gnuplot >/dev/null || { echo "SKIP: gnuplot is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
hdr=ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,run_idx,qps,p50_us,p90_us,p99_us,max_us,ru_maxrss,exit_code,timeout_killed,mean_us,errors,ops,little_ratio,fairness

mkfifo fifo.csv
timeout 20 "$VMSWEEP" plot fifo.csv -o o1 -q 2>err.txt
rc=$?
[ $rc = 2 ] || fail "plot on a FIFO exited $rc (124: it blocked), not 2"
grep -q "not a regular file" err.txt || fail "no message for the FIFO: $(cat err.txt)"
timeout 20 "$VMSWEEP" plot /dev/zero -o o2 -q 2>err.txt
[ $? = 2 ] || fail "plot on /dev/zero did not exit 2"
ok "a FIFO and /dev/zero are refused at once"

python3 - "$hdr" <<'PY'
import csv, sys
hdr = sys.argv[1].split(",")
plan = "x`touch PWNED1`'; system(\"touch PWNED2\") #"
with open("evil.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(hdr)
    for c in (1, 2, 4, 8):
        w.writerow([1700000000, plan, 2, 2, 0, 0, c, 5, 0, 1000 * min(c, 4), 100, 150, 200 + c,
                    300, 10240, 0, 0, 100, 0, 5000, "1.000", "0.95"])
with open("levels.csv", "w") as f:
    f.write(",".join(hdr) + "\n")
    for c in range(1, 200001):
        q = 1000 * min(c, 50)
        f.write(f"1700000000,cpu,2,2,0,0,{c},5,0,{q},{100+c},{150+c},{200+c},{300+c},10240,0,0,{100+c},0,{q*5},1.000,0.95\n")
with open("runs.csv", "w") as f:
    f.write(",".join(hdr) + "\n")
    for r in range(200000):
        c = 1 + r % 4
        f.write(f"1700000000,cpu,2,2,0,0,{c},5,{r},{1000*c},{100+c},{150+c},{200+c},{300+c},10240,0,0,{100+c},0,{5000*c},1.000,0.95\n")
PY
"$VMSWEEP" plot evil.csv -o o3 -q || fail "plot of a CSV with a hostile plan name failed"
[ ! -e PWNED1 ] && [ ! -e o3/PWNED1 ] && [ ! -e PWNED2 ] && [ ! -e o3/PWNED2 ] ||
	fail "a plan name ran a command through gnuplot"
[ -s o3/qps_vs_concurrency.png ] || fail "no plot for the hostile plan name"
grep -q 'system("touch' o3/report.html && fail "report.html carries the plan name unescaped"
ok "a plan name cannot run gnuplot commands or inject HTML"

timeout 600 "$VMSWEEP" plot levels.csv -o o4 -q || fail "200000 levels did not plot"
timeout 600 "$VMSWEEP" compare runs.csv runs.csv -q >/dev/null
rc=$?
[ $rc = 0 ] || [ $rc = 4 ] || fail "compare of 200000 runs per level exited $rc"
ok "200000 levels and 200000 runs per level finish"

mkdir -p run/vcpus-2
cp evil.csv run/vcpus-2/sweep_1.csv
echo '{"accel":"tcg","accel_reason":"asked"}' >run/manifest.json
"$VMSWEEP" plot run/vcpus-2/sweep_1.csv -o o5 -q || fail "plot in a run folder failed"
grep -q "guest under TCG" o5/plots.gp || fail "the plot titles do not name TCG"
grep -q 'id="accel">Accelerator: <b>TCG' o5/report.html || fail "report.html does not name TCG"
ok "titles and report name the accelerator"
