#!/bin/bash
# A 2-vCPU VM with 2 NUMA cells and a 50% per-vCPU cap: the guest sees two NUMA nodes,
# and the quota libvirt reports for the running domain is the one asked for.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 2 --numa 2 --memory 1G --cpu-cap 50 --topology 1:1:2:1 "${QUICK[@]}" --no-plot -o out 2>log.txt || { cat log.txt; fail "run failed"; }
m=out/manifest.json
[ "$(json $m 'j["sizes"][0]["status"]')" = complete ] || fail "not complete"
[ "$(json $m 'len(j["sizes"][0]["guest"]["numa_nodes"])')" = 2 ] || fail "guest does not see 2 NUMA nodes"
[ "$(json $m 'j["sizes"][0]["guest"]["online_cpus"]')" = 2 ] || fail "guest does not see 2 CPUs"
ok "guest sees 2 CPUs in 2 NUMA nodes"
grep -q "<numa>" <(json $m 'j["sizes"][0]["domain_xml"]') || fail "domain XML has no NUMA cells"
[ "$(json $m 'j["sizes"][0]["caps_in_force"]["vcpu_quota_us"]')" = 50000 ] || fail "quota in force is not 50000us"
[ "$(json $m 'j["sizes"][0]["caps_in_force"]["as_requested"]')" = True ] || fail "caps not as requested"
ok "CPU quota 50000us per 100000us in force"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
