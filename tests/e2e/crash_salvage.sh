#!/bin/bash
# The guest kernel crashes mid-sweep (sysrq): the harness destroys the VM, salvages every
# completed row from the results disk with libguestfs and marks the size incomplete.
. "$(dirname "$0")/_lib.sh"
# The crash comes from the benchmark itself at concurrency 4, after two complete levels.
"$VMSWEEP" run --vcpus 1 --workload cmd --arg 'cmd=/root/bench.sh {concurrency}' \
	--push "$(dirname "$0")/../data/bench_crash.sh:/root/bench.sh" --concurrency 1,2,4,8 \
	--duration 1s --warmup 0 --timeout 30s --no-plot -o out 2>log.txt
rc=$?
cat log.txt
[ $rc = 1 ] || fail "exit code $rc, expected 1 (incomplete)"
m=out/manifest.json
[ "$(json $m 'j["sizes"][0]["status"]')" = incomplete ] || fail "size not marked incomplete"
[ "$(json $m 'j["sizes"][0].get("salvaged")')" = True ] || fail "rows not salvaged from the disk"
csv=$(ls out/vcpus-1/sweep_*.csv) || fail "no CSV salvaged"
rows=$(csv_rows "$csv")
[ "$rows" = 2 ] || fail "expected the 2 rows completed before the crash, got $rows"
# Every level the agent reported as done before the crash is on disk.
done_levels=$(grep -c 'level .*concurrency=.*qps=' log.txt || true)
[ "$rows" -ge "$done_levels" ] || fail "$done_levels levels reported, only $rows rows salvaged"
grep -q 'Kernel panic\|sysrq\|SysRq' out/vcpus-1/console.log || fail "console log does not show the crash"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "$rows rows salvaged after a guest crash"
