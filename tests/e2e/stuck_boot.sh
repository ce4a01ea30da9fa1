#!/bin/bash
# A boot that shows no kernel progress fails fast (RUN_KERNEL_WAIT_MS_TCG, 60 s), with the
# console's last lines in the message, instead of waiting out the SSH boot timeout.  The
# stuck guest: the tiny image with its console on a port nobody reads and an init that
# sleeps (a copy of the image whose manifest says so).
. "$(dirname "$0")/_lib.sh"
img=$XDG_CACHE_HOME/vmsweep/images/tiny
mkdir stuck
cp "$img"/* stuck/
python3 - stuck/manifest.json <<'PY'
import json, sys
p = sys.argv[1]; m = json.load(open(p))
m["cmdline"] = "console=ttyS1 panic=-1 rdinit=/bin/sleep 100000"
json.dump(m, open(p, "w"))
PY
"$VMSWEEP" run --image "$PWD/stuck" --accel tcg --boot-timeout 600s --vcpus 1 --workload noop \
	--concurrency 1 --duration 1s --no-plot -o out >out.txt 2>log.txt
rc=$?
cat log.txt
[ $rc = 1 ] || fail "a stuck boot exited $rc, not 1"
grep -q 'the guest kernel printed nothing in 60 s under TCG' log.txt || fail "no 'kernel printed nothing' message"
grep -q 'the console ends with' log.txt || fail "the message does not show the console"
[ "$(json out/manifest.json 'j["sizes"][0]["status"]')" = failed ] || fail "size not marked failed"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "a boot without kernel output fails after the kernel wait, not the 600 s boot timeout"
