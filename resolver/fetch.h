/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fetch.h: bounded HTTPS GETs with the rules of RFC 8461 §3.3, on a
 * curl multi handle driven by the caller's libevent loop.
 *
 * Purpose: fetch "https://<host>/.well-known/mta-sts.txt" (or any path)
 * from addresses the caller resolved itself: the host is pinned with
 * CURLOPT_RESOLVE, so curl never asks the system resolver
 * (docs/DESIGN.md §Discovery).
 * Rules applied to every transfer:
 *   - HTTPS only, redirects never followed (a 3xx is FETCH_REDIRECT);
 *   - status 200 only, Content-Type text/plain (stspol_content_type_ok;
 *     a fetcher switched to the generic mode with fetch_generic()
 *     skips this one check, for files that are not MTA-STS policies,
 *     such as the STARTTLS Policy List);
 *   - body at most `max_body` bytes, with or without Content-Length;
 *   - certificate chain verified (CA file from config, else the system
 *     store) and the name checked as RFC 6125 and §3.3 want:
 *     subjectAltName dNSName only, never the subject CN, a wildcard only
 *     as a whole left-most label;
 *   - no proxy, no HTTP cache, no connection or TLS session reuse;
 *   - a connect deadline (TCP and TLS handshake) and a total deadline.
 * At most `max_transfers` run at once; later ones wait in FIFO order
 * (their deadlines start when they leave the queue).
 *
 * Threading: loop thread only.  Requires libcurl built with OpenSSL
 * (fetch_new() refuses anything else: the name rules depend on it).
 *
 * Results: each started request ends with exactly one call of its
 * callback, never before fetch_start() returned, unless fetch_cancel()
 * was called first.  The result is borrowed for the call.
 */
#ifndef FETCH_H
#define FETCH_H

#include <stddef.h>

struct event_base;
struct fetch;
struct fetch_req;

/* RFC 8461 §3.3 suggests 64 KiB as the body limit. */
#define FETCH_BODY_MAX (64 * 1024)

struct fetch_conf {
	const char *ca_file;		/* PEM bundle; NULL: system store */
	int connect_timeout_ms;		/* TCP + TLS handshake */
	int timeout_ms;			/* the whole transfer */
	int max_transfers;		/* simultaneous transfers, >= 1 */
	size_t max_body;		/* 0 means FETCH_BODY_MAX */
};

enum fetch_status {
	FETCH_OK = 0,
	FETCH_CONNECT,		/* TCP connection refused or unreachable */
	FETCH_TIMEOUT,		/* connect, handshake or transfer too slow */
	FETCH_CERTIFICATE,	/* chain or name verification failed */
	FETCH_TLS,		/* other TLS failure (alert, protocol) */
	FETCH_STATUS,		/* HTTP status not 200 (and not 3xx) */
	FETCH_REDIRECT,		/* HTTP 3xx */
	FETCH_CONTENT_TYPE,	/* not text/plain */
	FETCH_TOO_LARGE,	/* body over max_body */
	FETCH_ERROR		/* anything else */
};

struct fetch_result {
	enum fetch_status status;
	long http_status;		/* 0 when no response was read */
	const char *content_type;	/* NULL when absent */
	const char *body;		/* NUL-terminated; only on FETCH_OK */
	size_t len;			/* body bytes (may contain NULs) */
	const char *detail;		/* short human text, never NULL */
	const char *ip;			/* address connected to, or "" */
	long connect_ms;		/* TCP connected, from start */
	long tls_ms;			/* TLS done, from start */
	long total_ms;
};

typedef void fetch_cb(const struct fetch_result *res, void *arg);

/*
 * fetch_new: a fetcher on `base`; `conf` is copied.  Returns NULL with
 * a reason in `err` on failure (memory, libcurl without OpenSSL, bad
 * limits).
 */
struct fetch *fetch_new(struct event_base *base,
    const struct fetch_conf *conf, char *err, size_t errlen);

/*
 * fetch_free: abort every transfer (no callbacks) and free.  NULL is a
 * no-op.  Must not be called from inside a fetch callback.
 */
void fetch_free(struct fetch *f);

/*
 * fetch_start: GET https://<host>:<port><path> from one of the
 * `naddrs` addresses (presentation form, IPv6 without brackets).
 * `host` must be a DNS name: it is the name sent in SNI and checked in
 * the certificate.  Returns a handle, or NULL when the request could not
 * be set up (memory, bad arguments).
 */
struct fetch_req *fetch_start(struct fetch *f, const char *host,
    unsigned port, const char *path, const char *const *addrs,
    size_t naddrs, fetch_cb *cb, void *arg);

/*
 * fetch_generic: accept any Content-Type on the transfers `f` starts
 * from now on (see above); every other rule still holds.
 */
void fetch_generic(struct fetch *f);

/*
 * fetch_cancel: abort the request; its callback never runs and the
 * handle is gone.  Allowed from inside any fetch callback.
 */
void fetch_cancel(struct fetch_req *r);

/* fetch_status_str: static short name ("ok", "timeout", ...). */
const char *fetch_status_str(enum fetch_status s);

/* Counters for tests and stats: running now, queued now, most running. */
void fetch_counts(const struct fetch *f, size_t *running, size_t *queued,
    size_t *peak);

#endif /* FETCH_H */
