/*
 * httpresp — an incremental HTTP/1.x response parser for the http workload: status
 * line, Content-Length, chunked transfer coding, Connection: close/keep-alive, and
 * bodies delimited by the end of the connection.  Bytes are fed as they arrive;
 * nothing is copied but the header block.
 */
#ifndef VMSWEEP_HTTPRESP_H
#define VMSWEEP_HTTPRESP_H

#include <stddef.h>
#include <stdint.h>

#define HTTPRESP_HDR_MAX 4096 /* longest accepted header block */

enum httpresp_rc {
    HTTPRESP_ERROR = -1, /* malformed or unsupported response */
    HTTPRESP_MORE = 0,   /* all bytes consumed, the response is not complete yet */
    HTTPRESP_DONE = 1,   /* a response is complete */
};

/* Parser state for one response; reset with httpresp_init before each. */
struct httpresp {
    int state;
    int status;    /* status code once the header is parsed */
    int keepalive; /* the connection may carry the next request */
    int chunked;
    uint64_t left; /* body or chunk bytes still expected */
    size_t hlen;
    char hdr[HTTPRESP_HDR_MAX];
};

/* Start a new response. */
void httpresp_init(struct httpresp *p);

/*
 * Feed len bytes.  Returns HTTPRESP_DONE with *used set to the bytes that belonged to
 * the response, HTTPRESP_MORE (all used), or HTTPRESP_ERROR.
 */
int httpresp_feed(struct httpresp *p, const char *buf, size_t len, size_t *used);

/* The peer closed the connection: HTTPRESP_DONE when that ends the body, else ERROR. */
int httpresp_eof(struct httpresp *p);

#endif
