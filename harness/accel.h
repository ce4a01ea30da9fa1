/*
 * accel — which accelerator the VMs get, decided by proof, not by the presence of
 * /dev/kvm.
 *
 * A /dev/kvm can exist, create VMs and vCPUs, run the firmware, and still never run a
 * Linux kernel (nested, paravirtualised KVM on some cloud VMs and CI runners: the guest
 * stops after "Probing EDD").  Only a kernel that prints proves KVM usable.  So `accel
 * auto` boots the guest image's kernel under KVM once, with no disk, no network and a
 * short limit (ACCEL_PROBE_TIMEOUT_MS), and requires the kernel's banner on the console.
 * The verdict is cached in <cache>/kvm-probe.json, keyed by the host kernel, the QEMU
 * version and the /dev/kvm device, so later runs pay nothing.
 *
 * Test hook: VMSWEEP_TEST_KVM_PROBE=silent makes the probe kernel print nothing (its
 * console goes to a port nobody reads) and, where KVM cannot run at all, runs the probe
 * under TCG: the fallback path is then exercised on every machine.  Nothing is cached
 * under the hook.
 */
#ifndef VMSWEEP_ACCEL_H
#define VMSWEEP_ACCEL_H

#include "spec.h"
#include "vm.h"

#include <stdbool.h>

/* How long the probe waits for the kernel's first line. */
#define ACCEL_PROBE_TIMEOUT_MS 15000

enum accel_probe_verdict {
    ACCEL_PROBE_USABLE,
    ACCEL_PROBE_UNUSABLE,
    ACCEL_PROBE_UNKNOWN, /* the probe could not run (no image, libvirt trouble) */
};

struct accel_probe {
    enum accel_probe_verdict verdict;
    char reason[256];   /* one line, e.g. "KVM probe: no kernel output in 15 s" */
    char probed_at[32]; /* UTC ISO 8601 */
    bool cached;        /* the verdict came from the cache */
};

/* Returns non-zero when the user asked to stop (e.g. run_interrupted). */
typedef int (*accel_cancel_fn)(void);

/*
 * Probe KVM by booting kernel (the guest image's) under it.  With use_cache, a cached
 * verdict for this host is returned when there is one, and a new verdict is stored.
 * Returns 0 and *out (any verdict), or -1 when cancelled.
 */
int accel_probe_kvm(struct vm_conn *conn, const char *kernel, bool use_cache,
                    accel_cancel_fn cancelled, struct accel_probe *out);

/* The verdict's name: "usable", "unusable", "unknown". */
const char *accel_probe_verdict_name(enum accel_probe_verdict v);

/*
 * Has a probe on this host (kernel, /dev/kvm) shown KVM usable?  Reads the cache only:
 * for other users of QEMU (libguestfs's appliance), which must not trust /dev/kvm
 * either and run under TCG unless it was proven.
 */
bool accel_kvm_proven(void);

struct accel_choice {
    bool kvm;
    bool hvf;         /* macOS Hypervisor.framework: libvirt's hvf domain, no cgroup caps */
    char reason[256]; /* why this accelerator, one line (for the log and manifest.json) */
};

/*
 * Decide the accelerator for asked: tcg as asked; kvm only after a probe proved it (-1,
 * reported with the probe's reason, when it did not); auto: KVM when proved, else TCG
 * with the reason.  Returns 0 and *out, or -1.
 */
int accel_choose(struct vm_conn *conn, enum spec_accel asked, const char *kernel,
                 accel_cancel_fn cancelled, struct accel_choice *out);

#endif
