/*
 * cancel — lets the caller stop a long analysis.  The analysis runs in the process that
 * owns the terminal (`vmsweep plot`, `vmsweep compare`, the end of `vmsweep run`), whose
 * SIGINT handler may only set a flag; the loops that can run long on a large or hostile
 * input (reading a CSV, grouping and fitting levels, the bootstrap of `compare`, waiting
 * for gnuplot) poll that flag through this hook and give up with "interrupted".
 */
#ifndef VMSWEEP_CANCEL_H
#define VMSWEEP_CANCEL_H

/*
 * Register fn, called (from the analysing thread, often) to ask whether to stop: nonzero
 * means stop.  It must be cheap and async-signal-safe to race with, e.g. return a
 * volatile sig_atomic_t.  NULL (the default) removes the hook.
 */
void cancel_set_hook(int (*fn)(void));

/* Nonzero when the registered hook asks to stop; 0 without a hook. */
int cancel_requested(void);

#endif
