/*
 * comparereport — see comparereport.h.  All three renderings are built from the same
 * sentences (comparereport_level_detail, comparereport_slo_detail) so the terminal, the
 * pull request and the annotations never disagree.
 */
#include "comparereport.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum comparereport_status comparereport_status(const struct compare_result *cmp,
                                               const struct compareslo_result *slo)
{
    if (cmp->verdict == COMPARE_REGRESSED || (slo && slo->n_violated > 0))
        return COMPAREREPORT_REGRESSION;
    if (cmp->verdict == COMPARE_INCONCLUSIVE)
        return COMPAREREPORT_INCONCLUSIVE;
    return COMPAREREPORT_OK;
}

const char *comparereport_status_name(enum comparereport_status s)
{
    switch (s) {
    case COMPAREREPORT_OK:
        return "ok";
    case COMPAREREPORT_REGRESSION:
        return "regression";
    case COMPAREREPORT_INCONCLUSIVE:
        return "inconclusive";
    default:
        return "bad input";
    }
}

/* "[-13.1%, -7.2%]", or "-" without an interval. */
static void interval(const struct compare_change *e, char *buf, size_t cap)
{
    if (isfinite(e->ci_lo) && isfinite(e->ci_hi))
        snprintf(buf, cap, "[%+.1f%%, %+.1f%%]", e->ci_lo * 100, e->ci_hi * 100);
    else
        snprintf(buf, cap, "-");
}

void comparereport_change_detail(const struct compare_change *e, enum compare_metric m,
                                 double threshold, double alpha, char *buf, size_t cap)
{
    char ci[64];
    const char *worse = compare_metric_higher_is_better(m) ? "drop" : "rise";
    int n;
    size_t at;

    interval(e, ci, sizeof(ci));
    n = snprintf(buf, cap, "%s %+.1f%% %s", compare_metric_name(m), e->change * 100, ci);
    at = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap;
    switch (e->verdict) {
    case COMPARE_REGRESSED:
    case COMPARE_IMPROVED:
        snprintf(buf + at, cap - at, ": %s beyond %.1f%%, significant (adjusted p = %.3g <= %g)",
                 e->verdict == COMPARE_REGRESSED ? "worse" : "better", threshold * 100, e->p_adj,
                 alpha);
        break;
    case COMPARE_SAME:
        snprintf(buf + at, cap - at, ": the interval rules out a %s beyond %.1f%%", worse,
                 threshold * 100);
        break;
    default:
        if (!(e->df > 0))
            n = snprintf(buf + at, cap - at,
                         ": one run a side, so the run-to-run noise is unknown");
        else if (e->beyond)
            n = snprintf(buf + at, cap - at,
                         ": worse beyond %.1f%% but not significant (adjusted p = %.3g > %g)",
                         threshold * 100, e->p_adj, alpha);
        else
            n = snprintf(buf + at, cap - at,
                         ": the interval reaches a %s beyond %.1f%%, a regression is not ruled "
                         "out",
                         worse, threshold * 100);
        at += n < 0 ? 0 : (size_t)n;
        if (at >= cap)
            break;
        if (e->runs_needed)
            snprintf(buf + at, cap - at,
                     "; about %zu runs per side would likely decide (--runs, or --profile ci)",
                     e->runs_needed);
        else
            snprintf(buf + at, cap - at, "; more than %d runs per side would be needed",
                     COMPARE_RUNS_MAX);
        break;
    }
}

void comparereport_level_detail(const struct compare_level *l, enum compare_metric m,
                                double threshold, double alpha, char *buf, size_t cap)
{
    char est[384];
    comparereport_change_detail(&l->est, m, threshold, alpha, est, sizeof(est));
    snprintf(buf, cap, "%s (%.6g -> %.6g, %zu vs %zu runs)", est, l->gm_base, l->gm_cur, l->n_base,
             l->n_cur);
}

/* What decided the whole comparison's verdict, in words. */
static const char *decided_by(const struct compare_result *c)
{
    if (c->verdict == COMPARE_REGRESSED)
        return c->by_level && c->by_curve ? "levels and whole curves regressed"
               : c->by_level              ? "a level regressed"
                                          : "a whole curve regressed, though no level alone";
    if (c->verdict == COMPARE_INCONCLUSIVE)
        return c->by_level && c->by_curve ? "levels and whole curves lack the evidence"
               : c->by_level ? "a level's change is beyond the threshold but not significant"
                             : "a whole curve's interval does not rule out a regression";
    return "every curve's interval rules out a regression beyond the threshold";
}

void comparereport_slo_detail(const struct compareslo_check *c, char *buf, size_t cap)
{
    const char *what = c->kind == COMPARESLO_ERROR_RATE ? "error rate"
                       : c->kind == COMPARESLO_FAIRNESS ? "fairness"
                                                        : NULL;
    char val[64];
    if (c->kind == COMPARESLO_ERROR_RATE)
        snprintf(val, sizeof(val), "%.3g%%", c->value * 100);
    else
        snprintf(val, sizeof(val), "%.6g", c->value);
    if (what)
        snprintf(buf, cap, "%s = %s %s %s", what, val, c->violated ? "violates" : "meets", c->gate);
    else
        snprintf(buf, cap, "median = %s %s %s", val, c->violated ? "violates" : "meets", c->gate);
}

static const char *verdict_caps(enum compare_verdict v)
{
    switch (v) {
    case COMPARE_SAME:
        return "ok";
    case COMPARE_IMPROVED:
        return "IMPROVED";
    case COMPARE_REGRESSED:
        return "REGRESSION";
    default:
        return "INCONCLUSIVE";
    }
}

static void knee_text(const struct compare_knee *k, char *buf, size_t cap)
{
    char a[32], b[32];
    snprintf(a, sizeof(a), k->knee_base ? "%llu" : "none", (unsigned long long)k->knee_base);
    snprintf(b, sizeof(b), k->knee_cur ? "%llu" : "none", (unsigned long long)k->knee_cur);
    snprintf(buf, cap, "knee of '%s' on %llu vCPUs moved %s -> %s%s", k->plan,
             (unsigned long long)k->vcpus, a, b,
             k->lower ? ": CURRENT saturates at a lower concurrency" : "");
}

/* "cpu/2 vCPUs/c=32", or "cpu/2 vCPUs (whole curve)" when concurrency is 0. */
static void where_text(const char *plan, uint64_t vcpus, uint64_t conc, char *buf, size_t cap)
{
    if (conc)
        snprintf(buf, cap, "%s/%llu vCPUs/c=%llu", plan, (unsigned long long)vcpus,
                 (unsigned long long)conc);
    else
        snprintf(buf, cap, "%s/%llu vCPUs (whole curve)", plan, (unsigned long long)vcpus);
}

/* A walk over the findings of a report: levels, then tested curves, whose verdict is not
 * "no regression". */
struct finding_walk {
    size_t level, curve;
};

/*
 * The next finding of r after w: its verdict, where (where_text) and the sentence that
 * explains it.  0 when there is none left.
 */
static int finding_next(const struct comparereport *r, struct finding_walk *w,
                        enum compare_verdict *v, char *where, size_t wcap, char *detail,
                        size_t dcap)
{
    const struct compare_result *c = r->cmp;

    while (w->level < c->n_levels) {
        const struct compare_level *l = &c->levels[w->level++];
        if (l->est.verdict == COMPARE_SAME)
            continue;
        *v = l->est.verdict;
        where_text(l->plan, l->vcpus, l->concurrency, where, wcap);
        comparereport_level_detail(l, c->metric, r->threshold, r->alpha, detail, dcap);
        return 1;
    }
    while (w->curve < c->n_curves) {
        const struct compare_curve *cv = &c->curves[w->curve++];
        if (!cv->tested || cv->est.verdict == COMPARE_SAME)
            continue;
        *v = cv->est.verdict;
        where_text(cv->plan, cv->vcpus, 0, where, wcap);
        comparereport_change_detail(&cv->est, c->metric, r->threshold, r->alpha, detail, dcap);
        return 1;
    }
    return 0;
}

/* The run-to-run noise of a curve, e.g. "noise 2.9% pooled over 64 df". */
static void noise_text(const struct compare_curve *cv, const struct compare_level *levels,
                       char *buf, size_t cap)
{
    size_t own = 0;
    for (size_t k = cv->first; k < cv->first + cv->n; k++)
        own += levels[k].own_noise;
    if (!(cv->est.df > 0))
        snprintf(buf, cap, "noise unknown (one run a side)");
    else if (own)
        snprintf(buf, cap, "noise %.1f%% pooled over %.0f df, %zu noisier level(s) on their own",
                 cv->est.noise * 100, cv->est.df, own);
    else
        snprintf(buf, cap, "noise %.1f%% pooled over %.0f df", cv->est.noise * 100, cv->est.df);
}

int comparereport_table(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;
    char detail[640], ci[64], where[CSV_PLAN_MAX + 64];
    struct finding_walk walk = {0, 0};
    enum compare_verdict v;

    fprintf(f, "vmsweep compare: BASE '%s' vs CURRENT '%s'\n", r->base_name, r->cur_name);
    fprintf(f,
            "metric %s (%s is better), threshold %.1f%%, false alarms <= %g over %zu test(s) "
            "(Holm), %.0f%% intervals\n",
            compare_metric_name(c->metric),
            compare_metric_higher_is_better(c->metric) ? "higher" : "lower", r->threshold * 100,
            r->alpha, c->n_tests, COMPARE_CI_LEVEL * 100);
    if (r->gates)
        fprintf(f, "gates on CURRENT: %s\n", r->gates);
    for (size_t i = 0; i < r->n_warnings; i++)
        fprintf(f, "!! NOT COMPARABLE: %s\n", r->warnings[i]);
    fprintf(f, "\n%-16s %5s %6s %12s %12s %8s %18s %8s  %s\n", "plan", "vcpus", "conc", "base",
            "current", "change", "95% CI", "adj. p", "verdict");
    for (size_t k = 0; k < c->n_curves; k++) {
        const struct compare_curve *cv = &c->curves[k];
        for (size_t i = cv->first; i < cv->first + cv->n; i++) {
            const struct compare_level *l = &c->levels[i];
            char nb[32], nc[32];
            interval(&l->est, ci, sizeof(ci));
            snprintf(nb, sizeof(nb), "%.6g(%zu)", l->gm_base, l->n_base);
            snprintf(nc, sizeof(nc), "%.6g(%zu)", l->gm_cur, l->n_cur);
            fprintf(f, "%-16s %5llu %6llu %12s %12s %+7.1f%% %18s %8.3g  %s", l->plan,
                    (unsigned long long)l->vcpus, (unsigned long long)l->concurrency, nb, nc,
                    l->est.change * 100, ci, l->est.p_adj, verdict_caps(l->est.verdict));
            if (l->est.verdict == COMPARE_INCONCLUSIVE && l->est.runs_needed)
                fprintf(f, " (need ~%zu runs per side)", l->est.runs_needed);
            if (l->own_noise)
                fputs(" [noisier: own noise]", f);
            if (l->dropped_base || l->dropped_cur)
                fprintf(f, " [%zu/%zu runs left out: timeout, exit code or no value]",
                        l->dropped_base, l->dropped_cur);
            fputc('\n', f);
        }
        interval(&cv->est, ci, sizeof(ci));
        noise_text(cv, c->levels, detail, sizeof(detail));
        if (cv->tested)
            fprintf(f, "%-16s %5llu %6s %12s %12s %+7.1f%% %18s %8.3g  %s  (%s)\n", cv->plan,
                    (unsigned long long)cv->vcpus, "curve", "", "", cv->est.change * 100, ci,
                    cv->est.p_adj, verdict_caps(cv->est.verdict), detail);
        else
            fprintf(f, "%-16s %5llu %6s %s\n", cv->plan, (unsigned long long)cv->vcpus, "curve",
                    "(one level: the curve is that level)");
    }
    if (c->only_base || c->only_cur)
        fprintf(f, "not compared: %zu level(s) only in BASE, %zu only in CURRENT\n", c->only_base,
                c->only_cur);
    while (finding_next(r, &walk, &v, where, sizeof(where), detail, sizeof(detail)))
        fprintf(f, "%s %s: %s\n", verdict_caps(v), where, detail);
    for (size_t i = 0; i < c->n_knees; i++) {
        knee_text(&c->knees[i], detail, sizeof(detail));
        fprintf(f, "%s %s\n", c->knees[i].lower ? "!! KNEE MOVED DOWN:" : "knee moved:", detail);
    }
    if (r->slo && r->slo->n) {
        size_t ok = r->slo->n - r->slo->n_violated;
        for (size_t i = 0; i < r->slo->n; i++) {
            const struct compareslo_check *s = &r->slo->checks[i];
            if (!s->violated)
                continue;
            comparereport_slo_detail(s, detail, sizeof(detail));
            fprintf(f, "SLO VIOLATION %s/%llu vCPUs/c=%llu: %s\n", s->plan,
                    (unsigned long long)s->vcpus, (unsigned long long)s->concurrency, detail);
        }
        fprintf(f, "SLO gates: %zu check(s) met, %zu violated\n", ok, r->slo->n_violated);
    }
    fputc('\n', f);
    return comparereport_verdict(f, r);
}

int comparereport_verdict(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;

    fprintf(f,
            "verdict: %s: %s%s (levels: %zu regression(s), %zu improvement(s), %zu "
            "inconclusive, %zu no regression) -> exit %d\n",
            comparereport_status_name(r->status), decided_by(c),
            r->slo && r->slo->n_violated ? "; SLO violated" : "", c->n_regressed, c->n_improved,
            c->n_inconclusive, c->n_same, (int)r->status);
    return ferror(f) ? -1 : 0;
}

/* Markdown-safe text: '|' escaped so a plan name cannot break a table. */
static void md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '*' || *s == '_' || *s == '`' || *s == '<' || *s == '>')
            fputc('\\', f);
        fputc(*s, f);
    }
}

/* One Markdown table row: plan, vCPUs, what, base, current, change, interval, p, verdict. */
static void md_row(FILE *f, const char *plan, uint64_t vcpus, const char *what, const char *base,
                   const char *cur, const struct compare_change *e)
{
    char ci[64];
    interval(e, ci, sizeof(ci));
    fprintf(f, "| ");
    md_text(f, plan);
    fprintf(f, " | %llu | %s | %s | %s | %+.1f%% | %s | %.3g | %s |\n", (unsigned long long)vcpus,
            what, base, cur, e->change * 100, ci, e->p_adj, compare_verdict_name(e->verdict));
}

int comparereport_markdown(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;
    char detail[640], where[CSV_PLAN_MAX + 64];
    struct finding_walk walk = {0, 0};
    enum compare_verdict v;
    static const char *const head[] = {"no regression", "", "bad input", "regression",
                                       "inconclusive"};

    fprintf(f, "### vmsweep compare: %s\n\n", head[r->status]);
    fprintf(f, "BASE `");
    md_text(f, r->base_name);
    fprintf(f, "` vs CURRENT `");
    md_text(f, r->cur_name);
    fprintf(f,
            "`, metric **%s**, threshold %.1f%%, false alarms ≤ %g over %zu test(s) (Holm), "
            "%.0f%% intervals.\n\n",
            compare_metric_name(c->metric), r->threshold * 100, r->alpha, c->n_tests,
            COMPARE_CI_LEVEL * 100);
    for (size_t i = 0; i < r->n_warnings; i++) {
        fprintf(f, "> **Warning: not comparable**: ");
        md_text(f, r->warnings[i]);
        fprintf(f, "\n");
    }
    if (r->n_warnings)
        fprintf(f, "\n");
    fprintf(f, "| plan | vCPUs | concurrency | base | current | change | 95%% CI | adj. p | "
               "verdict |\n|---|---:|---:|---:|---:|---:|---|---:|---|\n");
    for (size_t k = 0; k < c->n_curves; k++) {
        const struct compare_curve *cv = &c->curves[k];
        for (size_t i = cv->first; i < cv->first + cv->n; i++) {
            const struct compare_level *l = &c->levels[i];
            char what[32], nb[48], nc[48];
            snprintf(what, sizeof(what), "%llu", (unsigned long long)l->concurrency);
            snprintf(nb, sizeof(nb), "%.6g (%zu)", l->gm_base, l->n_base);
            snprintf(nc, sizeof(nc), "%.6g (%zu)", l->gm_cur, l->n_cur);
            md_row(f, l->plan, l->vcpus, what, nb, nc, &l->est);
        }
        if (cv->tested)
            md_row(f, cv->plan, cv->vcpus, "**whole curve**", "", "", &cv->est);
    }
    fprintf(f, "\n");
    while (finding_next(r, &walk, &v, where, sizeof(where), detail, sizeof(detail))) {
        fprintf(f, "- **%s** ", compare_verdict_name(v));
        md_text(f, where);
        fputs(": ", f);
        md_text(f, detail);
        fprintf(f, "\n");
    }
    for (size_t i = 0; i < c->n_knees; i++) {
        knee_text(&c->knees[i], detail, sizeof(detail));
        fprintf(f, "- **%s**: ", c->knees[i].lower ? "knee moved down" : "knee moved");
        md_text(f, detail);
        fprintf(f, "\n");
    }
    if (r->slo) {
        for (size_t i = 0; i < r->slo->n; i++) {
            const struct compareslo_check *s = &r->slo->checks[i];
            if (!s->violated)
                continue;
            comparereport_slo_detail(s, detail, sizeof(detail));
            fprintf(f, "- **SLO violation** ");
            md_text(f, s->plan);
            fprintf(f, " / %llu vCPUs / c=%llu: ", (unsigned long long)s->vcpus,
                    (unsigned long long)s->concurrency);
            md_text(f, detail);
            fprintf(f, "\n");
        }
        fprintf(f, "\nSLO gates: %zu met, %zu violated.\n", r->slo->n - r->slo->n_violated,
                r->slo->n_violated);
    }
    fprintf(f,
            "\nDecided by: %s.  Levels: %zu regression(s), %zu improvement(s), %zu "
            "inconclusive, %zu no regression: exit %d.\n",
            decided_by(c), c->n_regressed, c->n_improved, c->n_inconclusive, c->n_same,
            (int)r->status);
    return ferror(f) ? -1 : 0;
}

/* Workflow-command escaping; properties (in_prop) also escape ':' and ','. */
static void gh_text(FILE *f, const char *s, int in_prop)
{
    for (; *s; s++) {
        if (*s == '%')
            fputs("%25", f);
        else if (*s == '\r')
            fputs("%0D", f);
        else if (*s == '\n')
            fputs("%0A", f);
        else if (in_prop && *s == ':')
            fputs("%3A", f);
        else if (in_prop && *s == ',')
            fputs("%2C", f);
        else
            fputc(*s, f);
    }
}

static void gh_line(FILE *f, const char *kind, const char *title, const char *msg)
{
    fprintf(f, "::%s title=", kind);
    gh_text(f, title, 1);
    fputs("::", f);
    gh_text(f, msg, 0);
    fputc('\n', f);
}

/* The annotation kind of a verdict; NULL: none. */
static const char *gh_kind(enum compare_verdict v)
{
    return v == COMPARE_REGRESSED      ? "error"
           : v == COMPARE_INCONCLUSIVE ? "warning"
           : v == COMPARE_IMPROVED     ? "notice"
                                       : NULL;
}

int comparereport_github(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;
    char detail[640], where[CSV_PLAN_MAX + 64], title[CSV_PLAN_MAX + 96];
    struct finding_walk walk = {0, 0};
    enum compare_verdict v;

    for (size_t i = 0; i < r->n_warnings; i++)
        gh_line(f, "warning", "vmsweep compare: runs not comparable", r->warnings[i]);
    while (finding_next(r, &walk, &v, where, sizeof(where), detail, sizeof(detail))) {
        snprintf(title, sizeof(title), "perf %s: %s", compare_verdict_name(v), where);
        gh_line(f, gh_kind(v), title, detail);
    }
    for (size_t i = 0; i < c->n_knees; i++) {
        knee_text(&c->knees[i], detail, sizeof(detail));
        gh_line(f, "warning", "perf knee moved", detail);
    }
    if (r->slo) {
        for (size_t i = 0; i < r->slo->n; i++) {
            const struct compareslo_check *s = &r->slo->checks[i];
            if (!s->violated)
                continue;
            comparereport_slo_detail(s, detail, sizeof(detail));
            snprintf(title, sizeof(title), "SLO violated: %s vcpus=%llu c=%llu", s->plan,
                     (unsigned long long)s->vcpus, (unsigned long long)s->concurrency);
            gh_line(f, "error", title, detail);
        }
    }
    return ferror(f) ? -1 : 0;
}

/* A number, or null when it is not finite (JSON has no NaN). */
static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* The fields of an estimate, shared by a level and a curve (docs/json.md). */
static void change_json(cJSON *o, const struct compare_change *e)
{
    cJSON *ci = cJSON_CreateArray();
    cJSON_AddItemToObject(o, "change_pct", num_or_null(e->change * 100));
    cJSON_AddItemToArray(ci, num_or_null(e->ci_lo * 100));
    cJSON_AddItemToArray(ci, num_or_null(e->ci_hi * 100));
    cJSON_AddItemToObject(o, "ci95_pct", ci);
    cJSON_AddItemToObject(o, "noise_pct",
                          e->df > 0 ? num_or_null(e->noise * 100) : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "noise_df", e->df);
    cJSON_AddItemToObject(o, "p_worse", num_or_null(e->p_worse));
    cJSON_AddItemToObject(o, "p_better", num_or_null(e->p_better));
    cJSON_AddItemToObject(o, "p_adjusted", num_or_null(e->p_adj));
    cJSON_AddBoolToObject(o, "beyond_threshold", e->beyond);
    cJSON_AddNumberToObject(o, "runs_needed", (double)e->runs_needed);
    cJSON_AddStringToObject(o, "verdict", compare_verdict_name(e->verdict));
}

int comparereport_json(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;
    cJSON *o = cJSON_CreateObject(), *arr, *e;
    char *text = NULL;
    int ret = -1;

    if (!o)
        return -1;
    cJSON_AddNumberToObject(o, "schema_version", COMPAREREPORT_JSON_SCHEMA);
    cJSON_AddStringToObject(o, "command", "compare");
    cJSON_AddStringToObject(o, "base", r->base_name);
    cJSON_AddStringToObject(o, "current", r->cur_name);
    cJSON_AddStringToObject(o, "metric", compare_metric_name(c->metric));
    cJSON_AddBoolToObject(o, "higher_is_better", compare_metric_higher_is_better(c->metric));
    cJSON_AddNumberToObject(o, "alpha", r->alpha);
    cJSON_AddNumberToObject(o, "threshold_pct", r->threshold * 100);
    cJSON_AddNumberToObject(o, "ci_level", COMPARE_CI_LEVEL);
    cJSON_AddNumberToObject(o, "tests", (double)c->n_tests);
    cJSON_AddStringToObject(o, "verdict", comparereport_status_name(r->status));
    cJSON_AddStringToObject(o, "decided_by", decided_by(c));
    e = cJSON_AddArrayToObject(o, "decided_by_tests");
    if (c->by_level)
        cJSON_AddItemToArray(e, cJSON_CreateString("level"));
    if (c->by_curve)
        cJSON_AddItemToArray(e, cJSON_CreateString("curve"));
    cJSON_AddNumberToObject(o, "exit_code", (int)r->status);
    e = cJSON_AddObjectToObject(o, "counts");
    cJSON_AddNumberToObject(e, "regressed", (double)c->n_regressed);
    cJSON_AddNumberToObject(e, "improved", (double)c->n_improved);
    cJSON_AddNumberToObject(e, "inconclusive", (double)c->n_inconclusive);
    cJSON_AddNumberToObject(e, "no_regression", (double)c->n_same);
    cJSON_AddNumberToObject(e, "only_base", (double)c->only_base);
    cJSON_AddNumberToObject(e, "only_current", (double)c->only_cur);
    arr = cJSON_AddArrayToObject(o, "levels");
    for (size_t i = 0; arr && i < c->n_levels; i++) {
        const struct compare_level *l = &c->levels[i];
        cJSON *lv = cJSON_CreateObject();
        cJSON_AddStringToObject(lv, "plan", l->plan);
        cJSON_AddNumberToObject(lv, "vcpus", (double)l->vcpus);
        cJSON_AddNumberToObject(lv, "concurrency", (double)l->concurrency);
        cJSON_AddNumberToObject(lv, "runs_base", (double)l->n_base);
        cJSON_AddNumberToObject(lv, "runs_current", (double)l->n_cur);
        cJSON_AddNumberToObject(lv, "dropped_base", (double)l->dropped_base);
        cJSON_AddNumberToObject(lv, "dropped_current", (double)l->dropped_cur);
        cJSON_AddItemToObject(lv, "median_base", num_or_null(l->med_base));
        cJSON_AddItemToObject(lv, "median_current", num_or_null(l->med_cur));
        cJSON_AddItemToObject(lv, "gmean_base", num_or_null(l->gm_base));
        cJSON_AddItemToObject(lv, "gmean_current", num_or_null(l->gm_cur));
        cJSON_AddStringToObject(lv, "noise", l->own_noise ? "level" : "pooled");
        change_json(lv, &l->est);
        cJSON_AddItemToArray(arr, lv);
    }
    arr = cJSON_AddArrayToObject(o, "curves");
    for (size_t i = 0; arr && i < c->n_curves; i++) {
        const struct compare_curve *cv = &c->curves[i];
        cJSON *co = cJSON_CreateObject();
        cJSON_AddStringToObject(co, "plan", cv->plan);
        cJSON_AddNumberToObject(co, "vcpus", (double)cv->vcpus);
        cJSON_AddNumberToObject(co, "levels", (double)cv->n);
        cJSON_AddBoolToObject(co, "tested", cv->tested);
        change_json(co, &cv->est);
        cJSON_AddItemToArray(arr, co);
    }
    arr = cJSON_AddArrayToObject(o, "knees");
    for (size_t i = 0; arr && i < c->n_knees; i++) {
        const struct compare_knee *k = &c->knees[i];
        cJSON *kn = cJSON_CreateObject();
        cJSON_AddStringToObject(kn, "plan", k->plan);
        cJSON_AddNumberToObject(kn, "vcpus", (double)k->vcpus);
        cJSON_AddItemToObject(kn, "knee_base",
                              k->knee_base ? cJSON_CreateNumber((double)k->knee_base)
                                           : cJSON_CreateNull());
        cJSON_AddItemToObject(kn, "knee_current",
                              k->knee_cur ? cJSON_CreateNumber((double)k->knee_cur)
                                          : cJSON_CreateNull());
        cJSON_AddBoolToObject(kn, "earlier", k->lower);
        cJSON_AddItemToArray(arr, kn);
    }
    if (r->slo) {
        cJSON *slo = cJSON_AddObjectToObject(o, "slo");
        cJSON_AddNumberToObject(slo, "checks", (double)r->slo->n);
        cJSON_AddNumberToObject(slo, "violated", (double)r->slo->n_violated);
        arr = cJSON_AddArrayToObject(slo, "results");
        for (size_t i = 0; arr && i < r->slo->n; i++) {
            const struct compareslo_check *k = &r->slo->checks[i];
            cJSON *sc = cJSON_CreateObject();
            cJSON_AddStringToObject(sc, "plan", k->plan);
            cJSON_AddNumberToObject(sc, "vcpus", (double)k->vcpus);
            cJSON_AddNumberToObject(sc, "concurrency", (double)k->concurrency);
            cJSON_AddStringToObject(sc, "gate", k->gate);
            cJSON_AddItemToObject(sc, "value", num_or_null(k->value));
            cJSON_AddBoolToObject(sc, "violated", k->violated);
            cJSON_AddItemToArray(arr, sc);
        }
    } else {
        cJSON_AddNullToObject(o, "slo");
    }
    arr = cJSON_AddArrayToObject(o, "warnings");
    for (size_t i = 0; arr && i < r->n_warnings; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(r->warnings[i]));
    text = cJSON_PrintUnformatted(o);
    if (text && fprintf(f, "%s\n", text) >= 0 && !ferror(f))
        ret = 0;
    free(text);
    cJSON_Delete(o);
    return ret;
}
