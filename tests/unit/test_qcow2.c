/* Unit tests for harness/qcow2.c: headers of real images made by qemu-img (versions 2 and
 * 3, with and without a backing file and its format), refusals of cut or forged headers,
 * and the rewritten header cluster checked by qemu-img itself (info and check) after it
 * replaced the file's first cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "qcow2.h"

static char dir[] = "/tmp/test_qcow2-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return fsutil_rm_rf(dir);
}

/* Run a shell command in dir; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static char *at(const char *name)
{
    static char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static void test_real_images(void **state)
{
    struct qcow2_info qi;
    (void)state;
    assert_int_equal(sh("qemu-img create -q -f qcow2 base.qcow2 64M && "
                        "qemu-img create -q -f qcow2 -o compat=0.10 old.qcow2 1G && "
                        "qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 && "
                        "qemu-img create -q -f raw raw.img 1M && "
                        "qemu-img create -q -f qcow2 -b raw.img -F raw onraw.qcow2"),
                     0);
    assert_true(qcow2_is(at("base.qcow2")));
    assert_false(qcow2_is(at("raw.img")));
    assert_false(qcow2_is(at("no-such-file")));

    assert_int_equal(qcow2_read(at("base.qcow2"), &qi, NULL), 0);
    assert_int_equal(qi.version, 3);
    assert_int_equal(qi.size, 64ull << 20);
    assert_int_equal(qi.cluster, 65536);
    assert_string_equal(qi.backing, "");

    assert_int_equal(qcow2_read(at("old.qcow2"), &qi, NULL), 0);
    assert_int_equal(qi.version, 2);
    assert_int_equal(qi.size, 1ull << 30);

    assert_int_equal(qcow2_read(at("top.qcow2"), &qi, NULL), 0);
    assert_string_equal(qi.backing, "base.qcow2");
    assert_string_equal(qi.backing_fmt, "qcow2");
    assert_int_equal(qi.size, 64ull << 20);
    /* A relative name is read from the image's folder, as QEMU does. */
    char *bp = qcow2_backing_path(at("top.qcow2"), &qi);
    assert_string_equal(bp, at("base.qcow2"));
    free(bp);

    assert_int_equal(qcow2_read(at("onraw.qcow2"), &qi, NULL), 0);
    assert_string_equal(qi.backing_fmt, "raw");
    assert_int_equal(qcow2_read(at("raw.img"), &qi, NULL), -1);
}

/* A v3 header with a backing name n at offset off (cluster 2^16), in buf (len bytes). */
static void forge(unsigned char *buf, size_t len, const char *n, uint64_t off)
{
    memset(buf, 0, len);
    memcpy(buf, "QFI\xfb", 4);
    buf[7] = 3;
    for (int i = 0; i < 8; i++)
        buf[8 + i] = (unsigned char)(off >> (56 - 8 * i));
    buf[19] = (unsigned char)strlen(n);
    buf[23] = 16;
    buf[28] = 0x40; /* 1 GiB */
    buf[103] = 104;
    if (off + strlen(n) <= len)
        memcpy(buf + off, n, strlen(n));
}

static void test_refusals(void **state)
{
    static unsigned char buf[4096];
    struct qcow2_info qi;
    char err[160] = "";
    (void)state;
    forge(buf, sizeof(buf), "base.qcow2", 112);
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), 0);
    assert_string_equal(qi.backing, "base.qcow2");
    assert_int_equal(qi.size, 1ull << 30);
    /* Cut short: the name beyond what was read; the header itself. */
    assert_int_equal(qcow2_parse(buf, 115, &qi, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not within"));
    assert_int_equal(qcow2_parse(buf, 50, &qi, err, sizeof(err)), -1);
    /* A name inside the header, a name with a NUL, a protocol or json: name. */
    forge(buf, sizeof(buf), "base.qcow2", 40);
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), -1);
    forge(buf, sizeof(buf), "ab", 112);
    buf[19] = 3;
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "plain path"));
    forge(buf, sizeof(buf), "nbd://evil:10809/x", 112);
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), -1);
    forge(buf, sizeof(buf), "json:{\"file\":{}}", 112);
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), -1);
    /* A colon after a slash is a file name. */
    forge(buf, sizeof(buf), "./a:b.qcow2", 112);
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), 0);
    /* Another version; an external data file; an extension running past the end. */
    forge(buf, sizeof(buf), "b", 112);
    buf[7] = 4;
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), -1);
    forge(buf, sizeof(buf), "b", 112);
    buf[79] = 4;
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "external data file"));
    forge(buf, sizeof(buf), "b", 4000);
    buf[104] = 0x12;
    buf[108] = 0x7f;
    assert_int_equal(qcow2_parse(buf, sizeof(buf), &qi, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "extension"));
}

/* The first cluster of path replaced by head (cluster bytes). */
static void put_head(const char *path, const unsigned char *head, size_t cluster)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fwrite(head, 1, cluster, f), cluster);
    assert_int_equal(fclose(f), 0);
}

static void test_rebase_head(void **state)
{
    struct qcow2_info qi, again;
    unsigned char *head = NULL, *out;
    char err[160], name[QCOW2_BACKING_MAX + 8];
    (void)state;
    assert_int_equal(sh("qemu-img create -q -f qcow2 base.qcow2 64M && "
                        "qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 && "
                        "qemu-io -c 'write -P 0x5a 0 128k' top.qcow2 >/dev/null && "
                        "mkdir -p vols && cp base.qcow2 vols/vmsweep-base.qcow2 && "
                        "cp top.qcow2 top2.qcow2"),
                     0);
    assert_int_equal(qcow2_read(at("top2.qcow2"), &qi, &head), 0);
    out = malloc(qi.cluster);
    assert_non_null(out);
    /* Pointed at the volume of its backing file: qemu-img reads the new name and format,
     * finds nothing wrong, and the data written into the overlay is still there. */
    assert_int_equal(
        qcow2_rebase_head(head, &qi, at("vols/vmsweep-base.qcow2"), "qcow2", out, err, sizeof(err)),
        0);
    put_head(at("top2.qcow2"), out, qi.cluster);
    assert_int_equal(qcow2_read(at("top2.qcow2"), &again, NULL), 0);
    assert_string_equal(again.backing, at("vols/vmsweep-base.qcow2"));
    assert_string_equal(again.backing_fmt, "qcow2");
    assert_int_equal(again.size, qi.size);
    assert_int_equal(sh("qemu-img check -q top2.qcow2 && "
                        "qemu-img info --output=json top2.qcow2 | grep -q "
                        "'\"full-backing-filename\": \"%s\"' && "
                        "qemu-io -c 'read -P 0x5a 0 128k' top2.qcow2 | grep -q 'read 131072'",
                        at("vols/vmsweep-base.qcow2")),
                     0);
    /* A longest name fits; a name too long, a protocol, another format: refused. */
    memset(name, 'a', QCOW2_BACKING_MAX);
    name[0] = '/';
    name[QCOW2_BACKING_MAX] = '\0';
    assert_int_equal(qcow2_rebase_head(head, &qi, name, "raw", out, err, sizeof(err)), 0);
    name[QCOW2_BACKING_MAX - 1] = '\0';
    strcat(name, "bb");
    assert_int_equal(qcow2_rebase_head(head, &qi, name, "raw", out, err, sizeof(err)), -1);
    assert_int_equal(qcow2_rebase_head(head, &qi, "http://h/x", "raw", out, err, sizeof(err)), -1);
    assert_int_equal(qcow2_rebase_head(head, &qi, "/x", "vmdk", out, err, sizeof(err)), -1);
    free(out);
    free(head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_images),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_rebase_head),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
