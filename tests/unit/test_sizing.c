/*
 * Right-sizing (plot/sizing.c) on curves built here level by level (the numbers are those
 * of the recorded sweeps' shapes: linear, saturating, noisy), and on tests/data/plot
 * recordings through the whole analysis.
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
#include "sizing.h"

#ifndef VMSWEEP_SRCDIR
#define VMSWEEP_SRCDIR "."
#endif

#define MAXG 8
#define MAXL 8

struct lv {
    uint64_t c;
    double qps, p99, spread, err; /* spread: the median's interval is qps -+ spread */
};

static struct analysis_level levels[MAXG][MAXL];
static struct analysis_group groups[MAXG];

/* An analysis of one plan 'p' with one curve per call of add(). */
static struct analysis an;

static void reset(double slo)
{
    memset(&an, 0, sizeof(an));
    memset(groups, 0, sizeof(groups));
    an.groups = groups;
    an.slo_p99_us = slo;
}

static void add(uint64_t vcpus, uint64_t knee, const struct lv *l, size_t n)
{
    struct analysis_group *g = &groups[an.n_groups];
    struct analysis_level *ls = levels[an.n_groups++];

    snprintf(g->plan, sizeof(g->plan), "p");
    g->vcpus = vcpus;
    g->levels = ls;
    g->n_levels = n;
    g->knee = knee;
    for (size_t i = 0; i < n; i++) {
        memset(&ls[i], 0, sizeof(ls[i]));
        ls[i].concurrency = l[i].c;
        ls[i].qps = l[i].qps;
        ls[i].p99_us = l[i].p99;
        ls[i].qps_ci_lo = l[i].qps - l[i].spread;
        ls[i].qps_ci_hi = l[i].qps + l[i].spread;
        ls[i].qps_ci_coverage = 0.9;
        ls[i].error_rate = l[i].err;
        ls[i].runs = 5;
    }
}

/* Three sizes that saturate at 4, 8 and 16 workers; p99 grows past the knee. */
static void three_sizes(double slo)
{
    static const struct lv one[] = {{1, 1000, 1000, 10, 0},
                                    {2, 1900, 1100, 10, 0},
                                    {4, 3000, 1500, 10, 0},
                                    {8, 3100, 4000, 10, 0}};
    static const struct lv two[] = {{1, 1000, 1000, 10, 0},
                                    {2, 1950, 1000, 10, 0},
                                    {4, 3800, 1100, 10, 0},
                                    {8, 5600, 1500, 10, 0},
                                    {16, 5700, 4000, 10, 0}};
    static const struct lv four[] = {{1, 1000, 1000, 10, 0},  {2, 1990, 1000, 10, 0},
                                     {4, 3900, 1000, 10, 0},  {8, 7400, 1100, 10, 0},
                                     {16, 9800, 1500, 10, 0}, {32, 9900, 4000, 10, 0}};
    reset(slo);
    add(1, 4, one, 4);
    add(2, 8, two, 5);
    add(4, 16, four, 6);
}

static struct sizing *build(double target, double headroom)
{
    struct sizing_opts o = {.target_qps = target, .headroom = headroom, .max_error_rate = -1};
    struct sizing *s = NULL;
    assert_int_equal(sizing_build(&an, &o, &s), 0);
    assert_non_null(s);
    assert_int_equal(s->n_plans, 1);
    return s;
}

static void test_capacity_at_slo(void **state)
{
    struct sizing *s;
    (void)state;
    three_sizes(2000);
    s = build(0, -1);
    /* p99 <= 2 ms holds up to the knee of each size and breaks at the next level. */
    assert_int_equal(s->plans[0].sizes[0].vcpus, 1);
    assert_true(s->plans[0].sizes[0].how == SIZING_INTERPOLATED);
    assert_true(s->plans[0].sizes[0].capacity > 3000 && s->plans[0].sizes[0].capacity < 3100);
    assert_true(s->plans[0].sizes[0].at > 4 && s->plans[0].sizes[0].at < 8);
    assert_string_equal(s->plans[0].sizes[0].limit, "p99");
    assert_true(s->plans[0].sizes[2].capacity > 9800);
    assert_true(s->plans[0].sizes[0].verdict == SIZING_NO_TARGET);
    assert_int_equal(s->plans[0].choice, -1);
    assert_non_null(strstr(s->plans[0].answer, "capacity at p99 <= 2 ms"));
    assert_non_null(strstr(s->plans[0].answer, "predicted (usl across sizes): 8 vCPUs"));
    sizing_free(s);
}

static void test_interpolation_exact(void **state)
{
    /* The SLO sits halfway between the two levels' p99 in log space (sqrt(4000 x 8000)):
     * t = 0.5, so the capacity is halfway in qps and the concurrency is sqrt(8 x 16). */
    static const struct lv l[] = {
        {4, 6000, 2000, 0, 0}, {8, 10000, 4000, 100, 0}, {16, 14000, 8000, 300, 0}};
    struct sizing *s;
    (void)state;
    reset(sqrt(4000.0 * 8000.0));
    add(2, 0, l, 3);
    s = build(0, -1);
    assert_true(s->plans[0].sizes[0].how == SIZING_INTERPOLATED);
    assert_true(fabs(s->plans[0].sizes[0].capacity - 12000) < 1e-6);
    assert_true(fabs(s->plans[0].sizes[0].at - sqrt(128.0)) < 1e-9);
    assert_true(fabs(s->plans[0].sizes[0].capacity_lo - (12000 - 200)) < 1e-6);
    assert_true(fabs(s->plans[0].sizes[0].capacity_hi - (12000 + 200)) < 1e-6);
    sizing_free(s);
}

static void test_a_size_meets(void **state)
{
    struct sizing *s;
    (void)state;
    three_sizes(2000);
    /* 3500 / 0.7 = 5000: 2 vCPUs (5600 at p99 1.5 ms, interpolated a little higher) do. */
    s = build(3500, -1);
    assert_true(fabs(s->need_qps - 5000) < 1e-9);
    assert_int_equal(s->plans[0].choice, 1);
    assert_int_equal(s->plans[0].runner_up, 2);
    assert_true(s->plans[0].sizes[0].verdict == SIZING_SHORT);
    assert_true(s->plans[0].sizes[1].verdict == SIZING_COVERS);
    assert_non_null(strstr(s->plans[0].answer, "p: 2 vCPUs: "));
    assert_non_null(strstr(s->plans[0].answer, "covers 3.50k qps with 30% headroom (needs 5.00k)"));
    assert_non_null(strstr(s->plans[0].answer, "1 vCPU reaches 3."));
    assert_non_null(strstr(s->plans[0].answer, "runner-up 4 vCPUs"));
    assert_non_null(strstr(s->plans[0].answer, "not needed"));
    sizing_free(s);
}

static void test_none_meets(void **state)
{
    struct sizing *s;
    (void)state;
    three_sizes(2000);
    s = build(14000, -1); /* needs 20k: the largest reaches ~9.9k */
    assert_int_equal(s->plans[0].choice, -1);
    assert_true(s->plans[0].fit == SIZING_FIT_USL);
    assert_non_null(strstr(s->plans[0].answer, "no swept size serves 14.0k qps"));
    assert_non_null(strstr(s->plans[0].answer, "the largest, 4 vCPUs, reaches"));
    /* Either the trend reaches it at some doubling, or it says it does not. */
    if (s->plans[0].predicted_vcpus) {
        assert_true(s->plans[0].predicted_vcpus >= 8);
        assert_true(s->plans[0].predicted_capacity >= s->need_qps);
    } else {
        assert_non_null(strstr(s->plans[0].answer, "does not reach it"));
    }
    sizing_free(s);
}

static void test_noisy_marginal(void **state)
{
    /* Size 2's median covers the need, its interval does not: it is marginal and the
     * answer is the next size up. */
    static const struct lv two[] = {
        {1, 1000, 500, 50, 0}, {2, 2000, 600, 400, 0}, {4, 3600, 900, 900, 0}};
    static const struct lv four[] = {
        {1, 1000, 500, 10, 0}, {2, 2000, 500, 10, 0}, {4, 4000, 600, 10, 0}, {8, 7000, 900, 20, 0}};
    struct sizing *s;
    (void)state;
    reset(1000);
    add(2, 0, two, 3);
    add(4, 0, four, 4);
    s = build(2100, -1); /* needs 3000 */
    assert_true(s->plans[0].sizes[0].how == SIZING_AT_LEAST);
    assert_true(s->plans[0].sizes[0].verdict == SIZING_MARGINAL);
    assert_int_equal(s->plans[0].choice, 1);
    assert_non_null(strstr(s->plans[0].answer, "marginal"));
    sizing_free(s);
}

static void test_error_budget(void **state)
{
    /* The level with 2% errors is out however low its latency. */
    static const struct lv l[] = {
        {1, 1000, 500, 0, 0}, {2, 1900, 500, 0, 0.001}, {4, 3000, 600, 0, 0.02}};
    struct sizing *s;
    (void)state;
    reset(0);
    add(1, 0, l, 3);
    s = build(0, -1);
    assert_true(s->plans[0].sizes[0].how == SIZING_MEASURED);
    assert_true(s->plans[0].sizes[0].capacity == 1900);
    assert_string_equal(s->plans[0].sizes[0].limit, "errors");
    assert_non_null(strstr(s->plans[0].answer, "the throughput limit (no latency SLO)"));
    sizing_free(s);
}

static void test_nothing_meets_slo(void **state)
{
    static const struct lv l[] = {{1, 1000, 5000, 0, 0}, {2, 1900, 6000, 0, 0}};
    struct sizing *s;
    (void)state;
    reset(1000);
    add(1, 0, l, 2);
    s = build(100, -1);
    assert_true(s->plans[0].sizes[0].how == SIZING_NONE);
    assert_true(s->plans[0].sizes[0].capacity == 0);
    assert_true(s->plans[0].sizes[0].verdict == SIZING_SHORT);
    assert_int_equal(s->plans[0].choice, -1);
    assert_non_null(strstr(s->plans[0].answer, "too few sizes"));
    sizing_free(s);
}

static void test_two_sizes_amdahl(void **state)
{
    /* 1000 qps on 1 vCPU, 1800 on 2: sigma = 1/9, lambda = 1000; 4 vCPUs: 3000. */
    static const struct lv one[] = {{1, 1000, 100, 0, 0}, {2, 1000, 200, 0, 0}};
    static const struct lv two[] = {
        {1, 1000, 100, 0, 0}, {2, 1800, 100, 0, 0}, {4, 1800, 300, 0, 0}};
    struct sizing *s;
    (void)state;
    reset(0);
    add(1, 2, one, 2);
    add(2, 4, two, 3);
    s = build(0, -1);
    assert_true(s->plans[0].sizes[0].how == SIZING_MEASURED);
    assert_true(s->plans[0].fit == SIZING_FIT_AMDAHL);
    assert_true(fabs(s->plans[0].model.sigma - 1.0 / 9) < 1e-12);
    assert_int_equal(s->plans[0].next_vcpus, 4);
    assert_true(fabs(s->plans[0].next_capacity - 3000) < 1e-6);
    sizing_free(s);
}

static void test_capacity_fell(void **state)
{
    static const struct lv one[] = {{1, 1000, 100, 0, 0}, {2, 1000, 200, 0, 0}};
    static const struct lv two[] = {{1, 900, 100, 0, 0}, {2, 900, 200, 0, 0}};
    struct sizing *s;
    (void)state;
    reset(0);
    add(1, 2, one, 2);
    add(2, 2, two, 2);
    s = build(0, -1);
    assert_true(s->plans[0].fit == SIZING_FIT_NONE);
    assert_int_equal(s->plans[0].next_vcpus, 0);
    sizing_free(s);
}

static void test_cost_ranking(void **state)
{
    struct sizing_opts o = {.target_qps = 1000,
                            .headroom = 0.5,
                            .max_error_rate = -1,
                            .cost_per_vcpu = 0.04,
                            .cost_per_gib = 0.005,
                            .memory_gib = 2};
    struct sizing *s = NULL;
    (void)state;
    three_sizes(2000);
    assert_int_equal(sizing_build(&an, &o, &s), 0);
    /* All three cover 2000; the cheapest is 1 vCPU: 0.04 + 0.01. */
    assert_int_equal(s->plans[0].choice, 0);
    assert_int_equal(s->plans[0].runner_up, 1);
    assert_true(fabs(s->plans[0].sizes[0].cost - 0.05) < 1e-12);
    assert_true(isfinite(s->plans[0].sizes[2].cost_per_kqps));
    assert_non_null(strstr(s->plans[0].answer, "the cheapest that does"));
    sizing_free(s);
    /* A price per GiB without the memory: the cost is unknown, not made up. */
    o.memory_gib = 0;
    assert_int_equal(sizing_build(&an, &o, &s), 0);
    assert_true(isnan(s->plans[0].sizes[0].cost));
    assert_int_equal(s->plans[0].choice, 0);
    sizing_free(s);
}

static void test_slo_gates(void **state)
{
    /* A p50 gate on every level joins the SLO (and is interpolated like p99); a gate on
     * one level (@8) is a CI gate, not a limit of capacity. */
    static const struct lv l[] = {
        {4, 6000, 2000, 0, 0}, {8, 10000, 4000, 0, 0}, {16, 14000, 8000, 0, 0}};
    struct compareslo_gate gates[2];
    struct sizing_opts o = {.headroom = -1, .max_error_rate = -1, .gates = gates, .n_gates = 2};
    struct sizing *s = NULL;
    (void)state;
    assert_int_equal(compareslo_parse("mean_us<=1414.2135623730951", stderr, &gates[0]), 0);
    assert_int_equal(compareslo_parse("p99_us<=1@8", stderr, &gates[1]), 0);
    reset(0);
    add(2, 0, l, 3);
    levels[0][0].mean_us = 1000;
    levels[0][1].mean_us = 2000;
    levels[0][2].mean_us = 4000;
    assert_int_equal(sizing_build(&an, &o, &s), 0);
    assert_int_equal(s->n_limits, 1);
    assert_null(s->opts.gates); /* borrowed, not kept */
    assert_string_equal(s->slo_text, "mean <= 1.41421 ms");
    assert_true(s->plans[0].sizes[0].how == SIZING_INTERPOLATED);
    assert_string_equal(s->plans[0].sizes[0].limit, "mean");
    assert_true(fabs(s->plans[0].sizes[0].capacity - 8000) < 1e-6);
    sizing_free(s);
}

static void test_recorded_two_sizes(void **state)
{
    /* tests/data/plot/scaling.csv: 2 and 4 vCPUs of a recorded shape. */
    char csv[512];
    const char *paths[1] = {csv};
    struct analysis *a = NULL;
    struct sizing_opts o = {.target_qps = 5000, .headroom = -1, .max_error_rate = -1};
    struct sizing *s = NULL;
    (void)state;
    snprintf(csv, sizeof csv, "%s/tests/data/plot/scaling.csv", VMSWEEP_SRCDIR);
    assert_int_equal(analysis_load(paths, 1, 5000, stderr, &a), 0);
    assert_int_equal(sizing_build(a, &o, &s), 0);
    assert_int_equal(s->n_plans, 1);
    assert_int_equal(s->plans[0].n_sizes, 2);
    /* The 4-vCPU curve's p99 crosses 5 ms between N=16 (4.7 ms) and N=32. */
    assert_true(s->plans[0].sizes[1].how == SIZING_INTERPOLATED);
    assert_true(s->plans[0].sizes[1].capacity > 10191 && s->plans[0].sizes[1].capacity < 13190);
    /* needs 7143: the 2-vCPU maximum is 7175 but within 5 ms it does not reach it */
    assert_true(s->plans[0].sizes[0].capacity < s->need_qps);
    assert_int_equal(s->plans[0].choice, 1);
    a->sizing = s; /* analysis_free releases it */
    analysis_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_at_slo),    cmocka_unit_test(test_interpolation_exact),
        cmocka_unit_test(test_a_size_meets),       cmocka_unit_test(test_none_meets),
        cmocka_unit_test(test_noisy_marginal),     cmocka_unit_test(test_error_budget),
        cmocka_unit_test(test_nothing_meets_slo),  cmocka_unit_test(test_two_sizes_amdahl),
        cmocka_unit_test(test_capacity_fell),      cmocka_unit_test(test_cost_ranking),
        cmocka_unit_test(test_recorded_two_sizes), cmocka_unit_test(test_slo_gates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
