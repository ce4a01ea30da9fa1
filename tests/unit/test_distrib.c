/* Unit tests for plot/distrib.c: Student's t, F and normal against published tables. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "distrib.h"

static void near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.15g, want %.15g (tolerance %g)", got, want, tol);
}

static void test_t(void **state)
{
    (void)state;
    /* Two-sided 95% critical values (any statistics table). */
    near(distrib_t_quantile(0.975, 1), 12.706204736, 1e-8);
    near(distrib_t_quantile(0.975, 8), 2.306004135, 1e-8);
    near(distrib_t_quantile(0.975, 64), 1.997729654, 1e-8);
    near(distrib_t_quantile(0.995, 30), 2.749995652, 1e-8);
    near(distrib_t_cdf(1, 1), 0.75, 1e-14); /* Cauchy */
    near(distrib_t_cdf(0, 5), 0.5, 1e-15);
    near(distrib_t_cdf(-2.306004135, 8), 0.025, 1e-10);
    near(distrib_t_cdf(2.306004135, 8), 0.975, 1e-10);
    /* a far tail keeps its relative precision (no 1 - (1 - p) cancellation) */
    near(distrib_t_cdf(-40, 10) / 1.1404288715e-12, 1, 1e-8);
    assert_true(distrib_t_cdf(INFINITY, 3) == 1 && distrib_t_cdf(-INFINITY, 3) == 0);
    assert_true(isnan(distrib_t_cdf(1, 0)) && isnan(distrib_t_cdf(NAN, 3)));
    assert_true(isnan(distrib_t_quantile(0, 3)) && isnan(distrib_t_quantile(1, 3)));
    /* large df tends to the normal */
    near(distrib_t_quantile(0.975, 1e7), 1.959963985, 1e-6);
}

static void test_f_and_normal(void **state)
{
    (void)state;
    near(distrib_f_cdf(3.438101233, 8, 8), 0.95, 1e-8);
    near(distrib_f_cdf(3.325834530, 5, 10), 0.95, 1e-8);
    /* F(1, d) is the square of t(d) */
    near(distrib_f_cdf(2.228138852 * 2.228138852, 1, 10), 0.95, 1e-9);
    assert_true(distrib_f_cdf(0, 3, 4) == 0 && distrib_f_cdf(INFINITY, 3, 4) == 1);
    assert_true(isnan(distrib_f_cdf(1, 0, 4)));
    near(distrib_normal_quantile(0.975), 1.959963985, 1e-9);
    near(distrib_normal_quantile(0.8), 0.841621234, 1e-9);
    near(distrib_normal_quantile(1e-6), -4.753424309, 1e-8);
    assert_true(isnan(distrib_normal_quantile(0)) && isnan(distrib_normal_quantile(1.5)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t),
        cmocka_unit_test(test_f_and_normal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
