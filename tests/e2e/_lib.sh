# Shared by the end-to-end tests (sourced).  They boot real VMs with real QEMU (TCG
# here) through the embedded libvirt driver, so each test cleans up after itself and
# checks that no QEMU of its own is left.
set -u
: "${VMSWEEP:?set by make check}" "${BUILD:?set by make check}"
T=$(mktemp -d "${TMPDIR:-/tmp}/vmsweep-e2e.XXXXXX")
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
cd "$T"

# Short sweeps: a few levels, one-second runs.  Runs a busy host starves are flagged but
# not measured again (--rerun-interfered 0): a test of something else must not depend on
# how busy the machine running it is (a pass measuring again adds a CSV); the tests of
# that (interference, busy_host) ask for the passes.
QUICK=(--workload cpu --arg work=20000 --concurrency 1,2 --duration 1s --warmup 5 --timeout 20s
	--rerun-interfered 0)

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
ok() { echo "ok: $*"; }

# QEMU processes started by vmsweep (their command line names a vmsweep domain).
qemu_pids() { pgrep -f 'qemu-system.*guest=vmsweep-' || true; }

cleanup() {
	local pids
	pids=$(jobs -p)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# json FILE EXPR: evaluate a Python expression on the parsed JSON as j.
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# csv_rows FILE: data rows of a CSV.
csv_rows() { echo $(($(wc -l <"$1") - 1)); }

# wait_for FILE PATTERN SECONDS: wait until the file contains the pattern.
wait_for() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# Nothing may be left running when a test starts.
[ -z "$(qemu_pids)" ] || fail "QEMU processes left by an earlier test: $(qemu_pids)"
[ -x "$VMSWEEP" ] || fail "no vmsweep binary at '$VMSWEEP'"
"$VMSWEEP" image list | grep -q '^tiny ' || skip "no guest image: run 'make image'"

# The system libvirt daemons, started by a test as its children and stopped by their PIDs
# (e2e/connect_system, e2e/connect_ssh).  sysd_check skips when the test cannot own them.
vsys() { timeout 20 virsh -c qemu:///system "$@"; }
stop_pid() { # stop PID: TERM, wait for it, fail if it lives on
	kill "$1" 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	fail "process $1 did not stop"
}
# Skip when user cannot reach QEMU's own files: seen in the chroot of
# ../shared/tools/fresh-machine.sh, whose '/' is a mktemp folder (mode 0700), so QEMU run as
# any user but root fails to load its modules ("accel-tcg-x86_64.so: Permission denied").
# That is the machine, not vmsweep: say it, skip.
other_user_skip() { # USER WHY
	id "$1" >/dev/null 2>&1 || return 0
	runuser -u "$1" -- test -r /usr/bin/qemu-system-x86_64 2>/dev/null ||
		skip "$2 '$1', who cannot read QEMU here ('/' is mode $(stat -c %a /))"
}
sysd_check() {
	[ "$(id -u)" = 0 ] || skip "the system daemon needs root"
	[ -x /usr/sbin/libvirtd ] && [ -x /usr/sbin/virtlogd ] || skip "no /usr/sbin/libvirtd or /usr/sbin/virtlogd (package libvirt-daemon)"
	command -v virsh >/dev/null || skip "no virsh (package libvirt-clients)"
	other_user_skip libvirt-qemu "the system daemon's QEMU runs as"
	# A daemon someone else runs is not ours to start or stop.
	local s
	for s in libvirt-sock virtlogd-sock; do
		python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' /run/libvirt/$s 2>/dev/null &&
			skip "a daemon already listens on /run/libvirt/$s"
	done
	return 0
}
# Start libvirtd (PID in $libvirtd), wait until it answers (a fresh daemon probes the QEMU
# binaries, x86_64, aarch64 and arm, before it answers for them: up to 3 minutes).
libvirtd_start() {
	/usr/sbin/libvirtd --pid-file "$T/libvirtd.pid" >libvirtd.log 2>&1 &
	libvirtd=$!
	local i
	for ((i = 0; i < 900; i++)); do vsys version >/dev/null 2>&1 && break; sleep 0.2; done
	vsys version >/dev/null 2>&1 && return 0
	# A QEMU the daemon's user cannot run (other_user_skip's case, if it was missed): the
	# daemon answers, but its capability probe never yields an x86_64 emulator.
	if grep -q 'Cannot find suitable emulator for x86_64' libvirtd.log; then
		tail -5 libvirtd.log
		stop_pid "$libvirtd"
		skip "this system libvirtd finds no QEMU for x86_64 (its capability probe fails here)"
	fi
	tail -30 libvirtd.log
	fail "libvirtd did not come up in 3 minutes"
}
# Start virtlogd (PID in $virtlogd) and wait for its socket.
virtlogd_start() {
	/usr/sbin/virtlogd --pid-file "$T/virtlogd.pid" >virtlogd.log 2>&1 &
	virtlogd=$!
	local i
	for ((i = 0; i < 100; i++)); do [ -S /run/libvirt/virtlogd-sock ] && break; sleep 0.1; done
}

# An sshd of the test's own on a loopback port, as the SSH server of a "remote" libvirt
# host (e2e/connect_ssh, e2e/connect_disk): sshd_check skips when there is none;
# sshd_start starts it (PID in $sshd, port in $port, root's client key $T/client, URI
# in $SSH_URI); sshd_restore (call it from the EXIT trap) puts back what it changed.
sshd_check() {
	[ -x /usr/sbin/sshd ] || skip "no /usr/sbin/sshd (package openssh-server: ci/install-deps.sh)"
	command -v ssh >/dev/null || skip "no ssh client (package openssh-client)"
}
sshd_kh=$(getent passwd root | cut -d: -f6)/.ssh/known_hosts
sshd_made_run=
sshd_restore() {
	# libvirt's ssh (no_verify=1: StrictHostKeyChecking=no) records the test sshd's key
	# in root's known_hosts: that file goes back as it was.
	[ -e "$T/sshd.started" ] || return 0
	if [ -e "$T/known_hosts.saved" ]; then cp -p "$T/known_hosts.saved" "$sshd_kh"; else rm -f "$sshd_kh"; fi
	[ -n "$sshd_made_run" ] && rmdir /run/sshd 2>/dev/null
	return 0
}
sshd_start() {
	if [ -e "$sshd_kh" ]; then cp -p "$sshd_kh" "$T/known_hosts.saved"; fi
	touch "$T/sshd.started"
	# sshd needs its privilege separation folder (the service makes it; no service here).
	[ -d /run/sshd ] || { mkdir -m 0755 /run/sshd && sshd_made_run=1; }
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || fail "cannot make the sshd host key"
	ssh-keygen -q -t ed25519 -N '' -f "$T/client" || fail "cannot make the client key"
	cp "$T/client.pub" "$T/authorized_keys"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf '%s\n' "Port $port" "ListenAddress 127.0.0.1" "HostKey $T/hostkey" "PidFile $T/sshd.pid" \
		"AuthorizedKeysFile $T/authorized_keys" "PermitRootLogin prohibit-password" \
		"PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" \
		"StrictModes no" "AllowTcpForwarding yes" >"$T/sshd_config"
	/usr/sbin/sshd -D -e -f "$T/sshd_config" 2>sshd.log &
	sshd=$!
	local i
	for ((i = 0; i < 50; i++)); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$port" 2>/dev/null && break
		sleep 0.1
	done
	kill -0 "$sshd" 2>/dev/null || { cat sshd.log; fail "sshd did not start"; }
	SSH_URI="qemu+ssh://root@127.0.0.1:$port/system?keyfile=$T/client&no_verify=1"
	ok "sshd on 127.0.0.1:$port"
}
