/* Unit tests for guest-agent/units.c: every parser, its edges and its refusals. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

static void test_u64(void **state)
{
    uint64_t v = 7;
    (void)state;
    assert_int_equal(units_parse_u64("0", 0, 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(units_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    v = 7;
    assert_int_equal(units_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
    assert_int_equal(units_parse_u64("-1", 0, 10, &v), -EINVAL);
    assert_int_equal(units_parse_u64(" 1", 0, 10, &v), -EINVAL);
    assert_int_equal(units_parse_u64("1 ", 0, 10, &v), -EINVAL);
    assert_int_equal(units_parse_u64("", 0, 10, &v), -EINVAL);
    assert_int_equal(units_parse_u64("0x10", 0, 100, &v), -EINVAL);
    assert_int_equal(units_parse_u64("11", 0, 10, &v), -ERANGE);
    assert_int_equal(units_parse_u64("0", 1, 10, &v), -ERANGE);
    assert_int_equal(units_parse_u64(NULL, 1, 10, &v), -EINVAL);
    assert_int_equal(v, 7); /* untouched on failure */
}

static void test_duration(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_int_equal(units_parse_duration("10", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), 0);
    assert_int_equal(v, 10000000);
    assert_int_equal(units_parse_duration("500ms", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), 0);
    assert_int_equal(v, 500000);
    assert_int_equal(units_parse_duration("1.5s", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), 0);
    assert_int_equal(v, 1500000);
    assert_int_equal(units_parse_duration("250us", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(units_parse_duration("2m", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), 0);
    assert_int_equal(v, 120000000);
    assert_int_equal(units_parse_duration("1H", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), 0);
    assert_int_equal(v, 3600000000ULL);
    assert_int_equal(units_parse_duration("7", 1, 0, UINT64_MAX, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(units_parse_duration("2x", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(units_parse_duration("1.", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(units_parse_duration(".5s", UNITS_US_PER_SEC, 0, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(units_parse_duration("31s", UNITS_US_PER_SEC, 0, 30000000, &v), -ERANGE);
    assert_int_equal(units_parse_duration("99999999999999999h", 1, 0, UINT64_MAX, &v), -ERANGE);
}

static void test_size(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_int_equal(units_parse_size("4G", 1, 0, UINT64_MAX, &v), 0);
    assert_true(v == 4ULL << 30);
    assert_int_equal(units_parse_size("64m", 1, 0, UINT64_MAX, &v), 0);
    assert_true(v == 64ULL << 20);
    assert_int_equal(units_parse_size("512MiB", 1, 0, UINT64_MAX, &v), 0);
    assert_true(v == 512ULL << 20);
    assert_int_equal(units_parse_size("1.5K", 1, 0, UINT64_MAX, &v), 0);
    assert_int_equal(v, 1536);
    assert_int_equal(units_parse_size("1024", 1 << 20, 0, UINT64_MAX, &v), 0);
    assert_true(v == 1ULL << 30);
    assert_int_equal(units_parse_size("4Q", 1, 0, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(units_parse_size("20000000T", 1, 0, UINT64_MAX, &v), -ERANGE);
}

static void test_list(void **state)
{
    uint64_t vals[8];
    size_t n = 0;
    (void)state;
    assert_int_equal(units_parse_list("1 2 4 8", 1, 128, vals, 8, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(vals[3], 8);
    assert_int_equal(units_parse_list(" 1,2, 3\t,4 ", 1, 128, vals, 8, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(vals[2], 3);
    assert_int_equal(units_parse_list("", 1, 128, vals, 8, &n), -EINVAL);
    assert_int_equal(units_parse_list(" , ", 1, 128, vals, 8, &n), -EINVAL);
    assert_int_equal(units_parse_list("1 256", 1, 128, vals, 8, &n), -ERANGE);
    assert_int_equal(units_parse_list("1 two", 1, 128, vals, 8, &n), -EINVAL);
    assert_int_equal(units_parse_list("1 2 3", 1, 128, vals, 2, &n), -E2BIG);
}

static void test_hexdigit(void **state)
{
    (void)state;
    assert_int_equal(units_hexdigit('0'), 0);
    assert_int_equal(units_hexdigit('9'), 9);
    assert_int_equal(units_hexdigit('a'), 10);
    assert_int_equal(units_hexdigit('F'), 15);
    assert_int_equal(units_hexdigit('g'), -1);
    assert_int_equal(units_hexdigit('\0'), -1);
    assert_int_equal(units_hexdigit('/'), -1);
}

static void test_format(void **state)
{
    char buf[32];
    (void)state;
    units_fmt_duration(850, buf, sizeof(buf));
    assert_string_equal(buf, "850us");
    units_fmt_duration(1500, buf, sizeof(buf));
    assert_string_equal(buf, "1.5ms");
    units_fmt_duration(12000000, buf, sizeof(buf));
    assert_string_equal(buf, "12s");
    units_fmt_duration(200000000, buf, sizeof(buf));
    assert_string_equal(buf, "3m20s");
    units_fmt_size(512, buf, sizeof(buf));
    assert_string_equal(buf, "512");
    units_fmt_size(64 << 10, buf, sizeof(buf));
    assert_string_equal(buf, "64K");
    units_fmt_size(3ULL << 29, buf, sizeof(buf));
    assert_string_equal(buf, "1.5G");
}

static void test_number(void **state)
{
    static const char *const bad[] = {"",    ".",    "-1",   "+1",  "1e3", "0x10", "inf",
                                      "nan", "1..2", "20kk", "20m", "k",   "1 k"};
    double d = -1;
    (void)state;
    assert_int_equal(units_parse_number("20k", 0, 1e9, &d), 0);
    assert_true(d == 20000);
    assert_int_equal(units_parse_number("1.5M", 0, 1e9, &d), 0);
    assert_true(d == 1500000);
    assert_int_equal(units_parse_number(".25", 0, 1, &d), 0);
    assert_true(d == 0.25);
    assert_int_equal(units_parse_number("12", 0, 1e9, &d), 0);
    assert_true(d == 12);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d = -7;
        assert_int_equal(units_parse_number(bad[i], 0, 1e9, &d), -EINVAL);
        assert_true(d == -7); /* untouched on failure */
    }
    assert_int_equal(units_parse_number("2M", 0, 1e6, &d), -ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64),      cmocka_unit_test(test_duration),
        cmocka_unit_test(test_size),     cmocka_unit_test(test_list),
        cmocka_unit_test(test_format),   cmocka_unit_test(test_number),
        cmocka_unit_test(test_hexdigit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
