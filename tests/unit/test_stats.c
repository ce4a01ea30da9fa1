/* Unit tests for plot/stats.c: median, MAD, CV, modified Z-scores, the median's interval. */
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

static void test_median_ci(void **state)
{
    double five[] = {9, 12, 10, 11, 10.5}, twenty[20], lo, hi, cov;
    (void)state;
    /* 5 runs: only [min, max] exists, with coverage 1 - 2/32 */
    assert_int_equal(stats_median_ci(five, 5, 0.95, &lo, &hi, &cov), 0);
    assert_true(lo == 9 && hi == 12 && fabs(cov - 0.9375) < 1e-12);
    /* 20 runs: [x(6), x(15)] (1-based), coverage 1 - 2 P(Bin(20, 1/2) <= 5) = 0.9586 */
    for (int i = 0; i < 20; i++)
        twenty[i] = (double)((i * 7) % 20); /* 0..19, shuffled */
    assert_int_equal(stats_median_ci(twenty, 20, 0.95, &lo, &hi, &cov), 0);
    assert_true(lo == 5 && hi == 14);
    assert_true(fabs(cov - (1 - 2 * 21700.0 / 1048576.0)) < 1e-9);
    assert_true(twenty[0] == 0 && twenty[1] == 7); /* the input is not reordered */
    assert_int_equal(stats_median_ci(five, 1, 0.95, &lo, &hi, &cov), 0);
    assert_true(lo == 9 && hi == 9 && cov == 0);
    assert_int_equal(stats_median_ci(five, 0, 0.95, &lo, &hi, &cov), -1);
    assert_int_equal(stats_median_ci(five, 5, 1.5, &lo, &hi, &cov), -1);
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
        cmocka_unit_test(test_modz),   cmocka_unit_test(test_median_ci),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
