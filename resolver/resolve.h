/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * resolve.h: MTA-STS policy discovery, one discovery per call (RFC 8461
 * §3, docs/DESIGN.md §Discovery).
 *
 * Purpose: given a normalised mail domain (resolver/domkey.h), find its
 * current MTA-STS policy over the network:
 *   1. TXT "_mta-sts.<domain>": exactly one "v=STSv1;" record (stsrec);
 *   2. A and AAAA of "mta-sts.<domain>", through our own c-ares channel;
 *   3. GET https://mta-sts.<domain>/.well-known/mta-sts.txt from those
 *      addresses (fetch: §3.3 rules, bounded, no redirects);
 *   4. parse and validate the body (stspol).
 * The steps are paired functions in resolve.c (resolve_query_txt /
 * resolve_on_txt, ...); only resolve.c knows their order.  The cache
 * and refresh decisions are resolver/lookup.c's; STARTTLS-list
 * precedence is not done here.  resolve_start_txt() runs step 1 only
 * (the TXT id re-check of a cached policy, RFC 8461 §3, §5.1 step 3).
 *
 * No coalescing: every call runs its own discovery, even when another
 * one for the same domain is under way.  Callers that want one
 * discovery per domain keep their own table, as resolver/lookup.c does
 * (docs/DESIGN.md §Coalescing).
 *
 * Deadlines: each call is answered at the latest `lookup_timeout_ms`
 * after resolve_start(), with the code of the step that was running
 * (RESOLVE_DNS_TIMEOUT during DNS steps, RESOLVE_HTTPS_TIMEOUT during
 * the fetch); its DNS queries and fetch are then cancelled.
 *
 * Threading: loop thread only.  Ownership: the result passed to the
 * callback and everything it points to are borrowed for the call.  The
 * callback never runs before resolve_start() returned; after it ran, or
 * after resolve_cancel(), the handle is gone.
 */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <stddef.h>

struct event_base;
struct resolve;
struct resolve_req;
struct stspol;
struct stsrec;

struct resolve_conf {
	const char *dns_servers;	/* "ADDR[:PORT],..."; NULL: resolv.conf */
	int dns_timeout_ms;		/* per DNS try */
	int dns_tries;
	int max_dns_queries;		/* in flight at once; 0: default */
	int connect_timeout_ms;		/* TCP + TLS handshake */
	int fetch_timeout_ms;		/* whole HTTPS transfer */
	int lookup_timeout_ms;		/* per lookup, all steps */
	int max_fetches;		/* simultaneous HTTPS transfers */
	const char *ca_file;		/* PEM CA bundle; NULL: system store */
	unsigned https_port;		/* 0 means 443 (tests may differ) */
};

/* Stable: the code strings are part of the CLI and JSON contract. */
enum resolve_err {
	RESOLVE_OK = 0,
	RESOLVE_DOMAIN_INVALID,
	RESOLVE_DNS_TIMEOUT,
	RESOLVE_DNS_SERVFAIL,
	RESOLVE_TXT_NONE,
	RESOLVE_TXT_MULTIPLE,
	RESOLVE_TXT_INVALID,
	RESOLVE_HOST_NONE,
	RESOLVE_HTTPS_CONNECT,
	RESOLVE_HTTPS_TIMEOUT,
	RESOLVE_HTTPS_CERTIFICATE,
	RESOLVE_HTTPS_TLS,
	RESOLVE_HTTPS_STATUS,
	RESOLVE_HTTPS_REDIRECT,
	RESOLVE_HTTPS_CONTENT_TYPE,
	RESOLVE_HTTPS_TOO_LARGE,
	RESOLVE_HTTPS_ERROR,
	RESOLVE_POLICY_INVALID
};

enum resolve_step {
	RESOLVE_STEP_TXT = 0,	/* _mta-sts TXT */
	RESOLVE_STEP_HOST,	/* mta-sts A/AAAA */
	RESOLVE_STEP_FETCH,	/* HTTPS GET */
	RESOLVE_STEP_POLICY,	/* parse the body */
	RESOLVE_STEP_COUNT
};

#define RESOLVE_DETAIL_MAX 256
#define RESOLVE_ADDRS_MAX 16

struct resolve_step_info {
	int		 ran;		/* the step was started */
	int		 done;		/* it finished (not cut by the deadline) */
	enum resolve_err err;		/* RESOLVE_OK when it succeeded */
	long		 ms;		/* time spent in it */
	char		 detail[RESOLVE_DETAIL_MAX];
};

struct resolve_result {
	const char	*domain;
	enum resolve_err err;
	const char	*detail;	/* human text about the outcome */
	const struct stsrec *rec;	/* the TXT record, once selected */
	const struct stspol *policy;	/* non-NULL iff err == RESOLVE_OK
					 * (always NULL for TXT-only) */
	const char	*body;		/* the fetched body when the fetch
					 * succeeded (OK, POLICY_INVALID),
					 * else NULL; not NUL-free */
	size_t		 body_len;
	size_t		 naddrs;	/* addresses of mta-sts.<domain> */
	const char	*const *addrs;
	long		 http_status;	/* 0 when none was read */
	long		 total_ms;	/* since resolve_start() */
	struct resolve_step_info step[RESOLVE_STEP_COUNT];
};

typedef void resolve_cb(const struct resolve_result *res, void *arg);

/*
 * resolve_new: an engine on `base` with its own DNS channel and HTTPS
 * fetcher; `conf` is copied.  NULL on failure, reason in `err`.
 */
struct resolve *resolve_new(struct event_base *base,
    const struct resolve_conf *conf, char *err, size_t errlen);

/*
 * resolve_free: cancel everything (no callbacks) and free.  NULL is a
 * no-op.  Not from inside a resolve callback.
 */
void resolve_free(struct resolve *rs);

/*
 * resolve_start: discover the policy of `domain`, which must already
 * be normalised by domkey_normalize() (lowercase A-labels, no trailing
 * dot): one discovery with its own deadline timer.  Returns a handle,
 * or NULL when the lookup could not be set up (memory, name longer
 * than 253 bytes); then the callback never runs.
 */
struct resolve_req *resolve_start(struct resolve *rs, const char *domain,
    resolve_cb *cb, void *arg);

/*
 * resolve_start_txt: only step 1, for `domain` as in resolve_start():
 * query "_mta-sts.<domain>" TXT and select the STSv1 record.  The
 * result has err RESOLVE_OK with `rec` set (its id), or one of
 * RESOLVE_TXT_NONE / _MULTIPLE / _INVALID (no usable record) or
 * RESOLVE_DNS_TIMEOUT / _SERVFAIL (no answer); `policy` and `body` are
 * NULL and only step[RESOLVE_STEP_TXT] ran.  Same deadline, handle and
 * callback rules as resolve_start(); cancel with resolve_cancel().
 */
struct resolve_req *resolve_start_txt(struct resolve *rs, const char *domain,
    resolve_cb *cb, void *arg);

/* resolve_cancel: the callback never runs; the handle is gone. */
void resolve_cancel(struct resolve_req *req);

/* resolve_code: the contract's code ("dns-timeout", ...); "ok" for OK. */
const char *resolve_code(enum resolve_err e);

/* resolve_step_name: "txt", "host", "fetch", "policy". */
const char *resolve_step_name(enum resolve_step s);

#endif /* RESOLVE_H */
