#!/bin/bash
# A workload that needs more memory than the guest has: the run's process fails (the
# kernel refuses the allocation, or the OOM killer kills it), the agent records the run
# with its exit status, the sweep goes on and the VM survives.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --memory 256M --workload mem --arg wss=1G --concurrency 1,2 \
	--duration 2s --warmup 0 --timeout 30s --no-plot -o out 2>log.txt
rc=$?
cat log.txt
[ $rc = 0 ] || fail "exit $rc, expected 0 (the failed runs are recorded)"
csv=$(ls out/vcpus-1/sweep_*.csv) || fail "no CSV"
[ "$(csv_rows "$csv")" = 2 ] || fail "expected a row per level"
python3 - "$csv" <<'PY' || fail "the OOM-killed runs are not recorded as failed"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert all(r["exit_code"] not in ("", "0") for r in rows), rows
PY
grep -qi 'out of memory\|oom\|cannot allocate' log.txt out/vcpus-1/console.log || fail "nothing says memory ran out"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "OOM-killed runs recorded, sweep finished"
