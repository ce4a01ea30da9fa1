/* Unit tests for plot/interfere.c (the decision, from samples recorded on this machine
 * kind), harness/rowmark.c (the verdict written into the agent's files, read back) and
 * the analysis leaving starved runs out. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis.h"
#include "csv.h"
#include "fsutil.h"
#include "interfere.h"
#include "rowmark.h"

/* Recorded in a 2-vCPU TCG guest on a 2-CPU host (manifest.json's starved runs and the
 * quiet runs of the same sweep): vCPU threads' CPUs, the guest's busy CPUs. */
static void test_vm_recorded(void **state)
{
    static const struct {
        double got, busy, cap, share;
        bool spoiled;
    } c[] = {
        {1.96, 2.00, 2, 0.980, false}, /* quiet host, cpu-bound */
        {1.01, 1.01, 2, 1.000, false}, /* quiet, one worker */
        {1.18, 1.99, 2, 0.593, true},  /* three host hogs started */
        {0.98, 2.00, 2, 0.490, true},  {1.42, 1.99, 2, 0.714, true},
        {0.97, 2.00, 1, 0.970, false}, /* a 50% cap on 2 vCPUs: 1 CPU is all it may have */
        {1.90, 2.00, 4, 0.950, false}, /* busy cannot exceed the vCPUs it has */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
        double s = interfere_vm_share(c[i].busy, c[i].cap, c[i].got);
        if (fabs(s - c[i].share) > 0.001 || interfere_spoiled(s) != c[i].spoiled)
            fail_msg("case %zu: share %.3f, expected %.3f", i, s, c[i].share);
    }
    /* An idle guest asks too little to judge; unknown inputs are unknown. */
    assert_true(isnan(interfere_vm_share(0.1, 2, 0.02)));
    assert_true(isnan(interfere_vm_share(NAN, 2, 1)));
    assert_true(isnan(interfere_vm_share(2, 2, NAN)));
    assert_false(interfere_spoiled(NAN));
    assert_true(interfere_vm_share(2, 2, 2.3) == 1); /* QEMU's own work on top: capped */
}

/* Recorded with `vmsweep local --workload cpu` on a 2-CPU host, quiet and beside one
 * busy loop: busy, others, wait (the workers' run delay) in CPUs. */
static void test_local_recorded(void **state)
{
    (void)state;
    /* quiet: c=4 on 2 CPUs waits for its own threads, not for others */
    assert_true(interfere_local_share(1.99, 0.01, 1.99, 2, 2) > 0.98);
    /* one worker beside a busy loop: it had its CPU */
    assert_true(interfere_local_share(1.99, 1.00, 0.00, 2, 2) == 1);
    /* two workers beside it: 2/3 of 2 CPUs */
    double s = interfere_local_share(2.00, 0.69, 0.68, 2, 2);
    assert_true(fabs(s - 0.658) < 0.001 && interfere_spoiled(s));
    /* no schedstat (an event loop): a saturated machine counts the others against it */
    assert_true(interfere_spoiled(interfere_local_share(2.00, 1.00, NAN, 2, 2)));
    assert_true(interfere_local_share(1.00, 0.50, NAN, 2, 2) == 1);
    assert_true(isnan(interfere_local_share(NAN, 0, 0, 2, 2)));
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/vmsweep-test-interfere-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static char *write_file(const char *dir, const char *name, const char *text)
{
    char *p = fsutil_printf("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char csv_text[] =
    "ts,plan,vcpus,cpu_threads,concurrency,duration_sec,run_idx,qps,p50_us,p90_us,p99_us,"
    "busy_cpus,cpu_share\n"
    "1,\"a,\"\"b\"\"\",2,2,1,2,0,100,10,20,30,1.00,\n"
    "2,\"a,\"\"b\"\"\",2,2,1,2,1,102,10,20,30,1.00,\n"
    "3,\"a,\"\"b\"\"\",2,2,2,2,0,50,10,20,30,2.00,\n"
    "4,\"a,\"\"b\"\"\",2,2,2,2,1,200,10,20,30,2.00,\n"
    "5,\"a,\"\"b\"\"\",2,2,2,2,2,198,10,20,30,2.00,\n";

static const char jsonl_text[] =
    "{\"ts\":1,\"plan\":\"\\\"cpu_share\\\":1,\",\"concurrency\":1,\"run_idx\":0,\"cpu_share\":"
    "null}\n"
    "{\"ts\":3,\"plan\":\"x\",\"concurrency\":2,\"run_idx\":0,\"cpu_share\":null}\n";

/* The verdict lands in the right rows of both files, every other byte stays, and the
 * analysis leaves the starved row out with a warning naming it. */
static void test_mark_and_analyse(void **state)
{
    char *dir = tmpdir(), *csv = write_file(dir, "sweep_1.csv", csv_text);
    char *jsonl = write_file(dir, "sweep_1.jsonl", jsonl_text), *got = NULL;
    struct rowmark m[] = {{2, 0, 0.49}, {2, 1, 0.985}, {1, 0, 1}, {7, 0, 0.1}};
    struct csv_table *t = NULL;
    struct analysis *a = NULL;
    const char *paths[1] = {csv};
    bool warned = false;
    (void)state;

    assert_int_equal(rowmark_apply(csv, m, 4), 0);
    assert_int_equal(csv_read(csv, stderr, &t), 0);
    assert_int_equal(t->n, 5);
    assert_true(fabs(t->rows[2].cpu_share - 0.49) < 1e-9);
    assert_true(fabs(t->rows[3].cpu_share - 0.985) < 1e-9);
    assert_true(t->rows[0].cpu_share == 1 && isnan(t->rows[1].cpu_share));
    assert_string_equal(t->rows[2].plan, "a,\"b\"");
    csv_free(t);
    assert_int_equal(fsutil_read_file(csv, &got, NULL), 0);
    assert_non_null(strstr(got, "4,\"a,\"\"b\"\"\",2,2,2,2,1,200,10,20,30,2.00,0.985\n"));
    assert_non_null(strstr(got, "2,\"a,\"\"b\"\"\",2,2,1,2,1,102,10,20,30,1.00,\n"));
    free(got);
    assert_int_equal(fsutil_read_file(jsonl, &got, NULL), 0);
    assert_string_equal(got, "{\"ts\":1,\"plan\":\"\\\"cpu_share\\\":1,\",\"concurrency\":1,"
                             "\"run_idx\":0,\"cpu_share\":1.000}\n"
                             "{\"ts\":3,\"plan\":\"x\",\"concurrency\":2,\"run_idx\":0,"
                             "\"cpu_share\":0.490}\n");
    free(got);
    /* Applying again changes nothing: a pull brings unmarked copies, marks are redone. */
    assert_int_equal(rowmark_apply(csv, m, 4), 0);

    assert_int_equal(analysis_load(paths, 1, 0, stderr, &a), 0);
    assert_int_equal(a->groups[0].levels[1].runs, 2);
    assert_int_equal(a->groups[0].levels[1].interfered, 1);
    assert_true(fabs(a->groups[0].levels[1].qps - 199) < 1e-9); /* 50 is left out */
    for (size_t i = 0; i < a->groups[0].n_warnings; i++)
        warned |= strstr(a->groups[0].warnings[i], "N=2, run 1: starved by a busy host") != NULL;
    assert_true(warned);
    analysis_free(a);

    unlink(csv);
    unlink(jsonl);
    rmdir(dir);
    free(csv);
    free(jsonl);
    free(dir);
}

/* A CSV from an agent without the column is left as it was. */
static void test_old_file(void **state)
{
    char *dir = tmpdir();
    char *csv = write_file(dir, "sweep_2.csv",
                           "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n"
                           "x,1,1,5,1,2,3\n");
    char *got = NULL;
    struct rowmark m = {1, 0, 0.2};
    (void)state;
    assert_int_equal(rowmark_apply(csv, &m, 1), 0);
    assert_int_equal(fsutil_read_file(csv, &got, NULL), 0);
    assert_string_equal(got, "plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\nx,1,1,5,1,2,3\n");
    free(got);
    /* A cpu_share column without the columns that name a run (found by fuzz_rowmark:
     * it read before its field array). */
    free(csv);
    csv = write_file(dir, "sweep_2.csv", "plan,cpu_share\nx,\n");
    assert_int_equal(rowmark_apply(csv, &m, 1), 0);
    assert_int_equal(fsutil_read_file(csv, &got, NULL), 0);
    assert_string_equal(got, "plan,cpu_share\nx,\n");
    free(got);
    unlink(csv);
    rmdir(dir);
    free(csv);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vm_recorded),
        cmocka_unit_test(test_local_recorded),
        cmocka_unit_test(test_mark_and_analyse),
        cmocka_unit_test(test_old_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
