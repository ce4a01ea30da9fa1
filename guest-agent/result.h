/*
 * result — read the result line a user's own benchmark prints (the cmd workload).
 *
 * The last non-blank line of its output is either a flat JSON object with the numbers
 * qps, p50_us, p90_us, p99_us and max_us (optionally mean_us, errors, ops; other keys
 * are ignored), or a CSV row whose first 17 columns follow the vmsweep schema (qps and
 * the latencies are taken from columns 10..14).  Pure functions, no I/O: fuzzed by
 * tests/fuzz/fuzz_result.c.
 */
#ifndef VMSWEEP_RESULT_H
#define VMSWEEP_RESULT_H

#include <stddef.h>
#include <stdint.h>

/* What a benchmark reported.  Optional values absent from the line are NAN. */
struct result {
    double qps, p50_us, p90_us, p99_us, max_us;
    double mean_us; /* optional */
    double errors;  /* optional */
    double ops;     /* optional */
};

/*
 * Parse the last non-blank line of len bytes of output (which need not be
 * NUL-terminated).  0 and *out filled, or -1 with a sentence in err (errlen bytes).
 */
int result_parse_output(const char *buf, size_t len, struct result *out, char *err, size_t errlen);

/* Parse one line (no line break inside) as result_parse_output does. */
int result_parse_line(const char *line, size_t len, struct result *out, char *err, size_t errlen);

#endif
