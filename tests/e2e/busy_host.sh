#!/bin/bash
# A busy host is named, not silently measured: with two CPU hogs running beside the VM,
# the manifest records the CPUs other processes used during the sweep, and knee.json and
# knee_summary.txt carry the warning next to the numbers.
. "$(dirname "$0")/_lib.sh"
hogs=()
for i in 1 2; do
	sh -c 'while :; do :; done' &
	hogs+=($!)
done
stop_hogs() { kill "${hogs[@]}" 2>/dev/null; wait "${hogs[@]}" 2>/dev/null; hogs=(); }
trap 'stop_hogs; cleanup' EXIT
"$VMSWEEP" run "${QUICK[@]}" --vcpus 1 -o out >stdout.txt 2>log.txt
rc=$?
stop_hogs
[ $rc = 0 ] || { cat log.txt; fail "run exited $rc"; }
m=out/manifest.json
other=$(json $m 'j["sizes"][0]["host_interference"]["other_cpus"]') || fail "no host_interference in manifest.json"
python3 -c 'import sys; assert float(sys.argv[1]) >= 0.25, sys.argv[1]' "$other" ||
	fail "two CPU hogs ran, the manifest says others used $other CPUs"
grep -q "the host was busy during the sweep" log.txt || fail "no warning in the log"
grep -q "the host was busy during this sweep" out/knee_summary.txt || fail "no warning in knee_summary.txt"
python3 -c 'import json,sys; assert any("host was busy" in w for w in json.load(open(sys.argv[1]))[0]["warnings"])' out/knee.json ||
	fail "no warning in knee.json"
ok "busy host: others used $other CPUs, said in the log, the manifest, knee.json and the summary"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
