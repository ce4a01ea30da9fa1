/*
 * Unit tests for harness/placement.c on recorded node info (tests/data/placement: host
 * records as hostinfo_json writes them, read with hostinfo_from_json): sizes spread over
 * two hosts, a size no host can hold (the plan check's sentence), oversubscription of
 * CPUs but never of memory, a failed host's sizes placed on another and never back, no
 * host left, waiting for capacity, the retry limit, and the same placement every time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsutil.h"
#include "hostinfo.h"
#include "placement.h"

#define GIB (1024ULL * 1024)

/* The ledger of tests/data/placement/<name>: its "hosts", in order. */
static struct placement *load(const char *name)
{
    char *path = fsutil_printf("%s/tests/data/placement/%s", VMSWEEP_SRCDIR, name), *text = NULL;
    struct placement *p = placement_new();
    const cJSON *hosts, *h;
    cJSON *doc;
    char err[256];

    assert_non_null(path);
    assert_non_null(p);
    assert_int_equal(fsutil_read_file(path, &text, NULL), 0);
    doc = cJSON_Parse(text);
    assert_non_null(doc);
    hosts = cJSON_GetObjectItemCaseSensitive(doc, "hosts");
    assert_true(cJSON_IsArray(hosts));
    cJSON_ArrayForEach(h, hosts)
    {
        struct hostinfo info;
        struct placement_host ph;
        assert_int_equal(hostinfo_from_json(h, &info, err, sizeof(err)), 0);
        hostinfo_placement_host(&info, &ph);
        size_t before = p->nhosts;
        assert_int_equal(placement_add_host(p, &ph), (int)before);
        hostinfo_free(&info);
    }
    cJSON_Delete(doc);
    free(text);
    free(path);
    return p;
}

/* Queues sizes of vcpus[i] vCPUs, uncapped, with mib MiB of RAM each. */
static void queue(struct placement *p, const unsigned *vcpus, size_t n, unsigned long long mib)
{
    for (size_t i = 0; i < n; i++) {
        struct placement_need need = placement_need(vcpus[i], 0, mib);
        size_t before = p->nitems;
        assert_int_equal(placement_add(p, &need), (int)before);
    }
}

static void expect_next(struct placement *p, bool over, size_t item, size_t host)
{
    size_t it = 99, h = 99;
    assert_int_equal(placement_next(p, over, &it, &h), PLACEMENT_OK);
    assert_int_equal(it, item);
    assert_int_equal(h, host);
}

static enum placement_result next_result(struct placement *p, bool over)
{
    size_t it = 99, h = 99;
    return placement_next(p, over, &it, &h);
}

static void test_need(void **state)
{
    struct placement_need n = placement_need(4, 0, 1024);
    (void)state;
    assert_int_equal(n.vcpus, 4);
    assert_int_equal(n.mcpus, 4000);
    assert_int_equal(n.kib, 1024 * 1024 + PLACEMENT_QEMU_OVERHEAD_KIB);
    /* A cap guarantees a share of a CPU per vCPU: 4 x 50% = 2 CPUs, 3 x 25% = 0.75. */
    assert_int_equal(placement_need(4, 50, 1024).mcpus, 2000);
    assert_int_equal(placement_need(3, 25, 1024).mcpus, 750);
    assert_int_equal(placement_need(2, 100, 1024).mcpus, 2000);
}

static void test_load(void **state)
{
    struct placement *p = load("two-hosts.json");
    (void)state;
    assert_int_equal(p->nhosts, 2);
    assert_string_equal(p->hosts[1].uri, "qemu+ssh://root@b/system?keyfile=/root/.ssh/id_ed25519");
    assert_string_equal(p->hosts[1].hostname, "b");
    assert_int_equal(p->hosts[1].cpus, 6);
    assert_int_equal(p->hosts[1].free_kib, 8 * GIB);
    assert_false(p->hosts[1].failed);
    assert_int_equal(p->hosts[1].used_mcpus, 0);
    placement_free(p);
    placement_free(NULL);
}

/* Sizes 1, 2, 4 on two 6-CPU hosts: 1 -> a (tie on CPUs, a has more free memory),
 * 2 -> b (4 left there against 3 on a), 4 -> a (1 left there against 0 on b). */
static void test_spread(void **state)
{
    struct placement *p = load("two-hosts.json");
    const unsigned sizes[] = {1, 2, 4};
    (void)state;
    queue(p, sizes, 3, 1024);
    expect_next(p, false, 0, 0);
    expect_next(p, false, 1, 1);
    expect_next(p, false, 2, 0);
    assert_int_equal(next_result(p, false), PLACEMENT_DONE);
    assert_int_equal(p->hosts[0].used_mcpus, 5000);
    assert_int_equal(p->hosts[0].running, 2);
    assert_int_equal(p->hosts[1].used_mcpus, 2000);
    assert_int_equal(p->hosts[0].used_kib, 2 * (GIB + PLACEMENT_QEMU_OVERHEAD_KIB));
    for (size_t i = 0; i < 3; i++) {
        placement_finish(p, i);
        assert_int_equal(p->items[i].state, PLACEMENT_FINISHED);
    }
    /* Released exactly: nothing left in use. */
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(p->hosts[i].used_mcpus, 0);
        assert_int_equal(p->hosts[i].used_kib, 0);
        assert_int_equal(p->hosts[i].running, 0);
    }
    /* Finishing twice changes nothing. */
    placement_finish(p, 0);
    assert_int_equal(p->hosts[0].running, 0);
    placement_free(p);
}

/* A size bigger than any host: refused before the run with a sentence saying why. */
static void test_plan_refuses(void **state)
{
    struct placement *p = load("laptop-server.json");
    struct placement_need needs[] = {placement_need(1, 0, 512), placement_need(32, 0, 1024),
                                     placement_need(64, 0, 1024)};
    char why[512] = "";
    size_t h = 99;
    (void)state;
    assert_int_equal(placement_plan_check(p, needs, 1, false, why, sizeof(why)), 0);
    assert_int_equal(placement_plan_check(p, needs, 3, false, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "the size of 32 vCPUs needs 32 guaranteed CPUs and 1.2 GiB"));
    assert_non_null(
        strstr(why, "the most CPUs are 16 on 'server' (qemu+ssh://root@server/system)"));
    assert_non_null(strstr(why, "the most free memory 4.0 GiB on 'laptop' (qemu:///system)"));
    assert_non_null(strstr(why, "--oversubscribe-host"));
    assert_int_equal(placement_pick(p, &needs[1], false, 0, &h), PLACEMENT_NEVER);
    assert_int_equal(h, 99);
    /* A capped size fits where its guaranteed share does: 32 x 50% = 16 CPUs. */
    needs[1] = placement_need(32, 50, 1024);
    assert_int_equal(placement_plan_check(p, needs, 2, false, why, sizeof(why)), 0);
    /* Nothing was placed by the checks. */
    assert_int_equal(p->hosts[0].used_mcpus + p->hosts[1].used_mcpus, 0);
    placement_free(p);
}

/* --oversubscribe-host: guaranteed CPUs beyond a host's own. */
static void test_oversubscribe(void **state)
{
    struct placement *p = load("laptop-server.json");
    /* 4 vCPUs and 3 GiB: the laptop has the memory but 2 CPUs, the server the CPUs but 3 GiB
     * free, less than the RAM plus QEMU's share. */
    struct placement_need need = placement_need(4, 0, 3072);
    char why[512];
    size_t h = 99;
    (void)state;
    assert_int_equal(placement_plan_check(p, &need, 1, false, why, sizeof(why)), -1);
    assert_int_equal(placement_pick(p, &need, false, 0, &h), PLACEMENT_NEVER);
    assert_int_equal(placement_plan_check(p, &need, 1, true, why, sizeof(why)), 0);
    assert_int_equal(placement_pick(p, &need, true, 0, &h), PLACEMENT_OK);
    assert_int_equal(h, 0);
    assert_int_equal(p->hosts[0].used_mcpus, 4000); /* twice its 2 CPUs */
    placement_release(p, h, &need);
    assert_int_equal(p->hosts[0].used_mcpus, 0);

    /* Three 6-vCPU sizes on two 6-CPU hosts: the third waits, unless oversubscribed, when
     * it goes where most CPUs are left (a tie at -6: a, with more memory left). */
    placement_free(p);
    p = load("two-hosts.json");
    const unsigned six[] = {6, 6, 6};
    queue(p, six, 3, 1024);
    expect_next(p, false, 0, 0);
    expect_next(p, false, 1, 1);
    assert_int_equal(next_result(p, false), PLACEMENT_WAIT);
    expect_next(p, true, 2, 0);
    assert_int_equal(p->hosts[0].used_mcpus, 12000);
    placement_free(p);
}

/* Memory is never overcommitted, oversubscription or not. */
static void test_memory(void **state)
{
    struct placement *p = load("laptop-server.json");
    struct placement_need big = placement_need(8, 0, 4096), two = placement_need(1, 0, 2048);
    char why[512] = "";
    size_t h = 99;
    (void)state;
    /* 4.25 GiB with QEMU's share: more than either host has free. */
    assert_int_equal(placement_pick(p, &big, true, 0, &h), PLACEMENT_NEVER);
    assert_int_equal(placement_plan_check(p, &big, 1, true, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "the size of 8 vCPUs needs 4.2 GiB of memory (its RAM plus 256 MiB "
                                "for QEMU), and no host has that free: the most is 4.0 GiB on "
                                "'laptop' (qemu:///system)"));
    assert_non_null(strstr(why, "never overcommitted"));
    /* 2.25 GiB each: one on the laptop (4 GiB free), one on the server (3 GiB), then no
     * host has 2.25 GiB left: the third waits, even oversubscribed. */
    assert_int_equal(placement_pick(p, &two, true, 0, &h), PLACEMENT_OK);
    assert_int_equal(h, 1); /* the server: most CPUs left */
    assert_int_equal(placement_pick(p, &two, true, 0, &h), PLACEMENT_OK);
    assert_int_equal(h, 0);
    assert_int_equal(placement_pick(p, &two, true, 0, &h), PLACEMENT_WAIT);
    assert_int_equal(placement_pick(p, &two, false, 0, &h), PLACEMENT_WAIT);
    placement_release(p, 0, &two);
    assert_int_equal(placement_pick(p, &two, false, 0, &h), PLACEMENT_OK);
    assert_int_equal(h, 0);
    placement_free(p);
}

/* A host fails: its sizes go to the other one, never back, and wait for room there. */
static void test_host_fails(void **state)
{
    struct placement *p = load("two-hosts.json");
    const unsigned sizes[] = {1, 2, 4};
    (void)state;
    queue(p, sizes, 3, 1024);
    expect_next(p, false, 0, 0);
    expect_next(p, false, 1, 1);
    expect_next(p, false, 2, 0);
    assert_int_equal(placement_fail(p, 0), 2);
    assert_true(p->hosts[0].failed);
    assert_int_equal(p->hosts[0].used_mcpus, 0);
    assert_int_equal(p->hosts[0].running, 0);
    assert_int_equal(p->items[0].state, PLACEMENT_PENDING);
    assert_int_equal(p->items[0].tried, 1);
    assert_int_equal(p->items[2].tried, 1);
    assert_int_equal(p->items[1].state, PLACEMENT_RUNNING);
    /* a is the better host for size 1 by every measure, but it failed: b. */
    expect_next(p, false, 0, 1);
    assert_int_equal(p->items[0].attempts, 2);
    /* Size 4 on b (3 CPUs used of 6): it waits for room there, not for a. */
    assert_int_equal(next_result(p, false), PLACEMENT_WAIT);
    /* A finish on the failed host (its worker saw the size end as the host went) is
     * ignored: the size is no longer running there. */
    placement_finish(p, 2);
    assert_int_equal(p->items[2].state, PLACEMENT_PENDING);
    placement_keep(p, 1); /* running, not requeued: left alone */
    assert_int_equal(p->items[1].state, PLACEMENT_RUNNING);
    placement_finish(p, 1);
    expect_next(p, false, 2, 1);
    assert_int_equal(p->hosts[1].used_mcpus, 5000);
    assert_false(placement_retry_ok(p, 1, 2)); /* its only live host is one it failed on */
    assert_true(placement_retry_ok(p, 1, 0));
    assert_false(placement_retry_ok(p, PLACEMENT_MAX_ATTEMPTS, 0));
    /* Requeued, yet it finished on the failed host after all: it does not run again. */
    assert_int_equal(p->items[0].state, PLACEMENT_RUNNING);
    placement_fail(p, 1);
    assert_int_equal(p->items[0].state, PLACEMENT_PENDING);
    placement_keep(p, 0);
    assert_int_equal(p->items[0].state, PLACEMENT_FINISHED);
    placement_free(p);
}

/* Every host failed: nothing can be placed, and the plan check says so. */
static void test_no_host(void **state)
{
    struct placement *p = load("two-hosts.json");
    const unsigned sizes[] = {2};
    struct placement_need need = placement_need(1, 0, 512);
    char why[256];
    size_t h = 99;
    (void)state;
    queue(p, sizes, 1, 1024);
    expect_next(p, false, 0, 0);
    assert_int_equal(placement_fail(p, 0), 1);
    expect_next(p, false, 0, 1);
    assert_int_equal(placement_fail(p, 1), 1);
    assert_int_equal(next_result(p, false), PLACEMENT_NO_HOST);
    assert_int_equal(next_result(p, true), PLACEMENT_NO_HOST);
    assert_int_equal(placement_pick(p, &need, true, 0, &h), PLACEMENT_NO_HOST);
    assert_false(placement_retry_ok(p, 0, 0));
    assert_int_equal(placement_plan_check(p, &need, 1, false, why, sizeof(why)), -1);
    assert_string_equal(why, "no host is left to run the size of 1 vCPUs on");
    placement_free(p);
}

/* A size waits while the hosts are full, and starts when one finishes. */
static void test_wait(void **state)
{
    struct placement *p = load("two-hosts.json");
    const unsigned sizes[] = {4, 4, 4, 1};
    size_t it = 99, h = 99;
    (void)state;
    queue(p, sizes, 4, 1024);
    expect_next(p, false, 0, 0);
    expect_next(p, false, 1, 1);
    /* The third 4 fits nowhere now; the 1 behind it goes first (to a: tie on CPUs, more
     * memory left), then only the waiting 4 is left. */
    expect_next(p, false, 3, 0);
    assert_int_equal(placement_next(p, false, &it, &h), PLACEMENT_WAIT);
    assert_int_equal(it, 99);
    assert_int_equal(p->items[2].state, PLACEMENT_PENDING);
    placement_finish(p, 1);
    expect_next(p, false, 2, 1);
    assert_int_equal(next_result(p, false), PLACEMENT_DONE);
    placement_free(p);
}

/* A size that only one host can hold, and that host fails: given up (NEVER), the rest go on. */
static void test_never_after_failure(void **state)
{
    struct placement *p = load("laptop-server.json");
    struct placement_need big = placement_need(8, 0, 2048), small = placement_need(1, 0, 512);
    size_t it = 99, h = 99;
    (void)state;
    assert_int_equal(placement_add(p, &big), 0);
    assert_int_equal(placement_add(p, &small), 1);
    expect_next(p, false, 0, 1);
    expect_next(p, false, 1, 1);
    assert_int_equal(placement_fail(p, 1), 2);
    assert_int_equal(placement_next(p, false, &it, &h), PLACEMENT_NEVER);
    assert_int_equal(it, 0);
    assert_int_equal(p->items[0].state, PLACEMENT_GIVEN_UP);
    expect_next(p, false, 1, 0);
    assert_int_equal(next_result(p, false), PLACEMENT_DONE);
    placement_free(p);
}

/* A size is started on at most PLACEMENT_MAX_ATTEMPTS hosts. */
static void test_attempts(void **state)
{
    struct placement *p = placement_new();
    struct placement_host h = {.cpus = 4, .mem_kib = 8 * GIB, .free_kib = 8 * GIB};
    struct placement_need need = placement_need(2, 0, 1024);
    char uri[32];
    size_t it, host;
    (void)state;
    for (int i = 0; i < PLACEMENT_MAX_ATTEMPTS + 1; i++) {
        snprintf(uri, sizeof(uri), "test:///h%d", i);
        h.uri = uri;
        assert_int_equal(placement_add_host(p, &h), i);
    }
    assert_string_equal(p->hosts[2].uri, "test:///h2");
    assert_null(p->hosts[2].hostname);
    assert_int_equal(placement_add(p, &need), 0);
    for (unsigned i = 0; i < PLACEMENT_MAX_ATTEMPTS; i++) {
        assert_int_equal(placement_next(p, false, &it, &host), PLACEMENT_OK);
        assert_int_equal(host, i); /* all equal and empty: the lowest live index */
        assert_int_equal(placement_fail(p, host), i + 1 < PLACEMENT_MAX_ATTEMPTS ? 1 : 0);
    }
    assert_int_equal(p->items[0].state, PLACEMENT_GIVEN_UP);
    assert_int_equal(p->items[0].attempts, PLACEMENT_MAX_ATTEMPTS);
    assert_int_equal(p->items[0].tried, (1u << PLACEMENT_MAX_ATTEMPTS) - 1);
    assert_int_equal(next_result(p, false), PLACEMENT_DONE);
    /* A host without a URI, and one too many, are refused. */
    h.uri = NULL;
    assert_int_equal(placement_add_host(p, &h), -1);
    h.uri = uri;
    while (p->nhosts < PLACEMENT_MAX_HOSTS) {
        size_t before = p->nhosts;
        assert_int_equal(placement_add_host(p, &h), (int)before);
    }
    assert_int_equal(placement_add_host(p, &h), -1);
    placement_free(p);
}

/* The same hosts and sizes give the same placement, step for step. */
static void run_script(size_t *trace, size_t len)
{
    struct placement *p = load("two-hosts.json");
    const unsigned sizes[] = {1, 2, 4, 8, 1, 2, 4, 3};
    size_t n = 0, it, h;
    enum placement_result r;

    queue(p, sizes, 8, 2048);
    while ((r = placement_next(p, false, &it, &h)) != PLACEMENT_DONE) {
        assert_int_not_equal(r, PLACEMENT_NO_HOST);
        if (r == PLACEMENT_NEVER) { /* 8 vCPUs on 6-CPU hosts */
            trace[n++] = 100 + it;
            continue;
        }
        if (r == PLACEMENT_WAIT) { /* finish the oldest running size */
            for (size_t i = 0; i < p->nitems; i++)
                if (p->items[i].state == PLACEMENT_RUNNING) {
                    placement_finish(p, i);
                    trace[n++] = 200 + i;
                    break;
                }
            continue;
        }
        trace[n++] = it * 10 + h;
        assert_true(n < len);
        if (n == 5)
            placement_fail(p, 1);
    }
    placement_free(p);
}

static void test_deterministic(void **state)
{
    size_t a[64] = {0}, b[64] = {0};
    (void)state;
    run_script(a, 64);
    run_script(b, 64);
    assert_memory_equal(a, b, sizeof(a));
    /* 1->a 2->b 4->a; 8 never; 1->b; b fails (sizes 1 and 4 back, wait on a) ... */
    assert_int_equal(a[0], 0);
    assert_int_equal(a[1], 11);
    assert_int_equal(a[2], 20);
    assert_int_equal(a[3], 103);
    assert_int_equal(a[4], 41);
}

/* This machine (2 CPUs), reached as two hosts the way the e2e does: sizes 1 and 2
 * go one to each URI; a second pass of both waits until one finishes.  (The ledger cannot
 * know that two URIs are one machine: see docs/SCALING.md.) */
static void test_this_machine(void **state)
{
    struct placement *p = load("this-machine.json");
    const unsigned sizes[] = {1, 2, 1, 2};
    char why[512];
    struct placement_need three = placement_need(3, 0, 512);
    (void)state;
    assert_int_equal(p->hosts[0].cpus, 2);
    assert_int_equal(p->hosts[0].free_kib, 22907408);
    queue(p, sizes, 4, 512);
    expect_next(p, false, 0, 0); /* a tie in everything: the lowest index */
    expect_next(p, false, 1, 1);
    expect_next(p, false, 2, 0); /* host 1 is full */
    assert_int_equal(next_result(p, false), PLACEMENT_WAIT);
    placement_finish(p, 0);
    placement_finish(p, 2);
    expect_next(p, false, 3, 0);
    assert_int_equal(placement_plan_check(p, &three, 1, false, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "the most CPUs are 2 on 'vm' (qemu:///system)"));
    assert_int_equal(placement_plan_check(p, &three, 1, true, why, sizeof(why)), 0);
    placement_free(p);
}

static void test_result_name(void **state)
{
    (void)state;
    assert_string_equal(placement_result_name(PLACEMENT_OK), "ok");
    assert_string_equal(placement_result_name(PLACEMENT_WAIT), "wait");
    assert_string_equal(placement_result_name(PLACEMENT_NEVER), "never");
    assert_string_equal(placement_result_name(PLACEMENT_NO_HOST), "no host");
    assert_string_equal(placement_result_name(PLACEMENT_DONE), "done");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_need),          cmocka_unit_test(test_load),
        cmocka_unit_test(test_spread),        cmocka_unit_test(test_plan_refuses),
        cmocka_unit_test(test_oversubscribe), cmocka_unit_test(test_memory),
        cmocka_unit_test(test_host_fails),    cmocka_unit_test(test_no_host),
        cmocka_unit_test(test_wait),          cmocka_unit_test(test_never_after_failure),
        cmocka_unit_test(test_attempts),      cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_this_machine),  cmocka_unit_test(test_result_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
