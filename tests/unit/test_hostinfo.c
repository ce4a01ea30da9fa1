/*
 * Unit tests for harness/hostinfo.c: a host read through libvirt's test driver
 * (test:///default: a fixed fake host, no daemon), its JSON written and read back field
 * for field, the recorded host of tests/data/placement read, and malformed records refused
 * with a sentence naming the key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsutil.h"
#include "hostinfo.h"

static void str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void same(const struct hostinfo *a, const struct hostinfo *b)
{
    str_eq(a->uri, b->uri);
    str_eq(a->hostname, b->hostname);
    str_eq(a->node_model, b->node_model);
    str_eq(a->cpu_model, b->cpu_model);
    str_eq(a->cpu_vendor, b->cpu_vendor);
    str_eq(a->hypervisor, b->hypervisor);
    str_eq(a->hypervisor_version, b->hypervisor_version);
    str_eq(a->libvirt_version, b->libvirt_version);
    assert_int_equal(a->cpus, b->cpus);
    assert_int_equal(a->mhz, b->mhz);
    assert_int_equal(a->nodes, b->nodes);
    assert_int_equal(a->sockets, b->sockets);
    assert_int_equal(a->cores, b->cores);
    assert_int_equal(a->threads, b->threads);
    assert_int_equal(a->mem_kib, b->mem_kib);
    assert_int_equal(a->free_kib, b->free_kib);
}

/* info -> JSON text -> parsed -> info again: the same. */
static void round_trip(const struct hostinfo *info)
{
    cJSON *j = hostinfo_json(info), *back;
    struct hostinfo again;
    char *text, err[256] = "";

    assert_non_null(j);
    text = cJSON_Print(j);
    assert_non_null(text);
    back = cJSON_Parse(text);
    assert_non_null(back);
    assert_int_equal(hostinfo_from_json(back, &again, err, sizeof(err)), 0);
    same(info, &again);
    hostinfo_free(&again);
    cJSON_Delete(back);
    cJSON_Delete(j);
    free(text);
}

static void test_read_test_driver(void **state)
{
    virConnectPtr conn = virConnectOpen("test:///default");
    struct hostinfo info = {0};
    struct placement_host ph;
    (void)state;
    if (conn == NULL)
        skip();
    assert_int_equal(hostinfo_read(conn, "test:///default", &info), 0);
    virConnectClose(conn);
    /* The test driver's fixed host (libvirt's src/test/test_driver.c). */
    assert_string_equal(info.uri, "test:///default");
    assert_non_null(info.hostname);
    assert_true(info.hostname[0] != '\0');
    assert_string_equal(info.node_model, "i686");
    assert_int_equal(info.cpus, 16);
    assert_int_equal(info.mhz, 1400);
    assert_int_equal(info.nodes, 2);
    assert_int_equal(info.sockets, 2);
    assert_int_equal(info.cores, 2);
    assert_int_equal(info.threads, 2);
    assert_int_equal(info.mem_kib, 3145728);
    assert_string_equal(info.hypervisor, "TEST");
    assert_string_equal(info.hypervisor_version, "0.0.2");
    assert_non_null(info.libvirt_version);
    assert_non_null(strchr(info.libvirt_version, '.'));
    /* Its capabilities name no CPU model. */
    assert_null(info.cpu_model);
    round_trip(&info);
    hostinfo_placement_host(&info, &ph);
    assert_ptr_equal(ph.uri, info.uri);
    assert_int_equal(ph.cpus, 16);
    assert_int_equal(ph.free_kib, info.free_kib);
    assert_false(ph.failed);
    assert_int_equal(ph.used_mcpus, 0);
    hostinfo_free(&info);
    assert_null(info.uri);
    hostinfo_free(&info); /* twice, and NULL: fine */
    hostinfo_free(NULL);
}

static void test_round_trip_full(void **state)
{
    struct hostinfo info = {
        .uri = "qemu+ssh://root@b:2222/system?keyfile=/k&no_verify=1",
        .hostname = "b\"ü",
        .node_model = "x86_64",
        .cpu_model = "EPYC-Rome",
        .cpu_vendor = "AMD",
        .hypervisor = "QEMU",
        .hypervisor_version = "7.2.0",
        .libvirt_version = "9.0.0",
        .cpus = 128,
        .mhz = 2600,
        .nodes = 8,
        .sockets = 1,
        .cores = 8,
        .threads = 2,
        .mem_kib = 1056964608ULL * 4,   /* 4 TiB */
        .free_kib = 999999999999999ULL, /* the largest read back */
    };
    (void)state;
    round_trip(&info);
}

static void test_version(void **state)
{
    char buf[32];
    (void)state;
    hostinfo_version(7002022, buf, sizeof(buf));
    assert_string_equal(buf, "7.2.22");
    hostinfo_version(9000000, buf, sizeof(buf));
    assert_string_equal(buf, "9.0.0");
}

static void expect_refused(const char *json, const char *why)
{
    cJSON *j = cJSON_Parse(json);
    struct hostinfo out = {.uri = (char *)"untouched"};
    char err[256] = "";

    assert_non_null(j);
    assert_int_equal(hostinfo_from_json(j, &out, err, sizeof(err)), -1);
    assert_string_equal(err, why);
    assert_string_equal(out.uri, "untouched"); /* set only on success */
    cJSON_Delete(j);
}

static void test_refused(void **state)
{
    (void)state;
    expect_refused("[]", "a host is not a JSON object");
    expect_refused("{\"hostname\":\"a\",\"cpus\":1,\"mem_kib\":1,\"free_kib\":1}",
                   "the host has no 'uri'");
    expect_refused("{\"uri\":\"u\",\"hostname\":null,\"cpus\":1,\"mem_kib\":1,\"free_kib\":1}",
                   "the host has no 'hostname'");
    expect_refused("{\"uri\":7,\"hostname\":\"a\",\"cpus\":1,\"mem_kib\":1,\"free_kib\":1}",
                   "the host's 'uri' is not a string");
    expect_refused("{\"uri\":\"u\",\"hostname\":\"a\",\"cpus\":-1,\"mem_kib\":1,\"free_kib\":1}",
                   "the host's 'cpus' is not a whole number from 0 to 4294967295");
    expect_refused("{\"uri\":\"u\",\"hostname\":\"a\",\"cpus\":1.5,\"mem_kib\":1,\"free_kib\":1}",
                   "the host's 'cpus' is not a whole number from 0 to 4294967295");
    expect_refused("{\"uri\":\"u\",\"hostname\":\"a\",\"cpus\":4294967296,\"mem_kib\":1,"
                   "\"free_kib\":1}",
                   "the host's 'cpus' is not a whole number from 0 to 4294967295");
    expect_refused("{\"uri\":\"u\",\"hostname\":\"a\",\"cpus\":\"2\",\"mem_kib\":1,\"free_kib\":1}",
                   "the host's 'cpus' is not a whole number from 0 to 4294967295");
    expect_refused("{\"uri\":\"u\",\"hostname\":\"a\",\"cpus\":1,\"mem_kib\":1e300,\"free_kib\":1}",
                   "the host's 'mem_kib' is not a whole number from 0 to 999999999999999");
    expect_refused("{\"uri\":\"u\",\"hostname\":\"a\",\"cpus\":1,\"mem_kib\":1}",
                   "the host has no 'free_kib'");
    expect_refused("{\"uri\":\"u\",\"hostname\":\"a\",\"cpus\":1,\"mem_kib\":1,\"free_kib\":1,"
                   "\"cpu_model\":[]}",
                   "the host's 'cpu_model' is not a string");
}

/* The recorded hosts of the placement tests read as hostinfo, optional keys absent. */
static void test_recorded(void **state)
{
    char *path = fsutil_printf("%s/tests/data/placement/laptop-server.json", VMSWEEP_SRCDIR);
    char *text = NULL, err[256];
    cJSON *doc;
    struct hostinfo info;
    (void)state;
    assert_non_null(path);
    assert_int_equal(fsutil_read_file(path, &text, NULL), 0);
    doc = cJSON_Parse(text);
    assert_non_null(doc);
    assert_int_equal(hostinfo_from_json(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "hosts"), 1),
                                        &info, err, sizeof(err)),
                     0);
    assert_string_equal(info.hostname, "server");
    assert_int_equal(info.cpus, 16);
    assert_null(info.cpu_model);
    assert_int_equal(info.sockets, 0);
    round_trip(&info);
    hostinfo_free(&info);
    cJSON_Delete(doc);
    free(text);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_test_driver), cmocka_unit_test(test_round_trip_full),
        cmocka_unit_test(test_version),          cmocka_unit_test(test_refused),
        cmocka_unit_test(test_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
