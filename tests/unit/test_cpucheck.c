/*
 * Unit tests for harness/cpucheck.c: the CPU model decision against recorded domain
 * capabilities of an Intel host (KVM and TCG) and an AMD host (see
 * tests/data/cpucheck/README.md), the feature split of an expanded model, and the
 * guest-view comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpucheck.h"
#include "fsutil.h"

static char *fixture(const char *name)
{
    char *path = fsutil_printf("%s/tests/data/cpucheck/%s", VMSWEEP_SRCDIR, name), *text = NULL;
    assert_non_null(path);
    assert_int_equal(fsutil_read_file(path, &text, NULL), 0);
    free(path);
    return text;
}

static void test_usable_intel_kvm(void **state)
{
    char *xml = fixture("intel-kvm-domcaps.xml");
    (void)state;
    /* EPYC-Rome under KVM on an Intel host: not usable (the case --cpu-fallback handles). */
    assert_int_equal(cpucheck_model_usable(xml, "EPYC-Rome"), CPUCHECK_NOT_USABLE);
    /* This nested KVM lacks even SSE3: only the oldest models are usable. */
    assert_int_equal(cpucheck_model_usable(xml, "qemu64"), CPUCHECK_NOT_USABLE);
    assert_int_equal(cpucheck_model_usable(xml, "pentium3"), CPUCHECK_USABLE);
    assert_int_equal(cpucheck_model_usable(xml, "host"), CPUCHECK_USABLE);
    /* Not listed at all: libvirt does not say. */
    assert_int_equal(cpucheck_model_usable(xml, "EPYC-Rom"), CPUCHECK_UNKNOWN);
    assert_int_equal(cpucheck_model_usable(xml, "No-Such-Model"), CPUCHECK_UNKNOWN);
    free(xml);
}

static void test_usable_intel_tcg(void **state)
{
    char *xml = fixture("intel-tcg-domcaps.xml");
    (void)state;
    /* TCG lacks some of EPYC-Rome's features too, and there is no host-passthrough. */
    assert_int_equal(cpucheck_model_usable(xml, "EPYC-Rome"), CPUCHECK_NOT_USABLE);
    assert_int_equal(cpucheck_model_usable(xml, "host"), CPUCHECK_NOT_USABLE);
    assert_int_equal(cpucheck_model_usable(xml, "qemu64"), CPUCHECK_USABLE);
    free(xml);
}

static void test_usable_amd_kvm(void **state)
{
    char *xml = fixture("amd-kvm-domcaps.xml");
    (void)state;
    assert_int_equal(cpucheck_model_usable(xml, "EPYC-Rome"), CPUCHECK_USABLE);
    assert_int_equal(cpucheck_model_usable(xml, "EPYC-Milan"), CPUCHECK_NOT_USABLE);
    assert_int_equal(cpucheck_model_usable(xml, "Skylake-Server"), CPUCHECK_NOT_USABLE);
    free(xml);
}

static void test_usable_malformed(void **state)
{
    (void)state;
    assert_int_equal(cpucheck_model_usable(NULL, "EPYC-Rome"), CPUCHECK_UNKNOWN);
    assert_int_equal(cpucheck_model_usable("", "EPYC-Rome"), CPUCHECK_UNKNOWN);
    assert_int_equal(cpucheck_model_usable("<mode name='custom' supported='yes'><model "
                                           "usable=\"yes\">EPYC-Rome</model></mode>",
                                           "EPYC-Rome"),
                     CPUCHECK_USABLE);
    assert_int_equal(
        cpucheck_model_usable("<mode name='custom'><model usable='maybe'>X</model>", "X"),
        CPUCHECK_UNKNOWN);
    assert_int_equal(cpucheck_model_usable("<mode name='custom'><model usable='yes'", "X"),
                     CPUCHECK_UNKNOWN);
    assert_string_equal(cpucheck_verdict_name(CPUCHECK_NOT_USABLE), "no");
}

static bool has(const struct spec_strv *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->v[i], name))
            return true;
    return false;
}

static void test_features_tcg(void **state)
{
    char *xml = fixture("intel-tcg-epyc-rome-expanded.xml");
    struct spec_strv provided = {0}, missing = {0};
    (void)state;
    assert_int_equal(cpucheck_features(xml, &provided, &missing), 0);
    /* What QEMU warned about when it started EPYC-Rome under TCG on this host. */
    assert_true(has(&missing, "sha-ni"));
    assert_true(has(&missing, "rdseed"));
    assert_true(has(&missing, "xsaves"));
    assert_false(has(&missing, "avx2"));
    assert_true(has(&provided, "avx2"));
    assert_int_equal(missing.n, 17);
    assert_true(provided.n > 50);
    spec_strv_free(&provided);
    spec_strv_free(&missing);
    free(xml);
}

static void test_features_kvm_intel(void **state)
{
    char *xml = fixture("intel-kvm-epyc-rome-expanded.xml");
    struct spec_strv missing = {0};
    (void)state;
    assert_int_equal(cpucheck_features(xml, NULL, &missing), 0);
    assert_true(has(&missing, "sse4a")); /* AMD-only */
    assert_true(missing.n > 17);
    spec_strv_free(&missing);
    free(xml);
}

static void test_guest_lacks(void **state)
{
    struct spec_strv feats = {0}, lacks = {0};
    /* The flags a TCG guest of EPYC-Rome showed here (trimmed). */
    const char *flags = "fpu de pse tsc msr pae sse sse2 pni pclmulqdq ssse3 sse4_1 sse4_2 "
                        "cr8_legacy avx2 xsaveopt";
    (void)state;
    const char *want[] = {"sse4.1", "sse4.2",    "pclmuldq", "cr8legacy", "avx2",
                          "sha-ni", "amd-stibp", "rdseed",   "xsaveopt",  "pni"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_int_equal(spec_strv_add(&feats, want[i]), 0);
    assert_int_equal(cpucheck_guest_lacks(&feats, flags, &lacks), 0);
    /* Spelling differences are not gaps; amd-stibp never shows in /proc/cpuinfo. */
    assert_int_equal(lacks.n, 2);
    assert_string_equal(lacks.v[0], "sha-ni");
    assert_string_equal(lacks.v[1], "rdseed");
    spec_strv_free(&lacks);
    assert_int_equal(cpucheck_guest_lacks(&feats, "", &lacks), 0);
    assert_int_equal(lacks.n, feats.n - 1);
    spec_strv_free(&lacks);
    spec_strv_free(&feats);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable_intel_kvm), cmocka_unit_test(test_usable_intel_tcg),
        cmocka_unit_test(test_usable_amd_kvm),   cmocka_unit_test(test_usable_malformed),
        cmocka_unit_test(test_features_tcg),     cmocka_unit_test(test_features_kvm_intel),
        cmocka_unit_test(test_guest_lacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
