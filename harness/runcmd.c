/*
 * runcmd — the command lines of `vmsweep run` and `vmsweep local`.
 *
 * Options are first collected in order, then applied over the spec (defaults, then the
 * spec file, then --profile, then flags), so flags always win whatever their position,
 * and every value is validated with the option's name before anything starts.
 */
#include "runcmd.h"

#include "analyse.h"
#include "comparecmd.h"
#include "fsutil.h"
#include "image.h"
#include "log.h"
#include "paths.h"
#include "run.h"
#include "spec.h"
#include "units.h"
#include "vm.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    OPT_VCPUS = 256, /* the VM's options first: local refuses them */
    OPT_MEMORY,
    OPT_CPU_MODEL,
    OPT_TOPOLOGY,
    OPT_NUMA,
    OPT_CPU_CAP,
    OPT_PIN,
    OPT_ALLOW_UNCAPPED,
    OPT_IMAGE,
    OPT_CONNECT,
    OPT_ACCEL,
    OPT_CPU_FALLBACK,
    OPT_DEADMAN,
    OPT_BOOT_TIMEOUT,
    OPT_PUSH,
    OPT_SETUP,
    OPT_REFINE,
    OPT_INTERLEAVE,
    OPT_BASE_ARG,
    OPT_REPLAY,
    OPT_ALLOW_DRIFT,
    OPT_VM_LAST = OPT_ALLOW_DRIFT,
    OPT_WORKLOAD,
    OPT_CONCURRENCY,
    OPT_DURATION,
    OPT_MAX_DURATION,
    OPT_WARMUP,
    OPT_RUNS,
    OPT_TIMEOUT,
    OPT_MAX_CONCURRENCY,
    OPT_CPU_THREADS,
    OPT_OVERSUBSCRIBE,
    OPT_PLAN,
    OPT_ARG,
    OPT_SLO_P99,
    OPT_NO_PLOT,
    OPT_NO_RESTORE,
    OPT_PROFILE,
    OPT_NAME,
    OPT_PRINT_SPEC,
    OPT_SLO,
    OPT_MAX_ERROR_RATE,
    OPT_MIN_FAIRNESS,
};

/* Options of run and local; local refuses those up to OPT_VM_LAST (the VM's). */
// clang-format off
static const struct option runcmd_opts[] = {
    {"vcpus", required_argument, NULL, OPT_VCPUS},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"cpu-model", required_argument, NULL, OPT_CPU_MODEL},
    {"topology", required_argument, NULL, OPT_TOPOLOGY},
    {"numa", required_argument, NULL, OPT_NUMA},
    {"cpu-cap", required_argument, NULL, OPT_CPU_CAP},
    {"pin", no_argument, NULL, OPT_PIN},
    {"allow-uncapped", no_argument, NULL, OPT_ALLOW_UNCAPPED},
    {"image", required_argument, NULL, OPT_IMAGE},
    {"connect", required_argument, NULL, OPT_CONNECT},
    {"accel", required_argument, NULL, OPT_ACCEL},
    {"cpu-fallback", required_argument, NULL, OPT_CPU_FALLBACK},
    {"deadman", required_argument, NULL, OPT_DEADMAN},
    {"boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT},
    {"push", required_argument, NULL, OPT_PUSH},
    {"setup", required_argument, NULL, OPT_SETUP},
    {"refine", no_argument, NULL, OPT_REFINE},
    {"interleave", required_argument, NULL, OPT_INTERLEAVE},
    {"ab", required_argument, NULL, OPT_INTERLEAVE},
    {"base-arg", required_argument, NULL, OPT_BASE_ARG},
    {"workload", required_argument, NULL, OPT_WORKLOAD},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"max-duration", required_argument, NULL, OPT_MAX_DURATION},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"runs", required_argument, NULL, OPT_RUNS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-concurrency", required_argument, NULL, OPT_MAX_CONCURRENCY},
    {"cpu-threads", required_argument, NULL, OPT_CPU_THREADS},
    {"oversubscribe", no_argument, NULL, OPT_OVERSUBSCRIBE},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"arg", required_argument, NULL, OPT_ARG},
    {"output-dir", required_argument, NULL, 'o'},
    {"slo-p99", required_argument, NULL, OPT_SLO_P99},
    {"no-plot", no_argument, NULL, OPT_NO_PLOT},
    {"no-restore", no_argument, NULL, OPT_NO_RESTORE},
    {"replay", required_argument, NULL, OPT_REPLAY},
    {"allow-drift", no_argument, NULL, OPT_ALLOW_DRIFT},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"name", required_argument, NULL, OPT_NAME},
    {"print-spec", no_argument, NULL, OPT_PRINT_SPEC},
    {"slo", required_argument, NULL, OPT_SLO},
    {"max-error-rate", required_argument, NULL, OPT_MAX_ERROR_RATE},
    {"min-fairness", required_argument, NULL, OPT_MIN_FAIRNESS},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
// clang-format on

static const char runcmd_run_usage[] =
    "usage: vmsweep run [SPEC.json] [options]\n"
    "\n"
    "Boot a capped VM per size, run the agent's concurrency sweep in it, bring the\n"
    "results home, find the knee.  Flags override the spec; the spec overrides defaults.\n"
    "\n"
    "VM:\n"
    "  --vcpus LIST          one VM per entry, e.g. 1,2 (default 2)\n"
    "  --memory SIZE         guest RAM, e.g. 1G (default 1G)\n"
    "  --cpu-model NAME      QEMU CPU model (default EPYC-Rome)\n"
    "  --topology S:D:C:T    sockets:dies:cores:threads (default 1:1:VCPUS:1)\n"
    "  --numa N              N NUMA cells, CPUs and memory split evenly\n"
    "  --cpu-cap PCT         per-vCPU CPU quota in % of a host CPU\n"
    "  --pin                 pin vCPUs (vcpupin) and the emulator (emulatorpin)\n"
    "  --allow-uncapped      run even when a cap cannot be applied (reported)\n"
    "  --image NAME|PATH     guest image (default tiny; see 'vmsweep image')\n"
    "  --connect URI         libvirt URI (default: embedded driver, no daemon)\n"
    "  --accel auto|kvm|tcg  accelerator (default auto: KVM when a probe boot proves it\n"
    "                        works, else TCG; the reason is in manifest.json)\n"
    "  --cpu-fallback tcg|host|fail\n"
    "                        when KVM cannot give the CPU model on this host: run it\n"
    "                        under TCG (default), use the host CPU on KVM, or exit 1\n"
    "  --deadman DURATION    guest powers off when the host is silent this long (300s)\n"
    "  --boot-timeout DUR    wait this long for SSH (default 180s)\n"
    "  --push LOCAL[:REMOTE] copy a file into the guest (default /root/NAME)\n"
    "  --setup CMD           shell command run in the guest before the sweep\n"
    "  --interleave CMD      A/B: CMD is the baseline of the cmd/exec workload, --arg cmd=\n"
    "                        the candidate; repetitions alternate A B B A in the same VM,\n"
    "                        then `vmsweep compare` gives the verdict (exit 3: regression)\n"
    "  --base-arg KEY=VALUE  A/B with any workload: the baseline's --arg overrides\n"
    "  --refine              after the sweep, measure the skipped levels between knee/2\n"
    "                        and 2*knee in the same VM (a doubling grid only brackets it)\n"
    "  --replay RUN_DIR      run again the sweep recorded in RUN_DIR/manifest.json, then\n"
    "                        compare the new results with the old (exit 3: regression,\n"
    "                        4: inconclusive); refused when the image or vmsweep changed\n"
    "  --allow-drift         replay even so (the differences are reported)\n"
    "\n";

static const char runcmd_local_usage[] = "usage: vmsweep local [SPEC.json] [options]\n"
                                         "\n"
                                         "Run the agent's sweep on this host, without a VM,\n"
                                         "then analyse it like `vmsweep run` does.\n"
                                         "\n";

static const char runcmd_common_usage[] =
    "Agent:\n"
    "  --workload NAME       noop, cpu, mem, sleep, exec, http, cmd (default cpu)\n"
    "  --concurrency LIST    levels, e.g. \"1 2 4 8\" (default 1..128 doubling)\n"
    "  --duration DUR        per run (default 10s; at most --max-duration, 30s)\n"
    "  --max-duration DUR    raise the duration limit\n"
    "  --warmup N            warmup operations per worker (default 100)\n"
    "  --runs N              repetitions per level (default 1)\n"
    "  --timeout DUR         a run still going after this is killed (default 60s)\n"
    "  --max-concurrency N   refuse levels above N (default 128)\n"
    "  --cpu-threads N       worker CPU threads (default: the CPUs)\n"
    "  --oversubscribe       allow more threads than CPUs\n"
    "  --plan LABEL          plan name in the CSV (default: the workload)\n"
    "  --arg KEY=VALUE       workload parameter (repeatable), e.g. work=20000\n"
    "\n"
    "Output:\n"
    "  -o, --output-dir DIR  default ./perf_results/<timestamp>/\n"
    "  --slo-p99 US          cap the recommendation at this p99 (µs)\n"
    "  --slo GATE            fail with exit 3 unless GATE holds, e.g. p99_us<=2000@32\n"
    "                        (repeatable; METRIC: qps, p50_us, p90_us, p99_us, ...)\n"
    "  --max-error-rate PCT  fail with exit 3 when errors/ops exceeds PCT at any level\n"
    "  --min-fairness F      fail with exit 3 when Jain's fairness drops below F\n"
    "  --no-plot             skip the analysis and plots\n"
    "  --no-restore          boot every VM cold (by default a configuration seen before\n"
    "                        starts from its saved state; manifest.json says which)\n"
    "  --profile NAME        apply sweeps/NAME.json (e.g. epyc-rome-8c-nps2)\n"
    "  --name NAME           name of the sweep\n"
    "  --print-spec          print the resolved spec as JSON and exit\n"
    "  -v, --verbose         more logs;  -q, --quiet  fewer logs\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit: 0 ok, 1 run failed or incomplete (also when the analysis or writing manifest.json\n"
    "failed), 2 bad input, 3 SLO violated or A/B regression,\n"
    "4 A/B inconclusive, 130/143 interrupted.\n";

struct runcmd_flag {
    int id;
    const char *name;
    const char *val;
};

struct runcmd_opts {
    const char *spec_path;
    const char *profile;
    bool print_spec;
    bool no_plot;
    bool no_restore;
    const char *replay; /* a run folder whose recorded spec is the base */
    bool allow_drift;
    int verbosity;
    struct runcmd_flag *flags;
    size_t nflags;
};

static const char *opt_name(const struct option *opts, int id)
{
    for (size_t i = 0; opts[i].name; i++)
        if (opts[i].val == id)
            return opts[i].name;
    return "?";
}

static int bad(const char *name, const char *val, const char *what)
{
    log_error("invalid --%s '%s': %s", name, val, what);
    return -1;
}

/* Apply one flag over the spec; -1 with a message naming the option. */
static int apply_flag(struct spec *s, const struct runcmd_flag *f)
{
    const char *v = f->val ? f->val : "", *n = f->name;
    uint64_t u;
    int rc;

    switch (f->id) {
    case OPT_VCPUS:
        return spec_parse_sizes(s, v) < 0 ? bad(n, v, "expected vCPU counts 1..256, e.g. 1,2") : 0;
    case OPT_MEMORY:
        if (units_parse_size(v, 1ULL << 20, 64ULL << 20, 4ULL << 40, &u) < 0)
            return bad(n, v, "expected a size from 64M to 4T, e.g. 1G");
        s->memory_mib = u >> 20;
        return 0;
    case OPT_CPU_MODEL:
        if (!spec_cpu_model_ok(v))
            return bad(n, v, "expected " SPEC_CPU_MODEL_RULE);
        return spec_set_str(&s->cpu_model, v);
    case OPT_TOPOLOGY:
        return spec_parse_topology(s, v) < 0 ? bad(n, v, "expected S:D:C:T, e.g. 1:1:2:1") : 0;
    case OPT_NUMA:
        if (units_parse_u64(v, 0, DOMXML_MAX_CELLS, &u) < 0)
            return bad(n, v, "expected a number of NUMA cells, 0..16");
        s->numa = (unsigned)u;
        s->ncells = 0;
        return 0;
    case OPT_CPU_CAP:
        /* 0 is no cap, as "cpu_cap": 0 in a spec (and what --print-spec writes). */
        if (units_parse_u64(v, 0, 100, &u) < 0)
            return bad(n, v, "expected a percentage 0..100 (0: no cap)");
        s->cpu_cap_pct = (unsigned)u;
        return 0;
    case OPT_PIN:
        s->pin = true;
        return 0;
    case OPT_ALLOW_UNCAPPED:
        s->allow_uncapped = true;
        return 0;
    case OPT_IMAGE:
        return spec_set_str(&s->image, v);
    case OPT_CONNECT:
        return spec_set_str(&s->connect, v);
    case OPT_ACCEL:
        if (!strcmp(v, "auto"))
            s->accel = SPEC_ACCEL_AUTO;
        else if (!strcmp(v, "kvm"))
            s->accel = SPEC_ACCEL_KVM;
        else if (!strcmp(v, "tcg"))
            s->accel = SPEC_ACCEL_TCG;
        else
            return bad(n, v, "expected auto, kvm or tcg");
        return 0;
    case OPT_CPU_FALLBACK:
        if (!strcmp(v, "tcg"))
            s->cpu_fallback = SPEC_CPU_FALLBACK_TCG;
        else if (!strcmp(v, "host"))
            s->cpu_fallback = SPEC_CPU_FALLBACK_HOST;
        else if (!strcmp(v, "fail"))
            s->cpu_fallback = SPEC_CPU_FALLBACK_FAIL;
        else
            return bad(n, v, "expected tcg, host or fail");
        return 0;
    case OPT_DEADMAN:
        if (units_parse_duration(v, UNITS_US_PER_SEC, 10 * UNITS_US_PER_SEC,
                                 86400 * UNITS_US_PER_SEC, &u) < 0)
            return bad(n, v, "expected a duration from 10s to 24h");
        s->deadman_s = (unsigned)(u / UNITS_US_PER_SEC);
        return 0;
    case OPT_BOOT_TIMEOUT:
        rc = units_parse_duration(v, UNITS_US_PER_SEC, UNITS_US_PER_SEC, 3600 * UNITS_US_PER_SEC,
                                  &s->boot_timeout_us);
        return rc < 0 ? bad(n, v, "expected a duration from 1s to 1h") : 0;
    case OPT_PUSH:
        return spec_strv_add(&s->push, v);
    case OPT_SETUP:
        return spec_strv_add(&s->setup, v);
    case OPT_REFINE:
        s->refine = true;
        return 0;
    case OPT_INTERLEAVE: {
        char *kv = fsutil_printf("cmd=%s", v);
        int rc2 = kv ? spec_strv_add(&s->base_args, kv) : -1;
        free(kv);
        return rc2;
    }

    case OPT_WORKLOAD:
        return spec_set_str(&s->workload, v);
    case OPT_CONCURRENCY:
        rc = units_parse_list(v, 1, 1024, s->levels, SPEC_MAX_LEVELS, &s->nlevels);
        return rc < 0 ? bad(n, v, "expected levels 1..1024 separated by commas or spaces") : 0;
    case OPT_DURATION:
        rc = units_parse_duration(v, UNITS_US_PER_SEC, 100000, 86400 * UNITS_US_PER_SEC,
                                  &s->duration_us);
        return rc < 0 ? bad(n, v, "expected a duration such as 10, 10s or 500ms (at least 100ms)")
                      : 0;
    case OPT_MAX_DURATION:
        rc = units_parse_duration(v, UNITS_US_PER_SEC, 100000, 86400 * UNITS_US_PER_SEC,
                                  &s->max_duration_us);
        return rc < 0 ? bad(n, v, "expected a duration such as 60s") : 0;
    case OPT_WARMUP:
        return units_parse_u64(v, 0, 100000000, &s->warmup) < 0
                   ? bad(n, v, "expected a number of operations")
                   : 0;
    case OPT_RUNS:
        return units_parse_u64(v, 1, 1000, &s->runs) < 0 ? bad(n, v, "expected 1..1000") : 0;
    case OPT_TIMEOUT:
        rc = units_parse_duration(v, UNITS_US_PER_SEC, UNITS_US_PER_SEC, 86400 * UNITS_US_PER_SEC,
                                  &s->timeout_us);
        return rc < 0 ? bad(n, v, "expected a duration of at least 1s") : 0;
    case OPT_MAX_CONCURRENCY:
        return units_parse_u64(v, 1, 1024, &s->max_concurrency) < 0 ? bad(n, v, "expected 1..1024")
                                                                    : 0;
    case OPT_CPU_THREADS:
        if (units_parse_u64(v, 1, 1024, &u) < 0)
            return bad(n, v, "expected 1..1024");
        s->cpu_threads = (unsigned)u;
        return 0;
    case OPT_OVERSUBSCRIBE:
        s->oversubscribe = true;
        return 0;
    case OPT_PLAN:
        return spec_set_str(&s->plan, v);
    case OPT_ARG:
    case OPT_BASE_ARG:
        if (!strchr(v, '=') || v[0] == '=')
            return bad(n, v, "expected KEY=VALUE");
        return spec_strv_add(f->id == OPT_ARG ? &s->args : &s->base_args, v);
    case 'o':
        return spec_set_str(&s->output_dir, v);
    case OPT_SLO_P99:
        return units_parse_u64(v, 1, UINT32_MAX, &s->slo_p99_us) < 0
                   ? bad(n, v, "expected a p99 bound in microseconds")
                   : 0;
    case OPT_NAME:
        return spec_set_str(&s->name, v);
    case OPT_SLO:
        if (!analyse_gate_ok(v))
            return bad(n, v, "expected METRIC<=VALUE[@CONCURRENCY] or >=, e.g. p99_us<=2000@32");
        return spec_strv_add(&s->slo, v);
    case OPT_MAX_ERROR_RATE:
    case OPT_MIN_FAIRNESS: {
        char *end = NULL;
        double d = strtod(v, &end);
        double lim = f->id == OPT_MAX_ERROR_RATE ? 100 : 1;
        /* "5%" as compare takes it. */
        if (f->id == OPT_MAX_ERROR_RATE && end != v && *end == '%')
            end++;
        if (end == v || *end || !(d >= 0 && d <= lim))
            return bad(n, v,
                       f->id == OPT_MAX_ERROR_RATE ? "expected a percentage 0..100"
                                                   : "expected a fraction 0..1");
        *(f->id == OPT_MAX_ERROR_RATE ? &s->max_error_pct : &s->min_fairness) = d;
        return 0;
    }
    }
    return 0;
}

/* Parse argv into o (collecting flags in order).  Returns 0, 1 for --help, -1 on error. */
static int runcmd_parse(int argc, char **argv, bool local, const char *usage, struct runcmd_opts *o)
{
    int c;

    o->flags = calloc((size_t)argc + 1, sizeof(*o->flags));
    if (!o->flags)
        return -1;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:vqh", runcmd_opts, NULL)) != -1) {
        if (local && c >= OPT_VCPUS && c <= OPT_VM_LAST) {
            log_error("option '--%s' is for `vmsweep run`: `vmsweep local` runs on this host "
                      "without a VM",
                      opt_name(runcmd_opts, c));
            return -1;
        }
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            fputs(runcmd_common_usage, stdout);
            return 1;
        case 'v':
            o->verbosity++;
            break;
        case 'q':
            o->verbosity--;
            break;
        case OPT_PROFILE:
            o->profile = optarg;
            break;
        case OPT_PRINT_SPEC:
            o->print_spec = true;
            break;
        case OPT_NO_RESTORE:
            o->no_restore = true;
            break;
        case OPT_REPLAY:
            o->replay = optarg;
            break;
        case OPT_ALLOW_DRIFT:
            o->allow_drift = true;
            break;
        case OPT_NO_PLOT:
            o->no_plot = true;
            break;
        case '?':
            /* getopt_long sets optopt to the option's value when its argument is missing
             * (a long option's value is no character), and to 0 for an unknown long one. */
            if (optopt >= OPT_VCPUS || optopt == 'o')
                log_error("option '%s' needs a value (see --help)",
                          optopt == 'o' && strcmp(argv[optind - 1], "--output-dir") != 0
                              ? "-o"
                              : argv[optind - 1]);
            else if (optopt > 0 && optopt < 128 && isprint(optopt))
                log_error("unknown option '-%c' (see --help)", optopt);
            else
                log_error("unknown option '%s' (see --help)", argv[optind - 1]);
            return -1;
        default:
            o->flags[o->nflags].id = c;
            o->flags[o->nflags].name = opt_name(runcmd_opts, c);
            o->flags[o->nflags].val = optarg;
            o->nflags++;
            break;
        }
    }
    for (; optind < argc; optind++) {
        if (o->spec_path) {
            log_error("unexpected argument '%s': one spec file at most", argv[optind]);
            return -1;
        }
        o->spec_path = argv[optind];
    }
    return 0;
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
static int runcmd_replay_spec(const struct runcmd_opts *o, struct spec *s)
{
    cJSON *m = replay_manifest(o->replay);
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
    cJSON_Delete(m);
    free(text);
    free(name);
    return ret;
}

/* Build the spec: defaults, spec file (or --replay), profile, flags; then check it. */
static int runcmd_spec(const struct runcmd_opts *o, struct spec *s)
{
    if (spec_init(s) < 0)
        return -1;
    if (o->replay && runcmd_replay_spec(o, s) < 0)
        return -1;
    if (o->spec_path && spec_load(s, o->spec_path) < 0)
        return -1;
    if (o->profile && spec_load_profile(s, o->profile) < 0)
        return -1;
    for (size_t i = 0; i < o->nflags; i++)
        if (apply_flag(s, &o->flags[i]) < 0)
            return -1;
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
static int runcmd_validate_agent(const struct spec *s, const char *agent)
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
static void runcmd_announce(const struct spec *s, bool local)
{
    uint64_t per_size = s->nlevels * s->runs * (s->duration_us / UNITS_US_PER_SEC + 1);
    uint64_t total = local ? per_size : s->nsizes * (per_size + 15);
    char dur[32], each[32];

    fmt_dur(total, dur, sizeof(dur));
    fmt_dur(s->duration_us / UNITS_US_PER_SEC ? s->duration_us / UNITS_US_PER_SEC : 1, each,
            sizeof(each));
    if (local)
        log_info("sweeping %zu level(s) x %llu run(s) of %s: about %s (Ctrl-C stops and keeps "
                 "the rows so far)",
                 s->nlevels, (unsigned long long)s->runs, each, dur);
    else
        log_info("%zu VM size(s), each: boot, then %zu level(s) x %llu run(s) of %s: about %s "
                 "in all (Ctrl-C stops and keeps the rows so far)",
                 s->nsizes, s->nlevels, (unsigned long long)s->runs, each, dur);
}

static void runcmd_log_level(const struct runcmd_opts *o)
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
static int runcmd_prepare(int argc, char **argv, bool local, const char *usage,
                          struct runcmd_opts *o, struct spec *s, char **agent, char **outdir,
                          int *exit_code)
{
    int rc = runcmd_parse(argc, argv, local, usage, o);

    *exit_code = 2;
    if (rc != 0) {
        *exit_code = rc > 0 ? 0 : 2;
        return -1;
    }
    runcmd_log_level(o);
    if (runcmd_spec(o, s) < 0)
        return -1;
    /* The agent checks its own options (workload names, arguments) before a spec is
     * printed too: a printed spec is one that runs. */
    *agent = paths_agent();
    if (!*agent || runcmd_validate_agent(s, *agent) < 0)
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
    runcmd_announce(s, local);
    return 0;
}

/*
 * What may make a replay differ from the run it replays: another guest image or another
 * vmsweep.  Each is reported; -1 unless --allow-drift.
 */
static int runcmd_replay_drift(const struct runcmd_opts *o, const struct spec *s)
{
    cJSON *m = replay_manifest(o->replay);
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
    cJSON_Delete(m);
    if (drift && !o->allow_drift) {
        log_error("not replaying '%s': its numbers could not be compared fairly (--allow-drift "
                  "replays anyway)",
                  o->replay);
        return -1;
    }
    return 0;
}

int runcmd_run(int argc, char **argv)
{
    struct runcmd_opts o = {0};
    struct spec s;
    struct run_opts ro = {0};
    char *agent = NULL, *outdir = NULL;
    int ret;

    memset(&s, 0, sizeof(s));
    if (runcmd_prepare(argc, argv, false, runcmd_run_usage, &o, &s, &agent, &outdir, &ret) < 0)
        goto cleanup;
    ro.agent = agent;
    ro.outdir = outdir;
    ro.no_plot = o.no_plot;
    ro.no_restore = o.no_restore;
    if (o.replay && runcmd_replay_drift(&o, &s) < 0) {
        ret = 2;
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
cleanup:
    spec_free(&s);
    free(o.flags);
    free(agent);
    free(outdir);
    return ret;
}

int runcmd_local(int argc, char **argv)
{
    struct runcmd_opts o = {0};
    struct spec s;
    struct spec_strv av = {0}, csvs = {0};
    char *agent = NULL, *outdir = NULL, *out = NULL;
    int ret, rc;

    memset(&s, 0, sizeof(s));
    if (runcmd_prepare(argc, argv, true, runcmd_local_usage, &o, &s, &agent, &outdir, &ret) < 0)
        goto cleanup;
    if (spec_agent_argv(&s, agent, outdir, &av) < 0) {
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
    if (!o.no_plot && csvs.n &&
        analyse_run((const char *const *)csvs.v, csvs.n, outdir, s.slo_p99_us) < 0)
        ret = 1;
    if (ret == 0) {
        rc = analyse_gates((const char *const *)csvs.v, csvs.n, &s, NULL);
        ret = rc < 0 ? 1 : rc;
    }
cleanup:
    spec_free(&s);
    spec_strv_free(&av);
    spec_strv_free(&csvs);
    free(o.flags);
    free(agent);
    free(outdir);
    free(out);
    return ret;
}
