#!/bin/bash
# A workload that hangs at one level is killed at the timeout and recorded, and the
# later levels still run (in a real VM).
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --workload cmd --arg 'cmd=/root/bench.sh {concurrency}' \
	--push "$(dirname "$0")/../data/bench_hang.sh:/root/bench.sh" \
	--concurrency 1,2,4 --duration 1s --warmup 0 --timeout 3s --no-plot -o out 2>log.txt
rc=$?
cat log.txt
[ $rc = 0 ] || fail "exit $rc, expected 0 (timeouts are recorded, not failures)"
csv=$(ls out/vcpus-1/sweep_*.csv) || fail "no CSV"
[ "$(csv_rows "$csv")" = 3 ] || fail "expected 3 rows (every level), got $(csv_rows "$csv")"
python3 - "$csv" <<'PY' || fail "timeout row wrong"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {r["concurrency"]: r for r in rows}
assert by["2"]["timeout_killed"] == "1", by["2"]
assert by["1"]["timeout_killed"] == "0" and by["4"]["timeout_killed"] == "0"
assert float(by["4"]["qps"]) > 0
PY
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "hung level killed and recorded; later levels ran"
