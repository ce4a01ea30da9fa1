/* Unit tests for harness/volume.c: names by content (shape, characters replaced, refusals),
 * and when a volume found on the host is reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "volume.h"

#define SHA "4b76034717808fbe90e4e089634591653b1270dc927d083ee4fcdc7162931f68"

static void test_name(void **state)
{
    char n[VOLUME_NAME_MAX];
    (void)state;
    assert_int_equal(volume_name(SHA, "initrd.img", n, sizeof(n)), 0);
    assert_string_equal(n, "vmsweep-" SHA "-initrd.img");
    /* A base name's odd characters cannot reach the volume XML or the pool's folder. */
    assert_int_equal(volume_name(SHA, "a b<'&>.img", n, sizeof(n)), 0);
    assert_string_equal(n, "vmsweep-" SHA "-a_b____.img");
    /* Not a digest, an empty base, no room: refused. */
    assert_int_equal(volume_name("4B76", "x", n, sizeof(n)), -1);
    assert_int_equal(volume_name(SHA "0", "x", n, sizeof(n)), -1);
    assert_int_equal(volume_name("4B76034717808fbe90e4e089634591653b1270dc927d083ee4fcdc7162931f68",
                                 "x", n, sizeof(n)),
                     -1);
    assert_int_equal(volume_name(SHA, "", n, sizeof(n)), -1);
    assert_int_equal(volume_name(SHA, "initrd.img", n, 40), -1);
}

static void test_decide(void **state)
{
    (void)state;
    assert_int_equal(volume_decide(false, 0, 100), VOLUME_UPLOAD);
    assert_int_equal(volume_decide(true, 100, 100), VOLUME_REUSE);
    /* Same name, other size: not that content (or not whole): uploaded again. */
    assert_int_equal(volume_decide(true, 99, 100), VOLUME_UPLOAD);
    assert_int_equal(volume_decide(true, 0, 100), VOLUME_UPLOAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
