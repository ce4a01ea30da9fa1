/*
 * Unit tests for jsonpos: line:column of members, syntax errors, duplicate keys (also
 * spelt with escapes), the depth and key caps, and big inputs that must not take
 * quadratic time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonpos.h"

/* Parse text expecting failure; returns err (static buffer). */
static const char *parse_err(const char *text)
{
    static char err[256];
    cJSON *root = NULL;
    struct jsonpos *jp = NULL;

    err[0] = '\0';
    assert_int_equal(jsonpos_parse(text, &root, &jp, err, sizeof(err)), -1);
    assert_null(root);
    assert_null(jp);
    return err;
}

static void assert_pos(const struct jsonpos *jp, const cJSON *item, unsigned line, unsigned col)
{
    unsigned l = 99, c = 99;
    assert_non_null(item);
    jsonpos_of(jp, item, &l, &c);
    assert_int_equal(l, line);
    assert_int_equal(c, col);
}

static void test_positions(void **state)
{
    const char *text = "{\n"
                       "  \"name\": \"x\",\n"
                       "  \"vm\": {\"vcpus\": [1, {\"a\": 2}],\n"
                       "         \"memory\": \"1G\"},\n"
                       "\t\"s\\\"q\": 1\n"
                       "}\n";
    cJSON *root = NULL;
    struct jsonpos *jp = NULL;
    char err[128] = "";
    unsigned l = 7, c = 7;
    (void)state;

    assert_int_equal(jsonpos_parse(text, &root, &jp, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    const cJSON *vm = cJSON_GetObjectItemCaseSensitive(root, "vm");
    const cJSON *vcpus = cJSON_GetObjectItemCaseSensitive(vm, "vcpus");
    assert_pos(jp, cJSON_GetObjectItemCaseSensitive(root, "name"), 2, 3);
    assert_pos(jp, vm, 3, 3);
    assert_pos(jp, vcpus, 3, 10);
    assert_pos(jp, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(vcpus, 1), "a"), 3, 24);
    assert_pos(jp, cJSON_GetObjectItemCaseSensitive(vm, "memory"), 4, 10);
    assert_pos(jp, cJSON_GetObjectItemCaseSensitive(root, "s\"q"), 5, 2);
    /* Not a member (the root, an array element): the file's start. */
    assert_pos(jp, root, 1, 1);
    assert_pos(jp, cJSON_GetArrayItem(vcpus, 0), 1, 1);
    jsonpos_of(NULL, root, &l, &c);
    assert_int_equal(l, 0);
    assert_int_equal(c, 0);
    cJSON_Delete(root);
    jsonpos_free(jp);
    jsonpos_free(NULL);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    assert_string_equal(parse_err("{\n  \"a\": 1,\n  \"b\": }"), "3:8: invalid JSON near '}'");
    assert_string_equal(parse_err("{\"a\": 1} x"), "1:10: invalid JSON near 'x'");
    assert_string_equal(parse_err(""), "1:1: invalid JSON near 'end of file'");
    assert_string_equal(parse_err("{\"a\": \"unterminated"),
                        "1:8: invalid JSON near 'unterminated'");
}

static void test_duplicates(void **state)
{
    cJSON *root = NULL;
    struct jsonpos *jp = NULL;
    char err[128];
    (void)state;

    assert_string_equal(parse_err("{\"name\": 1, \"name\": 2}"),
                        "1:13: duplicate key 'name' (first at 1:2)");
    /* The same name spelt with escapes: compared decoded. */
    assert_string_equal(parse_err("{\"name\": 1,\n \"n\\u0061me\": 2}"),
                        "2:2: duplicate key 'name' (first at 1:2)");
    assert_string_equal(parse_err("{\"\\u00e9\": 1, \"\xc3\xa9\": 2}"),
                        "1:15: duplicate key '\xc3\xa9' (first at 1:2)");
    /* Nested, and the first repeat in document order is the one reported. */
    assert_string_equal(parse_err("{\"b\": 1, \"vm\": {\"x\": 1, \"a\": 2, \"x\": 3}, \"b\": 2}"),
                        "1:33: duplicate key 'x' (first at 1:17)");
    assert_string_equal(parse_err("[{\"k\": 1}, {\"k\": 1, \"k\": 2}]"),
                        "1:21: duplicate key 'k' (first at 1:13)");
    /* The same name in different objects, and as a value, is fine. */
    assert_int_equal(
        jsonpos_parse(
            "{\"a\": {\"x\": \"a\"}, \"b\": {\"x\": \"x\"}, \"c\": [{\"x\": 1}, {\"x\": 2}]}",
            &root, &jp, err, sizeof(err)),
        0);
    cJSON_Delete(root);
    jsonpos_free(jp);
}

static void test_depth_cap(void **state)
{
    char text[2 * (JSONPOS_MAX_DEPTH + 1) + 1];
    cJSON *root = NULL;
    struct jsonpos *jp = NULL;
    char err[128];
    int d;
    (void)state;

    for (d = 0; d < JSONPOS_MAX_DEPTH; d++) {
        text[d] = '[';
        text[2 * JSONPOS_MAX_DEPTH - 1 - d] = ']';
    }
    text[2 * JSONPOS_MAX_DEPTH] = '\0';
    assert_int_equal(jsonpos_parse(text, &root, &jp, err, sizeof(err)), 0);
    cJSON_Delete(root);
    jsonpos_free(jp);
    for (d = 0; d <= JSONPOS_MAX_DEPTH; d++) {
        text[d] = '{';
        text[2 * JSONPOS_MAX_DEPTH + 1 - d] = '}';
    }
    text[JSONPOS_MAX_DEPTH] = '[';
    text[JSONPOS_MAX_DEPTH + 1] = ']';
    text[2 * JSONPOS_MAX_DEPTH + 2] = '\0';
    /* {{... is not valid JSON (keys are missing): cJSON says so first. */
    assert_int_equal(jsonpos_parse(text, &root, &jp, err, sizeof(err)), -1);
    memset(text, '[', JSONPOS_MAX_DEPTH + 1);
    memset(text + JSONPOS_MAX_DEPTH + 1, ']', JSONPOS_MAX_DEPTH + 1);
    text[2 * JSONPOS_MAX_DEPTH + 2] = '\0';
    snprintf(err, sizeof(err), "1:%d: nested more than %d levels deep", JSONPOS_MAX_DEPTH + 1,
             JSONPOS_MAX_DEPTH);
    assert_string_equal(parse_err(text), err);
}

/* {"k0": 0, "k1": 0, ...} with n keys, one per line; dup: the last key repeats "k0". */
static char *many_keys(size_t n, int dup)
{
    size_t cap = n * 24 + 16, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    t[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        size_t k = dup && i == n - 1 ? 0 : i;
        len += (size_t)snprintf(t + len, cap - len, "%s\n\"k%zu\": %zu", i ? "," : "", k, i);
    }
    t[len++] = '}';
    t[len] = '\0';
    return t;
}

static void test_many_keys(void **state)
{
    cJSON *root = NULL;
    struct jsonpos *jp = NULL;
    char err[128], want[128];
    char *text;
    (void)state;

    /* Exactly the cap: accepted, and the last key's position is right. */
    text = many_keys(JSONPOS_MAX_KEYS, 0);
    assert_int_equal(jsonpos_parse(text, &root, &jp, err, sizeof(err)), 0);
    snprintf(want, sizeof(want), "k%d", JSONPOS_MAX_KEYS - 1);
    assert_pos(jp, cJSON_GetObjectItemCaseSensitive(root, want), JSONPOS_MAX_KEYS + 1, 1);
    cJSON_Delete(root);
    jsonpos_free(jp);
    free(text);

    /* A duplicate among them (the last key repeats the first) is found. */
    text = many_keys(JSONPOS_MAX_KEYS, 1);
    snprintf(want, sizeof(want), "%d:1: duplicate key 'k0' (first at 2:1)", JSONPOS_MAX_KEYS + 1);
    assert_string_equal(parse_err(text), want);
    free(text);

    /* 800k keys (a 10 MB spec): refused at the cap, quickly. */
    text = many_keys(800000, 1);
    snprintf(want, sizeof(want), "%d:1: more than %d keys", JSONPOS_MAX_KEYS + 2, JSONPOS_MAX_KEYS);
    assert_string_equal(parse_err(text), want);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),  cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_duplicates), cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
