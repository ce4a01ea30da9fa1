/*
 * jsonpos — line:column positions for cJSON items, and duplicate-key detection.
 *
 * cJSON keeps no positions and silently accepts duplicate keys (first wins).  Users of
 * spec files deserve "sweeps/x.json:12:5: unknown key 'vcpu'", so this module scans the
 * text once, records where every object member starts, and maps cJSON items to those
 * positions by walking the tree in document order (cJSON keeps members in text order).
 */
#ifndef VMSWEEP_JSONPOS_H
#define VMSWEEP_JSONPOS_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* A spec needs far less; these keep a hostile or broken file from costing much. */
#define JSONPOS_MAX_DEPTH 64     /* nesting of objects and arrays */
#define JSONPOS_MAX_KEYS  100000 /* object members in the whole text */

struct jsonpos;

/*
 * Parse text with cJSON and index it.  On a syntax error, a duplicate key within an
 * object (compared as decoded strings, so "n\u0061me" repeats "name"), nesting deeper
 * than JSONPOS_MAX_DEPTH or more than JSONPOS_MAX_KEYS keys, returns -1 and writes
 * "LINE:COL: message" into err.  Time is O(n log n) in the number of keys.  On success
 * *root owns the cJSON tree and *out the index; free both (jsonpos_free, cJSON_Delete).
 */
int jsonpos_parse(const char *text, cJSON **root, struct jsonpos **out, char *err, size_t errlen);

/* Position of an object member (or the root); 0:0 when unknown. */
void jsonpos_of(const struct jsonpos *jp, const cJSON *item, unsigned *line, unsigned *col);

/* Free the index (NULL is fine). */
void jsonpos_free(struct jsonpos *jp);

#endif
