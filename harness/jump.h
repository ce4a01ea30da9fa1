/*
 * jump — the guests' SSH through a remote libvirt host (issue 16).
 *
 * A guest's port forward listens on the loopback of the host its QEMU runs on.  For a
 * remote URI (qemu+ssh://user@host[:port]/system?keyfile=K[&no_verify=1]) the harness holds
 * one SSH session (libssh) to that host for the whole run, with the URI's user, port and
 * key, the host's key checked against known_hosts (not with no_verify=1, meant for tests),
 * and reaches a forward with a direct-tcpip channel to 127.0.0.1:<port> on it.  Each
 * channel is handed to the caller as one end of a socketpair: the guest's own SSH session
 * (guest.h, its pinned host key checked as always) runs over it, unaware of the jump.
 *
 * libssh sessions are not thread-safe, so one thread of the jump does every libssh call on
 * its session: it opens the channels asked for and copies bytes both ways, at most
 * JUMP_BUF_BYTES in flight per direction and channel (the guest's data waits in the
 * channel's window, never in our memory).  The guest's bytes keep the caps and deadlines
 * of guest.c, which reads them from the socketpair.
 */
#ifndef VMSWEEP_JUMP_H
#define VMSWEEP_JUMP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define JUMP_MAX_LINKS 32          /* channels open at once through one jump */
#define JUMP_BUF_BYTES (64 * 1024) /* bytes in flight per direction of a channel */
#define JUMP_CONNECT_S 15          /* the SSH connection and auth to the libvirt host */

/* What a remote libvirt URI says about reaching its host over SSH. */
struct jump_target {
    char user[64];
    char host[256];             /* a name or an address (an IPv6 one without its brackets) */
    unsigned port;              /* 22 when the URI names none */
    char keyfile[PATH_MAX];     /* "" for libssh's defaults (~/.ssh/id_*) */
    char known_hosts[PATH_MAX]; /* "" for ~/.ssh/known_hosts */
    bool no_verify;             /* no_verify=1: the host's key is not checked */
};

/*
 * Is uri one of a remote host ("scheme://host/...")?  Local ones ("qemu:///system") and
 * NULL are not.
 */
bool jump_uri_remote(const char *uri);

/*
 * Parse the remote libvirt URI uri into *t: "qemu+ssh://[user@]host[:port]/path[?query]"
 * with the query's keyfile, known_hosts and no_verify (percent-decoded; other parameters
 * are libvirt's and ignored here).  The user defaults to default_user.  Other transports
 * (tcp, tls, libssh, ...) are refused with a sentence: only the ssh one is supported.
 * 0, or -1 (reported).
 */
int jump_parse_uri(const char *uri, const char *default_user, struct jump_target *t);

struct jump;

/*
 * Connect and authenticate to t's host, check its key (unless t->no_verify) and start the
 * thread that serves channels.  0 and *out, or -1 (reported with what to fix).
 */
int jump_open(const struct jump_target *t, struct jump **out);

/* Close every channel and the session, stop the thread, free (NULL is fine). */
void jump_close(struct jump *j);

/* "user@host:port", for messages. */
const char *jump_name(const struct jump *j);

/*
 * A stream socket connected to 127.0.0.1:port on the jump's host (a direct-tcpip channel),
 * opened before deadline_ms (guest_now_ms clock): 0 and *fd (close it when done: the
 * channel closes), or -1 when it cannot be opened now (logged at debug level: nothing
 * listening there yet is normal while a guest boots; a lost session is reported once).
 * The signature of guest_route's dial (guest.h), with j as its arg.
 */
int jump_dial(void *j, unsigned port, uint64_t deadline_ms, int *fd);

#endif
