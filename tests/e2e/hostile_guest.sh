#!/bin/bash
# The guest is untrusted.  A guest that floods stdout and stderr without newlines, lists
# endless files, offers a sparse huge file, writes terminal escapes in file names and on
# its console, and tries to reach a listener on the host's 127.0.0.1: each is bounded,
# reported, and the host is left intact (the harness's memory stays small, no escape
# byte reaches the terminal, nothing reaches the listener).
. "$(dirname "$0")/_lib.sh"

# A listener on the host's loopback that records whoever connects.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
while True:
    c, a = s.accept(); open("reached", "a").write("%s\n" % (a,)); c.close()
' "$port" &
listener=$!

esc=$(printf '\033')
setup=(
	# Reach the host's loopback through the user network's gateway.
	# (busybox's static wget crashes on a refused connection: nc's exit status is the verdict.)
	--setup "if echo probe | nc -w 5 10.0.2.2 $port; then echo HOST-REACHED >&2; else echo HOST-BLOCKED >&2; fi; true"
	# 120 MB on stdout and 120 MB on stderr, without a newline (kept whole, they would
	# take the harness past the 100 MiB checked below).
	--setup "head -c 120000000 /dev/zero | tr '\\0' x; true"
	--setup "head -c 120000000 /dev/zero | tr '\\0' y >&2; true"
	# Terminal escapes on the console and in a file name; 5000 stray files (the listing cap
	# itself is tested against an endless listing in tests/unit/test_guest_hostile); a sparse 15 GiB
	# file where the agent's output goes.
	--setup "printf '${esc}]0;pwned\\007${esc}[2Jconsole-escape\\n' >/dev/console; true"
	--setup "cd /results/out && touch \"\$(printf 'sweep_${esc}]0;pwned\\007.csv')\" && seq 5000 | sed s/^/junk/ | xargs touch && truncate -s 15G sweep_huge.jsonl"
)
"$VMSWEEP" run --vcpus 1 --workload noop --concurrency 1 --duration 1s --no-plot -o out "${setup[@]}" >out.txt 2>log.txt &
pid=$!
peak=0
while kill -0 $pid 2>/dev/null; do
	hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status 2>/dev/null)
	[ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
	sleep 0.2
done
wait $pid
rc=$?
kill $listener 2>/dev/null
echo "exit $rc, harness peak RSS ${peak} KiB"
sed -n '1,200p' log.txt | cut -c1-200

grep -q HOST-BLOCKED log.txt || fail "the guest's attempt on the host's loopback did not report (setup output missing)"
grep -q HOST-REACHED log.txt && fail "the guest reached a service on the host's 127.0.0.1"
[ ! -s reached ] || fail "the host listener was reached: $(cat reached)"
ok "the guest cannot reach the host's loopback"

[ "$peak" -gt 0 ] && [ "$peak" -lt 102400 ] || fail "the harness grew to ${peak} KiB with a flooding guest (cap: 100 MiB)"
ok "240 MB of guest output without newlines kept the harness at ${peak} KiB"

grep -q "$esc" log.txt out.txt && fail "a terminal escape byte from the guest reached the terminal"
grep -q 'x1b\]0;pwned' log.txt || fail "the escaped file name is not reported"
ok "no escape byte from the guest reached the terminal; the hostile name is reported escaped"

grep -qi 'sweep_huge.jsonl' log.txt || fail "the huge file is not reported"
[ ! -e out/vcpus-1/sweep_huge.jsonl ] || fail "the huge file was pulled"
[ "$(find out -name 'junk*' | wc -l)" = 0 ] || fail "junk files were pulled"
grep -q "not pulling 500[0-9] files" log.txt || fail "the files the agent does not write are not reported"
[ -z "$(find out -name '.*tmp*')" ] || fail "temporary files left in the output"
ok "listing and file size caps held"
grep -q 'console-escape' out/vcpus-1/console.log || fail "console.log lacks the guest's console line"
csv=$(ls out/vcpus-1/sweep_2*.csv 2>/dev/null | head -1)
[ -n "$csv" ] && [ "$(csv_rows "$csv")" = 1 ] || fail "the sweep's own CSV was not brought home"
ok "the sweep's rows came home"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "no VM left"
