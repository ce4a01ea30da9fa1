/*
 * Unit tests for `vmsweep plot` on hostile input (plot/): strings from a CSV cannot run
 * commands through gnuplot or mark up report.html or reach the terminal raw; outputs are
 * never written through a planted link; huge inputs (hundreds of thousands of levels or VM
 * sizes) finish in seconds, with no step quadratic; and the cancel hook stops the
 * analysis and gnuplot.  Everything happens in a mkdtemp directory under /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis.h"
#include "cancel.h"
#include "csv.h"
#include "plotcmd.h"
#include "plotgen.h"
#include "stats.h"

#define TMP_PREFIX "/tmp/vmsweep-test-plotsafe-"

/* C1 CSI (U+009B, bytes c2 9b) and a byte that is not UTF-8 (ff), in octal. */
#define EVIL_PLAN "evil\302\23331m\377"

struct fix {
    char dir[64];
};

static int fix_setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    strcpy(f->dir, TMP_PREFIX "XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int fix_teardown(void **state)
{
    struct fix *f = *state;
    int rc = 0;
    cancel_set_hook(NULL);
    plotgen_set_timeout_ms(0);
    /* Only our own mkdtemp directory, checked by name; links are removed, not followed. */
    if (strncmp(f->dir, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 && strlen(f->dir) > strlen(TMP_PREFIX))
        rc = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc;
}

static int have_gnuplot(void)
{
    return plotgen_have_gnuplot();
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    assert_non_null(f);
    assert_non_null(m);
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(f);
    fclose(m);
    return buf;
}

static int exists(const char *dir, const char *name)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

/* Three levels of plan (CSV-quoted already) at vcpus. */
static void csv_plan(FILE *f, const char *quoted_plan, int vcpus)
{
    for (int c = 1; c <= 4; c *= 2)
        fprintf(f, "%s,%d,%d,%d,10,20,%d\n", quoted_plan, vcpus, c, c < 4 ? 100 * c : 210, 30 * c);
}

/*
 * Plan names that try every way out of a gnuplot string: a single quote, a double quote,
 * backquotes (command substitution), `system(...)`, and HTML.  Nothing runs, the plots still
 * render, report.html shows the names escaped.
 */
static void test_injection(void **state)
{
    struct fix *f = *state;
    char csv[128], out[128], path[160], plan[3][256], *html, *gp;
    const char *csvs[1] = {csv};
    struct plot_opts o = {.format = PLOTGEN_SVG, .quiet = 1};
    FILE *c;

    snprintf(csv, sizeof csv, "%s/sweep.csv", f->dir);
    snprintf(out, sizeof out, "%s/out", f->dir);
    /* CSV quoting: "" is one double quote. */
    snprintf(plan[0], sizeof plan[0], "\"a'; system(\"\"touch %s/X\"\"); print '\"", f->dir);
    snprintf(plan[1], sizeof plan[1], "\"b\"\"; system(\"\"touch %s/Y\"\") #`touch %s/Z`\"", f->dir,
             f->dir);
    snprintf(plan[2], sizeof plan[2], "<script>alert(1)</script>");
    c = fopen(csv, "w");
    assert_non_null(c);
    fputs("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n", c);
    for (int i = 0; i < 3; i++) {
        csv_plan(c, plan[i], 1);
        csv_plan(c, plan[i], 2); /* two sizes: the scaling plot has titles from plans too */
    }
    assert_int_equal(fclose(c), 0);
    o.output_dir = out;

    assert_int_equal(plotcmd_analyse(csvs, 1, &o, NULL), PLOTCMD_EXIT_OK);
    assert_false(exists(f->dir, "X"));
    assert_false(exists(f->dir, "Y"));
    assert_false(exists(f->dir, "Z"));
    assert_false(exists(out, "X"));
    if (have_gnuplot()) {
        struct stat st;
        snprintf(path, sizeof path, "%s/qps_vs_concurrency.svg", out);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > 0);
        assert_true(exists(out, "scaling.svg"));
    }
    snprintf(path, sizeof path, "%s/report.html", out);
    html = read_text(path);
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, "b&quot;; system(&quot;touch"));
    free(html);
    /* In plots.gp a plan is one single-quoted string with its quote doubled. */
    snprintf(path, sizeof path, "%s/plots.gp", out);
    gp = read_text(path);
    assert_non_null(strstr(gp, "title 'a''; system(\"touch "));
    free(gp);
}

/* A table of n rows in memory (bypassing csv.c's checks: plotgen must be safe on its own). */
static struct csv_table *table_new(size_t n)
{
    struct csv_table *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->name = strdup("mem.csv");
    t->rows = calloc(n ? n : 1, sizeof(*t->rows));
    assert_non_null(t->name);
    assert_non_null(t->rows);
    t->n = n;
    for (size_t i = 0; i < n; i++) {
        struct csv_row *r = &t->rows[i];
        csv_row_clear(r);
        r->vcpus = 1;
        r->concurrency = 1;
        r->qps = 100;
        r->p50_us = 10;
        r->p90_us = 20;
        r->p99_us = 30;
        r->line = i + 2;
    }
    return t;
}

/*
 * Line breaks in a label would end the string and start a command (`!cmd` runs a shell):
 * plotgen drops control bytes, so even a plan csv.c would have refused stays one string.
 * The output prefix given to gnuplot -e is quoted the same way.
 */
static void test_line_breaks_and_prefix(void **state)
{
    struct fix *f = *state;
    struct csv_table *t = table_new(3);
    struct analysis *a = NULL;
    char path[160], *msg = NULL;
    size_t len = 0;
    FILE *gp, *m;

    for (size_t i = 0; i < 3; i++) {
        snprintf(t->rows[i].plan, CSV_PLAN_MAX, "n\n!touch %s/W\r\nprint 'x", f->dir);
        t->rows[i].concurrency = 1u << i;
    }
    assert_int_equal(analysis_build(&t, 1, 0, stderr, &a), 0);
    snprintf(path, sizeof path, "%s/%s", f->dir, PLOTGEN_SCRIPT);
    gp = fopen(path, "w");
    assert_non_null(gp);
    assert_int_equal(plotgen_script(gp, a, PLOTGEN_SVG), 0);
    assert_int_equal(fclose(gp), 0);
    if (have_gnuplot()) {
        m = open_memstream(&msg, &len);
        assert_non_null(m);
        assert_int_equal(plotgen_run(f->dir, PLOTGEN_SCRIPT, "", NULL, m), 0);
        fclose(m);
        free(msg);
        assert_false(exists(f->dir, "W"));
        assert_true(exists(f->dir, "qps_vs_concurrency.svg"));

        /* A prefix that tries to close its quote and run a command. */
        snprintf(path, sizeof path, "%s/p.gp", f->dir);
        write_text(path, "print outprefix\n");
        snprintf(path, sizeof path, "x'; system('touch %s/V'); y='", f->dir);
        assert_int_equal(plotgen_run(f->dir, "p.gp", path, NULL, stderr), 0);
        assert_false(exists(f->dir, "V"));
    }
    analysis_free(a);
    csv_free(t);
}

/*
 * The terminal gets the summary escaped: C1 controls (0x9b is CSI on many terminals) and
 * bytes that are not UTF-8 in a plan name are shown as \xNN; knee_summary.txt keeps them.
 */
static void test_terminal_escaped(void **state)
{
    struct fix *f = *state;
    char csv[128], out[128], path[160], *term = NULL, *sum;
    const char *csvs[1] = {csv};
    struct plot_opts o = {.format = PLOTGEN_SVG};
    size_t len = 0;
    FILE *c, *t;

    snprintf(csv, sizeof csv, "%s/sweep.csv", f->dir);
    snprintf(out, sizeof out, "%s/out", f->dir);
    c = fopen(csv, "w");
    assert_non_null(c);
    fputs("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n", c);
    csv_plan(c, EVIL_PLAN, 1);
    assert_int_equal(fclose(c), 0);
    o.output_dir = out;
    t = open_memstream(&term, &len);
    assert_non_null(t);
    assert_int_equal(plotcmd_analyse(csvs, 1, &o, t), PLOTCMD_EXIT_OK);
    fclose(t);
    assert_non_null(strstr(term, "plan 'evil\\xc2\\x9b31m\\xff' on 1 vCPU"));
    assert_null(strstr(term, "\xc2\x9b"));
    assert_null(strchr(term, '\xff'));
    free(term);
    snprintf(path, sizeof path, "%s/knee_summary.txt", out);
    sum = read_text(path);
    assert_non_null(strstr(sum, "plan '" EVIL_PLAN "'"));
    free(sum);
}

/* Outputs replace a symbolic link planted at their name; the link's target is untouched. */
static void test_output_links(void **state)
{
    struct fix *f = *state;
    static const char *const names[] = {"knee_summary.txt", "knee.json", "report.html", "plots.gp",
                                        "gnuplot.log"};
    char csv[128], out[128], victim[160], link[192], *text;
    const char *csvs[1] = {csv};
    struct plot_opts o = {.format = PLOTGEN_SVG, .quiet = 1};
    FILE *c;

    snprintf(csv, sizeof csv, "%s/sweep.csv", f->dir);
    snprintf(out, sizeof out, "%s/out", f->dir);
    snprintf(victim, sizeof victim, "%s/victim", f->dir);
    c = fopen(csv, "w");
    assert_non_null(c);
    fputs("plan,vcpus,concurrency,qps,p50_us,p90_us,p99_us\n", c);
    csv_plan(c, "cpu", 1);
    assert_int_equal(fclose(c), 0);
    write_text(victim, "keep me\n");
    assert_int_equal(mkdir(out, 0755), 0);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(link, sizeof link, "%s/%s", out, names[i]);
        assert_int_equal(symlink(victim, link), 0);
    }
    o.output_dir = out;
    assert_int_equal(plotcmd_analyse(csvs, 1, &o, NULL), PLOTCMD_EXIT_OK);
    text = read_text(victim);
    assert_string_equal(text, "keep me\n");
    free(text);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        struct stat st;
        snprintf(link, sizeof link, "%s/%s", out, names[i]);
        if (strcmp(names[i], "gnuplot.log") == 0 && !have_gnuplot())
            continue;
        assert_int_equal(lstat(link, &st), 0);
        assert_true(S_ISREG(st.st_mode));
    }
}

/* A FILE that discards what is written but keeps the "set xtics (" line of a script. */
struct xtics_sink {
    const char *want;
    size_t matched; /* bytes of want matched so far */
    int in_line;    /* copying the tics line */
    char *line;
    size_t len, cap;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    struct xtics_sink *s = cookie;
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (s->in_line) {
            if (c == '\n') {
                s->in_line = 0;
                continue;
            }
            if (s->len + 2 > s->cap) {
                s->cap = s->cap ? s->cap * 2 : 4096;
                s->line = realloc(s->line, s->cap);
                assert_non_null(s->line);
            }
            s->line[s->len++] = c;
            s->line[s->len] = '\0';
            continue;
        }
        s->matched = c == s->want[s->matched] ? s->matched + 1 : (c == s->want[0]);
        if (s->want[s->matched] == '\0') {
            s->in_line = !s->line; /* the first such line only */
            s->matched = 0;
        }
    }
    return (ssize_t)n;
}

/*
 * 300000 VM sizes of one plan: the scaling plot's x tics are the distinct sizes, sorted and
 * deduplicated (checking each against all before it took minutes).
 */
static void test_many_vm_sizes(void **state)
{
    const size_t n = 300000;
    struct csv_table *t = table_new(n + 1);
    struct analysis *a = NULL;
    struct xtics_sink sink = {.want = "\nset xtics ("};
    cookie_io_functions_t io = {.write = sink_write};
    char tail[32];
    FILE *f;
    (void)state;
    for (size_t i = 0; i < n; i++) {
        strcpy(t->rows[i].plan, "p");
        t->rows[i].vcpus = n - i; /* descending in the file */
    }
    strcpy(t->rows[n].plan, "q"); /* a second plan on an existing size */
    t->rows[n].vcpus = 2;
    assert_int_equal(analysis_build(&t, 1, 0, stderr, &a), 0);
    assert_int_equal(a->n_groups, n + 1);
    f = fopencookie(&sink, "w", io);
    assert_non_null(f);
    assert_int_equal(plotgen_script(f, a, PLOTGEN_PNG), 0);
    fclose(f);
    assert_non_null(sink.line);
    assert_int_equal(strncmp(sink.line, "1, 2, 3, 4, ", 12), 0);
    snprintf(tail, sizeof tail, ", %zu, %zu)", n - 1, n);
    assert_string_equal(sink.line + strlen(sink.line) - strlen(tail), tail);
    free(sink.line);
    analysis_free(a);
    csv_free(t);
}

/*
 * 200000 distinct concurrency levels on one curve: analysed and scripted in seconds, with
 * the right answer; a Little's-law failure on every row gives at most
 * ANALYSIS_MAX_WARNINGS warnings, the last saying that more were left out.
 */
static void test_many_levels(void **state)
{
    const size_t n = 200000;
    struct csv_table *t = table_new(n);
    struct analysis *a = NULL;
    const struct analysis_group *g;
    FILE *devnull;
    (void)state;
    for (size_t i = 0; i < n; i++) {
        struct csv_row *r = &t->rows[i];
        strcpy(r->plan, "p");
        r->concurrency = n - i; /* descending in the file */
        r->qps = (double)(r->concurrency < 1000 ? r->concurrency : 1000);
        r->mean_us = 1; /* qps x mean is nowhere near N */
    }
    assert_int_equal(analysis_build(&t, 1, 0, stderr, &a), 0);
    assert_int_equal(a->n_groups, 1);
    g = &a->groups[0];
    assert_int_equal(g->n_levels, n);
    assert_int_equal(g->levels[0].concurrency, 1);
    assert_int_equal(g->levels[n - 1].concurrency, n);
    assert_true(g->max_qps == 1000);
    assert_int_equal(g->max_qps_at, 1000);
    /* >= 90% of the top and doubling buys < 10%: 1000 / 910 - 1 = 9.9% */
    assert_int_equal(g->knee, 910);
    assert_int_equal(g->n_warnings, ANALYSIS_MAX_WARNINGS);
    assert_string_equal(g->warnings[ANALYSIS_MAX_WARNINGS - 1],
                        "more warnings for this curve are left out");
    devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    assert_int_equal(plotgen_script(devnull, a, PLOTGEN_PNG), 0);
    fclose(devnull);
    analysis_free(a);
    csv_free(t);
}

/* stats_kth_inplace agrees with sorting, duplicates included. */
static int dbl_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void test_kth(void **state)
{
    double x[257], s[257];
    unsigned seed = 7;
    (void)state;
    for (size_t n = 1; n <= 257; n += 8) {
        for (size_t i = 0; i < n; i++)
            s[i] = (double)(rand_r(&seed) % 17);
        qsort(s, n, sizeof(*s), dbl_cmp);
        for (size_t k = 0; k < n; k++) {
            /* A fresh shuffle (Fisher-Yates) for every k. */
            memcpy(x, s, n * sizeof(*x));
            for (size_t i = n - 1; i > 0; i--) {
                size_t j = (size_t)rand_r(&seed) % (i + 1);
                double tmp = x[i];
                x[i] = x[j];
                x[j] = tmp;
            }
            assert_true(stats_kth_inplace(x, n, k) == s[k]);
        }
    }
}

static int stop_now(void)
{
    return 1;
}

/* The cancel hook (what `vmsweep run` wires to Ctrl-C) stops the analysis, and gnuplot. */
static void test_cancel(void **state)
{
    struct fix *f = *state;
    struct csv_table *t = table_new(4);
    struct analysis *a = NULL;
    char *msg = NULL, bin[128], path[160], newpath[4096], *old_path;
    const char *p = getenv("PATH");
    size_t len = 0;
    FILE *m = open_memstream(&msg, &len);

    assert_non_null(m);
    for (size_t i = 0; i < 4; i++) {
        strcpy(t->rows[i].plan, "p");
        t->rows[i].concurrency = i + 1;
    }
    cancel_set_hook(stop_now);
    assert_int_equal(analysis_build(&t, 1, 0, m, &a), -1);
    fclose(m);
    assert_null(a);
    assert_string_equal(msg, "vmsweep plot: interrupted during the analysis\n");
    free(msg);

    /* A stand-in gnuplot that would sleep for a minute is stopped at once. */
    old_path = strdup(p ? p : "/usr/bin:/bin");
    assert_non_null(old_path);
    snprintf(bin, sizeof bin, "%s/bin", f->dir);
    assert_int_equal(mkdir(bin, 0700), 0);
    snprintf(path, sizeof path, "%s/gnuplot", bin);
    write_text(path, "#!/bin/sh\nexec sleep 60\n");
    assert_int_equal(chmod(path, 0755), 0);
    snprintf(newpath, sizeof newpath, "%s:%s", bin, old_path);
    setenv("PATH", newpath, 1);
    msg = NULL;
    m = open_memstream(&msg, &len);
    assert_non_null(m);
    assert_int_equal(plotgen_run(f->dir, "x.gp", NULL, NULL, m), -1);
    fclose(m);
    setenv("PATH", old_path, 1);
    free(old_path);
    assert_non_null(strstr(msg, "interrupted"));
    free(msg);

    cancel_set_hook(NULL);
    assert_int_equal(analysis_build(&t, 1, 0, stderr, &a), 0);
    analysis_free(a);
    csv_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_injection, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_line_breaks_and_prefix, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_terminal_escaped, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_output_links, fix_setup, fix_teardown),
        cmocka_unit_test(test_many_vm_sizes),
        cmocka_unit_test(test_many_levels),
        cmocka_unit_test(test_kth),
        cmocka_unit_test_setup_teardown(test_cancel, fix_setup, fix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
