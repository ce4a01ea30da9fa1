#!/bin/bash
# A sweep through a user's session daemon (--connect qemu:///session): as an unprivileged
# user the test creates (and removes), with the image and client key copied into its own
# cache, libvirt starts that user's session daemon itself; the kernel and initrd go to a
# 'vmsweep' pool in the user's ~/.local/share/libvirt (a session daemon cannot write
# /var/lib/libvirt), the rows come back, nothing is left; the daemon libvirt started is
# stopped by its PID.
. "$(dirname "$0")/_lib.sh"
[ "$(id -u)" = 0 ] || skip "the test creates a user: it needs root"
command -v useradd >/dev/null && command -v runuser >/dev/null || skip "no useradd/runuser"
[ -x /usr/sbin/libvirtd ] || skip "no /usr/sbin/libvirtd (package libvirt-daemon)"
u=vmsweep-session-test
id "$u" >/dev/null 2>&1 && skip "user '$u' exists already: not ours"
home="$T/home"
useradd -M -d "$home" -s /bin/sh "$u" || fail "cannot create user '$u'"
runuser -u "$u" -- test -r /usr/bin/qemu-system-x86_64 2>/dev/null || {
	userdel "$u"
	skip "user '$u' cannot read QEMU here ('/' is mode $(stat -c %a /))"
}
sess_cleanup() {
	local p
	for p in $(pgrep -u "$u"); do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $(pgrep -u "$u"); do kill -9 "$p" 2>/dev/null; done
	userdel "$u" 2>/dev/null
	cleanup
}
trap sess_cleanup EXIT
# Its own copy of what it needs (a private T: /tmp/... 0700 is root's): the image and the
# client key the image trusts, the binaries.
mkdir -p "$home/.cache/vmsweep/images" "$home/run" "$home/bin"
cp -r "$XDG_CACHE_HOME/vmsweep/images/tiny" "$home/.cache/vmsweep/images/" || fail "cannot copy the image"
cp -r "$XDG_CACHE_HOME/vmsweep/keys" "$home/.cache/vmsweep/" || fail "cannot copy the client key"
cp "$VMSWEEP" "$AGENT" "$home/bin/"
chown -R "$u:" "$home"
chmod 0700 "$home/run"
chmod 0711 "$T"
as_user() {
	runuser -u "$u" -- env -i HOME="$home" XDG_CACHE_HOME="$home/.cache" XDG_RUNTIME_DIR="$home/run" \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin VMSWEEP_AGENT="$home/bin/$(basename "$AGENT")" "$@"
}
cd "$home" || fail "no home"
as_user "$home/bin/vmsweep" run --connect qemu:///session --vcpus 1 "${QUICK[@]}" --no-plot -o out \
	>stdout.txt 2>log.txt || { tail -30 log.txt; fail "run through qemu:///session failed"; }
m=out/manifest.json
[ "$(json $m 'j["libvirt_uri"]')" = qemu:///session ] || fail "manifest does not record the URI"
[ "$(json $m "j['sizes'][0]['status']")" = complete ] || fail "size not complete"
[ "$(csv_rows out/vcpus-1/sweep_*.csv)" -ge 2 ] || fail "no rows pulled"
ls "$home/.local/share/libvirt/vmsweep/" | grep -q '^vmsweep-[0-9a-f]\{64\}-' || fail "no image volume in the user's pool"
ok "sweep through qemu:///session: rows pulled, images in the user's pool"
as_user virsh -c qemu:///session list --all --name | grep -q '^vmsweep-' && fail "domain left in the session"
d=$(pgrep -u "$u" -x libvirtd || pgrep -u "$u" -x virtqemud)
[ -n "$d" ] && { kill $d; wait_gone() { for ((i = 0; i < 100; i++)); do kill -0 $d 2>/dev/null || return 0; sleep 0.1; done; return 1; }; wait_gone || fail "the session daemon $d did not stop"; }
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "no domain left; the session daemon stopped by its PID"
