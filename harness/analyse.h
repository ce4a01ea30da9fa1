/*
 * analyse — the end of a run: hand the CSVs of every VM size to plot/ for the knee
 * analysis, the plots and the terminal summary.
 */
#ifndef VMSWEEP_ANALYSE_H
#define VMSWEEP_ANALYSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Analyse csvs (n paths) into outdir; slo_p99_us 0 = none.  Prints the knee summary and
 * a small terminal chart on stdout.  Returns 0, or -1 (reported; the rows stay).
 */
int analyse_run(const char *const *csvs, size_t n, const char *outdir, uint64_t slo_p99_us);

#endif
