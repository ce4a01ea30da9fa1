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

#include "image.h"

#include "fsutil.h"
#include "results.h"
#include "jsonpos.h"
#include "log.h"
#include "paths.h"
#include "specopt.h"
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
    s->rerun_interfered = 2;
    s->timeout_us = 60 * UNITS_US_PER_SEC;
    s->max_concurrency = 128;
    s->max_error_pct = -1;
    s->min_fairness = -1;
    s->arches = 1u << (domxml_host_arch() == DOMXML_NARCH ? DOMXML_X86_64 : domxml_host_arch());
    s->target_qps = s->headroom_pct = s->cost_per_vcpu = s->cost_per_gib = -1;
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
    free(s->workload);
    free(s->plan);
    free(s->output_dir);
    spec_strv_clear(&s->args);
    spec_strv_clear(&s->base_args);
    spec_strv_clear(&s->push);
    spec_strv_clear(&s->setup);
    spec_strv_clear(&s->slo);
    spec_strv_clear(&s->connect);
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

/* The known keys of a section, for messages: "vcpus, memory, ...". */
static void known_keys(enum specopt_section sec, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < specopt_count && off < len; i++)
        if (specopt_table[i].section == sec && specopt_table[i].key)
            off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
                                    specopt_table[i].key);
}

/* Apply one setting: the row's own rule, as for its flag. */
static int apply_item(const struct spec_ctx *c, struct spec *s, const struct specopt *o,
                      const cJSON *it)
{
    char why[256], *val;

    if (specopt_set_json(s, o, it, why, sizeof(why)) == 0)
        return 0;
    if (!why[0]) {
        log_error("out of memory");
        return -1;
    }
    val = cJSON_IsObject(it) || cJSON_IsArray(it) ? NULL : cJSON_PrintUnformatted(it);
    spec_err(c, it, "invalid '%s'%s%s: %s", o->key, val ? " " : "", val ? val : "", why);
    free(val);
    return -1;
}

/* Is k a section object's name ("vm", "agent", ...)?  Its section in *sec. */
static bool section_named(const char *k, enum specopt_section *sec)
{
    for (size_t i = 0; i < specopt_nsections; i++)
        if (specopt_sections[i].name && !strcmp(specopt_sections[i].name, k)) {
            *sec = specopt_sections[i].sec;
            return true;
        }
    return false;
}

/* Apply the keys of one section object ("vm", "agent", "output", "cost"). */
static int apply_section(const struct spec_ctx *c, struct spec *s, enum specopt_section sec,
                         const cJSON *obj)
{
    const cJSON *it;
    char known[512];

    if (!cJSON_IsObject(obj))
        return spec_err(c, obj, "'%s' must be an object", specopt_section_name(sec));
    cJSON_ArrayForEach(it, obj)
    {
        const struct specopt *o = specopt_find_key(sec, it->string);
        if (o == NULL) {
            known_keys(sec, known, sizeof(known));
            return spec_err(c, it, "unknown key '%s' in '%s' (known: %s)", it->string,
                            specopt_section_name(sec), known);
        }
        if (apply_item(c, s, o, it) < 0)
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
        enum specopt_section sec;
        int rc = 0;
        /* Informational: what the spec was made from (a printed or recorded spec says). */
        if (!strcmp(k, "profile") || !strcmp(k, "description") || !strcmp(k, "source"))
            continue;
        if (!strcmp(k, "applied_profile")) {
            if (!cJSON_IsString(it) || !it->valuestring[0])
                rc = spec_err(&c, it, "'applied_profile' must be a profile name");
            else
                rc = spec_set_str(&s->profile, it->valuestring); /* kept, not applied again */
        } else if (section_named(k, &sec)) {
            rc = apply_section(&c, s, sec, it);
        } else if (specopt_find_key(SPECOPT_TOP, k)) {
            rc = apply_item(&c, s, specopt_find_key(SPECOPT_TOP, k), it);
        } else {
            char known[256];
            known_keys(SPECOPT_TOP, known, sizeof(known));
            rc = spec_err(&c, it,
                          "unknown key '%s' (known: %s, description, profile, vm, agent, output, "
                          "cost)",
                          k, known);
        }
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

/* Whether name is an architecture's default image ("tiny", "tiny-aarch64"). */
static bool image_is_default(const char *name)
{
    char def[64];

    for (int a = 0; a < DOMXML_NARCH; a++)
        if (!strcmp(name, image_default_name((enum domxml_arch)a, def, sizeof(def))))
            return true;
    return false;
}

int spec_check(const struct spec *s)
{
    for (int a = 0; a < DOMXML_NARCH; a++) {
        if (!(s->arches & (1u << a)) || s->accel != SPEC_ACCEL_KVM ||
            (enum domxml_arch)a == domxml_host_arch())
            continue;
        log_error("--accel kvm: KVM cannot run %s guests on this host; use --accel auto or tcg",
                  domxml_arch_names[a]);
        return -1;
    }
    /* A model or an image names one architecture's: several take each one's default. */
    if (spec_arch_mixed(s) && strcmp(s->cpu_model, domxml_default_model(DOMXML_X86_64))) {
        log_error("--cpu-model '%s' is one architecture's model, but --arch asks for several: "
                  "leave it at its default (each architecture gets its own: EPYC-Rome, "
                  "neoverse-n1), or run each architecture on its own",
                  s->cpu_model);
        return -1;
    }
    if (spec_arch_mixed(s) && !image_is_default(s->image)) {
        log_error("--image '%s' holds one architecture's guests, but --arch asks for several: "
                  "leave it at its default (each architecture boots its own tiny image), or "
                  "run each architecture on its own",
                  s->image);
        return -1;
    }
#ifndef __APPLE__
    if (s->accel == SPEC_ACCEL_HVF) {
        log_error("--accel hvf: Hypervisor.framework exists on macOS only (docs/macos.md); "
                  "use --accel auto, kvm or tcg here");
        return -1;
    }
#endif
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
    if (s->ncells && spec_size_count(s) > 1) {
        log_error("explicit NUMA cells fit one VM size only, but %zu sizes were given; use "
                  "\"numa\": N to split each size evenly",
                  spec_size_count(s));
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
    for (size_t i = 0; i < spec_size_count(s); i++) {
        struct vm_def def;
        memset(&def, 0, sizeof(def));
        def.name = "vmsweep-check";
        def.kernel = "vmlinuz"; /* the image is resolved later; only the shape is checked */
        if (spec_vm_def(s, i, &def) < 0)
            return -1;
    }
    return 0;
}

void spec_finish(struct spec *s)
{
    char name[64];

    /* Under HVF the guest gets the host's CPU: QEMU has no named Apple models. */
    if (s->accel == SPEC_ACCEL_HVF && s->cpu_model &&
        !strcmp(s->cpu_model, domxml_default_model(DOMXML_X86_64)))
        spec_set_str(&s->cpu_model, "host");
    /* With one architecture the spec says its own defaults (a printed spec shows what
     * ran); several keep the x86 names, which stand for each one's default. */
    enum domxml_arch a = spec_arch_first(s);
    if (a == DOMXML_X86_64 || spec_arch_mixed(s))
        return;
    if (s->cpu_model && !strcmp(s->cpu_model, domxml_default_model(DOMXML_X86_64)))
        spec_set_str(&s->cpu_model, domxml_default_model(a));
    if (s->image && !strcmp(s->image, IMAGE_DEFAULT))
        spec_set_str(&s->image, image_default_name(a, name, sizeof(name)));
}

size_t spec_size_count(const struct spec *s)
{
    return s->nsizes * (size_t)__builtin_popcount(s->arches);
}

enum domxml_arch spec_size_arch(const struct spec *s, size_t k)
{
    size_t nth = s->nsizes ? k / s->nsizes : 0;

    for (int a = 0; a < DOMXML_NARCH; a++)
        if ((s->arches & (1u << a)) && nth-- == 0)
            return (enum domxml_arch)a;
    return spec_arch_first(s);
}

unsigned spec_size_vcpus(const struct spec *s, size_t k)
{
    return s->nsizes ? s->vcpus[k % s->nsizes] : 0;
}

enum domxml_arch spec_arch_first(const struct spec *s)
{
    return s->arches ? (enum domxml_arch)__builtin_ctz(s->arches) : DOMXML_X86_64;
}

bool spec_arch_mixed(const struct spec *s)
{
    return (s->arches & (s->arches - 1)) != 0;
}

const char *spec_arch_model(const struct spec *s, enum domxml_arch arch)
{
    if (!strcmp(s->cpu_model, domxml_default_model(DOMXML_X86_64)))
        return domxml_default_model(arch);
    return s->cpu_model;
}

const char *spec_arch_image(const struct spec *s, enum domxml_arch arch, char *buf, size_t len)
{
    if (image_is_default(s->image))
        return image_default_name(arch, buf, len);
    snprintf(buf, len, "%s", s->image);
    return buf;
}

int spec_vm_def(const struct spec *s, size_t k, struct vm_def *def)
{
    char err[256];

    def->arch = spec_size_arch(s, k);
    def->vcpus = spec_size_vcpus(s, k);
    def->memory_mib = s->memory_mib;
    def->cpu_model = spec_arch_model(s, def->arch);
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

    return (uint64_t)s->nlevels * spec_runs(s) * per_run + 30 * UNITS_US_PER_SEC;
}

uint64_t spec_runs(const struct spec *s)
{
    return s->runs ? s->runs : SPEC_RUNS_AUTO_START;
}

char *spec_to_json(const struct spec *s)
{
    cJSON *root = cJSON_CreateObject(), *sec[SPECOPT_CMD + 1] = {0};
    char *text = NULL;

    if (!root)
        return NULL;
    sec[SPECOPT_TOP] = root;
    /* Everything the profile set is written out: the spec stands alone, so it records
     * the profile by a key the reader only notes. */
    if (s->profile)
        cJSON_AddStringToObject(root, "applied_profile", s->profile);
    for (size_t i = 0; i < specopt_count; i++) {
        const struct specopt *o = &specopt_table[i];
        cJSON *v;
        if (!o->key || o->section == SPECOPT_CMD || (v = specopt_to_json(s, o)) == NULL)
            continue;
        if (!sec[o->section])
            sec[o->section] = cJSON_AddObjectToObject(root, specopt_section_name(o->section));
        cJSON_AddItemToObject(sec[o->section], o->key, v);
    }
    text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

void spec_strv_free(struct spec_strv *v)
{
    if (v)
        spec_strv_clear(v);
}

int spec_agent_argv(const struct spec *s, const char *agent, const char *outdir,
                    struct spec_strv *argv)
{
    if (spec_strv_add(argv, agent) < 0 || specopt_agent_argv(s, argv) < 0)
        return -1;
    if (outdir && (spec_strv_add(argv, "--output-dir") < 0 || spec_strv_add(argv, outdir) < 0))
        return -1;
    return 0;
}
