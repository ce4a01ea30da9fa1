/* fsutil — see fsutil.h. */
#include "fsutil.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *fsutil_printf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        s = NULL;
        log_error("out of memory");
    }
    va_end(ap);
    return s;
}

int fsutil_mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(buf)) {
        log_error("invalid directory path '%s'", path);
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST) {
            log_error("cannot create directory '%s': %s", buf, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST) {
        log_error("cannot create directory '%s': %s", buf, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
        log_error("'%s' exists and is not a directory", buf);
        return -1;
    }
    return 0;
}

int fsutil_read_file(const char *path, char **data, size_t *len)
{
    int fd = -1, ret = -1;
    char *buf = NULL;
    size_t cap = 0, used = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_error("cannot open '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    for (;;) {
        if (cap - used < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                log_error("out of memory reading '%s'", path);
                goto cleanup;
            }
            buf = nb;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_error("cannot read '%s': %s", path, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *data = buf;
    buf = NULL;
    if (len)
        *len = used;
    ret = 0;
cleanup:
    free(buf);
    if (fd >= 0)
        close(fd);
    return ret;
}

int fsutil_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ---- private directories ---- */

/* Can someone other than the owner add, remove or rename entries of the directory st? */
static bool private_shared(const struct stat *st)
{
    return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

/* May private directories live below the directory st (path[0..len))? */
static int private_parent_ok(const struct stat *st, const char *path, int len)
{
    if (st->st_uid != geteuid() && st->st_uid != 0) {
        log_error("'%.*s' belongs to another user (uid %u): refusing to keep private files "
                  "below it",
                  len, path, (unsigned)st->st_uid);
        return -1;
    }
    if ((st->st_mode & S_IWOTH) && !(st->st_mode & S_ISVTX)) {
        log_error("'%.*s' is writable by anyone and has no sticky bit: refusing to keep "
                  "private files below it (anyone could replace them)",
                  len, path);
        return -1;
    }
    return 0;
}

/* Is the directory st (path[0..len)) ours and closed to others? */
static int private_check(const struct stat *st, const char *path, int len)
{
    if (!S_ISDIR(st->st_mode)) {
        log_error("'%.*s' exists and is not a directory", len, path);
        return -1;
    }
    if (st->st_uid != geteuid()) {
        log_error("'%.*s' belongs to uid %u, not to uid %u: refusing to use it (someone else "
                  "may have planted it); remove it",
                  len, path, (unsigned)st->st_uid, (unsigned)geteuid());
        return -1;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        log_error("'%.*s' is writable by group or others (mode %04o): refusing to use it as a "
                  "private directory; run 'chmod go-w' on it",
                  len, path, (unsigned)(st->st_mode & 07777));
        return -1;
    }
    return 0;
}

/*
 * Open the component name of dirfd (path[0..len)) as a directory, creating it (0700) when
 * missing; *checked in: must it be private (then symbolic links are refused); out: also
 * when it was created.  Returns an O_PATH descriptor or -1 (reported).
 */
static int private_open(int dirfd, const char *name, const char *path, int len, bool *checked)
{
    const int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    struct stat lst;
    int fd;

    fd = openat(dirfd, name, flags | (*checked ? O_NOFOLLOW : 0));
    if (fd < 0 && errno == ENOENT) {
        if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST) {
            log_error("cannot create directory '%.*s': %s", len, path, strerror(errno));
            return -1;
        }
        *checked = true; /* ours now, or planted in between: either way it must pass */
        fd = openat(dirfd, name, flags | O_NOFOLLOW);
    }
    if (fd >= 0)
        return fd;
    if ((errno == ENOTDIR || errno == ELOOP) &&
        fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(lst.st_mode) && *checked)
            log_error("'%.*s' is a symbolic link: refusing to use it (someone else may have "
                      "planted it); remove it",
                      len, path);
        else
            log_error("'%.*s' exists and is not a directory", len, path);
        return -1;
    }
    log_error("cannot open directory '%.*s': %s", len, path, strerror(errno));
    return -1;
}

/* Does s hold nothing but "/" and "." components? */
static bool only_dots(const char *s)
{
    for (;;) {
        s += strspn(s, "/");
        if (*s == '\0')
            return true;
        size_t n = strcspn(s, "/");
        if (n != 1 || s[0] != '.')
            return false;
        s += n;
    }
}

int fsutil_private_dir(const char *path)
{
    const bool absolute = path[0] == '/';
    const char *p = path;
    char name[NAME_MAX + 1];
    struct stat st;
    bool last = false;
    int dirfd = -1, ret = -1;

    if (path[0] == '\0') {
        log_error("invalid directory path ''");
        return -1;
    }
    dirfd = open(absolute ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 || fstat(dirfd, &st) < 0) {
        log_error("cannot open directory '%s': %s", absolute ? "/" : ".", strerror(errno));
        goto cleanup;
    }
    while (!last) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        const char *end = p + n;
        int shown = (int)(end - path);

        last = only_dots(end);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            p = end;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            log_error("'%s' contains '..': give the private directory's path without it", path);
            goto cleanup;
        }
        if (n > NAME_MAX) {
            log_error("cannot create directory '%.*s': %s", shown, path, strerror(ENAMETOOLONG));
            goto cleanup;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        /* The directory we are in decides whether this component can be trusted as found. */
        int parent_len = (int)(p - path);
        while (parent_len > 1 && path[parent_len - 1] == '/')
            parent_len--;
        if (private_parent_ok(&st, parent_len ? path : ".", parent_len ? parent_len : 1) < 0)
            goto cleanup;
        bool checked = last || private_shared(&st);
        int fd = private_open(dirfd, name, path, shown, &checked);
        if (fd < 0)
            goto cleanup;
        close(dirfd);
        dirfd = fd;
        if (fstat(dirfd, &st) < 0) {
            log_error("cannot examine '%.*s': %s", shown, path, strerror(errno));
            goto cleanup;
        }
        if (checked && private_check(&st, path, shown) < 0)
            goto cleanup;
        p = end;
    }
    /* Checked already unless the path was "/", "." or ended in "/.": then it is now. */
    if (private_check(&st, path, (int)strlen(path)) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    if (dirfd >= 0)
        close(dirfd);
    return ret;
}

/* ---- atomic writes ---- */

/* A temporary file being written next to its destination. */
/* The directory of path into buf ("." or "/" when it has no other), base into *base. */
static int split_path(const char *path, char *buf, size_t cap, const char **base)
{
    const char *slash = strrchr(path, '/');
    size_t n;

    *base = slash ? slash + 1 : path;
    if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
        log_error("invalid file path '%s'", path);
        return -1;
    }
    if (slash == NULL) {
        snprintf(buf, cap, ".");
        return 0;
    }
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= cap) {
        log_error("cannot write '%s': %s", path, strerror(ENAMETOOLONG));
        return -1;
    }
    memcpy(buf, path, n);
    buf[n] = '\0';
    return 0;
}

static uint64_t random_u64(void)
{
    static unsigned long counter;
    uint64_t r;
    struct timespec ts;

    if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
        return r;
    /* No getrandom: O_EXCL still keeps us safe; a guessable name only costs a retry. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
           __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

/*
 * Create a new temporary file for path: ".<base>.tmp-<random>" in path's directory
 * (hidden, so never mistaken for a result), O_EXCL|O_NOFOLLOW, mode set by fchmod.
 */
int fsutil_atomic_begin(struct fsutil_atomic *a, const char *path, mode_t mode)
{
    char dir[PATH_MAX];

    a->path = path;
    a->dirfd = -1;
    a->fd = -1;
    a->tmp[0] = '\0';
    if (split_path(path, dir, sizeof(dir), &a->base) < 0)
        return -1;
    a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (a->dirfd < 0) {
        log_error("cannot write '%s': cannot open its directory '%s': %s", path, dir,
                  strerror(errno));
        return -1;
    }
    for (int tries = 0; tries < 100; tries++) {
        snprintf(a->tmp, sizeof(a->tmp), ".%.200s.tmp-%016llx", a->base,
                 (unsigned long long)random_u64());
        a->fd =
            openat(a->dirfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (a->fd >= 0 || errno != EEXIST)
            break;
    }
    if (a->fd < 0) {
        log_error("cannot create a temporary file in '%s' for '%s': %s", dir, path,
                  strerror(errno));
        a->tmp[0] = '\0';
        return -1;
    }
    if (fchmod(a->fd, mode & 07777) < 0) {
        log_error("cannot set the mode of '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* fsync, close, rename over the destination, fsync the directory. */
int fsutil_atomic_commit(struct fsutil_atomic *a)
{
    if (fsync(a->fd) < 0) {
        log_error("cannot write '%s': %s", a->path, strerror(errno));
        return -1;
    }
    int rc = close(a->fd);
    a->fd = -1;
    if (rc < 0) {
        log_error("cannot write '%s': %s", a->path, strerror(errno));
        return -1;
    }
    if (renameat(a->dirfd, a->tmp, a->dirfd, a->base) < 0) {
        log_error("cannot rename a temporary file to '%s': %s", a->path, strerror(errno));
        return -1;
    }
    a->tmp[0] = '\0';
    if (fsync(a->dirfd) < 0 && errno != EINVAL) {
        log_error("cannot write '%s': syncing its directory failed: %s", a->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Release what fsutil_atomic_begin made; the temporary file goes unless it was renamed. */
void fsutil_atomic_end(struct fsutil_atomic *a)
{
    if (a->fd >= 0)
        close(a->fd);
    if (a->dirfd >= 0 && a->tmp[0])
        unlinkat(a->dirfd, a->tmp, 0);
    if (a->dirfd >= 0)
        close(a->dirfd);
    a->fd = -1;
    a->dirfd = -1;
}

int fsutil_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    struct fsutil_atomic a;
    int ret = -1;

    if (fsutil_atomic_begin(&a, path, mode) < 0)
        goto cleanup;
    if (fsutil_write_all(a.fd, data, len) < 0) {
        log_error("cannot write '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    if (fsutil_atomic_commit(&a) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    fsutil_atomic_end(&a);
    return ret;
}

int fsutil_copy_file(const char *src, const char *dst)
{
    struct fsutil_atomic a = {.fd = -1, .dirfd = -1};
    char buf[65536];
    struct stat st;
    int in = -1, ret = -1;

    in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (in < 0 || fstat(in, &st) < 0) {
        log_error("cannot read '%s': %s", src, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        log_error("cannot copy '%s': it is not a regular file", src);
        goto cleanup;
    }
    if (fsutil_atomic_begin(&a, dst, st.st_mode & 07777) < 0)
        goto cleanup;
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_error("cannot read '%s': %s", src, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        if (fsutil_write_all(a.fd, buf, (size_t)n) < 0) {
            log_error("cannot write '%s': %s", dst, strerror(errno));
            goto cleanup;
        }
    }
    if (fsutil_atomic_commit(&a) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    fsutil_atomic_end(&a);
    if (in >= 0)
        close(in);
    return ret;
}

int fsutil_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        log_error("cannot open directory '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (fsync(fd) < 0 && errno != EINVAL) {
        log_error("cannot sync directory '%s': %s", dir, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* ---- removal ---- */

/* Deeper trees are refused rather than holding a descriptor per level without bound. */
#define FSUTIL_RM_MAX_DEPTH 128

static int rm_at(int dirfd, const char *name, const char *shown, const dev_t *dev, int depth);

/* Remove everything in the directory fd (shown as shown); closes fd. */
static int rm_contents(int fd, const char *shown, dev_t dev, int depth)
{
    DIR *d = fdopendir(fd);
    struct dirent *e;
    int ret = -1;

    if (d == NULL) {
        log_error("cannot read the directory '%s': %s", shown, strerror(errno));
        close(fd);
        return -1;
    }
    /* Entries removed while reading may make readdir skip others: read again until empty. */
    for (int pass = 0; pass < 16; pass++) {
        int removed = 0;
        rewinddir(d);
        errno = 0;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *sub = fsutil_printf("%s/%s", shown, e->d_name);
            if (sub == NULL)
                goto cleanup;
            int rc = rm_at(dirfd(d), e->d_name, sub, &dev, depth);
            free(sub);
            if (rc < 0)
                goto cleanup;
            removed++;
            errno = 0;
        }
        if (errno != 0) {
            log_error("cannot read the directory '%s': %s", shown, strerror(errno));
            goto cleanup;
        }
        if (removed == 0)
            break;
    }
    ret = 0;
cleanup:
    closedir(d);
    return ret;
}

/*
 * Remove the entry name of dirfd (shown as shown).  dev: the device of the tree (NULL at
 * the top: the entry's own); a directory on another device is a mount point, refused.
 */
static int rm_at(int dirfd, const char *name, const char *shown, const dev_t *dev, int depth)
{
    struct stat st;
    int fd;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        log_error("cannot remove '%s': %s", shown, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
            log_error("cannot remove '%s': %s", shown, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (dev && st.st_dev != *dev) {
        log_error("cannot remove '%s': it is a mount point (not removing what is mounted "
                  "there)",
                  shown);
        return -1;
    }
    if (depth >= FSUTIL_RM_MAX_DEPTH) {
        log_error("cannot remove '%s': nested more than %d directories deep", shown,
                  FSUTIL_RM_MAX_DEPTH);
        return -1;
    }
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
        /* Swapped for a link or a file since fstatat: remove that, follow nothing. */
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
            log_error("cannot remove '%s': %s", shown, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        log_error("cannot open the directory '%s': %s", shown, strerror(errno));
        return -1;
    }
    if (rm_contents(fd, shown, st.st_dev, depth + 1) < 0)
        return -1;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
        log_error("cannot remove '%s': %s", shown, strerror(errno));
        return -1;
    }
    return 0;
}

int fsutil_rm_rf(const char *path)
{
    char dir[PATH_MAX], *trimmed = NULL;
    const char *base;
    int dirfd = -1, ret = -1;
    size_t n = strlen(path);

    /* "link/" would name the link's target: the link itself is what goes. */
    while (n > 1 && path[n - 1] == '/')
        n--;
    trimmed = strndup(path, n);
    if (trimmed == NULL) {
        log_error("out of memory");
        return -1;
    }
    if (!fsutil_exists(trimmed)) {
        ret = 0;
        goto cleanup;
    }
    if (split_path(trimmed, dir, sizeof(dir), &base) < 0)
        goto cleanup;
    dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        log_error("cannot remove '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    ret = rm_at(dirfd, base, trimmed, NULL, 0);
cleanup:
    if (dirfd >= 0)
        close(dirfd);
    free(trimmed);
    return ret;
}

int fsutil_rm_rf_shaped(const char *dir, bool (*shape)(const char *name, void *arg), void *arg)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    DIR *d = NULL;
    struct dirent *e;
    int fd, ret = -1;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        log_error("cannot read the directory '%s': %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* Names first, removal after: removing while reading may make readdir skip entries. */
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || !shape(e->d_name, arg)) {
            errno = 0;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (nn == NULL) {
                log_error("out of memory");
                goto cleanup;
            }
            names = nn;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            log_error("out of memory");
            goto cleanup;
        }
        n++;
        errno = 0;
    }
    if (errno != 0) {
        log_error("cannot read the directory '%s': %s", dir, strerror(errno));
        goto cleanup;
    }
    ret = 0;
    for (size_t i = 0; i < n; i++) {
        char *shown = fsutil_printf("%s/%s", dir, names[i]);
        if (shown == NULL || rm_at(dirfd(d), names[i], shown, NULL, 0) < 0)
            ret = -1;
        free(shown);
    }
cleanup:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return ret;
}

bool fsutil_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool fsutil_safe_name(const char *name)
{
    /* No leading dot either: ".", "..", and hidden or temporary files never come home. */
    if (name == NULL || name[0] == '\0' || name[0] == '.')
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '/' || *p < 0x20 || *p == 0x7f)
            return false;
    }
    return strlen(name) < 256;
}

int fsutil_run(char *const argv[], char **out, bool quiet)
{
    int pfd[2] = {-1, -1};
    pid_t pid;
    char *buf = NULL;
    size_t cap = 0, used = 0;
    int status, ret = -1;

    if (out && pipe2(pfd, O_CLOEXEC) < 0) {
        log_error("cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        log_error("cannot fork to run '%s': %s", argv[0], strerror(errno));
        goto cleanup;
    }
    if (pid == 0) {
        if (out)
            dup2(pfd[1], STDOUT_FILENO);
        if (quiet) {
            int dn = open("/dev/null", O_WRONLY);
            if (dn >= 0)
                dup2(dn, STDERR_FILENO);
            if (!out && dn >= 0)
                dup2(dn, STDOUT_FILENO);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "vmsweep: error: cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (out) {
        close(pfd[1]);
        pfd[1] = -1;
        for (;;) {
            if (cap - used < 1024) {
                cap = cap ? cap * 2 : 4096;
                char *nb = realloc(buf, cap);
                if (nb == NULL)
                    break;
                buf = nb;
            }
            ssize_t n = read(pfd[0], buf + used, cap - used - 1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            used += (size_t)n;
        }
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            log_error("cannot wait for '%s': %s", argv[0], strerror(errno));
            goto cleanup;
        }
    }
    if (out) {
        if (buf == NULL) {
            log_error("out of memory");
            goto cleanup;
        }
        buf[used] = '\0';
        *out = buf;
        buf = NULL;
    }
    if (WIFSIGNALED(status)) {
        log_error("'%s' was killed by signal %d", argv[0], WTERMSIG(status));
        ret = 128 + WTERMSIG(status);
    } else {
        ret = WEXITSTATUS(status);
    }
cleanup:
    free(buf);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    return ret;
}
