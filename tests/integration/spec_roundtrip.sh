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
for p in "$sweeps"/epyc-*.json "$sweeps"/neoverse-*.json; do
	[ -e "$p" ] || continue
	check "profile $(basename "$p" .json)" --profile "$(basename "$p" .json)"
done
check "flags" --vcpus 1,2 --memory 2G --workload cpu --arg work=5000 --concurrency 1,2,4 \
	--duration 1500ms --timeout 20s --runs 3 --slo 'p99_us<=2000@2' --max-error-rate 1
echo "ok: $n printed specs read back and print themselves"

# One rule book: a value is accepted or refused alike as a flag and as a spec key.
same() { # verdict flag value json
	local want=$1 flag=$2 val=$3 json=$4 a b
	"$VMSWEEP" run "$flag" "$val" --print-spec >/dev/null 2>&1
	a=$?
	echo "$json" >"$tmp/s.json"
	"$VMSWEEP" run "$tmp/s.json" --print-spec >/dev/null 2>&1
	b=$?
	[ "$a" = "$want" ] && [ "$b" = "$want" ] ||
		fail "$flag '$val' exits $a, the spec $json exits $b (both should exit $want)"
}
same 0 --cpu-cap 0 '{"vm": {"cpu_cap": 0}}'
same 0 --cpu-cap 100 '{"vm": {"cpu_cap": 100}}'
same 2 --cpu-cap 101 '{"vm": {"cpu_cap": 101}}'
same 2 --cpu-model 'EPYC Rome<x>' '{"vm": {"cpu_model": "EPYC Rome<x>"}}'
same 0 --cpu-model EPYC-Rome '{"vm": {"cpu_model": "EPYC-Rome"}}'
same 2 --workload foo '{"agent": {"workload": "foo"}}'
same 2 --max-duration 500ms '{"agent": {"max_duration": "500ms"}}'
same 2 --topology 1:1:8:1 '{"vm": {"topology": "1:1:8:1"}}' # 8 vCPUs for the default size 2
"$VMSWEEP" run --max-error-rate 5% --print-spec >/dev/null 2>&1 || fail "--max-error-rate 5% is refused (compare takes it)"
echo "ok: flags and spec keys follow the same rules"
