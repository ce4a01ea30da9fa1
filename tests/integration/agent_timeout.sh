#!/bin/bash
# A hanging workload is killed within timeout + 2 s, recorded as such, and later levels run.
. "$(dirname "$0")/_agent.sh"
cat >"$T/bench.sh" <<'SH'
#!/bin/sh
[ "$1" = 2 ] && exec sleep 100
echo '{"qps": 1000, "p50_us": 900, "p90_us": 1000, "p99_us": 1200, "max_us": 1500}'
SH
chmod +x "$T/bench.sh"
start=$(date +%s.%N)
out=$("$AGENT" --workload cmd --arg "cmd=$T/bench.sh {concurrency}" --concurrency 1,2,4 \
	--duration 1 --timeout 2 --output-dir "$T/out" 2>"$T/err")
dt=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
cat "$T/err"
csv=$(echo "$out" | sed -n 's/^csv=//p')
cat "$csv"
[ "$(csv_col "$csv" 1 timeout_killed)" = 0 ] || fail "level 1 should not time out"
[ "$(csv_col "$csv" 2 timeout_killed)" = 1 ] || fail "level 2 should be recorded as timed out"
[ "$(csv_col "$csv" 2 exit_code)" != 0 ] || fail "level 2 should have a non-zero exit code"
[ "$(csv_col "$csv" 3 qps)" = 1000.00 ] || fail "level 4 should still run"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 2 + 2 + 1 else 1)" "$dt" ||
	fail "the sweep took ${dt}s: the hung run was not killed within timeout + 2 s"
pgrep -f "sleep 100" >/dev/null && fail "the hung command survived"
# exec per op that hangs: the same through the per-op path
"$AGENT" --workload exec --arg "cmd=sleep 100" --concurrency 1 --duration 1 --timeout 2 \
	--output-dir "$T/out2" -q >/dev/null
[ "$(csv_col "$T"/out2/*.csv 1 timeout_killed)" = 1 ] || fail "exec hang not recorded"
echo "ok: killed after ${dt}s in total"
