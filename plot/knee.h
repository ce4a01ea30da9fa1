/*
 * knee — where a concurrency sweep saturates.  Three independent placements on one
 * curve of aggregated levels (ascending concurrency): the throughput knee (the headline answer),
 * the latency knee, and Kneedle on log2(concurrency).  The USL fit lives in usl.h.
 */
#ifndef VMSWEEP_KNEE_H
#define VMSWEEP_KNEE_H

#include <stddef.h>
#include <stdint.h>

#define KNEE_NEAR_MAX     0.9  /* a knee's throughput is at least this share of the maximum */
#define KNEE_MIN_GAIN     0.10 /* ... and doubling its concurrency adds less than this */
#define KNEE_LATENCY_MULT 3.0  /* latency knee: p99 above this multiple of the lowest level's */
#define KNEE_KNEEDLE_MIN  0.10 /* Kneedle: smallest normalised distance that counts as a knee */

/* One concurrency level of a curve (medians over repetitions). */
struct knee_level {
    uint64_t concurrency;
    double qps;
    double p99_us;
};

/*
 * Throughput knee: the smallest level N with qps(N) >= 0.9 · max qps from which doubling
 * the concurrency adds less than 10% (knee_gain_per_doubling).  *idx is the level's
 * index, or -1 when there is none (throughput still grows by >= 10% per doubling where
 * it can be judged, up to the last level's half, or there is a single level).  Returns
 * -1 only for invalid input (n == 0, concurrency not strictly ascending).
 */
int knee_throughput(const struct knee_level *lv, size_t n, long *idx);

/*
 * The relative throughput gain from level i to twice its concurrency, qps(2N) / qps(N) -
 * 1, qps(2N) interpolated linearly in log2 N between the measured levels around 2N.
 * Returns -1 when 2N lies beyond the last level, qps(N) is not above 0 or the input is
 * invalid; *gain is set only on success.
 */
int knee_gain_per_doubling(const struct knee_level *lv, size_t n, size_t i, double *gain);

/*
 * Latency knee: the first level whose p99 exceeds 3 × the p99 of the lowest level.
 * *idx = -1 when none does or the lowest level's p99 is 0.  Returns -1 for invalid input.
 */
int knee_latency(const struct knee_level *lv, size_t n, long *idx);

/*
 * Kneedle (Satopää et al. 2011) on x = log2(concurrency), y = running maximum of qps,
 * both scaled to [0, 1]: the knee is the level farthest above the chord y = x, if that
 * distance is at least KNEE_KNEEDLE_MIN.  Needs 3 levels; *idx = -1 when there is no knee
 * (a linear or convex curve).  Returns -1 for invalid input.
 */
int knee_kneedle(const struct knee_level *lv, size_t n, long *idx);

/*
 * The methods placed beside the throughput knee (the headline answer, which the
 * recommendation follows): one row each, the one place that names a method for every
 * output.  Adding one is its function (a new file) and a row here; the analysis places
 * it, warns when it disagrees with the throughput knee, and the summary, knee.json,
 * report.html and the qps plot show it.
 */
enum knee_method_id {
    KNEE_LATENCY,
    KNEE_KNEEDLE,
    KNEE_NMETHODS,
};

struct knee_method {
    const char *name;      /* in sentences: "the latency knee" */
    const char *json_key;  /* knee.json: "latency_knee" */
    const char *label;     /* knee_summary.txt: "latency knee:" */
    const char *column;    /* report.html's column */
    const char *none_note; /* after "none" in the summary: why there may be none */
    const char *marker;    /* the qps plot's label: "latency knee" */
    int pointtype;         /* gnuplot point type of that label */
    int (*find)(const struct knee_level *lv, size_t n, long *idx);
};

extern const struct knee_method knee_methods[KNEE_NMETHODS];

#endif
