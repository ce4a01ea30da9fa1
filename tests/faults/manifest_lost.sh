#!/bin/bash
# The run's record is part of its result: when the final manifest.json cannot be written
# (the disk filled up at the very end, here injected), the run exits 1 with a message,
# not 0 -- a CI job must not trust a run whose record is gone.  Fault injection: a shim
# preloaded into vmsweep fails rename()/renameat() onto manifest.json from the Nth time on.
. "$(dirname "$0")/_lib.sh"
command -v cc >/dev/null || skip "no C compiler for the fault shim"
cat >shim.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Writes are temp + renameat() in the destination's directory: the name is relative. */
static int hit(const char *to)
{
    static int n;
    const char *from_n = getenv("SHIM_FAIL_FROM");
    const char *base = strrchr(to, '/');
    base = base ? base + 1 : to;
    return !strcmp(base, "manifest.json") && from_n && ++n >= atoi(from_n);
}
int renameat(int fromfd, const char *from, int tofd, const char *to)
{
    static int (*real)(int, const char *, int, const char *);
    if (!real)
        real = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
    if (hit(to)) {
        errno = ENOSPC;
        return -1;
    }
    return real(fromfd, from, tofd, to);
}
int rename(const char *from, const char *to)
{
    static int (*real)(const char *, const char *);
    if (!real)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    if (hit(to)) {
        errno = ENOSPC;
        return -1;
    }
    return real(from, to);
}
C
cc -shared -fPIC -o shim.so shim.c -ldl || fail "cannot build the fault shim"
SHORT=(--vcpus 1 --workload noop --concurrency 1 --duration 1s --no-plot)
# One size writes manifest.json 5 times: before the VM, after connecting, after the size,
# after disconnecting, and the final record with the exit code.
LD_PRELOAD=$PWD/shim.so SHIM_FAIL_FROM=5 "$VMSWEEP" run "${SHORT[@]}" -o out >out.txt 2>err.txt
rc=$?
cat err.txt
[ $rc = 1 ] || fail "a run whose final manifest was lost exited $rc, not 1"
grep -q "record 'out/manifest.json' could not be written" err.txt || fail "no message about the lost record"
[ "$(json out/manifest.json 'j["sizes"][0]["status"]')" = complete ] || fail "the earlier record is not kept"
ok "a lost final manifest fails the run (exit 1) and the last good record stays"
LD_PRELOAD=$PWD/shim.so SHIM_FAIL_FROM=99 "$VMSWEEP" run "${SHORT[@]}" -o out2 >out2.txt 2>err2.txt || { cat err2.txt; fail "the shim alone breaks the run"; }
[ "$(json out2/manifest.json 'j["exit_code"]')" = 0 ] || fail "control run: no exit code recorded"
ok "control run with the shim inactive passes"
[ -z "$(qemu_pids)" ] || fail "QEMU left running"
