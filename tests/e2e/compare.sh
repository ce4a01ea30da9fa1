#!/bin/bash
# `vmsweep compare` on real sweeps: two short `vmsweep local` sweeps of the cpu workload,
# work=20000 (base) against work=60000 (three times the work per operation, so about a
# third of the throughput), must give exit 3; two identical configurations exit 0 or 4,
# never 3.  Runs on the host (no VM), so it needs only the agent.
set -u
VMSWEEP=${VMSWEEP:-}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ -n "$VMSWEEP" ] && [ -x "$VMSWEEP" ] || skip "\$VMSWEEP ('$VMSWEEP') is not an executable"
"$VMSWEEP" local --help >/dev/null 2>&1 || skip "'$VMSWEEP local --help' fails"
"$VMSWEEP" compare --help >/dev/null 2>&1 || skip "'$VMSWEEP compare --help' fails: not wired in"
T=$(mktemp -d "${TMPDIR:-/tmp}/vmsweep-e2e-compare.XXXXXX")
trap 'rm -rf "$T"' EXIT

# sweep NAME WORK: a short sweep into $T/NAME; skips the test when no CSV comes out.
sweep() {
	"$VMSWEEP" local --workload cpu --arg "work=$2" --concurrency 1,2 --duration 1s --runs 5 \
		--warmup 10 --no-plot -q -o "$T/$1" >"$T/$1.log" 2>&1
	local rc=$?
	if ! ls "$T/$1"/sweep_*.csv >/dev/null 2>&1; then
		sed 's/^/    | /' "$T/$1.log" | tail -n 20
		skip "the agent produced no CSV for $1 (exit $rc): agent still in development?"
	fi
	[ $rc -eq 0 ] || fail "vmsweep local ($1) exited $rc: $(tail -n 5 "$T/$1.log")"
}

sweep base 20000
sweep slow 60000
sweep same 20000

"$VMSWEEP" compare "$T/base" "$T/slow" --junit "$T/slow.xml" --github >"$T/slow.out" 2>&1
rc=$?
cat "$T/slow.out"
[ $rc -eq 3 ] || fail "work=20000 vs work=60000: exit $rc, expected 3 (regression)"
python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$T/slow.xml" ||
	fail "JUnit report is not well-formed"
grep -q '^::error' "$T/slow.out" || fail "no ::error annotation for the regression"

"$VMSWEEP" compare "$T/base" "$T/same" >"$T/same.out" 2>&1
rc=$?
cat "$T/same.out"
case $rc in
0 | 4) echo "ok: identical configurations: exit $rc" ;;
3) fail "identical configurations reported as a regression" ;;
*) fail "identical configurations: exit $rc" ;;
esac
echo "compare e2e: all checks passed"
exit 0
