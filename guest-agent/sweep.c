/* sweep — see sweep.h. */
#ifndef VMSWEEP_VERSION
#define VMSWEEP_VERSION "unknown" /* the Makefile passes the real one */
#endif

#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "activity.h"
#include "hlog.h"
#include "level.h"
#include "progress.h"
#include "report.h"
#include "sysinfo.h"

#define SWEEP_KILL_GRACE_MS 1000

/* The open outputs of one sweep. */
struct out {
    int dirfd;
    FILE *csv, *jsonl, *hlog;
    char csv_path[PATH_MAX], jsonl_path[PATH_MAX], sum_path[PATH_MAX], hlog_path[PATH_MAX];
};

static int sweep_sigpipe[2] = {-1, -1};
static volatile sig_atomic_t sweep_signal;

static void on_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;

    if (!sweep_signal)
        sweep_signal = sig;
    if (write(sweep_sigpipe[1], &c, 1) < 0) {
        /* the pipe is full: a wake-up is already pending */
    }
    errno = saved;
}

/* mkdir -p; 0 or -1 with errno set. */
static int mkdirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Create the output dir and the three files (a fresh name: never overwrite a sweep). */
static int out_open(struct out *o, const char *dir)
{
    char abs[PATH_MAX], stamp[32], base[PATH_MAX + 64];
    time_t now = time(NULL);
    struct tm tm;
    int fds[3] = {-1, -1, -1};

    if (mkdirs(dir) < 0 || !realpath(dir, abs)) {
        fprintf(stderr, "vmsweep-agent: cannot create the output directory '%s': %s\n", dir,
                strerror(errno));
        return -1;
    }
    o->dirfd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->dirfd < 0) {
        fprintf(stderr, "vmsweep-agent: cannot open the output directory '%s': %s\n", abs,
                strerror(errno));
        return -1;
    }
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
    for (int k = 1; k < 100; k++) {
        if (k == 1)
            snprintf(base, sizeof(base), "%s/sweep_%s", abs, stamp);
        else
            snprintf(base, sizeof(base), "%s/sweep_%s_%d", abs, stamp, k);
        snprintf(o->csv_path, sizeof(o->csv_path), "%.4000s.csv", base);
        snprintf(o->jsonl_path, sizeof(o->jsonl_path), "%.4000s.jsonl", base);
        snprintf(o->sum_path, sizeof(o->sum_path), "%.4000s_summary.txt", base);
        snprintf(o->hlog_path, sizeof(o->hlog_path), "%.4000s.hlog", base);
        if (access(o->csv_path, F_OK) == 0 || access(o->jsonl_path, F_OK) == 0 ||
            access(o->sum_path, F_OK) == 0)
            continue;
        fds[0] = open(o->csv_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fds[0] < 0 && errno == EEXIST)
            continue;
        fds[1] = open(o->jsonl_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        /* Appended to by each run's child process, one line (one write) per run. */
        fds[2] = open(o->hlog_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        break;
    }
    if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || !(o->csv = fdopen(fds[0], "w")) ||
        !(o->jsonl = fdopen(fds[1], "w")) || !(o->hlog = fdopen(fds[2], "w"))) {
        fprintf(stderr, "vmsweep-agent: cannot create the result files in '%s': %s\n", abs,
                strerror(errno));
        if (!o->csv && fds[0] >= 0)
            close(fds[0]);
        if (!o->jsonl && fds[1] >= 0)
            close(fds[1]);
        if (fds[2] >= 0)
            close(fds[2]);
        return -1;
    }
    return 0;
}

static void out_close(struct out *o)
{
    if (o->csv)
        fclose(o->csv);
    if (o->jsonl)
        fclose(o->jsonl);
    if (o->hlog)
        fclose(o->hlog);
    if (o->dirfd >= 0)
        close(o->dirfd);
}

/* Flush f to disk. */
static int sync_file(FILE *f)
{
    return fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
}

/* Append r to both files and make it durable (files and directory). */
static int out_row(struct out *o, const struct row *r)
{
    if (row_write_csv(o->csv, r) < 0 || row_write_jsonl(o->jsonl, r) < 0 || sync_file(o->csv) < 0 ||
        sync_file(o->jsonl) < 0 || fsync(o->dirfd) < 0) {
        fprintf(stderr, "vmsweep-agent: cannot write the results to '%s': %s\n", o->csv_path,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Write the summary file. */
static int out_summary(struct out *o, const struct opts *op, const struct row *rows, size_t n,
                       const char *status)
{
    char title[512];
    FILE *f = fopen(o->sum_path, "w");
    int rc;

    if (!f) {
        fprintf(stderr, "vmsweep-agent: cannot create '%s': %s\n", o->sum_path, strerror(errno));
        return -1;
    }
    snprintf(title, sizeof(title),
             "vmsweep-agent %s: plan '%s', workload %s, %u online CPUs, %u CPU threads, "
             "clock read %.1f ns",
             VMSWEEP_VERSION, op->plan, op->wl->name, op->online_cpus, op->cpu_threads,
             rows && n ? rows[0].clock_ns : 0.0);
    rc = report_write(f, title, rows, n, status);
    if (sync_file(f) < 0)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "vmsweep-agent: cannot write '%s'\n", o->sum_path);
    fsync(o->dirfd);
    return rc;
}

/* In the child: run once, send the result, exit. */
static void child_main(const struct opts *o, const struct level_params *p, int wfd)
{
    struct level_result res;
    const char *w;
    size_t left = sizeof(res);

    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    dup2(STDERR_FILENO, STDOUT_FILENO); /* the agent's stdout is for the result paths */
    if (level_run(o->wl, o->wl_cfg, p, &res) < 0)
        _exit(1);
    for (w = (const char *)&res; left;) {
        ssize_t n = write(wfd, w, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(1);
        w += n;
        left -= (size_t)n;
    }
    _exit(0);
}

/* Wait for pid up to ms (-1: forever); 1 when reaped, 0 when still running. */
static int reap(pid_t pid, int ms, int *st, struct rusage *ru)
{
    for (int waited = 0;; waited += 10) {
        pid_t r = wait4(pid, st, ms < 0 ? 0 : WNOHANG, ru);
        if (r == pid)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* not our child any more: nothing to wait for */
        if (ms >= 0 && waited >= ms)
            return 0;
        if (ms >= 0)
            usleep(10000);
    }
}

/* One (level, run) in a child with a timeout; fills the measured fields of r. */
static void run_one(const struct opts *o, const struct level_params *p, struct row *r)
{
    struct level_result res;
    struct rusage ru = {0};
    int fds[2], st = 0, got = 0, killed = 0;
    size_t have = 0;
    uint64_t deadline = wl_now_ns() + p->timeout_ns;
    pid_t pid;

    r->qps = r->p50_us = r->p90_us = r->p99_us = r->max_us = 0;
    r->mean_us = r->little_ratio = r->fairness = r->p999_us = r->wait_cpus = NAN;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        fprintf(stderr, "vmsweep-agent: pipe: %s\n", strerror(errno));
        r->exit_code = 1;
        return;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        close(fds[0]);
        child_main(o, p, fds[1]);
    }
    close(fds[1]);
    if (pid < 0) {
        fprintf(stderr, "vmsweep-agent: fork: %s\n", strerror(errno));
        close(fds[0]);
        r->exit_code = 1;
        return;
    }
    setpgid(pid, pid);
    for (;;) {
        struct pollfd pf[2] = {{fds[0], POLLIN, 0}, {sweep_sigpipe[0], POLLIN, 0}};
        uint64_t now = wl_now_ns();
        int ms;
        if (sweep_signal || now >= deadline) {
            killed = !sweep_signal;
            break;
        }
        ms = (int)((deadline - now) / 1000000) + 1;
        if (poll(pf, 2, ms) < 0 && errno != EINTR)
            break;
        if (pf[0].revents) {
            ssize_t n = read(fds[0], (char *)&res + have, sizeof(res) - have);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; /* the child exited without a result */
            have += (size_t)n;
            if (have == sizeof(res)) {
                got = 1;
                break;
            }
        }
    }
    close(fds[0]);
    if (got || !(killed || sweep_signal)) {
        reap(pid, -1, &st, &ru);
    } else {
        kill(-pid, SIGTERM);
        if (!reap(pid, SWEEP_KILL_GRACE_MS, &st, &ru)) {
            kill(-pid, SIGKILL);
            reap(pid, -1, &st, &ru);
        }
    }
    kill(-pid, SIGKILL); /* anything the run left behind in its process group */
    r->timeout_killed = killed;
    r->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->ru_maxrss = ru.ru_maxrss;
    if (!got)
        return;
    if (res.exit_code)
        r->exit_code = res.exit_code;
    r->qps = res.qps;
    r->p50_us = res.p50_us;
    r->p90_us = res.p90_us;
    r->p99_us = res.p99_us;
    r->max_us = res.max_us;
    r->p999_us = res.p999_us;
    r->mean_us = res.mean_us;
    r->errors = res.errors;
    r->ops = res.ops;
    r->fairness = res.fairness;
    r->wait_cpus = res.wait_cpus;
    r->little_ratio = row_little_ratio(r->qps, r->mean_us, r->concurrency);
}

int sweep_run(const struct opts *o, double clock_ns)
{
    struct out out = {.dirfd = -1};
    uint64_t hlog_t0_ns = 0;
    struct progress pg;
    struct activity_mark mark0, mark1;
    int have_mark;
    struct row *rows = NULL;
    struct sigaction sa;
    size_t n = 0, total = o->nlevels * o->runs;
    char status[64] = "complete", machine[ROW_ARCH_MAX] = "";
    struct utsname un;
    int ret = SWEEP_EXIT_FAILED;

    if (uname(&un) == 0 && strlen(un.machine) < sizeof(machine))
        memcpy(machine, un.machine, strlen(un.machine) + 1);
    if (pipe2(sweep_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        fprintf(stderr, "vmsweep-agent: pipe: %s\n", strerror(errno));
        return SWEEP_EXIT_FAILED;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rows = calloc(total, sizeof(*rows));
    if (!rows) {
        fprintf(stderr, "vmsweep-agent: out of memory\n");
        goto cleanup;
    }
    if (out_open(&out, o->output_dir) < 0)
        goto cleanup;
    if (row_write_csv_header(out.csv) < 0 || sync_file(out.csv) < 0 || fsync(out.dirfd) < 0) {
        fprintf(stderr, "vmsweep-agent: cannot write '%s': %s\n", out.csv_path, strerror(errno));
        goto cleanup;
    }
    {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        hlog_t0_ns = wl_now_ns();
        if (hlog_write_header(out.hlog, (double)now.tv_sec + (double)now.tv_nsec / 1e9) < 0) {
            fprintf(stderr, "vmsweep-agent: cannot write '%s': %s\n", out.hlog_path,
                    strerror(errno));
            goto cleanup;
        }
    }
    progress_init(&pg, stderr, o->quiet, (unsigned)o->nlevels, (unsigned)o->runs);
    have_mark = activity_mark(&mark0) == 0;
    for (size_t li = 0; li < o->nlevels && !sweep_signal; li++) {
        for (unsigned run = 0; run < o->runs && !sweep_signal; run++) {
            struct level_params p = {
                .concurrency = (unsigned)o->levels[li],
                .threads = o->cpu_threads,
                .duration_ns = o->duration_us * 1000,
                .warmup = o->warmup,
                .timeout_ns = o->timeout_us * 1000,
                .rate = o->rate,
                .hlog_fd = fileno(out.hlog),
                .hlog_t0_ns = hlog_t0_ns,
            };
            struct row *r = &rows[n];
            snprintf(r->plan, sizeof(r->plan), "%s", o->plan);
            memcpy(r->arch, machine, sizeof(r->arch));
            r->vcpus = o->online_cpus;
            r->cpu_threads = o->cpu_threads;
            r->async = o->wl->async;
            r->io_threads = r->async ? (p.threads < p.concurrency ? p.threads : p.concurrency) : 0;
            r->concurrency = p.concurrency;
            r->duration_sec = (double)o->duration_us / 1e6;
            r->run_idx = run;
            r->clock_ns = clock_ns;
            struct activity_mark ra, rb;
            struct activity ract;
            int have_ra;
            progress_start(&pg, (unsigned)li, p.concurrency, run);
            have_ra = activity_mark(&ra) == 0;
            run_one(o, &p, r);
            /* How busy the machine was by its own account, and with what else: the host
             * compares the first with the CPU time it gave the vCPUs (cpu_share). */
            r->busy_cpus = r->other_cpus = r->cpu_share = NAN;
            if (have_ra && activity_mark(&rb) == 0) {
                activity_between(&ra, &rb, &ract);
                r->busy_cpus = ract.busy_share * (double)o->online_cpus;
                r->other_cpus = ract.other_share * (double)o->online_cpus;
            }
            r->offered_qps = o->rate ? (double)o->rate : NAN;
            if (sweep_signal && !r->timeout_killed && r->ops == 0 && r->qps == 0)
                break; /* interrupted mid-run: no row for a run that did not finish */
            r->ts = (int64_t)time(NULL);
            n++;
            if (out_row(&out, r) < 0)
                goto cleanup;
            progress_done(&pg, (unsigned)li, r);
        }
    }
    progress_clear(&pg);
    /* What else ran in the guest meanwhile (the harness records it in manifest.json). */
    if (have_mark && activity_mark(&mark1) == 0) {
        struct activity act;
        char line[256];
        activity_between(&mark0, &mark1, &act);
        activity_format(&act, line, sizeof(line));
        fprintf(stderr, "%s\n", line);
    }
    if (sweep_signal)
        snprintf(status, sizeof(status), "interrupted by %s after %zu of %zu runs",
                 sweep_signal == SIGINT ? "SIGINT" : "SIGTERM", n, total);
    if (out_summary(&out, o, rows, n, status) < 0)
        goto cleanup;
    if (printf("csv=%s\njsonl=%s\nsummary=%s\n", out.csv_path, out.jsonl_path, out.sum_path) < 0 ||
        fflush(stdout) != 0)
        goto cleanup;
    if (sweep_signal)
        fprintf(stderr, "vmsweep-agent: %s; kept %zu row(s)\n", status, n);
    ret = sweep_signal ? 128 + sweep_signal : SWEEP_EXIT_OK;
cleanup:
    out_close(&out);
    free(rows);
    return ret;
}
