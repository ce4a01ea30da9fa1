/*
 * compareinput — one side (BASE or CURRENT) of `vmsweep compare`: a CSV file, or a run
 * directory (`vmsweep run`: DIR/manifest.json and the CSV files in DIR/vcpus-N;
 * `vmsweep local`: the CSV files in DIR), read into CSV tables plus what the manifest says about
 * the machine, so the two sides can be checked for comparability.
 */
#ifndef VMSWEEP_COMPAREINPUT_H
#define VMSWEEP_COMPAREINPUT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include <stdio.h>

#include "csv.h"

#define COMPAREINPUT_MAX_FILES    4096          /* CSV files one side may have */
#define COMPAREINPUT_MAX_MANIFEST (16ULL << 20) /* bytes of a manifest.json (16 MiB) */

/* Manifest facts that make two runs comparable, in the order of compareinput_field_name. */
enum compareinput_field {
    COMPAREINPUT_ACCEL,
    COMPAREINPUT_CPU_MODEL,
    COMPAREINPUT_VCPUS,
    COMPAREINPUT_MEMORY,
    COMPAREINPUT_IMAGE,
    COMPAREINPUT_HOST_CPU,
    COMPAREINPUT_FIELD_COUNT
};

/* One side. */
struct compareinput {
    char *arg;                              /* as given on the command line */
    char **paths;                           /* CSV files read, sorted */
    struct csv_table **tables;              /* one per path */
    size_t n;                               /* number of paths and tables */
    char *manifest;                         /* path of the manifest read, NULL when there is none */
    char *fields[COMPAREINPUT_FIELD_COUNT]; /* NULL when the manifest does not say */
};

/*
 * Read one side.  arg is a CSV file (a manifest.json beside it, or one directory up when
 * it sits in a vcpus-N directory, is used too) or a directory: every .csv file in it and in its
 * vcpus-N subdirectories is read.  Returns -1 with a sentence on diag when arg does not
 * exist, a directory holds no CSV or more than COMPAREINPUT_MAX_FILES of them, or one whose
 * name is not printable text, a CSV or the manifest is malformed or too large
 * (COMPAREINPUT_MAX_MANIFEST), or memory runs out.  Only regular files are read.
 */
int compareinput_load(const char *arg, FILE *diag, struct compareinput **out);

/* A field's human name, e.g. "accelerator". */
const char *compareinput_field_name(enum compareinput_field f);

/*
 * Sentences naming every field both manifests give and that differs, e.g. "accelerator
 * differs: BASE 'kvm', CURRENT 'tcg'", values escaped as log_escape does (a manifest cannot
 * put control characters on the terminal or line breaks in a report).  *out is a malloc'd
 * array of malloc'd strings (free each, then the array), *n their number (0 and NULL when
 * comparable or when a side has no manifest).  Returns -1 when memory runs out.
 */
int compareinput_diff(const struct compareinput *base, const struct compareinput *cur, char ***out,
                      size_t *n);

/*
 * The value of field f in the manifest that belongs to the CSV file csv (found as
 * compareinput_load finds it), malloc'd; NULL when there is no manifest, it lacks the
 * field or cannot be read (nothing is reported: the caller goes on without it).
 */
char *compareinput_csv_fact(const char *csv, enum compareinput_field f);

/* The manifest that belongs to the CSV file csv, parsed (caller deletes); NULL as for
 * compareinput_csv_fact. */
cJSON *compareinput_csv_manifest(const char *csv);

/*
 * The CPU model of the host that ran the CSV file csv (its size's "host" in the run's
 * manifest: "cpu_model", else "node_model"), malloc'd; NULL when the manifest does not
 * say (nothing is reported).
 */
char *compareinput_csv_host(const char *csv);

/* Release a side; NULL is accepted. */
void compareinput_free(struct compareinput *in);

#endif
