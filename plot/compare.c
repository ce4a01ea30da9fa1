/*
 * compare — see compare.h.  Design of the verdict:
 *
 * Why a rank test, and why exact.  Benchmark repetitions are few (3-10), often skewed (a
 * run that hit a noisy neighbour) and never known to be normal, so a t-test's p-value
 * would be a guess.  The Mann-Whitney U test only assumes exchangeability under "no
 * change": with na + nb runs, every split of the pooled ranks is equally likely, and the
 * p-value is counted exactly over those C(na + nb, na) splits (ranktest.h), ties
 * included.  No distribution is assumed and small samples get honest p-values.
 *
 * Why a bootstrap for the size of the change.  The rank test says whether, not how much.
 * The change is reported as the ratio of medians (robust to one bad run) with a
 * percentile bootstrap interval, both sides resampled independently with a fixed seed so
 * that the same CSVs always print the same interval.  The interval is reported, not
 * gated on: with 5 runs per side its coverage is rough, the rank test is the decision.
 *
 * Why 3 x CV.  A statistically significant change can still be too small to matter or be
 * within the run-to-run spread of a noisy machine (drift between the base and the current
 * job moves every run the same way, which the rank test then calls significant).  A
 * change therefore counts only when |change| > max(threshold, 3 x the larger CV of the two
 * sides): on a quiet machine the threshold (5%) decides, on a noisy one the noise does.
 *
 * Minimum runs.  With na and nb runs and no ties, the most extreme outcome (every current
 * run worse than every base run) has two-sided p = 2 / C(na + nb, na).  If that is not
 * below alpha, no data could ever show a regression: the level is inconclusive and the
 * report says how many runs per side would make alpha reachable (the smallest k with
 * 2 / C(2k, k) < alpha: 4 for alpha = 0.05, 5 for alpha = 0.01; 3 + 3 gives 0.1).
 *
 * Verdicts.  p_min >= alpha: inconclusive.  p < alpha and a large change: regression or
 * improvement by direction (qps: lower is worse; latencies: higher is worse).  A large
 * change that is not significant: inconclusive (run more, do not guess).  Otherwise: no
 * change.
 *
 * Knee moves.  The knee of each (plan, vcpus) curve is placed on both sides
 * (analysis_build) and a move is reported as its own finding, flagged when CURRENT
 * saturates at a lower level.  It does not change the exit status by itself: the knee is a
 * point estimate from medians on a doubling grid (known only to a factor of 2) with no
 * significance attached, and a real capacity loss shows up as significant regressions at
 * the levels above the new knee, which the rank test does gate on.
 */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cancel.h"
#include "ranktest.h"
#include "stats.h"

static const char *const compare_metric_names[COMPARE_METRIC_COUNT] = {
    "qps", "p50_us", "p90_us", "p99_us", "max_us", "mean_us",
};

int compare_metric_parse(const char *name, FILE *diag, enum compare_metric *out)
{
    for (int m = 0; m < COMPARE_METRIC_COUNT; m++) {
        if (strcmp(name, compare_metric_names[m]) == 0) {
            *out = (enum compare_metric)m;
            return 0;
        }
    }
    if (diag)
        fprintf(diag,
                "unknown metric '%s': expected one of qps, p50_us, p90_us, p99_us, max_us, "
                "mean_us\n",
                name);
    return -1;
}

const char *compare_metric_name(enum compare_metric m)
{
    return m < COMPARE_METRIC_COUNT ? compare_metric_names[m] : "?";
}

int compare_metric_higher_is_better(enum compare_metric m)
{
    return m == COMPARE_QPS;
}

double compare_metric_value(const struct csv_row *r, enum compare_metric m)
{
    switch (m) {
    case COMPARE_QPS:
        return r->qps;
    case COMPARE_P50:
        return r->p50_us;
    case COMPARE_P90:
        return r->p90_us;
    case COMPARE_P99:
        return r->p99_us;
    case COMPARE_MAX:
        return r->max_us;
    case COMPARE_MEAN:
        return r->mean_us;
    default:
        return NAN;
    }
}

const char *compare_verdict_name(enum compare_verdict v)
{
    switch (v) {
    case COMPARE_SAME:
        return "no change";
    case COMPARE_IMPROVED:
        return "improvement";
    case COMPARE_REGRESSED:
        return "regression";
    default:
        return "inconclusive";
    }
}

/* xorshift64*: a fixed, portable generator so the interval is reproducible. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/*
 * Resamples for a level of nvals values in a comparison of total values: COMPARE_BOOT_ITERS,
 * fewer when the level (COMPARE_BOOT_WORK) or the whole comparison
 * (COMPARE_BOOT_TOTAL_WORK) would draw too many values, never under COMPARE_BOOT_MIN_ITERS
 * unless that alone would draw more than COMPARE_BOOT_TOTAL_WORK (compare.h).
 */
static size_t boot_iters(size_t nvals, size_t total)
{
    size_t iters = COMPARE_BOOT_ITERS;

    if (nvals > 0 && COMPARE_BOOT_WORK / nvals < iters)
        iters = COMPARE_BOOT_WORK / nvals;
    if (total > 0 && COMPARE_BOOT_TOTAL_WORK / total < iters)
        iters = COMPARE_BOOT_TOTAL_WORK / total;
    if (iters < COMPARE_BOOT_MIN_ITERS)
        iters = COMPARE_BOOT_MIN_ITERS;
    if (nvals > 0 && COMPARE_BOOT_TOTAL_WORK / nvals < iters)
        iters = COMPARE_BOOT_TOTAL_WORK / nvals;
    return iters < COMPARE_BOOT_FLOOR_ITERS ? COMPARE_BOOT_FLOOR_ITERS : iters;
}

static int all_equal(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i] != x[0])
            return 0;
    return 1;
}

/* Percentile bootstrap interval of median(cur) / median(base), from iters resamples. */
static int ratio_interval(const double *base, size_t nb, const double *cur, size_t nc, size_t iters,
                          double *lo, double *hi)
{
    double *rb = NULL, *rc = NULL, *ratios = NULL;
    uint64_t s = COMPARE_BOOT_SEED;
    size_t n = 0;
    int ret = -1;

    if (nb == 0 || nc == 0)
        return -1;
    /* Every resample of constant sides (one run each, say) has the same ratio: that is the
     * interval, with no resampling (a CSV of a million one-run levels costs nothing here). */
    if (all_equal(base, nb) && all_equal(cur, nc)) {
        *lo = *hi = base[0] != 0 ? cur[0] / base[0] : NAN;
        return 0;
    }
    rb = malloc(nb * sizeof(*rb));
    rc = malloc(nc * sizeof(*rc));
    ratios = malloc(iters * sizeof(*ratios));
    if (!rb || !rc || !ratios)
        goto cleanup;
    for (size_t i = 0; i < iters; i++) {
        double mb, mc;
        for (size_t j = 0; j < nb; j++)
            rb[j] = base[rng_next(&s) % nb];
        for (size_t j = 0; j < nc; j++)
            rc[j] = cur[rng_next(&s) % nc];
        mb = stats_median_inplace(rb, nb);
        mc = stats_median_inplace(rc, nc);
        if (mb != 0)
            ratios[n++] = mc / mb;
    }
    if (n == 0) {
        *lo = *hi = NAN;
    } else {
        double tail = (1 - COMPARE_BOOT_LEVEL) / 2;
        /* Two selections, not a sort: the same elements as ratios sorted would give. */
        *lo = stats_kth_inplace(ratios, n, (size_t)floor(tail * (double)(n - 1)));
        *hi = stats_kth_inplace(ratios, n, (size_t)ceil((1 - tail) * (double)(n - 1)));
    }
    ret = 0;
cleanup:
    free(rb);
    free(rc);
    free(ratios);
    return ret;
}

/* CV of x, 0 when it is undefined (one run, or a mean of 0). */
static double cv_or_zero(const double *x, size_t n)
{
    double cv;
    if (n < 2 || stats_cv(x, n, &cv) < 0 || !isfinite(cv))
        return 0;
    return fabs(cv);
}

/* compare_samples with iters bootstrap resamples. */
static int compare_level_iters(const double *base, size_t nb, const double *cur, size_t nc,
                               int higher_better, const struct compare_opts *o, size_t iters,
                               struct compare_level *out)
{
    struct compare_level l;
    struct ranktest_result rt;
    int large;

    if (nb == 0 || nc == 0 || !(o->alpha > 0 && o->alpha < 1) || !(o->threshold >= 0))
        return -1;
    memset(&l, 0, sizeof(l));
    if (stats_median(base, nb, &l.med_base) < 0 || stats_median(cur, nc, &l.med_cur) < 0)
        return -1;
    if (ranktest_mann_whitney(cur, nc, base, nb, &rt) < 0)
        return -1;
    if (ratio_interval(base, nb, cur, nc, iters, &l.ratio_lo, &l.ratio_hi) < 0)
        return -1;
    l.n_base = nb;
    l.n_cur = nc;
    l.cv_base = cv_or_zero(base, nb);
    l.cv_cur = cv_or_zero(cur, nc);
    if (l.med_base != 0)
        l.change = l.med_cur / l.med_base - 1;
    else
        l.change = l.med_cur == 0 ? 0 : (l.med_cur > 0 ? INFINITY : -INFINITY);
    l.p = rt.p;
    l.p_min = rt.p_min;
    l.min_change = COMPARE_NOISE_MULT * (l.cv_base > l.cv_cur ? l.cv_base : l.cv_cur);
    if (l.min_change < o->threshold)
        l.min_change = o->threshold;
    l.worse = higher_better ? l.change < 0 : l.change > 0;
    large = fabs(l.change) > l.min_change;
    if (l.p_min >= o->alpha) {
        l.verdict = COMPARE_INCONCLUSIVE;
        l.runs_needed = ranktest_runs_needed(o->alpha);
    } else if (large && l.p < o->alpha) {
        l.verdict = l.worse ? COMPARE_REGRESSED : COMPARE_IMPROVED;
    } else if (large) {
        l.verdict = COMPARE_INCONCLUSIVE;
        l.runs_needed = 0; /* alpha is reachable: more runs would settle it */
    } else {
        l.verdict = COMPARE_SAME;
    }
    *out = l;
    return 0;
}

int compare_samples(const double *base, size_t nb, const double *cur, size_t nc, int higher_better,
                    const struct compare_opts *o, struct compare_level *out)
{
    if (nb == 0 || nc == 0)
        return -1;
    return compare_level_iters(base, nb, cur, nc, higher_better, o, boot_iters(nb + nc, nb + nc),
                               out);
}

/* A row pointer with its side, for grouping. */
struct compare_ref {
    const struct csv_row *row;
    int side; /* 0 base, 1 current */
};

static int ref_cmp(const void *a, const void *b)
{
    const struct csv_row *x = ((const struct compare_ref *)a)->row;
    const struct csv_row *y = ((const struct compare_ref *)b)->row;
    int c = strcmp(x->plan, y->plan);
    if (c)
        return c;
    if (x->vcpus != y->vcpus)
        return x->vcpus < y->vcpus ? -1 : 1;
    if (x->concurrency != y->concurrency)
        return x->concurrency < y->concurrency ? -1 : 1;
    return ((const struct compare_ref *)a)->side - ((const struct compare_ref *)b)->side;
}

static int same_level(const struct csv_row *x, const struct csv_row *y)
{
    return strcmp(x->plan, y->plan) == 0 && x->vcpus == y->vcpus &&
           x->concurrency == y->concurrency;
}

/* -1 with a message when the metric column is missing or empty in table t. */
static int check_metric(const struct csv_table *t, enum compare_metric m, FILE *diag)
{
    if (t->n == 0)
        return 0;
    if (m == COMPARE_MEAN && !t->has_mean)
        goto missing;
    for (size_t i = 0; i < t->n; i++) {
        if (isfinite(compare_metric_value(&t->rows[i], m)))
            return 0;
    }
missing:
    if (diag)
        fprintf(diag, "%s: the metric '%s' is missing or empty in every row\n", t->name,
                compare_metric_name(m));
    return -1;
}

/* Order of analysis groups (analysis.h: by plan, then vcpus). */
static int group_cmp(const struct analysis_group *x, const struct analysis_group *y)
{
    int c = strcmp(x->plan, y->plan);
    if (c)
        return c;
    return (x->vcpus > y->vcpus) - (x->vcpus < y->vcpus);
}

/*
 * Add the knee moves between analyses ab and ac to r.  Both group lists are sorted the same
 * way, so one merge walk pairs them: linear, where a nested loop over a million groups a
 * side would never end.
 */
static int find_knee_moves(const struct analysis *ab, const struct analysis *ac,
                           struct compare_result *r)
{
    size_t i = 0, j = 0, cap = r->n_knees;

    while (i < ab->n_groups && j < ac->n_groups) {
        const struct analysis_group *gb = &ab->groups[i], *gc = &ac->groups[j];
        int c = group_cmp(gb, gc);
        struct compare_knee *k;

        if (c < 0 || c > 0) {
            i += c < 0;
            j += c > 0;
            continue;
        }
        i++;
        j++;
        if (gb->knee == gc->knee)
            continue;
        if (r->n_knees == cap) {
            struct compare_knee *grown;
            cap = cap ? cap * 2 : 8;
            grown = realloc(r->knees, cap * sizeof(*grown));
            if (!grown)
                return -1;
            r->knees = grown;
        }
        k = &r->knees[r->n_knees++];
        memset(k, 0, sizeof(*k));
        memcpy(k->plan, gb->plan, sizeof(k->plan));
        k->vcpus = gb->vcpus;
        k->knee_base = gb->knee;
        k->knee_cur = gc->knee;
        k->lower = gc->knee > 0 && (gb->knee == 0 || gc->knee < gb->knee);
    }
    return 0;
}

/* What one side holds, for a mismatch message: "plan 'cpu' on 2 vCPUs at N=1,2,4" per
 * (plan, vcpus), at most 4 of them and 12 levels each. */
static void describe_side(FILE *f, struct csv_table *const *t, size_t nt)
{
    struct {
        const char *plan;
        uint64_t vcpus, levels[12];
        size_t nlevels;
    } g[4];
    size_t ng = 0, more = 0;

    for (size_t i = 0; i < nt; i++) {
        for (size_t k = 0; k < t[i]->n; k++) {
            const struct csv_row *r = &t[i]->rows[k];
            size_t j = 0;
            while (j < ng && !(g[j].vcpus == r->vcpus && !strcmp(g[j].plan, r->plan)))
                j++;
            if (j == ng) {
                if (ng == 4) {
                    more++;
                    continue;
                }
                g[ng].plan = r->plan;
                g[ng].vcpus = r->vcpus;
                g[ng].nlevels = 0;
                ng++;
            }
            size_t l = 0;
            while (l < g[j].nlevels && g[j].levels[l] != r->concurrency)
                l++;
            if (l == g[j].nlevels && l < 12)
                g[j].levels[g[j].nlevels++] = r->concurrency;
        }
    }
    if (ng == 0)
        fputs("no rows", f);
    for (size_t j = 0; j < ng; j++) {
        fprintf(f, "%splan '", j ? "; " : "");
        for (const char *c = g[j].plan; *c; c++)
            fputc((unsigned char)*c >= 0x20 && *c != 0x7f ? *c : '?', f);
        fprintf(f, "' on %llu vCPUs at N=", (unsigned long long)g[j].vcpus);
        for (size_t l = 0; l < g[j].nlevels; l++)
            fprintf(f, "%s%llu", l ? "," : "", (unsigned long long)g[j].levels[l]);
    }
    if (more)
        fputs("; ...", f);
}

int compare_tables(struct csv_table *const *base, size_t nb, struct csv_table *const *cur,
                   size_t nc, const struct compare_opts *o, FILE *diag, struct compare_result **out)
{
    struct compare_result *r = NULL;
    struct compare_ref *refs = NULL;
    struct analysis *ab = NULL, *ac = NULL;
    double *vb = NULL, *vc = NULL;
    size_t n = 0, total = 0, cap = 0;
    int ret = -1;

    for (size_t i = 0; i < nb; i++) {
        if (check_metric(base[i], o->metric, diag) < 0)
            return -1;
        total += base[i]->n;
    }
    for (size_t i = 0; i < nc; i++) {
        if (check_metric(cur[i], o->metric, diag) < 0)
            return -1;
        total += cur[i]->n;
    }
    r = calloc(1, sizeof(*r));
    refs = malloc((total ? total : 1) * sizeof(*refs));
    vb = malloc((total ? total : 1) * sizeof(*vb));
    vc = malloc((total ? total : 1) * sizeof(*vc));
    if (!r || !refs || !vb || !vc)
        goto oom;
    r->metric = o->metric;
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < base[i]->n; j++)
            refs[n++] = (struct compare_ref){&base[i]->rows[j], 0};
    for (size_t i = 0; i < nc; i++)
        for (size_t j = 0; j < cur[i]->n; j++)
            refs[n++] = (struct compare_ref){&cur[i]->rows[j], 1};
    qsort(refs, n, sizeof(*refs), ref_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i, kb = 0, kc = 0, db = 0, dc = 0, seen[2] = {0, 0};
        struct compare_level *l;
        if (cancel_requested()) {
            if (diag)
                fprintf(diag, "interrupted while comparing\n");
            goto cleanup;
        }
        while (j < n && same_level(refs[i].row, refs[j].row)) {
            const struct csv_row *row = refs[j].row;
            double v = compare_metric_value(row, o->metric);
            int usable = !row->timeout_killed && row->exit_code == 0 && isfinite(v);
            seen[refs[j].side]++;
            if (refs[j].side == 0) {
                if (usable)
                    vb[kb++] = v;
                else
                    db++;
            } else {
                if (usable)
                    vc[kc++] = v;
                else
                    dc++;
            }
            j++;
        }
        if (!seen[0] || !seen[1] || kb == 0 || kc == 0) {
            if (!seen[1] || kc == 0)
                r->only_base += seen[0] > 0;
            if (!seen[0] || kb == 0)
                r->only_cur += seen[1] > 0;
            i = j;
            continue;
        }
        if (r->n_levels == cap) {
            struct compare_level *grown;
            cap = cap ? cap * 2 : 16;
            grown = realloc(r->levels, cap * sizeof(*grown));
            if (!grown)
                goto oom;
            r->levels = grown;
        }
        l = &r->levels[r->n_levels];
        if (compare_level_iters(vb, kb, vc, kc, compare_metric_higher_is_better(o->metric), o,
                                boot_iters(kb + kc, n), l) < 0)
            goto oom;
        memcpy(l->plan, refs[i].row->plan, sizeof(l->plan));
        l->vcpus = refs[i].row->vcpus;
        l->concurrency = refs[i].row->concurrency;
        l->dropped_base = db;
        l->dropped_cur = dc;
        r->n_levels++;
        switch (l->verdict) {
        case COMPARE_SAME:
            r->n_same++;
            break;
        case COMPARE_IMPROVED:
            r->n_improved++;
            break;
        case COMPARE_REGRESSED:
            r->n_regressed++;
            break;
        default:
            r->n_inconclusive++;
            break;
        }
        i = j;
    }
    if (r->n_levels == 0) {
        if (diag) {
            fprintf(diag, "the sweeps share no (plan, vCPUs, concurrency) level with usable "
                          "runs on both sides: nothing to compare.  BASE has ");
            describe_side(diag, base, nb);
            fputs("; CURRENT has ", diag);
            describe_side(diag, cur, nc);
            fputs(" (compare sweeps of the same plan, VM sizes and levels)\n", diag);
        }
        goto cleanup;
    }
    if (analysis_build(base, nb, 0, NULL, &ab) == 0 && analysis_build(cur, nc, 0, NULL, &ac) == 0 &&
        find_knee_moves(ab, ac, r) < 0)
        goto oom;
    /* analysis_build is silent here (a side may have no usable knee): a stop is not. */
    if (cancel_requested()) {
        if (diag)
            fprintf(diag, "interrupted while comparing\n");
        goto cleanup;
    }
    *out = r;
    r = NULL;
    ret = 0;
    goto cleanup;
oom:
    if (diag)
        fprintf(diag, "out of memory while comparing\n");
cleanup:
    analysis_free(ab);
    analysis_free(ac);
    compare_result_free(r);
    free(refs);
    free(vb);
    free(vc);
    return ret;
}

void compare_result_free(struct compare_result *r)
{
    if (!r)
        return;
    free(r->levels);
    free(r->knees);
    free(r);
}
