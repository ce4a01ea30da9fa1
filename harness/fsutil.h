/*
 * fsutil — small file-system helpers for the harness.  All return 0 on success and -1
 * after reporting the error once (as a sentence naming the path), unless noted.
 */
#ifndef VMSWEEP_FSUTIL_H
#define VMSWEEP_FSUTIL_H

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
 * Write data to path atomically: a temporary file in the same directory, fsync, rename.
 * A reader sees the old file or the new one, never half of it.
 */
int fsutil_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Copy src to dst (atomically, as above) keeping src's permission bits. */
int fsutil_copy_file(const char *src, const char *dst);

/* Remove a file or a directory tree; a missing path is not an error. */
int fsutil_rm_rf(const char *path);

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
