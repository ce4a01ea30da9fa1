/* openmetrics — see openmetrics.h. */
#include "openmetrics.h"
#include "sizing.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compareinput.h"
#include "diag.h"
#include "outfile.h"

/* The labels every sample of one curve carries. */
struct om_ctx {
    const char *cpu_model, *accel, *host, *run;
    char ts[32]; /* " 1796288520" or "" */
};

/* A label value, escaped as OpenMetrics wants (\\, \", \n). */
static void om_value(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else if ((unsigned char)*s >= 0x20 && *s != 0x7f)
            fputc(*s, f);
    }
    fputc('"', f);
}

static void om_family(FILE *f, const char *name, const char *unit, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    if (unit)
        fprintf(f, "# UNIT %s %s\n", name, unit);
}

/* name{plan=..,vcpus=..,<common>,extra...} value ts */
static void om_sample(FILE *f, const struct om_ctx *c, const char *name,
                      const struct analysis_group *g, const char *extra_k, const char *extra_v,
                      const char *extra2_k, const char *extra2_v, double v)
{
    char vc[24];

    if (!isfinite(v))
        return;
    fprintf(f, "%s{plan=", name);
    om_value(f, g->plan);
    snprintf(vc, sizeof vc, "%llu", (unsigned long long)g->vcpus);
    fputs(",vcpus=", f);
    om_value(f, vc);
    fputs(",cpu_model=", f);
    om_value(f, c->cpu_model);
    fputs(",accel=", f);
    om_value(f, c->accel);
    fputs(",host=", f);
    om_value(f, c->host);
    fputs(",run=", f);
    om_value(f, c->run);
    if (extra_k) {
        fprintf(f, ",%s=", extra_k);
        om_value(f, extra_v);
    }
    if (extra2_k) {
        fprintf(f, ",%s=", extra2_k);
        om_value(f, extra2_v);
    }
    fprintf(f, "} %.9g%s\n", v, c->ts);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The run's end (manifest "finished", else "started") as Unix seconds; 0 when unknown. */
static long long om_time(const cJSON *m)
{
    const char *t = jstr(m, "finished") ? jstr(m, "finished") : jstr(m, "started");
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    if (!t || !strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return 0;
    return (long long)timegm(&tm);
}

int openmetrics_write(FILE *f, const struct analysis *a)
{
    const cJSON *m = a->manifest;
    const cJSON *vm =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "spec"), "vm");
    struct om_ctx c = {
        .cpu_model = jstr(vm, "cpu_model") ? jstr(vm, "cpu_model") : "unknown",
        .accel = a->accel ? a->accel : "unknown",
        .host = jstr(cJSON_GetObjectItemCaseSensitive(m, "host"), "hostname")
                    ? jstr(cJSON_GetObjectItemCaseSensitive(m, "host"), "hostname")
                    : "unknown",
        .run = jstr(m, "started") ? jstr(m, "started") : "unknown",
    };
    long long t = om_time(m);
    static const char *const pct[] = {"50", "90", "99", "99.9", "max"};
    char n[24];

    if (t > 0)
        snprintf(c.ts, sizeof c.ts, " %lld", t);
    om_family(f, "vmsweep_qps", NULL, "Median throughput of a concurrency level, operations/s.");
    for (size_t i = 0; i < a->n_groups; i++)
        for (size_t j = 0; j < a->groups[i].n_levels; j++) {
            const struct analysis_level *l = &a->groups[i].levels[j];
            snprintf(n, sizeof n, "%llu", (unsigned long long)l->concurrency);
            om_sample(f, &c, "vmsweep_qps", &a->groups[i], "concurrency", n, NULL, NULL, l->qps);
        }
    om_family(f, "vmsweep_latency_seconds", "seconds",
              "Median latency percentile of a concurrency level.");
    for (size_t i = 0; i < a->n_groups; i++)
        for (size_t j = 0; j < a->groups[i].n_levels; j++) {
            const struct analysis_level *l = &a->groups[i].levels[j];
            snprintf(n, sizeof n, "%llu", (unsigned long long)l->concurrency);
            const double us[] = {l->p50_us, l->p90_us, l->p99_us, l->p999_us, l->max_us};
            _Static_assert(sizeof(us) / sizeof(us[0]) == sizeof(pct) / sizeof(pct[0]),
                           "one name per percentile");
            for (size_t k = 0; k < sizeof pct / sizeof pct[0]; k++)
                om_sample(f, &c, "vmsweep_latency_seconds", &a->groups[i], "concurrency", n,
                          "percentile", pct[k], us[k] / 1e6);
        }
    om_family(f, "vmsweep_runs", NULL, "Repetitions of a concurrency level that were used.");
    for (size_t i = 0; i < a->n_groups; i++)
        for (size_t j = 0; j < a->groups[i].n_levels; j++) {
            const struct analysis_level *l = &a->groups[i].levels[j];
            snprintf(n, sizeof n, "%llu", (unsigned long long)l->concurrency);
            om_sample(f, &c, "vmsweep_runs", &a->groups[i], "concurrency", n, NULL, NULL,
                      (double)l->runs);
        }
    om_family(f, "vmsweep_knee_concurrency", NULL,
              "Where the curve saturates, by method (absent: no knee).");
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        if (g->knee)
            om_sample(f, &c, "vmsweep_knee_concurrency", g, "method", "throughput", NULL, NULL,
                      (double)g->knee);
        for (int k = 0; k < KNEE_NMETHODS; k++)
            if (g->knees[k])
                om_sample(f, &c, "vmsweep_knee_concurrency", g, "method", knee_methods[k].json_key,
                          NULL, NULL, (double)g->knees[k]);
    }
    om_family(f, "vmsweep_recommended_concurrency", NULL,
              "The recommended concurrency range (bound low or high).");
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        if (!g->has_recommended)
            continue;
        om_sample(f, &c, "vmsweep_recommended_concurrency", g, "bound", "low", NULL, NULL,
                  (double)g->rec_low);
        om_sample(f, &c, "vmsweep_recommended_concurrency", g, "bound", "high", NULL, NULL,
                  (double)g->rec_high);
    }
    om_family(f, "vmsweep_max_qps", NULL, "The highest median throughput of the curve.");
    for (size_t i = 0; i < a->n_groups; i++)
        om_sample(f, &c, "vmsweep_max_qps", &a->groups[i], NULL, NULL, NULL, NULL,
                  a->groups[i].max_qps);
    om_family(f, "vmsweep_usl", NULL,
              "Universal Scalability Law fit: parameter sigma, kappa, lambda or n_star.");
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct analysis_group *g = &a->groups[i];
        if (!g->has_usl)
            continue;
        om_sample(f, &c, "vmsweep_usl", g, "parameter", "sigma", NULL, NULL, g->usl.sigma);
        om_sample(f, &c, "vmsweep_usl", g, "parameter", "kappa", NULL, NULL, g->usl.kappa);
        om_sample(f, &c, "vmsweep_usl", g, "parameter", "lambda", NULL, NULL, g->usl.lambda);
        om_sample(f, &c, "vmsweep_usl", g, "parameter", "n_star", NULL, NULL, g->usl.n_star);
    }
    if (a->sizing) {
        om_family(f, "vmsweep_capacity_qps", NULL,
                  "Right-sizing: throughput within the SLO of a VM size (bound median, low or "
                  "high: the interval from the repetitions).");
        for (size_t i = 0; i < a->n_groups; i++) {
            const struct analysis_group *g = &a->groups[i];
            const struct sizing_size *z = sizing_find(a->sizing, g->plan, g->vcpus);
            if (!z)
                continue;
            om_sample(f, &c, "vmsweep_capacity_qps", g, "bound", "median", "how",
                      sizing_how_name(z->how), z->capacity);
            om_sample(f, &c, "vmsweep_capacity_qps", g, "bound", "low", "how",
                      sizing_how_name(z->how), z->capacity_lo);
            om_sample(f, &c, "vmsweep_capacity_qps", g, "bound", "high", "how",
                      sizing_how_name(z->how), z->capacity_hi);
        }
        om_family(f, "vmsweep_sizing_chosen", NULL,
                  "Right-sizing: 1 on the VM size that serves the target with the headroom.");
        for (size_t i = 0; i < a->n_groups; i++) {
            const struct analysis_group *g = &a->groups[i];
            const struct sizing_size *z = sizing_find(a->sizing, g->plan, g->vcpus);
            if (z && z->verdict != SIZING_NO_TARGET)
                om_sample(f, &c, "vmsweep_sizing_chosen", g, "verdict",
                          sizing_verdict_name(z->verdict), NULL, NULL,
                          sizing_chosen(a->sizing, g->plan) == z ? 1 : 0);
        }
    }
    fputs("# EOF\n", f);
    fflush(f);
    return ferror(f) ? -1 : 0;
}

int openmetrics_export_main(int argc, char **argv)
{
    int ret = 0;

    if (argc < 3 || strcmp(argv[1], "--openmetrics") != 0) {
        fputs("usage: vmsweep export --openmetrics RUN_DIR...\n"
              "(Re)write RUN_DIR/metrics.prom (OpenMetrics text) from the run's CSVs and\n"
              "manifest.json, for runs analysed before it existed.\n",
              argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? stdout
                                                                                  : stderr);
        return argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 2;
    }
    FILE *diag = diag_open("vmsweep export: ");
    for (int i = 2; i < argc; i++) {
        struct compareinput *in = NULL;
        struct analysis *a = NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *mem;
        int ok = 0;

        if (compareinput_load(argv[i], diag, &in) == 0 &&
            analysis_build(in->tables, in->n, 0, diag, &a) == 0 &&
            (mem = open_memstream(&buf, &len)) != NULL) {
            a->manifest = in->manifest ? compareinput_csv_manifest(in->paths[0]) : NULL;
            a->accel =
                in->fields[COMPAREINPUT_ACCEL] ? strdup(in->fields[COMPAREINPUT_ACCEL]) : NULL;
            int rc = openmetrics_write(mem, a);
            if (fclose(mem) == 0 && rc == 0 &&
                outfile_write(argv[i], "metrics.prom", buf, len, diag) == 0) {
                printf("%s/metrics.prom\n", argv[i]);
                ok = 1;
            }
        }
        if (!ok)
            ret = 1;
        free(buf);
        analysis_free(a);
        compareinput_free(in);
    }
    diag_close(diag);
    return ret;
}
