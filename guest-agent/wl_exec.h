/*
 * exec — fork/exec a command per operation (--arg cmd=..., --arg shell=1); non-zero exits are
 * errors.
 */
#ifndef VMSWEEP_WL_EXEC_H
#define VMSWEEP_WL_EXEC_H

#include "wl.h"

/* The exec workload. */
extern const struct wl wl_exec;

#endif
