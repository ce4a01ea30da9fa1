/*
 * sysinfo — what the agent knows about the machine it runs on: CPU model, online CPUs,
 * NUMA nodes, kernel, clocksource, memory, and the measured cost of one clock read.
 */
#ifndef VMSWEEP_SYSINFO_H
#define VMSWEEP_SYSINFO_H

#include <stdio.h>

/* Number of online CPUs (at least 1). */
unsigned sysinfo_online_cpus(void);

/* Measured cost of one clock_gettime(CLOCK_MONOTONIC) in ns (best of a few batches). */
double sysinfo_clock_ns(void);

/* Print the machine description as one JSON object and a newline.  0, or -1 on a write error. */
int sysinfo_print(FILE *f, double clock_ns);

#endif
