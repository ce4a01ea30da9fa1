/*
 * sha256 — SHA-256 digests for image and run manifests and the saved-state keys, through
 * OpenSSL's EVP interface (the libcrypto libssh already links).  A streaming interface
 * plus one-shot helpers for a buffer and a file.
 */
#ifndef VMSWEEP_SHA256_H
#define VMSWEEP_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    void *md;   /* EVP_MD_CTX */
    int failed; /* a step failed: sha256_final says so */
};

/* Start a new digest (a failure, out of memory, is reported by sha256_final). */
void sha256_init(struct sha256 *ctx);

/* Feed len bytes. */
void sha256_update(struct sha256 *ctx, const void *data, size_t len);

/* Finish: the 32-byte digest, and the context released.  0, or -1 (reported). */
int sha256_final(struct sha256 *ctx, uint8_t out[32]);

/* Lowercase hex digest of a memory buffer into hex (65 bytes with the NUL); -1 reported. */
int sha256_hex(const void *data, size_t len, char hex[65]);

/* Lowercase hex digest of a file; -1 when it cannot be read (reported). */
int sha256_file(const char *path, char hex[65]);

/* The 32 bytes of d as 64 lowercase hex digits and a NUL. */
void sha256_to_hex(const uint8_t d[32], char hex[65]);

#endif
