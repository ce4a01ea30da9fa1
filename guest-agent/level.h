/*
 * level — one (concurrency level, run) in the current process: the loop of worker
 * threads for thread-per-worker workloads (or the workload's own run), the histograms,
 * and the row's statistics.  Called in the child process of each run.
 *
 * Closed loop (the default): each worker issues its next operation when the last one
 * completes.  Open loop (rate > 0, wrk2-style): operations are due at a constant arrival
 * rate, worker i of n at start + (i + k n) / rate for k = 0, 1, ...; a worker that falls
 * behind issues the next one at once (nothing is skipped), and latency is counted from
 * the operation's intended start, so a stall shows up in every operation it delayed
 * instead of in one (coordinated omission corrected).  The window is fixed: operations
 * not begun by its end are not issued, so achieved qps < rate shows an overload.
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
    uint64_t rate;       /* open loop: operations per second, all workers; 0: closed loop */
    int hlog_fd;         /* the run's histogram is appended here as one .hlog line; -1: none */
    uint64_t hlog_t0_ns; /* wl_now_ns() at the log's start time */
};

/* The statistics of one run (latencies in µs); sent from the child over a pipe. */
struct level_result {
    uint64_t ops, errors;
    double qps, p50_us, p90_us, p99_us, p999_us, max_us, mean_us, fairness;
    int exit_code;    /* status of a user command (cmd workload), else 0 */
    double wait_cpus; /* workers' time runnable but not running / window; NAN: unknown */
};

/* When operation k of worker id (of nworkers) is due in an open loop at rate operations
 * per second in all, starting at start_ns. */
uint64_t level_intended_ns(uint64_t start_ns, double rate, unsigned id, unsigned nworkers,
                           uint64_t k);

/*
 * Run workload w (configuration cfg, already checked) once at p.  0 and *out filled,
 * or -1 when the run could not happen (said on stderr).
 */
int level_run(const struct wl *w, void *cfg, const struct level_params *p,
              struct level_result *out);

#endif
