/*
 * doctor — `vmsweep doctor`: check this machine can run sweeps and say what to fix.
 */
#ifndef VMSWEEP_DOCTOR_H
#define VMSWEEP_DOCTOR_H

/* Run every check, print one line each on stdout.  Returns 0 when all essential checks
 * pass, 1 otherwise. */
int doctor_main(int argc, char **argv);

#endif
