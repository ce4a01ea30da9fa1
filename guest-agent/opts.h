/*
 * opts — the agent's command line and environment, parsed and checked completely
 * before anything runs.  Every option may also come from an environment variable;
 * a flag wins over its variable.  Usable from the host (libagent.a) to validate a
 * sweep before a VM boots.
 */
#ifndef VMSWEEP_OPTS_H
#define VMSWEEP_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "row.h"
#include "wl.h"

#define OPTS_MAX_LEVELS     64
#define OPTS_MAX_ARGS       32
#define OPTS_DEFAULT_LEVELS "1 2 4 8 16 32 64 128"
#define OPTS_DEFAULT_OUTPUT "./perf_results"

/* How an option's value is read (see struct opts_def). */
enum opts_kind {
    OPTS_COUNT,    /* an integer in min..max */
    OPTS_DURATION, /* seconds, or with a unit (500ms, 2s, 1m); min..max in µs */
    OPTS_LIST,     /* integers in min..max separated by spaces or commas */
    OPTS_TEXT,     /* a non-empty string */
    OPTS_SWITCH,   /* no value */
    OPTS_PAIR,     /* KEY=VALUE, repeatable */
};

/*
 * The agent's options: the one table its parser, its --help and the host's view of the
 * agent (the harness's option table takes ranges and variable names from here, and a
 * test checks both) come from.
 */
struct opts_def {
    const char *flag; /* "duration": --duration VALUE or --duration=VALUE */
    const char *env;  /* the variable read when the flag is absent, or NULL */
    enum opts_kind kind;
    uint64_t min, max;
    const char *metavar; /* "TIME" */
    const char *help;    /* one line, with the default */
};

extern const struct opts_def opts_defs[];
extern const size_t opts_ndefs;

/* The row of --flag, or NULL. */
const struct opts_def *opts_def_find(const char *flag);

/* What the command line asks for. */
enum opts_action {
    OPTS_RUN,     /* run the sweep (or only validate it with --dry-run) */
    OPTS_HELP,    /* --help */
    OPTS_VERSION, /* --version */
    OPTS_SYSINFO, /* --sysinfo */
};

/* A parsed, checked command line. */
struct opts {
    enum opts_action action;
    const struct wl *wl;
    void *wl_cfg; /* the workload's configuration (owned) */
    uint64_t levels[OPTS_MAX_LEVELS];
    size_t nlevels;
    uint64_t duration_us, max_duration_us, timeout_us;
    uint64_t warmup, runs, max_concurrency;
    uint64_t rate; /* open loop: operations per second in all; 0: closed loop */
    unsigned cpu_threads;
    unsigned online_cpus;
    int oversubscribe, dry_run, quiet;
    char plan[ROW_PLAN_MAX];
    const char *output_dir;
};

/*
 * Parse argv (argv[0] is the program) and the environment into *o.  On bad input of
 * any kind, prints one sentence naming the option and its value to err and returns -1
 * (the agent then exits 2); *o must still be released with opts_free.  online_cpus is
 * the machine's CPU count, against which --cpu-threads is checked (not with --dry-run,
 * which may run on a different machine).  The strings of argv must outlive *o.
 */
int opts_parse(struct opts *o, int argc, char **argv, unsigned online_cpus, FILE *err);

/* Release what opts_parse allocated; NULL is accepted. */
void opts_free(struct opts *o);

/* Print the usage text to f. */
void opts_usage(FILE *f);

#endif
