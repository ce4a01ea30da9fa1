/*
 * Unit tests for the harness's small trusted helpers: names coming from a guest, atomic
 * writes, private directories, removal that never follows links, shell quoting of argv
 * for the guest, and the private-key permission check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
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

/* The content of path, or "" when it cannot be read (the caller owns the string). */
static char *slurp(const char *path)
{
    char *data = NULL;
    if (fsutil_read_file(path, &data, NULL) < 0)
        return strdup("");
    return data;
}

/* Number of entries (besides . and ..) in dir. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode & 07777;
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/vmsweep-test-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return strdup(tmpl);
}

/* A symbolic link at the old predictable temporary name, or at the destination, is never
 * followed: the files they point to keep their content. */
static void test_write_atomic_links(void **state)
{
    char *dir = make_tmpdir(), *victim, *victim2, *dst, *dst2, *planted, *s;
    (void)state;

    victim = fsutil_printf("%s/victim", dir);
    victim2 = fsutil_printf("%s/victim2", dir);
    dst = fsutil_printf("%s/f.json", dir);
    dst2 = fsutil_printf("%s/g.json", dir);
    planted = fsutil_printf("%s/f.json.tmp.%ld", dir, (long)getpid());
    assert_int_equal(fsutil_write_atomic(victim, "orig", 4, 0600), 0);
    assert_int_equal(fsutil_write_atomic(victim2, "orig2", 5, 0600), 0);
    assert_int_equal(symlink(victim, planted), 0);
    assert_int_equal(symlink(victim2, dst2), 0);

    assert_int_equal(fsutil_write_atomic(dst, "new", 3, 0644), 0);
    assert_int_equal(fsutil_write_atomic(dst2, "new2", 4, 0644), 0);
    s = slurp(victim);
    assert_string_equal(s, "orig");
    free(s);
    s = slurp(victim2);
    assert_string_equal(s, "orig2");
    free(s);
    s = slurp(dst);
    assert_string_equal(s, "new");
    free(s);
    /* The link at the destination was replaced by the file, not written through. */
    {
        struct stat st;
        assert_int_equal(lstat(dst2, &st), 0);
        assert_true(S_ISREG(st.st_mode));
    }
    s = slurp(dst2);
    assert_string_equal(s, "new2");
    free(s);
    /* victim, victim2, planted link, f.json, g.json: no temporary file left over. */
    assert_int_equal(count_entries(dir), 5);

    assert_int_equal(fsutil_rm_rf(dir), 0);
    free(victim);
    free(victim2);
    free(dst);
    free(dst2);
    free(planted);
    free(dir);
}

/* The mode is exactly the one asked for (not reduced by the umask), also for copies. */
static void test_write_atomic_mode_and_copy(void **state)
{
    char *dir = make_tmpdir(), *a, *b, *fifo, *s;
    mode_t old = umask(077);
    (void)state;

    a = fsutil_printf("%s/a", dir);
    b = fsutil_printf("%s/b", dir);
    fifo = fsutil_printf("%s/fifo", dir);
    assert_int_equal(fsutil_write_atomic(a, "abc", 3, 0644), 0);
    assert_int_equal(mode_of(a), 0644);
    assert_int_equal(chmod(a, 0751), 0);
    assert_int_equal(fsutil_copy_file(a, b), 0);
    assert_int_equal(mode_of(b), 0751);
    s = slurp(b);
    assert_string_equal(s, "abc");
    free(s);
    /* Only regular files are copied (reading a FIFO would block forever). */
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(fsutil_copy_file(fifo, b), -1);
    assert_int_equal(fsutil_copy_file("/nonexistent/x", b), -1);
    assert_int_equal(fsutil_write_atomic("/nonexistent/dir/x", "a", 1, 0644), -1);
    assert_int_equal(fsutil_fsync_dir(dir), 0);
    assert_int_equal(fsutil_fsync_dir("/nonexistent/dir"), -1);
    assert_int_equal(count_entries(dir), 3);
    umask(old);
    assert_int_equal(fsutil_rm_rf(dir), 0);
    free(a);
    free(b);
    free(fifo);
    free(dir);
}

static void test_private_dir_create(void **state)
{
    char *dir = make_tmpdir(), *deep, *p;
    mode_t old = umask(022);
    (void)state;

    deep = fsutil_printf("%s/a/b/c", dir);
    assert_int_equal(fsutil_private_dir(deep), 0);
    p = fsutil_printf("%s/a", dir);
    assert_int_equal(mode_of(p), 0700);
    free(p);
    p = fsutil_printf("%s/a/b", dir);
    assert_int_equal(mode_of(p), 0700);
    free(p);
    assert_int_equal(mode_of(deep), 0700);
    /* Again: it exists and is fine. */
    assert_int_equal(fsutil_private_dir(deep), 0);
    free(deep);
    deep = fsutil_printf("%s/a/b/c/", dir);
    assert_int_equal(fsutil_private_dir(deep), 0);
    free(deep);
    deep = fsutil_printf("%s/a/../b", dir);
    assert_int_equal(fsutil_private_dir(deep), -1);
    free(deep);
    /* A file in the way. */
    p = fsutil_printf("%s/file", dir);
    assert_int_equal(fsutil_write_atomic(p, "x", 1, 0600), 0);
    assert_int_equal(fsutil_private_dir(p), -1);
    free(p);
    p = fsutil_printf("%s/file/sub", dir);
    assert_int_equal(fsutil_private_dir(p), -1);
    free(p);
    /* A link in a directory only we can write to is ours: followed above the end. */
    p = fsutil_printf("%s/link", dir);
    deep = fsutil_printf("%s/a", dir);
    assert_int_equal(symlink(deep, p), 0);
    free(deep);
    deep = fsutil_printf("%s/link/x", dir);
    assert_int_equal(fsutil_private_dir(deep), 0);
    free(deep);
    /* ... but never as the private directory itself. */
    assert_int_equal(fsutil_private_dir(p), -1);
    free(p);
    umask(old);
    assert_int_equal(fsutil_rm_rf(dir), 0);
    free(dir);
}

/* Below a sticky world-writable directory (like /tmp), nothing planted is accepted. */
static void test_private_dir_planted(void **state)
{
    char *dir = make_tmpdir(), *tmp, *target, *link, *p, *q;
    (void)state;

    tmp = fsutil_printf("%s/tmp", dir);
    target = fsutil_printf("%s/elsewhere", dir);
    link = fsutil_printf("%s/tmp/vmsweep-0", dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(chmod(tmp, 01777), 0);
    assert_int_equal(mkdir(target, 0700), 0);

    /* A planted link, as the directory and as a parent. */
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(fsutil_private_dir(link), -1);
    p = fsutil_printf("%s/embed", link);
    assert_int_equal(fsutil_private_dir(p), -1);
    q = fsutil_printf("%s/embed", target);
    assert_false(fsutil_exists(q));
    free(q);
    /* A dangling planted link: not created through either. */
    assert_int_equal(unlink(link), 0);
    q = fsutil_printf("%s/missing", dir);
    assert_int_equal(symlink(q, link), 0);
    assert_int_equal(fsutil_private_dir(p), -1);
    assert_false(fsutil_exists(q));
    free(q);
    assert_int_equal(unlink(link), 0);

    /* A parent left group-writable below /tmp: anyone in the group could swap it. */
    assert_int_equal(mkdir(link, 0700), 0);
    assert_int_equal(chmod(link, 0770), 0);
    assert_int_equal(fsutil_private_dir(p), -1);
    assert_int_equal(chmod(link, 0700), 0);
    assert_int_equal(fsutil_private_dir(p), 0);
    /* The directory itself writable by others. */
    assert_int_equal(chmod(p, 0707), 0);
    assert_int_equal(fsutil_private_dir(p), -1);
    assert_int_equal(chmod(p, 0700), 0);
    /* Owned by someone else (testable as root only). */
    if (geteuid() == 0) {
        assert_int_equal(chown(link, 65534, 65534), 0);
        assert_int_equal(fsutil_private_dir(p), -1);
        assert_int_equal(chown(link, 0, 0), 0);
    }
    assert_int_equal(fsutil_private_dir(p), 0);
    free(p);

    /* World-writable without the sticky bit: anyone could rename what lies below. */
    assert_int_equal(chmod(tmp, 0777), 0);
    p = fsutil_printf("%s/other", tmp);
    assert_int_equal(fsutil_private_dir(p), -1);
    assert_false(fsutil_exists(p));
    free(p);

    assert_int_equal(fsutil_rm_rf(dir), 0);
    assert_false(fsutil_exists(dir));
    free(tmp);
    free(target);
    free(link);
    free(dir);
}

/* Removal never follows a link: not inside the tree, not at the top. */
static void test_rm_rf_links(void **state)
{
    char *dir = make_tmpdir(), *keep, *keepfile, *tree, *p, *link;
    (void)state;

    keep = fsutil_printf("%s/keep", dir);
    keepfile = fsutil_printf("%s/keep/precious", dir);
    tree = fsutil_printf("%s/tree", dir);
    assert_int_equal(fsutil_mkdir_p(keep, 0700), 0);
    assert_int_equal(fsutil_write_atomic(keepfile, "x", 1, 0600), 0);
    p = fsutil_printf("%s/tree/a/b", dir);
    assert_int_equal(fsutil_mkdir_p(p, 0700), 0);
    free(p);
    p = fsutil_printf("%s/tree/a/b/f", dir);
    assert_int_equal(fsutil_write_atomic(p, "y", 1, 0600), 0);
    free(p);
    p = fsutil_printf("%s/tree/a/dirlink", dir);
    assert_int_equal(symlink(keep, p), 0);
    free(p);
    p = fsutil_printf("%s/tree/filelink", dir);
    assert_int_equal(symlink(keepfile, p), 0);
    free(p);

    assert_int_equal(fsutil_rm_rf(tree), 0);
    assert_false(fsutil_exists(tree));
    assert_true(fsutil_exists(keepfile));

    /* A link at the top: the link goes, what it points to stays (also spelt "link/"). */
    link = fsutil_printf("%s/link", dir);
    assert_int_equal(symlink(keep, link), 0);
    assert_int_equal(fsutil_rm_rf(link), 0);
    assert_false(fsutil_exists(link));
    assert_true(fsutil_exists(keepfile));
    assert_int_equal(symlink(keep, link), 0);
    p = fsutil_printf("%s/link/", dir);
    assert_int_equal(fsutil_rm_rf(p), 0);
    free(p);
    assert_false(fsutil_exists(link));
    assert_true(fsutil_exists(keepfile));
    assert_int_equal(fsutil_rm_rf(link), 0); /* missing: fine */

    assert_int_equal(fsutil_rm_rf(dir), 0);
    assert_false(fsutil_exists(dir));
    free(keep);
    free(keepfile);
    free(tree);
    free(link);
    free(dir);
}

/* "<digits>-<4 hex digits>", the shape of an embed root. */
static bool root_shape(const char *name, void *arg)
{
    size_t n = strspn(name, "0123456789");
    (*(int *)arg)++;
    return n > 0 && name[n] == '-' && strlen(name + n + 1) == 4 &&
           strspn(name + n + 1, "0123456789abcdef") == 4;
}

static void test_rm_rf_shaped(void **state)
{
    char *dir = make_tmpdir(), *p;
    int calls = 0;
    (void)state;

    p = fsutil_printf("%s/123-abcd/run", dir);
    assert_int_equal(fsutil_mkdir_p(p, 0700), 0);
    free(p);
    p = fsutil_printf("%s/45-0f0f", dir);
    assert_int_equal(fsutil_write_atomic(p, "x", 1, 0600), 0);
    free(p);
    p = fsutil_printf("%s/important", dir);
    assert_int_equal(fsutil_mkdir_p(p, 0700), 0);
    free(p);
    p = fsutil_printf("%s/123-abcd-not", dir);
    assert_int_equal(fsutil_write_atomic(p, "x", 1, 0600), 0);
    free(p);

    assert_int_equal(fsutil_rm_rf_shaped(dir, root_shape, &calls), 0);
    assert_int_equal(calls, 4);
    assert_int_equal(count_entries(dir), 2);
    p = fsutil_printf("%s/important", dir);
    assert_true(fsutil_exists(p));
    free(p);
    p = fsutil_printf("%s/123-abcd", dir);
    assert_false(fsutil_exists(p));
    free(p);
    assert_int_equal(fsutil_rm_rf_shaped("/nonexistent/dir", root_shape, &calls), -1);
    assert_int_equal(fsutil_rm_rf(dir), 0);
    free(dir);
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
        cmocka_unit_test(test_write_atomic_links),
        cmocka_unit_test(test_write_atomic_mode_and_copy),
        cmocka_unit_test(test_private_dir_create),
        cmocka_unit_test(test_private_dir_planted),
        cmocka_unit_test(test_rm_rf_links),
        cmocka_unit_test(test_rm_rf_shaped),
        cmocka_unit_test(test_quote_argv),
        cmocka_unit_test(test_private_key_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
