/*
 * comparesim — the project's own simulation of `vmsweep compare`: how often its decision
 * rule says regression, no regression or inconclusive for a known true change.
 *
 * Each trial draws two sweeps of one curve (COMPARESIM_LEVELS levels N = 1, 2, 4 .. 128
 * on a USL-shaped qps curve, every run lognormal with the given CV), applies the true
 * change to CURRENT at every level or at one (N = 32), and runs compare_tables on them
 * exactly as `vmsweep compare` does (same code, in-memory tables).  The generator is a
 * fixed xorshift64* with Box-Muller normals: the same seed gives the same counts on every
 * machine.  Used by test_comparesim (asserted rates), `vmsweep compare --power` and
 * `make bench` (the power table).
 */
#ifndef VMSWEEP_COMPARESIM_H
#define VMSWEEP_COMPARESIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compare.h"

#define COMPARESIM_LEVELS     8    /* N = 1, 2, 4, ..., 128 */
#define COMPARESIM_ONE_LEVEL  5    /* the level changed alone: N = 32 */
#define COMPARESIM_TRIALS     1000 /* default trials per case */
#define COMPARESIM_MAX_TRIALS 1000000

/* Where the true change is applied. */
enum comparesim_where {
    COMPARESIM_NONE, /* nowhere: the false-alarm case */
    COMPARESIM_ONE,  /* at N = 32 only */
    COMPARESIM_ALL   /* at every level */
};

/* One simulated situation. */
struct comparesim_case {
    double change; /* true change of CURRENT's qps, e.g. -0.10 */
    enum comparesim_where where;
    size_t runs; /* repetitions per side and level, >= 1 */
    double cv;   /* run-to-run coefficient of variation, e.g. 0.03 */
};

/* Outcomes of the trials of one case (the whole comparison's verdict). */
struct comparesim_counts {
    size_t trials;
    size_t regression, ok, inconclusive;
};

/*
 * Run trials of case c under the options o (metric qps).  Returns -1 when an argument
 * is out of range (runs 0, trials 0 or above COMPARESIM_MAX_TRIALS, cv < 0) or memory
 * runs out; *out is set only on success.
 */
int comparesim_run(const struct comparesim_case *c, const struct compare_opts *o, size_t trials,
                   uint64_t seed, struct comparesim_counts *out);

/*
 * The rates `vmsweep compare --help` and docs/compare.md state: case i's counts out of
 * COMPARESIM_DOC_TRIALS trials at seed COMPARESIM_DOC_SEED + i under the default options.
 * test_comparesim re-runs them and requires the same counts, so the text cannot drift
 * from the code.
 */
#define COMPARESIM_DOC_TRIALS 2000
#define COMPARESIM_DOC_SEED   20261203

struct comparesim_doc {
    const char *what; /* e.g. "-10% at one level" */
    struct comparesim_case c;
    size_t regression, ok, inconclusive;
};

extern const struct comparesim_doc comparesim_docs[];
extern const size_t comparesim_n_docs;

/* Print the documented rates, one line each ("  no change: regression 0.4%, ..."), each
 * line starting with indent. */
void comparesim_print_docs(FILE *f, const char *indent);

/*
 * The power table: every combination of true change (none, -5% and -10% everywhere, -10%
 * and -20% at one level, +10% everywhere), runs (3, 5, 10) and CV (1%, 3%, 5%), trials
 * each, under o.  -1 when a simulation fails (out of memory).
 */
int comparesim_print_table(FILE *f, const struct compare_opts *o, size_t trials, uint64_t seed);

#endif
