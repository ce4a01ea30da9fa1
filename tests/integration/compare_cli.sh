#!/bin/bash
# `vmsweep compare` as a CI gate, on the CSV fixtures of tests/data/compare: exit statuses
# 0 (no regression), 3 (regression, SLO violation), 4 (inconclusive), 2 (bad input, nothing
# written); --junit writes well-formed XML, --markdown a summary, --github ::error lines.
# Builds nothing: uses $VMSWEEP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
data=$(dirname "$here")/data/compare
VMSWEEP=${VMSWEEP:-}
if [ -z "$VMSWEEP" ] || [ ! -x "$VMSWEEP" ]; then
	echo "SKIP: \$VMSWEEP ('$VMSWEEP') is not an executable vmsweep binary"
	exit 77
fi
if ! "$VMSWEEP" compare --help >/dev/null 2>&1; then
	echo "SKIP: '$VMSWEEP compare --help' fails: the compare command is not wired in"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect RC ARGS...: run compare, check the exit status.
expect() {
	local want=$1 rc
	shift
	"$VMSWEEP" compare "$@" >"$tmp/out.log" 2>&1
	rc=$?
	if [ $rc -ne "$want" ]; then
		fail "compare $*: exit $rc, expected $want"
		sed 's/^/    | /' "$tmp/out.log" | tail -n 15
	fi
}
wellformed() { python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$1"; }

# 1. Exit statuses.
expect 0 "$data/base.csv" "$data/same.csv"
expect 0 "$data/base.csv" "$data/same_noise.csv"
expect 0 "$data/base.csv" "$data/improve.csv"
expect 4 "$data/noisy_base.csv" "$data/noisy_shift.csv"
grep -q "runs per side would likely decide" "$tmp/out.log" || fail "noisy: no runs-needed advice"
expect 3 "$data/base.csv" "$data/regress.csv"
expect 3 --metric p99_us "$data/base.csv" "$data/regress.csv"
expect 3 --slo 'p99_us<=2000@8' "$data/base.csv" "$data/same.csv"
expect 4 "$data/base1.csv" "$data/regress1.csv"
grep -q "noise is unknown; about 5 runs per side" "$tmp/out.log" || fail "one run: no runs-needed advice"
expect 3 "$data/base3.csv" "$data/regress3.csv"
grep -q "^cpu .* curve .*REGRESSION" "$tmp/out.log" || fail "no whole-curve row in the table"
grep -q "^verdict: regression: levels and whole curves regressed" "$tmp/out.log" ||
	fail "the verdict does not say what decided it"
# --power: the simulated rates of the rule, one row per (change, runs, CV)
"$VMSWEEP" compare --power --trials 20 >"$tmp/power.out" 2>&1 || fail "--power failed"
[ "$(grep -c '%.*%.*%' "$tmp/power.out")" -ge 54 ] || fail "--power table: $(head -5 "$tmp/power.out")"
expect 2 --power "$data/base.csv"
expect 2 --trials 5 "$data/base.csv" "$data/same.csv"
expect 3 "$data/knee_base.csv" "$data/knee_cur.csv"
grep -q "KNEE MOVED DOWN.*32 -> 16" "$tmp/out.log" || fail "knee move 32 -> 16 not reported"

# 2. Bad input: exit 2 and nothing written.
for args in "$data/base.csv $data/missing.csv" "--slo p99_us<2000 $data/base.csv $data/same.csv" \
	"--alpha 2 $data/base.csv $data/same.csv" "--metric nope $data/base.csv $data/same.csv" \
	"$data/base.csv"; do
	# shellcheck disable=SC2086
	expect 2 --junit "$tmp/bad.xml" --markdown "$tmp/bad.md" $args
	[ -e "$tmp/bad.xml" ] || [ -e "$tmp/bad.md" ] && fail "bad input ($args) wrote a report"
done

# 3. Reports: JUnit well-formed with the counts, Markdown, GitHub annotations.
"$VMSWEEP" compare "$data/base.csv" "$data/regress.csv" --junit "$tmp/r.xml" \
	--markdown "$tmp/r.md" --github --slo 'p99_us<=3000@2' >"$tmp/gh.log" 2>&1
rc=$?
[ $rc -eq 3 ] || fail "reports run: exit $rc, expected 3"
wellformed "$tmp/r.xml" || fail "report.xml is not well-formed XML"
python3 - "$tmp/r.xml" <<'PY' || fail "JUnit content"
import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
s = d.documentElement
assert s.tagName == 'testsuite', s.tagName
for a in ('name', 'tests', 'failures', 'errors', 'skipped'):
    assert s.hasAttribute(a), a
cases = s.getElementsByTagName('testcase')
assert int(s.getAttribute('tests')) == len(cases), (s.getAttribute('tests'), len(cases))
fails = s.getElementsByTagName('failure')
assert int(s.getAttribute('failures')) == len(fails) >= 5, len(fails)
assert any(f.getAttribute('type') == 'slo' for f in fails)
PY
[ -s "$tmp/r.md" ] || fail "--markdown wrote nothing"
grep -q '^### vmsweep compare: regression' "$tmp/r.md" || fail "markdown heading"
grep -q '^::error title=' "$tmp/gh.log" || fail "--github printed no ::error"
"$VMSWEEP" compare "$data/base1.csv" "$data/regress1.csv" --github --junit "$tmp/i.xml" \
	>"$tmp/gh4.log" 2>&1
[ $? -eq 4 ] || fail "inconclusive with --github: wrong exit"
grep -q '^::warning title=' "$tmp/gh4.log" || fail "inconclusive: no ::warning"
wellformed "$tmp/i.xml" || fail "inconclusive report.xml is not well-formed"
grep -q '<skipped ' "$tmp/i.xml" || fail "inconclusive levels are not <skipped>"

# Gate ergonomics: -q still says a failing verdict; latency limits take units and "p99"
# stands for p99_us; sweeps that share no level say what each side holds; every message
# carries the command's prefix.
"$VMSWEEP" compare -q "$data/base1.csv" "$data/regress1.csv" >"$tmp/q.out" 2>/dev/null
[ $? -eq 4 ] || fail "-q inconclusive: wrong exit"
grep -q '^verdict: inconclusive' "$tmp/q.out" || fail "-q printed no failing verdict: $(cat "$tmp/q.out")"
"$VMSWEEP" compare -q "$data/base.csv" "$data/base.csv" >"$tmp/q0.out" 2>/dev/null
[ ! -s "$tmp/q0.out" ] || fail "-q printed something for a passing verdict"
expect 3 "$data/base.csv" "$data/base.csv" --slo 'p99<=1us'
expect 0 "$data/base.csv" "$data/base.csv" --slo 'p99<=10s' --slo 'p50_us<=1.5s'
expect 2 "$data/base.csv" "$data/base.csv" --slo 'qps>=5ms'
sed '2,$s/^\([^,]*\),[^,]*,/\1,otherplan,/' "$data/base.csv" >"$tmp/other.csv"
"$VMSWEEP" compare "$data/base.csv" "$tmp/other.csv" >/dev/null 2>"$tmp/mm.err"
[ $? -eq 2 ] || fail "sweeps of different plans: wrong exit"
grep -q "^vmsweep compare: .*BASE has plan '.*'.*CURRENT has plan 'otherplan'" "$tmp/mm.err" ||
	fail "different plans: the message does not name them: $(cat "$tmp/mm.err")"
"$VMSWEEP" compare "$tmp/nonexistent.csv" "$data/base.csv" >/dev/null 2>"$tmp/ne.err"
grep -q "^vmsweep compare: " "$tmp/ne.err" || fail "no prefix on: $(cat "$tmp/ne.err")"
# The gates applied are said, defaults marked; "off" removes a default one.
"$VMSWEEP" compare "$data/base.csv" "$data/base.csv" --slo 'p99<=3ms' >"$tmp/g.out" 2>&1
grep -q '^gates on CURRENT: error rate <= 0.5% (default), fairness >= 0.7 (default), p99<=3ms$' "$tmp/g.out" ||
	fail "the gates are not listed: $(head -4 "$tmp/g.out")"
expect 3 "$data/base.csv" "$data/unfair.csv"
expect 0 "$data/base.csv" "$data/unfair.csv" --min-fairness off
"$VMSWEEP" plot "$tmp/nonexistent.csv" >/dev/null 2>"$tmp/pe.err"
grep -q "^vmsweep plot: " "$tmp/pe.err" || fail "no prefix on: $(cat "$tmp/pe.err")"

if [ $fails -ne 0 ]; then
	echo "compare_cli: $fails failure(s)"
	exit 1
fi
echo "compare_cli: all checks passed"
exit 0
