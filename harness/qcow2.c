/*
 * qcow2 — see qcow2.h.  Header layout (all fields big-endian), from QEMU's
 * docs/interop/qcow2.txt: magic "QFI\xfb" (0), version (4), backing_file_offset (8, u64),
 * backing_file_size (16, u32), cluster_bits (20), size (24, u64); version 3 adds
 * header_length (100, u32), after which come the header extensions (type u32, length
 * u32, data padded to 8 bytes; type 0 ends them); version 2's start at byte 72.  The
 * backing format is extension 0xE2792ACA.
 */
#include "qcow2.h"

#include "bigend.h"
#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QCOW2_EXT_BACKING_FMT 0xE2792ACAu
#define QCOW2_EXT_DATA_FILE   0x44415441u
#define QCOW2_INCOMPAT_DATA   (1ull << 2) /* the guest's data is in another file */
#define QCOW2_V2_HEADER_LEN   72u
#define QCOW2_V3_HEADER_MIN   104u

/* A backing name QEMU would read as a file: no "json:" document, no "proto:" form. */
static bool plain_path(const char *s)
{
    const char *colon = strchr(s, ':'), *slash = strchr(s, '/');

    if (strncmp(s, "json:", 5) == 0)
        return false;
    return colon == NULL || (slash != NULL && slash < colon);
}

int qcow2_parse(const unsigned char *buf, size_t len, struct qcow2_info *out, char *err,
                size_t errlen)
{
    struct qcow2_info in;
    uint64_t boff;
    uint32_t bsize, hlen, cbits;
    size_t lim;

    memset(&in, 0, sizeof(in));
    if (len < QCOW2_V2_HEADER_LEN || memcmp(buf, "QFI\xfb", 4) != 0) {
        snprintf(err, errlen, "not a qcow2 image");
        return -1;
    }
    in.version = bigend_get32(buf + 4);
    boff = bigend_get64(buf + 8);
    bsize = bigend_get32(buf + 16);
    cbits = bigend_get32(buf + 20);
    in.size = bigend_get64(buf + 24);
    if (in.version != 2 && in.version != 3) {
        snprintf(err, errlen, "qcow2 version %u (only 2 and 3 are known)", in.version);
        return -1;
    }
    if (cbits < 9 || cbits > 21) {
        snprintf(err, errlen, "cluster size 2^%u is out of qcow2's range", cbits);
        return -1;
    }
    in.cluster = (size_t)1 << cbits;
    /* Everything read here lies in cluster 0, and in what was read of it. */
    lim = len < in.cluster ? len : in.cluster;
    hlen = QCOW2_V2_HEADER_LEN;
    if (in.version == 3) {
        if (lim < QCOW2_V3_HEADER_MIN) {
            snprintf(err, errlen, "the qcow2 header is cut short");
            return -1;
        }
        hlen = bigend_get32(buf + 100);
        if (hlen < QCOW2_V3_HEADER_MIN || hlen > lim || hlen % 8) {
            snprintf(err, errlen, "header length %u is out of range", hlen);
            return -1;
        }
        if (bigend_get64(buf + 72) & QCOW2_INCOMPAT_DATA) {
            snprintf(err, errlen, "its data is in an external data file (not supported)");
            return -1;
        }
    }
    in.header_len = hlen;
    if (boff != 0 || bsize != 0) {
        if (bsize == 0 || bsize > QCOW2_BACKING_MAX || boff < hlen || boff > lim ||
            bsize > lim - boff) {
            snprintf(err, errlen,
                     "the backing file name (%u bytes at %llu) is not within the first %zu bytes",
                     bsize, (unsigned long long)boff, lim);
            return -1;
        }
        memcpy(in.backing, buf + boff, bsize);
        in.backing[bsize] = '\0';
        if (strlen(in.backing) != bsize || !plain_path(in.backing)) {
            snprintf(err, errlen, "the backing file name is not a plain path");
            return -1;
        }
    }
    /* Header extensions: the backing format, when written. */
    for (size_t at = hlen; at + 8 <= lim;) {
        uint32_t type = bigend_get32(buf + at), elen = bigend_get32(buf + at + 4);
        if (type == 0)
            break;
        if (elen > lim - at - 8) {
            snprintf(err, errlen, "a header extension runs past the first %zu bytes", lim);
            return -1;
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            if (elen == 0 || elen >= sizeof(in.backing_fmt)) {
                snprintf(err, errlen, "the backing format is %u bytes long", elen);
                return -1;
            }
            memcpy(in.backing_fmt, buf + at + 8, elen);
            in.backing_fmt[elen] = '\0';
            if (strcmp(in.backing_fmt, "qcow2") != 0 && strcmp(in.backing_fmt, "raw") != 0) {
                snprintf(err, errlen, "backing format '%.15s' (only qcow2 and raw are known)",
                         in.backing_fmt);
                return -1;
            }
        }
        at += 8 + ((size_t)elen + 7) / 8 * 8;
    }
    *out = in;
    return 0;
}

int qcow2_rebase_head(const unsigned char *head, const struct qcow2_info *info, const char *backing,
                      const char *fmt, unsigned char *out, char *err, size_t errlen)
{
    size_t blen = strlen(backing), flen = strlen(fmt), at = info->header_len, from;

    if (blen == 0 || blen > QCOW2_BACKING_MAX || !plain_path(backing)) {
        snprintf(err, errlen, "'%s' cannot be a backing file name", backing);
        return -1;
    }
    if (strcmp(fmt, "qcow2") != 0 && strcmp(fmt, "raw") != 0) {
        snprintf(err, errlen, "backing format '%s' (only qcow2 and raw are known)", fmt);
        return -1;
    }
    memset(out, 0, info->cluster);
    memcpy(out, head, info->header_len);
    /* The extensions but the backing format's (qcow2_parse checked their bounds). */
    for (from = info->header_len; from + 8 <= info->cluster;) {
        uint32_t type = bigend_get32(head + from), elen = bigend_get32(head + from + 4);
        size_t step = 8 + ((size_t)elen + 7) / 8 * 8;
        if (type == 0)
            break;
        if (type == QCOW2_EXT_DATA_FILE) {
            snprintf(err, errlen, "its data is in an external data file (not supported)");
            return -1;
        }
        if (type != QCOW2_EXT_BACKING_FMT) {
            if (step > info->cluster - at) {
                snprintf(err, errlen, "no room in the header cluster");
                return -1;
            }
            memcpy(out + at, head + from,
                   step < info->cluster - from ? step : info->cluster - from);
            at += step;
        }
        from += step;
    }
    /* New backing format extension, the end of the extensions, the name. */
    if (at + 8 + (flen + 7) / 8 * 8 + 8 + blen + 1 > info->cluster) {
        snprintf(err, errlen, "no room in the header cluster for the name '%s'", backing);
        return -1;
    }
    bigend_put32(out + at, QCOW2_EXT_BACKING_FMT);
    bigend_put32(out + at + 4, (uint32_t)flen);
    for (size_t k = 0; k < flen; k++) /* not a C string there: the length says */
        out[at + 8 + k] = (unsigned char)fmt[k];
    at += 8 + (flen + 7) / 8 * 8;
    at += 8;                             /* type 0, length 0: already zero */
    memcpy(out + at, backing, blen + 1); /* the NUL is not part of it: the length says */
    bigend_put64(out + 8, at);
    bigend_put32(out + 16, (uint32_t)blen);
    return 0;
}

bool qcow2_is(const char *path)
{
    unsigned char magic[4];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    bool ok;

    if (fd < 0)
        return false;
    ok = read(fd, magic, 4) == 4 && memcmp(magic, "QFI\xfb", 4) == 0;
    close(fd);
    return ok;
}

/* Read up to len bytes of fd from offset 0 into buf: how many, or -1 (errno). */
static ssize_t read_head(int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int qcow2_read(const char *path, struct qcow2_info *out, unsigned char **head)
{
    unsigned char *buf = malloc(QCOW2_HEAD_MAX), *c0 = NULL;
    struct qcow2_info info;
    char err[160];
    ssize_t got;
    int fd = -1, ret = -1;

    if (buf == NULL) {
        log_error("out of memory");
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        log_error("cannot read '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    if ((got = read_head(fd, buf, QCOW2_HEAD_MAX)) < 0) {
        log_error("cannot read '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    if (qcow2_parse(buf, (size_t)got, &info, err, sizeof(err)) < 0) {
        log_error("'%s': %s", path, err);
        goto cleanup;
    }
    if (head) {
        c0 = malloc(info.cluster);
        if (c0 == NULL) {
            log_error("out of memory");
            goto cleanup;
        }
        if ((got = read_head(fd, c0, info.cluster)) != (ssize_t)info.cluster) {
            log_error("cannot read the first cluster of '%s': %s", path,
                      got < 0 ? strerror(errno) : "the file is shorter");
            goto cleanup;
        }
        *head = c0;
        c0 = NULL;
    }
    *out = info;
    ret = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    free(c0);
    free(buf);
    return ret;
}

char *qcow2_backing_path(const char *path, const struct qcow2_info *info)
{
    const char *slash = strrchr(path, '/');
    char *p;

    if (info->backing[0] == '/' || slash == NULL)
        p = strdup(info->backing);
    else
        p = fsutil_printf("%.*s/%s", (int)(slash - path), path, info->backing);
    if (p == NULL)
        log_error("out of memory");
    return p;
}
