/*
 * Unit tests for `vmsweep compare`: the decision rule (compare.c),
 * SLO gates (compareslo.c), run-directory input and manifests (compareinput.c), JUnit
 * output (comparejunit.c) and the command's exit statuses (comparecmd.c) on the fixtures
 * in tests/data/compare (regenerate them with gen.py there).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cancel.h"
#include "compare.h"
#include "comparecmd.h"
#include "compareinput.h"
#include "comparejunit.h"
#include "comparereport.h"
#include "compareslo.h"
#include "csv.h"

#ifndef VMSWEEP_SRCDIR
#define VMSWEEP_SRCDIR "."
#endif
#define DATA VMSWEEP_SRCDIR "/tests/data/compare/"

static const struct compare_opts default_opts = {COMPARE_QPS, COMPARE_DEFAULT_THRESHOLD,
                                                 COMPARE_DEFAULT_ALPHA};

/* Run `vmsweep compare` with the given arguments (NULL-terminated); its exit status. */
static int run_cmd(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    argv[argc++] = (char *)"compare";
    argv[argc++] = (char *)"-q";
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return comparecmd_main(argc, argv);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, (size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The value of attribute attr in the first element <tag ...>, as a number. */
static long attr_of(const char *xml, const char *tag, const char *attr)
{
    char key[64];
    const char *el = strstr(xml, tag), *end, *a;
    if (!el)
        return -1;
    end = strchr(el, '>');
    snprintf(key, sizeof(key), " %s=\"", attr);
    a = strstr(el, key);
    if (!a || a > end)
        return -1;
    return strtol(a + strlen(key), NULL, 10);
}

static struct csv_table *table_new(size_t n);

static void test_identical_no_change(void **state)
{
    double x[] = {1000, 1010, 990, 1005, 995};
    struct compare_level l;
    (void)state;
    assert_int_equal(compare_samples(x, 5, x, 5, 1, &default_opts, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_SAME);
    assert_true(l.est.change == 0);
    assert_true(fabs(l.est.p_worse - 0.5) < 1e-12);
    assert_true(l.est.ci_lo < 0 && l.est.ci_hi > 0);
    assert_true(fabs(l.est.ci_lo + l.est.ci_hi) < 1e-3); /* symmetric in log: nearly here */
    assert_false(l.est.beyond);
    assert_int_equal(run_cmd(DATA "base.csv", DATA "same.csv", NULL), 0);
    assert_int_equal(run_cmd(DATA "base.csv", DATA "same_noise.csv", NULL), 0);
}

static void test_shift_20pct_regression(void **state)
{
    double base[] = {1000, 1010, 990, 1005, 995}, cur[] = {800, 808, 792, 804, 796};
    struct compare_level l;
    (void)state;
    assert_int_equal(compare_samples(base, 5, cur, 5, 1, &default_opts, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_REGRESSED);
    assert_true(l.est.beyond);
    assert_true(fabs(l.est.change + 0.2) < 1e-9); /* ratio of geometric means, exact here */
    assert_true(fabs(l.gm_cur / l.gm_base - 0.8) < 1e-9);
    assert_true(l.est.p_worse < 1e-6 && l.est.p_adj == l.est.p_worse);
    assert_true(l.est.ci_lo < -0.2 && l.est.ci_hi > -0.2 && l.est.ci_hi < 0);
    assert_true(l.est.df == 8 && l.own_noise == 0);
    /* the other way round it is an improvement, and improvements pass */
    assert_int_equal(compare_samples(cur, 5, base, 5, 1, &default_opts, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_IMPROVED);
    assert_false(l.est.beyond);
    assert_int_equal(run_cmd(DATA "base.csv", DATA "regress.csv", NULL), 3);
    assert_int_equal(run_cmd(DATA "base.csv", DATA "improve.csv", NULL), 0);
    /* a 20% shift under a 25% threshold is no regression: the interval excludes -25% */
    assert_int_equal(run_cmd("--threshold", "25", DATA "base.csv", DATA "regress.csv", NULL), 0);
}

/* One run a side: the noise cannot be estimated, nothing is decided; three runs, pooled
 * over four levels (16 degrees of freedom), decide a 20% drop. */
static void test_one_run_inconclusive(void **state)
{
    double base[] = {1000, 1010, 990}, cur[] = {800, 808, 792};
    struct compare_level l;
    (void)state;
    assert_int_equal(compare_samples(base, 1, cur, 1, 1, &default_opts, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_INCONCLUSIVE);
    assert_true(l.est.df == 0 && isnan(l.est.ci_lo) && isnan(l.est.p_worse));
    assert_int_equal(l.est.runs_needed, COMPARE_RUNS_ADVISED);
    assert_true(l.est.beyond); /* the estimate itself is there: -20% */
    assert_int_equal(compare_samples(base, 3, cur, 3, 1, &default_opts, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_REGRESSED);
    assert_int_equal(run_cmd(DATA "base1.csv", DATA "regress1.csv", NULL), 4);
    assert_int_equal(run_cmd(DATA "base3.csv", DATA "regress3.csv", NULL), 3);
}

/* Runs with no spread at all: the change is known exactly. */
static void test_no_spread(void **state)
{
    double base[] = {100, 100, 100}, cur[] = {90, 90, 90};
    struct compare_level l;
    (void)state;
    assert_int_equal(compare_samples(base, 3, cur, 3, 1, &default_opts, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_REGRESSED);
    assert_true(fabs(l.est.ci_lo + 0.1) < 1e-12 && fabs(l.est.ci_hi + 0.1) < 1e-12);
    assert_int_equal(compare_samples(base, 3, base, 3, 1, &default_opts, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_SAME);
    /* values that are not above 0 are refused */
    base[1] = 0;
    assert_int_equal(compare_samples(base, 3, cur, 3, 1, &default_opts, &l), -1);
}

static void test_noisy_small_shift(void **state)
{
    /* CV ~ 10%: a 3% drop is neither shown nor ruled out: inconclusive, with the runs
     * that would likely decide */
    double base[] = {1000, 1150, 870, 1080, 930}, cur[] = {970, 1110, 850, 1040, 900};
    struct compare_level l;
    (void)state;
    assert_int_equal(compare_samples(base, 5, cur, 5, 1, &default_opts, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_INCONCLUSIVE);
    assert_false(l.est.beyond);
    assert_true(l.est.ci_lo < -0.05);
    assert_true(l.est.runs_needed > 5);
    assert_int_equal(run_cmd(DATA "noisy_base.csv", DATA "noisy_shift.csv", NULL), 4);
}

/* A -7% shift at every level of a noisy curve: no level decides alone (Holm over 9
 * tests), the whole curve does. */
static void test_whole_curve_decides(void **state)
{
    static const double pattern[] = {1.05, 0.95, 1.03, 0.97, 1.0};
    struct csv_table *b = table_new(40), *c = table_new(40);
    struct compare_result *r = NULL;
    (void)state;
    for (size_t i = 0; i < 40; i++) {
        strcpy(b->rows[i].plan, "p");
        strcpy(c->rows[i].plan, "p");
        b->rows[i].concurrency = c->rows[i].concurrency = (uint64_t)1 << (i / 5);
        b->rows[i].run_idx = c->rows[i].run_idx = i % 5;
        b->rows[i].qps = 1000.0 * (double)(i / 5 + 1) * pattern[i % 5];
        c->rows[i].qps = 0.93 * b->rows[i].qps;
    }
    assert_int_equal(compare_tables(&b, 1, &c, 1, &default_opts, stderr, &r), 0);
    assert_int_equal(r->n_levels, 8);
    assert_int_equal(r->n_curves, 1);
    assert_int_equal(r->n_tests, 9);
    assert_int_equal(r->n_regressed, 0);
    assert_int_equal(r->n_inconclusive, 8);
    assert_true(r->curves[0].tested);
    assert_int_equal(r->curves[0].est.verdict, COMPARE_REGRESSED);
    assert_true(fabs(r->curves[0].est.change + 0.07) < 1e-9);
    assert_true(r->curves[0].est.ci_lo < -0.07 && r->curves[0].est.ci_hi > -0.07);
    assert_int_equal(r->verdict, COMPARE_REGRESSED);
    assert_true(r->by_curve && !r->by_level);
    compare_result_free(r);
    r = NULL;
    /* -3% everywhere: inside the threshold, the curve's interval rules out -5% */
    for (size_t i = 0; i < 40; i++)
        c->rows[i].qps = 0.97 * b->rows[i].qps;
    assert_int_equal(compare_tables(&b, 1, &c, 1, &default_opts, stderr, &r), 0);
    assert_int_equal(r->curves[0].est.verdict, COMPARE_SAME);
    assert_int_equal(r->verdict, COMPARE_SAME);
    compare_result_free(r);
    r = NULL;
    /* a run that did nothing (qps 0) is left out, not a ratio of infinity */
    c->rows[3].qps = 0;
    assert_int_equal(compare_tables(&b, 1, &c, 1, &default_opts, stderr, &r), 0);
    assert_int_equal(r->levels[0].dropped_cur, 1);
    assert_int_equal(r->levels[0].n_cur, 4);
    compare_result_free(r);
    csv_free(b);
    csv_free(c);
}

static void test_latency_direction(void **state)
{
    double base[] = {2000, 2020, 1980, 2010, 1990}, slower[] = {2400, 2424, 2376, 2412, 2388};
    struct compare_opts o = default_opts;
    struct compare_level l;
    enum compare_metric m;
    (void)state;
    assert_int_equal(compare_metric_parse("p99_us", NULL, &m), 0);
    assert_int_equal(compare_metric_higher_is_better(m), 0);
    assert_int_equal(compare_metric_higher_is_better(COMPARE_QPS), 1);
    assert_int_equal(compare_metric_parse("latency", NULL, &m), -1);
    o.metric = COMPARE_P99;
    assert_int_equal(compare_samples(base, 5, slower, 5, 0, &o, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_REGRESSED); /* higher latency is worse */
    assert_true(l.est.beyond);
    assert_int_equal(compare_samples(slower, 5, base, 5, 0, &o, &l), 0);
    assert_int_equal(l.est.verdict, COMPARE_IMPROVED);
    /* in the fixtures latency rises as qps falls */
    assert_int_equal(run_cmd("--metric", "p99_us", DATA "base.csv", DATA "regress.csv", NULL), 3);
    assert_int_equal(run_cmd("--metric", "p99_us", DATA "base.csv", DATA "improve.csv", NULL), 0);
    assert_int_equal(run_cmd("--metric", "mean_us", DATA "base.csv", DATA "regress.csv", NULL), 3);
}

static void test_knee_move(void **state)
{
    struct csv_table *b = NULL, *c = NULL;
    struct compare_result *r = NULL;
    (void)state;
    assert_int_equal(csv_read(DATA "knee_base.csv", stderr, &b), 0);
    assert_int_equal(csv_read(DATA "knee_cur.csv", stderr, &c), 0);
    assert_int_equal(compare_tables(&b, 1, &c, 1, &default_opts, stderr, &r), 0);
    assert_int_equal(r->n_knees, 1);
    assert_string_equal(r->knees[0].plan, "cpu");
    assert_int_equal(r->knees[0].vcpus, 2);
    assert_int_equal(r->knees[0].knee_base, 32);
    assert_int_equal(r->knees[0].knee_cur, 16);
    assert_true(r->knees[0].lower);
    assert_int_equal(r->n_levels, 7);
    compare_result_free(r);
    r = NULL;
    /* no move against itself */
    assert_int_equal(compare_tables(&b, 1, &b, 1, &default_opts, stderr, &r), 0);
    assert_int_equal(r->n_knees, 0);
    compare_result_free(r);
    csv_free(b);
    csv_free(c);
}

/* A table of n rows in memory, optional columns NAN as csv.c leaves them absent. */
static struct csv_table *table_new(size_t n)
{
    struct csv_table *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->name = strdup("mem.csv");
    t->rows = calloc(n ? n : 1, sizeof(*t->rows));
    assert_non_null(t->name);
    assert_non_null(t->rows);
    t->n = n;
    for (size_t i = 0; i < n; i++) {
        struct csv_row *r = &t->rows[i];
        csv_row_clear(r);
        r->p50_us = 10;
        r->p90_us = 20;
        r->p99_us = 30;
        r->vcpus = 2;
        r->line = i + 2;
    }
    return t;
}

/* Plan k on two levels: flat (knee at N=1) or still growing (no knee). */
static void knee_plan(struct csv_row *r, size_t k, int flat)
{
    snprintf(r[0].plan, sizeof r[0].plan, "p%07zu", k);
    snprintf(r[1].plan, sizeof r[1].plan, "p%07zu", k);
    r[0].concurrency = 1;
    r[1].concurrency = 2;
    r[0].qps = flat ? 100 : 50;
    r[1].qps = 100;
}

/* 200000 curves a side: knee moves are paired by one merge walk over the sorted curves
 * (a loop over every pair took minutes), curves on one side only are skipped. */
static void test_many_knee_moves(void **state)
{
    const size_t n = 200000;
    struct csv_table *b = table_new(2 * n), *c = table_new(2 * n);
    struct compare_result *r = NULL;
    (void)state;
    /* BASE: plans 0..n-1, all flat.  CURRENT: plans 1..n, the odd ones still growing. */
    for (size_t k = 0; k < n; k++) {
        knee_plan(&b->rows[2 * k], k, 1);
        knee_plan(&c->rows[2 * k], k + 1, (k + 1) % 2 == 0);
    }
    assert_int_equal(compare_tables(&b, 1, &c, 1, &default_opts, stderr, &r), 0);
    assert_int_equal(r->n_levels, 2 * (n - 1));
    assert_int_equal(r->only_base, 2);
    assert_int_equal(r->only_cur, 2);
    assert_int_equal(r->n_knees, n / 2);
    assert_string_equal(r->knees[0].plan, "p0000001");
    assert_int_equal(r->knees[0].knee_base, 1);
    assert_int_equal(r->knees[0].knee_cur, 0);
    assert_false(r->knees[0].lower);
    assert_string_equal(r->knees[n / 2 - 1].plan, "p0199999");
    compare_result_free(r);
    csv_free(b);
    csv_free(c);
}

/* 100000 levels of two runs a side: linear work after one sort, and every estimate is
 * exact here (each side is {x, 1.04 x} and CURRENT is twice BASE).  A level with one run
 * a side on a curve of its own has no noise estimate: inconclusive, its estimate still
 * given. */
static void test_many_levels(void **state)
{
    const size_t n = 100000;
    struct csv_table *b = table_new(2 * n + 1), *c = table_new(2 * n + 1);
    struct compare_result *r = NULL;
    (void)state;
    for (size_t i = 0; i < 2 * n; i++) {
        strcpy(b->rows[i].plan, "p");
        strcpy(c->rows[i].plan, "p");
        b->rows[i].concurrency = c->rows[i].concurrency = i / 2 + 1;
        b->rows[i].run_idx = c->rows[i].run_idx = i % 2;
        b->rows[i].qps = i % 2 ? 104 : 100;
        c->rows[i].qps = i % 2 ? 208 : 200;
    }
    strcpy(b->rows[2 * n].plan, "q");
    strcpy(c->rows[2 * n].plan, "q");
    b->rows[2 * n].concurrency = c->rows[2 * n].concurrency = 1;
    b->rows[2 * n].qps = 100;
    c->rows[2 * n].qps = 150;
    assert_int_equal(compare_tables(&b, 1, &c, 1, &default_opts, stderr, &r), 0);
    assert_int_equal(r->n_levels, n + 1);
    assert_int_equal(r->n_curves, 2);
    assert_int_equal(r->n_tests, n + 1); /* the levels of p and its curve; q untested */
    for (size_t i = 0; i < n; i++) {
        const struct compare_level *l = &r->levels[i];
        assert_true(fabs(l->est.change - 1) < 1e-9);
        assert_int_equal(l->est.verdict, COMPARE_IMPROVED);
    }
    assert_string_equal(r->levels[n].plan, "q");
    assert_true(fabs(r->levels[n].est.change - 0.5) < 1e-12);
    assert_int_equal(r->levels[n].est.verdict, COMPARE_INCONCLUSIVE);
    assert_int_equal(r->verdict, COMPARE_INCONCLUSIVE);
    compare_result_free(r);
    csv_free(b);
    csv_free(c);
}

static int stop_now(void)
{
    return 1;
}

/* The cancel hook stops a comparison with one sentence. */
static void test_cancel(void **state)
{
    struct csv_table *b = NULL;
    struct compare_result *r = NULL;
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);
    (void)state;
    assert_non_null(m);
    assert_int_equal(csv_read(DATA "base.csv", stderr, &b), 0);
    cancel_set_hook(stop_now);
    assert_int_equal(compare_tables(&b, 1, &b, 1, &default_opts, m, &r), -1);
    cancel_set_hook(NULL);
    fclose(m);
    assert_null(r);
    assert_string_equal(msg, "interrupted while comparing\n");
    free(msg);
    assert_int_equal(compare_tables(&b, 1, &b, 1, &default_opts, stderr, &r), 0);
    compare_result_free(r);
    csv_free(b);
}

static void test_slo_parse(void **state)
{
    struct compareslo_gate g;
    static const char *const bad[] = {"p99_us<2000", "foo<=1",       "p99_us<=abc", "p99_us<=1@0",
                                      "p99_us<=1@x", "<=5",          "p99_us<=",    "p99_us<=nan",
                                      "p99_us=>5",   "p99_us<=5@32x"};
    (void)state;
    assert_int_equal(compareslo_parse("p99_us<=2000@32", NULL, &g), 0);
    assert_int_equal(g.metric, COMPARE_P99);
    assert_true(g.at_most);
    assert_true(g.limit == 2000);
    assert_int_equal(g.concurrency, 32);
    assert_string_equal(g.text, "p99_us<=2000@32");
    assert_int_equal(compareslo_parse("qps>=1.5e3", NULL, &g), 0);
    assert_int_equal(g.metric, COMPARE_QPS);
    assert_false(g.at_most);
    assert_true(g.limit == 1500);
    assert_int_equal(g.concurrency, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        g.limit = -7;
        assert_int_equal(compareslo_parse(bad[i], NULL, &g), -1);
        assert_true(g.limit == -7); /* untouched on failure */
    }
}

static void test_slo_violations(void **state)
{
    struct csv_table *t = NULL;
    struct compareslo_gate g[2];
    struct compareslo_result *r = NULL;
    (void)state;
    assert_int_equal(csv_read(DATA "base.csv", stderr, &t), 0);
    /* p99 at c=8 is ~2.5 * 8 / 7022 s = ~2850 us; at c=1 ~2500 us */
    assert_int_equal(compareslo_parse("p99_us<=2700@8", NULL, &g[0]), 0);
    assert_int_equal(compareslo_parse("qps>=900", NULL, &g[1]), 0);
    assert_int_equal(compareslo_check(&t, 1, g, 2, -1, -1, stderr, &r), 0);
    assert_int_equal(r->n, 5); /* one check at c=8, four for qps */
    assert_int_equal(r->n_violated, 1);
    for (size_t i = 0; i < r->n; i++) {
        if (r->checks[i].violated) {
            assert_int_equal(r->checks[i].concurrency, 8);
            assert_string_equal(r->checks[i].gate, "p99_us<=2700@8");
        }
    }
    compareslo_result_free(r);
    r = NULL;
    /* a gate on a level CURRENT does not have is bad input */
    assert_int_equal(compareslo_parse("p99_us<=1@3", NULL, &g[0]), 0);
    assert_int_equal(compareslo_check(&t, 1, g, 1, -1, -1, NULL, &r), -1);
    assert_null(r);
    csv_free(t);
    assert_int_equal(run_cmd("--slo", "p99_us<=2700@8", DATA "base.csv", DATA "same.csv", NULL), 3);
    assert_int_equal(run_cmd("--slo", "p99_us<=100000", DATA "base.csv", DATA "same.csv", NULL), 0);
    /* an SLO violation beats inconclusive */
    assert_int_equal(run_cmd("--slo", "qps>=1e9", DATA "base1.csv", DATA "regress1.csv", NULL), 3);
    assert_int_equal(run_cmd(DATA "base.csv", DATA "errors.csv", NULL), 3);
    assert_int_equal(run_cmd("--max-error-rate", "5", DATA "base.csv", DATA "errors.csv", NULL), 0);
    assert_int_equal(run_cmd(DATA "base.csv", DATA "unfair.csv", NULL), 3);
    assert_int_equal(run_cmd("--min-fairness", "0.4", DATA "base.csv", DATA "unfair.csv", NULL), 0);
}

static void test_bad_input(void **state)
{
    char dir[] = "/tmp/vmsweep-test-compare.XXXXXX", junit[128], md[128];
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(junit, sizeof(junit), "%s/report.xml", dir);
    snprintf(md, sizeof(md), "%s/summary.md", dir);
    assert_int_equal(run_cmd("--junit", junit, "--markdown", md, DATA "base.csv",
                             DATA "does-not-exist.csv", NULL),
                     2);
    assert_int_equal(
        run_cmd("--junit", junit, "--slo", "p99_us<2000", DATA "base.csv", DATA "same.csv", NULL),
        2);
    assert_int_equal(
        run_cmd("--junit", junit, "--alpha", "1.5", DATA "base.csv", DATA "same.csv", NULL), 2);
    assert_int_equal(run_cmd("--alpha", "0", DATA "base.csv", DATA "same.csv", NULL), 2);
    assert_int_equal(run_cmd("--alpha", "abc", DATA "base.csv", DATA "same.csv", NULL), 2);
    assert_int_equal(run_cmd("--threshold", "-1", DATA "base.csv", DATA "same.csv", NULL), 2);
    assert_int_equal(run_cmd("--metric", "bogus", DATA "base.csv", DATA "same.csv", NULL), 2);
    assert_int_equal(run_cmd("--no-such-flag", DATA "base.csv", DATA "same.csv", NULL), 2);
    assert_int_equal(run_cmd(DATA "base.csv", NULL), 2);
    assert_int_equal(run_cmd(DATA "base.csv", DATA "same.csv", DATA "same.csv", NULL), 2);
    assert_int_equal(run_cmd(dir, DATA "same.csv", NULL), 2); /* a directory without CSVs */
    /* the SLO names a level CURRENT does not have */
    assert_int_equal(run_cmd("--slo", "p99_us<=1@3", DATA "base.csv", DATA "same.csv", NULL), 2);
    /* no common level: knee fixtures have plan cpu on 2 vCPUs too, but a CSV of
       another VM size has nothing in common */
    {
        char other[160];
        FILE *f;
        snprintf(other, sizeof(other), "%s/other.csv", dir);
        f = fopen(other, "w");
        assert_non_null(f);
        fputs("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\ncpu,64,1,5,1,2,3\n", f);
        fclose(f);
        assert_int_equal(run_cmd("--junit", junit, DATA "base.csv", other, NULL), 2);
        unlink(other);
    }
    assert_int_equal(access(junit, F_OK), -1); /* nothing written */
    assert_int_equal(access(md, F_OK), -1);
    rmdir(dir);
}

static void test_junit(void **state)
{
    char dir[] = "/tmp/vmsweep-test-compare.XXXXXX", junit[128], md[128];
    char *xml, *text;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(junit, sizeof(junit), "%s/report.xml", dir);
    snprintf(md, sizeof(md), "%s/summary.md", dir);
    assert_int_equal(run_cmd("--junit", junit, "--markdown", md, "--slo", "p99_us<=2000@8",
                             DATA "knee_base.csv", DATA "knee_cur.csv", NULL),
                     3);
    xml = slurp(junit);
    assert_non_null(xml);
    assert_true(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite ", 50) == 0);
    assert_non_null(strstr(xml, "<testsuite name=\"vmsweep compare "));
    assert_int_equal(count(xml, "<testsuite "), 1);
    assert_int_equal(count(xml, "</testsuite>"), 1);
    /* 7 levels + the curve + 1 SLO check (c=8) + 1 knee move (+ error-rate and fairness checks
       when the CSV reader gives ops and fairness) */
    assert_int_equal(attr_of(xml, "<testsuite ", "tests"), (long)count(xml, "<testcase "));
    assert_int_equal(count(xml, "name=\"qps c="), 7);
    assert_int_equal(count(xml, "name=\"slo p99_us&lt;=2000@8 c=8\""), 1);
    assert_int_equal(count(xml, "name=\"knee\""), 1);
    assert_int_equal(attr_of(xml, "<testsuite ", "failures"), (long)count(xml, "<failure "));
    assert_int_equal(attr_of(xml, "<testsuite ", "errors"), 0);
    assert_int_equal(attr_of(xml, "<testsuite ", "skipped"), (long)count(xml, "<skipped "));
    /* c=16 (-6%), c=32, c=64 and the whole curve */
    assert_int_equal(count(xml, "type=\"regression\""), 4);
    assert_int_equal(count(xml, "name=\"qps whole curve\""), 1);
    assert_int_equal(count(xml, "type=\"slo\""), 1);
    assert_non_null(strstr(xml, "name=\"knee\""));
    assert_non_null(strstr(xml, "knee moved 32 -&gt; 16"));
    assert_null(strstr(xml, "->")); /* escaped everywhere */
    free(xml);
    text = slurp(md);
    assert_non_null(text);
    assert_non_null(strstr(text, "### vmsweep compare: regression"));
    assert_non_null(strstr(text, "| plan | vCPUs |"));
    assert_non_null(strstr(text, "knee moved down"));
    free(text);
    /* inconclusive levels and curves are <skipped> */
    assert_int_equal(run_cmd("--junit", junit, DATA "base1.csv", DATA "regress1.csv", NULL), 4);
    xml = slurp(junit);
    assert_non_null(xml);
    assert_int_equal(attr_of(xml, "<testsuite ", "skipped"), 5);
    assert_int_equal(count(xml, "<skipped "), 5);
    assert_int_equal(attr_of(xml, "<testsuite ", "failures"), 0);
    free(xml);
    unlink(junit);
    unlink(md);
    rmdir(dir);
}

static void test_junit_escaping(void **state)
{
    struct compare_level l = {0};
    struct compare_result r = {0};
    struct comparereport rep = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    (void)state;
    strcpy(l.plan, "a<b>&\"c'");
    l.vcpus = 1;
    l.concurrency = 2;
    l.n_base = l.n_cur = 5;
    l.est.verdict = COMPARE_REGRESSED;
    l.est.change = -0.5;
    r.levels = &l;
    r.n_levels = 1;
    r.n_regressed = 1;
    rep.base_name = "x&y";
    rep.cur_name = "<z>";
    rep.cmp = &r;
    rep.alpha = 0.01;
    rep.threshold = 0.05;
    rep.status = COMPAREREPORT_REGRESSION;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(comparejunit_write(f, &rep), 0);
    fclose(f);
    assert_non_null(strstr(buf, "vmsweep.compare.a&lt;b&gt;&amp;&quot;c&apos;.vcpus1"));
    assert_non_null(strstr(buf, "vmsweep compare x&amp;y vs &lt;z&gt;"));
    assert_null(strstr(buf, "a<b"));
    free(buf);
}

/* Write a run directory: DIR/manifest.json and DIR/vcpus-2/sweep_x.csv (a copy of csv). */
static void make_run_dir(const char *dir, const char *accel, const char *csv)
{
    char path[256], *data = slurp(csv);
    FILE *f;
    assert_non_null(data);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"accel\":\"%s\",\"host\":{\"cpu_model\":\"AMD EPYC\"},"
            "\"spec\":{\"vm\":{\"vcpus\":[2],\"memory_mib\":1024,\"cpu_model\":\"EPYC-Rome\"}},"
            "\"image\":{\"manifest_sha256\":\"abc\"},\"sizes\":[{\"vcpus\":2,\"dir\":"
            "\"vcpus-2\"}]}\n",
            accel);
    fclose(f);
    snprintf(path, sizeof(path), "%s/vcpus-2", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/vcpus-2/sweep_x.csv", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
    free(data);
}

static void remove_run_dir(const char *dir)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/vcpus-2/sweep_x.csv", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/vcpus-2", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    unlink(path);
    rmdir(dir);
}

static void test_run_dirs_and_manifests(void **state)
{
    char top[] = "/tmp/vmsweep-test-compare.XXXXXX", a[128], b[128], c[128], csv[160];
    struct compareinput *in = NULL, *in2 = NULL;
    char **w = NULL;
    size_t nw = 0;
    (void)state;
    assert_non_null(mkdtemp(top));
    snprintf(a, sizeof(a), "%s/a", top);
    snprintf(b, sizeof(b), "%s/b", top);
    snprintf(c, sizeof(c), "%s/c", top);
    make_run_dir(a, "kvm", DATA "base.csv");
    make_run_dir(b, "kvm", DATA "regress.csv");
    make_run_dir(c, "tcg", DATA "same.csv");
    assert_int_equal(compareinput_load(a, stderr, &in), 0);
    assert_int_equal(in->n, 1);
    assert_non_null(strstr(in->paths[0], "vcpus-2/sweep_x.csv"));
    assert_string_equal(in->fields[COMPAREINPUT_ACCEL], "kvm");
    assert_string_equal(in->fields[COMPAREINPUT_VCPUS], "2");
    assert_string_equal(in->fields[COMPAREINPUT_MEMORY], "1024");
    assert_string_equal(in->fields[COMPAREINPUT_IMAGE], "abc");
    assert_int_equal(compareinput_load(c, stderr, &in2), 0);
    assert_int_equal(compareinput_diff(in, in2, &w, &nw), 0);
    assert_int_equal(nw, 1);
    assert_string_equal(w[0], "accelerator differs: BASE 'kvm', CURRENT 'tcg'");
    free(w[0]);
    free(w);
    compareinput_free(in);
    compareinput_free(in2);
    /* a CSV inside a vcpus-N directory finds the manifest one level up */
    snprintf(csv, sizeof(csv), "%s/vcpus-2/sweep_x.csv", a);
    assert_int_equal(compareinput_load(csv, stderr, &in), 0);
    assert_non_null(in->manifest);
    compareinput_free(in);
    assert_int_equal(run_cmd(a, b, NULL), 3);
    assert_int_equal(run_cmd(a, c, NULL), 0);               /* a warning, not a refusal */
    assert_int_equal(run_cmd("--strict", a, c, NULL), 2);   /* refused */
    assert_int_equal(run_cmd("--strict", a, b, NULL), 3);   /* same setup: compared */
    assert_int_equal(run_cmd(a, DATA "same.csv", NULL), 0); /* one side without manifest */
    remove_run_dir(a);
    remove_run_dir(b);
    remove_run_dir(c);
    rmdir(top);
}

/* compareinput_load's message for arg, asserting that it fails. */
static char *load_err(const char *arg)
{
    struct compareinput *in = NULL;
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);
    assert_non_null(m);
    assert_int_equal(compareinput_load(arg, m, &in), -1);
    fclose(m);
    assert_null(in);
    return msg;
}

/* Create an empty file at dir/name. */
static void touch_in(const char *dir, const char *name)
{
    char path[256];
    int fd;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
}

static void unlink_in(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(unlink(path), 0);
}

/* A side with more CSV files than COMPAREINPUT_MAX_FILES is refused, naming the directory,
 * before any is read; so is one holding a name with control characters (it would be echoed
 * in every message), shown escaped. */
static void test_hostile_directories(void **state)
{
    char dir[] = "/tmp/vmsweep-test-compare.XXXXXX", name[32], *msg;
    (void)state;
    assert_non_null(mkdtemp(dir));
    for (int i = 0; i <= COMPAREINPUT_MAX_FILES; i++) {
        snprintf(name, sizeof(name), "f%05d.csv", i);
        touch_in(dir, name);
    }
    msg = load_err(dir);
    assert_non_null(strstr(msg, "holds more than the 4096 CSV files a side may have"));
    assert_non_null(strstr(msg, dir));
    free(msg);
    for (int i = 0; i <= COMPAREINPUT_MAX_FILES; i++) {
        snprintf(name, sizeof(name), "f%05d.csv", i);
        unlink_in(dir, name);
    }
    touch_in(dir, "a\x1b]0;owned\x07.csv");
    msg = load_err(dir);
    assert_non_null(strstr(msg, "'a\\x1b]0;owned\\x07.csv', whose name is not printable text"));
    assert_null(strchr(msg, '\x1b'));
    free(msg);
    unlink_in(dir, "a\x1b]0;owned\x07.csv");
    assert_int_equal(rmdir(dir), 0);
}

/* The manifest is read only when it is a regular file (a FIFO there is passed over, not
 * waited on) of at most COMPAREINPUT_MAX_MANIFEST bytes; its values reach the reports
 * escaped, so a manifest cannot send control sequences to the terminal or break lines. */
static void test_hostile_manifests(void **state)
{
    char top[] = "/tmp/vmsweep-test-compare.XXXXXX", a[128], b[128], path[160], *msg;
    struct compareinput *in = NULL, *in2 = NULL;
    char **w = NULL;
    size_t nw = 0;
    int fd;
    (void)state;
    assert_non_null(mkdtemp(top));
    snprintf(a, sizeof(a), "%s/a", top);
    snprintf(b, sizeof(b), "%s/b", top);
    make_run_dir(a, "kvm", DATA "base.csv");
    make_run_dir(b, "tcg\\u001b]0;owned\\u0007\\nverdict: ok", DATA "base.csv");
    assert_int_equal(compareinput_load(a, stderr, &in), 0);
    assert_int_equal(compareinput_load(b, stderr, &in2), 0);
    assert_int_equal(compareinput_diff(in, in2, &w, &nw), 0);
    assert_int_equal(nw, 1);
    assert_string_equal(
        w[0], "accelerator differs: BASE 'kvm', CURRENT 'tcg\\x1b]0;owned\\x07\\x0averdict: ok'");
    free(w[0]);
    free(w);
    compareinput_free(in);
    compareinput_free(in2);

    /* 17 MiB (sparse: no disk used) is over the cap. */
    snprintf(path, sizeof(path), "%s/manifest.json", b);
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 17 << 20), 0);
    close(fd);
    msg = load_err(b);
    assert_non_null(strstr(msg, "manifest.json': it has 17825792 bytes, more than the 16777216"));
    free(msg);

    /* A FIFO in its place: the side loads without a manifest, at once. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(compareinput_load(b, stderr, &in), 0);
    assert_null(in->manifest);
    assert_null(in->fields[COMPAREINPUT_ACCEL]);
    compareinput_free(in);
    remove_run_dir(a);
    remove_run_dir(b);
    assert_int_equal(rmdir(top), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_no_change),
        cmocka_unit_test(test_shift_20pct_regression),
        cmocka_unit_test(test_one_run_inconclusive),
        cmocka_unit_test(test_no_spread),
        cmocka_unit_test(test_noisy_small_shift),
        cmocka_unit_test(test_whole_curve_decides),
        cmocka_unit_test(test_latency_direction),
        cmocka_unit_test(test_knee_move),
        cmocka_unit_test(test_slo_parse),
        cmocka_unit_test(test_slo_violations),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_junit_escaping),
        cmocka_unit_test(test_run_dirs_and_manifests),
        cmocka_unit_test(test_many_knee_moves),
        cmocka_unit_test(test_many_levels),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_hostile_directories),
        cmocka_unit_test(test_hostile_manifests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
