/* Unit tests for plot/csv.c: columns by name, quoting, CRLF, and errors with line:column. */
#include <math.h>
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

#include "cancel.h"
#include "analysis.h"
#include "csv.h"

#define HDR17                                                                                      \
    "ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,run_idx,qps,p50_us,"      \
    "p90_us,p99_us,max_us,ru_maxrss,exit_code,timeout_killed"

/* Parse text; on failure return the message printed (caller frees), else NULL. */
static char *parse_err_n(const char *text, size_t n, struct csv_table **out)
{
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);
    int rc;
    assert_non_null(m);
    rc = csv_parse_buffer("data.csv", text, n, m, out);
    fclose(m);
    if (rc == 0) {
        assert_int_equal(len, 0); /* success is silent */
        free(msg);
        return NULL;
    }
    assert_true(len > 0);
    return msg;
}

static char *parse_err(const char *text, struct csv_table **out)
{
    return parse_err_n(text, strlen(text), out);
}

static void expect_error_n(const char *text, size_t n, const char *want)
{
    struct csv_table *t = (struct csv_table *)0x1;
    char *msg = parse_err_n(text, n, &t);
    if (!msg)
        fail_msg("parsed, expected error '%s'", want);
    if (!strstr(msg, want))
        fail_msg("message '%s' lacks '%s'", msg, want);
    assert_ptr_equal(t, (struct csv_table *)0x1); /* out untouched */
    free(msg);
}

static void expect_error(const char *text, const char *want)
{
    expect_error_n(text, strlen(text), want);
}

static void test_full_schema(void **state)
{
    struct csv_table *t = NULL;
    const char *text =
        HDR17 ",mean_us,errors,ops\n"
              "1700000000,cpu,2,2,0,0,4,5,1,1234.5,100,200,300,400,1024,0,0,3.2,0,99\n"
              "1700000000,cpu,2,2,0,0,8,5,0,2000,100,200,300,400,1024,137,1,,,\n";
    (void)state;
    assert_null(parse_err(text, &t));
    assert_int_equal(t->n, 2);
    assert_true(t->has_mean);
    assert_string_equal(t->rows[0].plan, "cpu");
    assert_int_equal(t->rows[0].vcpus, 2);
    assert_int_equal(t->rows[0].concurrency, 4);
    assert_int_equal(t->rows[0].run_idx, 1);
    assert_true(t->rows[0].qps == 1234.5);
    assert_true(t->rows[0].p99_us == 300);
    assert_true(t->rows[0].mean_us == 3.2);
    assert_int_equal(t->rows[0].line, 2);
    assert_int_equal(t->rows[1].timeout_killed, 1);
    assert_int_equal(t->rows[1].exit_code, 137);
    assert_true(isnan(t->rows[1].mean_us)); /* empty optional field */
    csv_free(t);
}

static void test_minimal_reordered_quoted_crlf(void **state)
{
    struct csv_table *t = NULL;
    const char *text = "\xef\xbb\xbf"
                       "p99_us,qps,\"plan\",concurrency,vcpus,p50_us,p90_us,extra\r\n"
                       "30,100,\"a \"\"b\"\", c\",1,4,10,20,\"x\ny\"\r\n"
                       "\r\n"
                       "31,200,plain,2,4,11,21,z\r\n";
    (void)state;
    assert_null(parse_err(text, &t));
    assert_int_equal(t->n, 2);
    assert_false(t->has_mean);
    assert_string_equal(t->rows[0].plan, "a \"b\", c");
    assert_true(t->rows[0].p99_us == 30);
    assert_int_equal(t->rows[1].line, 5); /* the quoted newline and the blank line count */
    assert_true(isnan(t->rows[1].mean_us));
    assert_int_equal(t->rows[1].timeout_killed, 0);
    csv_free(t);
}

static void test_header_only_and_free_null(void **state)
{
    struct csv_table *t = NULL;
    (void)state;
    assert_null(parse_err("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n", &t));
    assert_int_equal(t->n, 0);
    csv_free(t);
    csv_free(NULL);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,1,1,abc,1,2,3\n",
                 "data.csv:2:9: non-numeric value 'abc' in column 'qps'");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us\ncpu,1,1,5,1,2\n",
                 "data.csv:1:1: missing required column 'p99_us'");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,1,1,5,1,2\n",
                 "data.csv:2:13: expected 7 fields as in the header, found 6");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,1,1,5,1,2,3\n\"cpu,1",
                 "data.csv:3:1: quoted field is never closed");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\nc\"pu,1,1,5,1,2,3\n",
                 "data.csv:2:2: stray quote");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n\"cpu\"x,1,1,5,1,2,3\n",
                 "data.csv:2:6: unexpected character 'x' after a closing quote");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,1,1,,1,2,3\n",
                 "data.csv:2:9: empty value in required column 'qps'");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,0,1,5,1,2,3\n",
                 "data.csv:2:5: value '0' in column 'vcpus' is not an integer");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,1,1,-5,1,2,3\n",
                 "non-numeric value '-5' in column 'qps'");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,1,1,nan,1,2,3\n",
                 "non-numeric value 'nan'");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us,timeout_killed\n"
                 "cpu,1,1,5,1,2,3,yes\n",
                 "data.csv:2:17: value 'yes' in column 'timeout_killed' is neither 0 nor 1");
    expect_error("plan,plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n",
                 "data.csv:1:6: column 'plan' appears twice");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n\"a\nb\",1,1,5,1,2,3\n",
                 "data.csv:2:1: plan name 'a\\x0ab' contains a control character");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us,arch\ncpu,1,1,5,1,2,3,x86/64\n",
                 "data.csv:2:17: value 'x86/64' in column 'arch' is not an architecture name");
    expect_error("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us,arch\n"
                 "cpu,1,1,5,1,2,3,aaaaaaaaaaaaaaaaaaaa\n",
                 "is not an architecture name");
    expect_error("", "the file is empty");
    expect_error_n("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "not a CSV file: it contains binary data");
    expect_error("hello world\nthis is text\n", "missing required column 'plan'");
}

/* Two architectures in the input: each plan of each is its own series (plan@arch); one
 * architecture, or none, leaves the plan names alone. */
static void test_arch_series(void **state)
{
    static const char *text = "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us,arch\n"
                              "cpu,2,1,5,1,2,3,x86_64\ncpu,2,1,7,1,2,3,aarch64\n";
    struct csv_table *t = NULL;
    struct analysis *a = NULL;
    (void)state;
    assert_null(parse_err(text, &t));
    assert_string_equal(t->rows[1].arch, "aarch64");
    assert_int_equal(analysis_build(&t, 1, 0, stderr, &a), 0);
    assert_int_equal(a->n_groups, 2);
    assert_string_equal(a->groups[0].plan, "cpu@aarch64");
    assert_string_equal(a->groups[1].plan, "cpu@x86_64");
    assert_non_null(
        strstr(a->groups[0].warnings[a->groups[0].n_warnings - 1], "several architectures"));
    analysis_free(a);
    csv_free(t);
    assert_null(parse_err("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us,arch\n"
                          "cpu,2,1,5,1,2,3,aarch64\ncpu,2,2,7,1,2,3,aarch64\n",
                          &t));
    assert_int_equal(analysis_build(&t, 1, 0, stderr, &a), 0);
    assert_int_equal(a->n_groups, 1);
    assert_string_equal(a->groups[0].plan, "cpu");
    analysis_free(a);
    csv_free(t);
}

/* Tables from hosts of different CPU models (the run's manifest, csv_table.host) are
 * different series (plan@model, with the architecture too when those differ); tables
 * from one model, or of unknown hosts, keep their plan names. */
static void test_host_series(void **state)
{
    static const char *text = "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,2,1,5,1,2,3\n";
    struct csv_table *t[2] = {NULL, NULL};
    struct analysis *a = NULL;
    (void)state;
    assert_null(parse_err(text, &t[0]));
    assert_null(parse_err(text, &t[1]));
    snprintf(t[0]->host, sizeof(t[0]->host), "EPYC-Rome-v4");
    snprintf(t[1]->host, sizeof(t[1]->host), "Skylake-Server-IBRS");
    assert_int_equal(analysis_build(t, 2, 0, stderr, &a), 0);
    assert_int_equal(a->n_groups, 2);
    assert_string_equal(a->groups[0].plan, "cpu@EPYC-Rome-v4");
    assert_string_equal(a->groups[1].plan, "cpu@Skylake-Server-IBRS");
    assert_non_null(strstr(a->groups[0].warnings[a->groups[0].n_warnings - 1],
                           "hosts of different CPU models"));
    analysis_free(a);
    csv_free(t[0]);
    csv_free(t[1]);
    /* One model (or one unknown): one series, as named. */
    assert_null(parse_err(text, &t[0]));
    assert_null(parse_err(text, &t[1]));
    snprintf(t[0]->host, sizeof(t[0]->host), "EPYC-Rome-v4");
    assert_int_equal(analysis_build(t, 2, 0, stderr, &a), 0);
    assert_int_equal(a->n_groups, 1);
    assert_string_equal(a->groups[0].plan, "cpu");
    analysis_free(a);
    csv_free(t[0]);
    csv_free(t[1]);
}

static void test_read_file(void **state)
{
    struct csv_table *t = NULL;
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);
    (void)state;
    assert_int_equal(csv_read("/nonexistent/x.csv", m, &t), -1);
    fclose(m);
    assert_non_null(strstr(msg, "cannot open '/nonexistent/x.csv': No such file"));
    free(msg);
    assert_null(t);
}

/* Reading msg from csv_read(path); returns the message (caller frees), asserting failure. */
static char *read_err(const char *path)
{
    struct csv_table *t = NULL;
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);
    assert_non_null(m);
    assert_int_equal(csv_read(path, m, &t), -1);
    fclose(m);
    assert_null(t);
    return msg;
}

/* A FIFO would block a reader for ever and /dev/zero never ends: both are refused at once
 * (before this check, the FIFO hung the test and /dev/zero ate all memory). */
static void test_read_not_regular(void **state)
{
    char dir[] = "/tmp/vmsweep-test-csv-XXXXXX", fifo[64];
    char *msg;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/sweep.csv", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    msg = read_err(fifo);
    assert_non_null(strstr(msg, "is not a regular file"));
    free(msg);
    msg = read_err("/dev/zero");
    assert_non_null(strstr(msg, "is not a regular file"));
    free(msg);
    unlink(fifo);
    rmdir(dir);
}

/* The header line of n columns: the required ones, then c0, c1, ... */
static char *wide_header(size_t n, size_t *len)
{
    char *text = malloc(n * 10 + 64);
    assert_non_null(text);
    *len = (size_t)sprintf(text, "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us");
    for (size_t i = 7; i < n; i++)
        *len += (size_t)sprintf(text + *len, ",c%zu", i);
    text[(*len)++] = '\n';
    return text;
}

/* A header of 300000 columns is refused at its 257th field, pointed at, without reading
 * the rest of the line or checking pairs of names (which took minutes). */
static void test_too_many_columns(void **state)
{
    size_t len;
    char *text = wide_header(300000, &len);
    (void)state;
    expect_error_n(text, len, "data.csv:1:1198: more than the 256 columns a sweep CSV may have");
    free(text);
    /* Exactly the cap is fine. */
    text = wide_header(CSV_MAX_COLUMNS, &len);
    {
        struct csv_table *t = NULL;
        assert_null(parse_err_n(text, len, &t));
        assert_int_equal(t->n, 0);
        csv_free(t);
    }
    free(text);
}

/* Duplicate names are found by sorting; the one reported is the first second occurrence
 * from the left, as the pairwise check found it: here c9's, although c8 sorts first. */
static void test_duplicate_columns(void **state)
{
    size_t len;
    char *text = wide_header(CSV_MAX_COLUMNS - 2, &len), *dup = malloc(len + 16);
    (void)state;
    assert_non_null(dup);
    memcpy(dup, text, len - 1);
    strcpy(dup + len - 1, ",c9,c8\n");
    expect_error(dup, "data.csv:1:1188: column 'c9' appears twice");
    free(dup);
    free(text);
}

/* A line over CSV_MAX_LINE bytes is refused while it is read, naming where it starts. */
static void test_line_too_long(void **state)
{
    const char *hdr = "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n";
    size_t n = strlen(hdr) + CSV_MAX_LINE + 64;
    char *text = malloc(n + 1);
    (void)state;
    assert_non_null(text);
    strcpy(text, hdr);
    strcat(text, "\"");
    memset(text + strlen(text), 'x', CSV_MAX_LINE);
    text[strlen(hdr) + 1 + CSV_MAX_LINE] = '\0';
    strcat(text, "\",1,1,5,1,2,3\n");
    expect_error(text, "data.csv:2:1: the line is longer than the 65536 bytes");
    /* Unquoted too. */
    text[strlen(hdr)] = 'y';
    *strchr(text + strlen(hdr), '"') = 'y';
    expect_error(text, "data.csv:2:1: the line is longer than the 65536 bytes");
    free(text);
}

static int stop_now(void)
{
    return 1;
}

/* The cancel hook stops a read (Ctrl-C during a huge CSV); without it the same text reads. */
static void test_cancel(void **state)
{
    const char *text = "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,1,1,5,1,2,3\n";
    struct csv_table *t = NULL;
    (void)state;
    cancel_set_hook(stop_now);
    expect_error(text, "data.csv: interrupted while reading it");
    cancel_set_hook(NULL);
    assert_null(parse_err(text, &t));
    assert_int_equal(t->n, 1);
    csv_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_schema),
        cmocka_unit_test(test_minimal_reordered_quoted_crlf),
        cmocka_unit_test(test_header_only_and_free_null),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_arch_series),
        cmocka_unit_test(test_host_series),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_read_not_regular),
        cmocka_unit_test(test_too_many_columns),
        cmocka_unit_test(test_duplicate_columns),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
