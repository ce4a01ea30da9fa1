/* wl_exec — see wl_exec.h. */
#include "wl_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdsplit.h"

extern char **environ;

struct wl_exec_cfg {
    struct wl_command command; /* --arg cmd=..., --arg shell=0|1 */
    char **argv;
    posix_spawn_file_actions_t fa;
};

static int wl_exec_arg(void *cfg, const char *key, const char *val, FILE *err)
{
    return wl_command_arg(&wl_exec, &((struct wl_exec_cfg *)cfg)->command, key, val, err);
}

static int wl_exec_check(void *cfg, FILE *err)
{
    return wl_command_check(&wl_exec, &((struct wl_exec_cfg *)cfg)->command, err);
}

static int wl_exec_init(void *cfg, const struct wl_ctx *ctx)
{
    struct wl_exec_cfg *c = cfg;
    char msg[256];

    (void)ctx;
    if (c->command.shell) {
        c->argv = calloc(4, sizeof(char *));
        if (!c->argv || !(c->argv[0] = strdup("/bin/sh")) || !(c->argv[1] = strdup("-c")) ||
            !(c->argv[2] = strdup(c->command.cmd))) {
            fprintf(stderr, "vmsweep-agent: out of memory\n");
            return -1;
        }
    } else if (cmdsplit(c->command.cmd, &c->argv, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "vmsweep-agent: invalid --arg cmd='%s': %s\n", c->command.cmd, msg);
        return -1;
    }
    /* The agent's stdout carries only its result paths: the command's goes to /dev/null. */
    if (posix_spawn_file_actions_init(&c->fa) != 0 ||
        posix_spawn_file_actions_addopen(&c->fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_addopen(&c->fa, 1, "/dev/null", O_WRONLY, 0) != 0) {
        fprintf(stderr, "vmsweep-agent: cannot prepare the exec workload\n");
        return -1;
    }
    return 0;
}

static int wl_exec_op(void *cfg, unsigned w, uint64_t now_ns)
{
    struct wl_exec_cfg *c = cfg;
    pid_t pid;
    int st;

    (void)w;
    (void)now_ns;
    if (posix_spawnp(&pid, c->argv[0], &c->fa, NULL, c->argv, environ) != 0)
        return -1;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

const struct wl wl_exec = {
    .name = "exec",
    .help = "fork/exec a command per op (cmd=\"prog args\", shell=1 for /bin/sh -c); "
            "non-zero exit is an error",
    .cfg_size = sizeof(struct wl_exec_cfg),
    .arg = wl_exec_arg,
    .check = wl_exec_check,
    .init = wl_exec_init,
    .op = wl_exec_op,
};
