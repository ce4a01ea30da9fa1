/*
 * plotcmd — see plotcmd.h.  Order matters for "nothing half-written": all input is read
 * and analysed first; then every text output is rendered in memory; only then is the
 * output directory touched.  gnuplot renders into a private temporary directory inside
 * it, and the plots are renamed into place once gnuplot has succeeded.
 */
#include "plotcmd.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "compareinput.h"
#include "compareslo.h"
#include "diag.h"
#include "openmetrics.h"
#include "htmlreport.h"
#include "kneejson.h"
#include "log.h"
#include "outfile.h"
#include "summary.h"
#include "units.h"

#define PLOTCMD_NO_GNUPLOT "gnuplot not found: install it with 'apt-get install gnuplot-nox'"

/* A memory stream; 0 or -1. */
struct membuf {
    char *data;
    size_t len;
    FILE *f;
};

static int membuf_open(struct membuf *m)
{
    m->data = NULL;
    m->len = 0;
    m->f = open_memstream(&m->data, &m->len);
    return m->f ? 0 : -1;
}

/* Close the stream; -1 when a write failed. */
static int membuf_close(struct membuf *m)
{
    int bad;
    if (!m->f)
        return -1;
    bad = ferror(m->f);
    if (fclose(m->f) != 0)
        bad = 1;
    m->f = NULL;
    return bad ? -1 : 0;
}

static void membuf_free(struct membuf *m)
{
    if (m->f)
        fclose(m->f);
    m->f = NULL;
    free(m->data);
    m->data = NULL;
}

/*
 * Write len bytes of data to the terminal made safe as log_escape does: plan names and
 * file names come from the CSV and may hold C1 controls or bytes that are not UTF-8 (the
 * files on disk keep them as they are).  -1 when out of memory (reported).
 */
static int terminal_write(FILE *terminal, const char *data, size_t len)
{
    char *safe = log_escape(data, len, true);

    if (!safe)
        return -1;
    fputs(safe, terminal);
    free(safe);
    return 0;
}

/* Render plots into dir with gnuplot; the names rendered are returned in *n_done. */
static int render_plots(const char *dir, const struct analysis *a, const struct plot_opts *o,
                        const char *term_script, size_t term_len, struct membuf *chart,
                        size_t *n_done, FILE *diag)
{
    const char *names[PLOTGEN_MAX_OUTPUTS];
    size_t n = plotgen_outputs(a, o->format, names), moved = 0;
    char *tmpdir = NULL, *tmpname = NULL;
    int ret = -1;

    if (asprintf(&tmpdir, "%s/.vmsweep-plot.XXXXXX", dir) < 0) {
        tmpdir = NULL;
        goto cleanup;
    }
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "vmsweep plot: cannot create a temporary directory in '%s': %s\n", dir,
                strerror(errno));
        free(tmpdir);
        tmpdir = NULL;
        goto cleanup;
    }
    tmpname = strrchr(tmpdir, '/') + 1;
    {
        char *prefix = NULL;
        int rc;
        if (asprintf(&prefix, "%s/", tmpname) < 0)
            goto cleanup;
        rc = plotgen_run(dir, PLOTGEN_SCRIPT, prefix, NULL, diag);
        free(prefix);
        if (rc < 0)
            goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        char *from = NULL, *to = NULL;
        int rc = -1;
        if (asprintf(&from, "%s/%s", tmpdir, names[i]) >= 0 &&
            asprintf(&to, "%s/%s", dir, names[i]) >= 0) {
            rc = rename(from, to);
            if (rc < 0)
                fprintf(stderr, "vmsweep plot: gnuplot did not write '%s': %s\n", names[i],
                        strerror(errno));
        }
        free(from);
        free(to);
        if (rc < 0)
            goto cleanup;
        moved++;
    }
    if (chart && !o->quiet) {
        if (outfile_write(tmpdir, "terminal.gp", term_script, term_len, diag) < 0)
            goto cleanup;
        if (plotgen_run(tmpdir, "terminal.gp", NULL, chart->f, diag) < 0)
            goto cleanup;
    }
    *n_done = moved;
    ret = 0;
cleanup:
    if (tmpdir) {
        /* Whatever gnuplot left behind (e.g. after a failure) goes with the directory. */
        static const char *leftovers[] = {
            "terminal.gp", "qps_vs_concurrency.png", "latency_vs_concurrency.png", "qps_vs_p99.png",
            "scaling.png", "qps_vs_concurrency.svg", "latency_vs_concurrency.svg", "qps_vs_p99.svg",
            "scaling.svg"};
        for (size_t i = 0; i < sizeof leftovers / sizeof *leftovers; i++) {
            char *p = NULL;
            if (asprintf(&p, "%s/%s", tmpdir, leftovers[i]) >= 0)
                unlink(p);
            free(p);
        }
        rmdir(tmpdir);
        free(tmpdir);
    }
    return ret;
}

/* `plot --json`: the knees (knee.json's document), the sizing (sizing.json's) and the
 * files written, one line. */
static int print_json(FILE *f, const char *dir, const char *kjson, const char *zjson,
                      const char *const *plots, size_t n_plots)
{
    static const char *const always[] = {"knee_summary.txt", "knee.json",    "scaling.json",
                                         "sizing.json",      "metrics.prom", PLOTGEN_SCRIPT,
                                         "report.html"};
    cJSON *o = cJSON_CreateObject(), *files;
    char *text = NULL;
    int ret = -1;

    if (!o)
        return -1;
    cJSON_AddNumberToObject(o, "schema_version", PLOTCMD_JSON_SCHEMA);
    cJSON_AddStringToObject(o, "command", "plot");
    cJSON_AddStringToObject(o, "dir", dir);
    files = cJSON_AddArrayToObject(o, "files");
    for (size_t i = 0; files && i < sizeof(always) / sizeof(always[0]); i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(always[i]));
    for (size_t i = 0; files && i < n_plots; i++)
        cJSON_AddItemToArray(files, cJSON_CreateString(plots[i]));
    cJSON_AddItemToObject(o, "knees", cJSON_Parse(kjson));
    cJSON_AddItemToObject(o, "sizing", cJSON_Parse(zjson));
    text = cJSON_PrintUnformatted(o);
    if (text && fprintf(f, "%s\n", text) >= 0 && fflush(f) == 0)
        ret = 0;
    free(text);
    cJSON_Delete(o);
    return ret;
}

/*
 * Right-sizing (sizing.h) when it has something to say: a target or prices were given, or
 * a plan was swept on several VM sizes.  The guest memory of each size, for a price per
 * GiB, comes from the run's manifest.  0, or -1 (OOM).
 */
static int size_them(struct analysis *a, const struct sizing_opts *given)
{
    struct sizing_opts o = *given;
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a->manifest, "spec"),
                                         "vm"),
        "memory");
    bool want = o.target_qps > 0 || o.cost_per_vcpu > 0 || o.cost_per_gib > 0 || o.n_gates;

    for (size_t i = 1; i < a->n_groups; i++)
        want |= !strcmp(a->groups[i].plan, a->groups[i - 1].plan);
    if (!want)
        return 0;
    if (o.memory_gib <= 0 && cJSON_IsNumber(mem) && mem->valuedouble > 0)
        o.memory_gib = mem->valuedouble / 1024;
    return sizing_build(a, &o, &a->sizing);
}

int plotcmd_analyse(const char *const *csvs, size_t n, const struct plot_opts *o, FILE *terminal)
{
    struct analysis *a = NULL;
    struct membuf sum = {0}, gp = {0}, term = {0}, html = {0}, chart = {0}, om = {0};
    char *kjson = NULL, *sjson = NULL, *zjson = NULL, *dircopy = NULL;
    const char *dir = o->output_dir, *plots[PLOTGEN_MAX_OUTPUTS];
    size_t n_plots = 0;
    int ret = PLOTCMD_EXIT_USAGE, have_gp, plots_failed = 0;
    FILE *diag;

    if (n == 0) {
        fprintf(stderr, "vmsweep plot: no CSV file given\n");
        return PLOTCMD_EXIT_USAGE;
    }
    /* The messages of the modules below say who speaks, as this command's own do. */
    diag = diag_open("vmsweep plot: ");
    if (analysis_load(csvs, n, o->slo_p99_us, diag, &a) < 0)
        goto cleanup;
    /* The run's manifest (beside the CSV or one up) says how the guest ran. */
    a->accel = compareinput_csv_fact(csvs[0], COMPAREINPUT_ACCEL);
    a->manifest = compareinput_csv_manifest(csvs[0]);
    ret = PLOTCMD_EXIT_FAILURE;
    if (analysis_note_manifest(a) < 0 || size_them(a, &o->sizing) < 0)
        goto oom;
    if (!dir) {
        dircopy = strdup(csvs[0]);
        if (!dircopy)
            goto oom;
        dir = dirname(dircopy);
    }
    if (membuf_open(&sum) < 0 || summary_write(sum.f, a) < 0 || membuf_close(&sum) < 0 ||
        membuf_open(&gp) < 0 || plotgen_script(gp.f, a, o->format) < 0 || membuf_close(&gp) < 0 ||
        membuf_open(&term) < 0 || plotgen_terminal_script(term.f, a) < 0 ||
        membuf_close(&term) < 0 || membuf_open(&om) < 0 || openmetrics_write(om.f, a) < 0 ||
        membuf_close(&om) < 0 || kneejson_render(a, &kjson) < 0 ||
        kneejson_render_scaling(a, &sjson) < 0 || kneejson_render_sizing(a, &zjson) < 0)
        goto oom;

    if (outfile_mkdir(dir, diag) < 0 ||
        outfile_write(dir, "knee_summary.txt", sum.data, sum.len, diag) < 0 ||
        outfile_write(dir, "knee.json", kjson, strlen(kjson), diag) < 0 ||
        outfile_write(dir, "scaling.json", sjson, strlen(sjson), diag) < 0 ||
        outfile_write(dir, "sizing.json", zjson, strlen(zjson), diag) < 0 ||
        outfile_write(dir, "metrics.prom", om.data, om.len, diag) < 0 ||
        outfile_write(dir, PLOTGEN_SCRIPT, gp.data, gp.len, diag) < 0)
        goto cleanup;

    have_gp = plotgen_have_gnuplot();
    if (!have_gp) {
        fprintf(stderr, "vmsweep plot: %s; the numbers are written, the plots are not\n",
                PLOTCMD_NO_GNUPLOT);
    } else {
        if (membuf_open(&chart) < 0)
            goto oom;
        if (render_plots(dir, a, o, term.data, term.len, &chart, &n_plots, diag) < 0) {
            plots_failed = 1;
            n_plots = 0;
        }
        if (membuf_close(&chart) < 0)
            goto oom;
    }
    plotgen_outputs(a, o->format, plots);
    if (membuf_open(&html) < 0)
        goto oom;
    if (htmlreport_write(html.f, a, dir, o->format, plots, n_plots,
                         !have_gp ? PLOTCMD_NO_GNUPLOT
                                  : (plots_failed ? "gnuplot failed (see its messages)" : NULL),
                         diag) < 0 ||
        membuf_close(&html) < 0)
        goto cleanup;
    if (outfile_write(dir, "report.html", html.data, html.len, diag) < 0)
        goto cleanup;

    if (o->json && terminal && print_json(terminal, dir, kjson, zjson, plots, n_plots) < 0)
        goto oom;
    if (!o->quiet && !o->json && terminal) {
        char *line = NULL;
        int ok;
        if (asprintf(&line, "vmsweep plot: results in %s/ (knee_summary.txt, knee.json, %s)\n", dir,
                     n_plots ? "plots, report.html" : "report.html; no plots") < 0)
            goto oom;
        ok = terminal_write(terminal, sum.data, sum.len) == 0 &&
             (!chart.data || terminal_write(terminal, chart.data, chart.len) == 0) &&
             terminal_write(terminal, line, strlen(line)) == 0;
        free(line);
        if (!ok)
            goto cleanup;
        fflush(terminal);
    }
    ret = plots_failed ? PLOTCMD_EXIT_FAILURE : PLOTCMD_EXIT_OK;
    goto cleanup;
oom:
    fprintf(stderr, "vmsweep plot: out of memory while writing the results\n");
cleanup:
    membuf_free(&sum);
    membuf_free(&gp);
    membuf_free(&term);
    membuf_free(&html);
    membuf_free(&chart);
    membuf_free(&om);
    free(kjson);
    free(sjson);
    free(zjson);
    free(dircopy);
    analysis_free(a);
    diag_close(diag);
    return ret;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vmsweep plot CSV... [--output-dir DIR] [--format png|svg] [--slo-p99 US]\n"
            "       [--slo GATE] [--target-qps Q] [--headroom PCT] [--cost-per-vcpu P]\n"
            "       [--cost-per-gib P] [-q]\n"
            "Find the saturation knee of each plan and VM size in sweep CSVs, and plot it.\n"
            "  -o, --output-dir DIR  where to write results (default: the first CSV's directory)\n"
            "  -f, --format FMT      plot format, png (default) or svg\n"
            "  -s, --slo-p99 US      cap the recommendation at this p99 latency (us, or with a\n"
            "                        unit: 5ms)\n"
            "  --slo GATE            a limit of the SLO for right-sizing, e.g. p50_us<=1000\n"
            "                        (repeatable; gates with @N are ignored here)\n"
            "  --target-qps Q        say which VM size serves Q qps within the SLO with headroom\n"
            "                        (e.g. 20k; sizing.json, the summary, report.html)\n"
            "  --headroom PCT        share of a size's capacity kept free (default 30)\n"
            "  --cost-per-vcpu P     price of one vCPU: rank sizes by cost per capacity\n"
            "  --cost-per-gib P      price of one GiB of guest memory (from the run's manifest)\n"
            "  -q, --quiet           do not print the summary and the terminal chart\n"
            "  --json                print one JSON document on stdout instead (the knees,\n"
            "                        the files written; docs/json.md)\n"
            "  -h, --help            this help\n"
            "Writes knee_summary.txt, knee.json, scaling.json, sizing.json, metrics.prom\n"
            "(OpenMetrics), plots.gp,\n"
            "the plots and "
            "report.html.\n");
}

/* The numeric options of right-sizing: flag, range and scale. */
static const struct {
    int c;
    const char *flag;
    double max, scale;
} plot_numbers[] = {
    {'T', "--target-qps", 1e12, 1},
    {'H', "--headroom", SIZING_HEADROOM_MAX * 100, 0.01},
    {'C', "--cost-per-vcpu", 1e9, 1},
    {'G', "--cost-per-gib", 1e9, 1},
};

static double *number_field(struct plot_opts *o, int c)
{
    switch (c) {
    case 'T':
        return &o->sizing.target_qps;
    case 'H':
        return &o->sizing.headroom;
    case 'C':
        return &o->sizing.cost_per_vcpu;
    default:
        return &o->sizing.cost_per_gib;
    }
}

static int set_number(struct plot_opts *o, int c, const char *text)
{
    for (size_t i = 0; i < sizeof(plot_numbers) / sizeof(plot_numbers[0]); i++) {
        double d;
        if (plot_numbers[i].c != c)
            continue;
        if (units_parse_number(text, 0, plot_numbers[i].max, &d) != 0) {
            fprintf(stderr,
                    "vmsweep plot: invalid value '%s' for %s: expected a number 0..%g (20k and "
                    "1.5M accepted)\n",
                    text, plot_numbers[i].flag, plot_numbers[i].max);
            return -1;
        }
        *number_field(o, c) = d * plot_numbers[i].scale;
        return 0;
    }
    return -1;
}

int plotcmd_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output-dir", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"slo-p99", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"target-qps", required_argument, NULL, 'T'},
        {"slo", required_argument, NULL, 'S'},
        {"headroom", required_argument, NULL, 'H'},
        {"cost-per-vcpu", required_argument, NULL, 'C'},
        {"cost-per-gib", required_argument, NULL, 'G'},
        {NULL, 0, NULL, 0},
    };
    struct compareslo_gate gates[SIZING_MAX_LIMITS];
    struct plot_opts o = {.format = PLOTGEN_PNG,
                          .sizing = {.headroom = -1, .max_error_rate = -1, .gates = gates}};
    uint64_t us;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:f:s:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!*optarg) {
                fprintf(stderr, "vmsweep plot: --output-dir needs a directory\n");
                return PLOTCMD_EXIT_USAGE;
            }
            o.output_dir = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "png") == 0) {
                o.format = PLOTGEN_PNG;
            } else if (strcmp(optarg, "svg") == 0) {
                o.format = PLOTGEN_SVG;
            } else {
                fprintf(stderr, "vmsweep plot: unknown format '%s' for --format (png or svg)\n",
                        optarg);
                return PLOTCMD_EXIT_USAGE;
            }
            break;
        case 's':
            if (units_parse_duration(optarg, 1, 1, 3600 * UNITS_US_PER_SEC, &us) != 0) {
                fprintf(stderr,
                        "vmsweep plot: invalid value '%s' for --slo-p99: expected a latency in "
                        "microseconds (or with a unit, e.g. 5ms) between 1us and 1h\n",
                        optarg);
                return PLOTCMD_EXIT_USAGE;
            }
            o.slo_p99_us = (double)us;
            break;
        case 'T':
        case 'H':
        case 'C':
        case 'G':
            if (set_number(&o, c, optarg) < 0)
                return PLOTCMD_EXIT_USAGE;
            break;
        case 'S':
            if (o.sizing.n_gates == SIZING_MAX_LIMITS) {
                fprintf(stderr, "vmsweep plot: at most %d --slo gates\n", SIZING_MAX_LIMITS);
                return PLOTCMD_EXIT_USAGE;
            }
            if (compareslo_parse(optarg, stderr, &gates[o.sizing.n_gates]) < 0)
                return PLOTCMD_EXIT_USAGE;
            o.sizing.n_gates++;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'h':
            usage(stdout);
            return PLOTCMD_EXIT_OK;
        default:
            if (optopt && strchr("ofsTHCGS", optopt))
                fprintf(stderr, "vmsweep plot: option '%s' needs a value\n", argv[optind - 1]);
            else
                fprintf(stderr, "vmsweep plot: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return PLOTCMD_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vmsweep plot: no CSV file given\n");
        usage(stderr);
        return PLOTCMD_EXIT_USAGE;
    }
    return plotcmd_analyse((const char *const *)(argv + optind), (size_t)(argc - optind), &o,
                           stdout);
}
