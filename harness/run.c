#include "run.h"

#include "accel.h"
#include "activity.h"
#include "results.h"
#include "analysis.h"
#include "cancel.h"
#include "comparecmd.h"
#include "console.h"
#include "condwait.h"
#include "cpucheck.h"
#include "domxml.h"
#include "fsutil.h"
#include "guest.h"
#include "hostinfo.h"
#include "image.h"
#include "interfere.h"
#include "keys.h"
#include "log.h"
#include "manifest.h"
#include "placement.h"
#include "rowmark.h"
#include "salvage.h"
#include "units.h"
#include "vm.h"
#include "vmstate.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_AGENT_PATH    "/usr/local/bin/vmsweep-agent"
#define RUN_EMBED_URI     "qemu:///embed"
#define RUN_GUEST_OUT     "/results/out"
#define RUN_DISK_MIB      256
#define RUN_FEED_EVERY_MS 20000
/* A guest whose other processes used this share of its CPUs during the sweep is named
 * as not quiet (the agent's activity line). */
#define RUN_NOISY_GUEST 0.02
#define RUN_PORT_TRIES  5
/*
 * A healthy guest prints the kernel banner about 3 s after start under TCG here and in
 * well under a second under KVM.  A boot that shows nothing for this long is stuck (a
 * KVM that cannot run Linux, a kernel that does not boot on this machine type): fail it
 * with the console's last lines instead of waiting out the SSH boot timeout.  Generous,
 * because a busy host can slow TCG several times.
 */
#define RUN_KERNEL_WAIT_MS_TCG 60000
#define RUN_KERNEL_WAIT_MS_KVM 30000
/* vmsweep's images load the results disk's filesystem after SSH is up (init.sh) and say
 * when the disk is mounted: commands that need /results wait for that, 10 s at most. */
#define RUN_WAIT_GUEST_UP                                                                          \
    "if [ -e /etc/vmsweep/modules.late ]; then i=0; while [ ! -e /run/vmsweep.boot ] && "          \
    "[ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; fi; "
#define RUN_MOUNT_RESULTS                                                                          \
    RUN_WAIT_GUEST_UP                                                                              \
    "grep -q ' /results ' /proc/mounts || for b in /sys/block/vd*; do "                            \
    "[ \"$(cat $b/serial 2>/dev/null)\" = vmsweep-results ] && mkdir -p /results && "              \
    "mount -o noatime /dev/${b##*/} /results && mkdir -p /results/out; done; "                     \
    "grep -q ' /results ' /proc/mounts"

static volatile sig_atomic_t run_signal;
static volatile sig_atomic_t run_signals; /* how many came (2 is enough to know) */

static void run_on_signal(int sig)
{
    run_signal = sig;
    if (run_signals < 2)
        run_signals++;
}

void run_install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = run_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    /* The handler only sets a flag: the analysis and gnuplot poll it (cancel.h). */
    cancel_set_hook(run_interrupted);
}

int run_interrupted(void)
{
    return run_signal;
}

const char *run_status_name(enum run_status st)
{
    static const char *const names[] = {"complete", "incomplete", "failed"};
    return names[st];
}

/* What the sizes of one guest architecture share. */
struct run_arch {
    bool used;
    enum domxml_arch arch;
    struct image img;
    struct accel_choice accel;
    const char *cpu_model;           /* the model the VMs get (may be "host": --cpu-fallback) */
    struct spec_strv model_features; /* the model's features (libvirt names), when known */
};

/* "hvf", "kvm" or "tcg": the accelerator of a choice. */
static const char *run_accel_name(const struct accel_choice *a)
{
    return a->hvf ? "hvf" : a->kvm ? "kvm" : "tcg";
}

/* One libvirt host of the run: its connection and, per architecture, what its sizes
 * share there (boot files staged on it, its accelerator, the CPU check against it). */
struct run_host {
    const char *uri;                    /* as given; NULL: the embedded driver */
    struct vm_conn *conn;               /* NULL once the host is lost */
    struct run_arch arch[DOMXML_NARCH]; /* by enum domxml_arch; used: the run has such sizes */
    struct hostinfo info;               /* who it is, what it has */
    cJSON *id;                          /* info as recorded: copied into each size it ran */
    unsigned cpus;                      /* online CPUs (the domains' pinning and caps) */
    bool failed;                        /* lost: gets no more sizes */
    char hv[64], lv[64];                /* "QEMU 7.2.0", "libvirt 9.0.0" */
    char versions[200]; /* QEMU, libvirt and vmsweep versions: part of a state's key */
    char label[64];     /* its name in the log and the status line */
};

/* What one thread runs: a VM size, or a part of its repetitions (a CI gate's runs of one
 * size spread over several hosts). */
struct run_work {
    size_t size;    /* spec_size_count index */
    uint64_t runs;  /* its repetitions when parts > 1 */
    unsigned part;  /* 0-based */
    unsigned parts; /* 1: the whole size */
};

/* Everything shared by the sizes of one run.  Sizes on several hosts run in threads of
 * their own: lock guards csvs, ab_dirs, the progress and the status line. */
struct run_ctx {
    const struct spec *s;
    const struct run_opts *o;
    struct run_host *hosts;
    size_t nhosts;
    pthread_mutex_t lock;
    pthread_cond_t done;   /* a size's thread ended */
    unsigned vms_named;    /* domains named so far (under lock) */
    struct run_work *work; /* what the threads run, in order */
    size_t nwork;
    char (*status)[160]; /* per work item: what it is doing now, "" when not running */
    struct keys keys;
    char *manifest_path;
    cJSON *manifest;
    cJSON *sizes;
    struct spec_strv csvs;    /* CSVs brought home, for the analysis */
    struct spec_strv ab_dirs; /* --interleave: size folders with base/ and candidate/ */
    uint64_t t0_ms;           /* when the first size started, for the ETA */
    uint64_t runs_done, runs_total;
};

/*
 * Other processes' share of the host's CPUs during a sweep above which the numbers may be
 * low (a starved guest): the host's busy time minus our QEMU's and our own, in CPUs.
 */
#define RUN_BUSY_HOST_CPUS 0.25

/* Busy and total CPU time of the whole host (/proc/stat, clock ticks).  0 or -1. */
static int host_ticks(uint64_t *busy, uint64_t *total)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "re");
    int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                       &v[4], &v[5], &v[6], &v[7])
              : 0;

    if (f)
        fclose(f);
    if (n < 5)
        return -1;
    *total = 0;
    for (int i = 0; i < 8; i++)
        *total += v[i];
    *busy = *total - v[3] - v[4]; /* idle and iowait */
    return 0;
}

/* CPU time (user + system, clock ticks) of process pid so far; 0 when unknown. */
static uint64_t proc_ticks(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if (pid <= 0 || (f = fopen(path, "re")) == NULL)
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* After the command name, which may hold anything: ") S ppid ... utime stime". */
    p = strrchr(buf, ')');
    if (!p ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return ut + st;
}

/*
 * A snapshot of who used the host's CPUs, to say after a sweep whether others did: from
 * /proc in clock ticks for our own QEMU (the embedded driver), else from libvirt in ns
 * (a daemon's host, local or remote: the host's counters and the domain's cgroup).
 */
struct host_use {
    uint64_t busy, total, ours;
    uint64_t qemu; /* our own QEMU's ticks (all its threads), 0 when unknown */
    double cpus;   /* the host's CPUs */
    bool ok;
};

/* The CPUs' worth other processes used between a and b (NAN when unknown). */
static double host_use_others(const struct host_use *a, const struct host_use *b)
{
    if (!a->ok || !b->ok || b->total <= a->total || a->cpus < 1)
        return NAN;
    double others = (double)(b->busy - a->busy) - (double)(b->ours - a->ours);
    return fmax(others, 0) / (double)(b->total - a->total) * a->cpus;
}

/* One run judged for host interference (plot/interfere.h), from its progress line. */
struct size_judged {
    struct rowmark m;   /* concurrency, run_idx and cpu_share */
    char csv[96];       /* the pass's CSV (a name sweep_csv() accepts); "" until known */
    double got, busy;   /* CPUs the vCPU threads got; CPUs the guest says it was busy */
    double host_others; /* CPUs other host processes used meanwhile (NAN: unknown) */
    double emulator;    /* CPUs QEMU used beside the vCPUs (emulator and I/O threads; NAN) */
    bool rerun;         /* its level has been measured again */
};

/* A run shorter than this (from one progress line to the next) is not judged. */
#define RUN_JUDGE_MIN_MS 500

/* At most this many runs are judged per size (the rest are not). */
#define RUN_MAX_JUDGED 4096

/* One VM size in flight. */
struct size_ctx {
    struct run_ctx *run;
    const struct spec *s;  /* the run's spec, or its part's (runs split over hosts) */
    size_t slot;           /* its work item: the status line's slot */
    struct run_host *host; /* where it runs */
    struct run_arch *ra;   /* its architecture's image, accelerator, CPU model there */
    size_t idx;            /* which VM size */
    unsigned vcpus;
    struct vm *vm;
    struct guest *g;
    uint64_t next_feed_ms;
    uint64_t next_check_ms;
    unsigned port;
    uint64_t boot_t0;   /* when the VM's CPUs started */
    bool booting;       /* waiting for SSH: the console must show the kernel in time */
    bool no_progress;   /* the kernel printed nothing in time */
    bool agent_started; /* rows may be on the results disk from here on */
    bool vm_died;
    double host_others;       /* CPUs' worth other processes used during the sweep (NAN: unknown) */
    struct activity activity; /* what else ran in the guest during the sweep */
    cJSON *confirm;           /* --confirm's findings for the manifest (owned), or NULL */
    bool have_activity;
    /* Host interference: judging is set while an agent pass whose rows are analysed runs;
     * the vCPUs' CPU time and the host's use at the last progress line (or the pass's
     * start); the runs judged so far, in every pass. */
    bool judging;
    double cap_cpus; /* the CPU the vCPUs may have: vCPUs x cap, at most the host's CPUs */
    bool vt_ok;
    uint64_t vt_ns, vt_ms;
    struct host_use hu;
    struct size_judged *judged;
    size_t n_judged;
    unsigned reruns;     /* passes of --rerun-interfered done */
    bool restored;       /* started from a saved state */
    bool resync;         /* restored or paused for a snapshot: clock and RNG need the host's */
    bool host_lost;      /* the host failed under it (connection gone, VM could not start) */
    bool launch_failed;  /* the host would not start the VM */
    char label_arch[24]; /* " aarch64" when the run has several architectures */
    char label[128];
};

/* Who used the CPUs of sc's host until now (struct host_use). */
static void host_use_sample(struct host_use *u, const struct size_ctx *sc)
{
    pid_t qemu = vm_qemu_pid(sc->vm);
    uint64_t dom = 0;
    struct timespec ts;

    memset(u, 0, sizeof(*u));
    u->cpus = (double)sc->host->cpus;
    if (qemu > 0) {
        u->ok = host_ticks(&u->busy, &u->total) == 0;
        u->qemu = proc_ticks(qemu);
        u->ours = u->qemu + proc_ticks(getpid());
        return;
    }
    u->ok = vm_host_cpu(sc->vm, &u->busy, &u->total, &dom) == 0;
    u->ours = dom;
    /* On this host the harness's own work is ours too; on a remote one it runs here. */
    if (!vm_conn_remote(sc->host->conn) && clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0)
        u->ours += (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Tick while waiting for SSH or the agent: stop on a signal or a dead VM, feed the
 * guest's dead-man switch now and then (the feed must come from the host: a guest-side
 * feeder would keep a VM alive after its controller died). */
static int size_watch(struct size_ctx *sc);

static int size_tick(void *arg)
{
    if (run_signal)
        return -1;
    return size_watch(arg);
}

/* Tick while pulling: the first Ctrl-C stopped the sweep and its rows are still wanted,
 * so only a second one (or a dead VM, or the pull's own deadline) stops the pull. */
static int size_pull_tick(void *arg)
{
    if (run_signals >= 2)
        return -1;
    return size_watch(arg);
}

static int size_watch(struct size_ctx *sc)
{
    uint64_t now = guest_now_ms();

    if (sc->booting) {
        uint64_t wait = sc->ra->accel.kvm ? RUN_KERNEL_WAIT_MS_KVM : RUN_KERNEL_WAIT_MS_TCG;
        if (now - sc->boot_t0 > wait && vm_console(sc->vm) &&
            console_mark_ms(vm_console(sc->vm), CONSOLE_KERNEL) == 0) {
            sc->no_progress = true;
            return -1;
        }
    }
    if (now >= sc->next_check_ms) {
        sc->next_check_ms = now + 1000;
        if (!vm_running(sc->vm)) {
            sc->vm_died = true;
            return -1;
        }
    }
    if (sc->g && now >= sc->next_feed_ms) {
        int st;
        /* Feed at least three times per dead-man period, so one lost feed is harmless. */
        uint64_t every = (uint64_t)sc->s->deadman_s * 1000 / 3;
        sc->next_feed_ms = now + (every < RUN_FEED_EVERY_MS ? every : RUN_FEED_EVERY_MS);
        /* SETSTAT on the open SFTP channel: a feed forks nothing in the guest while it
         * measures; exec'ing touch is the fallback. */
        if (guest_touch(sc->g, "/run/vmsweep.feed") < 0 &&
            guest_exec(sc->g, "touch /run/vmsweep.feed", 5000, NULL, &st) < 0)
            log_debug("%s: could not feed the dead-man switch", sc->label);
    }
    return 0;
}

/* The whole run's status line: where it is and when it will end (from the time the runs
 * done so far took, boots included). */
static void run_status(const struct size_ctx *sc, const char *what)
{
    struct run_ctx *run = sc->run;
    const size_t n = spec_size_count(run->s);
    char eta[32] = "?", line[640] = "";
    uint64_t pct = 0;
    size_t off = 0;

    pthread_mutex_lock(&run->lock);
    snprintf(run->status[sc->slot], sizeof(run->status[0]), "size %zu/%zu (%u vCPU%s%s%s): %s",
             sc->idx + 1, n, sc->vcpus, sc->label_arch, run->nhosts > 1 ? " on " : "",
             run->nhosts > 1 ? sc->host->label : "", what);
    if (run->runs_done && run->runs_total) {
        uint64_t per = (guest_now_ms() - run->t0_ms) / run->runs_done;
        uint64_t left = run->runs_total > run->runs_done ? run->runs_total - run->runs_done : 0;
        units_fmt_duration(per * left * 1000, eta, sizeof(eta));
        pct = run->runs_done * 100 / run->runs_total;
    }
    /* Every running size, when several run at once (on several hosts). */
    for (size_t k = 0; k < run->nwork && off < sizeof(line); k++)
        if (run->status[k][0])
            off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", off ? " | " : "",
                                    run->status[k]);
    log_status("%s  %llu%% done, ETA %s", line, (unsigned long long)(pct > 99 ? 99 : pct), eta);
    pthread_mutex_unlock(&run->lock);
}

/* The baseline of a pass's first run: the vCPUs' CPU time and the host's use now. */
static void judge_begin(struct size_ctx *sc)
{
    sc->vt_ok = vm_vcpu_time(sc->vm, &sc->vt_ns) == 0;
    sc->vt_ms = guest_now_ms();
    host_use_sample(&sc->hu, sc);
}

/*
 * A run ended (its progress line, concurrency c, 0-based run r): how much CPU the vCPUs
 * got since the last line against how busy the guest says it was.  The line comes from
 * the guest: busy= is range-checked, and a line without it is not judged.
 */
static void judge_run(struct size_ctx *sc, const char *line, unsigned c, unsigned r)
{
    const char *b = strstr(line, " busy=");
    struct size_judged *j;
    struct host_use hu;
    uint64_t vt = 0, now = guest_now_ms();
    bool vt_ok = vm_vcpu_time(sc->vm, &vt) == 0;
    double busy = NAN, got = NAN;
    char *end;

    host_use_sample(&hu, sc);
    if (b) {
        busy = strtod(b + 6, &end);
        if (end == b + 6 || !(busy >= 0 && busy <= 1024))
            busy = NAN;
    }
    /* A failed run says no busy=; a window this short is mostly the agent's start-up and
     * the progress line's trip: neither is judged. */
    if (vt_ok && sc->vt_ok && vt >= sc->vt_ns && now >= sc->vt_ms + RUN_JUDGE_MIN_MS)
        got = (double)(vt - sc->vt_ns) / 1e6 / (double)(now - sc->vt_ms);
    if (sc->n_judged < RUN_MAX_JUDGED) {
        if (sc->n_judged % 64 == 0) {
            struct size_judged *nj = realloc(sc->judged, (sc->n_judged + 64) * sizeof(*nj));
            if (!nj)
                goto out;
            sc->judged = nj;
        }
        j = &sc->judged[sc->n_judged++];
        memset(j, 0, sizeof(*j));
        j->m.concurrency = c;
        j->m.run_idx = r;
        j->got = got;
        j->busy = busy;
        j->host_others = host_use_others(&sc->hu, &hu);
        /* QEMU's threads beside the vCPUs' (from /proc; a remote QEMU is not seen). */
        j->emulator = NAN;
        if (isfinite(got) && sc->hu.qemu && hu.qemu >= sc->hu.qemu)
            j->emulator = fmax((double)(hu.qemu - sc->hu.qemu) / (double)sysconf(_SC_CLK_TCK) /
                                       ((double)(now - sc->vt_ms) / 1000) -
                                   got,
                               0);
        j->m.share = interfere_vm_share(busy, sc->cap_cpus, got);
        if (interfere_spoiled(j->m.share))
            log_warn("%s: N=%u run %u: the vCPUs got %.0f%% of the CPU the guest called for "
                     "(%.2f of %.2f CPUs; other host processes used %.2f): host busy",
                     sc->label, c, r + 1, j->m.share * 100, got, fmin(busy, sc->cap_cpus),
                     j->host_others);
    }
out:
    sc->vt_ok = vt_ok;
    sc->vt_ns = vt;
    sc->vt_ms = now;
    sc->hu = hu;
}

static bool sweep_csv(const char *name);

/* A pass ended: the runs it judged belong to the CSV the agent named on stdout. */
static void judge_end(struct size_ctx *sc, const char *out)
{
    const char *p = out ? strstr(out, "csv=") : NULL;
    char name[96];
    size_t n;

    if (!p)
        return; /* interrupted: its runs stay unmarked (their share is in the log) */
    p += 4;
    n = strcspn(p, "\n");
    for (const char *q = p; q < p + n; q++) /* the name after the folder */
        if (*q == '/') {
            n -= (size_t)(q + 1 - p);
            p = q + 1;
        }
    if (n == 0 || n >= sizeof(name))
        return;
    memcpy(name, p, n);
    name[n] = '\0';
    if (!fsutil_safe_name(name) || !sweep_csv(name))
        return;
    for (size_t i = 0; i < sc->n_judged; i++)
        if (!sc->judged[i].csv[0])
            memcpy(sc->judged[i].csv, name, n + 1);
}

/* Write every judged run's share into the pulled CSV and JSONL in dir (after each pull:
 * a pull brings the guest's unmarked copies again). */
static void judge_mark(struct size_ctx *sc, const char *dir)
{
    struct rowmark *m = calloc(sc->n_judged ? sc->n_judged : 1, sizeof(*m));

    for (size_t i = 0; m && i < sc->n_judged; i++) {
        const char *csv = sc->judged[i].csv;
        size_t n = 0;
        bool first = true;
        char *path;
        if (!csv[0])
            continue;
        for (size_t k = 0; k < i && first; k++)
            first = strcmp(sc->judged[k].csv, csv) != 0;
        if (!first)
            continue; /* that file is done */
        for (size_t k = i; k < sc->n_judged; k++)
            if (!strcmp(sc->judged[k].csv, csv))
                m[n++] = sc->judged[k].m;
        path = fsutil_printf("%s/%s", dir, csv);
        if (path && fsutil_exists(path) && rowmark_apply(path, m, n) < 0)
            log_warn("%s: could not write the runs' cpu_share into '%s'", sc->label, path);
        free(path);
    }
    free(m);
}

static void size_progress(const char *line, void *arg)
{
    struct size_ctx *sc = arg;
    struct activity act;
    unsigned l, nl, c, r, nr;
    char what[96];

    log_info("%s %s", sc->label, line);
    if (activity_parse(line, &act) == 0) {
        /* The sweep's own; not a later --refine or --confirm pass's. */
        if (!sc->have_activity)
            sc->activity = act;
        sc->have_activity = true;
        return;
    }
    if (sscanf(line, "level %u/%u concurrency=%u run %u/%u:", &l, &nl, &c, &r, &nr) == 5) {
        pthread_mutex_lock(&sc->run->lock);
        sc->run->runs_done++;
        pthread_mutex_unlock(&sc->run->lock);
        if (sc->judging && r >= 1)
            judge_run(sc, line, c, r - 1);
        snprintf(what, sizeof(what), "level %u/%u run %u/%u", l, nl, r, nr);
        run_status(sc, what);
    }
}

/* Is name "sweep_<something>END", the shape of the agent's output files? */
static bool sweep_named(const char *name, const char *end)
{
    size_t len = strlen(name), n = strlen(end);
    return !strncmp(name, "sweep_", 6) && len > 6 + n && !strcmp(name + len - n, end);
}

/* Is name one of the agent's CSV files (sweep_<timestamp>[_k].csv)? */
static bool sweep_csv(const char *name)
{
    return sweep_named(name, ".csv");
}

/* Is name one the agent writes (sweep_<time>[_k].csv, .jsonl, .hlog or _summary.txt)?
 * Only those are pulled: anything else in the folder was put there by the guest's code. */
static bool sweep_output(const char *name)
{
    return sweep_csv(name) || sweep_named(name, ".jsonl") || sweep_named(name, ".hlog") ||
           sweep_named(name, "_summary.txt");
}

/* The A/B sides of --interleave: the guest folder and local folder name of each. */
static const char *const run_ab_side[2] = {"base", "candidate"};

/*
 * Pull the regular files of guest folder remote into local, within the limits of x;
 * returns how many.
 */
static size_t size_pull_dir(struct size_ctx *sc, const char *remote_dir, const char *dir,
                            struct guest_xfer *x)
{
    char **names = NULL;
    const char *first_other = NULL;
    size_t n = 0, pulled = 0, others = 0;

    if (guest_list_xfer(sc->g, remote_dir, x, &names, &n) < 0)
        return 0;
    if (n && fsutil_mkdir_p(dir, 0755) < 0) {
        log_error("cannot create '%s': %s", dir, strerror(errno));
        guest_free_names(names, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char *remote = NULL, *local = NULL;
        /* A guest chooses these names: never let one escape the output folder. */
        if (!fsutil_safe_name(names[i])) {
            log_warn("%s: refusing guest file with unsafe name '%s'", sc->label, names[i]);
            continue;
        }
        if (!sweep_output(names[i])) {
            if (others++ == 0)
                first_other = names[i];
            continue;
        }
        remote = fsutil_printf("%s/%s", remote_dir, names[i]);
        local = fsutil_printf("%s/%s", dir, names[i]);
        if (remote && local && guest_pull_xfer(sc->g, remote, local, x) == 0)
            pulled++;
        free(remote);
        free(local);
    }
    if (others)
        log_warn("%s: not pulling %zu file%s in '%s' that the agent does not write (such as "
                 "'%s')",
                 sc->label, others, others == 1 ? "" : "s", remote_dir, first_other);
    guest_free_names(names, n);
    return pulled;
}

/*
 * Pull the agent's files (and the A/B folders of --interleave) into dir: at most
 * GUEST_MAX_PULL bytes in all within GUEST_XFER_MS, stopped by Ctrl-C or a dead VM.
 */
static size_t size_pull(struct size_ctx *sc, const char *dir)
{
    struct guest_xfer x;
    size_t pulled;

    if (run_signal)
        log_info("%s: pulling the rows written so far (Ctrl-C again to skip)", sc->label);
    guest_xfer_init(&x, size_pull_tick, sc);
    pulled = size_pull_dir(sc, RUN_GUEST_OUT, dir, &x);
    for (int k = 0; k < 2 && sc->s->base_args.n && !x.stopped; k++) {
        char *remote = fsutil_printf("%s/%s", RUN_GUEST_OUT, run_ab_side[k]);
        char *local = fsutil_printf("%s/%s", dir, run_ab_side[k]);
        if (remote && local)
            pulled += size_pull_dir(sc, remote, local, &x);
        free(remote);
        free(local);
    }
    if (pulled)
        judge_mark(sc, dir);
    return pulled;
}

/*
 * List the agent's files in dir (prefix: their folder relative to the size's, "" or
 * "base/") into files, and remember the CSVs for the analysis (with --interleave only
 * the candidate's: the baseline is for compare).
 */
static void collect_files(struct run_ctx *run, const char *dir, const char *prefix, cJSON *files,
                          bool analyse)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (!*prefix &&
            (!strcmp(e->d_name, run_ab_side[0]) || !strcmp(e->d_name, run_ab_side[1]))) {
            char *sub = fsutil_printf("%s/%s", dir, e->d_name);
            char *pre = fsutil_printf("%s/", e->d_name);
            if (sub && pre)
                collect_files(run, sub, pre, files, analyse);
            free(sub);
            free(pre);
            continue;
        }
        if (strncmp(e->d_name, "sweep_", 6) != 0)
            continue;
        char *name = fsutil_printf("%s%s", prefix, e->d_name);
        if (name)
            cJSON_AddItemToArray(files, cJSON_CreateString(name));
        free(name);
        if (analyse && sweep_csv(e->d_name) && strcmp(prefix, "base/") != 0) {
            char *path = fsutil_printf("%s/%s", dir, e->d_name);
            if (path)
                spec_strv_add(&run->csvs, path);
            free(path);
        }
    }
    closedir(d);
}

static void add_timing(cJSON *t, const char *key, uint64_t start_ms)
{
    cJSON_AddNumberToObject(t, key, (double)(guest_now_ms() - start_ms) / 1000.0);
}

/* Check what libvirt says is in force against what was asked. */
static int check_caps(struct size_ctx *sc, const struct vm_def *def, cJSON *m)
{
    const struct spec *s = sc->s;
    struct vm_caps caps;
    cJSON *c = cJSON_AddObjectToObject(m, "caps_in_force");
    bool ok = true;

    if (def->hvf) { /* macOS: no cgroups, nothing to read back (said at the start) */
        cJSON_AddStringToObject(c, "unavailable", "hvf: no cgroup CPU quota or pinning");
        return 0;
    }
    if (vm_read_caps(sc->vm, &caps) < 0) {
        memset(&caps, 0, sizeof(caps));
        caps.quota_readable = false;
    }
    cJSON_AddBoolToObject(c, "quota_readable", caps.quota_readable);
    cJSON_AddNumberToObject(c, "vcpu_quota_us", (double)caps.vcpu_quota);
    cJSON_AddNumberToObject(c, "vcpu_period_us", (double)caps.vcpu_period);
    cJSON_AddStringToObject(c, "pinning", caps.pinning);
    cJSON_AddNumberToObject(c, "memory_mib", (double)def->memory_mib);
    if (def->cap_pct) {
        long long want = (long long)def->cap_pct * DOMXML_PERIOD_US / 100;
        if (!caps.quota_readable || caps.vcpu_quota != want) {
            ok = false;
            if (caps.quota_readable)
                log_warn("%s: the CPU cap is not in force: asked vcpu_quota %lld us per "
                         "%d us, libvirt reports %lld",
                         sc->label, want, DOMXML_PERIOD_US, caps.vcpu_quota);
            else
                log_warn("%s: cannot read back the CPU cap (no cgroup cpu controller?)", sc->label);
        } else {
            log_info("%s: CPU cap in force: %lld us per %llu us per vCPU", sc->label,
                     caps.vcpu_quota, caps.vcpu_period);
        }
    }
    if (def->pin && !caps.pinning[0]) {
        ok = false;
        log_warn("%s: vCPU pinning is not in force", sc->label);
    }
    cJSON_AddBoolToObject(c, "as_requested", ok);
    if (!ok && !s->allow_uncapped) {
        log_error("%s: a requested cap is not in force; refusing to measure an uncapped VM "
                  "(pass --allow-uncapped to accept it)",
                  sc->label);
        return -1;
    }
    return 0;
}

/*
 * Which of the model's features the guest does not see (its /proc/cpuinfo flags against
 * the model's feature list from libvirt), recorded as "guest_lacks_features", so a
 * report never claims a CPU the guest did not have.
 */
static void guest_model_check(struct size_ctx *sc, const cJSON *guest, cJSON *m)
{
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(guest, "cpu_flags");
    struct spec_strv lacks = {0};

    if (!sc->ra->model_features.n || !cJSON_IsString(flags))
        return;
    if (cpucheck_guest_lacks(&sc->ra->model_features, flags->valuestring, &lacks) == 0) {
        cJSON *a = cJSON_AddArrayToObject(m, "guest_lacks_features");
        char list[512] = "";
        for (size_t i = 0; i < lacks.n; i++) {
            cJSON_AddItemToArray(a, cJSON_CreateString(lacks.v[i]));
            if (strlen(list) + strlen(lacks.v[i]) + 8 < sizeof(list))
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? " " : "",
                         lacks.v[i]);
        }
        if (lacks.n)
            log_info("%s: the guest sees %zu of the %zu features of CPU model '%s' (lacks: %s)",
                     sc->label, sc->ra->model_features.n - lacks.n, sc->ra->model_features.n,
                     sc->ra->cpu_model, list);
    }
    spec_strv_free(&lacks);
}

/* Push the agent and the user's files, run setup commands. */
/*
 * A guest started from a saved state has the clock and random generator of the moment it
 * was saved: the command that gives it the host's time and fresh random bytes (the agent
 * sets the clock and reseeds the kernel's generator), malloc'd, or NULL (reported).  The
 * dead-man feed is stamped with the new time first, so the clock's jump does not look
 * like a silent host.
 */
static char *size_host_sync_cmd(struct size_ctx *sc)
{
    unsigned char seed[32];
    char hex[2 * sizeof(seed) + 1];
    struct timespec ts;

    if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        log_error("%s: cannot get random bytes for the guest: %s", sc->label, strerror(errno));
        return NULL;
    }
    for (size_t i = 0; i < sizeof(seed); i++)
        snprintf(hex + 2 * i, 3, "%02x", seed[i]);
    clock_gettime(CLOCK_REALTIME, &ts);
    return fsutil_printf("touch -d @%lld /run/vmsweep.feed; " RUN_AGENT_PATH
                         " --host-sync %lld%09ld %s",
                         (long long)ts.tv_sec + 1, (long long)ts.tv_sec, ts.tv_nsec, hex);
}

static int size_prepare(struct size_ctx *sc, cJSON *m)
{
    const struct spec *s = sc->s;
    char *out = NULL;
    int st = -1;

    /* Images vmsweep did not build do not know the results disk: mount it by serial.
     * One command with the folders (every command costs a round trip and a fork in a
     * guest that may be emulated): 100 says the folders failed, 1 the mount. */
    if (guest_exec(sc->g,
                   "mkdir -p /usr/local/bin || exit 100; " RUN_MOUNT_RESULTS "; m=$?; "
                   "mkdir -p " RUN_GUEST_OUT " || exit 100; exit $m",
                   20000, NULL, &st) < 0 ||
        st == 100) {
        log_error("%s: cannot create folders in the guest", sc->label);
        return -1;
    }
    if (st)
        log_warn("%s: the results disk is not mounted in the guest: rows cannot be salvaged "
                 "if the guest dies",
                 sc->label);
    log_debug("%s: pushing the agent", sc->label);
    if (guest_push(sc->g, sc->run->o->agents[sc->ra->arch], RUN_AGENT_PATH, 0755) < 0)
        return -1;
    log_debug("%s: agent pushed", sc->label);
    for (size_t i = 0; i < s->push.n; i++) {
        char *local = strdup(s->push.v[i]), *colon, *remote, *base;
        int rc;
        if (!local)
            return -1;
        colon = strchr(local, ':');
        if (colon)
            *colon++ = '\0';
        base = strrchr(local, '/');
        remote =
            colon && *colon ? strdup(colon) : fsutil_printf("/root/%s", base ? base + 1 : local);
        rc = remote ? guest_push(sc->g, local, remote, 0755) : -1;
        free(local);
        free(remote);
        if (rc < 0)
            return -1;
    }
    /* A restored guest is brought in step first, in the same command. */
    char *sync = sc->resync ? size_host_sync_cmd(sc) : NULL;
    char *cmd = sc->resync
                    ? (sync ? fsutil_printf("%s && " RUN_AGENT_PATH " --sysinfo", sync) : NULL)
                    : strdup(RUN_AGENT_PATH " --sysinfo");
    int rc = cmd ? guest_exec(sc->g, cmd, 30000, &out, &st) : -1;
    free(sync);
    free(cmd);
    if (rc < 0 || st != 0) {
        log_error("%s: the agent does not run in the guest (exit %d)%s", sc->label, st,
                  sc->resync ? ", or the restored guest's clock and random generator could "
                               "not be set"
                             : "");
        free(out);
        return -1;
    }
    manifest_add_json(m, "guest", out);
    {
        cJSON *gi = cJSON_GetObjectItemCaseSensitive(m, "guest");
        const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(gi, "online_cpus");
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(gi, "cpu_model");
        const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(gi, "numa_nodes");
        /* The guest says this: compare as a double, never convert an arbitrary one. */
        if (cJSON_IsNumber(cpus) && cpus->valuedouble != (double)sc->vcpus)
            log_warn("%s: the guest sees %d CPUs, not %u", sc->label, cpus->valueint, sc->vcpus);
        log_info("%s: guest CPU '%s', %d CPUs, %d NUMA node(s)", sc->label,
                 cJSON_IsString(model) ? model->valuestring : "?",
                 cJSON_IsNumber(cpus) ? cpus->valueint : -1,
                 cJSON_IsArray(nodes) ? cJSON_GetArraySize(nodes) : -1);
        guest_model_check(sc, gi, m);
    }
    free(out);
    for (size_t i = 0; i < s->setup.n; i++) {
        out = NULL;
        /* Setup commands are shell commands by definition: the user asked for a shell. */
        if (guest_exec_stream(sc->g, s->setup.v[i], guest_now_ms() + 600000, size_progress,
                              size_tick, sc, &out, &st, NULL) < 0 ||
            st != 0) {
            log_error("%s: setup command failed (exit %d): %s", sc->label, st, s->setup.v[i]);
            free(out);
            return -1;
        }
        free(out);
    }
    return 0;
}

/*
 * --refine: on a doubling grid the knee is known to a factor of 2, so sweep the levels
 * between knee/2 and 2*knee that were skipped, in the same VM, and pull again.  The
 * analysis then sees both CSVs of the size.  Failures here keep the first pass.
 */
/* The analysis of the sweep CSVs pulled into dir (slo_p99_us caps the recommendation);
 * NULL when there is none or nothing to analyse. */
static struct analysis *size_analyse(const char *dir, uint64_t slo_p99_us)
{
    struct spec_strv csvs = {0};
    struct analysis *a = NULL;
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        char *p;
        if (!sweep_csv(e->d_name))
            continue;
        p = fsutil_printf("%s/%s", dir, e->d_name);
        if (p)
            spec_strv_add(&csvs, p);
        free(p);
    }
    if (d)
        closedir(d);
    if (csvs.n &&
        (analysis_load((const char *const *)csvs.v, csvs.n, (double)slo_p99_us, stderr, &a) != 0 ||
         !a->n_groups)) {
        analysis_free(a);
        a = NULL;
    }
    spec_strv_free(&csvs);
    return a;
}

static int size_agent(struct size_ctx *sc, const struct spec *x, const char *remote, bool judge,
                      bool *aborted);

/* One more judged agent pass after the sweep (levels and runs of x) into the sweep's
 * folder, then the pull; size_agent's result. */
static int size_more(struct size_ctx *sc, const struct spec *x, const char *dir)
{
    bool aborted = false;
    int rc = size_agent(sc, x, RUN_GUEST_OUT, true, &aborted);

    size_pull(sc, dir);
    return rc;
}

static void size_refine(struct size_ctx *sc, const char *dir, cJSON *timings)
{
    struct spec extra = *sc->s; /* shallow: only the levels change, nothing is freed */
    struct analysis *a = NULL;
    uint64_t t0 = guest_now_ms();

    if (!(a = size_analyse(dir, 0)))
        goto cleanup;
    if (!a->groups[0].knee) {
        log_info("%s: no knee in the first pass: nothing to refine", sc->label);
        goto cleanup;
    }
    if (analysis_refine_levels(&a->groups[0], extra.levels, SPEC_MAX_LEVELS, &extra.nlevels) < 0 ||
        extra.nlevels == 0) {
        log_info("%s: knee %llu: no unmeasured level around it to refine", sc->label,
                 (unsigned long long)a->groups[0].knee);
        goto cleanup;
    }
    log_info("%s: refining around knee %llu with %zu more level(s)", sc->label,
             (unsigned long long)a->groups[0].knee, extra.nlevels);
    if (size_more(sc, &extra, dir) < 0)
        log_warn("%s: the refinement pass did not finish; keeping what it wrote", sc->label);
    add_timing(timings, "refine_s", t0);
cleanup:
    analysis_free(a);
}

/*
 * --rerun-interfered: measure again the levels whose runs a busy host starved (those not
 * measured again yet), as many runs as the most starved of them lost, in one more agent
 * pass.  The starved rows stay in their files, marked, and the analysis leaves them out.
 * Returns how many starved runs it measured again (0: none left, or the pass failed).
 */
static size_t size_rerun(struct size_ctx *sc, const char *dir, cJSON *timings)
{
    struct spec extra = *sc->s; /* shallow: only the levels and runs change */
    uint64_t most = 0, t0 = guest_now_ms();
    size_t redo = 0;

    extra.nlevels = 0;
    for (size_t i = 0; i < sc->n_judged; i++) {
        struct size_judged *j = &sc->judged[i];
        uint64_t n = 0;
        bool seen = false;
        if (j->rerun || !interfere_spoiled(j->m.share))
            continue;
        for (size_t k = 0; k < extra.nlevels; k++)
            seen |= extra.levels[k] == j->m.concurrency;
        if (seen)
            continue;
        for (size_t k = i; k < sc->n_judged; k++) {
            struct size_judged *o = &sc->judged[k];
            if (!o->rerun && o->m.concurrency == j->m.concurrency &&
                interfere_spoiled(o->m.share)) {
                o->rerun = true;
                n++;
            }
        }
        if (extra.nlevels < SPEC_MAX_LEVELS)
            extra.levels[extra.nlevels++] = j->m.concurrency;
        most = n > most ? n : most;
        redo += n;
    }
    if (!redo)
        return 0;
    extra.runs = most;
    sc->reruns++;
    log_warn("%s: measuring again %zu level(s) a busy host starved (%zu run(s); pass %u of at "
             "most %llu)",
             sc->label, extra.nlevels, redo, sc->reruns,
             (unsigned long long)sc->s->rerun_interfered);
    if (size_more(sc, &extra, dir) < 0) {
        log_warn("%s: the pass that measured again did not finish; keeping what it wrote",
                 sc->label);
        redo = 0;
    }
    add_timing(timings, "rerun_interfered_s", t0);
    return redo;
}

/*
 * --runs auto: after the first pass (SPEC_RUNS_AUTO_START runs a level), give every level
 * whose median qps is not yet known to within SPEC_RUNS_AUTO_CI either way (its
 * distribution-free interval, of coverage at least SPEC_RUNS_AUTO_COVERAGE, from the runs
 * the analysis keeps) SPEC_RUNS_AUTO_STEP more runs, one agent pass at a time, until
 * every level is, or has SPEC_RUNS_AUTO_MAX runs.  Like a sequential test it stops as
 * soon as the data are good enough; what it did goes to the manifest (runs_auto).
 */
static void size_runs_auto(struct size_ctx *sc, const char *dir, cJSON *timings, cJSON *m)
{
    struct spec extra = *sc->s; /* shallow: only the levels and runs change */
    cJSON *log = cJSON_AddArrayToObject(m, "runs_auto");
    uint64_t t0 = guest_now_ms();

    /* Every pass adds at least one row to each level it names, so this many passes reach
     * the cap from the first pass even if no level ever settles. */
    for (int pass = 0;
         pass < SPEC_RUNS_AUTO_MAX - SPEC_RUNS_AUTO_START && !run_signal && !sc->vm_died; pass++) {
        struct analysis *a = size_analyse(dir, 0);
        const struct analysis_group *g = a ? &a->groups[0] : NULL;
        cJSON *entry;
        uint64_t step = SPEC_RUNS_AUTO_STEP;
        extra.nlevels = 0;
        for (size_t i = 0; g && i < g->n_levels; i++) {
            const struct analysis_level *l = &g->levels[i];
            double half = (l->qps_ci_hi - l->qps_ci_lo) / 2;
            bool known = l->qps_ci_coverage >= SPEC_RUNS_AUTO_COVERAGE && l->qps > 0 &&
                         half <= SPEC_RUNS_AUTO_CI * l->qps;
            /* The cap counts every row measured, starved or killed ones too: a busy host
             * must not keep a level measuring for ever. */
            if (known || l->rows >= SPEC_RUNS_AUTO_MAX || extra.nlevels == SPEC_MAX_LEVELS)
                continue;
            if (SPEC_RUNS_AUTO_MAX - l->rows < step)
                step = SPEC_RUNS_AUTO_MAX - l->rows;
            log_info("%s: N=%llu: %zu runs, median %.1f qps within +-%.1f%% at %.0f%%: more runs",
                     sc->label, (unsigned long long)l->concurrency, l->runs, l->qps,
                     l->qps > 0 ? half / l->qps * 100 : 0, l->qps_ci_coverage * 100);
            extra.levels[extra.nlevels++] = l->concurrency;
        }
        analysis_free(a);
        if (extra.nlevels == 0)
            break;
        extra.runs = step; /* the same for every level named: none passes the cap */
        entry = cJSON_CreateArray();
        for (size_t i = 0; entry && i < extra.nlevels; i++)
            cJSON_AddItemToArray(entry, cJSON_CreateNumber((double)extra.levels[i]));
        cJSON_AddItemToArray(log, entry); /* the levels of this pass */
        if (size_more(sc, &extra, dir) < 0) {
            log_warn("%s: a --runs auto pass did not finish; keeping what it wrote", sc->label);
            break;
        }
    }
    add_timing(timings, "runs_auto_s", t0);
}

/* What the host gave the vCPUs, per size, into the manifest's host_interference. */
static void judge_manifest(const struct size_ctx *sc, cJSON *hi)
{
    size_t judged = 0, starved = 0, nemu = 0;
    double lo = NAN, emu = 0, emu_max = NAN;
    cJSON *arr;

    for (size_t i = 0; i < sc->n_judged; i++) {
        double sh = sc->judged[i].m.share, e = sc->judged[i].emulator;
        if (isfinite(e)) {
            emu += e;
            nemu++;
            emu_max = isfinite(emu_max) ? fmax(emu_max, e) : e;
        }
        judged += isfinite(sh);
        if (isfinite(sh))
            lo = isfinite(lo) ? fmin(lo, sh) : sh;
        starved += interfere_spoiled(sh);
    }
    cJSON_AddNumberToObject(hi, "cap_cpus", round(sc->cap_cpus * 100) / 100);
    cJSON_AddNumberToObject(hi, "runs_judged", (double)judged);
    cJSON_AddNumberToObject(hi, "runs_starved", (double)starved);
    if (isfinite(lo))
        cJSON_AddNumberToObject(hi, "min_cpu_share", round(lo * 1000) / 1000);
    cJSON_AddNumberToObject(hi, "rerun_passes", sc->reruns);
    /* QEMU's emulator and I/O threads: CPU the guest used that is not the vCPUs'. */
    if (nemu) {
        cJSON_AddNumberToObject(hi, "emulator_cpus_mean", round(emu / (double)nemu * 100) / 100);
        cJSON_AddNumberToObject(hi, "emulator_cpus_max", round(emu_max * 100) / 100);
    }
    arr = cJSON_AddArrayToObject(hi, "starved");
    for (size_t i = 0; arr && i < sc->n_judged; i++) {
        const struct size_judged *j = &sc->judged[i];
        cJSON *o;
        if (!interfere_spoiled(j->m.share) || !(o = cJSON_CreateObject()))
            continue;
        cJSON_AddNumberToObject(o, "concurrency", (double)j->m.concurrency);
        cJSON_AddNumberToObject(o, "run", (double)j->m.run_idx + 1);
        cJSON_AddStringToObject(o, "csv", j->csv);
        cJSON_AddNumberToObject(o, "cpu_share", round(j->m.share * 1000) / 1000);
        cJSON_AddNumberToObject(o, "vcpu_cpus", round(j->got * 100) / 100);
        cJSON_AddNumberToObject(o, "guest_busy_cpus", round(j->busy * 100) / 100);
        if (isfinite(j->host_others))
            cJSON_AddNumberToObject(o, "host_other_cpus", round(j->host_others * 100) / 100);
        if (isfinite(j->emulator))
            cJSON_AddNumberToObject(o, "emulator_cpus", round(j->emulator * 100) / 100);
        cJSON_AddItemToArray(arr, o);
    }
}

/*
 * Run the agent once with spec x, writing into the guest folder remote.  Returns 0 when
 * it ran to the end with exit 0; -1 otherwise, with *aborted telling an interruption
 * (signal, dead VM) from a failure.  Progress is streamed to the user.  judge: a pass
 * whose rows the analysis reads, so each run's CPU is judged (judge_run).
 */
static int size_agent(struct size_ctx *sc, const struct spec *x, const char *remote, bool judge,
                      bool *aborted)
{
    struct spec_strv argv = {0};
    char *cmd = NULL, *out = NULL;
    int status = -1, rc = -1;

    *aborted = false;
    sc->judging = judge;
    if (judge)
        judge_begin(sc);
    if (spec_agent_argv(x, RUN_AGENT_PATH, remote, &argv) == 0 &&
        (cmd = guest_quote_argv(argv.v)) != NULL)
        rc = guest_exec_stream(sc->g, cmd, guest_now_ms() + spec_sweep_budget_us(x) / 1000,
                               size_progress, size_tick, sc, &out, &status, aborted);
    if (judge)
        judge_end(sc, out);
    sc->judging = false;
    spec_strv_free(&argv);
    free(cmd);
    free(out);
    if (rc == 0 && status != 0) {
        log_error("%s: the agent failed (exit %d)", sc->label, status);
        rc = -1;
    }
    return rc;
}

/* Loads of the open-loop confirmation, as shares of the closed-loop throughput at the
 * recommended concurrency; the recommendation holds when the first RUN_CONFIRM_MUST
 * of them keep p99 within the limit (the last shows the headroom). */
static const double run_confirm_loads[] = {0.50, 0.75, 0.90};
#define RUN_CONFIRM_MUST 2

/* p50 and p99 of the open-loop row of the CSV at path; -1 when there is none. */
static int confirm_row(const char *path, double *qps, double *p50, double *p99)
{
    struct csv_table *t = NULL;
    int ret = -1;

    if (csv_read(path, stderr, &t) == 0 && t->n >= 1 && isfinite(t->rows[0].offered_qps)) {
        *qps = t->rows[0].qps;
        *p50 = t->rows[0].p50_us;
        *p99 = t->rows[0].p99_us;
        ret = 0;
    }
    csv_free(t);
    return ret;
}

/*
 * --confirm: measure the recommended concurrency (the top of the range) open-loop at
 * 50%, 75% and 90% of its closed-loop throughput, in the same VM, and say whether the
 * recommendation holds: p99 within the SLO when there is one, else within
 * KNEE_LATENCY_MULT x the lowest level's closed-loop p99 (where the latency knee starts).
 * The rows go to dir/confirm (not into the sweep's analysis); the verdict to the size's
 * manifest (sc->confirm) and the log.
 */
static void size_confirm(struct size_ctx *sc, const char *dir, cJSON *timings)
{
    const struct spec *s = sc->s;
    struct analysis *a = size_analyse(dir, s->slo_p99_us);
    const struct analysis_group *g;
    char *local = NULL, *remote = NULL;
    uint64_t t0 = guest_now_ms(), n;
    double closed, limit;
    bool holds = true;
    cJSON *pts;

    if (!a || !a->groups[0].has_recommended) {
        log_info("%s: no recommendation to confirm open-loop", sc->label);
        goto cleanup;
    }
    g = &a->groups[0];
    n = g->rec_high;
    if (analysis_qps_at(g, n, &closed) < 0 || !(closed > 0))
        goto cleanup;
    limit = s->slo_p99_us ? (double)s->slo_p99_us : KNEE_LATENCY_MULT * g->levels[0].p99_us;
    local = fsutil_printf("%s/confirm", dir);
    remote = fsutil_printf("%s/confirm", RUN_GUEST_OUT);
    if (!local || !remote)
        goto cleanup;
    sc->confirm = cJSON_CreateObject();
    cJSON_AddNumberToObject(sc->confirm, "concurrency", (double)n);
    cJSON_AddNumberToObject(sc->confirm, "closed_loop_qps", round(closed * 100) / 100);
    cJSON_AddNumberToObject(sc->confirm, "limit_p99_us", round(limit * 1000) / 1000);
    cJSON_AddStringToObject(sc->confirm, "limit",
                            s->slo_p99_us ? "the p99 SLO" : "3x the lowest level's p99");
    pts = cJSON_AddArrayToObject(sc->confirm, "loads");
    log_info("%s: confirming N=%llu open-loop at 50%%, 75%% and 90%% of its %.0f/s (p99 limit "
             "%.0f us: %s)",
             sc->label, (unsigned long long)n, closed, limit,
             s->slo_p99_us ? "the SLO" : "3x the lowest level's");
    for (size_t i = 0; i < sizeof(run_confirm_loads) / sizeof(*run_confirm_loads) && !run_signal;
         i++) {
        struct spec x = *s; /* shallow: levels, runs and rate change, nothing is freed */
        char *sub = fsutil_printf("%s/%02.0f", remote, run_confirm_loads[i] * 100);
        char *mine = fsutil_printf("%s/%02.0f", local, run_confirm_loads[i] * 100);
        struct guest_xfer xf;
        bool aborted = false, ok;
        double q = 0, p50 = 0, p99 = 0;
        DIR *d = NULL;
        struct dirent *e;
        cJSON *pt;

        x.levels[0] = n;
        x.nlevels = 1;
        x.runs = 1;
        x.rate = (uint64_t)llround(run_confirm_loads[i] * closed);
        if (x.rate == 0)
            x.rate = 1;
        guest_xfer_init(&xf, size_pull_tick, sc);
        if (!sub || !mine || size_agent(sc, &x, sub, false, &aborted) < 0 ||
            size_pull_dir(sc, sub, mine, &xf) == 0 || !(d = opendir(mine))) {
            free(sub);
            free(mine);
            log_warn("%s: the open-loop confirmation did not finish", sc->label);
            holds = false;
            break;
        }
        while ((e = readdir(d))) {
            char *path;
            if (!sweep_csv(e->d_name) || !(path = fsutil_printf("%s/%s", mine, e->d_name)))
                continue;
            if (confirm_row(path, &q, &p50, &p99) < 0)
                q = 0;
            free(path);
        }
        closedir(d);
        free(sub);
        free(mine);
        ok = q > 0 && p99 <= limit;
        if (i < RUN_CONFIRM_MUST && !ok)
            holds = false;
        pt = cJSON_CreateObject();
        cJSON_AddNumberToObject(pt, "load", run_confirm_loads[i]);
        cJSON_AddNumberToObject(pt, "offered_qps", (double)x.rate);
        cJSON_AddNumberToObject(pt, "achieved_qps", round(q * 100) / 100);
        cJSON_AddNumberToObject(pt, "p50_us", p50);
        cJSON_AddNumberToObject(pt, "p99_us", p99);
        cJSON_AddBoolToObject(pt, "ok", ok);
        cJSON_AddItemToArray(pts, pt);
        log_info("%s: open loop at %.0f%% (%llu/s offered, %.0f/s achieved): p99 %.0f us %s",
                 sc->label, run_confirm_loads[i] * 100, (unsigned long long)x.rate, q, p99,
                 ok ? "within the limit" : "OVER the limit");
    }
    cJSON_AddBoolToObject(sc->confirm, "holds", holds);
    if (holds)
        log_info("%s: the recommendation (N=%llu) holds open-loop", sc->label,
                 (unsigned long long)n);
    else
        log_warn("%s: the recommendation (N=%llu) does not hold open-loop: p99 exceeds %.0f us "
                 "below 75%% of its closed-loop throughput",
                 sc->label, (unsigned long long)n, limit);
    add_timing(timings, "confirm_s", t0);
cleanup:
    analysis_free(a);
    free(local);
    free(remote);
}

/*
 * --interleave: baseline (A: the spec with its base_args on top) and candidate (B: the
 * spec as is) alternate one repetition at a time, A B B A A B ..., so drift in the
 * machine (thermal, noisy neighbours, TCG caches) hits both sides alike.
 */
static int size_interleave(struct size_ctx *sc, bool *aborted)
{
    const struct spec *s = sc->s;
    struct spec side[2];
    int rc = 0;

    side[0] = *s; /* shallow copies: only args and runs change */
    side[1] = *s;
    side[0].runs = side[1].runs = 1;
    memset(&side[0].args, 0, sizeof(side[0].args));
    for (size_t i = 0; i < s->args.n + s->base_args.n && rc == 0; i++)
        rc = spec_strv_add(&side[0].args,
                           i < s->args.n ? s->args.v[i] : s->base_args.v[i - s->args.n]);
    for (uint64_t rep = 0; rep < spec_runs(s) && rc == 0; rep++) {
        for (int k = 0; k < 2 && rc == 0; k++) {
            int which = (rep % 2 == 0) ? k : 1 - k; /* A B, then B A */
            char *remote = fsutil_printf("%s/%s", RUN_GUEST_OUT, run_ab_side[which]);
            log_info("%s: repetition %llu/%llu: %s", sc->label, (unsigned long long)rep + 1,
                     (unsigned long long)spec_runs(s), run_ab_side[which]);
            rc = remote ? size_agent(sc, &side[which], remote, false, aborted) : -1;
            free(remote);
        }
    }
    spec_strv_free(&side[0].args);
    return rc;
}

/*
 * Run the sweep (or the interleaved A/B sweeps) and bring the files home; on return *st
 * is RUN_COMPLETE when the agent finished.  Salvage is the caller's.
 */
static int size_sweep(struct size_ctx *sc, const char *dir, cJSON *timings, cJSON *m,
                      enum run_status *st)
{
    const struct spec *s = sc->s;
    bool aborted = false, ab = s->base_args.n > 0;
    int rc;
    uint64_t t0 = guest_now_ms();
    size_t pulled = 0;

    *st = RUN_FAILED;
    sc->agent_started = true;
    struct host_use before, after;
    sc->cap_cpus = (double)sc->vcpus * (s->cpu_cap_pct ? s->cpu_cap_pct / 100.0 : 1.0);
    if (sc->host->cpus > 0)
        sc->cap_cpus = fmin(sc->cap_cpus, (double)sc->host->cpus);
    host_use_sample(&before, sc);
    rc = ab ? size_interleave(sc, &aborted) : size_agent(sc, s, RUN_GUEST_OUT, true, &aborted);
    host_use_sample(&after, sc);
    sc->host_others = host_use_others(&before, &after);
    if (sc->host_others >= RUN_BUSY_HOST_CPUS)
        log_warn("%s: the host was busy during the sweep: other processes used %.1f of its %u "
                 "CPUs; the guest may have been starved and its numbers be low",
                 sc->label, sc->host_others, sc->host->cpus);
    add_timing(timings, "sweep_s", t0);
    if (rc == 0)
        *st = RUN_COMPLETE;
    else if (sc->vm_died)
        log_error("%s: the VM died during the sweep", sc->label);
    else if (aborted)
        log_warn("%s: interrupted; keeping the rows written so far", sc->label);

    if (sc->vm_died)
        return -1;
    t0 = guest_now_ms();
    if (rc < 0 && !aborted) {
        /* A crashing guest often breaks the session before libvirt sees it stop: give
         * it a moment, and salvage from the disk when it is gone. */
        for (int i = 0; i < 30 && vm_running(sc->vm); i++)
            usleep(100000);
        if (!vm_running(sc->vm)) {
            sc->vm_died = true;
            log_error("%s: the VM died during the sweep", sc->label);
            return -1;
        }
        /* The session broke (or the agent failed) but the VM lives: reconnect once. */
        guest_close(sc->g);
        sc->g = NULL;
        log_warn("%s: the sweep did not finish; reconnecting once to fetch its rows", sc->label);
        if (guest_connect_via(vm_conn_route(sc->host->conn), sc->port, sc->ra->img.hostkey,
                              sc->run->keys.priv_path, guest_now_ms() + 30000, NULL, NULL,
                              &sc->g) < 0)
            return -1;
    }
    pulled = size_pull(sc, dir);
    add_timing(timings, "pull_s", t0);
    if (*st != RUN_COMPLETE && pulled)
        *st = RUN_INCOMPLETE;
    if (*st == RUN_COMPLETE && !pulled) {
        log_error("%s: the agent finished but wrote no files", sc->label);
        *st = RUN_FAILED;
    }
    for (uint64_t k = 0;
         *st == RUN_COMPLETE && !ab && k < s->rerun_interfered && !run_signal && !sc->vm_died; k++)
        if (size_rerun(sc, dir, timings) == 0)
            break;
    if (*st == RUN_COMPLETE && s->runs == 0 && !ab && !run_signal)
        size_runs_auto(sc, dir, timings, m);
    if (*st == RUN_COMPLETE && s->refine && !ab && !run_signal)
        size_refine(sc, dir, timings);
    if (*st == RUN_COMPLETE && s->confirm && !ab && !run_signal)
        size_confirm(sc, dir, timings);
    return 0;
}

/*
 * The SSH forward port to try first: VMSWEEP_SSH_PORT when set (a user who needs a known
 * port, and the fault test that takes the port on purpose), else a free one.
 */
static unsigned run_first_port(struct vm_conn *conn)
{
    const char *env = getenv("VMSWEEP_SSH_PORT");
    uint64_t port;

    if (env && *env) {
        if (units_parse_u64(env, 1024, 65535, &port) == 0)
            return (unsigned)port;
        log_warn("ignoring VMSWEEP_SSH_PORT='%s': not a port in 1024..65535", env);
    }
    return vm_conn_port(conn);
}

/*
 * Where the boot's time went, from the console's milestones (seconds since the VM's CPUs
 * started): kernel banner, /init, network, then the SSH banner and session (banner_at,
 * ssh_at), and
 * guest up (results disk mounted), which may come after SSH: called once the first
 * command that waits for it has run.  Missing milestones (an image that does not print
 * them) are left out.
 */
static void boot_breakdown(struct size_ctx *sc, cJSON *timings, uint64_t banner_at, uint64_t ssh_at)
{
    struct console *c = vm_console(sc->vm);
    cJSON *b = cJSON_AddObjectToObject(timings, "boot");

    /* The guest-up line is printed just before the file the first command waited for. */
    for (int i = 0;
         c && i < 100 && console_mark_ms(c, CONSOLE_INIT) && !console_mark_ms(c, CONSOLE_UP); i++)
        usleep(10000);
    for (int m = 0; c && m < CONSOLE_NMARKS; m++) {
        uint64_t at = console_mark_ms(c, (enum console_mark)m);
        if (at)
            cJSON_AddNumberToObject(b, console_mark_key((enum console_mark)m),
                                    (double)(at - sc->boot_t0) / 1000.0);
    }
    if (banner_at >= sc->boot_t0)
        cJSON_AddNumberToObject(b, "ssh_banner_s", (double)(banner_at - sc->boot_t0) / 1000.0);
    cJSON_AddNumberToObject(b, "ssh_s", (double)(ssh_at - sc->boot_t0) / 1000.0);
}

/* The key of def's configuration in the saved-state cache (see vmstate.h): the XML with
 * the per-run name, paths and port fixed. */
static int size_state_key(const struct size_ctx *sc, const struct vm_def *def, char key[65])
{
    struct vm_def t = *def;
    char *xml = NULL;

    t.name = "vmsweep-state";
    t.uuid = NULL;
    t.results_disk = "/results.img";
    t.console_sock = "/console.sock";
    t.ssh_port = 1;
    if (domxml_build(&t, &xml) < 0)
        return -1;
    int ret = vmstate_key(xml, sc->ra->img.manifest_sha256, sc->host->versions, key);
    free(xml);
    return ret;
}

/*
 * Start the size's VM from def: from the saved state at state, or booted when state is
 * NULL; when QEMU finds the forward port taken, another is tried.  *xml gets the XML
 * used.  0, or -1 (reported).
 */
static int size_launch(struct size_ctx *sc, struct vm_def *def, const char *state,
                       const char *console, char **xml)
{
    for (int attempt = 0; attempt < RUN_PORT_TRIES && !sc->vm; attempt++) {
        bool conflict = false;
        int rc;

        free(*xml);
        *xml = NULL;
        if (attempt > 0)
            def->ssh_port = vm_conn_port(sc->host->conn);
        if (!def->ssh_port || domxml_build(def, xml) < 0)
            return -1;
        if (state)
            rc = vm_restore(sc->host->conn, state, *xml, def->name, def->console_sock, console,
                            &sc->vm, &conflict);
        else
            rc = vm_start(sc->host->conn, *xml, def->name, def->console_sock, console, NULL, 0,
                          &sc->vm, &conflict);
        if (rc < 0 && !conflict)
            return -1;
        if (!sc->vm)
            log_info("%s: port %u was taken meanwhile; trying another", sc->label, def->ssh_port);
    }
    if (!sc->vm) {
        log_error("%s: no free port for SSH after %d tries", sc->label, RUN_PORT_TRIES);
        return -1;
    }
    sc->boot_t0 = guest_now_ms();
    sc->port = def->ssh_port;
    return 0;
}

/*
 * Keep the guest just booted as the saved state of key: the guest lets go of its results
 * disk (each start gets a new one, and no block of the old may stay cached), closes its
 * SSH session, and its state is written while the VM pauses; the VM then goes on and is
 * connected to again.  Returns 0 (saved), 1 when the state could not be saved (the guest
 * runs on), -1 when the guest is lost (reported).
 */
static int size_save_state(struct size_ctx *sc, const struct vm_def *def, const char *key)
{
    static const char prep[] =
        RUN_WAIT_GUEST_UP "umount /results && sync && echo 3 >/proc/sys/vm/drop_caches && "
                          "for b in /sys/block/vd*; do blockdev --flushbufs /dev/${b##*/}; done";
    struct run_ctx *run = sc->run;
    char uuid[64], *tmp = NULL, *xml = NULL;
    int st = -1, saved = 1;

    if (guest_exec(sc->g, prep, 20000, NULL, &st) < 0 || st != 0 || vm_uuid(sc->vm, uuid) < 0 ||
        (tmp = vmstate_temp(key)) == NULL || domxml_snapshot(def, tmp, &xml) < 0) {
        log_warn("%s: the guest could not be made ready to save its state: going on cold",
                 sc->label);
        free(tmp);
        return 1;
    }
    /* No SSH session may be open in the state: it would be restored half-dead. */
    guest_close(sc->g);
    sc->g = NULL;
    if (vm_snapshot(sc->vm, xml) == 0) {
        /* Published at once: a start that fails to restore it drops it (size_run). */
        if (vmstate_commit(key, tmp, def->name, uuid) == 0)
            saved = 0;
        else
            log_warn("%s: the saved state could not be kept for the next runs", sc->label);
    } else {
        unlink(tmp);
        log_warn("%s: going on with the cold-booted VM", sc->label);
    }
    free(tmp);
    free(xml);
    /* Paused for the snapshot: the guest's clock lags, and the state's randomness is
     * shared with later runs. */
    sc->resync = true;
    if (!vm_running(sc->vm) ||
        guest_connect_via(vm_conn_route(sc->host->conn), sc->port, sc->ra->img.hostkey,
                          run->keys.priv_path, guest_now_ms() + run->s->boot_timeout_us / 1000,
                          size_tick, sc, &sc->g) < 0)
        return -1;
    return saved;
}

/*
 * Record in the size's manifest m what else ran in the guest during the sweep (the
 * agent's activity line), and warn when it was not quiet: from RUN_NOISY_GUEST of its
 * CPUs, other processes competed with the workload.
 */
static void note_guest_activity(const struct size_ctx *sc, cJSON *m)
{
    const struct activity *a = &sc->activity;
    double share = a->wall_s > 0 && sc->vcpus ? a->other_cpu_s / (a->wall_s * sc->vcpus) : 0;
    cJSON *o = cJSON_AddObjectToObject(m, "guest_activity");

    cJSON_AddNumberToObject(o, "other_cpu_s", round(a->other_cpu_s * 1000) / 1000);
    cJSON_AddNumberToObject(o, "wall_s", round(a->wall_s * 1000) / 1000);
    cJSON_AddNumberToObject(o, "other_cpu_share", round(share * 10000) / 10000);
    cJSON_AddNumberToObject(o, "other_context_switches", (double)a->other_ctxt);
    cJSON_AddNumberToObject(o, "processes_created", (double)a->created);
    if (share >= RUN_NOISY_GUEST)
        log_warn("%s: the guest was not quiet during the sweep: other processes used %.2f "
                 "CPU-s (%.0f%% of its CPUs) beside the workload",
                 sc->label, a->other_cpu_s, share * 100);
}

static int size_run(struct run_ctx *run, struct run_host *host, const struct run_work *w, cJSON *m,
                    bool *host_lost)
{
    /* A part of a size's repetitions (split over hosts) runs with its share of them. */
    struct spec part = *run->s; /* shallow: only the runs change, nothing is freed */
    const struct spec *s = &part;
    const size_t idx = w->size;
    struct run_arch *ra = &host->arch[spec_size_arch(s, idx)];
    struct size_ctx sc = {.run = run,
                          .s = s,
                          .slot = (size_t)(w - run->work),
                          .host = host,
                          .ra = ra,
                          .idx = idx,
                          .vcpus = spec_size_vcpus(s, idx)};
    if (w->parts > 1)
        part.runs = w->runs;
    struct vm_def def;
    struct vmstate vs = {0};
    char name[96], *dir = NULL, *disk = NULL, *console = NULL, *cmdline = NULL, *xml = NULL;
    char *root = NULL, *sock = NULL, *disk_used = NULL;
    cJSON *timings = cJSON_AddObjectToObject(m, "timings_s");
    cJSON *files = cJSON_AddArrayToObject(m, "files");
    enum run_status st = RUN_FAILED;
    bool pulled_ok = false;
    uint64_t t0;

    /* Sizes of several architectures say theirs: in the log and the folder's name. */
    char tag[24] = "";
    if (spec_arch_mixed(s)) {
        snprintf(tag, sizeof(tag), "-%s", domxml_arch_names[ra->arch]);
        snprintf(sc.label_arch, sizeof(sc.label_arch), " %s", domxml_arch_names[ra->arch]);
    }
    char part_tag[32] = "";
    if (w->parts > 1)
        snprintf(part_tag, sizeof(part_tag), " part %u/%u", w->part + 1, w->parts);
    snprintf(sc.label, sizeof(sc.label), "[%u vCPU%s%s%s%s]", sc.vcpus, sc.label_arch, part_tag,
             run->nhosts > 1 ? " @" : "", run->nhosts > 1 ? host->label : "");
    /* Unique per attempt: two parts of a size, or a size tried again, may meet on one
     * daemon (two URIs of one machine): their domains and volumes must not share names. */
    pthread_mutex_lock(&run->lock);
    unsigned serial = ++run->vms_named;
    pthread_mutex_unlock(&run->lock);
    snprintf(name, sizeof(name), "vmsweep-%ld-%zu-%u-%u", (long)getpid(), idx, serial,
             (unsigned)(time(NULL) & 0xffff));
    cJSON_AddNumberToObject(m, "vcpus", sc.vcpus);
    if (w->parts > 1) {
        /* Its repetitions are split over hosts: this part's share. */
        cJSON_AddNumberToObject(m, "part", w->part + 1);
        cJSON_AddNumberToObject(m, "parts", w->parts);
        cJSON_AddNumberToObject(m, "runs", (double)w->runs);
    }
    cJSON_AddStringToObject(m, "arch", domxml_arch_names[ra->arch]);
    cJSON_AddStringToObject(m, "machine", domxml_machine(ra->arch));
    cJSON_AddStringToObject(m, "accel", run_accel_name(&ra->accel));
    cJSON_AddStringToObject(m, "image", ra->img.name);
    cJSON_AddStringToObject(m, "domain", name);
    /* The folder is claimed by mkdir itself, not by a test before it: parts of one size
     * start at once in threads of their own, and two that both saw a name free would
     * share the folder (and each list the other's CSVs as its own). */
    bool made = false;
    dir = fsutil_printf("%s/vcpus-%u%s", run->o->outdir, sc.vcpus, tag);
    for (unsigned k = 2; dir && !(made = mkdir(dir, 0755) == 0) && errno == EEXIST; k++) {
        free(dir);
        dir = fsutil_printf("%s/vcpus-%u%s-%u", run->o->outdir, sc.vcpus, tag, k);
    }
    if (!made) {
        log_error("cannot create the output folder for %u vCPUs: %s", sc.vcpus,
                  dir ? strerror(errno) : "out of memory");
        goto cleanup;
    }
    disk = fsutil_printf("%s/%s-results.img", vm_conn_workdir(host->conn), name);
    sock = fsutil_printf("%s/%s.con", vm_conn_workdir(host->conn), name);
    if (!disk) {
        log_error("out of memory");
        goto cleanup;
    }
    cJSON_AddStringToObject(m, "dir", strrchr(dir, '/') + 1);
    console = fsutil_printf("%s/console.log", dir);
    /* loglevel=6 puts the kernel's banner on the console: how a stuck boot is seen. */
    cmdline = fsutil_printf("%s%s vmsweep.deadman=%u", ra->img.cmdline_extra,
                            strstr(ra->img.cmdline_extra, "loglevel=") ? "" : " loglevel=6",
                            s->deadman_s);
    if (!console || !cmdline || !sock || salvage_make_disk(disk, RUN_DISK_MIB) < 0 ||
        vm_conn_disk_put(host->conn, disk, &disk_used) < 0)
        goto cleanup;
    /* Disk images boot from a throw-away overlay: the image itself is never written. */
    if (ra->img.disk && vm_conn_root(host->conn, ra->img.disk, name, &root) < 0)
        goto cleanup;

    memset(&def, 0, sizeof(def));
    def.name = name;
    def.kvm = ra->accel.kvm;
    def.hvf = ra->accel.hvf;
    def.host_cpus = host->cpus;
    def.kernel = ra->img.kernel;
    def.initrd = ra->img.initrd;
    def.cmdline = cmdline;
    def.results_disk = disk_used;
    def.disk = root;
    vm_conn_console(host->conn, &def, sock);
    def.ssh_port = run_first_port(host->conn);
    if (!def.ssh_port || spec_vm_def(s, idx, &def) < 0)
        goto cleanup;
    def.cpu_model = ra->cpu_model;

    /* A configuration seen before starts from its saved state (vmstate.h).  Only VMs
     * of the embedded driver with an initramfs image: a disk image's root is written. */
    bool stateful = !run->o->no_restore && !host->uri && !ra->img.disk;
    char key[65] = "";
    const char *start = "cold";
    if (stateful && (size_state_key(&sc, &def, key) < 0 || vmstate_find(key, &vs) < 0))
        stateful = false;

    t0 = guest_now_ms();
    if (vs.path) {
        def.name = vs.name;
        def.uuid = vs.uuid;
        if (size_launch(&sc, &def, vs.path, console, &xml) == 0) {
            start = "restored";
            sc.restored = sc.resync = true;
        } else {
            log_warn("%s: the saved state '%s' did not start: forgetting it and booting cold",
                     sc.label, vs.path);
            vmstate_drop(key);
            def.name = name;
            def.uuid = NULL;
        }
    }
    if (!sc.vm && size_launch(&sc, &def, NULL, console, &xml) < 0) {
        sc.launch_failed = true;
        goto cleanup;
    }
    cJSON_AddStringToObject(m, "domain_xml", xml);
    cJSON_AddNumberToObject(m, "ssh_port", def.ssh_port);
    add_timing(timings, "define_s", t0);
    if (check_caps(&sc, &def, m) < 0)
        goto cleanup;

    run_status(&sc, sc.restored ? "restoring" : "booting");
    log_info("%s: booting (%s, %s, %llu MiB, %u NUMA cell(s)); waiting for SSH on "
             "127.0.0.1:%u",
             sc.label, def.cpu_model, ra->accel.kvm ? "KVM" : "TCG",
             (unsigned long long)def.memory_mib, def.ncells, def.ssh_port);
    t0 = guest_now_ms();
    /* A restored guest prints no boot: only SSH tells it is up. */
    sc.booting = !sc.restored;
    if (guest_connect_via(vm_conn_route(host->conn), def.ssh_port, ra->img.hostkey,
                          run->keys.priv_path, t0 + s->boot_timeout_us / 1000, size_tick, &sc,
                          &sc.g) < 0) {
        char *tail = vm_console(sc.vm) ? console_tail(vm_console(sc.vm), 8) : NULL;
        if (sc.no_progress)
            log_error("%s: the guest kernel printed nothing in %d s under %s: the VM is stuck "
                      "(%s); the console ends with:\n%s",
                      sc.label,
                      (ra->accel.kvm ? RUN_KERNEL_WAIT_MS_KVM : RUN_KERNEL_WAIT_MS_TCG) / 1000,
                      ra->accel.kvm ? "KVM" : "TCG",
                      ra->accel.kvm ? "this KVM may not run Linux guests: try --accel tcg"
                                    : "is the host very busy?",
                      tail && *tail ? tail : "  | (nothing)");
        else if (sc.vm_died)
            log_error("%s: the VM stopped while booting; see '%s'%s%s", sc.label, console,
                      tail && *tail ? ", which ends with:\n" : "", tail ? tail : "");
        else if (!run_signal && tail && *tail)
            log_error("%s: the guest's console ends with:\n%s", sc.label, tail);
        free(tail);
        goto cleanup;
    }
    sc.booting = false;
    uint64_t ssh_at = guest_now_ms(), banner_at = guest_banner_ms(sc.g);
    if (sc.restored) {
        /* Restored: no boot to break down, only the wait for SSH after the restore. */
        cJSON *b = cJSON_AddObjectToObject(timings, "boot");
        cJSON_AddNumberToObject(b, "ssh_s", (double)(ssh_at - sc.boot_t0) / 1000.0);
    }
    add_timing(timings, "boot_to_ssh_s", t0);
    log_info("%s: SSH up after %.1f s%s", sc.label, (double)(guest_now_ms() - t0) / 1000.0,
             sc.restored ? " (restored from a saved state)" : "");
    if (stateful && !sc.restored) {
        uint64_t ts = guest_now_ms();
        int saved = size_save_state(&sc, &def, key);
        if (saved < 0)
            goto cleanup;
        if (saved == 0) {
            start = "cold, saved";
            add_timing(timings, "save_state_s", ts);
            log_info("%s: state saved for the next runs of this configuration (%.1f s)", sc.label,
                     (double)(guest_now_ms() - ts) / 1000.0);
        }
    }
    cJSON_AddStringToObject(m, "start", start);

    t0 = guest_now_ms();
    if (size_prepare(&sc, m) < 0)
        goto cleanup;
    add_timing(timings, "push_s", t0);
    if (!sc.restored)
        boot_breakdown(&sc, timings, banner_at, ssh_at);
    sc.host_others = NAN;
    if (size_sweep(&sc, dir, timings, m, &st) == 0)
        pulled_ok = true;
    if (isfinite(sc.host_others) || sc.n_judged) {
        /* Read by plot (analysis_note_manifest) to put the warning next to the numbers. */
        cJSON *hi = cJSON_AddObjectToObject(m, "host_interference");
        if (isfinite(sc.host_others))
            cJSON_AddNumberToObject(hi, "other_cpus", round(sc.host_others * 100) / 100);
        cJSON_AddNumberToObject(hi, "host_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
        judge_manifest(&sc, hi);
    }
    if (sc.have_activity)
        note_guest_activity(&sc, m);
    if (sc.confirm) {
        /* Read by plot (analysis_note_manifest) to put the verdict next to the numbers. */
        cJSON_AddItemToObject(m, "open_loop_confirmation", sc.confirm);
        sc.confirm = NULL;
    }

cleanup:
    /* Whatever went wrong, try to bring home what the agent wrote while the session lives. */
    if (sc.vm && !run_signal && !sc.vm_died && !pulled_ok && sc.g && size_pull(&sc, dir) > 0) {
        pulled_ok = true;
        st = RUN_INCOMPLETE;
    }
    cJSON_Delete(sc.confirm); /* set only when a failure skipped the manifest */
    free(sc.judged);
    log_debug("%s: closing the session", sc.label);
    guest_close(sc.g);
    log_debug("%s: session closed", sc.label);
    if (sc.vm) {
        vm_destroy(sc.vm);
        /* Rows the session could not bring home are still on the results disk. */
        if (!pulled_ok && sc.agent_started && disk && fsutil_exists(disk) &&
            vm_conn_disk_get(host->conn, disk_used, disk) == 0) {
            size_t n = 0;
            log_info("%s: salvaging rows from the results disk", sc.label);
            if (salvage_results(disk, "/out", dir, &n) == 0 && n > 0) {
                st = RUN_INCOMPLETE;
                cJSON_AddBoolToObject(m, "salvaged", true);
                log_info("%s: salvaged %zu file(s) into '%s'", sc.label, n, dir);
            }
        }
    }
    /* The connection gone, or the VM refused by a host that ran the others: the host is
     * lost, and the size is tried again on another (its rows so far stay here). */
    if (!run_signal && st != RUN_COMPLETE && (!vm_conn_alive(host->conn) || sc.launch_failed))
        sc.host_lost = true;
    pthread_mutex_lock(&run->lock);
    if (dir)
        collect_files(run, dir, "", files, !sc.host_lost);
    if (dir && st == RUN_COMPLETE && s->base_args.n)
        spec_strv_add(&run->ab_dirs, dir);
    pthread_mutex_unlock(&run->lock);
    vm_conn_disk_drop(host->conn, disk_used);
    vm_conn_disk_drop(host->conn, root);
    if (disk)
        unlink(disk);
    if (sock)
        unlink(sock);
    cJSON_AddStringToObject(m, "status", run_status_name(st));
    log_info("%s: %s", sc.label, run_status_name(st));
    *host_lost = sc.host_lost;
    vmstate_free(&vs);
    free(xml);
    free(dir);
    free(disk);
    free(disk_used);
    free(console);
    free(cmdline);
    free(root);
    free(sock);
    return st;
}

/*
 * --interleave: the verdict of `vmsweep compare base candidate` for every size, printed
 * as compare prints it.  Returns the worst exit code: 3 (regression) over 4
 * (inconclusive) over 0; a comparison that cannot be made (2) counts as a failure (1).
 */
static int run_ab_verdict(struct run_ctx *run)
{
    int worst = 0;

    for (size_t i = 0; i < run->ab_dirs.n; i++) {
        char *base = fsutil_printf("%s/%s", run->ab_dirs.v[i], run_ab_side[0]);
        char *cand = fsutil_printf("%s/%s", run->ab_dirs.v[i], run_ab_side[1]);
        char *argv[] = {"compare", base, cand, NULL};
        int v = base && cand ? comparecmd_main(3, argv) : 2;

        log_info("A/B verdict for '%s': exit %d", run->ab_dirs.v[i], v);
        cJSON *ab = cJSON_GetObjectItemCaseSensitive(run->manifest, "ab_verdicts");
        if (!ab)
            ab = cJSON_AddArrayToObject(run->manifest, "ab_verdicts");
        cJSON *one = cJSON_CreateObject();
        cJSON_AddStringToObject(one, "dir", run->ab_dirs.v[i]);
        cJSON_AddNumberToObject(one, "compare_exit", v);
        cJSON_AddItemToArray(ab, one);
        if (v == 2)
            v = 1;
        if (v == 1 || (v == 3 && worst != 1) || (v == 4 && worst == 0))
            worst = v;
        free(base);
        free(cand);
    }
    return worst;
}

/* Analysis of the CSVs brought home (plot/); 0 when it worked or had nothing to do. */
static int run_analyse(struct run_ctx *run)
{
    if (run->csvs.n == 0) {
        log_warn("no CSV came back: nothing to analyse");
        return 0;
    }
    return results_analyse((const char *const *)run->csvs.v, run->csvs.n, run->o->outdir, run->s);
}

/* Features of model that the accelerator (KVM or TCG) cannot provide here, into missing
 * (and all of them into ra->model_features); 0, or -1 when libvirt could not say. */
static int model_features(struct run_host *h, struct run_arch *ra, bool kvm, const char *model,
                          struct spec_strv *missing)
{
    char *xml = vm_cpu_expand(h->conn, ra->arch, kvm, model);
    struct spec_strv all = {0};
    int ret = -1;

    if (xml && cpucheck_features(xml, &all, missing) == 0) {
        for (size_t i = 0; i < missing->n; i++)
            spec_strv_add(&all, missing->v[i]);
        spec_strv_free(&ra->model_features);
        ra->model_features = all;
        memset(&all, 0, sizeof(all));
        ret = 0;
    }
    spec_strv_free(&all);
    free(xml);
    return ret;
}

/* "a b c" of at most max names of v, "..." after. */
static void feature_list(const struct spec_strv *v, size_t max, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < v->n && i < max; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "", v->v[i]);
    if (v->n > max)
        snprintf(buf + strlen(buf), len - strlen(buf), " ...");
}

/*
 * CPU model truth: is the model usable with the chosen accelerator on this host
 * (libvirt's domain capabilities)?  Under KVM, a model the host cannot give follows
 * --cpu-fallback: TCG (default; QEMU emulates the model), the host's CPU, or refusal.
 * What the accelerator cannot provide is recorded in manifest.json ("cpu_check").
 * Returns 0, or -1 (reported) when the policy says fail.
 */
static int run_cpu_check(struct run_ctx *run, struct run_host *h, struct run_arch *ra,
                         cJSON *parent)
{
    const struct spec *s = run->s;
    cJSON *cc = cJSON_AddObjectToObject(parent, "cpu_check");
    const char *model = spec_arch_model(s, ra->arch);
    struct spec_strv missing = {0};
    char *caps = NULL, list[400];
    enum cpucheck_verdict v;
    int ret = 0;

    ra->cpu_model = model;
    cJSON_AddStringToObject(cc, "model", model);
    if (!strcmp(model, "host")) {
        cJSON_AddStringToObject(cc, "usable", "yes");
        return 0;
    }
    caps = vm_domcaps(h->conn, ra->arch, ra->accel.kvm);
    v = cpucheck_model_usable(caps, model);
    free(caps);
    if (model_features(h, ra, ra->accel.kvm, model, &missing) < 0)
        log_debug("libvirt cannot list the features of CPU model '%s'", model);
    feature_list(&missing, 12, list, sizeof(list));
    if (ra->accel.kvm && v == CPUCHECK_NOT_USABLE) {
        cJSON_AddStringToObject(cc, "usable_under_kvm", "no");
        cJSON *a = cJSON_AddArrayToObject(cc, "missing_under_kvm");
        for (size_t i = 0; i < missing.n; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(missing.v[i]));
        switch (s->cpu_fallback) {
        case SPEC_CPU_FALLBACK_FAIL:
            log_error("CPU model '%s' is not usable under KVM on this host (it lacks %zu of its "
                      "features: %s): --cpu-fallback fail",
                      model, missing.n, list);
            ret = -1;
            goto cleanup;
        case SPEC_CPU_FALLBACK_HOST:
            log_warn("CPU model '%s' is not usable under KVM on this host (lacks: %s): the "
                     "guests get the host's CPU instead (--cpu-fallback host); results are "
                     "labelled 'host', not '%s'",
                     model, list, model);
            ra->cpu_model = "host";
            spec_strv_free(&ra->model_features);
            cJSON_AddStringToObject(cc, "fallback", "host");
            goto cleanup;
        case SPEC_CPU_FALLBACK_TCG:
            log_warn("CPU model '%s' is not usable under KVM on this host (lacks: %s): running "
                     "under TCG, which emulates it (--cpu-fallback host keeps KVM with the host's "
                     "CPU)",
                     model, list);
            ra->accel.kvm = false;
            snprintf(ra->accel.reason, sizeof(ra->accel.reason),
                     "CPU model %.60s is not usable under KVM on this host (--cpu-fallback tcg)",
                     model);
            cJSON_AddStringToObject(cc, "fallback", "tcg");
            spec_strv_free(&missing);
            caps = vm_domcaps(h->conn, ra->arch, false);
            v = cpucheck_model_usable(caps, model);
            free(caps);
            model_features(h, ra, false, model, &missing);
            feature_list(&missing, 12, list, sizeof(list));
            break;
        }
    }
    cJSON_AddStringToObject(cc, "accel", ra->accel.kvm ? "kvm" : "tcg");
    cJSON_AddStringToObject(cc, "usable", cpucheck_verdict_name(v));
    cJSON *a = cJSON_AddArrayToObject(cc, "missing_features");
    for (size_t i = 0; i < missing.n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(missing.v[i]));
    if (missing.n)
        log_warn("%s does not provide %zu features of CPU model '%s' here: %s (the guests "
                 "run without them; listed in manifest.json)",
                 ra->accel.kvm ? "KVM" : "TCG", missing.n, model, list);
cleanup:
    spec_strv_free(&missing);
    return ret;
}

/* Replace the image file *path (may be NULL) by the copy conn's QEMU can read. */
static int run_stage(struct vm_conn *conn, char **path)
{
    char *staged = NULL;

    if (*path == NULL)
        return 0;
    if (vm_conn_stage(conn, *path, &staged) < 0)
        return -1;
    free(*path);
    *path = staged;
    return 0;
}

/* Resolve the image of ra's architecture; 0, or -1 (reported: an input error). */
static int run_arch_image(const struct spec *s, struct run_arch *ra)
{
    char name[PATH_MAX];

    spec_arch_image(s, ra->arch, name, sizeof(name));
    if (image_resolve(name, &ra->img) < 0)
        return -1;
    if (ra->img.arch != ra->arch) {
        log_error("image '%s' holds %s guests, not %s: build one with 'vmsweep image build "
                  "--arch %s' (or name another with --image)",
                  name, domxml_arch_names[ra->img.arch], domxml_arch_names[ra->arch],
                  domxml_arch_names[ra->arch]);
        return -1;
    }
    return 0;
}

/* The image's record for manifest.json. */
static void image_manifest(const struct image *img, cJSON *to)
{
    cJSON *im = cJSON_AddObjectToObject(to, "image");
    cJSON_AddStringToObject(im, "name", img->name);
    cJSON_AddStringToObject(im, "dir", img->dir);
    cJSON_AddStringToObject(im, "manifest_sha256", img->manifest_sha256);
    if (img->kernel_version)
        cJSON_AddStringToObject(im, "kernel_version", img->kernel_version);
    cJSON_AddStringToObject(im, "kernel_boot", img->pvh ? "pvh" : "bzimage");
}

/*
 * Make ra's architecture ready on host h: its boot files where h's QEMU reads them, the
 * accelerator, the CPU model check; recorded into rec.  0, or -1 (reported).
 */
static int run_arch_ready(struct run_ctx *run, struct run_host *h, struct run_arch *ra, cJSON *rec)
{
    const struct spec *s = run->s;
    uint64_t t0 = guest_now_ms();
    const char *an = domxml_arch_names[ra->arch];

    image_manifest(&ra->img, rec);
    /* Hosts are opened at once, and two URIs may reach one machine (one storage pool):
     * their uploads take turns under each volume's lock (volume.h), as two runs' do. */
    if (run_stage(h->conn, &ra->img.kernel) < 0 || run_stage(h->conn, &ra->img.initrd) < 0 ||
        run_stage(h->conn, &ra->img.disk) < 0)
        return -1;
    if (s->accel == SPEC_ACCEL_HVF) {
#ifdef __APPLE__
        ra->accel.hvf = true;
        snprintf(ra->accel.reason, sizeof(ra->accel.reason), "asked for (--accel hvf)");
        if (s->cpu_cap_pct || s->pin)
            log_warn("--accel hvf: macOS has no cgroups, so --cpu-cap and --pin are not "
                     "applied (manifest.json: caps_unavailable)");
#endif
    } else if (ra->arch != domxml_host_arch()) {
        /* KVM runs the host's own architecture only: another is emulated (spec_check
         * refused --accel kvm). */
        memset(&ra->accel, 0, sizeof(ra->accel));
        snprintf(ra->accel.reason, sizeof(ra->accel.reason),
                 "%s guests on a host of another architecture are emulated", an);
    } else if (accel_choose(h->conn, s->accel, ra->img.kernel, run_interrupted, &ra->accel) < 0) {
        return -1;
    }
    /* "accelerator", "accelerator for aarch64 guests", "accelerator on HOST": as many
     * words as the run needs. */
    char who[128] = "";
    if (spec_arch_mixed(s))
        snprintf(who, sizeof(who), " for %s guests", an);
    if (run->nhosts > 1)
        snprintf(who + strlen(who), sizeof(who) - strlen(who), " on %s", h->label);
    if (ra->accel.kvm)
        log_info("accelerator%s: KVM (%s)", who, ra->accel.reason);
    else if (s->accel == SPEC_ACCEL_TCG)
        log_info("accelerator%s: TCG, as asked (emulated: compare ratios, not absolute numbers)",
                 who);
    else
        log_info("accelerator%s: TCG: %s (emulated: compare ratios, not absolute numbers)", who,
                 ra->accel.reason);
    log_debug("accelerator for %s chosen in %llu ms", an,
              (unsigned long long)(guest_now_ms() - t0));
    if (run_cpu_check(run, h, ra, rec) < 0)
        return -1;
    cJSON_AddStringToObject(rec, "arch", an);
    cJSON_AddStringToObject(rec, "machine", domxml_machine(ra->arch));
    cJSON_AddStringToObject(rec, "accel", run_accel_name(&ra->accel));
    if (ra->accel.hvf) {
        cJSON *cu = cJSON_AddArrayToObject(rec, "caps_unavailable");
        cJSON_AddItemToArray(cu, cJSON_CreateString("cpu_cap"));
        cJSON_AddItemToArray(cu, cJSON_CreateString("pin"));
    }
    cJSON_AddStringToObject(rec, "accel_reason", ra->accel.reason);
    return 0;
}

/* Who host h is (hostinfo), for the manifest (each size records its host's) and the
 * placement ledger.  0, or -1 (reported) when libvirt cannot say. */
static int run_host_identity(struct run_host *h)
{
    if (hostinfo_read(vm_conn_virt(h->conn), h->uri ? h->uri : "embedded", &h->info) < 0 ||
        !(h->id = hostinfo_json(&h->info)))
        return -1;
    h->cpus = h->info.cpus;
    return 0;
}

/*
 * Connect to host h and make every architecture of the run ready there, recorded into
 * rec: {"uri", who the host is, "arches": {ARCH: image, accelerator, CPU check}}.
 * 0, or -1 (reported).
 */
static int run_host_open(struct run_ctx *run, struct run_host *h, cJSON *rec)
{
    const struct spec *s = run->s;
    uint64_t t0 = guest_now_ms();

    if (vm_connect(h->uri, &h->conn) < 0)
        return -1;
    log_debug("connected to libvirt at '%s' in %llu ms", vm_conn_uri(h->conn),
              (unsigned long long)(guest_now_ms() - t0));
    vm_conn_versions(h->conn, h->hv, sizeof(h->hv), h->lv, sizeof(h->lv));
    snprintf(h->versions, sizeof(h->versions), "qemu %s libvirt %s vmsweep %s", h->hv, h->lv,
             VMSWEEP_VERSION);
    if (run_host_identity(h) < 0)
        return -1;
    cJSON_AddItemToObject(rec, "host", cJSON_Duplicate(h->id, true));
    cJSON *arches = cJSON_AddObjectToObject(rec, "arches");
    for (int a = 0; a < DOMXML_NARCH; a++) {
        struct run_arch *ra = &h->arch[a];
        ra->arch = (enum domxml_arch)a;
        ra->used = (s->arches & (1u << a)) != 0;
        if (!ra->used)
            continue;
        if (run_arch_image(s, ra) < 0)
            return -1;
        if (run_arch_ready(run, h, ra, cJSON_AddObjectToObject(arches, domxml_arch_names[a])) < 0)
            return -1;
    }
    return 0;
}

/* A host being opened (run_host_open), in a thread of its own when several are. */
struct run_open {
    struct run_ctx *run;
    struct run_host *host;
    cJSON *rec;
    int rc;
    bool threaded;
    pthread_t th;
};

static void *run_open_main(void *arg)
{
    struct run_open *op = arg;

    op->rc = run_host_open(op->run, op->host, op->rec);
    return NULL;
}

/* One size's attempt, in a thread of its own when several hosts run sizes at once. */
struct run_job {
    struct run_ctx *run;
    struct run_host *host;
    size_t idx, host_idx;
    unsigned attempt; /* the ledger's attempts of the size when it started */
    cJSON *m;
    int st;
    bool host_lost;
    bool threaded, ended, joined;
    pthread_t th;
};

static void *run_job_main(void *arg)
{
    struct run_job *j = arg;

    j->st = size_run(j->run, j->host, &j->run->work[j->idx], j->m, &j->host_lost);
    pthread_mutex_lock(&j->run->lock);
    j->ended = true;
    j->run->status[j->idx][0] = '\0';
    pthread_cond_broadcast(&j->run->done);
    pthread_mutex_unlock(&j->run->lock);
    return NULL;
}

/* The ledger's need of size k (placement.h). */
static struct placement_need size_need(const struct spec *s, size_t k)
{
    return placement_need(spec_size_vcpus(s, k), s->cpu_cap_pct, s->memory_mib);
}

/*
 * The placement ledger of a run of several hosts: every host (in run->hosts' order, so
 * the indexes agree; a host that could not be used is failed at once) and every size
 * queued in order.  Before any VM: every size must fit on some live host (its guaranteed
 * CPUs unless --oversubscribe-host, its memory).  *out, or -1 (reported; *input: an input
 * error, exit 2).
 */
static int run_plan(const struct run_ctx *run, struct placement **out, bool *input)
{
    const struct spec *s = run->s;
    const size_t n = run->nwork;
    struct placement *p = placement_new();
    struct placement_need *needs = calloc(n, sizeof(*needs));
    char why[512];
    int ret = -1;

    *input = false;
    if (!p || !needs)
        goto cleanup;
    for (size_t h = 0; h < run->nhosts; h++) {
        struct placement_host ph = {.uri = (char *)run->hosts[h].label};
        if (run->hosts[h].id)
            hostinfo_placement_host(&run->hosts[h].info, &ph);
        if (placement_add_host(p, &ph) < 0)
            goto cleanup;
        if (run->hosts[h].failed)
            placement_fail(p, h);
    }
    for (size_t k = 0; k < n; k++) {
        needs[k] = size_need(s, run->work[k].size);
        if (placement_add(p, &needs[k]) < 0)
            goto cleanup;
    }
    if (placement_plan_check(p, needs, n, s->oversubscribe_host, why, sizeof(why)) < 0) {
        log_error("%s", why);
        *input = true;
        goto cleanup;
    }
    *out = p;
    p = NULL;
    ret = 0;
cleanup:
    placement_free(p);
    free(needs);
    return ret;
}

/* Record job's attempt as the size's: in place of its placeholder in run->sizes, after
 * the attempts on lost hosts (the placeholder's "attempts"). */
static void run_record(struct run_ctx *run, cJSON **rec, struct run_job *j)
{
    cJSON *attempts = cJSON_DetachItemFromObject(rec[j->idx], "attempts");
    if (attempts)
        cJSON_AddItemToObject(j->m, "attempts", attempts);
    for (int p = 0; p < cJSON_GetArraySize(run->sizes); p++)
        if (cJSON_GetArrayItem(run->sizes, p) == rec[j->idx]) {
            cJSON_ReplaceItemInArray(run->sizes, p, j->m);
            break;
        }
    rec[j->idx] = j->m;
    j->m = NULL;
}

/* Wait up to 200 ms for a size's thread to end (run->lock held). */
static void run_wait(struct run_ctx *run)
{
    condwait_ms(&run->done, &run->lock, 200);
}

/*
 * Run every size.  One host: one size after the other, as always.  Several: the ledger
 * (placement.h) places each size, in its own thread, on a host with room for it; a size
 * whose host is lost goes back to the ledger's queue for another host (its rows so far
 * stay in its folder, out of the analysis).  Each size's record goes into run->sizes, in
 * order.  Returns the number of work items complete, -1 for an input error, -2 when out of
 * memory (reported).
 */
static long run_sizes(struct run_ctx *run)
{
    const struct spec *s = run->s;
    const size_t nsizes = spec_size_count(s);
    struct placement *p = NULL;
    struct run_job *jobs = NULL;
    cJSON **rec = NULL;
    bool *done = NULL;
    size_t n = 0, njobs = 0, running = 0;
    long complete = 0;
    bool input;

    /* Fewer sizes than hosts: a CI gate's repetitions of a size are split over them too
     * (not with --runs auto, which decides its runs as it goes, nor --interleave). */
    unsigned per = 1;
    if (run->nhosts > nsizes && s->runs >= 2 && !s->base_args.n)
        per = (unsigned)(run->nhosts / nsizes < s->runs ? run->nhosts / nsizes : s->runs);
    run->work = calloc(nsizes * per, sizeof(*run->work));
    for (size_t k = 0; run->work && k < nsizes; k++)
        for (unsigned q = 0; q < per; q++)
            run->work[n++] = (struct run_work){
                .size = k, .part = q, .parts = per, .runs = s->runs / per + (q < s->runs % per)};
    run->nwork = n;
    jobs = calloc(n * PLACEMENT_MAX_ATTEMPTS + 1, sizeof(*jobs));
    rec = calloc(n + 1, sizeof(*rec));
    done = calloc(n + 1, sizeof(*done));

    if (!run->work || !jobs || !rec || !done || !(run->status = calloc(n, sizeof(*run->status)))) {
        log_error("out of memory");
        complete = -2;
        goto cleanup;
    }
    if (run->nhosts > 1 && run_plan(run, &p, &input) < 0) {
        complete = input ? -1 : 0;
        goto cleanup;
    }
    for (size_t k = 0; k < n; k++) {
        /* A placeholder, so that the record shows every size from the start. */
        const size_t z = run->work[k].size;
        rec[k] = cJSON_CreateObject();
        cJSON_AddNumberToObject(rec[k], "vcpus", spec_size_vcpus(s, z));
        cJSON_AddStringToObject(rec[k], "arch", domxml_arch_names[spec_size_arch(s, z)]);
        cJSON_AddStringToObject(rec[k], "status", "pending");
        cJSON_AddItemToArray(run->sizes, rec[k]);
        if (run->nhosts == 1 && size_need(s, z).mcpus > run->hosts[0].cpus * PLACEMENT_MCPU)
            log_warn("[%u vCPU]: more guaranteed CPUs than this host's %u: the vCPUs share "
                     "its CPUs, and the numbers measure that sharing",
                     spec_size_vcpus(s, z), run->hosts[0].cpus);
        run->runs_total +=
            s->nlevels * (per > 1 ? run->work[k].runs : spec_runs(s)) * (s->base_args.n ? 2 : 1);
    }
    run->t0_ms = guest_now_ms();
    if (run->nhosts == 1) {
        for (size_t k = 0; k < n && !run_signal; k++) {
            struct run_job *j = &jobs[njobs++];
            *j = (struct run_job){.run = run, .host = run->hosts, .idx = k};
            j->m = cJSON_CreateObject();
            log_info("VM size %zu/%zu: %u vCPU(s)%s%s", k + 1, n, spec_size_vcpus(s, k),
                     spec_arch_mixed(s) ? ", " : "",
                     spec_arch_mixed(s) ? domxml_arch_names[spec_size_arch(s, k)] : "");
            /* One host: work items are the sizes, whole. */
            run_job_main(j);
            cJSON_AddItemToObject(j->m, "host", cJSON_Duplicate(j->host->id, true));
            complete += j->st == RUN_COMPLETE;
            run_record(run, rec, j);
            manifest_write(run->manifest, run->manifest_path);
        }
        goto cleanup;
    }

    if (p == NULL) /* run_plan made it: several hosts */
        goto cleanup;
    pthread_mutex_lock(&run->lock);
    for (;;) {
        size_t item, host;
        enum placement_result r = PLACEMENT_DONE;
        /* Start every size that has room now. */
        while (!run_signal && njobs < n * PLACEMENT_MAX_ATTEMPTS &&
               ((r = placement_next(p, s->oversubscribe_host, &item, &host)) == PLACEMENT_OK ||
                r == PLACEMENT_NEVER)) {
            if (r == PLACEMENT_NEVER) {
                log_error("[%u vCPU]: no host it has not failed on can hold it: it is not run",
                          spec_size_vcpus(s, run->work[item].size));
                cJSON_ReplaceItemInObject(rec[item], "status",
                                          cJSON_CreateString(run_status_name(RUN_FAILED)));
                continue;
            }
            struct run_job *j = &jobs[njobs++];
            *j = (struct run_job){.run = run,
                                  .host = &run->hosts[host],
                                  .idx = item,
                                  .host_idx = host,
                                  .attempt = p->items[item].attempts};
            j->m = cJSON_CreateObject();
            const struct run_work *w = &run->work[item];
            char part_tag[48] = "";
            if (w->parts > 1)
                snprintf(part_tag, sizeof(part_tag), ", part %u/%u (%llu runs)", w->part + 1,
                         w->parts, (unsigned long long)w->runs);
            log_info("VM size %zu/%zu: %u vCPU(s)%s%s%s, on %s", w->size + 1, nsizes,
                     spec_size_vcpus(s, w->size), spec_arch_mixed(s) ? ", " : "",
                     spec_arch_mixed(s) ? domxml_arch_names[spec_size_arch(s, w->size)] : "",
                     part_tag, j->host->label);
            if (pthread_create(&j->th, NULL, run_job_main, j) != 0) {
                log_error("cannot start a thread for a VM size: %s", strerror(errno));
                cJSON_Delete(j->m);
                njobs--;
                placement_finish(p, item);
                cJSON_ReplaceItemInObject(rec[item], "status",
                                          cJSON_CreateString(run_status_name(RUN_FAILED)));
                continue;
            }
            j->threaded = true;
            running++;
        }
        if (r == PLACEMENT_NO_HOST && running == 0) {
            log_error("every host is lost: the sizes not run yet are not run");
            break;
        }
        if (running == 0 && (run_signal || r == PLACEMENT_DONE || r == PLACEMENT_NO_HOST))
            break;
        run_wait(run);
        /* The sizes that ended: their records; a lost host's sizes go back to the queue. */
        for (size_t i = 0; i < njobs; i++) {
            struct run_job *j = &jobs[i];
            if (!j->ended || j->joined)
                continue;
            pthread_mutex_unlock(&run->lock);
            pthread_join(j->th, NULL);
            pthread_mutex_lock(&run->lock);
            j->joined = true;
            running--;
            cJSON_AddItemToObject(j->m, "host", cJSON_Duplicate(j->host->id, true));
            struct placement_item *it = &p->items[j->idx];
            bool current = it->state == PLACEMENT_RUNNING && it->host == j->host_idx &&
                           it->attempts == j->attempt;
            if (j->host_lost && !run_signal) {
                if (!j->host->failed) {
                    log_warn("%s is lost (%s): its sizes go to the other hosts; the rows of "
                             "[%u vCPU] so far stay in its folder",
                             j->host->label,
                             vm_conn_alive(j->host->conn) ? "a VM would not start"
                                                          : "its connection is gone",
                             spec_size_vcpus(s, run->work[j->idx].size));
                    j->host->failed = true;
                    cJSON_AddBoolToObject(
                        cJSON_GetArrayItem(cJSON_GetObjectItem(run->manifest, "hosts"),
                                           (int)j->host_idx),
                        "lost", true);
                    placement_fail(p, j->host_idx); /* requeues what ran there */
                }
                cJSON_AddBoolToObject(j->m, "host_lost", true);
                cJSON *attempts = cJSON_GetObjectItem(rec[j->idx], "attempts");
                if (!attempts)
                    attempts = cJSON_AddArrayToObject(rec[j->idx], "attempts");
                cJSON_AddItemToArray(attempts, j->m);
                j->m = NULL;
                if (it->state == PLACEMENT_GIVEN_UP)
                    cJSON_ReplaceItemInObject(rec[j->idx], "status",
                                              cJSON_CreateString(run_status_name(RUN_FAILED)));
                continue;
            }
            if (current)
                placement_finish(p, j->idx);
            else
                placement_keep(p, j->idx);
            if (done[j->idx]) {
                /* Run again elsewhere meanwhile: the first record stays the size's. */
                cJSON *attempts = cJSON_GetObjectItem(rec[j->idx], "attempts");
                if (!attempts)
                    attempts = cJSON_AddArrayToObject(rec[j->idx], "attempts");
                cJSON_AddItemToArray(attempts, j->m);
                j->m = NULL;
                continue;
            }
            done[j->idx] = true;
            complete += j->st == RUN_COMPLETE;
            run_record(run, rec, j);
            manifest_write(run->manifest, run->manifest_path);
        }
    }
    pthread_mutex_unlock(&run->lock);
cleanup:
    for (size_t i = 0; i < njobs; i++)
        cJSON_Delete(jobs[i].m);
    placement_free(p);
    free(jobs);
    free(rec);
    free(done);
    return complete;
}

int run_sweep(const struct spec *s, const struct run_opts *o)
{
    struct run_ctx run = {.s = s, .o = o};
    struct run_open *opens = NULL;
    char *spec_json = NULL;
    int ret = 1;
    size_t complete = 0, open = 0;
    const enum domxml_arch first = spec_arch_first(s);

    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.done, NULL);
    /* Input problems (no image, no KVM when asked) are found before anything is created. */
    run.manifest_path = fsutil_printf("%s/manifest.json", o->outdir);
    run.manifest = manifest_new();
    run.nhosts = s->connect.n ? s->connect.n : 1;
    run.hosts = calloc(run.nhosts, sizeof(*run.hosts));
    opens = calloc(run.nhosts, sizeof(*opens));
    if (!run.manifest_path || !run.manifest || !run.hosts || !opens)
        goto cleanup;
    for (int a = 0; a < DOMXML_NARCH; a++) {
        struct run_arch check = {.arch = (enum domxml_arch)a};
        int rc = (s->arches & (1u << a)) ? run_arch_image(s, &check) : 0;
        image_free(&check.img);
        if (rc < 0) {
            ret = 2;
            goto cleanup;
        }
    }
    for (size_t h = 0; h < run.nhosts; h++) {
        /* "qemu:///embed" names the default embedded driver in a list of hosts. */
        run.hosts[h].uri =
            s->connect.n && strcmp(s->connect.v[h], RUN_EMBED_URI) ? s->connect.v[h] : NULL;
        for (size_t g = 0; g < h; g++) {
            if (!strcmp(s->connect.v[g], s->connect.v[h])) {
                log_error("--connect '%s' is given twice: a host is named once", s->connect.v[h]);
                ret = 2;
                goto cleanup;
            }
        }
        snprintf(run.hosts[h].label, sizeof(run.hosts[h].label), "%s",
                 run.hosts[h].uri ? run.hosts[h].uri : "embedded");
    }
    if (run.nhosts > 64) {
        log_error("%zu hosts given: at most 64 in one run", run.nhosts);
        ret = 2;
        goto cleanup;
    }
    if (keys_ensure(&run.keys) < 0)
        goto cleanup;
    if (fsutil_mkdir_p(o->outdir, 0755) < 0) {
        log_error("cannot create output folder '%s': %s", o->outdir, strerror(errno));
        goto cleanup;
    }
    spec_json = spec_to_json(s);
    manifest_add_json(run.manifest, "spec", spec_json);
    /* A full or read-only output disk must stop us before a VM burns minutes. */
    if (manifest_write(run.manifest, run.manifest_path) < 0)
        goto cleanup;
    cJSON *hosts = cJSON_AddArrayToObject(run.manifest, "hosts");
    for (size_t h = 0; h < run.nhosts; h++) {
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddItemToArray(hosts, rec);
        cJSON_AddStringToObject(rec, "uri", run.hosts[h].uri ? run.hosts[h].uri : "embedded");
    }
    /* Daemons first, all at once (connection, uploads, accelerator probe: seconds to
     * minutes each); then the embedded driver: once it is loaded in this process,
     * libvirt's remote driver no longer opens connections ("no connection driver
     * available"). */
    for (int phase = 0; phase < 2 && !run_signal; phase++) {
        for (size_t h = 0; h < run.nhosts; h++) {
            struct run_open *op = &opens[h];
            if ((phase == 0) != (run.hosts[h].uri != NULL))
                continue;
            *op = (struct run_open){.run = &run,
                                    .host = &run.hosts[h],
                                    .rec = cJSON_GetArrayItem(hosts, (int)h),
                                    .rc = -1};
            /* One daemon host: no thread (the one-host path stays as it was). */
            op->threaded = phase == 0 && run.nhosts > 1 &&
                           pthread_create(&op->th, NULL, run_open_main, op) == 0;
            if (!op->threaded)
                run_open_main(op);
        }
        for (size_t h = 0; h < run.nhosts; h++) {
            struct run_open *op = &opens[h];
            if ((phase == 0) != (run.hosts[h].uri != NULL))
                continue;
            if (op->threaded)
                pthread_join(op->th, NULL);
            if (op->rc == 0) {
                open++;
                continue;
            }
            /* One host of several may be down: the others run its share. */
            cJSON_AddBoolToObject(op->rec, "failed", true);
            op->host->failed = true;
            if (run.nhosts > 1)
                log_warn("host '%s' cannot be used: the sizes go to the others", op->host->label);
        }
    }
    if (open == 0 || (run.nhosts == 1 && run.hosts[0].failed))
        goto cleanup;
    /* A one-host run's record, where it always was: the first host's, the first
     * architecture's; with several architectures "arches" holds each one's. */
    {
        struct run_host *h0 = &run.hosts[0];
        for (size_t h = 0; h < run.nhosts && h0->failed; h++)
            h0 = &run.hosts[h];
        cJSON *rec = cJSON_GetArrayItem(hosts, (int)(h0 - run.hosts));
        cJSON *arches = cJSON_GetObjectItem(rec, "arches");
        cJSON *fa = cJSON_GetObjectItem(arches, domxml_arch_names[first]);
        for (cJSON *e = fa ? fa->child : NULL; e; e = e->next)
            cJSON_AddItemToObject(run.manifest, e->string, cJSON_Duplicate(e, true));
        if (spec_arch_mixed(s))
            cJSON_AddItemToObject(run.manifest, "arches", cJSON_Duplicate(arches, true));
        cJSON_AddStringToObject(run.manifest, "libvirt_uri", vm_conn_uri(h0->conn));
        cJSON_AddStringToObject(run.manifest, "hypervisor_version", h0->hv);
        cJSON_AddStringToObject(run.manifest, "libvirt_version", h0->lv);
    }
    run.sizes = cJSON_AddArrayToObject(run.manifest, "sizes");
    manifest_write(run.manifest, run.manifest_path);
    long done = run_sizes(&run);
    if (done < 0) {
        ret = done == -1 ? 2 : 1;
        goto cleanup;
    }
    complete = (size_t)done;
    for (size_t h = 0; h < run.nhosts; h++) {
        vm_disconnect(run.hosts[h].conn);
        run.hosts[h].conn = NULL;
    }
    /* Parts of a size's repetitions (several hosts) count as sizes of their own here. */
    const size_t nsizes = run.nwork;
    if (run_signal)
        cJSON_AddStringToObject(run.manifest, "interrupted", strsignal(run_signal));
    log_status(NULL);
    /* The verdicts first, recorded, so the report the analysis writes shows them. */
    bool whole = !run_signal && complete == nsizes;
    int ab = whole ? run_ab_verdict(&run) : 0;
    int gates =
        whole ? results_gates((const char *const *)run.csvs.v, run.csvs.n, s, run.manifest) : 0;
    manifest_write(run.manifest, run.manifest_path);
    bool analysis_failed = !o->no_plot && !run_signal && run_analyse(&run) < 0;
    if (run_signal)
        ret = 128 + run_signal;
    else if (!whole || analysis_failed)
        ret = 1; /* as `vmsweep local`: a failed analysis fails the run */
    else
        ret = ab;
    if (ret == 0 || ret == 4)
        ret = gates < 0 ? 1 : gates == 3 ? 3 : ret;
    /* The verdict a CI job acted on, next to everything else about the run.  Without
     * its record a run is not reproducible: losing it fails the run. */
    cJSON_AddNumberToObject(run.manifest, "exit_code", ret);
    if (manifest_write(run.manifest, run.manifest_path) < 0) {
        log_error("the run's record '%s' could not be written: exit 1 whatever the results",
                  run.manifest_path);
        if (ret == 0 || ret == 4)
            ret = 1;
    }
    log_info("results in '%s' (%zu of %zu VM size(s)%s complete)", o->outdir, complete, nsizes,
             nsizes > spec_size_count(s) ? " and parts" : "");
cleanup:
    for (size_t h = 0; run.hosts && h < run.nhosts; h++) {
        struct run_host *rh = &run.hosts[h];
        vm_disconnect(rh->conn);
        for (int a = 0; a < DOMXML_NARCH; a++) {
            image_free(&rh->arch[a].img);
            spec_strv_free(&rh->arch[a].model_features);
        }
        cJSON_Delete(rh->id);
        hostinfo_free(&rh->info);
    }
    free(opens);
    free(run.hosts);
    free(run.status);
    free(run.work);
    keys_free(&run.keys);
    spec_strv_free(&run.csvs);
    spec_strv_free(&run.ab_dirs);
    cJSON_Delete(run.manifest);
    free(run.manifest_path);
    free(spec_json);
    pthread_cond_destroy(&run.done);
    pthread_mutex_destroy(&run.lock);
    return ret;
}
