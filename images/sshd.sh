#!/bin/sh
# sshd for busybox init to respawn.  /init starts dropbear as soon as the network is up,
# before init runs; this first waits for that one to end (e.g. killed), then runs its own,
# which init respawns from then on.
if [ -f /run/dropbear.early ]; then
	pid=$(cat /run/dropbear.early)
	rm -f /run/dropbear.early
	while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
fi
exec /usr/sbin/dropbear -F -E -s -g -W 1048576 -p 22 -r /etc/dropbear/dropbear_ed25519_host_key
