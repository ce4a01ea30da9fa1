/*
 * Golden tests for the knee summary: each tests/data/plot/NAME.csv is analysed and the
 * summary compared byte for byte with tests/data/plot/NAME.knee_summary.txt.  After an
 * intended change of the format, regenerate them with VMSWEEP_UPDATE_GOLDEN=1.
 */
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
#include "summary.h"

#ifndef VMSWEEP_SRCDIR
#define VMSWEEP_SRCDIR "."
#endif

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = '\0';
            *len = (size_t)n;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* name.csv analysed with slo (0: none) and, when z is not NULL, right-sized with it; the
 * summary compared with out.knee_summary.txt. */
static void golden_sized(const char *name, const char *out, double slo, const struct sizing_opts *z)
{
    char csv[512], want_path[512], *got = NULL, *want;
    const char *paths[1] = {csv};
    size_t got_len = 0, want_len = 0;
    struct analysis *a = NULL;
    FILE *m;

    snprintf(csv, sizeof csv, "%s/tests/data/plot/%s.csv", VMSWEEP_SRCDIR, name);
    snprintf(want_path, sizeof want_path, "%s/tests/data/plot/%s.knee_summary.txt", VMSWEEP_SRCDIR,
             out);
    assert_int_equal(analysis_load(paths, 1, slo, stderr, &a), 0);
    if (z)
        assert_int_equal(sizing_build(a, z, &a->sizing), 0);
    m = open_memstream(&got, &got_len);
    assert_non_null(m);
    assert_int_equal(summary_write(m, a), 0);
    fclose(m);
    analysis_free(a);
    if (getenv("VMSWEEP_UPDATE_GOLDEN")) {
        FILE *f = fopen(want_path, "w");
        assert_non_null(f);
        fwrite(got, 1, got_len, f);
        fclose(f);
    }
    want = slurp(want_path, &want_len);
    if (!want)
        fail_msg("cannot read golden file '%s'", want_path);
    if (got_len != want_len || memcmp(got, want, got_len) != 0)
        fail_msg("summary of '%s' differs from '%s':\n--- got ---\n%s--- want ---\n%s", csv,
                 want_path, got, want);
    free(got);
    free(want);
}

static void golden(const char *name)
{
    golden_sized(name, name, 0, NULL);
}

/* Right-sizing: 2 and 4 vCPUs at p99 <= 5 ms; a target the larger covers, one between
 * the two with prices, and one neither does (the prediction). */
static void test_sizing(void **state)
{
    struct sizing_opts z = {.target_qps = 5000, .headroom = -1, .max_error_rate = -1};
    (void)state;
    golden_sized("scaling", "scaling.sizing_covers", 5000, &z);
    z.target_qps = 3000;
    z.headroom = 0.5;
    z.cost_per_vcpu = 0.04;
    z.cost_per_gib = 0.005;
    z.memory_gib = 2;
    golden_sized("scaling", "scaling.sizing_cost", 5000, &z);
    z = (struct sizing_opts){.target_qps = 9000, .headroom = -1, .max_error_rate = -1};
    golden_sized("scaling", "scaling.sizing_none", 5000, &z);
}

static void test_usl_2vcpu(void **state)
{
    (void)state;
    golden("usl_2vcpu");
}

static void test_scaling(void **state)
{
    (void)state;
    golden("scaling");
}

static void test_capped(void **state)
{
    (void)state;
    golden("capped");
}

static void test_linear(void **state)
{
    (void)state;
    golden("linear");
}

static void test_single(void **state)
{
    (void)state;
    golden("single");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usl_2vcpu), cmocka_unit_test(test_scaling),
        cmocka_unit_test(test_sizing),    cmocka_unit_test(test_capped),
        cmocka_unit_test(test_linear),    cmocka_unit_test(test_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
