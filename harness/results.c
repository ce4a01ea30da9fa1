#include "results.h"

#include "compare.h"
#include "compareslo.h"
#include "csv.h"
#include "log.h"
#include "plotcmd.h"

#include <stdio.h>
#include <stdlib.h>

int results_analyse(const char *const *csvs, size_t n, const char *outdir, const struct spec *s)
{
    struct compareslo_gate *gates = calloc(s->slo.n ? s->slo.n : 1, sizeof(*gates));
    struct plot_opts o = {
        .output_dir = outdir,
        .format = PLOTGEN_PNG,
        .slo_p99_us = (double)s->slo_p99_us,
        .quiet = log_get_level() == LOG_QUIET,
        .sizing =
            {
                .target_qps = s->target_qps > 0 ? s->target_qps : 0,
                .headroom = s->headroom_pct >= 0 ? s->headroom_pct / 100 : -1,
                .max_error_rate = s->max_error_pct >= 0 ? s->max_error_pct / 100 : -1,
                .cost_per_vcpu = s->cost_per_vcpu,
                .cost_per_gib = s->cost_per_gib,
                .gates = gates,
            },
    };
    int ret = -1;

    if (!gates) {
        log_error("out of memory");
        return -1;
    }
    /* The gates were checked when the spec was read: they parse. */
    for (size_t i = 0; i < s->slo.n; i++)
        if (compareslo_parse(s->slo.v[i], stderr, &gates[o.sizing.n_gates]) == 0)
            o.sizing.n_gates++;
    if (plotcmd_analyse(csvs, n, &o, stdout) != 0)
        log_error("the analysis of '%s' failed; the CSVs are kept", outdir);
    else
        ret = 0;
    free(gates);
    return ret;
}

bool results_gate_ok(const char *text)
{
    struct compareslo_gate g;
    FILE *devnull = fopen("/dev/null", "w");
    bool ok = compareslo_parse(text, devnull, &g) == 0;

    if (devnull)
        fclose(devnull);
    return ok;
}

int results_gates(const char *const *csvs, size_t n, const struct spec *s, cJSON *record)
{
    struct csv_table **tables = NULL;
    struct compareslo_gate *gates = NULL;
    struct compareslo_result *r = NULL;
    size_t nt = 0;
    int ret = -1;

    if (!s->slo.n && s->max_error_pct < 0 && s->min_fairness < 0)
        return 0;
    tables = calloc(n ? n : 1, sizeof(*tables));
    gates = calloc(s->slo.n ? s->slo.n : 1, sizeof(*gates));
    if (!tables || !gates)
        goto cleanup;
    for (size_t i = 0; i < s->slo.n; i++)
        if (compareslo_parse(s->slo.v[i], stderr, &gates[i]) < 0)
            goto cleanup;
    for (; nt < n; nt++)
        if (csv_read(csvs[nt], stderr, &tables[nt]) != 0)
            goto cleanup;
    if (compareslo_check(tables, nt, gates, s->slo.n,
                         s->max_error_pct >= 0 ? s->max_error_pct / 100 : -1, s->min_fairness,
                         stderr, &r) < 0)
        goto cleanup;
    cJSON *arr = record ? cJSON_AddArrayToObject(record, "slo_checks") : NULL;
    for (size_t i = 0; i < r->n; i++) {
        const struct compareslo_check *c = &r->checks[i];
        if (arr) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "gate", c->gate);
            cJSON_AddStringToObject(o, "plan", c->plan);
            cJSON_AddNumberToObject(o, "vcpus", (double)c->vcpus);
            cJSON_AddNumberToObject(o, "concurrency", (double)c->concurrency);
            cJSON_AddNumberToObject(o, "value", c->value);
            cJSON_AddBoolToObject(o, "violated", c->violated);
            cJSON_AddItemToArray(arr, o);
        }
        printf("SLO %-24s %s on %llu vCPU(s) at concurrency %-5llu %12.6g  %s\n", c->gate, c->plan,
               (unsigned long long)c->vcpus, (unsigned long long)c->concurrency, c->value,
               c->violated ? "VIOLATED" : "ok");
    }
    if (r->n_violated)
        log_error("%zu SLO check(s) violated", r->n_violated);
    ret = r->n_violated ? 3 : 0;
cleanup:
    for (size_t i = 0; i < nt; i++)
        csv_free(tables[i]);
    free(tables);
    free(gates);
    compareslo_result_free(r);
    return ret;
}
