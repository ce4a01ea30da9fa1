/* wl — see wl.h. */
#include "wl.h"

#include "cmdsplit.h"
#include "wl_cmd.h"
#include "wl_cpu.h"
#include "wl_exec.h"
#include "wl_http.h"
#include "wl_mem.h"
#include "wl_noop.h"
#include "wl_sleep.h"

#include <string.h>
#include "units.h"
#include <time.h>

static const struct wl *const wl_all[] = {&wl_noop, &wl_cpu,  &wl_mem, &wl_sleep,
                                          &wl_exec, &wl_http, &wl_cmd};

const struct wl *wl_find(const char *name)
{
    for (size_t i = 0; i < sizeof(wl_all) / sizeof(wl_all[0]); i++)
        if (!strcmp(wl_all[i]->name, name))
            return wl_all[i];
    return NULL;
}

const struct wl *wl_at(size_t i)
{
    return i < sizeof(wl_all) / sizeof(wl_all[0]) ? wl_all[i] : NULL;
}

void wl_list(FILE *f)
{
    for (size_t i = 0; i < sizeof(wl_all) / sizeof(wl_all[0]); i++)
        fprintf(f, "  %-6s %s\n", wl_all[i]->name, wl_all[i]->help);
}

uint64_t wl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int wl_unknown_arg(const struct wl *w, const char *key, const char *known, FILE *err)
{
    fprintf(err, "vmsweep-agent: unknown --arg key '%s' for workload '%s' (known: %s)\n", key,
            w->name, known);
    return -1;
}

int wl_arg_u64(const char *key, const char *val, uint64_t min, uint64_t max, uint64_t *out,
               FILE *err)
{
    if (units_parse_u64(val, min, max, out) == 0)
        return 0;
    fprintf(err, "vmsweep-agent: invalid --arg %s='%s': expected an integer in [%llu, %llu]\n", key,
            val, (unsigned long long)min, (unsigned long long)max);
    return -1;
}

int wl_arg_size(const char *key, const char *val, uint64_t min, uint64_t max, uint64_t *out,
                FILE *err)
{
    char lo[32], hi[32];

    if (units_parse_size(val, 1, min, max, out) == 0)
        return 0;
    units_fmt_size(min, lo, sizeof(lo));
    units_fmt_size(max, hi, sizeof(hi));
    fprintf(err, "vmsweep-agent: invalid --arg %s='%s': expected a size in [%s, %s]\n", key, val,
            lo, hi);
    return -1;
}

int wl_command_arg(const struct wl *w, struct wl_command *c, const char *key, const char *val,
                   FILE *err)
{
    if (!strcmp(key, "cmd")) {
        c->cmd = val;
        return 0;
    }
    if (!strcmp(key, "shell"))
        return wl_arg_u64(key, val, 0, 1, &c->shell, err);
    return wl_unknown_arg(w, key, "cmd, shell", err);
}

int wl_command_check(const struct wl *w, const struct wl_command *c, FILE *err)
{
    char msg[256];
    char **argv;

    if (!c->cmd) {
        fprintf(err, "vmsweep-agent: workload '%s' needs --arg cmd=COMMAND\n", w->name);
        return -1;
    }
    if (c->shell)
        return 0;
    if (cmdsplit(c->cmd, &argv, msg, sizeof(msg)) < 0) {
        fprintf(err, "vmsweep-agent: invalid --arg cmd='%s': %s\n", c->cmd, msg);
        return -1;
    }
    cmdsplit_free(argv);
    return 0;
}
