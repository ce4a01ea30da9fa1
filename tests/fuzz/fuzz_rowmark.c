/*
 * libFuzzer target for harness/rowmark.c: the pulled CSV and JSONL come from the guest,
 * so any bytes in them must be rewritten (or left) without crashing, leaking or reading
 * out of bounds.  The input is split at the first NUL byte into the CSV and the JSONL;
 * marks for a few (concurrency, run) pairs are applied, and the CSV is then read back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "fsutil.h"
#include "log.h"
#include "rowmark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[64];

static void put_file(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (n && fwrite(d, 1, n, f) != n)
        abort();
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct rowmark m[] = {{1, 0, 0.5}, {2, 1, 0.95}, {4, 0, 1}, {8, 2, 0.1}};
    const uint8_t *nul = memchr(data, 0, size);
    size_t ncsv = nul ? (size_t)(nul - data) : size;
    char csv[96], jsonl[96];
    struct csv_table *t = NULL;

    if (!fuzz_dir[0]) {
        snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/vmsweep-fuzz-rowmark-XXXXXX");
        if (!mkdtemp(fuzz_dir))
            abort();
        log_set_level(LOG_QUIET);
    }
    snprintf(csv, sizeof(csv), "%s/sweep_1.csv", fuzz_dir);
    snprintf(jsonl, sizeof(jsonl), "%s/sweep_1.jsonl", fuzz_dir);
    put_file(csv, data, ncsv);
    put_file(jsonl, nul ? nul + 1 : data, nul ? size - ncsv - 1 : 0);
    rowmark_apply(csv, m, sizeof(m) / sizeof(*m));
    if (csv_read(csv, NULL, &t) == 0)
        csv_free(t);
    return 0;
}
