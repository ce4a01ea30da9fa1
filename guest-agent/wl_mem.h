/*
 * mem — reads a shared working set once per operation (--arg wss=SIZE).
 */
#ifndef VMSWEEP_WL_MEM_H
#define VMSWEEP_WL_MEM_H

#include "wl.h"

/* The mem workload. */
extern const struct wl wl_mem;

#endif
