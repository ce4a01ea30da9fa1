/*
 * outfile — write output files so that none is ever seen half-written: each is written
 * to a temporary file in the same directory, flushed, and renamed over its final name.
 */
#ifndef VMSWEEP_OUTFILE_H
#define VMSWEEP_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

/* Create directory dir (and missing parents) if it does not exist; -1 with a message. */
int outfile_mkdir(const char *dir, FILE *diag);

/* Atomically replace dir/name with len bytes of data; -1 with a message on diag. */
int outfile_write(const char *dir, const char *name, const void *data, size_t len, FILE *diag);

/* Bytes outfile_slurp reads at most (plots and manifests are far smaller). */
#define OUTFILE_MAX_SLURP (64ULL << 20)

/*
 * Read the whole regular file dir/name into a malloc'd buffer (*len bytes,
 * NUL-terminated).  A FIFO, device or a file over OUTFILE_MAX_SLURP is refused.
 */
int outfile_slurp(const char *dir, const char *name, char **data, size_t *len, FILE *diag);

/*
 * Write s escaped for XML/HTML text and attribute values (& < > " '); other control
 * characters than tab and newlines become '?' (XML 1.0 cannot carry them).
 */
void outfile_xml_escape(FILE *f, const char *s);

#endif
