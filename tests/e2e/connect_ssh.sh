#!/bin/bash
# A sweep on a "remote" libvirt host: --connect 'qemu+ssh://root@127.0.0.1:PORT/system?...'
# through a real sshd the test starts on a loopback port (its own host key, config and
# authorized_keys), with libvirtd and virtlogd started as in e2e/connect_system.  libvirt
# reaches the daemon with ssh; the kernel, initrd and results disk go up as volumes; the
# console comes as a libvirt stream; the guests' SSH goes through a direct-tcpip channel of
# the harness's own SSH session to the host.  Then a guest that crashes mid-sweep: its rows
# are salvaged from the results disk volume downloaded from the host.  Nothing of the runs
# is left on the host (no domain, no per-run volume; a dead run's volume is reaped, a live
# one's and another harness host's are kept), also after a SIGINT mid-sweep, and every
# daemon is stopped by its PID.
. "$(dirname "$0")/_lib.sh"
sysd_check
sshd_check
restore() {
	sshd_restore
	for v in "${fakes[@]}"; do vsys vol-delete --pool vmsweep "$v" >/dev/null 2>&1; done
	cleanup
}
fakes=()
trap restore EXIT
sshd_start

libvirtd_start
virtlogd_start
URI=$SSH_URI

"$VMSWEEP" doctor --connect "$URI" >doc.txt 2>&1 || { cat doc.txt; fail "doctor fails for the remote URI"; }
grep -q "^ok    SSH to the libvirt host 'root@127.0.0.1:$port' for the guests' SSH" doc.txt || { cat doc.txt; fail "doctor does not report the SSH session to the host"; }
grep -q "^ok    libvirt at 'qemu+ssh://.*(a remote host" doc.txt || { cat doc.txt; fail "doctor does not report the remote connection"; }
grep -q "^ok    storage pool 'vmsweep'" doc.txt || { cat doc.txt; fail "doctor does not report the storage pool"; }
grep -q "^ok    QEMU x86_64 on the libvirt host" doc.txt || { cat doc.txt; fail "doctor does not report the host's QEMU"; }
# A URI whose host key is unknown (no no_verify) is refused, saying how to fix it.
"$VMSWEEP" doctor --connect "qemu+ssh://root@127.0.0.1:$port/system?keyfile=$T/client&known_hosts=$T/none" >doc2.txt 2>&1 &&
	{ cat doc2.txt; fail "doctor accepted a host whose key is not known"; }
grep -q "host key of the libvirt host 'root@127.0.0.1:$port' is not recorded" doc2.txt || { cat doc2.txt; fail "no sentence about the unknown host key"; }
"$VMSWEEP" doctor --connect "qemu+tcp://127.0.0.1/system" >doc3.txt 2>&1 && fail "doctor accepted a tcp URI"
grep -q "through the transport tcp: not supported" doc3.txt || { cat doc3.txt; fail "no sentence refusing the tcp transport"; }
ok "doctor: SSH to the host, connection, pool, QEMU; unknown host key and tcp refused"

# Per-run volumes left by runs that are gone are reaped by name: ours (this host's tag, a
# dead PID) go; a live run's, and another harness host's, stay.
id=$(tr -d ' \n' </etc/machine-id 2>/dev/null)
[ -n "$id" ] || id=$(hostname)
tag=$(printf %s "$id" | sha256sum | cut -c1-8)
other=$([ "$tag" = ffffffff ] && echo eeeeeeee || echo ffffffff)
dead=vmsweep-run-$tag-999999999-Zq3xYw-vmsweep-1-0-1-results.img
live=vmsweep-run-$tag-$$-Zq3xYw-vmsweep-1-0-1-results.img
foreign=vmsweep-run-$other-999999999-Zq3xYw-vmsweep-1-0-1-results.img
fakes=("$dead" "$live" "$foreign")
for v in "${fakes[@]}"; do vsys vol-create-as vmsweep "$v" 1M >/dev/null || fail "cannot make the volume $v"; done
before=$(ls -d /tmp/vmsweep-run-* 2>/dev/null | wc -l)

"$VMSWEEP" run --connect "$URI" --vcpus 1 "${QUICK[@]}" --no-plot -o out >stdout.txt 2>log.txt || { cat log.txt; tail -20 sshd.log; fail "run through qemu+ssh failed"; }
m=out/manifest.json
[ "$(json $m 'j["libvirt_uri"]')" = "$URI" ] || fail "manifest does not record the URI: $(json $m 'j["libvirt_uri"]')"
[ "$(json $m "j['sizes'][0]['status']")" = complete ] || { cat log.txt; fail "size not complete"; }
ls out/vcpus-1/sweep_*.csv >/dev/null || fail "no CSV pulled"
levels=$(for f in out/vcpus-1/sweep_*.csv; do tail -n +2 "$f" | cut -d, -f7; done | sort -u | tr '\n' ' ')
[ "$levels" = "1 2 " ] || fail "expected rows at concurrency 1 and 2, got '$levels'"
grep -q 'Linux version' out/vcpus-1/console.log || fail "console not captured through libvirt's stream"
grep -q "<serial type='pty'>" <(json $m "j['sizes'][0]['domain_xml']") || fail "the domain's console is not a pty"
grep -q "source file='/var/lib/libvirt/vmsweep/vmsweep-run-$tag-" <(json $m "j['sizes'][0]['domain_xml']") || fail "the results disk is not a per-run volume"
grep -E "SSH up|uploaded|warn" log.txt
ok "sweep through qemu+ssh: rows pulled over the SSH jump, console streamed, results disk a volume"

# The libvirt host's CPU use is measured through libvirt (virNodeGetCPUStats and the
# domain's own CPU time): with three CPU hogs on that host during a sweep, the manifest
# and the log say others used its CPUs.
python3 -c 'import sys; float(sys.argv[1])' "$(json $m 'j["sizes"][0]["host_interference"]["other_cpus"]')" ||
	fail "no measure of the remote host's other CPU use in the manifest"
hogs=()
for i in 1 2 3; do
	sh -c 'while :; do :; done' &
	hogs+=($!)
done
"$VMSWEEP" run --connect "$URI" --vcpus 1 "${QUICK[@]}" --no-plot -o busy >/dev/null 2>busy.txt
rc=$?
kill "${hogs[@]}"
wait "${hogs[@]}" 2>/dev/null
[ $rc = 0 ] || { cat busy.txt; fail "the run beside CPU hogs exited $rc"; }
other=$(json busy/manifest.json 'j["sizes"][0]["host_interference"]["other_cpus"]') || fail "no host_interference in the manifest"
python3 -c 'import sys; assert float(sys.argv[1]) >= 0.25, sys.argv[1]' "$other" || fail "three CPU hogs ran on the host, the manifest says others used $other CPUs"
grep -q "the host was busy during the sweep" busy.txt || { cat busy.txt; fail "no warning that the remote host was busy"; }
ok "the remote host's interference measured through libvirt: others used $other CPUs"

vols=$(vsys vol-list vmsweep)
echo "$vols" | grep -q " $dead " && fail "the volume of a dead run was not reaped"
echo "$vols" | grep -q " $live " || fail "the volume of a live run was deleted"
echo "$vols" | grep -q " $foreign " || fail "the volume of another harness host was deleted"
[ "$(echo "$vols" | grep -c "vmsweep-run-$tag-")" = 1 ] || { echo "$vols"; fail "per-run volume left in pool vmsweep"; }
ok "a dead run's volume reaped; a live one's and another host's kept; ours deleted"

# The guest crashes mid-sweep (as e2e/crash_salvage): the rows come from the results disk,
# downloaded from the host.
"$VMSWEEP" run --connect "$URI" -v --vcpus 1 --workload cmd --arg 'cmd=/root/bench.sh {concurrency}' \
	--push "$(dirname "$0")/../data/bench_crash.sh:/root/bench.sh" --concurrency 1,2,4,8 \
	--duration 1s --warmup 0 --timeout 30s --no-plot -o crash 2>clog.txt
rc=$?
[ $rc = 1 ] || { cat clog.txt; fail "exit code $rc, expected 1 (incomplete)"; }
m=crash/manifest.json
[ "$(json $m 'j["sizes"][0]["status"]')" = incomplete ] || { cat clog.txt; fail "size not marked incomplete"; }
[ "$(json $m 'j["sizes"][0].get("salvaged")')" = True ] || { cat clog.txt; fail "rows not salvaged"; }
grep -q "downloaded the volume '/var/lib/libvirt/vmsweep/vmsweep-run-$tag-" clog.txt || { grep -i salvag clog.txt; fail "the results disk was not downloaded"; }
csv=$(ls crash/vcpus-1/sweep_*.csv) || fail "no CSV salvaged"
[ "$(csv_rows "$csv")" = 2 ] || fail "expected the 2 rows completed before the crash, got $(csv_rows "$csv")"
ok "2 rows salvaged from the downloaded results disk volume after a guest crash"

# Ctrl-C mid-sweep: the rows so far come home through the jump, the VM on the host is
# destroyed and its volume deleted.
"$VMSWEEP" run --connect "$URI" --vcpus 1 --workload cpu --arg work=20000 --concurrency 1,2,4,8,16,32 \
	--duration 2s --warmup 5 --timeout 20s --rerun-interfered 0 --no-plot -o int 2>ilog.txt &
pid=$!
wait_for ilog.txt 'concurrency=2' 240 || { cat ilog.txt; fail "the sweep never reached its second level"; }
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || { cat ilog.txt; fail "exit code $rc after SIGINT, expected 130"; }
csv=$(ls int/vcpus-1/sweep_*.csv) || { cat ilog.txt; fail "no CSV kept after SIGINT"; }
[ "$(csv_rows "$csv")" -ge 1 ] || fail "no rows kept after SIGINT"
ok "interrupted cleanly with $(csv_rows "$csv") row(s) pulled through the jump"

vsys list --all --name | grep -q '^vmsweep-' && fail "domain left on the host: $(vsys list --all --name)"
[ "$(vsys vol-list vmsweep | grep -c "vmsweep-run-$tag-")" = 1 ] || { vsys vol-list vmsweep; fail "per-run volume left after the crash or the SIGINT"; }
[ "$(ls -d /tmp/vmsweep-run-* 2>/dev/null | wc -l)" = "$before" ] || fail "local per-run folder left in /tmp"
ok "no domain, no per-run volume, no local folder left"

for v in "$live" "$foreign"; do vsys vol-delete --pool vmsweep "$v" >/dev/null || fail "cannot delete the volume $v"; done
fakes=()
stop_pid "$sshd"
stop_pid "$libvirtd"
stop_pid "$virtlogd"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "sshd and the daemons stopped by PID"
