#!/bin/bash
# --rate: an open loop at a constant arrival rate with latency from each operation's
# intended start (coordinated omission corrected).  One worker sleeping 2 ms can do 500
# operations a second: offered 1000/s it falls behind, the queue grows over the run and
# the median latency is far above 2 ms, with the achieved rate well below the offered
# one; offered 250/s it keeps up and the median is ~2 ms.  A closed loop would report
# ~2 ms in both cases.
. "$(dirname "$0")/_vmsweep.sh"
cd "$tmp"
sweep() { # NAME RATE
	"$VMSWEEP" local --workload sleep --arg us=2000 --concurrency 1 --rate "$2" --duration 3s \
		--warmup 5 --no-plot -q -o "$1" >"$1.out" 2>"$1.err" || { cat "$1.err"; fail "--rate $2 failed"; }
}
sweep over 1000
sweep under 250
python3 - over/sweep_*.csv under/sweep_*.csv <<'PY' || fail "open-loop numbers wrong"
import csv, sys
over, under = (list(csv.DictReader(open(p)))[0] for p in sys.argv[1:3])
q, p50, off = float(over["qps"]), float(over["p50_us"]), float(over["offered_qps"])
print("offered 1000/s: qps %.0f, p50 %.0f us" % (q, p50))
assert off == 1000, off
assert p50 > 20000, "overloaded, yet p50 = %.0f us" % p50
assert q < 700, "one 2 ms worker achieved %.0f/s" % q
q, p50, off = float(under["qps"]), float(under["p50_us"]), float(under["offered_qps"])
print("offered 250/s: qps %.0f, p50 %.0f us" % (q, p50))
assert off == 250, off
assert 1900 <= p50 <= 5000, "p50 = %.0f us at a rate it keeps up with" % p50
assert abs(q - 250) <= 25, "achieved %.0f/s of 250" % q
PY
# A closed loop leaves offered_qps empty; a workload with its own loop refuses --rate.
"$VMSWEEP" local --workload sleep --arg us=100 --concurrency 1 --duration 1s --warmup 5 --no-plot \
	-q -o closed >/dev/null 2>&1 || fail "closed loop failed"
python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1])))[0]; assert r["offered_qps"]=="", r' \
	closed/sweep_*.csv || fail "a closed loop has an offered rate"
"$VMSWEEP" local --workload cmd --arg cmd=true --rate 10 --concurrency 1 --duration 1s -o never 2>err.txt
[ $? = 2 ] && grep -q "invalid --rate '10': the 'cmd' workload runs its own loop" err.txt ||
	{ cat err.txt; fail "--rate with the cmd workload was not refused"; }
[ ! -e never ] || fail "bad input created the output folder"
echo "ok: open loop queues past capacity and matches the rate below it"
