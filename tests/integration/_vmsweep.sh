# Shared preamble of the integration tests of `vmsweep` itself (sourced): $VMSWEEP, the
# source tree in $root, a private $tmp removed on exit, fail().
set -u
VMSWEEP=${VMSWEEP:-}
[ -x "$VMSWEEP" ] || { echo "SKIP: \$VMSWEEP is not an executable"; exit 77; }
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
