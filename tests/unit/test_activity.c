/* Unit tests for guest-agent/activity.c: marks from this machine, the line the agent
 * prints and the harness's parse of it (round trip, and hostile lines refused). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "activity.h"

static void test_marks(void **state)
{
    struct activity_mark a, b;
    struct activity act;
    (void)state;
    assert_int_equal(activity_mark(&a), 0);
    /* a child that burns CPU and is waited for counts as the agent's own */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        volatile double x = 0;
        for (long i = 0; i < 30000000; i++)
            x += (double)i;
        _exit(0);
    }
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(activity_mark(&b), 0);
    assert_true(b.own_cpu_s > a.own_cpu_s);
    assert_true(b.processes >= a.processes + 1); /* the fork above */
    activity_between(&a, &b, &act);
    assert_true(act.wall_s > 0);
    assert_true(act.other_cpu_s >= 0);
    assert_true(act.created >= 1);
}

/* Shares are of the ticks the machine accounted: a starved guest that lost half its
 * ticks still reports how busy it was. */
static void test_shares(void **state)
{
    struct activity_mark a = {.t_s = 0, .busy_s = 10, .total_s = 20, .own_cpu_s = 1};
    struct activity_mark b = {.t_s = 2, .busy_s = 11.5, .total_s = 22, .own_cpu_s = 2};
    struct activity act;
    (void)state;
    activity_between(&a, &b, &act);
    assert_true(fabs(act.busy_share - 0.75) < 1e-12);
    assert_true(fabs(act.other_share - 0.25) < 1e-12);
    b.total_s = a.total_s; /* no tick passed: no share */
    activity_between(&a, &b, &act);
    assert_true(isnan(act.busy_share) && isnan(act.other_share));
}

static void test_round_trip(void **state)
{
    struct activity a = {18.25, 0.125, 340, 12, NAN, NAN}, b;
    char line[256];
    (void)state;
    activity_format(&a, line, sizeof(line));
    assert_string_equal(line, "guest activity during the sweep: other_cpu_s=0.125 wall_s=18.250 "
                              "other_ctxt=340 created=12");
    memset(&b, 0, sizeof(b));
    assert_int_equal(activity_parse(line, &b), 0);
    assert_true(fabs(b.other_cpu_s - 0.125) < 1e-9 && fabs(b.wall_s - 18.25) < 1e-9);
    assert_true(b.other_ctxt == 340 && b.created == 12);
}

static void test_hostile_lines(void **state)
{
    static const char *const bad[] = {
        "level 1/3 concurrency=1 run 1/3: qps=5",
        "guest activity during the sweep: other_cpu_s=nan wall_s=1 other_ctxt=1 created=1",
        "guest activity during the sweep: other_cpu_s=-1 wall_s=1 other_ctxt=1 created=1",
        "guest activity during the sweep: other_cpu_s=1 wall_s=1e300 other_ctxt=1 created=1",
        "guest activity during the sweep: other_cpu_s=1 wall_s=1 other_ctxt=1",
        "guest activity during the sweep: other_cpu_s=1x wall_s=1 other_ctxt=1 created=1",
        "guest activity during the sweep: other_cpu_s=1 wall_s=1 other_ctxt=1e16 created=1",
    };
    struct activity a = {7, 7, 7, 7, 7, 7};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (activity_parse(bad[i], &a) == 0)
            fail_msg("accepted: %s", bad[i]);
    assert_true(a.wall_s == 7 && a.created == 7); /* untouched */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_shares),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_hostile_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
