# Shared helpers for the agent's integration tests (sourced).
set -eu
[ -x "${AGENT:-}" ] || { echo "skip: AGENT is not set to the agent binary"; exit 77; }
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# csv_col FILE ROW NAME: the value of column NAME in data row ROW (1-based).
csv_col() {
	python3 - "$1" "$2" "$3" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(rows[int(sys.argv[2]) - 1][sys.argv[3]])
PY
}
# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
