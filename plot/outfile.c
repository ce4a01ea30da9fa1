/* outfile — see outfile.h. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

int outfile_mkdir(const char *dir, FILE *diag)
{
    char *p = strdup(dir);
    int ret = -1;
    struct stat st;

    if (!p) {
        if (diag)
            fprintf(diag, "vmsweep plot: out of memory\n");
        return -1;
    }
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) < 0 && errno != EEXIST) {
            if (diag)
                fprintf(diag, "vmsweep plot: cannot create directory '%s': %s\n", p,
                        strerror(errno));
            goto cleanup;
        }
        *s = '/';
    }
    if (mkdir(p, 0777) < 0 && errno != EEXIST) {
        if (diag)
            fprintf(diag, "vmsweep plot: cannot create directory '%s': %s\n", p, strerror(errno));
        goto cleanup;
    }
    if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
        if (diag)
            fprintf(diag, "vmsweep plot: output path '%s' is not a directory\n", p);
        goto cleanup;
    }
    ret = 0;
cleanup:
    free(p);
    return ret;
}

int outfile_write(const char *dir, const char *name, const void *data, size_t len, FILE *diag)
{
    char *dst = NULL;
    int ret;

    if (asprintf(&dst, "%s/%s", dir, name) < 0) {
        if (diag)
            fprintf(diag, "vmsweep plot: out of memory\n");
        return -1;
    }
    ret = fsutil_write_atomic(dst, data, len, 0644);
    free(dst);
    return ret;
}

int outfile_slurp(const char *dir, const char *name, unsigned long long max, char **data,
                  size_t *len, FILE *diag)
{
    char *path = NULL, *buf = NULL;
    struct stat st;
    size_t got = 0;
    int fd = -1, ret = -1;

    if (asprintf(&path, "%s/%s", dir, name) < 0) {
        path = NULL;
        if (diag)
            fprintf(diag, "vmsweep plot: out of memory\n");
        goto cleanup;
    }
    /* A regular file only (a FIFO would block, a device never end), of bounded size;
     * O_NONBLOCK keeps the open itself from waiting on a FIFO. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (diag)
            fprintf(diag, "vmsweep plot: cannot read '%s': %s\n", path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        if (diag)
            fprintf(diag, "vmsweep plot: '%s' is not a regular file\n", path);
        goto cleanup;
    }
    if ((unsigned long long)st.st_size > max) {
        if (diag)
            fprintf(diag,
                    "vmsweep plot: cannot read '%s': it has %lld bytes, more than the %llu read at "
                    "most\n",
                    path, (long long)st.st_size, max);
        goto cleanup;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        if (diag)
            fprintf(diag, "vmsweep plot: out of memory while reading '%s'\n", path);
        goto cleanup;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* shorter than it was: keep what there is */
        got += (size_t)n;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    buf = NULL;
    ret = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(path);
    return ret;
}

void outfile_xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                fputc('?', f);
            else if (c == '\t' || c == '\n' || c == '\r')
                fprintf(f, "&#%d;", c);
            else
                fputc(c, f);
        }
    }
}
