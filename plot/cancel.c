/* cancel — see cancel.h.  One process-wide hook: the analysis is single-threaded. */
#include "cancel.h"

#include <stddef.h>

static int (*cancel_hook)(void);

void cancel_set_hook(int (*fn)(void))
{
    cancel_hook = fn;
}

int cancel_requested(void)
{
    return cancel_hook != NULL && cancel_hook() != 0;
}
