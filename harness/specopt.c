/* specopt — see specopt.h. */
#include "specopt.h"

#include "results.h"
#include "fsutil.h"
#include "opts.h"
#include "units.h"
#include "wl.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(struct spec, field)

static const char *const specopt_accels[] = {"auto", "kvm", "tcg", "hvf", NULL};
static const char *const specopt_fallbacks[] = {"tcg", "host", "fail", NULL};

_Static_assert(SPEC_ACCEL_AUTO == 0 && SPEC_ACCEL_KVM == 1 && SPEC_ACCEL_TCG == 2 &&
                   SPEC_ACCEL_HVF == 3,
               "specopt_accels is indexed by enum spec_accel");
_Static_assert(SPEC_CPU_FALLBACK_TCG == 0 && SPEC_CPU_FALLBACK_HOST == 1 &&
                   SPEC_CPU_FALLBACK_FAIL == 2,
               "specopt_fallbacks is indexed by enum spec_cpu_fallback");

// clang-format off
const struct specopt specopt_table[] = {
    {SPECOPT_TOP, "name", "name", 0, SPECOPT_STR, F(name), 0, 0, NULL, NULL, "NAME",
     "name of the sweep (default sweep)", 0, SPECOPT_BOTH},

    {SPECOPT_VM, "vcpus", "vcpus", 0, SPECOPT_SIZES, 0, 1, 256, NULL, NULL, "LIST",
     "one VM per entry, e.g. 1,2 (default 2)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "memory", "memory", 0, SPECOPT_MIB, F(memory_mib), 64, 4u << 20, NULL, NULL,
     "SIZE", "guest RAM, e.g. 1G (default 1G)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "cpu_model", "cpu-model", 0, SPECOPT_MODEL, F(cpu_model), 0, 0, NULL, NULL,
     "NAME", "QEMU CPU model (default EPYC-Rome)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "topology", "topology", 0, SPECOPT_TOPOLOGY, 0, 1, 256, NULL, NULL, "S:D:C:T",
     "sockets:dies:cores:threads (default 1:1:VCPUS:1)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "numa", "numa", 0, SPECOPT_NUMA, 0, 0, DOMXML_MAX_CELLS, NULL, NULL, "N",
     "N NUMA cells, CPUs and memory split evenly (default 0: none;\n"
     "a spec may list the cells instead)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "cpu_cap", "cpu-cap", 0, SPECOPT_UNS, F(cpu_cap_pct), 0, 100, NULL, NULL, "PCT",
     "per-vCPU CPU quota in % of a host CPU (default 0: no cap)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "pin", "pin", 0, SPECOPT_BOOL, F(pin), 0, 0, NULL, NULL, NULL,
     "pin vCPUs (vcpupin) and the emulator (emulatorpin)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "allow_uncapped", "allow-uncapped", 0, SPECOPT_BOOL, F(allow_uncapped), 0, 0,
     NULL, NULL, NULL, "run even when a cap cannot be applied (reported)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "image", "image", 0, SPECOPT_STR, F(image), 0, 0, NULL, NULL, "NAME|PATH",
     "guest image (default tiny; see 'vmsweep image')", 0, SPECOPT_RUN},
    {SPECOPT_VM, "connect", "connect", 0, SPECOPT_STRV, F(connect), 0, 0, NULL, NULL, "URI",
     "libvirt URI (default: embedded driver, no daemon); repeat it\n"
     "(spec: a list) to spread the sizes over several hosts", 0, SPECOPT_RUN},
    {SPECOPT_VM, "oversubscribe_host", "oversubscribe-host", 0, SPECOPT_BOOL,
     F(oversubscribe_host), 0, 0, NULL, NULL, NULL,
     "place sizes on a host beyond its CPUs (never beyond its free\n"
     "memory); default: a host gets at most the guaranteed vCPU\n"
     "capacity (vCPUs x cap) it has CPUs", 0, SPECOPT_RUN},
    {SPECOPT_VM, "arch", "arch", 0, SPECOPT_ENUMS, F(arches), 0, 0, NULL, domxml_arch_names,
     "ARCH[,ARCH]", "the guests' architecture: x86_64 or aarch64 (default: the\n"
     "host's); another than the host's runs under TCG, with the\n"
     "image 'tiny-ARCH' and the agent built for it; several make\n"
     "every --vcpus size once per architecture, analysed apart", 0, SPECOPT_RUN},
    {SPECOPT_VM, "accel", "accel", 0, SPECOPT_ENUM, F(accel), 0, 0, NULL, specopt_accels,
     "auto|kvm|tcg|hvf", "accelerator (default auto: KVM when a probe boot proves it\n"
     "works, else TCG; the reason is in manifest.json; hvf: macOS\n"
     "on Apple silicon, docs/macos.md)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "cpu_fallback", "cpu-fallback", 0, SPECOPT_ENUM, F(cpu_fallback), 0, 0, NULL,
     specopt_fallbacks, "tcg|host|fail", "when KVM cannot give the CPU model on this host: run it\n"
     "under TCG (default), use the host CPU on KVM, or exit 1", 0, SPECOPT_RUN},
    {SPECOPT_VM, "deadman", "deadman", 0, SPECOPT_SECONDS, F(deadman_s), 10 * UNITS_US_PER_SEC,
     86400 * UNITS_US_PER_SEC, NULL, NULL, "DURATION",
     "guest powers off when the host is silent this long (default 300s)", 0, SPECOPT_RUN},
    {SPECOPT_VM, "boot_timeout", "boot-timeout", 0, SPECOPT_DURATION, F(boot_timeout_us),
     UNITS_US_PER_SEC, 3600 * UNITS_US_PER_SEC, NULL, NULL, "DURATION",
     "wait this long for SSH (default 180s)", 0, SPECOPT_RUN},

    {SPECOPT_AGENT, "workload", "workload", 0, SPECOPT_WORKLOAD, F(workload), 0, 0, "workload",
     NULL, "NAME", "the workload (default cpu; `vmsweep-agent --help` lists them)", 0,
     SPECOPT_BOTH},
    {SPECOPT_AGENT, "concurrency", "concurrency", 0, SPECOPT_LEVELS, 0, 0, 0, "concurrency", NULL,
     "LIST", "levels, e.g. \"1 2 4 8\" (default 1..128 doubling)", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "duration", "duration", 0, SPECOPT_DURATION, F(duration_us), 0, 0, "duration",
     NULL, "DURATION", "per run (default 10s; at most --max-duration, 30s)", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "max_duration", "max-duration", 0, SPECOPT_DURATION, F(max_duration_us), 0, 0,
     "max-duration", NULL, "DURATION", "raise the duration limit (default 30s)", 0,
     SPECOPT_BOTH},
    {SPECOPT_AGENT, "warmup", "warmup", 0, SPECOPT_COUNT, F(warmup), 0, 0, "warmup", NULL, "N",
     "warmup operations per worker (default 100)", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "runs", "runs", 0, SPECOPT_RUNS, F(runs), 0, 0, "runs", NULL, "N|auto",
     "repetitions per level (default 1); auto: 3, then 2 more at a time\n"
     "while the median's interval is wider than +-3%, up to 10 (run only)",
     0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "rate", "rate", 0, SPECOPT_COUNT, F(rate), 0, 0, "rate", NULL, "R",
     "open loop: R operations/s in all at a constant arrival rate, latency from each\n"
     "operation's intended start (wrk2-style; default 0: closed loop)",
     0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "timeout", "timeout", 0, SPECOPT_DURATION, F(timeout_us), 0, 0, "timeout",
     NULL, "DURATION", "a run still going after this is killed (default 60s)", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "max_concurrency", "max-concurrency", 0, SPECOPT_COUNT, F(max_concurrency), 0,
     0, "max-concurrency", NULL, "N", "refuse levels above N (default 128)", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "cpu_threads", "cpu-threads", 0, SPECOPT_UNS, F(cpu_threads), 0, 0,
     "cpu-threads", NULL, "N", "worker CPU threads (default: the CPUs)", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "oversubscribe", "oversubscribe", 0, SPECOPT_BOOL, F(oversubscribe), 0, 0,
     "oversubscribe", NULL, NULL, "allow more threads than CPUs", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "plan", "plan", 0, SPECOPT_LABEL, F(plan), 0, 0, "plan", NULL, "LABEL",
     "plan name in the CSV (default: the workload)", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "args", "arg", 0, SPECOPT_PAIRS, F(args), 0, 0, "arg", NULL, "KEY=VALUE",
     "workload parameter (repeatable), e.g. work=20000", 0, SPECOPT_BOTH},
    {SPECOPT_AGENT, "base_args", "base-arg", 0, SPECOPT_PAIRS, F(base_args), 0, 0, NULL, NULL,
     "KEY=VALUE", "A/B with any workload: the baseline's --arg overrides", 0, SPECOPT_RUN},
    {SPECOPT_AGENT, NULL, "interleave", 0, SPECOPT_INTERLEAVE, F(base_args), 0, 0, NULL, NULL,
     "CMD", "A/B: CMD is the baseline of the cmd/exec workload, --arg cmd=\n"
     "the candidate; repetitions alternate A B B A in the same VM,\n"
     "then `vmsweep compare` gives the verdict (exit 3: regression)", 0, SPECOPT_RUN},
    {SPECOPT_AGENT, NULL, "ab", 0, SPECOPT_INTERLEAVE, F(base_args), 0, 0, NULL, NULL, "CMD",
     "the same as --interleave", 0, SPECOPT_RUN},
    {SPECOPT_AGENT, "push", "push", 0, SPECOPT_STRV, F(push), 0, 0, NULL, NULL, "LOCAL[:REMOTE]",
     "copy a file into the guest (default /root/NAME; repeatable)", 0, SPECOPT_RUN},
    {SPECOPT_AGENT, "setup", "setup", 0, SPECOPT_STRV, F(setup), 0, 0, NULL, NULL, "CMD",
     "shell command run in the guest before the sweep (repeatable)", 0, SPECOPT_RUN},

    {SPECOPT_OUTPUT, "dir", "output-dir", 'o', SPECOPT_STR, F(output_dir), 0, 0, NULL, NULL, "DIR",
     "default ./perf_results/<timestamp>/", 0, SPECOPT_BOTH},
    {SPECOPT_OUTPUT, "slo_p99_us", "slo-p99", 0, SPECOPT_MICROS, F(slo_p99_us), 1, UINT32_MAX,
     NULL, NULL, "DURATION", "cap the recommendation at this p99 (µs, or with a unit: 5ms)", 0,
     SPECOPT_BOTH},
    {SPECOPT_OUTPUT, "slo", "slo", 0, SPECOPT_GATES, F(slo), 0, 0, NULL, NULL, "GATE",
     "fail with exit 3 unless GATE holds, e.g. p99_us<=2000@32\n"
     "(repeatable; METRIC: qps, p50_us, p90_us, p99_us, ...)", 0, SPECOPT_BOTH},
    {SPECOPT_OUTPUT, "max_error_rate", "max-error-rate", 0, SPECOPT_PERCENT, F(max_error_pct), 0,
     100, NULL, NULL, "PCT", "fail with exit 3 when errors/ops exceeds PCT at any level", 0,
     SPECOPT_BOTH},
    {SPECOPT_OUTPUT, "min_fairness", "min-fairness", 0, SPECOPT_FRACTION, F(min_fairness), 0, 1,
     NULL, NULL, "F", "fail with exit 3 when Jain's fairness drops below F", 0, SPECOPT_BOTH},
    {SPECOPT_OUTPUT, "target_qps", "target-qps", 0, SPECOPT_NUMBER, F(target_qps), 0, 1000000000000,
     NULL, NULL, "QPS",
     "the load to serve: say which VM size carries it within the SLO\n"
     "(--slo-p99) with --headroom to spare (e.g. 20k)", 0, SPECOPT_BOTH},
    {SPECOPT_OUTPUT, "headroom", "headroom", 0, SPECOPT_PERCENT, F(headroom_pct), 0, 90, NULL, NULL,
     "PCT", "share of a size's capacity within the SLO kept free when\nsizing (default 30)", 0,
     SPECOPT_BOTH},
    {SPECOPT_COST, "per_vcpu", "cost-per-vcpu", 0, SPECOPT_NUMBER, F(cost_per_vcpu), 0,
     1000000000, NULL, NULL, "PRICE",
     "price of one vCPU (any currency and period): rank the sizes\nby cost per capacity", 0,
     SPECOPT_BOTH},
    {SPECOPT_COST, "per_gib", "cost-per-gib", 0, SPECOPT_NUMBER, F(cost_per_gib), 0, 1000000000,
     NULL, NULL, "PRICE", "price of one GiB of guest memory, as --cost-per-vcpu", 0, SPECOPT_BOTH},
    {SPECOPT_OUTPUT, "refine", "refine", 0, SPECOPT_BOOL, F(refine), 0, 0, NULL, NULL, NULL,
     "after the sweep, measure the skipped levels between knee/2\n"
     "and 2*knee in the same VM (a doubling grid only brackets it)", 0, SPECOPT_RUN},
    {SPECOPT_OUTPUT, "rerun_interfered", "rerun-interfered", 0, SPECOPT_COUNT,
     F(rerun_interfered), 0, 10, NULL, NULL, "N",
     "when a busy host starved runs (their vCPUs got < 90% of the CPU\n"
     "the guest called for), measure those levels again, up to N more\n"
     "passes (default 2; 0: only flag and leave them out)", 0, SPECOPT_RUN},
    {SPECOPT_OUTPUT, "confirm", "confirm", 0, SPECOPT_BOOL, F(confirm), 0, 0, NULL, NULL, NULL,
     "after the sweep, run the recommended concurrency open-loop (--rate)\n"
     "at 50%, 75% and 90% of its throughput in the same VM and say\n"
     "whether p99 stays within the SLO (or 3x the lowest level's)", 0, SPECOPT_RUN},

    {SPECOPT_CMD, NULL, "profile", 0, SPECOPT_VALUE, 0, 0, 0, NULL, NULL, "NAME",
     "apply sweeps/NAME.json (e.g. epyc-rome-8c-nps2) over the spec file", SPECOPT_CMD_PROFILE,
     SPECOPT_BOTH},
    {SPECOPT_CMD, NULL, "replay", 0, SPECOPT_VALUE, 0, 0, 0, NULL, NULL, "RUN_DIR",
     "run again the sweep recorded in RUN_DIR/manifest.json, then\n"
     "compare the new results with the old (exit 3: regression,\n"
     "4: inconclusive); refused when the image or vmsweep changed", SPECOPT_CMD_REPLAY,
     SPECOPT_RUN},
    {SPECOPT_CMD, NULL, "allow-drift", 0, SPECOPT_SWITCH, 0, 0, 0, NULL, NULL, NULL,
     "replay even so (the differences are reported)", SPECOPT_CMD_ALLOW_DRIFT, SPECOPT_RUN},
    {SPECOPT_CMD, NULL, "no-plot", 0, SPECOPT_SWITCH, 0, 0, 0, NULL, NULL, NULL,
     "skip the analysis and plots", SPECOPT_CMD_NO_PLOT, SPECOPT_BOTH},
    {SPECOPT_CMD, NULL, "no-restore", 0, SPECOPT_SWITCH, 0, 0, 0, NULL, NULL, NULL,
     "boot every VM cold (by default a configuration seen before\n"
     "starts from its saved state; manifest.json says which)", SPECOPT_CMD_NO_RESTORE,
     SPECOPT_RUN},
    {SPECOPT_CMD, NULL, "print-spec", 0, SPECOPT_SWITCH, 0, 0, 0, NULL, NULL, NULL,
     "print the resolved spec as JSON (a spec file) and exit", SPECOPT_CMD_PRINT_SPEC,
     SPECOPT_BOTH},
    {SPECOPT_CMD, NULL, "json", 0, SPECOPT_SWITCH, 0, 0, 0, NULL, NULL, NULL,
     "print one JSON document on stdout at the end instead of the\n"
     "summary (docs/json.md); logs stay on stderr", SPECOPT_CMD_JSON, SPECOPT_BOTH},
    {SPECOPT_CMD, NULL, "verbose", 'v', SPECOPT_SWITCH, 0, 0, 0, NULL, NULL, NULL, "more logs",
     SPECOPT_CMD_VERBOSE, SPECOPT_BOTH},
    {SPECOPT_CMD, NULL, "quiet", 'q', SPECOPT_SWITCH, 0, 0, 0, NULL, NULL, NULL, "fewer logs",
     SPECOPT_CMD_QUIET, SPECOPT_BOTH},
    {SPECOPT_CMD, NULL, "help", 'h', SPECOPT_SWITCH, 0, 0, 0, NULL, NULL, NULL, "this help",
     SPECOPT_CMD_HELP, SPECOPT_BOTH},
};
// clang-format on
const size_t specopt_count = sizeof(specopt_table) / sizeof(specopt_table[0]);

const struct specopt_section_info specopt_sections[] = {
    {SPECOPT_VM, "vm", "VM", "VM OPTIONS (run)"},
    {SPECOPT_AGENT, "agent", "Agent", "AGENT OPTIONS"},
    {SPECOPT_OUTPUT, "output", "Output", "OUTPUT OPTIONS"},
    {SPECOPT_COST, "cost", "Cost (right-sizing)", "COST OPTIONS"},
    {SPECOPT_TOP, NULL, "Sweep", "SWEEP OPTIONS"},
    {SPECOPT_CMD, NULL, "Command", "COMMAND OPTIONS"},
};
const size_t specopt_nsections = sizeof(specopt_sections) / sizeof(specopt_sections[0]);

const char *specopt_section_name(enum specopt_section sec)
{
    for (size_t i = 0; i < specopt_nsections; i++)
        if (specopt_sections[i].sec == sec)
            return specopt_sections[i].name;
    return NULL;
}

const struct specopt *specopt_find_key(enum specopt_section sec, const char *key)
{
    for (size_t i = 0; i < specopt_count; i++)
        if (specopt_table[i].section == sec && specopt_table[i].key &&
            !strcmp(specopt_table[i].key, key))
            return &specopt_table[i];
    return NULL;
}

const struct specopt *specopt_find_flag(const char *flag)
{
    for (size_t i = 0; i < specopt_count; i++)
        if (specopt_table[i].flag && !strcmp(specopt_table[i].flag, flag))
            return &specopt_table[i];
    return NULL;
}

void specopt_range(const struct specopt *o, uint64_t *min, uint64_t *max)
{
    const struct opts_def *d = o->agent ? opts_def_find(o->agent) : NULL;

    *min = d ? d->min : o->min;
    *max = d ? d->max : o->max;
}

void specopt_flag_text(const struct specopt *o, char *buf, size_t len)
{
    char sh[8] = "";

    if (o->short_flag)
        snprintf(sh, sizeof(sh), "-%c, ", o->short_flag);
    snprintf(buf, len, "%s--%s%s%s", sh, o->flag, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
}

/* ---- values ---- */

static void *field(struct spec *s, const struct specopt *o)
{
    return (char *)s + o->off;
}

static const void *cfield(const struct spec *s, const struct specopt *o)
{
    return (const char *)s + o->off;
}

static int why_f(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_f(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(char *why, size_t len)
{
    if (len)
        why[0] = '\0';
    return -1;
}

static void duration_range_text(uint64_t min, uint64_t max, char *buf, size_t len)
{
    char lo[32], hi[32];
    units_fmt_duration(min, lo, sizeof(lo));
    units_fmt_duration(max, hi, sizeof(hi));
    snprintf(buf, len, "expected a duration from %s to %s (e.g. 10, 10s, 500ms)", lo, hi);
}

/* The workloads' names, "noop, cpu, ...", from the agent's table. */
static void workload_names(char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; wl_at(i) && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", wl_at(i)->name);
}

static bool label_ok(const char *t, uint64_t max)
{
    if (!*t || strlen(t) > max)
        return false;
    for (const char *c = t; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

int specopt_set(struct spec *s, const struct specopt *o, const char *text, bool append, char *why,
                size_t len)
{
    uint64_t min, max, u;
    char buf[160];

    specopt_range(o, &min, &max);
    if (text == NULL && o->type != SPECOPT_BOOL)
        return why_f(why, len, "a value is needed");
    switch (o->type) {
    case SPECOPT_SIZES:
        if (spec_parse_sizes(s, text) < 0)
            return why_f(why, len, "expected vCPU counts %llu..%llu, e.g. 1,2",
                         (unsigned long long)min, (unsigned long long)max);
        return 0;
    case SPECOPT_LEVELS: {
        uint64_t v[SPEC_MAX_LEVELS];
        size_t n = 0;
        if (units_parse_list(text, min, max, v, SPEC_MAX_LEVELS, &n) < 0)
            return why_f(why, len,
                         "expected up to %d levels %llu..%llu separated by commas or spaces",
                         SPEC_MAX_LEVELS, (unsigned long long)min, (unsigned long long)max);
        memcpy(s->levels, v, n * sizeof(v[0]));
        s->nlevels = n;
        return 0;
    }
    case SPECOPT_MIB: {
        char lo[32], hi[32];
        if (units_parse_size(text, 1ULL << 20, min << 20, max << 20, &u) == 0) {
            *(uint64_t *)field(s, o) = u >> 20;
            return 0;
        }
        units_fmt_size(min << 20, lo, sizeof(lo));
        units_fmt_size(max << 20, hi, sizeof(hi));
        return why_f(why, len, "expected a size from %s to %s, e.g. 1G (a number is MiB)", lo, hi);
    }
    case SPECOPT_RUNS:
        if (!strcmp(text, "auto")) {
            *(uint64_t *)field(s, o) = 0;
            return 0;
        }
        if (units_parse_u64(text, min, max, &u) < 0)
            return why_f(why, len, "expected an integer in %llu..%llu or auto",
                         (unsigned long long)min, (unsigned long long)max);
        *(uint64_t *)field(s, o) = u;
        return 0;
    case SPECOPT_COUNT:
    case SPECOPT_UNS:
        if (units_parse_u64(text, min, max, &u) < 0)
            return why_f(why, len, "expected an integer in %llu..%llu", (unsigned long long)min,
                         (unsigned long long)max);
        if (o->type == SPECOPT_UNS)
            *(unsigned *)field(s, o) = (unsigned)u;
        else
            *(uint64_t *)field(s, o) = u;
        return 0;
    case SPECOPT_DURATION:
    case SPECOPT_SECONDS:
        if (units_parse_duration(text, UNITS_US_PER_SEC, min, max, &u) < 0) {
            duration_range_text(min, max, buf, sizeof(buf));
            return why_f(why, len, "%s", buf);
        }
        if (o->type == SPECOPT_SECONDS)
            *(unsigned *)field(s, o) = (unsigned)(u / UNITS_US_PER_SEC);
        else
            *(uint64_t *)field(s, o) = u;
        return 0;
    case SPECOPT_MICROS: {
        char lo[32], hi[32];
        if (units_parse_duration(text, 1, min, max, &u) == 0) {
            *(uint64_t *)field(s, o) = u;
            return 0;
        }
        units_fmt_duration(min, lo, sizeof(lo));
        units_fmt_duration(max, hi, sizeof(hi));
        return why_f(why, len, "expected a duration from %s to %s (a number is µs; or 5ms)", lo,
                     hi);
    }
    case SPECOPT_BOOL:
        if (text && strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return why_f(why, len, "expected true or false");
        *(bool *)field(s, o) = text == NULL || !strcmp(text, "true");
        return 0;
    case SPECOPT_STR:
        if (!*text)
            return why_f(why, len, "expected a non-empty string");
        return spec_set_str((char **)field(s, o), text) < 0 ? oom(why, len) : 0;
    case SPECOPT_LABEL:
        if (!label_ok(text, max))
            return why_f(why, len, "expected 1 to %llu characters, no control characters",
                         (unsigned long long)max);
        return spec_set_str((char **)field(s, o), text) < 0 ? oom(why, len) : 0;
    case SPECOPT_MODEL:
        if (!spec_cpu_model_ok(text))
            return why_f(why, len, "expected %s", SPEC_CPU_MODEL_RULE);
        return spec_set_str((char **)field(s, o), text) < 0 ? oom(why, len) : 0;
    case SPECOPT_WORKLOAD:
        if (wl_find(text) == NULL) {
            workload_names(buf, sizeof(buf));
            return why_f(why, len, "expected a workload: %s", buf);
        }
        return spec_set_str((char **)field(s, o), text) < 0 ? oom(why, len) : 0;
    case SPECOPT_TOPOLOGY:
        if (spec_parse_topology(s, text) < 0)
            return why_f(why, len,
                         "expected SOCKETS:DIES:CORES:THREADS, each %llu..%llu, e.g. "
                         "1:1:8:1",
                         (unsigned long long)min, (unsigned long long)max);
        return 0;
    case SPECOPT_NUMA:
        if (units_parse_u64(text, min, max, &u) < 0)
            return why_f(why, len, "expected a number of NUMA cells, %llu..%llu",
                         (unsigned long long)min, (unsigned long long)max);
        s->numa = (unsigned)u;
        s->ncells = 0;
        return 0;
    case SPECOPT_ENUM: {
        size_t off = 0;
        for (int i = 0; o->choices[i]; i++) {
            if (!strcmp(text, o->choices[i])) {
                *(int *)field(s, o) = i;
                return 0;
            }
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "",
                                    o->choices[i]);
        }
        return why_f(why, len, "expected one of %s", buf);
    }
    case SPECOPT_ENUMS: {
        unsigned set = 0;
        size_t off = 0;
        for (const char *p = text; *p;) {
            size_t n = strcspn(p, ", ");
            int i;
            for (i = 0; n && o->choices[i]; i++)
                if (strlen(o->choices[i]) == n && !strncmp(p, o->choices[i], n))
                    break;
            if (n && !o->choices[i])
                set = 0, p = ""; /* an unknown name: refused below */
            else if (n)
                set |= 1u << i, p += n;
            p += strspn(p, ", ");
        }
        if (set) {
            *(unsigned *)field(s, o) = set;
            return 0;
        }
        for (int i = 0; o->choices[i]; i++)
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "",
                                    o->choices[i]);
        return why_f(why, len, "expected one or more of %s, separated by commas", buf);
    }
    case SPECOPT_STRV:
    case SPECOPT_GATES:
    case SPECOPT_PAIRS:
    case SPECOPT_INTERLEAVE: {
        struct spec_strv *v = field(s, o);
        char *kv = NULL;
        int rc;
        if (o->type == SPECOPT_GATES && !results_gate_ok(text))
            return why_f(why, len,
                         "expected METRIC<=VALUE[@CONCURRENCY] or >=, e.g. "
                         "p99_us<=2000@32");
        if (o->type == SPECOPT_PAIRS && (!strchr(text, '=') || text[0] == '='))
            return why_f(why, len, "expected KEY=VALUE");
        if (o->type == SPECOPT_STRV && !*text)
            return why_f(why, len, "expected a non-empty string");
        if (o->type == SPECOPT_INTERLEAVE && (kv = fsutil_printf("cmd=%s", text)) == NULL)
            return oom(why, len);
        if (!append)
            spec_strv_free(v);
        rc = spec_strv_add(v, kv ? kv : text);
        free(kv);
        return rc < 0 ? oom(why, len) : 0;
    }
    case SPECOPT_PERCENT:
    case SPECOPT_FRACTION: {
        char *end = NULL;
        double d = strtod(text, &end);
        /* "5%" as compare takes it. */
        if (o->type == SPECOPT_PERCENT && end != text && *end == '%')
            end++;
        if (end == text || *end || !(d >= (double)min && d <= (double)max))
            return why_f(why, len,
                         o->type == SPECOPT_PERCENT
                             ? "expected a percentage 0..100, e.g. 0.5 or 5%%"
                             : "expected a fraction 0..1");
        *(double *)field(s, o) = d;
        return 0;
    }
    case SPECOPT_NUMBER: {
        double d;
        if (units_parse_number(text, (double)min, (double)max, &d) != 0)
            return why_f(why, len, "expected a number %llu..%llu (\"20k\" and \"1.5M\" accepted)",
                         (unsigned long long)min, (unsigned long long)max);
        *(double *)field(s, o) = d;
        return 0;
    }
    case SPECOPT_SWITCH:
    case SPECOPT_VALUE:
        break;
    }
    return why_f(why, len, "not a spec setting");
}

/* Explicit NUMA cells: [{"cpus": "0-1", "memory": "512M"}, ...]. */
static int set_cells(struct spec *s, const cJSON *it, char *why, size_t len)
{
    struct vm_cell cells[DOMXML_MAX_CELLS];
    const cJSON *cell;
    unsigned n = 0;

    cJSON_ArrayForEach(cell, it)
    {
        const cJSON *f;
        bool have_cpus = false, have_mem = false;
        uint64_t bytes;

        if (n >= DOMXML_MAX_CELLS)
            return why_f(why, len, "at most %d NUMA cells", DOMXML_MAX_CELLS);
        if (!cJSON_IsObject(cell))
            return why_f(why, len, "expected cells as objects with 'cpus' and 'memory'");
        memset(&cells[n], 0, sizeof(cells[n]));
        cJSON_ArrayForEach(f, cell)
        {
            if (!strcmp(f->string, "cpus")) {
                if (!cJSON_IsString(f) || !f->valuestring[0] ||
                    strlen(f->valuestring) >= sizeof(cells[n].cpus) ||
                    strspn(f->valuestring, "0123456789,-") != strlen(f->valuestring))
                    return why_f(why, len, "a cell's 'cpus' must be a CPU list such as \"0-3\"");
                snprintf(cells[n].cpus, sizeof(cells[n].cpus), "%s", f->valuestring);
                have_cpus = true;
            } else if (!strcmp(f->string, "memory")) {
                char t[64];
                if (cJSON_IsNumber(f))
                    snprintf(t, sizeof(t), "%.15g", f->valuedouble);
                if ((!cJSON_IsNumber(f) && !cJSON_IsString(f)) ||
                    units_parse_size(cJSON_IsString(f) ? f->valuestring : t, 1ULL << 20,
                                     16ULL << 20, 4ULL << 40, &bytes) < 0)
                    return why_f(why, len, "a cell's 'memory' must be a size from 16M to 4T");
                cells[n].memory_mib = bytes >> 20;
                have_mem = true;
            } else {
                return why_f(why, len, "unknown key '%s' in a NUMA cell (known: cpus, memory)",
                             f->string);
            }
        }
        if (!have_cpus || !have_mem)
            return why_f(why, len, "each NUMA cell needs 'cpus' and 'memory'");
        n++;
    }
    if (n == 0)
        return why_f(why, len, "expected a number of cells or a non-empty list of cells");
    memcpy(s->cells, cells, n * sizeof(cells[0]));
    s->ncells = n;
    s->numa = 0;
    return 0;
}

/* A list of integers as text ("1,2,4"), from a JSON array of numbers. */
static int int_list_text(const cJSON *it, char *buf, size_t len, char *why, size_t wlen)
{
    const cJSON *e;
    size_t off = 0;

    if (cJSON_GetArraySize(it) == 0)
        return why_f(why, wlen, "expected a non-empty list");
    cJSON_ArrayForEach(e, it)
    {
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 ||
            e->valuedouble > 1e15)
            return why_f(why, wlen, "expected a list of integers");
        off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%.0f", off ? "," : "",
                                e->valuedouble);
        if (off >= len)
            return why_f(why, wlen, "the list is too long");
    }
    return 0;
}

int specopt_set_json(struct spec *s, const struct specopt *o, const cJSON *it, char *why,
                     size_t len)
{
    char text[SPEC_MAX_LEVELS * 24];
    const cJSON *e;

    switch (o->type) {
    case SPECOPT_BOOL:
        if (!cJSON_IsBool(it))
            return why_f(why, len, "expected true or false");
        return specopt_set(s, o, cJSON_IsTrue(it) ? "true" : "false", false, why, len);
    case SPECOPT_STRV:
    case SPECOPT_GATES:
        if (cJSON_IsString(it)) { /* one: as the flag given once */
            spec_strv_free(field(s, o));
            return specopt_set(s, o, it->valuestring, true, why, len);
        }
        if (!cJSON_IsArray(it))
            return why_f(why, len, "expected a string or a list of strings");
        spec_strv_free(field(s, o));
        cJSON_ArrayForEach(e, it)
        {
            if (!cJSON_IsString(e))
                return why_f(why, len, "expected a list of strings");
            if (specopt_set(s, o, e->valuestring, true, why, len) < 0)
                return -1;
        }
        return 0;
    case SPECOPT_PAIRS:
        if (!cJSON_IsObject(it))
            return why_f(why, len, "expected an object such as {\"work\": 10000}");
        spec_strv_free(field(s, o));
        cJSON_ArrayForEach(e, it)
        {
            char *kv = NULL;
            int rc;
            if (cJSON_IsString(e))
                kv = fsutil_printf("%s=%s", e->string, e->valuestring);
            else if (cJSON_IsNumber(e))
                kv = fsutil_printf("%s=%.15g", e->string, e->valuedouble);
            else if (cJSON_IsBool(e))
                kv = fsutil_printf("%s=%d", e->string, cJSON_IsTrue(e) ? 1 : 0);
            else
                return why_f(why, len, "argument '%s' must be a string, number or boolean",
                             e->string);
            if (!kv)
                return oom(why, len);
            rc = specopt_set(s, o, kv, true, why, len);
            free(kv);
            if (rc < 0)
                return -1;
        }
        return 0;
    case SPECOPT_NUMA:
        if (cJSON_IsArray(it))
            return set_cells(s, it, why, len);
        break;
    case SPECOPT_ENUMS:
        if (cJSON_IsArray(it)) {
            size_t off = 0;
            cJSON_ArrayForEach(e, it)
            {
                if (!cJSON_IsString(e) || strlen(e->valuestring) + 2 > sizeof(text) - off)
                    return why_f(why, len, "expected a list of names");
                off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%s", off ? "," : "",
                                        e->valuestring);
            }
            return specopt_set(s, o, text, false, why, len);
        }
        if (!cJSON_IsString(it))
            return why_f(why, len, "expected a name or a list of names");
        return specopt_set(s, o, it->valuestring, false, why, len);
    case SPECOPT_SIZES:
    case SPECOPT_LEVELS:
        if (cJSON_IsArray(it)) {
            if (int_list_text(it, text, sizeof(text), why, len) < 0)
                return -1;
            return specopt_set(s, o, text, false, why, len);
        }
        break;
    case SPECOPT_STR:
    case SPECOPT_LABEL:
    case SPECOPT_MODEL:
    case SPECOPT_WORKLOAD:
    case SPECOPT_TOPOLOGY:
    case SPECOPT_ENUM:
        if (!cJSON_IsString(it))
            return why_f(why, len, "expected a string");
        return specopt_set(s, o, it->valuestring, false, why, len);
    default:
        break;
    }
    /* Scalars: a number means what the same digits mean to the flag. */
    if (cJSON_IsNumber(it)) {
        snprintf(text, sizeof(text), "%.15g", it->valuedouble);
        return specopt_set(s, o, text, false, why, len);
    }
    if (cJSON_IsString(it))
        return specopt_set(s, o, it->valuestring, false, why, len);
    return why_f(why, len, "expected a number or a string");
}

/* ---- writing ---- */

/* A duration as the reader takes it back exactly: seconds, or "<n>us". */
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

static cJSON *strv_json(const struct spec_strv *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < v->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
    return a;
}

/* KEY=VALUE pairs as the object the reader takes. */
static cJSON *pairs_json(const struct spec_strv *v)
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

cJSON *specopt_to_json(const struct spec *s, const struct specopt *o)
{
    uint64_t min, max;
    cJSON *a;

    specopt_range(o, &min, &max);
    switch (o->type) {
    case SPECOPT_SIZES:
        a = cJSON_CreateArray();
        for (size_t i = 0; a && i < s->nsizes; i++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber(s->vcpus[i]));
        return a;
    case SPECOPT_LEVELS:
        a = cJSON_CreateArray();
        for (size_t i = 0; a && i < s->nlevels; i++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber((double)s->levels[i]));
        return a;
    case SPECOPT_MIB:
    case SPECOPT_MICROS:
    case SPECOPT_COUNT: {
        uint64_t v = *(const uint64_t *)cfield(s, o);
        return v == 0 && min > 0 ? NULL : cJSON_CreateNumber((double)v);
    }
    case SPECOPT_RUNS: {
        uint64_t v = *(const uint64_t *)cfield(s, o);
        return v ? cJSON_CreateNumber((double)v) : cJSON_CreateString("auto");
    }
    case SPECOPT_UNS:
    case SPECOPT_SECONDS: {
        unsigned v = *(const unsigned *)cfield(s, o);
        return v == 0 && min > 0 && o->type == SPECOPT_UNS ? NULL : cJSON_CreateNumber(v);
    }
    case SPECOPT_DURATION:
        return duration_json(*(const uint64_t *)cfield(s, o));
    case SPECOPT_BOOL:
        return cJSON_CreateBool(*(const bool *)cfield(s, o));
    case SPECOPT_STR:
    case SPECOPT_LABEL:
    case SPECOPT_MODEL:
    case SPECOPT_WORKLOAD: {
        const char *v = *(char *const *)cfield(s, o);
        return v ? cJSON_CreateString(v) : NULL;
    }
    case SPECOPT_TOPOLOGY: {
        char t[64];
        if (!s->sockets)
            return NULL;
        snprintf(t, sizeof(t), "%u:%u:%u:%u", s->sockets, s->dies, s->cores, s->threads);
        return cJSON_CreateString(t);
    }
    case SPECOPT_NUMA:
        if (!s->ncells)
            return cJSON_CreateNumber(s->numa);
        a = cJSON_CreateArray();
        for (unsigned i = 0; a && i < s->ncells; i++) {
            cJSON *cell = cJSON_CreateObject();
            cJSON_AddStringToObject(cell, "cpus", s->cells[i].cpus);
            cJSON_AddNumberToObject(cell, "memory", (double)s->cells[i].memory_mib);
            cJSON_AddItemToArray(a, cell);
        }
        return a;
    case SPECOPT_ENUM:
        return cJSON_CreateString(o->choices[*(const int *)cfield(s, o)]);
    case SPECOPT_ENUMS: {
        unsigned set = *(const unsigned *)cfield(s, o);
        /* One name reads back as a string, as it is usually written. */
        if (set && !(set & (set - 1)))
            return cJSON_CreateString(o->choices[__builtin_ctz(set)]);
        a = cJSON_CreateArray();
        for (int i = 0; a && o->choices[i]; i++)
            if (set & (1u << i))
                cJSON_AddItemToArray(a, cJSON_CreateString(o->choices[i]));
        return a;
    }
    case SPECOPT_STRV:
    case SPECOPT_GATES: {
        const struct spec_strv *v = cfield(s, o);
        return v->n ? strv_json(v) : NULL;
    }
    case SPECOPT_PAIRS: {
        const struct spec_strv *v = cfield(s, o);
        return v->n || o->agent ? pairs_json(v) : NULL;
    }
    case SPECOPT_PERCENT:
    case SPECOPT_FRACTION:
    case SPECOPT_NUMBER: {
        double d = *(const double *)cfield(s, o);
        return d < 0 ? NULL : cJSON_CreateNumber(d);
    }
    default:
        return NULL;
    }
}

static int argv_addf(struct spec_strv *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int argv_addf(struct spec_strv *v, const char *fmt, ...)
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

int specopt_agent_argv(const struct spec *s, struct spec_strv *argv)
{
    for (size_t i = 0; i < specopt_count; i++) {
        const struct specopt *o = &specopt_table[i];
        const char *a = o->agent;
        int rc = 0;

        if (!a)
            continue;
        switch (o->type) {
        case SPECOPT_LEVELS: {
            char levels[SPEC_MAX_LEVELS * 24];
            size_t off = 0;
            for (size_t k = 0; k < s->nlevels && off < sizeof(levels); k++)
                off += (size_t)snprintf(levels + off, sizeof(levels) - off, "%s%llu", k ? "," : "",
                                        (unsigned long long)s->levels[k]);
            rc = argv_addf(argv, "--%s=%s", a, levels);
            break;
        }
        case SPECOPT_DURATION:
            rc = argv_addf(argv, "--%s=%lluus", a,
                           (unsigned long long)*(const uint64_t *)cfield(s, o));
            break;
        case SPECOPT_COUNT:
            rc = argv_addf(argv, "--%s=%llu", a,
                           (unsigned long long)*(const uint64_t *)cfield(s, o));
            break;
        case SPECOPT_RUNS: /* auto: the first pass's runs (run.c adds more) */
            rc = argv_addf(argv, "--%s=%llu", a, (unsigned long long)spec_runs(s));
            break;
        case SPECOPT_UNS: {
            unsigned v = *(const unsigned *)cfield(s, o);
            if (v) /* 0: the agent's default */
                rc = argv_addf(argv, "--%s=%u", a, v);
            break;
        }
        case SPECOPT_BOOL:
            if (*(const bool *)cfield(s, o))
                rc = argv_addf(argv, "--%s", a);
            break;
        case SPECOPT_WORKLOAD:
        case SPECOPT_LABEL: {
            const char *v = *(char *const *)cfield(s, o);
            if (v)
                rc = argv_addf(argv, "--%s=%s", a, v);
            break;
        }
        case SPECOPT_PAIRS: {
            const struct spec_strv *v = cfield(s, o);
            for (size_t k = 0; rc == 0 && k < v->n; k++)
                rc = argv_addf(argv, "--%s=%s", a, v->v[k]);
            break;
        }
        default:
            rc = -1; /* a row the agent takes must have a type written here */
            break;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- help ---- */

static void usage_row(FILE *f, const struct specopt *o)
{
    char left[64];
    const char *h = o->help;

    specopt_flag_text(o, left, sizeof(left));
    if (strlen(left) > 21)
        fprintf(f, "  %s\n  %-21s ", left, "");
    else
        fprintf(f, "  %-21s ", left);
    for (const char *nl; (nl = strchr(h, '\n')) != NULL; h = nl + 1)
        fprintf(f, "%.*s\n  %-21s ", (int)(nl - h), h, "");
    fprintf(f, "%s\n", h);
}

void specopt_usage(FILE *f, unsigned cmd)
{
    const struct specopt_section_info *groups = specopt_sections;

    for (size_t g = 0; g < specopt_nsections; g++) {
        bool any = false;
        for (size_t i = 0; i < specopt_count; i++) {
            const struct specopt *o = &specopt_table[i];
            if (o->section != groups[g].sec || !o->flag || !(o->cmds & cmd))
                continue;
            if (!any)
                fprintf(f, "%s:\n", groups[g].title);
            any = true;
            usage_row(f, o);
        }
        if (any)
            fputc('\n', f);
    }
}
