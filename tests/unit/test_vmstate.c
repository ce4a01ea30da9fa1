/*
 * Unit tests for harness/vmstate.c: keys depend on every part, a state is found only when
 * both its image and its record are there, a commit publishes it, pruning removes the
 * least recently used first and only names of the shapes vmstate makes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "vmstate.h"

static char dir[] = "/tmp/vmsweep-test-vmstate-XXXXXX";
static char states[128];

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    setenv("XDG_CACHE_HOME", dir, 1);
    snprintf(states, sizeof states, "%s/vmsweep/states", dir);
    log_set_level(LOG_QUIET);
    return 0;
}

static int teardown(void **state)
{
    char cmd[200];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return strncmp(dir, "/tmp/vmsweep-test-vmstate-", 26) == 0 ? system(cmd) : -1;
}

static void write_bytes(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc('x', f);
    fclose(f);
}

static void test_key(void **state)
{
    char a[65], b[65], c[65], d[65];
    (void)state;
    vmstate_key("<domain/>", "img", "v1", a);
    vmstate_key("<domain/>", "img", "v1", b);
    assert_string_equal(a, b);
    vmstate_key("<domain />", "img", "v1", b);
    vmstate_key("<domain/>", "img2", "v1", c);
    vmstate_key("<domain/>", "img", "v2", d);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_int_equal(strlen(a), 64);
}

static void commit_one(const char *xml, size_t bytes, char key[65])
{
    char *tmp;
    vmstate_key(xml, "img", "v", key);
    tmp = vmstate_temp(key);
    assert_non_null(tmp);
    write_bytes(tmp, bytes);
    assert_int_equal(vmstate_commit(key, tmp, "vmsweep-1-0-1", "uuid-1"), 0);
    assert_int_equal(access(tmp, F_OK), -1); /* renamed */
    free(tmp);
}

static void test_commit_find_drop(void **state)
{
    struct vmstate s = {0};
    char key[65], meta[256];
    (void)state;
    vmstate_key("nothing", "img", "v", key);
    assert_int_equal(vmstate_find(key, &s), 0);
    commit_one("a", 1000, key);
    assert_int_equal(vmstate_find(key, &s), 1);
    assert_string_equal(s.name, "vmsweep-1-0-1");
    assert_string_equal(s.uuid, "uuid-1");
    assert_non_null(strstr(s.path, key));
    vmstate_free(&s);
    /* Without its record a state is not used. */
    snprintf(meta, sizeof meta, "%s/%s.json", states, key);
    assert_int_equal(unlink(meta), 0);
    assert_int_equal(vmstate_find(key, &s), 0);
    commit_one("a", 1000, key);
    vmstate_drop(key);
    assert_int_equal(vmstate_find(key, &s), 0);
}

static void test_prune(void **state)
{
    char k1[65], k2[65], k3[65], meta[256], other[256], oldpart[256];
    struct vmstate s = {0};
    struct timespec old[2] = {{time(NULL) - 100, 0}, {time(NULL) - 100, 0}};
    struct timespec ancient[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    (void)state;
    commit_one("one", 3000, k1);
    commit_one("two", 3000, k2);
    commit_one("three", 3000, k3);
    /* k1 used long ago, k2 just now, k3 in between. */
    snprintf(meta, sizeof meta, "%s/%s.json", states, k1);
    assert_int_equal(utimensat(AT_FDCWD, meta, old, 0), 0);
    assert_int_equal(vmstate_find(k2, &s), 1);
    vmstate_free(&s);
    /* Names not of our shapes stay; a .partial an hour old goes. */
    snprintf(other, sizeof other, "%s/keep-me.state", states);
    write_bytes(other, 10);
    snprintf(oldpart, sizeof oldpart, "%s/%s.0123456789abcdef.partial", states, k1);
    write_bytes(oldpart, 10);
    assert_int_equal(utimensat(AT_FDCWD, oldpart, ancient, 0), 0);
    vmstate_prune(7000); /* room for two */
    assert_int_equal(vmstate_find(k1, &s), 0);
    assert_int_equal(vmstate_find(k2, &s), 1);
    vmstate_free(&s);
    assert_int_equal(vmstate_find(k3, &s), 1);
    vmstate_free(&s);
    assert_int_equal(access(other, F_OK), 0);
    assert_int_equal(access(oldpart, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_commit_find_drop),
        cmocka_unit_test(test_prune),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
