/*
 * guest — see guest.h.
 *
 * libssh 0.10 pitfalls handled here: SSH_OPTIONS_TIMEOUT bounds every blocking call;
 * ssh_channel_read_timeout() returns 0 both on timeout and at EOF, so reads go through
 * ssh_channel_poll_timeout() (which says SSH_EOF) and ssh_channel_read_nonblocking();
 * SCP is deprecated, so files move over SFTP in writes of at most 32 KiB, with
 * sftp_chmod after the open because the open's mode is subject to the server's umask.
 */
#include "guest.h"

#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
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

#define GUEST_CHUNK    (32 * 1024)
#define GUEST_MAX_PULL (1ULL << 30)

struct guest {
    ssh_session s;
    sftp_session sftp;
    unsigned port;
};

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
 * probe lets boot-to-SSH be noticed within a fraction of a second.
 */
static bool banner_ready(unsigned port, int wait_ms)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct pollfd pfd;
    char buf[4];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = false;

    if (fd < 0)
        return false;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        ok = poll(&pfd, 1, wait_ms) == 1 && recv(fd, buf, sizeof(buf), MSG_PEEK) == 4 &&
             memcmp(buf, "SSH-", 4) == 0;
    }
    close(fd);
    return ok;
}

/* One connection attempt. 1 = connected, 0 = not yet (retry), -1 = fatal. */
static int try_connect(ssh_session s, ssh_key pinned, unsigned port)
{
    ssh_key srv = NULL;
    int ret = -1;

    if (ssh_connect(s) != SSH_OK) {
        log_debug("ssh to 127.0.0.1:%u: %s (retrying)", port, ssh_get_error(s));
        return 0;
    }
    if (ssh_get_server_publickey(s, &srv) != SSH_OK) {
        log_error("the guest at 127.0.0.1:%u sent no host key: %s", port, ssh_get_error(s));
        goto cleanup;
    }
    if (ssh_key_cmp(srv, pinned, SSH_KEY_CMP_PUBLIC) != 0) {
        char *got = fingerprint(srv), *want = fingerprint(pinned);
        log_error("the SSH host key of the guest at 127.0.0.1:%u (%s) does not match the "
                  "image's pinned key (%s): refusing to connect; rebuild or re-prepare the "
                  "image if this is expected",
                  port, got, want);
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
    ssh_key pinned = NULL, priv = NULL;
    ssh_session s = NULL;
    struct guest *g = NULL;
    int ret = -1;
    long timeout_s = 15; /* the banner is there: key exchange under TCG can be slow */
    int no = 0;
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
    for (;;) {
        if (tick && tick(arg) < 0)
            goto cleanup;
        if (guest_now_ms() > deadline_ms) {
            log_error("the guest did not answer SSH on 127.0.0.1:%u in time", port);
            goto cleanup;
        }
        if (!banner_ready(port, 1000)) {
            sleep_ms(100);
            continue;
        }
        s = ssh_new();
        if (s == NULL) {
            log_error("out of memory");
            goto cleanup;
        }
        ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
        ssh_options_set(s, SSH_OPTIONS_PORT, &port);
        ssh_options_set(s, SSH_OPTIONS_USER, "root");
        ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
        ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
        ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
        if (hostkey_type)
            ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, hostkey_type);
        int rc = try_connect(s, pinned, port);
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
        log_error("the guest at 127.0.0.1:%u refused our key '%s': %s (was the image built "
                  "with another client key? rebuild it with 'vmsweep image build --force')",
                  port, privkey, ssh_get_error(s));
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

void guest_close(struct guest *g)
{
    if (g == NULL)
        return;
    if (g->sftp)
        sftp_free(g->sftp);
    ssh_disconnect(g->s);
    ssh_free(g->s);
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

struct sbuf {
    char *data;
    size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t ncap = (b->cap ? b->cap * 2 : 4096) + n;
        char *nd = realloc(b->data, ncap);
        if (nd == NULL)
            return -1;
        b->data = nd;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Hand complete lines of b to on_line and keep the rest. */
static void sbuf_lines(struct sbuf *b, guest_line_fn on_line, void *arg, bool flush)
{
    size_t start = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == '\n' || b->data[i] == '\r') {
            b->data[i] = '\0';
            if (i > start && on_line)
                on_line(b->data + start, arg);
            start = i + 1;
        }
    }
    if (flush && start < b->len && on_line) {
        on_line(b->data + start, arg);
        start = b->len;
    }
    if (b->data)
        memmove(b->data, b->data + start, b->len - start);
    b->len -= start;
    if (b->data)
        b->data[b->len] = '\0';
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
    struct sbuf so = {0}, se = {0};
    char buf[8192];
    uint64_t next_tick = 0;
    int ret = -1;
    bool eof_out = false, eof_err = false;

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
            next_tick = now + 200;
            if (tick(arg) < 0) {
                if (aborted)
                    *aborted = true;
                ssh_channel_request_send_signal(ch, "TERM");
                goto cleanup;
            }
        }
        int rc = ssh_channel_poll_timeout(ch, 100, 0);
        if (rc == SSH_ERROR) {
            log_error("the SSH session to the guest failed: %s", ssh_get_error(g->s));
            goto cleanup;
        }
        for (int is_err = 0; is_err <= 1; is_err++) {
            for (;;) {
                int n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), is_err);
                if (n == SSH_ERROR) {
                    log_error("the SSH session to the guest failed: %s", ssh_get_error(g->s));
                    goto cleanup;
                }
                if (n <= 0)
                    break;
                if (sbuf_add(is_err ? &se : &so, buf, (size_t)n) < 0) {
                    log_error("out of memory");
                    goto cleanup;
                }
            }
        }
        sbuf_lines(&se, on_line ? on_line : debug_line, arg, false);
        if (ssh_channel_is_eof(ch) || !ssh_channel_is_open(ch)) {
            eof_out = ssh_channel_poll_timeout(ch, 0, 0) <= 0;
            eof_err = ssh_channel_poll_timeout(ch, 0, 1) <= 0;
        }
    }
    sbuf_lines(&se, on_line ? on_line : debug_line, arg, true);
    *status = ssh_channel_get_exit_status(ch);
    if (out) {
        if (so.data == NULL && sbuf_add(&so, "", 0) < 0) {
            log_error("out of memory");
            goto cleanup;
        }
        *out = so.data;
        so.data = NULL;
    }
    ret = 0;
cleanup:
    if (ch) {
        ssh_channel_send_eof(ch);
        ssh_channel_close(ch);
        ssh_channel_free(ch);
    }
    free(so.data);
    free(se.data);
    return ret;
}

int guest_exec(struct guest *g, const char *cmd, uint64_t timeout_ms, char **out, int *status)
{
    return guest_exec_stream(g, cmd, guest_now_ms() + timeout_ms, NULL, NULL, NULL, out, status,
                             NULL);
}

static int sftp_ready(struct guest *g)
{
    if (g->sftp)
        return 0;
    g->sftp = sftp_new(g->s);
    if (g->sftp == NULL || sftp_init(g->sftp) != SSH_OK) {
        log_error("cannot start SFTP in the guest: %s", ssh_get_error(g->s));
        if (g->sftp)
            sftp_free(g->sftp);
        g->sftp = NULL;
        return -1;
    }
    return 0;
}

int guest_push(struct guest *g, const char *local, const char *remote, mode_t mode)
{
    sftp_file f = NULL;
    int fd = -1, ret = -1;
    char buf[GUEST_CHUNK];

    if (sftp_ready(g) < 0)
        return -1;
    fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_error("cannot open '%s': %s", local, strerror(errno));
        goto cleanup;
    }
    f = sftp_open(g->sftp, remote, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (f == NULL) {
        log_error("cannot create '%s' in the guest: %s", remote, ssh_get_error(g->s));
        goto cleanup;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_error("cannot read '%s': %s", local, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        if (sftp_write(f, buf, (size_t)n) != n) {
            log_error("cannot write '%s' in the guest: %s", remote, ssh_get_error(g->s));
            goto cleanup;
        }
    }
    if (sftp_close(f) != SSH_OK) {
        f = NULL;
        log_error("cannot write '%s' in the guest: %s", remote, ssh_get_error(g->s));
        goto cleanup;
    }
    f = NULL;
    if (sftp_chmod(g->sftp, remote, mode) < 0) {
        log_error("cannot chmod '%s' in the guest: %s", remote, ssh_get_error(g->s));
        goto cleanup;
    }
    ret = 0;
cleanup:
    if (f)
        sftp_close(f);
    if (fd >= 0)
        close(fd);
    return ret;
}

int guest_pull(struct guest *g, const char *remote, const char *local)
{
    sftp_file f = NULL;
    struct sbuf b = {0};
    char buf[GUEST_CHUNK];
    int ret = -1;

    if (sftp_ready(g) < 0)
        return -1;
    f = sftp_open(g->sftp, remote, O_RDONLY, 0);
    if (f == NULL) {
        log_error("cannot open '%s' in the guest: %s", remote, ssh_get_error(g->s));
        goto cleanup;
    }
    for (;;) {
        ssize_t n = sftp_read(f, buf, sizeof(buf));
        if (n < 0) {
            log_error("cannot read '%s' in the guest: %s", remote, ssh_get_error(g->s));
            goto cleanup;
        }
        if (n == 0)
            break;
        if (b.len + (size_t)n > GUEST_MAX_PULL) {
            log_error("'%s' in the guest is larger than 1 GiB: refusing to copy it", remote);
            goto cleanup;
        }
        if (sbuf_add(&b, buf, (size_t)n) < 0) {
            log_error("out of memory");
            goto cleanup;
        }
    }
    ret = fsutil_write_atomic(local, b.data ? b.data : "", b.len, 0644);
cleanup:
    if (f)
        sftp_close(f);
    free(b.data);
    return ret;
}

int guest_list(struct guest *g, const char *dir, char ***names, size_t *n)
{
    sftp_dir d = NULL;
    sftp_attributes a;
    char **v = NULL;
    size_t count = 0;
    int ret = -1;

    if (sftp_ready(g) < 0)
        return -1;
    d = sftp_opendir(g->sftp, dir);
    if (d == NULL) {
        log_error("cannot list '%s' in the guest: %s", dir, ssh_get_error(g->s));
        return -1;
    }
    while ((a = sftp_readdir(g->sftp, d)) != NULL) {
        if (a->type == SSH_FILEXFER_TYPE_REGULAR && a->name) {
            char **nv = realloc(v, (count + 1) * sizeof(*v));
            if (nv == NULL) {
                sftp_attributes_free(a);
                log_error("out of memory");
                goto cleanup;
            }
            v = nv;
            v[count] = strdup(a->name);
            if (v[count] == NULL) {
                sftp_attributes_free(a);
                goto cleanup;
            }
            count++;
        }
        sftp_attributes_free(a);
    }
    *names = v;
    *n = count;
    v = NULL;
    count = 0;
    ret = 0;
cleanup:
    guest_free_names(v, count);
    sftp_closedir(d);
    return ret;
}

void guest_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
