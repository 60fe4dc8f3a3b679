/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listfetch.h: get one file and its detached signature over HTTPS,
 * URL and URL.asc, for the STARTTLS Policy List (src/listupd.h).
 *
 * Purpose: the network half of a list update.  The host of URL is
 * resolved (A and AAAA) with our own c-ares channel (resolver/dns.h),
 * never the system resolver, and pinned into libcurl; both files are
 * then fetched at once by a fetcher in the generic mode of
 * resolver/fetch.h: the same rules as an MTA-STS policy fetch (HTTPS
 * only, no redirects, status 200, certificate and name checked against
 * the CA file, no proxy, connect and total deadlines) except that any
 * Content-Type is accepted and each body may be max_body bytes.  A
 * deadline over the whole fetch (DNS rounds + fetch timeout + slack)
 * bounds it even if a library misbehaves.  The bytes are not judged
 * here: signature and content are the caller's (listsig, tlslist).
 *
 * Accepted URLs: "https://HOST[:PORT]/PATH", HOST a DNS name of
 * letters, digits, "-" and "." (it is the name the certificate must
 * carry and the SNI sent; upper case is folded), PATH of printable
 * ASCII without "#", at most LISTFETCH_PATH_MAX bytes.
 *
 * Threading: loop thread only.  Results: each started fetch ends with
 * exactly one callback, run from an event of this module (never inside
 * a c-ares or libcurl callback, never before listfetch_start returned),
 * after the DNS channel and fetcher are freed; the handle is gone once
 * the callback runs.  After listfetch_cancel the callback never runs.
 */
#ifndef LISTFETCH_H
#define LISTFETCH_H

#include <stddef.h>

struct event_base;
struct listfetch;

#define LISTFETCH_PATH_MAX	251	/* fetch.c: path + ".asc" < 256 */
#define LISTFETCH_SLACK_MS	2000	/* past c-ares' and curl's limits */

struct listfetch_conf {
	const char	*dns_servers;	/* "ADDR[:PORT],..."; NULL: resolv.conf */
	int		 dns_timeout_ms;
	int		 dns_tries;
	const char	*ca_file;	/* NULL: the system store */
	int		 connect_timeout_ms;
	int		 fetch_timeout_ms;	/* per transfer */
	size_t		 max_body;	/* per file */
};

/*
 * The outcome.  On success (ok = 1) the callback owns `data` and `sig`
 * (malloc'ed, NUL-terminated after their lengths; free them).  On
 * failure both are NULL and detail says why ("policy.json.asc: status
 * (HTTP status 404)", "list.example: no address (nxdomain)", ...).
 */
struct listfetch_result {
	int		 ok;
	char		*data, *sig;
	size_t		 dlen, slen;
	const char	*detail;	/* never NULL */
};

typedef void listfetch_cb(struct listfetch_result *res, void *arg);

/* listfetch_url_ok: 1 when url is accepted (see above), else 0. */
int		 listfetch_url_ok(const char *url);

/*
 * listfetch_start: fetch url and url.asc.  conf is read here only.
 * NULL (reason in err) when the URL is not accepted or the channel or
 * fetcher cannot be made.
 */
struct listfetch *listfetch_start(struct event_base *base,
		    const struct listfetch_conf *conf, const char *url,
		    listfetch_cb *cb, void *arg, char *err, size_t errlen);

/* listfetch_cancel: stop, free; cb never runs.  NULL is a no-op.  (In
 * its own callback the handle is already gone.) */
void		 listfetch_cancel(struct listfetch *lf);

#endif /* LISTFETCH_H */
