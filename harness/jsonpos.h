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

struct jsonpos;

/*
 * Parse text with cJSON and index it.  On a syntax error or a duplicate key, returns -1
 * and writes "LINE:COL: message" into err.  On success *root owns the cJSON tree and
 * *out the index; free both (jsonpos_free, cJSON_Delete).
 */
int jsonpos_parse(const char *text, cJSON **root, struct jsonpos **out, char *err, size_t errlen);

/* Position of an object member (or the root); 0:0 when unknown. */
void jsonpos_of(const struct jsonpos *jp, const cJSON *item, unsigned *line, unsigned *col);

/* Free the index (NULL is fine). */
void jsonpos_free(struct jsonpos *jp);

#endif
