/* Unit tests for harness/jump.c: remote libvirt URIs into what the SSH session to the host
 * needs (user, host, port, keyfile, known_hosts, no_verify), and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jump.h"
#include "log.h"

static void test_remote(void **state)
{
    (void)state;
    assert_true(jump_uri_remote("qemu+ssh://root@h/system"));
    assert_true(jump_uri_remote("qemu+tcp://h/system"));
    assert_false(jump_uri_remote("qemu:///system"));
    assert_false(jump_uri_remote("qemu:///embed?root=/x"));
    assert_false(jump_uri_remote("qemu+ssh:///system")); /* no host */
    assert_false(jump_uri_remote(NULL));
    assert_false(jump_uri_remote("system"));
}

static void test_full(void **state)
{
    struct jump_target t;
    (void)state;
    assert_int_equal(
        jump_parse_uri("qemu+ssh://root@127.0.0.1:2222/system?keyfile=/tmp/k&no_verify=1", "me",
                       &t),
        0);
    assert_string_equal(t.user, "root");
    assert_string_equal(t.host, "127.0.0.1");
    assert_int_equal(t.port, 2222);
    assert_string_equal(t.keyfile, "/tmp/k");
    assert_string_equal(t.known_hosts, "");
    assert_true(t.no_verify);
}

static void test_defaults(void **state)
{
    struct jump_target t;
    (void)state;
    /* No user, no port, no query: the local user, port 22, libssh's default keys, checked. */
    assert_int_equal(jump_parse_uri("qemu+ssh://host.example/system", "me", &t), 0);
    assert_string_equal(t.user, "me");
    assert_string_equal(t.host, "host.example");
    assert_int_equal(t.port, 22);
    assert_string_equal(t.keyfile, "");
    assert_false(t.no_verify);
    /* Other parameters are libvirt's; no_verify=0; known_hosts; percent escapes decoded. */
    assert_int_equal(jump_parse_uri("qemu+ssh://a%40b@h:22/system?socket=/x&no_verify=0;"
                                    "keyfile=/k%20ey&known_hosts=/kh#frag",
                                    "me", &t),
                     0);
    assert_string_equal(t.user, "a@b");
    assert_string_equal(t.keyfile, "/k ey");
    assert_string_equal(t.known_hosts, "/kh");
    assert_false(t.no_verify);
}

static void test_ipv6(void **state)
{
    struct jump_target t;
    (void)state;
    assert_int_equal(jump_parse_uri("qemu+ssh://root@[::1]:2200/system", "me", &t), 0);
    assert_string_equal(t.host, "::1");
    assert_int_equal(t.port, 2200);
    assert_int_equal(jump_parse_uri("qemu+ssh://[fe80::1]/system", "me", &t), 0);
    assert_string_equal(t.host, "fe80::1");
    assert_int_equal(t.port, 22);
    assert_int_equal(jump_parse_uri("qemu+ssh://[::1/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://[::1]x/system", "me", &t), -1);
}

static void test_refused(void **state)
{
    struct jump_target t = {.port = 7};
    (void)state;
    /* Other transports: libvirt's, not ours to carry the guests' SSH. */
    assert_int_equal(jump_parse_uri("qemu+tcp://h/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+tls://h/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h/session", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h/session?keyfile=k", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu://h/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+libssh://h/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+sshx://h/system", "me", &t), -1);
    /* Bad hosts and ports, bad escapes, a NUL, bad no_verify. */
    assert_int_equal(jump_parse_uri("qemu+ssh://root@/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://-oProxyCommand=x/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h:0/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h:65536/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h:22x/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h:/system", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h/system?keyfile=%4", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h/system?keyfile=%zz", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h/system?keyfile=a%00b", "me", &t), -1);
    assert_int_equal(jump_parse_uri("qemu+ssh://h/system?no_verify=yes", "me", &t), -1);
    assert_int_equal(jump_parse_uri("no-scheme", "me", &t), -1);
    /* Out parameter untouched on failure. */
    assert_int_equal(t.port, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote),   cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_refused),
    };
    log_set_level(LOG_QUIET);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
