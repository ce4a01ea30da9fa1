/*
 * distrib — the distribution functions `vmsweep compare` tests with: Student's t (CDF
 * and quantile), Fisher's F (CDF) and the standard normal quantile.
 *
 * All are computed from the regularized incomplete beta function I_x(a, b), evaluated by
 * its continued fraction (modified Lentz) on the side of x where it converges fast.
 * Relative error of the CDFs: below 1e-12 for the degrees of freedom of benchmarks
 * (1 to 1e6); quantiles are found by bisection to 1e-12 absolute.  No allocation.
 */
#ifndef VMSWEEP_DISTRIB_H
#define VMSWEEP_DISTRIB_H

/* P(T <= t) for Student's t with df > 0 degrees of freedom; NAN when df <= 0 or t is
 * NAN.  t may be infinite. */
double distrib_t_cdf(double t, double df);

/* The t with P(T <= t) = p, for p in (0, 1) and df > 0; NAN otherwise. */
double distrib_t_quantile(double p, double df);

/* P(F <= f) for Fisher's F with d1, d2 > 0 degrees of freedom; NAN when a df is not
 * positive. f <= 0 gives 0. */
double distrib_f_cdf(double f, double d1, double d2);

/* The z with P(Z <= z) = p for the standard normal, p in (0, 1); NAN otherwise. */
double distrib_normal_quantile(double p);

#endif
