/* Unit tests for harness/sha256.c: the FIPS 180-4 test vectors, streaming in pieces
 * equals one shot, a file's digest, and an unreadable file refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sha256.h"

static void test_vectors(void **state)
{
    char hex[65];
    (void)state;
    assert_int_equal(sha256_hex("", 0, hex), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(sha256_hex("abc", 3, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(
        sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex), 0);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_streaming(void **state)
{
    static char data[100000];
    struct sha256 ctx;
    uint8_t d[32];
    char one[65], parts[65];
    (void)state;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7 + 3);
    assert_int_equal(sha256_hex(data, sizeof(data), one), 0);
    sha256_init(&ctx);
    for (size_t off = 0, step = 1; off < sizeof(data); off += step, step = step * 3 % 1000 + 1)
        sha256_update(&ctx, data + off, off + step > sizeof(data) ? sizeof(data) - off : step);
    assert_int_equal(sha256_final(&ctx, d), 0);
    sha256_to_hex(d, parts);
    assert_string_equal(one, parts);
}

static void test_file(void **state)
{
    char path[] = "/tmp/vmsweep-sha256-XXXXXX", hex[65];
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    assert_int_equal(sha256_file(path, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unlink(path);
    assert_int_equal(sha256_file(path, hex), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
