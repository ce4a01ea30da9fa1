/*
 * hist — a log-linear latency histogram in the style of HdrHistogram.
 *
 * Design.  Values are nanoseconds.  The value range is split into power-of-two buckets,
 * each divided linearly into 1024 sub-buckets (2048 in the first), so every recorded
 * value is kept with a relative error below 1/1024 (three significant digits) from 1 ns
 * up to the highest trackable value given at creation (the run timeout); larger values
 * are counted in the last slot, while the exact maximum, minimum, count and sum are
 * kept beside the counts.  Recording is a few shifts and one increment: no locks, no
 * atomics.  Each worker owns one histogram; the histograms are merged once the run has
 * ended, so the hot path never shares a cache line.  Percentiles use the nearest-rank
 * definition and report the midpoint of the slot that holds the rank.
 */
#ifndef VMSWEEP_HIST_H
#define VMSWEEP_HIST_H

#include <stddef.h>
#include <stdint.h>

struct hist;

/* Create an empty histogram tracking 1 ns .. highest_ns (at least 2048).  0 or -1. */
int hist_new(uint64_t highest_ns, struct hist **out);

/* Release a histogram; NULL is accepted. */
void hist_free(struct hist *h);

/* Record one value in nanoseconds (values above the range land in the last slot). */
void hist_record(struct hist *h, uint64_t ns);

/* Add the counts of src to dst; both must have been created with the same range. 0/-1. */
int hist_merge(struct hist *dst, const struct hist *src);

/* Clear all counts. */
void hist_reset(struct hist *h);

/* Number of recorded values. */
uint64_t hist_count(const struct hist *h);

/* Exact largest and smallest recorded values (0 when empty). */
uint64_t hist_max(const struct hist *h);
uint64_t hist_min(const struct hist *h);

/* Exact arithmetic mean of the recorded values in ns (0 when empty). */
double hist_mean(const struct hist *h);

/*
 * The value at percentile p (0 < p <= 100) by nearest rank: the midpoint of the slot
 * holding the ceil(p/100 * count)-th smallest value, clamped to [min, max].  0 when empty.
 */
uint64_t hist_percentile(const struct hist *h, double p);

/*
 * The raw counts, in HdrHistogram's counts-array order for lowest value 1 and 3
 * significant digits (slot i of a sub-bucket count of 2048): *counts points into h, *len
 * slots.  The highest trackable value it was created with is *highest.  For exporters.
 */
void hist_slots(const struct hist *h, const uint64_t **counts, size_t *len, uint64_t *highest);

#endif
