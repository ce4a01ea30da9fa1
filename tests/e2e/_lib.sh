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
