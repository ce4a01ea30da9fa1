/*
 * jsonpos — see jsonpos.h.
 *
 * The scanner below only needs to be right for texts cJSON accepted, except that it runs
 * first to find duplicate keys; it never trusts its own view of validity: if it gets
 * lost, it stops and reports no positions rather than wrong ones.
 */
#include "jsonpos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct key {
    const char *name; /* points into the text (after the quote) */
    size_t len;
    unsigned line, col;
    int depth;
};

struct jsonpos {
    struct key *keys;
    size_t nkeys;
    const cJSON **items;
    size_t nitems;
};

struct scan {
    const char *p, *start;
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
 * Record every object key in document order.  Objects are tracked on a stack so keys can
 * be checked for duplicates within their object.  Returns -1 with err on a duplicate.
 */
static int scan_keys(struct jsonpos *jp, const char *text, char *err, size_t errlen)
{
    struct scan s = {.p = text, .start = text, .line = 1, .col = 1};
    /* Stack of containers: 'o' object (expecting a key when keypos), 'a' array. */
    char stack[256];
    size_t obj_first[256];
    int keypos[256];
    int depth = -1;
    size_t cap = 0;

    while (*s.p) {
        char c = *s.p;
        if (c == '{' || c == '[') {
            if (depth + 1 >= (int)sizeof(stack))
                return 0; /* absurd nesting: give up on positions */
            depth++;
            stack[depth] = c == '{' ? 'o' : 'a';
            keypos[depth] = c == '{';
            obj_first[depth] = jp->nkeys;
            adv(&s);
        } else if (c == '}' || c == ']') {
            if (depth >= 0)
                depth--;
            adv(&s);
        } else if (c == ',') {
            if (depth >= 0 && stack[depth] == 'o')
                keypos[depth] = 1;
            adv(&s);
        } else if (c == ':') {
            adv(&s);
        } else if (c == '"') {
            unsigned line = s.line, col = s.col;
            const char *name = s.p + 1;
            if (skip_string(&s) < 0)
                return 0;
            if (depth >= 0 && stack[depth] == 'o' && keypos[depth]) {
                keypos[depth] = 0;
                size_t len = (size_t)(s.p - name - 1);
                for (size_t k = obj_first[depth]; k < jp->nkeys; k++) {
                    if (jp->keys[k].depth == depth && jp->keys[k].len == len &&
                        memcmp(jp->keys[k].name, name, len) == 0) {
                        snprintf(err, errlen, "%u:%u: duplicate key '%.*s' (first at %u:%u)", line,
                                 col, (int)len, name, jp->keys[k].line, jp->keys[k].col);
                        return -1;
                    }
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
                jp->keys[jp->nkeys++] = (struct key){
                    .name = name, .len = len, .line = line, .col = col, .depth = depth};
            }
        } else {
            adv(&s);
        }
    }
    return 0;
}

/* Collect object members in document order (depth first). */
static int collect(struct jsonpos *jp, const cJSON *item, size_t *cap)
{
    for (const cJSON *c = item->child; c; c = c->next) {
        if (cJSON_IsObject(item)) {
            if (jp->nitems == *cap) {
                *cap = *cap ? *cap * 2 : 64;
                const cJSON **ni = realloc(jp->items, *cap * sizeof(*ni));
                if (ni == NULL)
                    return -1;
                jp->items = ni;
            }
            jp->items[jp->nitems++] = c;
        }
        if (collect(jp, c, cap) < 0)
            return -1;
    }
    return 0;
}

int jsonpos_parse(const char *text, cJSON **root, struct jsonpos **out, char *err, size_t errlen)
{
    struct jsonpos *jp = calloc(1, sizeof(*jp));
    const char *end = NULL;
    cJSON *r = NULL;
    size_t cap = 0;

    if (jp == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r = cJSON_ParseWithOpts(text, &end, 1);
    if (r == NULL) {
        unsigned line, col;
        const char *at = end ? end : cJSON_GetErrorPtr();
        size_t off = at && at >= text ? (size_t)(at - text) : 0;
        pos_of_offset(text, off, &line, &col);
        snprintf(err, errlen, "%u:%u: invalid JSON near '%.12s'", line, col,
                 at && *at ? at : "end of file");
        jsonpos_free(jp);
        return -1;
    }
    if (scan_keys(jp, text, err, errlen) < 0 || collect(jp, r, &cap) < 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "out of memory");
        cJSON_Delete(r);
        jsonpos_free(jp);
        return -1;
    }
    if (jp->nitems != jp->nkeys) {
        /* The scanner and cJSON disagree: better no positions than wrong ones. */
        jp->nkeys = 0;
    }
    *root = r;
    *out = jp;
    return 0;
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
