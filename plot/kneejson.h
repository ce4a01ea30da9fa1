/*
 * kneejson — the machine-readable results: knee.json (a list with one object per plan
 * and VM size: plan, vcpus, knee, recommended, latency_knee, kneedle, usl, max_qps,
 * levels, warnings; unknown values are null) and scaling.json (a list of
 * {plan, v1, v2, qps1, qps2, speedup, efficiency}).
 */
#ifndef VMSWEEP_KNEEJSON_H
#define VMSWEEP_KNEEJSON_H

#include "analysis.h"

/* Render knee.json; *out is a malloc'd NUL-terminated string.  -1 when out of memory. */
int kneejson_render(const struct analysis *a, char **out);

/* Render scaling.json (an empty list with a single VM size); as kneejson_render. */
int kneejson_render_scaling(const struct analysis *a, char **out);

#endif
