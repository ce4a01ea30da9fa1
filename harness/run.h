/*
 * run — `vmsweep run`: for every VM size of a spec, provision a capped VM, run the agent
 * in it, bring the results home, destroy the VM; then analyse.
 *
 * Whatever happens (errors, a dead guest, SIGINT/SIGTERM), every VM started is destroyed
 * before run_sweep returns, the rows already written are kept (pulled over SFTP or
 * salvaged from the results disk) and manifest.json says what happened to each size.
 */
#ifndef VMSWEEP_RUN_H
#define VMSWEEP_RUN_H

#include "spec.h"

#include <stdbool.h>

/* Outcome of one VM size. */
enum run_status {
    RUN_COMPLETE,   /* the agent finished; every row is here */
    RUN_INCOMPLETE, /* the agent did not finish; the rows written so far are here */
    RUN_FAILED,     /* no rows */
};

/* Options of run_sweep beyond the spec. */
struct run_opts {
    const char *agents[DOMXML_NARCH]; /* the static agent to push, per guest architecture */
    const char *outdir;               /* created; one folder per VM size plus manifest.json */
    bool no_plot;                     /* skip the analysis at the end */
    bool no_restore; /* boot cold, never from (or into) a saved state (vmstate.h) */
};

/*
 * Run the sweep.  Returns the exit code: 0 every size complete, 1 a size failed or is
 * incomplete (or the run could not start; reported), 2 input error found late (image
 * missing...), 130/143 interrupted by SIGINT/SIGTERM (partial results kept).
 */
int run_sweep(const struct spec *s, const struct run_opts *o);

/* Install the SIGINT/SIGTERM handlers that make run_sweep stop cleanly. */
void run_install_signals(void);

/* The signal that interrupted us, or 0. */
int run_interrupted(void);

/* Printable name of a status ("complete", "incomplete", "failed"). */
const char *run_status_name(enum run_status st);

#endif
