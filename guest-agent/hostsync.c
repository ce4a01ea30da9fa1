/* hostsync — see hostsync.h. */
#include "hostsync.h"

#include "units.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* From <linux/random.h>, which the static (musl) build does not have. */
#ifndef RNDADDENTROPY
#define RNDADDENTROPY _IOW('R', 0x03, int[2])
#endif
#ifndef RNDRESEEDCRNG
#define RNDRESEEDCRNG _IO('R', 0x07)
#endif

int hostsync_parse(const char *epoch_ns, const char *seed_hex, uint64_t *ns, uint8_t *seed,
                   size_t *seed_len)
{
    size_t hl = strlen(seed_hex);
    uint64_t v = 0;

    if (*epoch_ns == '\0' || strlen(epoch_ns) > 19)
        return -1;
    for (const char *p = epoch_ns; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (hl == 0 || hl % 2 || hl / 2 > HOSTSYNC_MAX_SEED)
        return -1;
    for (size_t i = 0; i < hl / 2; i++) {
        int hi = units_hexdigit(seed_hex[2 * i]), lo = units_hexdigit(seed_hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        seed[i] = (uint8_t)(hi << 4 | lo);
    }
    *ns = v;
    *seed_len = hl / 2;
    return 0;
}

int hostsync_main(const char *epoch_ns, const char *seed_hex)
{
    struct {
        int entropy_count; /* struct rand_pool_info */
        int buf_size;
        uint8_t buf[HOSTSYNC_MAX_SEED];
    } pool;
    uint8_t seed[HOSTSYNC_MAX_SEED];
    size_t n = 0;
    uint64_t ns = 0;
    struct timespec ts;
    int fd, ret = 1;

    if (hostsync_parse(epoch_ns, seed_hex, &ns, seed, &n) < 0) {
        fprintf(stderr,
                "vmsweep-agent: --host-sync takes EPOCH_NS and an even number of hex "
                "digits (at most %d bytes)\n",
                HOSTSYNC_MAX_SEED);
        return 2;
    }
    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
        fprintf(stderr, "vmsweep-agent: cannot set the clock: %s\n", strerror(errno));
        return 1;
    }
    fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "vmsweep-agent: cannot open /dev/urandom: %s\n", strerror(errno));
        return 1;
    }
    memset(&pool, 0, sizeof(pool));
    pool.entropy_count = (int)(n * 8);
    pool.buf_size = (int)n;
    memcpy(pool.buf, seed, n);
    if (ioctl(fd, RNDADDENTROPY, &pool) < 0 || ioctl(fd, RNDRESEEDCRNG) < 0)
        fprintf(stderr, "vmsweep-agent: cannot reseed the random generator: %s\n", strerror(errno));
    else
        ret = 0;
    close(fd);
    return ret;
}
