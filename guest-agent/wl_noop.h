/*
 * noop — an empty operation: measures the agent's own per-operation overhead.
 */
#ifndef VMSWEEP_WL_NOOP_H
#define VMSWEEP_WL_NOOP_H

#include "wl.h"

/* The noop workload. */
extern const struct wl wl_noop;

#endif
