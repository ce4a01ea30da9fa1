#!/bin/bash
# --sysinfo prints one valid JSON object with the documented keys.
. "$(dirname "$0")/_agent.sh"
"$AGENT" --sysinfo | tee /dev/stderr | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k, t in [("cpu_model", str), ("online_cpus", int), ("numa_nodes", list), ("kernel", str),
             ("clocksource", str), ("clock_ns", float), ("mem_total_kb", int),
             ("arch", str), ("cpu_flags", str)]:
    assert isinstance(d[k], t), k
assert d["online_cpus"] >= 1 and d["clock_ns"] > 0
assert d["arch"] != "x86_64" or "sse2" in d["cpu_flags"].split(), "no x86 CPU flags"
for n in d["numa_nodes"]:
    assert set(n) == {"id", "cpus", "mem_kb"}, n
'
