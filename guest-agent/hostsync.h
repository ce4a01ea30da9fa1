/*
 * hostsync — bring a guest resumed from a saved state back in step with the host
 * (`vmsweep-agent --host-sync EPOCH_NS SEED_HEX`, run by the harness after a restore).
 *
 * A restored guest wakes with the wall clock and the random generator of the moment its
 * state was saved: every restore of one state would draw the same "random" bytes and
 * stamp rows with a stale time.  The harness sends its CLOCK_REALTIME and fresh random
 * bytes; this sets the clock and credits the bytes to the kernel's pool, then forces the
 * kernel to reseed its generator from it (RNDADDENTROPY, RNDRESEEDCRNG: root only).
 */
#ifndef VMSWEEP_HOSTSYNC_H
#define VMSWEEP_HOSTSYNC_H

#include <stddef.h>
#include <stdint.h>

#define HOSTSYNC_MAX_SEED 256 /* bytes of seed accepted */

/*
 * Parse the two arguments: a decimal count of nanoseconds since the epoch and an even
 * number of hex digits (1..HOSTSYNC_MAX_SEED bytes).  -1 on anything else.
 */
int hostsync_parse(const char *epoch_ns, const char *seed_hex, uint64_t *ns, uint8_t *seed,
                   size_t *seed_len);

/* Parse, set the clock, seed and reseed.  Returns the exit code (0, 1 failed, 2 usage). */
int hostsync_main(const char *epoch_ns, const char *seed_hex);

#endif
