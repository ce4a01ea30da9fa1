/*
 * sizing — see sizing.h.
 *
 * Capacity within the SLO, per (plan, VM size).  A level is within the SLO when its median
 * p99 is at most the SLO (no SLO: any p99) and its error rate (errors / ops over its runs)
 * is within the budget.  The capacity is the highest median throughput among those levels,
 * at level L.  Above L:
 *   - the next level breaks the SLO on p99 and carries more throughput: the SLO is crossed
 *     in between.  log p99 is taken as linear in log2 N between the two levels (the same
 *     interpolation as the knee's) to place the crossing, and throughput and its interval
 *     are interpolated at that point.  Nothing is extrapolated beyond a measured level;
 *   - the next level breaks it on errors, or carries no more throughput: L's throughput;
 *   - L is the last level: L's throughput, as a lower bound ("at least") unless the curve
 *     has a throughput knee, i.e. has saturated within the levels measured.
 * The uncertainty is the median's distribution-free interval over the repetitions
 * (analysis.h), so a size is said to cover the need only when the bottom of its interval
 * does, and is "marginal" when the interval straddles it.
 *
 * The need is target / (1 - headroom): with the default 30% headroom the load is at most
 * 70% of the capacity within the SLO, the same margin as running at 50-75% of the knee.
 * The answer is the smallest size that covers it, or with a cost per vCPU / per GiB the
 * cheapest; the runner-up is the next by the same order.
 *
 * Across sizes the capacities are fitted as a function of vCPUs: Gunther's USL (usl.h) with
 * 3 sizes or more; with 2, the USL with kappa = 0 (Amdahl) exact through both, or linear
 * from the larger when they scale linearly or better.  The next size up is twice the
 * largest; with a target no size meets, the smallest doubling that the model says would
 * (up to SIZING_PREDICT_MAX vCPUs).  These are predictions and every output says so.
 *
 * Cost: O(sizes x levels) time, one struct sizing_size per size; no allocation per level.
 */
#include "sizing.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sizing_how_name(enum sizing_how how)
{
    static const char *const names[] = {"none", "measured", "interpolated", "at_least"};
    return names[how];
}

const char *sizing_verdict_name(enum sizing_verdict v)
{
    static const char *const names[] = {"no_target", "short", "marginal", "covers"};
    return names[v];
}

const char *sizing_fit_name(enum sizing_fit fit)
{
    static const char *const names[] = {"none", "linear", "amdahl", "usl"};
    return names[fit];
}

const char *sizing_fmt_qps(double qps, char *buf, size_t len)
{
    if (!isfinite(qps))
        snprintf(buf, len, "?");
    else if (qps >= 1e6)
        snprintf(buf, len, "%.2fM", qps / 1e6);
    else if (qps >= 1e4)
        snprintf(buf, len, "%.1fk", qps / 1e3);
    else if (qps >= 1e3)
        snprintf(buf, len, "%.2fk", qps / 1e3);
    else
        snprintf(buf, len, "%.0f", qps);
    return buf;
}

static const char *const metric_names[COMPARE_METRIC_COUNT] = {"qps", "p50", "p90",
                                                               "p99", "max", "mean"};

static double level_value(const struct analysis_level *l, enum compare_metric m)
{
    switch (m) {
    case COMPARE_QPS:
        return l->qps;
    case COMPARE_P50:
        return l->p50_us;
    case COMPARE_P90:
        return l->p90_us;
    case COMPARE_P99:
        return l->p99_us;
    case COMPARE_MAX:
        return l->max_us;
    default:
        return l->mean_us;
    }
}

/* Within the SLO?  SIZING_OK, SIZING_ERRORS, or the index of the first limit broken. */
#define SIZING_OK     (-1)
#define SIZING_ERRORS (-2)

static int level_check(const struct sizing *s, const struct analysis_level *l)
{
    if (isfinite(l->error_rate) && l->error_rate > s->opts.max_error_rate)
        return SIZING_ERRORS;
    for (size_t k = 0; k < s->n_limits; k++) {
        const struct sizing_limit *m = &s->limits[k];
        double v = level_value(l, m->metric);
        if (m->at_most ? !(v <= m->limit) : !(v >= m->limit))
            return (int)k;
    }
    return SIZING_OK;
}

static const char *check_name(const struct sizing *s, int rc)
{
    return rc == SIZING_ERRORS ? "errors" : rc >= 0 ? metric_names[s->limits[rc].metric] : NULL;
}

/* The capacity of one curve within the SLO (the rules above). */
static void size_capacity(const struct sizing *s, const struct analysis_group *g,
                          struct sizing_size *z)
{
    const struct analysis_level *l, *next;
    const struct sizing_limit *m;
    long best = -1;
    double a, b;
    int rc;

    z->vcpus = g->vcpus;
    for (size_t i = 0; i < g->n_levels; i++)
        if (level_check(s, &g->levels[i]) == SIZING_OK &&
            (best < 0 || g->levels[i].qps > g->levels[best].qps))
            best = (long)i;
    if (best < 0) {
        z->how = SIZING_NONE;
        z->limit = g->n_levels ? check_name(s, level_check(s, &g->levels[0])) : NULL;
        return;
    }
    l = &g->levels[best];
    z->capacity = l->qps;
    z->capacity_lo = l->qps_ci_coverage > 0 ? l->qps_ci_lo : l->qps;
    z->capacity_hi = l->qps_ci_coverage > 0 ? l->qps_ci_hi : l->qps;
    z->at = (double)l->concurrency;
    z->how = SIZING_MEASURED;
    if ((size_t)best + 1 == g->n_levels) {
        z->how = g->knee ? SIZING_MEASURED : SIZING_AT_LEAST;
        z->limit = g->knee ? "saturation" : NULL;
        return;
    }
    next = l + 1;
    if ((rc = level_check(s, next)) == SIZING_OK) {
        z->limit = "saturation"; /* within the SLO but no more throughput */
        return;
    }
    z->limit = check_name(s, rc);
    if (rc < 0 || next->qps <= l->qps)
        return;
    /* A latency ceiling crossed between the two levels: place the crossing. */
    m = &s->limits[rc];
    a = level_value(l, m->metric);
    b = level_value(next, m->metric);
    if (m->metric != COMPARE_QPS && m->at_most && a > 0 && a <= m->limit && b > m->limit) {
        double t = (log(m->limit) - log(a)) / (log(b) - log(a));
        double nlo = next->qps_ci_coverage > 0 ? next->qps_ci_lo : next->qps;
        double nhi = next->qps_ci_coverage > 0 ? next->qps_ci_hi : next->qps;
        if (t > 0 && t < 1) {
            z->how = SIZING_INTERPOLATED;
            z->capacity = l->qps + t * (next->qps - l->qps);
            z->capacity_lo += t * (nlo - z->capacity_lo);
            z->capacity_hi += t * (nhi - z->capacity_hi);
            z->at = exp2(log2((double)l->concurrency) +
                         t * (log2((double)next->concurrency) - log2((double)l->concurrency)));
        }
    }
}

static void size_judge(const struct sizing *s, struct sizing_size *z)
{
    const struct sizing_opts *o = &s->opts;

    z->verdict = SIZING_NO_TARGET;
    if (s->need_qps > 0)
        z->verdict = z->how == SIZING_NONE           ? SIZING_SHORT
                     : z->capacity_lo >= s->need_qps ? SIZING_COVERS
                     : z->capacity_hi >= s->need_qps ? SIZING_MARGINAL
                                                     : SIZING_SHORT;
    z->cost = z->cost_per_kqps = NAN;
    if (s->costed) {
        double mem =
            o->cost_per_gib > 0 ? (o->memory_gib > 0 ? o->memory_gib * o->cost_per_gib : NAN) : 0;
        z->cost = (double)z->vcpus * fmax(o->cost_per_vcpu, 0) + mem;
        if (isfinite(z->cost) && z->capacity > 0)
            z->cost_per_kqps = z->cost / (z->capacity / 1000);
    }
}

/* Rank of a covering size: by cost when there is one, else by vCPUs. */
static bool better(const struct sizing *s, const struct sizing_size *a, const struct sizing_size *b)
{
    if (s->costed && isfinite(a->cost) && isfinite(b->cost) && a->cost != b->cost)
        return a->cost < b->cost;
    return a->vcpus < b->vcpus;
}

static void plan_choose(const struct sizing *s, struct sizing_plan *p)
{
    p->choice = p->runner_up = -1;
    for (size_t i = 0; i < p->n_sizes; i++) {
        if (p->sizes[i].verdict != SIZING_COVERS)
            continue;
        if (p->choice < 0 || better(s, &p->sizes[i], &p->sizes[p->choice])) {
            p->runner_up = p->choice;
            p->choice = (long)i;
        } else if (p->runner_up < 0 || better(s, &p->sizes[i], &p->sizes[p->runner_up])) {
            p->runner_up = (long)i;
        }
    }
}

/* The model through two sizes (n1 < n2): Amdahl exact through both, or linear. */
static int fit_two(double n1, double x1, double n2, double x2, struct sizing_plan *p)
{
    double a = x1 / n1, b = x2 / n2, den = b * (n2 - 1) - a * (n1 - 1);

    memset(&p->model, 0, sizeof(p->model));
    p->model.r2 = NAN;
    p->model.n_star = NAN;
    p->model.converged = 1;
    if (b >= a) {
        p->fit = SIZING_FIT_LINEAR;
        p->model.lambda = b;
        return 0;
    }
    if (x2 <= x1 || den <= 0) /* no gain from more vCPUs: no size up is predicted to help */
        return -1;
    p->fit = SIZING_FIT_AMDAHL;
    p->model.sigma = (a - b) / den; /* < 1 since x2 > x1 */
    p->model.lambda = a * (1 + p->model.sigma * (n1 - 1));
    return 0;
}

static void plan_fit(const struct sizing *s, struct sizing_plan *p)
{
    double n[SIZING_PREDICT_MAX], x[SIZING_PREDICT_MAX];
    size_t k = 0;
    uint64_t largest = 0;
    char why[128];

    p->fit = SIZING_FIT_NONE;
    for (size_t i = 0; i < p->n_sizes; i++) {
        const struct sizing_size *z = &p->sizes[i];
        largest = z->vcpus > largest ? z->vcpus : largest;
        if ((z->how == SIZING_MEASURED || z->how == SIZING_INTERPOLATED) && z->capacity > 0 &&
            k < SIZING_PREDICT_MAX) {
            n[k] = (double)z->vcpus;
            x[k++] = z->capacity;
        }
    }
    if (k >= 3 && usl_fit(n, x, k, &p->model, why, sizeof(why)) == 0)
        p->fit = SIZING_FIT_USL;
    else if (k >= 2 && fit_two(n[k - 2], x[k - 2], n[k - 1], x[k - 1], p) < 0)
        p->fit = SIZING_FIT_NONE;
    if (p->fit == SIZING_FIT_NONE || largest == 0)
        return;
    p->next_vcpus = 2 * largest;
    p->next_capacity = usl_eval(&p->model, (double)p->next_vcpus);
    if (s->need_qps > 0 && p->choice < 0)
        for (uint64_t v = 2 * largest; v <= SIZING_PREDICT_MAX; v *= 2)
            if (usl_eval(&p->model, (double)v) >= s->need_qps) {
                p->predicted_vcpus = v;
                p->predicted_capacity = usl_eval(&p->model, (double)v);
                break;
            }
}

/* Append to the plan's answer (truncated, never overflowing). */
static void say(struct sizing_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct sizing_plan *p, const char *fmt, ...)
{
    size_t used = strlen(p->answer);
    va_list ap;

    if (used + 1 >= sizeof(p->answer))
        return;
    va_start(ap, fmt);
    vsnprintf(p->answer + used, sizeof(p->answer) - used, fmt, ap);
    va_end(ap);
}

static const char *vcpu_word(uint64_t n)
{
    return n == 1 ? "vCPU" : "vCPUs";
}

/* One limit in words: "p99 <= 5 ms", "qps >= 100". */
static void limit_text(const struct sizing_limit *m, char *buf, size_t len)
{
    const char *op = m->at_most ? "<=" : ">=", *name = metric_names[m->metric];

    if (m->metric == COMPARE_QPS)
        snprintf(buf, len, "%s %s %g", name, op, m->limit);
    else if (m->limit >= 1000000)
        snprintf(buf, len, "%s %s %g s", name, op, m->limit / 1000000);
    else if (m->limit >= 1000)
        snprintf(buf, len, "%s %s %g ms", name, op, m->limit / 1000);
    else
        snprintf(buf, len, "%s %s %g us", name, op, m->limit);
}

/* The SLO's limits (the p99 SLO, then the gates on every level) and its words. */
static void set_limits(struct sizing *s)
{
    size_t used = 0;

    if (s->slo_p99_us > 0)
        s->limits[s->n_limits++] =
            (struct sizing_limit){.metric = COMPARE_P99, .at_most = 1, .limit = s->slo_p99_us};
    for (size_t i = 0; i < s->opts.n_gates && s->n_limits < SIZING_MAX_LIMITS; i++) {
        const struct compareslo_gate *g = &s->opts.gates[i];
        if (g->concurrency == 0)
            s->limits[s->n_limits++] = (struct sizing_limit){
                .metric = g->metric, .at_most = g->at_most, .limit = g->limit};
    }
    s->opts.gates = NULL; /* borrowed: not kept past the build */
    s->opts.n_gates = 0;
    if (!s->n_limits)
        snprintf(s->slo_text, sizeof(s->slo_text), "the throughput limit (no latency SLO)");
    for (size_t k = 0; k < s->n_limits && used + 1 < sizeof(s->slo_text); k++) {
        char one[64];
        limit_text(&s->limits[k], one, sizeof(one));
        used += (size_t)snprintf(s->slo_text + used, sizeof(s->slo_text) - used, "%s%s",
                                 k ? ", " : "", one);
    }
}

static void say_prediction(const struct sizing *s, struct sizing_plan *p)
{
    char q[32];

    if (p->fit == SIZING_FIT_NONE) {
        say(p, "; too few sizes with a measured capacity to predict a larger one");
        return;
    }
    if (s->need_qps > 0 && p->choice < 0) {
        if (p->predicted_vcpus)
            say(p, "; predicted (%s across sizes): %llu vCPUs would reach %s",
                sizing_fit_name(p->fit), (unsigned long long)p->predicted_vcpus,
                sizing_fmt_qps(p->predicted_capacity, q, sizeof(q)));
        else
            say(p, "; the trend across sizes (%s) does not reach it by %d vCPUs",
                sizing_fit_name(p->fit), SIZING_PREDICT_MAX);
        return;
    }
    say(p, "; predicted (%s across sizes): %llu vCPUs %s", sizing_fit_name(p->fit),
        (unsigned long long)p->next_vcpus, sizing_fmt_qps(p->next_capacity, q, sizeof(q)));
}

static void plan_answer(const struct sizing *s, struct sizing_plan *p)
{
    char q1[32], q2[32], q3[32];
    const char *slo = s->slo_text;
    const struct sizing_size *c = p->choice >= 0 ? &p->sizes[p->choice] : NULL;

    if (s->need_qps <= 0) {
        say(p, "%s: capacity at %s:", p->plan, slo);
        for (size_t i = 0; i < p->n_sizes; i++)
            say(p, "%s %llu %s %s%s", i ? "," : "", (unsigned long long)p->sizes[i].vcpus,
                vcpu_word(p->sizes[i].vcpus), p->sizes[i].how == SIZING_AT_LEAST ? ">= " : "",
                sizing_fmt_qps(p->sizes[i].capacity, q1, sizeof(q1)));
        say_prediction(s, p);
        return;
    }
    if (c) {
        say(p, "%s: %llu %s: %s%s qps at %s covers %s qps with %.0f%% headroom (needs %s)", p->plan,
            (unsigned long long)c->vcpus, vcpu_word(c->vcpus),
            c->how == SIZING_AT_LEAST ? "at least " : "",
            sizing_fmt_qps(c->capacity, q1, sizeof(q1)), slo,
            sizing_fmt_qps(s->opts.target_qps, q2, sizeof(q2)), s->opts.headroom * 100,
            sizing_fmt_qps(s->need_qps, q3, sizeof(q3)));
        if (s->costed && isfinite(c->cost))
            say(p, ", the cheapest that does (%.4g per 1k qps)", c->cost_per_kqps);
        /* The largest smaller size: why it was not enough. */
        for (long i = (long)p->n_sizes - 1; i >= 0; i--) {
            const struct sizing_size *z = &p->sizes[i];
            if (z->vcpus >= c->vcpus || z->verdict == SIZING_COVERS)
                continue;
            say(p, "; %llu %s %s %s%s", (unsigned long long)z->vcpus, vcpu_word(z->vcpus),
                z->vcpus == 1 ? "reaches" : "reach", sizing_fmt_qps(z->capacity, q1, sizeof(q1)),
                z->verdict == SIZING_MARGINAL ? " (marginal: its runs do not agree enough)" : "");
            break;
        }
        if (p->runner_up >= 0) {
            const struct sizing_size *r = &p->sizes[p->runner_up];
            say(p, "; runner-up %llu %s (%s)%s", (unsigned long long)r->vcpus, vcpu_word(r->vcpus),
                sizing_fmt_qps(r->capacity, q1, sizeof(q1)),
                r->vcpus > c->vcpus ? ", not needed" : "");
        }
        return;
    }
    say(p, "%s: no swept size serves %s qps at %s with %.0f%% headroom (needs %s)", p->plan,
        sizing_fmt_qps(s->opts.target_qps, q1, sizeof(q1)), slo, s->opts.headroom * 100,
        sizing_fmt_qps(s->need_qps, q2, sizeof(q2)));
    if (p->n_sizes) {
        const struct sizing_size *z = &p->sizes[p->n_sizes - 1];
        say(p, ": the largest, %llu %s, reaches %s%s%s", (unsigned long long)z->vcpus,
            vcpu_word(z->vcpus), z->how == SIZING_AT_LEAST ? "at least " : "",
            sizing_fmt_qps(z->capacity, q1, sizeof(q1)),
            z->verdict == SIZING_MARGINAL ? " (marginal: more runs may show it covers)" : "");
    }
    say_prediction(s, p);
}

int sizing_build(const struct analysis *a, const struct sizing_opts *o, struct sizing **out)
{
    struct sizing *s = calloc(1, sizeof(*s));

    if (!s)
        return -1;
    s->opts = *o;
    if (!(s->opts.headroom >= 0))
        s->opts.headroom = SIZING_HEADROOM;
    s->opts.headroom = fmin(s->opts.headroom, SIZING_HEADROOM_MAX);
    if (!(s->opts.max_error_rate >= 0))
        s->opts.max_error_rate = SIZING_MAX_ERROR_RATE;
    s->slo_p99_us = a->slo_p99_us;
    set_limits(s);
    s->costed = o->cost_per_vcpu > 0 || o->cost_per_gib > 0;
    if (o->target_qps > 0)
        s->need_qps = o->target_qps / (1 - s->opts.headroom);
    s->plans = calloc(a->n_groups ? a->n_groups : 1, sizeof(*s->plans));
    if (!s->plans)
        goto oom;
    /* Groups are sorted by plan, then vCPUs: each plan is a run of groups. */
    for (size_t i = 0; i < a->n_groups;) {
        struct sizing_plan *p = &s->plans[s->n_plans++];
        size_t j = i;
        while (j < a->n_groups && !strcmp(a->groups[j].plan, a->groups[i].plan))
            j++;
        snprintf(p->plan, sizeof(p->plan), "%s", a->groups[i].plan);
        if (!(p->sizes = calloc(j - i, sizeof(*p->sizes))))
            goto oom;
        for (size_t k = i; k < j; k++) {
            struct sizing_size *z = &p->sizes[p->n_sizes++];
            size_capacity(s, &a->groups[k], z);
            size_judge(s, z);
        }
        plan_choose(s, p);
        plan_fit(s, p);
        plan_answer(s, p);
        i = j;
    }
    *out = s;
    return 0;
oom:
    sizing_free(s);
    return -1;
}

const struct sizing_size *sizing_find(const struct sizing *s, const char *plan, uint64_t vcpus)
{
    for (size_t i = 0; s && i < s->n_plans; i++) {
        if (strcmp(s->plans[i].plan, plan) != 0)
            continue;
        for (size_t k = 0; k < s->plans[i].n_sizes; k++)
            if (s->plans[i].sizes[k].vcpus == vcpus)
                return &s->plans[i].sizes[k];
    }
    return NULL;
}

const struct sizing_size *sizing_chosen(const struct sizing *s, const char *plan)
{
    for (size_t i = 0; s && i < s->n_plans; i++)
        if (!strcmp(s->plans[i].plan, plan) && s->plans[i].choice >= 0)
            return &s->plans[i].sizes[s->plans[i].choice];
    return NULL;
}

void sizing_free(struct sizing *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->plans && i < s->n_plans; i++)
        free(s->plans[i].sizes);
    free(s->plans);
    free(s);
}
