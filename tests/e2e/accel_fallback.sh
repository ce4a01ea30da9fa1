#!/bin/bash
# The accelerator is chosen by proof.  With the probe kernel made silent (the test hook
# VMSWEEP_TEST_KVM_PROBE=silent, which also runs the probe under TCG where KVM cannot run
# at all), `accel auto` falls back to TCG, says why in one line and records it in
# manifest.json; `--accel kvm` exits 1 with that reason; `doctor` reports the same verdict.
# Without the hook, on this machine kind (a /dev/kvm that cannot boot Linux) the real
# probe must agree with what doctor says, and a run must complete either way.
. "$(dirname "$0")/_lib.sh"
SHORT=(--vcpus 1 --workload noop --concurrency 1 --duration 1s --no-plot)

VMSWEEP_TEST_KVM_PROBE=silent "$VMSWEEP" run "${SHORT[@]}" -o hook >hook.out 2>hook.log || { cat hook.log; fail "run with a silent probe kernel failed"; }
m=hook/manifest.json
[ "$(json $m 'j["accel"]')" = tcg ] || fail "silent probe: accel is not tcg"
json $m 'j["accel_reason"]' | grep -q 'KVM probe: no kernel output in 15 s' || fail "silent probe: no reason in the manifest: $(json $m 'j.get("accel_reason")')"
[ "$(grep -c 'accelerator: TCG: KVM probe: no kernel output' hook.log)" = 1 ] || { cat hook.log; fail "the fallback is not said in one line"; }
[ "$(json $m 'j["sizes"][0]["status"]')" = complete ] || fail "the fallback run did not complete"
ok "auto falls back to TCG when the probe kernel prints nothing, with the reason in manifest.json"

VMSWEEP_TEST_KVM_PROBE=silent "$VMSWEEP" run "${SHORT[@]}" --accel kvm -o kvm >kvm.out 2>kvm.log
rc=$?
[ $rc = 1 ] || { cat kvm.log; fail "--accel kvm with a failing probe exited $rc, not 1"; }
grep -q 'error: --accel kvm: KVM cannot run a guest here: KVM probe: no kernel output' kvm.log || { cat kvm.log; fail "--accel kvm does not give the probe's reason"; }
[ -z "$(ls kvm/vcpus-* 2>/dev/null)" ] || fail "--accel kvm started a size anyway"
ok "--accel kvm with a failing probe exits 1 with the reason"

VMSWEEP_TEST_KVM_PROBE=silent "$VMSWEEP" doctor >doc-hook.txt 2>&1 || { cat doc-hook.txt; fail "doctor failed"; }
grep -q '^warn  KVM not usable: KVM probe: no kernel output' doc-hook.txt || { cat doc-hook.txt; fail "doctor does not report the failed probe"; }
grep -q '^ok .*KVM' doc-hook.txt && fail "doctor claims KVM while the probe failed"
ok "doctor reports the probe's verdict"

# --accel tcg: no probe, no word about KVM being unusable.
"$VMSWEEP" run "${SHORT[@]}" --accel tcg -o tcg >tcg.out 2>tcg.log || { cat tcg.log; fail "--accel tcg run failed"; }
grep -qi 'probing KVM\|no usable KVM\|KVM not usable' tcg.log && { cat tcg.log; fail "--accel tcg talks about KVM"; }
json tcg/manifest.json 'j["accel_reason"]' | grep -q 'asked' || fail "--accel tcg: reason is not 'asked'"
ok "--accel tcg neither probes nor complains"

# The real probe (cached per host): run and doctor agree, and the run completes.
# (a cold boot: its boot breakdown is checked below)
"$VMSWEEP" run "${SHORT[@]}" --no-restore -o real >real.out 2>real.log || { cat real.log; fail "auto run failed"; }
"$VMSWEEP" doctor >doc.txt 2>&1 || { cat doc.txt; fail "doctor failed"; }
accel=$(json real/manifest.json 'j["accel"]')
reason=$(json real/manifest.json 'j["accel_reason"]')
[ -n "$reason" ] || fail "no accel_reason"
if [ "$accel" = kvm ]; then
	grep -q '^ok    KVM usable' doc.txt || fail "run used KVM but doctor does not say it is usable"
else
	grep -q '^ok .*KVM' doc.txt && { cat doc.txt; fail "run fell back to TCG ($reason) but doctor claims KVM"; }
	grep -q '^warn  KVM' doc.txt || fail "doctor says nothing about KVM"
fi
ok "real probe: accel=$accel ($reason), doctor agrees"

# CPU model truth: the check and the guest's view are recorded.
m=real/manifest.json
[ "$(json $m 'j["cpu_check"]["model"]')" = EPYC-Rome ] || fail "no cpu_check in the manifest"
json $m 'j["cpu_check"]["usable"]' | grep -qx 'yes\|no\|unknown' || fail "cpu_check.usable"
json $m 'type(j["sizes"][0]["guest_lacks_features"]).__name__' | grep -qx list || fail "no guest_lacks_features"
json $m 'j["sizes"][0]["guest"]["cpu_flags"]' | grep -qw sse2 || fail "guest cpu_flags missing"
# The boot breakdown is present and in order.
json $m 'all(k in j["sizes"][0]["timings_s"]["boot"] for k in ("kernel_s","init_s","network_s","guest_up_s","ssh_banner_s","ssh_s"))' | grep -qx True || fail "boot breakdown incomplete: $(json $m 'j["sizes"][0]["timings_s"]')"
json $m '(lambda b: 0 < b["kernel_s"] <= b["init_s"] <= b["network_s"] <= b["ssh_banner_s"] <= b["ssh_s"] and b["network_s"] <= b["guest_up_s"])(j["sizes"][0]["timings_s"]["boot"])' | grep -qx True || fail "boot breakdown not monotonic"
ok "cpu_check, guest features and boot breakdown recorded"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
pgrep -f 'guest=vmsweep-kvmprobe' >/dev/null && fail "a probe VM was left running"
ok "no VM left"
