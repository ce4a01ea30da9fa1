/*
 * ranktest — the two-sided Mann–Whitney U (Wilcoxon rank-sum) test for two independent
 * samples, exact for the small sample sizes of benchmark repetitions.
 *
 * Ties get mid-ranks and the exact null distribution is computed over those mid-ranks
 * (a permutation test of the rank sum), so the p-value stays exact with ties.  Beyond
 * RANKTEST_EXACT_MAX pooled observations the normal approximation with tie and
 * continuity corrections is used.
 */
#ifndef VMSWEEP_RANKTEST_H
#define VMSWEEP_RANKTEST_H

#include <stddef.h>

#define RANKTEST_EXACT_MAX 100 /* pooled sample size up to which the p-value is exact */
#define RANKTEST_MAX_RUNS  200 /* ranktest_runs_needed gives up beyond this many per side */

/* The result of one test. */
struct ranktest_result {
    double u;     /* U statistic of sample a: pairs (a_i, b_j) with a_i > b_j, ties count 1/2 */
    double p;     /* two-sided p-value */
    double p_min; /* smallest two-sided p-value any outcome could give with these sizes */
    int exact;    /* 1 when p is exact, 0 for the normal approximation */
};

/*
 * Test whether a[0..na) and b[0..nb) come from the same distribution.  Non-finite values
 * are an error.  Returns -1 when na or nb is 0, a value is not finite, or memory runs out;
 * *out is set only on success.
 */
int ranktest_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          struct ranktest_result *out);

/*
 * Smallest two-sided p-value reachable with samples of na and nb values (no ties): the
 * two most extreme of the C(na + nb, na) equally likely rank arrangements, 2 / C(...),
 * capped at 1.
 */
double ranktest_min_p(size_t na, size_t nb);

/*
 * Runs per side (the same for both) needed so that ranktest_min_p(k, k) < alpha: the
 * fewest repetitions with which a significant result is possible at all.  Returns 0 when
 * alpha is not in (0, 1) or more than RANKTEST_MAX_RUNS would be needed.
 */
size_t ranktest_runs_needed(double alpha);

#endif
