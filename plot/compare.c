/*
 * compare — see compare.h.  Design of the decision rule:
 *
 * What is compared.  The repetitions of a level are compared on the log of the metric:
 * benchmark noise is multiplicative (a CV, not a fixed spread), so a change is a ratio and
 * its estimate is the ratio of geometric means, exp(mean log cur - mean log base) - 1.
 *
 * Why not a rank test.  The previous rule was an exact Mann-Whitney test per level.  With
 * 5 runs a side its smallest one-sided p-value is 1/252 = 0.004, so over the 8 levels of a
 * sweep no correction for multiplicity that keeps the false-alarm rate near 1% lets it
 * reject at all, and uncorrected it misses a 10% drop at one level half the time (issue
 * table: 102 of 200).  The noise of a machine is, however, shared by the levels of one
 * curve: pooling its estimate over the levels (8 levels x (5 + 5 - 2) = 64 degrees of
 * freedom instead of 8) is what buys power.
 *
 * Noise.  Per (plan, vcpus) curve, the variance of the log values is pooled over its
 * levels.  A level whose own variance is larger than that of the other levels by more
 * than chance (F test at COMPARE_NOISE_SCREEN) is tested with its own estimate and
 * degrees of freedom: one noisy level cannot borrow the quiet levels' precision.
 * Residual risk: a level about twice as noisy as the others often passes the screen, and
 * its false alarms are then more frequent than alpha says (a few percent with 5 runs).
 *
 * Per level.  Student's t on the difference of log means with that noise gives a
 * COMPARE_CI_LEVEL interval and one-sided p-values in each direction.  Three outcomes:
 * regression when the Holm-adjusted p (worse side) is <= alpha and the estimate is beyond
 * the threshold; no regression when the interval's worse bound lies inside the threshold
 * (the data show the change is smaller than what matters); inconclusive otherwise, with
 * the runs per side that would decide it with probability COMPARE_RUNS_POWER (normal
 * approximation).  Improvements are the mirror image, reported, never gating.
 *
 * Per curve.  A small shift at every level is strong evidence even when no level decides
 * alone: the per-level log ratios are pooled with inverse-variance weights (a stratified
 * estimate, levels as strata) into the curve's change, interval and one-sided tests, with
 * the same three outcomes.
 *
 * False alarms.  Every level and every curve of more than one level is one hypothesis of
 * a single Holm step-down family at alpha: the probability that any of them is called a
 * regression when nothing changed is at most alpha (default 1%), whatever the number of
 * levels, and lower in practice because the estimate must also exceed the threshold.
 *
 * The whole comparison.  Regression when a level or a curve regressed.  No regression
 * when every curve's interval lies inside the threshold and no level's estimate is beyond
 * it.  Inconclusive otherwise.  The project's simulation (comparesim.h, test_comparesim,
 * `vmsweep compare --power`) measures the rates this gives with the defaults (threshold
 * 5%, alpha 0.005), CV 3%, 5 runs a side and 8 levels, over 20000 trials: no change ->
 * regression 0.4%; -10% at one level -> regression 94%; -5% at every level -> "no
 * regression" 0.2%; -10% everywhere -> regression 100%.  Alpha 0.01 gave 0.95% false
 * alarms, too close to a 1% target; 0.005 keeps power above 90%.
 *
 * Knee moves.  The knee of each (plan, vcpus) curve is placed on both sides
 * (analysis_build) and a move is reported as its own finding, flagged when CURRENT
 * saturates at a lower level.  It does not change the exit status by itself: the knee is a
 * point estimate from medians with no significance attached, and a real capacity loss
 * shows up as regressions at the levels above the new knee, which are tested.
 */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cancel.h"
#include "distrib.h"
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
        return "no regression";
    case COMPARE_IMPROVED:
        return "improvement";
    case COMPARE_REGRESSED:
        return "regression";
    default:
        return "inconclusive";
    }
}

/* The log values of one level's two sides, summarised for pooling. */
struct compare_logs {
    double mean_b, mean_c; /* means of the log values */
    double ss;             /* sum of squared deviations from each side's own mean */
    double df;             /* n_base + n_cur - 2 (0 or less: no noise estimate) */
};

/* CV of x, 0 when it is undefined (one run, or a mean of 0). */
static double cv_or_zero(const double *x, size_t n)
{
    double cv;
    if (n < 2 || stats_cv(x, n, &cv) < 0 || !isfinite(cv))
        return 0;
    return fabs(cv);
}

/* Mean of log x[i] and the sum of squared deviations from it; x all > 0. */
static void log_moments(const double *x, size_t n, double *mean, double *ss)
{
    double m = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        m += log(x[i]);
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        q += (log(x[i]) - m) * (log(x[i]) - m);
    *mean = m;
    *ss = q;
}

/* The descriptive fields of l and the log summary g of one level (values > 0). */
static int level_fill(const double *base, size_t nb, const double *cur, size_t nc,
                      struct compare_level *l, struct compare_logs *g)
{
    double ssb, ssc;

    if (stats_median(base, nb, &l->med_base) < 0 || stats_median(cur, nc, &l->med_cur) < 0)
        return -1;
    l->n_base = nb;
    l->n_cur = nc;
    l->cv_base = cv_or_zero(base, nb);
    l->cv_cur = cv_or_zero(cur, nc);
    log_moments(base, nb, &g->mean_b, &ssb);
    log_moments(cur, nc, &g->mean_c, &ssc);
    l->gm_base = exp(g->mean_b);
    l->gm_cur = exp(g->mean_c);
    g->ss = ssb + ssc;
    g->df = (double)nb + (double)nc - 2;
    return 0;
}

/* log(1 + x), -INFINITY when x <= -1 (a threshold of 100% or more on the lower side). */
static double log_ratio(double x)
{
    return x > -1 ? log1p(x) : -INFINITY;
}

/*
 * Fill the estimate *e of a change d (difference of log means) with standard error se on
 * df degrees of freedom (0: no estimate): interval, one-sided p-values, whether it is
 * beyond the threshold on the worse side.  Verdicts come later (Holm needs every p).
 */
static void change_fill(double d, double se, double noise, double df, int higher_better,
                        double threshold, struct compare_change *e)
{
    double worse_lim = higher_better ? log_ratio(-threshold) : log_ratio(threshold);

    memset(e, 0, sizeof(*e));
    e->change = expm1(d);
    e->noise = noise;
    e->df = df;
    e->beyond = higher_better ? d < worse_lim : d > worse_lim;
    e->p_adj = NAN;
    if (!(df > 0)) {
        e->ci_lo = e->ci_hi = e->p_worse = e->p_better = NAN;
        return;
    }
    if (se > 0) {
        double t = d / se, q = distrib_t_quantile(1 - (1 - COMPARE_CI_LEVEL) / 2, df);
        double p_up = 1 - distrib_t_cdf(t, df), p_down = distrib_t_cdf(t, df);
        e->ci_lo = expm1(d - q * se);
        e->ci_hi = expm1(d + q * se);
        /* p of "CURRENT is worse": worse is down for qps, up for latencies. */
        e->p_worse = higher_better ? p_down : p_up;
        e->p_better = higher_better ? p_up : p_down;
    } else {
        /* No spread at all: the change is known exactly. */
        int up = d > 0, down = d < 0;
        e->ci_lo = e->ci_hi = e->change;
        e->p_worse = (higher_better ? down : up) ? 0 : 1;
        e->p_better = (higher_better ? up : down) ? 0 : 1;
    }
}

/*
 * Runs per side that would likely (COMPARE_RUNS_POWER) decide an inconclusive estimate:
 * enough for significance at the family's first Holm step when the estimate is beyond the
 * threshold, enough for the interval to clear the threshold otherwise.  levels is the
 * number of levels pooled into it; have the runs per side it has now.  0 when beyond
 * COMPARE_RUNS_MAX.
 */
static size_t runs_needed(const struct compare_change *e, int higher_better, double threshold,
                          double alpha, size_t family, size_t levels, size_t have)
{
    double worse_lim = higher_better ? log_ratio(-threshold) : log_ratio(threshold);
    double d = log1p(e->change);
    double zb = distrib_normal_quantile(COMPARE_RUNS_POWER), za, gap, n;

    if (!(e->df > 0))
        return have < COMPARE_RUNS_ADVISED ? COMPARE_RUNS_ADVISED : have + 1;
    if (e->beyond) {
        za = distrib_normal_quantile(1 - alpha / (double)(family ? family : 1));
        gap = fabs(d);
    } else {
        za = distrib_normal_quantile(1 - (1 - COMPARE_CI_LEVEL) / 2);
        gap = fabs(worse_lim - d);
    }
    n = 2 * pow((za + zb) * e->noise / gap, 2) / (double)(levels ? levels : 1);
    if (!isfinite(n) || n > COMPARE_RUNS_MAX)
        return 0;
    return n < (double)have + 1 ? have + 1 : (size_t)ceil(n);
}

/* The verdict of an estimate whose p_adj (worse) and p_adj_better are known. */
static enum compare_verdict verdict_of(const struct compare_change *e, double p_adj_worse,
                                       double p_adj_better, int higher_better, double threshold,
                                       double alpha)
{
    double d = log1p(e->change);
    double better_lim = higher_better ? log_ratio(threshold) : log_ratio(-threshold);
    double worse_lim = higher_better ? log_ratio(-threshold) : log_ratio(threshold);
    int beyond_better = higher_better ? d > better_lim : d < better_lim;

    if (!(e->df > 0))
        return COMPARE_INCONCLUSIVE;
    if (e->beyond && p_adj_worse <= alpha)
        return COMPARE_REGRESSED;
    if (beyond_better && p_adj_better <= alpha)
        return COMPARE_IMPROVED;
    if (higher_better ? log_ratio(e->ci_lo) > worse_lim : log_ratio(e->ci_hi) < worse_lim)
        return COMPARE_SAME;
    return COMPARE_INCONCLUSIVE;
}

/*
 * The noise of each level of one curve (levels l[0..n), summaries g): the variance of log
 * values pooled over every level, or the level's own when the F screen says it is noisier
 * than the other levels.  The pool keeps the screened levels: taking them out would make
 * it smaller than the machine's noise (measured: a family-wise false-alarm rate of 1.6%
 * at alpha 1%, against 1.1% with them kept).  Sets own_noise, est.noise and est.df of
 * every level; *noise and *df of the pool.
 */
static void curve_noise(struct compare_level *l, const struct compare_logs *g, size_t n,
                        double *noise, double *df)
{
    double ss = 0, dof = 0;

    for (size_t i = 0; i < n; i++) {
        l[i].own_noise = 0;
        if (g[i].df > 0) {
            ss += g[i].ss;
            dof += g[i].df;
        }
    }
    for (size_t i = 0; i < n; i++) {
        double rest_df = dof - g[i].df, rest_ss = ss - g[i].ss;
        if (!(g[i].df > 0) || !(rest_df > 0) || !(rest_ss > 0))
            continue;
        if (distrib_f_cdf((g[i].ss / g[i].df) / (rest_ss / rest_df), g[i].df, rest_df) >
            COMPARE_NOISE_SCREEN)
            l[i].own_noise = 1;
    }
    for (size_t i = 0; i < n; i++) {
        l[i].est.noise = l[i].own_noise ? sqrt(g[i].ss / g[i].df) : dof > 0 ? sqrt(ss / dof) : 0;
        l[i].est.df = l[i].own_noise ? g[i].df : dof;
    }
    *noise = dof > 0 ? sqrt(ss / dof) : 0;
    *df = dof;
}

/* Estimates of every level of curve c and of the curve itself. */
static void curve_estimate(struct compare_curve *c, struct compare_level *l,
                           const struct compare_logs *g, int higher_better, double threshold)
{
    double noise, df, sw = 0, swd = 0, sum_d = 0, sum_v = 0;
    int exact = 0;

    curve_noise(l, g, c->n, &noise, &df);
    for (size_t i = 0; i < c->n; i++) {
        double d = g[i].mean_c - g[i].mean_b;
        double se = l[i].est.noise * sqrt(1 / (double)l[i].n_base + 1 / (double)l[i].n_cur);
        change_fill(d, se, l[i].est.noise, l[i].est.df, higher_better, threshold, &l[i].est);
        if (se > 0) {
            sw += 1 / (se * se);
            swd += d / (se * se);
        } else {
            exact = 1;
        }
        sum_d += d;
        sum_v += se * se;
    }
    c->tested = c->n > 1;
    if (!c->tested) {
        c->est = l[0].est;
        return;
    }
    /* Inverse-variance weights; a level known exactly (no spread) makes them meaningless,
     * then every level counts the same. */
    if (exact || sw == 0)
        change_fill(sum_d / (double)c->n, sqrt(sum_v) / (double)c->n, noise, df, higher_better,
                    threshold, &c->est);
    else
        change_fill(swd / sw, sqrt(1 / sw), noise, df, higher_better, threshold, &c->est);
}

/* One hypothesis of the Holm family: estimate idx (levels first, then curves). */
struct compare_hyp {
    size_t idx;
    double p;
};

static int hyp_cmp(const void *a, const void *b)
{
    double x = ((const struct compare_hyp *)a)->p, y = ((const struct compare_hyp *)b)->p;
    return (x > y) - (x < y);
}

/* Holm's step-down adjustment of h[0..m) (sorted here) into adj[h.idx]: the running
 * maximum of min(1, (m - rank) p). */
static void holm(struct compare_hyp *h, size_t m, double *adj)
{
    double run = 0;
    qsort(h, m, sizeof(*h), hyp_cmp);
    for (size_t i = 0; i < m; i++) {
        double a = (double)(m - i) * h[i].p;
        run = a > run ? a : run;
        adj[h[i].idx] = run < 1 ? run : 1;
    }
}

/* Estimate i of r: levels first, then curves. */
static struct compare_change *estimate_at(struct compare_result *r, size_t i)
{
    return i < r->n_levels ? &r->levels[i].est : &r->curves[i - r->n_levels].est;
}

/* Runs per side the levels behind estimate i have now (the most of either side). */
static size_t runs_have(const struct compare_result *r, size_t i)
{
    size_t first = i, n = 1, have = 0;
    if (i >= r->n_levels) {
        first = r->curves[i - r->n_levels].first;
        n = r->curves[i - r->n_levels].n;
    }
    for (size_t k = first; k < first + n; k++) {
        size_t h =
            r->levels[k].n_base > r->levels[k].n_cur ? r->levels[k].n_base : r->levels[k].n_cur;
        have = h > have ? h : have;
    }
    return have;
}

/*
 * Verdicts of every level and tested curve of r under one Holm family at o->alpha (in
 * each direction), and the whole comparison's verdict.  -1 when memory runs out.
 */
static int decide(struct compare_result *r, const struct compare_opts *o)
{
    int hb = compare_metric_higher_is_better(o->metric);
    size_t m = 0, total = r->n_levels + r->n_curves;
    struct compare_hyp *hw = malloc((total ? total : 1) * sizeof(*hw));
    struct compare_hyp *hbt = malloc((total ? total : 1) * sizeof(*hbt));
    double *adj_w = malloc((total ? total : 1) * sizeof(*adj_w));
    double *adj_b = malloc((total ? total : 1) * sizeof(*adj_b));
    int ret = -1;

    if (!hw || !hbt || !adj_w || !adj_b)
        goto cleanup;
    for (size_t i = 0; i < total; i++) {
        const struct compare_change *e = estimate_at(r, i);
        adj_w[i] = adj_b[i] = 1;
        if ((i >= r->n_levels && !r->curves[i - r->n_levels].tested) || !isfinite(e->p_worse))
            continue;
        hw[m] = (struct compare_hyp){i, e->p_worse};
        hbt[m] = (struct compare_hyp){i, e->p_better};
        m++;
    }
    r->n_tests = m;
    holm(hw, m, adj_w);
    holm(hbt, m, adj_b);
    for (size_t i = 0; i < total; i++) {
        struct compare_change *e = estimate_at(r, i);
        int is_curve = i >= r->n_levels;

        if (is_curve && !r->curves[i - r->n_levels].tested)
            continue;
        e->verdict = verdict_of(e, adj_w[i], adj_b[i], hb, o->threshold, o->alpha);
        /* The adjusted p shown is the one in the direction the estimate points. */
        e->p_adj = !isfinite(e->p_worse)                  ? NAN
                   : (hb ? e->change < 0 : e->change > 0) ? adj_w[i]
                                                          : adj_b[i];
        e->runs_needed = 0;
        if (e->verdict == COMPARE_INCONCLUSIVE)
            e->runs_needed =
                runs_needed(e, hb, o->threshold, o->alpha, m,
                            is_curve ? r->curves[i - r->n_levels].n : 1, runs_have(r, i));
    }
    for (size_t i = 0; i < r->n_curves; i++)
        if (!r->curves[i].tested)
            r->curves[i].est = r->levels[r->curves[i].first].est;
    ret = 0;
cleanup:
    free(hw);
    free(hbt);
    free(adj_w);
    free(adj_b);
    return ret;
}

/* A verdict that lets the whole comparison pass. */
static int passes(enum compare_verdict v)
{
    return v == COMPARE_SAME || v == COMPARE_IMPROVED;
}

/* Count the levels' verdicts and give the whole comparison's verdict (compare.h). */
static void tally(struct compare_result *r)
{
    r->n_same = r->n_improved = r->n_regressed = r->n_inconclusive = 0;
    r->by_level = r->by_curve = 0;
    for (size_t i = 0; i < r->n_levels; i++) {
        switch (r->levels[i].est.verdict) {
        case COMPARE_SAME:
            r->n_same++;
            break;
        case COMPARE_IMPROVED:
            r->n_improved++;
            break;
        case COMPARE_REGRESSED:
            r->n_regressed++;
            r->by_level = 1;
            break;
        default:
            r->n_inconclusive++;
            break;
        }
    }
    for (size_t i = 0; i < r->n_curves; i++)
        r->by_curve |= r->curves[i].tested && r->curves[i].est.verdict == COMPARE_REGRESSED;
    if (r->by_level || r->by_curve) {
        r->verdict = COMPARE_REGRESSED;
        return;
    }
    for (size_t i = 0; i < r->n_levels; i++)
        r->by_level |= r->levels[i].est.beyond;
    for (size_t i = 0; i < r->n_curves; i++) {
        const struct compare_curve *c = &r->curves[i];
        if (c->tested)
            r->by_curve |= !passes(c->est.verdict);
        else
            r->by_level |= !passes(r->levels[c->first].est.verdict);
    }
    r->verdict = r->by_level || r->by_curve ? COMPARE_INCONCLUSIVE : COMPARE_SAME;
}

/* Close the curve of levels [first, r->n_levels): its estimate from the summaries g. */
static int curve_close(struct compare_result *r, size_t *cap, size_t first,
                       const struct compare_logs *g, const struct compare_opts *o)
{
    struct compare_curve *c;

    if (first >= r->n_levels)
        return 0;
    if (r->n_curves == *cap) {
        struct compare_curve *grown;
        *cap = *cap ? *cap * 2 : 8;
        grown = realloc(r->curves, *cap * sizeof(*grown));
        if (!grown)
            return -1;
        r->curves = grown;
    }
    c = &r->curves[r->n_curves++];
    memset(c, 0, sizeof(*c));
    memcpy(c->plan, r->levels[first].plan, sizeof(c->plan));
    c->vcpus = r->levels[first].vcpus;
    c->first = first;
    c->n = r->n_levels - first;
    curve_estimate(c, &r->levels[first], g + first, compare_metric_higher_is_better(o->metric),
                   o->threshold);
    return 0;
}

int compare_samples(const double *base, size_t nb, const double *cur, size_t nc, int higher_better,
                    const struct compare_opts *o, struct compare_level *out)
{
    struct compare_result r;
    struct compare_level l;
    struct compare_curve c;
    struct compare_logs g;
    struct compare_opts one;

    if (nb == 0 || nc == 0 || !(o->alpha > 0 && o->alpha < 1) || !(o->threshold >= 0))
        return -1;
    for (size_t i = 0; i < nb; i++)
        if (!(base[i] > 0) || !isfinite(base[i]))
            return -1;
    for (size_t i = 0; i < nc; i++)
        if (!(cur[i] > 0) || !isfinite(cur[i]))
            return -1;
    memset(&l, 0, sizeof(l));
    if (level_fill(base, nb, cur, nc, &l, &g) < 0)
        return -1;
    /* compare_samples has no metric: a stand-in with the direction asked for. */
    one = *o;
    one.metric = higher_better ? COMPARE_QPS : COMPARE_P99;
    memset(&c, 0, sizeof(c));
    c.n = 1;
    curve_estimate(&c, &l, &g, higher_better, o->threshold);
    memset(&r, 0, sizeof(r));
    r.levels = &l;
    r.n_levels = 1;
    r.curves = &c;
    r.n_curves = 1;
    if (decide(&r, &one) < 0)
        return -1;
    tally(&r);
    *out = l;
    return 0;
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
    struct compare_logs *g = NULL;
    double *vb = NULL, *vc = NULL;
    size_t n = 0, total = 0, cap = 0, curve_cap = 0, curve_first = 0;
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
            /* A ratio needs values above 0: a qps of 0 is a run that did nothing. */
            int usable = !row->timeout_killed && row->exit_code == 0 && isfinite(v) && v > 0;
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
            struct compare_logs *grown_g;
            cap = cap ? cap * 2 : 16;
            grown = realloc(r->levels, cap * sizeof(*grown));
            if (!grown)
                goto oom;
            r->levels = grown;
            grown_g = realloc(g, cap * sizeof(*grown_g));
            if (!grown_g)
                goto oom;
            g = grown_g;
        }
        /* A new (plan, vcpus): the levels so far form a curve. */
        if (r->n_levels > curve_first &&
            (strcmp(r->levels[curve_first].plan, refs[i].row->plan) != 0 ||
             r->levels[curve_first].vcpus != refs[i].row->vcpus)) {
            if (curve_close(r, &curve_cap, curve_first, g, o) < 0)
                goto oom;
            curve_first = r->n_levels;
        }
        l = &r->levels[r->n_levels];
        memset(l, 0, sizeof(*l));
        if (level_fill(vb, kb, vc, kc, l, &g[r->n_levels]) < 0)
            goto oom;
        memcpy(l->plan, refs[i].row->plan, sizeof(l->plan));
        l->vcpus = refs[i].row->vcpus;
        l->concurrency = refs[i].row->concurrency;
        l->dropped_base = db;
        l->dropped_cur = dc;
        r->n_levels++;
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
    if (curve_close(r, &curve_cap, curve_first, g, o) < 0 || decide(r, o) < 0)
        goto oom;
    tally(r);
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
    free(g);
    free(vb);
    free(vc);
    return ret;
}

void compare_result_free(struct compare_result *r)
{
    if (!r)
        return;
    free(r->levels);
    free(r->curves);
    free(r->knees);
    free(r);
}
