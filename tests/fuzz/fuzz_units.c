/* libFuzzer target: the units parsers (counts, durations, sizes, lists) and formatters. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), buf[64];
    uint64_t v, vals[16];
    double d;
    size_t n;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    if (units_parse_u64(s, 0, UINT64_MAX, &v) == 0)
        units_fmt_size(v, buf, sizeof(buf));
    if (units_parse_duration(s, UNITS_US_PER_SEC, 0, UINT64_MAX, &v) == 0)
        units_fmt_duration(v, buf, sizeof(buf));
    if (units_parse_size(s, 1, 0, UINT64_MAX, &v) == 0)
        units_fmt_size(v, buf, sizeof(buf));
    units_parse_list(s, 1, 1024, vals, 16, &n);
    /* Whatever it accepts is a finite number in range. */
    if (units_parse_number(s, 0, 1e12, &d) == 0 && !(d >= 0 && d <= 1e12))
        __builtin_trap();
    free(s);
    return 0;
}
