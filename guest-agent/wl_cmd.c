/* wl_cmd — see wl_cmd.h. */
#include "wl_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdsplit.h"

#define WL_CMD_KEEP (64u << 10) /* output bytes kept: the result line is at the end */

extern char **environ;

struct wl_cmd_cfg {
    struct wl_command command; /* --arg cmd=..., --arg shell=0|1 */
};

static int wl_cmd_arg(void *cfg, const char *key, const char *val, FILE *err)
{
    return wl_command_arg(&wl_cmd, &((struct wl_cmd_cfg *)cfg)->command, key, val, err);
}

static int wl_cmd_check(void *cfg, FILE *err)
{
    return wl_command_check(&wl_cmd, &((struct wl_cmd_cfg *)cfg)->command, err);
}

/* cmd with {concurrency}, {threads}, {duration} (seconds) and {warmup} substituted. */
static char *expand(const char *cmd, const struct wl_ctx *ctx)
{
    char vals[4][32];
    const char *keys[4] = {"{concurrency}", "{threads}", "{duration}", "{warmup}"};
    size_t cap = strlen(cmd) * 4 + 128, n = 0;
    char *out = malloc(cap);

    snprintf(vals[0], sizeof(vals[0]), "%u", ctx->concurrency);
    snprintf(vals[1], sizeof(vals[1]), "%u", ctx->threads);
    snprintf(vals[2], sizeof(vals[2]), "%g", (double)ctx->duration_ns / 1e9);
    snprintf(vals[3], sizeof(vals[3]), "%llu", (unsigned long long)ctx->warmup);
    if (!out)
        return NULL;
    for (const char *p = cmd; *p;) {
        size_t k = 0;
        while (k < 4 && strncmp(p, keys[k], strlen(keys[k])) != 0)
            k++;
        const char *add = k < 4 ? vals[k] : p;
        size_t alen = k < 4 ? strlen(vals[k]) : 1;
        if (n + alen + 1 > cap) {
            char *t = realloc(out, cap *= 2);
            if (!t) {
                free(out);
                return NULL;
            }
            out = t;
        }
        memcpy(out + n, add, alen);
        n += alen;
        p += k < 4 ? strlen(keys[k]) : 1;
    }
    out[n] = 0;
    return out;
}

/* Run the benchmark once, keep the tail of its stdout, and parse its result line. */
static int wl_cmd_run(void *cfg, struct wl_ctx *ctx)
{
    struct wl_cmd_cfg *c = cfg;
    posix_spawn_file_actions_t fa;
    char *line = NULL, *buf = NULL, msg[256];
    char *sh[4] = {"/bin/sh", "-c", NULL, NULL};
    char **argv = NULL;
    size_t len = 0;
    int fds[2] = {-1, -1}, fa_ok = 0, st, ret = -1;
    pid_t pid;

    line = expand(c->command.cmd, ctx);
    buf = malloc(WL_CMD_KEEP * 2);
    if (!line || !buf) {
        fprintf(stderr, "vmsweep-agent: out of memory\n");
        goto cleanup;
    }
    if (c->command.shell) {
        sh[2] = line;
    } else if (cmdsplit(line, &argv, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "vmsweep-agent: invalid --arg cmd='%s': %s\n", line, msg);
        goto cleanup;
    }
    if (pipe2(fds, O_CLOEXEC) < 0 || posix_spawn_file_actions_init(&fa) != 0) {
        fprintf(stderr, "vmsweep-agent: cannot start '%s': %s\n", line, strerror(errno));
        goto cleanup;
    }
    fa_ok = 1;
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    ctx->start_ns = wl_now_ns();
    errno = posix_spawnp(&pid, c->command.shell ? sh[0] : argv[0], &fa, NULL,
                         c->command.shell ? sh : argv, environ);
    if (errno != 0) {
        fprintf(stderr, "vmsweep-agent: cannot start '%s': %s\n", line, strerror(errno));
        goto cleanup;
    }
    close(fds[1]);
    fds[1] = -1;
    for (;;) {
        ssize_t r = read(fds[0], buf + len, WL_CMD_KEEP * 2 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len == WL_CMD_KEEP * 2) { /* keep the last half */
            memmove(buf, buf + WL_CMD_KEEP, WL_CMD_KEEP);
            len = WL_CMD_KEEP;
        }
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    ctx->end_ns = wl_now_ns();
    ctx->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (result_parse_output(buf, len, &ctx->res, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "vmsweep-agent: '%s' (exit %d): %s\n", line, ctx->exit_code, msg);
        goto cleanup;
    }
    ctx->direct = 1;
    ret = 0;
cleanup:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    cmdsplit_free(argv);
    free(line);
    free(buf);
    return ret;
}

const struct wl wl_cmd = {
    .name = "cmd",
    .help = "run your benchmark once per level (cmd=\"b -c {concurrency} -t {threads} -d "
            "{duration}\", shell=1); reads its last line: JSON or 17-column CSV",
    .cfg_size = sizeof(struct wl_cmd_cfg),
    .arg = wl_cmd_arg,
    .check = wl_cmd_check,
    .run = wl_cmd_run,
};
