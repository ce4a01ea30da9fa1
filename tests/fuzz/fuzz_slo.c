/* libFuzzer target: the SLO gate parser of compare and run (--slo 'p99_us<=2000@32'). */
#include "compareslo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    struct compareslo_gate g;
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    memcpy(text, data, size);
    text[size] = '\0';
    (void)compareslo_parse(text, devnull, &g);
    free(text);
    return 0;
}
