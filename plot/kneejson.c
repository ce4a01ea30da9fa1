/* kneejson — see kneejson.h.  Built with cJSON; every add is checked. */
#include "kneejson.h"
#include "sizing.h"

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

/* One size's capacity within the SLO (sizing.h), or null. */
static cJSON *size_json(const struct sizing_size *z)
{
    cJSON *o;
    if (!z)
        return cJSON_CreateNull();
    if (!(o = cJSON_CreateObject()))
        return NULL;
    if (add_num(o, "vcpus", (double)z->vcpus) || add_num(o, "capacity_qps", z->capacity) ||
        add_num(o, "capacity_lo", z->capacity_lo) || add_num(o, "capacity_hi", z->capacity_hi) ||
        add_num(o, "at_concurrency", z->how == SIZING_NONE ? NAN : z->at) ||
        !cJSON_AddStringToObject(o, "how", sizing_how_name(z->how)) ||
        !cJSON_AddItemToObject(o, "limited_by",
                               z->limit ? cJSON_CreateString(z->limit) : cJSON_CreateNull()) ||
        !cJSON_AddStringToObject(o, "verdict", sizing_verdict_name(z->verdict)) ||
        add_num(o, "cost", z->cost) || add_num(o, "cost_per_kqps", z->cost_per_kqps)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *group_json(const struct analysis *a, const struct analysis_group *g)
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
    u = size_json(sizing_find(a->sizing, g->plan, g->vcpus));
    if (!u || !cJSON_AddItemToObject(o, "sizing", u)) {
        cJSON_Delete(u);
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
        cJSON *g = group_json(a, &a->groups[i]);
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

/* A predicted size, or null. */
static cJSON *predicted_json(uint64_t vcpus, double qps)
{
    cJSON *o;
    if (!vcpus)
        return cJSON_CreateNull();
    if (!(o = cJSON_CreateObject()))
        return NULL;
    if (add_num(o, "vcpus", (double)vcpus) || add_num(o, "capacity_qps", qps) ||
        !cJSON_AddBoolToObject(o, "predicted", 1)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *plan_json(const struct sizing_plan *p)
{
    cJSON *o = cJSON_CreateObject(), *arr, *m;
    if (!o)
        return NULL;
    if (!cJSON_AddStringToObject(o, "plan", p->plan) || !(arr = cJSON_AddArrayToObject(o, "sizes")))
        goto fail;
    for (size_t i = 0; i < p->n_sizes; i++) {
        cJSON *z = size_json(&p->sizes[i]);
        if (!z || !cJSON_AddItemToArray(arr, z)) {
            cJSON_Delete(z);
            goto fail;
        }
    }
    if (add_num(o, "choice_vcpus", p->choice >= 0 ? (double)p->sizes[p->choice].vcpus : NAN) ||
        add_num(o, "runner_up_vcpus",
                p->runner_up >= 0 ? (double)p->sizes[p->runner_up].vcpus : NAN))
        goto fail;
    if (p->fit == SIZING_FIT_NONE) {
        m = cJSON_CreateNull();
    } else if ((m = cJSON_CreateObject()) != NULL &&
               (!cJSON_AddStringToObject(m, "kind", sizing_fit_name(p->fit)) ||
                add_num(m, "sigma", p->model.sigma) || add_num(m, "kappa", p->model.kappa) ||
                add_num(m, "lambda", p->model.lambda) || add_num(m, "r2", p->model.r2))) {
        cJSON_Delete(m);
        goto fail;
    }
    if (!m || !cJSON_AddItemToObject(o, "model", m)) {
        cJSON_Delete(m);
        goto fail;
    }
    m = predicted_json(p->next_vcpus, p->next_capacity);
    if (!m || !cJSON_AddItemToObject(o, "next_size", m)) {
        cJSON_Delete(m);
        goto fail;
    }
    m = predicted_json(p->predicted_vcpus, p->predicted_capacity);
    if (!m || !cJSON_AddItemToObject(o, "predicted_size", m)) {
        cJSON_Delete(m);
        goto fail;
    }
    if (!cJSON_AddStringToObject(o, "answer", p->answer))
        goto fail;
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

int kneejson_render_sizing(const struct analysis *a, char **out)
{
    const struct sizing *s = a->sizing;
    cJSON *root, *arr;

    if (!s)
        return finish(cJSON_CreateNull(), out);
    if (!(root = cJSON_CreateObject()))
        return -1;
    if (!cJSON_AddStringToObject(root, "slo", s->slo_text) ||
        add_num(root, "slo_p99_us", s->slo_p99_us > 0 ? s->slo_p99_us : NAN) ||
        add_num(root, "max_error_rate", s->opts.max_error_rate) ||
        add_num(root, "target_qps", s->opts.target_qps > 0 ? s->opts.target_qps : NAN) ||
        add_num(root, "headroom", s->opts.headroom) ||
        add_num(root, "needed_qps", s->need_qps > 0 ? s->need_qps : NAN) ||
        add_num(root, "cost_per_vcpu", s->opts.cost_per_vcpu > 0 ? s->opts.cost_per_vcpu : NAN) ||
        add_num(root, "cost_per_gib", s->opts.cost_per_gib > 0 ? s->opts.cost_per_gib : NAN) ||
        add_num(root, "memory_gib", s->opts.memory_gib > 0 ? s->opts.memory_gib : NAN) ||
        !(arr = cJSON_AddArrayToObject(root, "plans")))
        goto fail;
    for (size_t i = 0; i < s->n_plans; i++) {
        cJSON *p = plan_json(&s->plans[i]);
        if (!p || !cJSON_AddItemToArray(arr, p)) {
            cJSON_Delete(p);
            goto fail;
        }
    }
    return finish(root, out);
fail:
    cJSON_Delete(root);
    return -1;
}
