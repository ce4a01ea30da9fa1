/*
 * analysis — see analysis.h.  Rows from all tables are sorted by (plan, vcpus,
 * concurrency); each run of equal keys becomes one level, each run of equal (plan,
 * vcpus) one group.  Every method is then applied to the level medians.
 */
#include "analysis.h"
#include "compareinput.h"
#include "sizing.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "interfere.h"
#include "knee.h"
#include "log.h"
#include "stats.h"

struct rowref {
    const struct csv_row *r;
    const char *file;
    size_t seq; /* keeps file order among equal keys */
};

static int cmp_rowref(const void *a, const void *b)
{
    const struct rowref *x = a, *y = b;
    int c = strcmp(x->r->plan, y->r->plan);
    if (c)
        return c;
    if (x->r->vcpus != y->r->vcpus)
        return x->r->vcpus < y->r->vcpus ? -1 : 1;
    if (x->r->concurrency != y->r->concurrency)
        return x->r->concurrency < y->r->concurrency ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int warn(struct analysis_group *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int warn(struct analysis_group *g, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL, **n;
    int rc;

    if (g->n_warnings == ANALYSIS_MAX_WARNINGS)
        return 0;
    if (g->n_warnings == ANALYSIS_MAX_WARNINGS - 1) {
        s = strdup("more warnings for this curve are left out");
        rc = s ? 0 : -1;
    } else {
        va_start(ap, fmt);
        rc = vasprintf(&s, fmt, ap);
        va_end(ap);
    }
    if (rc < 0)
        return -1;
    n = realloc(g->warnings, (g->n_warnings + 1) * sizeof(*n));
    if (!n) {
        free(s);
        return -1;
    }
    g->warnings = n;
    g->warnings[g->n_warnings++] = s;
    return 0;
}

static void group_clear(struct analysis_group *g)
{
    for (size_t i = 0; i < g->n_warnings; i++)
        free(g->warnings[i]);
    free(g->warnings);
    free(g->levels);
}

void analysis_free(struct analysis *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_groups; i++)
        group_clear(&a->groups[i]);
    free(a->groups);
    free(a->scaling);
    free(a->accel);
    cJSON_Delete(a->manifest);
    sizing_free(a->sizing);
    free(a);
}

/* Aggregate rows refs[0..n) (one concurrency level) into *lv; 1 if no run is usable. */
static int make_level(struct analysis_group *g, const struct rowref *refs, size_t n,
                      struct analysis_level *lv, double *buf)
{
    double *qps = buf, *p50 = buf + n, *p90 = buf + 2 * n, *p99 = buf + 3 * n, *mean = buf + 4 * n,
           *z = buf + 5 * n;
    const struct csv_row **used = (const struct csv_row **)(buf + 6 * n);
    double *p999 = buf + 7 * n, *mx = buf + 8 * n;
    size_t k = 0, nmean = 0, np999 = 0, nmx = 0;
    double errors = 0, ops = 0;
    uint64_t c = refs[0].r->concurrency;
    char spoiled[128] = "";
    size_t sp = 0, clean = 0;

    memset(lv, 0, sizeof(*lv));
    lv->concurrency = c;
    lv->rows = n;
    lv->min_share = NAN;
    /* Starved runs are left out when the level has others; a level whose every run was
     * starved keeps them, named, as there is nothing better. */
    for (size_t i = 0; i < n; i++)
        clean += !refs[i].r->timeout_killed && !interfere_spoiled(refs[i].r->cpu_share);
    for (size_t i = 0; i < n; i++) {
        const struct csv_row *r = refs[i].r;
        if (r->timeout_killed) {
            lv->timeouts++;
            continue;
        }
        if (interfere_spoiled(r->cpu_share)) {
            lv->interfered++;
            lv->min_share =
                isfinite(lv->min_share) ? fmin(lv->min_share, r->cpu_share) : r->cpu_share;
            if (sp < sizeof(spoiled) - 24)
                sp += (size_t)snprintf(spoiled + sp, sizeof(spoiled) - sp, "%s%llu", sp ? ", " : "",
                                       (unsigned long long)r->run_idx + 1);
            if (clean)
                continue;
        }
        used[k] = r;
        qps[k] = r->qps;
        p50[k] = r->p50_us;
        p90[k] = r->p90_us;
        p99[k] = r->p99_us;
        if (isfinite(r->mean_us))
            mean[nmean++] = r->mean_us;
        if (isfinite(r->p999_us))
            p999[np999++] = r->p999_us;
        if (isfinite(r->max_us))
            mx[nmx++] = r->max_us;
        if (isfinite(r->errors) && isfinite(r->ops) && r->ops > 0) {
            errors += r->errors;
            ops += r->ops;
        }
        /* Little's law holds N workers in a closed loop; an open loop's latency includes
         * the queue, so N is not what is in the system there. */
        if (isfinite(r->mean_us) && r->mean_us > 0 && r->qps > 0 && !isfinite(r->offered_qps)) {
            double little = r->qps * r->mean_us / 1e6;
            if (fabs(little - (double)c) / (double)c > ANALYSIS_LITTLE_TOL) {
                lv->little_bad++;
                if (warn(g,
                         "%s:%zu: Little's law does not hold at N=%llu: qps x mean latency "
                         "= %.2f, off by more than 10%%",
                         refs[i].file, r->line, (unsigned long long)c, little) < 0)
                    return -1;
            }
        }
        k++;
    }
    if (lv->timeouts > 0 &&
        warn(g, "N=%llu: %zu of %zu runs were killed at their timeout and left out",
             (unsigned long long)c, lv->timeouts, n) < 0)
        return -1;
    if (lv->interfered > 0 && clean &&
        warn(g,
             "N=%llu, run%s %s: starved by a busy host (as little as %.0f%% of the CPU called "
             "for); left out (%zu of %zu runs)",
             (unsigned long long)c, lv->interfered > 1 ? "s" : "", spoiled, lv->min_share * 100,
             lv->interfered, n) < 0)
        return -1;
    if (lv->interfered > 0 && !clean) {
        g->low_confidence = 1;
        if (warn(g,
                 "N=%llu: every run was starved by a busy host (as little as %.0f%% of the CPU "
                 "called for); kept for want of better, so these numbers are low (run again on "
                 "a quiet host)",
                 (unsigned long long)c, lv->min_share * 100) < 0)
            return -1;
    }
    if (k == 0)
        return 1;
    lv->runs = k;
    lv->error_rate = ops > 0 ? errors / ops : NAN;
    if (stats_median(qps, k, &lv->qps) < 0 || stats_median(p50, k, &lv->p50_us) < 0 ||
        stats_median(p90, k, &lv->p90_us) < 0 || stats_median(p99, k, &lv->p99_us) < 0)
        return -1;
    lv->mean_us = lv->p999_us = lv->max_us = NAN;
    if ((nmean > 0 && stats_median(mean, nmean, &lv->mean_us) < 0) ||
        (np999 > 0 && stats_median(p999, np999, &lv->p999_us) < 0) ||
        (nmx > 0 && stats_median(mx, nmx, &lv->max_us) < 0))
        return -1;
    lv->qps_min = lv->qps_max = qps[0];
    for (size_t i = 1; i < k; i++) {
        lv->qps_min = fmin(lv->qps_min, qps[i]);
        lv->qps_max = fmax(lv->qps_max, qps[i]);
    }
    lv->qps_cv = NAN;
    if (k >= 2 && stats_cv(qps, k, &lv->qps_cv) < 0)
        lv->qps_cv = NAN;
    if (stats_median_ci(qps, k, ANALYSIS_CI_LEVEL, &lv->qps_ci_lo, &lv->qps_ci_hi,
                        &lv->qps_ci_coverage) < 0)
        return -1;
    if (isfinite(lv->qps_cv) && lv->qps_cv > ANALYSIS_CV_HIGH &&
        warn(g,
             "N=%llu: unstable: qps varies between runs with a CV of %.0f%% (above %.0f%%); "
             "the median's %.0f%% interval is %.1f-%.1f",
             (unsigned long long)c, lv->qps_cv * 100, ANALYSIS_CV_HIGH * 100,
             lv->qps_ci_coverage * 100, lv->qps_ci_lo, lv->qps_ci_hi) < 0)
        return -1;
    if (k >= 3 && stats_modz(qps, k, z) == 0) {
        for (size_t i = 0; i < k; i++) {
            if (fabs(z[i]) > STATS_MODZ_OUTLIER) {
                lv->outliers++;
                if (warn(g,
                         "N=%llu: run %llu (line %zu) is an outlier: qps %.1f against a median "
                         "of %.1f (modified Z-score %.1f)",
                         (unsigned long long)c, (unsigned long long)used[i]->run_idx, used[i]->line,
                         qps[i], lv->qps, z[i]) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

static int disagree(uint64_t a, uint64_t b)
{
    return (double)a > ANALYSIS_DISAGREE * (double)b || (double)b > ANALYSIS_DISAGREE * (double)a;
}

/*
 * "No knee within the levels measured": how much a doubling still buys at the highest
 * level that can be judged (knee_gain_per_doubling), how far to extend the sweep, and the
 * USL's N* as the estimate when there is one.
 */
static int no_knee_warning(struct analysis_group *g, const struct knee_level *kl, size_t n)
{
    double gain = NAN;
    size_t at = 0;
    char usl[96] = "";

    for (size_t i = 0; i < n; i++) {
        double gi;
        if (knee_gain_per_doubling(kl, n, i, &gi) == 0) {
            gain = gi;
            at = i;
        }
    }
    if (g->has_usl && isfinite(g->usl.n_star))
        snprintf(usl, sizeof usl, "; the USL fit puts the peak near N=%.0f", g->usl.n_star);
    if (isfinite(gain))
        return warn(g,
                    "no knee within the levels measured: doubling N from %llu still buys %+.0f%% "
                    "throughput; extend the sweep to N=%llu%s",
                    (unsigned long long)kl[at].concurrency, gain * 100,
                    2ULL * (unsigned long long)kl[n - 1].concurrency, usl);
    return warn(g,
                "no knee within the levels measured: no level has its double measured (N=%llu "
                "to %llu); extend the sweep to N=%llu%s",
                (unsigned long long)kl[0].concurrency, (unsigned long long)kl[n - 1].concurrency,
                2ULL * (unsigned long long)kl[n - 1].concurrency, usl);
}

/*
 * The recommended range of g (levels kl[0..n)).  Without an SLO: 50-75% of the knee when
 * p99 rises toward it, the knee itself when p99 there is within ANALYSIS_FLAT_P99 of the
 * lowest level's (nothing queues yet: halving the machine buys no latency).  With a p99
 * SLO: the highest level whose p99 meets it, up to the knee (past it more concurrency
 * only adds latency) or, without a knee, up to the last level.
 */
static int recommend(struct analysis_group *g, const struct knee_level *kl, size_t n, double slo)
{
    uint64_t top = g->knee ? g->knee : kl[n - 1].concurrency, ok = 0;

    g->has_recommended = 0;
    if (slo > 0) {
        for (size_t i = 0; i < n && kl[i].concurrency <= top; i++)
            if (kl[i].p99_us <= slo)
                ok = kl[i].concurrency;
        if (!ok)
            return warn(g,
                        "no level meets the p99 SLO of %.0f us (p99 is %.0f us at N=%llu): no "
                        "recommendation",
                        slo, kl[0].p99_us, (unsigned long long)kl[0].concurrency);
        g->has_recommended = 1;
        g->rec_why = ANALYSIS_REC_SLO;
        g->rec_low = g->rec_high = ok;
        if (ok < top)
            return warn(g,
                        "recommendation capped at N=%llu, the highest level whose p99 meets the "
                        "SLO of %.0f us",
                        (unsigned long long)ok, slo);
        return 0;
    }
    if (!g->knee)
        return 0;
    g->has_recommended = 1;
    for (size_t i = 0; i < n; i++) {
        if (kl[i].concurrency == g->knee && kl[0].p99_us > 0 &&
            kl[i].p99_us <= ANALYSIS_FLAT_P99 * kl[0].p99_us) {
            g->rec_why = ANALYSIS_REC_KNEE;
            g->rec_low = g->rec_high = g->knee;
            return 0;
        }
    }
    g->rec_why = ANALYSIS_REC_HEADROOM;
    g->rec_low = (g->knee + 1) / 2;
    g->rec_high = g->knee * 3 / 4;
    if (g->rec_low < 1)
        g->rec_low = 1;
    if (g->rec_high < g->rec_low)
        g->rec_high = g->rec_low;
    return 0;
}

int analysis_qps_at(const struct analysis_group *g, uint64_t n, double *qps)
{
    for (size_t i = 0; i < g->n_levels; i++) {
        const struct analysis_level *a = &g->levels[i], *b = i + 1 < g->n_levels ? a + 1 : NULL;
        if (a->concurrency == n) {
            *qps = a->qps;
            return 0;
        }
        if (b && a->concurrency < n && n < b->concurrency) {
            double t = (log2((double)n) - log2((double)a->concurrency)) /
                       (log2((double)b->concurrency) - log2((double)a->concurrency));
            *qps = a->qps + t * (b->qps - a->qps);
            return 0;
        }
    }
    return -1;
}

const char *analysis_rec_text(const struct analysis_group *g)
{
    switch (g->rec_why) {
    case ANALYSIS_REC_KNEE:
        return "the knee: p99 there is within 1.5x the lowest level's, nothing queues yet";
    case ANALYSIS_REC_SLO:
        return "the highest level up to the knee whose p99 meets the SLO";
    default:
        return "50-75% of the knee";
    }
}

/* Low confidence (ANALYSIS_CONF_*), with a warning that says why. */
static int rate_confidence(struct analysis_group *g)
{
    char why[256] = "";
    size_t off = 0;

#define CONF_ADD(...)                                                                              \
    (off < sizeof why ? (void)(off += (size_t)snprintf(why + off, sizeof why - off, __VA_ARGS__))  \
                      : (void)0)
    if (g->n_levels < ANALYSIS_CONF_LEVELS)
        CONF_ADD("%s%zu levels (fewer than %d)", off ? "; " : "", g->n_levels,
                 ANALYSIS_CONF_LEVELS);
    {
        char at[96] = "";
        size_t fewest = SIZE_MAX, aoff = 0;
        for (size_t i = 0; g->knee && i < g->n_levels; i++) {
            int near = g->levels[i].concurrency == g->knee ||
                       (i + 1 < g->n_levels && g->levels[i + 1].concurrency == g->knee) ||
                       (i > 0 && g->levels[i - 1].concurrency == g->knee);
            if (!near || g->levels[i].runs >= ANALYSIS_CONF_RUNS)
                continue;
            fewest = g->levels[i].runs < fewest ? g->levels[i].runs : fewest;
            if (aoff < sizeof at)
                aoff += (size_t)snprintf(at + aoff, sizeof at - aoff, "%s%llu", aoff ? "," : "",
                                         (unsigned long long)g->levels[i].concurrency);
        }
        if (fewest != SIZE_MAX)
            CONF_ADD("%s%zu run(s) at N=%s around the knee (fewer than %d)", off ? "; " : "",
                     fewest, at, ANALYSIS_CONF_RUNS);
    }
    if (g->has_usl && g->usl.r2 < ANALYSIS_CONF_R2)
        CONF_ADD("%sUSL R2 = %.3f", off ? "; " : "", g->usl.r2);
#undef CONF_ADD
    g->low_confidence = off > 0;
    if (!off || g->n_levels < 2)
        return 0;
    return warn(g, "low confidence in the knee and the recommendation: %s", why);
}

/* Knees, USL, recommendation and their warnings for a group with its levels filled. */
static int place_knees(struct analysis_group *g, double slo)
{
    struct knee_level *kl = NULL;
    double *nn = NULL, *xx = NULL;
    long ki, mi;
    int ret = -1;
    size_t n = g->n_levels;
    char why[160];

    kl = calloc(n, sizeof(*kl));
    nn = calloc(n, sizeof(*nn));
    xx = calloc(n, sizeof(*xx));
    if (!kl || !nn || !xx)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        kl[i].concurrency = g->levels[i].concurrency;
        kl[i].qps = g->levels[i].qps;
        kl[i].p99_us = g->levels[i].p99_us;
        nn[i] = (double)kl[i].concurrency;
        xx[i] = kl[i].qps;
        if (i == 0 || kl[i].qps > g->max_qps) {
            g->max_qps = kl[i].qps;
            g->max_qps_at = kl[i].concurrency;
        }
    }
    if (knee_throughput(kl, n, &ki) < 0)
        goto cleanup;
    g->knee = ki >= 0 ? kl[ki].concurrency : 0;
    for (int m = 0; m < KNEE_NMETHODS; m++) {
        if (knee_methods[m].find(kl, n, &mi) < 0)
            goto cleanup;
        g->knees[m] = mi >= 0 ? kl[mi].concurrency : 0;
    }

    if (n >= USL_MIN_LEVELS) {
        if (usl_fit(nn, xx, n, &g->usl, why, sizeof why) == 0) {
            g->has_usl = 1;
            if (!g->usl.converged &&
                warn(g,
                     "USL fit did not converge in %u iterations: sigma, kappa and N* are "
                     "approximate",
                     g->usl.iterations) < 0)
                goto cleanup;
            if (g->usl.r2 < ANALYSIS_CONF_R2 &&
                warn(g, "USL fit is poor (R2 = %.3f): treat sigma, kappa and N* with care",
                     g->usl.r2) < 0)
                goto cleanup;
        } else if (warn(g, "%s", why) < 0) {
            goto cleanup;
        }
    }
    if (n == 1) {
        if (warn(g,
                 "only one concurrency level (N=%llu): no knee can be placed; sweep more "
                 "levels",
                 (unsigned long long)kl[0].concurrency) < 0)
            goto cleanup;
    } else if (!(g->max_qps > 0)) {
        if (warn(g, "throughput is 0 at every level: no knee can be placed") < 0)
            goto cleanup;
    } else if (!g->knee && no_knee_warning(g, kl, n) < 0) {
        goto cleanup;
    }
    if (!(kl[0].p99_us > 0) && n > 1 &&
        warn(g, "p99 at the lowest level is 0: no latency knee can be placed") < 0)
        goto cleanup;

    /* Where the methods disagree with the throughput knee. */
    {
        const char *names[KNEE_NMETHODS + 1];
        double vals[KNEE_NMETHODS + 1];
        for (int m = 0; m < KNEE_NMETHODS; m++) {
            names[m] = knee_methods[m].name;
            vals[m] = (double)g->knees[m];
        }
        names[KNEE_NMETHODS] = "the USL peak N*";
        vals[KNEE_NMETHODS] = g->has_usl && isfinite(g->usl.n_star) ? g->usl.n_star : 0;
        for (int m = 0; m <= KNEE_NMETHODS; m++) {
            uint64_t v = (uint64_t)llround(vals[m]);
            if (v == 0 && vals[m] > 0)
                v = 1;
            if (!v)
                continue;
            if (g->knee && disagree(g->knee, v)) {
                if (warn(g,
                         "methods disagree: %s is at N=%llu, more than a factor of 2 from the "
                         "throughput knee N=%llu",
                         names[m], (unsigned long long)v, (unsigned long long)g->knee) < 0)
                    goto cleanup;
            } else if (!g->knee && n > 1) {
                if (warn(g, "methods disagree: no throughput knee, but %s is at N=%llu", names[m],
                         (unsigned long long)v) < 0)
                    goto cleanup;
            }
        }
    }

    if (recommend(g, kl, n, slo) < 0 || rate_confidence(g) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    free(kl);
    free(nn);
    free(xx);
    return ret;
}

/* Build group g from refs[0..n) (all of one plan and VM size); 1 when nothing is usable. */
static int make_group(struct analysis_group *g, const struct rowref *refs, size_t n, double slo)
{
    double *buf = NULL;
    size_t i = 0;
    int ret = -1;

    memset(g, 0, sizeof(*g));
    snprintf(g->plan, sizeof g->plan, "%s", refs[0].r->plan);
    g->vcpus = refs[0].r->vcpus;
    g->levels = calloc(n, sizeof(*g->levels));
    buf = calloc(n * 9 + 1, sizeof(double) > sizeof(void *) ? sizeof(double) : sizeof(void *));
    if (!g->levels || !buf)
        goto cleanup;
    while (i < n) {
        size_t j = i;
        int rc;
        /* One curve can hold all the rows: look here too (the caller reports it). */
        if (g->n_levels % 4096 == 0 && cancel_requested())
            goto cleanup;
        while (j < n && refs[j].r->concurrency == refs[i].r->concurrency)
            j++;
        rc = make_level(g, refs + i, j - i, &g->levels[g->n_levels], buf);
        if (rc < 0)
            goto cleanup;
        if (rc == 0) {
            g->runs += g->levels[g->n_levels].runs;
            g->n_levels++;
        } else if (warn(g, "N=%llu: every run was killed at its timeout; the level is left out",
                        (unsigned long long)refs[i].r->concurrency) < 0) {
            goto cleanup;
        }
        i = j;
    }
    if (g->n_levels == 0) {
        ret = 1;
        goto cleanup;
    }
    ret = place_knees(g, slo);
cleanup:
    free(buf);
    return ret;
}

static int make_scaling(struct analysis *a)
{
    a->scaling = calloc(a->n_groups ? a->n_groups : 1, sizeof(*a->scaling));
    if (!a->scaling)
        return -1;
    for (size_t i = 0; i + 1 < a->n_groups; i++) {
        const struct analysis_group *g1 = &a->groups[i], *g2 = &a->groups[i + 1];
        struct analysis_scaling *s;
        if (strcmp(g1->plan, g2->plan) != 0 || !(g1->max_qps > 0))
            continue;
        s = &a->scaling[a->n_scaling++];
        snprintf(s->plan, sizeof s->plan, "%s", g1->plan);
        s->v1 = g1->vcpus;
        s->v2 = g2->vcpus;
        s->qps1 = g1->max_qps;
        s->qps2 = g2->max_qps;
        s->speedup = s->qps2 / s->qps1;
        s->efficiency = s->speedup / ((double)s->v2 / (double)s->v1);
    }
    return 0;
}

/* Whether the tables disagree on a field of theirs: the rows' arch, or the tables' host. */
static bool tables_differ(struct csv_table *const *tables, size_t n, bool by_host)
{
    const char *first = NULL;

    for (size_t t = 0; t < n; t++) {
        if (by_host) {
            const char *h = tables[t]->host;
            if (*h && first && strcmp(first, h))
                return true;
            if (*h && !first)
                first = h;
            continue;
        }
        for (size_t r = 0; r < tables[t]->n; r++) {
            const char *a = tables[t]->rows[r].arch;
            if (*a && first && strcmp(first, a))
                return true;
            if (*a && !first)
                first = a;
        }
    }
    return false;
}

/*
 * Results of several architectures (the CSV's arch column) or of hosts of different CPU
 * models (the run's manifest, csv_table.host) are different machines: each plan of each
 * becomes its own series, named plan@arch, plan@model or plan@arch/model, so every
 * output (knees, scaling, sizing, plots) keeps them apart.  Sets which split.
 */
static void split_machines(struct csv_table *const *tables, size_t n, bool *arches, bool *hosts)
{
    *arches = tables_differ(tables, n, false);
    *hosts = tables_differ(tables, n, true);
    for (size_t t = 0; t < n && (*arches || *hosts); t++)
        for (size_t r = 0; r < tables[t]->n; r++) {
            struct csv_row *row = &tables[t]->rows[r];
            char tag[64], plan[CSV_PLAN_MAX];
            const char *a = *arches ? row->arch : "", *h = *hosts ? tables[t]->host : "";
            if (!*a && !*h)
                continue;
            snprintf(tag, sizeof(tag), "%.16s%s%.40s", a, *a && *h ? "/" : "", h);
            /* plan@tag within CSV_PLAN_MAX: the plan gives way, never the tag. */
            snprintf(plan, sizeof(plan), "%.*s@%s", (int)(CSV_PLAN_MAX - 2 - strlen(tag)),
                     row->plan, tag);
            memcpy(row->plan, plan, sizeof(plan));
        }
}

int analysis_build(struct csv_table *const *tables, size_t n, double slo_p99_us, FILE *diag,
                   struct analysis **out)
{
    bool mixed, hosts;
    split_machines(tables, n, &mixed, &hosts);
    struct analysis *a = NULL;
    struct rowref *refs = NULL;
    size_t total = 0, k = 0, i = 0;
    int ret = -1;

    for (size_t t = 0; t < n; t++)
        total += tables[t]->n;
    if (total == 0) {
        if (diag && n == 1)
            fprintf(diag, "vmsweep plot: '%s' has a header but no data rows\n", tables[0]->name);
        else if (diag)
            fprintf(diag, "vmsweep plot: none of the %zu input files has data rows\n", n);
        goto cleanup;
    }
    a = calloc(1, sizeof(*a));
    refs = calloc(total, sizeof(*refs));
    if (!a || !refs)
        goto oom;
    a->slo_p99_us = slo_p99_us;
    for (size_t t = 0; t < n; t++) {
        for (size_t r = 0; r < tables[t]->n; r++) {
            refs[k].r = &tables[t]->rows[r];
            refs[k].file = tables[t]->name;
            refs[k].seq = k;
            k++;
        }
    }
    qsort(refs, total, sizeof(*refs), cmp_rowref);
    a->groups = calloc(total, sizeof(*a->groups));
    if (!a->groups)
        goto oom;
    while (i < total) {
        size_t j = i;
        int rc;
        if (cancel_requested()) {
            if (diag)
                fprintf(diag, "vmsweep plot: interrupted during the analysis\n");
            goto cleanup;
        }
        while (j < total && strcmp(refs[j].r->plan, refs[i].r->plan) == 0 &&
               refs[j].r->vcpus == refs[i].r->vcpus)
            j++;
        rc = make_group(&a->groups[a->n_groups], refs + i, j - i, slo_p99_us);
        if (rc < 0) {
            group_clear(&a->groups[a->n_groups]);
            if (!cancel_requested())
                goto oom;
            if (diag)
                fprintf(diag, "vmsweep plot: interrupted during the analysis\n");
            goto cleanup;
        }
        if (rc == 0) {
            a->n_groups++;
        } else {
            /* The plan name comes from the CSV: escaped for the terminal (log.h). */
            char *plan = log_escape(refs[i].r->plan, strlen(refs[i].r->plan), false);
            if (diag && plan)
                fprintf(diag,
                        "vmsweep plot: warning: plan '%s' on %llu vCPUs: every run was killed "
                        "at its timeout; nothing to analyse\n",
                        plan, (unsigned long long)refs[i].r->vcpus);
            free(plan);
            group_clear(&a->groups[a->n_groups]);
        }
        i = j;
    }
    if (a->n_groups == 0) {
        if (diag)
            fprintf(diag, "vmsweep plot: no usable rows: every run was killed at its timeout\n");
        goto cleanup;
    }
    for (size_t g = 0; mixed && g < a->n_groups; g++)
        if (warn(&a->groups[g],
                 "the results come from machines of several architectures: each is its own "
                 "series (plan@arch); compare their shapes, not their numbers") < 0)
            goto oom;
    for (size_t g = 0; hosts && g < a->n_groups; g++)
        if (warn(&a->groups[g],
                 "the results come from hosts of different CPU models: each is its own "
                 "series (plan@model); compare their shapes, not their numbers") < 0)
            goto oom;
    if (make_scaling(a) < 0)
        goto oom;
    *out = a;
    a = NULL;
    ret = 0;
    goto cleanup;
oom:
    if (diag)
        fprintf(diag, "vmsweep plot: out of memory during the analysis\n");
cleanup:
    free(refs);
    analysis_free(a);
    return ret;
}

int analysis_load(const char *const *paths, size_t n, double slo_p99_us, FILE *diag,
                  struct analysis **out)
{
    struct csv_table **t = calloc(n ? n : 1, sizeof(*t));
    int ret = -1;
    if (!t) {
        if (diag)
            fprintf(diag, "vmsweep plot: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (csv_read(paths[i], diag, &t[i]) < 0)
            goto cleanup;
        /* Which host CPU ran it: results of different ones are different series. */
        char *host = compareinput_csv_host(paths[i]);
        if (host)
            snprintf(t[i]->host, sizeof(t[i]->host), "%s", host);
        free(host);
    }
    ret = analysis_build(t, n, slo_p99_us, diag, out);
cleanup:
    for (size_t i = 0; i < n; i++)
        csv_free(t[i]);
    free(t);
    return ret;
}

int analysis_refine_levels(const struct analysis_group *g, uint64_t *out, size_t cap, size_t *n)
{
    size_t k = 0;
    if (!g->knee) {
        *n = 0;
        return 0;
    }
    for (size_t i = 0; i + 1 < g->n_levels && k < cap; i++) {
        uint64_t a = g->levels[i].concurrency, b = g->levels[i + 1].concurrency, m;
        if (2 * a < g->knee || b > 2 * g->knee)
            continue;
        m = (uint64_t)llround(sqrt((double)a * (double)b));
        if (m > a && m < b)
            out[k++] = m;
    }
    *n = k;
    return 0;
}

/* The verdict of --confirm on g in its warnings: only when it does not hold, naming the
 * first load over the limit. */
static int note_confirm(struct analysis_group *g, const cJSON *c)
{
    const cJSON *holds = cJSON_GetObjectItemCaseSensitive(c, "holds");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "concurrency");
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(c, "limit_p99_us");
    const cJSON *pt;

    g->confirm = c;
    if (!cJSON_IsFalse(holds) || !cJSON_IsNumber(n) || !cJSON_IsNumber(lim))
        return 0;
    cJSON_ArrayForEach(pt, cJSON_GetObjectItemCaseSensitive(c, "loads"))
    {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(pt, "ok");
        const cJSON *load = cJSON_GetObjectItemCaseSensitive(pt, "load");
        const cJSON *p99 = cJSON_GetObjectItemCaseSensitive(pt, "p99_us");
        if (cJSON_IsFalse(ok) && cJSON_IsNumber(load) && cJSON_IsNumber(p99))
            return warn(g,
                        "the recommendation does not hold open-loop: at N=%.0f and %.0f%% of its "
                        "throughput, p99 is %.0f us, over the limit of %.0f us",
                        n->valuedouble, load->valuedouble * 100, p99->valuedouble,
                        lim->valuedouble);
    }
    return warn(g, "the recommendation could not be confirmed open-loop (N=%.0f)", n->valuedouble);
}

int analysis_note_manifest(struct analysis *a)
{
    const cJSON *size;

    cJSON_ArrayForEach(size, cJSON_GetObjectItemCaseSensitive(a->manifest, "sizes"))
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(size, "vcpus");
        const cJSON *hi = cJSON_GetObjectItemCaseSensitive(size, "host_interference");
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(hi, "other_cpus");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(hi, "host_cpus");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(size, "open_loop_confirmation");
        const cJSON *judged = cJSON_GetObjectItemCaseSensitive(hi, "runs_judged");
        const cJSON *reruns = cJSON_GetObjectItemCaseSensitive(hi, "rerun_passes");
        bool busy = cJSON_IsNumber(o) && o->valuedouble >= ANALYSIS_BUSY_HOST_CPUS;
        /* Runs judged one by one (interfere.h) carry their own verdict in cpu_share: the
         * starved ones are left out with a warning of their own, and the sweep-wide
         * share of others only matters for runs that could not be judged. */
        bool per_run = cJSON_IsNumber(judged) && judged->valuedouble > 0;

        if (!cJSON_IsNumber(v))
            continue;
        for (size_t i = 0; i < a->n_groups; i++) {
            struct analysis_group *g = &a->groups[i];
            if (g->vcpus != (uint64_t)v->valuedouble)
                continue;
            if (cJSON_IsObject(c) && note_confirm(g, c) < 0)
                return -1;
            if (per_run && cJSON_IsNumber(reruns) && reruns->valuedouble > 0 &&
                warn(g,
                     "a busy host starved some runs; their levels were measured again (%.0f "
                     "more pass%s) and the starved rows left out",
                     reruns->valuedouble, reruns->valuedouble == 1 ? "" : "es") < 0)
                return -1;
            if (!busy || per_run)
                continue;
            g->low_confidence = 1;
            if (warn(g,
                     "the host was busy during this sweep: other processes used %.2f of its "
                     "%.0f CPUs; the guest may have been starved, so these numbers may be low "
                     "(run again on a quiet host)",
                     o->valuedouble, cJSON_IsNumber(n) ? n->valuedouble : 0) < 0)
                return -1;
        }
    }
    return 0;
}
