/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listfetch.c: URL and URL.asc over HTTPS; see listfetch.h.
 *
 * The c-ares and libcurl callbacks only record what happened; when the
 * last one is in (or the deadline passes), lf->ev_done is activated and
 * its callback frees the channel and the fetcher, outside their own
 * callbacks (docs/DESIGN.md §Event loop), and only then calls the user
 * back.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dns.h"
#include "fetch.h"
#include "listfetch.h"

#define LF_ADDRS_MAX	(DNS_ADDR_MAX * 2)	/* A and AAAA */

struct listfetch {
	struct event_base *base;
	listfetch_cb	*cb;
	void		*arg;
	struct event	*ev_done;	/* the end, outside library callbacks */
	struct event	*ev_deadline;
	struct dns	*dns;
	struct dns_query *q4, *q6;
	struct fetch	*fetch;
	struct fetch_req *fd, *fs;	/* data, signature */
	char		 host[DNS_NAME_MAX + 1];
	char		 path[LISTFETCH_PATH_MAX + 1];
	unsigned	 port;
	char		 addr[LF_ADDRS_MAX][INET6_ADDRSTRLEN];
	size_t		 naddr;
	char		*data, *sig;
	size_t		 dlen, slen;
	int		 failed;
	char		 detail[256];
};

/* lf_fail: the first failure is the one reported. */
static void __attribute__((format(printf, 2, 3)))
lf_fail(struct listfetch *lf, const char *fmt, ...)
{
	va_list ap;

	if (lf->failed)
		return;
	lf->failed = 1;
	va_start(ap, fmt);
	vsnprintf(lf->detail, sizeof(lf->detail), fmt, ap);
	va_end(ap);
}

static void
lf_end(struct listfetch *lf)
{
	event_active(lf->ev_done, EV_TIMEOUT, 0);
}

/* lf_parse: url into host, port, path; 0, or -1 (not accepted). */
static int
lf_parse(const char *url, struct listfetch *lf)
{
	const char *h, *p, *colon;
	unsigned long port = 443;
	size_t n, i;
	char *end;

	if (strncmp(url, "https://", 8) != 0 ||
	    (p = strchr(h = url + 8, '/')) == NULL ||
	    strlen(p) > LISTFETCH_PATH_MAX || strchr(p, '#') != NULL)
		return -1;
	colon = memchr(h, ':', (size_t)(p - h));
	n = (size_t)((colon != NULL ? colon : p) - h);
	if (n == 0 || n > DNS_NAME_MAX)
		return -1;
	if (colon != NULL) {
		port = strtoul(colon + 1, &end, 10);
		if (end != p || colon + 1 == p || port == 0 || port > 65535)
			return -1;
	}
	for (i = 0; i < n; i++) {
		lf->host[i] = h[i] >= 'A' && h[i] <= 'Z' ?
		    (char)(h[i] + 32) : h[i];
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-.",
		    lf->host[i]) == NULL)
			return -1;
	}
	lf->host[n] = '\0';
	for (i = 0; p[i] != '\0'; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f)
			return -1;
	/* An address would be checked as a name: not supported. */
	if (strspn(lf->host, "0123456789.") == n)
		return -1;
	lf->port = (unsigned)port;
	snprintf(lf->path, sizeof(lf->path), "%s", p);
	return 0;
}

int
listfetch_url_ok(const char *url)
{
	struct listfetch lf;

	return lf_parse(url, &lf) == 0;
}

/* ---- the two GETs --------------------------------------------------- */

static void
lf_on_body(struct listfetch *lf, const struct fetch_result *res, char **out,
    size_t *len, const char *what)
{
	if (res->status != FETCH_OK)
		lf_fail(lf, "%s: %s (%s)", what, fetch_status_str(res->status),
		    res->detail);
	else if ((*out = malloc(res->len + 1)) == NULL)
		lf_fail(lf, "out of memory");
	else {
		memcpy(*out, res->body, res->len);
		(*out)[res->len] = '\0';
		*len = res->len;
	}
	if (lf->fd == NULL && lf->fs == NULL)
		lf_end(lf);
}

static void
lf_on_data(const struct fetch_result *res, void *arg)
{
	struct listfetch *lf = arg;

	lf->fd = NULL;
	lf_on_body(lf, res, &lf->data, &lf->dlen, "file");
}

static void
lf_on_sig(const struct fetch_result *res, void *arg)
{
	struct listfetch *lf = arg;

	lf->fs = NULL;
	lf_on_body(lf, res, &lf->sig, &lf->slen, "signature (.asc)");
}

/* lf_get: both GETs from the addresses found. */
static void
lf_get(struct listfetch *lf)
{
	const char *addrs[LF_ADDRS_MAX];
	char sigpath[LISTFETCH_PATH_MAX + 5];
	size_t i;

	for (i = 0; i < lf->naddr; i++)
		addrs[i] = lf->addr[i];
	snprintf(sigpath, sizeof(sigpath), "%s.asc", lf->path);
	lf->fd = fetch_start(lf->fetch, lf->host, lf->port, lf->path, addrs,
	    lf->naddr, lf_on_data, lf);
	lf->fs = fetch_start(lf->fetch, lf->host, lf->port, sigpath, addrs,
	    lf->naddr, lf_on_sig, lf);
	if (lf->fd == NULL || lf->fs == NULL) {
		lf_fail(lf, "cannot start the HTTPS requests");
		lf_end(lf);	/* the end frees the one that started */
	}
}

/* ---- the addresses -------------------------------------------------- */

static void
lf_on_addr(struct listfetch *lf, enum dns_status st,
    const struct dns_addrs *a)
{
	size_t i;

	for (i = 0; st == DNS_OK && i < a->n && lf->naddr < LF_ADDRS_MAX;
	    i++)
		dns_addr_str(&a->a[i], lf->addr[lf->naddr++],
		    INET6_ADDRSTRLEN);
	if (lf->q4 != NULL || lf->q6 != NULL)
		return;
	if (lf->naddr > 0) {
		lf_get(lf);
		return;
	}
	lf_fail(lf, "%s: no address (%s)", lf->host, dns_status_str(st));
	lf_end(lf);
}

static void
lf_on_a(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct listfetch *lf = arg;

	lf->q4 = NULL;
	lf_on_addr(lf, st, res);
}

static void
lf_on_aaaa(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct listfetch *lf = arg;

	lf->q6 = NULL;
	lf_on_addr(lf, st, res);
}

/* ---- the end -------------------------------------------------------- */

static void
lf_free(struct listfetch *lf)
{
	if (lf == NULL)
		return;
	fetch_free(lf->fetch);		/* cancels fd, fs */
	dns_free(lf->dns);		/* drops q4, q6 */
	if (lf->ev_done != NULL)
		event_free(lf->ev_done);
	if (lf->ev_deadline != NULL)
		event_free(lf->ev_deadline);
	free(lf->data);
	free(lf->sig);
	free(lf);
}

static void
lf_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct listfetch *lf = arg;

	(void)fd;
	(void)what;
	lf_fail(lf, "no answer within the deadline");
	lf_end(lf);
}

/* ev_done: free the network side, hand the files over, free the rest. */
static void
lf_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct listfetch *lf = arg;
	struct listfetch_result res;

	(void)fd;
	(void)what;
	fetch_free(lf->fetch);
	dns_free(lf->dns);
	lf->fetch = NULL;
	lf->dns = NULL;
	memset(&res, 0, sizeof(res));
	res.ok = !lf->failed;
	res.detail = lf->failed ? lf->detail : "";
	if (res.ok) {
		res.data = lf->data;
		res.dlen = lf->dlen;
		res.sig = lf->sig;
		res.slen = lf->slen;
		lf->data = lf->sig = NULL;	/* the callback's now */
	}
	lf->cb(&res, lf->arg);
	lf_free(lf);
}

/* lf_budget: c-ares' rounds (doubling) plus the fetch, plus slack. */
static int64_t
lf_budget(const struct listfetch_conf *c)
{
	int tries = c->dns_tries < 10 ? c->dns_tries : 10;

	return (int64_t)c->dns_timeout_ms * ((1 << tries) - 1) +
	    c->fetch_timeout_ms + LISTFETCH_SLACK_MS;
}

struct listfetch *
listfetch_start(struct event_base *base, const struct listfetch_conf *conf,
    const char *url, listfetch_cb *cb, void *arg, char *err, size_t errlen)
{
	struct dns_conf dc = { conf->dns_servers, conf->dns_timeout_ms,
	    conf->dns_tries, 0 };
	struct fetch_conf fc = { conf->ca_file, conf->connect_timeout_ms,
	    conf->fetch_timeout_ms, 2, conf->max_body };
	int64_t ms = lf_budget(conf);
	struct timeval tv = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000 };
	struct listfetch *lf;

	if ((lf = calloc(1, sizeof(*lf))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lf->base = base;
	lf->cb = cb;
	lf->arg = arg;
	if (lf_parse(url, lf) == -1) {
		snprintf(err, errlen, "URL not accepted (https://HOST[:PORT]"
		    "/PATH)");
		goto fail;
	}
	if ((lf->ev_done = event_new(base, -1, 0, lf_on_done, lf)) == NULL ||
	    (lf->ev_deadline = evtimer_new(base, lf_on_deadline, lf)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((lf->dns = dns_new(base, &dc, err, errlen)) == NULL ||
	    (lf->fetch = fetch_new(base, &fc, err, errlen)) == NULL)
		goto fail;
	fetch_generic(lf->fetch);
	evtimer_add(lf->ev_deadline, &tv);
	lf->q4 = dns_query_addr(lf->dns, lf->host, AF_INET, lf_on_a, lf);
	lf->q6 = dns_query_addr(lf->dns, lf->host, AF_INET6, lf_on_aaaa, lf);
	if (lf->q4 == NULL || lf->q6 == NULL) {
		lf_fail(lf, "cannot start the DNS queries");
		lf_end(lf);
	}
	return lf;
fail:
	lf_free(lf);
	return NULL;
}

void
listfetch_cancel(struct listfetch *lf)
{
	lf_free(lf);
}
