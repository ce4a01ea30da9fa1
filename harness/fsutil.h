/*
 * fsutil — small file-system helpers for the harness.  All return 0 on success and -1
 * after reporting the error once (as a sentence naming the path), unless noted.
 */
#ifndef VMSWEEP_FSUTIL_H
#define VMSWEEP_FSUTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* malloc'ed printf; NULL only when out of memory (reported). */
char *fsutil_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mkdir -p with the given mode for directories it creates. */
int fsutil_mkdir_p(const char *path, mode_t mode);

/* Read a whole file into a NUL-terminated malloc'ed buffer; *len (optional) gets its size. */
int fsutil_read_file(const char *path, char **data, size_t *len);

/*
 * Make path a private directory: create it and any missing parents with mode 0700, then
 * check, without following symbolic links, that it is a real directory owned by the
 * effective user and not writable by group or others.  Components below a directory that
 * others can write to (e.g. /tmp/vmsweep-0 below /tmp) must pass the same check, so
 * nobody else can have planted or be able to swap anything on the way.  Refused: ".." in
 * path, a directory on the way that is writable by anyone and not sticky, or owned by
 * another user (other than root).  Each refusal names the path and what is wrong.
 */
int fsutil_private_dir(const char *path);

/*
 * Write data to path atomically: a new temporary file with a random name in the same
 * directory (created exclusively, never through a symbolic link), mode set to mode
 * exactly (fchmod, not reduced by the umask), fsync, rename over path, fsync of the
 * directory.  A reader sees the old file or the new one, never half of it; a symbolic
 * link at path is replaced, not followed.
 */
int fsutil_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/*
 * The steps of fsutil_write_atomic, for a file written piece by piece (e.g. streamed from
 * the guest): fsutil_atomic_begin creates the temporary file (write to a->fd, e.g. with
 * fsutil_write_all), fsutil_atomic_commit publishes it under path, fsutil_atomic_end
 * releases a and removes the temporary file unless it was committed (call it in every
 * case).  path must outlive a.  Each returns 0 or -1 (reported).
 */
struct fsutil_atomic {
    const char *path; /* destination, for messages */
    const char *base; /* its last component */
    int dirfd;
    int fd; /* the temporary file, open for writing */
    char tmp[NAME_MAX + 1];
};
int fsutil_atomic_begin(struct fsutil_atomic *a, const char *path, mode_t mode);
int fsutil_atomic_commit(struct fsutil_atomic *a);
void fsutil_atomic_end(struct fsutil_atomic *a);

/* write(2) all of data, retrying on EINTR and short writes; 0, or -1 with errno set. */
int fsutil_write_all(int fd, const void *data, size_t len);

/* Copy the regular file src to dst (atomically, as above) keeping src's permission bits. */
int fsutil_copy_file(const char *src, const char *dst);

/* fsync a directory, so that a rename or a new file in it survives a crash. */
int fsutil_fsync_dir(const char *dir);

/*
 * Remove a file or a directory tree; a missing path is not an error.  Symbolic links are
 * removed, never followed (also when path itself is one: the link goes, its target
 * stays), and the tree is walked by directory descriptors, so a directory swapped for a
 * link during the walk cannot lead it elsewhere; a mount point inside the tree is refused.
 */
int fsutil_rm_rf(const char *path);

/*
 * Remove, as fsutil_rm_rf would, each entry of dir whose name shape(name, arg) accepts;
 * others stay.  Cleanup of a shared directory should remove only names of the shape it
 * creates (e.g. "<pid>-<hex>").  Every accepted entry is tried; returns -1 when dir
 * cannot be read or any accepted entry could not be removed (each reported).
 */
int fsutil_rm_rf_shaped(const char *dir, bool (*shape)(const char *name, void *arg), void *arg);

/* True when path exists (any type). Reports nothing. */
bool fsutil_exists(const char *path);

/*
 * True when name is a plain file name that is safe to create inside a directory we own:
 * not empty, no leading dot, no '/', no control characters.  Used on names that come
 * from a guest, so a malicious guest cannot make us write outside the output directory.
 */
bool fsutil_safe_name(const char *name);

/*
 * Run argv (no shell), wait, return its exit status (0..255; 128 + N when signal N
 * killed it, reported), or -1 when it could not be started or waited for (reported).
 * When out is not NULL, stdout is captured into a malloc'ed NUL-terminated string
 * (also when the child was killed); stderr is inherited unless quiet.
 */
int fsutil_run(char *const argv[], char **out, bool quiet);

#endif
