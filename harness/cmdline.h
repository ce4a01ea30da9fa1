/*
 * cmdline — command lines of `vmsweep run` and `vmsweep local` (options over spec files).
 */
#ifndef VMSWEEP_CMDLINE_H
#define VMSWEEP_CMDLINE_H

/* `vmsweep run [SPEC] [flags]` (argv[0] = "run").  Returns the exit code. */
int cmdline_run(int argc, char **argv);

/* `vmsweep local [SPEC] [flags]`: the same sweep on the host.  Returns the exit code. */
int cmdline_local(int argc, char **argv);

#endif
