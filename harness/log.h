/*
 * log — the harness's diagnostics on stderr.  stdout carries results only.
 *
 * Levels: LOG_QUIET shows errors only (-q), LOG_INFO is the default, LOG_DEBUG adds
 * detail (-v).  Messages are whole sentences; the module adds the "vmsweep: " prefix
 * and the newline.
 *
 * Messages often quote what a guest (or a file) said, so every message is escaped for
 * the terminal as log_escape does, keeping '\n' and '\t': a guest cannot send escape
 * sequences (title, colours, cursor moves, C1 controls) to the user's terminal.
 */
#ifndef VMSWEEP_LOG_H
#define VMSWEEP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
    LOG_QUIET = 0,
    LOG_INFO = 1,
    LOG_DEBUG = 2,
};

/* Set the global verbosity (not thread safe: call before starting threads; log_quiet is). */
void log_set_level(enum log_level level);

/* Current verbosity. */
enum log_level log_get_level(void);

/*
 * Errors only in this thread from log_quiet(true) to its log_quiet(false) (they nest):
 * for steps whose own messages the caller replaces with better ones.  Thread safe, unlike
 * changing the global level around them (hosts are opened from several threads).
 */
void log_quiet(bool on);

/* An error: always printed. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A warning: printed unless -q. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress and facts: printed unless -q. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Detail for -v. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * s[0..len) (NUL bytes included) made safe to print on a terminal: control bytes below
 * 0x20 (except '\n' and '\t' when keep_newlines), DEL, the C1 controls U+0080..U+009F and
 * every byte that is not part of valid UTF-8 become "\xNN"; printable ASCII and valid
 * UTF-8 stay as they are.  Backslashes are not doubled: the result is for reading, not
 * for parsing back.  Use it for untrusted bytes printed outside this module (stdout).
 * Returns a malloc'ed string (caller frees), or NULL when out of memory (reported).
 */
char *log_escape(const char *s, size_t len, bool keep_newlines);

/*
 * The status line of a long task (e.g. "size 1/2 ... ETA 1m20s"): kept at the bottom of a
 * terminal, under the messages, which print above it; NULL clears it.  Shown only when
 * stderr is a terminal and the level is LOG_INFO or more (plain lines otherwise: the
 * messages themselves).  Cleared at exit.
 */
void log_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
