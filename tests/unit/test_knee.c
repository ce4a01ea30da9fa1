/*
 * Unit tests for plot/knee.c, plot/usl.c and the knee logic of plot/analysis.c, on
 * synthetic curves with known answers.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis.h"
#include "csv.h"
#include "htmlreport.h"
#include "knee.h"
#include "kneejson.h"
#include "plotgen.h"
#include "summary.h"
#include "usl.h"

#define MAXLV 16

static double usl_x(double n, double lambda, double sigma, double kappa)
{
    return lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

/* Deterministic noise in [-amp, +amp] (a fixed LCG). */
static double noise(uint64_t *s, double amp)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return amp * (2.0 * (double)(*s >> 11) / 9007199254740992.0 - 1.0);
}

/* Doubling grid 1..2^(n-1); qps from f; p99 from Little's law (N / X) times 2.5. */
static size_t grid(struct knee_level *lv, size_t n, double (*f)(double))
{
    for (size_t i = 0; i < n; i++) {
        lv[i].concurrency = 1ULL << i;
        lv[i].qps = f((double)lv[i].concurrency);
        lv[i].p99_us = 2.5e6 * (double)lv[i].concurrency / lv[i].qps;
    }
    return n;
}

static double f_capped(double n)
{
    return 100 * fmin(n, 4);
}
static double f_linear(double n)
{
    return 100 * n;
}
static double f_usl(double n)
{
    return usl_x(n, 1000, 0.05, 0.002);
}
static double f_amdahl(double n)
{
    return usl_x(n, 1000, 0.1, 0);
}

static long kt(const struct knee_level *lv, size_t n)
{
    long idx = -2;
    assert_int_equal(knee_throughput(lv, n, &idx), 0);
    return idx;
}

static void test_capped(void **state)
{
    struct knee_level lv[MAXLV];
    size_t n = grid(lv, 7, f_capped);
    long idx;
    (void)state;
    assert_int_equal(lv[kt(lv, n)].concurrency, 4);
    assert_int_equal(knee_kneedle(lv, n, &idx), 0);
    assert_int_equal(lv[idx].concurrency, 4);
}

static void test_linear(void **state)
{
    struct knee_level lv[MAXLV];
    size_t n = grid(lv, 8, f_linear);
    long idx = 0;
    (void)state;
    assert_int_equal(kt(lv, n), -1);
    assert_int_equal(knee_kneedle(lv, n, &idx), 0);
    assert_int_equal(idx, -1);
    assert_int_equal(knee_latency(lv, n, &idx), 0);
    assert_int_equal(idx, -1); /* p99 flat: no latency knee either */
}

static void test_usl_curve_knee(void **state)
{
    struct knee_level lv[MAXLV];
    size_t n = grid(lv, 7, f_usl);
    (void)state;
    assert_int_equal(lv[kt(lv, n)].concurrency, 16);
}

static void test_noisy(void **state)
{
    double (*curves[])(double) = {f_capped, f_usl, f_amdahl};
    size_t sizes[] = {7, 7, 9};
    (void)state;
    for (size_t c = 0; c < 3; c++) {
        struct knee_level clean[MAXLV], lv[MAXLV];
        size_t n = grid(clean, sizes[c], curves[c]);
        long k0 = kt(clean, n);
        assert_true(k0 >= 0);
        for (uint64_t seed = 1; seed <= 200; seed++) {
            uint64_t s = seed;
            long k;
            memcpy(lv, clean, sizeof(lv[0]) * n);
            for (size_t i = 0; i < n; i++)
                lv[i].qps *= 1 + noise(&s, 0.03);
            k = kt(lv, n);
            assert_true(k >= 0);
            if (labs(k - k0) > 1)
                fail_msg("curve %zu seed %llu: knee moved from level %ld to %ld", c,
                         (unsigned long long)seed, k0, k);
        }
    }
}

static void test_gentle_plateau_latency_first(void **state)
{
    struct knee_level lv[MAXLV];
    size_t n = grid(lv, 9, f_amdahl);
    long lat = -1, thr;
    (void)state;
    thr = kt(lv, n);
    assert_int_equal(knee_latency(lv, n, &lat), 0);
    assert_true(lat >= 0 && thr >= 0);
    assert_true(lv[lat].concurrency < lv[thr].concurrency);
    assert_int_equal(lv[thr].concurrency, 64);
    assert_int_equal(lv[lat].concurrency, 32);
}

static double f_smooth(double n)
{
    return 1000 * n / (1 + n / 12); /* saturates gradually towards 12000 */
}
static double f_sqrt(double n)
{
    return 1000 * sqrt(n); /* +41% per doubling: no knee anywhere */
}

/* Levels start, start + step, ... up to last (step 0: a doubling grid from start). */
static size_t grid_of(struct knee_level *lv, size_t cap, uint64_t start, uint64_t step,
                      uint64_t last, double (*f)(double))
{
    size_t n = 0;
    for (uint64_t c = start; c <= last && n < cap; c = step ? c + step : 2 * c) {
        lv[n].concurrency = c;
        lv[n].qps = f((double)c);
        lv[n].p99_us = 2.5e6 * (double)c / lv[n].qps;
        n++;
    }
    return n;
}

/* The knee is a property of the system, not of the grid: step-1, step-2 and doubling
 * grids of one system give knees within one doubling of each other (the rule comparing
 * a level with the next one put the step-1 knee wherever qps first passed 90% of the
 * maximum). */
static void test_grid_invariance(void **state)
{
    double (*curves[])(double) = {f_capped, f_usl, f_amdahl, f_smooth, f_linear, f_sqrt};
    const char *names[] = {"capped at 4", "USL N*=21.8", "Amdahl sigma=0.1",
                           "smooth",      "linear",      "sqrt"};
    static const uint64_t starts[3] = {1, 2, 1}, steps[3] = {1, 2, 0};
    (void)state;
    for (size_t c = 0; c < sizeof(curves) / sizeof(*curves); c++) {
        struct knee_level lv[300];
        uint64_t k[3];
        for (int g = 0; g < 3; g++) {
            size_t n = grid_of(lv, 300, starts[g], steps[g], 256, curves[c]);
            long i = kt(lv, n);
            k[g] = i >= 0 ? lv[i].concurrency : 0; /* 0: no knee */
        }
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                if ((k[a] == 0) != (k[b] == 0) || (double)k[a] > 2.0 * (double)k[b])
                    fail_msg("%s: knees %llu (step 1), %llu (step 2), %llu (doubling; 0: none) "
                             "are more than a doubling apart",
                             names[c], (unsigned long long)k[0], (unsigned long long)k[1],
                             (unsigned long long)k[2]);
            }
        }
    }
}

/* A curve that has not flattened by half its last level has no knee within it; the gain
 * per doubling is read off the curve between levels. */
static void test_gain_per_doubling(void **state)
{
    struct knee_level lv[MAXLV];
    size_t n = grid_of(lv, MAXLV, 1, 0, 64, f_linear);
    double g = -1;
    (void)state;
    assert_int_equal(knee_gain_per_doubling(lv, n, 0, &g), 0);
    assert_true(fabs(g - 1) < 1e-12);
    assert_int_equal(knee_gain_per_doubling(lv, n, n - 1, &g), -1); /* 128 is beyond */
    /* grid 1, 3, 5: from N=1, 2N = 2 lies between 1 and 3, interpolated in log2 N */
    n = grid_of(lv, MAXLV, 1, 2, 5, f_linear);
    assert_int_equal(knee_gain_per_doubling(lv, n, 0, &g), 0);
    {
        double t = (1.0 - 0) / log2(3.0), want = (100 + t * 200) / 100 - 1;
        assert_true(fabs(g - want) < 1e-12);
    }
    assert_int_equal(kt(lv, n), -1);
}

static void test_single_and_empty(void **state)
{
    struct knee_level lv[1] = {{.concurrency = 8, .qps = 100, .p99_us = 50}};
    long idx = 5;
    (void)state;
    assert_int_equal(kt(lv, 1), -1);
    assert_int_equal(knee_kneedle(lv, 1, &idx), 0);
    assert_int_equal(idx, -1);
    idx = 5;
    assert_int_equal(knee_throughput(lv, 0, &idx), -1);
    assert_int_equal(knee_latency(NULL, 0, &idx), -1);
    assert_int_equal(knee_kneedle(lv, 0, &idx), -1);
    assert_int_equal(idx, 5); /* untouched on failure */
}

static void test_unsorted_rejected(void **state)
{
    struct knee_level lv[2] = {{.concurrency = 4, .qps = 1}, {.concurrency = 2, .qps = 2}};
    long idx;
    (void)state;
    assert_int_equal(knee_throughput(lv, 2, &idx), -1);
}

static void fit_and_check(double sigma, double kappa, double amp, size_t levels)
{
    double n[MAXLV], x[MAXLV], want = sqrt((1 - sigma) / kappa);
    struct usl_result u;
    char why[160] = "";
    uint64_t s = 42;
    for (size_t i = 0; i < levels; i++) {
        n[i] = (double)(1ULL << i);
        x[i] = usl_x(n[i], 1000, sigma, kappa) * (1 + noise(&s, amp));
    }
    if (usl_fit(n, x, levels, &u, why, sizeof why) != 0)
        fail_msg("fit failed: %s", why);
    if (!(fabs(u.n_star - want) / want < 0.10))
        fail_msg("sigma %g kappa %g: N* %g, want %g", sigma, kappa, u.n_star, want);
    assert_true(u.r2 > 0.95);
    assert_true(u.sigma >= 0 && u.kappa >= 0);
}

static void test_usl_recovers(void **state)
{
    (void)state;
    fit_and_check(0.05, 0.001, 0, 9);   /* N* = 30.8 */
    fit_and_check(0.02, 0.0001, 0, 10); /* N* = 99 */
    fit_and_check(0.1, 0.01, 0, 7);     /* N* = 9.5 */
    fit_and_check(0.05, 0.001, 0.02, 9);
    fit_and_check(0.02, 0.0001, 0.02, 10);
}

/* Squared error of the USL with sigma, kappa and the best lambda for them (X is linear
 * in lambda: lambda = sum x g / sum g g with g = X / lambda). */
static double sse_best_lambda(const double *n, const double *x, size_t k, double sigma,
                              double kappa, double *lambda)
{
    double sxg = 0, sgg = 0, e = 0;
    for (size_t i = 0; i < k; i++) {
        double g = usl_x(n[i], 1, sigma, kappa);
        sxg += x[i] * g;
        sgg += g * g;
    }
    *lambda = sxg / sgg;
    for (size_t i = 0; i < k; i++) {
        double r = x[i] - usl_x(n[i], *lambda, sigma, kappa);
        e += r * r;
    }
    return e;
}

/* The optimum by brute force: a grid over sigma in [0, 1] and kappa in [0, kmax], then a
 * finer grid around the best cell. */
static void brute_force(const double *n, const double *x, size_t k, double kmax, double *sigma,
                        double *kappa, double *best)
{
    double s0 = 0, s1 = 1, k0 = 0, k1 = kmax, lam;
    *best = INFINITY;
    for (int round = 0; round < 6; round++) {
        double bs = s0, bk = k0;
        for (int i = 0; i <= 200; i++) {
            for (int j = 0; j <= 200; j++) {
                double sg = s0 + (s1 - s0) * i / 200, kp = k0 + (k1 - k0) * j / 200;
                double e = sse_best_lambda(n, x, k, sg, kp, &lam);
                if (e < *best) {
                    *best = e;
                    bs = sg;
                    bk = kp;
                }
            }
        }
        *sigma = bs;
        *kappa = bk;
        {
            double ws = (s1 - s0) / 20, wk = (k1 - k0) / 20;
            s0 = fmax(0, bs - ws);
            s1 = fmin(1, bs + ws);
            k0 = fmax(0, bk - wk);
            k1 = bk + wk;
        }
    }
}

/* Gunther's ray-tracer benchmark (the `raytracer` data set of the R package usl):
 * throughput on 1 to 64 processors; the coherency term sits on its bound (kappa = 0). */
static void test_usl_bound_raytracer(void **state)
{
    static const double n[] = {1, 4, 8, 12, 16, 20, 24, 28, 32, 48, 64};
    static const double x[] = {20, 78, 130, 170, 190, 200, 210, 230, 260, 280, 310};
    size_t k = sizeof(n) / sizeof(*n);
    struct usl_result u;
    double bs, bk, best, lam, got;
    char why[160] = "";
    (void)state;
    if (usl_fit(n, x, k, &u, why, sizeof why) != 0)
        fail_msg("fit failed: %s", why);
    brute_force(n, x, k, 1e-3, &bs, &bk, &best);
    got = sse_best_lambda(n, x, k, u.sigma, u.kappa, &lam);
    if (!u.converged || u.iterations >= USL_MAX_ITERS)
        fail_msg("not converged: %u iterations", u.iterations);
    if (!(got <= best * (1 + 1e-6)) || fabs(u.sigma - bs) > 1e-4 || fabs(u.kappa - bk) > 1e-6)
        fail_msg("fit sigma %.6f kappa %.3g (SSE %.6f); brute force sigma %.6f kappa %.3g (SSE "
                 "%.6f)",
                 u.sigma, u.kappa, got, bs, bk, best);
    assert_true(u.kappa == 0); /* on its bound, exactly */
}

/* A flat, noisy curve: sigma stays <= 1 (it came out at 1.0002). */
static void test_usl_sigma_at_most_one(void **state)
{
    static const double n[] = {1, 2, 4, 8, 16, 32};
    static const double x[] = {1000, 1004, 996, 1003, 998, 1001};
    struct usl_result u;
    char why[160] = "";
    (void)state;
    if (usl_fit(n, x, 6, &u, why, sizeof why) != 0)
        fail_msg("fit failed: %s", why);
    assert_true(u.sigma >= 0 && u.sigma <= 1);
    assert_true(u.kappa >= 0);
}

static void test_usl_exact_params(void **state)
{
    double n[8], x[8];
    struct usl_result u;
    char why[160];
    (void)state;
    for (size_t i = 0; i < 8; i++) {
        n[i] = (double)(1ULL << i);
        x[i] = usl_x(n[i], 500, 0.03, 0.0005);
    }
    assert_int_equal(usl_fit(n, x, 8, &u, why, sizeof why), 0);
    assert_true(fabs(u.sigma - 0.03) < 1e-4);
    assert_true(fabs(u.kappa - 0.0005) < 1e-6);
    assert_true(fabs(u.lambda - 500) < 0.5);
    assert_true(u.r2 > 0.9999);
}

static void test_usl_linear_no_peak(void **state)
{
    double n[7], x[7];
    struct usl_result u;
    char why[160];
    (void)state;
    for (size_t i = 0; i < 7; i++) {
        n[i] = (double)(1ULL << i);
        x[i] = 100 * n[i];
    }
    assert_int_equal(usl_fit(n, x, 7, &u, why, sizeof why), 0);
    assert_true(u.kappa < USL_KAPPA_ZERO);
    assert_true(isnan(u.n_star)); /* κ ≈ 0: no N* */
}

static void test_usl_degenerate(void **state)
{
    double n[3] = {1, 2, 2}, x[3] = {1, 2, 2}, bad[3] = {1, 0, 3};
    struct usl_result u = {.sigma = 7};
    char why[160] = "";
    (void)state;
    assert_int_equal(usl_fit(n, x, 3, &u, why, sizeof why), -1);
    assert_non_null(strstr(why, "at least 3"));
    double n3[3] = {1, 2, 4};
    assert_int_equal(usl_fit(n3, bad, 3, &u, why, sizeof why), -1);
    assert_non_null(strstr(why, "positive"));
    assert_true(u.sigma == 7);
}

/* --- analysis on whole CSVs ------------------------------------------------------------ */

static struct analysis *analyse_text(const char *text, double slo)
{
    struct csv_table *t = NULL;
    struct analysis *a = NULL;
    assert_int_equal(csv_parse_buffer("t.csv", text, strlen(text), stderr, &t), 0);
    if (analysis_build(&t, 1, slo, stderr, &a) != 0)
        a = NULL;
    csv_free(t);
    return a;
}

/* CSV text for curve f on a doubling grid of n levels, reps repetitions. */
static char *curve_csv(double (*f)(double), size_t n, int reps, uint64_t vcpus)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    fprintf(m, "plan,vcpus,concurrency,run_idx,qps,p50_us,p90_us,p99_us,mean_us\n");
    for (size_t i = 0; i < n; i++) {
        double c = (double)(1ULL << i), q = f(c), mean = c / q * 1e6;
        for (int r = 0; r < reps; r++)
            fprintf(m, "p,%llu,%.0f,%d,%.3f,%.1f,%.1f,%.1f,%.3f\n", (unsigned long long)vcpus, c, r,
                    q, mean, mean * 1.5, mean * 2.5, mean);
    }
    fclose(m);
    return buf;
}

static int has_warning(const struct analysis_group *g, const char *needle)
{
    for (size_t i = 0; i < g->n_warnings; i++) {
        if (strstr(g->warnings[i], needle))
            return 1;
    }
    return 0;
}

static void test_analysis_recommendation(void **state)
{
    char *csv = curve_csv(f_usl, 7, 3, 2);
    struct analysis *a = analyse_text(csv, 0);
    (void)state;
    assert_non_null(a);
    assert_int_equal(a->n_groups, 1);
    assert_int_equal(a->groups[0].knee, 16);
    assert_true(a->groups[0].has_recommended);
    assert_int_equal(a->groups[0].rec_low, 8); /* p99 rises toward the knee: headroom */
    assert_int_equal(a->groups[0].rec_high, 12);
    assert_int_equal(a->groups[0].rec_why, ANALYSIS_REC_HEADROOM);
    assert_false(a->groups[0].low_confidence); /* 7 levels, 3 runs each, USL R2 ~ 1 */
    assert_true(a->groups[0].has_usl);
    assert_true(fabs(a->groups[0].usl.n_star - sqrt(0.95 / 0.002)) < 0.1 * sqrt(0.95 / 0.002));
    assert_int_equal(a->groups[0].levels[0].runs, 3);
    assert_int_equal(a->groups[0].levels[0].little_bad, 0);
    {
        uint64_t lv[8];
        size_t n = 99;
        assert_int_equal(analysis_refine_levels(&a->groups[0], lv, 8, &n), 0);
        assert_int_equal(n, 2); /* between 8 and 32: 11 and 23 */
        assert_int_equal(lv[0], 11);
        assert_int_equal(lv[1], 23);
        assert_int_equal(analysis_refine_levels(&a->groups[0], lv, 1, &n), 0);
        assert_int_equal(n, 1);
    }
    analysis_free(a);
    /* A p99 SLO between the levels 4 and 8 caps the range at 4. */
    a = analyse_text(csv, 3000);
    assert_non_null(a);
    assert_int_equal(a->groups[0].rec_low, 4);
    assert_int_equal(a->groups[0].rec_high, 4);
    assert_int_equal(a->groups[0].rec_why, ANALYSIS_REC_SLO);
    assert_true(has_warning(&a->groups[0], "capped at N=4"));
    analysis_free(a);
    /* An SLO every level up to the knee meets: the highest of them, the knee itself. */
    a = analyse_text(csv, 1e9);
    assert_non_null(a);
    assert_int_equal(a->groups[0].rec_low, 16);
    assert_int_equal(a->groups[0].rec_high, 16);
    analysis_free(a);
    /* An SLO no level meets: no recommendation, said so. */
    a = analyse_text(csv, 10);
    assert_non_null(a);
    assert_false(a->groups[0].has_recommended);
    assert_true(has_warning(&a->groups[0], "no level meets the p99 SLO"));
    analysis_free(a);
    free(csv);
}

static void test_analysis_capped_and_linear(void **state)
{
    char *csv = curve_csv(f_capped, 6, 1, 1);
    struct analysis *a = analyse_text(csv, 0);
    (void)state;
    assert_non_null(a);
    assert_int_equal(a->groups[0].knee, 4);
    /* p99 is flat up to the knee (nothing queues before N=4): the knee itself, not 2-3 */
    assert_int_equal(a->groups[0].rec_low, 4);
    assert_int_equal(a->groups[0].rec_high, 4);
    assert_int_equal(a->groups[0].rec_why, ANALYSIS_REC_KNEE);
    /* one run per level next to the knee: low confidence, said so */
    assert_true(a->groups[0].low_confidence);
    assert_true(has_warning(&a->groups[0], "low confidence"));
    /* p99 grows 4x by N=16 while throughput stopped at 4: the methods disagree. */
    assert_int_equal(a->groups[0].knees[KNEE_LATENCY], 16);
    assert_true(has_warning(&a->groups[0], "methods disagree: the latency knee is at N=16"));
    analysis_free(a);
    free(csv);

    csv = curve_csv(f_linear, 6, 1, 1);
    a = analyse_text(csv, 0);
    assert_non_null(a);
    assert_int_equal(a->groups[0].knee, 0);
    assert_false(a->groups[0].has_recommended);
    assert_true(has_warning(
        &a->groups[0], "no knee within the levels measured: doubling N from 16 still buys +100%"));
    analysis_free(a);
    free(csv);
}

/* A level whose runs vary by more than 10% is named as unstable, with its median's
 * interval; every level carries that interval and its coverage. */
static void test_analysis_unstable_level(void **state)
{
    const char *csv = "plan,vcpus,concurrency,run_idx,qps,p50_us,p90_us,p99_us\n"
                      "p,1,1,0,100,1,2,3\np,1,1,1,101,1,2,3\np,1,1,2,99,1,2,3\n"
                      "p,1,1,3,100,1,2,3\np,1,1,4,100,1,2,3\n"
                      "p,1,2,0,200,1,2,3\np,1,2,1,150,1,2,3\np,1,2,2,250,1,2,3\n"
                      "p,1,2,3,180,1,2,3\np,1,2,4,220,1,2,3\n";
    struct analysis *a = analyse_text(csv, 0);
    const struct analysis_level *l;
    (void)state;
    assert_non_null(a);
    l = &a->groups[0].levels[1];
    assert_true(l->qps_ci_lo == 150 && l->qps_ci_hi == 250);
    assert_true(fabs(l->qps_ci_coverage - 0.9375) < 1e-12);
    assert_true(has_warning(&a->groups[0], "N=2: unstable: qps varies between runs with a CV"));
    assert_false(has_warning(&a->groups[0], "N=1: unstable"));
    /* two levels: low confidence */
    assert_true(a->groups[0].low_confidence);
    assert_true(has_warning(&a->groups[0], "2 levels (fewer than 5)"));
    analysis_free(a);
}

static void test_analysis_single_level_and_empty(void **state)
{
    const char *one = "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\np,1,8,100,1,2,3\n";
    const char *none = "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n";
    struct analysis *a = analyse_text(one, 0);
    (void)state;
    assert_non_null(a);
    assert_int_equal(a->groups[0].knee, 0);
    assert_true(has_warning(&a->groups[0], "only one concurrency level"));
    analysis_free(a);
    assert_null(analyse_text(none, 0));
}

static void test_analysis_timeouts_outliers_little(void **state)
{
    const char *csv = "plan,vcpus,concurrency,run_idx,qps,p50_us,p90_us,p99_us,mean_us,"
                      "timeout_killed\n"
                      "p,1,1,0,1000,1,2,3,1000,0\n"
                      "p,1,1,1,1001,1,2,3,1000,0\n"
                      "p,1,1,2,999,1,2,3,1000,0\n"
                      "p,1,1,3,1000,1,2,3,1000,0\n"
                      "p,1,1,4,5000,1,2,3,1000,0\n" /* outlier, and Little's law off */
                      "p,1,2,0,1900,1,2,3,1052,0\n"
                      "p,1,2,1,10,1,2,3,1052,1\n"; /* killed: left out */
    struct analysis *a = analyse_text(csv, 0);
    (void)state;
    assert_non_null(a);
    assert_int_equal(a->groups[0].levels[0].outliers, 1);
    assert_int_equal(a->groups[0].levels[0].little_bad, 1);
    assert_int_equal(a->groups[0].levels[0].runs, 5);
    assert_true(a->groups[0].levels[0].qps == 1000);
    assert_int_equal(a->groups[0].levels[1].runs, 1);
    assert_int_equal(a->groups[0].levels[1].timeouts, 1);
    assert_true(has_warning(&a->groups[0], "outlier"));
    assert_true(has_warning(&a->groups[0], "Little's law"));
    assert_true(has_warning(&a->groups[0], "killed at their timeout"));
    analysis_free(a);
    /* Every run killed: nothing to analyse. */
    assert_null(analyse_text("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us,timeout_killed\n"
                             "p,1,1,0,0,0,0,1\n",
                             0));
}

static void test_analysis_disagreement_and_scaling(void **state)
{
    char *c1 = curve_csv(f_amdahl, 9, 1, 2), *c2 = curve_csv(f_usl, 7, 1, 4);
    struct csv_table *t[2];
    struct analysis *a = NULL;
    (void)state;
    /* Same plan name "p" on 2 and 4 vCPUs. */
    assert_int_equal(csv_parse_buffer("a.csv", c1, strlen(c1), stderr, &t[0]), 0);
    assert_int_equal(csv_parse_buffer("b.csv", c2, strlen(c2), stderr, &t[1]), 0);
    assert_int_equal(analysis_build(t, 2, 0, stderr, &a), 0);
    assert_int_equal(a->n_groups, 2);
    assert_int_equal(a->groups[0].vcpus, 2);
    assert_int_equal(a->groups[0].knee, 64);
    /* Amdahl (kappa = 0): the USL has no N*; latency knee and Kneedle at 32, within 2x. */
    assert_true(a->groups[0].has_usl);
    assert_true(isnan(a->groups[0].usl.n_star));
    assert_int_equal(a->groups[0].knees[KNEE_LATENCY], 32);
    assert_int_equal(a->groups[0].knees[KNEE_KNEEDLE], 32);
    assert_false(has_warning(&a->groups[0], "methods disagree"));
    assert_int_equal(a->n_scaling, 1);
    assert_int_equal(a->scaling[0].v1, 2);
    assert_int_equal(a->scaling[0].v2, 4);
    assert_true(fabs(a->scaling[0].efficiency -
                     (a->groups[1].max_qps / a->groups[0].max_qps) / 2.0) < 1e-12);
    analysis_free(a);
    csv_free(t[0]);
    csv_free(t[1]);
    free(c1);
    free(c2);
}

/* Every method of the table reaches every output: the summary, knee.json, report.html and
 * the qps plot, under its own names. */
static void test_methods_in_every_output(void **state)
{
    char *c = curve_csv(f_amdahl, 9, 1, 2), *json = NULL, *text[3] = {NULL, NULL, NULL};
    size_t len[3];
    struct csv_table *t;
    struct analysis *a = NULL;
    FILE *f[3];
    (void)state;
    assert_int_equal(csv_parse_buffer("a.csv", c, strlen(c), stderr, &t), 0);
    assert_int_equal(analysis_build(&t, 1, 0, stderr, &a), 0);
    for (int i = 0; i < 3; i++)
        f[i] = open_memstream(&text[i], &len[i]);
    assert_int_equal(summary_write(f[0], a), 0);
    assert_int_equal(htmlreport_write(f[1], a, "/nonexistent", PLOTGEN_PNG, NULL, 0, NULL, NULL),
                     0);
    assert_int_equal(plotgen_script(f[2], a, PLOTGEN_PNG), 0);
    for (int i = 0; i < 3; i++)
        fclose(f[i]);
    assert_int_equal(kneejson_render(a, &json), 0);
    for (int m = 0; m < KNEE_NMETHODS; m++) {
        char want[128];
        assert_true(a->groups[0].knees[m] > 0);
        assert_non_null(strstr(text[0], knee_methods[m].label));
        snprintf(want, sizeof want, "<th>%s</th>", knee_methods[m].column);
        assert_non_null(strstr(text[1], want));
        snprintf(want, sizeof want, "%s N=%llu", knee_methods[m].marker,
                 (unsigned long long)a->groups[0].knees[m]);
        assert_non_null(strstr(text[2], want));
        snprintf(want, sizeof want, "\"%s\":", knee_methods[m].json_key);
        assert_non_null(strstr(json, want));
    }
    for (int i = 0; i < 3; i++)
        free(text[i]);
    free(json);
    analysis_free(a);
    csv_free(t);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capped),
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_usl_curve_knee),
        cmocka_unit_test(test_noisy),
        cmocka_unit_test(test_gentle_plateau_latency_first),
        cmocka_unit_test(test_grid_invariance),
        cmocka_unit_test(test_gain_per_doubling),
        cmocka_unit_test(test_single_and_empty),
        cmocka_unit_test(test_unsorted_rejected),
        cmocka_unit_test(test_usl_recovers),
        cmocka_unit_test(test_usl_bound_raytracer),
        cmocka_unit_test(test_usl_sigma_at_most_one),
        cmocka_unit_test(test_usl_exact_params),
        cmocka_unit_test(test_usl_linear_no_peak),
        cmocka_unit_test(test_usl_degenerate),
        cmocka_unit_test(test_analysis_recommendation),
        cmocka_unit_test(test_analysis_unstable_level),
        cmocka_unit_test(test_analysis_capped_and_linear),
        cmocka_unit_test(test_analysis_single_level_and_empty),
        cmocka_unit_test(test_analysis_timeouts_outliers_little),
        cmocka_unit_test(test_analysis_disagreement_and_scaling),
        cmocka_unit_test(test_methods_in_every_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
