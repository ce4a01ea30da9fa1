#!/bin/bash
# Agent benchmarks: the noop overhead (ns per op, ops/s per thread) and the http workload
# against wrk on the same local nginx with the same connections.  Prints a table.
# Environment: AGENT (the agent binary), BENCH_SECONDS (default 3), BENCH_CONNS (default 8).
set -eu
AGENT=${AGENT:-$(dirname "$0")/../../build/vmsweep-agent}
secs=${BENCH_SECONDS:-3}
conns=${BENCH_CONNS:-8}
T=$(mktemp -d)
trap '[ -f "$T/nginx.pid" ] && kill "$(cat "$T/nginx.pid")" 2>/dev/null; rm -rf "$T"' EXIT
col() { python3 -c 'import csv,sys; print(list(csv.DictReader(open(sys.argv[1])))[0][sys.argv[2]])' "$1" "$2"; }
agent_csv() { "$AGENT" "$@" --output-dir "$T/out" -q | sed -n 's/^csv=//p'; }

csv=$(agent_csv --workload noop --concurrency 1 --cpu-threads 1 --duration "$secs" --warmup 1000)
qps=$(col "$csv" qps)
printf '%-34s %14s\n' "agent noop (1 thread)" "value"
printf '%-34s %14.1f   (target <= 100)\n' "ns per op" "$(python3 -c "print(1e9/$qps)")"
printf '%-34s %14.0f\n' "ops/s per thread" "$qps"
printf '%-34s %14s\n' "clock read (ns)" "$(col "$csv" clock_ns)"

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
	echo "http vs wrk: skipped (needs nginx and wrk)"
	exit 0
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/www" "$T/logs" && echo hello >"$T/www/index.html"
cat >"$T/nginx.conf" <<CONF
worker_processes 1;
pid $T/nginx.pid;
error_log $T/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $T; proxy_temp_path $T; fastcgi_temp_path $T;
    uwsgi_temp_path $T; scgi_temp_path $T;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$port; root $T/www; }
}
CONF
nginx -c "$T/nginx.conf" -p "$T" 2>/dev/null
for _ in $(seq 50); do [ -s "$T/nginx.pid" ] && break; sleep 0.1; done
url=http://127.0.0.1:$port/index.html
wrk -t1 -c"$conns" -d"${secs}s" --latency "$url" >"$T/wrk.txt"
csv=$(agent_csv --workload http --arg "url=$url" --concurrency "$conns" --cpu-threads 1 \
	--duration "$secs" --warmup 100)
python3 - "$T/wrk.txt" "$(col "$csv" qps)" "$(col "$csv" p50_us)" "$(col "$csv" p99_us)" \
	"$(col "$csv" errors)" "$conns" <<'PY'
import re, sys
txt = open(sys.argv[1]).read()
def us(v, u):
    return float(v) * {"us": 1, "ms": 1e3, "s": 1e6}[u]
lat = {p: us(v, u) for p, v, u in re.findall(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", txt, re.M)}
wq = float(re.search(r"Requests/sec:\s+([\d.]+)", txt).group(1))
aq, a50, a99, err, c = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
print()
print(f"http vs wrk (nginx, 1 thread, {c} connections)")
print(f"{'':18} {'agent':>12} {'wrk':>12} {'ratio':>8}")
print(f"{'qps':18} {aq:12.0f} {wq:12.0f} {aq / wq:8.2f}   (target >= 0.90)")
print(f"{'p50 (us)':18} {a50:12.1f} {lat['50']:12.1f} {a50 / lat['50']:8.2f}")
print(f"{'p99 (us)':18} {a99:12.1f} {lat['99']:12.1f} {a99 / lat['99']:8.2f}")
print(f"{'agent errors':18} {err:>12}")
PY
