/* result — see result.h.  A deliberately small JSON reader: one flat object. */
#include "result.h"

#include "row.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESULT_FIELD_MAX 64 /* longest number or key we accept */
#define RESULT_CSV_COLS  ROW_NCOLS_FIXED
#define RESULT_CSV_QPS   ROW_COL_QPS /* qps, p50_us, p90_us, p99_us, max_us follow in order */

_Static_assert(ROW_COL_P50_US == ROW_COL_QPS + 1 && ROW_COL_P90_US == ROW_COL_QPS + 2 &&
                   ROW_COL_P99_US == ROW_COL_QPS + 3 && ROW_COL_MAX_US == ROW_COL_QPS + 4,
               "a CSV result line's qps and latencies are read as consecutive columns");

struct cursor {
    const char *p, *end;
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    va_list ap;
    if (errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Parse exactly n bytes at s as a finite, non-negative number. */
static int parse_num(const char *s, size_t n, double *out)
{
    char tmp[RESULT_FIELD_MAX];
    char *end;
    double v;

    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (!isdigit((unsigned char)tmp[0]) && tmp[0] != '.')
        return -1; /* no sign, no "inf", no "nan" */
    v = strtod(tmp, &end);
    if (*end || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

/* A JSON string at c (keys only need to be compared: escapes are kept raw). */
static int json_string(struct cursor *c, const char **s, size_t *n)
{
    if (c->p >= c->end || *c->p != '"')
        return -1;
    c->p++;
    *s = c->p;
    while (c->p < c->end && *c->p != '"') {
        if ((unsigned char)*c->p < 0x20)
            return -1;
        if (*c->p == '\\' && ++c->p >= c->end)
            return -1;
        c->p++;
    }
    if (c->p >= c->end)
        return -1;
    *n = (size_t)(c->p - *s);
    c->p++;
    return 0;
}

/* Skip a scalar JSON value (string, number, true, false, null); *num set for numbers. */
static int json_scalar(struct cursor *c, int *is_num, double *num)
{
    const char *s = c->p, *t;
    size_t n;

    *is_num = 0;
    if (c->p < c->end && *c->p == '"')
        return json_string(c, &t, &n);
    while (c->p < c->end && *c->p != ',' && *c->p != '}' && !isspace((unsigned char)*c->p))
        c->p++;
    n = (size_t)(c->p - s);
    if ((n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "null", 4))) ||
        (n == 5 && !memcmp(s, "false", 5)))
        return 0;
    if (n && s[0] == '-')
        return -2; /* a negative number: reported by the caller */
    if (parse_num(s, n, num) < 0)
        return -1;
    *is_num = 1;
    return 0;
}

/* The values read, named as the CSV's columns (the first RESULT_NREQUIRED are required). */
static const enum row_col result_cols[] = {ROW_COL_QPS,    ROW_COL_P50_US, ROW_COL_P90_US,
                                           ROW_COL_P99_US, ROW_COL_MAX_US, ROW_COL_MEAN_US,
                                           ROW_COL_ERRORS, ROW_COL_OPS};
#define RESULT_NKEYS     (sizeof(result_cols) / sizeof(result_cols[0]))
#define result_key(k)    (row_cols[result_cols[k]].name)
#define RESULT_NREQUIRED 5

static double *result_slot(struct result *r, size_t k)
{
    double *slots[RESULT_NKEYS] = {&r->qps,    &r->p50_us,  &r->p90_us, &r->p99_us,
                                   &r->max_us, &r->mean_us, &r->errors, &r->ops};
    return slots[k];
}

static int parse_json(const char *line, size_t len, struct result *out, char *err, size_t errlen)
{
    struct cursor c = {line, line + len};
    struct result r;
    int seen[RESULT_NKEYS] = {0};

    for (size_t k = 0; k < RESULT_NKEYS; k++)
        *result_slot(&r, k) = NAN;
    skip_ws(&c);
    c.p++; /* '{' */
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            const char *key;
            size_t klen, k;
            int is_num, rc;
            double v = 0;

            skip_ws(&c);
            if (json_string(&c, &key, &klen) < 0)
                return fail(err, errlen, "the JSON result line has a malformed key");
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ':')
                return fail(err, errlen, "the JSON result line lacks a ':' after a key");
            c.p++;
            skip_ws(&c);
            rc = json_scalar(&c, &is_num, &v);
            for (k = 0; k < RESULT_NKEYS; k++)
                if (strlen(result_key(k)) == klen && !memcmp(result_key(k), key, klen))
                    break;
            if (rc == -2 && k < RESULT_NKEYS)
                return fail(err, errlen, "the JSON result line has a negative '%s'", result_key(k));
            if (rc < 0)
                return fail(err, errlen, "the JSON result line has a malformed value");
            if (k < RESULT_NKEYS) {
                if (seen[k])
                    return fail(err, errlen, "the JSON result line has '%s' twice", result_key(k));
                if (!is_num)
                    return fail(err, errlen, "'%s' in the JSON result line is not a number",
                                result_key(k));
                seen[k] = 1;
                *result_slot(&r, k) = v;
            }
            skip_ws(&c);
            if (c.p < c.end && *c.p == ',') {
                c.p++;
                continue;
            }
            if (c.p < c.end && *c.p == '}') {
                c.p++;
                break;
            }
            return fail(err, errlen, "the JSON result line lacks a ',' or '}'");
        }
    }
    skip_ws(&c);
    if (c.p != c.end)
        return fail(err, errlen, "the JSON result line has text after the object");
    for (size_t k = 0; k < RESULT_NREQUIRED; k++)
        if (!seen[k])
            return fail(err, errlen, "the JSON result line has no '%s'", result_key(k));
    *out = r;
    return 0;
}

/* Split a CSV line (double-quoted fields allowed) and read the qps..max_us columns. */
static int parse_csv(const char *line, size_t len, struct result *out, char *err, size_t errlen)
{
    struct result r;
    const char *p = line, *end = line + len;
    size_t col = 0;

    for (size_t k = 0; k < RESULT_NKEYS; k++)
        *result_slot(&r, k) = NAN;
    for (;;) {
        const char *s = p;
        size_t n;
        if (p < end && *p == '"') {
            p++;
            while (p < end && !(*p == '"' && (p + 1 >= end || p[1] != '"')))
                p += *p == '"' ? 2 : 1;
            if (p >= end)
                return fail(err, errlen, "the CSV result line has an unterminated quote");
            p++;
            if (p < end && *p != ',')
                return fail(err, errlen, "the CSV result line has text after a quoted field");
        } else {
            while (p < end && *p != ',')
                p++;
        }
        n = (size_t)(p - s);
        if (col >= RESULT_CSV_QPS && col < RESULT_CSV_QPS + RESULT_NREQUIRED &&
            parse_num(s, n, result_slot(&r, col - RESULT_CSV_QPS)) < 0)
            return fail(err, errlen, "column %zu (%s) of the CSV result line is not a number",
                        col + 1, result_key(col - RESULT_CSV_QPS));
        col++;
        if (p >= end)
            break;
        p++; /* ',' */
    }
    if (col < RESULT_CSV_COLS)
        return fail(err, errlen, "the CSV result line has %zu columns, not at least %d", col,
                    RESULT_CSV_COLS);
    *out = r;
    return 0;
}

int result_parse_line(const char *line, size_t len, struct result *out, char *err, size_t errlen)
{
    size_t i = 0;

    while (i < len && isspace((unsigned char)line[i]))
        i++;
    while (len > i && isspace((unsigned char)line[len - 1]))
        len--;
    if (i == len)
        return fail(err, errlen, "the result line is empty");
    if (memchr(line + i, '\n', len - i) || memchr(line + i, '\0', len - i))
        return fail(err, errlen, "the result line holds a line break or NUL byte");
    if (line[i] == '{')
        return parse_json(line + i, len - i, out, err, errlen);
    return parse_csv(line + i, len - i, out, err, errlen);
}

int result_parse_output(const char *buf, size_t len, struct result *out, char *err, size_t errlen)
{
    size_t end = len, start;

    while (end && isspace((unsigned char)buf[end - 1]))
        end--;
    if (!end)
        return fail(err, errlen, "the benchmark printed no result line");
    start = end;
    while (start && buf[start - 1] != '\n')
        start--;
    return result_parse_line(buf + start, end - start, out, err, errlen);
}
