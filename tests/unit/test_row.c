/* Unit tests for guest-agent/row.c: CSV and JSONL rows against golden files. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "row.h"

#ifndef VMSWEEP_SRCDIR
#define VMSWEEP_SRCDIR "."
#endif

static char *slurp(const char *name)
{
    char path[1024], *buf;
    long n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/data/agent/%s", VMSWEEP_SRCDIR, name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

static void fill(struct row *a, struct row *b)
{
    uint64_t counts[4] = {100, 100, 100, 100};

    memset(a, 0, sizeof(*a));
    a->ts = 1700000000;
    snprintf(a->plan, sizeof(a->plan), "sleep");
    a->vcpus = 4;
    a->cpu_threads = 4;
    a->concurrency = 4;
    a->duration_sec = 10;
    a->qps = 3731.25;
    a->p50_us = 1068.5;
    a->p90_us = 1078.75;
    a->p99_us = 1145.25;
    a->max_us = 3106.125;
    a->ru_maxrss = 1156;
    a->mean_us = 1073.25;
    a->ops = 37312;
    a->little_ratio = row_little_ratio(a->qps, a->mean_us, a->concurrency);
    a->fairness = row_jain_index(counts, 4);
    a->clock_ns = 26.5;
    a->p999_us = 1290.5;
    a->offered_qps = 4000; /* an open-loop run that achieved less */
    a->busy_cpus = 3.96;
    a->other_cpus = 0.02;
    a->wait_cpus = 0.5;
    a->cpu_share = 0.484; /* as the harness writes it back */
    snprintf(a->arch, sizeof(a->arch), "aarch64");
    /* a timed-out run with an awkward plan name */
    memset(b, 0, sizeof(*b));
    b->ts = 1700000060;
    snprintf(b->plan, sizeof(b->plan), "a,\"b\"\\c");
    b->vcpus = 4;
    b->cpu_threads = 2;
    b->io_threads = 2;
    b->async = 1;
    b->concurrency = 8;
    b->duration_sec = 0.5;
    b->run_idx = 1;
    b->exit_code = 143;
    b->timeout_killed = 1;
    b->mean_us = b->little_ratio = b->fairness = b->p999_us = b->offered_qps = NAN;
    b->busy_cpus = b->other_cpus = b->wait_cpus = b->cpu_share = NAN;
    b->clock_ns = 26.5;
}

static char *render(int (*fn)(FILE *, const struct row *), int header)
{
    struct row a, b;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    fill(&a, &b);
    if (header)
        assert_int_equal(row_write_csv_header(f), 0);
    assert_int_equal(fn(f, &a), 0);
    assert_int_equal(fn(f, &b), 0);
    fclose(f);
    return buf;
}

static void test_csv_golden(void **state)
{
    char *got = render(row_write_csv, 1), *want = slurp("rows.csv");
    (void)state;
    assert_string_equal(got, want);
    /* The 17 fixed columns first, as every version of the CSV has had them. */
    assert_int_equal(strncmp(got,
                             "ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,"
                             "run_idx,qps,p50_us,p90_us,p99_us,max_us,ru_maxrss,exit_code,"
                             "timeout_killed,",
                             strlen("ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,"
                                    "duration_sec,run_idx,qps,p50_us,p90_us,p99_us,max_us,"
                                    "ru_maxrss,exit_code,timeout_killed,")),
                     0);
    assert_string_equal(row_cols[ROW_NCOLS_FIXED - 1].name, "timeout_killed");
    free(got);
    free(want);
}

static void test_jsonl_golden(void **state)
{
    char *got = render(row_write_jsonl, 0), *want = slurp("rows.jsonl");
    (void)state;
    assert_string_equal(got, want);
    free(got);
    free(want);
}

static void test_header_exact(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    (void)state;
    assert_int_equal(row_write_csv_header(f), 0);
    fclose(f);
    assert_string_equal(buf, "ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,"
                             "run_idx,qps,p50_us,p90_us,p99_us,max_us,ru_maxrss,exit_code,"
                             "timeout_killed,mean_us,errors,ops,little_ratio,fairness,clock_ns,"
                             "p999_us,offered_qps,busy_cpus,other_cpus,wait_cpus,cpu_share,arch\n");
    free(buf);
}

static void test_stats(void **state)
{
    uint64_t even[3] = {5, 5, 5}, one[4] = {8, 0, 0, 0}, zero[2] = {0, 0};
    (void)state;
    assert_true(fabs(row_jain_index(even, 3) - 1) < 1e-12);
    assert_true(fabs(row_jain_index(one, 4) - 0.25) < 1e-12);
    assert_true(isnan(row_jain_index(zero, 2)));
    assert_true(fabs(row_little_ratio(1000, 1000, 1) - 1) < 1e-12);
    assert_true(isnan(row_little_ratio(0, 1000, 1)));
    assert_true(isnan(row_little_ratio(1000, NAN, 1)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_golden),
        cmocka_unit_test(test_jsonl_golden),
        cmocka_unit_test(test_header_exact),
        cmocka_unit_test(test_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
