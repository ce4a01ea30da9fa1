#!/bin/bash
# The guest is quiet while the agent measures: nothing but the agent and its runs wakes
# up (no polling loop forking sleep, no dead-man feed forking touch), and the manifest
# records what else ran (the agent's activity line).  (Dropbear's connection times are
# not compared with the rows': the guest's clock is set again after the state is saved,
# so the two clocks disagree by seconds on a first run.)
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 --workload sleep --arg us=1000 --concurrency 1,2 --runs 3 \
	--duration 2s --warmup 5 --timeout 20s --deadman 60s --no-plot -o out >stdout.txt 2>log.txt
rc=$?
[ $rc = 0 ] || { cat log.txt; fail "run exited $rc"; }
m=out/manifest.json
created=$(json $m 'j["sizes"][0]["guest_activity"]["processes_created"]') ||
	fail "no guest_activity in manifest.json"
other=$(json $m 'j["sizes"][0]["guest_activity"]["other_cpu_share"]')
wall=$(json $m 'j["sizes"][0]["guest_activity"]["wall_s"]')
# The agent's own: one child per run and its worker threads (c = 1, 2: 3 x 2 + 3 x 3 = 15,
# with a margin for helper threads).  A loop forking `sleep 0.2` alone made 5 a second.
python3 -c 'import sys; c, w = int(sys.argv[1]), float(sys.argv[2]); assert c <= 30 and w >= 12, (c, w)' \
	"$created" "$wall" || fail "$created processes or threads were created in the guest in ${wall}s"
python3 -c 'import sys; assert float(sys.argv[1]) < 0.02, sys.argv[1]' "$other" ||
	fail "other processes used $other of the guest's CPU during the sweep"
ok "quiet guest: $created processes/threads created in ${wall}s (the agent's), others used $other of its CPU"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
