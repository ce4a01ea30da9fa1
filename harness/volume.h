/*
 * volume — images as storage volumes of a libvirt daemon (issue 16).  A daemon's QEMU
 * cannot read our private cache, and a remote host has no view of it at all: the kernel,
 * initrd and qcow2 disk images (each layer of their backing chain) go into a directory
 * pool named "vmsweep" on the daemon's host (created when missing), one volume per
 * content, named by its SHA-256, so an image is uploaded once per host and reused by every
 * later run.  Each VM of a disk image boots from an overlay volume of its own.
 */
#ifndef VMSWEEP_VOLUME_H
#define VMSWEEP_VOLUME_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
 * What to do for a content of size bytes (0: not known) when a volume of its name exists
 * (exists) of physical bytes on the host, and its marker that the upload finished
 * (marked): reuse it only when both are there and the sizes agree.
 */
enum volume_action volume_decide(bool exists, bool marked, unsigned long long physical,
                                 unsigned long long size);

/*
 * Runs sharing a daemon (two vmsweep runs, or one run's two URIs of one host, or harness
 * hosts sharing a libvirt host) take turns on a content volume's upload under its lock
 * volume "<name>.up": one uploads, the others wait and then reuse its volume.  A waiter
 * polls what it sees of the upload; a lock under which nothing moves for the waiter's
 * patience (VOLUME_STALE_MS plus up to VOLUME_JITTER_MS of its own, so that two waiters
 * do not take over at one moment) was held by a run that was killed, and is taken over.
 * Each holder makes its lock of a capacity of its own choosing (sparse: it costs
 * nothing), so a lock taken over is seen as a new one.
 */
#define VOLUME_STALE_MS  30000
#define VOLUME_JITTER_MS 5000

struct volume_seen {
    bool locked;                  /* the lock volume is there */
    bool marked;                  /* the marker of a finished upload is there */
    unsigned long long lock_id;   /* the lock's capacity: its holder's choice */
    unsigned long long allocated; /* bytes of the content volume on the disk (0: none) */
};

struct volume_waiter {
    struct volume_seen last; /* as seen when it last changed */
    uint64_t changed_ms;     /* then */
    uint64_t patience_ms;    /* still this long: the holder is gone */
};

enum volume_wait {
    VOLUME_WAIT_ON,     /* the upload is under way: wait */
    VOLUME_WAIT_DECIDE, /* the lock is gone or the upload finished: decide again */
    VOLUME_WAIT_TAKE,   /* nothing moved for the waiter's patience: delete the lock */
};

/* Start waiting at now_ms (ms of a monotonic clock) on seeing first, with that patience. */
void volume_wait_start(struct volume_waiter *w, const struct volume_seen *first, uint64_t now_ms,
                       uint64_t patience_ms);

/* What a waiter does on seeing now at now_ms (a change restarts its patience). */
enum volume_wait volume_wait_next(struct volume_waiter *w, const struct volume_seen *now,
                                  uint64_t now_ms);

/* Is the vmsweep pool of conn there and running (defined, built, started if not)?  0/-1. */
int volume_pool_ready(virConnectPtr conn);

/*
 * Put the file at path into the vmsweep pool of conn (uploaded, or the volume of the same
 * content reused), readable by uid:gid (the daemon's QEMU user), mode 0600.  A qcow2 image
 * with a backing file goes up with its chain (at most 8 layers), each layer's header
 * naming the volume below.  *vol_path gets the volume's path on the daemon's host
 * (malloc'd), *uploaded whether bytes were sent.  0, or -1 (reported).
 */
int volume_put(virConnectPtr conn, const char *path, uid_t uid, gid_t gid, char **vol_path,
               bool *uploaded);

/*
 * Make the new volume name of conn's pool a qcow2 overlay of the qcow2 volume at
 * base_path (volume_put), of the same virtual size, readable by uid:gid only: a VM writes
 * there, never into the image.  *vol_path gets its path (malloc'd).  0, or -1 (reported).
 */
int volume_overlay(virConnectPtr conn, const char *base_path, const char *name, uid_t uid,
                   gid_t gid, char **vol_path);

/*
 * Per-run volumes (a remote host's results disks): "vmsweep-run-<tag>-<pid>-<rand>-<base>",
 * tag the harness host's (volume_host_tag: several harness hosts may share a libvirt
 * host, and a PID says something only on its own host), pid and rand (6 letters or
 * digits) the run's, base the local file's name (characters as for volume_name).  A run
 * deletes its own at teardown; volume_reap deletes those a killed run left.
 */
#define VOLUME_RUN_PREFIX "vmsweep-run-"
#define VOLUME_TAG_LEN    8

/* This host's tag: 8 hex digits of the SHA-256 of /etc/machine-id (else the host name). */
void volume_host_tag(char tag[VOLUME_TAG_LEN + 1]);

/* The name of a per-run volume; 0, or -1 when an argument is not of its shape or no room. */
int volume_run_name(const char *tag, long pid, const char *rand, const char *base, char *out,
                    size_t len);

/*
 * Is name a per-run volume of the harness host tag?  true and *pid (its run's PID), or
 * false for any other name (of another host, a content volume, anything else).
 */
bool volume_run_parse(const char *name, const char *tag, long *pid);

/*
 * Upload the file at path (sparse: its holes are not sent) as the new volume name of the
 * vmsweep pool, readable by uid:gid only.  *vol_path gets its path on the host (malloc'd).
 * 0, or -1 (reported; nothing left of it).
 */
int volume_run_put(virConnectPtr conn, const char *path, const char *name, uid_t uid, gid_t gid,
                   char **vol_path);

/*
 * Download the volume at vol_path into the new file dest (O_EXCL, O_NOFOLLOW, 0600; holes
 * stay holes), at most max_bytes, fsynced.  0, or -1 (reported; dest removed).
 */
int volume_get(virConnectPtr conn, const char *vol_path, const char *dest,
               unsigned long long max_bytes);

/* Delete the volume at vol_path; 0, or -1 (reported as a warning). */
int volume_drop(virConnectPtr conn, const char *vol_path);

/*
 * Delete the per-run volumes of this host's tag whose run is gone (no process with its
 * PID here; never our own).  Returns how many were deleted (0 when there is no pool).
 */
int volume_reap(virConnectPtr conn, const char *tag);

#endif
