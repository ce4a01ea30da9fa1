#!/bin/bash
# SIGTERM mid-sweep: the running child is killed, finished rows and the summary are kept,
# the agent exits 143.
. "$(dirname "$0")/_agent.sh"
"$AGENT" --workload sleep --concurrency 1,2,4 --duration 1 --output-dir "$T/out" -q >"$T/o" 2>"$T/e" &
pid=$!
sleep 1.6
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
cat "$T/e"
[ $rc = 143 ] || fail "exit $rc, expected 143"
csv=$(sed -n 's/^csv=//p' "$T/o")
[ "$(wc -l <"$csv")" = 2 ] || fail "exactly the first level's row should be kept"
grep -q "interrupted by SIGTERM" "$(sed -n 's/^summary=//p' "$T/o")" || fail "summary"
echo ok
