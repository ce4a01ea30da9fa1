/*
 * progress — the sweep's progress on stderr: a one-line indicator redrawn in place when
 * stderr is a terminal, plain lines (one per finished run) otherwise.
 */
#ifndef VMSWEEP_PROGRESS_H
#define VMSWEEP_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "row.h"

struct progress {
    FILE *f;
    int tty, quiet;
    unsigned nlevels, runs, done;
    uint64_t t0_ns;
};

/* Start reporting nlevels x runs runs to f (nothing at all when quiet). */
void progress_init(struct progress *p, FILE *f, int quiet, unsigned nlevels, unsigned runs);

/* A run of level index li (0-based) starts: redraw the indicator on a terminal. */
void progress_start(struct progress *p, unsigned li, unsigned concurrency, unsigned run);

/* The run of r (level index li) ended. */
void progress_done(struct progress *p, unsigned li, const struct row *r);

/* Clear the indicator line (before other messages and at the end). */
void progress_clear(struct progress *p);

#endif
