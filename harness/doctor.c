#include "doctor.h"

#include "fsutil.h"
#include "image.h"
#include "keys.h"
#include "log.h"
#include "paths.h"
#include "vm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int doctor_main(int argc, char **argv)
{
    struct image img = {0};
    char *agent = NULL;
    int bad = 0;
    bool kvm, img_ok, cgroup;

    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        puts("usage: vmsweep doctor\n\nCheck libvirt, QEMU, KVM or TCG, gnuplot, cgroups, the "
             "agent and the guest image, and say what to fix.  Exit 0 when a sweep can run.");
        return 0;
    }
    if (argc > 1) {
        log_error("unexpected argument '%s' (see --help)", argv[1]);
        return 2;
    }
    bad += report(have("qemu-system-x86_64"), true, "QEMU (qemu-system-x86_64)",
                  "run ci/install-deps.sh (package qemu-system-x86)");
    bad += report(access("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/"
                         "libvirt_driver_qemu.so",
                         R_OK) == 0,
                  true, "libvirt QEMU driver (embedded, no daemon needed)",
                  "run ci/install-deps.sh (package libvirt-daemon-driver-qemu)");
    kvm = vm_kvm_usable();
    report(kvm, false, kvm ? "KVM usable" : "KVM not usable: guests run under TCG",
           "fine for sweeps, but slower; absolute numbers differ from hardware (compare "
           "ratios)");
    cgroup = access("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", F_OK) == 0 ||
             access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    bad += report(cgroup, false, "cgroup CPU controller (for --cpu-cap)",
                  "mount the cpu cgroup controller, or pass --allow-uncapped");
    bad += report(have("gnuplot"), false, "gnuplot (plots)",
                  "apt-get install gnuplot-nox (numbers are still written without it)");
    bad += report(have("mkfs.ext4"), true, "mkfs.ext4 (results disk)", "apt-get install e2fsprogs");
    agent = paths_agent();
    bad += report(agent != NULL, true, "static agent (vmsweep-agent)", "run make");
    img_ok = image_resolve(IMAGE_DEFAULT, &img) == 0;
    bad += report(img_ok, true, "guest image 'tiny'", "run 'vmsweep image build' (or make image)");
    image_free(&img);
    free(agent);
    printf("%s\n", bad ? "doctor: fix the FAIL lines above" : "doctor: ready to sweep");
    return bad ? 1 : 0;
}
