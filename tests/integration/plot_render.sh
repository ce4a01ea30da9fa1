#!/bin/bash
# Plot rendering: `vmsweep plot` turns a sweep CSV into real PNGs of the stated size, a
# plots.gp that names the knee and can be re-run, knee.json and knee_summary.txt; bad
# input exits 2 and writes nothing.  Builds nothing: uses $VMSWEEP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
data=$(dirname "$here")/data/plot
VMSWEEP=${VMSWEEP:-}
if [ -z "$VMSWEEP" ] || [ ! -x "$VMSWEEP" ]; then
	echo "SKIP: \$VMSWEEP ('$VMSWEEP') is not an executable vmsweep binary"
	exit 77
fi
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "SKIP: gnuplot is not installed (apt-get install gnuplot-nox)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# PNG magic and IHDR width/height, printed as "W H".
png_size() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read(32)
if b[:8] != b'\x89PNG\r\n\x1a\n' or b[12:16] != b'IHDR':
    print('not-a-png'); sys.exit(0)
w, h = struct.unpack('>II', b[16:24])
print(w, h)
PY
}

# 1. One VM size: all outputs, valid PNGs of 1024x640, the knee named in plots.gp.
out=$tmp/one
"$VMSWEEP" plot "$data/usl_2vcpu.csv" --output-dir "$out" >"$tmp/one.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "vmsweep plot exited $rc: $(cat "$tmp/one.log")"
for f in qps_vs_concurrency.png latency_vs_concurrency.png qps_vs_p99.png; do
	if [ ! -s "$out/$f" ]; then fail "$f missing"; continue; fi
	size=$(png_size "$out/$f")
	[ "$size" = "1024 640" ] || fail "$f: expected a 1024x640 PNG, got '$size'"
done
[ ! -e "$out/scaling.png" ] || fail "scaling.png written for a single VM size"
for f in knee_summary.txt knee.json plots.gp report.html; do
	[ -s "$out/$f" ] || fail "$f missing"
done
grep -q "knee N=16" "$out/plots.gp" || fail "plots.gp does not name the knee (knee N=16)"
grep -q "throughput knee:   N=16" "$out/knee_summary.txt" || fail "knee_summary.txt lacks the knee"
grep -q "knee N=16" "$tmp/one.log" || fail "the terminal chart does not show the knee"
python3 - "$out/knee.json" <<'PY' || fail "knee.json content"
import json, sys
k = json.load(open(sys.argv[1]))
assert isinstance(k, list) and len(k) == 1, k
g = k[0]
for key in ('plan', 'vcpus', 'knee', 'recommended', 'latency_knee', 'kneedle', 'usl', 'warnings'):
    assert key in g, key
assert g['knee'] == 16 and g['recommended'] == [8, 12], g
assert abs(g['usl']['n_star'] - 21.8) < 2.2, g['usl']
PY
grep -q 'src="data:image/png;base64,' "$out/report.html" || fail "report.html has no inline PNG"
ls -A "$out" | grep -q '^\.' && fail "temporary files left in $out: $(ls -A "$out")"
# The script re-renders by itself from its directory.
rm -f "$out/qps_vs_concurrency.png"
(cd "$out" && gnuplot plots.gp) >"$tmp/rerun.log" 2>&1 || fail "gnuplot plots.gp failed: $(cat "$tmp/rerun.log")"
[ "$(png_size "$out/qps_vs_concurrency.png")" = "1024 640" ] || fail "re-run did not redraw the plot"

# 2. Two VM sizes: scaling.png and the efficiency table; default output dir = CSV's dir.
cp "$data/scaling.csv" "$tmp/scaling.csv"
"$VMSWEEP" plot "$tmp/scaling.csv" -q >"$tmp/two.log" 2>&1 || fail "two sizes: $(cat "$tmp/two.log")"
[ "$(png_size "$tmp/scaling.png")" = "1024 640" ] || fail "scaling.png missing or wrong size"
grep -q "2->4" "$tmp/knee_summary.txt" || fail "no scaling efficiency table"
[ -s "$tmp/two.log" ] && fail "-q printed: $(cat "$tmp/two.log")"

# 3. SVG output.
"$VMSWEEP" plot "$data/capped.csv" --format svg --output-dir "$tmp/svg" -q >/dev/null 2>&1 ||
	fail "--format svg failed"
grep -q "<svg" "$tmp/svg/qps_vs_concurrency.svg" 2>/dev/null || fail "no SVG written"

# 4. Bad input: exit 2, a message with line:column, nothing written.
printf 'plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,1,1,abc,1,2,3\n' >"$tmp/bad.csv"
printf 'plan,vcpus,concurrency,qps\ncpu,1,1,5\n' >"$tmp/nocol.csv"
printf '"cpu,1,1\n' >"$tmp/malformed.csv"
head -c 300 "$out/qps_vs_p99.png" >"$tmp/notcsv.csv"
for bad in bad nocol malformed notcsv; do
	"$VMSWEEP" plot "$data/usl_2vcpu.csv" "$tmp/$bad.csv" --output-dir "$tmp/out-$bad" \
		>"$tmp/$bad.log" 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "$bad input: exit $rc, expected 2"
	[ -e "$tmp/out-$bad" ] && fail "$bad input: $tmp/out-$bad was written"
	echo "$bad: $(cat "$tmp/$bad.log")"
done
grep -q "bad.csv:2:9: non-numeric value 'abc' in column 'qps'" "$tmp/bad.log" ||
	fail "no line:column in the message"
"$VMSWEEP" plot --format jpg "$data/usl_2vcpu.csv" >/dev/null 2>&1
[ $? -eq 2 ] || fail "--format jpg should exit 2"

# 5. Without gnuplot the numbers are still written, and the message says how to install it.
mkdir -p "$tmp/bin"
for t in python3 cat; do ln -sf "$(command -v $t)" "$tmp/bin/$t"; done
PATH=$tmp/bin "$VMSWEEP" plot "$data/usl_2vcpu.csv" --output-dir "$tmp/nognu" -q \
	>"$tmp/nognu.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "without gnuplot: exit $rc"
grep -q "apt-get install gnuplot-nox" "$tmp/nognu.log" || fail "no install hint without gnuplot"
[ -s "$tmp/nognu/knee.json" ] || fail "without gnuplot: knee.json missing"
[ -e "$tmp/nognu/qps_vs_concurrency.png" ] && fail "without gnuplot: a PNG appeared"

# 6. A run directory: report.html says what ran where (from manifest.json, escaped), the
# verdicts, and links every file of the run; the knee methods' marks are in plots.gp.
run=$tmp/run
mkdir -p "$run/vcpus-2"
cp "$data/usl_2vcpu.csv" "$run/vcpus-2/sweep_1.csv"
cat >"$run/manifest.json" <<'JSON'
{"vmsweep_version": "v-test", "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:01:00Z",
 "host": {"hostname": "<b>box</b>", "cpu_model": "Test CPU", "online_cpus": 2, "loadavg": [3.5, 1, 0.5]},
 "image": {"name": "tiny", "manifest_sha256": "0123456789abcdef0123"}, "accel": "tcg",
 "accel_reason": "no KVM here", "hypervisor_version": "QEMU 7.2", "libvirt_version": "libvirt 9.0",
 "spec": {"name": "s", "vm": {"cpu_model": "EPYC-Rome"}},
 "slo_checks": [{"gate": "p99_us<=10", "plan": "usl", "vcpus": 2, "concurrency": 4, "value": 99, "violated": true},
                {"gate": "qps>=1", "plan": "usl", "vcpus": 2, "concurrency": 4, "value": 9, "violated": false}],
 "ab_verdicts": [{"dir": "vcpus-2", "compare_exit": 3}], "exit_code": 3}
JSON
"$VMSWEEP" plot "$run/vcpus-2/sweep_1.csv" -o "$run" -q >"$tmp/run.log" 2>&1 || fail "plot of a run dir: $(cat "$tmp/run.log")"
html=$run/report.html
for want in '<h2>Run</h2>' '&lt;b&gt;box&lt;/b&gt;: Test CPU' 'load 3.50 1.00 0.50' 'tcg — no KVM here' \
	'tiny, manifest sha256 0123456789ab' 'v-test' 'QEMU 7.2, libvirt 9.0' 'SLO gates: 1 check(s) met, 1 violated' \
	'p99_us&lt;=10 violated by usl' 'vcpus-2: regression (compare exit 3)' '<details><summary>The resolved spec' \
	'href="manifest.json"' 'href="vcpus-2/sweep_1.csv"' '<th>latency knee</th>'; do
	grep -qF -- "$want" "$html" || fail "report.html lacks '$want'"
done
grep -q '<b>box</b>' "$html" && fail "report.html does not escape the manifest's text"
grep -q "set label .*Kneedle N=" "$run/plots.gp" || fail "plots.gp does not mark Kneedle"

# 7. A size whose sweep shared a busy host: the warning stands next to its numbers.
python3 - "$run/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["sizes"] = [{"vcpus": 2, "host_interference": {"other_cpus": 0.9, "host_cpus": 2}}]
json.dump(m, open(sys.argv[1], "w"))
PY
"$VMSWEEP" plot "$run/vcpus-2/sweep_1.csv" -o "$run" >"$tmp/busy.log" 2>&1 || fail "plot of a busy run: $(cat "$tmp/busy.log")"
grep -q "the host was busy during this sweep: other processes used 0.90 of its 2 CPUs" "$run/knee_summary.txt" ||
	fail "knee_summary.txt does not say the host was busy"
python3 -c 'import json,sys; assert any("host was busy" in w for w in json.load(open(sys.argv[1]))[0]["warnings"])' "$run/knee.json" ||
	fail "knee.json does not say the host was busy"

if [ $fails -ne 0 ]; then
	echo "plot_render: $fails failure(s)"
	exit 1
fi
echo "plot_render: all checks passed"
exit 0
