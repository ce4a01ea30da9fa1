/*
 * guest — talking to a guest over SSH (libssh): connect with a pinned host key and
 * public-key auth, run commands with deadlines, stream output, push and pull files.
 *
 * Nothing typed by a user reaches a shell unquoted: commands are built from argv with
 * guest_quote_argv, which single-quotes every word.
 */
#ifndef VMSWEEP_GUEST_H
#define VMSWEEP_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
 * is refused at once (reported with both fingerprints).  Auth with the private key at
 * privkey as root.  Returns 0 and *out, -1 on failure (reported).
 */
int guest_connect(unsigned port, const char *hostkey_pub, const char *privkey, uint64_t deadline_ms,
                  guest_tick_fn tick, void *arg, struct guest **out);

/* Close the session (NULL is fine). */
void guest_close(struct guest *g);

/* Quote argv for a POSIX shell: each word single-quoted. malloc'ed; NULL on OOM. */
char *guest_quote_argv(char *const argv[]);

/*
 * Run cmd and wait for it, at most timeout_ms.  stdout is captured into *out (malloc'ed,
 * may be NULL), stderr logged at debug level.  *status gets the exit status (or -1 when
 * unknown).  Returns 0 when the command ran to the end, -1 on timeout or session errors.
 */
int guest_exec(struct guest *g, const char *cmd, uint64_t timeout_ms, char **out, int *status);

/* Called with each complete line the remote command writes to stderr. */
typedef void (*guest_line_fn)(const char *line, void *arg);

/*
 * Like guest_exec, but each stderr line goes to on_line as it arrives, and tick is called
 * about every 200 ms (return -1 to abort: the remote command gets SIGTERM and the
 * channel is closed).  *aborted tells a tick abort apart from a session failure.
 */
int guest_exec_stream(struct guest *g, const char *cmd, uint64_t deadline_ms, guest_line_fn on_line,
                      guest_tick_fn tick, void *arg, char **out, int *status, bool *aborted);

/* Copy a local file to the guest with the given mode (SFTP). */
int guest_push(struct guest *g, const char *local, const char *remote, mode_t mode);

/* Copy a guest file to local (SFTP), written atomically. */
int guest_pull(struct guest *g, const char *remote, const char *local);

/*
 * Names of regular files in a guest directory (SFTP), malloc'ed array of malloc'ed
 * strings.  Free with guest_free_names.
 */
int guest_list(struct guest *g, const char *dir, char ***names, size_t *n);

/* Free what guest_list returned. */
void guest_free_names(char **names, size_t n);

#endif
