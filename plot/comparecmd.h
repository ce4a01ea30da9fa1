/*
 * comparecmd — the `vmsweep compare BASE CURRENT` command, the CI performance gate:
 * reads both sides (compareinput.h), checks that they are comparable, compares every
 * common level (compare.h), checks the SLO gates on CURRENT (compareslo.h), and reports as
 * a table on stdout, JUnit XML, Markdown and GitHub annotations.  Exit status: 0 no
 * regression, 3 regression or SLO violation, 4 inconclusive, 2 bad input (then nothing is
 * written).
 */
#ifndef VMSWEEP_COMPARECMD_H
#define VMSWEEP_COMPARECMD_H

/*
 * Run the command; argv[0] is "compare", options follow getopt_long conventions.
 * Returns the exit status (comparereport.h: enum comparereport_status), or 0 for --help.
 */
int comparecmd_main(int argc, char **argv);

#endif
