/*
 * comparereport — what `vmsweep compare` found, rendered for people and CI systems: a
 * table for the terminal, a Markdown summary for pull-request comments, and GitHub
 * Actions workflow commands (::error / ::warning).  JUnit XML is in comparejunit.h.
 */
#ifndef VMSWEEP_COMPAREREPORT_H
#define VMSWEEP_COMPAREREPORT_H

#include <stddef.h>
#include <stdio.h>

#include "compare.h"
#include "compareslo.h"

/* Exit statuses of `vmsweep compare`; the report states the one it was given. */
enum comparereport_status {
    COMPAREREPORT_OK = 0,          /* no regression, no SLO violation, enough evidence */
    COMPAREREPORT_BAD_INPUT = 2,   /* nothing compared, nothing written */
    COMPAREREPORT_REGRESSION = 3,  /* a regression or an SLO violation */
    COMPAREREPORT_INCONCLUSIVE = 4 /* nothing failed, but a level lacks evidence */
};

/* Everything a report shows. */
#define COMPAREREPORT_JSON_SCHEMA 2 /* schema_version of `compare --json` (docs/json.md) */

struct comparereport {
    const char *base_name; /* BASE as given */
    const char *cur_name;  /* CURRENT as given */
    const struct compare_result *cmp;
    const struct compareslo_result *slo; /* NULL: no gates checked */
    char *const *warnings;               /* comparability differences (compareinput_diff) */
    size_t n_warnings;
    double threshold, alpha;
    const char *gates; /* the gates applied to CURRENT, in words (defaults marked), or NULL */
    enum comparereport_status status;
};

/* The overall status from a comparison and its gates (slo may be NULL). */
enum comparereport_status comparereport_status(const struct compare_result *cmp,
                                               const struct compareslo_result *slo);

/* A one-word name of a status: "ok", "regression", "inconclusive", "bad input". */
const char *comparereport_status_name(enum comparereport_status s);

/*
 * One sentence explaining the verdict on an estimate (a level's or a curve's), e.g. "qps
 * -20.0% [-22.1%, -17.8%]: worse beyond 5.0%, significant (adjusted p = 1e-06 <= 0.005)",
 * into buf (always NUL-terminated).
 */
void comparereport_change_detail(const struct compare_change *e, enum compare_metric m,
                                 double threshold, double alpha, char *buf, size_t cap);

/* comparereport_change_detail of level l, followed by its geometric means and runs. */
void comparereport_level_detail(const struct compare_level *l, enum compare_metric m,
                                double threshold, double alpha, char *buf, size_t cap);

/* One sentence about an SLO check, e.g. "p99_us = 2500 violates p99_us<=2000". */
void comparereport_slo_detail(const struct compareslo_check *c, char *buf, size_t cap);

/* The readable table for the terminal; -1 when a write fails. */
int comparereport_table(FILE *f, const struct comparereport *r);

/* The JSON document of `compare --json` (docs/json.md, schema_version 2), one line.  0,
 * or -1 on a write error or out of memory. */
int comparereport_json(FILE *f, const struct comparereport *r);

/* The one verdict line ("verdict: regression (...) -> exit 3").  0, or -1 on a write error. */
int comparereport_verdict(FILE *f, const struct comparereport *r);

/* The Markdown summary; -1 when a write fails. */
int comparereport_markdown(FILE *f, const struct comparereport *r);

/* GitHub Actions annotations, one line each; -1 when a write fails. */
int comparereport_github(FILE *f, const struct comparereport *r);

#endif
