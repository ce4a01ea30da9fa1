/*
 * analysis — from parsed sweep CSVs to answers: rows grouped by (plan, vcpus,
 * concurrency), repetitions aggregated (median, min, max, CV, outliers by modified
 * Z-score), the knee of every (plan, vcpus) curve placed by every method (knee.h, usl.h),
 * a recommended concurrency range, Little's-law checks, and the scaling efficiency
 * between VM sizes.  No output is written here (see summary.h, kneejson.h, plotgen.h).
 *
 * The harness uses it for `vmsweep run --refine`: analysis_load() the CSVs, then for
 * each group with knee > 0, sweep levels between knee / 2 and 2 · knee.
 */
#ifndef VMSWEEP_ANALYSIS_H
#define VMSWEEP_ANALYSIS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csv.h"
#include "knee.h"
#include "usl.h"

#define ANALYSIS_LITTLE_TOL 0.10 /* Little's law: |qps·mean − N| / N above this is flagged */
#define ANALYSIS_DISAGREE   2.0  /* methods more than this factor apart are reported */
/* Recommendation: when p99 at the knee is within this multiple of the lowest level's p99,
 * nothing queues yet and the knee itself is recommended (a 2-vCPU cpu-bound curve whose
 * p99 is flat up to N=2 would otherwise get "1-1" and half the machine). */
#define ANALYSIS_FLAT_P99 1.5
/* Confidence: a curve with fewer levels than this, fewer runs than ANALYSIS_CONF_RUNS at
 * the knee or a level next to it, or a USL fit with R2 under ANALYSIS_CONF_R2 is marked
 * low confidence. */
#define ANALYSIS_CONF_LEVELS 5
#define ANALYSIS_CONF_RUNS   3
#define ANALYSIS_CONF_R2     0.9
/* A level whose qps varies between runs by more than this CV is flagged as unstable. */
#define ANALYSIS_CV_HIGH  0.10
#define ANALYSIS_CI_LEVEL 0.95 /* wanted coverage of the median's interval */

/* Why the recommended range is what it is. */
enum analysis_rec_why {
    ANALYSIS_REC_HEADROOM, /* 50-75% of the knee: p99 rises toward it */
    ANALYSIS_REC_KNEE,     /* the knee: p99 there within ANALYSIS_FLAT_P99 x the lowest's */
    ANALYSIS_REC_SLO       /* the highest level up to the knee whose p99 meets the SLO */
};

/* Warnings kept per curve: the last one says that more were left out (a hostile CSV
 * can fail Little's law on every one of millions of rows). */
#define ANALYSIS_MAX_WARNINGS 100

struct sizing;

/* One concurrency level of one curve: medians over the runs that were not killed. */
struct analysis_level {
    uint64_t concurrency;
    size_t runs;       /* rows used */
    size_t rows;       /* rows read at this level, used or not */
    size_t timeouts;   /* rows left out because timeout_killed = 1 */
    size_t interfered; /* rows the host starved (interfere.h): left out unless all were */
    double min_share;  /* the lowest cpu_share among those; NAN when none */
    size_t outliers;   /* runs whose qps has |modified Z| > STATS_MODZ_OUTLIER */
    size_t little_bad; /* runs failing the Little's-law check */
    double qps, qps_min, qps_max;
    double qps_cv; /* NAN with fewer than 2 runs */
    /* Distribution-free interval of the median qps (stats_median_ci, ANALYSIS_CI_LEVEL or
     * the widest the runs allow) and its exact coverage (0 with one run). */
    double qps_ci_lo, qps_ci_hi, qps_ci_coverage;
    double p50_us, p90_us, p99_us;
    double mean_us;    /* NAN when the CSV has no mean_us */
    double p999_us;    /* median p99.9; NAN when the CSV does not have it */
    double max_us;     /* median of the runs' largest latency; NAN when unknown */
    double error_rate; /* errors / ops over the runs used; NAN when the CSV has neither */
};

/* One curve: a plan on a VM size.  Concurrency values of 0 mean "none". */
struct analysis_group {
    char plan[CSV_PLAN_MAX];
    uint64_t vcpus;
    struct analysis_level *levels; /* ascending concurrency */
    size_t n_levels;
    size_t runs; /* rows used over all levels */
    double max_qps;
    uint64_t max_qps_at;
    uint64_t knee;                 /* throughput knee (knee.h) */
    uint64_t knees[KNEE_NMETHODS]; /* the other methods' knees (knee_methods), 0: none */
    int has_usl;                   /* usl is valid (>= USL_MIN_LEVELS levels and a sane fit) */
    struct usl_result usl;
    int has_recommended;
    uint64_t rec_low, rec_high; /* recommended concurrency range, inclusive */
    enum analysis_rec_why rec_why;
    int low_confidence; /* see ANALYSIS_CONF_*; the reasons are among the warnings */
    /* The manifest's open_loop_confirmation of this size (borrowed from the analysis's
     * manifest), or NULL: no --confirm. */
    const cJSON *confirm;
    char **warnings; /* sentences, in the order found */
    size_t n_warnings;
};

/* Scaling efficiency of one plan between two consecutive VM sizes v1 < v2. */
struct analysis_scaling {
    char plan[CSV_PLAN_MAX];
    uint64_t v1, v2;
    double qps1, qps2; /* max qps at each size */
    double speedup;    /* qps2 / qps1 */
    double efficiency; /* speedup / (v2 / v1) */
};

/* Everything found; groups sorted by plan, then vcpus. */
struct analysis {
    struct analysis_group *groups;
    size_t n_groups;
    struct analysis_scaling *scaling;
    size_t n_scaling;
    double slo_p99_us;     /* 0: none */
    char *accel;           /* "kvm", "tcg" (from the run's manifest; malloc'd) or NULL: unknown */
    cJSON *manifest;       /* the run's manifest.json (owned), or NULL: CSVs without a run */
    struct sizing *sizing; /* right-sizing across the VM sizes (sizing.h; owned), or NULL */
};

/*
 * The closed-loop throughput of g at concurrency n: the level's median when measured,
 * else interpolated linearly in log2 N between the levels around it.  -1 when n lies
 * outside the measured levels.
 */
int analysis_qps_at(const struct analysis_group *g, uint64_t n, double *qps);

/* The reason for g's recommendation in words, e.g. "50-75% of the knee". */
const char *analysis_rec_text(const struct analysis_group *g);

/* What the run's manifest says of other processes' CPU use during a size's sweep (the
 * harness's host_interference): from this share of the host's CPUs on, the numbers may be
 * low, and the curves of that size carry a warning. */
#define ANALYSIS_BUSY_HOST_CPUS 0.25

/*
 * What the run's manifest (a->manifest) says of each size, put on its curves: a warning
 * (and low confidence) when the sweep shared a busy host; the open-loop confirmation of
 * the recommendation (--confirm: g->confirm, and a warning when it does not hold).
 * 0, or -1 (OOM).
 */
int analysis_note_manifest(struct analysis *a);

/*
 * Analyse the rows of n tables (several files may hold the same plan and VM size, e.g.
 * after a refinement pass: their rows are merged).  slo_p99_us > 0 caps the
 * recommendation.  Returns -1 with a sentence on diag when no row is usable (no data
 * rows, or every run was killed at its timeout), when cancel_requested() (cancel.h), or
 * when memory runs out.  O(rows log rows): sorted once, then every step is linear.
 */
int analysis_build(struct csv_table *const *tables, size_t n, double slo_p99_us, FILE *diag,
                   struct analysis **out);

/* Read the CSV files at paths (csv_read) and analyse them (analysis_build). */
int analysis_load(const char *const *paths, size_t n, double slo_p99_us, FILE *diag,
                  struct analysis **out);

/*
 * Concurrency levels for a refinement pass around g's knee (`vmsweep run --refine`): the
 * rounded geometric mean of each pair of adjacent measured levels between knee / 2 and
 * 2 · knee that is not measured yet (knee 16 on 8, 16, 32 gives 11 and 23), ascending.
 * At most cap levels are stored in out; *n is how many (0 when g has no knee).
 */
int analysis_refine_levels(const struct analysis_group *g, uint64_t *out, size_t cap, size_t *n);

/* Release an analysis; NULL is accepted. */
void analysis_free(struct analysis *a);

#endif
