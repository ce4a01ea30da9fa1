#!/bin/bash
# Several hosts in one run (issue 16): --connect qemu:///system --connect qemu:///embed are
# two libvirt hosts for the placement (the system daemon started by the test as its child,
# and the embedded driver); sizes 1 and 2 run concurrently, one on each; the manifest
# records every host and, per size, where it ran.  Then one host dies mid-run (its daemon
# and its QEMU killed, as a crashed machine): its size is run again on the other host,
# the rows it had stay in their folder, nothing is left on either host.  A single size's
# repetitions are split over the hosts.  A size no host
# can hold is an input error before any VM; one Ctrl-C tears down the VMs on both hosts.
. "$(dirname "$0")/_lib.sh"
sysd_check
virtlogd_start
libvirtd_start
trap 'kill $libvirtd $virtlogd 2>/dev/null; cleanup' EXIT
HOSTS=(--connect qemu:///system --connect qemu:///embed)

# A size bigger than every host (this one has 2 CPUs): exit 2, nothing started.
"$VMSWEEP" run "${HOSTS[@]}" --vcpus 1,64 "${QUICK[@]}" -o big >/dev/null 2>big.txt
rc=$?
[ $rc = 2 ] && grep -q 'the size of 64 vCPUs needs 64 guaranteed CPUs' big.txt || { cat big.txt; fail "a size no host holds: exit $rc, not 2 with a sentence"; }
[ -z "$(qemu_pids)" ] && ! vsys list --all --name | grep -q . || fail "a VM was started for a run refused at planning"
ok "a size no host can hold is refused (exit 2) before any VM"

"$VMSWEEP" run "${HOSTS[@]}" --vcpus 1,2 "${QUICK[@]}" -o two >/dev/null 2>two.txt || { tail -30 two.txt; fail "the run over two hosts failed"; }
m=two/manifest.json
[ "$(json $m '[h["uri"] for h in j["hosts"]]')" = "['qemu:///system', 'embedded']" ] || fail "the manifest does not list both hosts"
[ "$(json $m '[h["host"]["cpus"] > 0 and bool(h["host"]["hostname"]) for h in j["hosts"]]')" = "[True, True]" ] || fail "a host's identity is missing"
[ "$(json $m 'sorted(z["host"]["uri"] for z in j["sizes"] if z["status"] == "complete")')" = "['embedded', 'qemu:///system']" ] ||
	fail "the sizes did not spread over the hosts: $(json $m '[(z["vcpus"], z.get("host", {}).get("uri"), z["status"]) for z in j["sizes"]]')"
json $m 'j["sizes"][1]["host"]["libvirt_version"]' | grep -q '^[0-9]*\.[0-9]*\.[0-9]*$' || fail "a size does not record its host's libvirt version"
grep -q 'accelerator on qemu:///system' two.txt && grep -q 'accelerator on embedded' two.txt || fail "the log does not say each host's accelerator"
[ "$(json two/knee.json 'sorted(g["vcpus"] for g in j)')" = "[1, 2]" ] || fail "the analysis does not hold both sizes"
ok "sizes 1 and 2 on two hosts, each size's host in the manifest, one analysis"

# A CI gate's repetitions of one size: fewer sizes than hosts, so its runs are split over
# them, and the analysis has them all.
"$VMSWEEP" run "${HOSTS[@]}" --vcpus 1 "${QUICK[@]}" --runs 2 -o reps >/dev/null 2>reps.txt || { tail -30 reps.txt; fail "the split repetitions failed"; }
m=reps/manifest.json
[ "$(json $m 'sorted((z["part"], z["parts"], z["runs"], z["status"]) for z in j["sizes"])')" = "[(1, 2, 1, 'complete'), (2, 2, 1, 'complete')]" ] ||
	fail "the runs were not split in two parts: $(json $m '[(z.get("part"), z.get("runs"), z["status"]) for z in j["sizes"]]')"
[ "$(json $m 'sorted(z["host"]["uri"] for z in j["sizes"])')" = "['embedded', 'qemu:///system']" ] || fail "the parts did not go to both hosts"
# The parts start at once: each claims a folder of its own (they once both took vcpus-1,
# and each listed the other's CSV as its own: 3 runs per level instead of 2).
[ "$(json $m 'len(set(z["dir"] for z in j["sizes"]))')" = 2 ] || fail "the two parts share a folder: $(json $m '[z["dir"] for z in j["sizes"]]')"
[ "$(json $m 'sorted(len([f for f in z["files"] if f.endswith(".csv")]) for z in j["sizes"])')" = "[1, 1]" ] || fail "a part lists CSVs not its own"
# Both parts' runs at each level: used, or left out as starved (the two "hosts" are this
# one machine, so each part's QEMU is the other's interference); when every run at a level
# was starved they are all kept, and counted in both.
held='[l["runs"] if l["runs"] == l.get("host_interfered", 0) else l["runs"] + l.get("host_interfered", 0) for l in j[0]["levels"]]'
[ "$(json reps/knee.json "$held")" = "[2, 2]" ] || fail "the analysis does not hold both parts' runs: $(json reps/knee.json '[(l.get("runs"), l.get("host_interfered")) for l in j[0]["levels"]]')"
ok "a size's 2 repetitions split over the two hosts, analysed together"

# One host dies under its size (which of the two sizes it got depends on the free memory
# each reported: the ledger's tie-break) (daemon and QEMU killed): the size runs again on the other.
"$VMSWEEP" run "${HOSTS[@]}" --vcpus 1,2 --workload cpu --arg work=20000 --concurrency 1,2,4 --duration 3s \
	--warmup 5 --timeout 20s --rerun-interfered 0 -o lost >/dev/null 2>lost.txt &
run=$!
wait_for lost.txt 'qemu:///system\]: guest CPU' 180 || { kill $run; tail -20 lost.txt; fail "the size on the system daemon never came up"; }
kill -9 "$libvirtd"
pkill -9 -u libvirt-qemu qemu-system
wait $run || { tail -30 lost.txt; fail "the run did not recover from the lost host (exit $?)"; }
m=lost/manifest.json
grep -q 'qemu:///system is lost' lost.txt || fail "the log does not say the host is lost"
[ "$(json $m 'j["hosts"][0].get("lost")')" = True ] || fail "the manifest does not mark the host lost"
[ "$(json $m '[(z["vcpus"], z["host"]["uri"], z["status"]) for z in j["sizes"]]')" = "[(1, 'embedded', 'complete'), (2, 'embedded', 'complete')]" ] ||
	fail "the lost host's size was not completed on the other: $(json $m '[(z["vcpus"], z.get("host", {}).get("uri"), z["status"]) for z in j["sizes"]]')"
lost='[a for z in j["sizes"] for a in z.get("attempts", [])]'
[ "$(json $m "[a['host']['uri'] for a in $lost]")" = "['qemu:///system']" ] || fail "the lost attempt is not recorded"
d=$(json $m "$lost[0]['dir']")
[ -d "lost/$d" ] || fail "the lost attempt's folder is gone"
[ "$(json lost/knee.json 'sorted(g["vcpus"] for g in j)')" = "[1, 2]" ] || fail "the analysis does not hold both sizes"
ok "a host lost mid-run: its size completed on the other, the attempt's folder kept ($d)"

# One Ctrl-C while both hosts run a size: both VMs are torn down, the rows so far kept.
libvirtd_start
"$VMSWEEP" run "${HOSTS[@]}" --vcpus 1,2 --workload cpu --arg work=20000 --concurrency 1,2,4,8 --duration 3s \
	--warmup 5 --timeout 20s --rerun-interfered 0 -o int >/dev/null 2>int.txt &
run=$!
wait_for int.txt 'qemu:///system\]: guest CPU' 180 && wait_for int.txt 'embedded\]: guest CPU' 60 ||
	{ kill $run; tail -20 int.txt; fail "the two sizes never both came up"; }
kill -INT $run
wait $run
rc=$?
[ $rc = 130 ] || { tail -20 int.txt; fail "Ctrl-C over two hosts: exit $rc, not 130"; }
[ "$(json int/manifest.json 'j.get("interrupted")')" != None ] || fail "the manifest does not say it was interrupted"
[ -z "$(qemu_pids)" ] || fail "QEMU left running after Ctrl-C over two hosts"
ok "one Ctrl-C tears down the VMs on both hosts (exit 130)"

vsys list --all --name | grep -q '^vmsweep-' && fail "domain left on the system daemon: $(vsys list --all --name)"
stop_pid "$libvirtd"
stop_pid "$virtlogd"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "nothing left on either host; daemons stopped by PID"
