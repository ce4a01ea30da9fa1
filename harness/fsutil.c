/* fsutil — see fsutil.h. */
#include "fsutil.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static int write_all(int fd, const void *data, size_t len)
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

int fsutil_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    char *tmp = NULL;
    int fd = -1, ret = -1;

    tmp = fsutil_printf("%s.tmp.%ld", path, (long)getpid());
    if (tmp == NULL)
        goto cleanup;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        log_error("cannot create '%s': %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        log_error("cannot write '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    if (close(fd) < 0) {
        fd = -1;
        log_error("cannot write '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        log_error("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        goto cleanup;
    }
    ret = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (ret < 0 && tmp)
        unlink(tmp);
    free(tmp);
    return ret;
}

int fsutil_copy_file(const char *src, const char *dst)
{
    char *data = NULL;
    size_t len = 0;
    struct stat st;
    int ret = -1;

    if (stat(src, &st) < 0) {
        log_error("cannot read '%s': %s", src, strerror(errno));
        return -1;
    }
    if (fsutil_read_file(src, &data, &len) < 0)
        goto cleanup;
    ret = fsutil_write_atomic(dst, data, len, st.st_mode & 07777);
cleanup:
    free(data);
    return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0 && errno != ENOENT) {
        log_error("cannot remove '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int fsutil_rm_rf(const char *path)
{
    if (!fsutil_exists(path))
        return 0;
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
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
