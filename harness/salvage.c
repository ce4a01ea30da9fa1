#include "salvage.h"

#include "fsutil.h"
#include "imgdisk.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int salvage_make_disk(const char *path, unsigned size_mib)
{
    char *mkfs[] = {"mkfs.ext4", "-q", "-F",         "-L", "vmsweep-results",
                    "-m",        "0",  (char *)path, NULL};
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0) {
        log_error("cannot create results disk '%s': %s", path, strerror(errno));
        return -1;
    }
    if (ftruncate(fd, (off_t)size_mib << 20) < 0) {
        log_error("cannot size results disk '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    if (fsutil_run(mkfs, NULL, true) != 0) {
        log_error("cannot make a filesystem on results disk '%s' (is e2fsprogs installed? "
                  "run ci/install-deps.sh)",
                  path);
        return -1;
    }
    return 0;
}

#define SALVAGE_CHUNK (1 << 20) /* bytes per guestfs_pread (its messages carry a few MiB) */

/*
 * Copy the regular file src of size bytes on the disk to dst: read in chunks into a
 * temporary file, fsync, rename.  At most size bytes are read, whatever the disk holds.
 * Returns 0, or -1 (reported) with nothing left at dst.
 */
static int salvage_file(guestfs_h *g, const char *src, const char *dst, uint64_t size)
{
    struct fsutil_atomic out;
    uint64_t off = 0;
    int ret = -1;

    if (fsutil_atomic_begin(&out, dst, 0644) < 0)
        goto cleanup;
    while (off < size) {
        int want = size - off < SALVAGE_CHUNK ? (int)(size - off) : SALVAGE_CHUNK;
        size_t got = 0;
        char *buf = guestfs_pread(g, src, want, (int64_t)off, &got);

        if (buf == NULL) {
            log_warn("cannot salvage '%s': %s", src,
                     guestfs_last_error(g) ? guestfs_last_error(g) : "unknown error");
            goto cleanup;
        }
        if (got > (size_t)want || fsutil_write_all(out.fd, buf, got) < 0) {
            log_error("cannot write '%s': %s", dst, got > (size_t)want ? "short" : strerror(errno));
            free(buf);
            goto cleanup;
        }
        free(buf);
        if (got == 0)
            break; /* shorter than it said: keep what there is */
        off += got;
    }
    if (fsutil_atomic_commit(&out) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    fsutil_atomic_end(&out);
    return ret;
}

/*
 * Copy the regular files of dir (and, depth permitting, its subfolders) into dest,
 * taking their sizes from *budget.
 */
static int salvage_dir(guestfs_h *g, const char *dir, const char *dest, int depth, size_t *copied,
                       uint64_t *budget)
{
    char **names = guestfs_ls(g, dir);
    size_t i;

    if (!names) {
        log_error("cannot list '%s' on the results disk: %s", dir,
                  guestfs_last_error(g) ? guestfs_last_error(g) : "unknown error");
        return -1;
    }
    if (names[0] && fsutil_mkdir_p(dest, 0755) < 0)
        log_error("cannot create '%s': %s", dest, strerror(errno));
    for (i = 0; i < SALVAGE_MAX_LIST && names[i]; i++) {
        struct guestfs_statns *st = NULL;
        char *src = NULL, *dst = NULL;

        /* Names on the disk were chosen by the guest: check them before they are used. */
        if (!fsutil_safe_name(names[i])) {
            log_warn("skipping file with unsafe name '%s' on results disk", names[i]);
            continue;
        }
        src = fsutil_printf("%s/%s", dir, names[i]);
        dst = fsutil_printf("%s/%s", dest, names[i]);
        st = src && dst ? guestfs_lstatns(g, src) : NULL;
        if (st == NULL) {
            if (src && dst)
                log_warn("cannot salvage '%s': %s", src,
                         guestfs_last_error(g) ? guestfs_last_error(g) : "unknown error");
        } else if (S_ISREG((mode_t)st->st_mode)) {
            uint64_t size = st->st_size > 0 ? (uint64_t)st->st_size : 0;
            if (size > SALVAGE_MAX_FILE)
                log_warn("'%s' on the results disk has %llu bytes, more than the %llu MiB a "
                         "salvaged file may have: not salvaging it",
                         src, (unsigned long long)size, SALVAGE_MAX_FILE >> 20);
            else if (size > *budget)
                log_warn("'%s' on the results disk has %llu bytes, more than the %llu left of "
                         "the %llu MiB salvaged at most: not salvaging it",
                         src, (unsigned long long)size, (unsigned long long)*budget,
                         SALVAGE_MAX_TOTAL >> 20);
            else if (salvage_file(g, src, dst, size) == 0) {
                *budget -= size;
                (*copied)++;
            }
        } else if (S_ISDIR((mode_t)st->st_mode) && depth > 0) {
            salvage_dir(g, src, dst, depth - 1, copied, budget);
        }
        guestfs_free_statns(st);
        free(src);
        free(dst);
    }
    if (names[i])
        log_warn("'%s' on the results disk has more than %u entries: salvaging from the first "
                 "%u only",
                 dir, SALVAGE_MAX_LIST, SALVAGE_MAX_LIST);
    for (i = 0; names[i]; i++)
        free(names[i]);
    free(names);
    return 0;
}

int salvage_results(const char *disk, const char *dir, const char *dest, size_t *nfiles)
{
    guestfs_h *g = NULL;
    size_t copied = 0;
    uint64_t budget = SALVAGE_MAX_TOTAL;
    int ret = -1;

    g = imgdisk_guestfs();
    if (!g)
        return -1;
    /* Errors are reported here, through the log (which escapes what the guest named),
     * not printed by libguestfs's default handler. */
    guestfs_set_error_handler(g, NULL, NULL);
    if (guestfs_add_drive_opts(g, disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
                               GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) < 0 ||
        guestfs_launch(g) < 0) {
        log_error("cannot open results disk '%s' with libguestfs: %s", disk,
                  guestfs_last_error(g) ? guestfs_last_error(g) : "unknown error");
        goto cleanup;
    }
    if (guestfs_mount_ro(g, "/dev/sda", "/") < 0) {
        log_error("results disk '%s' has no readable filesystem: %s", disk,
                  guestfs_last_error(g) ? guestfs_last_error(g) : "unknown error");
        goto cleanup;
    }
    if (fsutil_mkdir_p(dest, 0755) < 0) {
        log_error("cannot create '%s': %s", dest, strerror(errno));
        goto cleanup;
    }
    if (guestfs_is_dir(g, dir) <= 0) {
        log_warn("results disk '%s' has no '%s': the agent wrote nothing", disk, dir);
        ret = 0;
        goto cleanup;
    }
    if (salvage_dir(g, dir, dest, 1, &copied, &budget) < 0)
        goto cleanup;
    *nfiles = copied;
    ret = 0;
cleanup:
    if (g) {
        guestfs_shutdown(g);
        guestfs_close(g);
    }
    return ret;
}
