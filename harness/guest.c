/*
 * guest — see guest.h.
 *
 * libssh 0.10 pitfalls handled here: SSH_OPTIONS_TIMEOUT bounds every blocking call;
 * ssh_channel_read_timeout() returns 0 both on timeout and at EOF, so reads go through
 * ssh_channel_poll_timeout() (which says SSH_EOF) and ssh_channel_read_nonblocking().
 * libssh's SFTP client waits for a reply in a loop that retries on timeout, so a guest
 * that never answers would hang the harness: SFTP (version 3, the subset the harness
 * needs) is spoken here on a subsystem channel, with every reply read against the
 * deadline of a struct guest_xfer and capped at GUEST_MAX_PACKET.  Files move in
 * requests of at most 32 KiB; the mode of a pushed file is set after the close because
 * the open's mode is subject to the server's umask.
 */
#include "guest.h"

#include "bigend.h"
#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GUEST_CHUNK        (32 * 1024)   /* bytes per SFTP read or write request */
#define GUEST_PUSH_AHEAD   8             /* write requests of a push in flight at once */
#define GUEST_ROUND        (1024 * 1024) /* bytes read per stream between deadline checks */
#define GUEST_TICK_MS      200
#define GUEST_SFTP_VERSION 3
#define GUEST_MAX_HANDLE   256             /* an SFTP handle has at most 256 bytes (draft 02, 3) */
#define GUEST_MAX_REQ      (PATH_MAX + 64) /* bytes of one SFTP request, data excluded */

struct guest {
    ssh_session s;
    ssh_channel sftp;   /* the SFTP subsystem channel, opened on first use */
    uint32_t sftp_id;   /* id of the last SFTP request */
    unsigned char *pkt; /* the last SFTP reply (GUEST_MAX_PACKET bytes) */
    const char *what;   /* guest path of the transfer in progress, for messages */
    uint64_t next_tick; /* when a transfer calls its tick next */
    uint64_t stdout_dropped;
    uint64_t banner_ms; /* when the server's banner first came (guest_now_ms) */
    unsigned port;
};

uint64_t guest_banner_ms(const struct guest *g)
{
    return g->banner_ms;
}

uint64_t guest_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *fingerprint(ssh_key key)
{
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *fp = NULL, *ret = NULL;

    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
        fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
        ret = fp ? strdup(fp) : NULL;
    }
    ssh_string_free_char(fp);
    ssh_clean_pubkey_hash(&hash);
    return ret ? ret : strdup("?");
}

/*
 * Has the guest's SSH server sent its banner on 127.0.0.1:port within wait_ms?  With
 * user-mode networking QEMU accepts the TCP connection at once whether or not the guest
 * listens, and a full SSH attempt would then block for its whole timeout; this cheap
 * probe lets boot-to-SSH be noticed within a fraction of a second.  Through a route the
 * probe is a channel of its own.
 */
static bool banner_ready(const struct guest_route *route, unsigned port, int wait_ms)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct pollfd pfd;
    char buf[4];
    int fd = -1;
    bool ok = false, up;

    if (route) {
        up = route->dial(route->arg, port, guest_now_ms() + (uint64_t)wait_ms, &fd) == 0;
    } else {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    }
    if (up) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        ok = poll(&pfd, 1, wait_ms) == 1 && recv(fd, buf, sizeof(buf), MSG_PEEK) == 4 &&
             memcmp(buf, "SSH-", 4) == 0;
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

/* One connection attempt. 1 = connected, 0 = not yet (retry), -1 = fatal. */
static int try_connect(ssh_session s, ssh_key pinned, const char *where)
{
    ssh_key srv = NULL;
    int ret = -1;

    if (ssh_connect(s) != SSH_OK) {
        const char *err = ssh_get_error(s);
        /*
         * The server answered but offers nothing we accept (libssh says "kex error : no
         * match for method ..."): no retry can change that.  With the host key
         * algorithms restricted to the pinned key's type, this is how a guest with a key
         * of another type shows.
         */
        if (strstr(err, "no match for method server host key algo")) {
            char *want = fingerprint(pinned);
            log_error("the guest at %s offers no SSH host key of the type of the "
                      "image's pinned key (%s %s): refusing to connect (%s); rebuild or "
                      "re-prepare the image if this is expected",
                      where, ssh_key_type_to_char(ssh_key_type(pinned)), want, err);
            free(want);
            return -1;
        }
        if (strstr(err, "no match for method")) {
            log_error("cannot agree on SSH algorithms with the guest at %s: %s", where, err);
            return -1;
        }
        log_debug("ssh to %s: %s (retrying)", where, err);
        return 0;
    }
    if (ssh_get_server_publickey(s, &srv) != SSH_OK) {
        log_error("the guest at %s sent no host key: %s", where, ssh_get_error(s));
        goto cleanup;
    }
    if (ssh_key_cmp(srv, pinned, SSH_KEY_CMP_PUBLIC) != 0) {
        char *got = fingerprint(srv), *want = fingerprint(pinned);
        log_error("the SSH host key of the guest at %s (%s) does not match the "
                  "image's pinned key (%s): refusing to connect; rebuild or re-prepare the "
                  "image if this is expected",
                  where, got, want);
        free(got);
        free(want);
        goto cleanup;
    }
    ret = 1;
cleanup:
    ssh_key_free(srv);
    return ret;
}

int guest_connect(unsigned port, const char *hostkey_pub, const char *privkey, uint64_t deadline_ms,
                  guest_tick_fn tick, void *arg, struct guest **out)
{
    return guest_connect_via(NULL, port, hostkey_pub, privkey, deadline_ms, tick, arg, out);
}

int guest_connect_via(const struct guest_route *route, unsigned port, const char *hostkey_pub,
                      const char *privkey, uint64_t deadline_ms, guest_tick_fn tick, void *arg,
                      struct guest **out)
{
    char where[320];
    ssh_key pinned = NULL, priv = NULL;
    ssh_session s = NULL;
    struct guest *g = NULL;
    int ret = -1;
    long timeout_s = 15; /* the banner is there: key exchange under TCG can be slow */
    uint64_t banner_at = 0;
    int no = 0, yes = 1;
    char *hostkey_type = NULL;

    if (ssh_pki_import_pubkey_file(hostkey_pub, &pinned) != SSH_OK) {
        log_error("cannot read the pinned host key '%s'", hostkey_pub);
        goto cleanup;
    }
    if (ssh_pki_import_privkey_file(privkey, NULL, NULL, NULL, &priv) != SSH_OK) {
        log_error("cannot read the SSH client key '%s'", privkey);
        goto cleanup;
    }
    hostkey_type = strdup(ssh_key_type_to_char(ssh_key_type(pinned)));
    if (route)
        snprintf(where, sizeof(where), "127.0.0.1:%u of '%s'", port, route->via);
    else
        snprintf(where, sizeof(where), "127.0.0.1:%u", port);
    for (;;) {
        if (tick && tick(arg) < 0)
            goto cleanup;
        if (guest_now_ms() > deadline_ms) {
            log_error("the guest did not answer SSH on %s in time", where);
            goto cleanup;
        }
        if (!banner_ready(route, port, 200)) {
            sleep_ms(100);
            continue;
        }
        if (banner_at == 0)
            banner_at = guest_now_ms();
        s = ssh_new();
        if (s == NULL) {
            log_error("out of memory");
            goto cleanup;
        }
        ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
        ssh_options_set(s, SSH_OPTIONS_PORT, &port);
        ssh_options_set(s, SSH_OPTIONS_USER, "root");
        if (route) {
            /* The session speaks over the route's socket; libssh owns it from here and
             * closes it with the session. */
            int fd;
            if (route->dial(route->arg, port, guest_now_ms() + 5000, &fd) < 0) {
                ssh_free(s);
                s = NULL;
                sleep_ms(250);
                continue;
            }
            ssh_options_set(s, SSH_OPTIONS_FD, &fd);
        }
        ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
        ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
        ssh_options_set(s, SSH_OPTIONS_NODELAY, &yes); /* SFTP is request and reply */
        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
        ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
        if (hostkey_type)
            ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, hostkey_type);
        int rc = try_connect(s, pinned, where);
        if (rc < 0)
            goto cleanup;
        if (rc > 0)
            break;
        ssh_disconnect(s);
        ssh_free(s);
        s = NULL;
        sleep_ms(250);
    }
    if (ssh_userauth_publickey(s, NULL, priv) != SSH_AUTH_SUCCESS) {
        log_error("the guest at %s refused our key '%s': %s (was the image built "
                  "with another client key? rebuild it with 'vmsweep image build --force')",
                  where, privkey, ssh_get_error(s));
        goto cleanup;
    }
    timeout_s = 30;
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        log_error("out of memory");
        goto cleanup;
    }
    g->s = s;
    g->banner_ms = banner_at;
    g->port = port;
    s = NULL;
    *out = g;
    ret = 0;
cleanup:
    if (s) {
        ssh_disconnect(s);
        ssh_free(s);
    }
    free(hostkey_type);
    ssh_key_free(pinned);
    ssh_key_free(priv);
    return ret;
}

/* Drop the SFTP channel: after a failure its replies can no longer be matched. */
static void fxp_drop(struct guest *g)
{
    if (g->sftp == NULL)
        return;
    ssh_channel_close(g->sftp);
    ssh_channel_free(g->sftp);
    g->sftp = NULL;
}

void guest_close(struct guest *g)
{
    if (g == NULL)
        return;
    fxp_drop(g);
    ssh_disconnect(g->s);
    ssh_free(g->s);
    free(g->pkt);
    free(g);
}

char *guest_quote_argv(char *const argv[])
{
    size_t len = 1;
    for (int i = 0; argv[i]; i++) {
        len += 3;
        for (const char *p = argv[i]; *p; p++)
            len += *p == '\'' ? 4 : 1;
    }
    char *out = malloc(len), *o = out;
    if (out == NULL) {
        log_error("out of memory");
        return NULL;
    }
    for (int i = 0; argv[i]; i++) {
        if (i)
            *o++ = ' ';
        *o++ = '\'';
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '\'') {
                memcpy(o, "'\\''", 4);
                o += 4;
            } else {
                *o++ = *p;
            }
        }
        *o++ = '\'';
    }
    *o = '\0';
    return out;
}

/* Deliver the line in l (if any) and start a new one. */
static void lines_emit(struct guest_lines *l, guest_line_fn on_line, void *arg)
{
    if (l->len && on_line) {
        l->buf[l->len] = '\0';
        on_line(l->buf, arg);
    }
    l->len = 0;
}

void guest_lines_feed(struct guest_lines *l, const char *p, size_t n, guest_line_fn on_line,
                      void *arg)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];

        if (c == '\n' || c == '\r') {
            if (!l->cut)
                lines_emit(l, on_line, arg);
            l->len = 0;
            l->cut = false;
        } else if (l->cut) {
            continue;
        } else if (l->len == GUEST_MAX_LINE) {
            memcpy(l->buf + l->len, GUEST_LINE_CUT, sizeof(GUEST_LINE_CUT) - 1);
            l->len += sizeof(GUEST_LINE_CUT) - 1;
            lines_emit(l, on_line, arg);
            l->cut = true;
        } else {
            l->buf[l->len++] = c ? c : '?';
        }
    }
}

void guest_lines_end(struct guest_lines *l, guest_line_fn on_line, void *arg)
{
    if (!l->cut)
        lines_emit(l, on_line, arg);
    l->len = 0;
    l->cut = false;
}

/* A command's stdout, kept up to GUEST_MAX_STDOUT bytes; the rest is counted. */
struct capture {
    char *data;
    size_t len, cap;
    uint64_t dropped;
};

static int capture_add(struct capture *c, const char *p, size_t n)
{
    size_t take = GUEST_MAX_STDOUT - c->len;

    if (take > n)
        take = n;
    if (take && c->len + take + 1 > c->cap) {
        size_t ncap = c->cap ? c->cap : 4096;
        char *nd;
        while (ncap < c->len + take + 1)
            ncap *= 2;
        if (ncap > (size_t)GUEST_MAX_STDOUT + 1)
            ncap = (size_t)GUEST_MAX_STDOUT + 1;
        nd = realloc(c->data, ncap);
        if (nd == NULL)
            return -1;
        c->data = nd;
        c->cap = ncap;
    }
    if (take) {
        memcpy(c->data + c->len, p, take);
        c->len += take;
        c->data[c->len] = '\0';
    }
    c->dropped += n - take;
    return 0;
}

static void debug_line(const char *line, void *arg)
{
    (void)arg;
    log_debug("guest: %s", line);
}

int guest_exec_stream(struct guest *g, const char *cmd, uint64_t deadline_ms, guest_line_fn on_line,
                      guest_tick_fn tick, void *arg, char **out, int *status, bool *aborted)
{
    ssh_channel ch = NULL;
    struct capture so = {0};
    struct guest_lines se;
    guest_line_fn line_fn = on_line ? on_line : debug_line;
    char buf[8192];
    uint64_t next_tick = 0;
    int ret = -1;
    bool eof_out = false, eof_err = false;

    memset(&se, 0, sizeof(se));
    *status = -1;
    if (aborted)
        *aborted = false;
    ch = ssh_channel_new(g->s);
    if (ch == NULL || ssh_channel_open_session(ch) != SSH_OK) {
        log_error("cannot open an SSH channel to the guest: %s", ssh_get_error(g->s));
        goto cleanup;
    }
    log_debug("guest$ %s", cmd);
    if (ssh_channel_request_exec(ch, cmd) != SSH_OK) {
        log_error("cannot run a command in the guest: %s", ssh_get_error(g->s));
        goto cleanup;
    }
    while (!(eof_out && eof_err)) {
        uint64_t now = guest_now_ms();

        if (now > deadline_ms) {
            log_error("command in the guest did not finish in time: %s", cmd);
            ssh_channel_request_send_signal(ch, "KILL");
            goto cleanup;
        }
        if (tick && now >= next_tick) {
            next_tick = now + GUEST_TICK_MS;
            if (tick(arg) < 0) {
                if (aborted)
                    *aborted = true;
                ssh_channel_request_send_signal(ch, "TERM");
                goto cleanup;
            }
        }
        /*
         * Wait for the socket when nothing is buffered for either stream (a read processes
         * every complete packet libssh holds; ssh_channel_poll_timeout watches one stream).
         */
        if (ssh_channel_poll(ch, 0) == 0 && ssh_channel_poll(ch, 1) == 0) {
            struct pollfd pfd = {.fd = ssh_get_fd(g->s), .events = POLLIN};
            poll(&pfd, 1, 100);
        }
        /* At most GUEST_ROUND bytes per stream, so a flood cannot starve the checks above;
         * everything read is consumed, so the guest is never left blocked on a full window. */
        for (int is_err = 0; is_err <= 1; is_err++) {
            for (size_t round = 0; round < GUEST_ROUND;) {
                int n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), is_err);
                if (n == SSH_ERROR) {
                    log_error("the SSH session to the guest failed: %s", ssh_get_error(g->s));
                    goto cleanup;
                }
                if (n <= 0)
                    break;
                round += (size_t)n;
                if (is_err) {
                    guest_lines_feed(&se, buf, (size_t)n, line_fn, arg);
                } else if (out && capture_add(&so, buf, (size_t)n) < 0) {
                    log_error("out of memory");
                    goto cleanup;
                }
            }
        }
        if (ssh_channel_is_eof(ch) || !ssh_channel_is_open(ch)) {
            eof_out = ssh_channel_poll_timeout(ch, 0, 0) <= 0;
            eof_err = ssh_channel_poll_timeout(ch, 0, 1) <= 0;
        }
    }
    guest_lines_end(&se, line_fn, arg);
    *status = ssh_channel_get_exit_status(ch);
    if (out) {
        if (so.data == NULL && (so.data = calloc(1, 1)) == NULL) {
            log_error("out of memory");
            goto cleanup;
        }
        *out = so.data;
        so.data = NULL;
    }
    ret = 0;
cleanup:
    if (so.dropped) {
        g->stdout_dropped += so.dropped;
        log_warn("a command in the guest wrote %llu bytes to stdout, more than the %u KiB kept: "
                 "the rest was dropped (%s)",
                 (unsigned long long)so.len + so.dropped, GUEST_MAX_STDOUT / 1024, cmd);
    }
    if (ch) {
        ssh_channel_send_eof(ch);
        ssh_channel_close(ch);
        ssh_channel_free(ch);
    }
    free(so.data);
    return ret;
}

int guest_exec(struct guest *g, const char *cmd, uint64_t timeout_ms, char **out, int *status)
{
    return guest_exec_stream(g, cmd, guest_now_ms() + timeout_ms, NULL, NULL, NULL, out, status,
                             NULL);
}

uint64_t guest_stdout_dropped(const struct guest *g)
{
    return g->stdout_dropped;
}

void guest_xfer_init(struct guest_xfer *x, guest_tick_fn tick, void *arg)
{
    memset(x, 0, sizeof(*x));
    x->budget = GUEST_MAX_PULL;
    x->file_max = GUEST_MAX_FILE;
    x->deadline_ms = guest_now_ms() + GUEST_XFER_MS;
    x->tick = tick;
    x->arg = arg;
}

/* Is the series still on?  Checks the deadline, calls the tick; reports the end once. */
static int xfer_check(struct guest *g, struct guest_xfer *x)
{
    uint64_t now = guest_now_ms();

    if (x->stopped)
        return -1;
    if (now >= x->deadline_ms) {
        log_error("the transfers from the guest did not finish in time: giving up at '%s'",
                  g->what);
        x->stopped = true;
        return -1;
    }
    if (x->tick && now >= g->next_tick) {
        g->next_tick = now + GUEST_TICK_MS;
        if (x->tick(x->arg) < 0) {
            log_warn("transfers from the guest interrupted at '%s'", g->what);
            x->stopped = true;
            return -1;
        }
    }
    return 0;
}

/* An SFTP request being built: length, type, id, then fields. */
struct wr {
    unsigned char buf[GUEST_MAX_REQ];
    size_t len;
    bool full;
};

static void wr_bytes(struct wr *w, const void *p, size_t n)
{
    if (w->full || n > sizeof(w->buf) - w->len) {
        w->full = true;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void wr_u32(struct wr *w, uint32_t v)
{
    unsigned char b[4];
    bigend_put32(b, v);
    wr_bytes(w, b, 4);
}

static void wr_u64(struct wr *w, uint64_t v)
{
    wr_u32(w, (uint32_t)(v >> 32));
    wr_u32(w, (uint32_t)v);
}

static void wr_str(struct wr *w, const void *p, size_t n)
{
    wr_u32(w, (uint32_t)n);
    wr_bytes(w, p, n);
}

/* Start a request of type: room for the length, the type, room for the id. */
static void wr_start(struct wr *w, uint8_t type)
{
    w->len = 9;
    w->full = false;
    w->buf[4] = type;
}

/* A reply being decoded: every read is checked against what is left. */
struct rd {
    const unsigned char *p;
    size_t left;
};

static int rd_u32(struct rd *r, uint32_t *v)
{
    if (r->left < 4)
        return -1;
    *v = bigend_get32(r->p);
    r->p += 4;
    r->left -= 4;
    return 0;
}

static int rd_u64(struct rd *r, uint64_t *v)
{
    uint32_t hi, lo;
    if (rd_u32(r, &hi) < 0 || rd_u32(r, &lo) < 0)
        return -1;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

static int rd_str(struct rd *r, const unsigned char **s, size_t *len)
{
    uint32_t n;
    if (rd_u32(r, &n) < 0 || n > r->left)
        return -1;
    *s = r->p;
    *len = n;
    r->p += n;
    r->left -= n;
    return 0;
}

/* The file attributes the harness uses. */
struct attrs {
    uint32_t flags; /* SSH_FILEXFER_ATTR_* present */
    uint64_t size;
    uint32_t perm; /* with the file type bits */
};

static int rd_attrs(struct rd *r, struct attrs *a)
{
    uint32_t u, count;
    const unsigned char *s;
    size_t n;

    memset(a, 0, sizeof(*a));
    if (rd_u32(r, &a->flags) < 0)
        return -1;
    if ((a->flags & SSH_FILEXFER_ATTR_SIZE) && rd_u64(r, &a->size) < 0)
        return -1;
    if ((a->flags & SSH_FILEXFER_ATTR_UIDGID) && (rd_u32(r, &u) < 0 || rd_u32(r, &u) < 0))
        return -1;
    if ((a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) && rd_u32(r, &a->perm) < 0)
        return -1;
    if ((a->flags & SSH_FILEXFER_ATTR_ACMODTIME) && (rd_u32(r, &u) < 0 || rd_u32(r, &u) < 0))
        return -1;
    if (a->flags & SSH_FILEXFER_ATTR_EXTENDED) {
        if (rd_u32(r, &count) < 0)
            return -1;
        /* Each pair takes at least 8 bytes: a lying count runs out of body quickly. */
        for (uint32_t i = 0; i < count; i++)
            if (rd_str(r, &s, &n) < 0 || rd_str(r, &s, &n) < 0)
                return -1;
    }
    return 0;
}

static bool attrs_regular(const struct attrs *a)
{
    return (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) && (a->perm & S_IFMT) == S_IFREG;
}

int guest_listing_add(struct guest_listing *l, const void *body, size_t len)
{
    struct rd r = {body, len};
    uint32_t count;

    if (rd_u32(&r, &count) < 0)
        return -EINVAL;
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *name, *longname;
        size_t nlen, llen;
        struct attrs a;

        if (l->seen >= GUEST_MAX_LIST)
            return 1;
        if (rd_str(&r, &name, &nlen) < 0 || rd_str(&r, &longname, &llen) < 0 ||
            rd_attrs(&r, &a) < 0)
            return -EINVAL;
        l->seen++;
        if (!attrs_regular(&a))
            continue;
        if (nlen == 0 || nlen > GUEST_MAX_NAME || memchr(name, '\0', nlen)) {
            l->skipped++;
            continue;
        }
        /* Capacity: 16, then the next power of two. */
        if (l->n == 0 || (l->n >= 16 && (l->n & (l->n - 1)) == 0)) {
            char **nv = realloc(l->names, (l->n ? l->n * 2 : 16) * sizeof(*nv));
            if (nv == NULL)
                return -ENOMEM;
            l->names = nv;
        }
        l->names[l->n] = strndup((const char *)name, nlen);
        if (l->names[l->n] == NULL)
            return -ENOMEM;
        l->n++;
    }
    return 0;
}

void guest_listing_free(struct guest_listing *l)
{
    if (l == NULL)
        return;
    guest_free_names(l->names, l->n);
    memset(l, 0, sizeof(*l));
}

static const char *fxp_status_text(uint32_t code)
{
    switch (code) {
    case SSH_FX_OK:
        return "success";
    case SSH_FX_EOF:
        return "end of file";
    case SSH_FX_NO_SUCH_FILE:
        return "no such file";
    case SSH_FX_PERMISSION_DENIED:
        return "permission denied";
    case SSH_FX_BAD_MESSAGE:
        return "bad message";
    case SSH_FX_OP_UNSUPPORTED:
        return "operation not supported";
    default:
        return "failure";
    }
}

/* Send n bytes on the SFTP channel, waiting for window within the series' limits. */
static int fxp_send(struct guest *g, struct guest_xfer *x, const void *data, size_t n)
{
    const unsigned char *p = data;

    while (n > 0) {
        uint32_t win = ssh_channel_window_size(g->sftp);
        int rc;

        if (!ssh_channel_is_open(g->sftp) || ssh_channel_is_eof(g->sftp)) {
            log_error("the guest closed the SFTP session during '%s'", g->what);
            return -1;
        }
        if (win == 0) {
            if (xfer_check(g, x) < 0)
                return -1;
            rc = ssh_channel_poll_timeout(g->sftp, 100, 0);
            if (rc == SSH_ERROR) {
                log_error("the SFTP session with the guest failed: %s", ssh_get_error(g->s));
                return -1;
            }
            if (rc > 0) {
                log_error("the guest's SFTP server sent data nobody asked for during '%s'",
                          g->what);
                return -1;
            }
            continue;
        }
        rc = ssh_channel_write(g->sftp, p, (uint32_t)(n < win ? n : win));
        if (rc <= 0) {
            log_error("the SFTP session with the guest failed: %s", ssh_get_error(g->s));
            return -1;
        }
        p += rc;
        n -= (size_t)rc;
    }
    return 0;
}

/* Read exactly n bytes from the SFTP channel within the series' limits. */
static int fxp_recv(struct guest *g, struct guest_xfer *x, void *data, size_t n)
{
    unsigned char *p = data, junk[4096];

    while (n > 0) {
        int rc = ssh_channel_read_nonblocking(g->sftp, p, (uint32_t)n, 0);

        if (rc > 0) {
            p += rc;
            n -= (size_t)rc;
            continue;
        }
        if (rc == SSH_ERROR) {
            log_error("the SFTP session with the guest failed: %s", ssh_get_error(g->s));
            return -1;
        }
        if (rc == SSH_EOF || ssh_channel_is_eof(g->sftp) || !ssh_channel_is_open(g->sftp)) {
            log_error("the guest closed the SFTP session during '%s'", g->what);
            return -1;
        }
        /* The server's stderr is not ours to read, but must not fill its window. */
        for (int i = 0; i < 16 && ssh_channel_read_nonblocking(g->sftp, junk, sizeof(junk), 1) > 0;
             i++)
            ;
        if (xfer_check(g, x) < 0)
            return -1;
        /* Wait on the socket itself: it wakes when the reply comes, where libssh's
         * ssh_channel_poll_timeout sat out its whole timeout (100 ms a request). */
        if (ssh_channel_poll(g->sftp, 0) == 0) {
            struct pollfd pfd = {.fd = ssh_get_fd(g->s), .events = POLLIN};
            poll(&pfd, 1, 100);
        }
    }
    return 0;
}

/* Read one reply packet into g->pkt; *len gets its length (type included). */
static int fxp_recv_packet(struct guest *g, struct guest_xfer *x, size_t *len)
{
    unsigned char hdr[4];
    uint32_t n;

    if (fxp_recv(g, x, hdr, 4) < 0)
        return -1;
    n = bigend_get32(hdr);
    if (n < 5 || n > GUEST_MAX_PACKET) {
        log_error("the guest's SFTP server sent a packet of %u bytes during '%s': refusing it", n,
                  g->what);
        return -1;
    }
    if (fxp_recv(g, x, g->pkt, n) < 0)
        return -1;
    *len = n;
    return 0;
}

static int fxp_unexpected(struct guest *g, uint8_t type, struct rd *body, uint32_t *code);

/*
 * Send the request in w (plus data, the tail of its last string) without waiting for its
 * reply; *id gets the request's id.  On failure the channel is dropped.
 */
static int fxp_post(struct guest *g, struct guest_xfer *x, struct wr *w, const void *data,
                    size_t dlen, uint32_t *id)
{
    if (w->full) {
        log_error("a path in the guest is too long: '%s'", g->what);
        return -1;
    }
    if (xfer_check(g, x) < 0)
        return -1;
    *id = ++g->sftp_id;
    bigend_put32(w->buf, (uint32_t)(w->len - 4 + dlen));
    bigend_put32(w->buf + 5, *id);
    if (fxp_send(g, x, w->buf, w->len) < 0 || (dlen && fxp_send(g, x, data, dlen) < 0)) {
        fxp_drop(g);
        return -1;
    }
    return 0;
}

/*
 * Read the reply to request id: *type and the body after the id in *body.  A reply to
 * another request, or none, drops the channel (reported).
 */
static int fxp_reply(struct guest *g, struct guest_xfer *x, uint32_t id, uint8_t *type,
                     struct rd *body)
{
    size_t len;

    if (fxp_recv_packet(g, x, &len) < 0) {
        fxp_drop(g);
        return -1;
    }
    if (bigend_get32(g->pkt + 1) != id) {
        log_error("the guest's SFTP server answered request %u with a reply to %u during '%s'", id,
                  bigend_get32(g->pkt + 1), g->what);
        fxp_drop(g);
        return -1;
    }
    *type = g->pkt[0];
    body->p = g->pkt + 5;
    body->left = len - 5;
    return 0;
}

/*
 * Read the reply to request id, which must be a status: 0 when it says OK, else -1 with
 * *code (a reply out of order or malformed drops the channel, reported).
 */
static int fxp_status_reply(struct guest *g, struct guest_xfer *x, uint32_t id, uint32_t *code)
{
    struct rd body;
    uint8_t type;

    *code = SSH_FX_FAILURE;
    if (fxp_reply(g, x, id, &type, &body) < 0)
        return -1;
    if (type != SSH_FXP_STATUS || rd_u32(&body, code) < 0) {
        fxp_unexpected(g, type, &body, code);
        *code = SSH_FX_FAILURE;
        return -1;
    }
    return *code == SSH_FX_OK ? 0 : -1;
}

/*
 * Send the request in w (plus data, the tail of its last string) and read its reply:
 * *type and the body after the id in *body.  On failure the channel is dropped.
 */
static int fxp_call(struct guest *g, struct guest_xfer *x, struct wr *w, const void *data,
                    size_t dlen, uint8_t *type, struct rd *body)
{
    uint32_t id;

    if (fxp_post(g, x, w, data, dlen, &id) < 0)
        return -1;
    return fxp_reply(g, x, id, type, body);
}

/*
 * A reply that is not of the type wanted: a status (its text in *why, 0 returned with
 * *code), or a protocol fault (-1, reported, channel dropped).
 */
static int fxp_unexpected(struct guest *g, uint8_t type, struct rd *body, uint32_t *code)
{
    if (type == SSH_FXP_STATUS && rd_u32(body, code) == 0)
        return 0;
    log_error("the guest's SFTP server sent a malformed reply (type %u) during '%s'",
              (unsigned)type, g->what);
    fxp_drop(g);
    return -1;
}

/* Open the SFTP channel and say hello, if not done yet. */
static int fxp_ready(struct guest *g, struct guest_xfer *x)
{
    static const unsigned char init[] = {0, 0, 0, 5, SSH_FXP_INIT, 0, 0, 0, GUEST_SFTP_VERSION};
    struct rd r;
    uint32_t version;
    size_t len;

    if (g->sftp)
        return 0;
    if (g->pkt == NULL && (g->pkt = malloc(GUEST_MAX_PACKET)) == NULL) {
        log_error("out of memory");
        return -1;
    }
    g->sftp = ssh_channel_new(g->s);
    if (g->sftp == NULL || ssh_channel_open_session(g->sftp) != SSH_OK ||
        ssh_channel_request_subsystem(g->sftp, "sftp") != SSH_OK) {
        log_error("cannot start SFTP in the guest: %s", ssh_get_error(g->s));
        goto drop;
    }
    if (fxp_send(g, x, init, sizeof(init)) < 0 || fxp_recv_packet(g, x, &len) < 0)
        goto drop;
    r.p = g->pkt + 1;
    r.left = len - 1;
    if (g->pkt[0] != SSH_FXP_VERSION || rd_u32(&r, &version) < 0 || version != GUEST_SFTP_VERSION) {
        log_error("the guest's SFTP server does not speak SFTP version 3");
        goto drop;
    }
    return 0;
drop:
    if (g->sftp)
        ssh_channel_free(g->sftp);
    g->sftp = NULL;
    return -1;
}

struct handle {
    unsigned char h[GUEST_MAX_HANDLE];
    size_t len;
};

/* OPEN (with pflags, perm) or OPENDIR path; 0 and *h, or -1 (reported). */
static int fxp_open(struct guest *g, struct guest_xfer *x, uint8_t op, const char *path,
                    uint32_t pflags, uint32_t perm, struct handle *h)
{
    struct wr w;
    struct rd body;
    uint8_t type;
    uint32_t code;
    const unsigned char *s;
    size_t n;

    wr_start(&w, op);
    wr_str(&w, path, strlen(path));
    if (op == SSH_FXP_OPEN) {
        wr_u32(&w, pflags);
        wr_u32(&w, perm ? SSH_FILEXFER_ATTR_PERMISSIONS : 0);
        if (perm)
            wr_u32(&w, perm);
    }
    if (fxp_call(g, x, &w, NULL, 0, &type, &body) < 0)
        return -1;
    if (type == SSH_FXP_HANDLE && rd_str(&body, &s, &n) == 0 && n <= GUEST_MAX_HANDLE) {
        memcpy(h->h, s, n);
        h->len = n;
        return 0;
    }
    if (fxp_unexpected(g, type, &body, &code) == 0)
        log_error("cannot open '%s' in the guest: %s", path, fxp_status_text(code));
    return -1;
}

/* A request on a handle whose reply is a status; 0 for SSH_FX_OK, else -1 and *code. */
static int fxp_status_call(struct guest *g, struct guest_xfer *x, struct wr *w, const void *data,
                           size_t dlen, uint32_t *code)
{
    uint32_t id;

    *code = SSH_FX_FAILURE;
    if (fxp_post(g, x, w, data, dlen, &id) < 0)
        return -1;
    return fxp_status_reply(g, x, id, code);
}

/* Close a handle.  Quiet: the caller knows what failing to close means for it. */
static int fxp_close_handle(struct guest *g, struct guest_xfer *x, const struct handle *h)
{
    struct wr w;
    uint32_t code;

    if (g->sftp == NULL)
        return -1;
    wr_start(&w, SSH_FXP_CLOSE);
    wr_str(&w, h->h, h->len);
    return fxp_status_call(g, x, &w, NULL, 0, &code);
}

int guest_push(struct guest *g, const char *local, const char *remote, mode_t mode)
{
    struct guest_xfer x;
    struct handle h;
    struct wr w;
    char buf[GUEST_CHUNK];
    uint64_t off = 0;
    uint32_t code, ids[GUEST_PUSH_AHEAD];
    size_t first = 0, inflight = 0;
    int fd = -1, ret = -1;
    bool open_h = false;

    guest_xfer_init(&x, NULL, NULL);
    g->what = remote;
    fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_error("cannot open '%s': %s", local, strerror(errno));
        return -1;
    }
    if (fxp_ready(g, &x) < 0 ||
        fxp_open(g, &x, SSH_FXP_OPEN, remote, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC,
                 mode & 07777, &h) < 0)
        goto cleanup;
    open_h = true;
    /* Up to GUEST_PUSH_AHEAD writes in flight: one round trip per chunk costs tens of
     * milliseconds in an emulated guest.  The server answers in order. */
    for (bool eof = false; !eof || inflight > 0;) {
        ssize_t n = 0;
        /* Post another write only when the channel's window takes it whole; else read a
         * reply, which also lets libssh take the server's window adjustments. */
        bool room = inflight == 0 || ssh_channel_window_size(g->sftp) >= GUEST_CHUNK + 512;
        if (!eof && inflight < GUEST_PUSH_AHEAD && room) {
            n = read(fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                log_error("cannot read '%s': %s", local, strerror(errno));
                goto cleanup;
            }
            eof = n == 0;
        }
        if (n > 0) {
            wr_start(&w, SSH_FXP_WRITE);
            wr_str(&w, h.h, h.len);
            wr_u64(&w, off);
            wr_u32(&w, (uint32_t)n);
            if (fxp_post(g, &x, &w, buf, (size_t)n, &ids[(first + inflight) % GUEST_PUSH_AHEAD]) <
                0)
                goto cleanup;
            inflight++;
            off += (uint64_t)n;
            continue;
        }
        if (inflight == 0)
            continue;
        if (fxp_status_reply(g, &x, ids[first], &code) < 0) {
            if (g->sftp)
                log_error("cannot write '%s' in the guest: %s", remote, fxp_status_text(code));
            goto cleanup;
        }
        first = (first + 1) % GUEST_PUSH_AHEAD;
        inflight--;
    }
    open_h = false;
    if (fxp_close_handle(g, &x, &h) < 0) {
        log_error("cannot write '%s' in the guest", remote);
        goto cleanup;
    }
    wr_start(&w, SSH_FXP_SETSTAT);
    wr_str(&w, remote, strlen(remote));
    wr_u32(&w, SSH_FILEXFER_ATTR_PERMISSIONS);
    wr_u32(&w, mode & 07777);
    if (fxp_status_call(g, &x, &w, NULL, 0, &code) < 0) {
        log_error("cannot chmod '%s' in the guest: %s", remote, fxp_status_text(code));
        goto cleanup;
    }
    ret = 0;
cleanup:
    if (open_h)
        fxp_close_handle(g, &x, &h);
    close(fd);
    return ret;
}

int guest_touch(struct guest *g, const char *remote)
{
    struct guest_xfer x;
    struct wr w;
    uint32_t code, now = (uint32_t)time(NULL);

    guest_xfer_init(&x, NULL, NULL);
    /* Called from a tick while the sweep runs: never hold it up for long. */
    x.deadline_ms = guest_now_ms() + GUEST_TOUCH_MS;
    g->what = remote;
    if (fxp_ready(g, &x) < 0)
        return -1;
    wr_start(&w, SSH_FXP_SETSTAT);
    wr_str(&w, remote, strlen(remote));
    wr_u32(&w, SSH_FILEXFER_ATTR_ACMODTIME);
    wr_u32(&w, now); /* atime */
    wr_u32(&w, now); /* mtime */
    if (fxp_status_call(g, &x, &w, NULL, 0, &code) < 0) {
        log_debug("cannot touch '%s' in the guest: %s", remote, fxp_status_text(code));
        return -1;
    }
    return 0;
}

/*
 * Read the open file h into fd: 0 at the end, -1 when a limit or the session stopped it
 * (reported).  size_said is what the guest claimed, for the message.
 */
static int pull_data(struct guest *g, struct guest_xfer *x, const struct handle *h, int fd,
                     const char *remote, uint64_t size_said)
{
    uint64_t off = 0;

    for (;;) {
        struct wr w;
        struct rd body;
        const unsigned char *s;
        size_t n;
        uint8_t type;
        uint32_t code;

        wr_start(&w, SSH_FXP_READ);
        wr_str(&w, h->h, h->len);
        wr_u64(&w, off);
        wr_u32(&w, GUEST_CHUNK);
        if (fxp_call(g, x, &w, NULL, 0, &type, &body) < 0)
            return -1;
        if (type != SSH_FXP_DATA || rd_str(&body, &s, &n) < 0 || n == 0 || n > GUEST_CHUNK) {
            if (fxp_unexpected(g, type, &body, &code) < 0)
                return -1;
            if (code == SSH_FX_EOF)
                return 0;
            log_error("cannot read '%s' in the guest: %s", remote, fxp_status_text(code));
            return -1;
        }
        /* The claimed size may lie: the caps hold whatever the guest sends. */
        if (n > x->budget) {
            x->budget = 0;
            x->stopped = true;
            log_error("the files pulled from the guest reached the budget of %llu MiB for a "
                      "VM: '%s' discarded, no more files pulled",
                      (unsigned long long)(GUEST_MAX_PULL >> 20), remote);
            return -1;
        }
        x->budget -= n;
        if (off + n > x->file_max) {
            log_warn("'%s' in the guest has more than the %llu bytes a pulled file may have "
                     "(it claimed %llu): discarded",
                     remote, (unsigned long long)x->file_max, (unsigned long long)size_said);
            return -1;
        }
        if (fsutil_write_all(fd, s, n) < 0) {
            log_error("cannot write the file pulled from '%s': %s", remote, strerror(errno));
            return -1;
        }
        off += n;
    }
}

int guest_pull_xfer(struct guest *g, const char *remote, const char *local, struct guest_xfer *x)
{
    struct handle h;
    struct attrs a;
    struct wr w;
    struct rd body;
    uint8_t type;
    uint32_t code;
    struct fsutil_atomic out = {.fd = -1, .dirfd = -1};
    int ret = -1;
    bool open_h = false;

    if (x->stopped)
        return -1;
    g->what = remote;
    if (fxp_ready(g, x) < 0 || fxp_open(g, x, SSH_FXP_OPEN, remote, SSH_FXF_READ, 0, &h) < 0)
        return -1;
    open_h = true;
    wr_start(&w, SSH_FXP_FSTAT);
    wr_str(&w, h.h, h.len);
    if (fxp_call(g, x, &w, NULL, 0, &type, &body) < 0)
        goto cleanup;
    if (type != SSH_FXP_ATTRS || rd_attrs(&body, &a) < 0) {
        if (fxp_unexpected(g, type, &body, &code) == 0)
            log_error("cannot stat '%s' in the guest: %s", remote, fxp_status_text(code));
        goto cleanup;
    }
    if (!attrs_regular(&a)) {
        log_warn("'%s' in the guest is not a regular file: not pulling it", remote);
        goto cleanup;
    }
    if ((a.flags & SSH_FILEXFER_ATTR_SIZE) && a.size > x->file_max) {
        log_warn("'%s' in the guest has %llu bytes, more than the %llu a pulled file may have: "
                 "not pulling it",
                 remote, (unsigned long long)a.size, (unsigned long long)x->file_max);
        goto cleanup;
    }
    if ((a.flags & SSH_FILEXFER_ATTR_SIZE) && a.size > x->budget) {
        log_warn("'%s' in the guest has %llu bytes, more than the %llu left of the budget for "
                 "pulled files: not pulling it",
                 remote, (unsigned long long)a.size, (unsigned long long)x->budget);
        goto cleanup;
    }
    /* Streamed into a temporary file next to local and renamed: local is the whole file
     * or untouched, and nothing planted at either name is followed. */
    if (fsutil_atomic_begin(&out, local, 0644) < 0 ||
        pull_data(g, x, &h, out.fd, remote, a.size) < 0 || fsutil_atomic_commit(&out) < 0)
        goto cleanup;
    ret = 0;
cleanup:
    fsutil_atomic_end(&out);
    /* A failed close of a file read to the end changes nothing for the copy. */
    if (open_h && fxp_close_handle(g, x, &h) < 0)
        log_debug("could not close '%s' in the guest", remote);
    return ret;
}

int guest_pull(struct guest *g, const char *remote, const char *local)
{
    struct guest_xfer x;

    guest_xfer_init(&x, NULL, NULL);
    return guest_pull_xfer(g, remote, local, &x);
}

int guest_list_xfer(struct guest *g, const char *dir, struct guest_xfer *x, char ***names,
                    size_t *n)
{
    struct guest_listing l = {0};
    struct handle h;
    int ret = -1;
    bool open_h = false;

    if (x->stopped)
        return -1;
    g->what = dir;
    if (fxp_ready(g, x) < 0 || fxp_open(g, x, SSH_FXP_OPENDIR, dir, 0, 0, &h) < 0)
        return -1;
    open_h = true;
    for (;;) {
        struct wr w;
        struct rd body;
        uint8_t type;
        uint32_t code;
        int rc;

        wr_start(&w, SSH_FXP_READDIR);
        wr_str(&w, h.h, h.len);
        if (fxp_call(g, x, &w, NULL, 0, &type, &body) < 0)
            goto cleanup;
        if (type != SSH_FXP_NAME) {
            if (fxp_unexpected(g, type, &body, &code) < 0)
                goto cleanup;
            if (code == SSH_FX_EOF)
                break;
            log_error("cannot list '%s' in the guest: %s", dir, fxp_status_text(code));
            goto cleanup;
        }
        rc = guest_listing_add(&l, body.p, body.left);
        if (rc == -ENOMEM) {
            log_error("out of memory");
            goto cleanup;
        }
        if (rc < 0) {
            log_error("the guest's SFTP server sent a malformed listing of '%s'", dir);
            fxp_drop(g);
            goto cleanup;
        }
        if (rc > 0) {
            log_warn("the guest lists more than %u files in '%s': keeping the first %u",
                     GUEST_MAX_LIST, dir, GUEST_MAX_LIST);
            break;
        }
    }
    if (l.skipped)
        log_warn("skipping %zu file(s) in '%s' in the guest whose names are empty, longer than %u "
                 "bytes or contain a NUL byte",
                 l.skipped, dir, GUEST_MAX_NAME);
    *names = l.names;
    *n = l.n;
    memset(&l, 0, sizeof(l));
    ret = 0;
cleanup:
    if (open_h && fxp_close_handle(g, x, &h) < 0)
        log_debug("could not close the listing of '%s' in the guest", dir);
    guest_listing_free(&l);
    return ret;
}

int guest_list(struct guest *g, const char *dir, char ***names, size_t *n)
{
    struct guest_xfer x;

    guest_xfer_init(&x, NULL, NULL);
    return guest_list_xfer(g, dir, &x, names, n);
}

void guest_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
