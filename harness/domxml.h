/*
 * domxml — the libvirt domain XML for one VM, built from a struct in one place.
 *
 * Everything vmsweep asks of a VM is in struct vm_def; the XML is a pure function of it
 * (golden-file tested), so the manifest can record exactly what was asked.
 */
#ifndef VMSWEEP_DOMXML_H
#define VMSWEEP_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOMXML_MAX_CELLS 16
#define DOMXML_PERIOD_US 100000

struct vm_cell {
    char cpus[64]; /* cpulist, e.g. "0-3" */
    uint64_t memory_mib;
};

/* The guest's architecture; its names (domxml_arch_names) are the spec's and QEMU's. */
enum domxml_arch {
    DOMXML_X86_64,  /* q35 machine, ACPI, default model EPYC-Rome */
    DOMXML_AARCH64, /* virt machine, GICv3, device tree, default model neoverse-n1 */
    DOMXML_NARCH
};

extern const char *const domxml_arch_names[DOMXML_NARCH + 1]; /* NULL-terminated */

/* The machine type of arch's guests ("q35", "virt"). */
const char *domxml_machine(enum domxml_arch arch);

/* The default CPU model of arch under an emulator (TCG); "host" under KVM and HVF. */
const char *domxml_default_model(enum domxml_arch arch);

/* The host's own architecture (uname), or DOMXML_NARCH when vmsweep boots none like it. */
enum domxml_arch domxml_host_arch(void);

struct vm_def {
    const char *name;
    const char *uuid; /* NULL: libvirt makes one (set to restore a saved state) */
    enum domxml_arch arch;
    bool kvm; /* domain type kvm, else qemu (TCG) */
    bool hvf; /* domain type hvf (macOS Hypervisor.framework): no cgroup caps */
    unsigned vcpus;
    uint64_t memory_mib;
    const char *cpu_model; /* e.g. EPYC-Rome; "host" = host-passthrough (kvm only) */
    unsigned sockets, dies, cores, threads;
    unsigned ncells;
    struct vm_cell cells[DOMXML_MAX_CELLS];
    unsigned cap_pct;   /* per-vCPU CPU quota in % of one host CPU; 0 = none */
    bool pin;           /* vcpupin round-robin over host CPUs, emulatorpin to all */
    unsigned host_cpus; /* for pinning */
    const char *kernel; /* direct kernel boot when set */
    const char *initrd;
    const char *cmdline;
    const char *disk;         /* root disk (qcow2), or NULL */
    const char *results_disk; /* raw ext4 image for the agent's output, or NULL */
    const char *console_sock; /* serial console as a unix socket QEMU listens on, or NULL */
    bool console_pty;         /* without console_sock: a pty libvirt streams (remote hosts) */
    unsigned ssh_port;        /* 127.0.0.1:ssh_port forwards to guest port 22; 0: no network */
};

/* s XML-escaped (text and attribute safe), malloc'd; NULL when out of memory. */
char *domxml_escape(const char *s);

/*
 * Split vcpus and memory evenly over ncells NUMA cells (cells get consecutive CPUs; the
 * first cells get the remainder).  -1 when ncells is 0, above vcpus or above
 * DOMXML_MAX_CELLS (no message: the caller words it).
 */
int domxml_split_numa(struct vm_def *def, unsigned ncells);

/*
 * Check def for consistency (topology product equals vcpus, cells cover every CPU once
 * and sum to the memory, cap in 1..100, ...).  Returns 0, or -1 and a sentence in err.
 */
int domxml_validate(const struct vm_def *def, char *err, size_t errlen);

/* Build the XML (malloc'ed, caller frees) for a valid def.  -1 on out of memory. */
int domxml_build(const struct vm_def *def, char **xml);

/*
 * The snapshot XML (malloc'ed, caller frees) that writes the state of def's running VM
 * to path, memory only: none of def's disks is snapshotted.  -1 on out of memory.
 */
int domxml_snapshot(const struct vm_def *def, const char *path, char **xml);

#endif
