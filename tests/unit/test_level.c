/* Unit tests for guest-agent/level.c: the open loop's schedule, and a short open-loop run
 * of the noop workload that keeps to its rate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "level.h"
#include "wl.h"

/* Worker id of n is due at start + (id + k n) / rate: together the workers' operations
 * are evenly spaced at 1 / rate. */
static void test_schedule(void **state)
{
    uint64_t seen[12];
    (void)state;
    for (unsigned id = 0; id < 3; id++)
        for (uint64_t k = 0; k < 4; k++)
            seen[id + k * 3] = level_intended_ns(1000, 1000.0, id, 3, k);
    for (size_t i = 0; i < 12; i++)
        assert_true(seen[i] == 1000 + i * 1000000);
    /* exact far into a long run: op 10^9 at 10^6/s is due 1000 s later */
    assert_true(level_intended_ns(0, 1e6, 0, 1, 1000000000ULL) == 1000000000000ULL);
}

static void test_open_loop_keeps_rate(void **state)
{
    const struct wl *w = wl_find("noop");
    struct level_params p = {.concurrency = 2,
                             .threads = 1,
                             .duration_ns = 300000000,
                             .warmup = 0,
                             .timeout_ns = 5000000000ULL,
                             .rate = 2000,
                             .hlog_fd = -1};
    struct level_result r;
    void *cfg;
    (void)state;
    assert_non_null(w);
    cfg = calloc(1, w->cfg_size ? w->cfg_size : 1);
    assert_non_null(cfg);
    if (w->defaults)
        w->defaults(cfg);
    assert_int_equal(level_run(w, cfg, &p, &r), 0);
    /* 2000/s for 0.3 s: 600 operations, none skipped on an idle noop */
    assert_true(r.ops >= 570 && r.ops <= 601);
    assert_true(fabs(r.qps - 2000) < 200);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_open_loop_keeps_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
