/*
 * salvage — recover the agent's rows from a dead VM's results disk with libguestfs.
 *
 * The agent writes and fsyncs each row to /results/out on a dedicated raw ext4 disk, so
 * when the guest crashes or the SSH session dies, every completed row is on that disk.
 * libguestfs reads it in its own appliance: no loop mounts, nothing executed from the
 * guest's data, and names coming from the disk are checked before they touch the host.
 */
#ifndef VMSWEEP_SALVAGE_H
#define VMSWEEP_SALVAGE_H

#include <stddef.h>

/* Bytes of one salvaged file (as GUEST_MAX_FILE for pulls): a larger one is skipped. */
#define SALVAGE_MAX_FILE (512ULL << 20)
/* Bytes of all the files of one salvage (as GUEST_MAX_PULL for pulls). */
#define SALVAGE_MAX_TOTAL (2ULL << 30)
/* Entries of one directory on the results disk looked at (as GUEST_MAX_LIST). */
#define SALVAGE_MAX_LIST 10000u

/*
 * Copy the regular files of directory dir (e.g. "/out") on the ext4 filesystem of raw
 * disk image disk into local directory dest (created), and those of its subdirectories
 * one level down.  Files with unsafe names, symlinks, files larger than SALVAGE_MAX_FILE
 * or than what is left of SALVAGE_MAX_TOTAL are skipped and reported; at most
 * SALVAGE_MAX_LIST entries of a directory are looked at.  Each file is written to a new
 * temporary file (random name, O_EXCL, O_NOFOLLOW), fsynced and renamed.  The VM using
 * the disk must be stopped.  Returns 0 and the number of files copied in *nfiles, or -1
 * (reported).
 */
int salvage_results(const char *disk, const char *dir, const char *dest, size_t *nfiles);

/*
 * Create a fresh results disk: a sparse raw file of size_mib with an empty ext4
 * filesystem labelled vmsweep-results.  -1 (reported) on failure.
 */
int salvage_make_disk(const char *path, unsigned size_mib);

#endif
