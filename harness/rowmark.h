/*
 * rowmark — the harness's judgement of each run written into the agent's files: the
 * cpu_share column (plot/interfere.h) of the rows of a pulled sweep_<time>.csv and of
 * its sweep_<time>.jsonl, matched by (concurrency, run_idx), which are unique within one
 * file.  Only that one field of a matched row changes; every other byte stays as the
 * agent wrote it, so the files still read back the same way.  Rewrites are atomic.
 */
#ifndef VMSWEEP_ROWMARK_H
#define VMSWEEP_ROWMARK_H

#include <stddef.h>
#include <stdint.h>

struct rowmark {
    uint64_t concurrency;
    uint64_t run_idx;
    double share; /* NAN: leave the field empty */
};

/*
 * Set cpu_share in the rows of csv_path (and of the .jsonl beside it, when there is one)
 * that marks[0..n) name.  0, or -1 after reporting once (the file is then unchanged).  A
 * file without a cpu_share column (an older agent) is left alone (0).
 */
int rowmark_apply(const char *csv_path, const struct rowmark *marks, size_t n);

#endif
