/*
 * volume — images as storage volumes of a libvirt daemon (issue 16).  A daemon's QEMU
 * cannot read our private cache, and a remote host has no view of it at all: the kernel
 * and initrd go into a directory pool named "vmsweep" on the daemon's host (created when
 * missing), one volume per content, named by its SHA-256, so an image is uploaded once per
 * host and reused by every later run.
 */
#ifndef VMSWEEP_VOLUME_H
#define VMSWEEP_VOLUME_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define VOLUME_POOL      "vmsweep"
#define VOLUME_POOL_PATH "/var/lib/libvirt/vmsweep"
#define VOLUME_NAME_MAX  128

enum volume_action {
    VOLUME_REUSE,  /* a complete volume of that content is there */
    VOLUME_UPLOAD, /* none: upload it */
};

/*
 * The volume name of a file with digest sha (64 hex digits) and file name base:
 * "vmsweep-<sha>-<base>" (base's characters other than letters, digits, '.', '-', '_'
 * become '_').  0, or -1 when sha is not 64 lowercase hex digits or out is too small.
 */
int volume_name(const char *sha, const char *base, char *out, size_t len);

/*
 * What to do for a content of size bytes when a volume of its name exists (exists) with
 * capacity bytes: reuse it only when complete (an upload that failed midway is deleted,
 * and uploads go to a ".part" volume first, so a listed final name is whole).
 */
enum volume_action volume_decide(bool exists, unsigned long long capacity, unsigned long long size);

/* Is the vmsweep pool of conn there and running (defined, built, started if not)?  0/-1. */
int volume_pool_ready(virConnectPtr conn);

/*
 * Put the file at path into the vmsweep pool of conn (uploaded, or the volume of the same
 * content reused), readable by uid:gid (the daemon's QEMU user), mode 0600.  *vol_path gets
 * the volume's path on the daemon's host (malloc'd), *uploaded whether bytes were sent.
 * 0, or -1 (reported).
 */
int volume_put(virConnectPtr conn, const char *path, uid_t uid, gid_t gid, char **vol_path,
               bool *uploaded);

#endif
