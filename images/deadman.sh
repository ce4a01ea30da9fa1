#!/bin/sh
# Dead-man switch: power the guest off when the host has not touched /run/vmsweep.feed
# for vmsweep.deadman seconds (0 disables), so a VM whose controller died stops burning CPU.
limit=$(cat /run/vmsweep.deadman 2>/dev/null || echo 300)
[ "$limit" -gt 0 ] 2>/dev/null || exec sleep 2147483647
# Look a few times per period, not every second or two: each look forks date and stat,
# and the guest should be quiet while the agent measures (the VM stops within 1.25 x
# the period of the last feed).
every=$((limit / 4))
[ "$every" -ge 1 ] || every=1
while sleep "$every"; do
	now=$(date +%s)
	last=$(stat -c %Y /run/vmsweep.feed 2>/dev/null || echo 0)
	if [ $((now - last)) -ge "$limit" ]; then
		echo "vmsweep: dead-man switch: no word from the host for ${limit}s, powering off" >/dev/console
		sync
		poweroff -f
	fi
done
