/* accel — see accel.h. */
#include "accel.h"

#include "console.h"
#include "domxml.h"
#include "fsutil.h"
#include "guest.h"
#include "log.h"
#include "paths.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define ACCEL_CACHE_FILE "kvm-probe.json"

const char *accel_probe_verdict_name(enum accel_probe_verdict v)
{
    static const char *const names[] = {"usable", "unusable", "unknown"};
    return names[v];
}

static bool accel_test_silent(void)
{
    const char *t = getenv("VMSWEEP_TEST_KVM_PROBE");
    return t && strcmp(t, "silent") == 0;
}

/* The host half of the key: host kernel, the /dev/kvm device, who asks. */
static char *accel_host_key(void)
{
    struct utsname u;
    struct stat st;

    if (uname(&u) < 0)
        memset(&u, 0, sizeof(u));
    if (stat("/dev/kvm", &st) < 0)
        memset(&st, 0, sizeof(st));
    return fsutil_printf("kernel=%s %s; /dev/kvm=%u:%u; uid=%u", u.release, u.version,
                         major(st.st_rdev), minor(st.st_rdev), (unsigned)geteuid());
}

/* What the verdict depends on: the host half and the QEMU version. */
static char *accel_cache_key(struct vm_conn *conn)
{
    char hv[64] = "", lv[64] = "", *host = accel_host_key(), *key;

    vm_conn_versions(conn, hv, sizeof(hv), lv, sizeof(lv));
    key = host ? fsutil_printf("%s; %s", host, hv) : NULL;
    free(host);
    return key;
}

static char *accel_cache_path(void)
{
    char *dir = paths_cache_dir();
    char *p = dir ? fsutil_printf("%s/%s", dir, ACCEL_CACHE_FILE) : NULL;
    free(dir);
    return p;
}

/* A cached verdict for key, if there is one. */
static bool accel_cache_get(const char *key, struct accel_probe *out)
{
    char *path = accel_cache_path(), *text = NULL;
    bool found = false;

    log_quiet(true); /* no cache yet is normal */
    if (path && fsutil_exists(path) && fsutil_read_file(path, &text, NULL) == 0) {
        cJSON *j = cJSON_Parse(text);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "verdict");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "reason");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "probed_at");
        if (cJSON_IsString(k) && !strcmp(k->valuestring, key) && cJSON_IsString(v) &&
            cJSON_IsString(r) && cJSON_IsString(t) &&
            (!strcmp(v->valuestring, "usable") || !strcmp(v->valuestring, "unusable"))) {
            memset(out, 0, sizeof(*out));
            out->verdict =
                !strcmp(v->valuestring, "usable") ? ACCEL_PROBE_USABLE : ACCEL_PROBE_UNUSABLE;
            snprintf(out->reason, sizeof(out->reason), "%s", r->valuestring);
            snprintf(out->probed_at, sizeof(out->probed_at), "%s", t->valuestring);
            out->cached = true;
            found = true;
        }
        cJSON_Delete(j);
    }
    log_quiet(false);
    free(text);
    free(path);
    return found;
}

static void accel_cache_put(const char *key, const struct accel_probe *p)
{
    char *path = accel_cache_path(), *text = NULL;
    cJSON *j = cJSON_CreateObject();

    if (!path || !j)
        goto cleanup;
    cJSON_AddStringToObject(j, "key", key);
    cJSON_AddStringToObject(j, "verdict", accel_probe_verdict_name(p->verdict));
    cJSON_AddStringToObject(j, "reason", p->reason);
    cJSON_AddStringToObject(j, "probed_at", p->probed_at);
    text = cJSON_Print(j);
    if (text && fsutil_write_atomic(path, text, strlen(text), 0600) < 0)
        log_warn("cannot cache the KVM probe's verdict in '%s': the next run probes again", path);
cleanup:
    cJSON_Delete(j);
    free(text);
    free(path);
}

/* Boot kernel under KVM (TCG only under the silent test hook without KVM) and watch. */
static int accel_probe_boot(struct vm_conn *conn, const char *kernel, accel_cancel_fn cancelled,
                            struct accel_probe *out)
{
    bool silent = accel_test_silent();
    bool kvm = !silent || (!vm_conn_remote(conn) && vm_kvm_usable());
    struct vm_def d;
    struct vm *vm = NULL;
    char name[64], err[512] = "", *xml = NULL, *console = NULL, *sock = NULL, *tail = NULL;
    bool conflict = false;
    int ret = 0;

    memset(&d, 0, sizeof(d));
    snprintf(name, sizeof(name), "vmsweep-kvmprobe-%ld", (long)getpid());
    d.name = name;
    d.kvm = kvm;
    d.vcpus = d.sockets = d.dies = d.cores = d.threads = 1;
    d.memory_mib = 256;
    d.cpu_model = kvm ? "host" : "qemu64";
    d.kernel = kernel;
    /* No initrd: the kernel panics at the missing root after its banner, and reboots
     * (panic=-1), which ends the domain.  ttyS1 under the hook: ttyS0 stays silent, and
     * the panic waits (panic=0) as a hung KVM guest would, so the hook gives the same
     * verdict however fast TCG reaches the panic. */
    d.cmdline = silent ? "console=ttyS1 loglevel=6 panic=0" : "console=ttyS0 loglevel=6 panic=-1";
    console = fsutil_printf("%s/%s-console.log", vm_conn_workdir(conn), name);
    sock = fsutil_printf("%s/%s.con", vm_conn_workdir(conn), name);
    vm_conn_console(conn, &d, sock);
    if (!console || !sock || domxml_build(&d, &xml) < 0) {
        out->verdict = ACCEL_PROBE_UNKNOWN;
        snprintf(out->reason, sizeof(out->reason), "KVM probe: out of memory");
        goto cleanup;
    }
    unlink(console); /* leftovers of a crashed probe of an earlier process with our pid */
    unlink(sock);
    log_info("probing KVM: booting the guest kernel under it (at most %d s, once per host)",
             ACCEL_PROBE_TIMEOUT_MS / 1000);
    if (vm_start(conn, xml, name, sock, console, err, sizeof(err), &vm, &conflict) < 0) {
        out->verdict = err[0] ? ACCEL_PROBE_UNUSABLE : ACCEL_PROBE_UNKNOWN;
        snprintf(out->reason, sizeof(out->reason), "KVM probe: the VM did not start: %.200s",
                 err[0] ? err : "see the messages above");
        goto cleanup;
    }
    uint64_t t0 = guest_now_ms(), seen = 0;
    while (guest_now_ms() - t0 < ACCEL_PROBE_TIMEOUT_MS) {
        if (cancelled && cancelled()) {
            ret = -1;
            goto cleanup;
        }
        if ((seen = console_mark_ms(vm_console(vm), CONSOLE_KERNEL)) != 0)
            break;
        if (!vm_running(vm))
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (seen) {
        out->verdict = ACCEL_PROBE_USABLE;
        snprintf(out->reason, sizeof(out->reason), "KVM probe: the kernel printed after %.1f s",
                 (double)(seen - t0) / 1000.0);
    } else {
        out->verdict = ACCEL_PROBE_UNUSABLE;
        bool stopped = !vm_running(vm);
        if (stopped)
            snprintf(out->reason, sizeof(out->reason),
                     "KVM probe: the VM stopped before the kernel printed anything");
        else
            snprintf(out->reason, sizeof(out->reason), "KVM probe: no kernel output in %d s",
                     ACCEL_PROBE_TIMEOUT_MS / 1000);
        tail = console_tail(vm_console(vm), 3);
        if (tail && *tail)
            log_debug("the KVM probe's console ends with:\n%s", tail);
    }
cleanup:
    vm_destroy(vm);
    if (console)
        unlink(console);
    if (sock)
        unlink(sock);
    free(console);
    free(sock);
    free(xml);
    free(tail);
    return ret;
}

int accel_probe_kvm(struct vm_conn *conn, const char *kernel, bool use_cache,
                    accel_cancel_fn cancelled, struct accel_probe *out)
{
    struct accel_probe p;
    char *key = NULL;
    int ret = 0;

    memset(&p, 0, sizeof(p));
    /* The cache and /dev/kvm are this host's: a remote host is asked through libvirt
     * (its domain capabilities), and probed every run. */
    bool remote = vm_conn_remote(conn);
    char *kvmcaps = remote ? vm_domcaps(conn, domxml_host_arch(), true) : NULL;
    if (accel_test_silent() || remote)
        use_cache = false;
    if (!accel_test_silent() && remote && kvmcaps == NULL) {
        p.verdict = ACCEL_PROBE_UNUSABLE;
        snprintf(p.reason, sizeof(p.reason), "the libvirt host offers no KVM");
    } else if (!accel_test_silent() && !remote && !vm_kvm_usable()) {
        /* No device, no permission, or it cannot create a vCPU: nothing to boot. */
        p.verdict = ACCEL_PROBE_UNUSABLE;
        snprintf(p.reason, sizeof(p.reason), "%s",
                 access("/dev/kvm", F_OK) ? "no /dev/kvm on this host"
                                          : "/dev/kvm cannot create a VM with a vCPU here");
    } else if (kernel == NULL) {
        p.verdict = ACCEL_PROBE_UNKNOWN;
        snprintf(p.reason, sizeof(p.reason), "KVM probe not run: no guest image to boot");
    } else {
        key = accel_cache_key(conn);
        if (!(use_cache && key && accel_cache_get(key, &p))) {
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            if (accel_probe_boot(conn, kernel, cancelled, &p) < 0) {
                ret = -1;
                goto cleanup;
            }
            strftime(p.probed_at, sizeof(p.probed_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
            if (use_cache && key && p.verdict != ACCEL_PROBE_UNKNOWN)
                accel_cache_put(key, &p);
        }
    }
    *out = p;
cleanup:
    free(kvmcaps);
    free(key);
    return ret;
}

bool accel_kvm_proven(void)
{
    char *path = accel_cache_path(), *text = NULL, *host = accel_host_key();
    bool ok = false;

    log_quiet(true);
    if (path && host && !accel_test_silent() && fsutil_exists(path) &&
        fsutil_read_file(path, &text, NULL) == 0) {
        cJSON *j = cJSON_Parse(text);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "verdict");
        ok = cJSON_IsString(k) && !strncmp(k->valuestring, host, strlen(host)) &&
             cJSON_IsString(v) && !strcmp(v->valuestring, "usable");
        cJSON_Delete(j);
    }
    log_quiet(false);
    free(text);
    free(path);
    free(host);
    return ok;
}

int accel_choose(struct vm_conn *conn, enum spec_accel asked, const char *kernel,
                 accel_cancel_fn cancelled, struct accel_choice *out)
{
    struct accel_choice c;
    struct accel_probe p;

    memset(&c, 0, sizeof(c));
    if (asked == SPEC_ACCEL_TCG) {
        snprintf(c.reason, sizeof(c.reason), "asked for (--accel tcg)");
        *out = c;
        return 0;
    }
    if (accel_probe_kvm(conn, kernel, true, cancelled, &p) < 0)
        return -1;
    if (p.verdict == ACCEL_PROBE_USABLE) {
        c.kvm = true;
        snprintf(c.reason, sizeof(c.reason), "%.200s%s", p.reason,
                 p.cached ? " (cached verdict)" : "");
        *out = c;
        return 0;
    }
    if (asked == SPEC_ACCEL_KVM) {
        log_error("--accel kvm: KVM cannot run a guest here: %s; use --accel auto or tcg",
                  p.reason);
        return -1;
    }
    snprintf(c.reason, sizeof(c.reason), "%.180s%s", p.reason,
             p.cached ? " (cached; 'vmsweep doctor --reprobe' checks again)" : "");
    *out = c;
    return 0;
}
