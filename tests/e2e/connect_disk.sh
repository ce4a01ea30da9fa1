#!/bin/bash
# A qcow2 disk image through libvirt daemons (issue 16): a prepared image (an overlay whose
# backing file is the built disk: a chain of two) runs through the system daemon and then
# through the same daemon over SSH.  Each layer goes up once as a content volume of the
# 'vmsweep' pool, the upper one pointing at the lower's volume; every VM boots from an
# overlay volume of its own, deleted after; the image files are never written; a second
# run uploads nothing; two URIs of the daemon in one run, or two runs at once, upload the
# chain once; a lock left by a killed run is taken over.  libvirtd,
# virtlogd and sshd are the test's, stopped by PID.
. "$(dirname "$0")/_lib.sh"
sysd_check
sshd_check
imgs=$XDG_CACHE_HOME/vmsweep/images
restore() {
	sshd_restore
	rm -rf "$imgs/e2esdisk" "$imgs/e2esprep"
	cleanup
}
trap restore EXIT

"$VMSWEEP" image build --disk --name e2esdisk 2>build.txt || { cat build.txt; fail "image build --disk failed"; }
"$VMSWEEP" image prepare "$imgs/e2esdisk/disk.qcow2" --name e2esprep 2>>build.txt || { cat build.txt; fail "prepare failed"; }
base_sha=$(sha256sum <"$imgs/e2esdisk/disk.qcow2")
top_sha=$(sha256sum <"$imgs/e2esprep/disk.qcow2")
qemu-img info "$imgs/e2esprep/disk.qcow2" | grep -q "^backing file: $imgs/e2esdisk/disk.qcow2" || fail "the prepared image is not an overlay of the built disk"
ok "a disk image and a prepared overlay of it"

sshd_start
libvirtd_start
virtlogd_start
id=$(tr -d ' \n' </etc/machine-id 2>/dev/null)
[ -n "$id" ] || id=$(hostname)
tag=$(printf %s "$id" | sha256sum | cut -c1-8)

ROOTCHECK=(--setup 'grep -q "^/dev/vd[a-z]* / ext4" /proc/mounts')
"$VMSWEEP" run --connect qemu:///system --image e2esprep --vcpus 1 "${QUICK[@]}" "${ROOTCHECK[@]}" \
	--no-plot -o sys >sys.txt 2>syslog.txt || { cat syslog.txt; fail "run of the disk image through qemu:///system failed"; }
[ "$(json sys/manifest.json 'j["sizes"][0]["status"]')" = complete ] || { cat syslog.txt; fail "size not complete"; }
[ "$(csv_rows $(ls sys/vcpus-1/sweep_*.csv))" = 2 ] || fail "rows missing"
xml=$(json sys/manifest.json "j['sizes'][0]['domain_xml']")
grep -q "source file='/var/lib/libvirt/vmsweep/vmsweep-run-$tag-[0-9]*-[A-Za-z0-9]*-vmsweep-.*-root.qcow2'" <<<"$xml" || { echo "$xml"; fail "the root disk is not a per-run overlay volume"; }
grep -q "source file='/var/lib/libvirt/vmsweep/vmsweep-run-$tag-.*-results.img'" <<<"$xml" || fail "the results disk is not a per-run volume"
ok "disk image through qemu:///system: root on the overlay volume, rows pulled"

# The chain in the pool: the built disk under its own digest; the prepared overlay under
# another name whose header points at the built disk's volume; both marked complete.
pool=/var/lib/libvirt/vmsweep
low=$(vsys vol-list vmsweep | awk '{print $1}' | grep -- "-disk.qcow2$" | while read -r v; do
	[ "$(sha256sum <"$pool/$v")" = "$base_sha" ] && echo "$v"; done)
[ -n "$low" ] || { vsys vol-list vmsweep; fail "no volume holds the built disk as it is"; }
[ "$low" = "vmsweep-$(echo "$base_sha" | cut -c1-64)-disk.qcow2" ] || fail "the built disk's volume is not named by its content: $low"
up=$(for f in "$pool"/vmsweep-*-disk.qcow2; do
	qemu-img info "$f" 2>/dev/null | grep -q "^backing file: $pool/$low$" && basename "$f"; done)
[ "$(echo "$up" | wc -w)" = 1 ] || { vsys vol-list vmsweep; fail "expected one volume over the built disk's, got '$up'"; }
qemu-img check -q "$pool/$up" || fail "the uploaded overlay does not check"
for v in "$low" "$up"; do vsys vol-list vmsweep | grep -q " $v.ok " || fail "$v has no completion marker"; done
[ "$(vsys vol-list vmsweep | grep -c "vmsweep-run-$tag-")" = 0 ] || { vsys vol-list vmsweep; fail "per-run volume left"; }
ok "both layers uploaded as content volumes, the upper pointing at the lower's; no per-run volume left"

# The same daemon through SSH: the chain is reused (same names), nothing is uploaded.
"$VMSWEEP" run --connect "$SSH_URI" --image e2esprep --vcpus 1 "${QUICK[@]}" "${ROOTCHECK[@]}" \
	--no-plot -o ssh >ssh.txt 2>sshlog.txt || { cat sshlog.txt; fail "run of the disk image through qemu+ssh failed"; }
[ "$(json ssh/manifest.json 'j["sizes"][0]["status"]')" = complete ] || { cat sshlog.txt; fail "size not complete over SSH"; }
[ "$(csv_rows $(ls ssh/vcpus-1/sweep_*.csv))" = 2 ] || fail "rows missing over SSH"
grep -E 'upload(ed|ing) ' sshlog.txt && fail "the run over SSH uploaded the chain again"
ok "disk image through qemu+ssh: the chain reused, root on an overlay volume, rows pulled over the jump"

[ "$(sha256sum <"$imgs/e2esdisk/disk.qcow2")" = "$base_sha" ] || fail "a run modified the built disk"
[ "$(sha256sum <"$imgs/e2esprep/disk.qcow2")" = "$top_sha" ] || fail "a run modified the prepared image"
[ "$(sha256sum <"$pool/$low")" = "$base_sha" ] || fail "a run modified the built disk's volume"
vsys list --all --name | grep -q '^vmsweep-' && fail "domain left on the daemon: $(vsys list --all --name)"
[ "$(vsys vol-list vmsweep | grep -c "vmsweep-run-$tag-")" = 0 ] || { vsys vol-list vmsweep; fail "per-run volume left"; }
ok "images and their volumes unchanged; no domain, no per-run volume left"

# A half-done upload (no marker) is not trusted: the next run sends that layer again.
vsys vol-delete --pool vmsweep "$low.ok" >/dev/null || fail "cannot delete the marker"
"$VMSWEEP" run --connect qemu:///system --image e2esprep --vcpus 1 "${QUICK[@]}" --no-plot -o again \
	>again.txt 2>againlog.txt || { cat againlog.txt; fail "run after a lost marker failed"; }
grep -q "uploaded '$imgs/e2esdisk/disk.qcow2'" againlog.txt || { cat againlog.txt; fail "the layer without its marker was not sent again"; }
[ "$(json again/manifest.json 'j["sizes"][0]["status"]')" = complete ] || fail "size not complete after the upload again"
ok "a layer whose upload did not finish is sent again"

# Two URIs of one machine in one run (the daemon directly and through SSH), the chain
# gone from the pool: both hosts are opened at once, and their uploads to the one pool
# take turns (each volume's lock): the chain goes up once, the other host reuses it;
# the two halves of the repetitions run, one on each host.
for v in "$up" "$low"; do vsys vol-delete --pool vmsweep "$v" >/dev/null && vsys vol-delete --pool vmsweep "$v.ok" >/dev/null || fail "cannot delete $v"; done
"$VMSWEEP" run --connect qemu:///system --connect "$SSH_URI" --image e2esprep --vcpus 1 --runs 2 \
	"${QUICK[@]}" --no-plot -o two >two.txt 2>twolog.txt || { cat twolog.txt; fail "run over two URIs of one daemon failed"; }
[ "$(grep -c "uploaded '$imgs/e2esdisk/disk.qcow2'" twolog.txt)" = 1 ] || { grep -i upload twolog.txt; fail "the built disk did not go up exactly once for two URIs of one pool"; }
[ "$(json two/manifest.json 'sorted((z["host"]["uri"] == "qemu:///system", z["status"]) for z in j["sizes"])')" = "[(False, 'complete'), (True, 'complete')]" ] ||
	{ cat twolog.txt; fail "the parts did not complete on both hosts"; }
ok "two hosts opened at once: the chain uploaded once to their shared pool, both halves complete"

# drop_chain: the disk chain's volumes and markers gone from the pool.
drop_chain() {
	for v in $(vsys vol-list vmsweep | awk '{print $1}' | grep -- '-disk.qcow2$'); do
		vsys vol-delete --pool vmsweep "$v" >/dev/null && vsys vol-delete --pool vmsweep "$v.ok" >/dev/null || fail "cannot delete $v"
	done
}

# Two vmsweep runs at once (two processes, as two CI jobs on one libvirt host), the chain
# gone: they take turns under each layer's lock volume, so each layer goes up once, and
# both complete.
# two_runs A B: a run through the daemon into A and one through SSH into B, at once (logs
# A.txt, B.txt); both must succeed.
two_runs() {
	local p1 rc1 rc2
	"$VMSWEEP" run --connect qemu:///system --image e2esprep --vcpus 1 "${QUICK[@]}" --no-plot -o "$1" >/dev/null 2>"$1.txt" &
	p1=$!
	"$VMSWEEP" run --connect "$SSH_URI" --image e2esprep --vcpus 1 "${QUICK[@]}" --no-plot -o "$2" >/dev/null 2>"$2.txt"
	rc2=$?
	wait $p1
	rc1=$?
	[ $rc1 = 0 ] && [ $rc2 = 0 ] || { cat "$1.txt" "$2.txt"; fail "two runs at once on one pool: exits $rc1 and $rc2"; }
}
drop_chain
two_runs par1 par2
[ "$(cat par1.txt par2.txt | grep -c "uploaded '$imgs/e2esdisk/disk.qcow2'")" = 1 ] &&
	[ "$(cat par1.txt par2.txt | grep -c "uploaded '$imgs/e2esprep/disk.qcow2'")" = 1 ] ||
	{ grep -ih 'upload' par1.txt par2.txt; fail "two runs at once did not upload each layer exactly once"; }
for r in par1 par2; do [ "$(json $r/manifest.json 'j["sizes"][0]["status"]')" = complete ] || fail "$r did not complete"; done
vsys vol-list vmsweep | grep -q '\.up ' && { vsys vol-list vmsweep; fail "an upload lock was left"; }
ok "two runs at once on one pool: each layer uploaded once, both complete, no lock left ($(cat par1.txt par2.txt | grep -c "waiting for another upload") wait line(s))"

# A lock left by a run that was killed while it held it, and two runs arriving: both
# wait on it; nothing moves under it, so one takes it over (their patience differs by a
# jitter of each) and uploads, the other sees the new lock, waits again and reuses.
drop_chain
low=vmsweep-$(echo "$base_sha" | cut -c1-64)-disk.qcow2
vsys vol-create-as vmsweep "$low.up" 0 >/dev/null || fail "cannot plant a lock"
two_runs st1 st2
for r in st1 st2; do
	grep -q "waiting for another upload of '$imgs/e2esdisk/disk.qcow2'" $r.txt || { cat $r.txt; fail "$r does not say it waits on the lock"; }
done
[ "$(cat st1.txt st2.txt | grep -c "is gone; taking it over")" = 1 ] || { cat st1.txt st2.txt; fail "the stale lock was not taken over exactly once"; }
[ "$(cat st1.txt st2.txt | grep -c "uploaded '$imgs/e2esdisk/disk.qcow2'")" = 1 ] || { grep -ih upload st1.txt st2.txt; fail "the layer under the stale lock did not go up exactly once"; }
vsys vol-list vmsweep | grep -q '\.up ' && { vsys vol-list vmsweep; fail "a lock was left"; }
ok "a lock whose run is gone: both runs wait, one takes it over and uploads, the other reuses"

drop_chain
stop_pid "$sshd"
stop_pid "$libvirtd"
stop_pid "$virtlogd"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "sshd and the daemons stopped by PID"
