#!/bin/bash
# An EPYC 7002 profile boots the guest it describes, even under TCG on a small host:
# epyc-rome-8c-nps2 is 8 vCPUs on one core die (1:1:8:1) with 2 NUMA nodes.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --profile epyc-rome-8c-nps2 --workload noop --concurrency 1 --duration 1s \
	--warmup 0 --timeout 20s --no-plot -o out 2>log.txt || { cat log.txt; fail "run failed"; }
m=out/manifest.json
[ "$(json $m 'j["sizes"][0]["guest"]["online_cpus"]')" = 8 ] || fail "guest does not see 8 CPUs"
[ "$(json $m 'len(j["sizes"][0]["guest"]["numa_nodes"])')" = 2 ] || fail "guest does not see 2 NUMA nodes"
json $m 'j["sizes"][0]["domain_xml"]' | grep -q "<topology sockets='1' dies='1' cores='8' threads='1'/>" ||
	fail "domain XML lacks the profile's topology"
json $m 'j["sizes"][0]["guest"]["cpu_model"]' | grep -q EPYC-Rome || fail "not an EPYC-Rome guest"
[ "$(json $m 'j["spec"]["applied_profile"]')" = epyc-rome-8c-nps2 ] || fail "manifest does not name the profile"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "epyc-rome-8c-nps2: 8 EPYC-Rome CPUs in 2 NUMA nodes"
