/* progress — see progress.h. */
#include "progress.h"

#include <math.h>
#include <unistd.h>

#include "units.h"
#include "wl.h"

void progress_init(struct progress *p, FILE *f, int quiet, unsigned nlevels, unsigned runs)
{
    p->f = f;
    p->quiet = quiet;
    p->tty = isatty(fileno(f));
    p->nlevels = nlevels;
    p->runs = runs;
    p->done = 0;
    p->t0_ns = wl_now_ns();
}

void progress_start(struct progress *p, unsigned li, unsigned concurrency, unsigned run)
{
    char eta[32] = "?";
    unsigned total = p->nlevels * p->runs;

    if (p->quiet || !p->tty)
        return;
    if (p->done) {
        uint64_t per = (wl_now_ns() - p->t0_ns) / p->done / 1000;
        units_fmt_duration(per * (total - p->done), eta, sizeof(eta));
    }
    fprintf(p->f, "\r\033[Klevel %u/%u concurrency=%u run %u/%u  ETA %s", li + 1, p->nlevels,
            concurrency, run + 1, p->runs, eta);
    fflush(p->f);
}

void progress_done(struct progress *p, unsigned li, const struct row *r)
{
    p->done++;
    if (p->quiet)
        return;
    progress_clear(p);
    fprintf(p->f, "level %u/%u concurrency=%u run %u/%u: ", li + 1, p->nlevels, r->concurrency,
            r->run_idx + 1, p->runs);
    if (r->timeout_killed)
        fprintf(p->f, "killed at the timeout (exit %d)", r->exit_code);
    else if (r->exit_code && !r->ops && !r->qps)
        fprintf(p->f, "failed (exit %d)", r->exit_code);
    else {
        fprintf(p->f, "qps=%.0f p99=%.0fus errors=%llu", r->qps, r->p99_us,
                (unsigned long long)r->errors);
        /* Read by the harness (run.c) to judge the CPU the run got from the host; a
         * failed run is not judged. */
        if (isfinite(r->busy_cpus))
            fprintf(p->f, " busy=%.2f", r->busy_cpus);
    }
    fputc('\n', p->f);
    fflush(p->f);
}

void progress_clear(struct progress *p)
{
    if (!p->quiet && p->tty) {
        fputs("\r\033[K", p->f);
        fflush(p->f);
    }
}
