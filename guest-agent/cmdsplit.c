/* cmdsplit — see cmdsplit.h. */
#include "cmdsplit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdsplit(const char *s, char ***out, char *err, size_t errlen)
{
    size_t len = strlen(s), n = 0;
    char **argv = calloc(len / 2 + 2, sizeof(*argv));
    char *word = NULL;
    int ret = -1;

    if (!argv) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    for (const char *p = s;;) {
        size_t w = 0;
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        word = malloc(len + 1);
        if (!word) {
            snprintf(err, errlen, "out of memory");
            goto cleanup;
        }
        while (*p && !is_blank(*p)) {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q) {
                    if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                    word[w++] = *p++;
                }
                if (!*p) {
                    snprintf(err, errlen, "unterminated %c quote in command '%s'", q, s);
                    goto cleanup;
                }
                p++;
            } else {
                word[w++] = *p++;
            }
        }
        word[w] = 0;
        argv[n++] = word;
        word = NULL;
    }
    if (!n) {
        snprintf(err, errlen, "the command is empty");
        goto cleanup;
    }
    *out = argv;
    argv = NULL;
    ret = 0;
cleanup:
    free(word);
    cmdsplit_free(argv);
    return ret;
}

void cmdsplit_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}
