#!/bin/bash
# Bad input never boots a VM: exit 2 and a message that says what to do.
. "$(dirname "$0")/_lib.sh"
expect2() { # message-pattern args...
	local pat=$1
	shift
	"$VMSWEEP" "$@" >out.txt 2>err.txt
	local rc=$?
	[ $rc = 2 ] || { cat err.txt; fail "'$*' exited $rc, expected 2"; }
	grep -q -- "$pat" err.txt || { cat err.txt; fail "'$*': message lacks '$pat'"; }
}
expect2 "image 'nosuch' not found" run --image nosuch --vcpus 1 "${QUICK[@]}"
expect2 "invalid --vcpus" run --vcpus 0
expect2 "invalid --memory" run --memory 12Q
expect2 "invalid --duration" run --duration 10x
expect2 "above --max-concurrency" run --concurrency 1,256
expect2 "unknown profile" run --profile epyc-nope
expect2 "unknown command" frobnicate
printf '{\n  "vm": { "vcpus": [1, 2],\n    "memroy": "1G" }\n}\n' >typo.json
expect2 "typo.json:3:5: unknown key 'memroy'" run typo.json
printf '{ "agent": { "workload": "cpu", }' >broken.json
expect2 "broken.json:1:" run broken.json
expect2 "unknown workload\|workload" run --workload nosuch --vcpus 1
ls perf_results >/dev/null 2>&1 && fail "bad input created an output folder"
[ -z "$(qemu_pids)" ] || fail "QEMU started on bad input"
ok "bad input: exit 2, clear messages, nothing created"
