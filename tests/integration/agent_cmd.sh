#!/bin/bash
# cmd: a tiny script's JSON and CSV result lines, with {concurrency} {threads} {duration}.
. "$(dirname "$0")/_agent.sh"
cat >"$T/json.sh" <<'SH'
#!/bin/sh
echo "running with c=$1 t=$2 d=$3"
echo "{\"qps\": $(($1 * 100)), \"p50_us\": 10, \"p90_us\": 20, \"p99_us\": $3, \"max_us\": 99, \"errors\": 2}"
SH
cat >"$T/csv.sh" <<'SH'
#!/bin/sh
echo "1700000000,x,1,1,0,0,$1,1,0,777.5,1,2,3,4,0,0,0"
SH
chmod +x "$T/json.sh" "$T/csv.sh"
out=$("$AGENT" --workload cmd --arg "cmd=$T/json.sh {concurrency} {threads} {duration}" \
	--concurrency 2,3 --cpu-threads 1 --duration 1.5 --output-dir "$T/a" -q)
csv=$(echo "$out" | sed -n 's/^csv=//p')
cat "$csv"
[ "$(csv_col "$csv" 2 qps)" = 300.00 ] || fail "qps from the JSON line"
[ "$(csv_col "$csv" 1 p99_us)" = 1.500 ] || fail "{duration} substitution"
[ "$(csv_col "$csv" 1 errors)" = 2 ] || fail "errors from the JSON line"
out=$("$AGENT" --workload cmd --arg "cmd=$T/csv.sh {concurrency}" --concurrency 5 \
	--duration 1 --output-dir "$T/b" -q)
[ "$(csv_col "$(echo "$out" | sed -n 's/^csv=//p')" 1 qps)" = 777.50 ] || fail "qps from a CSV line"
# shell=1 runs through /bin/sh -c; without it nothing is interpreted
out=$("$AGENT" --workload cmd --arg "cmd=echo '{\"qps\":1,\"p50_us\":1,\"p90_us\":1,\"p99_us\":1,\"max_us\":1}' | cat" \
	--arg shell=1 --concurrency 1 --duration 1 --output-dir "$T/c" -q)
[ "$(csv_col "$(echo "$out" | sed -n 's/^csv=//p')" 1 qps)" = 1.00 ] || fail "shell=1"
echo ok
