/* row — see row.h. */
#include "row.h"

#include <math.h>
#include <string.h>

int row_write_csv_header(FILE *f)
{
    return fputs(ROW_CSV_HEADER "\n", f) < 0 ? -1 : 0;
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

/* An optional number: empty in CSV when NAN. */
static void csv_opt(FILE *f, int prec, double v)
{
    fputc(',', f);
    if (!isnan(v))
        fprintf(f, "%.*f", prec, v);
}

int row_write_csv(FILE *f, const struct row *r)
{
    fprintf(f, "%lld,", (long long)r->ts);
    csv_field(f, r->plan);
    fprintf(f, ",%u,%u,%u,%d,%u,%g,%u,%.2f,%.3f,%.3f,%.3f,%.3f,%ld,%d,%d", r->vcpus, r->cpu_threads,
            r->io_threads, r->async, r->concurrency, r->duration_sec, r->run_idx, r->qps, r->p50_us,
            r->p90_us, r->p99_us, r->max_us, r->ru_maxrss, r->exit_code, r->timeout_killed);
    csv_opt(f, 3, r->mean_us);
    fprintf(f, ",%llu,%llu", (unsigned long long)r->errors, (unsigned long long)r->ops);
    csv_opt(f, 4, r->little_ratio);
    csv_opt(f, 4, r->fairness);
    csv_opt(f, 1, r->clock_ns);
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

/* An optional number: null in JSON when NAN. */
static void json_opt(FILE *f, const char *key, int prec, double v)
{
    fprintf(f, ",\"%s\":", key);
    if (isnan(v))
        fputs("null", f);
    else
        fprintf(f, "%.*f", prec, v);
}

int row_write_jsonl(FILE *f, const struct row *r)
{
    fprintf(f, "{\"ts\":%lld,\"plan\":", (long long)r->ts);
    row_json_str(f, r->plan);
    fprintf(f,
            ",\"vcpus\":%u,\"cpu_threads\":%u,\"io_threads\":%u,\"async\":%d,"
            "\"concurrency\":%u,\"duration_sec\":%g,\"run_idx\":%u,\"qps\":%.2f,"
            "\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f,"
            "\"ru_maxrss\":%ld,\"exit_code\":%d,\"timeout_killed\":%d",
            r->vcpus, r->cpu_threads, r->io_threads, r->async, r->concurrency, r->duration_sec,
            r->run_idx, r->qps, r->p50_us, r->p90_us, r->p99_us, r->max_us, r->ru_maxrss,
            r->exit_code, r->timeout_killed);
    json_opt(f, "mean_us", 3, r->mean_us);
    fprintf(f, ",\"errors\":%llu,\"ops\":%llu", (unsigned long long)r->errors,
            (unsigned long long)r->ops);
    json_opt(f, "little_ratio", 4, r->little_ratio);
    json_opt(f, "fairness", 4, r->fairness);
    json_opt(f, "clock_ns", 1, r->clock_ns);
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
