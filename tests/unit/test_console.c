/*
 * Unit tests for harness/console.c: boot milestones on a line, removal of terminal escape
 * sequences from what a (hostile) guest printed, and the cap on console.log with a real
 * socket standing in for QEMU's serial port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "console.h"

static int mark(const char *line)
{
    return console_line_mark(line, strlen(line));
}

static void test_marks(void **state)
{
    (void)state;
    assert_int_equal(mark("[    0.000000] Linux version 6.1.0-57-amd64 (debian-kernel@...)"),
                     CONSOLE_KERNEL);
    assert_int_equal(mark("vmsweep: init started\r"), CONSOLE_INIT);
    assert_int_equal(mark("vmsweep: step network done at 1.99s"), CONSOLE_NET);
    assert_int_equal(mark("vmsweep: guest up: 2 CPUs, kernel 6.1.0"), CONSOLE_UP);
    /* Firmware and the kernel's real-mode stub are not kernel progress. */
    assert_int_equal(mark("SeaBIOS (version 1.16.2-debian-1.16.2-1)"), -1);
    assert_int_equal(mark("Probing EDD (edd=off to disable)... ok"), -1);
    assert_int_equal(mark("Linux versio"), -1);
    assert_int_equal(console_line_mark("", 0), -1);
}

static void test_strip(void **state)
{
    char s[] = "\x1b"
               "c\x1b[?7l\x1b[2JSeaBIOS\r\n\x1b]0;pwned\x07ok\x1b]2;x\x1b\\!\x1b[31mred\x1b";
    (void)state;
    size_t n = console_strip_escapes(s, strlen(s));
    s[n] = '\0';
    assert_string_equal(s, "SeaBIOS\nok!red");
}

/* A guest that writes 20 MiB to its console: console.log keeps 16 MiB and says so. */
static void test_cap(void **state)
{
    char dir[] = "/tmp/vmsweep-test-console-XXXXXX", sock[64], log[128], cmd[160];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct console *c = NULL;
    static char chunk[65536];
    struct stat st;
    int srv, peer;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/con", dir);
    snprintf(log, sizeof log, "%s/console.log", dir);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    srv = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(srv >= 0);
    assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(srv, 1), 0);
    assert_int_equal(console_open(sock, log, &c), 0);
    peer = accept(srv, NULL, NULL);
    assert_true(peer >= 0);
    memset(chunk, 'x', sizeof chunk);
    memcpy(chunk, "Linux version 6.1\n", 18);
    for (int i = 0; i < 320; i++) /* 20 MiB */
        assert_int_equal(write(peer, chunk, sizeof chunk), (ssize_t)sizeof chunk);
    close(peer);
    console_close(c, 5000);
    assert_int_equal(stat(log, &st), 0);
    assert_true(st.st_size >= (off_t)CONSOLE_MAX_BYTES);
    assert_true(st.st_size < (off_t)CONSOLE_MAX_BYTES + 200); /* the cap and its note */
    close(srv);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
