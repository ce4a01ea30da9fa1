#!/bin/bash
# run --json: stdout holds one JSON document (the summary, the chart and the SLO lines
# go elsewhere), with the manifest and the knees of the run; the exit code is the run's.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run "${QUICK[@]}" --vcpus 1 --slo 'qps>=1' --json -o out >stdout.txt 2>log.txt
rc=$?
[ $rc = 0 ] || { cat log.txt; fail "run --json exited $rc"; }
python3 - stdout.txt <<'PY' || fail "stdout is not the documented document: $(head -c 400 stdout.txt)"
import json, sys
text = open(sys.argv[1]).read()
assert text.count("\n") == 1, "more than one line on stdout"
j = json.loads(text)
assert j["schema_version"] == 1 and j["command"] == "run" and j["exit_code"] == 0, j
assert j["dir"] == "out"
m = j["manifest"]
assert m["exit_code"] == 0 and len(m["sizes"]) == 1 and m["sizes"][0]["status"] == "complete", m
assert all(not c["violated"] for c in m["slo_checks"]), m["slo_checks"]
assert j["knees"][0]["vcpus"] == 1, j["knees"]
PY
ok "run --json: one document with the manifest and the knees"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
