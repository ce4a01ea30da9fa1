/*
 * compare — the statistics of `vmsweep compare`: is CURRENT worse than BASE?
 *
 * Rows of both sides are matched by (plan, vcpus, concurrency); the repetitions of each
 * level (rows with different run_idx, minus runs killed at their timeout, that exited
 * non-zero or whose value is not above 0) are compared on one metric.  Every level and
 * every (plan, vcpus) curve gets an estimate of the change with an interval and one
 * verdict: no regression, improvement, regression, or inconclusive; the whole comparison
 * gets one of regression, no regression, inconclusive (the decision rule is described at
 * the top of compare.c).  Knee moves between the two sides (analysis.h) are a finding of
 * their own.  Reading inputs, SLO gates and output formats live in
 * compareinput.h, compareslo.h, comparereport.h and comparejunit.h.
 */
#ifndef VMSWEEP_COMPARE_H
#define VMSWEEP_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csv.h"

#define COMPARE_DEFAULT_THRESHOLD 0.05 /* smallest change that matters: 5% */
/* Bound on the false-alarm rate of the whole comparison: Holm over every level and every
 * curve.  0.5% keeps the measured rate (comparesim.h) well under 1% with 8 levels. */
#define COMPARE_DEFAULT_ALPHA 0.005
#define COMPARE_CI_LEVEL      0.95 /* two-sided confidence of the reported intervals */
/* A level's own noise replaces the pooled one when its variance ratio to the pool exceeds
 * this quantile of the F distribution (it is noisier than chance allows). */
#define COMPARE_NOISE_SCREEN 0.95
/* "Likely": the probability with which runs_needed repetitions would decide. */
#define COMPARE_RUNS_POWER 0.8
#define COMPARE_RUNS_MAX   1000 /* runs_needed beyond this is reported as 0 (unreachable) */
/* Runs per side advised when the noise cannot be estimated at all (one run everywhere):
 * the project's simulation (comparesim.h) gives >= 90% power for a 10% change at one
 * level with 5 runs at CV 3%. */
#define COMPARE_RUNS_ADVISED 5

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

/* The verdict on one level, on a curve, or on the whole comparison. */
enum compare_verdict {
    COMPARE_SAME,        /* no regression: the interval excludes a worsening beyond threshold */
    COMPARE_IMPROVED,    /* significantly better, estimate beyond the threshold */
    COMPARE_REGRESSED,   /* significantly worse, estimate beyond the threshold */
    COMPARE_INCONCLUSIVE /* the data cannot tell: more runs would */
};

/* Options of a comparison. */
struct compare_opts {
    enum compare_metric metric;
    double threshold; /* fraction, e.g. 0.05 for 5% */
    double alpha;     /* false-alarm rate of the whole comparison, in (0, 1) */
};

/*
 * The estimate of a change: the ratio of geometric means CURRENT / BASE minus 1, its
 * interval, and the one-sided test in each direction.  The same for a level and a curve.
 */
struct compare_change {
    double change;       /* exp(mean log cur - mean log base) - 1; 0.05 is +5% */
    double ci_lo, ci_hi; /* COMPARE_CI_LEVEL interval of change; NAN without a noise estimate */
    double noise;        /* standard deviation of log values used (about the CV) */
    double df;           /* its degrees of freedom; 0: no estimate (one run everywhere) */
    double p_worse, p_better; /* one-sided p-values; NAN without a noise estimate */
    double p_adj;             /* Holm-adjusted p_worse (p_better for an improvement) */
    int beyond;               /* the estimate is beyond the threshold on the worse side */
    size_t runs_needed;       /* INCONCLUSIVE: runs per side that would likely decide (0: > max) */
    enum compare_verdict verdict;
};

/* One level present on both sides. */
struct compare_level {
    char plan[CSV_PLAN_MAX];
    uint64_t vcpus;
    uint64_t concurrency;
    size_t n_base, n_cur;             /* usable runs */
    size_t dropped_base, dropped_cur; /* runs left out: timeout, exit code != 0, value <= 0 */
    double med_base, med_cur;         /* medians of the metric */
    double gm_base, gm_cur;           /* geometric means of the metric */
    double cv_base, cv_cur;           /* coefficients of variation (0 with one run) */
    int own_noise;                    /* its own noise, not the curve's pooled one */
    struct compare_change est;
};

/* One (plan, vcpus) curve: the change pooled over its levels (inverse-variance weights). */
struct compare_curve {
    char plan[CSV_PLAN_MAX];
    uint64_t vcpus;
    size_t first, n; /* its levels: levels[first .. first + n) */
    int tested;      /* 0 with one level: the curve is that level, not a test of its own */
    struct compare_change est;
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
    struct compare_curve *curves; /* one per (plan, vcpus), in the same order */
    size_t n_curves;
    struct compare_knee *knees; /* only knees that moved */
    size_t n_knees;
    size_t only_base, only_cur; /* levels present on one side only (not compared) */
    size_t n_same, n_improved, n_regressed, n_inconclusive; /* levels */
    size_t n_tests; /* hypotheses in the Holm family (levels + tested curves) */
    /* The whole comparison: REGRESSED when a level or a curve regressed; SAME when every
     * curve's interval excludes a worsening beyond the threshold and no level's estimate
     * is beyond it; INCONCLUSIVE otherwise. */
    enum compare_verdict verdict;
    int by_level, by_curve; /* what decided a REGRESSED or INCONCLUSIVE verdict */
};

/* Parse a metric name ("qps", "p99_us", ...); -1 with a sentence on diag if unknown. */
int compare_metric_parse(const char *name, FILE *diag, enum compare_metric *out);

/* The metric's column name, e.g. "p99_us". */
const char *compare_metric_name(enum compare_metric m);

/* 1 when a higher value is better (qps), 0 when lower is better (latencies). */
int compare_metric_higher_is_better(enum compare_metric m);

/* The metric's value in row r; NAN when the column is absent or empty. */
double compare_metric_value(const struct csv_row *r, enum compare_metric m);

/* The verdict's name: "no regression", "improvement", "regression", "inconclusive". */
const char *compare_verdict_name(enum compare_verdict v);

/*
 * Compare the repetitions base[0..nb) with cur[0..nc) of one level (all finite and > 0;
 * nb, nc >= 1) under o, as a comparison of that one level alone: its own noise, no other
 * hypothesis.  higher_better gives the direction.  Fills every field of *out but plan,
 * vcpus, concurrency and the dropped counts.  Returns -1 on invalid input or when memory
 * runs out.
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
