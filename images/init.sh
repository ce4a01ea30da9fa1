#!/bin/sh
# vmsweep guest /init (tiny image): bring the machine up, then hand over to busybox init,
# which reaps orphans and respawns sshd and the dead-man switch (see /etc/inittab).
export PATH=/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
exec </dev/console >/dev/console 2>&1
# The harness times the boot by this line (and the kernel banner before it).
echo "vmsweep: init started"
# Each step's end on the console, in seconds since the kernel started (boot profiling).
step() {
	read -r up _ </proc/uptime
	echo "vmsweep: step $1 done at ${up}s"
}

param() { # value of vmsweep.$1= on the kernel command line, else $2
	for w in $(cat /proc/cmdline); do
		case $w in "vmsweep.$1="*) echo "${w#*=}"; return ;; esac
	done
	echo "$2"
}

# Modules in dependency order: modprobe reads the modules.dep the image build wrote.
load() { # module list file
	[ -r "$1" ] || return 0
	for m in $(cat "$1"); do modprobe "$m" 2>/dev/null || echo "vmsweep: cannot load module '$m'"; done
}
load /etc/vmsweep/modules
step modules

# Disk images: the initramfs finds the root filesystem (root=UUID=... or root=/dev/...)
# and hands over to the same /init on it, which knows it is on the disk by its marker.
root=$(sed -n 's/.*\broot=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$root" ] && [ ! -e /etc/vmsweep/disk-root ]; then
	load /etc/vmsweep/modules.late
	dev=
	for i in $(seq 50); do
		case $root in UUID=*) dev=$(findfs "$root" 2>/dev/null) ;; *) [ -b "$root" ] && dev=$root ;; esac
		[ -n "$dev" ] && break
		sleep 0.1
	done
	mkdir -p /newroot
	if [ -n "$dev" ] && mount -t ext4 -o rw,noatime "$dev" /newroot; then
		umount /dev/pts /dev/shm /tmp /run 2>/dev/null
		mount --move /dev /newroot/dev
		umount /proc /sys
		exec switch_root /newroot /init
	fi
	echo "vmsweep: cannot mount root '$root'; staying in the initramfs"
fi

hostname vmsweep
ip link set lo up
for dev in /sys/class/net/e*; do
	[ -e "$dev" ] || continue
	nic=${dev##*/}
	ip link set "$nic" up
	if [ "$(param net user)" = dhcp ]; then
		udhcpc -q -n -t 5 -i "$nic" -s /etc/vmsweep/udhcpc.script >/dev/null 2>&1 || echo "vmsweep: DHCP failed on $nic"
	else
		ip addr add 10.0.2.15/24 dev "$nic"
		ip route add default via 10.0.2.2
	fi
	break
done
step network
# SSH as soon as the network is up: the host is waiting for it.  (/etc/vmsweep/sshd.sh,
# which init respawns, takes over when this one ends: the subshell opens the FIFO when
# dropbear exits, which wakes sshd.sh blocked on it.  No polling: a loop of `sleep 0.2`
# forked five processes a second in the guest while it measured.)
mkfifo -m 0600 /run/dropbear.done
(
	/usr/sbin/dropbear -F -E -s -g -W 1048576 -p 22 -r /etc/dropbear/dropbear_ed25519_host_key
	: >/run/dropbear.done
) &
step sshd

# The results disk's filesystem, while the host does its SSH handshake; the host's first
# command waits for /run/vmsweep.boot, written once the disk is mounted.
load /etc/vmsweep/modules.late
step fs-modules

# The results disk is the virtio disk whose serial the harness set.
mkdir -p /results
for b in /sys/block/vd*; do
	[ -e "$b/serial" ] || continue
	if [ "$(cat "$b/serial")" = vmsweep-results ]; then
		mount -t ext4 -o noatime "/dev/${b##*/}" /results && echo "vmsweep: results disk /dev/${b##*/} on /results"
	fi
done

step results-disk

param deadman 300 > /run/vmsweep.deadman
touch /run/vmsweep.feed
echo "vmsweep: guest up: $(nproc) CPUs, kernel $(uname -r), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
# Last: the host's first command waits for this file (its guest-up milestone is out).
date +%s > /run/vmsweep.boot
exec /sbin/init
