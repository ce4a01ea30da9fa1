/*
 * sweep — the agent's main job: every (level, run) in its own child process with a
 * timeout, each row written and fsync'ed as soon as its run ends, the summary at the
 * end (also after SIGINT/SIGTERM), and the result paths on stdout.
 */
#ifndef VMSWEEP_SWEEP_H
#define VMSWEEP_SWEEP_H

#include "opts.h"

#define SWEEP_EXIT_OK     0
#define SWEEP_EXIT_FAILED 1
#define SWEEP_EXIT_USAGE  2

/*
 * Run the sweep o describes (checked by opts_parse), clock_ns being the measured cost
 * of a clock read.  Returns the process exit status: 0 when the sweep completed (runs
 * killed at the timeout included), 1 when it could not run, 128 + signal when SIGINT or
 * SIGTERM stopped it (rows so far and the summary are kept).
 */
int sweep_run(const struct opts *o, double clock_ns);

#endif
