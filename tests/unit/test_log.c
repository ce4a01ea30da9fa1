/*
 * Unit tests for log: what a guest says reaches the terminal escaped (no escape sequences,
 * no carriage returns, no C1 controls, no invalid UTF-8), and levels filter messages (the
 * global one, and log_quiet per thread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Where stderr went while capturing. */
static int saved_stderr = -1;
static int capture_rd = -1;

static void capture_begin(void)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    assert_true(saved_stderr >= 0);
    assert_true(dup2(p[1], STDERR_FILENO) >= 0);
    close(p[1]);
    capture_rd = p[0];
}

/* What was written to stderr since capture_begin (malloc'ed). */
static char *capture_end(void)
{
    char *buf = calloc(1, 65536);
    size_t used = 0;
    ssize_t n;

    fflush(stderr);
    assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
    close(saved_stderr);
    assert_non_null(buf);
    while ((n = read(capture_rd, buf + used, 65535 - used)) > 0)
        used += (size_t)n;
    close(capture_rd);
    return buf;
}

static void assert_escaped(const char *in, size_t len, bool keep, const char *want)
{
    char *got = log_escape(in, len, keep);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_escape_controls(void **state)
{
    (void)state;
    assert_escaped("plain text", 10, true, "plain text");
    assert_escaped("", 0, true, "");
    /* OSC title change, BEL, carriage return (overwrites the line), DEL, NUL. */
    assert_escaped("a\x1b]0;pwned\x07z", 12, true, "a\\x1b]0;pwned\\x07z");
    assert_escaped("ok\rFAKE", 7, true, "ok\\x0dFAKE");
    assert_escaped("x\x7fy", 3, true, "x\\x7fy");
    assert_escaped("a\0b", 3, true, "a\\x00b");
    assert_escaped("\x1b[2J\x1b[H", 7, true, "\\x1b[2J\\x1b[H");
    /* Newlines and tabs: kept for messages, escaped for single-line output. */
    assert_escaped("a\nb\tc", 5, true, "a\nb\tc");
    assert_escaped("a\nb\tc", 5, false, "a\\x0ab\\x09c");
    /* Backslashes stay as they are. */
    assert_escaped("C:\\x", 4, true, "C:\\x");
}

static void test_escape_utf8(void **state)
{
    (void)state;
    /* Valid UTF-8 is kept: é, NBSP (U+00A0), €, U+10FFFF's neighbour, an emoji. */
    assert_escaped("caf\xc3\xa9", 5, true, "caf\xc3\xa9");
    assert_escaped("\xc2\xa0", 2, true, "\xc2\xa0");
    assert_escaped("\xe2\x82\xac", 3, true, "\xe2\x82\xac");
    assert_escaped("\xf0\x9f\x98\x80", 4, true, "\xf0\x9f\x98\x80");
    assert_escaped("\xf4\x8f\xbf\xbf", 4, true, "\xf4\x8f\xbf\xbf");
    /* C1 controls encoded in UTF-8: CSI (U+009B), NEL (U+0085), and the raw bytes. */
    assert_escaped("\xc2\x9b"
                   "31m",
                   5, true, "\\xc2\\x9b31m");
    assert_escaped("\xc2\x85", 2, true, "\\xc2\\x85");
    assert_escaped("\x9b\x85", 2, true, "\\x9b\\x85");
    /* Overlong forms, surrogates, beyond U+10FFFF, cut short, stray continuation bytes. */
    assert_escaped("\xc0\xaf", 2, true, "\\xc0\\xaf");
    assert_escaped("\xe0\x80\xaf", 3, true, "\\xe0\\x80\\xaf");
    assert_escaped("\xed\xa0\x80", 3, true, "\\xed\\xa0\\x80");
    assert_escaped("\xf4\x90\x80\x80", 4, true, "\\xf4\\x90\\x80\\x80");
    assert_escaped("\xf5\x80\x80\x80", 4, true, "\\xf5\\x80\\x80\\x80");
    assert_escaped("a\xe2\x82", 3, true, "a\\xe2\\x82");
    assert_escaped("\xe2\x82z", 3, true, "\\xe2\\x82z");
    assert_escaped("\xbf", 1, true, "\\xbf");
    assert_escaped("\xff\xfe", 2, true, "\\xff\\xfe");
}

static void test_log_messages_escaped(void **state)
{
    char *out;
    (void)state;

    log_set_level(LOG_INFO);
    capture_begin();
    log_error("guest said: %s", "\x1b]0;pwned\x07 x\rY \xc2\x9b"
                                "2J\n");
    log_warn("QEMU log ends with:\n%s", "line1\n\x1b[31mline2\t.");
    out = capture_end();
    assert_string_equal(out, "vmsweep: error: guest said: \\x1b]0;pwned\\x07 x\\x0dY \\xc2\\x9b2J\n"
                             "vmsweep: warning: QEMU log ends with:\nline1\n\\x1b[31mline2\t.\n");
    free(out);
}

static void test_log_levels(void **state)
{
    char *out;
    (void)state;

    capture_begin();
    log_set_level(LOG_QUIET);
    log_info("hidden %d", 1);
    log_warn("hidden %d", 2);
    log_debug("hidden %d", 3);
    log_error("shown %d", 4);
    log_set_level(LOG_DEBUG);
    log_debug("detail %s", "d");
    log_set_level(LOG_INFO);
    log_debug("hidden %d", 5);
    log_info("fact\n\n");
    out = capture_end();
    assert_string_equal(out, "vmsweep: error: shown 4\nvmsweep: detail d\nvmsweep: fact\n");
    assert_int_equal(log_get_level(), LOG_INFO);
    free(out);
}

/* A message longer than the line buffer is cut, never overflowing, and still escaped. */
static void *log_from_other_thread(void *arg)
{
    (void)arg;
    log_info("from the other thread");
    return NULL;
}

/* log_quiet: errors only in the thread that asked, nested; other threads unaffected, and
 * the global level untouched (hosts are opened from several threads at once). */
static void test_log_quiet(void **state)
{
    pthread_t t;
    (void)state;
    log_set_level(LOG_INFO);
    capture_begin();
    log_quiet(true);
    log_quiet(true);
    log_info("hidden one");
    log_quiet(false);
    log_warn("hidden two");
    log_error("an error shows");
    assert_int_equal(pthread_create(&t, NULL, log_from_other_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(log_get_level(), LOG_INFO);
    log_quiet(false);
    log_info("shown again");
    char *out = capture_end();
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "an error shows"));
    assert_non_null(strstr(out, "from the other thread"));
    assert_non_null(strstr(out, "shown again"));
    free(out);
}

static void test_log_long_message(void **state)
{
    char *big = malloc(10000), *out;
    (void)state;

    assert_non_null(big);
    memset(big, '\x1b', 9999);
    big[9999] = '\0';
    capture_begin();
    log_error("%s", big);
    out = capture_end();
    assert_true(strncmp(out, "vmsweep: error: \\x1b\\x1b", 24) == 0);
    assert_null(strchr(out, '\x1b'));
    assert_int_equal(out[strlen(out) - 1], '\n');
    free(out);
    free(big);
}

/* The status line: under the messages on a terminal (erased before each message, drawn
 * again after it, escaped), nothing of it when stderr is not a terminal. */
static void test_status_line(void **state)
{
    int master = -1, slave = -1;
    char buf[4096] = "";
    char *plain;
    ssize_t n;
    (void)state;

    capture_begin();
    log_status("size 1/2 ETA %s", "5s");
    log_info("hello");
    log_status(NULL);
    plain = capture_end();
    assert_string_equal(plain, "vmsweep: hello\n");
    free(plain);

    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    {
        struct termios t;
        assert_int_equal(tcgetattr(slave, &t), 0);
        cfmakeraw(&t); /* bytes as written: no \n -> \r\n */
        assert_int_equal(tcsetattr(slave, TCSANOW, &t), 0);
    }
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(dup2(slave, STDERR_FILENO) >= 0);
    log_status("size 1/2 \033[31mETA %s", "5s");
    log_info("hello");
    log_status(NULL);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    close(slave);
    /* All of it, however the terminal hands it over (EIO once the slave is closed and the
     * data read). */
    size_t got = 0;
    while (got < sizeof(buf) - 1 && (n = read(master, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    close(master);
    assert_true(got > 0);
    buf[got] = '\0';
    assert_string_equal(buf, "size 1/2 \\x1b[31mETA 5s"
                             "\r\033[Kvmsweep: hello\n"
                             "size 1/2 \\x1b[31mETA 5s"
                             "\r\033[K");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_controls),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_log_messages_escaped),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_log_long_message),
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_log_quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
