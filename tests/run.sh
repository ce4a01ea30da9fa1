#!/bin/bash
# vmsweep test runner.  Runs the suites named on the command line (default: all of
# unit integration e2e faults) and prints one summary line at the end:
#   vmsweep tests: P passed, F failed, S skipped (of N) in Ts
# Each test is a program: exit 0 passes, 77 skips, anything else fails.  Its output goes
# to $BUILD/test-logs/<suite>/<name>.log; a failure prints the log's tail.
# After the summary line, one line per failed test: its name and its first line saying FAIL (or its last).
# Environment: VMSWEEP, AGENT, BUILD (set by make), TEST_FILTER (substring), and
# TEST_TIMEOUT (per test, seconds, default 900).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BUILD=${BUILD:-$root/build}
export VMSWEEP=${VMSWEEP:-$BUILD/vmsweep} AGENT=${AGENT:-$BUILD/vmsweep-agent} BUILD
export TESTS_DIR=$here SRCDIR=$root
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit integration e2e faults)
logdir=$BUILD/test-logs
timeout_s=${TEST_TIMEOUT:-900}
pass=0 fail=0 skip=0 failed=()
start=$(date +%s)

run_one() { # suite name cmd...
	local suite=$1 name=$2; shift 2
	if [ -n "${TEST_FILTER:-}" ] && [[ "$suite/$name" != *"$TEST_FILTER"* ]]; then return; fi
	mkdir -p "$logdir/$suite"
	local log=$logdir/$suite/$name.log t0 rc dt
	t0=$(date +%s)
	printf '%-8s %-40s ' "$suite" "$name"
	# Each test in its own session so a timeout can kill everything it started.
	timeout -k 10 "$timeout_s" setsid "$@" >"$log" 2>&1 </dev/null
	rc=$?
	dt=$(( $(date +%s) - t0 ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS (${dt}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP (${dt}s): $(grep -m1 -i 'skip' "$log" | cut -c1-100)" ;;
	*) fail=$((fail + 1)); failed+=("$suite/$name"); echo "FAIL rc=$rc (${dt}s)"
	   tail -n 25 "$log" | sed 's/^/    | /' ;;
	esac
}

for suite in "${suites[@]}"; do
	case $suite in
	unit)
		for t in "$BUILD"/tests/test_*; do
			[ -x "$t" ] || continue
			run_one unit "$(basename "$t")" "$t"
		done ;;
	integration|e2e|faults)
		for t in "$here/$suite"/*.sh; do
			[ -f "$t" ] || continue
			case $(basename "$t") in _*) continue ;; esac # shared helpers
			# Slow fault tests are marked "# slow" and run only under make check-faults.
			if [ "$suite" = faults ] && [ -z "${VMSWEEP_ALL_FAULTS:-}" ] && grep -q '^# slow' "$t"; then
				continue
			fi
			run_one "$suite" "$(basename "$t" .sh)" bash "$t"
		done ;;
	*) echo "run.sh: unknown suite '$suite' (unit, integration, e2e, faults)" >&2; exit 2 ;;
	esac
done

total=$((pass + fail + skip))
echo "vmsweep tests: $pass passed, $fail failed, $skip skipped (of $total) in $(( $(date +%s) - start ))s"
if [ $fail -ne 0 ]; then
	# Each failure with its reason, after the summary: CI often keeps only an output's
	# tail, and a name alone does not say what to look at.
	for f in "${failed[@]}"; do
		why=$(grep -m1 'FAIL' "$logdir/$f.log" 2>/dev/null || tail -n 1 "$logdir/$f.log" 2>/dev/null)
		printf 'failed: %s: %s\n' "$f" "$(printf '%s' "$why" | cut -c1-300)"
	done
	exit 1
fi
exit 0
