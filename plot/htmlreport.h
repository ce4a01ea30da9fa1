/*
 * htmlreport — report.html: one self-contained page (plots inlined as base64 data URIs)
 * with the knee table, the level tables, warnings and the scaling table.
 */
#ifndef VMSWEEP_HTMLREPORT_H
#define VMSWEEP_HTMLREPORT_H

#include <stddef.h>
#include <stdio.h>

#include "analysis.h"
#include "plotgen.h"

/*
 * Write the page to f.  The n_plots files named in plots (inside dir) are inlined; with
 * n_plots == 0 the page says the plots are missing and why (note, may be NULL).
 * -1 when a plot cannot be read or writing fails (reported on diag).
 */
int htmlreport_write(FILE *f, const struct analysis *a, const char *dir, enum plotgen_format fmt,
                     const char *const *plots, size_t n_plots, const char *note, FILE *diag);

#endif
