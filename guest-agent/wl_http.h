/*
 * http — keep-alive HTTP/1.1 GETs over `concurrency` connections driven by one epoll
 * event loop per CPU thread, as wrk does (--arg url=http://host:port/path).
 */
#ifndef VMSWEEP_WL_HTTP_H
#define VMSWEEP_WL_HTTP_H

#include "wl.h"

/* The http workload. */
extern const struct wl wl_http;

#endif
