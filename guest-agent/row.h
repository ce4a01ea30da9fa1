/*
 * row — one result row of a sweep (one run of one concurrency level) and its CSV and
 * JSONL forms.  Shared by the agent (which writes rows) and the host tools (which can
 * reuse the header and the column order).  The first 17 columns are the fixed schema
 * every version of the CSV has had; the rest are appended after them.
 */
#ifndef VMSWEEP_ROW_H
#define VMSWEEP_ROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The columns, in file order: the one table the CSV and JSONL writers, the host's CSV
 * reader (plot/csv.c looks its columns up by these names), the cmd workload's result
 * line (result.c) and the documentation (docs/generated/csv-columns.md) use.
 * X(ID, field, type, precision, unit, meaning); types: I64, TEXT, UNS, INT, LONG, U64,
 * DBL (precision < 0: %g), OPT (a double written empty / null when NAN).  The first 17
 * columns are the fixed schema every version of the CSV has had; new ones go at the end.
 */
#define ROW_COLUMNS(X)                                                                             \
    X(TS, ts, I64, 0, "s", "Unix time at the end of the run")                                      \
    X(PLAN, plan, TEXT, 0, "", "plan label (--plan; default the workload)")                        \
    X(VCPUS, vcpus, UNS, 0, "", "online CPUs of the machine")                                      \
    X(CPU_THREADS, cpu_threads, UNS, 0, "", "CPUs the run may use")                                \
    X(IO_THREADS, io_threads, UNS, 0, "", "event-loop threads (0: a thread per worker)")           \
    X(ASYNC, async, INT, 0, "", "1 when the workload is event-loop driven")                        \
    X(CONCURRENCY, concurrency, UNS, 0, "", "closed-loop workers")                                 \
    X(DURATION_SEC, duration_sec, DBL, -1, "s", "measured time of the run")                        \
    X(RUN_IDX, run_idx, UNS, 0, "", "repetition of the level, from 0")                             \
    X(QPS, qps, DBL, 2, "1/s", "operations per second")                                            \
    X(P50_US, p50_us, DBL, 3, "us", "median latency")                                              \
    X(P90_US, p90_us, DBL, 3, "us", "90th percentile latency")                                     \
    X(P99_US, p99_us, DBL, 3, "us", "99th percentile latency")                                     \
    X(MAX_US, max_us, DBL, 3, "us", "largest latency")                                             \
    X(RU_MAXRSS, ru_maxrss, LONG, 0, "KiB", "peak resident memory of the run's process")           \
    X(EXIT_CODE, exit_code, INT, 0, "", "exit status of the run's process")                        \
    X(TIMEOUT_KILLED, timeout_killed, INT, 0, "", "1 when the run was killed at its timeout")      \
    X(MEAN_US, mean_us, OPT, 3, "us", "mean latency (empty when unknown)")                         \
    X(ERRORS, errors, U64, 0, "", "failed operations")                                             \
    X(OPS, ops, U64, 0, "", "operations, successful and failed")                                   \
    X(LITTLE_RATIO, little_ratio, OPT, 4, "",                                                      \
      "qps x mean / concurrency: 1 for an honest closed loop (empty when unknown)")                \
    X(FAIRNESS, fairness, OPT, 4, "", "Jain's index of per-worker operation counts")               \
    X(CLOCK_NS, clock_ns, OPT, 1, "ns", "cost of one clock read")                                  \
    X(P999_US, p999_us, OPT, 3, "us", "99.9th percentile latency (empty when unknown)")            \
    X(OFFERED_QPS, offered_qps, OPT, 2, "1/s",                                                     \
      "open loop (--rate): operations per second asked for (empty: closed loop)")                  \
    X(BUSY_CPUS, busy_cpus, OPT, 2, "",                                                            \
      "CPUs' worth the machine was busy during the run, by its own account (/proc/stat)")          \
    X(OTHER_CPUS, other_cpus, OPT, 2, "",                                                          \
      "CPUs' worth of that busy time that was not the agent's or its run's")                       \
    X(WAIT_CPUS, wait_cpus, OPT, 2, "",                                                            \
      "CPUs' worth of time the run's workers were runnable but waiting for a CPU "                 \
      "(schedstat; empty for event-loop and command workloads)")                                   \
    X(CPU_SHARE, cpu_share, OPT, 3, "",                                                            \
      "share of the CPU the run called for that it got, written by the harness "                   \
      "(docs/analysis.md; below 0.9 the run was spoiled by a busy host; empty: unknown)")          \
    X(ARCH, arch, TEXT, 0, "",                                                                     \
      "the machine's architecture (uname -m): results of several are separate series")

/* Column indexes: ROW_COL_QPS, ... */
enum row_col {
#define ROW_X_ID(id, field, type, prec, unit, help) ROW_COL_##id,
    ROW_COLUMNS(ROW_X_ID)
#undef ROW_X_ID
        ROW_NCOLS
};

#define ROW_NCOLS_FIXED 17 /* the columns every version of the CSV has had */

enum row_type { ROW_I64, ROW_TEXT, ROW_UNS, ROW_INT, ROW_LONG, ROW_U64, ROW_DBL, ROW_OPT };

/* One column: its name (the CSV header and the JSON key), type and where it is. */
struct row_colinfo {
    const char *name;
    enum row_type type;
    int prec;
    size_t off; /* offsetof(struct row, field) */
    const char *unit, *help;
};

extern const struct row_colinfo row_cols[ROW_NCOLS];

#define ROW_PLAN_MAX 128 /* longest plan label + 1 */
#define ROW_ARCH_MAX 16  /* longest architecture name + 1 */

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
    double little_ratio;     /* qps * mean / concurrency: 1 for an honest closed loop */
    double fairness;         /* Jain's index of per-worker op counts */
    double clock_ns;         /* cost of one clock read */
    double p999_us;          /* NAN when unknown (a benchmark's own result line) */
    double offered_qps;      /* open loop: the rate asked for; NAN for a closed loop */
    double busy_cpus;        /* the machine's busy CPUs during the run; NAN when unknown */
    double other_cpus;       /* of those, not the agent's or its run's; NAN when unknown */
    double wait_cpus;        /* workers' runnable-but-waiting time / window; NAN: unknown */
    double cpu_share;        /* the host's judgement (plot/interfere.h); NAN from the agent */
    char arch[ROW_ARCH_MAX]; /* uname -m */
};

/* Write the header line (the column names) and a newline.  0, or -1 on a write error. */
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
