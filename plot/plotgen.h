/*
 * plotgen — gnuplot: generate plots.gp (self-contained: data as inline datablocks, kept
 * next to the plots so that `gnuplot plots.gp` re-renders them), the small dumb-terminal
 * chart for CI logs, and run gnuplot.
 */
#ifndef VMSWEEP_PLOTGEN_H
#define VMSWEEP_PLOTGEN_H

#include <stddef.h>
#include <stdio.h>

#include "analysis.h"

#define PLOTGEN_WIDTH       1024 /* size of every rendered plot, pixels */
#define PLOTGEN_HEIGHT      640
#define PLOTGEN_SCRIPT      "plots.gp"
#define PLOTGEN_MAX_OUTPUTS 5

enum plotgen_format { PLOTGEN_PNG, PLOTGEN_SVG };

/*
 * What the titles add about the accelerator the guest ran under (from a->accel), e.g.
 * " - guest under TCG (emulated CPU: ...)"; "" when unknown.  A static string.
 */
const char *plotgen_accel_note(const struct analysis *a);

/* The file extension of a format, "png" or "svg". */
const char *plotgen_ext(enum plotgen_format fmt);

/*
 * The plot files the script writes for a: qps_vs_concurrency, latency_vs_concurrency,
 * qps_vs_p99, when some plan ran on two or more VM sizes scaling, and with right-sizing
 * (a->sizing) capacity_vs_vcpus (names with the
 * extension, static strings).  Returns how many were stored in names (at most
 * PLOTGEN_MAX_OUTPUTS).
 */
size_t plotgen_outputs(const struct analysis *a, enum plotgen_format fmt,
                       const char *names[PLOTGEN_MAX_OUTPUTS]);

/*
 * Write plots.gp for a to f.  Output names are prefixed with the gnuplot variable
 * `outprefix` (default "", settable with gnuplot -e).  The knee of each curve is labelled
 * "knee N=<n>".  -1 when writing fails.
 */
int plotgen_script(FILE *f, const struct analysis *a, enum plotgen_format fmt);

/* Write a script that draws qps vs concurrency on gnuplot's dumb terminal (79x24). */
int plotgen_terminal_script(FILE *f, const struct analysis *a);

/* 1 when a `gnuplot` executable is on PATH, else 0. */
int plotgen_have_gnuplot(void);

/*
 * Run `gnuplot [-e "outprefix='PREFIX'"] SCRIPT` in directory dir.  gnuplot's standard
 * output goes to capture (NULL: discarded), its errors to dir/gnuplot.log (with a prefix;
 * else discarded).  -1 with a message on diag when gnuplot cannot be started, fails,
 * runs past the deadline or is cancelled (cancel.h; it is killed, with its process group).
 */
int plotgen_run(const char *dir, const char *script, const char *outprefix, FILE *capture,
                FILE *diag);

/* How long gnuplot may take for one script before it is killed (and the run fails). */
#define PLOTGEN_TIMEOUT_MS 120000u

/* Set the deadline of plotgen_run (0: PLOTGEN_TIMEOUT_MS); for tests and slow hosts. */
void plotgen_set_timeout_ms(unsigned ms);

#endif
