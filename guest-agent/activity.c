/*
 * activity — see activity.h.  /proc/stat is read whole (it is small: one line per CPU
 * and a few counters); the fields used are the first "cpu" line's ticks and the "ctxt"
 * and "processes" counters.
 */
#include "activity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define ACTIVITY_MAX_SECONDS 1e9  /* a parsed duration beyond this is refused */
#define ACTIVITY_MAX_COUNT   1e15 /* a parsed count beyond this is refused */

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int activity_mark(struct activity_mark *m)
{
    char line[1024];
    unsigned long long u, ni, sy, id, io, irq, sirq, st;
    long hz = sysconf(_SC_CLK_TCK);
    int have_cpu = 0, have_ctxt = 0, have_proc = 0;
    struct activity_mark k;
    struct rusage self, kids;
    struct timespec ts;
    FILE *f = fopen("/proc/stat", "re");

    if (!f || hz <= 0) {
        if (f)
            fclose(f);
        return -1;
    }
    memset(&k, 0, sizeof(k));
    while (fgets(line, sizeof(line), f)) {
        if (!have_cpu && sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &ni, &sy,
                                &id, &io, &irq, &sirq, &st) == 8) {
            k.busy_s = (double)(u + ni + sy + irq + sirq + st) / (double)hz;
            k.total_s = k.busy_s + (double)(id + io) / (double)hz;
            have_cpu = 1;
        } else if (sscanf(line, "ctxt %llu", &u) == 1) {
            k.ctxt = u;
            have_ctxt = 1;
        } else if (sscanf(line, "processes %llu", &u) == 1) {
            k.processes = u;
            have_proc = 1;
        }
    }
    fclose(f);
    if (!have_cpu || !have_ctxt || !have_proc || getrusage(RUSAGE_SELF, &self) != 0 ||
        getrusage(RUSAGE_CHILDREN, &kids) != 0 || clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return -1;
    k.own_cpu_s =
        tv_s(self.ru_utime) + tv_s(self.ru_stime) + tv_s(kids.ru_utime) + tv_s(kids.ru_stime);
    k.own_csw = (uint64_t)(self.ru_nvcsw + self.ru_nivcsw + kids.ru_nvcsw + kids.ru_nivcsw);
    k.t_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    *m = k;
    return 0;
}

void activity_between(const struct activity_mark *a, const struct activity_mark *b,
                      struct activity *out)
{
    double other = (b->busy_s - a->busy_s) - (b->own_cpu_s - a->own_cpu_s);
    uint64_t ctxt = b->ctxt > a->ctxt ? b->ctxt - a->ctxt : 0;
    uint64_t own = b->own_csw > a->own_csw ? b->own_csw - a->own_csw : 0;

    out->wall_s = b->t_s - a->t_s;
    /* Ticks are coarse (10 ms) and the agent's time is exact: a small negative is 0. */
    out->other_cpu_s = other > 0 ? other : 0;
    out->other_ctxt = ctxt > own ? ctxt - own : 0;
    out->created = b->processes > a->processes ? b->processes - a->processes : 0;
    if (b->total_s > a->total_s) {
        double total = b->total_s - a->total_s;
        out->busy_share = fmin(fmax((b->busy_s - a->busy_s) / total, 0), 1);
        out->other_share = fmin(out->other_cpu_s / total, 1);
    } else {
        out->busy_share = out->other_share = NAN;
    }
}

void activity_format(const struct activity *a, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s other_cpu_s=%.3f wall_s=%.3f other_ctxt=%llu created=%llu",
             ACTIVITY_PREFIX, a->other_cpu_s, a->wall_s, (unsigned long long)a->other_ctxt,
             (unsigned long long)a->created);
}

/* The number after "key=" in s, range-checked; -1 when absent or out of range. */
static int field(const char *s, const char *key, double max, double *v)
{
    const char *p = strstr(s, key);
    char *end;
    double x;

    if (!p)
        return -1;
    p += strlen(key);
    x = strtod(p, &end);
    if (end == p || (*end != ' ' && *end != '\0') || !isfinite(x) || x < 0 || x > max)
        return -1;
    *v = x;
    return 0;
}

int activity_parse(const char *line, struct activity *out)
{
    double cpu, wall, ctxt, created;

    if (strncmp(line, ACTIVITY_PREFIX, strlen(ACTIVITY_PREFIX)) != 0)
        return -1;
    line += strlen(ACTIVITY_PREFIX);
    if (field(line, " other_cpu_s=", ACTIVITY_MAX_SECONDS, &cpu) < 0 ||
        field(line, " wall_s=", ACTIVITY_MAX_SECONDS, &wall) < 0 ||
        field(line, " other_ctxt=", ACTIVITY_MAX_COUNT, &ctxt) < 0 ||
        field(line, " created=", ACTIVITY_MAX_COUNT, &created) < 0)
        return -1;
    out->other_cpu_s = cpu;
    out->wall_s = wall;
    out->other_ctxt = (uint64_t)ctxt;
    out->created = (uint64_t)created;
    out->busy_share = out->other_share = NAN; /* not on the line */
    return 0;
}
