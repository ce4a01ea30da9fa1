/*
 * ranktest — see ranktest.h.  The exact distribution is counted by dynamic programming
 * over the pooled, doubled mid-ranks (integers even with ties): ways[k][s] is the number
 * of k-subsets whose doubled rank sum is s.  Counts are doubles: C(100, 50) ~ 1e29 is far
 * inside their range and only ratios are needed.
 */
#include "ranktest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ranktest_item {
    double v;
    int from_a;
};

static int item_cmp(const void *x, const void *y)
{
    const struct ranktest_item *a = x, *b = y;
    return (a->v > b->v) - (a->v < b->v);
}

/* C(n, k) as a double. */
static double choose(size_t n, size_t k)
{
    double c = 1;
    if (k > n)
        return 0;
    if (k > n - k)
        k = n - k;
    for (size_t i = 1; i <= k; i++)
        c = c * (double)(n - k + i) / (double)i;
    return c;
}

double ranktest_min_p(size_t na, size_t nb)
{
    double p;
    if (na == 0 || nb == 0)
        return 1;
    p = 2.0 / choose(na + nb, na);
    return p < 1 ? p : 1;
}

size_t ranktest_runs_needed(double alpha)
{
    if (!(alpha > 0 && alpha < 1))
        return 0;
    for (size_t k = 1; k <= RANKTEST_MAX_RUNS; k++) {
        if (ranktest_min_p(k, k) < alpha)
            return k;
    }
    return 0;
}

/* Exact two-sided p of the doubled rank sum w2 of a k-subset of the doubled ranks r2. */
static int exact_p(const long *r2, size_t n, size_t k, long w2, double *out)
{
    long total = 0, mean, dev;
    double *ways = NULL, hit = 0, all = 0;
    size_t width;

    for (size_t i = 0; i < n; i++)
        total += r2[i];
    width = (size_t)total + 1;
    ways = calloc((k + 1) * width, sizeof(*ways));
    if (!ways)
        return -1;
    ways[0] = 1;
    for (size_t i = 0; i < n; i++) {
        size_t top = i + 1 < k ? i + 1 : k;
        for (size_t j = top; j >= 1; j--) {
            double *dst = ways + j * width, *src = ways + (j - 1) * width;
            for (size_t s = width - 1; s >= (size_t)r2[i]; s--) {
                dst[s] += src[s - (size_t)r2[i]];
                if (s == 0)
                    break;
            }
        }
    }
    mean = (long)k * (long)(n + 1); /* E[doubled rank sum] = k (n + 1) */
    dev = labs(w2 - mean);
    for (size_t s = 0; s < width; s++) {
        double c = ways[k * width + s];
        all += c;
        if (labs((long)s - mean) >= dev)
            hit += c;
    }
    free(ways);
    *out = all > 0 ? hit / all : 1;
    if (*out > 1)
        *out = 1;
    return 0;
}

int ranktest_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          struct ranktest_result *out)
{
    struct ranktest_item *it = NULL;
    long *r2 = NULL, w2a = 0;
    size_t n = na + nb;
    double ties = 0;
    struct ranktest_result r = {0};
    int ret = -1;

    if (na == 0 || nb == 0)
        return -1;
    for (size_t i = 0; i < na; i++)
        if (!isfinite(a[i]))
            return -1;
    for (size_t i = 0; i < nb; i++)
        if (!isfinite(b[i]))
            return -1;
    it = malloc(n * sizeof(*it));
    r2 = malloc(n * sizeof(*r2));
    if (!it || !r2)
        goto cleanup;
    for (size_t i = 0; i < na; i++)
        it[i] = (struct ranktest_item){a[i], 1};
    for (size_t i = 0; i < nb; i++)
        it[na + i] = (struct ranktest_item){b[i], 0};
    qsort(it, n, sizeof(*it), item_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && it[j].v == it[i].v)
            j++;
        /* positions i..j-1 share the mid-rank (i + 1 + j) / 2; doubled: i + 1 + j */
        for (size_t t = i; t < j; t++) {
            r2[t] = (long)(i + 1 + j);
            if (it[t].from_a)
                w2a += r2[t];
        }
        ties += pow((double)(j - i), 3) - (double)(j - i);
        i = j;
    }
    r.u = (double)w2a / 2 - (double)na * (double)(na + 1) / 2;
    r.p_min = ranktest_min_p(na, nb);
    if (n <= RANKTEST_EXACT_MAX) {
        if (exact_p(r2, n, na, w2a, &r.p) < 0)
            goto cleanup;
        r.exact = 1;
    } else {
        double mu = (double)na * (double)nb / 2;
        double var =
            (double)na * (double)nb / 12 * ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
        double z = var > 0 ? (fabs(r.u - mu) - 0.5) / sqrt(var) : 0;
        r.p = z > 0 ? erfc(z / sqrt(2)) : 1;
        r.exact = 0;
    }
    *out = r;
    ret = 0;
cleanup:
    free(it);
    free(r2);
    return ret;
}
