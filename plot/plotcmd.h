/*
 * plotcmd — `vmsweep plot` and the analysis step at the end of `vmsweep run`.
 *
 *   vmsweep plot CSV... [--output-dir DIR] [--format png|svg] [--slo-p99 US]
 *                [--target-qps Q] [--headroom PCT] [--cost-per-vcpu P] [--cost-per-gib P]
 *                [-q] [--json] [--help]
 *
 * Reads every CSV (all are validated before anything is written), analyses them
 * (analysis.h) and writes into the output directory, each file atomically:
 * knee_summary.txt, knee.json, scaling.json, sizing.json, plots.gp, the plots (qps_vs_concurrency,
 * latency_vs_concurrency, qps_vs_p99, and scaling with several VM sizes) and report.html.
 * Without gnuplot on PATH the numbers are still written and the message says how to
 * install it.
 */
#ifndef VMSWEEP_PLOTCMD_H
#define VMSWEEP_PLOTCMD_H

#include <stddef.h>
#include <stdio.h>

#include "plotgen.h"
#include "sizing.h"

#define PLOTCMD_EXIT_OK      0
#define PLOTCMD_EXIT_FAILURE 1 /* outputs could not be written, gnuplot failed */
#define PLOTCMD_EXIT_USAGE   2 /* bad arguments or bad input: nothing was written */

/* Options of one analysis. */
struct plot_opts {
    const char *output_dir;     /* NULL: the directory of the first CSV */
    enum plotgen_format format; /* PLOTGEN_PNG or PLOTGEN_SVG */
    double slo_p99_us;          /* > 0: cap the recommendation at this p99 (µs) */
    struct sizing_opts sizing;  /* right-sizing: target, headroom, costs (sizing.h) */
    int quiet;                  /* do not print the summary and chart to the terminal */
    int json;                   /* print one JSON document (docs/json.md) to the terminal */
};

#define PLOTCMD_JSON_SCHEMA 1 /* schema_version of `plot --json` */

/*
 * Analyse the n CSV files csvs and write every output into o->output_dir; unless
 * o->quiet, print the knee summary and a dumb-terminal chart of qps vs concurrency to
 * terminal (e.g. stdout).  Messages go to stderr.  Returns PLOTCMD_EXIT_OK,
 * PLOTCMD_EXIT_USAGE (bad input, nothing written) or PLOTCMD_EXIT_FAILURE.
 */
int plotcmd_analyse(const char *const *csvs, size_t n, const struct plot_opts *o, FILE *terminal);

/* The `vmsweep plot` subcommand (argv[0] = "plot"); returns the exit code. */
int plotcmd_main(int argc, char **argv);

#endif
