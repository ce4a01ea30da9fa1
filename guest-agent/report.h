/*
 * report — the human-readable sweep_<time>_summary.txt: one line per run with qps,
 * latencies, Little's-law ratio, fairness and an assessment of the row.
 */
#ifndef VMSWEEP_REPORT_H
#define VMSWEEP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "row.h"

/*
 * Write the summary of n rows to f under a title line; status says how the sweep ended
 * ("complete", "interrupted by SIGINT").  0, or -1 on a write error.
 */
int report_write(FILE *f, const char *title, const struct row *rows, size_t n, const char *status);

/* The assessment of rows[i] (the rows before it give the previous level) into buf. */
void report_assess(const struct row *rows, size_t i, char *buf, size_t len);

#endif
