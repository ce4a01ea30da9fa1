#!/bin/bash
# metrics.prom, checked by Prometheus's own tools: `promtool check metrics` accepts it,
# `promtool tsdb create-blocks-from openmetrics` files it at the run's time, and a real
# Prometheus server (on a loopback port, stopped by its PID) serving those blocks answers
# a PromQL query for the knee with knee.json's value.  `vmsweep export --openmetrics`
# writes the same file for a run analysed before.
. "$(dirname "$0")/_vmsweep.sh"
command -v promtool >/dev/null && command -v prometheus >/dev/null ||
	{ echo "SKIP: prometheus is not installed (ci/install-deps.sh installs it)"; exit 77; }
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

run=$tmp/run
mkdir -p "$run/vcpus-4"
cp "$root/tests/data/plot/knee5.csv" "$run/vcpus-4/sweep_1.csv"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat >"$run/manifest.json" <<JSON
{"vmsweep_version": "v-test", "started": "$now", "finished": "$now", "accel": "tcg",
 "host": {"hostname": "box \"1\"", "cpu_model": "Test CPU"},
 "spec": {"name": "s", "vm": {"cpu_model": "EPYC-Rome"}}}
JSON
"$VMSWEEP" plot "$run/vcpus-4/sweep_1.csv" -o "$run" -q >"$tmp/plot.log" 2>&1 || fail "plot: $(cat "$tmp/plot.log")"
prom=$run/metrics.prom
[ -s "$prom" ] || fail "no metrics.prom"
tail -1 "$prom" | grep -qx '# EOF' || fail "metrics.prom does not end with # EOF"
promtool check metrics <"$prom" >"$tmp/check.log" 2>&1 || fail "promtool check metrics: $(cat "$tmp/check.log")"
[ ! -s "$tmp/check.log" ] || fail "promtool check metrics complains: $(cat "$tmp/check.log")"
echo "ok: promtool check metrics"

promtool tsdb create-blocks-from openmetrics "$prom" "$tmp/data" >"$tmp/blocks.log" 2>&1 ||
	fail "promtool tsdb create-blocks-from openmetrics: $(cat "$tmp/blocks.log")"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' >"$tmp/prometheus.yml"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
	>"$tmp/prometheus.log" 2>&1 &
pid=$!
for i in $(seq 120); do
	python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
		"http://127.0.0.1:$port/-/ready" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || fail "prometheus exited: $(tail -5 "$tmp/prometheus.log")"
	sleep 0.5
done
ts=$(python3 -c 'import calendar,sys,time; print(calendar.timegm(time.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ")))' "$now")
python3 - "$port" "$ts" "$run/knee.json" <<'PY' || fail "the PromQL query for the knee did not give knee.json's value"
import json, sys, urllib.parse, urllib.request
port, ts, knee_json = sys.argv[1:]
q = urllib.parse.urlencode({"query": 'vmsweep_knee_concurrency{method="throughput",plan="svc",vcpus="4"}',
                            "time": ts})
r = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/v1/query?%s" % (port, q), timeout=10))
assert r["status"] == "success", r
res = r["data"]["result"]
assert len(res) == 1, res
labels, value = res[0]["metric"], float(res[0]["value"][1])
assert labels["host"] == 'box "1"' and labels["accel"] == "tcg" and labels["cpu_model"] == "EPYC-Rome", labels
want = json.load(open(knee_json))[0]["knee"]
assert value == want, (value, want)
print("knee from Prometheus:", value)
PY
kill "$pid"
wait "$pid" 2>/dev/null
pid=
echo "ok: Prometheus serves the run's knee"

cp "$prom" "$tmp/first.prom"
rm "$prom"
"$VMSWEEP" export --openmetrics "$run" >"$tmp/export.out" 2>"$tmp/export.err" || fail "export: $(cat "$tmp/export.err")"
grep -qx "$run/metrics.prom" "$tmp/export.out" || fail "export did not say what it wrote"
cmp -s "$tmp/first.prom" "$prom" || fail "export wrote another file than plot"
echo "ok: vmsweep export --openmetrics"
