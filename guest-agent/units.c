/*
 * units — see units.h.  Parsing is done by hand rather than with strtoull alone because
 * strtoull accepts leading whitespace, a sign ("-1" wraps to 2^64-1) and an empty
 * string, all of which must be refused here.
 */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Parse "digits[.digits]" at *p into an integer part and a fraction scaled to 1e9.
 * Advances *p past the number.  Returns -EINVAL when there are no digits and -ERANGE
 * when the integer part overflows 64 bits.
 */
static int parse_decimal(const char **p, uint64_t *ip, uint64_t *frac_e9, int allow_frac)
{
    const char *s = *p;
    uint64_t v = 0, f = 0, scale = 100000000ULL;
    int digits = 0;

    while (isdigit((unsigned char)*s)) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
        s++;
        digits++;
    }
    if (digits == 0)
        return -EINVAL;
    if (allow_frac && *s == '.') {
        s++;
        int fdigits = 0;
        while (isdigit((unsigned char)*s)) {
            f += (uint64_t)(*s - '0') * scale;
            scale /= 10;
            s++;
            fdigits++;
        }
        if (fdigits == 0)
            return -EINVAL;
        digits += fdigits;
    }
    if (digits == 0)
        return -EINVAL;
    *p = s;
    *ip = v;
    *frac_e9 = f;
    return 0;
}

/* v * mult + frac_e9 * mult / 1e9 with overflow checking. */
static int scale_value(uint64_t v, uint64_t frac_e9, uint64_t mult, uint64_t *out)
{
    if (mult != 0 && v > UINT64_MAX / mult)
        return -ERANGE;
    uint64_t r = v * mult;
    /* The fraction is below 1, so frac_e9 * mult / 1e9 < mult: compute without overflow. */
    uint64_t fr = (uint64_t)((long double)frac_e9 * (long double)mult / 1e9L);
    if (r > UINT64_MAX - fr)
        return -ERANGE;
    *out = r + fr;
    return 0;
}

int units_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v, f;
    int rc;

    if (s == NULL)
        return -EINVAL;
    rc = parse_decimal(&s, &v, &f, 0);
    if (rc < 0)
        return rc;
    if (*s != '\0')
        return -EINVAL;
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int units_parse_number(const char *s, double min, double max, double *out)
{
    size_t digits = 0, dots = 0, i = 0;
    double v, mult = 1;
    char buf[64];

    if (s == NULL)
        return -EINVAL;
    for (; s[i] && (isdigit((unsigned char)s[i]) || s[i] == '.'); i++) {
        digits += isdigit((unsigned char)s[i]) != 0;
        dots += s[i] == '.';
    }
    if (!digits || dots > 1 || i >= sizeof(buf))
        return -EINVAL;
    if (s[i] == 'k' || s[i] == 'K')
        mult = 1e3;
    else if (s[i] == 'M')
        mult = 1e6;
    else if (s[i])
        return -EINVAL;
    if (s[i] && s[i + 1])
        return -EINVAL;
    memcpy(buf, s, i);
    buf[i] = '\0';
    v = strtod(buf, NULL) * mult;
    if (!(v >= min && v <= max))
        return -ERANGE;
    *out = v;
    return 0;
}

struct unit {
    const char *name;
    uint64_t mult;
};

static int parse_with_units(const char *s, const struct unit *units, uint64_t default_mult,
                            uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v, f, mult = default_mult, r;
    int rc;

    if (s == NULL)
        return -EINVAL;
    rc = parse_decimal(&s, &v, &f, 1);
    if (rc < 0)
        return rc;
    if (*s != '\0') {
        const struct unit *u;
        for (u = units; u->name != NULL; u++) {
            if (strcasecmp(s, u->name) == 0)
                break;
        }
        if (u->name == NULL)
            return -EINVAL;
        mult = u->mult;
    }
    rc = scale_value(v, f, mult, &r);
    if (rc < 0)
        return rc;
    if (r < min || r > max)
        return -ERANGE;
    *out = r;
    return 0;
}

int units_parse_duration(const char *s, uint64_t default_unit_us, uint64_t min_us, uint64_t max_us,
                         uint64_t *out_us)
{
    static const struct unit units[] = {
        {"us", 1},
        {"ms", 1000},
        {"s", UNITS_US_PER_SEC},
        {"m", 60 * UNITS_US_PER_SEC},
        {"min", 60 * UNITS_US_PER_SEC},
        {"h", 3600 * UNITS_US_PER_SEC},
        {NULL, 0},
    };
    return parse_with_units(s, units, default_unit_us, min_us, max_us, out_us);
}

int units_parse_size(const char *s, uint64_t default_unit, uint64_t min, uint64_t max,
                     uint64_t *out)
{
    static const struct unit units[] = {
        {"b", 1},
        {"k", 1ULL << 10},
        {"kb", 1ULL << 10},
        {"kib", 1ULL << 10},
        {"m", 1ULL << 20},
        {"mb", 1ULL << 20},
        {"mib", 1ULL << 20},
        {"g", 1ULL << 30},
        {"gb", 1ULL << 30},
        {"gib", 1ULL << 30},
        {"t", 1ULL << 40},
        {"tb", 1ULL << 40},
        {"tib", 1ULL << 40},
        {NULL, 0},
    };
    return parse_with_units(s, units, default_unit, min, max, out);
}

int units_parse_list(const char *s, uint64_t min, uint64_t max, uint64_t *vals, size_t cap,
                     size_t *n)
{
    char tok[32];
    size_t count = 0;
    int rc;

    if (s == NULL)
        return -EINVAL;
    for (;;) {
        while (*s == ',' || isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        size_t len = 0;
        while (s[len] != '\0' && s[len] != ',' && !isspace((unsigned char)s[len]))
            len++;
        if (len >= sizeof(tok))
            return -EINVAL;
        memcpy(tok, s, len);
        tok[len] = '\0';
        s += len;
        if (count == cap)
            return -E2BIG;
        rc = units_parse_u64(tok, min, max, &vals[count]);
        if (rc < 0)
            return rc;
        count++;
    }
    if (count == 0)
        return -EINVAL;
    *n = count;
    return 0;
}

void units_fmt_duration(uint64_t us, char *buf, size_t len)
{
    if (us < 1000)
        snprintf(buf, len, "%lluus", (unsigned long long)us);
    else if (us < UNITS_US_PER_SEC)
        snprintf(buf, len, "%.3gms", (double)us / 1e3);
    else if (us < 60 * UNITS_US_PER_SEC)
        snprintf(buf, len, "%.3gs", (double)us / 1e6);
    else {
        uint64_t s = us / UNITS_US_PER_SEC;
        if (s < 3600)
            snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
                     (unsigned long long)(s % 60));
        else
            snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
                     (unsigned long long)(s / 60 % 60));
    }
}

void units_fmt_size(uint64_t bytes, char *buf, size_t len)
{
    static const char suffix[] = "KMGT";
    double v = (double)bytes;
    int i = -1;

    while (v >= 1024.0 && i < 3) {
        v /= 1024.0;
        i++;
    }
    if (i < 0)
        snprintf(buf, len, "%llu", (unsigned long long)bytes);
    else
        snprintf(buf, len, "%.4g%c", v, suffix[i]);
}

int units_hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
