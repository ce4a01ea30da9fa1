#!/bin/bash
# A two-size sweep (1 and 2 vCPUs): every size complete, one row per level, the guest
# sees the model and vCPUs asked for, the analysis and the scaling plot are written.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1,2 "${QUICK[@]}" --slo 'qps>=1' -o out >stdout.txt 2>log.txt || { cat log.txt; fail "run failed"; }
m=out/manifest.json
[ "$(json $m 'len(j["sizes"])')" = 2 ] || fail "manifest does not list two sizes"
for i in 0 1; do
	v=$((i + 1))
	[ "$(json $m "j['sizes'][$i]['status']")" = complete ] || fail "size $v not complete"
	[ "$(json $m "j['sizes'][$i]['guest']['online_cpus']")" = $v ] || fail "guest of size $v does not see $v CPUs"
	json $m "j['sizes'][$i]['guest']['cpu_model']" | grep -q 'EPYC-Rome' || fail "guest CPU is not EPYC-Rome"
	csv=$(ls out/vcpus-$v/sweep_*.csv) || fail "no CSV for $v vCPUs"
	[ "$(csv_rows "$csv")" = 2 ] || fail "expected 2 rows in $csv"
	head -1 "$csv" | grep -q '^ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,run_idx,qps,p50_us,p90_us,p99_us,max_us,ru_maxrss,exit_code,timeout_killed' || fail "CSV header"
	[ "$(tail -1 "$csv" | cut -d, -f3)" = $v ] || fail "CSV vcpus column is not $v"
done
ok "two sizes complete, guests report EPYC-Rome with 1 and 2 CPUs"
for f in knee_summary.txt knee.json qps_vs_concurrency.png scaling.png report.html; do
	[ -s out/$f ] || fail "analysis file $f missing"
done
grep -q 'knee' stdout.txt || fail "no knee summary on stdout"
[ "$(json $m 'j["accel"]')" != "" ] || fail "manifest has no accelerator"
json $m 'j["sizes"][0]["timings_s"]["boot_to_ssh_s"]' >/dev/null || fail "no boot timing"
[ "$(json $m 'len(j["slo_checks"])')" = 4 ] || fail "manifest lacks the 4 SLO checks (2 sizes x 2 levels)"
grep -q '^SLO qps>=1 .* ok$' stdout.txt || fail "SLO checks not printed"
# The report says what ran where and the gates' verdict, and links the run's files.
grep -qF 'SLO gates: 4 check(s) met, 0 violated' out/report.html || fail "report.html lacks the SLO verdict"
grep -qF '<h2>Run</h2>' out/report.html || fail "report.html lacks the run's context"
grep -qF 'href="vcpus-1/console.log"' out/report.html || fail "report.html does not link the run's files"
ok "analysis written, manifest has accel, timings and SLO checks"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "no VM left"
