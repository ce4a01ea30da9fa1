#include "salvage.h"

#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
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

/* Copy the regular files of dir (and, depth permitting, its subfolders) into dest. */
static int salvage_dir(guestfs_h *g, const char *dir, const char *dest, int depth, size_t *copied)
{
    char **names = guestfs_ls(g, dir);

    if (!names) {
        log_error("cannot list '%s' on the results disk", dir);
        return -1;
    }
    if (names[0] && fsutil_mkdir_p(dest, 0755) < 0)
        log_error("cannot create '%s': %s", dest, strerror(errno));
    for (size_t i = 0; names[i]; i++) {
        char *src = NULL, *dst = NULL;

        /* Names on the disk were chosen by the guest: check them before they are used. */
        if (!fsutil_safe_name(names[i])) {
            log_warn("skipping file with unsafe name '%s' on results disk", names[i]);
            free(names[i]);
            continue;
        }
        src = fsutil_printf("%s/%s", dir, names[i]);
        dst = fsutil_printf("%s/%s", dest, names[i]);
        if (src && dst && guestfs_is_file(g, src) > 0) {
            if (guestfs_download(g, src, dst) < 0)
                log_warn("cannot salvage '%s': %s", src, guestfs_last_error(g));
            else
                (*copied)++;
        } else if (src && dst && depth > 0 && guestfs_is_dir(g, src) > 0) {
            salvage_dir(g, src, dst, depth - 1, copied);
        }
        free(src);
        free(dst);
        free(names[i]);
    }
    free(names);
    return 0;
}

int salvage_results(const char *disk, const char *dir, const char *dest, size_t *nfiles)
{
    guestfs_h *g = NULL;
    size_t copied = 0;
    int ret = -1;

    /* The appliance needs a kernel it can read; Debian's supermin finds /boot. */
    setenv("LIBGUESTFS_BACKEND", "direct", 0);
    g = guestfs_create();
    if (!g) {
        log_error("cannot create a libguestfs handle to salvage '%s'", disk);
        return -1;
    }
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
    if (salvage_dir(g, dir, dest, 1, &copied) < 0)
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
