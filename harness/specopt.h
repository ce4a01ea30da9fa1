/*
 * specopt — the one table of `vmsweep run` / `vmsweep local` settings.
 *
 * Each row is one setting: its spec key (section and name), its flag, the type that reads
 * and writes it (with units and range), the agent option it becomes, its help.  From the
 * table come the getopt tables, --help, the spec reader's key handling, --print-spec and
 * the manifest's spec, the agent's command line, the man page, the shell completions and
 * the key table of sweeps/README.md (see docgen).  A flag and its spec key go through the
 * same specopt_set, so they accept and refuse the same values with the same reason.
 *
 * Rows passed to the agent take their range from the agent's own table (opts_defs), so
 * the host never accepts what the agent refuses; tests/unit/test_specopt.c checks the
 * agent agrees value by value.
 */
#ifndef VMSWEEP_SPECOPT_H
#define VMSWEEP_SPECOPT_H

#include "spec.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum specopt_section {
    SPECOPT_TOP,    /* top-level spec keys */
    SPECOPT_VM,     /* "vm": run only */
    SPECOPT_AGENT,  /* "agent" */
    SPECOPT_OUTPUT, /* "output" */
    SPECOPT_COST,   /* "cost": prices for right-sizing */
    SPECOPT_CMD,    /* command options: not in a spec */
};

/* A section: its spec object and its titles, in the order help and docs show them. */
struct specopt_section_info {
    enum specopt_section sec;
    const char *name;      /* the spec object ("vm"), or NULL: top level / commands */
    const char *title;     /* in --help */
    const char *man_title; /* in the man page */
};

extern const struct specopt_section_info specopt_sections[];
extern const size_t specopt_nsections;

enum specopt_type {
    SPECOPT_SIZES,      /* vCPU counts: "1,2", [1, 2] or 2 */
    SPECOPT_LEVELS,     /* concurrency levels, as SIZES */
    SPECOPT_MIB,        /* a size: a number of MiB or "1G" (uint64_t MiB) */
    SPECOPT_COUNT,      /* an integer (uint64_t) */
    SPECOPT_RUNS,       /* an integer >= 1, or "auto" (uint64_t; 0 = auto) */
    SPECOPT_UNS,        /* an integer (unsigned) */
    SPECOPT_DURATION,   /* a number of seconds or "500ms" (uint64_t µs) */
    SPECOPT_SECONDS,    /* a duration kept in whole seconds (unsigned) */
    SPECOPT_MICROS,     /* a duration: a number of µs or "5ms" (uint64_t µs; 0 = unset) */
    SPECOPT_BOOL,       /* true/false; the flag takes no value and sets it */
    SPECOPT_STR,        /* a non-empty string (char *) */
    SPECOPT_LABEL,      /* a string of min..max characters, no control characters */
    SPECOPT_MODEL,      /* a QEMU CPU model name */
    SPECOPT_WORKLOAD,   /* one of the agent's workloads */
    SPECOPT_TOPOLOGY,   /* "S:D:C:T" */
    SPECOPT_NUMA,       /* a number of cells, or (spec only) explicit cells */
    SPECOPT_ENUM,       /* one of choices (int-sized enum) */
    SPECOPT_ENUMS,      /* some of choices: "a,b" or a JSON list (unsigned, bit i = choice i) */
    SPECOPT_STRV,       /* strings: a JSON array; the flag is repeatable */
    SPECOPT_PAIRS,      /* KEY=VALUE: a JSON object; the flag is repeatable */
    SPECOPT_GATES,      /* SLO gates, as STRV */
    SPECOPT_PERCENT,    /* 0..100, "5%" accepted (double; < 0 = unset) */
    SPECOPT_FRACTION,   /* 0..1 (double; < 0 = unset) */
    SPECOPT_NUMBER,     /* a number in min..max, "20k" or "1.5M" accepted (double; < 0 = unset) */
    SPECOPT_INTERLEAVE, /* flag only: a baseline command, stored as base_args cmd= */
    SPECOPT_SWITCH,     /* a command option without a value */
    SPECOPT_VALUE,      /* a command option with a value */
};

/* Which commands take a row. */
#define SPECOPT_RUN   1u
#define SPECOPT_LOCAL 2u
#define SPECOPT_BOTH  (SPECOPT_RUN | SPECOPT_LOCAL)

/* Command options (SPECOPT_CMD rows): what cmdline acts on. */
enum specopt_cmd {
    SPECOPT_CMD_NONE,
    SPECOPT_CMD_PROFILE,
    SPECOPT_CMD_PRINT_SPEC,
    SPECOPT_CMD_NO_PLOT,
    SPECOPT_CMD_NO_RESTORE,
    SPECOPT_CMD_REPLAY,
    SPECOPT_CMD_ALLOW_DRIFT,
    SPECOPT_CMD_VERBOSE,
    SPECOPT_CMD_QUIET,
    SPECOPT_CMD_HELP,
    SPECOPT_CMD_JSON,
};

struct specopt {
    enum specopt_section section;
    const char *key;  /* name in its spec section, or NULL (a flag only) */
    const char *flag; /* long flag, or NULL (a spec key only) */
    char short_flag;  /* or 0 */
    enum specopt_type type;
    size_t off;                 /* the field in struct spec, for the generic types */
    uint64_t min, max;          /* integers, durations (µs), sizes (MiB), list entries */
    const char *agent;          /* the agent option it is passed as, or NULL */
    const char *const *choices; /* SPECOPT_ENUM(S): names, index = value; NULL-terminated */
    const char *metavar;        /* the value's name in help ("LIST") */
    const char *help;           /* lines separated by '\n'; says the default */
    enum specopt_cmd cmd;       /* SPECOPT_CMD rows */
    unsigned cmds;              /* SPECOPT_RUN, SPECOPT_LOCAL */
};

extern const struct specopt specopt_table[];
extern const size_t specopt_count;

/* The section's name in a spec ("vm"), or NULL for the top level and commands. */
const char *specopt_section_name(enum specopt_section sec);

/* The row of a spec key in sec, or NULL. */
const struct specopt *specopt_find_key(enum specopt_section sec, const char *key);

/* The row of --flag, or NULL. */
const struct specopt *specopt_find_flag(const char *flag);

/* The row's range: its own, or the agent's for rows passed to the agent. */
void specopt_range(const struct specopt *o, uint64_t *min, uint64_t *max);

/*
 * Set o's value in s from text, as given to its flag (append: a repeated flag adds to a
 * list instead of replacing it).  0, or -1 with the reason in why (nothing printed, s
 * unchanged for that row).  -1 with why "" is out of memory.
 */
int specopt_set(struct spec *s, const struct specopt *o, const char *text, bool append, char *why,
                size_t len);

/* Set o's value in s from a spec's JSON item, through specopt_set.  As specopt_set. */
int specopt_set_json(struct spec *s, const struct specopt *o, const cJSON *it, char *why,
                     size_t len);

/* o's value in s as the spec reader reads it back, or NULL when unset (the key is left
 * out).  Caller owns the item. */
cJSON *specopt_to_json(const struct spec *s, const struct specopt *o);

/* Append the agent options of s (every row with an agent option) to argv.  -1 on OOM. */
int specopt_agent_argv(const struct spec *s, struct spec_strv *argv);

/* Print the options of cmd (SPECOPT_RUN or SPECOPT_LOCAL) as --help text. */
void specopt_usage(FILE *f, unsigned cmd);

/* The row's flag and value as help shows it: "--memory SIZE", "-o, --output-dir DIR". */
void specopt_flag_text(const struct specopt *o, char *buf, size_t len);

#endif
