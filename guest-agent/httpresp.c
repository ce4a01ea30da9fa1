/* httpresp — see httpresp.h. */
#include "httpresp.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum {
    HR_HEADER,
    HR_BODY_LEN,   /* left bytes of body */
    HR_BODY_EOF,   /* body until the connection closes */
    HR_CHUNK_SIZE, /* hdr collects the size line */
    HR_CHUNK_DATA, /* left bytes of chunk data */
    HR_CHUNK_CRLF, /* left bytes of the CRLF after the data */
    HR_TRAILER,    /* hdr collects trailer lines until an empty one */
};

void httpresp_init(struct httpresp *p)
{
    p->state = HR_HEADER;
    p->status = 0;
    p->keepalive = 0;
    p->chunked = 0;
    p->left = 0;
    p->hlen = 0;
}

/* Case-insensitive search for token in the comma-separated header value v..e. */
static int has_token(const char *v, const char *e, const char *token)
{
    size_t n = strlen(token);
    while (v < e) {
        while (v < e && (*v == ' ' || *v == '\t' || *v == ','))
            v++;
        const char *s = v;
        while (v < e && *v != ',')
            v++;
        const char *t = v;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - s) == n && !strncasecmp(s, token, n))
            return 1;
    }
    return 0;
}

/* Parse the complete header block in p->hdr (p->hlen bytes, ending in CRLFCRLF). */
static int parse_header(struct httpresp *p)
{
    const char *s = p->hdr, *end = p->hdr + p->hlen, *eol;
    int minor, have_len = 0, conn_close = 0, conn_keep = 0;
    uint64_t len = 0;

    if (p->hlen < 12 || memcmp(s, "HTTP/1.", 7) || (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
        !isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
        !isdigit((unsigned char)s[11]))
        return -1;
    minor = s[7] - '0';
    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    eol = memchr(s, '\n', (size_t)(end - s));
    for (s = eol + 1; s < end; s = eol + 1) {
        const char *colon, *v, *ve;
        eol = memchr(s, '\n', (size_t)(end - s));
        if (!eol)
            return -1;
        ve = eol;
        if (ve > s && ve[-1] == '\r')
            ve--;
        if (ve == s)
            break; /* the empty line */
        colon = memchr(s, ':', (size_t)(ve - s));
        if (!colon)
            return -1;
        for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++)
            ;
        size_t klen = (size_t)(colon - s);
        if (klen == 14 && !strncasecmp(s, "Content-Length", 14)) {
            uint64_t n = 0;
            const char *d = v;
            for (; d < ve && isdigit((unsigned char)*d); d++) {
                if (n > (UINT64_MAX - 9) / 10)
                    return -1;
                n = n * 10 + (uint64_t)(*d - '0');
            }
            while (d < ve && (*d == ' ' || *d == '\t'))
                d++;
            if (d == v || d != ve || (have_len && n != len))
                return -1;
            have_len = 1;
            len = n;
        } else if (klen == 17 && !strncasecmp(s, "Transfer-Encoding", 17)) {
            if (!has_token(v, ve, "chunked"))
                return -1; /* other codings cannot be delimited */
            p->chunked = 1;
        } else if (klen == 10 && !strncasecmp(s, "Connection", 10)) {
            conn_close |= has_token(v, ve, "close");
            conn_keep |= has_token(v, ve, "keep-alive");
        }
    }
    p->keepalive = !conn_close && (minor == 1 || conn_keep);
    if (p->status / 100 == 1 || p->status == 204 || p->status == 304) {
        p->left = 0;
        p->state = HR_BODY_LEN;
    } else if (p->chunked) {
        p->state = HR_CHUNK_SIZE;
        p->hlen = 0;
    } else if (have_len) {
        p->left = len;
        p->state = HR_BODY_LEN;
    } else {
        p->keepalive = 0;
        p->state = HR_BODY_EOF;
    }
    return 0;
}

/* Parse the chunk-size line in p->hdr. */
static int parse_chunk_size(struct httpresp *p)
{
    uint64_t n = 0;
    size_t i = 0;

    for (; i < p->hlen && isxdigit((unsigned char)p->hdr[i]); i++) {
        if (n >> 60)
            return -1;
        n = n * 16 + (uint64_t)(isdigit((unsigned char)p->hdr[i])
                                    ? p->hdr[i] - '0'
                                    : (tolower((unsigned char)p->hdr[i]) - 'a' + 10));
    }
    if (i == 0 || (i < p->hlen && p->hdr[i] != ';' && p->hdr[i] != ' ' && p->hdr[i] != '\t' &&
                   p->hdr[i] != '\r' && p->hdr[i] != '\n'))
        return -1;
    p->hlen = 0;
    if (n == 0) {
        p->state = HR_TRAILER;
    } else {
        p->left = n;
        p->state = HR_CHUNK_DATA;
    }
    return 0;
}

/* Append byte c to the line buffer; returns -1 when it overflows. */
static int hdr_add(struct httpresp *p, char c)
{
    if (p->hlen >= HTTPRESP_HDR_MAX)
        return -1;
    p->hdr[p->hlen++] = c;
    return 0;
}

int httpresp_feed(struct httpresp *p, const char *buf, size_t len, size_t *used)
{
    size_t i = 0;

    while (i < len || (p->state == HR_BODY_LEN && p->left == 0)) {
        switch (p->state) {
        case HR_HEADER: {
            size_t old = p->hlen, n = len - i, from = old >= 3 ? old - 3 : 0;
            const char *end;
            if (n > HTTPRESP_HDR_MAX - old)
                n = HTTPRESP_HDR_MAX - old;
            memcpy(p->hdr + old, buf + i, n);
            p->hlen = old + n;
            end = memmem(p->hdr + from, p->hlen - from, "\r\n\r\n", 4);
            if (!end) {
                if (p->hlen == HTTPRESP_HDR_MAX)
                    return HTTPRESP_ERROR;
                i += n;
                break;
            }
            p->hlen = (size_t)(end + 4 - p->hdr);
            i += p->hlen - old;
            if (parse_header(p) < 0)
                return HTTPRESP_ERROR;
            break;
        }
        case HR_BODY_LEN:
            if (p->left == 0) {
                *used = i;
                return HTTPRESP_DONE;
            } else {
                size_t n = len - i < p->left ? len - i : (size_t)p->left;
                i += n;
                p->left -= n;
            }
            break;
        case HR_BODY_EOF:
            i = len;
            break;
        case HR_CHUNK_SIZE:
            if (hdr_add(p, buf[i++]) < 0)
                return HTTPRESP_ERROR;
            if (p->hdr[p->hlen - 1] == '\n' && parse_chunk_size(p) < 0)
                return HTTPRESP_ERROR;
            break;
        case HR_CHUNK_DATA: {
            size_t n = len - i < p->left ? len - i : (size_t)p->left;
            i += n;
            p->left -= n;
            if (p->left == 0) {
                p->state = HR_CHUNK_CRLF;
                p->left = 2;
            }
            break;
        }
        case HR_CHUNK_CRLF:
            if (buf[i] != (p->left == 2 ? '\r' : '\n'))
                return HTTPRESP_ERROR;
            i++;
            if (--p->left == 0) {
                p->state = HR_CHUNK_SIZE;
                p->hlen = 0;
            }
            break;
        case HR_TRAILER:
            if (hdr_add(p, buf[i++]) < 0)
                return HTTPRESP_ERROR;
            if (p->hdr[p->hlen - 1] == '\n') {
                if (p->hlen == 1 || (p->hlen == 2 && p->hdr[0] == '\r')) { /* empty: the end */
                    p->state = HR_BODY_LEN;
                    p->left = 0;
                } else {
                    p->hlen = 0;
                }
            }
            break;
        default:
            return HTTPRESP_ERROR;
        }
    }
    *used = i;
    return HTTPRESP_MORE;
}

int httpresp_eof(struct httpresp *p)
{
    return p->state == HR_BODY_EOF ? HTTPRESP_DONE : HTTPRESP_ERROR;
}
