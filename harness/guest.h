/*
 * guest — talking to a guest over SSH (libssh): connect with a pinned host key and
 * public-key auth, run commands with deadlines, stream output, push and pull files.
 *
 * Nothing typed by a user reaches a shell unquoted: commands are built from argv with
 * guest_quote_argv, which single-quotes every word.
 *
 * The guest is untrusted: everything it sends is capped (the GUEST_MAX_* limits below),
 * every wait on it has a deadline, and whatever it names is left for the logger to
 * escape.  Files move over SFTP (version 3) spoken here on an SSH channel, so that no
 * reply from the guest can block the harness past a deadline.
 */
#ifndef VMSWEEP_GUEST_H
#define VMSWEEP_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes of a command's stdout kept for the caller; the rest is read and dropped. */
#define GUEST_MAX_STDOUT (1u << 20)
/* Bytes of one stderr line delivered; a longer line is cut and marked GUEST_LINE_CUT. */
#define GUEST_MAX_LINE 4096u
/* What replaces the rest of a stderr line longer than GUEST_MAX_LINE. */
#define GUEST_LINE_CUT " [line cut]"
/* Entries (of any type) read from one guest directory listing; the rest are ignored. */
#define GUEST_MAX_LIST 10000u
/* Bytes of a listed file name; longer names are skipped. */
#define GUEST_MAX_NAME 255u
/* Bytes of one SFTP reply from the guest (OpenSSH's sftp-server sends at most 256 KiB). */
#define GUEST_MAX_PACKET (256u * 1024 + 1024)
/* Bytes of one pulled file (default of guest_xfer.file_max). */
#define GUEST_MAX_FILE (512ULL << 20)
/* Bytes of all the files pulled with one struct guest_xfer (default of its budget). */
#define GUEST_MAX_PULL (2ULL << 30)
/* Milliseconds all the transfers of one struct guest_xfer may take (default deadline). */
#define GUEST_XFER_MS (10ULL * 60 * 1000)

struct guest;

/* Monotonic milliseconds, for deadlines. */
uint64_t guest_now_ms(void);

/*
 * Called about every 200 ms while waiting: return -1 to give up (interrupted, VM died).
 * May be NULL.
 */
typedef int (*guest_tick_fn)(void *arg);

/*
 * Connect to 127.0.0.1:port, retrying until deadline_ms (a guest_now_ms value) while the
 * guest boots.  The server's key must equal the one in hostkey_pub, else the connection
 * is refused at once (reported with both fingerprints); so is a server that offers no
 * host key of the pinned key's type.  Auth with the private key at privkey as root.
 * Returns 0 and *out, -1 on failure (reported).
 */
int guest_connect(unsigned port, const char *hostkey_pub, const char *privkey, uint64_t deadline_ms,
                  guest_tick_fn tick, void *arg, struct guest **out);

/*
 * How to reach a guest's forward port that is not on this host's loopback (a remote
 * libvirt host, jump.h): dial gives a stream socket connected to 127.0.0.1:port there,
 * opened before deadline_ms, or -1 when it cannot now (the guest still booting: retried).
 * via names that host in messages.
 */
struct guest_route {
    int (*dial)(void *arg, unsigned port, uint64_t deadline_ms, int *fd);
    void *arg;
    const char *via;
};

/*
 * guest_connect through route (NULL: this host's 127.0.0.1:port, as guest_connect).  The
 * SSH protocol runs over the socket dial gives, with the same pinned host key, limits and
 * deadlines.
 */
int guest_connect_via(const struct guest_route *route, unsigned port, const char *hostkey_pub,
                      const char *privkey, uint64_t deadline_ms, guest_tick_fn tick, void *arg,
                      struct guest **out);

/* Close the session (NULL is fine). */
void guest_close(struct guest *g);

/* Quote argv for a POSIX shell: each word single-quoted. malloc'ed; NULL on OOM. */
char *guest_quote_argv(char *const argv[]);

/*
 * Run cmd and wait for it, at most timeout_ms.  stdout is captured into *out (malloc'ed,
 * NUL-terminated, at most GUEST_MAX_STDOUT bytes: beyond, the output is read and dropped,
 * counted in guest_stdout_dropped, and a warning is logged once), stderr logged at debug
 * level.  *status gets the exit status (or -1 when unknown).  Returns 0 when the command
 * ran to the end, -1 on timeout or session errors.
 */
int guest_exec(struct guest *g, const char *cmd, uint64_t timeout_ms, char **out, int *status);

/*
 * Called with each line the remote command writes to stderr: NUL-terminated, without its
 * newline, at most GUEST_MAX_LINE bytes (a longer line is cut there and GUEST_LINE_CUT
 * appended; the rest of it is dropped).
 */
typedef void (*guest_line_fn)(const char *line, void *arg);

/*
 * Like guest_exec, but each stderr line goes to on_line as it arrives, and tick is called
 * about every 200 ms (return -1 to abort: the remote command gets SIGTERM and the
 * channel is closed).  *aborted tells a tick abort apart from a session failure.
 */
int guest_exec_stream(struct guest *g, const char *cmd, uint64_t deadline_ms, guest_line_fn on_line,
                      guest_tick_fn tick, void *arg, char **out, int *status, bool *aborted);

/*
 * Bytes of stdout dropped so far, over all the commands of this session, because a
 * command wrote more than GUEST_MAX_STDOUT.
 */
uint64_t guest_stdout_dropped(const struct guest *g);

/* When guest_connect first saw the SSH server's banner (guest_now_ms clock). */
uint64_t guest_banner_ms(const struct guest *g);

#define GUEST_TOUCH_MS 5000 /* guest_touch gives up after this long */

/*
 * Set the access and modification times of an existing guest file to now (SFTP SETSTAT on
 * the session's SFTP channel): nothing is forked in the guest, unlike `touch` over exec.
 * -1 (logged at debug level) when the file is missing or the request fails.
 */
int guest_touch(struct guest *g, const char *remote);

/* Copy a local file to the guest with the given mode (SFTP), within GUEST_XFER_MS. */
int guest_push(struct guest *g, const char *local, const char *remote, mode_t mode);

/*
 * The limits shared by a series of guest_list_xfer and guest_pull_xfer calls, e.g.
 * everything pulled from one VM.  Set up by guest_xfer_init; the fields may be changed after.
 */
struct guest_xfer {
    uint64_t budget;      /* bytes that may still be read from the guest, all files together */
    uint64_t file_max;    /* bytes one pulled file may have */
    uint64_t deadline_ms; /* guest_now_ms value at which the series gives up */
    guest_tick_fn tick;   /* called about every 200 ms; -1 cancels the series (may be NULL) */
    void *arg;            /* for tick */
    bool stopped;         /* the deadline, tick or the budget ended the series (reported
                             once): later calls fail at once without a new report */
};

/*
 * Defaults: GUEST_MAX_PULL bytes in all, GUEST_MAX_FILE per file, GUEST_XFER_MS from
 * now, and the given tick (may be NULL).
 */
void guest_xfer_init(struct guest_xfer *x, guest_tick_fn tick, void *arg);

/*
 * Copy the regular guest file remote to local (SFTP), one of the series x: streamed to a
 * new temporary file in local's directory (random name, O_EXCL, O_NOFOLLOW), fsynced and
 * renamed, so local is the whole file or untouched.  A file that is not regular, or that
 * has (or turns out to have while read) more than x->file_max bytes or more than
 * x->budget, is refused and nothing is left of it.  Bytes read are taken from x->budget.
 * Returns 0, or -1 (reported, unless x->stopped was already set).
 */
int guest_pull_xfer(struct guest *g, const char *remote, const char *local, struct guest_xfer *x);

/* guest_pull_xfer alone, with the limits of guest_xfer_init and no tick. */
int guest_pull(struct guest *g, const char *remote, const char *local);

/*
 * Names of regular files in a guest directory (SFTP), one of the series x (its deadline
 * and tick): malloc'ed array of malloc'ed strings; free with guest_free_names.  At most
 * GUEST_MAX_LIST entries are read (more is reported, and the first ones kept); names that
 * are empty, longer than GUEST_MAX_NAME or contain a NUL byte are skipped (reported).
 * The names are still the guest's: check them (fsutil_safe_name) before use.  Returns 0,
 * or -1 (reported, unless x->stopped was already set).
 */
int guest_list_xfer(struct guest *g, const char *dir, struct guest_xfer *x, char ***names,
                    size_t *n);

/* guest_list_xfer alone, with the limits of guest_xfer_init and no tick. */
int guest_list(struct guest *g, const char *dir, char ***names, size_t *n);

/* Free what guest_list returned. */
void guest_free_names(char **names, size_t n);

/*
 * The pure parts of reading the guest, exposed for the unit tests and the fuzzer.
 */

/* A byte stream being split into lines for a guest_line_fn; zero-initialise it. */
struct guest_lines {
    char buf[GUEST_MAX_LINE + sizeof(GUEST_LINE_CUT)];
    size_t len;
    bool cut; /* the line in progress was cut: drop bytes up to the next newline */
};

/*
 * Feed n bytes: every complete non-empty line ('\n' or '\r' ends one) goes to on_line as
 * guest_line_fn says; NUL bytes become '?'.  on_line may be NULL (lines dropped).
 */
void guest_lines_feed(struct guest_lines *l, const char *p, size_t n, guest_line_fn on_line,
                      void *arg);

/* The stream ended: deliver what is left as a last line. */
void guest_lines_end(struct guest_lines *l, guest_line_fn on_line, void *arg);

/* A directory listing being read from SFTP replies; zero-initialise it. */
struct guest_listing {
    char **names;   /* regular files with acceptable names (malloc'ed) */
    size_t n;       /* names kept */
    size_t seen;    /* entries read, of any type (at most GUEST_MAX_LIST) */
    size_t skipped; /* regular files skipped for their name */
};

/*
 * Add the entries of the body of an SSH_FXP_NAME reply (what follows its request id) to
 * l, as guest_list says.  Returns 1 when l->seen reached GUEST_MAX_LIST (the rest of the
 * body is ignored), 0 when more may follow, -EINVAL when the body is malformed (the
 * entries before the fault are kept), -ENOMEM.  Not reported: the caller knows the
 * directory.
 */
int guest_listing_add(struct guest_listing *l, const void *body, size_t len);

/* Free the names of l and zero it (NULL is fine). */
void guest_listing_free(struct guest_listing *l);

#endif
