/*
 * vmstate — the cache of saved VM states (<cache>/states), from which a repeated VM
 * configuration starts in a fraction of a boot (virDomainSave/Restore, like Firecracker
 * snapshots).
 *
 * A state is keyed by everything the guest can see: the domain XML with the per-run
 * host paths, name and port replaced by fixed values, the image's manifest hash and the
 * QEMU and libvirt versions (vmstate_key).  Each is two files, <key>.state (libvirt's
 * save image) and <key>.json (the domain name and UUID it must be restored with, its
 * size and when it was made); the .json is written last, so a state without one is
 * incomplete and ignored.  The cache is kept under VMSTATE_MAX_BYTES by removing the
 * least recently used states (vmstate_prune); only names of these shapes are removed.
 */
#ifndef VMSWEEP_VMSTATE_H
#define VMSWEEP_VMSTATE_H

#include <stdint.h>

#define VMSTATE_MAX_BYTES (4ULL << 30) /* all saved states together */

/* A saved state found in the cache. */
struct vmstate {
    char *path; /* the save image */
    char *name; /* domain name and UUID to restore it with */
    char *uuid;
};

/* The key of a configuration: sha256 (hex) over the parts, each NUL-terminated.  0, or
 * -1 (reported). */
int vmstate_key(const char *template_xml, const char *image_sha256, const char *versions,
                char key[65]);

/*
 * Look key up: 1 and *out (free with vmstate_free) when a complete state is cached, 0
 * when none is, -1 on errors (reported).  A hit counts as a use for vmstate_prune.
 */
int vmstate_find(const char *key, struct vmstate *out);

/* A new file name in the cache to save the state of key into (malloc'd); NULL reported. */
char *vmstate_temp(const char *key);

/*
 * Publish tmp (a state written by vm_snapshot) as the state of key, restored with the
 * domain name and uuid; then prune.  -1 reported (tmp is removed).
 */
int vmstate_commit(const char *key, const char *tmp, const char *name, const char *uuid);

/* Forget the state of key (e.g. one that failed to restore).  Best effort. */
void vmstate_drop(const char *key);

/* Remove least recently used states until the cache holds at most max_bytes. */
void vmstate_prune(uint64_t max_bytes);

/* Release the strings of s (NULL fields are fine). */
void vmstate_free(struct vmstate *s);

#endif
