/*
 * sizing — right-sizing across the VM sizes of a run: which size serves a load within an
 * SLO, what each size can carry within it, and what the trend across sizes predicts for
 * the next size up.  The rules, with their reasons, open sizing.c and docs/analysis.md
 * ("Right-sizing").
 */
#ifndef VMSWEEP_SIZING_H
#define VMSWEEP_SIZING_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "compare.h"
#include "compareslo.h"
#include "csv.h"
#include "usl.h"

#define SIZING_HEADROOM       0.30  /* default share of the capacity kept free */
#define SIZING_HEADROOM_MAX   0.90  /* a larger share would ask for ten times the load */
#define SIZING_MAX_ERROR_RATE 0.005 /* default error budget (as compare's gate) */
#define SIZING_PREDICT_MAX    1024  /* vCPUs: the prediction looks no further */
#define SIZING_ANSWER_MAX     640
#define SIZING_MAX_LIMITS     16 /* SLO limits a level is held to */

/* What the user asked; every field has an "unset" value that means the default. */
struct sizing_opts {
    double target_qps;     /* > 0: the load to serve; 0: capacities only */
    double headroom;       /* share of capacity kept free, 0..SIZING_HEADROOM_MAX; < 0: default */
    double max_error_rate; /* error budget as a fraction; < 0: SIZING_MAX_ERROR_RATE */
    double cost_per_vcpu;  /* > 0: price of one vCPU (any unit, per any period) */
    double cost_per_gib;   /* > 0: price of one GiB of guest memory */
    double memory_gib;     /* each size's guest memory (the run's manifest); 0: unknown */
    /* --slo gates (compareslo.h; borrowed): those on every level (no @N) are part of the
     * SLO, with the analysis's p99 SLO. */
    const struct compareslo_gate *gates;
    size_t n_gates;
};

/* One limit of the SLO on a level's median. */
struct sizing_limit {
    enum compare_metric metric;
    int at_most; /* 1: value <= limit; 0: value >= limit */
    double limit;
};

/* How a size's capacity within the SLO was found. */
enum sizing_how {
    SIZING_NONE,         /* no level met the SLO: capacity 0 */
    SIZING_MEASURED,     /* a measured level; above it the SLO breaks or throughput stops */
    SIZING_INTERPOLATED, /* between the last level within the SLO and the first beyond it */
    SIZING_AT_LEAST      /* every level met it and throughput still rose: a lower bound */
};

/* A size against the target (with headroom). */
enum sizing_verdict {
    SIZING_NO_TARGET, /* no --target-qps */
    SIZING_SHORT,     /* even the top of its capacity's interval is below what is needed */
    SIZING_MARGINAL,  /* its interval straddles what is needed: the repetitions cannot say */
    SIZING_COVERS     /* the bottom of its interval covers what is needed */
};

/* The kind of the across-size model. */
enum sizing_fit {
    SIZING_FIT_NONE,   /* fewer than 2 sizes with a measured capacity, or capacity fell */
    SIZING_FIT_LINEAR, /* 2 sizes scaling linearly or better: linear from the larger */
    SIZING_FIT_AMDAHL, /* 2 sizes: the USL with kappa = 0, exact through both */
    SIZING_FIT_USL     /* 3 sizes or more: usl_fit over (vCPUs, capacity) */
};

/* One VM size of one plan. */
struct sizing_size {
    uint64_t vcpus;
    enum sizing_how how;
    double capacity;                 /* qps within the SLO (median over the runs) */
    double capacity_lo, capacity_hi; /* the median's interval, from the repetitions */
    double at;         /* the concurrency that gives it (fractional when interpolated) */
    const char *limit; /* what stops it above: "p99", "errors", "saturation" or NULL */
    enum sizing_verdict verdict;
    double cost;          /* NAN without a cost */
    double cost_per_kqps; /* cost / (capacity / 1000); NAN without a cost or a capacity */
};

/* The answer for one plan. */
struct sizing_plan {
    char plan[CSV_PLAN_MAX];
    struct sizing_size *sizes; /* ascending vCPUs */
    size_t n_sizes;
    long choice;    /* index of the size to run, -1: none covers */
    long runner_up; /* index of the next best that covers, -1: none */
    enum sizing_fit fit;
    struct usl_result model;        /* with fit != SIZING_FIT_NONE: X(vCPUs) */
    uint64_t next_vcpus;            /* the next size up (twice the largest), 0: no model */
    double next_capacity;           /* its predicted capacity */
    uint64_t predicted_vcpus;       /* none covers: the smallest size predicted to, 0: none */
    double predicted_capacity;      /* its predicted capacity */
    char answer[SIZING_ANSWER_MAX]; /* one sentence a user can act on */
};

/* Everything sizing found; options resolved (defaults filled in). */
struct sizing {
    struct sizing_opts opts;
    double slo_p99_us;                             /* the analysis's p99 SLO, 0: none */
    struct sizing_limit limits[SIZING_MAX_LIMITS]; /* the SLO: p99 SLO and --slo gates */
    size_t n_limits;    /* 0: no SLO (capacity is then the throughput limit) */
    char slo_text[192]; /* the SLO in words: "p99 <= 5 ms, p50 <= 1 ms" */
    double need_qps;    /* target / (1 - headroom); 0 without a target */
    int costed;         /* a cost per vCPU or per GiB was given */
    struct sizing_plan *plans;
    size_t n_plans;
};

/*
 * Size every plan of a (its groups; a->slo_p99_us is the SLO) against o.  0 and *out
 * (free with sizing_free), or -1 when memory runs out.
 */
int sizing_build(const struct analysis *a, const struct sizing_opts *o, struct sizing **out);

/* The size of plan with vcpus in s, or NULL. */
const struct sizing_size *sizing_find(const struct sizing *s, const char *plan, uint64_t vcpus);

/* The size chosen for plan in s, or NULL (none covers the target, or no target). */
const struct sizing_size *sizing_chosen(const struct sizing *s, const char *plan);

/* Names for JSON and reports ("measured", "covers", "usl", ...). */
const char *sizing_how_name(enum sizing_how how);
const char *sizing_verdict_name(enum sizing_verdict v);
const char *sizing_fit_name(enum sizing_fit fit);

/* qps for people: "950", "31.0k", "1.25M" into buf. */
const char *sizing_fmt_qps(double qps, char *buf, size_t len);

/* Release s; NULL is accepted. */
void sizing_free(struct sizing *s);

#endif
