/* wl_cpu — see wl_cpu.h. */
#include "wl_cpu.h"

#include <string.h>

#define WL_CPU_DEFAULT_WORK 10000

struct wl_cpu_cfg {
    uint64_t work;
};

static void wl_cpu_defaults(void *cfg)
{
    ((struct wl_cpu_cfg *)cfg)->work = WL_CPU_DEFAULT_WORK;
}

static int wl_cpu_arg(void *cfg, const char *key, const char *val, FILE *err)
{
    if (!strcmp(key, "work"))
        return wl_arg_u64(key, val, 1, 1000000000, &((struct wl_cpu_cfg *)cfg)->work, err);
    return wl_unknown_arg(&wl_cpu, key, "work", err);
}

/* work rounds of xorshift64: integer work the compiler cannot fold away. */
static int wl_cpu_op(void *cfg, unsigned w, uint64_t now_ns)
{
    uint64_t x = now_ns | 1, n = ((struct wl_cpu_cfg *)cfg)->work;
    volatile uint64_t sink;

    (void)w;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    sink = x;
    (void)sink;
    return 0;
}

const struct wl wl_cpu = {
    .name = "cpu",
    .help = "integer work per op (work=N xorshift rounds, default 10000)",
    .cfg_size = sizeof(struct wl_cpu_cfg),
    .defaults = wl_cpu_defaults,
    .arg = wl_cpu_arg,
    .op = wl_cpu_op,
};
