#!/bin/bash
# http against a local server started here (python3 http.server: HTTP/1.0, closes after
# each response, so reconnects are exercised too), and errors for a 404 path.
. "$(dirname "$0")/_agent.sh"
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
port=$(free_port)
mkdir -p "$T/www" && echo hello >"$T/www/index.html"
(cd "$T/www" && exec python3 -m http.server "$port" --bind 127.0.0.1) >/dev/null 2>&1 &
for _ in $(seq 50); do python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null && break; sleep 0.1; done
out=$("$AGENT" --workload http --arg "url=http://127.0.0.1:$port/index.html" --concurrency 1,4 \
	--cpu-threads 1 --duration 1 --warmup 5 --output-dir "$T/out")
csv=$(echo "$out" | sed -n 's/^csv=//p')
cat "$csv"
for row in 1 2; do
	[ "$(csv_col "$csv" $row errors)" = 0 ] || fail "errors against a working server"
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 50 else 1)" "$(csv_col "$csv" $row qps)" ||
		fail "qps too low"
	[ "$(csv_col "$csv" $row async)" = 1 ] || fail "async should be 1"
done
[ "$(csv_col "$csv" 2 io_threads)" = 1 ] || fail "io_threads should be 1"
out=$("$AGENT" --workload http --arg "url=http://localhost:$port/missing" --concurrency 2 \
	--duration 1 --warmup 0 --output-dir "$T/out404" -q)
csv=$(echo "$out" | sed -n 's/^csv=//p')
[ "$(csv_col "$csv" 1 errors)" = "$(csv_col "$csv" 1 ops)" ] || fail "404s must all be errors"
[ "$(csv_col "$csv" 1 ops)" != 0 ] || fail "no requests made"
echo ok
