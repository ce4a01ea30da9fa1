/*
 * stats — robust summary statistics for repeated measurements: median, MAD, coefficient
 * of variation, modified Z-scores (Iglewicz and Hoaglin) and a distribution-free
 * confidence interval of the median (order statistics).  Inputs are never modified.  Shared by
 * `vmsweep plot` and `vmsweep compare`.
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
 * Distribution-free interval of the median: the narrowest pair of order statistics
 * [x_(k), x_(n-1-k)] (x sorted, from 0) whose coverage 1 - 2 P(Bin(n, 1/2) <= k) is at
 * least level, or [min, max] when even that falls short (5 runs give 93.75% at most).
 * *coverage is the interval's exact coverage (0 for one value).  No resampling: the same
 * input always gives the same interval, in O(n log n).  -1 when n == 0, level is not in
 * (0, 1) or memory runs out.
 */
int stats_median_ci(const double *x, size_t n, double level, double *lo, double *hi,
                    double *coverage);

#endif
