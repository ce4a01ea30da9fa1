/*
 * sha256 — FIPS 180-4 SHA-256, for image manifests and run manifests (file hashes).
 * Streaming interface plus a whole-file helper.
 */
#ifndef VMSWEEP_SHA256_H
#define VMSWEEP_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t state[8];
    uint64_t bytes;
    uint8_t buf[64];
    size_t used;
};

/* Start a new digest. */
void sha256_init(struct sha256 *ctx);

/* Feed len bytes. */
void sha256_update(struct sha256 *ctx, const void *data, size_t len);

/* Finish: 32-byte digest. The context must be re-initialised before reuse. */
void sha256_final(struct sha256 *ctx, uint8_t out[32]);

/* Lowercase hex digest of a memory buffer into hex (65 bytes with the NUL). */
void sha256_hex(const void *data, size_t len, char hex[65]);

/* Lowercase hex digest of a file; -1 when it cannot be read (reported). */
int sha256_file(const char *path, char hex[65]);

#endif
