/* log — see log.h.  One fprintf per message so lines from threads do not interleave. */
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum log_level log_level = LOG_INFO;
/* This thread's log_quiet depth: > 0 shows errors only, whatever the global level. */
static _Thread_local int log_quiet_depth;

/* Messages come from several threads (the libvirt event loop, the console reader): one at
 * a time, so the status line is redrawn under whole lines. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_status_text[512]; /* "" when there is none */
static int log_status_shown;      /* on the screen now */

void log_set_level(enum log_level level)
{
    log_level = level;
}

enum log_level log_get_level(void)
{
    return log_level;
}

void log_quiet(bool on)
{
    log_quiet_depth += on ? 1 : -1;
}

/* The level in force for this thread's messages. */
static enum log_level level_here(void)
{
    return log_quiet_depth > 0 ? LOG_QUIET : log_level;
}

/*
 * Length of the UTF-8 sequence at s (n bytes available) when it is well formed (shortest
 * form, no surrogates, at most U+10FFFF) and not a C1 control; 0 otherwise.
 */
static size_t log_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t len;

    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xc2)
        lo = 0xa0; /* C2 80..C2 9F are the C1 controls U+0080..U+009F */
    else if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

/*
 * Escape s[0..len) into dst (cap bytes, NUL-terminated when cap > 0; cut short when it
 * does not fit, never inside an escape).  Returns the length the whole text needs.
 */
static size_t log_escape_into(char *dst, size_t cap, const char *s, size_t len, bool keep_newlines)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t out = 0, i = 0;

    while (i < len) {
        unsigned char c = u[i];
        size_t n = 1;
        bool raw;

        if (c == '\n' || c == '\t')
            raw = keep_newlines;
        else if (c < 0x20 || c == 0x7f)
            raw = false;
        else if (c < 0x80)
            raw = true;
        else
            raw = (n = log_utf8_len(u + i, len - i)) > 0;
        if (!raw)
            n = 1;
        size_t need = raw ? n : 4;
        if (out + need < cap) {
            if (raw) {
                memcpy(dst + out, u + i, n);
            } else {
                dst[out] = '\\';
                dst[out + 1] = 'x';
                dst[out + 2] = hex[c >> 4];
                dst[out + 3] = hex[c & 15];
            }
        } else if (out < cap) {
            cap = out + 1; /* full: stop writing, keep counting */
        }
        out += need;
        i += n;
    }
    if (cap > 0)
        dst[out < cap ? out : cap - 1] = '\0';
    return out;
}

char *log_escape(const char *s, size_t len, bool keep_newlines)
{
    size_t need = log_escape_into(NULL, 0, s, len, keep_newlines);
    char *buf = malloc(need + 1);

    if (buf == NULL) {
        log_error("out of memory");
        return NULL;
    }
    log_escape_into(buf, need + 1, s, len, keep_newlines);
    return buf;
}

/* Take the status line off the screen (log_lock held). */
static void log_status_erase(void)
{
    if (log_status_shown) {
        fputs("\r\033[K", stderr);
        log_status_shown = 0;
    }
}

/* Draw the status line again under the messages (log_lock held). */
static void log_status_draw(void)
{
    if (log_status_text[0] && log_level >= LOG_INFO && isatty(STDERR_FILENO)) {
        fputs(log_status_text, stderr);
        log_status_shown = 1;
    }
    fflush(stderr);
}

static void log_emit(const char *prefix, const char *fmt, va_list ap)
{
    char msg[4096], safe[4 * sizeof(msg)];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    /* Library messages often end in a newline or a period: do not double them. */
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_escape_into(safe, sizeof(safe), msg, n, true);
    pthread_mutex_lock(&log_lock);
    log_status_erase();
    fprintf(stderr, "vmsweep: %s%s\n", prefix, safe);
    log_status_draw();
    pthread_mutex_unlock(&log_lock);
}

static void log_status_atexit(void)
{
    pthread_mutex_lock(&log_lock);
    log_status_erase();
    log_status_text[0] = '\0';
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

void log_status(const char *fmt, ...)
{
    static int registered;
    char msg[sizeof(log_status_text) / 4];
    va_list ap;

    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_lock(&log_lock);
    if (!registered)
        registered = atexit(log_status_atexit) == 0;
    log_status_erase();
    if (fmt)
        log_escape_into(log_status_text, sizeof(log_status_text), msg, strlen(msg), false);
    else
        log_status_text[0] = '\0';
    log_status_draw();
    pthread_mutex_unlock(&log_lock);
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
    if (level_here() < LOG_INFO)
        return;
    va_start(ap, fmt);
    log_emit("warning: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    if (level_here() < LOG_INFO)
        return;
    va_start(ap, fmt);
    log_emit("", fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;
    if (level_here() < LOG_DEBUG)
        return;
    va_start(ap, fmt);
    log_emit("", fmt, ap);
    va_end(ap);
}
