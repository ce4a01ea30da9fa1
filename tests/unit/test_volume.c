/* Unit tests for harness/volume.c: names by content (shape, characters replaced, refusals),
 * and when a volume found on the host is reused (its marker, its size). */
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
    assert_int_equal(volume_decide(false, false, 0, 100), VOLUME_UPLOAD);
    assert_int_equal(volume_decide(true, true, 100, 100), VOLUME_REUSE);
    /* No marker: an upload that did not finish (a harness killed midway): sent again. */
    assert_int_equal(volume_decide(true, false, 100, 100), VOLUME_UPLOAD);
    /* A marker without its volume (deleted by hand): sent again. */
    assert_int_equal(volume_decide(false, true, 0, 100), VOLUME_UPLOAD);
    /* Same name, other size on the host: not that content: sent again. */
    assert_int_equal(volume_decide(true, true, 99, 100), VOLUME_UPLOAD);
    assert_int_equal(volume_decide(true, true, 0, 100), VOLUME_UPLOAD);
    /* A rewritten layer (size not known before it is made): the marker decides. */
    assert_int_equal(volume_decide(true, true, 12345, 0), VOLUME_REUSE);
}

static void test_wait_next(void **state)
{
    struct volume_seen planted = {.locked = true, .lock_id = 0, .allocated = 0};
    struct volume_seen up = {.locked = true, .lock_id = 77, .allocated = 4096};
    struct volume_seen more = {.locked = true, .lock_id = 77, .allocated = 8192};
    struct volume_seen done = {.locked = true, .marked = true, .lock_id = 77, .allocated = 8192};
    struct volume_seen gone = {.locked = false, .allocated = 4096};
    struct volume_waiter w;
    const uint64_t p = VOLUME_STALE_MS + 1234;
    (void)state;

    /* Another run's upload under way: wait as long as it moves. */
    volume_wait_start(&w, &up, 1000, p);
    assert_int_equal(volume_wait_next(&w, &up, 1000 + p - 1), VOLUME_WAIT_ON);
    assert_int_equal(volume_wait_next(&w, &more, 1000 + p + 10), VOLUME_WAIT_ON);
    assert_int_equal(volume_wait_next(&w, &more, 1000 + 2 * p), VOLUME_WAIT_ON);
    /* ... until nothing has moved for the whole patience: its run is gone. */
    assert_int_equal(volume_wait_next(&w, &more, 1000 + 2 * p + 10), VOLUME_WAIT_TAKE);
    /* Marked (its lock not yet deleted): done, decide again (and reuse). */
    assert_int_equal(volume_wait_next(&w, &done, 1000 + 9 * p), VOLUME_WAIT_DECIDE);
    /* The lock let go without a marker (its upload failed): decide again (and upload). */
    assert_int_equal(volume_wait_next(&w, &gone, 1000), VOLUME_WAIT_DECIDE);

    /* A lock left by a killed run is taken over by another waiter: the new lock (its
     * capacity another) restarts the patience, even before a byte is written. */
    volume_wait_start(&w, &planted, 0, p);
    assert_int_equal(volume_wait_next(&w, &planted, p - 1), VOLUME_WAIT_ON);
    struct volume_seen taken = planted;
    taken.lock_id = 12345;
    assert_int_equal(volume_wait_next(&w, &taken, p - 1 + 500), VOLUME_WAIT_ON);
    assert_int_equal(volume_wait_next(&w, &taken, p + 600), VOLUME_WAIT_ON);
    assert_int_equal(volume_wait_next(&w, &taken, 2 * p - 1 + 500), VOLUME_WAIT_TAKE);
}

static void test_run_name(void **state)
{
    char n[VOLUME_NAME_MAX];
    long pid = 0;
    (void)state;
    assert_int_equal(
        volume_run_name("0035969e", 4242, "Zq3xYw", "vmsweep-4242-0-17-results.img", n, sizeof(n)),
        0);
    assert_string_equal(n, "vmsweep-run-0035969e-4242-Zq3xYw-vmsweep-4242-0-17-results.img");
    assert_true(volume_run_parse(n, "0035969e", &pid));
    assert_int_equal(pid, 4242);
    /* The base's odd characters are replaced, as in content names. */
    assert_int_equal(volume_run_name("0035969e", 1, "abcdef", "a b/c", n, sizeof(n)), 0);
    assert_string_equal(n, "vmsweep-run-0035969e-1-abcdef-a_b_c");
    /* Not a tag, a PID, a rand of 6 letters or digits, a base; no room: refused. */
    assert_int_equal(volume_run_name("0035969", 1, "abcdef", "x", n, sizeof(n)), -1);
    assert_int_equal(volume_run_name("0035969E", 1, "abcdef", "x", n, sizeof(n)), -1);
    assert_int_equal(volume_run_name("0035969e", 0, "abcdef", "x", n, sizeof(n)), -1);
    assert_int_equal(volume_run_name("0035969e", 1, "abc-ef", "x", n, sizeof(n)), -1);
    assert_int_equal(volume_run_name("0035969e", 1, "abcde", "x", n, sizeof(n)), -1);
    assert_int_equal(volume_run_name("0035969e", 1, "abcdef", "", n, sizeof(n)), -1);
    assert_int_equal(volume_run_name("0035969e", 1, "abcdef", "x", n, 20), -1);
}

static void test_run_parse(void **state)
{
    long pid = 7;
    (void)state;
    assert_true(volume_run_parse("vmsweep-run-0035969e-999999999-Zq3xYw-x", "0035969e", &pid));
    assert_int_equal(pid, 999999999);
    pid = 7;
    /* Another harness host's: not ours to judge by PID. */
    assert_false(volume_run_parse("vmsweep-run-ffffffff-12-Zq3xYw-x", "0035969e", &pid));
    /* Content volumes, and anything not of the shape, are never taken for run volumes. */
    assert_false(volume_run_parse("vmsweep-" SHA "-initrd.img", "0035969e", &pid));
    assert_false(volume_run_parse("vmsweep-run-0035969e-12-Zq3xYw-", "0035969e", &pid));
    assert_false(volume_run_parse("vmsweep-run-0035969e-12-Zq3xYw", "0035969e", &pid));
    assert_false(volume_run_parse("vmsweep-run-0035969e-012-Zq3xYw-x", "0035969e", &pid));
    assert_false(volume_run_parse("vmsweep-run-0035969e--12-Zq3xYw-x", "0035969e", &pid));
    assert_false(volume_run_parse("vmsweep-run-0035969e-12-Zq3x-w-x", "0035969e", &pid));
    assert_false(volume_run_parse("vmsweep-run-0035969e-12x-Zq3xYw-x", "0035969e", &pid));
    assert_false(
        volume_run_parse("vmsweep-run-0035969e-99999999999999999999-Zq3xYw-x", "0035969e", &pid));
    assert_false(volume_run_parse("vmsweep-run-0035969e12-Zq3xYw-x", "0035969e", &pid));
    assert_false(volume_run_parse("other", "0035969e", &pid));
    assert_int_equal(pid, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name),      cmocka_unit_test(test_decide),
        cmocka_unit_test(test_wait_next), cmocka_unit_test(test_run_name),
        cmocka_unit_test(test_run_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
