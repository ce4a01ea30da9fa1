/*
 * csv — read sweep CSV files (the vmsweep schema, or any sweep tool's CSV with the same
 * column names) into rows of numbers.
 *
 * Columns are found by header name, so their order does not matter and extra columns are
 * ignored.  Required: plan, vcpus, concurrency, qps, p50_us, p90_us, p99_us.  Optional
 * (NAN or 0 when absent or empty): run_idx, max_us, mean_us, errors, ops, fairness,
 * p999_us, offered_qps,
 * timeout_killed, exit_code.  Fields may be quoted ("a,b", "say ""hi"""); lines end in LF or CRLF;
 * a UTF-8 byte-order mark and blank lines are skipped.  Every error names file:line:column. Shared
 * by `vmsweep plot` and `vmsweep compare`.
 */
#ifndef VMSWEEP_CSV_H
#define VMSWEEP_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Limits.  A sweep CSV is small (tens of columns, a few hundred rows); the caps only keep a
 * hostile or corrupt file from costing unbounded time or memory, and each refusal names the
 * file (and line) and the cap.
 */
#define CSV_PLAN_MAX    128          /* longest plan name + 1 */
#define CSV_MAX_ROWS    10000000     /* refuse files with more data rows than this */
#define CSV_MAX_COLUMNS 256          /* refuse lines with more fields than this */
#define CSV_MAX_LINE    65536        /* refuse lines (records) longer than this, bytes */
#define CSV_MAX_BYTES   (1ULL << 30) /* refuse files larger than this (1 GiB) */

/* One data row.  Optional numeric columns that are absent or empty hold NAN. */
#define CSV_ARCH_MAX 16 /* longest architecture name + 1 */

struct csv_row {
    char plan[CSV_PLAN_MAX];
    char arch[CSV_ARCH_MAX]; /* the machine's architecture; "" when the CSV has none */
    uint64_t vcpus;
    uint64_t concurrency;
    uint64_t run_idx; /* 0 when absent */
    double qps;
    double p50_us;
    double p90_us;
    double p99_us;
    double max_us;      /* NAN when absent */
    double p999_us;     /* NAN when absent (files before the column, or unknown) */
    double offered_qps; /* open loop's asked rate; NAN when absent (a closed loop) */
    double mean_us;     /* NAN when absent */
    double errors;      /* NAN when absent */
    double ops;         /* operations (successful and failed), NAN when absent */
    double fairness;    /* fairness between workers in [0, 1], NAN when absent */
    double cpu_threads; /* CPUs the run may use; NAN when absent */
    double busy_cpus;   /* the machine's busy CPUs during the run, by its own account */
    double other_cpus;  /* of those, not the agent's; NAN when absent */
    double wait_cpus;   /* the workers' time waiting for a CPU / window; NAN when absent */
    double cpu_share;   /* the share of its CPU demand the run got (interfere.h); NAN: unknown */
    int timeout_killed;
    long exit_code; /* 0 when absent */
    size_t line;    /* line number in the file, for messages */
};

/* A parsed file: its name (as given) and its data rows in file order. */
struct csv_table {
    char *name;
    struct csv_row *rows;
    size_t n;
    int has_mean;            /* the file has a mean_us column */
    char host[CSV_PLAN_MAX]; /* the host's CPU model, from the run's manifest (not the
                              * CSV: set by analysis_load); "" when unknown */
};

/*
 * Parse len bytes of CSV text named name (used in messages).  On error, prints one
 * sentence "name:line:col: ..." to diag (NULL: silent) and returns -1.  On success
 * *out holds a table to release with csv_free; a header without data rows is valid
 * (n == 0).
 */
int csv_parse_buffer(const char *name, const char *buf, size_t len, FILE *diag,
                     struct csv_table **out);

/*
 * Read and parse the file at path, as csv_parse_buffer.  Only a regular file is read (a
 * FIFO or a device is refused at once, "'path' is not a regular file"), of at most
 * CSV_MAX_BYTES.  Parsing stops with "interrupted" when cancel_requested() (cancel.h).
 */
int csv_read(const char *path, FILE *diag, struct csv_table **out);

/* Reset r to a row with no column read: numbers 0, the optional ones NAN (absent). */
void csv_row_clear(struct csv_row *r);

/* Release a table; NULL is accepted. */
void csv_free(struct csv_table *t);

#endif
