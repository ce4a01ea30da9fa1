#!/bin/bash
# --replay RUN_DIR: a recorded run runs again from its manifest's spec and ends with the
# compare verdict of old against new; a record from another image or vmsweep is refused
# (exit 2, nothing run) unless --allow-drift; the replay never writes into the old run.
. "$(dirname "$0")/_lib.sh"
ARGS=(--vcpus 1 --workload cpu --arg work=20000 --concurrency 1,2 --runs 3 --duration 1s --warmup 5 --timeout 20s --no-plot)

"$VMSWEEP" run "${ARGS[@]}" -o first >first.out 2>first.err || { cat first.err; fail "the first run failed"; }
before=$(find first -type f | sort | xargs sha256sum)

"$VMSWEEP" run --replay first -o again >again.out 2>again.err
rc=$?
cat again.err | tail -5
# The verdict itself is the machine's to give: a shared host may well have slowed down
# between the two runs (a test asserts no timing).  What must hold: a verdict (0, 3 or 4,
# not a failure), named in the log, and the one compare gives on the same two folders.
case $rc in 0 | 3 | 4) ;; *) cat again.err; fail "the replay exited $rc (a verdict expected: 0, 3 or 4)" ;; esac
grep -q "replay of 'first': compare exited $rc" again.err || fail "no replay verdict in the log"
"$VMSWEEP" compare first again >compare.out 2>compare.err
crc=$?
[ $crc = $rc ] || fail "compare of the same two folders exits $crc where the replay said $rc"
python3 - first/manifest.json again/manifest.json <<'PY' || fail "the replay did not run the recorded spec"
import json, sys
a, b = (json.load(open(p))["spec"] for p in sys.argv[1:])
for j in (a, b):
    j.pop("source", None)
    j.get("output", {}).pop("dir", None)
assert a == b, (a, b)
PY
[ "$(find first -type f | sort | xargs sha256sum)" = "$before" ] || fail "the replay changed the run it replayed"
ok "replay ran the recorded spec and gave compare's verdict (exit $rc)"

# A record from another image: refused before anything runs, unless --allow-drift.
cp -a first drifted
python3 - drifted/manifest.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["image"]["manifest_sha256"] = "0" * 64
json.dump(m, open(sys.argv[1], "w"))
PY
"$VMSWEEP" run --replay drifted -o refused >refused.out 2>refused.err
rc=$?
[ $rc = 2 ] || fail "a replay on another image exited $rc, not 2"
grep -q "is not the one it ran" refused.err || fail "the image drift is not named: $(cat refused.err)"
[ ! -e refused ] || fail "a refused replay created its output folder"
"$VMSWEEP" run --replay drifted --allow-drift -o allowed >allowed.out 2>allowed.err
rc=$?
case $rc in 0 | 3 | 4) ;; *) cat allowed.err; fail "--allow-drift replay exited $rc (a verdict expected)" ;; esac
grep -q "is not the one it ran" allowed.err || fail "--allow-drift does not report the drift"
ok "drift is refused (exit 2) and --allow-drift replays with a warning"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
