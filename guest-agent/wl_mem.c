/* wl_mem — see wl_mem.h. */
#include "wl_mem.h"

#include <stdlib.h>
#include <string.h>

#define WL_MEM_DEFAULT_WSS (64ULL << 20)
#define WL_MEM_LINE        64

struct wl_mem_cfg {
    uint64_t wss;
    unsigned char *buf;
};

static void wl_mem_defaults(void *cfg)
{
    ((struct wl_mem_cfg *)cfg)->wss = WL_MEM_DEFAULT_WSS;
}

static int wl_mem_arg(void *cfg, const char *key, const char *val, FILE *err)
{
    if (!strcmp(key, "wss"))
        return wl_arg_size(key, val, 4096, 1ULL << 40, &((struct wl_mem_cfg *)cfg)->wss, err);
    return wl_unknown_arg(&wl_mem, key, "wss", err);
}

/* Allocate the working set once per run and fault it in, so ops measure memory, not faults. */
static int wl_mem_init(void *cfg, const struct wl_ctx *ctx)
{
    struct wl_mem_cfg *c = cfg;

    (void)ctx;
    c->buf = malloc(c->wss);
    if (!c->buf) {
        fprintf(stderr, "vmsweep-agent: cannot allocate the %llu-byte working set of mem\n",
                (unsigned long long)c->wss);
        return -1;
    }
    memset(c->buf, 1, c->wss);
    return 0;
}

/* Read one byte per cache line of the working set, each worker from its own offset. */
static int wl_mem_op(void *cfg, unsigned w, uint64_t now_ns)
{
    const struct wl_mem_cfg *c = cfg;
    size_t n = c->wss / WL_MEM_LINE, start = ((size_t)w * 4099) % n;
    volatile unsigned char *b = c->buf;
    unsigned sum = 0;

    (void)now_ns;
    for (size_t i = start; i < n; i++)
        sum += b[i * WL_MEM_LINE];
    for (size_t i = 0; i < start; i++)
        sum += b[i * WL_MEM_LINE];
    return sum == 0xffffffffu ? -1 : 0;
}

const struct wl wl_mem = {
    .name = "mem",
    .help = "read a shared working set per op, one byte per cache line (wss=SIZE, default 64M)",
    .cfg_size = sizeof(struct wl_mem_cfg),
    .defaults = wl_mem_defaults,
    .arg = wl_mem_arg,
    .init = wl_mem_init,
    .op = wl_mem_op,
};
