/* Unit tests for guest-agent/hist.c: percentiles against exact sorted values, merge. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hist.h"

#define N 200000

static uint64_t rng = 88172645463325252ULL;

static double uniform01(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Record v[0..n) and compare every tested percentile with the nearest-rank value. */
static void check_against_exact(uint64_t *v, size_t n)
{
    static const double ps[] = {1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99};
    struct hist *h;
    double sum = 0;

    assert_int_equal(hist_new(60000000000ULL, &h), 0);
    for (size_t i = 0; i < n; i++) {
        hist_record(h, v[i]);
        sum += (double)v[i];
    }
    qsort(v, n, sizeof(v[0]), cmp_u64);
    assert_true(hist_count(h) == n);
    assert_true(hist_max(h) == v[n - 1]);
    assert_true(hist_min(h) == v[0]);
    assert_true(fabs(hist_mean(h) - sum / (double)n) < 1e-6 * sum / (double)n);
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        size_t rank = (size_t)ceil(ps[i] / 100.0 * (double)n);
        double exact = (double)v[rank - 1], got = (double)hist_percentile(h, ps[i]);
        if (fabs(got - exact) > 0.001 * exact + 0.5)
            fail_msg("p%g: got %.0f, exact %.0f", ps[i], got, exact);
    }
    assert_true(hist_percentile(h, 100) == v[n - 1]);
    hist_free(h);
}

static void test_uniform(void **state)
{
    uint64_t *v = malloc(N * sizeof(*v));
    (void)state;
    assert_non_null(v);
    for (size_t i = 0; i < N; i++) /* 1 µs .. 10 ms */
        v[i] = 1000 + (uint64_t)(uniform01() * 9999000.0);
    check_against_exact(v, N);
    free(v);
}

static void test_exponential_long_tail(void **state)
{
    uint64_t *v = malloc(N * sizeof(*v));
    (void)state;
    assert_non_null(v);
    for (size_t i = 0; i < N; i++) { /* mean 200 µs, plus a Pareto tail to seconds */
        double u = uniform01();
        double x = -log(1 - u) * 200000.0;
        if (i % 100 == 0)
            x = 1000000.0 / pow(1 - uniform01(), 1.0 / 1.2);
        v[i] = (uint64_t)x + 1;
    }
    check_against_exact(v, N);
    free(v);
}

static void test_small_values_exact(void **state)
{
    uint64_t v[3000];
    (void)state;
    for (size_t i = 0; i < 3000; i++)
        v[i] = i % 2048;
    check_against_exact(v, 3000);
}

static void test_merge(void **state)
{
    struct hist *a, *b, *all, *other;
    (void)state;
    assert_int_equal(hist_new(1000000000, &a), 0);
    assert_int_equal(hist_new(1000000000, &b), 0);
    assert_int_equal(hist_new(1000000000, &all), 0);
    assert_int_equal(hist_new(5000000000ULL, &other), 0);
    for (uint64_t i = 1; i <= 10000; i++) {
        hist_record(i % 3 ? a : b, i * 1000);
        hist_record(all, i * 1000);
    }
    assert_int_equal(hist_merge(a, b), 0);
    assert_true(hist_count(a) == 10000);
    assert_true(hist_max(a) == 10000000);
    assert_true(hist_min(a) == 1000);
    for (double p = 1; p <= 100; p += 0.5)
        assert_true(hist_percentile(a, p) == hist_percentile(all, p));
    assert_true(hist_mean(a) == hist_mean(all));
    assert_int_equal(hist_merge(a, other), -1); /* different ranges */
    hist_reset(a);
    assert_true(hist_count(a) == 0 && hist_percentile(a, 50) == 0 && hist_max(a) == 0);
    hist_free(a);
    hist_free(b);
    hist_free(all);
    hist_free(other);
    hist_free(NULL);
}

static void test_saturation(void **state)
{
    struct hist *h;
    (void)state;
    assert_int_equal(hist_new(1000000, &h), 0); /* 1 ms range */
    hist_record(h, 5000000000ULL);              /* 5 s: beyond it */
    assert_true(hist_max(h) == 5000000000ULL);
    assert_true(hist_percentile(h, 50) == 5000000000ULL); /* single value: exact (clamped) */
    hist_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_exponential_long_tail),
        cmocka_unit_test(test_small_values_exact),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_saturation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
