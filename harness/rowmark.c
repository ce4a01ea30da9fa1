/* rowmark — see rowmark.h. */
#include "rowmark.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fsutil.h"
#include "log.h"
#include "row.h"

/* The mark for (c, r), or NULL. */
static const struct rowmark *find(const struct rowmark *m, size_t n, uint64_t c, uint64_t r)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].concurrency == c && m[i].run_idx == r)
            return &m[i];
    return NULL;
}

/*
 * The fields of one CSV line [s, e): start offsets into starts[0..max) and ends; quoted
 * fields ("a,""b""") span their quotes.  The number of fields, or -1 when more than max.
 */
static int split(const char *s, const char *e, const char **starts, const char **ends, int max)
{
    int n = 0;
    const char *p = s;

    for (;;) {
        const char *f = p;
        bool q = p < e && *p == '"';
        if (n == max)
            return -1;
        if (q) {
            for (p++; p < e; p++) {
                if (*p == '"' && p + 1 < e && p[1] == '"')
                    p++;
                else if (*p == '"') {
                    p++;
                    break;
                }
            }
        }
        while (p < e && *p != ',')
            p++;
        starts[n] = f;
        ends[n++] = p;
        if (p >= e)
            return n;
        p++;
    }
}

/* Append len bytes to *out (grown as needed). */
static int put(char **out, size_t *used, size_t *cap, const char *s, size_t len)
{
    if (!*out || *used + len + 1 > *cap) {
        size_t ncap = (*cap ? *cap * 2 : 4096) + len;
        char *nb = realloc(*out, ncap);
        if (!nb) {
            log_error("out of memory");
            return -1;
        }
        *out = nb;
        *cap = ncap;
    }
    memcpy(*out + *used, s, len);
    *used += len;
    (*out)[*used] = '\0';
    return 0;
}

/*
 * An edit finds in the line [s, e) the span [*vs, *ve) of the field to replace and writes its new
 * text into val; 0, or 1 to keep the line as it is.  first: the file's first line.
 */
/* Rewrite the file at path line by line through edit (above), atomically.  0 or -1. */
static int rewrite(const char *path,
                   int (*edit)(void *arg, bool first, const char *s, const char *e, const char **vs,
                               const char **ve, char *val, size_t vlen),
                   void *arg)
{
    char *in = NULL, *out = NULL, val[32];
    size_t len = 0, used = 0, cap = 0;
    int ret = -1;

    if (fsutil_read_file(path, &in, &len) < 0)
        return -1;
    for (const char *p = in; p < in + len;) {
        const char *le = memchr(p, '\n', (size_t)(in + len - p));
        const char *end = le ? le : in + len, *vs, *ve;
        if (edit(arg, p == in, p, end, &vs, &ve, val, sizeof(val)) == 0) {
            if (put(&out, &used, &cap, p, (size_t)(vs - p)) < 0 ||
                put(&out, &used, &cap, val, strlen(val)) < 0 ||
                put(&out, &used, &cap, ve, (size_t)(end - ve)) < 0)
                goto cleanup;
        } else if (put(&out, &used, &cap, p, (size_t)(end - p)) < 0) {
            goto cleanup;
        }
        if (le && put(&out, &used, &cap, "\n", 1) < 0)
            goto cleanup;
        p = le ? le + 1 : end;
    }
    ret = fsutil_write_atomic(path, out ? out : "", used, 0644);
cleanup:
    free(in);
    free(out);
    return ret;
}

/* The CSV's state: the marks and the header's column indexes (-1: absent). */
struct csv_edit {
    const struct rowmark *m;
    size_t n;
    int ci, ri, si;
};

static bool is_col(const char *s, const char *e, enum row_col c)
{
    size_t l = (size_t)(e - s);
    return l == strlen(row_cols[c].name) && !memcmp(s, row_cols[c].name, l);
}

static int csv_edit(void *arg, bool first, const char *s, const char *e, const char **vs,
                    const char **ve, char *val, size_t vlen)
{
    struct csv_edit *x = arg;
    const char *st[ROW_NCOLS + 8], *en[ROW_NCOLS + 8];
    int k = split(s, e, st, en, ROW_NCOLS + 8);
    const struct rowmark *mk;

    if (first) {
        for (int i = 0; i < k; i++) {
            if (is_col(st[i], en[i], ROW_COL_CONCURRENCY))
                x->ci = i;
            else if (is_col(st[i], en[i], ROW_COL_RUN_IDX))
                x->ri = i;
            else if (is_col(st[i], en[i], ROW_COL_CPU_SHARE))
                x->si = i;
        }
        return 1;
    }
    if (x->si < 0 || x->ci < 0 || x->ri < 0 || k <= x->si || k <= x->ci || k <= x->ri)
        return 1;
    mk = find(x->m, x->n, strtoull(st[x->ci], NULL, 10), strtoull(st[x->ri], NULL, 10));
    if (!mk)
        return 1;
    *vs = st[x->si];
    *ve = en[x->si];
    if (isfinite(mk->share))
        snprintf(val, vlen, "%.3f", mk->share);
    else
        val[0] = '\0';
    return 0;
}

/* The value of key in a JSONL line: [*vs, *ve) after its last `"key":`; -1 if none. */
static int json_value(const char *s, const char *e, const char *key, const char **vs,
                      const char **ve)
{
    char pat[64];
    size_t pl = (size_t)snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *hit = NULL;

    /* A key inside a string value would have its quotes escaped: a bare match is a key. */
    for (const char *q = s; q + pl <= e; q++)
        if (!memcmp(q, pat, pl))
            hit = q;
    if (!hit)
        return -1;
    *vs = hit + pl;
    for (*ve = *vs; *ve < e && **ve != ',' && **ve != '}'; (*ve)++)
        ;
    return 0;
}

static int jsonl_edit(void *arg, bool first, const char *s, const char *e, const char **vs,
                      const char **ve, char *val, size_t vlen)
{
    const struct csv_edit *x = arg;
    const char *cs, *ce, *rs, *re;
    const struct rowmark *mk;

    (void)first;
    if (json_value(s, e, row_cols[ROW_COL_CONCURRENCY].name, &cs, &ce) < 0 ||
        json_value(s, e, row_cols[ROW_COL_RUN_IDX].name, &rs, &re) < 0 ||
        json_value(s, e, row_cols[ROW_COL_CPU_SHARE].name, vs, ve) < 0)
        return 1;
    mk = find(x->m, x->n, strtoull(cs, NULL, 10), strtoull(rs, NULL, 10));
    if (!mk)
        return 1;
    if (isfinite(mk->share))
        snprintf(val, vlen, "%.3f", mk->share);
    else
        snprintf(val, vlen, "null");
    return 0;
}

int rowmark_apply(const char *csv_path, const struct rowmark *marks, size_t n)
{
    struct csv_edit x = {marks, n, -1, -1, -1};
    size_t l = strlen(csv_path);
    char *jsonl;
    int ret;

    if (n == 0)
        return 0;
    if (rewrite(csv_path, csv_edit, &x) < 0)
        return -1;
    if (x.si < 0 || x.ci < 0 || x.ri < 0) {
        log_debug("'%s' has no cpu_share column: left as it is", csv_path);
        return 0;
    }
    if (l < 4 || strcmp(csv_path + l - 4, ".csv") != 0)
        return 0;
    jsonl = fsutil_printf("%.*s.jsonl", (int)(l - 4), csv_path);
    if (!jsonl)
        return -1;
    ret = fsutil_exists(jsonl) ? rewrite(jsonl, jsonl_edit, &x) : 0;
    free(jsonl);
    return ret;
}
