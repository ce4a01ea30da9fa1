/* hlog — see hlog.h. */
#include "hlog.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HLOG_V2_COOKIE        0x1c849313u /* V2 encoding, word size field 1 (LEB128) */
#define HLOG_V2_COMP_COOKIE   0x1c849314u /* V2 compressed */
#define HLOG_V2_HEADER        40          /* bytes before the counts */
#define HLOG_STORED_BLOCK_MAX 65535       /* deflate stored block's largest length */

/* A growing byte buffer; after a failed allocation bad is set and writes are dropped. */
struct hlog_buf {
    unsigned char *data;
    size_t len, cap;
    int bad;
};

static void buf_put(struct hlog_buf *b, const void *p, size_t n)
{
    if (b->bad)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        unsigned char *d;
        while (cap < b->len + n)
            cap *= 2;
        d = realloc(b->data, cap);
        if (!d) {
            b->bad = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_be32(struct hlog_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    buf_put(b, x, 4);
}

static void put_be64(struct hlog_buf *b, uint64_t v)
{
    put_be32(b, (uint32_t)(v >> 32));
    put_be32(b, (uint32_t)v);
}

/* ZigZag LEB128 of a signed 64-bit value, as HdrHistogram writes it (a 9th byte, when
 * needed, carries 8 bits). */
static void put_zigzag(struct hlog_buf *b, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
    unsigned char x[9];
    size_t n = 0;

    while (n < 8 && z >= 0x80) {
        x[n++] = (unsigned char)((z & 0x7f) | 0x80);
        z >>= 7;
    }
    x[n++] = (unsigned char)z;
    buf_put(b, x, n);
}

/* The V2 (uncompressed) encoding of h into b. */
static void encode_v2(struct hlog_buf *b, const struct hist *h)
{
    const uint64_t *counts;
    size_t len, last = 0;
    uint64_t highest;
    double ratio = 1.0;
    uint64_t ratio_bits;
    struct hlog_buf payload = {0};

    hist_slots(h, &counts, &len, &highest);
    for (size_t i = 0; i < len; i++)
        if (counts[i])
            last = i + 1;
    for (size_t i = 0; i < last;) {
        if (counts[i] == 0) {
            size_t run = 0;
            while (i < last && counts[i] == 0) {
                run++;
                i++;
            }
            put_zigzag(&payload, run > 1 ? -(int64_t)run : 0);
        } else {
            put_zigzag(&payload, (int64_t)counts[i++]);
        }
    }
    put_be32(b, HLOG_V2_COOKIE);
    put_be32(b, (uint32_t)payload.len);
    put_be32(b, 0); /* normalizing index offset */
    put_be32(b, 3); /* significant value digits */
    put_be64(b, 1); /* lowest discernible value */
    put_be64(b, highest);
    memcpy(&ratio_bits, &ratio, sizeof(ratio_bits));
    put_be64(b, ratio_bits); /* integer to double value conversion ratio */
    if (payload.bad)
        b->bad = 1;
    else if (payload.len)
        buf_put(b, payload.data, payload.len);
    free(payload.data);
}

/* Adler-32 of p[0..n). */
static uint32_t adler32(const unsigned char *p, size_t n)
{
    uint32_t a = 1, s = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        s = (s + a) % 65521u;
    }
    return (s << 16) | a;
}

/* A zlib stream of p[0..n) in stored deflate blocks. */
static void put_zlib_stored(struct hlog_buf *b, const unsigned char *p, size_t n)
{
    static const unsigned char head[2] = {0x78, 0x01};
    size_t off = 0;

    buf_put(b, head, 2);
    do {
        size_t k = n - off > HLOG_STORED_BLOCK_MAX ? HLOG_STORED_BLOCK_MAX : n - off;
        unsigned char h[5] = {off + k == n ? 1 : 0, (unsigned char)k, (unsigned char)(k >> 8),
                              (unsigned char)~k, (unsigned char)(~k >> 8)};
        buf_put(b, h, 5);
        buf_put(b, p + off, k);
        off += k;
    } while (off < n);
    put_be32(b, adler32(p, n));
}

static char *base64(const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

int hlog_write_header(FILE *f, double start_epoch_s)
{
    char when[64] = "";
    time_t t = (time_t)start_epoch_s;
    struct tm tm;

    if (gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%a %b %d %H:%M:%S UTC %Y", &tm);
    fprintf(f,
            "#[Logged with vmsweep-agent: one interval per run, tagged c<concurrency>, "
            "values in ns]\n"
            "#[Histogram log format version 1.3]\n"
            "#[StartTime: %.3f (seconds since epoch), %s]\n"
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
            "\"Interval_Compressed_Histogram\"\n",
            start_epoch_s, when);
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

char *hlog_line(const char *tag, double start_s, double length_s, const struct hist *h)
{
    struct hlog_buf v2 = {0}, z = {0}, comp = {0};
    char *b64 = NULL, *line = NULL;
    size_t cap;

    encode_v2(&v2, h);
    if (v2.bad)
        goto cleanup;
    put_zlib_stored(&z, v2.data, v2.len);
    if (z.bad)
        goto cleanup;
    put_be32(&comp, HLOG_V2_COMP_COOKIE);
    put_be32(&comp, (uint32_t)z.len);
    buf_put(&comp, z.data, z.len);
    if (comp.bad)
        goto cleanup;
    b64 = base64(comp.data, comp.len);
    if (!b64)
        goto cleanup;
    cap = strlen(b64) + strlen(tag) + 128;
    line = malloc(cap);
    if (line)
        /* Interval_Max in milliseconds, as HdrHistogram's writers scale nanoseconds. */
        snprintf(line, cap, "Tag=%s,%.3f,%.3f,%.3f,%s\n", tag, start_s, length_s,
                 (double)hist_max(h) / 1e6, b64);
cleanup:
    free(v2.data);
    free(z.data);
    free(comp.data);
    free(b64);
    return line;
}
