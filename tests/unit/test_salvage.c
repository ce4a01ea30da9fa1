/*
 * Unit test for harness/salvage.c with a real results disk and libguestfs (its appliance
 * under TCG unless KVM is proven: about half a minute here): from a disk a hostile guest
 * filled, the sweep's file is salvaged, a sparse 15 GiB file is refused by its size (not
 * copied), a name with terminal escapes is refused, and nothing temporary is left.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "salvage.h"

static void test_hostile_disk(void **state)
{
    char dir[] = "/tmp/vmsweep-test-salvage-XXXXXX", cmd[512], path[256];
    size_t n = 99;
    struct dirent *e;
    DIR *d;
    int files = 0;
    (void)state;

    if (system("command -v mkfs.ext4 >/dev/null 2>&1") != 0)
        skip();
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "set -e; cd '%s'; mkdir -p root/out; echo 'a,b' >root/out/sweep_1.csv; "
             "truncate -s 15G root/out/sweep_huge.jsonl; "
             "touch \"root/out/$(printf 'sweep_\\033]0;x\\007.csv')\"; "
             "truncate -s 256M disk.img; mkfs.ext4 -q -F -d root disk.img",
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/disk.img", dir);
    snprintf(path, sizeof path, "%s/dest", dir);
    if (salvage_results(cmd, "/out", path, &n) < 0) {
        /* No usable libguestfs appliance on this machine (e.g. no kernel in /boot). */
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        skip();
    }
    assert_int_equal(n, 1);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
            continue;
        assert_string_equal(e->d_name, "sweep_1.csv"); /* no temporary file, nothing else */
        files++;
    }
    closedir(d);
    assert_int_equal(files, 1);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_disk),
    };
    log_set_level(LOG_QUIET);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
