/*
 * log — the harness's diagnostics on stderr.  stdout carries results only.
 *
 * Levels: LOG_QUIET shows errors only (-q), LOG_INFO is the default, LOG_DEBUG adds
 * detail (-v).  Messages are whole sentences; the module adds the "vmsweep: " prefix
 * and the newline.
 */
#ifndef VMSWEEP_LOG_H
#define VMSWEEP_LOG_H

#include <stdarg.h>

enum log_level {
    LOG_QUIET = 0,
    LOG_INFO = 1,
    LOG_DEBUG = 2,
};

/* Set the global verbosity (not thread safe: call before starting threads). */
void log_set_level(enum log_level level);

/* Current verbosity. */
enum log_level log_get_level(void);

/* An error: always printed. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A warning: printed unless -q. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress and facts: printed unless -q. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Detail for -v. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
