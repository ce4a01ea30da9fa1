/* log — see log.h.  One fprintf per message so lines from threads do not interleave. */
#include "log.h"

#include <stdio.h>
#include <string.h>

static enum log_level log_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    log_level = level;
}

enum log_level log_get_level(void)
{
    return log_level;
}

static void log_emit(const char *prefix, const char *fmt, va_list ap)
{
    char msg[4096];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* Library messages often end in a newline or a period: do not double them. */
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    fprintf(stderr, "vmsweep: %s%s\n", prefix, msg);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit("error: ", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    if (log_level < LOG_INFO)
        return;
    va_start(ap, fmt);
    log_emit("warning: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    if (log_level < LOG_INFO)
        return;
    va_start(ap, fmt);
    log_emit("", fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;
    if (log_level < LOG_DEBUG)
        return;
    va_start(ap, fmt);
    log_emit("", fmt, ap);
    va_end(ap);
}
