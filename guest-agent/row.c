/* row — see row.h. */
#include "row.h"

#include <math.h>
#include <string.h>

const struct row_colinfo row_cols[ROW_NCOLS] = {
#define ROW_X_INFO(id, field, type, prec, unit, help)                                              \
    [ROW_COL_##id] = {#field, ROW_##type, prec, offsetof(struct row, field), unit, help},
    ROW_COLUMNS(ROW_X_INFO)
#undef ROW_X_INFO
};

int row_write_csv_header(FILE *f)
{
    for (int c = 0; c < ROW_NCOLS; c++)
        fprintf(f, "%s%s", c ? "," : "", row_cols[c].name);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

/* Write s as a CSV field, quoted when it holds a comma, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Column c of r: the text of a number, or NULL for an empty / null one (or the plan). */
static const char *cell(const struct row *r, int c, char *buf, size_t len)
{
    const struct row_colinfo *k = &row_cols[c];
    const void *v = (const char *)r + k->off;

    switch (k->type) {
    case ROW_I64:
        snprintf(buf, len, "%lld", (long long)*(const int64_t *)v);
        break;
    case ROW_UNS:
        snprintf(buf, len, "%u", *(const unsigned *)v);
        break;
    case ROW_INT:
        snprintf(buf, len, "%d", *(const int *)v);
        break;
    case ROW_LONG:
        snprintf(buf, len, "%ld", *(const long *)v);
        break;
    case ROW_U64:
        snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)v);
        break;
    case ROW_DBL:
    case ROW_OPT:
        if (isnan(*(const double *)v) && k->type == ROW_OPT)
            return NULL;
        if (k->prec < 0)
            snprintf(buf, len, "%g", *(const double *)v);
        else
            snprintf(buf, len, "%.*f", k->prec, *(const double *)v);
        break;
    case ROW_TEXT:
        return NULL;
    }
    return buf;
}

int row_write_csv(FILE *f, const struct row *r)
{
    char buf[64];

    for (int c = 0; c < ROW_NCOLS; c++) {
        const char *t = cell(r, c, buf, sizeof(buf));
        if (c)
            fputc(',', f);
        if (row_cols[c].type == ROW_TEXT)
            csv_field(f, (const char *)r + row_cols[c].off);
        else if (t)
            fputs(t, f);
    }
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

void row_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int row_write_jsonl(FILE *f, const struct row *r)
{
    char buf[64];

    for (int c = 0; c < ROW_NCOLS; c++) {
        const char *t = cell(r, c, buf, sizeof(buf));
        fprintf(f, "%s\"%s\":", c ? "," : "{", row_cols[c].name);
        if (row_cols[c].type == ROW_TEXT)
            row_json_str(f, (const char *)r + row_cols[c].off);
        else
            fputs(t ? t : "null", f);
    }
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}

double row_little_ratio(double qps, double mean_us, unsigned concurrency)
{
    if (!concurrency || isnan(mean_us) || qps <= 0 || mean_us <= 0)
        return NAN;
    return qps * mean_us / 1e6 / concurrency;
}

double row_jain_index(const uint64_t *counts, size_t n)
{
    double s = 0, s2 = 0;

    for (size_t i = 0; i < n; i++) {
        s += (double)counts[i];
        s2 += (double)counts[i] * (double)counts[i];
    }
    if (!n || s2 == 0)
        return NAN;
    return s * s / ((double)n * s2);
}
