#!/bin/bash
# The agent is static, runs from an empty directory, and its outputs follow the contract.
. "$(dirname "$0")/_agent.sh"
file -L "$AGENT" | tee /dev/stderr | grep -q "statically linked" || fail "not statically linked"
mkdir "$T/empty" && cd "$T/empty"
env -i "$AGENT" --version | grep -q '^vmsweep-agent ' || fail "--version"
out=$(env -i "$AGENT" --workload noop --concurrency 1,2 --duration 0.2 --warmup 10 2>"$T/err")
cat "$T/err"
[ "$(echo "$out" | wc -l)" = 3 ] || fail "stdout must be exactly three lines: $out"
for k in csv jsonl summary; do
	p=$(echo "$out" | sed -n "s/^$k=//p")
	case $p in /*) ;; *) fail "$k path is not absolute: $p" ;; esac
	[ -s "$p" ] || fail "$k file missing"
done
csv=$(echo "$out" | sed -n 's/^csv=//p')
[ "$(head -1 "$csv")" = "ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,run_idx,qps,p50_us,p90_us,p99_us,max_us,ru_maxrss,exit_code,timeout_killed,mean_us,errors,ops,little_ratio,fairness,clock_ns,p999_us,offered_qps,busy_cpus,other_cpus,wait_cpus,cpu_share,arch" ] ||
	fail "CSV header"
case $(basename "$csv") in sweep_????????_??????.csv) ;; *) fail "file name $csv" ;; esac
[ "$(wc -l <"$csv")" = 3 ] || fail "two data rows expected"
grep -q '^level 2/2 concurrency=2 run 1/1: qps=' "$T/err" || fail "plain progress lines"
python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$(echo "$out" | sed -n 's/^jsonl=//p')" ||
	fail "JSONL"
echo ok
