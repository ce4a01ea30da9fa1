#!/bin/bash
# report.html in a real browser (headless Chromium): every plot image decodes (natural
# width > 0), the knee table holds knee.json's values, and a screenshot renders.  The
# report itself has no JavaScript: the probe script is added to a copy, for the test.
. "$(dirname "$0")/_vmsweep.sh"
browser=$(command -v chromium || command -v chromium-browser) ||
	{ echo "SKIP: chromium is not installed (ci/install-deps.sh installs it)"; exit 77; }
command -v gnuplot >/dev/null || { echo "SKIP: gnuplot is not installed"; exit 77; }

run=$tmp/run
mkdir -p "$run/vcpus-4"
cp "$root/tests/data/plot/knee5.csv" "$run/vcpus-4/sweep_1.csv"
printf '{"started": "2026-01-01T00:00:00Z", "accel": "tcg", "host": {"hostname": "box"}, "spec": {"vm": {"cpu_model": "EPYC-Rome"}}}\n' >"$run/manifest.json"
"$VMSWEEP" plot "$run/vcpus-4/sweep_1.csv" -o "$run" -q -s 5ms >"$tmp/plot.log" 2>&1 || fail "plot: $(cat "$tmp/plot.log")"
grep -qi '<script' "$run/report.html" && fail "report.html has a script"

probe='<script>window.addEventListener("load",function(){var ok=0,bad=0;for(var i of document.images){if(i.complete&&i.naturalWidth>0)ok++;else bad++;}document.body.setAttribute("data-images-ok",ok);document.body.setAttribute("data-images-bad",bad);});</script>'
sed "s#</body></html>#${probe//&/\\&}</body></html>#" "$run/report.html" >"$run/probe.html"
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
	--user-data-dir="$tmp/profile" --virtual-time-budget=10000)
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$run/probe.html" >"$tmp/dom.html" 2>"$tmp/chromium.log" ||
	fail "chromium --dump-dom failed: $(tail -5 "$tmp/chromium.log")"
python3 - "$tmp/dom.html" "$run/knee.json" "$run/report.html" <<'PY' || fail "the rendered report is not right"
import json, re, sys
from html.parser import HTMLParser
dom, knee_json, report = (open(p).read() for p in sys.argv[1:])
body = re.search(r"<body([^>]*)>", dom).group(1)
ok = int(re.search(r'data-images-ok="(\d+)"', body).group(1))
bad = int(re.search(r'data-images-bad="(\d+)"', body).group(1))
imgs = report.count("<img ")
assert imgs >= 3 and ok == imgs and bad == 0, (imgs, ok, bad)

class Table(HTMLParser):
    """The cells of the table that follows <h2>Knees</h2>."""
    def __init__(self):
        super().__init__(); self.state = 0; self.rows = []; self.cell = None
    def handle_starttag(self, tag, attrs):
        if self.state == 1 and tag == "table": self.state = 2
        elif self.state == 2 and tag == "tr": self.rows.append([])
        elif self.state == 2 and tag in ("td", "th"): self.cell = ""
    def handle_endtag(self, tag):
        if self.state == 2 and tag in ("td", "th"):
            self.rows[-1].append(self.cell.strip()); self.cell = None
        elif self.state == 2 and tag == "table": self.state = 3
    def handle_data(self, data):
        if self.state == 0 and data.strip() == "Knees": self.state = 1
        elif self.cell is not None: self.cell += data
t = Table(); t.feed(dom)
head, row = t.rows[0], t.rows[1]
cell = dict(zip(head, row))
k = json.loads(knee_json)[0]
assert cell["knee"] == str(k["knee"]), (cell, k["knee"])
assert cell["latency knee"] == str(k["latency_knee"]), (cell, k["latency_knee"])
assert cell["Kneedle"] == str(k["kneedle"]), (cell, k["kneedle"])
lo, hi = k["recommended"]
assert cell["recommended"] == ("%d" % lo if lo == hi else "%d\u2013%d" % (lo, hi)), (cell, k["recommended"])
assert cell["why"] == k["recommended_why"] and cell["confidence"].startswith(k["confidence"]), cell
print("rendered:", ok, "images; knee", cell["knee"])
PY
echo "ok: every image decodes and the knee table holds knee.json's values"

timeout 120 "$browser" "${flags[@]}" --window-size=1200,2000 --screenshot="$tmp/shot.png" \
	"file://$run/report.html" >/dev/null 2>>"$tmp/chromium.log" || fail "chromium --screenshot failed"
python3 - "$tmp/shot.png" <<'PY' || fail "the screenshot is not a rendered page"
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1200, 2000), (w, h)
# Not a blank page: the compressed image data of a white page is tiny.
idat = sum(struct.unpack(">I", b[i - 4:i])[0] for i in range(8, len(b)) if b[i:i + 4] == b"IDAT")
assert idat > 20000, idat
PY
echo "ok: the screenshot renders"
