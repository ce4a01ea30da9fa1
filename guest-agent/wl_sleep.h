/*
 * sleep — a latency-bound operation: sleep --arg us=N microseconds.
 */
#ifndef VMSWEEP_WL_SLEEP_H
#define VMSWEEP_WL_SLEEP_H

#include "wl.h"

/* The sleep workload. */
extern const struct wl wl_sleep;

#endif
