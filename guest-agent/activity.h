/*
 * activity — what else ran in the guest while the agent measured: the CPU time of every
 * process but the agent (and its runs), the context switches that were not the agent's,
 * and the processes and threads created, from /proc/stat and getrusage() at the start
 * and the end of the sweep.  A quiet guest shows other_cpu_s near 0; a busy one names
 * its noise next to the numbers.  The line the agent prints is parsed back by the harness
 * (activity_parse) into manifest.json.
 */
#ifndef VMSWEEP_ACTIVITY_H
#define VMSWEEP_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#define ACTIVITY_PREFIX "guest activity during the sweep:"

/* A snapshot of the counters. */
struct activity_mark {
    double t_s;         /* CLOCK_MONOTONIC, seconds */
    double busy_s;      /* all CPUs' non-idle time since boot (steal included) */
    double total_s;     /* all CPUs' time since boot, idle and iowait included */
    double own_cpu_s;   /* the agent's CPU time, its waited-for children included */
    uint64_t ctxt;      /* context switches since boot, all CPUs */
    uint64_t own_csw;   /* the agent's context switches, children included */
    uint64_t processes; /* processes and threads created since boot */
};

/* What happened between two marks. */
struct activity {
    double wall_s;
    double other_cpu_s;  /* CPU seconds of everything but the agent (>= 0) */
    uint64_t other_ctxt; /* context switches that were not the agent's (approximate) */
    uint64_t created;    /* processes and threads created, the agent's own included */
    /* Shares of all CPUs' accounted time (NAN when none passed): a guest that is not
     * scheduled by its host loses ticks, so shares of the ticks counted stay true where
     * seconds per wall second do not. */
    double busy_share;  /* non-idle */
    double other_share; /* non-idle and not the agent's */
};

/* Take a mark; -1 when /proc/stat cannot be read or parsed (no mark then). */
int activity_mark(struct activity_mark *m);

/* The activity between marks a and b (b later). */
void activity_between(const struct activity_mark *a, const struct activity_mark *b,
                      struct activity *out);

/* The line the agent prints: ACTIVITY_PREFIX " other_cpu_s=0.120 wall_s=18.200
 * other_ctxt=340 created=12", NUL-terminated in buf. */
void activity_format(const struct activity *a, char *buf, size_t cap);

/* Parse such a line (from the guest: untrusted; every number is range-checked).  0, or
 * -1 when the line is not one; *out is set only on success. */
int activity_parse(const char *line, struct activity *out);

#endif
