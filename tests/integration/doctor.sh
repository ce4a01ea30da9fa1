#!/bin/bash
# vmsweep doctor on a machine set up by ci/install-deps.sh with the image built: every
# essential check passes and it says so; unexpected arguments are input errors.
set -u
: "${VMSWEEP:?}"
out=$("$VMSWEEP" doctor) || { echo "$out"; echo "FAIL: doctor found a problem"; exit 1; }
echo "$out"
echo "$out" | grep -q 'ready to sweep' || { echo "FAIL: no verdict line"; exit 1; }
[ "$(echo "$out" | grep -c '^ok ')" -ge 5 ] || { echo "FAIL: too few checks"; exit 1; }
"$VMSWEEP" doctor --frobnicate 2>/dev/null
[ $? = 2 ] || { echo "FAIL: bad argument not exit 2"; exit 1; }
echo "ok: doctor"
