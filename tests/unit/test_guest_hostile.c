/*
 * guest against a hostile guest, without a VM: an SSH server (libssh's server API) runs
 * in a thread on 127.0.0.1 and misbehaves on purpose.  Its exec floods stdout or stderr;
 * its SFTP (spoken by hand, draft-ietf-secsh-filexfer-02) lists forever, stalls, lies
 * about sizes, answers the wrong request or sends oversized packets; it may offer a host
 * key of another type.  One test proxies the SFTP subsystem to OpenSSH's sftp-server, to
 * check the SFTP client against the real thing.
 *
 * Nothing here measures time: deadlines are given short, and the tests assert how the
 * calls ended (return, x.stopped, tick calls, server-side accept counts).
 */
#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "guest.h"

#define SFTP_SERVER "/usr/lib/openssh/sftp-server"

/* SFTP numbers (draft 02), spelled out: the server side needs no libssh SFTP. */
enum {
    FXP_INIT = 1,
    FXP_VERSION = 2,
    FXP_OPEN = 3,
    FXP_CLOSE = 4,
    FXP_READ = 5,
    FXP_FSTAT = 8,
    FXP_OPENDIR = 11,
    FXP_READDIR = 12,
    FXP_STATUS = 101,
    FXP_HANDLE = 102,
    FXP_DATA = 103,
    FXP_NAME = 104,
    FXP_ATTRS = 105,
    FX_OK = 0,
    FX_EOF = 1,
    FX_NO_SUCH_FILE = 2,
    FX_OP_UNSUPPORTED = 8,
    ATTR_SIZE = 0x1,
    ATTR_PERM = 0x4,
};

#define SMALL_TEXT "concurrency,qps\n1,100\n2,190\n"

/* Keys shared by all tests, in a temporary folder. */
static char keydir[64];
static char *path_pinned, *path_client;           /* the pinned host key, the client key */
static char *path_host, *path_other, *path_ecdsa; /* server private keys */

/* One server: which host key it uses, whether SFTP goes to the real sftp-server. */
struct srv {
    const char *hostkey;
    const char *sftp_root; /* NULL: the hostile SFTP below */
    int lfd;
    unsigned port;
    atomic_int accepts;
    atomic_bool stop;
    ssh_key client_pub;
    pthread_t th;
    unsigned long long next_name; /* the endless listing's counter */
};

/* What the test holds: its server, its session, a scratch folder. */
struct fix {
    struct srv srv;
    struct guest *g;
    char dir[64];
};

static int read_exact(ssh_channel ch, void *buf, size_t n)
{
    unsigned char *p = buf;

    while (n > 0) {
        int r = ssh_channel_read_timeout(ch, p, (uint32_t)n, 0, 200);
        if (r < 0)
            return -1;
        if (r == 0 && (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)))
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* A reply under construction: length, type, id, fields. */
struct pkt {
    unsigned char *b;
    size_t len, cap;
};

static void pk_bytes(struct pkt *p, const void *data, size_t n)
{
    if (p->len + n > p->cap) {
        p->cap = (p->len + n) * 2;
        p->b = realloc(p->b, p->cap);
        assert_non_null(p->b);
    }
    memcpy(p->b + p->len, data, n);
    p->len += n;
}

static void pk_u32(struct pkt *p, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    pk_bytes(p, b, 4);
}

static void pk_u64(struct pkt *p, uint64_t v)
{
    pk_u32(p, (uint32_t)(v >> 32));
    pk_u32(p, (uint32_t)v);
}

static void pk_str(struct pkt *p, const void *s, size_t n)
{
    pk_u32(p, (uint32_t)n);
    pk_bytes(p, s, n);
}

static void pk_start(struct pkt *p, uint8_t type, uint32_t id)
{
    p->len = 0;
    pk_u32(p, 0);
    pk_bytes(p, &type, 1);
    if (type != FXP_VERSION)
        pk_u32(p, id);
}

static int pk_send(ssh_channel ch, struct pkt *p)
{
    uint32_t n = (uint32_t)(p->len - 4);
    unsigned char b[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    memcpy(p->b, b, 4);
    return ssh_channel_write(ch, p->b, (uint32_t)p->len) == (int)p->len ? 0 : -1;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The first string of a request body (a path or a handle), NUL-terminated into out. */
static void first_str(const unsigned char *body, size_t len, char *out, size_t outlen)
{
    size_t n = len >= 4 ? be32(body) : 0;
    if (n > len - 4 || n >= outlen)
        n = 0;
    memcpy(out, body + 4, n);
    out[n] = '\0';
}

static void reply_status(ssh_channel ch, struct pkt *p, uint32_t id, uint32_t code)
{
    pk_start(p, FXP_STATUS, id);
    pk_u32(p, code);
    pk_str(p, "", 0);
    pk_str(p, "", 0);
    pk_send(ch, p);
}

static void name_entry(struct pkt *p, const char *name, size_t n, uint32_t perm)
{
    pk_str(p, name, n);
    pk_str(p, name, n);
    pk_u32(p, ATTR_PERM);
    pk_u32(p, perm);
}

/*
 * The hostile SFTP server.  Paths say what to do:
 *   /endless (dir)  lists 100 new regular files per READDIR, forever
 *   /mixed (dir)    regular files, a directory, a FIFO, bad names, then EOF
 *   /stall (dir)    never answers READDIR
 *   /bigpacket      answers READDIR with a 16 MiB packet header
 *   /wrongid        answers READDIR with another request's id
 *   /huge           a regular file of 4 TiB (says FSTAT), zeros when read
 *   /liar           says 10 bytes, streams zeros forever
 *   /fifo           a FIFO
 *   /small          SMALL_TEXT
 */
static void serve_sftp(struct srv *sv, ssh_channel ch)
{
    struct pkt p = {0};
    unsigned char *req = malloc(65536);
    char path[300];
    static const unsigned char zeros[32768];

    assert_non_null(req);
    for (;;) {
        unsigned char hdr[4];
        uint32_t len, id;
        uint8_t type;

        if (read_exact(ch, hdr, 4) < 0)
            break;
        len = be32(hdr);
        if (len < 1 || len > 65536 || read_exact(ch, req, len) < 0)
            break;
        type = req[0];
        if (type == FXP_INIT) {
            pk_start(&p, FXP_VERSION, 0);
            pk_u32(&p, 3);
            pk_send(ch, &p);
            continue;
        }
        if (len < 5)
            break;
        id = be32(req + 1);
        first_str(req + 5, len - 5, path, sizeof(path));
        switch (type) {
        case FXP_OPENDIR:
        case FXP_OPEN:
            pk_start(&p, FXP_HANDLE, id);
            pk_str(&p, path, strlen(path)); /* the handle is the path */
            pk_send(ch, &p);
            break;
        case FXP_READDIR:
            if (!strcmp(path, "/stall"))
                break;
            if (!strcmp(path, "/bigpacket")) {
                unsigned char big[9] = {0x01, 0, 0, 0, FXP_NAME};
                memcpy(big + 5, req + 1, 4);
                ssh_channel_write(ch, big, sizeof(big));
                break;
            }
            pk_start(&p, FXP_NAME, !strcmp(path, "/wrongid") ? id + 1 : id);
            if (!strcmp(path, "/endless")) {
                pk_u32(&p, 100);
                for (int i = 0; i < 100; i++) {
                    char name[32];
                    int n = snprintf(name, sizeof(name), "f%09llu", sv->next_name++);
                    name_entry(&p, name, (size_t)n, S_IFREG | 0644);
                }
            } else if (!strcmp(path, "/wrongid")) {
                pk_u32(&p, 0);
            } else if (!strcmp(path, "/mixed") && sv->next_name++ == 0) {
                pk_u32(&p, 6);
                name_entry(&p, ".", 1, S_IFDIR | 0755);
                name_entry(&p, "sweep_1.csv", 11, S_IFREG | 0644);
                name_entry(&p, "sub", 3, S_IFDIR | 0755);
                name_entry(&p, "pipe", 4, S_IFIFO | 0644);
                name_entry(&p, "a\0/../../etc/passwd", 19, S_IFREG | 0644);
                name_entry(&p, "sweep_2.csv", 11, S_IFREG | 0644);
            } else {
                reply_status(ch, &p, id, FX_EOF);
                break;
            }
            pk_send(ch, &p);
            break;
        case FXP_FSTAT:
            pk_start(&p, FXP_ATTRS, id);
            pk_u32(&p, ATTR_SIZE | ATTR_PERM);
            pk_u64(&p, !strcmp(path, "/huge")    ? 4ULL << 40
                       : !strcmp(path, "/liar")  ? 10
                       : !strcmp(path, "/small") ? strlen(SMALL_TEXT)
                                                 : 0);
            pk_u32(&p, !strcmp(path, "/fifo") ? S_IFIFO | 0644 : S_IFREG | 0644);
            pk_send(ch, &p);
            break;
        case FXP_READ: {
            /* handle string, uint64 offset, uint32 length */
            size_t hl = be32(req + 5);
            uint64_t off = (uint64_t)be32(req + 9 + hl) << 32 | be32(req + 13 + hl);
            uint32_t want = be32(req + 17 + hl);
            if (!strcmp(path, "/small")) {
                size_t total = strlen(SMALL_TEXT);
                if (off >= total) {
                    reply_status(ch, &p, id, FX_EOF);
                    break;
                }
                pk_start(&p, FXP_DATA, id);
                pk_str(&p, SMALL_TEXT + off, total - off < want ? total - off : want);
            } else {
                pk_start(&p, FXP_DATA, id);
                pk_str(&p, zeros, want < sizeof(zeros) ? want : sizeof(zeros));
            }
            pk_send(ch, &p);
            break;
        }
        case FXP_CLOSE:
            reply_status(ch, &p, id, FX_OK);
            break;
        default:
            reply_status(ch, &p, id, FX_OP_UNSUPPORTED);
        }
    }
    free(p.b);
    free(req);
}

/* The SFTP subsystem handed to OpenSSH's sftp-server, working in root. */
static void proxy_sftp(const char *root, ssh_channel ch)
{
    int in[2], out[2];
    pid_t pid;
    char buf[32768];
    char *argv[] = {SFTP_SERVER, "-d", (char *)root, "-u", "022", NULL};
    posix_spawn_file_actions_t fa;

    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
        return;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (posix_spawn(&pid, SFTP_SERVER, &fa, NULL, argv, NULL) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    while (pid > 0) {
        struct pollfd pfd = {.fd = out[0], .events = POLLIN};
        int n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 0, 10);
        if (n > 0 && write(in[1], buf, (size_t)n) != n)
            break;
        if (n < 0 || (n == 0 && (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch))))
            break;
        while (poll(&pfd, 1, 0) == 1) {
            ssize_t k = read(out[0], buf, sizeof(buf));
            if (k <= 0 || ssh_channel_write(ch, buf, (uint32_t)k) != k)
                goto done;
        }
    }
done:
    close(in[1]);
    close(out[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* exec: "out N" / "err N" write N bytes without a newline, "text S" writes S. */
static void serve_exec(ssh_channel ch, const char *cmd)
{
    static char buf[65536];
    unsigned long long n = 0;
    int is_err = !strncmp(cmd, "err ", 4);

    if (!strncmp(cmd, "text ", 5)) {
        ssh_channel_write(ch, cmd + 5, (uint32_t)strlen(cmd + 5));
    } else if (is_err || !strncmp(cmd, "out ", 4)) {
        n = strtoull(cmd + 4, NULL, 10);
        memset(buf, is_err ? 'e' : 'o', sizeof(buf));
        while (n > 0) {
            uint32_t k = n < sizeof(buf) ? (uint32_t)n : (uint32_t)sizeof(buf);
            int w = is_err ? ssh_channel_write_stderr(ch, buf, k) : ssh_channel_write(ch, buf, k);
            if (w <= 0)
                break;
            n -= (unsigned long long)w;
        }
    }
    ssh_channel_request_send_exit_status(ch, 0);
    ssh_channel_send_eof(ch);
    ssh_channel_close(ch);
}

/* One client connection; a channel request waits in pending until the loop serves it. */
struct conn {
    struct srv *sv;
    bool authed;
    ssh_channel pending;
    char *cmd; /* NULL: the SFTP subsystem */
    struct ssh_channel_callbacks_struct ccb;
};

static int auth_pubkey(ssh_session s, const char *user, struct ssh_key_struct *pubkey,
                       char signature_state, void *userdata)
{
    struct conn *c = userdata;
    (void)s;
    (void)user;

    if (ssh_key_cmp(pubkey, c->sv->client_pub, SSH_KEY_CMP_PUBLIC) != 0)
        return SSH_AUTH_DENIED;
    if (signature_state == SSH_PUBLICKEY_STATE_VALID)
        c->authed = true;
    return signature_state == SSH_PUBLICKEY_STATE_VALID ||
                   signature_state == SSH_PUBLICKEY_STATE_NONE
               ? SSH_AUTH_SUCCESS
               : SSH_AUTH_DENIED;
}

static ssh_channel open_session(ssh_session s, void *userdata)
{
    struct conn *c = userdata;
    ssh_channel ch = c->authed ? ssh_channel_new(s) : NULL;

    if (ch)
        ssh_set_channel_callbacks(ch, &c->ccb);
    return ch;
}

static int exec_request(ssh_session s, ssh_channel ch, const char *command, void *userdata)
{
    struct conn *c = userdata;
    (void)s;

    if (c->pending)
        return 1;
    c->cmd = strdup(command);
    c->pending = ch;
    return 0;
}

static int subsystem_request(ssh_session s, ssh_channel ch, const char *subsystem, void *userdata)
{
    struct conn *c = userdata;
    (void)s;

    if (c->pending || strcmp(subsystem, "sftp") != 0)
        return 1;
    c->cmd = NULL;
    c->pending = ch;
    return 0;
}

static void serve_session(struct srv *sv, int fd)
{
    ssh_bind b = ssh_bind_new();
    ssh_session s = ssh_new();
    ssh_event ev = NULL;
    ssh_key key = NULL;
    struct conn c = {.sv = sv};
    struct ssh_server_callbacks_struct cb = {
        .userdata = &c,
        .auth_pubkey_function = auth_pubkey,
        .channel_open_request_session_function = open_session,
    };
    bool no = false;

    assert_non_null(b);
    assert_non_null(s);
    c.ccb.userdata = &c;
    c.ccb.channel_exec_request_function = exec_request;
    c.ccb.channel_subsystem_request_function = subsystem_request;
    ssh_callbacks_init(&c.ccb);
    ssh_callbacks_init(&cb);
    assert_int_equal(ssh_pki_import_privkey_file(sv->hostkey, NULL, NULL, NULL, &key), SSH_OK);
    ssh_bind_options_set(b, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
    assert_int_equal(ssh_bind_options_set(b, SSH_BIND_OPTIONS_IMPORT_KEY, key), SSH_OK);
    if (ssh_bind_accept_fd(b, s, fd) != SSH_OK)
        goto done;
    ssh_set_server_callbacks(s, &cb);
    ssh_set_auth_methods(s, SSH_AUTH_METHOD_PUBLICKEY);
    if (ssh_handle_key_exchange(s) != SSH_OK)
        goto done; /* the banner probe, or a client that did not like our key */
    ev = ssh_event_new();
    assert_non_null(ev);
    ssh_event_add_session(ev, s);
    while (!atomic_load(&sv->stop) && !(ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
        if (ssh_event_dopoll(ev, 50) == SSH_ERROR)
            break;
        if (c.pending) {
            ssh_channel ch = c.pending;
            c.pending = NULL;
            if (c.cmd)
                serve_exec(ch, c.cmd);
            else if (sv->sftp_root)
                proxy_sftp(sv->sftp_root, ch);
            else
                serve_sftp(sv, ch);
            free(c.cmd);
            c.cmd = NULL;
        }
    }
    ssh_event_remove_session(ev, s);
    ssh_event_free(ev);
done:
    ssh_disconnect(s);
    ssh_free(s);
    ssh_bind_free(b);
}

static void *srv_main(void *arg)
{
    struct srv *sv = arg;
    int one = 1;

    while (!atomic_load(&sv->stop)) {
        struct pollfd pfd = {.fd = sv->lfd, .events = POLLIN};
        int fd;

        if (poll(&pfd, 1, 50) != 1)
            continue;
        fd = accept4(sv->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        atomic_fetch_add(&sv->accepts, 1);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        serve_session(sv, fd);
    }
    return NULL;
}

static void srv_start(struct srv *sv, const char *hostkey, const char *sftp_root)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    char *pub = fsutil_printf("%s.pub", path_client);

    memset(sv, 0, sizeof(*sv));
    sv->hostkey = hostkey;
    sv->sftp_root = sftp_root;
    assert_int_equal(ssh_pki_import_pubkey_file(pub, &sv->client_pub), SSH_OK);
    free(pub);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(sv->lfd >= 0);
    assert_int_equal(bind(sv->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(sv->lfd, 8), 0);
    assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&sa, &len), 0);
    sv->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&sv->th, NULL, srv_main, sv), 0);
}

static void srv_stop(struct srv *sv)
{
    if (sv->lfd <= 0)
        return;
    atomic_store(&sv->stop, true);
    pthread_join(sv->th, NULL);
    close(sv->lfd);
    ssh_key_free(sv->client_pub);
    sv->lfd = 0;
}

static int connect_to(struct srv *sv, struct guest **g)
{
    return guest_connect(sv->port, path_pinned, path_client, guest_now_ms() + 20000, NULL, NULL, g);
}

static char *key_path(const char *name)
{
    char *p = fsutil_printf("%s/%s", keydir, name);
    assert_non_null(p);
    return p;
}

static void write_key(enum ssh_keytypes_e type, int bits, const char *path, bool pub)
{
    ssh_key k = NULL;
    assert_int_equal(ssh_pki_generate(type, bits, &k), SSH_OK);
    assert_int_equal(ssh_pki_export_privkey_file(k, NULL, NULL, NULL, path), SSH_OK);
    if (pub) {
        char *p = fsutil_printf("%s.pub", path);
        assert_int_equal(ssh_pki_export_pubkey_file(k, p), SSH_OK);
        free(p);
    }
    ssh_key_free(k);
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    ssh_init();
    strcpy(keydir, "/tmp/vmsweep-hostile-XXXXXX");
    if (!mkdtemp(keydir))
        return -1;
    path_host = key_path("host");
    path_other = key_path("other");
    path_ecdsa = key_path("ecdsa");
    path_client = key_path("client");
    write_key(SSH_KEYTYPE_ED25519, 0, path_host, true);
    write_key(SSH_KEYTYPE_ED25519, 0, path_other, false);
    write_key(SSH_KEYTYPE_ECDSA_P256, 256, path_ecdsa, false);
    write_key(SSH_KEYTYPE_ED25519, 0, path_client, true);
    chmod(path_client, 0600);
    path_pinned = fsutil_printf("%s.pub", path_host); /* the format of an image's hostkey.pub */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fsutil_rm_rf(keydir);
    free(path_host);
    free(path_other);
    free(path_ecdsa);
    free(path_client);
    free(path_pinned);
    return 0;
}

/* A server with the pinned key and the hostile SFTP, a session to it, a scratch folder. */
static int fix_setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/vmsweep-pull-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    srv_start(&f->srv, path_host, NULL);
    if (connect_to(&f->srv, &f->g) < 0)
        return -1;
    *state = f;
    return 0;
}

static int fix_teardown(void **state)
{
    struct fix *f = *state;

    guest_close(f->g);
    srv_stop(&f->srv);
    fsutil_rm_rf(f->dir);
    free(f);
    return 0;
}

/* Entries in a folder (hidden ones too: a temporary file left behind counts). */
static int count_entries(const char *dir)
{
    char *cmd = fsutil_printf("ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;

    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    free(cmd);
    return n;
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

#if defined(__SANITIZE_ADDRESS__)
/* ASan keeps freed memory aside (256 MiB by default) before reusing it: the memory bounds
 * below hold only with that quarantine small. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=1";
}
#endif

/* 128 MiB on stdout without a newline: 1 MiB kept, the rest counted, memory flat. */
static void test_stdout_flood(void **state)
{
    struct fix *f = *state;
    long rss0 = maxrss_kib();
    char *out = NULL;
    int st = -1;
    unsigned long long flood = 128ULL << 20;
    char cmd[64];

    snprintf(cmd, sizeof(cmd), "out %llu", flood);
    assert_int_equal(guest_exec(f->g, cmd, 120000, &out, &st), 0);
    assert_int_equal(st, 0);
    assert_non_null(out);
    assert_int_equal(strlen(out), GUEST_MAX_STDOUT);
    assert_int_equal(guest_stdout_dropped(f->g), flood - GUEST_MAX_STDOUT);
    assert_true(maxrss_kib() - rss0 < 48 * 1024);
    free(out);
}

struct cut_lines {
    size_t n, longest;
    bool marked;
};

static void on_line(const char *line, void *arg)
{
    struct cut_lines *c = arg;
    size_t len = strlen(line);

    c->n++;
    if (len > c->longest)
        c->longest = len;
    if (len >= strlen(GUEST_LINE_CUT) &&
        !strcmp(line + len - strlen(GUEST_LINE_CUT), GUEST_LINE_CUT))
        c->marked = true;
}

/* 64 MiB on stderr without a newline: one line, cut at GUEST_MAX_LINE and marked. */
static void test_stderr_flood(void **state)
{
    struct fix *f = *state;
    struct cut_lines c = {0};
    long rss0 = maxrss_kib();
    char *out = NULL;
    int st = -1;
    bool aborted = true;

    assert_int_equal(guest_exec_stream(f->g, "err 67108864", guest_now_ms() + 120000, on_line, NULL,
                                       &c, &out, &st, &aborted),
                     0);
    assert_false(aborted);
    assert_string_equal(out, "");
    assert_int_equal(c.n, 1);
    assert_int_equal(c.longest, GUEST_MAX_LINE + strlen(GUEST_LINE_CUT));
    assert_true(c.marked);
    assert_true(maxrss_kib() - rss0 < 48 * 1024);
    free(out);
}

static void test_exec_text(void **state)
{
    struct fix *f = *state;
    char *out = NULL;
    int st = -1;

    assert_int_equal(guest_exec(f->g, "text hello guest", 20000, &out, &st), 0);
    assert_string_equal(out, "hello guest");
    assert_int_equal(st, 0);
    assert_int_equal(guest_stdout_dropped(f->g), 0);
    free(out);
}

/* A listing that never ends stops at GUEST_MAX_LIST with the first names kept. */
static void test_list_endless(void **state)
{
    struct fix *f = *state;
    char **names = NULL;
    size_t n = 0;

    assert_int_equal(guest_list(f->g, "/endless", &names, &n), 0);
    assert_int_equal(n, GUEST_MAX_LIST);
    assert_string_equal(names[0], "f000000000");
    assert_string_equal(names[n - 1], "f000009999");
    guest_free_names(names, n);
}

/* Only regular files with names that can be kept; a NUL in a name does not cut it short. */
static void test_list_mixed(void **state)
{
    struct fix *f = *state;
    char **names = NULL;
    size_t n = 0;

    assert_int_equal(guest_list(f->g, "/mixed", &names, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "sweep_1.csv");
    assert_string_equal(names[1], "sweep_2.csv");
    guest_free_names(names, n);
}

/* A server that never answers: the deadline ends the listing and the series. */
static void test_list_stall_deadline(void **state)
{
    struct fix *f = *state;
    struct guest_xfer x;
    char **names = NULL;
    size_t n = 0;

    guest_xfer_init(&x, NULL, NULL);
    x.deadline_ms = guest_now_ms() + 300;
    assert_int_equal(guest_list_xfer(f->g, "/stall", &x, &names, &n), -1);
    assert_true(x.stopped);
    assert_null(names);
    /* The series is over: no more calls, and no new report. */
    assert_int_equal(guest_pull_xfer(f->g, "/small", "/nonexistent/x", &x), -1);
    /* The session itself is fine: a new series works. */
    assert_int_equal(guest_list(f->g, "/mixed", &names, &n), 0);
    assert_int_equal(n, 2);
    guest_free_names(names, n);
}

static int cancel_third(void *arg)
{
    int *calls = arg;
    return ++*calls >= 3 ? -1 : 0;
}

/* A server that never answers: the tick (Ctrl-C, dead VM) ends the listing. */
static void test_list_stall_tick(void **state)
{
    struct fix *f = *state;
    struct guest_xfer x;
    char **names = NULL;
    size_t n = 0;
    int calls = 0;

    guest_xfer_init(&x, cancel_third, &calls);
    assert_int_equal(guest_list_xfer(f->g, "/stall", &x, &names, &n), -1);
    assert_true(x.stopped);
    assert_int_equal(calls, 3);
}

/* Replies that do not fit the protocol fail the call; the next one starts afresh. */
static void test_list_bad_replies(void **state)
{
    struct fix *f = *state;
    char **names = NULL;
    size_t n = 0;

    assert_int_equal(guest_list(f->g, "/bigpacket", &names, &n), -1);
    assert_int_equal(guest_list(f->g, "/wrongid", &names, &n), -1);
    assert_int_equal(guest_list(f->g, "/mixed", &names, &n), 0);
    assert_int_equal(n, 2);
    guest_free_names(names, n);
}

/* 4 TiB says FSTAT: refused before a byte is read, nothing left in the folder. */
static void test_pull_huge(void **state)
{
    struct fix *f = *state;
    char *local = fsutil_printf("%s/huge", f->dir);
    struct guest_xfer x;

    guest_xfer_init(&x, NULL, NULL);
    assert_int_equal(guest_pull_xfer(f->g, "/huge", local, &x), -1);
    assert_int_equal(count_entries(f->dir), 0);
    assert_int_equal(x.budget, GUEST_MAX_PULL);
    assert_false(x.stopped);
    free(local);
}

/* 10 bytes says FSTAT, zeros keep coming: stopped at file_max, nothing left. */
static void test_pull_liar(void **state)
{
    struct fix *f = *state;
    char *local = fsutil_printf("%s/liar", f->dir);
    struct guest_xfer x;

    guest_xfer_init(&x, NULL, NULL);
    x.file_max = 1 << 20;
    assert_int_equal(guest_pull_xfer(f->g, "/liar", local, &x), -1);
    assert_int_equal(count_entries(f->dir), 0);
    /* What was read counts, one request past the cap at most. */
    assert_true(GUEST_MAX_PULL - x.budget > x.file_max);
    assert_true(GUEST_MAX_PULL - x.budget <= x.file_max + 32768);
    assert_false(x.stopped);
    /* The channel is still in step: the next file comes. */
    assert_int_equal(guest_pull_xfer(f->g, "/small", local, &x), 0);
    free(local);
}

/* The budget of the series runs out mid-file: discarded, and the series is over. */
static void test_pull_budget(void **state)
{
    struct fix *f = *state;
    char *local = fsutil_printf("%s/liar", f->dir);
    struct guest_xfer x;

    guest_xfer_init(&x, NULL, NULL);
    x.budget = 100 * 1024;
    assert_int_equal(guest_pull_xfer(f->g, "/liar", local, &x), -1);
    assert_true(x.stopped);
    assert_int_equal(x.budget, 0);
    assert_int_equal(count_entries(f->dir), 0);
    assert_int_equal(guest_pull_xfer(f->g, "/small", local, &x), -1);
    assert_int_equal(count_entries(f->dir), 0);
    free(local);
}

static void test_pull_fifo(void **state)
{
    struct fix *f = *state;
    char *local = fsutil_printf("%s/fifo", f->dir);

    assert_int_equal(guest_pull(f->g, "/fifo", local), -1);
    assert_int_equal(count_entries(f->dir), 0);
    free(local);
}

/* A good file arrives whole, and replaces a symlink planted at its name (not its target). */
static void test_pull_small(void **state)
{
    struct fix *f = *state;
    char *local = fsutil_printf("%s/small.csv", f->dir);
    char *target = fsutil_printf("%s/target", f->dir);
    char *data = NULL;
    size_t len = 0;
    struct guest_xfer x;
    struct stat st;

    assert_int_equal(fsutil_write_atomic(target, "keep", 4, 0644), 0);
    assert_int_equal(symlink(target, local), 0);
    guest_xfer_init(&x, NULL, NULL);
    assert_int_equal(guest_pull_xfer(f->g, "/small", local, &x), 0);
    assert_int_equal(lstat(local, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(fsutil_read_file(local, &data, &len), 0);
    assert_string_equal(data, SMALL_TEXT);
    assert_int_equal(x.budget, GUEST_MAX_PULL - strlen(SMALL_TEXT));
    free(data);
    assert_int_equal(fsutil_read_file(target, &data, &len), 0);
    assert_string_equal(data, "keep");
    assert_int_equal(count_entries(f->dir), 2);
    free(data);
    free(local);
    free(target);
}

/* A host key of another type than the pinned one fails at once, not at the deadline. */
static void test_hostkey_type(void **state)
{
    struct srv sv;
    struct guest *g = NULL;
    (void)state;

    srv_start(&sv, path_ecdsa, NULL);
    assert_int_equal(connect_to(&sv, &g), -1);
    assert_null(g);
    /* The banner probe and one SSH attempt; a retry loop would make dozens. */
    assert_true(atomic_load(&sv.accepts) <= 2);
    srv_stop(&sv);
}

/* A host key of the pinned type that is not the pinned key: refused at once too. */
static void test_hostkey_other(void **state)
{
    struct srv sv;
    struct guest *g = NULL;
    (void)state;

    srv_start(&sv, path_other, NULL);
    assert_int_equal(connect_to(&sv, &g), -1);
    assert_true(atomic_load(&sv.accepts) <= 2);
    srv_stop(&sv);
}

/* Push, list and pull against OpenSSH's sftp-server. */
static void test_real_sftp(void **state)
{
    struct srv sv;
    struct guest *g = NULL;
    char root[] = "/tmp/vmsweep-sftp-XXXXXX";
    char *src, *remote, *local, *sub, *data = NULL, *big;
    char **names = NULL;
    size_t n = 0, len = 0, biglen = 20 * 32768 + 123; /* more chunks than a push has in flight */
    struct stat st;
    (void)state;

    if (access(SFTP_SERVER, X_OK) != 0)
        skip();
    assert_non_null(mkdtemp(root));
    srv_start(&sv, path_host, root);
    assert_int_equal(connect_to(&sv, &g), 0);
    big = malloc(biglen);
    for (size_t i = 0; i < biglen; i++)
        big[i] = (char)('a' + i % 26);
    src = fsutil_printf("%s/src", root);
    assert_int_equal(fsutil_write_atomic(src, big, biglen, 0600), 0);
    remote = fsutil_printf("%s/agent", root);
    assert_int_equal(guest_push(g, src, remote, 0755), 0);
    assert_int_equal(stat(remote, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(st.st_size, biglen);
    sub = fsutil_printf("%s/sub", root);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(guest_list(g, root, &names, &n), 0);
    assert_int_equal(n, 2); /* agent, src; not sub */
    guest_free_names(names, n);
    local = fsutil_printf("%s/pulled", root);
    assert_int_equal(guest_pull(g, remote, local), 0);
    assert_int_equal(fsutil_read_file(local, &data, &len), 0);
    assert_int_equal(len, biglen);
    assert_memory_equal(data, big, biglen);
    /* Errors come back as statuses and leave the channel usable. */
    assert_int_equal(guest_pull(g, "/nonexistent/file", local), -1);
    assert_int_equal(guest_list(g, "/nonexistent", &names, &n), -1);
    assert_int_equal(guest_list(g, root, &names, &n), 0);
    assert_int_equal(n, 3);
    guest_free_names(names, n);
    guest_close(g);
    srv_stop(&sv);
    fsutil_rm_rf(root);
    free(data);
    free(big);
    free(src);
    free(sub);
    free(remote);
    free(local);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* First: the memory checks read the process's peak. */
        cmocka_unit_test_setup_teardown(test_stdout_flood, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_stderr_flood, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_exec_text, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_list_endless, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_list_mixed, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_list_stall_deadline, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_list_stall_tick, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_list_bad_replies, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_pull_huge, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_pull_liar, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_pull_budget, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_pull_fifo, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_pull_small, fix_setup, fix_teardown),
        cmocka_unit_test(test_hostkey_type),
        cmocka_unit_test(test_hostkey_other),
        cmocka_unit_test(test_real_sftp),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
