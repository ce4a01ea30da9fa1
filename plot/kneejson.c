/* kneejson — see kneejson.h.  Built with cJSON; every add is checked. */
#include "kneejson.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Add a number, or null when v is not finite; 0 or -1. */
static int add_num(cJSON *o, const char *k, double v)
{
    cJSON *item = isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
    if (!item)
        return -1;
    if (!cJSON_AddItemToObject(o, k, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

/* A concurrency where 0 means none. */
static int add_level(cJSON *o, const char *k, uint64_t v)
{
    return add_num(o, k, v ? (double)v : NAN);
}

static cJSON *group_json(const struct analysis_group *g)
{
    cJSON *o = cJSON_CreateObject(), *arr, *u;
    if (!o)
        return NULL;
    if (!cJSON_AddStringToObject(o, "plan", g->plan) || add_num(o, "vcpus", (double)g->vcpus) ||
        add_level(o, "knee", g->knee))
        goto fail;
    if (g->has_recommended) {
        double r[2] = {(double)g->rec_low, (double)g->rec_high};
        arr = cJSON_CreateDoubleArray(r, 2);
        if (!arr || !cJSON_AddItemToObject(o, "recommended", arr)) {
            cJSON_Delete(arr);
            goto fail;
        }
        if (!cJSON_AddStringToObject(o, "recommended_why", analysis_rec_text(g)))
            goto fail;
    } else if (!cJSON_AddNullToObject(o, "recommended") ||
               !cJSON_AddNullToObject(o, "recommended_why")) {
        goto fail;
    }
    if (!cJSON_AddStringToObject(o, "confidence", g->low_confidence ? "low" : "normal"))
        goto fail;
    /* --confirm's measurements, as the run's manifest recorded them. */
    if (!cJSON_AddItemToObject(o, "open_loop",
                               g->confirm ? cJSON_Duplicate(g->confirm, 1) : cJSON_CreateNull()))
        goto fail;
    for (int m = 0; m < KNEE_NMETHODS; m++)
        if (add_level(o, knee_methods[m].json_key, g->knees[m]))
            goto fail;
    if (g->has_usl) {
        u = cJSON_AddObjectToObject(o, "usl");
        if (!u || add_num(u, "sigma", g->usl.sigma) || add_num(u, "kappa", g->usl.kappa) ||
            add_num(u, "lambda", g->usl.lambda) || add_num(u, "n_star", g->usl.n_star) ||
            add_num(u, "r2", g->usl.r2) ||
            !cJSON_AddBoolToObject(u, "converged", g->usl.converged) ||
            add_num(u, "iterations", (double)g->usl.iterations))
            goto fail;
    } else if (!cJSON_AddNullToObject(o, "usl")) {
        goto fail;
    }
    if (add_num(o, "max_qps", g->max_qps) || add_num(o, "max_qps_at", (double)g->max_qps_at))
        goto fail;
    arr = cJSON_AddArrayToObject(o, "levels");
    if (!arr)
        goto fail;
    for (size_t i = 0; i < g->n_levels; i++) {
        const struct analysis_level *l = &g->levels[i];
        cJSON *lo = cJSON_CreateObject();
        if (!lo || !cJSON_AddItemToArray(arr, lo)) {
            cJSON_Delete(lo);
            goto fail;
        }
        if (add_num(lo, "concurrency", (double)l->concurrency) || add_num(lo, "qps", l->qps) ||
            add_num(lo, "qps_min", l->qps_min) || add_num(lo, "qps_max", l->qps_max) ||
            add_num(lo, "qps_cv", l->qps_cv) || add_num(lo, "qps_median_ci_lo", l->qps_ci_lo) ||
            add_num(lo, "qps_median_ci_hi", l->qps_ci_hi) ||
            add_num(lo, "qps_median_ci_coverage", l->qps_ci_coverage) ||
            add_num(lo, "p50_us", l->p50_us) || add_num(lo, "p90_us", l->p90_us) ||
            add_num(lo, "p99_us", l->p99_us) || add_num(lo, "mean_us", l->mean_us) ||
            add_num(lo, "runs", (double)l->runs) || add_num(lo, "timeouts", (double)l->timeouts) ||
            add_num(lo, "host_interfered", (double)l->interfered) ||
            add_num(lo, "outliers", (double)l->outliers) ||
            add_num(lo, "little_law_violations", (double)l->little_bad))
            goto fail;
    }
    arr = cJSON_AddArrayToObject(o, "warnings");
    if (!arr)
        goto fail;
    for (size_t i = 0; i < g->n_warnings; i++) {
        cJSON *s = cJSON_CreateString(g->warnings[i]);
        if (!s || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            goto fail;
        }
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

static int finish(cJSON *root, char **out)
{
    char *s = cJSON_Print(root), *copy;
    size_t n;
    cJSON_Delete(root);
    if (!s)
        return -1;
    /* cJSON's buffer must be released with cJSON_free; hand out a plain malloc'd copy. */
    n = strlen(s);
    copy = malloc(n + 2);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\n';
        copy[n + 1] = '\0';
    }
    cJSON_free(s);
    if (!copy)
        return -1;
    *out = copy;
    return 0;
}

int kneejson_render(const struct analysis *a, char **out)
{
    cJSON *root = cJSON_CreateArray();
    if (!root)
        return -1;
    for (size_t i = 0; i < a->n_groups; i++) {
        cJSON *g = group_json(&a->groups[i]);
        if (!g || !cJSON_AddItemToArray(root, g)) {
            cJSON_Delete(g);
            cJSON_Delete(root);
            return -1;
        }
    }
    return finish(root, out);
}

int kneejson_render_scaling(const struct analysis *a, char **out)
{
    cJSON *root = cJSON_CreateArray();
    if (!root)
        return -1;
    for (size_t i = 0; i < a->n_scaling; i++) {
        const struct analysis_scaling *s = &a->scaling[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(root, o)) {
            cJSON_Delete(o);
            cJSON_Delete(root);
            return -1;
        }
        if (!cJSON_AddStringToObject(o, "plan", s->plan) || add_num(o, "v1", (double)s->v1) ||
            add_num(o, "v2", (double)s->v2) || add_num(o, "qps1", s->qps1) ||
            add_num(o, "qps2", s->qps2) || add_num(o, "speedup", s->speedup) ||
            add_num(o, "efficiency", s->efficiency)) {
            cJSON_Delete(root);
            return -1;
        }
    }
    return finish(root, out);
}
