#!/bin/bash
# --refine: after the doubling sweep, the skipped levels between knee/2 and 2*knee are
# measured in the same VM and the analysis sees them.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 2 --workload cpu --arg work=20000 --concurrency 1,2,4,8,16 \
	--duration 1s --warmup 5 --timeout 20s --refine -o out >summary.txt 2>log.txt
rc=$?
cat log.txt
[ $rc = 0 ] || fail "exit $rc"
grep -q 'refining around knee\|no unmeasured level\|no knee in the first pass' log.txt ||
	fail "no refinement decision logged"
if grep -q 'refining around knee' log.txt; then
	levels=$(cat out/vcpus-2/sweep_*.csv | grep -v '^ts,' | cut -d, -f7 | sort -un | tr '\n' ' ')
	echo "levels measured: $levels"
	extra=$(echo "$levels" | tr ' ' '\n' | grep -vxE '1|2|4|8|16|' | head -1)
	[ -n "$extra" ] || fail "no level beyond the doubling grid was measured"
	[ "$(ls out/vcpus-2/sweep_*.csv | wc -l)" = 2 ] || fail "expected a second CSV from the refinement"
	grep -q "^ *$extra " out/knee_summary.txt || fail "the analysis does not show level $extra"
	ok "refined with level $extra"
else
	ok "refinement skipped for a stated reason"
fi
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
