/* report — see report.h. */
#include "report.h"

#include <math.h>

#define REPORT_LITTLE_TOL 0.10 /* flag rows off Little's law by more than 10% */
#define REPORT_SATURATED  1.10 /* a level that adds less than 10% throughput */

void report_assess(const struct row *rows, size_t i, char *buf, size_t len)
{
    const struct row *r = &rows[i], *prev = NULL;

    if (r->timeout_killed) {
        snprintf(buf, len, "killed at the timeout");
        return;
    }
    if (r->exit_code != 0 && r->ops == 0 && r->qps == 0) {
        snprintf(buf, len, "failed (exit %d)", r->exit_code);
        return;
    }
    if (r->errors) {
        double total = r->ops ? (double)r->ops : (double)r->errors;
        snprintf(buf, len, "errors %.2f%%", 100.0 * (double)r->errors / total);
        return;
    }
    if (!isnan(r->little_ratio) && fabs(r->little_ratio - 1) > REPORT_LITTLE_TOL) {
        snprintf(buf, len, "Little's law off by %+.0f%%", 100 * (r->little_ratio - 1));
        return;
    }
    for (size_t j = i; j-- > 0;) {
        if (rows[j].concurrency < r->concurrency && rows[j].run_idx == r->run_idx &&
            !rows[j].timeout_killed) {
            prev = &rows[j];
            break;
        }
    }
    if (prev && prev->qps > 0 && r->qps < prev->qps * REPORT_SATURATED) {
        snprintf(buf, len, "saturated (%+.0f%% qps)", 100 * (r->qps / prev->qps - 1));
        return;
    }
    snprintf(buf, len, "ok");
}

int report_write(FILE *f, const char *title, const struct row *rows, size_t n, const char *status)
{
    char a[64];

    fprintf(f, "%s\n%zu run(s), sweep %s\n\n", title, n, status);
    fprintf(f, "%11s %4s %12s %10s %10s %10s %10s %8s %8s %8s  %s\n", "concurrency", "run", "qps",
            "p50_us", "p90_us", "p99_us", "mean_us", "errors", "little", "fair", "assessment");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        report_assess(rows, i, a, sizeof(a));
        fprintf(f, "%11u %4u %12.1f %10.1f %10.1f %10.1f %10.1f %8llu %8.3f %8.3f  %s\n",
                r->concurrency, r->run_idx, r->qps, r->p50_us, r->p90_us, r->p99_us,
                isnan(r->mean_us) ? 0.0 : r->mean_us, (unsigned long long)r->errors,
                isnan(r->little_ratio) ? 0.0 : r->little_ratio,
                isnan(r->fairness) ? 0.0 : r->fairness, a);
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
