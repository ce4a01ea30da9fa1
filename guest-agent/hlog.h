/*
 * hlog — export latency histograms in HdrHistogram's interval-log format (".hlog",
 * log format version 1.3), one line per run, tagged with its level ("Tag=c8"), so the
 * HdrHistogram tools in every language read them.
 *
 * Each line holds one histogram in HdrHistogram's V2 compressed encoding, in base64: a
 * header (cookie 0x1c849314, length) and a zlib stream of the V2 encoding (cookie
 * 0x1c849313, payload length, normalizing offset 0, 3 significant digits, lowest value 1,
 * highest trackable value, conversion ratio 1.0, then the counts as ZigZag LEB128 varints
 * with runs of zeros as negative run lengths).  The agent has no zlib: the stream uses
 * stored (uncompressed) deflate blocks, which every inflater reads.  The counts array is
 * the agent's own (hist.h): its layout is HdrHistogram's for lowest value 1 ns and three
 * significant digits, so no value moves.  Values are nanoseconds.
 */
#ifndef VMSWEEP_HLOG_H
#define VMSWEEP_HLOG_H

#include <stdint.h>
#include <stdio.h>

#include "hist.h"

/* Write the log's header lines (format version, start time in seconds since the epoch,
 * the column names).  0, or -1 on a write error. */
int hlog_write_header(FILE *f, double start_epoch_s);

/*
 * The line of one interval: tag (e.g. "c8"; letters, digits, '_' only), start and length
 * in seconds (start relative to the header's start time), the histogram h.  Returns a
 * malloc'd line ending in '\n', or NULL when memory runs out.
 */
char *hlog_line(const char *tag, double start_s, double length_s, const struct hist *h);

#endif
