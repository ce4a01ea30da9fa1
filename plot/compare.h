/*
 * compare — the statistics of `vmsweep compare`: is CURRENT worse than BASE?
 *
 * Rows of both sides are matched by (plan, vcpus, concurrency); the repetitions of each
 * level (rows with different run_idx, minus runs killed at their timeout or that exited
 * non-zero) are compared on one metric, and every level gets one verdict: no change,
 * improvement, regression, or inconclusive.  Knee moves between the two sides (analysis.h)
 * are a finding of their own.  Reading inputs, SLO gates and output formats live in
 * compareinput.h, compareslo.h, comparereport.h and comparejunit.h.
 */
#ifndef VMSWEEP_COMPARE_H
#define VMSWEEP_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csv.h"

#define COMPARE_DEFAULT_THRESHOLD 0.05 /* smallest change that matters: 5% */
#define COMPARE_DEFAULT_ALPHA     0.01 /* significance level of the rank test */
#define COMPARE_NOISE_MULT        3.0  /* a change must also exceed 3 x the larger CV */
#define COMPARE_BOOT_ITERS        2000 /* bootstrap resamples for the ratio's interval */
/* Values drawn in all the resamples of one level at most: with many runs a level gets
 * fewer resamples (never under COMPARE_BOOT_MIN_ITERS), so a hostile CSV with a million
 * runs per level costs seconds, not hours. */
#define COMPARE_BOOT_WORK      40000000
#define COMPARE_BOOT_MIN_ITERS 200
/* Values drawn in all the resamples of a whole comparison (compare_tables): with very many
 * levels each gets fewer resamples (never under COMPARE_BOOT_MIN_ITERS), so a CSV of a
 * million levels costs seconds; inputs under 100000 rows are not affected.  A single level
 * so large that even COMPARE_BOOT_MIN_ITERS resamples would draw more than this many values
 * gets as many as fit, but at least COMPARE_BOOT_FLOOR_ITERS (its interval is then narrow
 * anyway). */
#define COMPARE_BOOT_TOTAL_WORK  200000000
#define COMPARE_BOOT_FLOOR_ITERS 10
#define COMPARE_BOOT_LEVEL       0.95              /* confidence level of that interval */
#define COMPARE_BOOT_SEED        0x766d73776565ULL /* fixed: same input, same interval */

/* Metrics a comparison or an SLO can be made on (columns of the CSV schema). */
enum compare_metric {
    COMPARE_QPS,
    COMPARE_P50,
    COMPARE_P90,
    COMPARE_P99,
    COMPARE_MAX,
    COMPARE_MEAN,
    COMPARE_METRIC_COUNT
};

/* The verdict on one level. */
enum compare_verdict {
    COMPARE_SAME,        /* no change that is both significant and large enough */
    COMPARE_IMPROVED,    /* significantly and substantially better */
    COMPARE_REGRESSED,   /* significantly and substantially worse */
    COMPARE_INCONCLUSIVE /* too few runs to reach alpha, or a large change not significant */
};

/* Options of a comparison. */
struct compare_opts {
    enum compare_metric metric;
    double threshold; /* fraction, e.g. 0.05 for 5% */
    double alpha;     /* in (0, 1) */
};

/* One level present on both sides. */
struct compare_level {
    char plan[CSV_PLAN_MAX];
    uint64_t vcpus;
    uint64_t concurrency;
    size_t n_base, n_cur;             /* usable runs */
    size_t dropped_base, dropped_cur; /* runs left out: killed at timeout or exit code != 0 */
    double med_base, med_cur;         /* medians of the metric */
    double cv_base, cv_cur;           /* coefficients of variation (0 with one run) */
    double change;                    /* med_cur / med_base - 1 */
    double ratio_lo, ratio_hi;        /* bootstrap interval of med_cur / med_base */
    double p;                         /* two-sided Mann-Whitney p-value */
    double p_min;                     /* smallest p reachable with these run counts */
    double min_change;                /* max(threshold, 3 x max CV): what counts as a change */
    int worse;                        /* the change goes in the bad direction */
    size_t runs_needed;               /* runs per side that can reach alpha (inconclusive) */
    enum compare_verdict verdict;
};

/* A knee (analysis.h) that moved between the sides for one (plan, vcpus). */
struct compare_knee {
    char plan[CSV_PLAN_MAX];
    uint64_t vcpus;
    uint64_t knee_base, knee_cur; /* 0: no knee found (still scaling at the top level) */
    int lower;                    /* CURRENT saturates earlier: a capacity loss */
};

/* Everything a comparison found. */
struct compare_result {
    enum compare_metric metric;
    struct compare_level *levels; /* sorted by plan, vcpus, concurrency */
    size_t n_levels;
    struct compare_knee *knees; /* only knees that moved */
    size_t n_knees;
    size_t only_base, only_cur; /* levels present on one side only (not compared) */
    size_t n_same, n_improved, n_regressed, n_inconclusive;
};

/* Parse a metric name ("qps", "p99_us", ...); -1 with a sentence on diag if unknown. */
int compare_metric_parse(const char *name, FILE *diag, enum compare_metric *out);

/* The metric's column name, e.g. "p99_us". */
const char *compare_metric_name(enum compare_metric m);

/* 1 when a higher value is better (qps), 0 when lower is better (latencies). */
int compare_metric_higher_is_better(enum compare_metric m);

/* The metric's value in row r; NAN when the column is absent or empty. */
double compare_metric_value(const struct csv_row *r, enum compare_metric m);

/* The verdict's name: "no change", "improvement", "regression", "inconclusive". */
const char *compare_verdict_name(enum compare_verdict v);

/*
 * Compare the repetitions base[0..nb) with cur[0..nc) of one level (all finite; nb, nc
 * >= 1) under o; higher_better gives the direction.  Fills every statistical field of
 * *out (not plan, vcpus, concurrency or the dropped counts).  Returns -1 on invalid input
 * or when memory runs out.
 */
int compare_samples(const double *base, size_t nb, const double *cur, size_t nc, int higher_better,
                    const struct compare_opts *o, struct compare_level *out);

/*
 * Compare the rows of the base tables with those of the current tables: every level
 * present on both sides with at least one usable run on each, plus knee moves.  Returns
 * -1 with a sentence on diag when no level is common to both sides, when the metric is
 * missing from a table, when cancel_requested() (cancel.h), or when memory runs out.
 */
int compare_tables(struct csv_table *const *base, size_t nb, struct csv_table *const *cur,
                   size_t nc, const struct compare_opts *o, FILE *diag,
                   struct compare_result **out);

/* Release a result; NULL is accepted. */
void compare_result_free(struct compare_result *r);

#endif
