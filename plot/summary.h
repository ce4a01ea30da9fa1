/*
 * summary — the human-readable knee summary (knee_summary.txt, also printed at the end
 * of `vmsweep run`): per plan and VM size the level table, where each method placed
 * the knee, the recommendation and the warnings; then the scaling-efficiency table.
 */
#ifndef VMSWEEP_SUMMARY_H
#define VMSWEEP_SUMMARY_H

#include <stdio.h>

#include "analysis.h"

/* Write the summary of a to f; -1 when writing fails. */
int summary_write(FILE *f, const struct analysis *a);

#endif
