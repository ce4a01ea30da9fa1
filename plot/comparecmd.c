/*
 * comparecmd — see comparecmd.h.  Order matters for "nothing written on bad input": every
 * input is read and checked, the comparison is made and every output is rendered in
 * memory before the first file is replaced (atomically, outfile.h).
 */
#include "comparecmd.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compareinput.h"
#include "diag.h"
#include "comparejunit.h"
#include "comparereport.h"
#include "compareslo.h"
#include "comparesim.h"
#include "log.h"
#include "outfile.h"

#define COMPARECMD_MAX_SLOS 64

static const char comparecmd_usage[] =
    "usage: vmsweep compare BASE CURRENT [options]\n"
    "       vmsweep compare --power [--threshold PCT] [--alpha A] [--trials N]\n"
    "\n"
    "Compare two sweeps (CSV files or run directories) level by level and curve by curve, and\n"
    "give a verdict a CI job can gate on.  The change of each level is the ratio of geometric\n"
    "means with a 95% interval (Student's t on log values, the run-to-run noise pooled over\n"
    "the levels of a curve); each (plan, vCPUs) curve also gets its change pooled over its\n"
    "levels.  A level or curve regresses when it is significantly worse (Holm over every\n"
    "level and curve, so false alarms stay under alpha) and its estimate is beyond the\n"
    "threshold.  No regression: every curve's interval rules out a worsening beyond the\n"
    "threshold and no level's estimate is beyond it.  Anything else is inconclusive, with the\n"
    "runs per side that would likely decide.\n"
    "\n"
    "  --metric NAME         qps (default), p50_us, p90_us, p99_us, max_us or mean_us\n"
    "  --threshold PCT       smallest change that matters, in percent (default 5)\n"
    "  --alpha A             bound on the false-alarm rate, 0 < A < 1 (default 0.005)\n"
    "  --slo GATE            SLO on CURRENT, e.g. 'p99_us<=2000@32' (@N: only that\n"
    "                        concurrency; repeatable)\n"
    "  --max-error-rate PCT  largest errors/ops, in percent (default 0.5; off: none)\n"
    "  --min-fairness F      smallest fairness between workers (default 0.7; off: none)\n"
    "                        (the gates applied are listed above the table)\n"
    "  --strict              refuse (exit 2) when the manifests show different machines\n"
    "  --junit FILE          write JUnit XML\n"
    "  --markdown FILE       write a Markdown summary (e.g. for a PR comment)\n"
    "  --github              print GitHub Actions annotations (::error, ::warning)\n"
    "  --json                print one JSON document on stdout instead of the table\n"
    "                        (docs/json.md; logs stay on stderr)\n"
    "  --power               print the simulated outcome rates of this rule (true change x\n"
    "                        runs x CV) for the --threshold and --alpha given, and exit\n"
    "  --trials N            simulated comparisons per row of --power (default 400)\n"
    "  -q, --quiet           no table on stdout (a failing verdict is still printed)\n"
    "  -h, --help            this text\n"
    "\n"
    "What the defaults give, measured by the project's simulation (8 levels N=1..128, 5 runs a\n"
    "side, 3% run-to-run noise; `--power` for other runs and noise levels):\n"
    "@DOCS@"
    "\n"
    "Exit status: 0 no regression, 3 regression or SLO violation, 4 inconclusive (too few\n"
    "runs to decide), 2 bad input.\n";

/* Parsed command line. */
struct comparecmd_opts {
    const char *base, *cur;
    struct compare_opts cmp;
    struct compareslo_gate slos[COMPARECMD_MAX_SLOS];
    size_t n_slos;
    double max_error_rate, min_fairness;
    const char *junit, *markdown;
    int github, strict, quiet, json, power;
    size_t trials;
};

#define COMPARECMD_POWER_TRIALS 400
#define COMPARECMD_POWER_SEED   1

/* The usage text with the simulation's documented rates in place of @DOCS@. */
static void print_usage(FILE *f)
{
    const char *at = strstr(comparecmd_usage, "@DOCS@");
    fwrite(comparecmd_usage, 1, (size_t)(at - comparecmd_usage), f);
    comparesim_print_docs(f, "  ");
    fputs(at + strlen("@DOCS@"), f);
}

/* A number in [lo, hi] with an optional '%' suffix when pct; -1 with a message. */
static int parse_number(const char *opt, const char *s, int pct, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end != s && pct && *end == '%')
        end++;
    if (end == s || *end || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "vmsweep compare: %s '%s' is not a number in [%g, %g]\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct comparecmd_opts *o)
{
    enum {
        OPT_METRIC = 256,
        OPT_THRESHOLD,
        OPT_ALPHA,
        OPT_JUNIT,
        OPT_MARKDOWN,
        OPT_GITHUB,
        OPT_JSON,
        OPT_STRICT,
        OPT_SLO,
        OPT_MAX_ERR,
        OPT_MIN_FAIR,
        OPT_POWER,
        OPT_TRIALS
    };
    static const struct option longopts[] = {
        {"metric", required_argument, NULL, OPT_METRIC},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"alpha", required_argument, NULL, OPT_ALPHA},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"markdown", required_argument, NULL, OPT_MARKDOWN},
        {"github", no_argument, NULL, OPT_GITHUB},
        {"json", no_argument, NULL, OPT_JSON},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"slo", required_argument, NULL, OPT_SLO},
        {"max-error-rate", required_argument, NULL, OPT_MAX_ERR},
        {"min-fairness", required_argument, NULL, OPT_MIN_FAIR},
        {"power", no_argument, NULL, OPT_POWER},
        {"trials", required_argument, NULL, OPT_TRIALS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double v;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_METRIC:
            if (compare_metric_parse(optarg, NULL, &o->cmp.metric) < 0) {
                fprintf(stderr,
                        "vmsweep compare: --metric '%s' is not one of qps, p50_us, p90_us, "
                        "p99_us, max_us, mean_us\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_THRESHOLD:
            if (parse_number("--threshold", optarg, 1, 0, 1000, &v) < 0)
                return -1;
            o->cmp.threshold = v / 100;
            break;
        case OPT_ALPHA:
            if (parse_number("--alpha", optarg, 0, 0, 1, &v) < 0)
                return -1;
            if (v <= 0 || v >= 1) {
                fprintf(stderr,
                        "vmsweep compare: --alpha '%s' must be between 0 and 1, "
                        "exclusive\n",
                        optarg);
                return -1;
            }
            o->cmp.alpha = v;
            break;
        case OPT_JUNIT:
            o->junit = optarg;
            break;
        case OPT_MARKDOWN:
            o->markdown = optarg;
            break;
        case OPT_GITHUB:
            o->github = 1;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_STRICT:
            o->strict = 1;
            break;
        case OPT_SLO:
            if (o->n_slos == COMPARECMD_MAX_SLOS) {
                fprintf(stderr, "vmsweep compare: more than %d --slo gates\n", COMPARECMD_MAX_SLOS);
                return -1;
            }
            if (compareslo_parse(optarg, NULL, &o->slos[o->n_slos]) < 0) {
                fputs("vmsweep compare: ", stderr);
                compareslo_parse(optarg, stderr, &o->slos[o->n_slos]);
                return -1;
            }
            o->n_slos++;
            break;
        case OPT_MAX_ERR:
            if (!strcmp(optarg, "off"))
                v = -100; /* the gate is not applied */
            else if (parse_number("--max-error-rate", optarg, 1, 0, 100, &v) < 0)
                return -1;
            o->max_error_rate = v / 100;
            break;
        case OPT_MIN_FAIR:
            if (!strcmp(optarg, "off"))
                v = -1;
            else if (parse_number("--min-fairness", optarg, 0, 0, 1, &v) < 0)
                return -1;
            o->min_fairness = v;
            break;
        case OPT_POWER:
            o->power = 1;
            break;
        case OPT_TRIALS:
            if (parse_number("--trials", optarg, 0, 1, COMPARESIM_MAX_TRIALS, &v) < 0)
                return -1;
            if (v != floor(v)) {
                fprintf(stderr, "vmsweep compare: --trials '%s' is not a whole number\n", optarg);
                return -1;
            }
            o->trials = (size_t)v;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            print_usage(stdout);
            return 1;
        default:
            fprintf(stderr,
                    "vmsweep compare: unknown option or missing argument in '%s'; see "
                    "'vmsweep compare --help'\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    if (o->power) {
        if (argc - optind != 0) {
            fprintf(stderr,
                    "vmsweep compare: --power simulates, it takes no BASE or CURRENT (got "
                    "'%s'); see 'vmsweep compare --help'\n",
                    argv[optind]);
            return -1;
        }
        return 0;
    }
    if (o->trials) {
        fprintf(stderr, "vmsweep compare: --trials goes with --power\n");
        return -1;
    }
    if (argc - optind != 2) {
        fprintf(stderr,
                "vmsweep compare: expected BASE and CURRENT (CSV files or run "
                "directories), got %d argument(s); see 'vmsweep compare --help'\n",
                argc - optind);
        return -1;
    }
    o->base = argv[optind];
    o->cur = argv[optind + 1];
    return 0;
}

/* Render one output into a malloc'd buffer with fn; -1 on failure. */
static int render(int (*fn)(FILE *, const struct comparereport *), const struct comparereport *r,
                  char **data, size_t *len)
{
    FILE *f = open_memstream(data, len);
    int bad;
    if (!f)
        return -1;
    bad = fn(f, r) < 0;
    if (fclose(f) != 0 || bad) {
        free(*data);
        *data = NULL;
        return -1;
    }
    return 0;
}

/*
 * Print one rendering on f made safe for a terminal (and a CI log) as log_escape does:
 * plan names come from the CSVs and may hold C1 controls or bytes that are not UTF-8.
 */
static int print_safe(FILE *f, int (*fn)(FILE *, const struct comparereport *),
                      const struct comparereport *r)
{
    char *data = NULL, *safe;
    size_t len = 0;

    if (render(fn, r, &data, &len) < 0)
        return -1;
    safe = log_escape(data, len, true);
    free(data);
    if (!safe)
        return -1;
    fputs(safe, f);
    free(safe);
    return 0;
}

/* Replace the file at path with data, atomically. */
static int write_file(const char *path, const char *data, size_t len, FILE *diag)
{
    char *copy = strdup(path), *slash;
    int rc;
    if (!copy)
        return -1;
    slash = strrchr(copy, '/');
    if (slash == copy)
        rc = outfile_write("/", slash + 1, data, len, diag);
    else if (slash) {
        *slash = '\0';
        rc = outfile_write(copy, slash + 1, data, len, diag);
    } else {
        rc = outfile_write(".", copy, data, len, diag);
    }
    free(copy);
    return rc;
}

/* The gates applied to CURRENT in words, defaults marked: none is applied unseen. */
static const char *gates_text(const struct comparecmd_opts *o, char *buf, size_t len)
{
    size_t off = 0;

#define GT_ADD(...)                                                                                \
    (off < len ? (void)(off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__)) : (void)0)
    if (o->max_error_rate >= 0)
        GT_ADD("error rate <= %g%%%s", o->max_error_rate * 100,
               o->max_error_rate == COMPARESLO_MAX_ERROR_RATE ? " (default)" : "");
    if (o->min_fairness >= 0)
        GT_ADD("%sfairness >= %g%s", off ? ", " : "", o->min_fairness,
               o->min_fairness == COMPARESLO_MIN_FAIRNESS ? " (default)" : "");
    for (size_t i = 0; i < o->n_slos; i++)
        GT_ADD("%s%s", off ? ", " : "", o->slos[i].text);
#undef GT_ADD
    return off ? buf : NULL;
}

int comparecmd_main(int argc, char **argv)
{
    struct comparecmd_opts o;
    struct compareinput *base = NULL, *cur = NULL;
    struct compare_result *cmp = NULL;
    struct compareslo_result *slo = NULL;
    struct comparereport rep;
    char **warnings = NULL, *junit = NULL, *md = NULL, gates[1024];
    size_t n_warnings = 0, junit_len = 0, md_len = 0;
    int ret = COMPAREREPORT_BAD_INPUT, rc;
    FILE *diag = NULL;

    memset(&o, 0, sizeof(o));
    o.cmp.metric = COMPARE_QPS;
    o.cmp.threshold = COMPARE_DEFAULT_THRESHOLD;
    o.cmp.alpha = COMPARE_DEFAULT_ALPHA;
    o.max_error_rate = COMPARESLO_MAX_ERROR_RATE;
    o.min_fairness = COMPARESLO_MIN_FAIRNESS;
    rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : COMPAREREPORT_BAD_INPUT;
    if (o.power) {
        if (comparesim_print_table(stdout, &o.cmp, o.trials ? o.trials : COMPARECMD_POWER_TRIALS,
                                   COMPARECMD_POWER_SEED) < 0) {
            fprintf(stderr, "vmsweep compare: the simulation failed (out of memory?)\n");
            return 1;
        }
        return 0;
    }
    /* The messages of the modules below say who speaks, as this command's own do. */
    diag = diag_open("vmsweep compare: ");
    if (compareinput_load(o.base, diag, &base) < 0 || compareinput_load(o.cur, diag, &cur) < 0)
        goto cleanup;
    if (compareinput_diff(base, cur, &warnings, &n_warnings) < 0) {
        fprintf(stderr, "vmsweep compare: out of memory\n");
        goto cleanup;
    }
    if (o.strict && n_warnings) {
        for (size_t i = 0; i < n_warnings; i++)
            fprintf(stderr, "vmsweep compare: not comparable: %s\n", warnings[i]);
        fprintf(stderr, "vmsweep compare: refusing to compare runs from different setups "
                        "(--strict)\n");
        goto cleanup;
    }
    if (compare_tables(base->tables, base->n, cur->tables, cur->n, &o.cmp, diag, &cmp) < 0)
        goto cleanup;
    if (compareslo_check(cur->tables, cur->n, o.slos, o.n_slos, o.max_error_rate, o.min_fairness,
                         diag, &slo) < 0)
        goto cleanup;
    rep = (struct comparereport){
        .base_name = o.base,
        .cur_name = o.cur,
        .cmp = cmp,
        .slo = slo,
        .warnings = warnings,
        .n_warnings = n_warnings,
        .threshold = o.cmp.threshold,
        .alpha = o.cmp.alpha,
        .gates = gates_text(&o, gates, sizeof(gates)),
    };
    rep.status = comparereport_status(cmp, slo);
    if ((o.junit && render(comparejunit_write, &rep, &junit, &junit_len) < 0) ||
        (o.markdown && render(comparereport_markdown, &rep, &md, &md_len) < 0)) {
        fprintf(stderr, "vmsweep compare: out of memory while rendering the reports\n");
        goto cleanup;
    }
    if ((junit && write_file(o.junit, junit, junit_len, diag) < 0) ||
        (md && write_file(o.markdown, md, md_len, diag) < 0))
        goto cleanup;
    for (size_t i = 0; i < n_warnings; i++)
        fprintf(stderr, "vmsweep compare: WARNING: not comparable: %s\n", warnings[i]);
    /* Quiet: no table, but a verdict that fails the job is still said. */
    if ((o.json && comparereport_json(stdout, &rep) < 0) ||
        (!o.json && !o.quiet && print_safe(stdout, comparereport_table, &rep) < 0) ||
        (!o.json && o.quiet && rep.status != 0 &&
         print_safe(stdout, comparereport_verdict, &rep) < 0) ||
        (o.github && print_safe(stdout, comparereport_github, &rep) < 0)) {
        fprintf(stderr, "vmsweep compare: out of memory while printing the results\n");
        goto cleanup;
    }
    fflush(stdout);
    ret = (int)rep.status;
cleanup:
    for (size_t i = 0; i < n_warnings; i++)
        free(warnings[i]);
    free(warnings);
    free(junit);
    free(md);
    compareslo_result_free(slo);
    compare_result_free(cmp);
    compareinput_free(base);
    compareinput_free(cur);
    diag_close(diag);
    return ret;
}
