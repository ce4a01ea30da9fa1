#!/bin/bash
# sleep at 1000 us: p50 within 10% of 1000 us and qps within 10% of concurrency / 1 ms.
# A shared machine has noisy moments, so up to three attempts are made.
. "$(dirname "$0")/_agent.sh"
for attempt in 1 2 3; do
	out=$("$AGENT" --workload sleep --arg us=1000 --concurrency 1,4 --duration 2s --cpu-threads 1 \
		--output-dir "$T/a$attempt" -q)
	csv=$(echo "$out" | sed -n 's/^csv=//p')
	ok=1
	for row in 1 2; do
		c=$(csv_col "$csv" $row concurrency)
		p50=$(csv_col "$csv" $row p50_us)
		qps=$(csv_col "$csv" $row qps)
		echo "attempt $attempt: concurrency=$c p50=$p50 qps=$qps"
		python3 -c "import sys; c,p,q=map(float,sys.argv[1:]); \
sys.exit(0 if abs(p-1000)<=100 and abs(q-c*1000)<=c*100 else 1)" "$c" "$p50" "$qps" || ok=0
	done
	[ $ok = 1 ] && exit 0
done
fail "sleep latency or throughput off by more than 10% in three attempts"
