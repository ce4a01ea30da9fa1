/*
 * stats — robust summary statistics for repeated measurements: median, MAD, coefficient
 * of variation, modified Z-scores (Iglewicz and Hoaglin) and a deterministic bootstrap
 * confidence interval of the median.  Inputs are never modified.  Shared by `vmsweep
 * plot` and `vmsweep compare`.
 */
#ifndef VMSWEEP_STATS_H
#define VMSWEEP_STATS_H

#include <stddef.h>
#include <stdint.h>

/* |modified Z| (against the MAD) above this flags an outlier. */
#define STATS_MODZ_OUTLIER 14.8

/* Median of x[0..n); -1 when n == 0 or allocation fails. */
int stats_median(const double *x, size_t n, double *out);

/*
 * The median of x[0..n) (n > 0), found in place in expected O(n) (quickselect): x is
 * reordered.  Equal to stats_median's result.
 */
double stats_median_inplace(double *x, size_t n);

/*
 * The k-th smallest of x[0..n) (k < n, counted from 0), found in place in expected O(n)
 * (quickselect): x is reordered.  Equal to element k of x sorted ascending; a percentile
 * without sorting.
 */
double stats_kth_inplace(double *x, size_t n, size_t k);

/* Median absolute deviation from the median (unscaled); -1 when n == 0. */
int stats_mad(const double *x, size_t n, double *out);

/* Arithmetic mean; -1 when n == 0. */
int stats_mean(const double *x, size_t n, double *out);

/* Sample standard deviation (n - 1 in the denominator; 0 for n == 1); -1 when n == 0. */
int stats_stddev(const double *x, size_t n, double *out);

/* Coefficient of variation stddev / mean; -1 when n == 0 or the mean is 0. */
int stats_cv(const double *x, size_t n, double *out);

/*
 * Modified Z-scores z[i] = 0.6745 (x[i] - median) / MAD.  When the MAD is 0 the mean
 * absolute deviation is used instead (z = (x - median) / (1.253314 · meanAD)); when that is
 * 0 too, all values are equal and every z is 0.  Returns -1 when n == 0.
 */
int stats_modz(const double *x, size_t n, double *z);

/*
 * Bootstrap percentile interval of the median: `iters` resamples drawn with a fixed
 * xorshift generator seeded by `seed` (same input, same answer), level in (0, 1), e.g.
 * 0.95.  Returns -1 when n == 0, iters == 0 or level is out of range.
 */
int stats_bootstrap_median_ci(const double *x, size_t n, unsigned iters, double level,
                              uint64_t seed, double *lo, double *hi);

#endif
