/* Unit tests for plot/stats.c: median, MAD, CV, modified Z-scores, bootstrap. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stats.h"

static void test_median(void **state)
{
    double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2}, one[] = {7}, m = -1;
    (void)state;
    assert_int_equal(stats_median(odd, 3, &m), 0);
    assert_true(m == 3);
    assert_int_equal(stats_median(even, 4, &m), 0);
    assert_true(m == 2.5);
    assert_int_equal(stats_median(one, 1, &m), 0);
    assert_true(m == 7);
    m = -1;
    assert_int_equal(stats_median(one, 0, &m), -1);
    assert_true(m == -1);                    /* untouched on failure */
    assert_true(odd[0] == 5 && odd[1] == 1); /* input not reordered */
}

static void test_mad(void **state)
{
    double x[] = {1, 1, 2, 2, 4, 6, 9}, m = 0; /* median 2; deviations 1 1 0 0 2 4 7 */
    (void)state;
    assert_int_equal(stats_mad(x, 7, &m), 0);
    assert_true(m == 1);
    assert_int_equal(stats_mad(x, 0, &m), -1);
}

static void test_mean_sd_cv(void **state)
{
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9}, v = 0, zero[] = {0, 0};
    (void)state;
    assert_int_equal(stats_mean(x, 8, &v), 0);
    assert_true(v == 5);
    assert_int_equal(stats_stddev(x, 8, &v), 0);
    assert_true(fabs(v - sqrt(32.0 / 7)) < 1e-12);
    assert_int_equal(stats_cv(x, 8, &v), 0);
    assert_true(fabs(v - sqrt(32.0 / 7) / 5) < 1e-12);
    assert_int_equal(stats_cv(zero, 2, &v), -1); /* mean 0 */
    assert_int_equal(stats_stddev(x, 1, &v), 0);
    assert_true(v == 0);
}

static void test_modz(void **state)
{
    double x[] = {10, 10.1, 9.9, 10, 10.2, 9.8, 30}, z[7];
    double flat[] = {5, 5, 5, 5, 9}, zf[5], same[] = {3, 3, 3}, zs[3];
    (void)state;
    /* median 10, MAD 0.1: z(30) = 0.6745 * 20 / 0.1 = 134.9 */
    assert_int_equal(stats_modz(x, 7, z), 0);
    assert_true(fabs(z[6] - 134.9) < 1e-9);
    assert_true(fabs(z[1] - 0.6745) < 1e-9);
    for (int i = 0; i < 6; i++)
        assert_true(fabs(z[i]) < STATS_MODZ_OUTLIER);
    assert_true(z[6] > STATS_MODZ_OUTLIER);
    /* MAD 0: falls back to the mean absolute deviation (0.8): z = 4 / (1.253314 * 0.8). */
    assert_int_equal(stats_modz(flat, 5, zf), 0);
    assert_true(fabs(zf[4] - 4 / (1.253314 * 0.8)) < 1e-9);
    assert_true(zf[0] == 0);
    assert_int_equal(stats_modz(same, 3, zs), 0);
    assert_true(zs[0] == 0 && zs[2] == 0);
    assert_int_equal(stats_modz(same, 0, zs), -1);
}

static void test_bootstrap(void **state)
{
    double x[] = {9, 10, 11, 10, 10.5, 9.5, 10.2, 9.8}, lo, hi, lo2, hi2;
    (void)state;
    assert_int_equal(stats_bootstrap_median_ci(x, 8, 2000, 0.95, 7, &lo, &hi), 0);
    assert_true(lo <= 10 && hi >= 10 && lo >= 9 && hi <= 11);
    assert_int_equal(stats_bootstrap_median_ci(x, 8, 2000, 0.95, 7, &lo2, &hi2), 0);
    assert_true(lo == lo2 && hi == hi2); /* deterministic */
    assert_int_equal(stats_bootstrap_median_ci(x, 0, 10, 0.95, 1, &lo, &hi), -1);
    assert_int_equal(stats_bootstrap_median_ci(x, 8, 10, 1.5, 1, &lo, &hi), -1);
}

/* The quickselect median equals the sorting one on random, duplicate-heavy and sorted
 * inputs of every small length and a few large ones. */
static void test_median_inplace(void **state)
{
    static double x[5001], y[5001];
    uint64_t r = 88172645463325252ULL;
    (void)state;
    for (size_t n = 1; n <= 5001; n += (n < 64 ? 1 : 997)) {
        for (int kind = 0; kind < 4; kind++) {
            double want;
            for (size_t i = 0; i < n; i++) {
                r ^= r << 13;
                r ^= r >> 7;
                r ^= r << 17;
                x[i] = kind == 0   ? (double)(r % 1000000)
                       : kind == 1 ? (double)(r % 3)
                       : kind == 2 ? (double)i
                                   : (double)(n - i);
                y[i] = x[i];
            }
            assert_int_equal(stats_median(x, n, &want), 0);
            assert_true(stats_median_inplace(y, n) == want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median), cmocka_unit_test(test_median_inplace),
        cmocka_unit_test(test_mad),    cmocka_unit_test(test_mean_sd_cv),
        cmocka_unit_test(test_modz),   cmocka_unit_test(test_bootstrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
