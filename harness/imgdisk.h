/*
 * imgdisk — qcow2 disk images with libguestfs: build a root disk from a tree, make
 * per-VM overlays, and prepare a user's Linux image for vmsweep.
 *
 * libguestfs runs its own small appliance, so none of this needs loop mounts or runs
 * anything from the image on the host; base images are only ever read (every write
 * goes to a new qcow2 overlay).
 */
#ifndef VMSWEEP_IMGDISK_H
#define VMSWEEP_IMGDISK_H

#include <stdbool.h>
#include <stddef.h>

struct guestfs_h;

/*
 * A libguestfs handle (direct backend) whose appliance uses KVM only when the KVM probe
 * proved it on this host (accel.h), else TCG.  NULL after reporting.  Close with
 * guestfs_close.
 */
struct guestfs_h *imgdisk_guestfs(void);

/*
 * Create qcow2 out (size_mib) holding an ext4 filesystem with the contents of tar.
 * Writes the filesystem UUID into uuid.  -1 (reported) on failure.
 */
int imgdisk_build_root(const char *tar, const char *out, unsigned size_mib, char *uuid,
                       size_t uuidlen);

/* Create out as a qcow2 overlay backed by base (qcow2).  -1 (reported). */
int imgdisk_overlay(const char *base, const char *out);

/* What imgdisk_prepare found and wrote. */
struct imgdisk_prepared {
    char kernel_version[128]; /* from the kernel's file name */
    char cmdline[256];        /* root=UUID=... and console settings */
};

/*
 * Prepare base (a Linux qcow2, never modified) for vmsweep into folder dir: an overlay
 * dir/disk.qcow2 with the agent (/usr/local/bin/vmsweep-agent), the client key in root's
 * authorized_keys, a fresh ed25519 SSH host key (public half to dir/hostkey.pub) and an
 * sshd drop-in allowing key-only root login; the image's newest kernel and initrd copied
 * to dir/vmlinuz and dir/initrd.img for direct boot.  Returns 0, or -1 (reported) with
 * *bad_image true when the image itself cannot serve (no Linux, no kernel: an input
 * error) and false for other failures.
 */
int imgdisk_prepare(const char *base, const char *dir, const char *agent, const char *client_pub,
                    struct imgdisk_prepared *out, bool *bad_image);

#endif
