/*
 * compareslo — see compareslo.h.  CURRENT's rows are grouped by level as in compare.c;
 * each level gets one check per gate that applies to it.
 * The error-rate and fairness gates apply to levels whose rows carry ops/fairness.
 */
#include "compareslo.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "units.h"

/* The reader gives ops and fairness as NAN when a CSV lacks them (other tools' files). */
#define COMPARESLO_OPS_KNOWN 1
static double row_ops(const struct csv_row *r)
{
    return r->ops;
}
static double row_fairness(const struct csv_row *r)
{
    return r->fairness;
}

int compareslo_parse(const char *s, FILE *diag, struct compareslo_gate *out)
{
    struct compareslo_gate g;
    const char *op = strstr(s, "<=");
    char name[32], *end = NULL, num[64];
    const char *at, *val;
    size_t len;

    memset(&g, 0, sizeof(g));
    g.at_most = 1;
    if (!op) {
        op = strstr(s, ">=");
        g.at_most = 0;
    }
    if (!op) {
        if (diag)
            fprintf(diag,
                    "--slo '%s': expected METRIC<=VALUE[@CONCURRENCY] or >=, e.g. "
                    "'p99_us<=2000@32'\n",
                    s);
        return -1;
    }
    len = (size_t)(op - s);
    if (len == 0 || len >= sizeof(name)) {
        if (diag)
            fprintf(diag, "--slo '%s': the metric name before '%.2s' is missing or too long\n", s,
                    op);
        return -1;
    }
    memcpy(name, s, len);
    name[len] = '\0';
    /* "p99" for "p99_us": the unit goes with the limit ("p99<=2ms"). */
    if (compare_metric_parse(name, NULL, &g.metric) < 0 && len + 3 < sizeof(name)) {
        memcpy(name + len, "_us", 4);
        if (compare_metric_parse(name, NULL, &g.metric) < 0)
            name[len] = '\0';
    }
    if (compare_metric_parse(name, NULL, &g.metric) < 0) {
        if (diag)
            fprintf(diag,
                    "--slo '%s': unknown metric '%s' (qps, p50_us, p90_us, p99_us, max_us, "
                    "mean_us)\n",
                    s, name);
        return -1;
    }
    val = op + 2;
    at = strchr(val, '@');
    len = at ? (size_t)(at - val) : strlen(val);
    if (len == 0 || len >= sizeof(num)) {
        if (diag)
            fprintf(diag, "--slo '%s': the limit after '%.2s' is missing or too long\n", s, op);
        return -1;
    }
    memcpy(num, val, len);
    num[len] = '\0';
    g.limit = strtod(num, &end);
    /* A latency limit may carry its unit ("2ms"); a bare number is in µs. */
    uint64_t us;
    bool latency = strlen(name) > 3 && !strcmp(name + strlen(name) - 3, "_us");
    if (latency && end != num && *end &&
        units_parse_duration(num, 1, 0, UINT64_C(1) << 50, &us) == 0) {
        g.limit = (double)us;
        end = num + len;
    }
    if (end == num || *end || !isfinite(g.limit)) {
        if (diag)
            fprintf(diag, "--slo '%s': the limit '%s' is not a number%s\n", s, num,
                    latency ? " or a duration (2000, 2ms)" : "");
        return -1;
    }
    if (at && units_parse_u64(at + 1, 1, 1u << 30, &g.concurrency) != 0) {
        if (diag)
            fprintf(diag, "--slo '%s': the concurrency '%s' after '@' is not an integer >= 1\n", s,
                    at + 1);
        return -1;
    }
    if (strlen(s) >= sizeof(g.text)) {
        if (diag)
            fprintf(diag, "--slo '%s': longer than %d characters\n", s, COMPARESLO_TEXT_MAX - 1);
        return -1;
    }
    snprintf(g.text, sizeof(g.text), "%s", s);
    *out = g;
    return 0;
}

static int row_cmp(const void *a, const void *b)
{
    const struct csv_row *x = *(const struct csv_row *const *)a;
    const struct csv_row *y = *(const struct csv_row *const *)b;
    int c = strcmp(x->plan, y->plan);
    if (c)
        return c;
    if (x->vcpus != y->vcpus)
        return x->vcpus < y->vcpus ? -1 : 1;
    return (x->concurrency > y->concurrency) - (x->concurrency < y->concurrency);
}

/* Append a check to r. */
static int add_check(struct compareslo_result *r, size_t *cap, const struct csv_row *lvl,
                     enum compareslo_kind kind, const char *gate, double value, int violated)
{
    struct compareslo_check *c;
    if (r->n == *cap) {
        struct compareslo_check *grown;
        *cap = *cap ? *cap * 2 : 16;
        grown = realloc(r->checks, *cap * sizeof(*grown));
        if (!grown)
            return -1;
        r->checks = grown;
    }
    c = &r->checks[r->n++];
    memset(c, 0, sizeof(*c));
    memcpy(c->plan, lvl->plan, sizeof(c->plan));
    c->vcpus = lvl->vcpus;
    c->concurrency = lvl->concurrency;
    c->kind = kind;
    snprintf(c->gate, sizeof(c->gate), "%s", gate);
    c->value = value;
    c->violated = violated;
    r->n_violated += violated != 0;
    return 0;
}

int compareslo_check(struct csv_table *const *tables, size_t n, const struct compareslo_gate *gates,
                     size_t n_gates, double max_error_rate, double min_fairness, FILE *diag,
                     struct compareslo_result **out)
{
    struct compareslo_result *r = NULL;
    const struct csv_row **rows = NULL;
    size_t total = 0, k = 0, cap = 0;
    double *v = NULL;
    size_t *applied = NULL;
    char text[COMPARESLO_TEXT_MAX];
    int ret = -1;

    for (size_t i = 0; i < n; i++)
        total += tables[i]->n;
    r = calloc(1, sizeof(*r));
    rows = malloc((total ? total : 1) * sizeof(*rows));
    v = malloc((total ? total : 1) * sizeof(*v));
    applied = calloc(n_gates ? n_gates : 1, sizeof(*applied));
    if (!r || !rows || !v || !applied)
        goto oom;
    r->ops_known = COMPARESLO_OPS_KNOWN;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < tables[i]->n; j++)
            rows[k++] = &tables[i]->rows[j];
    qsort(rows, k, sizeof(*rows), row_cmp);
    for (size_t i = 0; i < k;) {
        size_t j = i, nv;
        double errors = 0, ops = 0, med;
        int have_err = 0;
        while (j < k && row_cmp(&rows[i], &rows[j]) == 0)
            j++;
        for (size_t g = 0; g < n_gates; g++) {
            if (gates[g].concurrency && gates[g].concurrency != rows[i]->concurrency)
                continue;
            nv = 0;
            for (size_t t = i; t < j; t++) {
                double x = compare_metric_value(rows[t], gates[g].metric);
                if (!rows[t]->timeout_killed && rows[t]->exit_code == 0 && isfinite(x))
                    v[nv++] = x;
            }
            if (nv == 0 || stats_median(v, nv, &med) < 0)
                continue; /* metric absent here, or every run failed: see below */
            applied[g]++;
            if (add_check(r, &cap, rows[i], COMPARESLO_METRIC, gates[g].text, med,
                          gates[g].at_most ? !(med <= gates[g].limit) : !(med >= gates[g].limit)) <
                0)
                goto oom;
        }
        for (size_t t = i; t < j; t++) {
            double e = rows[t]->errors, o = row_ops(rows[t]);
            if (rows[t]->timeout_killed || !isfinite(e) || !isfinite(o))
                continue;
            errors += e;
            ops += o;
            have_err = 1;
        }
        if (max_error_rate >= 0 && have_err) {
            double rate = ops > 0 ? errors / ops : (errors > 0 ? 1 : 0);
            snprintf(text, sizeof(text), "error rate<=%g%%", max_error_rate * 100);
            if (add_check(r, &cap, rows[i], COMPARESLO_ERROR_RATE, text, rate,
                          rate > max_error_rate) < 0)
                goto oom;
        }
        nv = 0;
        for (size_t t = i; t < j; t++) {
            double f = row_fairness(rows[t]);
            if (!rows[t]->timeout_killed && isfinite(f))
                v[nv++] = f;
        }
        if (min_fairness >= 0 && nv > 0 && stats_median(v, nv, &med) == 0) {
            snprintf(text, sizeof(text), "fairness>=%g", min_fairness);
            if (add_check(r, &cap, rows[i], COMPARESLO_FAIRNESS, text, med, med < min_fairness) < 0)
                goto oom;
        }
        i = j;
    }
    for (size_t g = 0; g < n_gates; g++) {
        if (applied[g])
            continue;
        if (diag && gates[g].concurrency)
            fprintf(diag,
                    "--slo '%s': CURRENT has no level with concurrency %llu and a value of "
                    "'%s'\n",
                    gates[g].text, (unsigned long long)gates[g].concurrency,
                    compare_metric_name(gates[g].metric));
        else if (diag)
            fprintf(diag, "--slo '%s': CURRENT has no value of '%s' to check\n", gates[g].text,
                    compare_metric_name(gates[g].metric));
        goto cleanup;
    }
    *out = r;
    r = NULL;
    ret = 0;
    goto cleanup;
oom:
    if (diag)
        fprintf(diag, "out of memory while checking the SLO gates\n");
cleanup:
    compareslo_result_free(r);
    free(rows);
    free(v);
    free(applied);
    return ret;
}

void compareslo_result_free(struct compareslo_result *r)
{
    if (!r)
        return;
    free(r->checks);
    free(r);
}
