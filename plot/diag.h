/*
 * diag — a command's diagnostics stream: stderr with the command's prefix ("vmsweep
 * plot: ") at the start of every line, so the messages of the modules it calls (CSV
 * errors, file errors) say which command speaks, as its own do.
 */
#ifndef VMSWEEP_DIAG_H
#define VMSWEEP_DIAG_H

#include <stdio.h>

/* A line-buffered stream onto stderr prefixing every line with prefix (which must
 * outlive it); stderr itself when memory runs out.  Release with diag_close. */
FILE *diag_open(const char *prefix);

/* Flush and release a stream from diag_open (stderr and NULL are left alone). */
void diag_close(FILE *f);

#endif
