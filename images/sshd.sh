#!/bin/sh
# sshd for busybox init to respawn.  /init starts dropbear as soon as the network is up,
# before init runs; this first waits for that one to end (e.g. killed), then runs its own,
# which init respawns from then on.  The wait blocks on a FIFO that /init's subshell
# opens when its dropbear exits: nothing wakes up in the guest meanwhile.
if [ -p /run/dropbear.done ]; then
	read -r _ </run/dropbear.done
	rm -f /run/dropbear.done
fi
exec /usr/sbin/dropbear -F -E -s -g -W 1048576 -p 22 -r /etc/dropbear/dropbear_ed25519_host_key
