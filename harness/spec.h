/*
 * spec — what a `vmsweep run` does: VM sizes and shape, the agent's sweep, the output.
 *
 * Built in layers, each overriding the one before: built-in defaults (spec_init), a spec
 * file (spec_load), a profile from sweeps/ (spec_load_profile, also named by a spec's
 * "profile" key), then command-line flags (the run command sets fields directly).
 * spec_check validates the result as a whole.
 *
 * Spec files are JSON; errors name file:line:column; unknown and duplicate keys are
 * refused.  See sweeps/README.md for the format.
 */
#ifndef VMSWEEP_SPEC_H
#define VMSWEEP_SPEC_H

#include "domxml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPEC_MAX_SIZES  16
#define SPEC_MAX_LEVELS 128

/* --runs auto (runs = 0): a sequential rule (run.c): every level starts with
 * SPEC_RUNS_AUTO_START runs; a level whose median qps is not yet known to within
 * SPEC_RUNS_AUTO_CI either way (a distribution-free interval of coverage at least
 * SPEC_RUNS_AUTO_COVERAGE, plot/stats.c) gets SPEC_RUNS_AUTO_STEP more, up to
 * SPEC_RUNS_AUTO_MAX. */
#define SPEC_RUNS_AUTO_START    3
#define SPEC_RUNS_AUTO_STEP     2
#define SPEC_RUNS_AUTO_MAX      10
#define SPEC_RUNS_AUTO_CI       0.03
#define SPEC_RUNS_AUTO_COVERAGE 0.90

enum spec_accel {
    SPEC_ACCEL_AUTO,
    SPEC_ACCEL_KVM,
    SPEC_ACCEL_TCG,
    SPEC_ACCEL_HVF, /* macOS Hypervisor.framework (libvirt's hvf domains): not on Linux */
};

/* What to do when the CPU model cannot be had under KVM on this host (--cpu-fallback). */
enum spec_cpu_fallback {
    SPEC_CPU_FALLBACK_TCG,  /* say so, run under TCG: the model as QEMU emulates it */
    SPEC_CPU_FALLBACK_HOST, /* say so, stay on KVM with the host's CPU (host-passthrough) */
    SPEC_CPU_FALLBACK_FAIL, /* refuse: exit 1 */
};

/* A growable list of owned strings, NULL-terminated once non-empty (usable as argv). */
struct spec_strv {
    char **v;
    size_t n;
};

struct spec {
    char *name;
    char *source; /* spec file path, or NULL */
    char *profile;

    /* VM */
    unsigned vcpus[SPEC_MAX_SIZES];
    size_t nsizes;
    uint64_t memory_mib;
    char *cpu_model;
    unsigned sockets, dies, cores, threads; /* 0 = derived: 1 socket, vcpus cores */
    unsigned numa;                          /* even split into N cells; 0 = none */
    struct vm_cell cells[DOMXML_MAX_CELLS]; /* explicit cells (one VM size only) */
    unsigned ncells;
    unsigned cpu_cap_pct; /* 0 = no cap */
    bool pin;
    bool allow_uncapped;
    char *image;
    struct spec_strv connect; /* libvirt URIs, one per host; none = the embedded driver */
    bool oversubscribe_host;  /* place beyond a host's CPUs */
    unsigned arches; /* the guests' architectures: bit = enum domxml_arch (default: the host's) */
    enum spec_accel accel;
    enum spec_cpu_fallback cpu_fallback;
    unsigned deadman_s;
    uint64_t boot_timeout_us;

    /* agent */
    char *workload;
    uint64_t levels[SPEC_MAX_LEVELS];
    size_t nlevels;
    uint64_t duration_us;
    uint64_t max_duration_us;
    uint64_t warmup;
    uint64_t rate; /* open loop: operations per second in all (0: closed loop) */
    uint64_t runs; /* 0: auto (SPEC_RUNS_AUTO_*) */
    uint64_t timeout_us;
    uint64_t max_concurrency;
    unsigned cpu_threads; /* 0 = agent default (online CPUs) */
    bool oversubscribe;
    char *plan;
    struct spec_strv args;      /* KEY=VALUE */
    struct spec_strv base_args; /* non-empty: --interleave A/B, baseline = args + these */
    struct spec_strv push;      /* LOCAL[:REMOTE] */
    struct spec_strv setup;     /* commands run in the guest before the sweep */

    /* output */
    char *output_dir;
    uint64_t slo_p99_us;  /* 0 = none: caps the recommendation */
    struct spec_strv slo; /* gates "METRIC<=VALUE[@N]": a violation makes the run exit 3 */
    double max_error_pct; /* gate on errors/ops in %; < 0 = none */
    double min_fairness;  /* gate on Jain's fairness; < 0 = none */
    bool refine;
    bool confirm;              /* confirm the recommendation open-loop after the sweep */
    uint64_t rerun_interfered; /* passes over levels a busy host starved (plot/interfere.h) */
    double target_qps;         /* right-sizing (plot/sizing.h): the load; < 0 = none */
    double headroom_pct;       /* share of capacity kept free; < 0 = the default */

    /* cost: prices for right-sizing; < 0 = none */
    double cost_per_vcpu;
    double cost_per_gib;
};

/* Fill s with the built-in defaults (see spec.c). -1 on out of memory. */
int spec_init(struct spec *s);

/* Free everything s owns (s itself is not freed; NULL is fine). */
void spec_free(struct spec *s);

/*
 * Apply a spec file over s.  Returns 0, or -1 after printing "PATH:LINE:COL: message"
 * (the caller exits 2: it is an input error).
 */
int spec_load(struct spec *s, const char *path);

/*
 * Apply the profile NAME (sweeps/NAME.json in the data directory, or a path) over s.
 * -1 with a message listing the known profiles when it does not exist.
 */
int spec_load_profile(struct spec *s, const char *name);

/* The one rule for a CPU model name, for the flag and the spec key alike. */
#define SPEC_CPU_MODEL_RULE                                                                        \
    "a QEMU CPU model name such as EPYC-Rome (letters, digits, '-', '_', '.')"
bool spec_cpu_model_ok(const char *name);

/* Apply the spec in text (e.g. the "spec" of a run's manifest) over s, as spec_load does;
 * name stands for the file in messages. */
int spec_load_text(struct spec *s, const char *name, const char *text);

/* Parse "S:D:C:T" into the topology fields. -1 (no message) when malformed. */
int spec_parse_topology(struct spec *s, const char *text);

/* Parse "vcpus" list ("1,2" or "1 2") into s. -1 (no message) when malformed. */
int spec_parse_sizes(struct spec *s, const char *text);

/* Append a copy of str to v. -1 on out of memory. */
int spec_strv_add(struct spec_strv *v, const char *str);

/* Replace *dst by a copy of src. -1 on out of memory. */
int spec_set_str(char **dst, const char *src);

/* Validate s as a whole; -1 with a message (an input error). */
int spec_check(const struct spec *s);

/*
 * What follows from the settings once all are in: for a guest architecture other than
 * x86_64, the default CPU model (EPYC-Rome) becomes the architecture's
 * (domxml_default_model) and the default image ("tiny") its own ("tiny-aarch64").
 * Called before spec_check.
 */
void spec_finish(struct spec *s);

/*
 * The VM sizes of a run: every vCPU count of s->vcpus once per architecture of s->arches,
 * architecture by architecture (enum order), so size k is s->vcpus[k % s->nsizes] of the
 * (k / s->nsizes)-th architecture.  spec_size_count is their number.
 */
size_t spec_size_count(const struct spec *s);
enum domxml_arch spec_size_arch(const struct spec *s, size_t k);
unsigned spec_size_vcpus(const struct spec *s, size_t k);

/* The first (or only) architecture of s; true when s has several. */
enum domxml_arch spec_arch_first(const struct spec *s);
bool spec_arch_mixed(const struct spec *s);

/* The CPU model a guest of arch gets: s->cpu_model, or the architecture's default when
 * s->cpu_model is the x86 default (only the defaults mix: spec_check). */
const char *spec_arch_model(const struct spec *s, enum domxml_arch arch);

/* The image a guest of arch boots: s->image, or the architecture's own default image when
 * s->image is a default one ("tiny", "tiny-aarch64").  buf holds the name. */
const char *spec_arch_image(const struct spec *s, enum domxml_arch arch, char *buf, size_t len);

/*
 * Fill def's shape for VM size k (spec_size_count): arch, vcpus, memory, model, topology,
 * NUMA cells, cap, pin.  (Boot files, disks and ports are the caller's.)  -1 with a
 * message.
 */
int spec_vm_def(const struct spec *s, size_t i, struct vm_def *def);

/* Upper bound of the agent's run time in µs for levels × runs × (warmup + duration). */
uint64_t spec_sweep_budget_us(const struct spec *s);

/* The runs per level of the agent's first pass: s->runs, or SPEC_RUNS_AUTO_START for
 * --runs auto. */
uint64_t spec_runs(const struct spec *s);

/*
 * The agent's command line for this spec: argv[0] = agent, then every agent option,
 * with --output-dir outdir.  Appended to *argv (free with spec_strv_free).  -1 on OOM.
 */
int spec_agent_argv(const struct spec *s, const char *agent, const char *outdir,
                    struct spec_strv *argv);

/* Free the strings of v and reset it (NULL is fine). */
void spec_strv_free(struct spec_strv *v);

/* The spec as JSON text (malloc'ed), for manifests. */
char *spec_to_json(const struct spec *s);

#endif
