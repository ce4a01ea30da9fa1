/* sha256 — see sha256.h. */
#include "sha256.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void sha256_init(struct sha256 *ctx)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    ctx->md = md;
    ctx->failed = md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1;
}

void sha256_update(struct sha256 *ctx, const void *data, size_t len)
{
    if (!ctx->failed && EVP_DigestUpdate(ctx->md, data, len) != 1)
        ctx->failed = 1;
}

int sha256_final(struct sha256 *ctx, uint8_t out[32])
{
    unsigned n = 0;

    if (!ctx->failed && (EVP_DigestFinal_ex(ctx->md, out, &n) != 1 || n != 32))
        ctx->failed = 1;
    EVP_MD_CTX_free(ctx->md);
    ctx->md = NULL;
    if (ctx->failed) {
        log_error("cannot compute a SHA-256 digest (libcrypto failed; out of memory?)");
        return -1;
    }
    return 0;
}

void sha256_to_hex(const uint8_t d[32], char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

int sha256_hex(const void *data, size_t len, char hex[65])
{
    struct sha256 ctx;
    uint8_t d[32];

    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    if (sha256_final(&ctx, d) < 0)
        return -1;
    sha256_to_hex(d, hex);
    return 0;
}

int sha256_file(const char *path, char hex[65])
{
    struct sha256 ctx;
    uint8_t buf[65536], d[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        log_error("cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    sha256_init(&ctx);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_error("cannot read '%s': %s", path, strerror(errno));
            close(fd);
            sha256_final(&ctx, d);
            return -1;
        }
        if (n == 0)
            break;
        sha256_update(&ctx, buf, (size_t)n);
    }
    close(fd);
    if (sha256_final(&ctx, d) < 0)
        return -1;
    sha256_to_hex(d, hex);
    return 0;
}
