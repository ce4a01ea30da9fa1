/*
 * vm — see vm.h.
 *
 * The embedded QEMU driver (qemu:///embed?root=DIR) needs no daemon, which is what makes
 * vmsweep usable in CI containers and on laptops.  Its rules, learnt the hard way
 * (libvirt 9.0): an event loop must run in a thread; DIR/etc/qemu.conf must say
 * stdio_handler = "file" (no virtlogd); one root can be opened by one process at a time,
 * and a process can hold only one embedded driver; AUTODESTROY is refused; QEMU outlives
 * the process.  So each vmsweep process gets its own root, tracks its domains itself and
 * reaps the roots of dead processes at startup.
 */
#include "vm.h"

#include "console.h"
#include "fsutil.h"
#include "guest.h"
#include "imgdisk.h"
#include "jump.h"
#include "log.h"
#include "paths.h"
#include "volume.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <linux/kvm.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VM_MAX_TRACKED   64
#define VM_MAX_VCPU_INFO 256 /* the most vCPUs a size may have (specopt's vcpus range) */
/* Fields of a host's or domain's CPU stats read at most (Linux gives 4 and 3). */
#define VM_NODE_STATS_MAX 16
/* Unix socket paths are limited to 108 bytes; libvirt adds ~60 below the root. */
/* The per-run folder handed to a daemon's QEMU: /tmp/<prefix><pid>-XXXXXX (see handover). */
#define VM_HANDOVER_PREFIX "/tmp/vmsweep-run-"
#define VM_MAX_ROOT_LEN    44
/* A remote host's forward ports: below Linux's ephemeral ports (32768-60999), above most
 * services'.  A port taken there makes QEMU refuse it, and the caller tries another. */
#define VM_REMOTE_PORT_MIN 20000
#define VM_REMOTE_PORT_N   12000

struct vm_conn {
    virConnectPtr conn;
    char *uri;
    char *root;     /* embed root we own, or NULL */
    char *workdir;  /* where console logs and results disks go */
    bool handover;  /* workdir is a per-run dir handed to the daemon's QEMU user */
    uid_t qemu_uid; /* who the daemon runs QEMU as (handover only) */
    gid_t qemu_gid;
    /* A remote host (qemu+ssh): the workdir is a private local folder, the results disks
     * go there as volumes, consoles come as streams, guests' SSH through the jump. */
    bool remote;
    struct jump *jump;
    struct guest_route route;
    char tag[VOLUME_TAG_LEN + 1]; /* this host's, in the names of per-run volumes */
};

/* A console streamed by libvirt (remote hosts) into one end of a socket pair. */
struct vm_constream {
    virStreamPtr st;
    int fd;           /* our end: written from libvirt's event loop, non-blocking */
    uint64_t dropped; /* bytes the console reader had no room for */
};

struct vm {
    struct vm_conn *owner;
    virDomainPtr dom;
    char *name;
    struct console *console; /* NULL when not captured */
    struct vm_constream *cs; /* the console's stream (remote hosts), or NULL */
    pid_t qemu_pid;          /* our own QEMU (embedded driver), or 0 */
    bool qemu_reaped_here;   /* qemu_pid is our child, reaped by a thread of ours */
};

static pthread_mutex_t vm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vm *vm_tracked[VM_MAX_TRACKED];
static pthread_t vm_event_thread;
static atomic_int vm_event_quit; /* set by the main thread, read by the loop */
static int vm_event_started;
static int vm_event_timer = -1;

static const char *vm_lasterr(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

/* libvirt prints every error to stderr by default; we report them ourselves, once. */
static void vm_silent_error(void *data, virErrorPtr err)
{
    (void)data;
    (void)err;
}

static void vm_tick(int timer, void *data)
{
    (void)timer;
    (void)data;
}

static void *vm_event_loop(void *arg)
{
    (void)arg;
    /* Signals belong to the main thread, which turns them into a clean shutdown. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    while (!vm_event_quit) {
        if (virEventRunDefaultImpl() < 0)
            break;
    }
    return NULL;
}

/* Hosts are connected from several threads at once: the loop is started once. */
static pthread_mutex_t vm_event_lock = PTHREAD_MUTEX_INITIALIZER;

static int vm_event_start(void)
{
    int ret = -1;

    pthread_mutex_lock(&vm_event_lock);
    if (vm_event_started) {
        ret = 0;
        goto cleanup;
    }
    if (virEventRegisterDefaultImpl() < 0) {
        log_error("cannot set up libvirt's event loop: %s", vm_lasterr());
        goto cleanup;
    }
    /* A periodic timer so the loop wakes up and notices vm_event_quit. */
    vm_event_timer = virEventAddTimeout(100, vm_tick, NULL, NULL);
    vm_event_quit = 0;
    if (pthread_create(&vm_event_thread, NULL, vm_event_loop, NULL) != 0) {
        log_error("cannot start libvirt's event loop thread");
        goto cleanup;
    }
    vm_event_started = 1;
    ret = 0;
cleanup:
    pthread_mutex_unlock(&vm_event_lock);
    return ret;
}

static void vm_event_stop(void)
{
    if (!vm_event_started)
        return;
    vm_event_quit = 1;
    pthread_join(vm_event_thread, NULL);
    if (vm_event_timer >= 0)
        virEventRemoveTimeout(vm_event_timer);
    vm_event_timer = -1;
    vm_event_started = 0;
}

bool vm_kvm_usable(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    bool ok = false;

    if (fd < 0)
        return false;
    if (ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION) {
        int vmfd = ioctl(fd, KVM_CREATE_VM, 0);
        if (vmfd >= 0) {
            /* A VM fd alone is not proof: without VMX/SVM the first vCPU fails. */
            int cpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
            ok = cpufd >= 0;
            if (cpufd >= 0)
                close(cpufd);
            close(vmfd);
        }
    }
    close(fd);
    return ok;
}

unsigned vm_free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unsigned port = 0;

    if (fd < 0) {
        log_error("cannot create a socket: %s", strerror(errno));
        return 0;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        log_error("cannot find a free port on 127.0.0.1: %s", strerror(errno));
    else
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* Is byte 0 of path locked by another process (libvirt's pidfile lock)? */
static bool pidfile_locked(const char *path)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool locked = false;

    if (fd < 0)
        return false;
    if (fcntl(fd, F_GETLK, &fl) == 0)
        locked = fl.l_type != F_UNLCK;
    close(fd);
    return locked;
}

/* Does /proc/<pid>/cmdline look like QEMU and mention needle? */
static bool proc_is_qemu_of(pid_t pid, const char *needle)
{
    char path[64], buf[16384];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    if (strstr(buf, "qemu") == NULL)
        return false;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\0')
            buf[i] = ' ';
    }
    return strstr(buf, needle) != NULL;
}

/* Kill every QEMU whose command line mentions root; returns how many. */
static int kill_qemus_of(const char *root)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t pids[64];
    int n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && n < 64) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        pid_t pid = (pid_t)atol(e->d_name);
        if (pid != getpid() && proc_is_qemu_of(pid, root))
            pids[n++] = pid;
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGTERM);
    /* Give QEMU a moment to exit cleanly, then make sure. */
    for (int t = 0; t < 20 && n > 0; t++) {
        int alive = 0;
        for (int i = 0; i < n; i++)
            alive += kill(pids[i], 0) == 0 && proc_is_qemu_of(pids[i], root);
        if (!alive)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < n; i++) {
        if (proc_is_qemu_of(pids[i], root))
            kill(pids[i], SIGKILL);
    }
    return n;
}

/*
 * The folder holding embed roots.  Under the cache when its path is short enough for the
 * sockets libvirt makes below it; else $TMPDIR/vmsweep-<uid>/embed ($TMPDIR when it is
 * absolute and short enough, else /tmp), which others could have planted (a symlink to a
 * folder of theirs would make vm_reap_stale delete its contents): fsutil_private_dir
 * refuses anything but real 0700 folders of ours there.
 */
static char *embed_base(void)
{
    char *base = paths_cache_sub("embed");
    if (base && strlen(base) + 16 > VM_MAX_ROOT_LEN) {
        const char *tmp = getenv("TMPDIR");
        free(base);
        base = tmp && tmp[0] == '/' ? fsutil_printf("%s/vmsweep-%u/embed", tmp, (unsigned)geteuid())
                                    : NULL;
        if (!base || strlen(base) + 16 > VM_MAX_ROOT_LEN) {
            free(base);
            base = fsutil_printf("/tmp/vmsweep-%u/embed", (unsigned)geteuid());
        }
    }
    if (base && fsutil_private_dir(base) < 0) {
        free(base);
        base = NULL;
    }
    return base;
}

/* Is name an embed root of the shape vm_connect creates ("<pid>-<4 hex digits>")? Only
 * such names are ever removed: a folder we did not make is never deleted. */
static bool embed_root_name(const char *name)
{
    size_t digits = strspn(name, "0123456789");
    return digits > 0 && digits <= 10 && name[digits] == '-' &&
           strspn(name + digits + 1, "0123456789abcdef") == 4 && name[digits + 5] == '\0';
}

/* vm_reap_stale in the embed folder base. */
static int reap_in(const char *base)
{
    DIR *d = opendir(base);
    struct dirent *e;
    int killed = 0;

    while (d && (e = readdir(d)) != NULL) {
        struct stat st;
        if (!embed_root_name(e->d_name) ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
            st.st_uid != geteuid())
            continue;
        char *root = fsutil_printf("%s/%s", base, e->d_name);
        char *pidf = root ? fsutil_printf("%s/run/qemu/driver.pid", root) : NULL;
        if (pidf == NULL) {
            free(root);
            break;
        }
        bool stale;
        if (fsutil_exists(pidf)) {
            stale = !pidfile_locked(pidf);
        } else {
            /* Never opened (or already gone): stale when the creating process is dead. */
            long owner = atol(e->d_name);
            stale = owner <= 0 || (kill((pid_t)owner, 0) < 0 && errno == ESRCH);
        }
        if (stale) {
            int n = kill_qemus_of(root);
            if (n > 0)
                log_warn("reaped %d QEMU process%s left by an earlier run in '%s'", n,
                         n == 1 ? "" : "es", root);
            killed += n;
            fsutil_rm_rf(root);
        }
        free(pidf);
        free(root);
    }
    if (d)
        closedir(d);
    return killed;
}

int vm_reap_stale(void)
{
    char *base = embed_base();
    int killed = base ? reap_in(base) : 0;

    free(base);
    return killed;
}

static int write_qemu_conf(const char *root)
{
    char *dir = fsutil_printf("%s/etc", root), *path = NULL;
    int ret = -1;
    const char *conf_root = "# written by vmsweep\n"
                            "stdio_handler = \"file\"\n"
                            "user = \"root\"\n"
                            "group = \"root\"\n"
                            "dynamic_ownership = 0\n"
                            "namespaces = [ ]\n";
    const char *conf_user = "# written by vmsweep\n"
                            "stdio_handler = \"file\"\n";

    if (dir == NULL || fsutil_mkdir_p(dir, 0700) < 0)
        goto cleanup;
    path = fsutil_printf("%s/qemu.conf", dir);
    if (path == NULL)
        goto cleanup;
    const char *conf = getuid() == 0 ? conf_root : conf_user;
    ret = fsutil_write_atomic(path, conf, strlen(conf), 0600);
cleanup:
    free(dir);
    free(path);
    return ret;
}

/*
 * QEMU's capabilities cache.  Every embed root is new, so libvirt would probe QEMU again
 * on each run (about 4 s under TCG here).  The cache files are kept under
 * <cache>/qemu-caps and copied in and out of each root; libvirt itself checks them
 * against the QEMU binary and its own version and re-probes when they are stale.
 */
static void caps_copy(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *e;

    if (!d)
        return;
    if (fsutil_mkdir_p(to, 0700) < 0) {
        closedir(d);
        return;
    }
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char *src, *dst;
        if (len < 5 || strcmp(e->d_name + len - 4, ".xml") || !fsutil_safe_name(e->d_name))
            continue;
        src = fsutil_printf("%s/%s", from, e->d_name);
        dst = fsutil_printf("%s/%s", to, e->d_name);
        if (src && dst && fsutil_copy_file(src, dst) < 0)
            log_debug("cannot copy QEMU capabilities '%s'", src);
        free(src);
        free(dst);
    }
    closedir(d);
}

/* Copy the shared capabilities cache into root (in = true) or root's back out. */
static void caps_share(const char *root, bool in)
{
    char *shared = paths_cache_sub("qemu-caps");
    char *mine = fsutil_printf("%s/cache/qemu/capabilities", root);

    if (shared && mine)
        caps_copy(in ? shared : mine, in ? mine : shared);
    free(shared);
    free(mine);
}

/* Give every thread of this process the CPU set mask. */
static void set_all_affinity(const cpu_set_t *mask)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0 && sched_setaffinity(tid, sizeof(*mask), mask) < 0)
            log_debug("cannot set the CPU affinity of thread %d: %s", (int)tid, strerror(errno));
    }
    closedir(d);
}

/*
 * virConnectOpen on one fixed CPU.  The embedded driver reads the host's CPUID when it
 * starts and keeps QEMU's capabilities only while it reads the same again; on a VM host
 * some CPUID bits (the APIC ID) differ from CPU to CPU, so a driver started on another
 * CPU than the cached capabilities' probed every QEMU binary again (8 s per run under
 * TCG here).  The first CPU we may use is always the same; the mask of every thread is
 * put back after (libvirt starts threads while it opens).
 */
static virConnectPtr open_pinned(const char *uri)
{
    cpu_set_t old, one;
    virConnectPtr conn;
    int first = -1;

    if (sched_getaffinity(0, sizeof(old), &old) < 0)
        return virConnectOpen(uri);
    for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
        if (CPU_ISSET(i, &old))
            first = i;
    CPU_ZERO(&one);
    CPU_SET(first < 0 ? 0 : first, &one);
    set_all_affinity(&one);
    conn = virConnectOpen(uri);
    set_all_affinity(&old);
    return conn;
}

/*
 * Who the daemon of conn runs QEMU as: the DAC <baselabel> ("+UID:+GID") of its
 * capabilities.  0, or -1 when the daemon does not say (no DAC security driver).
 */
static int qemu_owner(virConnectPtr conn, uid_t *uid, gid_t *gid)
{
    char *caps = virConnectGetCapabilities(conn);
    const char *p = caps ? strstr(caps, "<model>dac</model>") : NULL;
    unsigned long u, g;
    int ret = -1;

    p = p ? strstr(p, "<baselabel") : NULL;
    p = p ? strchr(p, '>') : NULL;
    if (p && sscanf(p, ">+%lu:+%lu<", &u, &g) == 2) {
        *uid = (uid_t)u;
        *gid = (gid_t)g;
        ret = 0;
    }
    free(caps);
    return ret;
}

/* Give the file or folder at path (never through a symbolic link) to QEMU's user. */
static int hand_to_qemu(const struct vm_conn *c, const char *path)
{
    int fd, ret = -1;

    if (c->qemu_uid == geteuid() && c->qemu_gid == getegid())
        return 0;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fchown(fd, c->qemu_uid, c->qemu_gid) < 0)
        log_error("cannot give '%s' to QEMU's user (uid %lu, gid %lu) of '%s': %s%s", path,
                  (unsigned long)c->qemu_uid, (unsigned long)c->qemu_gid, c->uri, strerror(errno),
                  geteuid() != 0 ? " (that takes root: run vmsweep as root, or use "
                                   "qemu:///session)"
                                 : "");
    else
        ret = 0;
    if (fd >= 0)
        close(fd);
    return ret;
}

/*
 * Remove the per-run folders (handover_dir) of vmsweep processes that are gone (killed:
 * a clean exit removes its own).  Only names of the shape we create, real folders of mode
 * 0700 owned by us or by this daemon's QEMU user.
 */
static void handover_reap(const struct vm_conn *c)
{
    const char *prefix = strrchr(VM_HANDOVER_PREFIX, '/') + 1;
    size_t plen = strlen(prefix);
    DIR *d = opendir("/tmp");
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL) {
        char *end, *path;
        struct stat st;
        long pid;

        if (strncmp(e->d_name, prefix, plen) != 0)
            continue;
        pid = strtol(e->d_name + plen, &end, 10);
        if (pid <= 0 || *end != '-' || strlen(end + 1) != 6 || !fsutil_safe_name(end + 1) ||
            (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        path = fsutil_printf("/tmp/%s", e->d_name);
        if (path && lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700 &&
            (st.st_uid == geteuid() || st.st_uid == c->qemu_uid)) {
            log_debug("removing '%s' of a vmsweep that is gone", path);
            fsutil_rm_rf(path);
        }
        free(path);
    }
    if (d)
        closedir(d);
}

/*
 * A local daemon's QEMU runs as its own user (qemu.conf's user/group), which cannot
 * reach our private cache.  It gets a per-run folder of its own under /tmp: created
 * exclusively with mode 0700 (mkdtemp), checked with lstat (a folder, ours, 0700, not a
 * link), then given to QEMU's user, so only that user and root can enter it.  QEMU
 * creates its console sockets there; every disk it opens is a volume of the daemon's
 * storage pool (volume.h), uploaded from here and downloaded back for salvage.
 */
static int handover_dir(struct vm_conn *c)
{
    /* A remote host's QEMU (its user known for the volumes) never sees this folder. */
    struct stat st;

    if (qemu_owner(c->conn, &c->qemu_uid, &c->qemu_gid) < 0) {
        c->qemu_uid = geteuid();
        c->qemu_gid = getegid();
    }
    handover_reap(c);
    c->workdir = fsutil_printf("%s%ld-XXXXXX", VM_HANDOVER_PREFIX, (long)getpid());
    if (c->workdir == NULL)
        return -1;
    if (mkdtemp(c->workdir) == NULL) {
        log_error("cannot create a folder for QEMU of '%s' like '%s': %s", c->uri, c->workdir,
                  strerror(errno));
        free(c->workdir);
        c->workdir = NULL;
        return -1;
    }
    c->handover = true;
    if (lstat(c->workdir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 07777) != 0700) {
        log_error("'%s' is not the private folder just created (a folder of ours, mode 0700)",
                  c->workdir);
        return -1;
    }
    log_debug("files for QEMU (uid %lu) of '%s' go to '%s'", (unsigned long)c->qemu_uid, c->uri,
              c->workdir);
    return c->remote ? 0 : hand_to_qemu(c, c->workdir);
}

int vm_conn_stage(struct vm_conn *conn, const char *path, char **out)
{
    char *dst;
    bool uploaded;

    if (conn->handover)
        return volume_put(conn->conn, path, conn->qemu_uid, conn->qemu_gid, out, &uploaded);
    dst = strdup(path);
    if (dst == NULL) {
        log_error("out of memory");
        return -1;
    }
    *out = dst;
    return 0;
}

int vm_conn_pool(struct vm_conn *conn)
{
    return volume_pool_ready(conn->conn);
}

bool vm_conn_remote(const struct vm_conn *conn)
{
    return conn->remote;
}

const struct guest_route *vm_conn_route(const struct vm_conn *conn)
{
    return conn->remote ? &conn->route : NULL;
}

unsigned vm_conn_port(struct vm_conn *conn)
{
    unsigned r;

    if (!conn->remote)
        return vm_free_port();
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (unsigned)time(NULL) ^ (unsigned)getpid();
    return VM_REMOTE_PORT_MIN + r % VM_REMOTE_PORT_N;
}

void vm_conn_console(const struct vm_conn *conn, struct vm_def *def, const char *sock)
{
    def->console_sock = conn->remote ? NULL : sock;
    def->console_pty = conn->remote;
}

/* The run's part of the workdir's name ("<pid>-<rand>"): its per-run volumes carry it. */
static int run_id(const struct vm_conn *c, long *pid, const char **rand)
{
    const char *p = c->workdir + strlen(VM_HANDOVER_PREFIX);
    char *end;

    *pid = strtol(p, &end, 10);
    if (*end != '-')
        return -1;
    *rand = end + 1;
    return 0;
}

/* The name of conn's per-run volume for the file named file (volume_run_name); 0/-1. */
static int run_volume_name(const struct vm_conn *conn, const char *file, char *out, size_t len)
{
    const char *rand;
    long pid;

    if (run_id(conn, &pid, &rand) < 0 ||
        volume_run_name(conn->tag, pid, rand, file, out, len) < 0) {
        log_error("no volume name for '%s'", file);
        return -1;
    }
    return 0;
}

int vm_conn_disk_put(struct vm_conn *conn, const char *path, char **used)
{
    char name[VOLUME_NAME_MAX];
    const char *base = strrchr(path, '/');

    if (!conn->handover) {
        *used = strdup(path);
        if (*used == NULL) {
            log_error("out of memory");
            return -1;
        }
        return 0;
    }
    if (run_volume_name(conn, base ? base + 1 : path, name, sizeof(name)) < 0)
        return -1;
    return volume_run_put(conn->conn, path, name, conn->qemu_uid, conn->qemu_gid, used);
}

int vm_conn_root(struct vm_conn *conn, const char *base, const char *name, char **used)
{
    char vname[VOLUME_NAME_MAX], *file = fsutil_printf("%s-root.qcow2", name);
    int ret = -1;

    if (file == NULL)
        return -1;
    if (!conn->handover) {
        char *path = fsutil_printf("%s/%s", conn->workdir, file);
        if (path && imgdisk_overlay(base, path) == 0) {
            *used = path;
            ret = 0;
        } else {
            free(path);
        }
    } else if (run_volume_name(conn, file, vname, sizeof(vname)) == 0) {
        ret = volume_overlay(conn->conn, base, vname, conn->qemu_uid, conn->qemu_gid, used);
    }
    free(file);
    return ret;
}

int vm_conn_disk_get(struct vm_conn *conn, const char *used, const char *path)
{
    struct stat st;

    if (!conn->handover)
        return 0;
    /* path is the disk we made, in our folder: its size caps the download. */
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        log_error("'%s' is not the results disk made for this VM", path);
        return -1;
    }
    if (unlink(path) < 0) {
        log_error("cannot replace '%s': %s", path, strerror(errno));
        return -1;
    }
    return volume_get(conn->conn, used, path, (unsigned long long)st.st_size);
}

void vm_conn_disk_drop(struct vm_conn *conn, const char *used)
{
    if (used == NULL)
        return;
    if (conn->handover)
        volume_drop(conn->conn, used);
    else
        unlink(used);
}

int vm_connect(const char *uri, struct vm_conn **out)
{
    struct vm_conn *c = calloc(1, sizeof(*c));
    char *base = NULL;

    if (c == NULL) {
        log_error("out of memory");
        return -1;
    }
    virSetErrorFunc(NULL, vm_silent_error);
    if (uri == NULL || strncmp(uri, "qemu:///embed", 13) == 0) {
        base = embed_base();
        if (base == NULL)
            goto fail;
        reap_in(base);
        /* Our QEMUs' orphans come to us, to be reaped at once (qemu_reaper). */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
            log_debug("cannot become a subreaper: %s", strerror(errno));
    }
    if (uri == NULL) {
        unsigned r;
        int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (rfd < 0 || read(rfd, &r, sizeof(r)) != sizeof(r))
            r = (unsigned)time(NULL);
        if (rfd >= 0)
            close(rfd);
        c->root = fsutil_printf("%s/%ld-%04x", base, (long)getpid(), r & 0xffff);
        if (c->root == NULL || fsutil_mkdir_p(c->root, 0700) < 0 || write_qemu_conf(c->root) < 0)
            goto fail;
        caps_share(c->root, true);
        c->uri = fsutil_printf("qemu:///embed?root=%s", c->root);
        c->workdir = strdup(c->root);
    } else if (jump_uri_remote(uri)) {
        struct jump_target t;
        const struct passwd *pw = getpwuid(geteuid());
        if (jump_parse_uri(uri, pw ? pw->pw_name : NULL, &t) < 0)
            goto fail;
        c->remote = true;
        c->uri = strdup(uri);
        /* The guests' SSH goes through the host's SSH server: there before any VM. */
        if (jump_open(&t, &c->jump) < 0)
            goto fail;
        c->route.dial = jump_dial;
        c->route.arg = c->jump;
        c->route.via = jump_name(c->jump);
    } else {
        c->uri = strdup(uri);
    }
    if (c->uri == NULL || (c->root && c->workdir == NULL))
        goto fail;
    if (vm_event_start() < 0)
        goto fail;
    log_debug("connecting to '%s'", c->uri);
    /* A remote host's driver reads its own CPUs: pinning here would only pin libvirt's
     * ssh child for good. */
    c->conn = c->remote ? virConnectOpen(c->uri) : open_pinned(c->uri);
    if (c->conn == NULL) {
        const char *why = vm_lasterr();
        log_error("cannot connect to libvirt at '%s': %s", c->uri, why);
        if (c->remote)
            log_error("libvirt reaches '%s' with the ssh command, which runs virt-ssh-helper "
                      "(package libvirt-daemon) or nc there: check that 'ssh' works with the "
                      "URI's user, port and key, and that the host runs libvirtd",
                      c->uri);
        else if (uri == NULL && getuid() == 0 && strstr(why, "libvirt-qemu"))
            log_error("the embedded driver needs the 'libvirt-qemu' user: run "
                      "ci/install-deps.sh");
        else
            log_error("check the URI and that libvirt and QEMU are installed "
                      "('vmsweep doctor' says what is missing)");
        goto fail;
    }
    if (c->root == NULL && handover_dir(c) < 0)
        goto fail;
    if (c->handover) {
        int n;
        volume_host_tag(c->tag);
        n = volume_reap(c->conn, c->tag);
        if (n > 0)
            log_info("deleted %d volume(s) of vmsweep runs that are gone on '%s'", n, c->uri);
    }
    free(base);
    *out = c;
    return 0;
fail:
    free(base);
    if (c->conn)
        virConnectClose(c->conn);
    jump_close(c->jump);
    if (c->root)
        fsutil_rm_rf(c->root);
    if (c->handover)
        fsutil_rm_rf(c->workdir);
    free(c->root);
    free(c->uri);
    free(c->workdir);
    free(c);
    return -1;
}

const char *vm_conn_uri(const struct vm_conn *conn)
{
    return conn->uri;
}

const char *vm_conn_workdir(const struct vm_conn *conn)
{
    return conn->workdir;
}

static void fmt_version(unsigned long v, const char *what, char *buf, size_t len)
{
    snprintf(buf, len, "%s %lu.%lu.%lu", what, v / 1000000, v / 1000 % 1000, v % 1000);
}

void vm_conn_versions(struct vm_conn *conn, char *hv, size_t hvlen, char *lv, size_t lvlen)
{
    unsigned long v = 0;
    const char *type = virConnectGetType(conn->conn);

    if (virConnectGetVersion(conn->conn, &v) == 0)
        fmt_version(v, type ? type : "hypervisor", hv, hvlen);
    else
        snprintf(hv, hvlen, "unknown");
    if (virConnectGetLibVersion(conn->conn, &v) == 0)
        fmt_version(v, "libvirt", lv, lvlen);
    else
        snprintf(lv, lvlen, "unknown");
}

struct _virConnect *vm_conn_virt(struct vm_conn *conn)
{
    return conn->conn;
}

bool vm_conn_alive(struct vm_conn *conn)
{
    return conn && conn->conn && virConnectIsAlive(conn->conn) == 1;
}

static void track(struct vm *vm, bool add)
{
    pthread_mutex_lock(&vm_lock);
    for (int i = 0; i < VM_MAX_TRACKED; i++) {
        if (add && vm_tracked[i] == NULL) {
            vm_tracked[i] = vm;
            break;
        }
        if (!add && vm_tracked[i] == vm) {
            vm_tracked[i] = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&vm_lock);
}

/* Last lines of the QEMU log libvirt keeps for a domain, for error messages. */
static void log_qemu_tail(const struct vm_conn *conn, const char *name)
{
    char *path = NULL, *data = NULL;

    if (conn->root == NULL)
        return;
    path = fsutil_printf("%s/log/qemu/%s.log", conn->root, name);
    log_quiet(true);
    int rc = path ? fsutil_read_file(path, &data, NULL) : -1;
    log_quiet(false);
    if (rc == 0) {
        size_t len = strlen(data);
        const char *tail = data + (len > 1500 ? len - 1500 : 0);
        log_error("QEMU log ('%s') ends with:\n%s", path, tail);
    }
    free(path);
    free(data);
}

/* The parent PID of pid, or -1. */
static pid_t proc_parent(pid_t pid)
{
    char path[64], *text = NULL, *p;
    pid_t ppid = -1;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    if (fsutil_read_file(path, &text, NULL) == 0 && (p = strstr(text, "\nPPid:")) != NULL)
        ppid = (pid_t)atol(p + 7);
    free(text);
    return ppid;
}

/* Wait for one QEMU to exit, so its zombie goes at once (see qemu_reaper). */
static void *reap_one(void *arg)
{
    pid_t pid = (pid_t)(intptr_t)arg;
    int st;

    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return NULL;
}

/*
 * The QEMU of an embedded root daemonizes, so it is reparented, and libvirt waits for it
 * to stop (a save, a destroy) by polling until its PID is gone: gone means reaped.  Some
 * hosts' PID 1 reaps orphans late (1.6 s here, per VM stop).  vmsweep is the subreaper
 * of its QEMUs (vm_connect) and a thread per VM waits for its own QEMU's PID, never for
 * any child: libvirt's own children are libvirt's to wait for.  Records vm->qemu_pid.
 */
static void qemu_reaper(struct vm *vm)
{
    char *pidf =
        vm->owner->root ? fsutil_printf("%s/run/qemu/%s.pid", vm->owner->root, vm->name) : NULL;
    char *text = NULL;
    pthread_attr_t attr;
    pthread_t t;
    long pid;

    if (pidf && fsutil_exists(pidf) && fsutil_read_file(pidf, &text, NULL) == 0 &&
        (pid = atol(text)) > 1 && proc_is_qemu_of((pid_t)pid, vm->owner->root)) {
        vm->qemu_pid = (pid_t)pid;
        /* Ours to wait for only when it was reparented to us (the subreaper took). */
        if (proc_parent((pid_t)pid) == getpid() && pthread_attr_init(&attr) == 0) {
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            vm->qemu_reaped_here = pthread_create(&t, &attr, reap_one, (void *)(intptr_t)pid) == 0;
            pthread_attr_destroy(&attr);
        }
    }
    free(text);
    free(pidf);
}

/* Copy what libvirt's console stream has into our end of the pair (libvirt's event loop). */
static void constream_readable(virStreamPtr st, int events, void *opaque)
{
    struct vm_constream *cs = opaque;
    char buf[8192];

    (void)events;
    for (;;) {
        int n = virStreamRecv(st, buf, sizeof(buf));
        if (n == -2)
            return; /* nothing more now */
        if (n <= 0) {
            /* The end (the VM is gone) or an error: the reader sees the end. */
            virStreamEventUpdateCallback(st, 0);
            if (cs->fd >= 0)
                close(cs->fd);
            cs->fd = -1;
            return;
        }
        if (cs->fd >= 0 && send(cs->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
            cs->dropped += (uint64_t)n; /* the reader lags by a whole socket buffer */
    }
}

static void constream_free(void *opaque)
{
    struct vm_constream *cs = opaque;

    if (cs->fd >= 0)
        close(cs->fd);
    free(cs);
}

/*
 * Capture the console of a remote host's VM: libvirt streams its pty; the bytes go into
 * a socket pair whose other end console.c reads as it reads a local console socket.
 */
static int constream_open(struct vm *vm, const char *console_path)
{
    struct vm_constream *cs = calloc(1, sizeof(*cs));
    int sv[2] = {-1, -1};

    if (cs == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        log_error("cannot set up the console of VM '%s': %s", vm->name, strerror(errno));
        free(cs);
        return -1;
    }
    cs->fd = sv[0];
    cs->st = virStreamNew(vm->owner->conn, VIR_STREAM_NONBLOCK);
    if (cs->st == NULL ||
        virDomainOpenConsole(vm->dom, NULL, cs->st, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
        log_error("cannot open the serial console of VM '%s': %s", vm->name, vm_lasterr());
        goto fail;
    }
    if (console_open_fd(sv[1], console_path, &vm->console) < 0) {
        sv[1] = -1;
        goto fail;
    }
    sv[1] = -1;
    if (virStreamEventAddCallback(
            cs->st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP,
            constream_readable, cs, constream_free) < 0) {
        log_error("cannot watch the serial console of VM '%s': %s", vm->name, vm_lasterr());
        goto fail;
    }
    vm->cs = cs;
    return 0;
fail:
    if (cs->st) {
        virStreamAbort(cs->st);
        virStreamFree(cs->st);
    }
    close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    free(cs);
    return -1;
}

/* Stop the console's stream (after console_close: the reader has what came). */
static void constream_close(struct vm *vm)
{
    struct vm_constream *cs = vm->cs;
    virStreamPtr st;

    if (cs == NULL)
        return;
    st = cs->st;
    if (cs->dropped)
        log_warn("%llu bytes of the console of VM '%s' were dropped (the reader lagged)",
                 (unsigned long long)cs->dropped, vm->name);
    virStreamEventRemoveCallback(st); /* frees cs, now or after a callback in progress */
    virStreamAbort(st);
    virStreamFree(st);
    vm->cs = NULL;
}

/* Wrap the paused (with a console) or running domain dom: attach the console, resume. */
static int vm_adopt(struct vm_conn *conn, virDomainPtr dom, const char *name,
                    const char *console_sock, const char *console_path, struct vm **out)
{
    struct vm *vm = calloc(1, sizeof(*vm));

    if (vm == NULL || (vm->name = strdup(name)) == NULL) {
        log_error("out of memory");
        virDomainDestroy(dom);
        virDomainFree(dom);
        free(vm);
        return -1;
    }
    vm->owner = conn;
    vm->dom = dom;
    track(vm, true);
    qemu_reaper(vm);
    if (console_sock || (conn->remote && console_path)) {
        if ((console_sock ? console_open(console_sock, console_path, &vm->console)
                          : constream_open(vm, console_path)) < 0) {
            vm_destroy(vm);
            return -1;
        }
        if (virDomainResume(dom) < 0) {
            log_error("cannot start the CPUs of VM '%s': %s", name, vm_lasterr());
            vm_destroy(vm);
            return -1;
        }
    }
    *out = vm;
    return 0;
}

int vm_start(struct vm_conn *conn, const char *xml, const char *name, const char *console_sock,
             const char *console_path, char *err, size_t errlen, struct vm **out,
             bool *port_conflict)
{
    virDomainPtr dom;

    *port_conflict = false;
    /* Paused first when the console is captured, so not a byte of it is missed. */
    bool capture = console_sock || (conn->remote && console_path);
    dom = virDomainCreateXML(conn->conn, xml, capture ? VIR_DOMAIN_START_PAUSED : 0);
    if (dom == NULL) {
        const char *why = vm_lasterr();
        if (strstr(why, "host forwarding") || strstr(why, "Address already in use")) {
            *port_conflict = true;
            log_debug("forward port taken: %s", why);
            return -1;
        }
        if (err) {
            snprintf(err, errlen, "%s", why);
            return -1;
        }
        log_error("cannot start VM '%s': %s", name, why);
        if (strstr(why, "virtlogd"))
            log_error("the daemon of '%s' logs QEMU's output through virtlogd: start it "
                      "('vmsweep doctor --connect %s' checks)",
                      conn->uri, conn->uri);
        log_qemu_tail(conn, name);
        return -1;
    }
    return vm_adopt(conn, dom, name, console_sock, console_path, out);
}

int vm_uuid(struct vm *vm, char *uuid)
{
    if (virDomainGetUUIDString(vm->dom, uuid) < 0) {
        log_error("cannot read the UUID of VM '%s': %s", vm->name, vm_lasterr());
        return -1;
    }
    return 0;
}

int vm_snapshot(struct vm *vm, const char *snapshot_xml)
{
    virDomainSnapshotPtr snap =
        virDomainSnapshotCreateXML(vm->dom, snapshot_xml, VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA);
    if (snap == NULL) {
        log_error("cannot write the state of VM '%s': %s", vm->name, vm_lasterr());
        return -1;
    }
    virDomainSnapshotFree(snap);
    return 0;
}

int vm_restore(struct vm_conn *conn, const char *path, const char *xml, const char *name,
               const char *console_sock, const char *console_path, struct vm **out,
               bool *port_conflict)
{
    virDomainPtr dom;

    *port_conflict = false;
    bool capture = console_sock || (conn->remote && console_path);
    if (virDomainRestoreFlags(conn->conn, path, xml,
                              capture ? VIR_DOMAIN_SAVE_PAUSED : VIR_DOMAIN_SAVE_RUNNING) < 0) {
        const char *why = vm_lasterr();
        if (strstr(why, "host forwarding") || strstr(why, "Address already in use")) {
            *port_conflict = true;
            log_debug("forward port taken: %s", why);
            return -1;
        }
        log_error("cannot restore VM '%s' from '%s': %s", name, path, why);
        log_qemu_tail(conn, name);
        return -1;
    }
    dom = virDomainLookupByName(conn->conn, name);
    if (dom == NULL) {
        log_error("VM '%s' restored from '%s' cannot be found: %s", name, path, vm_lasterr());
        return -1;
    }
    return vm_adopt(conn, dom, name, console_sock, console_path, out);
}

struct console *vm_console(struct vm *vm)
{
    return vm->console;
}

/*
 * SIGKILL the QEMU of vm when it is ours to kill (embedded driver).  QEMU takes 1.5 s to
 * exit on libvirt's SIGTERM under TCG here, for nothing: what the guest wrote to its
 * results disk was fsynced into the host's page cache, which a killed QEMU does not lose.
 */
static void kill_qemu_fast(struct vm *vm)
{
    if (vm->qemu_pid > 1 && proc_is_qemu_of(vm->qemu_pid, vm->owner->root)) {
        if (kill(vm->qemu_pid, SIGKILL) == 0)
            log_debug("killed QEMU %ld of VM '%s'", (long)vm->qemu_pid, vm->name);
        /* Gone (reaped by qemu_reaper) before libvirt looks: libvirt checks again only
         * 200 ms later.  A QEMU not reaped in 1 s is left to libvirt. */
        struct timespec ms = {0, 1000 * 1000};
        for (int i = 0; vm->qemu_reaped_here && i < 1000 && kill(vm->qemu_pid, 0) == 0; i++)
            nanosleep(&ms, NULL);
    } else {
        log_debug("no QEMU of VM '%s' to kill", vm->name);
    }
}

void vm_destroy(struct vm *vm)
{
    if (vm == NULL)
        return;
    track(vm, false);
    int state = 0, reason = 0;
    if (virDomainGetState(vm->dom, &state, &reason, 0) == 0 && state != VIR_DOMAIN_SHUTOFF) {
        kill_qemu_fast(vm);
        /* The killed QEMU's domain may be gone already (libvirt saw its monitor close). */
        if (virDomainDestroy(vm->dom) < 0 && virGetLastErrorCode() != VIR_ERR_NO_DOMAIN)
            log_warn("cannot destroy VM '%s': %s", vm->name, vm_lasterr());
        else
            log_debug("destroyed VM '%s'", vm->name);
    }
    /* A guest that just died may still have its last words in flight; QEMU is gone
     * now, so the socket ends soon. */
    console_close(vm->console, 1000);
    constream_close(vm);
    virDomainFree(vm->dom);
    free(vm->name);
    free(vm);
}

pid_t vm_qemu_pid(const struct vm *vm)
{
    return vm->qemu_pid;
}

bool vm_running(struct vm *vm)
{
    int state = 0, reason = 0;
    if (virDomainGetState(vm->dom, &state, &reason, 0) < 0)
        return false;
    return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED || state == VIR_DOMAIN_PAUSED;
}

int vm_read_caps(struct vm *vm, struct vm_caps *caps)
{
    struct vm_caps c = {.vcpu_quota = -1};
    virTypedParameterPtr params = NULL;
    int nparams = 0;
    char *type = virDomainGetSchedulerType(vm->dom, &nparams);

    if (type && nparams > 0) {
        params = calloc((size_t)nparams, sizeof(*params));
        if (params && virDomainGetSchedulerParametersFlags(vm->dom, params, &nparams,
                                                           VIR_DOMAIN_AFFECT_LIVE) == 0) {
            c.quota_readable = true;
            for (int i = 0; i < nparams; i++) {
                if (strcmp(params[i].field, "vcpu_quota") == 0)
                    c.vcpu_quota = params[i].value.l;
                else if (strcmp(params[i].field, "vcpu_period") == 0)
                    c.vcpu_period = params[i].value.ul;
            }
            virTypedParamsClear(params, nparams);
        }
    }
    free(params);
    free(type);

    virDomainInfo info;
    if (virDomainGetInfo(vm->dom, &info) == 0 && info.nrVirtCpu > 0) {
        int maplen = 16;
        unsigned char *maps = calloc(info.nrVirtCpu, (size_t)maplen);
        int n = maps ? virDomainGetVcpuPinInfo(vm->dom, info.nrVirtCpu, maps, maplen,
                                               VIR_DOMAIN_AFFECT_LIVE)
                     : -1;
        size_t used = 0;
        for (int v = 0; v < n && used + 16 < sizeof(c.pinning); v++) {
            unsigned char *m = maps + (size_t)v * (size_t)maplen;
            int count = 0, only = -1;
            for (int b = 0; b < maplen * 8; b++) {
                if (m[b / 8] & (1u << (b % 8))) {
                    count++;
                    only = b;
                }
            }
            used += (size_t)snprintf(c.pinning + used, sizeof(c.pinning) - used, "%s%d:%s",
                                     v ? " " : "", v, count == 1 ? "" : "*");
            if (count == 1)
                used += (size_t)snprintf(c.pinning + used, sizeof(c.pinning) - used, "%d", only);
        }
        free(maps);
    }
    *caps = c;
    return 0;
}

int vm_vcpu_time(struct vm *vm, uint64_t *ns)
{
    virVcpuInfo info[VM_MAX_VCPU_INFO];
    uint64_t sum = 0;
    int n;

    if (!vm || !vm->dom)
        return -1;
    n = virDomainGetVcpus(vm->dom, info, VM_MAX_VCPU_INFO, NULL, 0);
    if (n <= 0) {
        log_debug("no vCPU times from libvirt: %s", vm_lasterr());
        return -1;
    }
    for (int i = 0; i < n; i++)
        sum += info[i].cpuTime;
    *ns = sum;
    return 0;
}

/* The value of the libvirt CPU stat named field among n, or -1 when not there. */
static long long node_stat(const virNodeCPUStats *p, int n, const char *field)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].field, field) == 0)
            return (long long)p[i].value;
    return -1;
}

int vm_host_cpu(struct vm *vm, uint64_t *busy_ns, uint64_t *total_ns, uint64_t *dom_ns)
{
    virConnectPtr conn = vm && vm->dom ? virDomainGetConnect(vm->dom) : NULL;
    virNodeCPUStats p[VM_NODE_STATS_MAX];
    virTypedParameter dp[VM_NODE_STATS_MAX];
    int n = 0, nd;
    long long kernel, user, idle, iowait;

    /* The driver wants exactly its number of fields: asked for first (n = 0). */
    if (conn == NULL || virNodeGetCPUStats(conn, VIR_NODE_CPU_STATS_ALL_CPUS, NULL, &n, 0) < 0 ||
        n <= 0 || n > VM_NODE_STATS_MAX ||
        virNodeGetCPUStats(conn, VIR_NODE_CPU_STATS_ALL_CPUS, p, &n, 0) < 0) {
        log_debug("no host CPU times from libvirt: %s", vm_lasterr());
        return -1;
    }
    kernel = node_stat(p, n, VIR_NODE_CPU_STATS_KERNEL);
    user = node_stat(p, n, VIR_NODE_CPU_STATS_USER);
    idle = node_stat(p, n, VIR_NODE_CPU_STATS_IDLE);
    iowait = node_stat(p, n, VIR_NODE_CPU_STATS_IOWAIT);
    if (kernel < 0 || user < 0 || idle < 0)
        return -1;
    /* The domain's QEMU, every thread (its cgroup's cpuacct): the total of CPU -1. */
    nd = virDomainGetCPUStats(vm->dom, dp, VM_NODE_STATS_MAX, -1, 1, 0);
    *dom_ns = 0;
    for (int i = 0; i < nd; i++)
        if (strcmp(dp[i].field, VIR_DOMAIN_CPU_STATS_CPUTIME) == 0 &&
            dp[i].type == VIR_TYPED_PARAM_ULLONG)
            *dom_ns = dp[i].value.ul;
    if (nd > 0)
        virTypedParamsClear(dp, nd);
    if (*dom_ns == 0) {
        log_debug("no CPU time of the domain from libvirt: %s", vm_lasterr());
        return -1;
    }
    *busy_ns = (uint64_t)(kernel + user);
    *total_ns = *busy_ns + (uint64_t)idle + (uint64_t)(iowait > 0 ? iowait : 0);
    return 0;
}

char *vm_domcaps(struct vm_conn *conn, enum domxml_arch arch, bool kvm)
{
    char *xml = virConnectGetDomainCapabilities(conn->conn, NULL, domxml_arch_names[arch],
                                                domxml_machine(arch), kvm ? "kvm" : "qemu", 0);
    if (xml == NULL)
        log_debug("no domain capabilities for %s: %s", kvm ? "KVM" : "TCG", vm_lasterr());
    return xml;
}

char *vm_cpu_expand(struct vm_conn *conn, enum domxml_arch arch, bool kvm, const char *model)
{
    char *cpu = NULL, *xml = NULL;
    const char *cpus[1];

    /* model is checked by the spec (letters, digits, - _ .), so it needs no escaping. */
    cpu = fsutil_printf("<cpu mode='custom' match='exact'><model fallback='forbid'>%s</model>"
                        "</cpu>",
                        model);
    if (cpu == NULL)
        return NULL;
    cpus[0] = cpu;
    xml = virConnectBaselineHypervisorCPU(conn->conn, NULL, domxml_arch_names[arch],
                                          domxml_machine(arch), kvm ? "kvm" : "qemu", cpus, 1,
                                          VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES);
    if (xml == NULL)
        log_debug("cannot expand CPU model '%s' for %s: %s", model, kvm ? "KVM" : "TCG",
                  vm_lasterr());
    free(cpu);
    return xml;
}

char *vm_live_xml(struct vm *vm)
{
    return virDomainGetXMLDesc(vm->dom, 0);
}

void vm_destroy_all(void)
{
    for (int i = 0; i < VM_MAX_TRACKED; i++) {
        pthread_mutex_lock(&vm_lock);
        struct vm *vm = vm_tracked[i];
        pthread_mutex_unlock(&vm_lock);
        if (vm) {
            log_info("destroying VM '%s'", vm->name);
            vm_destroy(vm);
        }
    }
}

void vm_disconnect(struct vm_conn *conn)
{
    if (conn == NULL)
        return;
    vm_destroy_all();
    if (conn->conn)
        virConnectClose(conn->conn);
    vm_event_stop();
    if (conn->root) {
        /* Belt and braces: no QEMU of ours may outlive us. */
        kill_qemus_of(conn->root);
        caps_share(conn->root, false);
        fsutil_rm_rf(conn->root);
    }
    if (conn->handover)
        fsutil_rm_rf(conn->workdir);
    jump_close(conn->jump);
    free(conn->root);
    free(conn->uri);
    free(conn->workdir);
    free(conn);
}
