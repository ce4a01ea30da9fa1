/*
 * Unit tests for harness/specopt.c: the table is consistent; every setting accepts and
 * refuses the same values as a flag and as a spec key (as a JSON string and, where it
 * reads as one, a JSON number), with the same result; and every setting passed to the
 * agent is accepted and refused by the agent's own parser alike (boundary values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "opts.h"
#include "spec.h"
#include "specopt.h"
#include "units.h"

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < specopt_count; i++) {
        const struct specopt *o = &specopt_table[i];
        assert_true(o->key || o->flag);
        assert_non_null(o->help);
        assert_true(o->cmds != 0);
        assert_true((o->section == SPECOPT_CMD) ==
                    (o->type == SPECOPT_SWITCH || o->type == SPECOPT_VALUE));
        if (o->agent)
            assert_non_null(opts_def_find(o->agent));
        for (size_t j = 0; j < i; j++) {
            const struct specopt *p = &specopt_table[j];
            if (o->flag && p->flag)
                assert_string_not_equal(o->flag, p->flag);
            if (o->key && p->key && o->section == p->section)
                assert_string_not_equal(o->key, p->key);
            if (o->short_flag)
                assert_int_not_equal(o->short_flag, p->short_flag);
        }
    }
    /* Every agent option the harness does not set itself has a setting. */
    for (size_t i = 0; i < opts_ndefs; i++) {
        bool found = !strcmp(opts_defs[i].flag, "output-dir");
        for (size_t j = 0; j < specopt_count; j++)
            found |= specopt_table[j].agent && !strcmp(specopt_table[j].agent, opts_defs[i].flag);
        if (!found)
            fail_msg("agent option --%s has no row in specopt_table", opts_defs[i].flag);
    }
}

/* The row's value in s as JSON text ("" when unset). */
static char *value_text(const struct spec *s, const struct specopt *o)
{
    cJSON *v = specopt_to_json(s, o);
    char *t = v ? cJSON_PrintUnformatted(v) : strdup("");
    cJSON_Delete(v);
    return t;
}

/* Candidate values for a row: boundaries, units, garbage. */
static size_t candidates(const struct specopt *o, char (*out)[256], size_t cap)
{
    uint64_t min, max;
    size_t n = 0;

    specopt_range(o, &min, &max);
#define ADD(...) (n < cap ? (void)snprintf(out[n++], 256, __VA_ARGS__) : (void)0)
    switch (o->type) {
    case SPECOPT_RUNS:
        ADD("auto");
        ADD("Auto");
        __attribute__((fallthrough)); /* and the integers */
    case SPECOPT_COUNT:
    case SPECOPT_UNS:
    case SPECOPT_NUMA:
        ADD("%llu", (unsigned long long)min);
        ADD("%llu", (unsigned long long)max);
        ADD("%llu", (unsigned long long)max + 1);
        if (min > 0)
            ADD("%llu", (unsigned long long)min - 1);
        ADD("1.5");
        ADD("abc");
        break;
    case SPECOPT_DURATION:
    case SPECOPT_SECONDS:
        ADD("%lluus", (unsigned long long)min);
        ADD("%lluus", (unsigned long long)max);
        ADD("%lluus", (unsigned long long)max + 1);
        ADD("%lluus", (unsigned long long)min - 1);
        ADD("30");
        ADD("2.5s");
        ADD("500ms");
        ADD("10x");
        break;
    case SPECOPT_MICROS:
        ADD("2000");
        ADD("5ms");
        ADD("1.5ms");
        ADD("0");
        ADD("%llu", (unsigned long long)max + 1);
        ADD("5x");
        break;
    case SPECOPT_MIB:
        ADD("64M");
        ADD("1G");
        ADD("1024");
        ADD("63M");
        ADD("5T");
        ADD("1Q");
        break;
    case SPECOPT_SIZES:
    case SPECOPT_LEVELS:
        ADD("1,2");
        ADD("1 2 4");
        ADD("%llu", (unsigned long long)max);
        ADD("%llu", (unsigned long long)max + 1);
        ADD("0");
        ADD("2");
        ADD("x");
        break;
    case SPECOPT_ENUM:
        for (int i = 0; o->choices[i]; i++)
            ADD("%s", o->choices[i]);
        ADD("bogus");
        break;
    case SPECOPT_ENUMS: /* the architectures */
        for (int i = 0; o->choices[i]; i++)
            ADD("%s", o->choices[i]);
        ADD("aarch64,x86_64");
        ADD("x86_64 aarch64");
        ADD("x86_64,bogus");
        ADD(",");
        break;
    case SPECOPT_MODEL:
        ADD("EPYC-Rome");
        ADD("EPYC Rome<x>");
        ADD("%s", "");
        break;
    case SPECOPT_WORKLOAD:
        ADD("noop");
        ADD("foo");
        break;
    case SPECOPT_TOPOLOGY:
        ADD("1:1:2:1");
        ADD("1:1:0:1");
        ADD("1:1:2");
        break;
    case SPECOPT_LABEL:
        ADD("p");
        ADD("%0200d", 0);
        ADD("a\tb");
        break;
    case SPECOPT_STR:
        ADD("x");
        ADD("%s", "");
        break;
    case SPECOPT_PERCENT:
        ADD("5%%");
        ADD("0.5");
        ADD("100");
        ADD("101");
        ADD("-1");
        break;
    case SPECOPT_FRACTION:
        ADD("0.7");
        ADD("1");
        ADD("2");
        ADD("x");
        break;
    default:
        break;
    }
#undef ADD
    return n;
}

static void test_flag_equals_key(void **state)
{
    char cand[16][256];
    (void)state;

    for (size_t i = 0; i < specopt_count; i++) {
        const struct specopt *o = &specopt_table[i];
        size_t n;
        if (!o->key || !o->flag)
            continue;
        n = candidates(o, cand, 16);
        for (size_t c = 0; c < n; c++) {
            struct spec a, b;
            char why_a[256], why_b[256];
            cJSON *js = cJSON_CreateString(cand[c]);
            char *end = NULL;
            double d = strtod(cand[c], &end);

            assert_int_equal(spec_init(&a), 0);
            assert_int_equal(spec_init(&b), 0);
            int ra = specopt_set(&a, o, cand[c], false, why_a, sizeof(why_a));
            int rb = specopt_set_json(&b, o, js, why_b, sizeof(why_b));
            if (ra != rb)
                fail_msg("--%s '%s': flag %d, spec key %d", o->flag, cand[c], ra, rb);
            if (ra < 0) {
                assert_string_equal(why_a, why_b);
            } else {
                char *ta = value_text(&a, o), *tb = value_text(&b, o);
                if (strcmp(ta, tb))
                    fail_msg("--%s '%s': flag gives %s, spec key %s", o->flag, cand[c], ta, tb);
                free(ta);
                free(tb);
            }
            cJSON_Delete(js);
            /* The same digits as a JSON number mean the same. */
            if (end != cand[c] && *end == '\0' && o->type != SPECOPT_STR &&
                o->type != SPECOPT_LABEL && o->type != SPECOPT_MODEL &&
                o->type != SPECOPT_WORKLOAD && o->type != SPECOPT_ENUM &&
                o->type != SPECOPT_ENUMS && o->type != SPECOPT_TOPOLOGY) {
                struct spec c2;
                cJSON *jn = cJSON_CreateNumber(d);
                assert_int_equal(spec_init(&c2), 0);
                int rc = specopt_set_json(&c2, o, jn, why_b, sizeof(why_b));
                if (rc != ra)
                    fail_msg("--%s '%s': flag %d, JSON number %d", o->flag, cand[c], ra, rc);
                if (ra == 0) {
                    char *ta = value_text(&a, o), *tc = value_text(&c2, o);
                    assert_string_equal(ta, tc);
                    free(ta);
                    free(tc);
                }
                cJSON_Delete(jn);
                spec_free(&c2);
            }
            spec_free(&a);
            spec_free(&b);
        }
    }
}

/* Does the agent accept --flag=value (with limits on the other options opened up)? */
static int agent_accepts(const char *flag, const char *value)
{
    char opt[300];
    char *argv[8];
    int argc = 0, rc;
    struct opts o;
    FILE *null = fopen("/dev/null", "w");

    argv[argc++] = "vmsweep-agent";
    argv[argc++] = "--workload=noop";
    argv[argc++] = strcmp(flag, "max-concurrency") ? "--max-concurrency=4096" : "--concurrency=1";
    if (strcmp(flag, "max-duration") != 0)
        argv[argc++] = "--max-duration=86400s";
    /* The other options' checks stay out of the way: a short duration (the timeout
     * given alone must exceed it, the limit given alone must not be below it); the
     * duration alone (a default timeout follows it). */
    if (strcmp(flag, "duration") != 0)
        argv[argc++] = "--duration=100ms";
    snprintf(opt, sizeof(opt), "--%s=%s", flag, value);
    argv[argc++] = opt;
    argv[argc++] = "--dry-run";
    argv[argc] = NULL;
    rc = opts_parse(&o, argc, argv, 4, null);
    opts_free(&o);
    fclose(null);
    return rc;
}

static void test_agent_agrees(void **state)
{
    char cand[16][256];
    (void)state;

    for (size_t i = 0; i < specopt_count; i++) {
        const struct specopt *o = &specopt_table[i];
        size_t n;
        if (!o->agent || o->type == SPECOPT_PAIRS || o->type == SPECOPT_BOOL)
            continue;
        n = candidates(o, cand, 16);
        for (size_t c = 0; c < n; c++) {
            struct spec s;
            char why[256];
            /* --runs auto is the harness's: the agent is given a number (spec_runs). */
            if (o->type == SPECOPT_RUNS && !strcmp(cand[c], "auto"))
                continue;
            assert_int_equal(spec_init(&s), 0);
            int host = specopt_set(&s, o, cand[c], false, why, sizeof(why));
            int agent = agent_accepts(o->agent, cand[c]);
            if (host != agent)
                fail_msg("--%s '%s': vmsweep says %d, the agent %d", o->flag, cand[c], host, agent);
            spec_free(&s);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_flag_equals_key),
        cmocka_unit_test(test_agent_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
