/*
 * jump — see jump.h.
 *
 * The session runs in libssh's non-blocking mode once authenticated: a channel being
 * opened answers SSH_AGAIN until the host confirms, a write takes what the channel's
 * window allows (never more is offered: libssh would otherwise wait for the window), and
 * reads take what has arrived.  So the thread never waits on one channel while another has
 * bytes to move, and a dialer waits for its channel on a condition variable with its own
 * deadline.  Local ends are non-blocking too; a guest that stops reading stalls only its
 * own channel (its buffer stays full, so its channel is not read, and the host's sshd
 * stops at the window).
 */
#include "jump.h"

#include "condwait.h"
#include "guest.h"
#include "log.h"
#include "units.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define JUMP_IDLE_MS 100 /* poll when nothing is in flight (wakes for new dials) */
#define JUMP_BUSY_MS 10  /* poll when a channel is being opened or bytes wait for a window */
#define JUMP_DIAL_MS 5000

enum jump_state {
    JUMP_OPENING, /* asked for, not confirmed yet */
    JUMP_OPEN,
    JUMP_FAILED, /* could not be opened: the dialer is told, then it is freed */
};

struct jump_link {
    enum jump_state state;
    ssh_channel ch;
    int fd; /* our end of the socketpair (non-blocking) */
    unsigned port;
    uint64_t deadline;          /* for JUMP_OPENING */
    bool abandoned;             /* the dialer gave up waiting: close it */
    bool ch_eof;                /* the host sent EOF: shut our end's writing once flushed */
    bool shut;                  /* done */
    char to_fd[JUMP_BUF_BYTES]; /* from the channel, not yet written to fd */
    size_t to_fd_len, to_fd_off;
    char to_ch[JUMP_BUF_BYTES]; /* from fd, not yet written to the channel */
    size_t to_ch_len, to_ch_off;
    char why[160]; /* why it failed (JUMP_FAILED) */
};

struct jump {
    ssh_session s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int wake[2];
    bool quit;
    bool dead;          /* the session is gone: every dial fails */
    bool dead_reported; /* ... said once */
    struct jump_link *links[JUMP_MAX_LINKS];
    char name[sizeof(((struct jump_target *)0)->user) + sizeof(((struct jump_target *)0)->host) +
              16];
};

bool jump_uri_remote(const char *uri)
{
    const char *sep = uri ? strstr(uri, "://") : NULL;
    return sep && sep[3] != '/' && sep[3] != '\0';
}

/* Percent-decode the n bytes at s into out (size len); -1 on a bad escape, a NUL or no room. */
static int decode(const char *s, size_t n, char *out, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = units_hexdigit(s[i + 1]), lo = units_hexdigit(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= len)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

int jump_parse_uri(const char *uri, const char *default_user, struct jump_target *t)
{
    struct jump_target r;
    const char *sep = strstr(uri, "://"), *auth, *end, *at, *hp, *hend, *colon = NULL;
    size_t slen;

    memset(&r, 0, sizeof(r));
    r.port = 22;
    if (sep == NULL) {
        log_error("'%s' is not a libvirt URI (scheme://host/path)", uri);
        return -1;
    }
    slen = (size_t)(sep - uri);
    const char *plus = memchr(uri, '+', slen);
    if (plus == NULL || (size_t)(sep - plus - 1) != 3 || strncmp(plus + 1, "ssh", 3) != 0) {
        log_error("'%s' names a remote host through %s%.*s: not supported; the ssh one is "
                  "(e.g. 'qemu+ssh://root@host/system?keyfile=KEY'), whose SSH server also "
                  "carries the guests' SSH",
                  uri, plus ? "the transport " : "libvirt's default transport (tls)",
                  plus ? (int)(sep - plus - 1) : 0, plus ? plus + 1 : "");
        return -1;
    }
    auth = sep + 3;
    end = auth + strcspn(auth, "/?#");
    if (strncmp(end, "/session", 8) == 0 && strchr("?#", end[8])) {
        /* Its pool would be in that user's home there, which we cannot name from here. */
        log_error("'%s' names a remote session daemon: not supported; a remote host's "
                  "system daemon is ('.../system')",
                  uri);
        return -1;
    }
    at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    if (at && decode(auth, (size_t)(at - auth), r.user, sizeof(r.user)) < 0) {
        log_error("'%s': the user name is not valid", uri);
        return -1;
    }
    if (at == NULL || r.user[0] == '\0')
        snprintf(r.user, sizeof(r.user), "%s", default_user ? default_user : "root");
    hp = at ? at + 1 : auth;
    if (hp < end && *hp == '[') {
        hend = memchr(hp, ']', (size_t)(end - hp));
        if (hend == NULL) {
            log_error("'%s': an IPv6 address needs its closing ']'", uri);
            return -1;
        }
        if (hend + 1 < end) {
            if (hend[1] != ':') {
                log_error("'%s': unexpected text after the address", uri);
                return -1;
            }
            colon = hend + 1;
        }
        hp++;
    } else {
        hend = hp;
        while (hend < end && *hend != ':')
            hend++;
        if (hend < end)
            colon = hend;
    }
    if (hend == hp || decode(hp, (size_t)(hend - hp), r.host, sizeof(r.host)) < 0 ||
        r.host[0] == '-') {
        log_error("'%s' names no valid host", uri);
        return -1;
    }
    if (colon) {
        char *pe = NULL;
        long port = colon + 1 < end ? strtol(colon + 1, &pe, 10) : 0;
        if (pe != end || port < 1 || port > 65535) {
            log_error("'%s': the port is not a number in 1..65535", uri);
            return -1;
        }
        r.port = (unsigned)port;
    }
    const char *q = strchr(end, '?');
    if (q) {
        q++;
        const char *qend = q + strcspn(q, "#");
        while (q < qend) {
            const char *amp = q + strcspn(q, "&;"), *eq;
            if (amp > qend)
                amp = qend;
            eq = memchr(q, '=', (size_t)(amp - q));
            const char *v = eq ? eq + 1 : amp;
            size_t klen = (size_t)((eq ? eq : amp) - q), vlen = (size_t)(amp - v);
            char val[PATH_MAX];
            if (decode(v, vlen, val, sizeof(val)) < 0) {
                log_error("'%s': the value of '%.*s' is not valid", uri, (int)klen, q);
                return -1;
            }
            if (klen == 7 && !strncmp(q, "keyfile", 7)) {
                snprintf(r.keyfile, sizeof(r.keyfile), "%s", val);
            } else if (klen == 11 && !strncmp(q, "known_hosts", 11)) {
                snprintf(r.known_hosts, sizeof(r.known_hosts), "%s", val);
            } else if (klen == 9 && !strncmp(q, "no_verify", 9)) {
                if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0) {
                    log_error("'%s': no_verify is 0 or 1, not '%s'", uri, val);
                    return -1;
                }
                r.no_verify = val[0] == '1';
            }
            q = amp < qend ? amp + 1 : qend;
        }
    }
    *t = r;
    return 0;
}

const char *jump_name(const struct jump *j)
{
    return j->name;
}

static void jump_wake(struct jump *j)
{
    char c = 1;
    ssize_t n = write(j->wake[1], &c, 1);
    (void)n; /* a full pipe already wakes the thread */
}

static void link_free(struct jump_link *l)
{
    if (l == NULL)
        return;
    if (l->ch) {
        if (ssh_channel_is_open(l->ch))
            ssh_channel_close(l->ch);
        ssh_channel_free(l->ch);
    }
    if (l->fd >= 0)
        close(l->fd);
    free(l);
}

/* Open the channel of l (JUMP_OPENING): it stays opening, opens, or fails. */
static void link_open(struct jump *j, struct jump_link *l)
{
    int rc;

    if (l->ch == NULL && (l->ch = ssh_channel_new(j->s)) == NULL) {
        snprintf(l->why, sizeof(l->why), "cannot create a channel: %s", ssh_get_error(j->s));
        l->state = JUMP_FAILED;
        return;
    }
    rc = ssh_channel_open_forward(l->ch, "127.0.0.1", (int)l->port, "127.0.0.1", 0);
    if (rc == SSH_OK) {
        l->state = JUMP_OPEN;
    } else if (rc == SSH_ERROR) {
        snprintf(l->why, sizeof(l->why), "%s", ssh_get_error(j->s));
        l->state = JUMP_FAILED;
    } else if (guest_now_ms() > l->deadline) {
        snprintf(l->why, sizeof(l->why), "no answer from the host in time");
        l->state = JUMP_FAILED;
    }
}

/* Move bytes of an open link both ways; false when it is done (either side closed). */
static bool link_pump(struct jump_link *l)
{
    ssize_t n;
    int r;

    /* Our end to the channel, as much as the channel's window takes. */
    if (l->to_ch_len == 0) {
        n = read(l->fd, l->to_ch, sizeof(l->to_ch));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return false; /* the guest's session closed its end: the channel goes */
        if (n > 0) {
            l->to_ch_len = (size_t)n;
            l->to_ch_off = 0;
        }
    }
    if (l->to_ch_off < l->to_ch_len) {
        uint32_t win = ssh_channel_window_size(l->ch);
        size_t k = l->to_ch_len - l->to_ch_off;
        if (k > win)
            k = win;
        if (k > 0) {
            r = ssh_channel_write(l->ch, l->to_ch + l->to_ch_off, (uint32_t)k);
            if (r == SSH_ERROR)
                return false;
            l->to_ch_off += (size_t)r;
        }
        if (l->to_ch_off == l->to_ch_len)
            l->to_ch_len = l->to_ch_off = 0;
    }
    /* The channel to our end, one buffer at a time. */
    if (l->to_fd_len == 0 && !l->ch_eof) {
        r = ssh_channel_read_nonblocking(l->ch, l->to_fd, sizeof(l->to_fd), 0);
        if (r == SSH_ERROR)
            return false;
        if (r > 0) {
            l->to_fd_len = (size_t)r;
            l->to_fd_off = 0;
        } else if (ssh_channel_is_eof(l->ch) || ssh_channel_is_closed(l->ch)) {
            l->ch_eof = true;
        }
    }
    if (l->to_fd_off < l->to_fd_len) {
        n = send(l->fd, l->to_fd + l->to_fd_off, l->to_fd_len - l->to_fd_off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        if (n > 0)
            l->to_fd_off += (size_t)n;
        if (l->to_fd_off == l->to_fd_len)
            l->to_fd_len = l->to_fd_off = 0;
    }
    if (l->ch_eof && l->to_fd_len == 0 && !l->shut) {
        shutdown(l->fd, SHUT_WR); /* the guest's side sees the end of the stream */
        l->shut = true;
    }
    return true;
}

static void *jump_thread(void *arg)
{
    struct jump *j = arg;
    struct pollfd p[JUMP_MAX_LINKS + 2];
    sigset_t all;

    /* Signals belong to the main thread, which turns them into a clean shutdown. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&j->mu);
    while (!j->quit) {
        int np = 0, wait = JUMP_IDLE_MS;
        p[np++] = (struct pollfd){.fd = j->wake[0], .events = POLLIN};
        bool want_ssh = false;
        for (int i = 0; i < JUMP_MAX_LINKS; i++) {
            struct jump_link *l = j->links[i];
            if (l == NULL)
                continue;
            if (l->state == JUMP_OPENING || l->to_ch_len)
                wait = JUMP_BUSY_MS;
            if (l->state != JUMP_OPEN)
                continue;
            /* The session's socket is read (by the channel reads) only for a channel
             * with room for what comes: polling it otherwise would spin. */
            want_ssh |= l->to_fd_len == 0;
            short ev = (short)((l->to_ch_len == 0 ? POLLIN : 0) | (l->to_fd_len ? POLLOUT : 0));
            p[np++] = (struct pollfd){.fd = l->fd, .events = ev};
        }
        if (want_ssh && !j->dead)
            p[np++] = (struct pollfd){.fd = ssh_get_fd(j->s), .events = POLLIN};
        pthread_mutex_unlock(&j->mu);
        poll(p, (nfds_t)np, wait);
        if (p[0].revents & POLLIN) {
            char buf[64];
            while (read(j->wake[0], buf, sizeof(buf)) > 0)
                ;
        }
        pthread_mutex_lock(&j->mu);
        if (!j->dead && !ssh_is_connected(j->s))
            j->dead = true;
        for (int i = 0; i < JUMP_MAX_LINKS; i++) {
            struct jump_link *l = j->links[i];
            if (l == NULL)
                continue;
            if (l->state == JUMP_OPENING && !l->abandoned) {
                if (j->dead) {
                    snprintf(l->why, sizeof(l->why), "the SSH session to the host is gone");
                    l->state = JUMP_FAILED;
                } else {
                    link_open(j, l);
                }
                if (l->state != JUMP_OPENING)
                    pthread_cond_broadcast(&j->cv);
            }
            if (l->abandoned || (l->state == JUMP_OPEN && (j->dead || !link_pump(l)))) {
                j->links[i] = NULL;
                link_free(l);
            }
        }
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* Connect and authenticate s to t; 0, or -1 (reported). */
static int jump_login(ssh_session s, const struct jump_target *t, const char *name)
{
    long timeout = JUMP_CONNECT_S;
    int no = 0;
    ssh_key priv = NULL;
    int rc, ret = -1;

    ssh_options_set(s, SSH_OPTIONS_HOST, t->host);
    ssh_options_set(s, SSH_OPTIONS_PORT, &t->port);
    ssh_options_set(s, SSH_OPTIONS_USER, t->user);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    /* The URI is the whole configuration, as for libvirt's own connection. */
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    if (t->known_hosts[0])
        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, t->known_hosts);
    if (ssh_connect(s) != SSH_OK) {
        log_error("cannot connect over SSH to the libvirt host '%s' (for the guests' SSH): %s",
                  name, ssh_get_error(s));
        return -1;
    }
    if (!t->no_verify) {
        enum ssh_known_hosts_e k = ssh_session_is_known_server(s);
        if (k != SSH_KNOWN_HOSTS_OK) {
            log_error("the SSH host key of the libvirt host '%s' is %s in %s: refusing to "
                      "connect; check it, then add it (e.g. connect once with "
                      "'ssh -p %u %s@%s'), or add no_verify=1 to the URI (tests only)",
                      name,
                      k == SSH_KNOWN_HOSTS_CHANGED ? "not the one recorded"
                      : k == SSH_KNOWN_HOSTS_OTHER ? "of another type than the one recorded"
                      : k == SSH_KNOWN_HOSTS_ERROR ? "not checkable"
                                                   : "not recorded",
                      t->known_hosts[0] ? t->known_hosts : "~/.ssh/known_hosts", t->port, t->user,
                      t->host);
            return -1;
        }
    }
    if (t->keyfile[0]) {
        if (ssh_pki_import_privkey_file(t->keyfile, NULL, NULL, NULL, &priv) != SSH_OK) {
            log_error("cannot read the SSH key '%s' (keyfile of the URI)", t->keyfile);
            return -1;
        }
        rc = ssh_userauth_publickey(s, NULL, priv);
    } else {
        rc = ssh_userauth_publickey_auto(s, NULL, NULL);
    }
    if (rc != SSH_AUTH_SUCCESS)
        log_error("the libvirt host '%s' refused the SSH key %s%s%s: %s", name,
                  t->keyfile[0] ? "'" : "(the default ones: ~/.ssh/id_*, the agent)", t->keyfile,
                  t->keyfile[0] ? "'" : "", ssh_get_error(s));
    else
        ret = 0;
    ssh_key_free(priv);
    return ret;
}

int jump_open(const struct jump_target *t, struct jump **out)
{
    struct jump *j = calloc(1, sizeof(*j));

    if (j == NULL) {
        log_error("out of memory");
        return -1;
    }
    j->wake[0] = j->wake[1] = -1;
    snprintf(j->name, sizeof(j->name), "%s@%s:%u", t->user, t->host, t->port);
    j->s = ssh_new();
    if (j->s == NULL) {
        log_error("out of memory");
        goto fail;
    }
    if (jump_login(j->s, t, j->name) < 0)
        goto fail;
    if (pipe2(j->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        log_error("cannot create a pipe: %s", strerror(errno));
        goto fail;
    }
    ssh_set_blocking(j->s, 0);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    if (pthread_create(&j->thread, NULL, jump_thread, j) != 0) {
        log_error("cannot start the thread of the SSH session to '%s'", j->name);
        pthread_mutex_destroy(&j->mu);
        pthread_cond_destroy(&j->cv);
        goto fail;
    }
    log_debug("SSH session to the libvirt host '%s' up (the guests' SSH goes through it)", j->name);
    *out = j;
    return 0;
fail:
    if (j->s) {
        ssh_disconnect(j->s);
        ssh_free(j->s);
    }
    if (j->wake[0] >= 0) {
        close(j->wake[0]);
        close(j->wake[1]);
    }
    free(j);
    return -1;
}

void jump_close(struct jump *j)
{
    if (j == NULL)
        return;
    pthread_mutex_lock(&j->mu);
    j->quit = true;
    pthread_mutex_unlock(&j->mu);
    jump_wake(j);
    pthread_join(j->thread, NULL);
    for (int i = 0; i < JUMP_MAX_LINKS; i++)
        link_free(j->links[i]);
    ssh_disconnect(j->s);
    ssh_free(j->s);
    close(j->wake[0]);
    close(j->wake[1]);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

int jump_dial(void *arg, unsigned port, uint64_t deadline_ms, int *fd)
{
    struct jump *j = arg;
    struct jump_link *l = NULL;
    int sv[2] = {-1, -1}, slot = -1, ret = -1;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        log_error("cannot create a socket pair: %s", strerror(errno));
        return -1;
    }
    if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 || (l = calloc(1, sizeof(*l))) == NULL) {
        log_error("cannot set up a channel to the guest: %s", strerror(errno));
        goto cleanup;
    }
    l->fd = sv[0];
    l->port = port;
    l->deadline =
        deadline_ms < guest_now_ms() + JUMP_DIAL_MS ? deadline_ms : guest_now_ms() + JUMP_DIAL_MS;
    pthread_mutex_lock(&j->mu);
    for (int i = 0; i < JUMP_MAX_LINKS && slot < 0 && !j->dead; i++)
        if (j->links[i] == NULL)
            slot = i;
    if (slot < 0) {
        if (!j->dead)
            log_error("more than %d channels open through '%s'", JUMP_MAX_LINKS, j->name);
        else if (!j->dead_reported)
            log_error("the SSH session to the libvirt host '%s' is gone: its guests cannot be "
                      "reached",
                      j->name);
        j->dead_reported |= j->dead;
        pthread_mutex_unlock(&j->mu);
        goto cleanup;
    }
    /* From here the link and its end of the pair are the thread's. */
    j->links[slot] = l;
    sv[0] = -1;
    jump_wake(j);
    while (l->state == JUMP_OPENING) {
        condwait_ms(&j->cv, &j->mu, 50);
        if (l->state == JUMP_OPENING && guest_now_ms() > l->deadline + 1000) {
            snprintf(l->why, sizeof(l->why), "the channel did not open in time");
            break;
        }
    }
    if (l->state == JUMP_OPEN) {
        *fd = sv[1];
        sv[1] = -1;
        ret = 0;
    } else {
        log_debug("no channel to 127.0.0.1:%u through '%s': %s", port, j->name, l->why);
        l->abandoned = true; /* the thread frees it */
        jump_wake(j);
    }
    l = NULL;
    pthread_mutex_unlock(&j->mu);
cleanup:
    free(l);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    return ret;
}
