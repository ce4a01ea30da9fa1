/* libFuzzer target: the spec parser (JSON with positions, every key's validation). */
#include "log.h"
#include "spec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    struct spec s;
    FILE *f;

    if (!path[0]) {
        snprintf(path, sizeof(path), "/tmp/fuzz_spec.%ld.json", (long)getpid());
        log_set_level(LOG_QUIET);
    }
    f = fopen(path, "w");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    if (spec_init(&s) == 0 && spec_load(&s, path) == 0)
        (void)spec_check(&s);
    spec_free(&s);
    return 0;
}
