/*
 * bigend — big-endian fields of binary formats read and written by the harness (SFTP
 * packets in guest.c, qcow2 headers in qcow2.c).  Header-only: each is a few shifts.
 */
#ifndef VMSWEEP_BIGEND_H
#define VMSWEEP_BIGEND_H

#include <stdint.h>

static inline uint32_t bigend_get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t bigend_get64(const unsigned char *p)
{
    return (uint64_t)bigend_get32(p) << 32 | bigend_get32(p + 4);
}

static inline void bigend_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static inline void bigend_put64(unsigned char *p, uint64_t v)
{
    bigend_put32(p, (uint32_t)(v >> 32));
    bigend_put32(p + 4, (uint32_t)v);
}

#endif
