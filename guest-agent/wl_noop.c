/* wl_noop — see wl_noop.h. */
#include "wl_noop.h"

static int wl_noop_arg(void *cfg, const char *key, const char *val, FILE *err)
{
    (void)cfg;
    (void)val;
    return wl_unknown_arg(&wl_noop, key, "none", err);
}

static int wl_noop_op(void *cfg, unsigned w, uint64_t now_ns)
{
    (void)cfg;
    (void)w;
    (void)now_ns;
    return 0;
}

const struct wl wl_noop = {
    .name = "noop",
    .help = "empty operation: the agent's own overhead per op",
    .arg = wl_noop_arg,
    .op = wl_noop_op,
};
