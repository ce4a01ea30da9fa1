/* summary — see summary.h.  Fixed number formats so that golden files stay stable. */
#include "summary.h"
#include "sizing.h"

#include <cjson/cJSON.h>

#include <math.h>

static void knee_line(FILE *f, const char *label, uint64_t n, const char *none)
{
    if (n)
        fprintf(f, "  %-18s N=%llu\n", label, (unsigned long long)n);
    else
        fprintf(f, "  %-18s none%s\n", label, none);
}

static void write_group(FILE *f, const struct analysis_group *g, double slo)
{
    fprintf(f, "plan '%s' on %llu vCPU%s: %zu level%s, %zu run%s\n", g->plan,
            (unsigned long long)g->vcpus, g->vcpus == 1 ? "" : "s", g->n_levels,
            g->n_levels == 1 ? "" : "s", g->runs, g->runs == 1 ? "" : "s");
    fprintf(f, "  %11s %12s %12s %12s %6s %12s %10s %10s %10s %5s\n", "concurrency", "qps",
            "qps_min", "qps_max", "cv%", "median_ci", "p50_us", "p90_us", "p99_us", "runs");
    for (size_t i = 0; i < g->n_levels; i++) {
        const struct analysis_level *l = &g->levels[i];
        char cv[16], ci[32];
        if (isfinite(l->qps_cv))
            snprintf(cv, sizeof cv, "%.1f", l->qps_cv * 100);
        else
            snprintf(cv, sizeof cv, "-");
        /* The median's interval as its half-width in % of the median, at its coverage. */
        if (l->qps_ci_coverage > 0 && l->qps > 0)
            snprintf(ci, sizeof ci, "+-%.1f%%@%.0f",
                     100 * fmax(l->qps_ci_hi - l->qps, l->qps - l->qps_ci_lo) / l->qps,
                     100 * l->qps_ci_coverage);
        else
            snprintf(ci, sizeof ci, "-");
        fprintf(f, "  %11llu %12.1f %12.1f %12.1f %6s %12s %10.0f %10.0f %10.0f %5zu%s\n",
                (unsigned long long)l->concurrency, l->qps, l->qps_min, l->qps_max, cv, ci,
                l->p50_us, l->p90_us, l->p99_us, l->runs, l->outliers ? " (outlier)" : "");
    }
    if (g->knee) {
        double q = 0;
        for (size_t i = 0; i < g->n_levels; i++) {
            if (g->levels[i].concurrency == g->knee)
                q = g->levels[i].qps;
        }
        fprintf(f, "  %-18s N=%llu (%.1f qps; maximum %.1f qps at N=%llu)\n",
                "throughput knee:", (unsigned long long)g->knee, q, g->max_qps,
                (unsigned long long)g->max_qps_at);
    } else {
        fprintf(f, "  %-18s none (%s)\n", "throughput knee:",
                g->n_levels < 2 ? "a single level"
                                : "within the levels measured: throughput still grows");
    }
    for (int m = 0; m < KNEE_NMETHODS; m++)
        knee_line(f, knee_methods[m].label, g->knees[m], knee_methods[m].none_note);
    if (g->has_usl) {
        fprintf(f, "  %-18s sigma=%.4f kappa=%.4g lambda=%.1f N*=", "USL fit:", g->usl.sigma,
                g->usl.kappa, g->usl.lambda);
        if (isfinite(g->usl.n_star))
            fprintf(f, "%.1f", g->usl.n_star);
        else
            fprintf(f, "none (kappa ~ 0)");
        fprintf(f, " R2=%.4f\n", g->usl.r2);
    } else if (g->n_levels < USL_MIN_LEVELS) {
        fprintf(f, "  %-18s not fitted (needs %d levels, have %zu)\n", "USL fit:", USL_MIN_LEVELS,
                g->n_levels);
    } else {
        fprintf(f, "  %-18s degenerate (see warnings)\n", "USL fit:");
    }
    if (g->has_recommended) {
        if (g->rec_low == g->rec_high)
            fprintf(f, "  %-18s concurrency %llu (%s",
                    "recommended:", (unsigned long long)g->rec_low, analysis_rec_text(g));
        else
            fprintf(f, "  %-18s concurrency %llu-%llu (%s",
                    "recommended:", (unsigned long long)g->rec_low, (unsigned long long)g->rec_high,
                    analysis_rec_text(g));
        if (slo > 0)
            fprintf(f, ", p99 SLO %.0f us", slo);
        fprintf(f, ")\n");
    } else {
        fprintf(f, "  %-18s none\n", "recommended:");
    }
    if (g->confirm) {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(g->confirm, "holds");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(g->confirm, "concurrency");
        fprintf(f, "  %-18s N=%.0f %s at 50%% and 75%% of its throughput (--confirm%s)\n",
                "open loop:", cJSON_IsNumber(n) ? n->valuedouble : 0,
                cJSON_IsTrue(h) ? "holds" : "does NOT hold",
                cJSON_IsTrue(h) ? "" : "; see warnings");
    }
    fprintf(f, "  %-18s %s\n", "confidence:",
            g->low_confidence ? "low (the reasons are among the warnings)" : "normal");
    if (g->n_warnings) {
        fprintf(f, "  warnings:\n");
        for (size_t i = 0; i < g->n_warnings; i++)
            fprintf(f, "    - %s\n", g->warnings[i]);
    }
}

/* Right-sizing (sizing.h): per plan a table of the sizes and the answer. */
static void write_sizing(FILE *f, const struct sizing *s)
{
    char q1[32], q2[32];

    fprintf(f, "right-sizing (capacity within the SLO: %s, errors <= %.2f%%", s->slo_text,
            s->opts.max_error_rate * 100);
    if (s->need_qps > 0)
        fprintf(f, "; target %s qps with %.0f%% headroom: needs %s",
                sizing_fmt_qps(s->opts.target_qps, q1, sizeof q1), s->opts.headroom * 100,
                sizing_fmt_qps(s->need_qps, q2, sizeof q2));
    fprintf(f, ")\n");
    for (size_t i = 0; i < s->n_plans; i++) {
        const struct sizing_plan *p = &s->plans[i];
        fprintf(f, "  %-20s %6s %12s %12s %12s %8s %-13s %-10s %-*s", "plan", "vCPUs", "capacity",
                "capacity_lo", "capacity_hi", "at_N", "how", "limit", s->costed ? 9 : 0, "verdict");
        if (s->costed)
            fprintf(f, " %10s %12s", "cost", "cost/1kqps");
        fprintf(f, "\n");
        for (size_t k = 0; k < p->n_sizes; k++) {
            const struct sizing_size *z = &p->sizes[k];
            fprintf(f, "  %-20s %6llu %12.1f %12.1f %12.1f %8.1f %-13s %-10s %-*s", p->plan,
                    (unsigned long long)z->vcpus, z->capacity, z->capacity_lo, z->capacity_hi,
                    z->at, sizing_how_name(z->how), z->limit ? z->limit : "-", s->costed ? 9 : 0,
                    z->verdict == SIZING_NO_TARGET ? "-" : sizing_verdict_name(z->verdict));
            if (s->costed)
                fprintf(f, " %10.4g %12.4g", z->cost, z->cost_per_kqps);
            fprintf(f, "\n");
        }
        if (p->fit != SIZING_FIT_NONE)
            fprintf(f, "  across sizes (%s, a prediction): sigma=%.4f kappa=%.5f lambda=%.1f%s\n",
                    sizing_fit_name(p->fit), p->model.sigma, p->model.kappa, p->model.lambda,
                    p->fit == SIZING_FIT_USL ? "" : " (through 2 sizes)");
        fprintf(f, "  answer: %s\n", p->answer);
    }
    fprintf(f, "\n");
}

int summary_write(FILE *f, const struct analysis *a)
{
    fprintf(f, "vmsweep knee summary\n\n");
    for (size_t i = 0; i < a->n_groups; i++) {
        write_group(f, &a->groups[i], a->slo_p99_us);
        fprintf(f, "\n");
    }
    if (a->n_scaling) {
        fprintf(f, "scaling efficiency (max qps between VM sizes; 1.00 = linear)\n");
        fprintf(f, "  %-20s %11s %12s %12s %8s %10s\n", "plan", "vCPUs", "max_qps_1", "max_qps_2",
                "speedup", "efficiency");
        for (size_t i = 0; i < a->n_scaling; i++) {
            const struct analysis_scaling *s = &a->scaling[i];
            char v[32];
            snprintf(v, sizeof v, "%llu->%llu", (unsigned long long)s->v1,
                     (unsigned long long)s->v2);
            fprintf(f, "  %-20s %11s %12.1f %12.1f %7.2fx %10.2f\n", s->plan, v, s->qps1, s->qps2,
                    s->speedup, s->efficiency);
        }
        fprintf(f, "\n");
    }
    if (a->sizing)
        write_sizing(f, a->sizing);
    fflush(f);
    return ferror(f) ? -1 : 0;
}
