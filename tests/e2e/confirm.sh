#!/bin/bash
# --confirm: after the sweep, the recommended concurrency runs open-loop (--rate) at 50%,
# 75% and 90% of its closed-loop throughput in the same VM; the manifest, knee.json and
# the summary say whether the recommendation holds, and the confirmation's rows stay out
# of the sweep's analysis.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --workload cpu --arg work=20000 --concurrency 1,2,4,8 --runs 2 \
	--duration 1s --warmup 5 --timeout 20s --confirm -o out >stdout.txt 2>log.txt
rc=$?
[ $rc = 0 ] || { cat log.txt; fail "run exited $rc"; }
grep -q 'confirming N=[0-9]* open-loop at 50%, 75% and 90%' log.txt || { cat log.txt; fail "no confirmation in the log"; }
python3 - out/manifest.json out/knee.json <<'PY' || fail "the confirmation is not recorded right"
import json, sys
m, k = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
c = m["sizes"][0]["open_loop_confirmation"]
assert [p["load"] for p in c["loads"]] == [0.5, 0.75, 0.9], c
for p in c["loads"]:
    assert abs(p["offered_qps"] - p["load"] * c["closed_loop_qps"]) <= 1, p
    assert p["achieved_qps"] > 0.8 * p["offered_qps"], p   # below capacity: it keeps up
    assert p["ok"] == (p["p99_us"] <= c["limit_p99_us"]), p
assert isinstance(c["holds"], bool)
assert k[0]["open_loop"] == c, (k[0]["open_loop"], c)
# the open-loop rows are not in the sweep's levels (8 rows: 4 levels x 2 runs)
assert sum(l["runs"] for l in k[0]["levels"]) == 8, k[0]["levels"]
PY
ls out/vcpus-1/confirm/50/sweep_*.csv out/vcpus-1/confirm/90/sweep_*.csv >/dev/null || fail "no confirmation CSVs"
grep -q '^  open loop: .*at 50% and 75% of its throughput (--confirm' out/knee_summary.txt ||
	fail "the summary does not give the open-loop verdict"
ok "open-loop confirmation recorded: $(grep '^  open loop:' out/knee_summary.txt | sed 's/^ *//')"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
