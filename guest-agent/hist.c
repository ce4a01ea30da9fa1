/* hist — see hist.h for the design. */
#include "hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HIST_SUB_BITS  11 /* 2048 sub-buckets: 3 significant digits */
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)
#define HIST_SUB_HALF  (HIST_SUB_COUNT / 2)
#define HIST_SUB_MASK  ((uint64_t)HIST_SUB_COUNT - 1)

struct hist {
    uint64_t highest;
    uint64_t count;
    uint64_t sum;
    uint64_t min;
    uint64_t max;
    size_t len;
    uint64_t counts[];
};

/* The slot of value v (v within range). */
static size_t slot_of(uint64_t v)
{
    unsigned bucket = (unsigned)(64 - __builtin_clzll(v | HIST_SUB_MASK)) - HIST_SUB_BITS;
    uint64_t sub = v >> bucket;
    return ((size_t)(bucket + 1) << (HIST_SUB_BITS - 1)) + (size_t)(sub - HIST_SUB_HALF);
}

/* Lowest value and width of slot i. */
static void slot_range(size_t i, uint64_t *lo, uint64_t *width)
{
    size_t bucket = i >> (HIST_SUB_BITS - 1);
    size_t sub = i & (HIST_SUB_HALF - 1);

    if (bucket == 0) {
        *lo = i;
        *width = 1;
        return;
    }
    bucket -= 1;
    *lo = (uint64_t)(sub + HIST_SUB_HALF) << bucket;
    *width = (uint64_t)1 << bucket;
}

int hist_new(uint64_t highest_ns, struct hist **out)
{
    struct hist *h;
    size_t len;

    if (highest_ns < HIST_SUB_COUNT)
        highest_ns = HIST_SUB_COUNT;
    if (highest_ns > (UINT64_MAX >> 2))
        highest_ns = UINT64_MAX >> 2;
    len = slot_of(highest_ns) + 1;
    h = calloc(1, sizeof(*h) + len * sizeof(h->counts[0]));
    if (!h)
        return -1;
    h->highest = highest_ns;
    h->len = len;
    h->min = UINT64_MAX;
    *out = h;
    return 0;
}

void hist_free(struct hist *h)
{
    free(h);
}

void hist_record(struct hist *h, uint64_t ns)
{
    h->counts[slot_of(ns < h->highest ? ns : h->highest)]++;
    h->count++;
    h->sum += ns;
    if (ns > h->max)
        h->max = ns;
    if (ns < h->min)
        h->min = ns;
}

int hist_merge(struct hist *dst, const struct hist *src)
{
    if (dst->len != src->len)
        return -1;
    for (size_t i = 0; i < src->len; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
    if (src->min < dst->min)
        dst->min = src->min;
    return 0;
}

void hist_reset(struct hist *h)
{
    memset(h->counts, 0, h->len * sizeof(h->counts[0]));
    h->count = h->sum = h->max = 0;
    h->min = UINT64_MAX;
}

uint64_t hist_count(const struct hist *h)
{
    return h->count;
}

uint64_t hist_max(const struct hist *h)
{
    return h->max;
}

uint64_t hist_min(const struct hist *h)
{
    return h->count ? h->min : 0;
}

double hist_mean(const struct hist *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
    uint64_t rank, seen = 0, lo, width, v;

    if (!h->count)
        return 0;
    if (p <= 0)
        return hist_min(h);
    rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
    if (rank < 1)
        rank = 1;
    if (rank >= h->count)
        return h->max;
    for (size_t i = 0; i < h->len; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            slot_range(i, &lo, &width);
            v = lo + (width - 1) / 2;
            if (v < h->min)
                v = h->min;
            if (v > h->max)
                v = h->max;
            return v;
        }
    }
    return h->max;
}

void hist_slots(const struct hist *h, const uint64_t **counts, size_t *len, uint64_t *highest)
{
    *counts = h->counts;
    *len = h->len;
    *highest = h->highest;
}
