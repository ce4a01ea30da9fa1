#!/bin/bash
# The committed man pages, completions and the key table of sweeps/README.md are what the
# option tables give today (`make docs` rewrites them); the generated files are valid:
# the man pages render without warnings, the bash completion parses and completes.
. "$(dirname "$0")/_vmsweep.sh"

cp "$root/sweeps/README.md" "$tmp/README.md"
"$VMSWEEP" gen-docs "$tmp/gen" "$tmp/README.md" || fail "gen-docs failed"
for f in vmsweep.1 vmsweep-agent.1 vmsweep.bash _vmsweep csv-columns.md; do
	diff -u "$root/docs/generated/$f" "$tmp/gen/$f" >"$tmp/diff" ||
		{ head -40 "$tmp/diff"; fail "docs/generated/$f is stale: run 'make docs'"; }
done
diff -u "$root/sweeps/README.md" "$tmp/README.md" >"$tmp/diff" ||
	{ head -40 "$tmp/diff"; fail "sweeps/README.md's key table is stale: run 'make docs'"; }
echo "ok: generated docs match the tables"

# The CSV documentation names every column the agent writes, in order.
head -1 "$(ls "$root"/tests/data/agent/rows.csv 2>/dev/null || echo /dev/null)" | tr , '\n' >"$tmp/cols"
[ -s "$tmp/cols" ] || fail "no golden CSV to take the header from"
grep -o '^| [0-9]* | `[a-z_0-9]*`' "$tmp/gen/csv-columns.md" | sed 's/.*`\(.*\)`/\1/' >"$tmp/doc.cols"
diff "$tmp/cols" "$tmp/doc.cols" >/dev/null || fail "csv-columns.md does not list the CSV header's columns"
echo "ok: csv-columns.md lists the CSV header's columns"

# Every flag of `run --help` is in the man page and the completion, and the other way.
"$VMSWEEP" run --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$tmp/help.flags"
for f in vmsweep.bash _vmsweep; do
	grep -o -- '--[a-z][a-z-]*' "$tmp/gen/$f" | sort -u >"$tmp/$f.flags"
	comm -23 "$tmp/help.flags" "$tmp/$f.flags" | grep . && fail "flags of run --help missing from $f"
done
sed 's/\\-/-/g' "$tmp/gen/vmsweep.1" | grep -o -- '--[a-z][a-z-]*' | sort -u >"$tmp/man.flags"
comm -23 "$tmp/help.flags" "$tmp/man.flags" | grep . && fail "flags of run --help missing from vmsweep(1)"
echo "ok: run --help, vmsweep(1) and the completions name the same flags"

for m in vmsweep.1 vmsweep-agent.1; do
	warn=$(LC_ALL=C.UTF-8 groff -man -ww -z "$tmp/gen/$m" 2>&1) || fail "$m does not render"
	[ -z "$warn" ] || fail "$m renders with warnings: $warn"
	MANWIDTH=80 man -l "$tmp/gen/$m" 2>/dev/null | grep -q 'SYNOPSIS' || fail "man -l $m shows no SYNOPSIS"
done
echo "ok: the man pages render"

bash -n "$tmp/gen/vmsweep.bash" || fail "the bash completion does not parse"
got=$(bash -c '. "$1"; COMP_WORDS=(vmsweep run --acc); COMP_CWORD=2; _vmsweep; echo "${COMPREPLY[*]}"' _ "$tmp/gen/vmsweep.bash")
[ "$got" = "--accel" ] || fail "completing 'vmsweep run --acc' gave '$got'"
got=$(bash -c '. "$1"; COMP_WORDS=(vmsweep run --accel ""); COMP_CWORD=3; _vmsweep; echo "${COMPREPLY[*]}"' _ "$tmp/gen/vmsweep.bash")
[ "$got" = "auto kvm tcg hvf" ] || fail "completing 'vmsweep run --accel ' gave '$got'"
echo "ok: the bash completion completes flags and their values"
