/*
 * manifest — manifest.json of a run: what was asked, what was in force, where time went.
 *
 * The manifest is a cJSON tree the run fills in as it goes and rewrites (atomically)
 * after every VM size, so even an interrupted or killed run leaves an accurate record.
 */
#ifndef VMSWEEP_MANIFEST_H
#define VMSWEEP_MANIFEST_H

#include <cjson/cJSON.h>

/* A new manifest with the vmsweep version, start time and host facts (CPU, kernel,
 * load, memory).  NULL on out of memory. */
cJSON *manifest_new(void);

/* Add a member holding parsed JSON text (e.g. the spec or the guest's sysinfo); when
 * the text does not parse, it is stored as a string.  NULL-safe for text. */
void manifest_add_json(cJSON *obj, const char *key, const char *text);

/* Stamp "finished" and write the manifest to path atomically.  -1 (reported). */
int manifest_write(cJSON *m, const char *path);

/* Wall-clock time as "2026-11-25T07:08:56Z" into buf. */
void manifest_timestamp(char *buf, size_t len);

#endif
