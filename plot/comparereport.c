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
    if (cmp->n_regressed > 0 || (slo && slo->n_violated > 0))
        return COMPAREREPORT_REGRESSION;
    if (cmp->n_inconclusive > 0)
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

void comparereport_level_detail(const struct compare_level *l, enum compare_metric m, double alpha,
                                char *buf, size_t cap)
{
    const char *name = compare_metric_name(m);
    int n = snprintf(buf, cap, "%s %+.1f%% (%.6g -> %.6g, %zu vs %zu runs)", name, l->change * 100,
                     l->med_base, l->med_cur, l->n_base, l->n_cur);
    size_t at = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap;

    switch (l->verdict) {
    case COMPARE_INCONCLUSIVE:
        if (l->p_min >= alpha)
            snprintf(buf + at, cap - at,
                     ": %zu vs %zu runs can never reach p < %g (best possible p = %.3g); "
                     "run at least %zu per side (--runs, or --profile ci)",
                     l->n_base, l->n_cur, alpha, l->p_min, l->runs_needed);
        else
            snprintf(buf + at, cap - at,
                     ": a change above %.1f%% that is not significant (p = %.3g >= %g); "
                     "run more repetitions",
                     l->min_change * 100, l->p, alpha);
        break;
    case COMPARE_REGRESSED:
    case COMPARE_IMPROVED:
        snprintf(buf + at, cap - at, ", p = %.3g < %g and |change| > %.1f%% (%s is %s)", l->p,
                 alpha, l->min_change * 100, name,
                 compare_metric_higher_is_better(m) ? "higher-is-better" : "lower-is-better");
        break;
    default:
        if (l->p < alpha)
            snprintf(buf + at, cap - at, ": significant (p = %.3g) but within %.1f%%", l->p,
                     l->min_change * 100);
        else
            snprintf(buf + at, cap - at, ": p = %.3g, within noise (%.1f%%)", l->p,
                     l->min_change * 100);
        break;
    }
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

static void interval(const struct compare_level *l, char *buf, size_t cap)
{
    if (isfinite(l->ratio_lo) && isfinite(l->ratio_hi))
        snprintf(buf, cap, "[%+.1f%%, %+.1f%%]", (l->ratio_lo - 1) * 100, (l->ratio_hi - 1) * 100);
    else
        snprintf(buf, cap, "-");
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

int comparereport_table(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;
    char detail[512], ci[64];

    fprintf(f, "vmsweep compare: BASE '%s' vs CURRENT '%s'\n", r->base_name, r->cur_name);
    fprintf(f, "metric %s (%s is better), alpha %g, threshold %.1f%% (or 3 x CV if larger)\n",
            compare_metric_name(c->metric),
            compare_metric_higher_is_better(c->metric) ? "higher" : "lower", r->alpha,
            r->threshold * 100);
    if (r->gates)
        fprintf(f, "gates on CURRENT: %s\n", r->gates);
    for (size_t i = 0; i < r->n_warnings; i++)
        fprintf(f, "!! NOT COMPARABLE: %s\n", r->warnings[i]);
    fprintf(f, "\n%-16s %5s %6s %12s %12s %8s %18s %8s  %s\n", "plan", "vcpus", "conc", "base",
            "current", "change", "95% CI", "p", "verdict");
    for (size_t i = 0; i < c->n_levels; i++) {
        const struct compare_level *l = &c->levels[i];
        char nb[32], nc[32];
        interval(l, ci, sizeof(ci));
        snprintf(nb, sizeof(nb), "%.6g(%zu)", l->med_base, l->n_base);
        snprintf(nc, sizeof(nc), "%.6g(%zu)", l->med_cur, l->n_cur);
        fprintf(f, "%-16s %5llu %6llu %12s %12s %+7.1f%% %18s %8.3g  %s", l->plan,
                (unsigned long long)l->vcpus, (unsigned long long)l->concurrency, nb, nc,
                l->change * 100, ci, l->p, verdict_caps(l->verdict));
        if (l->verdict == COMPARE_INCONCLUSIVE && l->runs_needed)
            fprintf(f, " (need %zu runs per side)", l->runs_needed);
        if (l->dropped_base || l->dropped_cur)
            fprintf(f, " [%zu/%zu runs left out: timeout or exit code]", l->dropped_base,
                    l->dropped_cur);
        fputc('\n', f);
    }
    if (c->only_base || c->only_cur)
        fprintf(f, "not compared: %zu level(s) only in BASE, %zu only in CURRENT\n", c->only_base,
                c->only_cur);
    for (size_t i = 0; i < c->n_levels; i++) {
        const struct compare_level *l = &c->levels[i];
        if (l->verdict == COMPARE_SAME)
            continue;
        comparereport_level_detail(l, c->metric, r->alpha, detail, sizeof(detail));
        fprintf(f, "%s %s/%llu vCPUs/c=%llu: %s\n", verdict_caps(l->verdict), l->plan,
                (unsigned long long)l->vcpus, (unsigned long long)l->concurrency, detail);
    }
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
            "verdict: %s (%zu regression(s), %zu improvement(s), %zu inconclusive, %zu "
            "unchanged%s) -> exit %d\n",
            comparereport_status_name(r->status), c->n_regressed, c->n_improved, c->n_inconclusive,
            c->n_same, r->slo && r->slo->n_violated ? ", SLO violated" : "", (int)r->status);
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

int comparereport_markdown(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;
    char detail[512], ci[64];
    static const char *const head[] = {"no regression", "", "bad input", "regression",
                                       "inconclusive"};

    fprintf(f, "### vmsweep compare: %s\n\n", head[r->status]);
    fprintf(f, "BASE `");
    md_text(f, r->base_name);
    fprintf(f, "` vs CURRENT `");
    md_text(f, r->cur_name);
    fprintf(f, "`, metric **%s**, alpha %g, threshold %.1f%% (or 3 × CV).\n\n",
            compare_metric_name(c->metric), r->alpha, r->threshold * 100);
    for (size_t i = 0; i < r->n_warnings; i++) {
        fprintf(f, "> **Warning: not comparable**: ");
        md_text(f, r->warnings[i]);
        fprintf(f, "\n");
    }
    if (r->n_warnings)
        fprintf(f, "\n");
    fprintf(f, "| plan | vCPUs | concurrency | base | current | change | 95%% CI | p | verdict "
               "|\n|---|---:|---:|---:|---:|---:|---|---:|---|\n");
    for (size_t i = 0; i < c->n_levels; i++) {
        const struct compare_level *l = &c->levels[i];
        interval(l, ci, sizeof(ci));
        fprintf(f, "| ");
        md_text(f, l->plan);
        fprintf(f, " | %llu | %llu | %.6g (%zu) | %.6g (%zu) | %+.1f%% | %s | %.3g | %s |\n",
                (unsigned long long)l->vcpus, (unsigned long long)l->concurrency, l->med_base,
                l->n_base, l->med_cur, l->n_cur, l->change * 100, ci, l->p,
                l->verdict == COMPARE_SAME ? "ok" : compare_verdict_name(l->verdict));
    }
    fprintf(f, "\n");
    for (size_t i = 0; i < c->n_levels; i++) {
        const struct compare_level *l = &c->levels[i];
        if (l->verdict == COMPARE_SAME)
            continue;
        comparereport_level_detail(l, c->metric, r->alpha, detail, sizeof(detail));
        fprintf(f, "- **%s** ", compare_verdict_name(l->verdict));
        md_text(f, l->plan);
        fprintf(f, " / %llu vCPUs / c=%llu: ", (unsigned long long)l->vcpus,
                (unsigned long long)l->concurrency);
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
            "\n%zu regression(s), %zu improvement(s), %zu inconclusive, %zu unchanged: exit "
            "%d.\n",
            c->n_regressed, c->n_improved, c->n_inconclusive, c->n_same, (int)r->status);
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

int comparereport_github(FILE *f, const struct comparereport *r)
{
    const struct compare_result *c = r->cmp;
    char detail[512], title[CSV_PLAN_MAX + 96];

    for (size_t i = 0; i < r->n_warnings; i++)
        gh_line(f, "warning", "vmsweep compare: runs not comparable", r->warnings[i]);
    for (size_t i = 0; i < c->n_levels; i++) {
        const struct compare_level *l = &c->levels[i];
        const char *kind = l->verdict == COMPARE_REGRESSED      ? "error"
                           : l->verdict == COMPARE_INCONCLUSIVE ? "warning"
                           : l->verdict == COMPARE_IMPROVED     ? "notice"
                                                                : NULL;
        if (!kind)
            continue;
        comparereport_level_detail(l, c->metric, r->alpha, detail, sizeof(detail));
        snprintf(title, sizeof(title), "perf %s: %s vcpus=%llu c=%llu",
                 compare_verdict_name(l->verdict), l->plan, (unsigned long long)l->vcpus,
                 (unsigned long long)l->concurrency);
        gh_line(f, kind, title, detail);
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
    cJSON_AddStringToObject(o, "verdict", comparereport_status_name(r->status));
    cJSON_AddNumberToObject(o, "exit_code", (int)r->status);
    e = cJSON_AddObjectToObject(o, "counts");
    cJSON_AddNumberToObject(e, "regressed", (double)c->n_regressed);
    cJSON_AddNumberToObject(e, "improved", (double)c->n_improved);
    cJSON_AddNumberToObject(e, "inconclusive", (double)c->n_inconclusive);
    cJSON_AddNumberToObject(e, "unchanged", (double)c->n_same);
    cJSON_AddNumberToObject(e, "only_base", (double)c->only_base);
    cJSON_AddNumberToObject(e, "only_current", (double)c->only_cur);
    arr = cJSON_AddArrayToObject(o, "levels");
    for (size_t i = 0; arr && i < c->n_levels; i++) {
        const struct compare_level *l = &c->levels[i];
        cJSON *lv = cJSON_CreateObject(), *ci = cJSON_CreateArray();
        cJSON_AddStringToObject(lv, "plan", l->plan);
        cJSON_AddNumberToObject(lv, "vcpus", (double)l->vcpus);
        cJSON_AddNumberToObject(lv, "concurrency", (double)l->concurrency);
        cJSON_AddNumberToObject(lv, "runs_base", (double)l->n_base);
        cJSON_AddNumberToObject(lv, "runs_current", (double)l->n_cur);
        cJSON_AddNumberToObject(lv, "dropped_base", (double)l->dropped_base);
        cJSON_AddNumberToObject(lv, "dropped_current", (double)l->dropped_cur);
        cJSON_AddItemToObject(lv, "median_base", num_or_null(l->med_base));
        cJSON_AddItemToObject(lv, "median_current", num_or_null(l->med_cur));
        cJSON_AddItemToObject(lv, "change_pct", num_or_null(l->change * 100));
        cJSON_AddItemToArray(ci, num_or_null((l->ratio_lo - 1) * 100));
        cJSON_AddItemToArray(ci, num_or_null((l->ratio_hi - 1) * 100));
        cJSON_AddItemToObject(lv, "ci95_pct", ci);
        cJSON_AddItemToObject(lv, "p", num_or_null(l->p));
        cJSON_AddItemToObject(lv, "p_min", num_or_null(l->p_min));
        cJSON_AddItemToObject(lv, "min_change_pct", num_or_null(l->min_change * 100));
        cJSON_AddNumberToObject(lv, "runs_needed", (double)l->runs_needed);
        cJSON_AddStringToObject(lv, "verdict", compare_verdict_name(l->verdict));
        cJSON_AddItemToArray(arr, lv);
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
