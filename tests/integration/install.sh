#!/bin/bash
# make install DESTDIR=... PREFIX=/usr stages a vmsweep that runs without the source tree:
# it finds its profiles in VMSWEEP_DATADIR, or in ../share/vmsweep beside its binary (a
# profile that exists only in the staged tree proves which one was read); man -l renders
# the staged pages.
. "$(dirname "$0")/_vmsweep.sh"

make -C "$root" --no-print-directory -s install DESTDIR="$tmp/stage" PREFIX=/usr \
	BUILD="$(dirname "$VMSWEEP")" >"$tmp/log" 2>&1 || { tail -20 "$tmp/log"; fail "make install failed"; }
bin=$tmp/stage/usr/bin/vmsweep
share=$tmp/stage/usr/share
for f in "$bin" "$tmp/stage/usr/bin/vmsweep-agent" "$share/man/man1/vmsweep.1" \
	"$share/man/man1/vmsweep-agent.1" "$share/bash-completion/completions/vmsweep" \
	"$share/zsh/site-functions/_vmsweep" "$share/vmsweep/images/build-tiny.sh" \
	"$share/vmsweep/sweeps/epyc-rome-8c-nps2.json"; do
	[ -e "$f" ] || fail "make install did not install ${f#"$tmp/stage"}"
done
[ -x "$share/vmsweep/images/build-tiny.sh" ] || fail "the image recipe is not executable"

# A profile only the staged tree has.
sed 's/"description": *"[^"]*"/"description": "staged only"/' "$share/vmsweep/sweeps/epyc-rome-8c-nps2.json" \
	>"$share/vmsweep/sweeps/staged-only.json"
VMSWEEP_DATADIR=$share/vmsweep "$bin" run --profile epyc-rome-8c-nps2 --print-spec >"$tmp/a.json" 2>"$tmp/err" ||
	{ cat "$tmp/err"; fail "the installed vmsweep cannot print a profile with VMSWEEP_DATADIR"; }
grep -q '"applied_profile":[[:space:]]*"epyc-rome-8c-nps2"' "$tmp/a.json" || fail "profile not applied: $(cat "$tmp/a.json")"
VMSWEEP_DATADIR=$share/vmsweep "$bin" run --profile staged-only --print-spec >/dev/null 2>"$tmp/err" ||
	{ cat "$tmp/err"; fail "VMSWEEP_DATADIR was not the data read"; }
env -u VMSWEEP_DATADIR "$bin" run --profile staged-only --print-spec >/dev/null 2>"$tmp/err" ||
	{ cat "$tmp/err"; fail "the installed vmsweep does not find ../share/vmsweep beside itself"; }
set +e
VMSWEEP_DATADIR=$tmp/nowhere "$bin" run --profile epyc-rome-8c-nps2 --print-spec >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc = 2 ] || fail "a VMSWEEP_DATADIR without data gave exit $rc, not 2"
grep -q "VMSWEEP_DATADIR" "$tmp/err" || fail "the error does not name VMSWEEP_DATADIR: $(cat "$tmp/err")"
echo "ok: the installed vmsweep reads its own data"

MANWIDTH=80 man -l "$share/man/man1/vmsweep.1" 2>/dev/null | grep -q -- '--profile' || fail "man -l vmsweep.1"
MANWIDTH=80 man -l "$share/man/man1/vmsweep-agent.1" 2>/dev/null | grep -q -- '--workload' || fail "man -l vmsweep-agent.1"
echo "ok: man -l renders the installed pages"
