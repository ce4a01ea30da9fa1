/* wl_http — see wl_http.h. */
#include "wl_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hist.h"
#include "httpresp.h"

#define WL_HTTP_REQ_MAX 2048
#define WL_HTTP_RBUF    (64u << 10)
#define WL_HTTP_EVENTS  256

enum { CONN_CONNECTING, CONN_READING, CONN_IDLE };
enum { PHASE_WARM, PHASE_DRAIN, PHASE_RUN };

struct wl_http_cfg {
    const char *url;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char req[WL_HTTP_REQ_MAX];
    size_t reqlen;
};

struct conn {
    int fd;
    int state;
    unsigned id; /* index into ctx->ops */
    uint64_t t0;
    struct httpresp resp;
};

struct loop {
    const struct wl_http_cfg *cfg;
    struct wl_ctx *ctx;
    struct hist *h;
    struct conn *conns;
    unsigned n;
    int ep;
    int phase;
    unsigned inflight;
    uint64_t warm_left, errors;
    pthread_barrier_t *bar;
    const uint64_t *end_ns;
    int failed;
};

/* Parse http://HOST[:PORT][/PATH]; HOST is a numeric IPv4/IPv6 address or localhost. */
static int parse_url(struct wl_http_cfg *c, const char *url, FILE *err)
{
    const char *h = url + 7, *he, *p;
    char host[64];
    uint64_t port = 80;
    int n;

    if (strncmp(url, "http://", 7) != 0) {
        fprintf(err, "vmsweep-agent: invalid --arg url='%s': only http:// URLs are supported\n",
                url);
        return -1;
    }
    if (*h == '[') {
        he = strchr(h, ']');
        if (!he)
            goto bad;
        h++;
        p = he + 1;
    } else {
        he = h + strcspn(h, ":/");
        p = he;
    }
    if (he == h || (size_t)(he - h) >= sizeof(host))
        goto bad;
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = 0;
    if (*p == ':') {
        char num[8];
        size_t l = strcspn(p + 1, "/");
        if (l == 0 || l >= sizeof(num))
            goto bad;
        memcpy(num, p + 1, l);
        num[l] = 0;
        port = 0;
        for (size_t i = 0; i < l; i++) {
            if (num[i] < '0' || num[i] > '9')
                goto bad;
            port = port * 10 + (uint64_t)(num[i] - '0');
        }
        if (port < 1 || port > 65535)
            goto bad;
        p += 1 + l;
    }
    if (*p && *p != '/')
        goto bad;
    for (const char *q = p; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f)
            goto bad;
    memset(&c->addr, 0, sizeof(c->addr));
    if (!strcmp(host, "localhost") ||
        inet_pton(AF_INET, host, &((struct sockaddr_in *)&c->addr)->sin_addr) == 1) {
        struct sockaddr_in *a = (struct sockaddr_in *)&c->addr;
        if (!strcmp(host, "localhost"))
            a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        c->addrlen = sizeof(*a);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&c->addr)->sin6_addr) == 1) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&c->addr;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        c->addrlen = sizeof(*a);
    } else {
        fprintf(err,
                "vmsweep-agent: invalid --arg url='%s': the host must be a numeric IP address "
                "or localhost (the agent does no name lookups)\n",
                url);
        return -1;
    }
    n = snprintf(c->req, sizeof(c->req), "GET %s HTTP/1.1\r\nHost: %.*s\r\n\r\n", *p ? p : "/",
                 (int)(p - (url + 7)), url + 7);
    if (n < 0 || (size_t)n >= sizeof(c->req)) {
        fprintf(err, "vmsweep-agent: invalid --arg url='%s': the URL is too long\n", url);
        return -1;
    }
    c->reqlen = (size_t)n;
    c->url = url;
    return 0;
bad:
    fprintf(err, "vmsweep-agent: invalid --arg url='%s': expected http://HOST[:PORT][/PATH]\n",
            url);
    return -1;
}

static int wl_http_arg(void *cfg, const char *key, const char *val, FILE *err)
{
    if (!strcmp(key, "url"))
        return parse_url(cfg, val, err);
    return wl_unknown_arg(&wl_http, key, "url", err);
}

static int wl_http_check(void *cfg, FILE *err)
{
    if (!((struct wl_http_cfg *)cfg)->url) {
        fprintf(err, "vmsweep-agent: workload 'http' needs --arg url=http://HOST:PORT/PATH\n");
        return -1;
    }
    return 0;
}

/* Send the request on c (connected) and wait for its response. */
static int conn_send(struct loop *L, struct conn *c, uint64_t now)
{
    ssize_t w = send(c->fd, L->cfg->req, L->cfg->reqlen, MSG_NOSIGNAL);
    if (w != (ssize_t)L->cfg->reqlen)
        return -1; /* a fresh request always fits in an empty socket buffer */
    c->t0 = now;
    c->state = CONN_READING;
    httpresp_init(&c->resp);
    L->inflight++;
    return 0;
}

/* Open a connection for c; sends the request at once when the connect completes now. */
static int conn_open(struct loop *L, struct conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    int one = 1;

    c->fd = socket(L->cfg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (const struct sockaddr *)&L->cfg->addr, L->cfg->addrlen) == 0) {
        c->state = CONN_IDLE;
    } else if (errno == EINPROGRESS) {
        c->state = CONN_CONNECTING;
        ev.events = EPOLLOUT;
    } else {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    if (epoll_ctl(L->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void conn_close(struct loop *L, struct conn *c)
{
    if (c->state == CONN_READING)
        L->inflight--;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_IDLE;
}

/* Issue c's next request unless the phase says to hold; reconnect when needed. */
static void conn_next(struct loop *L, struct conn *c, uint64_t now)
{
    if (L->phase == PHASE_DRAIN || (L->phase == PHASE_RUN && now >= *L->end_ns))
        return;
    if (c->fd < 0) {
        if (conn_open(L, c) < 0) {
            if (L->phase == PHASE_RUN)
                L->errors++;
            return; /* retried by the loop's sweep over idle connections */
        }
        if (c->state == CONN_CONNECTING)
            return;
    }
    if (conn_send(L, c, now) < 0) {
        if (L->phase == PHASE_RUN)
            L->errors++;
        conn_close(L, c);
    }
}

/* A response on c is complete (ok says whether it was a well-formed one). */
static void conn_done(struct loop *L, struct conn *c, int ok, uint64_t now)
{
    int keep = ok && c->resp.keepalive;

    L->inflight--;
    c->state = CONN_IDLE;
    if (L->phase == PHASE_RUN && c->t0 >= *L->end_ns - L->ctx->duration_ns) {
        if (ok) {
            hist_record(L->h, now - c->t0);
            L->ctx->ops[c->id]++;
        }
        if (!ok || c->resp.status / 100 != 2)
            L->errors++;
    } else if (L->phase == PHASE_WARM && L->warm_left && --L->warm_left == 0) {
        L->phase = PHASE_DRAIN;
    }
    if (!keep) {
        close(c->fd);
        c->fd = -1;
    }
    conn_next(L, c, now);
}

static void on_readable(struct loop *L, struct conn *c, char *buf)
{
    ssize_t r = recv(c->fd, buf, WL_HTTP_RBUF, 0);
    size_t used;
    int rc;

    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (c->state != CONN_READING) { /* a close or stray bytes on an idle connection */
        conn_close(L, c);
        return;
    }
    if (r <= 0) {
        rc = r == 0 ? httpresp_eof(&c->resp) : HTTPRESP_ERROR;
        conn_done(L, c, rc == HTTPRESP_DONE, wl_now_ns());
        return;
    }
    rc = httpresp_feed(&c->resp, buf, (size_t)r, &used);
    if (rc == HTTPRESP_DONE && used != (size_t)r)
        rc = HTTPRESP_ERROR; /* bytes after the response we asked for */
    if (rc != HTTPRESP_MORE)
        conn_done(L, c, rc == HTTPRESP_DONE, wl_now_ns());
}

static void on_writable(struct loop *L, struct conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    int e = 0;
    socklen_t el = sizeof(e);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0 ||
        epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        if (L->phase == PHASE_RUN)
            L->errors++;
        conn_close(L, c);
        return;
    }
    c->state = CONN_IDLE;
    conn_next(L, c, wl_now_ns());
}

/* Run the event loop until stop() says so; idle closed connections are retried. */
static void loop_spin(struct loop *L, char *buf, uint64_t until)
{
    struct epoll_event evs[WL_HTTP_EVENTS];

    for (;;) {
        uint64_t now = wl_now_ns();
        int ms, n;
        if (L->phase == PHASE_RUN && now >= until)
            return;
        if (L->phase == PHASE_DRAIN && L->inflight == 0)
            return;
        if (L->phase != PHASE_DRAIN)
            for (unsigned i = 0; i < L->n; i++)
                if (L->conns[i].fd < 0)
                    conn_next(L, &L->conns[i], now);
        ms = L->phase == PHASE_RUN ? (int)((until - now) / 1000000 + 1) : 100;
        n = epoll_wait(L->ep, evs, WL_HTTP_EVENTS, ms);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->fd < 0)
                continue;
            if (c->state == CONN_CONNECTING)
                on_writable(L, c);
            else
                on_readable(L, c, buf);
        }
    }
}

static void *loop_main(void *arg)
{
    struct loop *L = arg;
    char *buf = malloc(WL_HTTP_RBUF);

    if (!buf) {
        L->failed = 1;
        pthread_barrier_wait(L->bar);
        pthread_barrier_wait(L->bar);
        return NULL;
    }
    if (L->warm_left) {
        L->phase = PHASE_WARM;
        for (unsigned i = 0; i < L->n; i++)
            conn_next(L, &L->conns[i], wl_now_ns());
        loop_spin(L, buf, 0);
    }
    pthread_barrier_wait(L->bar);
    pthread_barrier_wait(L->bar);
    L->phase = PHASE_RUN;
    for (unsigned i = 0; i < L->n; i++)
        if (L->conns[i].state != CONN_CONNECTING)
            conn_next(L, &L->conns[i], wl_now_ns());
    loop_spin(L, buf, *L->end_ns);
    for (unsigned i = 0; i < L->n; i++)
        conn_close(L, &L->conns[i]);
    free(buf);
    return NULL;
}

static int wl_http_run(void *cfg, struct wl_ctx *ctx)
{
    unsigned nt = ctx->threads < ctx->concurrency ? ctx->threads : ctx->concurrency, started = 0;
    struct loop *ls = calloc(nt, sizeof(*ls));
    struct conn *conns = calloc(ctx->concurrency, sizeof(*conns));
    pthread_t *tids = calloc(nt, sizeof(*tids));
    pthread_barrier_t bar;
    uint64_t end = UINT64_MAX;
    int ret = -1, bar_ok = 0;

    if (!ls || !conns || !tids || pthread_barrier_init(&bar, NULL, nt + 1) != 0) {
        fprintf(stderr, "vmsweep-agent: out of memory for %u connections\n", ctx->concurrency);
        goto cleanup;
    }
    bar_ok = 1;
    /* Connection i belongs to loop i % nt; loop t's connections are contiguous. */
    for (unsigned t = 0, next = 0; t < nt; t++) {
        struct loop *L = &ls[t];
        L->cfg = cfg;
        L->ctx = ctx;
        L->h = ctx->hist[t];
        L->n = ctx->concurrency / nt + (t < ctx->concurrency % nt);
        L->conns = conns + next;
        L->warm_left = ctx->warmup * L->n;
        L->bar = &bar;
        L->end_ns = &end;
        L->phase = PHASE_RUN;
        for (unsigned i = 0; i < L->n; i++) {
            L->conns[i].fd = -1;
            L->conns[i].id = next + i;
        }
        next += L->n;
        L->ep = epoll_create1(EPOLL_CLOEXEC);
        if (L->ep < 0) {
            fprintf(stderr, "vmsweep-agent: epoll_create1: %s\n", strerror(errno));
            goto cleanup;
        }
    }
    for (; started < nt; started++) {
        if (pthread_create(&tids[started], NULL, loop_main, &ls[started]) != 0) {
            fprintf(stderr, "vmsweep-agent: cannot start event loop %u of %u\n", started + 1, nt);
            _exit(1); /* loops already waiting at the barrier cannot be released */
        }
    }
    pthread_barrier_wait(&bar);
    ctx->start_ns = wl_now_ns();
    end = ctx->start_ns + ctx->duration_ns;
    pthread_barrier_wait(&bar);
    for (unsigned t = 0; t < nt; t++) {
        pthread_join(tids[t], NULL);
        ctx->errors += ls[t].errors;
        if (ls[t].failed) {
            fprintf(stderr, "vmsweep-agent: out of memory in event loop %u\n", t);
            goto cleanup;
        }
    }
    ctx->end_ns = end;
    ret = 0;
cleanup:
    for (unsigned t = 0; ls && t < nt; t++)
        if (ls[t].ep > 0)
            close(ls[t].ep);
    if (bar_ok)
        pthread_barrier_destroy(&bar);
    free(ls);
    free(conns);
    free(tids);
    return ret;
}

const struct wl wl_http = {
    .name = "http",
    .help = "keep-alive HTTP/1.1 GET (url=http://IP:PORT/PATH); concurrency = connections",
    .async = 1,
    .cfg_size = sizeof(struct wl_http_cfg),
    .arg = wl_http_arg,
    .check = wl_http_check,
    .run = wl_http_run,
};
