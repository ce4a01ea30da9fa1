/*
 * outfile — write output files so that none is ever seen half-written and none is written
 * through a planted link: each is written by fsutil_write_atomic (a new file with a random
 * name in the same directory, O_EXCL and O_NOFOLLOW, fsync, renamed over its final name,
 * directory fsync'ed); and read bounded input files.
 */
#ifndef VMSWEEP_OUTFILE_H
#define VMSWEEP_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

/* Create directory dir (and missing parents) if it does not exist; -1 with a message. */
int outfile_mkdir(const char *dir, FILE *diag);

/*
 * Atomically replace dir/name with len bytes of data (mode 0644); -1 with a message (from
 * fsutil, on stderr; on diag when out of memory).  A symbolic link at dir/name is
 * replaced, its target left as it was.
 */
int outfile_write(const char *dir, const char *name, const void *data, size_t len, FILE *diag);

/* Bytes of a plot outfile_slurp is asked to read at most (plots are far smaller). */
#define OUTFILE_MAX_SLURP (64ULL << 20)

/*
 * Read the whole regular file dir/name into a malloc'd buffer (*len bytes,
 * NUL-terminated).  A FIFO or a device is refused ("'path' is not a regular file"), and so
 * is a file of more than max bytes; -1 with a message on diag.
 */
int outfile_slurp(const char *dir, const char *name, unsigned long long max, char **data,
                  size_t *len, FILE *diag);

/*
 * Write s escaped for XML/HTML text and attribute values (& < > " '); other control
 * characters than tab and newlines become '?' (XML 1.0 cannot carry them).
 */
void outfile_xml_escape(FILE *f, const char *s);

#endif
