/*
 * compareslo — service-level gates of `vmsweep compare`, checked on CURRENT alone:
 * user gates such as `p99_us<=2000@32` (a metric, <= or >=, a limit, optionally one
 * concurrency level: without it every level), the error rate (sum of errors / sum of ops
 * over a level's runs) and the fairness between workers (median over the runs).  The last
 * two are checked only where the CSV has the columns.
 */
#ifndef VMSWEEP_COMPARESLO_H
#define VMSWEEP_COMPARESLO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compare.h"
#include "csv.h"

#define COMPARESLO_MAX_ERROR_RATE 0.005 /* default: at most 0.5% of operations fail */
#define COMPARESLO_MIN_FAIRNESS   0.7   /* default: workers get at least 0.7 fairness */
#define COMPARESLO_TEXT_MAX       96

/* The kind of a gate. */
enum compareslo_kind {
    COMPARESLO_METRIC,     /* a user gate on a metric */
    COMPARESLO_ERROR_RATE, /* errors / ops <= the maximum */
    COMPARESLO_FAIRNESS    /* fairness >= the minimum */
};

/* A user gate, parsed from "METRIC<=VALUE[@CONCURRENCY]" or with ">=". */
struct compareslo_gate {
    enum compare_metric metric;
    int at_most; /* 1 for <=, 0 for >= */
    double limit;
    uint64_t concurrency;           /* 0: every level */
    char text[COMPARESLO_TEXT_MAX]; /* as written, for reports */
};

/* One gate checked on one level of CURRENT. */
struct compareslo_check {
    char plan[CSV_PLAN_MAX];
    uint64_t vcpus;
    uint64_t concurrency;
    enum compareslo_kind kind;
    char gate[COMPARESLO_TEXT_MAX]; /* e.g. "p99_us<=2000", "error rate<=0.5%" */
    double value;                   /* measured: median, or the error rate as a fraction */
    int violated;
};

/* Everything the gates found. */
struct compareslo_result {
    struct compareslo_check *checks; /* sorted by plan, vcpus, concurrency, then gate */
    size_t n;
    size_t n_violated;
    int ops_known; /* this build reads the ops and fairness columns */
};

/*
 * Parse one --slo argument; -1 with a sentence on diag naming the argument when it is
 * malformed (unknown metric, no <= or >=, a limit that is not a finite number, a
 * concurrency that is not an integer >= 1).
 */
int compareslo_parse(const char *s, FILE *diag, struct compareslo_gate *out);

/*
 * Check the gates, the error rate (max_error_rate, a fraction; < 0 disables it) and the
 * fairness (min_fairness; < 0 disables it) on every level of the tables, over the runs not
 * killed at their timeout.  Returns -1 with a sentence on diag when a gate names a
 * concurrency level or a metric that no table has, or when memory runs out.
 */
int compareslo_check(struct csv_table *const *tables, size_t n, const struct compareslo_gate *gates,
                     size_t n_gates, double max_error_rate, double min_fairness, FILE *diag,
                     struct compareslo_result **out);

/* Release a result; NULL is accepted. */
void compareslo_result_free(struct compareslo_result *r);

#endif
