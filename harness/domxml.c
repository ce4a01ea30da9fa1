/*
 * domxml — see domxml.h.
 *
 * Networking is QEMU user-mode (SLIRP) through <qemu:commandline>: libvirt 9.0 has no
 * passt, and a bridge needs privileges the laptop and CI cases lack.  The NIC is given as
 * a JSON -device with an explicit bus/address so it does not steal the PCI slots libvirt
 * assigns to its own devices, and with romfile="" because the iPXE ROM only costs boot
 * time under TCG.  The forward listens on 127.0.0.1 only, and the network is restricted:
 * the guest can answer the forward and reach nothing else.
 */
#include "domxml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

const char *const domxml_arch_names[DOMXML_NARCH + 1] = {"x86_64", "aarch64", NULL};

/* Machine, and what it needs besides: ACPI and the APIC on x86; on Arm's virt machine a
 * device tree (direct kernel boot needs no firmware) and GICv3, which takes more than the
 * 8 CPUs of GICv2. */
static const struct {
    const char *machine, *features, *tcg_model;
} arch_info[DOMXML_NARCH] = {
    {"q35", "<acpi/><apic/>", "EPYC-Rome"},
    {"virt", "<gic version='3'/>", "neoverse-n1"},
};

const char *domxml_machine(enum domxml_arch arch)
{
    return arch_info[arch < DOMXML_NARCH ? arch : DOMXML_X86_64].machine;
}

const char *domxml_default_model(enum domxml_arch arch)
{
    return arch_info[arch < DOMXML_NARCH ? arch : DOMXML_X86_64].tcg_model;
}

enum domxml_arch domxml_host_arch(void)
{
    struct utsname u;

    if (uname(&u) < 0)
        return DOMXML_NARCH;
    for (int i = 0; i < DOMXML_NARCH; i++)
        if (!strcmp(u.machine, domxml_arch_names[i]) ||
            (i == DOMXML_AARCH64 && !strcmp(u.machine, "arm64")))
            return (enum domxml_arch)i;
    return DOMXML_NARCH;
}

struct buf {
    char *data;
    size_t len, cap;
    int failed;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    if (b->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        int n =
            vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->data && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = (b->cap ? b->cap : 1024) * 2 + (size_t)n;
        char *nd = realloc(b->data, ncap);
        if (nd == NULL) {
            b->failed = 1;
            return;
        }
        b->data = nd;
        b->cap = ncap;
    }
}

/* The guest's names of def's disks: the root disk first, then the results disk. */
#define DOMXML_ROOT_DEV "vda"
static const char *results_dev(const struct vm_def *def)
{
    return def->disk ? "vdb" : "vda";
}

/* XML-escape s into b (attribute and text safe). */
static void bescape(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            bprintf(b, "&amp;");
            break;
        case '<':
            bprintf(b, "&lt;");
            break;
        case '>':
            bprintf(b, "&gt;");
            break;
        case '\'':
            bprintf(b, "&apos;");
            break;
        case '"':
            bprintf(b, "&quot;");
            break;
        default:
            bprintf(b, "%c", *s);
        }
    }
}

char *domxml_escape(const char *s)
{
    struct buf b = {0};

    bprintf(&b, "%s", ""); /* an empty s is an empty string, not NULL */
    bescape(&b, s);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

int domxml_split_numa(struct vm_def *def, unsigned ncells)
{
    if (ncells == 0 || ncells > def->vcpus || ncells > DOMXML_MAX_CELLS)
        return -1;
    unsigned cpu = 0;
    uint64_t mem_left = def->memory_mib;
    for (unsigned i = 0; i < ncells; i++) {
        unsigned n = def->vcpus / ncells + (i < def->vcpus % ncells ? 1 : 0);
        uint64_t m = def->memory_mib / ncells + (i < def->memory_mib % ncells ? 1 : 0);
        if (n == 1)
            snprintf(def->cells[i].cpus, sizeof(def->cells[i].cpus), "%u", cpu);
        else
            snprintf(def->cells[i].cpus, sizeof(def->cells[i].cpus), "%u-%u", cpu, cpu + n - 1);
        def->cells[i].memory_mib = m;
        mem_left -= m;
        cpu += n;
    }
    (void)mem_left;
    def->ncells = ncells;
    return 0;
}

/* Mark the CPUs of a cpulist ("0-3,8") in seen[]; -1 on syntax errors or overlaps. */
static int mark_cpulist(const char *list, unsigned vcpus, unsigned char *seen)
{
    const char *p = list;
    while (*p) {
        char *end;
        unsigned long a = strtoul(p, &end, 10), b;
        if (end == p)
            return -1;
        b = a;
        p = end;
        if (*p == '-') {
            p++;
            b = strtoul(p, &end, 10);
            if (end == p || b < a)
                return -1;
            p = end;
        }
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return -1;
        for (unsigned long c = a; c <= b; c++) {
            if (c >= vcpus || seen[c])
                return -1;
            seen[c] = 1;
        }
    }
    return 0;
}

int domxml_validate(const struct vm_def *def, char *err, size_t errlen)
{
    if (def->name == NULL || def->name[0] == '\0') {
        snprintf(err, errlen, "the domain has no name");
        return -1;
    }
    if (def->vcpus == 0 || def->vcpus > 512) {
        snprintf(err, errlen, "vCPUs must be between 1 and 512 (got %u)", def->vcpus);
        return -1;
    }
    if (def->memory_mib < 64) {
        snprintf(err, errlen, "memory must be at least 64 MiB (got %llu MiB)",
                 (unsigned long long)def->memory_mib);
        return -1;
    }
    if (def->sockets * def->dies * def->cores * def->threads != def->vcpus) {
        snprintf(err, errlen,
                 "topology %u:%u:%u:%u (sockets:dies:cores:threads) gives %u CPUs, not the %u "
                 "vCPUs asked for",
                 def->sockets, def->dies, def->cores, def->threads,
                 def->sockets * def->dies * def->cores * def->threads, def->vcpus);
        return -1;
    }
    if (def->cap_pct > 100) {
        snprintf(err, errlen, "CPU cap must be between 1 and 100%% of a host CPU (got %u)",
                 def->cap_pct);
        return -1;
    }
    if (def->ncells > 0) {
        unsigned char *seen = calloc(def->vcpus, 1);
        uint64_t mem = 0;
        if (seen == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (unsigned i = 0; i < def->ncells; i++) {
            if (mark_cpulist(def->cells[i].cpus, def->vcpus, seen) < 0) {
                snprintf(err, errlen,
                         "NUMA cell %u has an invalid CPU list '%s' (CPUs 0-%u, each in one "
                         "cell)",
                         i, def->cells[i].cpus, def->vcpus - 1);
                free(seen);
                return -1;
            }
            mem += def->cells[i].memory_mib;
        }
        for (unsigned c = 0; c < def->vcpus; c++) {
            if (!seen[c]) {
                snprintf(err, errlen, "vCPU %u is in no NUMA cell", c);
                free(seen);
                return -1;
            }
        }
        free(seen);
        if (mem != def->memory_mib) {
            snprintf(err, errlen,
                     "NUMA cells hold %llu MiB in all, but the VM has %llu MiB of memory",
                     (unsigned long long)mem, (unsigned long long)def->memory_mib);
            return -1;
        }
    }
    if (def->kernel == NULL && def->disk == NULL) {
        snprintf(err, errlen, "the VM has neither a kernel nor a disk to boot");
        return -1;
    }
    if (def->ssh_port > 65535) {
        snprintf(err, errlen, "invalid SSH forward port %u", def->ssh_port);
        return -1;
    }
    return 0;
}

int domxml_build(const struct vm_def *def, char **xml)
{
    struct buf b = {0};

    unsigned a = def->arch < DOMXML_NARCH ? def->arch : DOMXML_X86_64;

    bprintf(&b, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
            def->hvf   ? "hvf"
            : def->kvm ? "kvm"
                       : "qemu");
    bprintf(&b, "  <name>");
    bescape(&b, def->name);
    bprintf(&b, "</name>\n");
    if (def->uuid) {
        bprintf(&b, "  <uuid>");
        bescape(&b, def->uuid);
        bprintf(&b, "</uuid>\n");
    }
    bprintf(&b, "  <memory unit='MiB'>%llu</memory>\n", (unsigned long long)def->memory_mib);
    bprintf(&b, "  <vcpu placement='static'>%u</vcpu>\n", def->vcpus);
    /* HVF (macOS) has no cgroups: no quota, no pinning (the manifest says so). */
    if (!def->hvf && (def->cap_pct > 0 || def->pin)) {
        bprintf(&b, "  <cputune>\n");
        if (def->pin && def->host_cpus > 0) {
            for (unsigned i = 0; i < def->vcpus; i++)
                bprintf(&b, "    <vcpupin vcpu='%u' cpuset='%u'/>\n", i, i % def->host_cpus);
            if (def->host_cpus == 1)
                bprintf(&b, "    <emulatorpin cpuset='0'/>\n");
            else
                bprintf(&b, "    <emulatorpin cpuset='0-%u'/>\n", def->host_cpus - 1);
        }
        if (def->cap_pct > 0) {
            bprintf(&b, "    <period>%u</period>\n", DOMXML_PERIOD_US);
            bprintf(&b, "    <quota>%u</quota>\n", DOMXML_PERIOD_US / 100 * def->cap_pct);
        }
        bprintf(&b, "  </cputune>\n");
    }
    bprintf(&b, "  <os>\n    <type arch='%s' machine='%s'>hvm</type>\n", domxml_arch_names[a],
            arch_info[a].machine);
    if (def->kernel) {
        bprintf(&b, "    <kernel>");
        bescape(&b, def->kernel);
        bprintf(&b, "</kernel>\n");
        if (def->initrd) {
            bprintf(&b, "    <initrd>");
            bescape(&b, def->initrd);
            bprintf(&b, "</initrd>\n");
        }
        if (def->cmdline) {
            bprintf(&b, "    <cmdline>");
            bescape(&b, def->cmdline);
            bprintf(&b, "</cmdline>\n");
        }
    } else {
        bprintf(&b, "    <boot dev='hd'/>\n");
    }
    bprintf(&b, "  </os>\n");
    bprintf(&b, "  <features>%s</features>\n", arch_info[a].features);
    if (def->cpu_model && strcmp(def->cpu_model, "host") == 0) {
        bprintf(&b, "  <cpu mode='host-passthrough' check='none'>\n");
    } else {
        bprintf(&b, "  <cpu mode='custom' match='exact' check='none'>\n");
        bprintf(&b, "    <model fallback='allow'>");
        bescape(&b, def->cpu_model ? def->cpu_model : arch_info[a].tcg_model);
        bprintf(&b, "</model>\n");
    }
    bprintf(&b, "    <topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n", def->sockets,
            def->dies, def->cores, def->threads);
    if (def->ncells > 0) {
        bprintf(&b, "    <numa>\n");
        for (unsigned i = 0; i < def->ncells; i++)
            bprintf(&b, "      <cell id='%u' cpus='%s' memory='%llu' unit='MiB'/>\n", i,
                    def->cells[i].cpus, (unsigned long long)def->cells[i].memory_mib);
        bprintf(&b, "    </numa>\n");
    }
    bprintf(&b, "  </cpu>\n");
    bprintf(&b, "  <clock offset='utc'/>\n");
    bprintf(&b, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
                "  <on_crash>destroy</on_crash>\n");
    bprintf(&b, "  <devices>\n");
    if (def->disk) {
        bprintf(&b, "    <disk type='file' device='disk'>\n"
                    "      <driver name='qemu' type='qcow2' cache='unsafe'/>\n"
                    "      <source file='");
        bescape(&b, def->disk);
        bprintf(&b, "'/>\n      <target dev='" DOMXML_ROOT_DEV "' bus='virtio'/>\n    </disk>\n");
    }
    if (def->results_disk) {
        /* writethrough: every fsync in the guest reaches the file, so salvage after a
         * crash sees every completed row. */
        bprintf(&b, "    <disk type='file' device='disk'>\n"
                    "      <driver name='qemu' type='raw' cache='writethrough'/>\n"
                    "      <source file='");
        bescape(&b, def->results_disk);
        bprintf(&b,
                "'/>\n      <target dev='%s' bus='virtio'/>\n"
                "      <serial>vmsweep-results</serial>\n    </disk>\n",
                results_dev(def));
    }
    bprintf(&b, "    <controller type='usb' model='none'/>\n");
    if (def->console_sock) {
        /* A socket QEMU listens on and the harness reads (console.h): capped by the
         * harness, not written by QEMU into a file that could fill the disk. */
        bprintf(&b, "    <serial type='unix'>\n      <source mode='bind' path='");
        bescape(&b, def->console_sock);
        bprintf(&b, "'/>\n      <target port='0'/>\n    </serial>\n"
                    "    <console type='unix'>\n      <source mode='bind' path='");
        bescape(&b, def->console_sock);
        bprintf(&b, "'/>\n      <target type='serial' port='0'/>\n    </console>\n");
    } else if (def->console_pty) {
        /* A remote host's socket cannot be reached from here: libvirt streams its pty
         * (virDomainOpenConsole), and the harness caps what it keeps the same way. */
        bprintf(&b, "    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n"
                    "    <console type='pty'>\n      <target type='serial' port='0'/>\n"
                    "    </console>\n");
    }
    bprintf(&b, "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n");
    bprintf(&b, "    <memballoon model='none'/>\n");
    bprintf(&b, "  </devices>\n");
    /* libvirt starts QEMU with -no-shutdown (it wants to handle a guest's power-off);
     * when the harness is gone (SIGKILL), nobody would, and a guest that powered itself
     * off (dead-man switch) would leave QEMU behind.  The later option wins. */
    bprintf(&b, "  <qemu:commandline>\n"
                "    <qemu:arg value='-action'/>\n"
                "    <qemu:arg value='shutdown=poweroff'/>\n");
    if (def->ssh_port) {
        /* restrict=on: the guest reaches nothing on the host or beyond (not the host's
         * loopback services through 10.0.2.2 either); the SSH forward still works. */
        bprintf(&b,
                "    <qemu:arg value='-netdev'/>\n"
                "    <qemu:arg value='user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%u-:22'/>\n"
                "    <qemu:arg value='-device'/>\n"
                "    <qemu:arg value='{\"driver\":\"virtio-net-pci\",\"netdev\":\"n0\","
                "\"bus\":\"pcie.0\",\"addr\":\"0x10\",\"romfile\":\"\"}'/>\n",
                def->ssh_port);
    }
    bprintf(&b, "  </qemu:commandline>\n");
    bprintf(&b, "</domain>\n");
    if (b.failed) {
        free(b.data);
        return -1;
    }
    *xml = b.data;
    return 0;
}

int domxml_snapshot(const struct vm_def *def, const char *path, char **xml)
{
    struct buf b = {0};

    bprintf(&b, "<domainsnapshot>\n  <memory snapshot='external' file='");
    bescape(&b, path);
    bprintf(&b, "'/>\n  <disks>\n");
    if (def->disk)
        bprintf(&b, "    <disk name='" DOMXML_ROOT_DEV "' snapshot='no'/>\n");
    if (def->results_disk)
        bprintf(&b, "    <disk name='%s' snapshot='no'/>\n", results_dev(def));
    bprintf(&b, "  </disks>\n</domainsnapshot>\n");
    if (b.failed) {
        free(b.data);
        return -1;
    }
    *xml = b.data;
    return 0;
}
