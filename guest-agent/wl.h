/*
 * wl — the workload interface and the registry of workloads.
 *
 * A workload is parsed (defaults, arg, check) in the agent's main process and run in
 * the child process of each (level, run).  Thread-per-worker workloads provide op: the
 * level module runs `concurrency` closed-loop workers that call it back to back.  The
 * others provide run and drive the whole run themselves (http: event loops; cmd: the
 * user's own benchmark), recording into the histograms of the context or filling in
 * its direct result.
 */
#ifndef VMSWEEP_WL_H
#define VMSWEEP_WL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"

struct hist;

/* One (level, run) as a workload sees it. */
struct wl_ctx {
    unsigned concurrency; /* workers (threads or connections) */
    unsigned threads;     /* CPU threads: event loops for async workloads */
    uint64_t duration_ns; /* measured window */
    uint64_t warmup;      /* unrecorded operations per worker before the window */
    uint64_t timeout_ns;  /* the whole run is killed after this */
    struct hist **hist;   /* run: one histogram per thread; op: unused */
    uint64_t *ops;        /* operations per worker (concurrency entries) */
    uint64_t errors;      /* failed operations (run fills it in) */
    uint64_t start_ns;    /* the measured window (run fills it in) */
    uint64_t end_ns;
    int direct; /* run: set when res holds the result instead of hist/ops */
    struct result res;
    int exit_code; /* run: exit status of a user command, if any */
};

/* A workload.  Callbacks that a workload does not need are NULL. */
struct wl {
    const char *name;
    const char *help; /* one line: what it does and its args */
    int async;        /* event-loop driven: io_threads = threads */
    size_t cfg_size;
    void (*defaults)(void *cfg);
    /* One --arg KEY=VALUE.  0, or -1 after printing a sentence to err. */
    int (*arg)(void *cfg, const char *key, const char *val, FILE *err);
    /* After all args: required ones present.  0 or -1 with a sentence on err. */
    int (*check)(void *cfg, FILE *err);
    /* In the run's process, before the workers start.  0 or -1 (message on stderr). */
    int (*init)(void *cfg, const struct wl_ctx *ctx);
    /* One operation started at now_ns by worker w: 0, or -1 for a failed one. */
    int (*op)(void *cfg, unsigned w, uint64_t now_ns);
    /* The whole run.  0, or -1 when it could not run (message on stderr). */
    int (*run)(void *cfg, struct wl_ctx *ctx);
};

/* The workload called name, or NULL. */
const struct wl *wl_find(const char *name);

/* The i-th workload (0, 1, ...), or NULL past the last: the one list of their names. */
const struct wl *wl_at(size_t i);

/* Print the workloads, one per line, to f. */
void wl_list(FILE *f);

/* Read CLOCK_MONOTONIC in ns. */
uint64_t wl_now_ns(void);

/* Parse --arg key=val as an integer in [min, max]; 0, or -1 after a message on err. */
int wl_arg_u64(const char *key, const char *val, uint64_t min, uint64_t max, uint64_t *out,
               FILE *err);

/* Parse --arg key=val as a size ("64M") in [min, max] bytes; 0 or -1 as wl_arg_u64. */
int wl_arg_size(const char *key, const char *val, uint64_t min, uint64_t max, uint64_t *out,
                FILE *err);

/* Report an unknown argument key for workload w to err; returns -1. */
int wl_unknown_arg(const struct wl *w, const char *key, const char *known, FILE *err);

/* The command of the exec and cmd workloads: --arg cmd=COMMAND, --arg shell=0|1. */
struct wl_command {
    const char *cmd; /* points into argv */
    uint64_t shell;  /* 1: run through /bin/sh -c, as the user asked */
};

/* Handle --arg cmd / shell for workload w; other keys are refused (0 or -1, reported). */
int wl_command_arg(const struct wl *w, struct wl_command *c, const char *key, const char *val,
                   FILE *err);

/* Check a command is given and, without a shell, splits into argv (0 or -1, reported). */
int wl_command_check(const struct wl *w, const struct wl_command *c, FILE *err);

#endif
