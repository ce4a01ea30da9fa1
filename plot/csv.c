/*
 * csv — see csv.h.  A small RFC 4180 reader: the buffer is split into records, each
 * record into fields (quoted fields unescaped into a scratch buffer), and every field
 * remembers its line and column so that a bad value can be pointed at exactly.
 */
#include "csv.h"

#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "row.h"
#include "units.h"

/* Rows parsed between two looks at cancel_requested(). */
#define CSV_CANCEL_EVERY 4096

enum csv_col {
    CSV_COL_PLAN,
    CSV_COL_VCPUS,
    CSV_COL_CONCURRENCY,
    CSV_COL_QPS,
    CSV_COL_P50,
    CSV_COL_P90,
    CSV_COL_P99,
    CSV_COL_RUN_IDX,
    CSV_COL_MAX,
    CSV_COL_MEAN,
    CSV_COL_ERRORS,
    CSV_COL_TIMEOUT,
    CSV_COL_EXIT,
    CSV_COL_OPS,
    CSV_COL_FAIRNESS,
    CSV_COL_P999,
    CSV_COL_OFFERED,
    CSV_COL_CPU_THREADS,
    CSV_COL_BUSY,
    CSV_COL_OTHER,
    CSV_COL_WAIT,
    CSV_COL_SHARE,
    CSV_COL_ARCH,
    CSV_COL_COUNT
};

#define CSV_REQUIRED 7 /* the first CSV_REQUIRED columns read are required */

/* The columns read, by their names in the schema's one table (guest-agent/row.h). */
static const enum row_col csv_cols[CSV_COL_COUNT] = {
    [CSV_COL_PLAN] = ROW_COL_PLAN,
    [CSV_COL_VCPUS] = ROW_COL_VCPUS,
    [CSV_COL_CONCURRENCY] = ROW_COL_CONCURRENCY,
    [CSV_COL_QPS] = ROW_COL_QPS,
    [CSV_COL_P50] = ROW_COL_P50_US,
    [CSV_COL_P90] = ROW_COL_P90_US,
    [CSV_COL_P99] = ROW_COL_P99_US,
    [CSV_COL_RUN_IDX] = ROW_COL_RUN_IDX,
    [CSV_COL_MAX] = ROW_COL_MAX_US,
    [CSV_COL_MEAN] = ROW_COL_MEAN_US,
    [CSV_COL_ERRORS] = ROW_COL_ERRORS,
    [CSV_COL_TIMEOUT] = ROW_COL_TIMEOUT_KILLED,
    [CSV_COL_EXIT] = ROW_COL_EXIT_CODE,
    [CSV_COL_OPS] = ROW_COL_OPS,
    [CSV_COL_FAIRNESS] = ROW_COL_FAIRNESS,
    [CSV_COL_P999] = ROW_COL_P999_US,
    [CSV_COL_OFFERED] = ROW_COL_OFFERED_QPS,
    [CSV_COL_CPU_THREADS] = ROW_COL_CPU_THREADS,
    [CSV_COL_BUSY] = ROW_COL_BUSY_CPUS,
    [CSV_COL_OTHER] = ROW_COL_OTHER_CPUS,
    [CSV_COL_WAIT] = ROW_COL_WAIT_CPUS,
    [CSV_COL_SHARE] = ROW_COL_CPU_SHARE,
    [CSV_COL_ARCH] = ROW_COL_ARCH,
};
#define csv_col_name(c) (row_cols[csv_cols[c]].name)

struct field {
    size_t off; /* into the scratch buffer, NUL-terminated */
    size_t line;
    size_t col;
};

struct parser {
    const char *name;
    const char *buf;
    size_t len;
    size_t pos;
    size_t line;       /* current line, 1-based */
    size_t line_start; /* offset of the current line's first byte */
    FILE *diag;
    char *scratch;
    size_t scratch_len, scratch_cap;
    struct field *fields;
    size_t nfields, fields_cap;
    size_t rec_line;  /* line the current record starts on */
    size_t rec_start; /* offset of the current record's first byte */
};

static void perr(const struct parser *p, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void perr(const struct parser *p, size_t line, size_t col, const char *fmt, ...)
{
    va_list ap;
    if (!p->diag)
        return;
    fprintf(p->diag, "%s:%zu:%zu: ", p->name, line, col);
    va_start(ap, fmt);
    vfprintf(p->diag, fmt, ap);
    va_end(ap);
    fputc('\n', p->diag);
}

/* Copy s into out (at most cap bytes with NUL), printable ASCII only, cut at 40 chars. */
static const char *shown(const char *s, char *out, size_t cap)
{
    size_t i = 0, j = 0;
    for (; s[i] && j + 5 < cap && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'') {
            out[j++] = (char)c;
        } else {
            j += (size_t)snprintf(out + j, cap - j, "\\x%02x", c);
        }
    }
    if (s[i] && j + 4 < cap) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j < cap ? j : cap - 1] = '\0';
    return out;
}

static int scratch_put(struct parser *p, char c)
{
    if (p->scratch_len + 1 >= p->scratch_cap) {
        size_t cap = p->scratch_cap ? p->scratch_cap * 2 : 256;
        char *n = realloc(p->scratch, cap);
        if (!n)
            return -1;
        p->scratch = n;
        p->scratch_cap = cap;
    }
    p->scratch[p->scratch_len++] = c;
    return 0;
}

static int field_start(struct parser *p, size_t line, size_t col)
{
    if (p->nfields == p->fields_cap) {
        size_t cap = p->fields_cap ? p->fields_cap * 2 : 32;
        struct field *n = realloc(p->fields, cap * sizeof(*n));
        if (!n)
            return -1;
        p->fields = n;
        p->fields_cap = cap;
    }
    p->fields[p->nfields].off = p->scratch_len;
    p->fields[p->nfields].line = line;
    p->fields[p->nfields].col = col;
    p->nfields++;
    return 0;
}

static int oom(const struct parser *p)
{
    if (p->diag)
        fprintf(p->diag, "%s: out of memory while reading it\n", p->name);
    return -1;
}

/* 1 (reported) when the record being read is past CSV_MAX_LINE bytes. */
static int line_too_long(const struct parser *p)
{
    if (p->pos - p->rec_start < CSV_MAX_LINE)
        return 0;
    perr(p, p->rec_line, 1, "the line is longer than the %d bytes a sweep CSV line may have",
         CSV_MAX_LINE);
    return 1;
}

/*
 * Read the next record into p->fields.  Returns 1 when a record was read, 0 at the end
 * of the input, -1 on error (reported).  Blank lines are skipped.
 */
static int next_record(struct parser *p)
{
    p->nfields = 0;
    p->scratch_len = 0;
    /* Skip blank lines. */
    while (p->pos < p->len && (p->buf[p->pos] == '\n' || p->buf[p->pos] == '\r')) {
        if (p->buf[p->pos] == '\n' ||
            (p->buf[p->pos] == '\r' && (p->pos + 1 >= p->len || p->buf[p->pos + 1] != '\n'))) {
            p->line++;
            p->line_start = p->pos + 1;
        }
        p->pos++;
    }
    if (p->pos >= p->len)
        return 0;
    p->rec_line = p->line;
    p->rec_start = p->pos;
    for (;;) {
        size_t col = p->pos - p->line_start + 1;
        /* Both caps are checked while the record is read, so a hostile line costs at most
         * CSV_MAX_LINE bytes of scratch and CSV_MAX_COLUMNS fields, whatever its size. */
        if (p->nfields == CSV_MAX_COLUMNS) {
            perr(p, p->line, col, "more than the %d columns a sweep CSV may have", CSV_MAX_COLUMNS);
            return -1;
        }
        if (field_start(p, p->line, col) < 0)
            return oom(p);
        if (p->pos < p->len && p->buf[p->pos] == '"') {
            size_t qline = p->line, qcol = col;
            p->pos++;
            for (;;) {
                char c;
                if (p->pos >= p->len) {
                    perr(p, qline, qcol, "quoted field is never closed");
                    return -1;
                }
                if (line_too_long(p))
                    return -1;
                c = p->buf[p->pos];
                if (c == '\0') {
                    perr(p, p->line, p->pos - p->line_start + 1,
                         "NUL byte in the data: this is not a CSV text file");
                    return -1;
                }
                if (c == '"') {
                    if (p->pos + 1 < p->len && p->buf[p->pos + 1] == '"') {
                        if (scratch_put(p, '"') < 0)
                            return oom(p);
                        p->pos += 2;
                        continue;
                    }
                    p->pos++;
                    break;
                }
                if (c == '\n') {
                    p->line++;
                    p->line_start = p->pos + 1;
                }
                if (scratch_put(p, c) < 0)
                    return oom(p);
                p->pos++;
            }
            if (p->pos < p->len && p->buf[p->pos] != ',' && p->buf[p->pos] != '\n' &&
                p->buf[p->pos] != '\r') {
                char s[2] = {p->buf[p->pos], 0}, sh[32];
                perr(p, p->line, p->pos - p->line_start + 1,
                     "unexpected character '%s' after a closing quote", shown(s, sh, sizeof sh));
                return -1;
            }
        } else {
            while (p->pos < p->len) {
                char c = p->buf[p->pos];
                if (c == ',' || c == '\n' || c == '\r')
                    break;
                if (line_too_long(p))
                    return -1;
                if (c == '\0') {
                    perr(p, p->line, p->pos - p->line_start + 1,
                         "NUL byte in the data: this is not a CSV text file");
                    return -1;
                }
                if (c == '"') {
                    perr(p, p->line, p->pos - p->line_start + 1,
                         "stray quote inside an unquoted field");
                    return -1;
                }
                if (scratch_put(p, c) < 0)
                    return oom(p);
                p->pos++;
            }
        }
        if (scratch_put(p, '\0') < 0)
            return oom(p);
        if (p->pos >= p->len)
            return 1;
        if (p->buf[p->pos] == ',') {
            p->pos++;
            continue;
        }
        /* End of line: LF, CRLF or a lone CR. */
        if (p->buf[p->pos] == '\r' && p->pos + 1 < p->len && p->buf[p->pos + 1] == '\n')
            p->pos++;
        p->pos++;
        p->line++;
        p->line_start = p->pos;
        return 1;
    }
}

static const char *fstr(const struct parser *p, size_t i)
{
    return p->scratch + p->fields[i].off;
}

/* A finite, non-negative decimal number: digits, optional fraction and exponent. */
static int parse_double(const char *s, double *out)
{
    const char *q = s;
    char *end;
    double v;
    if (*q == '+')
        q++;
    if (!isdigit((unsigned char)*q) && !(*q == '.' && isdigit((unsigned char)q[1])))
        return -1;
    for (const char *c = q; *c; c++) {
        if (!isdigit((unsigned char)*c) && *c != '.' && *c != 'e' && *c != 'E' && *c != '+' &&
            *c != '-')
            return -1;
    }
    errno = 0;
    v = strtod(s, &end);
    if (*end || end == s || !isfinite(v) || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    long v;
    if (!*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

static int set_value(const struct parser *p, struct csv_row *r, int col, size_t fi)
{
    const char *s = fstr(p, fi);
    const struct field *f = &p->fields[fi];
    const char *cname = csv_col_name(col);
    char sh[200];
    uint64_t u;
    double d;
    long l;

    if (!*s) {
        if (col < CSV_REQUIRED) {
            perr(p, f->line, f->col, "empty value in required column '%s'", cname);
            return -1;
        }
        return 0; /* optional: keep the default */
    }
    switch (col) {
    case CSV_COL_PLAN:
        if (strlen(s) >= CSV_PLAN_MAX) {
            perr(p, f->line, f->col, "plan name '%s' is longer than %d characters",
                 shown(s, sh, sizeof sh), CSV_PLAN_MAX - 1);
            return -1;
        }
        for (const char *c = s; *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                perr(p, f->line, f->col, "plan name '%s' contains a control character",
                     shown(s, sh, sizeof sh));
                return -1;
            }
        }
        memcpy(r->plan, s, strlen(s) + 1);
        return 0;
    case CSV_COL_ARCH:
        /* A name as uname gives it: it ends up in series names and file-safe labels. */
        for (const char *c = s; *c; c++) {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_') ||
                c - s >= CSV_ARCH_MAX - 1) {
                perr(p, f->line, f->col, "value '%s' in column '%s' is not an architecture name",
                     shown(s, sh, sizeof sh), cname);
                return -1;
            }
        }
        memcpy(r->arch, s, strlen(s) + 1);
        return 0;
    case CSV_COL_VCPUS:
    case CSV_COL_CONCURRENCY:
    case CSV_COL_RUN_IDX:
        if (units_parse_u64(s, col == CSV_COL_RUN_IDX ? 0 : 1, 1u << 30, &u) != 0) {
            perr(p, f->line, f->col, "value '%s' in column '%s' is not an integer in [%d, %u]",
                 shown(s, sh, sizeof sh), cname, col == CSV_COL_RUN_IDX ? 0 : 1, 1u << 30);
            return -1;
        }
        if (col == CSV_COL_VCPUS)
            r->vcpus = u;
        else if (col == CSV_COL_CONCURRENCY)
            r->concurrency = u;
        else
            r->run_idx = u;
        return 0;
    case CSV_COL_TIMEOUT:
        if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
            perr(p, f->line, f->col, "value '%s' in column '%s' is neither 0 nor 1",
                 shown(s, sh, sizeof sh), cname);
            return -1;
        }
        r->timeout_killed = s[0] == '1';
        return 0;
    case CSV_COL_EXIT:
        if (parse_long(s, &l) < 0) {
            perr(p, f->line, f->col, "non-numeric value '%s' in column '%s'",
                 shown(s, sh, sizeof sh), cname);
            return -1;
        }
        r->exit_code = l;
        return 0;
    default:
        if (parse_double(s, &d) < 0) {
            perr(p, f->line, f->col, "non-numeric value '%s' in column '%s'",
                 shown(s, sh, sizeof sh), cname);
            return -1;
        }
        if (col == CSV_COL_QPS)
            r->qps = d;
        else if (col == CSV_COL_P50)
            r->p50_us = d;
        else if (col == CSV_COL_P90)
            r->p90_us = d;
        else if (col == CSV_COL_P99)
            r->p99_us = d;
        else if (col == CSV_COL_MAX)
            r->max_us = d;
        else if (col == CSV_COL_MEAN)
            r->mean_us = d;
        else if (col == CSV_COL_OPS)
            r->ops = d;
        else if (col == CSV_COL_FAIRNESS)
            r->fairness = d;
        else if (col == CSV_COL_P999)
            r->p999_us = d;
        else if (col == CSV_COL_OFFERED)
            r->offered_qps = d;
        else if (col == CSV_COL_CPU_THREADS)
            r->cpu_threads = d;
        else if (col == CSV_COL_BUSY)
            r->busy_cpus = d;
        else if (col == CSV_COL_OTHER)
            r->other_cpus = d;
        else if (col == CSV_COL_WAIT)
            r->wait_cpus = d;
        else if (col == CSV_COL_SHARE)
            r->cpu_share = d;
        else
            r->errors = d;
        return 0;
    }
}

/* Header field indexes ordered by name, then position (for qsort_r over the parser). */
static int by_name_then_index(const void *a, const void *b, void *arg)
{
    const struct parser *p = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(fstr(p, x), fstr(p, y));
    if (c)
        return c;
    return (x > y) - (x < y);
}

/*
 * -1 (reported) when a non-empty header name appears twice.  Sorted, equal names are
 * neighbours: O(n log n) instead of comparing every pair.  The second occurrence nearest the
 * start of the line is the one reported, as a reader scanning left to right would find it.
 */
static int check_duplicates(const struct parser *p)
{
    size_t *ord = malloc((p->nfields ? p->nfields : 1) * sizeof(*ord)), dup = SIZE_MAX;
    char sh[200];

    if (!ord)
        return oom(p);
    for (size_t i = 0; i < p->nfields; i++)
        ord[i] = i;
    qsort_r(ord, p->nfields, sizeof(*ord), by_name_then_index, (void *)p);
    for (size_t i = 1; i < p->nfields; i++) {
        if (*fstr(p, ord[i]) && strcmp(fstr(p, ord[i]), fstr(p, ord[i - 1])) == 0 && ord[i] < dup)
            dup = ord[i];
    }
    free(ord);
    if (dup == SIZE_MAX)
        return 0;
    perr(p, p->fields[dup].line, p->fields[dup].col, "column '%s' appears twice",
         shown(fstr(p, dup), sh, sizeof sh));
    return -1;
}

static int parse_header(struct parser *p, int idx[CSV_COL_COUNT], size_t *ncols)
{
    int rc = next_record(p);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        if (p->diag)
            fprintf(p->diag, "%s: the file is empty: expected a CSV header line\n", p->name);
        return -1;
    }
    if (check_duplicates(p) < 0)
        return -1;
    for (int c = 0; c < CSV_COL_COUNT; c++)
        idx[c] = -1;
    for (size_t i = 0; i < p->nfields; i++) {
        const char *h = fstr(p, i);
        for (int c = 0; c < CSV_COL_COUNT; c++) {
            if (strcmp(h, csv_col_name(c)) == 0)
                idx[c] = (int)i;
        }
    }
    for (int c = 0; c < CSV_REQUIRED; c++) {
        if (idx[c] < 0) {
            perr(p, p->rec_line, 1,
                 "missing required column '%s': this does not look like a sweep CSV "
                 "(required: plan, vcpus, concurrency, qps, p50_us, p90_us, p99_us)",
                 csv_col_name(c));
            return -1;
        }
    }
    *ncols = p->nfields;
    return 0;
}

int csv_parse_buffer(const char *name, const char *buf, size_t len, FILE *diag,
                     struct csv_table **out)
{
    struct parser p = {.name = name, .buf = buf, .len = len, .line = 1, .diag = diag};
    struct csv_table *t = NULL;
    size_t cap = 0, ncols = 0;
    int idx[CSV_COL_COUNT];
    int ret = -1, rc;

    if (len > 0 && memchr(buf, '\0', len < 4096 ? len : 4096)) {
        if (diag)
            fprintf(diag, "%s: not a CSV file: it contains binary data\n", name);
        return -1;
    }
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        p.pos = p.line_start = 3;
    t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(name))) {
        oom(&p);
        goto cleanup;
    }
    if (parse_header(&p, idx, &ncols) < 0)
        goto cleanup;
    t->has_mean = idx[CSV_COL_MEAN] >= 0;
    while ((rc = next_record(&p)) == 1) {
        struct csv_row *r;
        if (t->n % CSV_CANCEL_EVERY == 0 && cancel_requested()) {
            if (diag)
                fprintf(diag, "%s: interrupted while reading it\n", name);
            goto cleanup;
        }
        if (p.nfields != ncols) {
            const struct field *f = &p.fields[p.nfields - 1];
            perr(&p, f->line, f->col, "expected %zu fields as in the header, found %zu", ncols,
                 p.nfields);
            goto cleanup;
        }
        if (t->n == cap) {
            struct csv_row *n;
            if (t->n >= CSV_MAX_ROWS) {
                perr(&p, p.rec_line, 1, "more than %d data rows", CSV_MAX_ROWS);
                goto cleanup;
            }
            cap = cap ? cap * 2 : 64;
            n = realloc(t->rows, cap * sizeof(*n));
            if (!n) {
                oom(&p);
                goto cleanup;
            }
            t->rows = n;
        }
        r = &t->rows[t->n];
        csv_row_clear(r);
        r->line = p.rec_line;
        for (int c = 0; c < CSV_COL_COUNT; c++) {
            if (idx[c] >= 0 && set_value(&p, r, c, (size_t)idx[c]) < 0)
                goto cleanup;
        }
        t->n++;
    }
    if (rc < 0)
        goto cleanup;
    *out = t;
    t = NULL;
    ret = 0;
cleanup:
    csv_free(t);
    free(p.scratch);
    free(p.fields);
    return ret;
}

int csv_read(const char *path, FILE *diag, struct csv_table **out)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    struct stat st;
    int fd = -1, ret = -1;

    /* Only a regular file is read (a FIFO would block, /dev/zero never end), and at most
     * CSV_MAX_BYTES of it.  O_NONBLOCK keeps the open itself from waiting on a FIFO. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (diag)
            fprintf(diag, "cannot open '%s': %s\n", path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        if (diag)
            fprintf(diag, "'%s' is not a regular file: give a CSV file\n", path);
        goto cleanup;
    }
    if ((unsigned long long)st.st_size > CSV_MAX_BYTES) {
        if (diag)
            fprintf(diag, "'%s' has %lld bytes, more than the %llu MiB a sweep CSV may have\n",
                    path, (long long)st.st_size, CSV_MAX_BYTES >> 20);
        goto cleanup;
    }
    f = fdopen(fd, "rb");
    if (!f) {
        if (diag)
            fprintf(diag, "cannot open '%s': %s\n", path, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    for (;;) {
        size_t got;
        if (cancel_requested()) {
            if (diag)
                fprintf(diag, "%s: interrupted while reading it\n", path);
            goto cleanup;
        }
        if (len > CSV_MAX_BYTES) {
            if (diag)
                fprintf(diag, "'%s' grew past the %llu MiB a sweep CSV may have while read\n", path,
                        CSV_MAX_BYTES >> 20);
            goto cleanup;
        }
        if (cap - len < 65536) {
            char *n = realloc(buf, cap + 65536 + cap / 2);
            if (!n) {
                if (diag)
                    fprintf(diag, "%s: out of memory while reading it\n", path);
                goto cleanup;
            }
            buf = n;
            cap += 65536 + cap / 2;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        if (diag)
            fprintf(diag, "cannot read '%s': %s\n", path, strerror(errno));
        goto cleanup;
    }
    ret = csv_parse_buffer(path, buf, len, diag, out);
cleanup:
    if (fd >= 0)
        close(fd);
    if (f)
        fclose(f);
    free(buf);
    return ret;
}

void csv_row_clear(struct csv_row *r)
{
    memset(r, 0, sizeof(*r));
    r->max_us = r->mean_us = r->errors = r->ops = r->fairness = r->p999_us = r->offered_qps = NAN;
    r->cpu_threads = r->busy_cpus = r->other_cpus = r->wait_cpus = r->cpu_share = NAN;
}

void csv_free(struct csv_table *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->rows);
    free(t);
}
