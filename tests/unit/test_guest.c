/*
 * Unit tests for the parts of guest that read what a guest sends without a network: the
 * capped stderr line splitter and the decoding of SFTP directory listings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "guest.h"

/* Lines collected by collect(). */
struct lines {
    char *v[64];
    size_t n, total;
};

static void collect(const char *line, void *arg)
{
    struct lines *l = arg;

    l->total++;
    if (l->n < 64)
        l->v[l->n++] = strdup(line);
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    memset(l, 0, sizeof(*l));
}

/* Feed s in pieces of step bytes. */
static void feed(struct guest_lines *gl, const char *s, size_t len, size_t step, struct lines *out)
{
    for (size_t i = 0; i < len; i += step)
        guest_lines_feed(gl, s + i, len - i < step ? len - i : step, collect, out);
}

static void test_lines_split(void **state)
{
    static const char text[] = "one\ntwo\r\n\nthree\rfour";
    (void)state;

    for (size_t step = 1; step <= sizeof(text); step++) {
        struct guest_lines gl = {0};
        struct lines got = {0};

        feed(&gl, text, sizeof(text) - 1, step, &got);
        assert_int_equal(got.n, 3);
        guest_lines_end(&gl, collect, &got);
        assert_int_equal(got.n, 4);
        assert_string_equal(got.v[0], "one");
        assert_string_equal(got.v[1], "two");
        assert_string_equal(got.v[2], "three");
        assert_string_equal(got.v[3], "four");
        lines_free(&got);
    }
}

static void test_lines_nul(void **state)
{
    struct guest_lines gl = {0};
    struct lines got = {0};
    (void)state;

    guest_lines_feed(&gl, "a\0b\n", 4, collect, &got);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0], "a?b");
    lines_free(&got);
}

/* A line of exactly GUEST_MAX_LINE bytes is whole; one byte more and it is cut. */
static void test_lines_cap(void **state)
{
    size_t len = GUEST_MAX_LINE + 1;
    char *s = malloc(len + 8);
    struct guest_lines gl = {0};
    struct lines got = {0};
    (void)state;

    memset(s, 'x', len);
    s[GUEST_MAX_LINE] = '\n';
    guest_lines_feed(&gl, s, GUEST_MAX_LINE + 1, collect, &got);
    assert_int_equal(got.n, 1);
    assert_int_equal(strlen(got.v[0]), GUEST_MAX_LINE);
    assert_null(strstr(got.v[0], GUEST_LINE_CUT));

    s[GUEST_MAX_LINE] = 'x';
    memcpy(s + len, "\nnext\n", 6);
    feed(&gl, s, len + 6, 1000, &got);
    assert_int_equal(got.n, 3);
    assert_int_equal(strlen(got.v[1]), GUEST_MAX_LINE + strlen(GUEST_LINE_CUT));
    assert_string_equal(got.v[1] + GUEST_MAX_LINE, GUEST_LINE_CUT);
    assert_string_equal(got.v[2], "next");
    lines_free(&got);
    free(s);
}

/* Many MiB without a newline: one cut line, then nothing until the stream ends. */
static void test_lines_flood(void **state)
{
    char chunk[8192];
    struct guest_lines gl = {0};
    struct lines got = {0};
    (void)state;

    memset(chunk, 'e', sizeof(chunk));
    for (int i = 0; i < 8 * 1024; i++) /* 64 MiB */
        guest_lines_feed(&gl, chunk, sizeof(chunk), collect, &got);
    guest_lines_end(&gl, collect, &got);
    assert_int_equal(got.total, 1);
    assert_int_equal(strlen(got.v[0]), GUEST_MAX_LINE + strlen(GUEST_LINE_CUT));
    lines_free(&got);
}

/* An SSH_FXP_NAME body under construction. */
struct body {
    unsigned char b[65536];
    size_t len;
};

static void put32(struct body *b, uint32_t v)
{
    b->b[b->len++] = (unsigned char)(v >> 24);
    b->b[b->len++] = (unsigned char)(v >> 16);
    b->b[b->len++] = (unsigned char)(v >> 8);
    b->b[b->len++] = (unsigned char)v;
}

static void putstr(struct body *b, const char *s, size_t n)
{
    put32(b, (uint32_t)n);
    memcpy(b->b + b->len, s, n);
    b->len += n;
}

/* One entry with only permissions (perm 0 = no attributes at all). */
static void entry(struct body *b, const char *name, size_t n, uint32_t perm)
{
    putstr(b, name, n);
    putstr(b, "longname", 8);
    put32(b, perm ? 0x4 : 0);
    if (perm)
        put32(b, perm);
}

static void test_listing_filter(void **state)
{
    struct body b = {.len = 0};
    struct guest_listing l = {0};
    char longname[GUEST_MAX_NAME + 1];
    (void)state;

    memset(longname, 'n', sizeof(longname));
    put32(&b, 9);
    entry(&b, "a.csv", 5, S_IFREG | 0644);
    entry(&b, "dir", 3, S_IFDIR | 0755);
    entry(&b, "fifo", 4, S_IFIFO | 0644);
    entry(&b, "link", 4, S_IFLNK | 0777);
    entry(&b, "", 0, S_IFREG | 0644);
    entry(&b, "x\0../y", 6, S_IFREG | 0644);
    entry(&b, longname, sizeof(longname), S_IFREG | 0644);
    entry(&b, "noattrs", 7, 0);
    /* every optional attribute, including extended pairs */
    putstr(&b, "b.csv", 5);
    putstr(&b, "", 0);
    put32(&b, 0x1 | 0x2 | 0x4 | 0x8 | 0x80000000u);
    put32(&b, 0);
    put32(&b, 42); /* size */
    put32(&b, 0);
    put32(&b, 0); /* uid, gid */
    put32(&b, S_IFREG | 0600);
    put32(&b, 1);
    put32(&b, 2); /* atime, mtime */
    put32(&b, 1);
    putstr(&b, "ext", 3);
    putstr(&b, "data", 4);

    assert_int_equal(guest_listing_add(&l, b.b, b.len), 0);
    assert_int_equal(l.seen, 9);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.skipped, 3);
    assert_string_equal(l.names[0], "a.csv");
    assert_string_equal(l.names[1], "b.csv");
    guest_listing_free(&l);
    assert_null(l.names);
    assert_int_equal(l.n, 0);
}

/* A listing that never ends is read up to GUEST_MAX_LIST entries. */
static void test_listing_cap(void **state)
{
    struct body *b = malloc(sizeof(*b));
    struct guest_listing l = {0};
    unsigned next = 0;
    int rc = 0, calls = 0;
    (void)state;

    while (rc == 0 && calls < 1000) {
        b->len = 0;
        put32(b, 150);
        for (int i = 0; i < 150; i++) {
            char name[16];
            int n = snprintf(name, sizeof(name), "f%07u", next++);
            entry(b, name, (size_t)n, S_IFREG | 0644);
        }
        rc = guest_listing_add(&l, b->b, b->len);
        calls++;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(l.seen, GUEST_MAX_LIST);
    assert_int_equal(l.n, GUEST_MAX_LIST);
    assert_string_equal(l.names[GUEST_MAX_LIST - 1], "f0009999");
    /* Full: the next reply adds nothing. */
    assert_int_equal(guest_listing_add(&l, b->b, b->len), 1);
    assert_int_equal(l.n, GUEST_MAX_LIST);
    guest_listing_free(&l);
    free(b);
}

static void test_listing_malformed(void **state)
{
    struct body b = {.len = 0};
    struct guest_listing l = {0};
    (void)state;

    /* The count promises more entries than the body holds: the first is kept. */
    put32(&b, 1000000);
    entry(&b, "a.csv", 5, S_IFREG | 0644);
    assert_int_equal(guest_listing_add(&l, b.b, b.len), -EINVAL);
    assert_int_equal(l.n, 1);
    /* A string longer than the body. */
    b.len = 0;
    put32(&b, 1);
    put32(&b, 0xfffffff0u);
    assert_int_equal(guest_listing_add(&l, b.b, b.len), -EINVAL);
    /* Billions of extended pairs announced, none there. */
    b.len = 0;
    put32(&b, 1);
    putstr(&b, "c", 1);
    putstr(&b, "c", 1);
    put32(&b, 0x80000000u);
    put32(&b, 0xffffffffu);
    assert_int_equal(guest_listing_add(&l, b.b, b.len), -EINVAL);
    /* Too short for a count. */
    assert_int_equal(guest_listing_add(&l, b.b, 3), -EINVAL);
    assert_int_equal(l.n, 1);
    guest_listing_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_split),       cmocka_unit_test(test_lines_nul),
        cmocka_unit_test(test_lines_cap),         cmocka_unit_test(test_lines_flood),
        cmocka_unit_test(test_listing_filter),    cmocka_unit_test(test_listing_cap),
        cmocka_unit_test(test_listing_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
