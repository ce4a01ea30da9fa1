/*
 * Unit tests for harness/console.c's pure parts: boot milestones on a line, and removal
 * of terminal escape sequences from what a (hostile) guest printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_strip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
