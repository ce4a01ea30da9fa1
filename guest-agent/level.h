/*
 * level — one (concurrency level, run) in the current process: the closed loop of
 * worker threads for thread-per-worker workloads (or the workload's own run), the
 * histograms, and the row's statistics.  Called in the child process of each run.
 */
#ifndef VMSWEEP_LEVEL_H
#define VMSWEEP_LEVEL_H

#include <stdint.h>

#include "wl.h"

/* What one run is asked to do. */
struct level_params {
    unsigned concurrency;
    unsigned threads; /* CPUs the run may use; event loops for async workloads */
    uint64_t duration_ns;
    uint64_t warmup; /* unrecorded ops per worker */
    uint64_t timeout_ns;
};

/* The statistics of one run (latencies in µs); sent from the child over a pipe. */
struct level_result {
    uint64_t ops, errors;
    double qps, p50_us, p90_us, p99_us, p999_us, max_us, mean_us, fairness;
    int exit_code; /* status of a user command (cmd workload), else 0 */
};

/*
 * Run workload w (configuration cfg, already checked) once at p.  0 and *out filled,
 * or -1 when the run could not happen (said on stderr).
 */
int level_run(const struct wl *w, void *cfg, const struct level_params *p,
              struct level_result *out);

#endif
