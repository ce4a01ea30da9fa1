/* Unit tests for guest-agent/opts.c: defaults, every bad input, env fallbacks, flags win. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "opts.h"

static const char *const envs[] = {"WORKLOAD", "CONCURRENCY_LEVELS", "DURATION_SEC", "WARMUP_ITERS",
                                   "RUNS",     "TIMEOUT_SEC",        "OUTPUT_DIR",   "VCPUS",
                                   "PLAN_NAME"};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++)
        unsetenv(envs[i]);
    return 0;
}

/* Parse a NULL-terminated argument list with 4 online CPUs; the message goes to msg. */
static int parse(struct opts *o, char *msg, size_t len, ...)
{
    char *argv[64] = {"vmsweep-agent"};
    int argc = 1, rc;
    va_list ap;
    char *buf = NULL;
    size_t blen = 0;
    FILE *err = open_memstream(&buf, &blen);

    va_start(ap, len);
    for (char *a; (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    rc = opts_parse(o, argc, argv, 4, err);
    fclose(err);
    snprintf(msg, len, "%s", buf ? buf : "");
    free(buf);
    return rc;
}

/* Expect a refusal whose message contains every given fragment. */
#define BAD(frag, ...)                                                                             \
    do {                                                                                           \
        struct opts o_;                                                                            \
        char m_[512];                                                                              \
        assert_int_equal(parse(&o_, m_, sizeof(m_), __VA_ARGS__, (char *)NULL), -1);               \
        if (!strstr(m_, frag))                                                                     \
            fail_msg("message '%s' lacks '%s'", m_, frag);                                         \
        assert_non_null(strstr(m_, "vmsweep-agent: "));                                            \
        assert_ptr_equal(strchr(m_, '\n'), m_ + strlen(m_) - 1); /* one line */                    \
        opts_free(&o_);                                                                            \
    } while (0)

static void test_defaults(void **state)
{
    struct opts o;
    char m[256];
    (void)state;
    assert_int_equal(parse(&o, m, sizeof(m), "--workload", "noop", (char *)NULL), 0);
    assert_string_equal(m, "");
    assert_int_equal(o.action, OPTS_RUN);
    assert_int_equal(o.nlevels, 8);
    assert_true(o.levels[0] == 1 && o.levels[7] == 128);
    assert_true(o.duration_us == 10000000 && o.timeout_us == 60000000);
    assert_true(o.warmup == 100 && o.runs == 1 && o.max_concurrency == 128);
    assert_int_equal(o.cpu_threads, 4);
    assert_string_equal(o.plan, "noop");
    assert_string_equal(o.output_dir, "./perf_results");
    assert_ptr_equal(o.wl, wl_find("noop"));
    opts_free(&o);
    opts_free(NULL);
}

static void test_flags(void **state)
{
    struct opts o;
    char m[256];
    (void)state;
    assert_int_equal(parse(&o, m, sizeof(m), "--workload=sleep", "--concurrency", "1, 3,9",
                           "--duration=500ms", "--warmup", "0", "--runs=3", "--timeout", "2",
                           "--cpu-threads=2", "--plan", "my plan", "--arg", "us=250",
                           "--output-dir", "/tmp/x", "-q", "--max-concurrency=9", (char *)NULL),
                     0);
    assert_int_equal(o.nlevels, 3);
    assert_true(o.levels[2] == 9);
    assert_true(o.duration_us == 500000 && o.timeout_us == 2000000);
    assert_true(o.warmup == 0 && o.runs == 3 && o.cpu_threads == 2 && o.quiet);
    assert_string_equal(o.plan, "my plan");
    assert_string_equal(o.output_dir, "/tmp/x");
    opts_free(&o);
    assert_int_equal(parse(&o, m, sizeof(m), "--workload", "noop", "--duration", "45",
                           "--max-duration", "1m", (char *)NULL),
                     0);
    assert_true(o.duration_us == 45000000 && o.timeout_us > o.duration_us);
    opts_free(&o);
    assert_int_equal(parse(&o, m, sizeof(m), "--version", (char *)NULL), 0);
    assert_int_equal(o.action, OPTS_VERSION);
    opts_free(&o);
    assert_int_equal(parse(&o, m, sizeof(m), "--sysinfo", (char *)NULL), 0);
    assert_int_equal(o.action, OPTS_SYSINFO);
    opts_free(&o);
    assert_int_equal(parse(&o, m, sizeof(m), "-h", (char *)NULL), 0);
    assert_int_equal(o.action, OPTS_HELP);
    opts_free(&o);
    /* more threads than CPUs: with --oversubscribe, or in a dry run for another machine */
    assert_int_equal(parse(&o, m, sizeof(m), "--workload", "noop", "--cpu-threads", "8",
                           "--oversubscribe", (char *)NULL),
                     0);
    assert_int_equal(o.cpu_threads, 8);
    opts_free(&o);
    assert_int_equal(parse(&o, m, sizeof(m), "--workload", "noop", "--cpu-threads", "8",
                           "--dry-run", (char *)NULL),
                     0);
    opts_free(&o);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    BAD("no workload given", "--runs", "1");
    BAD("unknown workload 'nope' in --workload", "--workload", "nope");
    BAD("unknown option '--bogus'", "--workload", "noop", "--bogus");
    BAD("option '--duration' needs a value", "--workload", "noop", "--duration");
    BAD("unexpected argument 'extra'", "--workload", "noop", "extra");
    BAD("invalid --duration '10x'", "--workload", "noop", "--duration", "10x");
    BAD("invalid --duration '31'", "--workload", "noop", "--duration", "31");
    BAD("invalid --duration '0'", "--workload", "noop", "--duration", "0");
    BAD("invalid --max-duration 'x'", "--workload", "noop", "--max-duration", "x");
    BAD("invalid --warmup '-1'", "--workload", "noop", "--warmup", "-1");
    BAD("invalid --runs '0'", "--workload", "noop", "--runs", "0");
    BAD("invalid --runs ''", "--workload", "noop", "--runs=");
    BAD("invalid --timeout '5'", "--workload", "noop", "--timeout", "5");
    BAD("must be longer than the duration", "--workload", "noop", "--timeout", "5");
    BAD("invalid --timeout 'soon'", "--workload", "noop", "--timeout", "soon");
    BAD("invalid --concurrency '1,,x'", "--workload", "noop", "--concurrency", "1,,x");
    BAD("invalid --concurrency '0'", "--workload", "noop", "--concurrency", "0");
    BAD("above the maximum concurrency 128", "--workload", "noop", "--concurrency", "64 256");
    BAD("level 4 is given twice", "--workload", "noop", "--concurrency", "4 4");
    BAD("invalid --max-concurrency '0'", "--workload", "noop", "--max-concurrency", "0");
    BAD("invalid --cpu-threads '8'", "--workload", "noop", "--cpu-threads", "8");
    BAD("--oversubscribe", "--workload", "noop", "--cpu-threads", "8");
    BAD("invalid --cpu-threads '0'", "--workload", "noop", "--cpu-threads", "0");
    BAD("invalid --plan ''", "--workload", "noop", "--plan", "");
    BAD("control characters", "--workload", "noop", "--plan", "a\tb");
    BAD("invalid --output-dir ''", "--workload", "noop", "--output-dir", "");
    BAD("unknown --arg key 'work' for workload 'noop'", "--workload", "noop", "--arg", "work=1");
    BAD("invalid --arg 'novalue': expected KEY=VALUE", "--workload", "cpu", "--arg", "novalue");
    BAD("invalid --arg work='abc'", "--workload", "cpu", "--arg", "work=abc");
    BAD("invalid --arg wss='64Q'", "--workload", "mem", "--arg", "wss=64Q");
    BAD("invalid --arg us='0'", "--workload", "sleep", "--arg", "us=0");
    BAD("workload 'exec' needs --arg cmd", "--workload", "exec");
    BAD("unterminated", "--workload", "exec", "--arg", "cmd=echo 'x");
    BAD("invalid --arg shell='2'", "--workload", "exec", "--arg", "cmd=true", "--arg", "shell=2");
    BAD("workload 'http' needs --arg url", "--workload", "http");
    BAD("invalid --arg url='https://x/'", "--workload", "http", "--arg", "url=https://x/");
    BAD("numeric IP address or localhost", "--workload", "http", "--arg",
        "url=http://example.com/");
    BAD("invalid --arg url='http://1.2.3.4:99999/'", "--workload", "http", "--arg",
        "url=http://1.2.3.4:99999/");
    BAD("workload 'cmd' needs --arg cmd", "--workload", "cmd");
    BAD("unknown --arg key 'x' for workload 'cmd'", "--workload", "cmd", "--arg", "x=1");
}

static void test_env_fallbacks(void **state)
{
    struct opts o;
    char m[256];
    (void)state;
    setenv("WORKLOAD", "cpu", 1);
    setenv("CONCURRENCY_LEVELS", "2,4", 1);
    setenv("DURATION_SEC", "3", 1);
    setenv("WARMUP_ITERS", "7", 1);
    setenv("RUNS", "2", 1);
    setenv("TIMEOUT_SEC", "9", 1);
    setenv("OUTPUT_DIR", "/tmp/envout", 1);
    setenv("VCPUS", "3", 1);
    setenv("PLAN_NAME", "envplan", 1);
    assert_int_equal(parse(&o, m, sizeof(m), (char *)NULL), 0);
    assert_ptr_equal(o.wl, wl_find("cpu"));
    assert_int_equal(o.nlevels, 2);
    assert_true(o.duration_us == 3000000 && o.warmup == 7 && o.runs == 2);
    assert_true(o.timeout_us == 9000000 && o.cpu_threads == 3);
    assert_string_equal(o.output_dir, "/tmp/envout");
    assert_string_equal(o.plan, "envplan");
    opts_free(&o);
    /* flags win */
    assert_int_equal(parse(&o, m, sizeof(m), "--workload", "noop", "--concurrency", "8",
                           "--duration", "1", "--runs", "1", "--plan", "p", "--cpu-threads", "1",
                           (char *)NULL),
                     0);
    assert_ptr_equal(o.wl, wl_find("noop"));
    assert_true(o.nlevels == 1 && o.levels[0] == 8 && o.duration_us == 1000000 && o.runs == 1);
    assert_true(o.cpu_threads == 1 && o.warmup == 7);
    assert_string_equal(o.plan, "p");
    opts_free(&o);
    /* a bad environment value is named by its variable */
    setenv("DURATION_SEC", "ten", 1);
    BAD("invalid DURATION_SEC 'ten'", "--runs", "1");
    /* ... unless a flag overrides it */
    assert_int_equal(parse(&o, m, sizeof(m), "--duration", "2", (char *)NULL), 0);
    opts_free(&o);
    setenv("VCPUS", "99", 1);
    BAD("invalid VCPUS '99'", "--duration", "2");
    clear_env(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_flags, clear_env),
        cmocka_unit_test_setup(test_bad_inputs, clear_env),
        cmocka_unit_test_setup(test_env_fallbacks, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
