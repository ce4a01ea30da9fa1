/*
 * console — see console.h.
 *
 * Threads: a reader thread per console copies from the socket; the owner queries from
 * the main thread.  Everything shared is under c->lock.  Closing sets a flag, waits for
 * the thread (it polls every CONSOLE_POLL_MS) and frees.
 */
#include "console.h"

#include "guest.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONSOLE_POLL_MS 100

struct console {
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    pthread_t thread;
    int sock;
    int fd;
    char *path;
    bool quit; /* the owner wants the thread to stop */
    bool done; /* end of stream: nothing more will come */
    uint64_t kept, dropped;
    uint64_t marks[CONSOLE_NMARKS];
    char tail[CONSOLE_TAIL_BYTES]; /* ring of the latest bytes */
    size_t tail_pos;
    bool tail_full;
    char line[CONSOLE_LINE_BYTES];
    size_t line_len;
};

_Static_assert(CONSOLE_MAX_BYTES == 16u << 20, "the note in console_take says 16 MiB");

/* Each milestone: what it looks like on the console (first match wins), and its name in
 * the manifest's boot breakdown. */
static const struct {
    enum console_mark mark;
    const char *text;
    const char *key;
} console_marks[] = {
    {CONSOLE_KERNEL, "Linux version ", "kernel_s"},
    {CONSOLE_INIT, "vmsweep: init", "init_s"},
    {CONSOLE_NET, "vmsweep: step network", "network_s"},
    {CONSOLE_UP, "vmsweep: guest up", "guest_up_s"},
};
_Static_assert(sizeof(console_marks) / sizeof(console_marks[0]) == CONSOLE_NMARKS,
               "one row per milestone, in enum order");

const char *console_mark_key(enum console_mark mark)
{
    return console_marks[mark].key;
}

int console_line_mark(const char *line, size_t len)
{
    for (size_t i = 0; i < sizeof(console_marks) / sizeof(console_marks[0]); i++) {
        size_t n = strlen(console_marks[i].text);
        for (size_t at = 0; n <= len && at <= len - n; at++)
            if (memcmp(line + at, console_marks[i].text, n) == 0)
                return (int)console_marks[i].mark;
    }
    return -1;
}

size_t console_strip_escapes(char *s, size_t len)
{
    size_t out = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\r')
            continue;
        if (ch != 0x1b) {
            s[out++] = s[i];
            continue;
        }
        if (i + 1 >= len)
            break;
        if (s[i + 1] == '[') { /* CSI: parameters, then a final byte 0x40..0x7e */
            i += 2;
            while (i < len && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e))
                i++;
        } else if (s[i + 1] == ']') { /* OSC: up to BEL or ESC \ */
            i += 2;
            while (i < len && s[i] != '\a' && !(s[i] == 0x1b && i + 1 < len && s[i + 1] == '\\'))
                i++;
            if (i < len && s[i] == 0x1b)
                i++;
        } else {
            i++; /* ESC c and other two-byte sequences */
        }
    }
    return out;
}

/* Copy bytes into the file (up to the cap), the tail ring and the milestone scanner. */
static void console_take(struct console *c, const char *buf, size_t n)
{
    uint64_t now = guest_now_ms();

    if (c->fd >= 0 && c->kept < CONSOLE_MAX_BYTES) {
        size_t room = CONSOLE_MAX_BYTES - c->kept, w = n < room ? n : room;
        const char *p = buf;
        size_t left = w;
        while (left > 0) {
            ssize_t k = write(c->fd, p, left);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break; /* a full disk: the tail and milestones still work */
            p += k;
            left -= (size_t)k;
        }
        c->kept += w;
        c->dropped += n - w;
        if (c->kept >= CONSOLE_MAX_BYTES && n > w) {
            static const char note[] = "\n[vmsweep: console output beyond this point dropped "
                                       "(the cap is 16 MiB)]\n";
            if (write(c->fd, note, sizeof(note) - 1) < 0)
                log_debug("cannot note the console cap in '%s'", c->path);
        }
    } else {
        c->dropped += n;
    }
    for (size_t i = 0; i < n; i++) {
        c->tail[c->tail_pos++] = buf[i];
        if (c->tail_pos == sizeof(c->tail)) {
            c->tail_pos = 0;
            c->tail_full = true;
        }
        if (buf[i] == '\n' || c->line_len == sizeof(c->line)) {
            int m = console_line_mark(c->line, c->line_len);
            if (m >= 0 && c->marks[m] == 0)
                c->marks[m] = now;
            c->line_len = 0;
        }
        if (buf[i] != '\n')
            c->line[c->line_len++] = buf[i];
    }
}

/* The reader thread: copy until end of stream or until told to stop. */
static void *console_reader(void *arg)
{
    struct console *c = arg;
    char buf[8192];
    bool quit = false;

    while (!quit) {
        struct pollfd p = {.fd = c->sock, .events = POLLIN};
        int r = poll(&p, 1, CONSOLE_POLL_MS);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0) {
            ssize_t n = read(c->sock, buf, sizeof(buf));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break; /* QEMU closed the socket: the VM is gone */
            pthread_mutex_lock(&c->lock);
            console_take(c, buf, (size_t)n);
            pthread_mutex_unlock(&c->lock);
        }
        pthread_mutex_lock(&c->lock);
        quit = c->quit;
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_lock(&c->lock);
    c->done = true;
    pthread_cond_broadcast(&c->done_cv);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Copy from the connected stream socket fd (taken) into the file at path. */
static int console_start(int fd, const char *path, struct console **out)
{
    struct console *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->path = strdup(path)) == NULL) {
        log_error("out of memory");
        free(c);
        close(fd);
        return -1;
    }
    c->sock = fd;
    /* Appended to when it exists (a VM restored after its first boot was saved); a link
     * there is never followed. */
    c->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (c->fd < 0) {
        log_error("cannot create the console log '%s': %s", path, strerror(errno));
        goto fail;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->done_cv, NULL);
    if (pthread_create(&c->thread, NULL, console_reader, c) != 0) {
        log_error("cannot start the console reader thread");
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->done_cv);
        unlink(path);
        goto fail;
    }
    *out = c;
    return 0;
fail:
    close(c->sock);
    if (c->fd >= 0)
        close(c->fd);
    free(c->path);
    free(c);
    return -1;
}

int console_open(const char *sock, const char *path, struct console **out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(sock) >= sizeof(sa.sun_path)) {
        log_error("console socket path '%s' is too long", sock);
        return -1;
    }
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        log_error("cannot connect to the VM's serial console '%s': %s", sock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return console_start(fd, path, out);
}

int console_open_fd(int fd, const char *path, struct console **out)
{
    return console_start(fd, path, out);
}

uint64_t console_mark_ms(struct console *c, enum console_mark mark)
{
    pthread_mutex_lock(&c->lock);
    uint64_t t = c->marks[mark];
    pthread_mutex_unlock(&c->lock);
    return t;
}

uint64_t console_bytes(struct console *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t n = c->kept + c->dropped;
    pthread_mutex_unlock(&c->lock);
    return n;
}

char *console_tail(struct console *c, unsigned max_lines)
{
    char raw[CONSOLE_TAIL_BYTES];
    size_t n;

    pthread_mutex_lock(&c->lock);
    if (c->tail_full) {
        n = sizeof(c->tail) - c->tail_pos;
        memcpy(raw, c->tail + c->tail_pos, n);
        memcpy(raw + n, c->tail, c->tail_pos);
        n = sizeof(c->tail);
    } else {
        n = c->tail_pos;
        memcpy(raw, c->tail, n);
    }
    pthread_mutex_unlock(&c->lock);

    n = console_strip_escapes(raw, n);
    while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == ' '))
        n--;
    /* Start of the last max_lines lines (the first one of a full ring may be partial). */
    size_t start = n;
    unsigned lines = 0;
    while (start > 0 && lines < max_lines) {
        start--;
        if (raw[start] == '\n' && ++lines == max_lines) {
            start++;
            break;
        }
    }
    char *out = malloc((n - start) * 2 + 8 + (size_t)max_lines * 4 + 8);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    bool bol = true;
    for (size_t i = start; i < n; i++) {
        if (raw[i] == '\n' && bol)
            continue; /* blank lines say nothing */
        if (bol) {
            memcpy(out + o, "  | ", 4);
            o += 4;
            bol = false;
        }
        out[o++] = raw[i];
        if (raw[i] == '\n')
            bol = true;
    }
    out[o] = '\0';
    return out;
}

void console_close(struct console *c, unsigned wait_ms)
{
    struct timespec until;

    if (c == NULL)
        return;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    while (!c->done && pthread_cond_timedwait(&c->done_cv, &c->lock, &until) == 0)
        ;
    c->quit = true;
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    if (c->dropped > 0)
        log_warn("the guest wrote %llu bytes to its console beyond the %u MiB kept in '%s'",
                 (unsigned long long)c->dropped, CONSOLE_MAX_BYTES >> 20, c->path);
    fsync(c->fd);
    close(c->fd);
    close(c->sock);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->done_cv);
    free(c->path);
    free(c);
}
