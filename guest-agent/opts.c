/* opts — see opts.h. */
#include "opts.h"

#include <stdlib.h>
#include <string.h>

#include "units.h"

#define OPTS_DEFAULT_DURATION_US     (10 * UNITS_US_PER_SEC)
#define OPTS_DEFAULT_MAX_DURATION_US (30 * UNITS_US_PER_SEC)
#define OPTS_DEFAULT_TIMEOUT_US      (60 * UNITS_US_PER_SEC)
#define OPTS_DAY_US                  (86400 * UNITS_US_PER_SEC)
#define OPTS_LIMIT_CONCURRENCY       4096

/* Options that take a value, in the order they are checked. */
enum {
    O_WORKLOAD,
    O_CONCURRENCY,
    O_MAX_DURATION,
    O_DURATION,
    O_WARMUP,
    O_RUNS,
    O_TIMEOUT,
    O_OUTPUT_DIR,
    O_CPU_THREADS,
    O_MAX_CONCURRENCY,
    O_PLAN,
    O_NVALUED,
};

static const struct {
    const char *flag, *env;
} opts_valued[O_NVALUED] = {
    [O_WORKLOAD] = {"workload", "WORKLOAD"},
    [O_CONCURRENCY] = {"concurrency", "CONCURRENCY_LEVELS"},
    [O_MAX_DURATION] = {"max-duration", NULL},
    [O_DURATION] = {"duration", "DURATION_SEC"},
    [O_WARMUP] = {"warmup", "WARMUP_ITERS"},
    [O_RUNS] = {"runs", "RUNS"},
    [O_TIMEOUT] = {"timeout", "TIMEOUT_SEC"},
    [O_OUTPUT_DIR] = {"output-dir", "OUTPUT_DIR"},
    [O_CPU_THREADS] = {"cpu-threads", "VCPUS"},
    [O_MAX_CONCURRENCY] = {"max-concurrency", NULL},
    [O_PLAN] = {"plan", "PLAN_NAME"},
};

/* Where each value came from, for messages: "--duration" or "DURATION_SEC". */
struct raw {
    const char *val[O_NVALUED];
    char name[O_NVALUED][32];
    const char *args[OPTS_MAX_ARGS];
    size_t nargs;
};

void opts_usage(FILE *f)
{
    fputs("usage: vmsweep-agent --workload NAME [options]\n"
          "Runs a closed-loop concurrency sweep and writes sweep_<time>.csv, .jsonl and\n"
          "_summary.txt; prints their paths as csv=, jsonl=, summary= on stdout.\n"
          "  --workload NAME          [WORKLOAD] see below\n"
          "  --concurrency LIST       [CONCURRENCY_LEVELS] default \"" OPTS_DEFAULT_LEVELS "\"\n"
          "  --duration TIME          [DURATION_SEC] per run, default 10 (s; 500ms, 2s ...)\n"
          "  --max-duration TIME      upper bound for --duration, default 30s\n"
          "  --warmup N               [WARMUP_ITERS] unrecorded ops per worker, default 100\n"
          "  --runs N                 [RUNS] runs per level, default 1\n"
          "  --timeout TIME           [TIMEOUT_SEC] a run is killed after this, default 60\n"
          "  --output-dir DIR         [OUTPUT_DIR] default " OPTS_DEFAULT_OUTPUT "\n"
          "  --cpu-threads N          [VCPUS] CPUs (event loops) to use, default all online\n"
          "  --oversubscribe          allow --cpu-threads above the online CPUs\n"
          "  --max-concurrency N      refuse levels above N, default 128\n"
          "  --plan LABEL             [PLAN_NAME] row label, default the workload name\n"
          "  --arg KEY=VALUE          workload parameter (repeatable)\n"
          "  --dry-run                check everything, run nothing\n"
          "  --sysinfo                print the machine description as JSON\n"
          "  -q, --quiet              no progress on stderr\n"
          "  -h, --help, -V, --version\n"
          "Workloads:\n",
          f);
    wl_list(f);
    fputs("Exit status: 0 done, 1 the sweep could not run, 2 bad input.\n", f);
}

/* "invalid --duration '10x': reason" once, naming where the value came from. */
static int bad(FILE *err, const struct raw *r, int i, const char *why)
{
    fprintf(err, "vmsweep-agent: invalid %s '%s': %s\n", r->name[i], r->val[i], why);
    return -1;
}

static int parse_count(FILE *err, const struct raw *r, int i, uint64_t min, uint64_t max,
                       uint64_t *out)
{
    char why[96];

    if (!r->val[i])
        return 0;
    if (units_parse_u64(r->val[i], min, max, out) == 0)
        return 0;
    snprintf(why, sizeof(why), "expected an integer in [%llu, %llu]", (unsigned long long)min,
             (unsigned long long)max);
    return bad(err, r, i, why);
}

static int parse_time(FILE *err, const struct raw *r, int i, uint64_t min, uint64_t max,
                      uint64_t *out)
{
    char why[128], lo[32], hi[32];

    if (!r->val[i])
        return 0;
    if (units_parse_duration(r->val[i], UNITS_US_PER_SEC, min, max, out) == 0)
        return 0;
    units_fmt_duration(min, lo, sizeof(lo));
    units_fmt_duration(max, hi, sizeof(hi));
    snprintf(why, sizeof(why), "expected a duration from %s to %s (seconds, or 500ms, 2s, 1m)", lo,
             hi);
    return bad(err, r, i, why);
}

/* Read argv into r: values for the valued options, flags into o. */
static int scan_argv(struct opts *o, struct raw *r, int argc, char **argv, FILE *err)
{
    for (int a = 1; a < argc; a++) {
        const char *s = argv[a], *eq, *val = NULL;
        size_t nlen;
        int i;

        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            o->action = OPTS_HELP;
            continue;
        }
        if (!strcmp(s, "-V") || !strcmp(s, "--version")) {
            o->action = OPTS_VERSION;
            continue;
        }
        if (!strcmp(s, "--sysinfo")) {
            o->action = OPTS_SYSINFO;
            continue;
        }
        if (!strcmp(s, "-q") || !strcmp(s, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (!strcmp(s, "--dry-run")) {
            o->dry_run = 1;
            continue;
        }
        if (!strcmp(s, "--oversubscribe")) {
            o->oversubscribe = 1;
            continue;
        }
        if (strncmp(s, "--", 2) != 0 || !s[2]) {
            fprintf(err, "vmsweep-agent: unexpected argument '%s' (see --help)\n", s);
            return -1;
        }
        eq = strchr(s, '=');
        nlen = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
        if (eq)
            val = eq + 1;
        if (nlen == 3 && !strncmp(s + 2, "arg", 3)) {
            i = O_NVALUED;
        } else {
            for (i = 0; i < O_NVALUED; i++)
                if (strlen(opts_valued[i].flag) == nlen &&
                    !strncmp(opts_valued[i].flag, s + 2, nlen))
                    break;
            if (i == O_NVALUED) {
                fprintf(err, "vmsweep-agent: unknown option '%s' (see --help)\n", s);
                return -1;
            }
        }
        if (!val) {
            if (a + 1 >= argc) {
                fprintf(err, "vmsweep-agent: option '%s' needs a value\n", s);
                return -1;
            }
            val = argv[++a];
        }
        if (i == O_NVALUED) {
            if (r->nargs == OPTS_MAX_ARGS) {
                fprintf(err, "vmsweep-agent: too many --arg options (at most %d)\n", OPTS_MAX_ARGS);
                return -1;
            }
            r->args[r->nargs++] = val;
        } else {
            r->val[i] = val;
            snprintf(r->name[i], sizeof(r->name[i]), "--%s", opts_valued[i].flag);
        }
    }
    return 0;
}

/* The workload and its --arg KEY=VALUE parameters. */
static int parse_workload(struct opts *o, const struct raw *r, FILE *err)
{
    if (!r->val[O_WORKLOAD]) {
        fprintf(err, "vmsweep-agent: no workload given: use --workload NAME (or WORKLOAD); "
                     "see --help\n");
        return -1;
    }
    o->wl = wl_find(r->val[O_WORKLOAD]);
    if (!o->wl) {
        fprintf(err,
                "vmsweep-agent: unknown workload '%s' in %s; known: noop, cpu, mem, sleep, "
                "exec, http, cmd\n",
                r->val[O_WORKLOAD], r->name[O_WORKLOAD]);
        return -1;
    }
    o->wl_cfg = calloc(1, o->wl->cfg_size ? o->wl->cfg_size : 1);
    if (!o->wl_cfg) {
        fprintf(err, "vmsweep-agent: out of memory\n");
        return -1;
    }
    if (o->wl->defaults)
        o->wl->defaults(o->wl_cfg);
    for (size_t k = 0; k < r->nargs; k++) {
        const char *eq = strchr(r->args[k], '=');
        char key[64];
        if (!eq || eq == r->args[k] || (size_t)(eq - r->args[k]) >= sizeof(key)) {
            fprintf(err, "vmsweep-agent: invalid --arg '%s': expected KEY=VALUE\n", r->args[k]);
            return -1;
        }
        memcpy(key, r->args[k], (size_t)(eq - r->args[k]));
        key[eq - r->args[k]] = 0;
        if (o->wl->arg(o->wl_cfg, key, eq + 1, err) < 0)
            return -1;
    }
    return o->wl->check ? o->wl->check(o->wl_cfg, err) : 0;
}

/* The concurrency levels, within --max-concurrency. */
static int parse_levels(struct opts *o, struct raw *r, FILE *err)
{
    char why[128];
    int rc;

    if (parse_count(err, r, O_MAX_CONCURRENCY, 1, OPTS_LIMIT_CONCURRENCY, &o->max_concurrency))
        return -1;
    if (!r->val[O_CONCURRENCY]) {
        r->val[O_CONCURRENCY] = OPTS_DEFAULT_LEVELS;
        snprintf(r->name[O_CONCURRENCY], sizeof(r->name[0]), "--concurrency (default)");
    }
    rc = units_parse_list(r->val[O_CONCURRENCY], 1, UINT32_MAX, o->levels, OPTS_MAX_LEVELS,
                          &o->nlevels);
    if (rc < 0) {
        snprintf(why, sizeof(why),
                 "expected up to %d positive integers separated by spaces or commas",
                 OPTS_MAX_LEVELS);
        return bad(err, r, O_CONCURRENCY, why);
    }
    for (size_t i = 0; i < o->nlevels; i++) {
        if (o->levels[i] > o->max_concurrency) {
            snprintf(why, sizeof(why),
                     "level %llu is above the maximum concurrency %llu (raise --max-concurrency)",
                     (unsigned long long)o->levels[i], (unsigned long long)o->max_concurrency);
            return bad(err, r, O_CONCURRENCY, why);
        }
        for (size_t j = 0; j < i; j++) {
            if (o->levels[j] == o->levels[i]) {
                snprintf(why, sizeof(why), "level %llu is given twice",
                         (unsigned long long)o->levels[i]);
                return bad(err, r, O_CONCURRENCY, why);
            }
        }
    }
    return 0;
}

int opts_parse(struct opts *o, int argc, char **argv, unsigned online_cpus, FILE *err)
{
    struct raw r;
    uint64_t u;
    char why[160], a[32];
    const char *plan;

    memset(o, 0, sizeof(*o));
    memset(&r, 0, sizeof(r));
    o->action = OPTS_RUN;
    o->duration_us = OPTS_DEFAULT_DURATION_US;
    o->max_duration_us = OPTS_DEFAULT_MAX_DURATION_US;
    o->timeout_us = OPTS_DEFAULT_TIMEOUT_US;
    o->warmup = 100;
    o->runs = 1;
    o->max_concurrency = 128;
    o->online_cpus = online_cpus ? online_cpus : 1;
    o->cpu_threads = o->online_cpus;
    o->output_dir = OPTS_DEFAULT_OUTPUT;
    for (int i = 0; i < O_NVALUED; i++) {
        const char *e = opts_valued[i].env ? getenv(opts_valued[i].env) : NULL;
        if (e && *e) {
            r.val[i] = e;
            snprintf(r.name[i], sizeof(r.name[i]), "%s", opts_valued[i].env);
        }
    }
    if (scan_argv(o, &r, argc, argv, err) < 0)
        return -1;
    if (o->action != OPTS_RUN)
        return 0;
    if (parse_workload(o, &r, err) < 0 || parse_levels(o, &r, err) < 0 ||
        parse_time(err, &r, O_MAX_DURATION, UNITS_US_PER_SEC, OPTS_DAY_US, &o->max_duration_us) ||
        parse_time(err, &r, O_DURATION, 100000, o->max_duration_us, &o->duration_us) ||
        parse_count(err, &r, O_WARMUP, 0, 1000000000, &o->warmup) ||
        parse_count(err, &r, O_RUNS, 1, 1000, &o->runs) ||
        parse_time(err, &r, O_TIMEOUT, UNITS_US_PER_SEC, OPTS_DAY_US, &o->timeout_us))
        return -1;
    if (r.val[O_TIMEOUT] && o->timeout_us <= o->duration_us) {
        units_fmt_duration(o->duration_us, a, sizeof(a));
        snprintf(why, sizeof(why), "the timeout must be longer than the duration (%s)", a);
        return bad(err, &r, O_TIMEOUT, why);
    }
    if (o->timeout_us <= o->duration_us) /* only the default is too short: follow the duration */
        o->timeout_us = o->duration_us * 2 + 10 * UNITS_US_PER_SEC;
    if (parse_count(err, &r, O_CPU_THREADS, 1, OPTS_LIMIT_CONCURRENCY, &u) < 0)
        return -1;
    if (r.val[O_CPU_THREADS]) {
        if (u > o->online_cpus && !o->oversubscribe && !o->dry_run) {
            snprintf(a, sizeof(a), "%u", o->online_cpus);
            snprintf(why, sizeof(why),
                     "this machine has %s online CPUs (add --oversubscribe to use more threads)",
                     a);
            return bad(err, &r, O_CPU_THREADS, why);
        }
        o->cpu_threads = (unsigned)u;
    }
    if (r.val[O_OUTPUT_DIR])
        o->output_dir = r.val[O_OUTPUT_DIR];
    if (!*o->output_dir) {
        fprintf(err, "vmsweep-agent: invalid %s '': the output directory is empty\n",
                r.name[O_OUTPUT_DIR]);
        return -1;
    }
    plan = r.val[O_PLAN] ? r.val[O_PLAN] : o->wl->name;
    if (!*plan || strlen(plan) >= sizeof(o->plan))
        return bad(err, &r, O_PLAN, "expected 1 to 127 characters");
    for (const char *c = plan; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return bad(err, &r, O_PLAN, "control characters are not allowed");
    snprintf(o->plan, sizeof(o->plan), "%s", plan);
    return 0;
}

void opts_free(struct opts *o)
{
    if (!o)
        return;
    free(o->wl_cfg);
    o->wl_cfg = NULL;
}
