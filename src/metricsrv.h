/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * metricsrv.h: the metrics endpoint (metrics_listen = ADDR:PORT):
 * HTTP/1.x on one TCP socket, libevent's evhttp, serving GET (and
 * HEAD) /metrics in the Prometheus text format 0.0.4 (src/metrics.h,
 * docs/metrics.md) and nothing else: 404 for any other path, 405 for
 * any other method.
 *
 * Bounds: request headers METRICSRV_HEADERS_MAX bytes, a request body
 * METRICSRV_BODY_MAX bytes, METRICSRV_TIMEOUT_S seconds per read or
 * write.  Nothing a client sends reaches the lookup service: a scrape
 * copies counters and asks LMDB for its statistics (no walk), on the
 * loop thread, between lookups.  libevent 2.1 (Debian 12) cannot cap
 * the number of HTTP connections: bind it to loopback or a management
 * network.
 *
 * Threading: loop thread only.  Ownership: the collect callback fills
 * a snapshot the server renders at once; nothing is kept between
 * requests.
 */
#ifndef METRICSRV_H
#define METRICSRV_H

#include <stddef.h>

struct event_base;
struct metrics_snap;
struct metricsrv;

#define METRICSRV_HEADERS_MAX	8192
#define METRICSRV_BODY_MAX	1024
#define METRICSRV_TIMEOUT_S	10

/* What a scrape shows: fill *s (memset to 0 by the caller). */
typedef void metricsrv_collect_cb(struct metrics_snap *s, void *arg);

/*
 * metricsrv_open: bind and listen on spec ("ADDR:PORT" or
 * "[ADDR]:PORT", numeric), before privileges are dropped.  NULL with
 * a reason in err on failure.
 */
struct metricsrv *metricsrv_open(const char *spec, char *err,
    size_t errlen);

/* metricsrv_start: serve on base; collect(arg) runs per scrape.
 * Returns 0, or -1 with a reason in err. */
int metricsrv_start(struct metricsrv *ms, struct event_base *base,
    metricsrv_collect_cb *collect, void *arg, char *err, size_t errlen);

/* metricsrv_free: close the socket and every connection.  NULL ok. */
void metricsrv_free(struct metricsrv *ms);

#endif /* METRICSRV_H */
