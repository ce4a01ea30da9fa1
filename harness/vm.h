/*
 * vm — VMs through libvirt: connection (embedded driver by default), start, destroy,
 * read back caps, reap leftovers.
 *
 * Lifecycle guarantee: every domain this process starts is on a list until destroyed;
 * vm_destroy_all() (called on SIGINT/SIGTERM paths and at exit) destroys what is left.
 * The embedded driver does not support AUTODESTROY and its QEMU outlives us, so a
 * SIGKILLed harness leaves QEMU behind: the next vm_connect reaps it (embed roots whose
 * driver.pid is no longer locked), and the guest's dead-man switch powers itself off if
 * nobody does.
 */
#ifndef VMSWEEP_VM_H
#define VMSWEEP_VM_H

#include "domxml.h"

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct vm_conn;
struct vm;
struct console;
struct guest_route;

/* What is in force on a running domain, read back after start. */
struct vm_caps {
    long long vcpu_quota; /* µs per period, -1 or 0 = none */
    unsigned long long vcpu_period;
    bool quota_readable; /* the scheduler parameters could be read at all */
    char pinning[256];   /* "0:0 1:1" vCPU:cpulist, empty when not pinned */
};

/*
 * Connect.  uri NULL means the default embedded driver under <cache>/embed/<unique>/
 * (set up qemu.conf there, start libvirt's event loop thread, reap stale roots first).
 * Returns 0 and *out, or -1 (reported, with a hint).
 */
int vm_connect(const char *uri, struct vm_conn **out);

/* Destroy what is left, close, remove the embed root (NULL is fine). */
void vm_disconnect(struct vm_conn *conn);

/* The URI in use (embed root included). */
const char *vm_conn_uri(const struct vm_conn *conn);

/* The libvirt connection itself, for modules that read the host (hostinfo.h). */
struct _virConnect *vm_conn_virt(struct vm_conn *conn);

/* Whether conn still answers: false once its daemon died or the link dropped. */
bool vm_conn_alive(struct vm_conn *conn);

/* Hypervisor and libvirt versions as "QEMU 7.2.0" / "libvirt 9.0.0" into buffers. */
void vm_conn_versions(struct vm_conn *conn, char *hv, size_t hvlen, char *lv, size_t lvlen);

/*
 * Folder for per-domain files (console sockets, disks): the embed root, or for a daemon's
 * URI a private per-run folder under /tmp owned by the user the daemon runs QEMU as.
 */
const char *vm_conn_workdir(const struct vm_conn *conn);

/*
 * Make the image file at path readable by conn's QEMU: *out is a malloc'd path to use
 * instead (path itself for the embedded driver, else the daemon's storage volume of that
 * content, uploaded when the host has none: volume.h).  0, or -1 (reported).
 */
int vm_conn_stage(struct vm_conn *conn, const char *path, char **out);

/* Is conn's storage pool for images usable (created when missing: volume.h)?  0/-1. */
int vm_conn_pool(struct vm_conn *conn);

/* Is conn a remote host's (qemu+ssh)? */
bool vm_conn_remote(const struct vm_conn *conn);

/* How to reach a guest's forward port of conn (guest_connect_via): NULL on this host. */
const struct guest_route *vm_conn_route(const struct vm_conn *conn);

/*
 * A port for a guest's forward: a free one on this host, or a random one in a high range
 * on a remote host (which cannot be probed from here: QEMU refuses a taken one, and the
 * caller tries another, as for a port taken meanwhile here).  0 when none (reported).
 */
unsigned vm_conn_port(struct vm_conn *conn);

/*
 * Set def's console for conn: the unix socket sock QEMU listens on, or on a remote host a
 * pty libvirt streams (vm_start reads it the same way).
 */
void vm_conn_console(const struct vm_conn *conn, struct vm_def *def, const char *sock);

/*
 * Make the results disk made at path (in the workdir) usable by conn's QEMU: *used is the
 * path the domain XML names (malloc'd): path itself for the embedded driver, or for a
 * daemon the per-run volume it was uploaded as (volume.h).  0/-1.
 */
int vm_conn_disk_put(struct vm_conn *conn, const char *path, char **used);

/*
 * A VM's root disk over the disk image base (a path vm_conn_stage gave): a qcow2 overlay
 * named after the domain name, in the workdir for the embedded driver, else a per-run
 * overlay volume of the daemon's pool over base's volume.  The image is never written.
 * *used (malloc'd) is its path for the domain XML; vm_conn_disk_drop deletes it.  0/-1.
 */
int vm_conn_root(struct vm_conn *conn, const char *base, const char *name, char **used);

/*
 * Bring the results disk used (vm_conn_disk_put) back into path for salvage, after the VM
 * stopped: a daemon's volume is downloaded into a new file there (the disk made at path
 * is replaced; O_EXCL, O_NOFOLLOW).  No-op for the embedded driver.  0/-1.
 */
int vm_conn_disk_get(struct vm_conn *conn, const char *used, const char *path);

/* Delete a disk vm_conn_disk_put or vm_conn_root made (a daemon's volume, or the file of
 * the embedded driver; NULL fine). */
void vm_conn_disk_drop(struct vm_conn *conn, const char *used);

/*
 * Start a transient domain from XML.  With console_sock (the domain's serial console
 * socket, see domxml.h), the domain starts paused, the console is attached and copied
 * into the new file console_path (see console.h), then its CPUs run.  Returns 0 and *out, or -1
 * after reporting libvirt's message and the tail of QEMU's log -- or, when err is not NULL, with
 * libvirt's refusal to create the domain written there instead of reported (probes that expect to
 * fail).  *port_conflict is set when QEMU could not bind the forward port (the caller retries with
 * another).
 */
int vm_start(struct vm_conn *conn, const char *xml, const char *name, const char *console_sock,
             const char *console_path, char *err, size_t errlen, struct vm **out,
             bool *port_conflict);

/* The domain's UUID (libvirt's text form, VIR_UUID_STRING_BUFLEN bytes); -1 reported. */
int vm_uuid(struct vm *vm, char *uuid);

/*
 * Save the running VM's state (memory and devices; vm_restore reads it) to the file
 * snapshot_xml names (domxml_snapshot).  The VM goes on running: its CPUs pause while the
 * memory is written, so its clock lags the host's by that pause.  -1 reported.
 */
int vm_snapshot(struct vm *vm, const char *snapshot_xml);

/*
 * Start a domain from the state saved at path, with xml replacing its definition (same
 * name, UUID and guest-visible devices; host-side paths and the forward port may
 * differ).  Console and errors as for vm_start.
 */
int vm_restore(struct vm_conn *conn, const char *path, const char *xml, const char *name,
               const char *console_sock, const char *console_path, struct vm **out,
               bool *port_conflict);

/* The console attached by vm_start, or NULL. */
struct console *vm_console(struct vm *vm);

/* Destroy and forget the domain (idempotent for a domain that already died). NULL ok. */
void vm_destroy(struct vm *vm);

/* Is the domain still running? */
bool vm_running(struct vm *vm);

/* The PID of vm's QEMU when it is ours (embedded driver), else 0. */
pid_t vm_qemu_pid(const struct vm *vm);

/*
 * CPU time of vm's host through libvirt (a daemon's host, local or remote): busy (user +
 * kernel) and total (with idle and iowait) over all its CPUs, and the domain's QEMU (every
 * thread), all in ns.  0, or -1 when libvirt cannot say (logged at debug).
 */
int vm_host_cpu(struct vm *vm, uint64_t *busy_ns, uint64_t *total_ns, uint64_t *dom_ns);

/*
 * The CPU time the host has given vm's vCPU threads so far, summed over its vCPUs, in
 * nanoseconds (libvirt's per-vCPU cpuTime).  0, or -1 when libvirt cannot say (logged at
 * debug level; *ns untouched).
 */
int vm_vcpu_time(struct vm *vm, uint64_t *ns);

/* Read back the CPU quota/period and vCPU pinning in force. */
int vm_read_caps(struct vm *vm, struct vm_caps *caps);

/*
 * Domain capabilities (x86_64, q35) for KVM or TCG, as libvirt's XML (malloc'ed), or NULL
 * when libvirt cannot say (logged at debug level).
 */
char *vm_domcaps(struct vm_conn *conn, enum domxml_arch arch, bool kvm);

/*
 * The CPU model's features as the hypervisor (KVM or TCG) can provide them: libvirt's
 * expanded CPU XML with policy 'require' or 'disable' per feature (malloc'ed), or NULL.
 */
char *vm_cpu_expand(struct vm_conn *conn, enum domxml_arch arch, bool kvm, const char *model);

/* The live XML libvirt reports for the domain (malloc'ed) or NULL. */
char *vm_live_xml(struct vm *vm);

/* Destroy every domain this process started and still tracks (safe to call twice). */
void vm_destroy_all(void);

/* Is /dev/kvm usable for creating VMs (not merely present)? */
bool vm_kvm_usable(void);

/* A free TCP port on 127.0.0.1 (bind to port 0), or 0 (reported). */
unsigned vm_free_port(void);

/*
 * Reap leftovers of earlier runs: embed roots under <cache>/embed whose driver.pid is
 * not locked (their owner died): kill their QEMU processes and remove the root.
 * Returns the number of QEMU processes killed.
 */
int vm_reap_stale(void);

#endif
