/*
 * results — what a finished run's CSVs say: hand the CSVs of every VM size to plot/ for the knee
 * analysis, the plots and the terminal summary, and check its SLO gates.
 */
#ifndef VMSWEEP_RESULTS_H
#define VMSWEEP_RESULTS_H

#include "spec.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Analyse csvs (n paths) into outdir with the output settings of s (the p99 SLO, the
 * right-sizing target and prices).  Prints the knee summary and a small terminal chart on
 * stdout.  Returns 0, or -1 (reported; the rows stay).
 */
int results_analyse(const char *const *csvs, size_t n, const char *outdir, const struct spec *s);

/* Is text a well-formed SLO gate ("p99_us<=2000@32")?  Quiet: the caller words it. */
bool results_gate_ok(const char *text);

/*
 * Check the SLO gates of s (slo, max_error_pct, min_fairness) on the CSVs and print one
 * line per check on stdout; with record (a manifest) not NULL, also add the checks to it
 * as "slo_checks".  Returns 0 when every gate holds (or none is set), 3 when one is
 * violated, -1 when they cannot be checked (reported).
 */
int results_gates(const char *const *csvs, size_t n, const struct spec *s, cJSON *record);

#endif
