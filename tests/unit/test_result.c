/* Unit tests for the cmd workload's helpers: result.c (result lines), cmdsplit.c (argv
 * without a shell), and httpresp.c (the http workload's response parser). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cmdsplit.h"
#include "httpresp.h"
#include "result.h"

static int parse(const char *s, struct result *r, char *err, size_t len)
{
    return result_parse_output(s, strlen(s), r, err, len);
}

static void test_json(void **state)
{
    struct result r;
    char err[200];
    (void)state;
    assert_int_equal(parse("warming up\n{\"qps\": 1234.5, \"p50_us\": 10, \"p90_us\": 20, "
                           "\"p99_us\": 30.5, \"max_us\": 1e3, \"name\": \"x\", \"ok\": true}\n\n",
                           &r, err, sizeof(err)),
                     0);
    assert_true(r.qps == 1234.5 && r.p50_us == 10 && r.p90_us == 20 && r.p99_us == 30.5);
    assert_true(r.max_us == 1000 && isnan(r.mean_us) && isnan(r.errors));
    assert_int_equal(parse("{\"qps\":1,\"p50_us\":1,\"p90_us\":1,\"p99_us\":1,\"max_us\":1,"
                           "\"mean_us\":2,\"errors\":3,\"ops\":4}",
                           &r, err, sizeof(err)),
                     0);
    assert_true(r.mean_us == 2 && r.errors == 3 && r.ops == 4);
}

static void test_json_bad(void **state)
{
    static const struct {
        const char *in, *msg;
    } cases[] = {
        {"", "no result line"},
        {"\n \n", "no result line"},
        {"{\"qps\":1,\"p50_us\":1,\"p90_us\":1,\"p99_us\":1}", "no 'max_us'"},
        {"{\"qps\":-1,\"p50_us\":1,\"p90_us\":1,\"p99_us\":1,\"max_us\":1}", "negative 'qps'"},
        {"{\"qps\":\"1\",\"p50_us\":1,\"p90_us\":1,\"p99_us\":1,\"max_us\":1}", "not a number"},
        {"{\"qps\":1,\"qps\":1,\"p50_us\":1,\"p90_us\":1,\"p99_us\":1,\"max_us\":1}", "twice"},
        {"{\"qps\":nan,\"p50_us\":1,\"p90_us\":1,\"p99_us\":1,\"max_us\":1}", "malformed value"},
        {"{\"qps\":1e999,\"p50_us\":1,\"p90_us\":1,\"p99_us\":1,\"max_us\":1}", "malformed"},
        {"{\"qps\":1 \"p50_us\":1}", "lacks a ','"},
        {"{\"qps\":1,\"p50_us\":1,\"p90_us\":1,\"p99_us\":1,\"max_us\":1} x", "after the object"},
        {"{\"qps\":{\"a\":1}}", "malformed value"},
        {"{qps:1}", "malformed key"},
        {"{\"qps\"", "lacks a ':'"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct result r;
        char err[200] = "";
        if (parse(cases[i].in, &r, err, sizeof(err)) != -1 || !strstr(err, cases[i].msg))
            fail_msg("case %zu '%s': message '%s' lacks '%s'", i, cases[i].in, err, cases[i].msg);
    }
}

static void test_csv(void **state)
{
    struct result r;
    char err[200];
    (void)state;
    assert_int_equal(parse("ts,plan,...\n1700000000,\"my,plan\",4,4,0,0,8,10,0,5000.5,100,200,"
                           "300,400,2048,0,0,extra\n",
                           &r, err, sizeof(err)),
                     0);
    assert_true(r.qps == 5000.5 && r.p50_us == 100 && r.p90_us == 200 && r.p99_us == 300);
    assert_true(r.max_us == 400);
    assert_int_equal(parse("1,p,4,4,0,0,8,10,0,5000,100,200,300,400", &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "14 columns"));
    assert_int_equal(parse("1,p,4,4,0,0,8,10,0,fast,100,200,300,400,1,0,0", &r, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "column 10 (qps)"));
    assert_int_equal(parse("1,\"p,4,4", &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unterminated quote"));
}

static void test_cmdsplit(void **state)
{
    char **argv, err[200];
    (void)state;
    assert_int_equal(
        cmdsplit("  bench -c 4 'a b'  \"x \\\"y\\\" \\\\\" ''", &argv, err, sizeof(err)), 0);
    assert_string_equal(argv[0], "bench");
    assert_string_equal(argv[1], "-c");
    assert_string_equal(argv[2], "4");
    assert_string_equal(argv[3], "a b");
    assert_string_equal(argv[4], "x \"y\" \\");
    assert_string_equal(argv[5], "");
    assert_null(argv[6]);
    cmdsplit_free(argv);
    assert_int_equal(cmdsplit("ab'c d'e", &argv, err, sizeof(err)), 0);
    assert_string_equal(argv[0], "abc de");
    cmdsplit_free(argv);
    assert_int_equal(cmdsplit("   ", &argv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(cmdsplit("echo \"x", &argv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unterminated"));
    cmdsplit_free(NULL);
}

/* Feed s to a fresh parser in pieces of step bytes; returns the final code. */
static int feed(struct httpresp *p, const char *s, size_t step, size_t *total_used)
{
    size_t len = strlen(s), off = 0, used;
    int rc = HTTPRESP_MORE;

    httpresp_init(p);
    while (off < len) {
        size_t n = len - off < step ? len - off : step;
        rc = httpresp_feed(p, s + off, n, &used);
        off += used;
        if (rc != HTTPRESP_MORE)
            break;
    }
    *total_used = off;
    return rc;
}

static void test_httpresp(void **state)
{
    static const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    static const char *ch = "HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n"
                            "5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n";
    static const char *c10 = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until close";
    struct httpresp p;
    size_t used;
    (void)state;
    for (size_t step = 1; step < 80; step += 13) {
        assert_int_equal(feed(&p, cl, step, &used), HTTPRESP_DONE);
        assert_int_equal(used, strlen(cl));
        assert_true(p.status == 200 && p.keepalive);
        assert_int_equal(feed(&p, ch, step, &used), HTTPRESP_DONE);
        assert_int_equal(used, strlen(ch));
        assert_true(p.status == 404 && p.keepalive);
        assert_int_equal(feed(&p, c10, step, &used), HTTPRESP_MORE);
        assert_int_equal(httpresp_eof(&p), HTTPRESP_DONE);
        assert_false(p.keepalive);
    }
    assert_int_equal(
        feed(&p, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 100, &used),
        HTTPRESP_DONE);
    assert_false(p.keepalive);
    assert_int_equal(feed(&p, "HTTP/1.1 204 No Content\r\n\r\n", 100, &used), HTTPRESP_DONE);
    assert_int_equal(feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 100, &used),
                     HTTPRESP_MORE);
    assert_int_equal(httpresp_eof(&p), HTTPRESP_ERROR); /* truncated body */
    assert_int_equal(feed(&p, "SMTP/1.1 200 OK\r\n\r\n", 100, &used), HTTPRESP_ERROR);
    assert_int_equal(feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 100, &used),
                     HTTPRESP_ERROR);
    assert_int_equal(feed(&p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 100, &used),
                     HTTPRESP_ERROR);
    assert_int_equal(
        feed(&p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100, &used),
        HTTPRESP_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),     cmocka_unit_test(test_json_bad),
        cmocka_unit_test(test_csv),      cmocka_unit_test(test_cmdsplit),
        cmocka_unit_test(test_httpresp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
