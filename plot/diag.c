/* diag — see diag.h.  A glibc cookie stream: stdio calls diag_write with what it buffered. */
#include "diag.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct diag {
    const char *prefix;
    bool at_line_start;
};

static ssize_t diag_write(void *cookie, const char *buf, size_t len)
{
    struct diag *d = cookie;

    for (size_t i = 0; i < len;) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) + 1 : len - i;
        if (d->at_line_start)
            fputs(d->prefix, stderr);
        fwrite(buf + i, 1, n, stderr);
        d->at_line_start = nl != NULL;
        i += n;
    }
    fflush(stderr);
    return (ssize_t)len;
}

static int diag_release(void *cookie)
{
    free(cookie);
    return 0;
}

FILE *diag_open(const char *prefix)
{
    struct diag *d = calloc(1, sizeof(*d));
    cookie_io_functions_t io = {.write = diag_write, .close = diag_release};
    FILE *f;

    if (d == NULL)
        return stderr;
    d->prefix = prefix;
    d->at_line_start = true;
    f = fopencookie(d, "w", io);
    if (f == NULL) {
        free(d);
        return stderr;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    return f;
}

void diag_close(FILE *f)
{
    if (f && f != stderr)
        fclose(f);
}
