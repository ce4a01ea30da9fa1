/*
 * Unit tests for harness/spec.c: defaults, every key of a spec file, the layering of
 * profile < file < flags, refusals with positions, the whole-spec checks, the agent's
 * command line and the VM shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec.h"
#include "specopt.h"

#include <cJSON.h>
#include "units.h"

#define DATA VMSWEEP_SRCDIR "/tests/data/spec/"

static void test_defaults(void **state)
{
    struct spec s;
    (void)state;
    assert_int_equal(spec_init(&s), 0);
    assert_int_equal(s.nsizes, 1);
    assert_int_equal(s.vcpus[0], 2);
    assert_string_equal(s.cpu_model, "EPYC-Rome");
    assert_string_equal(s.workload, "cpu");
    assert_int_equal(s.nlevels, 8);
    assert_true(s.levels[7] == 128);
    assert_true(s.duration_us == 10 * UNITS_US_PER_SEC);
    assert_int_equal(spec_check(&s), 0);
    spec_free(&s);
    spec_free(NULL);
}

static void test_full(void **state)
{
    struct spec s;
    (void)state;
    assert_int_equal(spec_init(&s), 0);
    assert_int_equal(spec_load(&s, DATA "full.json"), 0);
    assert_int_equal(s.nsizes, 2);
    assert_true(s.memory_mib == 2048);
    assert_int_equal(s.cpu_cap_pct, 50);
    assert_true(s.pin);
    assert_int_equal(s.accel, SPEC_ACCEL_TCG);
    assert_int_equal(s.deadman_s, 120);
    assert_true(s.boot_timeout_us == 90 * UNITS_US_PER_SEC);
    assert_string_equal(s.workload, "sleep");
    assert_int_equal(s.nlevels, 3);
    assert_true(s.duration_us == 1500000);
    assert_true(s.warmup == 7 && s.runs == 5 && s.max_concurrency == 64);
    assert_int_equal(s.cpu_threads, 2);
    assert_int_equal(s.args.n, 3);
    assert_string_equal(s.args.v[0], "us=1000");
    assert_string_equal(s.args.v[1], "shell=1");
    assert_string_equal(s.args.v[2], "name=x y");
    assert_null(s.args.v[3]); /* NULL-terminated */
    assert_string_equal(s.push.v[0], "/etc/hostname:/root/h");
    assert_true(s.slo_p99_us == 2000 && s.refine);
    assert_int_equal(s.slo.n, 2);
    assert_string_equal(s.slo.v[1], "qps>=10");
    assert_true(s.max_error_pct == 0.5 && s.min_fairness == 0.7);
    assert_int_equal(s.base_args.n, 1);
    assert_string_equal(s.base_args.v[0], "us=2000");
    assert_int_equal(spec_check(&s), 0);
    spec_free(&s);
}

static void test_profile_layering(void **state)
{
    struct spec s;
    struct vm_def d;
    (void)state;
    assert_int_equal(spec_init(&s), 0);
    assert_int_equal(spec_load(&s, DATA "with-profile.json"), 0);
    /* From the profile: 8 cores, 2 NUMA cells, 2G; from the file: 4 worker threads. */
    assert_int_equal(s.vcpus[0], 8);
    assert_int_equal(s.numa, 2);
    assert_true(s.memory_mib == 2048);
    assert_int_equal(s.cpu_threads, 4);
    assert_string_equal(s.profile, "epyc-rome-8c-nps2");
    assert_int_equal(spec_check(&s), 0);
    memset(&d, 0, sizeof(d));
    d.name = "x";
    d.ssh_port = 1;
    d.kernel = "/vmlinuz";
    assert_int_equal(spec_vm_def(&s, 0, &d), 0);
    assert_int_equal(d.ncells, 2);
    assert_string_equal(d.cells[1].cpus, "4-7");
    assert_int_equal(d.sockets * d.dies * d.cores * d.threads, 8);
    spec_free(&s);
}

/* Every EPYC 7002 profile describes a valid guest: 1 socket, dies of 8 cores, NPS cells. */
static void test_epyc_profiles(void **state)
{
    static const unsigned cores[] = {8, 16, 32, 64};
    (void)state;
    for (size_t c = 0; c < 4; c++) {
        for (unsigned nps = 1; nps <= 4; nps *= 2) {
            struct spec s;
            struct vm_def d;
            char name[64], *xml = NULL;
            snprintf(name, sizeof(name), "epyc-rome-%uc-nps%u", cores[c], nps);
            assert_int_equal(spec_init(&s), 0);
            assert_int_equal(spec_load_profile(&s, name), 0);
            assert_int_equal(spec_check(&s), 0);
            memset(&d, 0, sizeof(d));
            d.name = name;
            d.ssh_port = 2222;
            d.kernel = "/vmlinuz";
            assert_int_equal(spec_vm_def(&s, 0, &d), 0);
            assert_int_equal(d.vcpus, cores[c]);
            assert_int_equal(d.sockets, 1);
            assert_int_equal(d.cores, 8); /* a Rome core die: 2 CCX x 4 cores */
            assert_int_equal(d.dies * d.cores, cores[c]);
            assert_int_equal(d.ncells, nps);
            assert_string_equal(d.cpu_model, "EPYC-Rome");
            assert_true(s.cpu_threads > 0 && s.cpu_threads < cores[c]); /* ~80% worker pool */
            assert_int_equal(domxml_build(&d, &xml), 0);
            assert_non_null(strstr(xml, "<model fallback='allow'>EPYC-Rome</model>"));
            free(xml);
            spec_free(&s);
        }
    }
}

static void test_refusals(void **state)
{
    static const char *const bad[] = {"bad-range.json", "bad-float.json", "bad-cell.json",
                                      "bad-slo.json", "nonexistent.json"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct spec s;
        char path[512];
        assert_int_equal(spec_init(&s), 0);
        snprintf(path, sizeof(path), DATA "%s", bad[i]);
        assert_int_equal(spec_load(&s, path), -1);
        spec_free(&s);
    }
}

static void test_unknown_profile(void **state)
{
    struct spec s;
    (void)state;
    assert_int_equal(spec_init(&s), 0);
    assert_int_equal(spec_load_profile(&s, "no-such-profile"), -1);
    assert_int_equal(spec_load(&s, DATA "ok-empty-vm.json"), 0);
    spec_free(&s);
}

static void test_checks(void **state)
{
    struct spec s;
    (void)state;
    assert_int_equal(spec_init(&s), 0);
    assert_int_equal(spec_parse_sizes(&s, "1,2"), 0);
    assert_int_equal(spec_parse_topology(&s, "1:1:2:1"), 0);
    assert_int_equal(spec_check(&s), -1); /* topology fixes 2 vCPUs, sizes say 1 and 2 */
    assert_int_equal(spec_parse_sizes(&s, "2"), 0);
    assert_int_equal(spec_check(&s), 0);
    s.numa = 3;
    assert_int_equal(spec_check(&s), -1); /* more cells than vCPUs */
    s.numa = 0;
    s.levels[0] = 256;
    assert_int_equal(spec_check(&s), -1); /* above max_concurrency */
    s.levels[0] = 1;
    s.duration_us = 40 * UNITS_US_PER_SEC;
    assert_int_equal(spec_check(&s), -1); /* above max_duration */
    s.max_duration_us = 50 * UNITS_US_PER_SEC;
    assert_int_equal(spec_check(&s), 0);
    s.timeout_us = s.duration_us;
    assert_int_equal(spec_check(&s), -1); /* timeout not above duration */
    spec_free(&s);

    assert_int_equal(spec_init(&s), 0);
    assert_int_equal(spec_parse_topology(&s, "1:1:2"), -1);
    assert_int_equal(spec_parse_topology(&s, "1:1:0:1"), -1);
    assert_int_equal(spec_parse_topology(&s, "1:1:2:1x"), -1);
    assert_int_equal(spec_parse_sizes(&s, "0"), -1);
    assert_int_equal(spec_parse_sizes(&s, ""), -1);
    assert_int_equal(spec_strv_add(&s.push, "/nonexistent/file"), 0);
    assert_int_equal(spec_check(&s), -1); /* --push of a missing file */
    spec_free(&s);
}

static void test_agent_argv(void **state)
{
    struct spec s;
    struct spec_strv av = {0};
    (void)state;
    assert_int_equal(spec_init(&s), 0);
    assert_int_equal(spec_load(&s, DATA "full.json"), 0);
    assert_int_equal(spec_agent_argv(&s, "/a", "/out", &av), 0);
    assert_string_equal(av.v[0], "/a");
    assert_string_equal(av.v[1], "--workload=sleep");
    assert_string_equal(av.v[2], "--concurrency=1,2,4");
    assert_string_equal(av.v[3], "--duration=1500000us");
    assert_string_equal(av.v[av.n - 2], "--output-dir");
    assert_string_equal(av.v[av.n - 1], "/out");
    assert_null(av.v[av.n]);
    spec_strv_free(&av);
    assert_true(spec_sweep_budget_us(&s) >= 3 * 5 * 20 * UNITS_US_PER_SEC);
    {
        char *j = spec_to_json(&s);
        assert_non_null(j);
        assert_non_null(strstr(j, "\"workload\":\t\"sleep\""));
        free(j);
    }
    spec_free(&s);
}

/* Several architectures: sizes are vCPU counts x architectures, each with its own
 * defaults; the list reads back from the spec it prints; one architecture's model or
 * image is refused with several. */
static void test_mixed_arches(void **state)
{
    struct spec s, r;
    struct vm_def d;
    char why[200], img[64];
    const struct specopt *o = specopt_find_flag("arch");
    (void)state;
    assert_non_null(o);
    assert_int_equal(spec_init(&s), 0);
    assert_int_equal(spec_parse_sizes(&s, "1,2"), 0);
    assert_int_equal(specopt_set(&s, o, "aarch64,x86_64", false, why, sizeof(why)), 0);
    spec_finish(&s);
    assert_true(spec_arch_mixed(&s));
    assert_int_equal(spec_size_count(&s), 4);
    /* Architecture by architecture, in enum order. */
    assert_int_equal(spec_size_arch(&s, 0), DOMXML_X86_64);
    assert_int_equal(spec_size_vcpus(&s, 1), 2);
    assert_int_equal(spec_size_arch(&s, 2), DOMXML_AARCH64);
    assert_int_equal(spec_size_vcpus(&s, 2), 1);
    assert_int_equal(spec_size_arch(&s, 3), DOMXML_AARCH64);
    assert_int_equal(spec_check(&s), 0);
    memset(&d, 0, sizeof(d));
    d.name = "t";
    d.kernel = "k";
    assert_int_equal(spec_vm_def(&s, 3, &d), 0);
    assert_int_equal(d.arch, DOMXML_AARCH64);
    assert_int_equal(d.vcpus, 2);
    assert_string_equal(d.cpu_model, "neoverse-n1");
    assert_string_equal(spec_arch_image(&s, DOMXML_AARCH64, img, sizeof(img)), "tiny-aarch64");
    assert_string_equal(spec_arch_image(&s, DOMXML_X86_64, img, sizeof(img)), "tiny");
    assert_int_equal(spec_vm_def(&s, 0, &d), 0);
    assert_string_equal(d.cpu_model, "EPYC-Rome");

    /* Round trip: the printed spec holds a list and reads back the same. */
    char *js = spec_to_json(&s);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"aarch64\""));
    assert_int_equal(spec_init(&r), 0);
    assert_int_equal(spec_load_text(&r, "printed", js), 0);
    assert_int_equal(r.arches, s.arches);
    free(js);
    spec_free(&r);

    /* One architecture reads back as a string. */
    assert_int_equal(specopt_set(&s, o, "aarch64", false, why, sizeof(why)), 0);
    assert_false(spec_arch_mixed(&s));
    cJSON *one = specopt_to_json(&s, o);
    assert_true(cJSON_IsString(one));
    cJSON_Delete(one);

    /* Refusals: an unknown name, nothing, one architecture's model or image. */
    assert_int_equal(specopt_set(&s, o, "x86_64,sparc", false, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "aarch64"));
    assert_int_equal(specopt_set(&s, o, ",", false, why, sizeof(why)), -1);
    assert_int_equal(specopt_set(&s, o, "x86_64 aarch64", false, why, sizeof(why)), 0);
    assert_true(spec_arch_mixed(&s));
    assert_int_equal(spec_set_str(&s.cpu_model, "EPYC-Milan"), 0);
    assert_int_equal(spec_check(&s), -1);
    assert_int_equal(spec_set_str(&s.cpu_model, "EPYC-Rome"), 0);
    assert_int_equal(spec_set_str(&s.image, "/some/image"), 0);
    assert_int_equal(spec_check(&s), -1);
    assert_int_equal(spec_set_str(&s.image, "tiny-aarch64"), 0);
    assert_int_equal(spec_check(&s), 0);
    spec_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),         cmocka_unit_test(test_full),
        cmocka_unit_test(test_profile_layering), cmocka_unit_test(test_epyc_profiles),
        cmocka_unit_test(test_refusals),         cmocka_unit_test(test_unknown_profile),
        cmocka_unit_test(test_checks),           cmocka_unit_test(test_agent_argv),
        cmocka_unit_test(test_mixed_arches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
