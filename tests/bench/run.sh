#!/bin/bash
# make bench: benchmark tables, and the simulated power table of `vmsweep compare`.
# Measures, never asserts; targets are printed beside the numbers so a reader can judge
# (these machines are shared and noisy).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${VMSWEEP:?}" "${AGENT:?}" "${BUILD:?}"
export VMSWEEP AGENT BUILD
python3 "$here/harness_bench.py"
# The power of `vmsweep compare`'s decision rule (docs/compare.md): simulated, no VM.
echo
echo "== vmsweep compare: simulated outcome rates (true change x runs x CV) =="
"$VMSWEEP" compare --power --trials 1000
[ -x "$here/agent.sh" ] && bash "$here/agent.sh"
exit 0
