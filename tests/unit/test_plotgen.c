/*
 * Unit tests for plotgen_run (plot/plotgen.c): gnuplot is waited for with a deadline and
 * a cancel hook (a stand-in gnuplot that never ends is killed), and gnuplot.log is a new
 * file renamed into place, so a symbolic link planted at that name is not followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis.h"
#include "cancel.h"
#include "csv.h"
#include "plotgen.h"

#ifndef VMSWEEP_SRCDIR
#define VMSWEEP_SRCDIR "."
#endif

struct fix {
    char dir[64];
    char bin[96];
    char *old_path;
};

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static int fix_setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    const char *path = getenv("PATH");
    if (f == NULL)
        return -1;
    strcpy(f->dir, "/tmp/vmsweep-test-plotgen-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->bin, sizeof f->bin, "%s/bin", f->dir);
    mkdir(f->bin, 0700);
    f->old_path = strdup(path ? path : "/usr/bin:/bin");
    *state = f;
    return 0;
}

static int fix_teardown(void **state)
{
    struct fix *f = *state;
    char cmd[160];
    setenv("PATH", f->old_path, 1);
    plotgen_set_timeout_ms(0);
    cancel_set_hook(NULL);
    /* Only our own mkdtemp folder, by its full name. */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (strncmp(f->dir, "/tmp/vmsweep-test-plotgen-", 26) == 0 && system(cmd) != 0)
        return -1;
    free(f->old_path);
    free(f);
    return 0;
}

/* Put a stand-in gnuplot first on PATH: it sleeps (and leaves a child sleeping too). */
static void fake_gnuplot(struct fix *f)
{
    char path[128], newpath[4096];
    snprintf(path, sizeof path, "%s/gnuplot", f->bin);
    write_file(path, "#!/bin/sh\nsleep 61.25 &\nexec sleep 61.25\n", 0755);
    snprintf(newpath, sizeof newpath, "%s:%s", f->bin, f->old_path);
    setenv("PATH", newpath, 1);
}

static char *run_msg(struct fix *f, int want_rc)
{
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);
    assert_non_null(m);
    assert_int_equal(plotgen_run(f->dir, "x.gp", "", NULL, m), want_rc);
    fclose(m);
    return msg;
}

static void test_deadline(void **state)
{
    struct fix *f = *state;
    char *msg;
    fake_gnuplot(f);
    plotgen_set_timeout_ms(1000);
    msg = run_msg(f, -1);
    assert_non_null(strstr(msg, "did not finish"));
    free(msg);
    /* The whole process group went: no sleeper of ours is left. */
    assert_int_not_equal(system("pgrep -f '^sleep 61.25$' >/dev/null"), 0);
}

static int cancel_now(void)
{
    return 1;
}

static void test_cancel(void **state)
{
    struct fix *f = *state;
    char *msg;
    fake_gnuplot(f);
    cancel_set_hook(cancel_now);
    msg = run_msg(f, -1);
    assert_non_null(strstr(msg, "interrupted"));
    free(msg);
}

static void test_log_symlink(void **state)
{
    struct fix *f = *state;
    char victim[128], link[128], script[128], buf[64] = "";
    struct stat st;
    FILE *v;
    char *msg;

    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        skip();
    snprintf(victim, sizeof victim, "%s/victim", f->dir);
    snprintf(link, sizeof link, "%s/gnuplot.log", f->dir);
    snprintf(script, sizeof script, "%s/x.gp", f->dir);
    write_file(victim, "keep me\n", 0644);
    assert_int_equal(symlink(victim, link), 0);
    /* A warning on stderr, which goes to gnuplot.log. */
    write_file(script, "print undefined_variable_here\n", 0644);
    msg = run_msg(f, -1); /* gnuplot fails on the undefined variable */
    free(msg);
    v = fopen(victim, "r");
    assert_non_null(v);
    assert_non_null(fgets(buf, sizeof buf, v));
    fclose(v);
    assert_string_equal(buf, "keep me\n");
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_true(st.st_size > 0);
}

/* The plot script of a curve with repetitions, a knee, a recommendation and a p99 SLO,
 * against its golden file (VMSWEEP_UPDATE_GOLDEN=1 rewrites it): error bars (min to
 * max), the recommended band, every knee method's mark, the SLO line, the Pareto points'
 * N labels, µs units. */
static void test_script_golden(void **state)
{
    const char *csv = VMSWEEP_SRCDIR "/tests/data/plot/knee5.csv";
    const char *gold = VMSWEEP_SRCDIR "/tests/data/plot/knee5.plots.gp";
    struct csv_table *t = NULL;
    struct analysis *a = NULL;
    char *got = NULL, want[65536] = "";
    size_t len = 0;
    FILE *f;
    (void)state;

    assert_int_equal(csv_read(csv, stderr, &t), 0);
    assert_int_equal(analysis_build(&t, 1, 5000, stderr, &a), 0);
    f = open_memstream(&got, &len);
    assert_int_equal(plotgen_script(f, a, PLOTGEN_PNG), 0);
    fclose(f);
    if (getenv("VMSWEEP_UPDATE_GOLDEN")) {
        FILE *g = fopen(gold, "w");
        assert_non_null(g);
        fputs(got, g);
        fclose(g);
    }
    f = fopen(gold, "r");
    assert_non_null(f);
    want[fread(want, 1, sizeof(want) - 1, f)] = '\0';
    fclose(f);
    assert_string_equal(got, want);
    /* What the golden file must show, whatever it is regenerated to. */
    static const char *const need[] = {
        "with yerrorbars",
        "set object 1 rect",
        "'recommended'",
        "'knee N=8'",
        "latency knee N=",
        "Kneedle N=",
        "p99 SLO 5000 \xc2\xb5s",
        "sprintf('N=%d', $3)",
        "latency (\xc2\xb5s, log)",
    };
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        if (!strstr(got, need[i]))
            fail_msg("the plot script lacks '%s'", need[i]);
    free(got);
    analysis_free(a);
    csv_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deadline, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_cancel, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_log_symlink, fix_setup, fix_teardown),
        cmocka_unit_test(test_script_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
