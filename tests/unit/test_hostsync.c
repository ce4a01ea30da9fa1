/* Unit tests for guest-agent/hostsync.c: the arguments the harness sends after a restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hostsync.h"

static void test_parse_ok(void **state)
{
    uint8_t seed[HOSTSYNC_MAX_SEED];
    uint64_t ns = 0;
    size_t n = 0;
    (void)state;
    assert_int_equal(hostsync_parse("1796279980123456789", "00ff7Aa5", &ns, seed, &n), 0);
    assert_true(ns == 1796279980123456789ULL);
    assert_int_equal(n, 4);
    assert_int_equal(seed[0], 0x00);
    assert_int_equal(seed[1], 0xff);
    assert_int_equal(seed[2], 0x7a);
    assert_int_equal(seed[3], 0xa5);
}

static void test_parse_bad(void **state)
{
    static const char *const bad[][2] = {
        {"", "00"},   {"12a", "00"},
        {"-1", "00"}, {"12345678901234567890", "00"}, /* 20 digits: past uint64 */
        {"1", ""},    {"1", "0"},
        {"1", "0g"},
    };
    uint8_t seed[HOSTSYNC_MAX_SEED];
    char big[2 * HOSTSYNC_MAX_SEED + 3];
    uint64_t ns = 7;
    size_t n = 9;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(hostsync_parse(bad[i][0], bad[i][1], &ns, seed, &n), -1);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(hostsync_parse("1", big, &ns, seed, &n), -1); /* one byte too many */
    assert_true(ns == 7 && n == 9);                                /* untouched on failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
