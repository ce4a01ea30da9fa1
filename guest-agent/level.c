/* level — see level.h. */
#include "level.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "hlog.h"
#include "row.h"

#define LEVEL_STACK (256u << 10)

/* One worker; aligned so that workers never share a cache line. */
struct worker {
    _Alignas(64) const struct wl *w;
    void *cfg;
    unsigned id;
    struct hist *h;
    uint64_t ops, errors, last_ns, warmup;
    double rate; /* open loop: operations per second, all workers (0: closed loop) */
    unsigned nworkers;
    const uint64_t *start_ns, *end_ns;
    pthread_barrier_t *bar;
    uint64_t wait0, wait1; /* run delay (schedstat) at the window's start and end */
    int wait_ok;
};

/* The time this thread has spent runnable but waiting for a CPU (ns, from
 * /proc/thread-self/schedstat); -1 when the kernel does not say. */
static int thread_wait_ns(uint64_t *ns)
{
    char buf[96];
    unsigned long long run, wait;
    int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
        return -1;
    *ns = wait;
    return 0;
}

uint64_t level_intended_ns(uint64_t start_ns, double rate, unsigned id, unsigned nworkers,
                           uint64_t k)
{
    /* In double: (id + k n) / rate stays exact to the nanosecond for any run that fits
     * in a timeout (2^53 ns is 104 days). */
    return start_ns + (uint64_t)(((double)id + (double)k * nworkers) * 1e9 / rate);
}

/* Sleep until the CLOCK_MONOTONIC time ns (wl_now_ns's clock). */
static void sleep_until(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Open loop: operations due at a constant rate, latency from the intended start. */
static void worker_open(struct worker *k, uint64_t start, uint64_t end)
{
    int (*op)(void *, unsigned, uint64_t) = k->w->op;
    uint64_t t = wl_now_ns(), t2 = t;

    /* Latency counts from the intended start, so the pacing sleep's own overshoot would
     * count too: Linux lets a sleep end up to 50 us late by default (timer slack). */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    for (uint64_t n = 0;; n++) {
        uint64_t due = level_intended_ns(start, k->rate, k->id, k->nworkers, n);
        int rc;
        if (due >= end || t >= end)
            break;
        if (t < due) {
            sleep_until(due);
            t = wl_now_ns();
        }
        rc = op(k->cfg, k->id, t);
        t2 = wl_now_ns();
        hist_record(k->h, t2 - due);
        k->ops++;
        k->errors += rc != 0;
        t = t2;
    }
    k->last_ns = t2 > end ? t2 : end;
}

static void *worker_main(void *arg)
{
    struct worker *k = arg;
    int (*op)(void *, unsigned, uint64_t) = k->w->op;
    uint64_t t, t2, end;

    for (uint64_t i = 0; i < k->warmup; i++)
        op(k->cfg, k->id, wl_now_ns());
    pthread_barrier_wait(k->bar); /* warmed up */
    pthread_barrier_wait(k->bar); /* the window is set */
    end = *k->end_ns;
    /* How long the workers waited for a CPU in the window: on the host, what a busy
     * machine kept from the run (plot/interfere.h). */
    k->wait_ok = thread_wait_ns(&k->wait0) == 0;
    if (k->rate > 0) {
        worker_open(k, *k->start_ns, end);
    } else {
        t = wl_now_ns();
        while (t < end) {
            int rc = op(k->cfg, k->id, t);
            t2 = wl_now_ns();
            hist_record(k->h, t2 - t);
            k->ops++;
            k->errors += rc != 0;
            t = t2;
        }
        k->last_ns = t;
    }
    k->wait_ok = k->wait_ok && thread_wait_ns(&k->wait1) == 0;
    return NULL;
}

/* Keep the run on the first n CPUs it may use (no-op when it may use n or fewer). */
static void limit_cpus(unsigned n)
{
    cpu_set_t set, keep;
    unsigned seen = 0;

    if (sched_getaffinity(0, sizeof(set), &set) < 0 || (unsigned)CPU_COUNT(&set) <= n)
        return;
    CPU_ZERO(&keep);
    for (int c = 0; c < CPU_SETSIZE && seen < n; c++) {
        if (CPU_ISSET(c, &set)) {
            CPU_SET(c, &keep);
            seen++;
        }
    }
    sched_setaffinity(0, sizeof(keep), &keep);
}

/* Closed loop: concurrency threads, each issuing the next op when the last completes. */
static int run_workers(const struct wl *w, void *cfg, struct wl_ctx *ctx, double rate,
                       struct hist *all, double *wait_s)
{
    uint64_t wait = 0;
    int wait_ok = 1;
    unsigned n = ctx->concurrency, started = 0;
    struct worker *ks = NULL;
    pthread_barrier_t bar;
    pthread_attr_t attr;
    pthread_t *tids = NULL;
    uint64_t end = UINT64_MAX;
    int ret = -1, bar_ok = 0, attr_ok = 0;

    ks = aligned_alloc(64, sizeof(*ks) * n);
    tids = calloc(n, sizeof(*tids));
    if (!ks || !tids || pthread_barrier_init(&bar, NULL, n + 1) != 0) {
        fprintf(stderr, "vmsweep-agent: cannot set up %u workers\n", n);
        goto cleanup;
    }
    bar_ok = 1;
    memset(ks, 0, sizeof(*ks) * n);
    for (unsigned i = 0; i < n; i++) {
        ks[i].w = w;
        ks[i].cfg = cfg;
        ks[i].id = i;
        ks[i].warmup = ctx->warmup;
        ks[i].rate = rate;
        ks[i].nworkers = n;
        ks[i].start_ns = &ctx->start_ns;
        ks[i].end_ns = &end;
        ks[i].bar = &bar;
        if (hist_new(ctx->timeout_ns, &ks[i].h) < 0) {
            fprintf(stderr, "vmsweep-agent: out of memory for %u histograms\n", n);
            goto cleanup;
        }
    }
    attr_ok = pthread_attr_init(&attr) == 0 && pthread_attr_setstacksize(&attr, LEVEL_STACK) == 0;
    for (; started < n; started++) {
        if (pthread_create(&tids[started], attr_ok ? &attr : NULL, worker_main, &ks[started])) {
            /* Threads already waiting at the barrier cannot be released: give up the run. */
            fprintf(stderr, "vmsweep-agent: cannot start worker %u of %u\n", started + 1, n);
            _exit(1);
        }
    }
    pthread_barrier_wait(&bar);
    ctx->start_ns = wl_now_ns();
    end = ctx->start_ns + ctx->duration_ns;
    pthread_barrier_wait(&bar);
    ctx->end_ns = ctx->start_ns;
    for (unsigned i = 0; i < n; i++) {
        pthread_join(tids[i], NULL);
        hist_merge(all, ks[i].h);
        ctx->ops[i] = ks[i].ops;
        ctx->errors += ks[i].errors;
        if (ks[i].last_ns > ctx->end_ns)
            ctx->end_ns = ks[i].last_ns;
        wait_ok &= ks[i].wait_ok && ks[i].wait1 >= ks[i].wait0;
        wait += ks[i].wait1 - ks[i].wait0;
    }
    *wait_s = wait_ok ? (double)wait / 1e9 : NAN;
    ret = 0;
cleanup:
    if (attr_ok)
        pthread_attr_destroy(&attr);
    if (bar_ok)
        pthread_barrier_destroy(&bar);
    for (unsigned i = 0; ks && i < n; i++)
        hist_free(ks[i].h);
    free(ks);
    free(tids);
    return ret;
}

/* Append the run's histogram to the .hlog as one line (one write: O_APPEND keeps the
 * lines of successive runs whole).  Best effort: the CSV row does not depend on it. */
static void write_hlog(const struct level_params *p, const struct wl_ctx *ctx,
                       const struct hist *all)
{
    char tag[32], *line;
    size_t left;

    if (p->hlog_fd < 0)
        return;
    snprintf(tag, sizeof(tag), "c%u", p->concurrency);
    line = hlog_line(tag, (double)(ctx->start_ns - p->hlog_t0_ns) / 1e9,
                     (double)(ctx->end_ns - ctx->start_ns) / 1e9, all);
    if (!line)
        return;
    left = strlen(line);
    for (const char *w = line; left;) {
        ssize_t n = write(p->hlog_fd, w, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        w += n;
        left -= (size_t)n;
    }
    free(line);
}

int level_run(const struct wl *w, void *cfg, const struct level_params *p, struct level_result *out)
{
    struct wl_ctx ctx = {0};
    struct level_result r = {0};
    struct hist *all = NULL;
    double secs, wait_s = NAN;
    int ret = -1;

    ctx.concurrency = p->concurrency;
    ctx.threads = p->threads;
    ctx.duration_ns = p->duration_ns;
    ctx.warmup = p->warmup;
    ctx.timeout_ns = p->timeout_ns;
    limit_cpus(p->threads);
    ctx.ops = calloc(p->concurrency, sizeof(*ctx.ops));
    ctx.hist = calloc(p->threads, sizeof(*ctx.hist));
    if (!ctx.ops || !ctx.hist || hist_new(p->timeout_ns, &all) < 0) {
        fprintf(stderr, "vmsweep-agent: out of memory\n");
        goto cleanup;
    }
    for (unsigned i = 0; i < p->threads; i++) {
        if (hist_new(p->timeout_ns, &ctx.hist[i]) < 0) {
            fprintf(stderr, "vmsweep-agent: out of memory\n");
            goto cleanup;
        }
    }
    if (w->init && w->init(cfg, &ctx) < 0)
        goto cleanup;
    if (w->run ? w->run(cfg, &ctx) < 0
               : run_workers(w, cfg, &ctx, (double)p->rate, all, &wait_s) < 0)
        goto cleanup;
    r.wait_cpus = NAN;
    r.exit_code = ctx.exit_code;
    if (ctx.direct) {
        r.qps = ctx.res.qps;
        r.p50_us = ctx.res.p50_us;
        r.p90_us = ctx.res.p90_us;
        r.p99_us = ctx.res.p99_us;
        r.max_us = ctx.res.max_us;
        r.p999_us = NAN; /* a benchmark's own line does not say */
        r.mean_us = ctx.res.mean_us;
        r.errors = isnan(ctx.res.errors) ? 0 : (uint64_t)ctx.res.errors;
        r.ops = isnan(ctx.res.ops) ? 0 : (uint64_t)ctx.res.ops;
        r.fairness = NAN;
    } else {
        for (unsigned i = 0; i < p->threads; i++)
            hist_merge(all, ctx.hist[i]);
        secs = (double)(ctx.end_ns - ctx.start_ns) / 1e9;
        r.ops = hist_count(all);
        r.errors = ctx.errors;
        r.qps = secs > 0 ? (double)r.ops / secs : 0;
        r.p50_us = (double)hist_percentile(all, 50) / 1e3;
        r.p90_us = (double)hist_percentile(all, 90) / 1e3;
        r.p99_us = (double)hist_percentile(all, 99) / 1e3;
        r.p999_us = (double)hist_percentile(all, 99.9) / 1e3;
        r.max_us = (double)hist_max(all) / 1e3;
        r.mean_us = r.ops ? hist_mean(all) / 1e3 : NAN;
        r.fairness = row_jain_index(ctx.ops, p->concurrency);
        r.wait_cpus = secs > 0 ? wait_s / secs : NAN;
        write_hlog(p, &ctx, all);
    }
    *out = r;
    ret = 0;
cleanup:
    for (unsigned i = 0; ctx.hist && i < p->threads; i++)
        hist_free(ctx.hist[i]);
    free(ctx.hist);
    free(ctx.ops);
    hist_free(all);
    return ret;
}
