#!/bin/bash
# The tiny image boots its kernel uncompressed through the PVH entry (vmlinux), and an
# image built with --no-pvh boots the compressed bzImage: both paths reach SSH and run a
# sweep, the manifest says which kernel boot was used, and its boot breakdown is there
# and in order (kernel banner, init, guest up, SSH banner, SSH session).
. "$(dirname "$0")/_lib.sh"

"$VMSWEEP" image inspect tiny >tiny.json || fail "cannot inspect the tiny image"
[ "$(json tiny.json 'j.get("kernel_boot")')" = pvh ] ||
	skip "the tiny image has no PVH kernel here (kernel without the PVH note, or no xz)"

SHORT=(--vcpus 1 --workload noop --concurrency 1 --duration 1s --no-plot --no-restore) # a cold boot: its breakdown is checked
check_run() { # outdir expected-boot
	[ "$(json "$1/manifest.json" 'j["image"]["kernel_boot"]')" = "$2" ] ||
		fail "$1: manifest.json does not say kernel_boot $2"
	json "$1/manifest.json" 'j["sizes"][0]["timings_s"]["boot"]' >boot.txt
	python3 - "$1/manifest.json" <<'PY' || fail "$1: boot breakdown missing or out of order: $(cat boot.txt)"
import json, sys
b = json.load(open(sys.argv[1]))["sizes"][0]["timings_s"]["boot"]
steps = [b[k] for k in ("kernel_s", "init_s", "network_s", "ssh_banner_s", "ssh_s")]
assert all(isinstance(x, (int, float)) and x >= 0 for x in steps), steps
assert steps == sorted(steps), steps
# Guest up (the results disk mounted): after the network, before or after SSH (the disk's
# filesystem loads while the host does its SSH handshake).
assert b["network_s"] <= b["guest_up_s"], b
PY
	[ "$(json "$1/manifest.json" 'j["sizes"][0]["status"]')" = complete ] || fail "$1: size not complete"
}

"$VMSWEEP" run "${SHORT[@]}" -o pvh >pvh.txt 2>pvh.err || { cat pvh.err; fail "the PVH boot failed"; }
check_run pvh pvh
ok "PVH boot: $(cat boot.txt)"

"$VMSWEEP" image build --name nopvh --no-pvh -q || fail "cannot build an image with --no-pvh"
"$VMSWEEP" image inspect nopvh >nopvh.json || fail "cannot inspect the --no-pvh image"
[ "$(json nopvh.json 'j.get("kernel_boot")')" = bzimage ] || fail "--no-pvh image does not say kernel_boot bzimage"
[ "$(json nopvh.json '"vmlinux" in j["files"]')" = False ] || fail "--no-pvh image has a vmlinux"
"$VMSWEEP" run "${SHORT[@]}" --image nopvh -o bz >bz.txt 2>bz.err || { cat bz.err; fail "the bzImage boot failed"; }
check_run bz bzimage
ok "bzImage boot: $(cat boot.txt)"
rm -rf "$XDG_CACHE_HOME/vmsweep/images/nopvh"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "no VM left"
