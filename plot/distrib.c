/*
 * distrib — see distrib.h.
 */
#include "distrib.h"

#include <math.h>

#define DISTRIB_EPS   1e-15  /* relative step at which the continued fraction stops */
#define DISTRIB_TINY  1e-300 /* keeps Lentz's denominators off zero */
#define DISTRIB_ITERS 1000   /* a bound: converges in < 100 steps for benchmark dfs */

/* The continued fraction of I_x(a, b) (x < (a + 1) / (a + b + 2) for fast convergence). */
static double beta_fraction(double a, double b, double x)
{
    double c = 1, d = 1 - (a + b) * x / (a + 1), h;

    if (fabs(d) < DISTRIB_TINY)
        d = DISTRIB_TINY;
    d = 1 / d;
    h = d;
    for (int m = 1; m <= DISTRIB_ITERS; m++) {
        double m2 = 2.0 * m, step;
        double num = m * (b - m) * x / ((a - 1 + m2) * (a + m2));

        d = 1 + num * d;
        d = fabs(d) < DISTRIB_TINY ? DISTRIB_TINY : d;
        c = 1 + num / c;
        c = fabs(c) < DISTRIB_TINY ? DISTRIB_TINY : c;
        d = 1 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
        d = 1 + num * d;
        d = fabs(d) < DISTRIB_TINY ? DISTRIB_TINY : d;
        c = 1 + num / c;
        c = fabs(c) < DISTRIB_TINY ? DISTRIB_TINY : c;
        d = 1 / d;
        step = d * c;
        h *= step;
        if (fabs(step - 1) < DISTRIB_EPS)
            break;
    }
    return h;
}

/* The regularized incomplete beta function I_x(a, b), a, b > 0. */
static double beta_reg(double a, double b, double x)
{
    double front;

    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2))
        return front * beta_fraction(a, b, x) / a;
    return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double distrib_t_cdf(double t, double df)
{
    double tail;

    if (!(df > 0) || isnan(t))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1 : 0;
    /* P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2). */
    tail = 0.5 * beta_reg(df / 2, 0.5, df / (df + t * t));
    return t < 0 ? tail : 1 - tail;
}

double distrib_t_quantile(double p, double df)
{
    double lo = -1, hi = 1;

    if (!(p > 0 && p < 1) || !(df > 0))
        return NAN;
    while (distrib_t_cdf(lo, df) > p)
        lo *= 2;
    while (distrib_t_cdf(hi, df) < p)
        hi *= 2;
    while (hi - lo > 1e-12 * (1 + fabs(lo))) {
        double mid = (lo + hi) / 2;
        if (mid == lo || mid == hi)
            break;
        if (distrib_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

double distrib_f_cdf(double f, double d1, double d2)
{
    if (!(d1 > 0) || !(d2 > 0) || isnan(f))
        return NAN;
    if (f <= 0)
        return 0;
    if (isinf(f))
        return 1;
    return beta_reg(d1 / 2, d2 / 2, d1 * f / (d1 * f + d2));
}

double distrib_normal_quantile(double p)
{
    double lo = -40, hi = 40;

    if (!(p > 0 && p < 1))
        return NAN;
    /* Phi(z) = erfc(-z / sqrt 2) / 2, accurate in both tails. */
    while (hi - lo > 1e-12) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / sqrt(2)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}
