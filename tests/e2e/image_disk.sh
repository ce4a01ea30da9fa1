#!/bin/bash
# image build --disk makes a qcow2 root disk of the tiny guest; image prepare injects the
# agent and keys into an overlay of a qcow2 (here that disk) without touching the base;
# the prepared image boots from its overlay and completes a sweep with root on the disk.
. "$(dirname "$0")/_lib.sh"
imgs=$XDG_CACHE_HOME/vmsweep/images
trap '"$VMSWEEP" image list >/dev/null; rm -rf "$imgs/e2edisk" "$imgs/e2eprep"; cleanup' EXIT
"$VMSWEEP" image build --disk --name e2edisk 2>log.txt || { cat log.txt; fail "image build --disk failed"; }
[ "$(json $imgs/e2edisk/manifest.json 'j["kind"]')" = disk ] || fail "manifest kind is not disk"
file $imgs/e2edisk/disk.qcow2 | grep -q QCOW || fail "disk.qcow2 is not qcow2"
sha=$(sha256sum <$imgs/e2edisk/disk.qcow2)
"$VMSWEEP" image prepare $imgs/e2edisk/disk.qcow2 --name e2eprep 2>>log.txt || { cat log.txt; fail "prepare failed"; }
[ "$(sha256sum <$imgs/e2edisk/disk.qcow2)" = "$sha" ] || fail "prepare modified the base image"
ok "disk image built and prepared; base unchanged"
"$VMSWEEP" run --image e2eprep --vcpus 1 "${QUICK[@]}" --no-plot -o out \
	--setup 'grep -q "^/dev/vd[a-z]* / ext4" /proc/mounts' 2>run.txt || { cat run.txt; fail "run on the prepared image failed"; }
[ "$(json out/manifest.json 'j["sizes"][0]["status"]')" = complete ] || fail "not complete"
[ "$(csv_rows $(ls out/vcpus-1/sweep_*.csv))" = 2 ] || fail "rows missing"
[ "$(sha256sum <$imgs/e2edisk/disk.qcow2)" = "$sha" ] || fail "the run modified the base image"
ok "prepared overlay boots with its root on the disk and completes a sweep"
echo "not an image" >notqcow
"$VMSWEEP" image prepare notqcow 2>err.txt
[ $? = 2 ] && grep -q 'not a qcow2 image' err.txt || { cat err.txt; fail "non-qcow2 input not refused with exit 2"; }
ok "non-qcow2 input refused"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
