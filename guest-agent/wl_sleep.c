/* wl_sleep — see wl_sleep.h. */
#include "wl_sleep.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#define WL_SLEEP_DEFAULT_US 1000

struct wl_sleep_cfg {
    uint64_t us;
};

static void wl_sleep_defaults(void *cfg)
{
    ((struct wl_sleep_cfg *)cfg)->us = WL_SLEEP_DEFAULT_US;
}

static int wl_sleep_arg(void *cfg, const char *key, const char *val, FILE *err)
{
    if (!strcmp(key, "us"))
        return wl_arg_u64(key, val, 1, 10000000, &((struct wl_sleep_cfg *)cfg)->us, err);
    return wl_unknown_arg(&wl_sleep, key, "us", err);
}

/* Timer slack (50 µs by default) would be measured as latency: ask for 1 ns.  Threads
 * created afterwards inherit it. */
static int wl_sleep_init(void *cfg, const struct wl_ctx *ctx)
{
    (void)cfg;
    (void)ctx;
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    return 0;
}

/* Sleep until the op's start + us: the agent's own time since the clock read is not added. */
static int wl_sleep_op(void *cfg, unsigned w, uint64_t now_ns)
{
    uint64_t t = now_ns + ((struct wl_sleep_cfg *)cfg)->us * 1000;
    struct timespec ts = {(time_t)(t / 1000000000ULL), (long)(t % 1000000000ULL)};

    (void)w;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    return 0;
}

const struct wl wl_sleep = {
    .name = "sleep",
    .help = "sleep per op (us=N microseconds, default 1000)",
    .cfg_size = sizeof(struct wl_sleep_cfg),
    .defaults = wl_sleep_defaults,
    .arg = wl_sleep_arg,
    .init = wl_sleep_init,
    .op = wl_sleep_op,
};
