/* stats — see stats.h.  Medians sort a private copy; nothing here keeps state. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double sorted_median(const double *s, size_t n)
{
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

int stats_median(const double *x, size_t n, double *out)
{
    double *s;
    if (n == 0)
        return -1;
    s = malloc(n * sizeof(*s));
    if (!s)
        return -1;
    memcpy(s, x, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_double);
    *out = sorted_median(s, n);
    free(s);
    return 0;
}

/* The k-th smallest of x[lo..hi] (inclusive), reordering x: Hoare partition around the
 * median of three, iterating into the side that holds k. */
static double select_kth(double *x, size_t lo, size_t hi, size_t k)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
        double a = x[lo], b = x[mid], c = x[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));

        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j && j != (size_t)-1 && i > j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return x[k];
    }
    return x[k];
}

double stats_kth_inplace(double *x, size_t n, size_t k)
{
    return select_kth(x, 0, n - 1, k);
}

double stats_median_inplace(double *x, size_t n)
{
    double hi = select_kth(x, 0, n - 1, n / 2), lo;

    if (n % 2)
        return hi;
    /* x[0..n/2) now holds values <= hi: the lower middle is their maximum. */
    lo = x[0];
    for (size_t i = 1; i < n / 2; i++)
        if (x[i] > lo)
            lo = x[i];
    return (lo + hi) / 2.0;
}

int stats_mad(const double *x, size_t n, double *out)
{
    double med, *d;
    int ret = -1;
    if (stats_median(x, n, &med) < 0)
        return -1;
    d = malloc(n * sizeof(*d));
    if (!d)
        return -1;
    for (size_t i = 0; i < n; i++)
        d[i] = fabs(x[i] - med);
    ret = stats_median(d, n, out);
    free(d);
    return ret;
}

int stats_mean(const double *x, size_t n, double *out)
{
    double s = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    *out = s / (double)n;
    return 0;
}

int stats_stddev(const double *x, size_t n, double *out)
{
    double m, s = 0;
    if (stats_mean(x, n, &m) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    *out = n > 1 ? sqrt(s / (double)(n - 1)) : 0.0;
    return 0;
}

int stats_cv(const double *x, size_t n, double *out)
{
    double m, sd;
    if (stats_mean(x, n, &m) < 0 || m == 0 || stats_stddev(x, n, &sd) < 0)
        return -1;
    *out = sd / fabs(m);
    return 0;
}

int stats_modz(const double *x, size_t n, double *z)
{
    double med, mad, meanad = 0;
    if (stats_median(x, n, &med) < 0 || stats_mad(x, n, &mad) < 0)
        return -1;
    if (mad > 0) {
        for (size_t i = 0; i < n; i++)
            z[i] = 0.6745 * (x[i] - med) / mad;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        meanad += fabs(x[i] - med);
    meanad /= (double)n;
    for (size_t i = 0; i < n; i++)
        z[i] = meanad > 0 ? (x[i] - med) / (1.253314 * meanad) : 0.0;
    return 0;
}

/* P(Bin(n, 1/2) = i), in logs so that large n does not underflow 2^-n first. */
static double binom_half(size_t n, size_t i)
{
    return exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
               (double)n * log(2.0));
}

int stats_median_ci(const double *x, size_t n, double level, double *lo, double *hi,
                    double *coverage)
{
    double *s, cum;
    size_t k = 0;

    if (n == 0 || !(level > 0 && level < 1))
        return -1;
    s = malloc(n * sizeof(*s));
    if (!s)
        return -1;
    memcpy(s, x, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_double);
    /* [s[k], s[n-1-k]] misses the median with probability 2 P(Bin(n, 1/2) <= k): narrow it
     * while the coverage stays at or above the level. */
    cum = binom_half(n, 0);
    while (2 * k + 3 <= n && 1 - 2 * (cum + binom_half(n, k + 1)) >= level) {
        k++;
        cum += binom_half(n, k);
    }
    *lo = s[k];
    *hi = s[n - 1 - k];
    *coverage = 1 - 2 * cum;
    free(s);
    return 0;
}
