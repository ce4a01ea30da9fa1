/*
 * cmdline — the command lines of `vmsweep run` and `vmsweep local`.
 *
 * Options are first collected in order, then applied over the spec (defaults, then the
 * spec file, then --profile, then flags), so flags always win whatever their position,
 * and every value is validated with the option's name before anything starts.
 */
#include "cmdline.h"

#include "results.h"
#include "comparecmd.h"
#include "csv.h"
#include "fsutil.h"
#include "image.h"
#include "interfere.h"
#include "log.h"
#include "paths.h"
#include "rowmark.h"
#include "run.h"
#include "spec.h"
#include "specopt.h"
#include "units.h"
#include "vm.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* getopt_long's value for row i of specopt_table. */
#define CMDLINE_OPT_BASE 256

static const char cmdline_run_usage[] =
    "usage: vmsweep run [SPEC.json] [options]\n"
    "\n"
    "Boot a capped VM per size, run the agent's concurrency sweep in it, bring the\n"
    "results home, find the knee.  Flags override the spec; the spec overrides defaults.\n"
    "Every flag has a spec key of the same name (see sweeps/README.md, vmsweep(1)).\n"
    "\n";

static const char cmdline_local_usage[] = "usage: vmsweep local [SPEC.json] [options]\n"
                                          "\n"
                                          "Run the agent's sweep on this host, without a VM,\n"
                                          "then analyse it like `vmsweep run` does.\n"
                                          "\n";

#define CMDLINE_JSON_SCHEMA 1 /* schema_version of `run --json` and `local --json` */

static const char cmdline_exit_usage[] =
    "Exit: 0 ok, 1 run failed or incomplete (also when the analysis or writing manifest.json\n"
    "failed), 2 bad input, 3 SLO violated or A/B regression,\n"
    "4 A/B inconclusive, 130/143 interrupted.\n";

/* A setting given on the command line, applied once the spec file is read. */
struct cmdline_flag {
    const struct specopt *opt;
    const char *val;
};

struct cmdline_opts {
    const char *spec_path;
    const char *profile;
    bool print_spec;
    bool no_plot;
    bool no_restore;
    const char *replay;     /* a run folder whose recorded spec is the base */
    cJSON *replay_manifest; /* its manifest.json, parsed once (owned) */
    bool allow_drift;
    bool json;
    int verbosity;
    struct cmdline_flag *flags;
    size_t nflags;
};

/* Apply one flag over the spec: the row's own rule, as for its spec key. */
static int apply_flag(struct spec *s, const struct cmdline_flag *f)
{
    char why[256];
    bool repeatable = f->opt->type == SPECOPT_STRV || f->opt->type == SPECOPT_PAIRS ||
                      f->opt->type == SPECOPT_GATES || f->opt->type == SPECOPT_INTERLEAVE;

    if (specopt_set(s, f->opt, f->val, repeatable, why, sizeof(why)) == 0)
        return 0;
    if (!why[0])
        log_error("out of memory");
    else
        log_error("invalid --%s '%s': %s", f->opt->flag, f->val ? f->val : "", why);
    return -1;
}

/* The getopt_long table and short options of cmd, from specopt_table (caller frees). */
static struct option *cmdline_getopt_table(char *shortopts, size_t len)
{
    struct option *t = calloc(specopt_count + 1, sizeof(*t));
    size_t n = 0, off = 0;

    if (!t)
        return NULL;
    for (size_t i = 0; i < specopt_count; i++) {
        const struct specopt *o = &specopt_table[i];
        bool arg = o->type != SPECOPT_BOOL && o->type != SPECOPT_SWITCH;
        if (!o->flag)
            continue;
        t[n].name = o->flag;
        t[n].has_arg = arg ? required_argument : no_argument;
        t[n].val = CMDLINE_OPT_BASE + (int)i;
        n++;
        if (o->short_flag && off + 3 < len) {
            shortopts[off++] = o->short_flag;
            if (arg)
                shortopts[off++] = ':';
        }
    }
    shortopts[off] = '\0';
    return t;
}

/* The row of getopt's value c (a long option's, or a short option's letter). */
static const struct specopt *cmdline_row(int c)
{
    if (c >= CMDLINE_OPT_BASE && (size_t)(c - CMDLINE_OPT_BASE) < specopt_count)
        return &specopt_table[c - CMDLINE_OPT_BASE];
    for (size_t i = 0; c > 0 && i < specopt_count; i++)
        if (specopt_table[i].short_flag == c)
            return &specopt_table[i];
    return NULL;
}

/* Parse argv into o (collecting flags in order).  Returns 0, 1 for --help, -1 on error. */
static int cmdline_parse(int argc, char **argv, bool local, const char *usage,
                         struct cmdline_opts *o)
{
    char shortopts[32];
    struct option *table = cmdline_getopt_table(shortopts, sizeof(shortopts));
    unsigned cmd = local ? SPECOPT_LOCAL : SPECOPT_RUN;
    int c, ret = -1;

    o->flags = calloc((size_t)argc + 1, sizeof(*o->flags));
    if (!o->flags || !table)
        goto cleanup;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, table, NULL)) != -1) {
        const struct specopt *r = cmdline_row(c);
        if (c == '?' || r == NULL) {
            /* getopt_long sets optopt to the option's value when its argument is missing
             * (a long option's value is no character), and to 0 for an unknown long one. */
            const struct specopt *m = cmdline_row(optopt);
            if (m && m->short_flag == optopt && strncmp(argv[optind - 1], "--", 2) != 0)
                log_error("option '-%c' needs a value (see --help)", optopt);
            else if (m)
                log_error("option '%s' needs a value (see --help)", argv[optind - 1]);
            else if (optopt > 0 && optopt < 128 && isprint(optopt))
                log_error("unknown option '-%c' (see --help)", optopt);
            else
                log_error("unknown option '%s' (see --help)", argv[optind - 1]);
            goto cleanup;
        }
        if (!(r->cmds & cmd)) {
            log_error("option '--%s' is for `vmsweep run`: `vmsweep local` runs on this host "
                      "without a VM",
                      r->flag);
            goto cleanup;
        }
        switch (r->cmd) {
        case SPECOPT_CMD_HELP:
            fputs(usage, stdout);
            specopt_usage(stdout, cmd);
            fputs(cmdline_exit_usage, stdout);
            ret = 1;
            goto cleanup;
        case SPECOPT_CMD_VERBOSE:
            o->verbosity++;
            break;
        case SPECOPT_CMD_QUIET:
            o->verbosity--;
            break;
        case SPECOPT_CMD_PROFILE:
            o->profile = optarg;
            break;
        case SPECOPT_CMD_PRINT_SPEC:
            o->print_spec = true;
            break;
        case SPECOPT_CMD_NO_RESTORE:
            o->no_restore = true;
            break;
        case SPECOPT_CMD_REPLAY:
            o->replay = optarg;
            break;
        case SPECOPT_CMD_ALLOW_DRIFT:
            o->allow_drift = true;
            break;
        case SPECOPT_CMD_JSON:
            o->json = true;
            break;
        case SPECOPT_CMD_NO_PLOT:
            o->no_plot = true;
            break;
        case SPECOPT_CMD_NONE:
            o->flags[o->nflags].opt = r;
            o->flags[o->nflags].val = optarg;
            o->nflags++;
            break;
        }
    }
    for (; optind < argc; optind++) {
        if (o->spec_path) {
            log_error("unexpected argument '%s': one spec file at most", argv[optind]);
            goto cleanup;
        }
        o->spec_path = argv[optind];
    }
    ret = 0;
cleanup:
    free(table);
    return ret;
}

/* RUN_DIR/manifest.json parsed (caller deletes), or NULL (reported). */
static cJSON *replay_manifest(const char *dir)
{
    char *path = fsutil_printf("%s/manifest.json", dir), *text = NULL;
    cJSON *m = NULL;

    if (path && fsutil_read_file(path, &text, NULL) == 0) {
        m = cJSON_Parse(text);
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(m, "spec"))) {
            log_error("'%s' is not the record of a vmsweep run (no \"spec\" in it)", path);
            cJSON_Delete(m);
            m = NULL;
        }
    }
    free(text);
    free(path);
    return m;
}

/* The recorded spec of --replay DIR as the base layer, its output folder left out. */
static int cmdline_replay_spec(struct cmdline_opts *o, struct spec *s)
{
    cJSON *m = o->replay_manifest = replay_manifest(o->replay);
    char *text = m ? cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(m, "spec")) : NULL;
    char *name = fsutil_printf("%s/manifest.json (spec)", o->replay);
    int ret = -1;

    if (o->spec_path)
        log_error("give either a spec file or --replay, not both");
    else if (text && name && spec_load_text(s, name, text) == 0) {
        /* A replay never writes into the run it replays. */
        free(s->output_dir);
        s->output_dir = NULL;
        ret = 0;
    }
    free(text);
    free(name);
    return ret;
}

/* Build the spec: defaults, spec file (or --replay), profile, flags; then check it. */
static int cmdline_spec(struct cmdline_opts *o, struct spec *s)
{
    if (spec_init(s) < 0)
        return -1;
    if (o->replay && cmdline_replay_spec(o, s) < 0)
        return -1;
    if (o->spec_path && spec_load(s, o->spec_path) < 0)
        return -1;
    if (o->profile && spec_load_profile(s, o->profile) < 0)
        return -1;
    for (size_t i = 0; i < o->nflags; i++)
        if (apply_flag(s, &o->flags[i]) < 0)
            return -1;
    spec_finish(s);
    return spec_check(s);
}

/* The default output folder: ./perf_results/<timestamp>/ */
static char *default_outdir(void)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y%m%d_%H%M%S", &tm);
    return fsutil_printf("perf_results/%s", ts);
}

/*
 * Let the agent itself validate its options on this host before any VM boots
 * (--dry-run), so a typo in a workload argument costs nothing and the rules live in one
 * place.  Returns 0, or -1 (the agent said why on stderr).
 */
static int cmdline_validate_agent(const struct spec *s, const char *agent)
{
    struct spec_strv argv = {0};
    int rc = -1;

    if (spec_agent_argv(s, agent, NULL, &argv) == 0 && spec_strv_add(&argv, "--dry-run") == 0)
        rc = 0;
    /* With --interleave the baseline's arguments must be valid too. */
    for (size_t i = 0; rc == 0 && i < s->base_args.n; i++)
        if (spec_strv_add(&argv, "--arg") < 0 || spec_strv_add(&argv, s->base_args.v[i]) < 0)
            rc = -1;
    if (rc == 0)
        rc = fsutil_run(argv.v, NULL, false) == 0 ? 0 : -1;
    spec_strv_free(&argv);
    return rc;
}

/* "1h02m", "3m20s", "45s" */
static void fmt_dur(uint64_t s, char *buf, size_t len)
{
    if (s >= 3600)
        snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
                 (unsigned long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    else
        snprintf(buf, len, "%llus", (unsigned long long)s);
}

/*
 * Say up front how long the sweep will take: levels x runs x duration (plus about a
 * second per run of start-up and warmup), and for `run` a boot per VM size (about 10 s
 * under TCG here; less under KVM).
 */
static void cmdline_announce(const struct spec *s, bool local)
{
    uint64_t per_size = s->nlevels * spec_runs(s) * (s->duration_us / UNITS_US_PER_SEC + 1);
    uint64_t total = local ? per_size : spec_size_count(s) * (per_size + 15);
    char dur[32], each[32];

    fmt_dur(total, dur, sizeof(dur));
    fmt_dur(s->duration_us / UNITS_US_PER_SEC ? s->duration_us / UNITS_US_PER_SEC : 1, each,
            sizeof(each));
    if (local)
        log_info("sweeping %zu level(s) x %llu run(s) of %s: about %s (Ctrl-C stops and keeps "
                 "the rows so far)",
                 s->nlevels, (unsigned long long)spec_runs(s), each, dur);
    else
        log_info("%zu VM size(s), each: boot, then %zu level(s) x %llu run(s) of %s: about %s "
                 "in all (Ctrl-C stops and keeps the rows so far)",
                 spec_size_count(s), s->nlevels, (unsigned long long)spec_runs(s), each, dur);
}

static void cmdline_log_level(const struct cmdline_opts *o)
{
    if (o->verbosity > 0)
        log_set_level(LOG_DEBUG);
    else if (o->verbosity < 0)
        log_set_level(LOG_QUIET);
}

/*
 * What run and local share: parse, build and check the spec, print it (--print-spec),
 * find the agent and let it check its options, pick the output folder.  Returns 0 to go
 * on, or -1 to stop now with *exit_code set (0 after --help, 2 for bad input).
 */
static int cmdline_prepare(int argc, char **argv, bool local, const char *usage,
                           struct cmdline_opts *o, struct spec *s, char **agent, char **outdir,
                           int *exit_code)
{
    int rc = cmdline_parse(argc, argv, local, usage, o);

    *exit_code = 2;
    if (rc != 0) {
        *exit_code = rc > 0 ? 0 : 2;
        return -1;
    }
    cmdline_log_level(o);
    if (cmdline_spec(o, s) < 0)
        return -1;
    /* The agent checks its own options (workload names, arguments) before a spec is
     * printed too: a printed spec is one that runs. */
    *agent = paths_agent(NULL);
    if (!*agent || cmdline_validate_agent(s, *agent) < 0)
        return -1;
    if (o->print_spec) {
        char *j = spec_to_json(s);
        puts(j ? j : "{}");
        free(j);
        *exit_code = 0;
        return -1;
    }
    *outdir = s->output_dir ? strdup(s->output_dir) : default_outdir();
    if (!*outdir) {
        *exit_code = 1;
        return -1;
    }
    cmdline_announce(s, local);
    return 0;
}

/*
 * What may make a replay differ from the run it replays: another guest image or another
 * vmsweep.  Each is reported; -1 unless --allow-drift.
 */
static int cmdline_replay_drift(const struct cmdline_opts *o, const struct spec *s)
{
    const cJSON *m = o->replay_manifest;
    struct image img;
    int drift = 0;

    if (m == NULL)
        return -1;
    memset(&img, 0, sizeof(img));
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(m, "vmsweep_version");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(m, "image"), "manifest_sha256");
    if (!cJSON_IsString(ver) || strcmp(ver->valuestring, VMSWEEP_VERSION) != 0) {
        (o->allow_drift ? log_warn : log_error)(
            "replay of '%s': it was run by vmsweep %s, this is %s", o->replay,
            cJSON_IsString(ver) ? ver->valuestring : "(unknown)", VMSWEEP_VERSION);
        drift++;
    }
    if (image_resolve(s->image, &img) == 0) {
        if (!cJSON_IsString(sha) || strcmp(sha->valuestring, img.manifest_sha256) != 0) {
            (o->allow_drift ? log_warn : log_error)(
                "replay of '%s': image '%s' is not the one it ran (manifest sha256 %.12s then, "
                "%.12s now)",
                o->replay, s->image, cJSON_IsString(sha) ? sha->valuestring : "(unknown)",
                img.manifest_sha256);
            drift++;
        }
        image_free(&img);
    }
    if (drift && !o->allow_drift) {
        log_error("not replaying '%s': its numbers could not be compared fairly (--allow-drift "
                  "replays anyway)",
                  o->replay);
        return -1;
    }
    return 0;
}

/* --json: what the command prints on stdout meanwhile goes to /dev/null; the saved
 * stdout (a descriptor) gets the one document at the end (cmdline_json_end).  -1 when
 * stdout cannot be saved (reported). */
static int cmdline_json_begin(void)
{
    int saved, null;

    fflush(stdout);
    saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0) {
        log_error("cannot set stdout aside for --json: %s", strerror(errno));
        if (saved >= 0)
            close(saved);
        if (null >= 0)
            close(null);
        return -1;
    }
    close(null);
    return saved;
}

/* The document of `run --json` / `local --json` (docs/json.md) onto the saved stdout. */
static void cmdline_json_end(int saved, const char *command, const char *outdir, int exit_code)
{
    static const struct {
        const char *file, *key;
    } files[] = {{"manifest.json", "manifest"}, {"knee.json", "knees"}, {"sizing.json", "sizing"}};
    cJSON *doc = cJSON_CreateObject();
    char *text = NULL;

    fflush(stdout);
    if (dup2(saved, STDOUT_FILENO) < 0)
        log_error("cannot restore stdout for --json: %s", strerror(errno));
    close(saved);
    if (!doc)
        return;
    cJSON_AddNumberToObject(doc, "schema_version", CMDLINE_JSON_SCHEMA);
    cJSON_AddStringToObject(doc, "command", command);
    cJSON_AddStringToObject(doc, "dir", outdir ? outdir : "");
    cJSON_AddNumberToObject(doc, "exit_code", exit_code);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = outdir ? fsutil_printf("%s/%s", outdir, files[i].file) : NULL, *data = NULL;
        cJSON *v = NULL;
        if (path && fsutil_exists(path) && fsutil_read_file(path, &data, NULL) == 0)
            v = cJSON_Parse(data);
        cJSON_AddItemToObject(doc, files[i].key, v ? v : cJSON_CreateNull());
        free(data);
        free(path);
    }
    text = cJSON_PrintUnformatted(doc);
    if (text)
        printf("%s\n", text);
    fflush(stdout);
    free(text);
    cJSON_Delete(doc);
}

int cmdline_run(int argc, char **argv)
{
    struct cmdline_opts o = {0};
    struct spec s;
    struct run_opts ro = {0};
    char *agent = NULL, *outdir = NULL, *foreign[DOMXML_NARCH] = {0};
    int ret, json_fd = -1;

    memset(&s, 0, sizeof(s));
    if (cmdline_prepare(argc, argv, false, cmdline_run_usage, &o, &s, &agent, &outdir, &ret) < 0)
        goto cleanup;
    /* The agent pushed into a guest is the one built for its architecture (the host's
     * checked the options). */
    for (int a = 0; a < DOMXML_NARCH; a++) {
        if (!(s.arches & (1u << a)))
            continue;
        if ((enum domxml_arch)a == domxml_host_arch()) {
            ro.agents[a] = agent;
        } else if (!(ro.agents[a] = foreign[a] = paths_agent(domxml_arch_names[a]))) {
            ret = 2;
            goto cleanup;
        }
    }
    ro.outdir = outdir;
    ro.no_plot = o.no_plot;
    ro.no_restore = o.no_restore;
    if (o.replay && cmdline_replay_drift(&o, &s) < 0) {
        ret = 2;
        goto cleanup;
    }
    if (o.json && (json_fd = cmdline_json_begin()) < 0) {
        ret = 1;
        goto cleanup;
    }
    run_install_signals();
    ret = run_sweep(&s, &ro);
    if (o.replay && ret == 0) {
        /* The point of a replay: the same numbers as then?  compare says, as it exits. */
        char *cargv[] = {"compare", (char *)o.replay, outdir, NULL};
        int v = comparecmd_main(3, cargv);
        log_info("replay of '%s': compare exited %d (%s)", o.replay, v,
                 v == 0   ? "no regression"
                 : v == 3 ? "regression"
                 : v == 4 ? "inconclusive"
                          : "no verdict");
        ret = v == 2 ? 1 : v;
    }
    if (json_fd >= 0)
        cmdline_json_end(json_fd, "run", outdir, ret);
cleanup:
    spec_free(&s);
    free(o.flags);
    cJSON_Delete(o.replay_manifest);
    free(agent);
    for (int a = 0; a < DOMXML_NARCH; a++)
        free(foreign[a]);
    free(outdir);
    return ret;
}

/*
 * vmsweep local: judge each run of the CSV at path by how busy the host was meanwhile
 * (interfere_local_share) and write the verdict into its cpu_share column, so the
 * analysis leaves starved runs out.  There is no VM to start again with a quieter host:
 * starved runs are flagged, not measured again.
 */
static void cmdline_local_judge(const char *path)
{
    struct csv_table *t = NULL;
    struct rowmark *m = NULL;
    size_t starved = 0;

    if (csv_read(path, NULL, &t) < 0 || !t->n || !(m = calloc(t->n, sizeof(*m))))
        goto cleanup;
    for (size_t i = 0; i < t->n; i++) {
        const struct csv_row *r = &t->rows[i];
        m[i].concurrency = r->concurrency;
        m[i].run_idx = r->run_idx;
        bool failed = r->timeout_killed || (r->exit_code && !r->qps); /* not judged */
        m[i].share = failed ? NAN
                            : interfere_local_share(r->busy_cpus, r->other_cpus, r->wait_cpus,
                                                    (double)r->vcpus, r->cpu_threads);
        if (interfere_spoiled(m[i].share) && starved++ < 8)
            log_warn("N=%llu run %llu: it got %.0f%% of the CPU it called for while other "
                     "processes used %.2f of this host's %llu CPUs: host busy; left out",
                     (unsigned long long)r->concurrency, (unsigned long long)r->run_idx + 1,
                     m[i].share * 100, r->other_cpus, (unsigned long long)r->vcpus);
    }
    if (starved)
        log_warn("%zu of %zu runs were starved by other processes on this host; run again on a "
                 "quiet host",
                 starved, t->n);
    if (rowmark_apply(path, m, t->n) < 0)
        log_warn("could not write the runs' cpu_share into '%s'", path);
cleanup:
    free(m);
    csv_free(t);
}

int cmdline_local(int argc, char **argv)
{
    struct cmdline_opts o = {0};
    struct spec s;
    struct spec_strv av = {0}, csvs = {0};
    char *agent = NULL, *outdir = NULL, *out = NULL;
    int ret, rc, json_fd = -1;

    memset(&s, 0, sizeof(s));
    if (cmdline_prepare(argc, argv, true, cmdline_local_usage, &o, &s, &agent, &outdir, &ret) < 0)
        goto cleanup;
    if (s.runs == 0) {
        log_error("'--runs auto' is for `vmsweep run`: give `vmsweep local` a number of runs");
        ret = 2;
        goto cleanup;
    }
    if (spec_agent_argv(&s, agent, outdir, &av) < 0 ||
        (o.json && (json_fd = cmdline_json_begin()) < 0)) {
        ret = 1;
        goto cleanup;
    }
    /* SIGINT reaches the agent too (same process group): it stops and keeps its rows. */
    signal(SIGINT, SIG_IGN);
    rc = fsutil_run(av.v, &out, false); /* stdout for the csv= lines, stderr shown */
    signal(SIGINT, SIG_DFL);
    for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "csv=", 4))
            spec_strv_add(&csvs, line + 4);
        printf("%s\n", line);
    }
    if (rc != 0) {
        log_error("the agent failed (exit %d)", rc);
        ret = rc >= 128 ? rc : 1;
        goto cleanup;
    }
    ret = 0;
    for (size_t i = 0; i < csvs.n; i++)
        cmdline_local_judge(csvs.v[i]);
    if (!o.no_plot && csvs.n &&
        results_analyse((const char *const *)csvs.v, csvs.n, outdir, &s) < 0)
        ret = 1;
    if (ret == 0) {
        rc = results_gates((const char *const *)csvs.v, csvs.n, &s, NULL);
        ret = rc < 0 ? 1 : rc;
    }
cleanup:
    if (json_fd >= 0)
        cmdline_json_end(json_fd, "local", outdir, ret);
    spec_free(&s);
    spec_strv_free(&av);
    spec_strv_free(&csvs);
    free(o.flags);
    free(agent);
    free(outdir);
    free(out);
    return ret;
}
