/*
 * cmd — runs the user's own benchmark once per (level, run) and reads its result line
 * (--arg cmd="bench -c {concurrency} -t {threads} -d {duration}", --arg shell=1).
 */
#ifndef VMSWEEP_WL_CMD_H
#define VMSWEEP_WL_CMD_H

#include "wl.h"

/* The cmd workload. */
extern const struct wl wl_cmd;

#endif
