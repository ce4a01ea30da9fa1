/*
 * knee — see knee.h.
 *
 * Design.  A sweep on a doubling grid gives few points (typically 6 to 10), each a
 * median over repetitions, so every method here is a simple rule on those points rather
 * than a smoothed curve:
 *
 *  - Throughput knee (the headline answer): walk the levels in ascending order and stop
 *    at the first one that is already near the top (>= 90% of the best throughput) and
 *    from which *doubling* the concurrency buys < 10%.  The throughput at 2N is read off
 *    the measured curve, interpolated linearly in log2 N between the two levels around
 *    2N.  Why per doubling: the knee must be a property of the system, not of the grid.
 *    The earlier rule compared a level with the next one, so on a step-1 grid "the next
 *    level adds < 10%" holds for every N >= 10 of any curve and the knee became the first
 *    level above 90% of the maximum, while a doubling grid of the same system gave another
 *    level or none.  Judged per doubling, a step-1, a step-2 and a doubling grid of one
 *    system agree within one doubling step (tests/unit/test_knee: test_grid_invariance),
 *    and on a doubling grid 2N is the next level, so the rule is exactly the earlier one
 *    there (the worked example of the seed guide, knee 32 and run at 16-24, is unchanged).
 *    A level whose double lies beyond the last level cannot be judged: a curve that has
 *    not flattened by N_last / 2 has no knee within the levels measured, and the analysis
 *    says how far to extend the sweep (and gives the USL's N* as the estimate).  Being a
 *    rule on medians with 10% margins, 3% noise moves it by at most one level.
 *  - Latency knee: the first level whose p99 exceeds 3x that of the lowest level; it
 *    often comes before the throughput knee on gently saturating curves.
 *  - Kneedle: the point of maximum curvature in the normalised sense.  x is log2(N) so
 *    that a doubling grid is evenly spaced; y is the running maximum of qps so that a
 *    retrograde tail (throughput falling past the peak) reads as a plateau instead of
 *    pulling the knee.  A curve on or below the chord (linear scaling, which is convex
 *    on a log x axis) has no knee.
 */
#include "knee.h"

#include <math.h>
#include <stdlib.h>

static int valid(const struct knee_level *lv, size_t n)
{
    if (n == 0 || !lv)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (lv[i].concurrency == 0 || !isfinite(lv[i].qps))
            return -1;
        if (i > 0 && lv[i].concurrency <= lv[i - 1].concurrency)
            return -1;
    }
    return 0;
}

int knee_gain_per_doubling(const struct knee_level *lv, size_t n, size_t i, double *gain)
{
    double target, t, x;
    size_t j = i, hi;

    if (valid(lv, n) < 0 || i >= n)
        return -1;
    target = 2.0 * (double)lv[i].concurrency;
    if (target > (double)lv[n - 1].concurrency || !(lv[i].qps > 0))
        return -1;
    /* Binary search for the bracket: the walk is O(log n), so judging every level of a
     * step-1 grid of 200000 levels stays fast. */
    hi = n - 1;
    while (hi - j > 1) {
        size_t mid = j + (hi - j) / 2;
        if ((double)lv[mid].concurrency < target)
            j = mid;
        else
            hi = mid;
    }
    /* lv[j].concurrency < 2N <= lv[j + 1].concurrency: interpolate in log2 N. */
    t = (log2(target) - log2((double)lv[j].concurrency)) /
        (log2((double)lv[j + 1].concurrency) - log2((double)lv[j].concurrency));
    x = lv[j].qps + t * (lv[j + 1].qps - lv[j].qps);
    *gain = x / lv[i].qps - 1;
    return 0;
}

int knee_throughput(const struct knee_level *lv, size_t n, long *idx)
{
    double max = 0, gain;
    if (valid(lv, n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        max = fmax(max, lv[i].qps);
    for (size_t i = 0; i + 1 < n; i++) {
        if (lv[i].qps >= KNEE_NEAR_MAX * max && knee_gain_per_doubling(lv, n, i, &gain) == 0 &&
            gain < KNEE_MIN_GAIN) {
            *idx = (long)i;
            return 0;
        }
    }
    *idx = -1;
    return 0;
}

int knee_latency(const struct knee_level *lv, size_t n, long *idx)
{
    if (valid(lv, n) < 0)
        return -1;
    *idx = -1;
    if (!(lv[0].p99_us > 0))
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (lv[i].p99_us > KNEE_LATENCY_MULT * lv[0].p99_us) {
            *idx = (long)i;
            break;
        }
    }
    return 0;
}

int knee_kneedle(const struct knee_level *lv, size_t n, long *idx)
{
    double x0, x1, ymin, ymax, run, best = KNEE_KNEEDLE_MIN;
    long found = -1;
    if (valid(lv, n) < 0)
        return -1;
    *idx = -1;
    if (n < 3)
        return 0;
    x0 = log2((double)lv[0].concurrency);
    x1 = log2((double)lv[n - 1].concurrency);
    ymin = lv[0].qps;
    ymax = lv[0].qps;
    for (size_t i = 0; i < n; i++) {
        ymin = fmin(ymin, lv[i].qps);
        ymax = fmax(ymax, lv[i].qps);
    }
    if (!(ymax > ymin) || !(x1 > x0))
        return 0;
    run = lv[0].qps;
    for (size_t i = 0; i < n; i++) {
        double xn, yn;
        run = fmax(run, lv[i].qps);
        xn = (log2((double)lv[i].concurrency) - x0) / (x1 - x0);
        yn = (run - ymin) / (ymax - ymin);
        if (yn - xn > best) {
            best = yn - xn;
            found = (long)i;
        }
    }
    *idx = found;
    return 0;
}

const struct knee_method knee_methods[KNEE_NMETHODS] = {
    [KNEE_LATENCY] = {"the latency knee", "latency_knee", "latency knee:", "latency knee",
                      " (p99 stays within 3x the lowest level's)", "latency knee", 6, knee_latency},
    [KNEE_KNEEDLE] = {"Kneedle", "kneedle", "Kneedle (log2 N):", "Kneedle", "", "Kneedle", 4,
                      knee_kneedle},
};
