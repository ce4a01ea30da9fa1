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
#define OPTS_LIMIT_RATE              100000000 /* operations per second, all workers */

/* The rows with a value, in the order they are checked (O_* index them). */
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
    O_RATE,
    O_NVALUED,
    O_OVERSUBSCRIBE = O_NVALUED,
    O_ARG,
    O_NDEFS,
};

const struct opts_def opts_defs[O_NDEFS] = {
    [O_WORKLOAD] = {"workload", "WORKLOAD", OPTS_TEXT, 0, 0, "NAME", "see below"},
    [O_CONCURRENCY] = {"concurrency", "CONCURRENCY_LEVELS", OPTS_LIST, 1, OPTS_LIMIT_CONCURRENCY,
                       "LIST", "concurrency levels, default \"" OPTS_DEFAULT_LEVELS "\""},
    [O_MAX_DURATION] = {"max-duration", NULL, OPTS_DURATION, UNITS_US_PER_SEC, OPTS_DAY_US, "TIME",
                        "upper bound for --duration, default 30s"},
    [O_DURATION] = {"duration", "DURATION_SEC", OPTS_DURATION, 100000, OPTS_DAY_US, "TIME",
                    "per run, default 10 (s; 500ms, 2s ...)"},
    [O_WARMUP] = {"warmup", "WARMUP_ITERS", OPTS_COUNT, 0, 1000000000, "N",
                  "unrecorded ops per worker, default 100"},
    [O_RUNS] = {"runs", "RUNS", OPTS_COUNT, 1, 1000, "N", "runs per level, default 1"},
    [O_TIMEOUT] = {"timeout", "TIMEOUT_SEC", OPTS_DURATION, UNITS_US_PER_SEC, OPTS_DAY_US, "TIME",
                   "a run is killed after this, default 60"},
    [O_OUTPUT_DIR] = {"output-dir", "OUTPUT_DIR", OPTS_TEXT, 0, 0, "DIR",
                      "default " OPTS_DEFAULT_OUTPUT},
    [O_CPU_THREADS] = {"cpu-threads", "VCPUS", OPTS_COUNT, 1, OPTS_LIMIT_CONCURRENCY, "N",
                       "CPUs (event loops) to use, default all online"},
    [O_MAX_CONCURRENCY] = {"max-concurrency", NULL, OPTS_COUNT, 1, OPTS_LIMIT_CONCURRENCY, "N",
                           "refuse levels above N, default 128"},
    [O_PLAN] = {"plan", "PLAN_NAME", OPTS_TEXT, 1, ROW_PLAN_MAX - 1, "LABEL",
                "row label, default the workload name"},
    [O_RATE] = {"rate", "RATE", OPTS_COUNT, 0, OPTS_LIMIT_RATE, "R",
                "open loop: R operations/s in all at a constant arrival rate, latency from each "
                "operation's intended start (0: closed loop, the default)"},
    [O_OVERSUBSCRIBE] = {"oversubscribe", NULL, OPTS_SWITCH, 0, 0, NULL,
                         "allow --cpu-threads above the online CPUs"},
    [O_ARG] = {"arg", NULL, OPTS_PAIR, 0, 0, "KEY=VALUE", "workload parameter (repeatable)"},
};
const size_t opts_ndefs = O_NDEFS;

const struct opts_def *opts_def_find(const char *flag)
{
    for (size_t i = 0; i < O_NDEFS; i++)
        if (!strcmp(opts_defs[i].flag, flag))
            return &opts_defs[i];
    return NULL;
}

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
          "_summary.txt; prints their paths as csv=, jsonl=, summary= on stdout.\n",
          f);
    for (size_t i = 0; i < O_NDEFS; i++) {
        const struct opts_def *d = &opts_defs[i];
        char left[64], env[32] = "";
        snprintf(left, sizeof(left), "--%s%s%s", d->flag, d->metavar ? " " : "",
                 d->metavar ? d->metavar : "");
        if (d->env)
            snprintf(env, sizeof(env), "[%s] ", d->env);
        fprintf(f, "  %-24s %s%s\n", left, env, d->help);
    }
    fputs("  --dry-run                check everything, run nothing\n"
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

/* The count of row i, in the row's range. */
static int parse_count(FILE *err, const struct raw *r, int i, uint64_t *out)
{
    uint64_t min = opts_defs[i].min, max = opts_defs[i].max;
    char why[96];

    if (!r->val[i])
        return 0;
    if (units_parse_u64(r->val[i], min, max, out) == 0)
        return 0;
    snprintf(why, sizeof(why), "expected an integer in [%llu, %llu]", (unsigned long long)min,
             (unsigned long long)max);
    return bad(err, r, i, why);
}

/* The duration of row i, in the row's range (its upper end lowered to max when below). */
static int parse_time(FILE *err, const struct raw *r, int i, uint64_t max, uint64_t *out)
{
    uint64_t min = opts_defs[i].min;
    char why[128], lo[32], hi[32];

    if (max > opts_defs[i].max)
        max = opts_defs[i].max;
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
        if (strncmp(s, "--", 2) != 0 || !s[2]) {
            fprintf(err, "vmsweep-agent: unexpected argument '%s' (see --help)\n", s);
            return -1;
        }
        eq = strchr(s, '=');
        nlen = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
        if (eq)
            val = eq + 1;
        for (i = 0; i < O_NDEFS; i++)
            if (strlen(opts_defs[i].flag) == nlen && !strncmp(opts_defs[i].flag, s + 2, nlen))
                break;
        if (i == O_NDEFS) {
            fprintf(err, "vmsweep-agent: unknown option '%s' (see --help)\n", s);
            return -1;
        }
        if (opts_defs[i].kind == OPTS_SWITCH) {
            if (eq) {
                fprintf(err, "vmsweep-agent: option '--%s' takes no value\n", opts_defs[i].flag);
                return -1;
            }
            o->oversubscribe = 1; /* the one switch */
            continue;
        }
        if (!val) {
            if (a + 1 >= argc) {
                fprintf(err, "vmsweep-agent: option '%s' needs a value\n", s);
                return -1;
            }
            val = argv[++a];
        }
        if (i == O_ARG) {
            if (r->nargs == OPTS_MAX_ARGS) {
                fprintf(err, "vmsweep-agent: too many --arg options (at most %d)\n", OPTS_MAX_ARGS);
                return -1;
            }
            r->args[r->nargs++] = val;
        } else {
            r->val[i] = val;
            snprintf(r->name[i], sizeof(r->name[i]), "--%s", opts_defs[i].flag);
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
        fprintf(err, "vmsweep-agent: unknown workload '%s' in %s; known:", r->val[O_WORKLOAD],
                r->name[O_WORKLOAD]);
        for (size_t i = 0; wl_at(i); i++)
            fprintf(err, "%s %s", i ? "," : "", wl_at(i)->name);
        fputc('\n', err);
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

    if (parse_count(err, r, O_MAX_CONCURRENCY, &o->max_concurrency))
        return -1;
    if (!r->val[O_CONCURRENCY]) {
        r->val[O_CONCURRENCY] = OPTS_DEFAULT_LEVELS;
        snprintf(r->name[O_CONCURRENCY], sizeof(r->name[0]), "--concurrency (default)");
    }
    rc = units_parse_list(r->val[O_CONCURRENCY], opts_defs[O_CONCURRENCY].min,
                          opts_defs[O_CONCURRENCY].max, o->levels, OPTS_MAX_LEVELS, &o->nlevels);
    if (rc < 0) {
        snprintf(why, sizeof(why),
                 "expected up to %d integers in [%llu, %llu] separated by spaces or commas",
                 OPTS_MAX_LEVELS, (unsigned long long)opts_defs[O_CONCURRENCY].min,
                 (unsigned long long)opts_defs[O_CONCURRENCY].max);
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
        const char *e = opts_defs[i].env ? getenv(opts_defs[i].env) : NULL;
        if (e && *e) {
            r.val[i] = e;
            snprintf(r.name[i], sizeof(r.name[i]), "%s", opts_defs[i].env);
        }
    }
    if (scan_argv(o, &r, argc, argv, err) < 0)
        return -1;
    if (o->action != OPTS_RUN)
        return 0;
    if (parse_workload(o, &r, err) < 0 || parse_levels(o, &r, err) < 0 ||
        parse_time(err, &r, O_MAX_DURATION, OPTS_DAY_US, &o->max_duration_us) ||
        parse_time(err, &r, O_DURATION, o->max_duration_us, &o->duration_us) ||
        parse_count(err, &r, O_WARMUP, &o->warmup) || parse_count(err, &r, O_RUNS, &o->runs) ||
        parse_count(err, &r, O_RATE, &o->rate) ||
        parse_time(err, &r, O_TIMEOUT, OPTS_DAY_US, &o->timeout_us))
        return -1;
    /* The open loop paces the agent's own workers: a workload that runs its own loop
     * (event loops, a user's benchmark) cannot be paced from here. */
    if (o->rate && o->wl->run) {
        snprintf(why, sizeof(why),
                 "the '%s' workload runs its own loop; --rate needs a worker workload (cpu, "
                 "sleep, noop, mem, exec)",
                 o->wl->name);
        return bad(err, &r, O_RATE, why);
    }
    if (r.val[O_TIMEOUT] && o->timeout_us <= o->duration_us) {
        units_fmt_duration(o->duration_us, a, sizeof(a));
        snprintf(why, sizeof(why), "the timeout must be longer than the duration (%s)", a);
        return bad(err, &r, O_TIMEOUT, why);
    }
    if (o->timeout_us <= o->duration_us) /* only the default is too short: follow the duration */
        o->timeout_us = o->duration_us * 2 + 10 * UNITS_US_PER_SEC;
    if (parse_count(err, &r, O_CPU_THREADS, &u) < 0)
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
    if (!*plan || strlen(plan) > opts_defs[O_PLAN].max) {
        snprintf(why, sizeof(why), "expected 1 to %llu characters",
                 (unsigned long long)opts_defs[O_PLAN].max);
        return bad(err, &r, O_PLAN, why);
    }
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
