#!/bin/bash
# Two `vmsweep run` at the same time: separate embed roots, ports and disks; both finish.
. "$(dirname "$0")/_lib.sh"
"$VMSWEEP" run --vcpus 1 "${QUICK[@]}" --no-plot -o a 2>a.log &
p1=$!
"$VMSWEEP" run --vcpus 1 "${QUICK[@]}" --no-plot -o b 2>b.log &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] || { cat a.log b.log; fail "exit codes $r1 and $r2"; }
for d in a b; do
	[ "$(csv_rows $(ls $d/vcpus-1/sweep_*.csv))" = 2 ] || fail "run $d lacks rows"
done
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "two parallel runs complete"
