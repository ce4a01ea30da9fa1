#!/bin/bash
# A guest whose host key is not the pinned one is refused, with both fingerprints named,
# and nothing is left running.  (A copy of the image with another hostkey.pub.)
. "$(dirname "$0")/_lib.sh"
img=$XDG_CACHE_HOME/vmsweep/images/tiny
mkdir -p fake
cp -a "$img"/. fake/
dropbearkey -t ed25519 -f other.key >/dev/null 2>&1 || fail "cannot make a key"
dropbearkey -y -f other.key | grep '^ssh-' >fake/hostkey.pub
"$VMSWEEP" run --image "$T/fake" --vcpus 1 "${QUICK[@]}" --no-plot -o out 2>log.txt
rc=$?
cat log.txt
[ $rc = 1 ] || fail "exit code $rc, expected 1"
grep -qi 'host key' log.txt || fail "the refusal does not mention the host key"
[ "$(json out/manifest.json 'j["sizes"][0]["status"]')" = failed ] || fail "size not marked failed"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "mismatching host key refused"
