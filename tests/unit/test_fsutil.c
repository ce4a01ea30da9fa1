/*
 * Unit tests for the harness's small trusted helpers: names coming from a guest, atomic
 * writes, shell quoting of argv for the guest, and the private-key permission check.
 */
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

#include "fsutil.h"
#include "guest.h"
#include "keys.h"

static void test_safe_name(void **state)
{
    (void)state;
    assert_true(fsutil_safe_name("sweep_20261125_070000.csv"));
    assert_true(fsutil_safe_name("a b"));
    assert_false(fsutil_safe_name(NULL));
    assert_false(fsutil_safe_name(""));
    assert_false(fsutil_safe_name("."));
    assert_false(fsutil_safe_name(".."));
    assert_false(fsutil_safe_name("../x"));
    assert_false(fsutil_safe_name("a/../../etc/passwd"));
    assert_false(fsutil_safe_name("/etc/passwd"));
    assert_false(fsutil_safe_name(".hidden"));
    assert_false(fsutil_safe_name("a\nb"));
    assert_false(fsutil_safe_name("a\x7f"));
    {
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        assert_false(fsutil_safe_name(longname));
    }
}

static void test_write_atomic(void **state)
{
    char dir[] = "/tmp/vmsweep-test-XXXXXX", *path, *data = NULL, *sub;
    size_t len = 0;
    struct stat st;
    (void)state;

    assert_non_null(mkdtemp(dir));
    path = fsutil_printf("%s/f.json", dir);
    assert_int_equal(fsutil_write_atomic(path, "one", 3, 0640), 0);
    assert_int_equal(fsutil_write_atomic(path, "second", 6, 0640), 0);
    assert_int_equal(fsutil_read_file(path, &data, &len), 0);
    assert_int_equal(len, 6);
    assert_string_equal(data, "second");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    sub = fsutil_printf("%s/a/b/c", dir);
    assert_int_equal(fsutil_mkdir_p(sub, 0755), 0);
    assert_true(fsutil_exists(sub));
    assert_int_equal(fsutil_rm_rf(dir), 0);
    assert_false(fsutil_exists(dir));
    free(data);
    free(path);
    free(sub);
}

static void test_quote_argv(void **state)
{
    char *argv[] = {"/usr/local/bin/vmsweep-agent",
                    "--arg",
                    "cmd=x; rm -rf / $(reboot) `id`",
                    "it's",
                    "",
                    NULL};
    char *q;
    (void)state;
    q = guest_quote_argv(argv);
    assert_non_null(q);
    assert_string_equal(q, "'/usr/local/bin/vmsweep-agent' '--arg' "
                           "'cmd=x; rm -rf / $(reboot) `id`' 'it'\\''s' ''");
    free(q);
}

static void test_private_key_mode(void **state)
{
    char path[] = "/tmp/vmsweep-key-XXXXXX";
    int fd;
    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(keys_check_private(path), 0);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(keys_check_private(path), -1);
    assert_int_equal(chmod(path, 0660), 0);
    assert_int_equal(keys_check_private(path), -1);
    unlink(path);
    assert_int_equal(keys_check_private(path), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safe_name),
        cmocka_unit_test(test_write_atomic),
        cmocka_unit_test(test_quote_argv),
        cmocka_unit_test(test_private_key_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
