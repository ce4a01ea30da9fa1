/*
 * docgen — the user documentation generated from the option tables (specopt_table for
 * vmsweep, opts_defs for the agent): the man pages vmsweep(1) and vmsweep-agent(1), the
 * bash and zsh completions, the key table of sweeps/README.md, and the CSV columns
 * (guest-agent/row.h).  The generated files
 * are committed; `make docs` rewrites them and `make check` fails when they drift
 * (tests/integration/docs_drift.sh).
 */
#ifndef VMSWEEP_DOCGEN_H
#define VMSWEEP_DOCGEN_H

/*
 * `vmsweep gen-docs DIR [README]`: write DIR/vmsweep.1, DIR/vmsweep-agent.1,
 * DIR/vmsweep.bash, DIR/_vmsweep and DIR/csv-columns.md; with README, rewrite the key table between
 * its markers.  Exit code: 0, 1 (a file could not be written), 2 (usage).
 */
int docgen_main(int argc, char **argv);

#endif
