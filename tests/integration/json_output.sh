#!/bin/bash
# `compare --json` and `plot --json`: one JSON document on stdout (nothing else there),
# every field docs/json.md documents present with its documented type, exit codes
# unchanged.
. "$(dirname "$0")/_vmsweep.sh"
data=$root/tests/data

check() { # command json-file
	python3 - "$root/docs/json.md" "$1" "$2" <<'PY' || fail "$1 --json does not match docs/json.md"
import json, re, sys
doc, cmd, path = sys.argv[1:]
text = open(doc).read()
m = re.search(r"^## .*`vmsweep %s --json`.*$" % cmd, text, re.M)
assert m, "docs/json.md has no section for " + cmd
section = text[m.end():].split("\n## ")[0]
rows = re.findall(r"^\| `([a-z_0-9]+)` \| ([a-z ]+) \|", section, re.M)
assert rows, "no field table for " + cmd
out = open(path).read()
assert out.count("\n") == 1 and out.endswith("\n"), "not one line"
j = json.loads(out)
types = {"number": (int, float), "string": str, "boolean": bool, "array": list,
         "object": dict, "object or null": (dict, type(None)),
         "array or null": (list, type(None))}
for name, typ in rows:
    assert name in j, "missing field " + name
    assert isinstance(j[name], types[typ]), "%s is %r, documented %s" % (name, j[name], typ)
assert j["command"] == cmd
PY
}

"$VMSWEEP" compare "$data/compare/base.csv" "$data/compare/regress.csv" --json --slo 'p99<=3ms' >"$tmp/c.json" 2>"$tmp/c.err"
[ $? = 3 ] || fail "compare --json of a regression: exit not 3"
check compare "$tmp/c.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["verdict"]=="regression" and j["exit_code"]==3 and j["counts"]["regressed"]>0 and j["slo"]["checks"]>0, j' "$tmp/c.json" ||
	fail "compare --json: wrong verdict or counts"
"$VMSWEEP" compare "$data/compare/base1.csv" "$data/compare/regress1.csv" --json >"$tmp/c4.json" 2>/dev/null
[ $? = 4 ] || fail "compare --json, inconclusive: exit not 4"
check compare "$tmp/c4.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert all(l["runs_needed"]>=5 for l in j["levels"] + j["curves"] if l["verdict"]=="inconclusive"), j' "$tmp/c4.json" ||
	fail "compare --json: inconclusive levels do not say the runs needed"
python3 - "$tmp/c.json" <<'PY' || fail "compare --json: estimates without intervals"
import json, sys
j = json.load(open(sys.argv[1]))
for e in j["levels"] + j["curves"]:
    lo, hi = e["ci95_pct"]
    assert lo <= e["change_pct"] <= hi, e
assert j["curves"][0]["tested"] and j["curves"][0]["verdict"] == "regression", j["curves"]
assert "level" in j["decided_by_tests"] and "curve" in j["decided_by_tests"], j
PY
echo "ok: compare --json"

"$VMSWEEP" plot "$data/plot/scaling.csv" -o "$tmp/p" --json >"$tmp/p.json" 2>"$tmp/p.err" || fail "plot --json failed: $(cat "$tmp/p.err")"
check plot "$tmp/p.json"
python3 - "$tmp/p.json" "$tmp/p" <<'PY' || fail "plot --json: files or knees wrong"
import json, os, sys
j = json.load(open(sys.argv[1]))
assert j["dir"] == sys.argv[2]
for f in j["files"]:
    assert os.path.isfile(os.path.join(j["dir"], f)), f
assert j["knees"] == json.load(open(os.path.join(j["dir"], "knee.json")))
PY
echo "ok: plot --json"

"$VMSWEEP" local --workload noop --concurrency 1,2 --duration 200ms --warmup 0 --json -o "$tmp/l" >"$tmp/l.json" 2>"$tmp/l.err" ||
	fail "local --json failed: $(cat "$tmp/l.err")"
check local "$tmp/l.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["exit_code"]==0 and j["manifest"] is None and j["knees"][0]["plan"]=="noop", j' "$tmp/l.json" ||
	fail "local --json: wrong content"
echo "ok: local --json"
