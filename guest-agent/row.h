/*
 * row — one result row of a sweep (one run of one concurrency level) and its CSV and
 * JSONL forms.  Shared by the agent (which writes rows) and the host tools (which can
 * reuse the header and the column order).  The first 17 columns are the fixed schema
 * every version of the CSV has had; the rest are appended after them.
 */
#ifndef VMSWEEP_ROW_H
#define VMSWEEP_ROW_H

#include <stdint.h>
#include <stdio.h>

#define ROW_CSV_HEADER17                                                                           \
    "ts,plan,vcpus,cpu_threads,io_threads,async,concurrency,duration_sec,run_idx,qps,p50_us,"      \
    "p90_us,p99_us,max_us,ru_maxrss,exit_code,timeout_killed"

/* The exact header line of the agent's CSV (without the newline). */
#define ROW_CSV_HEADER ROW_CSV_HEADER17 ",mean_us,errors,ops,little_ratio,fairness,clock_ns"

#define ROW_PLAN_MAX 128 /* longest plan label + 1 */

/*
 * One row.  Latencies are in µs (written with 3 decimals: ns).  mean_us, little_ratio and fairness
 * are NAN when unknown (a run without data): they are written empty in CSV and null in JSON; the 17
 * fixed columns are always numbers (0 for a run that produced nothing).
 */
struct row {
    int64_t ts; /* Unix time at the end of the run */
    char plan[ROW_PLAN_MAX];
    unsigned vcpus;       /* online CPUs of the machine */
    unsigned cpu_threads; /* CPUs the run may use */
    unsigned io_threads;  /* event-loop threads (0 for thread-per-worker workloads) */
    int async;            /* 1 when event-loop driven */
    unsigned concurrency;
    double duration_sec;
    unsigned run_idx; /* 0-based */
    double qps;
    double p50_us, p90_us, p99_us, max_us;
    long ru_maxrss; /* KiB, of the run's process */
    int exit_code;
    int timeout_killed;
    double mean_us;
    uint64_t errors;
    uint64_t ops;
    double little_ratio; /* qps * mean / concurrency: 1 for an honest closed loop */
    double fairness;     /* Jain's index of per-worker op counts */
    double clock_ns;     /* cost of one clock read */
};

/* Write ROW_CSV_HEADER and a newline.  0, or -1 on a write error. */
int row_write_csv_header(FILE *f);

/* Write r as one CSV line (the plan quoted when needed).  0, or -1 on a write error. */
int row_write_csv(FILE *f, const struct row *r);

/* Write r as one JSON object on one line, keys named as the CSV columns.  0 or -1. */
int row_write_jsonl(FILE *f, const struct row *r);

/* Little's-law ratio qps * mean_us / 1e6 / concurrency (NAN when not computable). */
double row_little_ratio(double qps, double mean_us, unsigned concurrency);

/* Jain's fairness index (sum x)^2 / (n * sum x^2) of n counts (NAN when all are 0). */
double row_jain_index(const uint64_t *counts, size_t n);

/* Write s as a JSON string (quoted, escaped) to f. */
void row_json_str(FILE *f, const char *s);

#endif
