#!/bin/bash
# The agent's histograms in HdrHistogram's interval-log format (.hlog): an independent
# reader (the HdrHistogram JavaScript package from npm, installed by ci/install-deps.sh)
# decodes every run's interval, and its counts and percentiles agree with the CSV's.
. "$(dirname "$0")/_vmsweep.sh"
HDR_JS=${HDR_JS:-/usr/local/lib/vmsweep-test/node_modules}
command -v node >/dev/null || { echo "SKIP: node is missing (ci/install-deps.sh installs it)"; exit 77; }
[ -d "$HDR_JS/hdr-histogram-js" ] ||
	{ echo "SKIP: hdr-histogram-js is not in $HDR_JS (ci/install-deps.sh installs it)"; exit 77; }
cd "$tmp"
"$VMSWEEP" local --workload sleep --arg us=1000 --concurrency 1,2 --runs 2 --duration 1s \
	--warmup 5 --no-plot -q -o out >out.log 2>&1 || { cat out.log; fail "the sweep failed"; }
hlog=$(ls out/sweep_*.hlog) || fail "no .hlog beside the CSV"
cat >read.js <<'JS'
const hdr = require("hdr-histogram-js");
const text = require("fs").readFileSync(process.argv[2], "utf8");
const reader = new hdr.HistogramLogReader(text);
const out = [];
let h;
while ((h = reader.nextIntervalHistogram()) !== null)
  out.push({ tag: h.tag, count: h.totalCount, p50: h.getValueAtPercentile(50),
             p99: h.getValueAtPercentile(99), max: h.maxValue });
console.log(JSON.stringify(out));
JS
NODE_PATH=$HDR_JS node read.js "$hlog" >decoded.json || fail "hdr-histogram-js could not read $hlog"
python3 - decoded.json out/sweep_*.csv <<'PY' || fail "the decoded histograms disagree with the CSV"
import csv, json, sys
dec = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(dec) == len(rows) == 4, (len(dec), len(rows))
for d, r in zip(dec, rows):
    assert d["tag"] == "c" + r["concurrency"], (d, r["concurrency"])
    assert d["count"] == int(r["ops"]), (d["count"], r["ops"])
    for k in ("p50", "p99"):
        csv_ns = float(r[k + "_us"]) * 1000
        # same slot: three significant digits (1/1024), the reader reporting the slot's
        # top and the agent its midpoint
        assert abs(d[k] - csv_ns) <= csv_ns / 1024 + 1, (k, d[k], csv_ns)
    assert abs(d["max"] - float(r["max_us"]) * 1000) <= float(r["max_us"]) * 1000 / 1024 + 1, d
print("decoded %d intervals; counts and p50/p99 agree with the CSV" % len(dec))
PY
echo "ok: the .hlog reads in HdrHistogram's own JavaScript reader"
