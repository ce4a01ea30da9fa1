/*
 * kneejson — the machine-readable results: knee.json (a list with one object per plan
 * and VM size: plan, vcpus, knee, recommended, latency_knee, kneedle, usl, max_qps,
 * levels, sizing, warnings; unknown values are null), scaling.json (a list of
 * {plan, v1, v2, qps1, qps2, speedup, efficiency}) and sizing.json (right-sizing across
 * the VM sizes, sizing.h; null when it was not asked for; docs/json.md).
 */
#ifndef VMSWEEP_KNEEJSON_H
#define VMSWEEP_KNEEJSON_H

#include "analysis.h"

/* Render knee.json; *out is a malloc'd NUL-terminated string.  -1 when out of memory. */
int kneejson_render(const struct analysis *a, char **out);

/* Render scaling.json (an empty list with a single VM size); as kneejson_render. */
int kneejson_render_scaling(const struct analysis *a, char **out);

/* Render sizing.json from a->sizing; as kneejson_render. */
int kneejson_render_sizing(const struct analysis *a, char **out);

#endif
