#!/bin/bash
# make demo: a short cpu sweep in one 2-vCPU EPYC-Rome VM with 2 NUMA cells, then the
# knee analysis and plots.  Usage: ci/demo.sh [path/to/vmsweep]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vmsweep=${1:-$root/build/vmsweep}
out=$root/perf_results/demo-$(date +%Y%m%d_%H%M%S)
echo "demo: sweeping sweeps/default.json into $out" >&2
"$vmsweep" run "$root/sweeps/default.json" --output-dir "$out"
csv=$(ls "$out"/vcpus-2/sweep_*.csv)
levels=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["agent"]["concurrency"]))' "$root/sweeps/default.json")
rows=$(($(wc -l <"$csv") - 1))
echo "demo: $rows rows for $levels levels in $csv" >&2
[ "$rows" -eq "$levels" ] || { echo "demo: expected one row per level" >&2; exit 1; }
echo "demo: plots and knee summary in $out (open $out/report.html)" >&2
