/*
 * units — checked parsing of the numbers users type: counts, durations, sizes, lists.
 *
 * Shared by the agent and the harness.  Every parser takes the whole string (no
 * trailing garbage, no sign, no empty input), checks the range and returns 0 on
 * success, -EINVAL for a malformed value and -ERANGE for one outside [min, max].
 * The out parameter is written only on success.  Callers report the error, naming
 * the option, since only they know it.
 */
#ifndef VMSWEEP_UNITS_H
#define VMSWEEP_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define UNITS_US_PER_SEC 1000000ULL

/* A plain unsigned decimal integer in [min, max]. */
int units_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A non-negative decimal number ("12", "0.05", ".5") with an optional multiplier k (10^3)
 * or M (10^6): "20k", "1.5M".  No sign, exponent, hex, inf or nan.
 */
int units_parse_number(const char *s, double min, double max, double *out);

/*
 * A duration with an optional unit: us, ms, s, m, h ("500ms", "2s", "1.5s").  A bare
 * number is in default_unit_us microseconds (1000000 for "seconds").  Result in µs.
 */
int units_parse_duration(const char *s, uint64_t default_unit_us, uint64_t min_us, uint64_t max_us,
                         uint64_t *out_us);

/*
 * A size with an optional binary unit: K, M, G, T (also KiB/MiB/GiB/TiB, KB/MB/GB, any
 * case).  A bare number is in default_unit bytes (1 for bytes, 1 << 20 for MiB).
 */
int units_parse_size(const char *s, uint64_t default_unit, uint64_t min, uint64_t max,
                     uint64_t *out);

/*
 * A list of integers separated by commas and/or whitespace ("1 2 4", "1,2,4").
 * Each element must lie in [min, max]; at most cap elements are accepted (-E2BIG
 * beyond).  On success *n holds the count (at least 1).
 */
int units_parse_list(const char *s, uint64_t min, uint64_t max, uint64_t *vals, size_t cap,
                     size_t *n);

/* Format a duration in µs as a short human string ("850us", "1.5ms", "12s", "3m20s"). */
void units_fmt_duration(uint64_t us, char *buf, size_t len);

/* Format a byte count with a binary unit ("512", "64K", "1.5G"). */
void units_fmt_size(uint64_t bytes, char *buf, size_t len);

/* The value of the hex digit c (either case), or -1 when c is not one. */
int units_hexdigit(char c);

#endif
