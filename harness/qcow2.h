/*
 * qcow2 — what a qcow2 image's header says about it: its virtual size and the image it is
 * an overlay of (backing file name and format).  A disk image handed to a libvirt daemon
 * goes up as one storage volume per layer (volume.h), each naming the volume of the layer
 * below: that takes knowing the chain before anything is sent.
 *
 * The header is read from the file's first QCOW2_HEAD_MAX bytes only (qemu-img writes the
 * backing name and the header extensions into cluster 0, right after the header); an image
 * whose name lies further is refused, as is a name that is not a plain path (qemu's
 * "json:" and protocol forms would reach hosts, not files).
 */
#ifndef VMSWEEP_QCOW2_H
#define VMSWEEP_QCOW2_H

#include <stdbool.h>
#include <stddef.h>

#define QCOW2_HEAD_MAX    65536
#define QCOW2_BACKING_MAX 1023 /* qemu's own limit for the backing file name */

struct qcow2_info {
    unsigned version;                    /* 2 or 3 */
    unsigned long long size;             /* virtual size, bytes */
    size_t cluster;                      /* cluster size, bytes (cluster 0: the header's) */
    size_t header_len;                   /* where the header extensions start */
    char backing[QCOW2_BACKING_MAX + 1]; /* as written in the header, or "" */
    char backing_fmt[16];                /* "qcow2", "raw", or "" when not said */
};

/*
 * Read the header in buf (len bytes, the file's start).  0 and *out, or -1 with why in
 * err (not qcow2, a field out of range, a backing name that is not a plain path).
 */
int qcow2_parse(const unsigned char *buf, size_t len, struct qcow2_info *out, char *err,
                size_t errlen);

/*
 * The first cluster of an image whose header is head (info->cluster bytes, read by
 * qcow2_parse into *info) rewritten to name backing (a plain path) of format fmt ("qcow2"
 * or "raw") as its backing file: the header as it was, its extensions but the backing
 * format's, a new backing format extension, the name; the rest of the cluster zero.  What
 * qemu-img rebase -u does, without a file to do it in: an upload sends out instead of the
 * file's first cluster.  Cluster 0 holds nothing else (every table is cluster aligned and
 * after it).  0, or -1 with why in err (no room, an external data file, a bad name).
 */
int qcow2_rebase_head(const unsigned char *head, const struct qcow2_info *info, const char *backing,
                      const char *fmt, unsigned char *out, char *err, size_t errlen);

/* Does the file at path start with qcow2's magic?  (false when it cannot be read.) */
bool qcow2_is(const char *path);

/*
 * Read path's header (qcow2_parse).  0 and *out, or -1 (reported, path quoted).  With
 * head not NULL, *head gets the file's first cluster (info->cluster bytes, malloc'd).
 */
int qcow2_read(const char *path, struct qcow2_info *out, unsigned char **head);

/*
 * Where the backing file info->backing of the image at path lives: as written when
 * absolute, else relative to path's folder (as QEMU reads it).  Malloc'd, NULL on no
 * memory (reported).
 */
char *qcow2_backing_path(const char *path, const struct qcow2_info *info);

#endif
