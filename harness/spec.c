/*
 * spec — sweep specifications: defaults, JSON files, profiles, validation.
 *
 * The JSON format (sweeps/README.md has the reference):
 *
 *   { "name": "...", "description": "...", "profile": "epyc-rome-8c-nps1",
 *     "vm":     { "vcpus": [1, 2], "memory": "1G", "cpu_model": "EPYC-Rome",
 *                 "topology": "1:1:2:1", "numa": 2 | [{"cpus": "0-1", "memory": "512M"}],
 *                 "cpu_cap": 50, "pin": false, "allow_uncapped": false, "image": "tiny",
 *                 "connect": "qemu:///system", "accel": "auto", "deadman": "300s",
 *                 "boot_timeout": "120s" },
 *     "agent":  { "workload": "cpu", "concurrency": [1, 2, 4], "duration": "10s",
 *                 "max_duration": "30s", "warmup": 100, "runs": 1, "timeout": "60s",
 *                 "max_concurrency": 128, "cpu_threads": 2, "oversubscribe": false,
 *                 "plan": "cpu", "args": {"work": 10000}, "push": ["a:/b"], "setup": ["..."] },
 *     "output": { "dir": "...", "slo_p99_us": 2000, "refine": false } }
 *
 * Durations are numbers of seconds or strings with units; sizes are numbers of MiB or
 * strings with units.  Unknown keys are errors, so a typo never silently does nothing.
 */
#include "spec.h"

#include "fsutil.h"
#include "analyse.h"
#include "jsonpos.h"
#include "log.h"
#include "paths.h"
#include "units.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_DEFAULT_LEVELS "1 2 4 8 16 32 64 128"

/* Context for reporting errors at a JSON item's position. */
struct spec_ctx {
    const char *path;
    const struct jsonpos *jp;
};

static int spec_err(const struct spec_ctx *c, const cJSON *item, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int spec_err(const struct spec_ctx *c, const cJSON *item, const char *fmt, ...)
{
    unsigned line = 0, col = 0;
    char msg[512];
    va_list ap;

    jsonpos_of(c->jp, item, &line, &col);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_error("%s:%u:%u: %s", c->path, line, col, msg);
    return -1;
}

bool spec_cpu_model_ok(const char *name)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    return name[0] != '\0' && strspn(name, ok) == strlen(name);
}

int spec_set_str(char **dst, const char *src)
{
    char *copy = NULL;

    if (src) {
        copy = strdup(src);
        if (!copy)
            return -1;
    }
    free(*dst);
    *dst = copy;
    return 0;
}

int spec_strv_add(struct spec_strv *v, const char *str)
{
    /* Always NULL-terminated, so v->v can be passed to execv. */
    char **nv = realloc(v->v, (v->n + 2) * sizeof(*nv));

    if (!nv)
        return -1;
    v->v = nv;
    v->v[v->n] = strdup(str);
    if (!v->v[v->n])
        return -1;
    v->n++;
    v->v[v->n] = NULL;
    return 0;
}

static void spec_strv_clear(struct spec_strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    v->v = NULL;
    v->n = 0;
}

int spec_init(struct spec *s)
{
    memset(s, 0, sizeof(*s));
    s->vcpus[0] = 2;
    s->nsizes = 1;
    s->memory_mib = 1024;
    s->accel = SPEC_ACCEL_AUTO;
    s->deadman_s = 300;
    s->boot_timeout_us = 180 * UNITS_US_PER_SEC;
    s->duration_us = 10 * UNITS_US_PER_SEC;
    s->max_duration_us = 30 * UNITS_US_PER_SEC;
    s->warmup = 100;
    s->runs = 1;
    s->timeout_us = 60 * UNITS_US_PER_SEC;
    s->max_concurrency = 128;
    s->max_error_pct = -1;
    s->min_fairness = -1;
    if (units_parse_list(SPEC_DEFAULT_LEVELS, 1, 1024, s->levels, SPEC_MAX_LEVELS, &s->nlevels) < 0)
        return -1;
    if (spec_set_str(&s->name, "sweep") < 0 || spec_set_str(&s->cpu_model, "EPYC-Rome") < 0 ||
        spec_set_str(&s->image, "tiny") < 0 || spec_set_str(&s->workload, "cpu") < 0)
        return -1;
    return 0;
}

void spec_free(struct spec *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->source);
    free(s->profile);
    free(s->cpu_model);
    free(s->image);
    free(s->connect);
    free(s->workload);
    free(s->plan);
    free(s->output_dir);
    spec_strv_clear(&s->args);
    spec_strv_clear(&s->base_args);
    spec_strv_clear(&s->push);
    spec_strv_clear(&s->setup);
    spec_strv_clear(&s->slo);
    memset(s, 0, sizeof(*s));
}

int spec_parse_topology(struct spec *s, const char *text)
{
    unsigned v[4];
    const char *p = text;

    for (int i = 0; i < 4; i++) {
        char *end = NULL;
        unsigned long n;

        if (*p < '0' || *p > '9')
            return -1;
        errno = 0;
        n = strtoul(p, &end, 10);
        if (errno || n == 0 || n > 256)
            return -1;
        v[i] = (unsigned)n;
        p = end;
        if (i < 3) {
            if (*p != ':')
                return -1;
            p++;
        }
    }
    if (*p)
        return -1;
    s->sockets = v[0];
    s->dies = v[1];
    s->cores = v[2];
    s->threads = v[3];
    return 0;
}

int spec_parse_sizes(struct spec *s, const char *text)
{
    uint64_t vals[SPEC_MAX_SIZES];
    size_t n = 0;

    if (units_parse_list(text, 1, 256, vals, SPEC_MAX_SIZES, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        s->vcpus[i] = (unsigned)vals[i];
    s->nsizes = n;
    return 0;
}

/* ---- JSON value helpers: each reports at the item's position ---- */

static int get_uint(const struct spec_ctx *c, const cJSON *it, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    double d;

    if (cJSON_IsString(it)) {
        if (units_parse_u64(it->valuestring, min, max, out) == 0)
            return 0;
        return spec_err(c, it, "'%s' must be an integer in %llu..%llu, not '%s'", it->string,
                        (unsigned long long)min, (unsigned long long)max, it->valuestring);
    }
    if (!cJSON_IsNumber(it))
        return spec_err(c, it, "'%s' must be a number", it->string);
    d = it->valuedouble;
    if (d != floor(d) || d < (double)min || d > (double)max)
        return spec_err(c, it, "'%s' must be an integer in %llu..%llu, not %g", it->string,
                        (unsigned long long)min, (unsigned long long)max, d);
    *out = (uint64_t)d;
    return 0;
}

static int get_uns(const struct spec_ctx *c, const cJSON *it, unsigned min, unsigned max,
                   unsigned *out)
{
    uint64_t v = 0;

    if (get_uint(c, it, min, max, &v) < 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int get_bool(const struct spec_ctx *c, const cJSON *it, bool *out)
{
    if (!cJSON_IsBool(it))
        return spec_err(c, it, "'%s' must be true or false", it->string);
    *out = cJSON_IsTrue(it);
    return 0;
}

static int get_str(const struct spec_ctx *c, const cJSON *it, char **out)
{
    if (!cJSON_IsString(it) || !it->valuestring[0])
        return spec_err(c, it, "'%s' must be a non-empty string", it->string);
    return spec_set_str(out, it->valuestring);
}

/* A duration: a number of seconds, or a string with a unit ("500ms"). */
static int get_duration(const struct spec_ctx *c, const cJSON *it, uint64_t min_us, uint64_t max_us,
                        uint64_t *out)
{
    char buf[64];
    int rc;

    if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        if (d < 0 || d * 1e6 < (double)min_us || d * 1e6 > (double)max_us)
            goto range;
        *out = (uint64_t)llround(d * 1e6);
        return 0;
    }
    if (!cJSON_IsString(it))
        return spec_err(c, it, "'%s' must be a duration such as 10 or \"500ms\"", it->string);
    rc = units_parse_duration(it->valuestring, UNITS_US_PER_SEC, min_us, max_us, out);
    if (rc == -ERANGE)
        goto range;
    if (rc < 0)
        return spec_err(c, it, "'%s' is not a duration: '%s' (use e.g. 10, \"10s\", \"500ms\")",
                        it->string, it->valuestring);
    return 0;
range:
    units_fmt_duration(max_us, buf, sizeof(buf));
    {
        char lo[32];
        units_fmt_duration(min_us, lo, sizeof(lo));
        return spec_err(c, it, "'%s' must lie between %s and %s", it->string, lo, buf);
    }
}

/* A size in MiB: a number of MiB or a string with a unit ("4G"). */
static int get_mib(const struct spec_ctx *c, const cJSON *it, uint64_t min_mib, uint64_t max_mib,
                   uint64_t *out)
{
    uint64_t bytes;

    if (cJSON_IsNumber(it))
        return get_uint(c, it, min_mib, max_mib, out);
    if (!cJSON_IsString(it) ||
        units_parse_size(it->valuestring, 1ULL << 20, min_mib << 20, max_mib << 20, &bytes) < 0)
        return spec_err(c, it, "'%s' must be a size between %lluM and %lluG (e.g. \"1G\")",
                        it->string, (unsigned long long)min_mib,
                        (unsigned long long)(max_mib >> 10));
    *out = bytes >> 20;
    return 0;
}

static int get_strv(const struct spec_ctx *c, const cJSON *it, struct spec_strv *v)
{
    const cJSON *e;

    if (!cJSON_IsArray(it))
        return spec_err(c, it, "'%s' must be an array of strings", it->string);
    spec_strv_clear(v);
    cJSON_ArrayForEach(e, it)
    {
        if (!cJSON_IsString(e))
            return spec_err(c, it, "'%s' must contain only strings", it->string);
        if (spec_strv_add(v, e->valuestring) < 0)
            return -1;
    }
    return 0;
}

/* A list of integers: an array, a number, or a string "1 2 4" / "1,2,4". */
static int get_list(const struct spec_ctx *c, const cJSON *it, uint64_t min, uint64_t max,
                    uint64_t *vals, size_t cap, size_t *n)
{
    const cJSON *e;
    size_t k = 0;
    uint64_t tmp[SPEC_MAX_LEVELS] = {0};

    if (cJSON_IsString(it)) {
        int rc = units_parse_list(it->valuestring, min, max, vals, cap, n);
        if (rc == -E2BIG)
            return spec_err(c, it, "'%s' has more than %zu entries", it->string, cap);
        if (rc < 0)
            return spec_err(c, it, "'%s' must list integers in %llu..%llu, not '%s'", it->string,
                            (unsigned long long)min, (unsigned long long)max, it->valuestring);
        return 0;
    }
    if (cJSON_IsNumber(it)) {
        if (get_uint(c, it, min, max, &tmp[0]) < 0)
            return -1;
        vals[0] = tmp[0];
        *n = 1;
        return 0;
    }
    if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) == 0)
        return spec_err(c, it, "'%s' must be a non-empty array of integers", it->string);
    cJSON_ArrayForEach(e, it)
    {
        double d;
        if (k >= cap || k >= SPEC_MAX_LEVELS)
            return spec_err(c, it, "'%s' has more than %zu entries", it->string, cap);
        if (!cJSON_IsNumber(e))
            return spec_err(c, it, "'%s' must contain only integers", it->string);
        d = e->valuedouble;
        if (d != floor(d) || d < (double)min || d > (double)max)
            return spec_err(c, it, "'%s' entries must be integers in %llu..%llu, not %g",
                            it->string, (unsigned long long)min, (unsigned long long)max, d);
        tmp[k++] = (uint64_t)d;
    }
    memcpy(vals, tmp, k * sizeof(*vals));
    *n = k;
    return 0;
}

/* ---- sections ---- */

static int apply_numa(const struct spec_ctx *c, struct spec *s, const cJSON *it)
{
    const cJSON *cell;
    unsigned n = 0;

    if (cJSON_IsNumber(it) || cJSON_IsString(it)) {
        if (get_uns(c, it, 0, DOMXML_MAX_CELLS, &s->numa) < 0)
            return -1;
        s->ncells = 0;
        return 0;
    }
    if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) == 0)
        return spec_err(c, it,
                        "'numa' must be a number of cells or an array of "
                        "{\"cpus\": \"0-1\", \"memory\": \"512M\"}");
    cJSON_ArrayForEach(cell, it)
    {
        const cJSON *f;
        bool have_cpus = false, have_mem = false;

        if (n >= DOMXML_MAX_CELLS)
            return spec_err(c, it, "at most %d NUMA cells", DOMXML_MAX_CELLS);
        if (!cJSON_IsObject(cell))
            return spec_err(c, it, "'numa' cells must be objects with 'cpus' and 'memory'");
        memset(&s->cells[n], 0, sizeof(s->cells[n]));
        cJSON_ArrayForEach(f, cell)
        {
            if (!strcmp(f->string, "cpus")) {
                if (!cJSON_IsString(f) || !f->valuestring[0] ||
                    strlen(f->valuestring) >= sizeof(s->cells[n].cpus) ||
                    strspn(f->valuestring, "0123456789,-") != strlen(f->valuestring))
                    return spec_err(c, f, "'cpus' must be a CPU list such as \"0-3\" or \"0,2\"");
                snprintf(s->cells[n].cpus, sizeof(s->cells[n].cpus), "%s", f->valuestring);
                have_cpus = true;
            } else if (!strcmp(f->string, "memory")) {
                if (get_mib(c, f, 16, 1 << 22, &s->cells[n].memory_mib) < 0)
                    return -1;
                have_mem = true;
            } else {
                return spec_err(c, f, "unknown key '%s' in a NUMA cell (known: cpus, memory)",
                                f->string);
            }
        }
        if (!have_cpus || !have_mem)
            return spec_err(c, cell, "each NUMA cell needs 'cpus' and 'memory'");
        n++;
    }
    s->ncells = n;
    s->numa = 0;
    return 0;
}

static int apply_vm(const struct spec_ctx *c, struct spec *s, const cJSON *vm)
{
    const cJSON *it;

    if (!cJSON_IsObject(vm))
        return spec_err(c, vm, "'vm' must be an object");
    cJSON_ArrayForEach(it, vm)
    {
        const char *k = it->string;
        int rc;

        if (!strcmp(k, "vcpus")) {
            uint64_t v[SPEC_MAX_SIZES];
            size_t n = 0;
            rc = get_list(c, it, 1, 256, v, SPEC_MAX_SIZES, &n);
            if (rc == 0) {
                for (size_t i = 0; i < n; i++)
                    s->vcpus[i] = (unsigned)v[i];
                s->nsizes = n;
            }
        } else if (!strcmp(k, "memory")) {
            rc = get_mib(c, it, 64, 1 << 22, &s->memory_mib);
        } else if (!strcmp(k, "cpu_model")) {
            if (!cJSON_IsString(it) || !spec_cpu_model_ok(it->valuestring))
                return spec_err(c, it, "'cpu_model' must be %s", SPEC_CPU_MODEL_RULE);
            rc = get_str(c, it, &s->cpu_model);
        } else if (!strcmp(k, "topology")) {
            if (!cJSON_IsString(it) || spec_parse_topology(s, it->valuestring) < 0)
                rc = spec_err(c, it,
                              "'topology' must be \"SOCKETS:DIES:CORES:THREADS\", "
                              "e.g. \"1:1:8:1\"");
            else
                rc = 0;
        } else if (!strcmp(k, "numa")) {
            rc = apply_numa(c, s, it);
        } else if (!strcmp(k, "cpu_cap")) {
            rc = get_uns(c, it, 0, 100, &s->cpu_cap_pct);
        } else if (!strcmp(k, "pin")) {
            rc = get_bool(c, it, &s->pin);
        } else if (!strcmp(k, "allow_uncapped")) {
            rc = get_bool(c, it, &s->allow_uncapped);
        } else if (!strcmp(k, "image")) {
            rc = get_str(c, it, &s->image);
        } else if (!strcmp(k, "connect")) {
            rc = get_str(c, it, &s->connect);
        } else if (!strcmp(k, "accel")) {
            if (cJSON_IsString(it) && !strcmp(it->valuestring, "auto"))
                s->accel = SPEC_ACCEL_AUTO;
            else if (cJSON_IsString(it) && !strcmp(it->valuestring, "kvm"))
                s->accel = SPEC_ACCEL_KVM;
            else if (cJSON_IsString(it) && !strcmp(it->valuestring, "tcg"))
                s->accel = SPEC_ACCEL_TCG;
            else
                return spec_err(c, it, "'accel' must be \"auto\", \"kvm\" or \"tcg\"");
            rc = 0;
        } else if (!strcmp(k, "cpu_fallback")) {
            if (cJSON_IsString(it) && !strcmp(it->valuestring, "tcg"))
                s->cpu_fallback = SPEC_CPU_FALLBACK_TCG;
            else if (cJSON_IsString(it) && !strcmp(it->valuestring, "host"))
                s->cpu_fallback = SPEC_CPU_FALLBACK_HOST;
            else if (cJSON_IsString(it) && !strcmp(it->valuestring, "fail"))
                s->cpu_fallback = SPEC_CPU_FALLBACK_FAIL;
            else
                return spec_err(c, it, "'cpu_fallback' must be \"tcg\", \"host\" or \"fail\"");
            rc = 0;
        } else if (!strcmp(k, "deadman")) {
            uint64_t us = 0;
            rc = get_duration(c, it, 10 * UNITS_US_PER_SEC, 86400 * UNITS_US_PER_SEC, &us);
            if (rc == 0)
                s->deadman_s = (unsigned)(us / UNITS_US_PER_SEC);
        } else if (!strcmp(k, "boot_timeout")) {
            rc =
                get_duration(c, it, UNITS_US_PER_SEC, 3600 * UNITS_US_PER_SEC, &s->boot_timeout_us);
        } else {
            return spec_err(c, it,
                            "unknown key '%s' in 'vm' (known: vcpus, memory, cpu_model, "
                            "topology, numa, cpu_cap, pin, allow_uncapped, image, connect, "
                            "accel, cpu_fallback, deadman, boot_timeout)",
                            k);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Agent args: an object of KEY: string|number|bool, stored as "KEY=VALUE" in v. */
static int apply_args(const struct spec_ctx *c, struct spec_strv *v, const cJSON *args)
{
    const cJSON *it;

    if (!cJSON_IsObject(args))
        return spec_err(c, args, "'%s' must be an object such as {\"work\": 10000}", args->string);
    spec_strv_clear(v);
    cJSON_ArrayForEach(it, args)
    {
        char *kv = NULL;
        if (cJSON_IsString(it))
            kv = fsutil_printf("%s=%s", it->string, it->valuestring);
        else if (cJSON_IsNumber(it))
            kv = fsutil_printf("%s=%.15g", it->string, it->valuedouble);
        else if (cJSON_IsBool(it))
            kv = fsutil_printf("%s=%d", it->string, cJSON_IsTrue(it) ? 1 : 0);
        else
            return spec_err(c, it, "argument '%s' must be a string, number or boolean", it->string);
        if (!kv || spec_strv_add(v, kv) < 0) {
            free(kv);
            return -1;
        }
        free(kv);
    }
    return 0;
}

static int apply_agent(const struct spec_ctx *c, struct spec *s, const cJSON *ag)
{
    const cJSON *it;

    if (!cJSON_IsObject(ag))
        return spec_err(c, ag, "'agent' must be an object");
    cJSON_ArrayForEach(it, ag)
    {
        const char *k = it->string;
        int rc;

        if (!strcmp(k, "workload"))
            rc = get_str(c, it, &s->workload);
        else if (!strcmp(k, "concurrency"))
            rc = get_list(c, it, 1, 1024, s->levels, SPEC_MAX_LEVELS, &s->nlevels);
        else if (!strcmp(k, "duration"))
            rc = get_duration(c, it, 100000, 86400 * UNITS_US_PER_SEC, &s->duration_us);
        else if (!strcmp(k, "max_duration"))
            rc = get_duration(c, it, 100000, 86400 * UNITS_US_PER_SEC, &s->max_duration_us);
        else if (!strcmp(k, "warmup"))
            rc = get_uint(c, it, 0, 100000000, &s->warmup);
        else if (!strcmp(k, "runs"))
            rc = get_uint(c, it, 1, 1000, &s->runs);
        else if (!strcmp(k, "timeout"))
            rc = get_duration(c, it, UNITS_US_PER_SEC, 86400 * UNITS_US_PER_SEC, &s->timeout_us);
        else if (!strcmp(k, "max_concurrency"))
            rc = get_uint(c, it, 1, 1024, &s->max_concurrency);
        else if (!strcmp(k, "cpu_threads"))
            rc = get_uns(c, it, 1, 1024, &s->cpu_threads);
        else if (!strcmp(k, "oversubscribe"))
            rc = get_bool(c, it, &s->oversubscribe);
        else if (!strcmp(k, "plan"))
            rc = get_str(c, it, &s->plan);
        else if (!strcmp(k, "args"))
            rc = apply_args(c, &s->args, it);
        else if (!strcmp(k, "base_args"))
            rc = apply_args(c, &s->base_args, it);
        else if (!strcmp(k, "push"))
            rc = get_strv(c, it, &s->push);
        else if (!strcmp(k, "setup"))
            rc = get_strv(c, it, &s->setup);
        else
            return spec_err(c, it,
                            "unknown key '%s' in 'agent' (known: workload, concurrency, "
                            "duration, max_duration, warmup, runs, timeout, max_concurrency, "
                            "cpu_threads, oversubscribe, plan, args, base_args, push, setup)",
                            k);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int apply_output(const struct spec_ctx *c, struct spec *s, const cJSON *out)
{
    const cJSON *it;

    if (!cJSON_IsObject(out))
        return spec_err(c, out, "'output' must be an object");
    cJSON_ArrayForEach(it, out)
    {
        int rc;
        if (!strcmp(it->string, "dir"))
            rc = get_str(c, it, &s->output_dir);
        else if (!strcmp(it->string, "slo_p99_us"))
            rc = get_uint(c, it, 1, UINT32_MAX, &s->slo_p99_us);
        else if (!strcmp(it->string, "refine"))
            rc = get_bool(c, it, &s->refine);
        else if (!strcmp(it->string, "slo")) {
            rc = get_strv(c, it, &s->slo);
            for (size_t i = 0; rc == 0 && i < s->slo.n; i++)
                if (!analyse_gate_ok(s->slo.v[i]))
                    rc = spec_err(c, it,
                                  "'slo' entry '%s' is not METRIC<=VALUE[@CONCURRENCY] "
                                  "(or >=), e.g. \"p99_us<=2000@32\"",
                                  s->slo.v[i]);
        } else if (!strcmp(it->string, "max_error_rate") || !strcmp(it->string, "min_fairness")) {
            bool err = it->string[1] == 'a';
            double lim = err ? 100 : 1;
            if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > lim)
                return spec_err(c, it, "'%s' must be a number in 0..%g", it->string, lim);
            *(err ? &s->max_error_pct : &s->min_fairness) = it->valuedouble;
            rc = 0;
        } else
            return spec_err(c, it,
                            "unknown key '%s' in 'output' (known: dir, slo_p99_us, refine, slo, "
                            "max_error_rate, min_fairness)",
                            it->string);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Load text (len bytes, named path in messages) over s; depth guards against profiles
 * naming profiles. */
static int spec_load_text_depth(struct spec *s, const char *path, const char *text, size_t len,
                                int depth)
{
    cJSON *root = NULL;
    struct jsonpos *jp = NULL;
    char err[256];
    struct spec_ctx c = {.path = path};
    const cJSON *it;
    int ret = -1;

    if (strlen(text) != len) {
        log_error("%s: not a JSON spec (it contains NUL bytes)", path);
        goto cleanup;
    }
    if (jsonpos_parse(text, &root, &jp, err, sizeof(err)) < 0) {
        log_error("%s:%s", path, err);
        goto cleanup;
    }
    c.jp = jp;
    if (!cJSON_IsObject(root)) {
        spec_err(&c, root, "a spec must be a JSON object");
        goto cleanup;
    }
    /* The profile is the layer beneath the file's own settings: apply it first. */
    it = cJSON_GetObjectItemCaseSensitive(root, "profile");
    if (it) {
        if (!cJSON_IsString(it)) {
            spec_err(&c, it, "'profile' must be a profile name");
            goto cleanup;
        }
        if (depth > 0) {
            spec_err(&c, it, "a profile cannot name another profile");
            goto cleanup;
        }
        if (spec_load_profile(s, it->valuestring) < 0)
            goto cleanup;
    }
    cJSON_ArrayForEach(it, root)
    {
        const char *k = it->string;
        int rc = 0;
        /* Informational: what the spec was made from (a printed or recorded spec says). */
        if (!strcmp(k, "profile") || !strcmp(k, "description") || !strcmp(k, "source"))
            continue;
        if (!strcmp(k, "applied_profile"))
            rc = get_str(&c, it, &s->profile); /* kept, not applied again */
        else if (!strcmp(k, "name"))
            rc = get_str(&c, it, &s->name);
        else if (!strcmp(k, "vm"))
            rc = apply_vm(&c, s, it);
        else if (!strcmp(k, "agent"))
            rc = apply_agent(&c, s, it);
        else if (!strcmp(k, "output"))
            rc = apply_output(&c, s, it);
        else
            rc = spec_err(&c, it,
                          "unknown key '%s' (known: name, description, profile, vm, agent, "
                          "output)",
                          k);
        if (rc < 0)
            goto cleanup;
    }
    if (depth == 0 && spec_set_str(&s->source, path) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    cJSON_Delete(root);
    jsonpos_free(jp);
    return ret;
}

static int spec_load_depth(struct spec *s, const char *path, int depth)
{
    char *text = NULL;
    size_t len = 0;
    int ret = -1;

    if (fsutil_read_file(path, &text, &len) == 0)
        ret = spec_load_text_depth(s, path, text, len, depth);
    free(text);
    return ret;
}

int spec_load_text(struct spec *s, const char *name, const char *text)
{
    return spec_load_text_depth(s, name, text, strlen(text), 0);
}

int spec_load(struct spec *s, const char *path)
{
    return spec_load_depth(s, path, 0);
}

int spec_load_profile(struct spec *s, const char *name)
{
    char *data = NULL, *path = NULL;
    int ret = -1;

    if (strchr(name, '/') || (strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".json"))) {
        path = strdup(name);
    } else {
        data = paths_data_dir();
        if (!data)
            goto cleanup;
        path = fsutil_printf("%s/sweeps/%s.json", data, name);
    }
    if (!path)
        goto cleanup;
    if (!fsutil_exists(path)) {
        char *dir = data ? fsutil_printf("%s/sweeps", data) : NULL;
        log_error("unknown profile '%s': no file '%s'%s%s%s", name, path,
                  dir ? " (the profiles are the *.json files in '" : "", dir ? dir : "",
                  dir ? "'; `ls` it to list them)" : "");
        free(dir);
        goto cleanup;
    }
    if (spec_load_depth(s, path, 1) < 0)
        goto cleanup;
    if (spec_set_str(&s->profile, name) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    free(path);
    free(data);
    return ret;
}

int spec_check(const struct spec *s)
{
    if (s->nsizes == 0) {
        log_error("no VM size given (use --vcpus, e.g. --vcpus 1,2)");
        return -1;
    }
    if (s->sockets) {
        for (size_t i = 0; i < s->nsizes; i++) {
            if (s->sockets * s->dies * s->cores * s->threads != s->vcpus[i]) {
                log_error("topology %u:%u:%u:%u fixes %u vCPUs, but a VM size asks for %u: give "
                          "that --vcpus size with --topology (or another topology)",
                          s->sockets, s->dies, s->cores, s->threads,
                          s->sockets * s->dies * s->cores * s->threads, s->vcpus[i]);
                return -1;
            }
        }
    }
    if (s->ncells && s->nsizes > 1) {
        log_error("explicit NUMA cells fit one VM size only, but %zu sizes were given; use "
                  "\"numa\": N to split each size evenly",
                  s->nsizes);
        return -1;
    }
    for (size_t i = 0; i < s->nsizes; i++) {
        if (s->numa > s->vcpus[i]) {
            log_error("--numa %u asks for more NUMA cells than the %u vCPUs of a VM size", s->numa,
                      s->vcpus[i]);
            return -1;
        }
        if (s->numa && s->memory_mib / s->numa < 64) {
            log_error("--memory %lluM split over %u NUMA cells leaves under 64M per cell",
                      (unsigned long long)s->memory_mib, s->numa);
            return -1;
        }
    }
    for (size_t i = 0; i < s->nlevels; i++) {
        if (s->levels[i] > s->max_concurrency) {
            log_error("concurrency level %llu is above --max-concurrency %llu (raise it "
                      "explicitly if you mean it)",
                      (unsigned long long)s->levels[i], (unsigned long long)s->max_concurrency);
            return -1;
        }
    }
    if (s->duration_us > s->max_duration_us) {
        char a[32], b[32];
        units_fmt_duration(s->duration_us, a, sizeof(a));
        units_fmt_duration(s->max_duration_us, b, sizeof(b));
        log_error("--duration %s is above --max-duration %s (raise --max-duration to allow it)", a,
                  b);
        return -1;
    }
    if (s->timeout_us <= s->duration_us) {
        char a[32], b[32];
        units_fmt_duration(s->timeout_us, a, sizeof(a));
        units_fmt_duration(s->duration_us, b, sizeof(b));
        log_error("--timeout %s must be longer than --duration %s", a, b);
        return -1;
    }
    for (size_t i = 0; i < s->push.n; i++) {
        char *local = strdup(s->push.v[i]), *colon;
        bool ok;
        if (!local)
            return -1;
        colon = strchr(local, ':');
        if (colon)
            *colon = '\0';
        ok = fsutil_exists(local);
        if (!ok)
            log_error("--push '%s': no such local file '%s'", s->push.v[i], local);
        free(local);
        if (!ok)
            return -1;
    }
    /* Every size's domain, checked now (topology, cells, cap): exit 2 before anything
     * starts, not a refusal from libvirt when that size's VM is created. */
    for (size_t i = 0; i < s->nsizes; i++) {
        struct vm_def def;
        memset(&def, 0, sizeof(def));
        def.name = "vmsweep-check";
        def.kernel = "vmlinuz"; /* the image is resolved later; only the shape is checked */
        if (spec_vm_def(s, i, &def) < 0)
            return -1;
    }
    return 0;
}

int spec_vm_def(const struct spec *s, size_t i, struct vm_def *def)
{
    char err[256];

    def->vcpus = s->vcpus[i];
    def->memory_mib = s->memory_mib;
    def->cpu_model = s->cpu_model;
    if (s->sockets) {
        def->sockets = s->sockets;
        def->dies = s->dies;
        def->cores = s->cores;
        def->threads = s->threads;
    } else {
        def->sockets = 1;
        def->dies = 1;
        def->cores = def->vcpus;
        def->threads = 1;
    }
    def->ncells = 0;
    if (s->ncells) {
        def->ncells = s->ncells;
        memcpy(def->cells, s->cells, sizeof(s->cells[0]) * s->ncells);
    } else if (s->numa && domxml_split_numa(def, s->numa) < 0) {
        log_error("cannot split %u vCPUs into %u NUMA cells", def->vcpus, s->numa);
        return -1;
    }
    def->cap_pct = s->cpu_cap_pct;
    def->pin = s->pin;
    if (domxml_validate(def, err, sizeof(err)) < 0) {
        log_error("VM size %u vCPUs: %s", def->vcpus, err);
        return -1;
    }
    return 0;
}

uint64_t spec_sweep_budget_us(const struct spec *s)
{
    /* Every run is killed at its timeout (then SIGKILL a second later), so this bounds
     * the agent whatever the workload does; plus start-up and summary time. */
    uint64_t per_run = s->timeout_us + 2 * UNITS_US_PER_SEC;

    return (uint64_t)s->nlevels * s->runs * per_run + 30 * UNITS_US_PER_SEC;
}

static cJSON *strv_json(const struct spec_strv *v)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < v->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
    return a;
}

/* A duration as the reader takes it back exactly: "<n>us" (a number would be seconds). */
static cJSON *duration_json(uint64_t us)
{
    char buf[32];
    if (us % UNITS_US_PER_SEC == 0) {
        uint64_t secs = us / UNITS_US_PER_SEC; /* exact: no remainder */
        return cJSON_CreateNumber((double)secs);
    }
    snprintf(buf, sizeof(buf), "%lluus", (unsigned long long)us);
    return cJSON_CreateString(buf);
}

/* Workload arguments ("key=value" each) as the object apply_args reads. */
static cJSON *args_json(const struct spec_strv *v)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < v->n; i++) {
        const char *eq = strchr(v->v[i], '=');
        char key[256];
        if (eq == NULL || (size_t)(eq - v->v[i]) >= sizeof(key))
            continue;
        snprintf(key, sizeof(key), "%.*s", (int)(eq - v->v[i]), v->v[i]);
        cJSON_AddStringToObject(o, key, eq + 1);
    }
    return o;
}

char *spec_to_json(const struct spec *s)
{
    static const char *const accel[] = {"auto", "kvm", "tcg"};
    static const char *const fallback[] = {"tcg", "host", "fail"};
    cJSON *root = cJSON_CreateObject(), *vm, *ag, *out, *a;
    char topo[64], *text = NULL;

    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "name", s->name);
    if (s->source)
        cJSON_AddStringToObject(root, "source", s->source);
    /* Everything the profile set is written out below: the spec stands alone, so it
     * records the profile by a key the reader only notes. */
    if (s->profile)
        cJSON_AddStringToObject(root, "applied_profile", s->profile);
    vm = cJSON_AddObjectToObject(root, "vm");
    a = cJSON_AddArrayToObject(vm, "vcpus");
    for (size_t i = 0; i < s->nsizes; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(s->vcpus[i]));
    cJSON_AddNumberToObject(vm, "memory", (double)s->memory_mib);
    cJSON_AddStringToObject(vm, "cpu_model", s->cpu_model);
    if (s->sockets) {
        snprintf(topo, sizeof(topo), "%u:%u:%u:%u", s->sockets, s->dies, s->cores, s->threads);
        cJSON_AddStringToObject(vm, "topology", topo);
    }
    if (s->ncells) {
        a = cJSON_AddArrayToObject(vm, "numa");
        for (unsigned i = 0; i < s->ncells; i++) {
            cJSON *cell = cJSON_CreateObject();
            cJSON_AddStringToObject(cell, "cpus", s->cells[i].cpus);
            cJSON_AddNumberToObject(cell, "memory", (double)s->cells[i].memory_mib);
            cJSON_AddItemToArray(a, cell);
        }
    } else {
        cJSON_AddNumberToObject(vm, "numa", s->numa);
    }
    cJSON_AddNumberToObject(vm, "cpu_cap", s->cpu_cap_pct);
    cJSON_AddBoolToObject(vm, "pin", s->pin);
    cJSON_AddBoolToObject(vm, "allow_uncapped", s->allow_uncapped);
    cJSON_AddStringToObject(vm, "image", s->image);
    if (s->connect)
        cJSON_AddStringToObject(vm, "connect", s->connect);
    cJSON_AddStringToObject(vm, "accel", accel[s->accel]);
    cJSON_AddStringToObject(vm, "cpu_fallback", fallback[s->cpu_fallback]);
    cJSON_AddNumberToObject(vm, "deadman", s->deadman_s);
    cJSON_AddItemToObject(vm, "boot_timeout", duration_json(s->boot_timeout_us));
    ag = cJSON_AddObjectToObject(root, "agent");
    cJSON_AddStringToObject(ag, "workload", s->workload);
    a = cJSON_AddArrayToObject(ag, "concurrency");
    for (size_t i = 0; i < s->nlevels; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)s->levels[i]));
    cJSON_AddItemToObject(ag, "duration", duration_json(s->duration_us));
    cJSON_AddItemToObject(ag, "max_duration", duration_json(s->max_duration_us));
    cJSON_AddNumberToObject(ag, "warmup", (double)s->warmup);
    cJSON_AddNumberToObject(ag, "runs", (double)s->runs);
    cJSON_AddItemToObject(ag, "timeout", duration_json(s->timeout_us));
    cJSON_AddNumberToObject(ag, "max_concurrency", (double)s->max_concurrency);
    if (s->cpu_threads)
        cJSON_AddNumberToObject(ag, "cpu_threads", s->cpu_threads);
    cJSON_AddBoolToObject(ag, "oversubscribe", s->oversubscribe);
    if (s->plan)
        cJSON_AddStringToObject(ag, "plan", s->plan);
    cJSON_AddItemToObject(ag, "args", args_json(&s->args));
    if (s->base_args.n)
        cJSON_AddItemToObject(ag, "base_args", args_json(&s->base_args));
    cJSON_AddItemToObject(ag, "push", strv_json(&s->push));
    cJSON_AddItemToObject(ag, "setup", strv_json(&s->setup));
    out = cJSON_AddObjectToObject(root, "output");
    if (s->output_dir)
        cJSON_AddStringToObject(out, "dir", s->output_dir);
    if (s->slo_p99_us)
        cJSON_AddNumberToObject(out, "slo_p99_us", (double)s->slo_p99_us);
    cJSON_AddBoolToObject(out, "refine", s->refine);
    if (s->slo.n)
        cJSON_AddItemToObject(out, "slo", strv_json(&s->slo));
    if (s->max_error_pct >= 0)
        cJSON_AddNumberToObject(out, "max_error_rate", s->max_error_pct);
    if (s->min_fairness >= 0)
        cJSON_AddNumberToObject(out, "min_fairness", s->min_fairness);
    text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

void spec_strv_free(struct spec_strv *v)
{
    if (v)
        spec_strv_clear(v);
}

static int strv_addf(struct spec_strv *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int strv_addf(struct spec_strv *v, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -1;
    return spec_strv_add(v, buf);
}

int spec_agent_argv(const struct spec *s, const char *agent, const char *outdir,
                    struct spec_strv *argv)
{
    char levels[SPEC_MAX_LEVELS * 6] = "";
    size_t off = 0;

    for (size_t i = 0; i < s->nlevels; i++)
        off += (size_t)snprintf(levels + off, sizeof(levels) - off, "%s%llu", i ? "," : "",
                                (unsigned long long)s->levels[i]);
    if (spec_strv_add(argv, agent) < 0 || spec_strv_add(argv, "--workload") < 0 ||
        spec_strv_add(argv, s->workload) < 0 || spec_strv_add(argv, "--concurrency") < 0 ||
        spec_strv_add(argv, levels) < 0 ||
        strv_addf(argv, "--duration=%lluus", (unsigned long long)s->duration_us) < 0 ||
        strv_addf(argv, "--max-duration=%lluus", (unsigned long long)s->max_duration_us) < 0 ||
        strv_addf(argv, "--warmup=%llu", (unsigned long long)s->warmup) < 0 ||
        strv_addf(argv, "--runs=%llu", (unsigned long long)s->runs) < 0 ||
        strv_addf(argv, "--timeout=%lluus", (unsigned long long)s->timeout_us) < 0 ||
        strv_addf(argv, "--max-concurrency=%llu", (unsigned long long)s->max_concurrency) < 0)
        return -1;
    if (s->cpu_threads && strv_addf(argv, "--cpu-threads=%u", s->cpu_threads) < 0)
        return -1;
    if (s->oversubscribe && spec_strv_add(argv, "--oversubscribe") < 0)
        return -1;
    if (s->plan && (spec_strv_add(argv, "--plan") < 0 || spec_strv_add(argv, s->plan) < 0))
        return -1;
    for (size_t i = 0; i < s->args.n; i++)
        if (spec_strv_add(argv, "--arg") < 0 || spec_strv_add(argv, s->args.v[i]) < 0)
            return -1;
    if (outdir && (spec_strv_add(argv, "--output-dir") < 0 || spec_strv_add(argv, outdir) < 0))
        return -1;
    return 0;
}
