#!/bin/bash
# The SSH forward port is taken by someone else when QEMU starts: the harness notices,
# picks another port and the sweep completes.
. "$(dirname "$0")/_lib.sh"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(600)' $port &
holder=$!
sleep 0.5
VMSWEEP_SSH_PORT=$port "$VMSWEEP" run --vcpus 1 "${QUICK[@]}" --no-plot -o out 2>log.txt
rc=$?
kill $holder
cat log.txt
[ $rc = 0 ] || fail "exit $rc, expected 0"
grep -q "port $port was taken" log.txt || fail "the conflict was not noticed"
[ "$(json out/manifest.json 'j["sizes"][0]["ssh_port"]')" != $port ] || fail "still on the taken port"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
ok "taken port detected, another one used"
