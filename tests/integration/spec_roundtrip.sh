#!/bin/bash
# Everything the tool writes, it can read back: for every spec and profile in sweeps/,
# the spec `--print-spec` prints is accepted by `vmsweep run` and prints the same spec
# again (the manifest records the same text, so a recorded run can be replayed from it).
set -u
VMSWEEP=${VMSWEEP:-}
[ -x "$VMSWEEP" ] || { echo "SKIP: \$VMSWEEP is not an executable"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
sweeps=$(dirname "$(dirname "$here")")/sweeps
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
n=0
check() { # label args...
	local label=$1
	shift
	"$VMSWEEP" run "$@" --print-spec >"$tmp/a.json" 2>"$tmp/err" || { cat "$tmp/err"; fail "$label: --print-spec failed"; }
	"$VMSWEEP" run "$tmp/a.json" --print-spec >"$tmp/b.json" 2>"$tmp/err" ||
		{ cat "$tmp/err"; fail "$label: the printed spec is refused"; }
	python3 - "$tmp/a.json" "$tmp/b.json" <<'PY' || fail "$label: the printed spec does not print itself"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for j in (a, b):
    j.pop("source", None)
assert a == b, (a, b)
PY
	n=$((n + 1))
}
for f in "$sweeps"/*.json; do
	name=$(basename "$f" .json)
	if python3 -c 'import json,sys; sys.exit(0 if "vm" in json.load(open(sys.argv[1])) or "agent" in json.load(open(sys.argv[1])) else 1)' "$f"; then
		check "$name (file)" "$f"
	fi
done
for p in "$sweeps"/epyc-*.json; do
	[ -e "$p" ] || continue
	check "profile $(basename "$p" .json)" --profile "$(basename "$p" .json)"
done
check "flags" --vcpus 1,2 --memory 2G --workload cpu --arg work=5000 --concurrency 1,2,4 \
	--duration 1500ms --timeout 20s --runs 3 --slo 'p99_us<=2000@2' --max-error-rate 1
echo "ok: $n printed specs read back and print themselves"
