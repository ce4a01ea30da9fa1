/*
 * comparesim — see comparesim.h.
 */
#include "comparesim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* USL parameters of the simulated curve: X(N) = L N / (1 + s (N - 1) + k N (N - 1)). */
#define COMPARESIM_LAMBDA 1000.0
#define COMPARESIM_SIGMA  0.05
#define COMPARESIM_KAPPA  0.0005

/* xorshift64*: small, fixed, the same sequence everywhere. */
static uint64_t sim_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* Uniform in (0, 1). */
static double sim_uniform(uint64_t *s)
{
    return ((double)(sim_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal (Box-Muller, one of the pair). */
static double sim_normal(uint64_t *s)
{
    double u = sim_uniform(s), v = sim_uniform(s);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static double usl(double n)
{
    return COMPARESIM_LAMBDA * n /
           (1 + COMPARESIM_SIGMA * (n - 1) + COMPARESIM_KAPPA * n * (n - 1));
}

/* Fill the rows of t (levels x runs) with one sweep; change applies per c->where. */
static void fill(struct csv_table *t, const struct comparesim_case *c, int changed, uint64_t *s)
{
    double sd = sqrt(log1p(c->cv * c->cv));

    for (size_t l = 0; l < COMPARESIM_LEVELS; l++) {
        double n = (double)(1u << l), q = usl(n);
        if (changed && (c->where == COMPARESIM_ALL ||
                        (c->where == COMPARESIM_ONE && l == COMPARESIM_ONE_LEVEL)))
            q *= 1 + c->change;
        for (size_t r = 0; r < c->runs; r++) {
            struct csv_row *row = &t->rows[l * c->runs + r];
            /* Lognormal with mean q and the given CV. */
            row->qps = q * exp(sd * sim_normal(s) - sd * sd / 2);
            row->mean_us = n / row->qps * 1e6;
            row->p50_us = row->mean_us;
            row->p90_us = row->p99_us = row->max_us = 1.5 * row->mean_us;
        }
    }
}

static struct csv_table *table_new(const struct comparesim_case *c, const char *name)
{
    struct csv_table *t = calloc(1, sizeof(*t));
    size_t n = COMPARESIM_LEVELS * c->runs;

    if (!t)
        return NULL;
    t->name = strdup(name);
    t->rows = calloc(n, sizeof(*t->rows));
    t->n = n;
    t->has_mean = 1;
    if (!t->name || !t->rows) {
        csv_free(t);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        struct csv_row *r = &t->rows[i];
        csv_row_clear(r);
        snprintf(r->plan, sizeof(r->plan), "sim");
        r->vcpus = 2;
        r->concurrency = 1u << (i / c->runs);
        r->run_idx = i % c->runs;
    }
    return t;
}

int comparesim_run(const struct comparesim_case *c, const struct compare_opts *o, size_t trials,
                   uint64_t seed, struct comparesim_counts *out)
{
    struct comparesim_counts k = {trials, 0, 0, 0};
    struct csv_table *base = NULL, *cur = NULL;
    struct compare_opts opts = *o;
    uint64_t s = seed ? seed : 1;
    int ret = -1;

    if (c->runs == 0 || trials == 0 || trials > COMPARESIM_MAX_TRIALS || !(c->cv >= 0) ||
        !(c->change > -1))
        return -1;
    opts.metric = COMPARE_QPS;
    base = table_new(c, "base.csv");
    cur = table_new(c, "current.csv");
    if (!base || !cur)
        goto cleanup;
    for (size_t t = 0; t < trials; t++) {
        struct compare_result *r = NULL;
        fill(base, c, 0, &s);
        fill(cur, c, 1, &s);
        if (compare_tables(&base, 1, &cur, 1, &opts, NULL, &r) < 0)
            goto cleanup;
        k.regression += r->verdict == COMPARE_REGRESSED;
        k.inconclusive += r->verdict == COMPARE_INCONCLUSIVE;
        k.ok += r->verdict == COMPARE_SAME;
        compare_result_free(r);
    }
    *out = k;
    ret = 0;
cleanup:
    csv_free(base);
    csv_free(cur);
    return ret;
}

const struct comparesim_doc comparesim_docs[] = {
    {"no change", {0, COMPARESIM_NONE, 5, 0.03}, 14, 1933, 53},
    {"-10% at one level", {-0.10, COMPARESIM_ONE, 5, 0.03}, 1865, 4, 131},
    {"-5% at every level", {-0.05, COMPARESIM_ALL, 5, 0.03}, 1773, 4, 223},
    {"-10% at every level", {-0.10, COMPARESIM_ALL, 5, 0.03}, 2000, 0, 0},
};
const size_t comparesim_n_docs = sizeof(comparesim_docs) / sizeof(*comparesim_docs);

/* n of COMPARESIM_DOC_TRIALS as a percentage. */
static double doc_pct(size_t n)
{
    return 100.0 * (double)n / COMPARESIM_DOC_TRIALS;
}

void comparesim_print_docs(FILE *f, const char *indent)
{
    for (size_t i = 0; i < comparesim_n_docs; i++) {
        const struct comparesim_doc *d = &comparesim_docs[i];
        fprintf(f, "%s%-20s regression %5.1f%%, no regression %5.1f%%, inconclusive %5.1f%%\n",
                indent, d->what, doc_pct(d->regression), doc_pct(d->ok), doc_pct(d->inconclusive));
    }
}

int comparesim_print_table(FILE *f, const struct compare_opts *o, size_t trials, uint64_t seed)
{
    static const struct {
        const char *what;
        double change;
        enum comparesim_where where;
    } changes[] = {
        {"none", 0, COMPARESIM_NONE},
        {"-5% everywhere", -0.05, COMPARESIM_ALL},
        {"-10% everywhere", -0.10, COMPARESIM_ALL},
        {"-10% at N=32", -0.10, COMPARESIM_ONE},
        {"-20% at N=32", -0.20, COMPARESIM_ONE},
        {"+10% everywhere", 0.10, COMPARESIM_ALL},
    };
    static const size_t runs[] = {3, 5, 10};
    static const double cvs[] = {0.01, 0.03, 0.05};

    fprintf(f,
            "Simulated `vmsweep compare` (threshold %.1f%%, alpha %g): %d levels N=1..128 on a "
            "USL curve,\nlognormal run-to-run noise, %zu trials per row, seed %llu.\n\n",
            o->threshold * 100, o->alpha, COMPARESIM_LEVELS, trials, (unsigned long long)seed);
    fprintf(f, "%-16s %4s %4s %11s %14s %13s\n", "true change", "runs", "CV", "regression",
            "no regression", "inconclusive");
    for (size_t i = 0; i < sizeof(changes) / sizeof(*changes); i++) {
        for (size_t r = 0; r < sizeof(runs) / sizeof(*runs); r++) {
            for (size_t v = 0; v < sizeof(cvs) / sizeof(*cvs); v++) {
                struct comparesim_case c = {changes[i].change, changes[i].where, runs[r], cvs[v]};
                struct comparesim_counts k;
                if (comparesim_run(&c, o, trials, seed + i * 100 + r * 10 + v, &k) < 0)
                    return -1;
                fprintf(f, "%-16s %4zu %3.0f%% %10.1f%% %13.1f%% %12.1f%%\n", changes[i].what,
                        runs[r], cvs[v] * 100, 100.0 * (double)k.regression / (double)trials,
                        100.0 * (double)k.ok / (double)trials,
                        100.0 * (double)k.inconclusive / (double)trials);
                fflush(f);
            }
        }
    }
    return ferror(f) ? -1 : 0;
}
