/*
 * cmdsplit — split a command string into an argv without a shell: words are separated
 * by blanks; '...' keeps its text literally; "..." keeps its text with \" and \\ as the
 * only escapes.  No globbing, no variables, no redirections.
 */
#ifndef VMSWEEP_CMDSPLIT_H
#define VMSWEEP_CMDSPLIT_H

#include <stddef.h>

/*
 * Split s into a NULL-terminated argv (at least one word).  0 and *out set (release
 * with cmdsplit_free), or -1 with a sentence in err (errlen bytes).
 */
int cmdsplit(const char *s, char ***out, char *err, size_t errlen);

/* Release an argv from cmdsplit; NULL is accepted. */
void cmdsplit_free(char **argv);

#endif
