#!/bin/bash
# aarch64 guests (issue 17): the tiny image built from Debian's arm64 packages boots on
# QEMU's virt machine under TCG with the default Arm model (Neoverse-N1), two NUMA cells
# and the cross-built static agent; the sweep has one row per level and the manifest says
# what ran: arch, machine, model, and the guest's own view (uname -m, MIDR part, nodes).
. "$(dirname "$0")/_lib.sh"
[ -x "$BUILD/vmsweep-agent-aarch64" ] || fail "no aarch64 agent: make builds it when aarch64-linux-gnu-gcc is installed (ci/install-deps.sh)"
"$VMSWEEP" image build --arch aarch64 -q || fail "cannot build the aarch64 image"
"$VMSWEEP" image inspect tiny-aarch64 | grep -q '"arch":[[:space:]]*"aarch64"' || fail "the image manifest does not say aarch64"
"$VMSWEEP" run --arch aarch64 --vcpus 2 --numa 2 --workload cpu --arg work=20000 --rerun-interfered 0 \
	--concurrency 1,2 --duration 1s --warmup 5 --timeout 20s -o out >stdout.txt 2>log.txt ||
	{ tail -30 log.txt; fail "aarch64 run failed"; }
m=out/manifest.json
[ "$(json $m 'j["arch"]')" = aarch64 ] || fail "manifest arch is not aarch64"
[ "$(json $m 'j["machine"]')" = virt ] || fail "manifest machine is not virt"
[ "$(json $m 'j["accel"]')" = tcg ] || fail "an aarch64 guest on this host is not under TCG"
[ "$(json $m 'j["spec"]["vm"]["cpu_model"]')" = neoverse-n1 ] || fail "the default Arm model is not neoverse-n1"
g="j['sizes'][0]['guest']"
[ "$(json $m "$g['arch']")" = aarch64 ] || fail "the guest does not say aarch64 (uname -m)"
[ "$(json $m "len($g['numa_nodes'])")" = 2 ] || fail "the guest does not see two NUMA nodes"
[ "$(json $m "$g['online_cpus']")" = 2 ] || fail "the guest does not see 2 CPUs"
json $m "$g['cpu_model']" | grep -q 'Neoverse-N1 (MIDR implementer 0x41 part 0xd0c)' ||
	fail "the guest's CPU is not named from its MIDR: $(json $m "$g['cpu_model']")"
json $m "j['sizes'][0]['domain_xml']" | grep -q "<type arch='aarch64' machine='virt'>" ||
	fail "the recorded domain is not an aarch64 virt machine"
csv=$(ls out/vcpus-2/sweep_*.csv) || fail "no CSV"
[ "$(csv_rows "$csv")" = 2 ] || fail "expected one row per level in $csv"
[ -s out/knee.json ] || fail "no analysis"
ok "aarch64: $(json $m "$g['cpu_model']"), $(json $m "len($g['numa_nodes'])") nodes, rows: $(csv_rows "$csv")"
# One run with an x86_64 size and an aarch64 size (--arch x86_64,aarch64): each size boots
# its architecture's image, model and agent; each CSV row says its architecture, and two
# architectures are two series (plan@arch), in knee.json and the plots.
head -1 "$csv" | grep -q ',arch$' || fail "the CSV has no arch column"
[ "$(tail -1 "$csv" | awk -F, '{print $NF}')" = aarch64 ] || fail "the rows do not say aarch64"
"$VMSWEEP" run "${QUICK[@]}" --arch x86_64,aarch64 --vcpus 1 -o both >/dev/null 2>both.txt ||
	{ tail -20 both.txt; fail "the run of both architectures failed"; }
m=both/manifest.json
[ "$(json $m '[z["arch"] for z in j["sizes"]]')" = "['x86_64', 'aarch64']" ] ||
	fail "the sizes are not one x86_64 and one aarch64: $(json $m '[z.get("arch") for z in j["sizes"]]')"
[ "$(json $m '[z["dir"] for z in j["sizes"]]')" = "['vcpus-1-x86_64', 'vcpus-1-aarch64']" ] ||
	fail "the size folders do not name their architecture"
[ "$(json $m 'sorted(j["arches"])')" = "['aarch64', 'x86_64']" ] || fail "manifest arches does not hold both"
[ "$(json $m 'j["arches"]["aarch64"]["cpu_check"]["model"]')" = neoverse-n1 ] || fail "the aarch64 size's model is not neoverse-n1"
[ "$(json $m 'j["arches"]["x86_64"]["cpu_check"]["model"]')" = EPYC-Rome ] || fail "the x86_64 size's model is not EPYC-Rome"
[ "$(json $m 'j["arches"]["aarch64"]["image"]["name"]')" = tiny-aarch64 ] || fail "the aarch64 size did not boot tiny-aarch64"
[ "$(json $m 'j["sizes"][1]["guest"]["arch"]')" = aarch64 ] || fail "the aarch64 guest does not say aarch64"
[ "$(json $m 'j["sizes"][0]["guest"]["arch"]')" = x86_64 ] || fail "the x86_64 guest does not say x86_64"
[ "$(csv_rows both/vcpus-1-aarch64/sweep_*.csv)" = 2 ] && [ "$(csv_rows both/vcpus-1-x86_64/sweep_*.csv)" = 2 ] ||
	fail "expected one row per level for each architecture"
[ "$(json both/knee.json 'sorted(g["plan"] for g in j)')" = "['cpu@aarch64', 'cpu@x86_64']" ] ||
	fail "knee.json does not hold one series per architecture: $(json both/knee.json '[g["plan"] for g in j]')"
grep -q 'several architectures' both/knee_summary.txt || fail "the summary does not say the series are architectures"
grep -q "cpu@aarch64" both/plots.gp && grep -q "cpu@x86_64" both/plots.gp || fail "the plots do not name both series"
ok "one run of an x86_64 and an aarch64 size: two series in knee.json and the plots"
# One architecture's model with several is an input error, before any VM.
"$VMSWEEP" run --arch x86_64,aarch64 --cpu-model EPYC-Milan --vcpus 1 -o mixed >/dev/null 2>mixed.txt
[ $? = 2 ] && grep -q "one architecture's model" mixed.txt || fail "a model with two architectures is not refused with exit 2"
# KVM cannot run another architecture: asked for, it is an input error, before any VM.
"$VMSWEEP" run --arch aarch64 --accel kvm --vcpus 1 -o kvm >/dev/null 2>kvm.txt
[ $? = 2 ] && grep -q "KVM cannot run aarch64 guests" kvm.txt || fail "--accel kvm with aarch64 is not refused with exit 2"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
