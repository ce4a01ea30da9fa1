/*
 * openmetrics — an analysed sweep as OpenMetrics text (metrics.prom), for time-series
 * systems: per level the median qps, latency percentiles and runs; per curve the knees,
 * the recommended range, the maximum throughput and the USL fit.  Every sample carries
 * plan, vcpus, cpu_model, accel, host and run labels and the run's end as its timestamp,
 * so `promtool tsdb create-blocks-from openmetrics` files it at the time it was measured.
 */
#ifndef VMSWEEP_OPENMETRICS_H
#define VMSWEEP_OPENMETRICS_H

#include <stdio.h>

#include "analysis.h"

/* Write a's metrics to f, ending with "# EOF".  0, or -1 on a write error. */
int openmetrics_write(FILE *f, const struct analysis *a);

/*
 * `vmsweep export --openmetrics DIR...`: (re)write DIR/metrics.prom of each run folder
 * from its CSVs and manifest.  Exit code: 0, 1 (a folder failed), 2 (usage).
 */
int openmetrics_export_main(int argc, char **argv);

#endif
