/*
 * cpucheck — see cpucheck.h.
 *
 * The XML texts come from libvirt (trusted, but their exact formatting is not ours), so
 * the scanning is tolerant: attributes in either quote style and any order, whitespace
 * anywhere a tag allows it.  Only the few elements needed are looked at.
 */
#include "cpucheck.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cpucheck_verdict_name(enum cpucheck_verdict v)
{
    static const char *const names[] = {"yes", "no", "unknown"};
    return names[v];
}

/* Value of attribute attr inside the tag [tag, end), copied into buf; false when absent. */
static bool attr_value(const char *tag, const char *end, const char *attr, char *buf, size_t len)
{
    size_t alen = strlen(attr);

    for (const char *p = tag; p && p + alen + 2 < end; p++) {
        if ((p == tag || !isspace((unsigned char)p[-1])) || strncmp(p, attr, alen) != 0)
            continue;
        const char *q = p + alen;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || *q != '=')
            continue;
        q++;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || (*q != '\'' && *q != '"'))
            continue;
        char quote = *q++;
        const char *v = q;
        while (q < end && *q != quote)
            q++;
        if (q >= end || (size_t)(q - v) >= len)
            return false;
        memcpy(buf, v, (size_t)(q - v));
        buf[q - v] = '\0';
        return true;
    }
    return false;
}

/* The first <mode ...> element of the <cpu> section whose name is mode: [*start, *end). */
static bool find_mode(const char *xml, const char *mode, const char **start, const char **end)
{
    char name[64];

    for (const char *p = strstr(xml, "<mode"); p; p = strstr(p + 5, "<mode")) {
        const char *gt = strchr(p, '>');
        if (!gt)
            return false;
        if (!attr_value(p, gt, "name", name, sizeof(name)) || strcmp(name, mode) != 0)
            continue;
        *start = p;
        if (gt > p && gt[-1] == '/') {
            *end = gt + 1; /* <mode name='...' supported='no'/> */
        } else {
            const char *close = strstr(gt, "</mode>");
            *end = close ? close : gt + strlen(gt);
        }
        return true;
    }
    return false;
}

enum cpucheck_verdict cpucheck_model_usable(const char *domcaps_xml, const char *model)
{
    const char *start, *end;
    char buf[64];

    if (domcaps_xml == NULL || model == NULL)
        return CPUCHECK_UNKNOWN;
    if (strcmp(model, "host") == 0) {
        if (!find_mode(domcaps_xml, "host-passthrough", &start, &end))
            return CPUCHECK_UNKNOWN;
        const char *gt = strchr(start, '>');
        if (!attr_value(start, gt, "supported", buf, sizeof(buf)))
            return CPUCHECK_UNKNOWN;
        return strcmp(buf, "yes") == 0 ? CPUCHECK_USABLE : CPUCHECK_NOT_USABLE;
    }
    if (!find_mode(domcaps_xml, "custom", &start, &end))
        return CPUCHECK_UNKNOWN;
    size_t mlen = strlen(model);
    for (const char *p = strstr(start, "<model"); p && p < end; p = strstr(p + 6, "<model")) {
        const char *gt = strchr(p, '>');
        if (!gt || gt >= end)
            break;
        const char *text = gt + 1;
        if (strncmp(text, model, mlen) != 0 || strncmp(text + mlen, "</model>", 8) != 0)
            continue;
        if (!attr_value(p, gt, "usable", buf, sizeof(buf)))
            return CPUCHECK_UNKNOWN;
        if (strcmp(buf, "yes") == 0)
            return CPUCHECK_USABLE;
        if (strcmp(buf, "no") == 0)
            return CPUCHECK_NOT_USABLE;
        return CPUCHECK_UNKNOWN;
    }
    return CPUCHECK_UNKNOWN;
}

int cpucheck_features(const char *cpu_xml, struct spec_strv *provided, struct spec_strv *missing)
{
    char policy[32], name[128];

    for (const char *p = cpu_xml ? strstr(cpu_xml, "<feature") : NULL; p;
         p = strstr(p + 8, "<feature")) {
        const char *gt = strchr(p, '>');
        if (!gt)
            break;
        if (!attr_value(p, gt, "name", name, sizeof(name)) ||
            !attr_value(p, gt, "policy", policy, sizeof(policy)))
            continue;
        struct spec_strv *to = strcmp(policy, "require") == 0   ? provided
                               : strcmp(policy, "disable") == 0 ? missing
                                                                : NULL;
        if (to && spec_strv_add(to, name) < 0)
            return -1;
    }
    return 0;
}

/* libvirt's spelling -> Linux's /proc/cpuinfo spelling, where the rule below is not enough. */
static const struct {
    const char *libvirt, *linux_name;
} cpucheck_aliases[] = {
    {"pclmuldq", "pclmulqdq"},
    {"cr8legacy", "cr8_legacy"},
    {"tsc-deadline", "tsc_deadline_timer"},
};

/* Features Linux keeps out of /proc/cpuinfo (flag name "" in its cpufeatures.h). */
static const char *const cpucheck_invisible[] = {
    "amd-stibp",       "amd-ssbd",          "amd-no-ssb",        "amd-psfd",
    "stibp-always-on", "no-nested-data-bp", "null-sel-clr-base", "lfence-always-serializing",
    "auto-ibrs",
};

/* Linux's name for a libvirt feature: aliases, else lower case with '-' and '.' as '_'. */
static void linux_name(const char *feat, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof(cpucheck_aliases) / sizeof(cpucheck_aliases[0]); i++) {
        if (strcmp(feat, cpucheck_aliases[i].libvirt) == 0) {
            snprintf(buf, len, "%s", cpucheck_aliases[i].linux_name);
            return;
        }
    }
    size_t i = 0;
    for (; feat[i] && i + 1 < len; i++) {
        char ch = (char)tolower((unsigned char)feat[i]);
        buf[i] = ch == '-' || ch == '.' ? '_' : ch;
    }
    buf[i] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cpucheck_guest_lacks(const struct spec_strv *features, const char *guest_flags,
                         struct spec_strv *lacks)
{
    char *copy = strdup(guest_flags ? guest_flags : "");
    char **words = NULL, *save = NULL;
    size_t n = 0, cap = 0;
    int ret = -1;

    if (copy == NULL)
        return -1;
    /* Sorted flags: a lookup per feature is a binary search (a flags line has ~100). */
    for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 128;
            char **nw = realloc(words, cap * sizeof(*words));
            if (nw == NULL)
                goto cleanup;
            words = nw;
        }
        words[n++] = w;
    }
    if (n)
        qsort(words, n, sizeof(*words), cmp_str);
    for (size_t i = 0; i < features->n; i++) {
        char name[128];
        const char *key = name;
        bool invisible = false;
        for (size_t k = 0; k < sizeof(cpucheck_invisible) / sizeof(cpucheck_invisible[0]); k++)
            invisible |= strcmp(features->v[i], cpucheck_invisible[k]) == 0;
        if (invisible)
            continue;
        linux_name(features->v[i], name, sizeof(name));
        if ((n == 0 || !bsearch(&key, words, n, sizeof(*words), cmp_str)) &&
            spec_strv_add(lacks, features->v[i]) < 0)
            goto cleanup;
    }
    ret = 0;
cleanup:
    free(words);
    free(copy);
    return ret;
}
