/*
 * cpu — a fixed amount of integer work per operation (--arg work=N).
 */
#ifndef VMSWEEP_WL_CPU_H
#define VMSWEEP_WL_CPU_H

#include "wl.h"

/* The cpu workload. */
extern const struct wl wl_cpu;

#endif
