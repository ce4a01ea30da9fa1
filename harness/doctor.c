#include "doctor.h"

#include "accel.h"
#include "fsutil.h"
#include "image.h"
#include "jump.h"
#include "keys.h"
#include "log.h"
#include "paths.h"
#include "vm.h"
#include "volume.h"

#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Is prog on PATH? */
static bool have(const char *prog)
{
    const char *path = getenv("PATH");
    char *copy, *dir, *save = NULL;
    bool found = false;

    if (!path)
        path = "/usr/bin:/bin";
    copy = strdup(path);
    for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char *p = fsutil_printf("%s/%s", dir, prog);
        found = p && access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

static int report(bool ok, bool essential, const char *what, const char *fix)
{
    printf("%-5s %s%s%s\n",
           ok          ? "ok"
           : essential ? "FAIL"
                       : "warn",
           what, ok ? "" : ": ", ok ? "" : fix);
    return ok || !essential ? 0 : 1;
}

/*
 * Which other architectures this host can boot (optional: a warn line says what is
 * missing): the emulator, the agent built for them, and their image.
 */
static void doctor_arches(void)
{
    for (int a = 0; a < DOMXML_NARCH; a++) {
        char emu[64], what[160], fix[400] = "", name[64], *agent;
        struct image img = {0};
        bool e, ag, im;

        if ((enum domxml_arch)a == domxml_host_arch())
            continue;
        snprintf(emu, sizeof(emu), "qemu-system-%s", domxml_arch_names[a]);
        e = have(emu);
        log_quiet(true); /* the lines below say what is missing */
        agent = paths_agent(domxml_arch_names[a]);
        im = image_resolve(image_default_name((enum domxml_arch)a, name, sizeof(name)), &img) == 0;
        log_quiet(false);
        ag = agent != NULL;
        free(agent);
        image_free(&img);
        snprintf(what, sizeof(what), "%s guests (--arch %s, under TCG)", domxml_arch_names[a],
                 domxml_arch_names[a]);
        snprintf(fix, sizeof(fix), "missing:%s%s%s%s%s%s", e ? "" : " ", e ? "" : emu,
                 ag ? "" : " the agent (ci/install-deps.sh, then make)",
                 im ? "" : " the image (vmsweep image build --arch ",
                 im ? "" : domxml_arch_names[a], im ? "" : ")");
        report(e && ag && im, false, what, fix);
    }
}

/*
 * The accelerator line: the same probe `run` uses (the cached verdict unless reprobe).
 * A probe that could not run is reported as unknown, never as ok.
 */
static void doctor_kvm(const struct image *img, bool img_ok, bool reprobe)
{
    struct vm_conn *conn = NULL;
    struct accel_probe p;
    char line[400];

    memset(&p, 0, sizeof(p));
    p.verdict = ACCEL_PROBE_UNKNOWN;
    snprintf(p.reason, sizeof(p.reason), "cannot connect to libvirt to run the KVM probe");
    if (vm_connect(NULL, &conn) == 0) {
        log_quiet(true); /* the probe's own progress line */
        accel_probe_kvm(conn, img_ok ? img->kernel : NULL, !reprobe, NULL, &p);
        log_quiet(false);
        vm_disconnect(conn);
    }
    if (p.cached)
        snprintf(line, sizeof(line), "%s (verdict of %s; --reprobe checks again)", p.reason,
                 p.probed_at);
    else
        snprintf(line, sizeof(line), "%s", p.reason);
    switch (p.verdict) {
    case ACCEL_PROBE_USABLE:
        printf("ok    KVM usable: %s\n", line);
        break;
    case ACCEL_PROBE_UNUSABLE:
        printf("warn  KVM not usable: %s: guests run under TCG (emulated: slower; compare "
               "ratios, not absolute numbers)\n",
               line);
        break;
    case ACCEL_PROBE_UNKNOWN:
        printf("warn  KVM unknown: %s\n", line);
        break;
    }
}

/* Does a process listen on the Unix socket at path?  (A dead daemon leaves its file.) */
static bool sock_alive(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/*
 * The SSH session to a remote libvirt host the guests' SSH goes through (jump.h): the
 * URI's user, port and key accepted, the host's key known.  Returns the number of FAIL
 * lines.
 */
static int doctor_jump(const char *uri)
{
    const struct passwd *pw = getpwuid(geteuid());
    struct jump_target t;
    struct jump *j = NULL;
    char what[700];
    bool ok;

    if (jump_parse_uri(uri, pw ? pw->pw_name : NULL, &t) < 0)
        return report(false, true, "libvirt URI", "the error above says why");
    ok = jump_open(&t, &j) == 0;
    snprintf(what, sizeof(what), "SSH to the libvirt host '%s@%s:%u' for the guests' SSH (%s)",
             t.user, t.host, t.port,
             t.no_verify ? "its host key NOT checked: no_verify=1" : "its host key known");
    jump_close(j);
    return report(ok, true, what, "the error above says why");
}

/*
 * What the libvirt daemon at uri needs: its sockets (a local system daemon), the
 * connection and the per-run folder its QEMU is given (on a remote host: the SSH session
 * for the guests' SSH), QEMU itself, KVM.  Returns the number of FAIL lines.
 */
static int doctor_connect(const char *uri)
{
    struct vm_conn *conn = NULL;
    char what[600], fix[600];
    int bad = 0;

    if (jump_uri_remote(uri)) {
        bad += doctor_jump(uri);
        if (bad)
            return bad;
    }
    if (!strcmp(uri, "qemu:///system")) {
        bool daemon =
            sock_alive("/run/libvirt/libvirt-sock") || sock_alive("/run/libvirt/virtqemud-sock");
        bad += report(daemon, true, "libvirt daemon socket (/run/libvirt/libvirt-sock)",
                      "start the daemon (systemctl start libvirtd, or /usr/sbin/libvirtd -d; "
                      "package libvirt-daemon)");
        bad += report(sock_alive("/run/libvirt/virtlogd-sock"), true,
                      "virtlogd socket (/run/libvirt/virtlogd-sock: the system daemon logs "
                      "QEMU's output through it)",
                      "start virtlogd (systemctl start virtlogd, or /usr/sbin/virtlogd -d)");
    }
    snprintf(what, sizeof(what), "libvirt at '%s'", uri);
    if (vm_connect(uri, &conn) < 0)
        return bad + report(false, true, what,
                            "cannot connect or hand files to its QEMU (the error above says "
                            "why)");
    if (vm_conn_remote(conn))
        snprintf(what, sizeof(what),
                 "libvirt at '%s' (a remote host: kernel, initrd and results disks as volumes, "
                 "consoles streamed)",
                 uri);
    else
        snprintf(what, sizeof(what), "libvirt at '%s', files for its QEMU in '%s'", uri,
                 vm_conn_workdir(conn));
    bad += report(true, true, what, "");
    bad += report(vm_conn_pool(conn) == 0, true,
                  "storage pool '" VOLUME_POOL "' for images (" VOLUME_POOL_PATH
                  " on the libvirt host)",
                  "the error above says why");
    char *tcg = vm_domcaps(conn, DOMXML_X86_64, false),
         *kvm = vm_domcaps(conn, DOMXML_X86_64, true);
    snprintf(fix, sizeof(fix),
             "the daemon of '%s' finds no qemu-system-x86_64: install package "
             "qemu-system-x86 on that host",
             uri);
    bad += report(tcg != NULL, true, "QEMU x86_64 on the libvirt host", fix);
    bad += report(kvm != NULL, false, "KVM on the libvirt host",
                  "no usable /dev/kvm there: guests run under TCG (emulated: slower; compare "
                  "ratios, not absolute numbers)");
    free(tcg);
    free(kvm);
    vm_disconnect(conn);
    return bad;
}

int doctor_main(int argc, char **argv)
{
    struct image img = {0};
    char *agent = NULL;
    int bad = 0;
    bool img_ok, cgroup, reprobe = false;
    const char *uri = NULL;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: vmsweep doctor [--reprobe] [--connect URI]\n\nCheck libvirt, QEMU, KVM "
                 "or TCG, gnuplot, cgroups, the agent and the guest image, and say what to "
                 "fix.  KVM is checked by booting the guest kernel under it (the verdict is "
                 "cached per host; --reprobe boots again).  --connect URI checks what a "
                 "sweep through that libvirt URI needs instead of the embedded driver "
                 "(daemon, virtlogd, the folder its QEMU is given, the storage pool for images, "
                 "QEMU, KVM; for qemu+ssh://user@host[:port]/system?keyfile=KEY the SSH "
                 "session to that host the guests' SSH goes through, its key known).  Exit 0 when "
                 "a sweep can run.");
            return 0;
        }
        if (!strcmp(argv[i], "--reprobe")) {
            reprobe = true;
            continue;
        }
        if (!strcmp(argv[i], "--connect") && i + 1 < argc) {
            uri = argv[++i];
            continue;
        }
        log_error("unexpected argument '%s' (see --help)", argv[i]);
        return 2;
    }
    /* A remote host's QEMU is checked through its daemon (doctor_connect). */
    bad += report(have("qemu-system-x86_64"), !jump_uri_remote(uri), "QEMU (qemu-system-x86_64)",
                  "run ci/install-deps.sh (package qemu-system-x86)");
    if (uri)
        bad += doctor_connect(uri);
    else
        bad += report(access("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/"
                             "libvirt_driver_qemu.so",
                             R_OK) == 0,
                      true, "libvirt QEMU driver (embedded, no daemon needed)",
                      "run ci/install-deps.sh (package libvirt-daemon-driver-qemu)");
    cgroup = access("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", F_OK) == 0 ||
             access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    bad += report(cgroup, false, "cgroup CPU controller (for --cpu-cap)",
                  "mount the cpu cgroup controller, or pass --allow-uncapped");
    bad += report(have("gnuplot"), false, "gnuplot (plots)",
                  "apt-get install gnuplot-nox (numbers are still written without it)");
    bad += report(have("mkfs.ext4"), true, "mkfs.ext4 (results disk)", "apt-get install e2fsprogs");
    agent = paths_agent(NULL);
    bad += report(agent != NULL, true, "static agent (vmsweep-agent)", "run make");
    img_ok = image_resolve(IMAGE_DEFAULT, &img) == 0;
    bad += report(img_ok, true, "guest image 'tiny'", "run 'vmsweep image build' (or make image)");
    if (uri == NULL)
        doctor_kvm(&img, img_ok, reprobe); /* the embedded driver's probe, on this host */
    image_free(&img);
    doctor_arches();
    free(agent);
    printf("%s\n", bad ? "doctor: fix the FAIL lines above" : "doctor: ready to sweep");
    return bad ? 1 : 0;
}
