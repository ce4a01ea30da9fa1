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

/*
 * Copy the regular files of directory dir (e.g. "/out") on the ext4 filesystem of raw
 * disk image disk into local directory dest (created).  Files with unsafe names are
 * skipped and reported.  The VM using the disk must be stopped.  Returns 0 and the number
 * of files copied in *nfiles, or -1 (reported).
 */
int salvage_results(const char *disk, const char *dir, const char *dest, size_t *nfiles);

/*
 * Create a fresh results disk: a sparse raw file of size_mib with an empty ext4
 * filesystem labelled vmsweep-results.  -1 (reported) on failure.
 */
int salvage_make_disk(const char *path, unsigned size_mib);

#endif
