#!/bin/bash
# make bench: benchmark tables.  Measures, never asserts; targets are printed beside the
# numbers so a reader can judge (these machines are shared and noisy).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${VMSWEEP:?}" "${AGENT:?}" "${BUILD:?}"
export VMSWEEP AGENT BUILD
python3 "$here/harness_bench.py"
[ -x "$here/agent.sh" ] && bash "$here/agent.sh"
exit 0
