#!/bin/bash
# Host interference mid-sweep (issue 14): three CPU hogs run on the host for a few seconds
# while level 2 of a 2-vCPU cpu sweep runs, and stop.  The runs they spoiled are flagged
# in the CSV and the log (the vCPUs got < 90% of the CPU the guest called for), their
# level is measured again once the host is quiet, and the analysis uses the new runs and
# leaves the starved ones out, saying so.  Runs before the hogs are not flagged.
. "$(dirname "$0")/_lib.sh"
hogs=()
stop_hogs() { kill "${hogs[@]}" 2>/dev/null; wait "${hogs[@]}" 2>/dev/null; hogs=(); }
trap 'stop_hogs; cleanup' EXIT
"$VMSWEEP" run --workload cpu --arg work=20000 --concurrency 1,2,4 --runs 2 --duration 1s \
	--warmup 5 --timeout 20s --vcpus 2 -o out -v >stdout.txt 2>log.txt &
pid=$!
# The hogs start as level 2 begins and end (bounded) well before level 3 ends.
wait_for log.txt "concurrency=1 run 2/2" 300 || { kill $pid; cat log.txt; fail "the sweep never reached level 2"; }
for i in 1 2 3; do
	timeout 2.5 sh -c 'while :; do :; done' &
	hogs+=($!)
done
wait $pid
rc=$?
stop_hogs
[ $rc = 0 ] || { tail -30 log.txt; fail "run exited $rc"; }
grep "the vCPUs got" log.txt || fail "no starved run named in the log"
grep -q "measuring again" log.txt || fail "the starved level was not measured again"
python3 - out <<'PY' || { tail -40 log.txt; fail "the CSVs, manifest or analysis do not show it"; }
import csv, glob, json, sys
out = sys.argv[1]
files = sorted(glob.glob(out + "/vcpus-2/sweep_*.csv"))
assert len(files) >= 2, files                      # the sweep and the pass measuring again
first = list(csv.DictReader(open(files[0])))
starved = [r for r in first if r["cpu_share"] and float(r["cpu_share"]) < 0.9]
assert starved, first
assert all(r["concurrency"] != "1" for r in starved), starved   # before the hogs: quiet
again = [r for f in files[1:] for r in csv.DictReader(open(f))]
levels = {r["concurrency"] for r in starved}
assert levels <= {r["concurrency"] for r in again}, (levels, again)
hi = json.load(open(out + "/manifest.json"))["sizes"][0]["host_interference"]
assert hi["runs_starved"] >= len(starved) and hi["rerun_passes"] >= 1, hi
assert hi["runs_judged"] >= 6, hi
# QEMU's own threads beside the vCPUs: a CPU count, and each starved run says its own.
assert 0 <= hi["emulator_cpus_mean"] <= hi["emulator_cpus_max"] <= 4, hi
assert all("emulator_cpus" in s for s in hi["starved"]), hi["starved"]
knee = json.load(open(out + "/knee.json"))[0]
for lv in knee["levels"]:
    if str(lv["concurrency"]) in levels:
        assert lv["host_interfered"] >= 1, lv
        assert lv["runs"] >= 2, lv                 # the new runs replace the starved ones
assert any("starved by a busy host" in w and "left out" in w for w in knee["warnings"]), knee["warnings"]
print("starved:", [(r["concurrency"], r["run_idx"], r["cpu_share"]) for r in starved])
PY
grep -q "starved by a busy host" out/knee_summary.txt || fail "no warning in knee_summary.txt"
ok "hogs mid-sweep: the starved runs were flagged, measured again and left out"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
