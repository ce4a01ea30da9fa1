#!/bin/bash
# Bad input of any kind exits 2 with one message naming the option; --dry-run validates.
. "$(dirname "$0")/_agent.sh"
cd "$T"
check() { # expected-fragment args...
	local frag=$1; shift
	set +e
	"$AGENT" "$@" >"$T/o" 2>"$T/e"
	rc=$?
	set -e
	[ $rc = 2 ] || fail "exit $rc (not 2) for: $*"
	grep -qF -- "$frag" "$T/e" || fail "message for '$*' lacks '$frag': $(cat "$T/e")"
	[ ! -s "$T/o" ] || fail "stdout not empty for: $*"
}
check "invalid --duration '10x'" --workload noop --duration 10x
check "invalid --duration '60'" --workload noop --duration 60
check "unknown workload 'nope'" --workload nope
check "no workload given"
check "unknown option '--frobnicate'" --workload noop --frobnicate
check "above the maximum concurrency" --workload noop --concurrency 1,256
check "invalid --runs '0'" --workload noop --runs 0
check "unknown --arg key 'x'" --workload sleep --arg x=1
check "invalid --arg us='abc'" --workload sleep --arg us=abc
check "invalid --cpu-threads '999'" --workload noop --cpu-threads 999
check "invalid --timeout '1'" --workload noop --duration 2 --timeout 1
DURATION_SEC=abc check "invalid DURATION_SEC 'abc'" --workload noop
"$AGENT" --workload sleep --arg us=10 --concurrency 1,2 --dry-run || fail "--dry-run of good options"
[ ! -e perf_results ] || fail "--dry-run must not create the output dir"
set +e; "$AGENT" --workload noop --output-dir /proc/forbidden -q --duration 0.2 2>"$T/e"; rc=$?; set -e
[ $rc = 1 ] || fail "an output dir that cannot be created must exit 1, got $rc"
echo ok
