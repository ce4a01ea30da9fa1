#!/bin/bash
# A sweep through the system libvirt daemon (--connect qemu:///system), with libvirtd and
# virtlogd started by the test as its children and stopped by their PIDs.  doctor says
# virtlogd is missing until it runs; the daemon's QEMU runs as its own user (qemu.conf) and
# reaches the kernel and initrd as volumes of the daemon's 'vmsweep' storage pool (uploaded
# once, reused by the next run) and the other per-run files through the folder handed to
# it; the rows come back; no domain and no per-run folder is left.
. "$(dirname "$0")/_lib.sh"
sysd_check
libvirtd_start

"$VMSWEEP" doctor --connect qemu:///system >doc1.txt 2>&1 && { cat doc1.txt; fail "doctor passed without virtlogd"; }
grep -q '^FAIL  virtlogd socket.*start virtlogd' doc1.txt || { cat doc1.txt; fail "doctor does not say to start virtlogd"; }
ok "doctor says virtlogd is missing"

virtlogd_start
"$VMSWEEP" doctor --connect qemu:///system >doc2.txt 2>&1 || { cat doc2.txt; fail "doctor fails with both daemons up"; }
grep -q "^ok    libvirt at 'qemu:///system', files for its QEMU in '/tmp/vmsweep-run-" doc2.txt || { cat doc2.txt; fail "doctor does not report the connection"; }
grep -q "^ok    storage pool 'vmsweep'" doc2.txt || { cat doc2.txt; fail "doctor does not report the storage pool"; }
ok "doctor is happy with both daemons and the storage pool"

# The folder of a vmsweep killed earlier (no such PID) is reaped; a live one's is not.
dead=/tmp/vmsweep-run-999999999-Zq3xYw live=/tmp/vmsweep-run-$$-Zq3xYw
mkdir -m 0700 "$dead" "$live" || fail "cannot make the stale folders"
trap 'rm -rf "$live" "$dead"; cleanup' EXIT
before=$(ls -d /tmp/vmsweep-run-* 2>/dev/null | wc -l)
"$VMSWEEP" run --connect qemu:///system --vcpus 1 "${QUICK[@]}" --no-plot -o out >stdout.txt 2>log.txt || { cat log.txt; fail "run through qemu:///system failed"; }
m=out/manifest.json
[ "$(json $m 'j["libvirt_uri"]')" = qemu:///system ] || fail "manifest does not record the URI"
[ "$(json $m "j['sizes'][0]['status']")" = complete ] || fail "size not complete"
ls out/vcpus-1/sweep_*.csv >/dev/null || fail "no CSV pulled"
# Levels 1 and 2 both have rows (a busy host may add passes that measure a level again).
levels=$(for f in out/vcpus-1/sweep_*.csv; do tail -n +2 "$f" | cut -d, -f7; done | sort -u | tr '\n' ' ')
[ "$levels" = "1 2 " ] || fail "expected rows at concurrency 1 and 2, got '$levels'"
grep -q 'Linux version' out/vcpus-1/console.log || fail "console not captured through the daemon's QEMU"
python3 -c 'import sys; float(sys.argv[1])' "$(json $m 'j["sizes"][0]["host_interference"]["other_cpus"]')" ||
	fail "no measure of the host's other CPU use through the daemon in the manifest"
ok "sweep through qemu:///system: rows pulled, console captured"

# The image is in the daemon's 'vmsweep' storage pool, one volume per content, named by
# its SHA-256; a second run uploads nothing.
img=$XDG_CACHE_HOME/vmsweep/images/tiny
vols=$(vsys vol-list vmsweep)
for f in initrd.img vmlinux; do
	[ -f "$img/$f" ] || continue
	echo "$vols" | grep -q "vmsweep-$(sha256sum "$img/$f" | cut -c1-64)-$f " || { echo "$vols"; fail "no volume of $f named by its content"; }
done
"$VMSWEEP" run --connect qemu:///system --vcpus 1 "${QUICK[@]}" --no-plot -o out2 >stdout2.txt 2>log2.txt || { cat log2.txt; fail "second run failed"; }
grep -E 'upload(ed|ing) ' log2.txt && { grep uploaded log.txt; fail "the second run uploaded the image again"; }
[ "$(json out2/manifest.json "j['sizes'][0]['status']")" = complete ] || fail "second run not complete"
ok "image uploaded once as volumes named by content, reused by the next run"

vsys list --all --name | grep -q '^vmsweep-' && fail "domain left on the system daemon: $(vsys list --all --name)"
[ -e "$dead" ] && fail "the folder of a dead vmsweep was not reaped"
[ -d "$live" ] || fail "the folder of a live vmsweep was removed"
[ "$(ls -d /tmp/vmsweep-run-* 2>/dev/null | wc -l)" = $((before - 1)) ] || fail "per-run folder left in /tmp"
ok "no domain and no per-run folder left; a dead run's folder reaped, a live one's kept"

stop_pid "$libvirtd"
stop_pid "$virtlogd"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "daemons stopped by PID"
