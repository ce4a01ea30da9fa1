/*
 * jsonpos — see jsonpos.h.
 *
 * The scanner below only needs to be right for texts cJSON accepted (it runs after
 * cJSON); it never trusts its own view of validity: if it gets lost, positions are
 * dropped rather than wrong.  Duplicate keys are found on cJSON's tree, whose member
 * names are decoded, by sorting (object, name, order) once for the whole document.
 */
#include "jsonpos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct key {
    unsigned line, col;
};

struct jsonpos {
    struct key *keys; /* object member positions in document order */
    size_t nkeys;
    const cJSON **items; /* object members in document order (as keys when nkeys) */
    size_t nitems;
};

/* An object member, for finding duplicates. */
struct member {
    const cJSON *parent;
    const char *name;
    size_t idx; /* in document order */
};

struct scan {
    const char *p;
    unsigned line, col;
};

static void adv(struct scan *s)
{
    if (*s->p == '\n') {
        s->line++;
        s->col = 1;
    } else {
        s->col++;
    }
    s->p++;
}

/* Skip a string starting at the opening quote; returns -1 if unterminated. */
static int skip_string(struct scan *s)
{
    adv(s);
    while (*s->p && *s->p != '"') {
        if (*s->p == '\\' && s->p[1])
            adv(s);
        adv(s);
    }
    if (*s->p != '"')
        return -1;
    adv(s);
    return 0;
}

static void pos_of_offset(const char *text, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/*
 * Record where every object key starts, in document order, enforcing the depth and key
 * caps.  Returns -1 with err when a cap is exceeded or memory runs out.
 */
static int scan_keys(struct jsonpos *jp, const char *text, char *err, size_t errlen)
{
    struct scan s = {.p = text, .line = 1, .col = 1};
    /* Containers: object or array, and whether an object expects a key next. */
    char is_obj[JSONPOS_MAX_DEPTH];
    char keypos[JSONPOS_MAX_DEPTH];
    int depth = -1;
    size_t cap = 0;

    while (*s.p) {
        char c = *s.p;
        if (c == '{' || c == '[') {
            if (depth + 1 >= JSONPOS_MAX_DEPTH) {
                snprintf(err, errlen, "%u:%u: nested more than %d levels deep", s.line, s.col,
                         JSONPOS_MAX_DEPTH);
                return -1;
            }
            depth++;
            is_obj[depth] = c == '{';
            keypos[depth] = c == '{';
            adv(&s);
        } else if (c == '}' || c == ']') {
            if (depth >= 0)
                depth--;
            adv(&s);
        } else if (c == ',') {
            if (depth >= 0 && is_obj[depth])
                keypos[depth] = 1;
            adv(&s);
        } else if (c == '"') {
            unsigned line = s.line, col = s.col;
            if (skip_string(&s) < 0)
                return 0; /* lost: no positions (cJSON accepted it, so it is not wrong) */
            if (depth < 0 || !is_obj[depth] || !keypos[depth])
                continue;
            keypos[depth] = 0;
            if (jp->nkeys == JSONPOS_MAX_KEYS) {
                snprintf(err, errlen, "%u:%u: more than %d keys", line, col, JSONPOS_MAX_KEYS);
                return -1;
            }
            if (jp->nkeys == cap) {
                cap = cap ? cap * 2 : 64;
                struct key *nk = realloc(jp->keys, cap * sizeof(*nk));
                if (nk == NULL) {
                    snprintf(err, errlen, "out of memory");
                    return -1;
                }
                jp->keys = nk;
            }
            jp->keys[jp->nkeys++] = (struct key){.line = line, .col = col};
        } else {
            adv(&s);
        }
    }
    return 0;
}

/*
 * Collect object members in document order (depth first), with their parents into
 * *members.  The depth is bounded: scan_keys refused deeper texts.  Returns -1 when out
 * of memory, -2 beyond JSONPOS_MAX_KEYS.
 */
static int collect(struct jsonpos *jp, const cJSON *item, struct member **members, size_t *cap)
{
    for (const cJSON *c = item->child; c; c = c->next) {
        if (cJSON_IsObject(item)) {
            if (jp->nitems == JSONPOS_MAX_KEYS)
                return -2; /* scan_keys counts them first; this only guards its getting lost */
            if (jp->nitems == *cap) {
                *cap = *cap ? *cap * 2 : 64;
                const cJSON **ni = realloc(jp->items, *cap * sizeof(*ni));
                if (ni == NULL)
                    return -1;
                jp->items = ni;
                struct member *nm = realloc(*members, *cap * sizeof(*nm));
                if (nm == NULL)
                    return -1;
                *members = nm;
            }
            (*members)[jp->nitems] = (struct member){
                .parent = item, .name = c->string ? c->string : "", .idx = jp->nitems};
            jp->items[jp->nitems++] = c;
        }
        int rc = collect(jp, c, members, cap);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int member_cmp(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    uintptr_t px = (uintptr_t)x->parent, py = (uintptr_t)y->parent;
    int c;

    if (px != py)
        return px < py ? -1 : 1;
    if ((c = strcmp(x->name, y->name)) != 0)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The first repeated key in document order, if any: -1 with err. */
static int check_duplicates(const struct jsonpos *jp, struct member *m, char *err, size_t errlen)
{
    size_t dup = SIZE_MAX, first = 0;
    unsigned line = 0, col = 0, fline = 0, fcol = 0;

    if (jp->nitems < 2)
        return 0;
    qsort(m, jp->nitems, sizeof(*m), member_cmp);
    for (size_t i = 1; i < jp->nitems; i++) {
        /* Sorted by index within equal names: m[i - 1] is the earlier occurrence. */
        if (m[i].parent == m[i - 1].parent && strcmp(m[i].name, m[i - 1].name) == 0 &&
            m[i].idx < dup) {
            dup = m[i].idx;
            first = m[i - 1].idx;
        }
    }
    if (dup == SIZE_MAX)
        return 0;
    if (jp->nkeys == jp->nitems) {
        line = jp->keys[dup].line;
        col = jp->keys[dup].col;
        fline = jp->keys[first].line;
        fcol = jp->keys[first].col;
    }
    snprintf(err, errlen, "%u:%u: duplicate key '%.64s' (first at %u:%u)", line, col,
             jp->items[dup]->string, fline, fcol);
    return -1;
}

int jsonpos_parse(const char *text, cJSON **root, struct jsonpos **out, char *err, size_t errlen)
{
    struct jsonpos *jp = calloc(1, sizeof(*jp));
    struct member *members = NULL;
    const char *end = NULL;
    cJSON *r = NULL;
    size_t cap = 0;
    int ret = -1;

    if (errlen > 0)
        err[0] = '\0';
    if (jp == NULL) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    r = cJSON_ParseWithOpts(text, &end, 1);
    if (r == NULL) {
        unsigned line, col;
        const char *at = end ? end : cJSON_GetErrorPtr();
        size_t off = at && at >= text ? (size_t)(at - text) : 0;
        pos_of_offset(text, off, &line, &col);
        snprintf(err, errlen, "%u:%u: invalid JSON near '%.12s'", line, col,
                 at && *at ? at : "end of file");
        goto cleanup;
    }
    if (scan_keys(jp, text, err, errlen) < 0)
        goto cleanup;
    int rc = collect(jp, r, &members, &cap);
    if (rc < 0) {
        if (rc == -2)
            snprintf(err, errlen, "1:1: more than %d keys", JSONPOS_MAX_KEYS);
        else
            snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    if (jp->nitems != jp->nkeys) {
        /* The scanner and cJSON disagree: better no positions than wrong ones. */
        jp->nkeys = 0;
    }
    if (check_duplicates(jp, members, err, errlen) < 0)
        goto cleanup;
    *root = r;
    r = NULL;
    *out = jp;
    jp = NULL;
    ret = 0;
cleanup:
    free(members);
    cJSON_Delete(r);
    jsonpos_free(jp);
    return ret;
}

void jsonpos_of(const struct jsonpos *jp, const cJSON *item, unsigned *line, unsigned *col)
{
    *line = 0;
    *col = 0;
    if (jp == NULL)
        return;
    for (size_t i = 0; i < jp->nitems && i < jp->nkeys; i++) {
        if (jp->items[i] == item) {
            *line = jp->keys[i].line;
            *col = jp->keys[i].col;
            return;
        }
    }
    if (jp->nkeys == 0 || item == NULL)
        return;
    *line = 1;
    *col = 1;
}

void jsonpos_free(struct jsonpos *jp)
{
    if (jp == NULL)
        return;
    free(jp->keys);
    free(jp->items);
    free(jp);
}
