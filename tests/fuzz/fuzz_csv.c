/*
 * libFuzzer target for the sweep CSV reader (plot/csv.c) and the analysis behind it:
 * any byte string must either parse (and then analyse without crashing) or be refused
 * with a message, never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis.h"
#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_table *t = NULL;
    struct analysis *a = NULL;

    if (csv_parse_buffer("fuzz.csv", (const char *)data, size, NULL, &t) == 0) {
        if (t->n <= 4096 && analysis_build(&t, 1, 1000, NULL, &a) == 0)
            analysis_free(a);
        csv_free(t);
    }
    return 0;
}
