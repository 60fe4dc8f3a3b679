/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * resolve.c: the discovery state machine, one discovery per call.
 *
 * A request (struct resolve_req) is the whole discovery of one domain:
 * its steps, its answers so far and its deadline timer.  Nothing is
 * shared between requests, so concurrent calls for one domain run
 * separate discoveries: merging them is resolver/lookup.c's job, which
 * starts at most one request per domain (docs/DESIGN.md §Coalescing).
 * A TXT-only request (resolve_start_txt) ends after the TXT step.  Each
 * step is a pair, resolve_<step>() starting the work and
 * resolve_on_<step>() taking the answer and starting the next step, so
 * the order lives in this file only.
 *
 * Deadline: one libevent timer per request.  When it fires, the caller
 * gets the timeout code of the step that is running, and the request's
 * outstanding DNS queries and fetch are cancelled.
 *
 * Lifetimes: a request leaves the engine's list and gives up its DNS
 * queries, fetch and timer before its callback runs, and is freed right
 * after, so the callback may start new requests or cancel others.  The
 * list exists only so that resolve_free() can cancel what is left.
 */
#include "config.h"

#include <sys/queue.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "fetch.h"
#include "monoclock.h"
#include "resolve.h"
#include "stspol.h"
#include "stsrec.h"

#define RESOLVE_NAME_MAX	253
#define RESOLVE_POLICY_PATH	"/.well-known/mta-sts.txt"	/* §3.3 */

struct resolve_req {
	struct resolve	*rs;
	resolve_cb	*cb;
	void		*arg;
	char		 domain[RESOLVE_NAME_MAX + 1];
	int		 txt_only;		/* resolve_start_txt() */
	int64_t		 start;			/* monotonic ms */
	struct event	*timer;			/* the deadline */
	enum resolve_step step;			/* running now */
	int64_t		 t_step;
	struct resolve_step_info info[RESOLVE_STEP_COUNT];
	struct dns_query *txt_q, *a_q, *aaaa_q;
	enum dns_status	 a_st, aaaa_st;
	struct dns_addrs v4, v6;		/* answers, kept until both are in */
	struct fetch_req *fr;
	struct stsrec	 rec;
	int		 have_rec;
	struct stspol	*pol;
	const char	*body;			/* fetched body, borrowed from
						 * fetch during its callback */
	size_t		 body_len;
	char		 addrbuf[RESOLVE_ADDRS_MAX][INET6_ADDRSTRLEN];
	const char	*addrs[RESOLVE_ADDRS_MAX];
	size_t		 naddrs;
	long		 http_status;
	LIST_ENTRY(resolve_req) entry;		/* rs->reqs */
};

struct resolve {
	struct event_base *base;
	struct dns	*dns;
	struct fetch	*fetch;
	LIST_HEAD(resolve_reqs, resolve_req) reqs;	/* in flight */
	int64_t		 lookup_ms;
	unsigned	 port;
};

static int	resolve_query_txt(struct resolve_req *);
static void	resolve_on_txt(enum dns_status, const struct dns_txt *, void *);
static void	resolve_query_host(struct resolve_req *);
static void	resolve_on_a(enum dns_status, const struct dns_addrs *, void *);
static void	resolve_on_aaaa(enum dns_status, const struct dns_addrs *,
		    void *);
static void	resolve_fetch(struct resolve_req *);
static void	resolve_on_fetch(const struct fetch_result *, void *);
static void	resolve_check_policy(struct resolve_req *, const char *,
		    size_t);

const char *
resolve_code(enum resolve_err e)
{
	static const char *const codes[] = {
		"ok", "domain-invalid", "dns-timeout", "dns-servfail",
		"txt-none", "txt-multiple", "txt-invalid", "host-none",
		"https-connect", "https-timeout", "https-certificate",
		"https-tls", "https-status", "https-redirect",
		"https-content-type", "https-too-large", "https-error",
		"policy-invalid"
	};

	if ((unsigned)e < sizeof(codes) / sizeof(codes[0]))
		return codes[e];
	return "unknown";
}

const char *
resolve_step_name(enum resolve_step s)
{
	static const char *const names[] = { "txt", "host", "fetch", "policy" };

	if ((unsigned)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "unknown";
}

/* ---- steps: bookkeeping ---- */

static void
resolve_step_begin(struct resolve_req *rq, enum resolve_step s)
{
	rq->step = s;
	rq->t_step = monoclock_ms();
	rq->info[s].ran = 1;
}

static void
resolve_step_vend(struct resolve_req *rq, enum resolve_err err,
    const char *fmt, va_list ap)
{
	struct resolve_step_info *si = &rq->info[rq->step];

	si->done = 1;
	si->err = err;
	si->ms = (long)(monoclock_ms() - rq->t_step);
	vsnprintf(si->detail, sizeof(si->detail), fmt, ap);
}

/* The running step succeeded (or ended) with this detail. */
static void __attribute__((format(printf, 3, 4)))
resolve_step_end(struct resolve_req *rq, enum resolve_err err,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	resolve_step_vend(rq, err, fmt, ap);
	va_end(ap);
}

/* ---- requests ---- */

/* Give up whatever is outstanding; no callback will reach the request. */
static void
resolve_req_stop(struct resolve_req *rq)
{
	LIST_REMOVE(rq, entry);
	dns_cancel(rq->txt_q);
	dns_cancel(rq->a_q);
	dns_cancel(rq->aaaa_q);
	rq->txt_q = rq->a_q = rq->aaaa_q = NULL;
	fetch_cancel(rq->fr);
	rq->fr = NULL;
	/* Also from the timer's own callback: libevent 2.1 does not touch
	 * a non-persistent timer after calling its callback. */
	event_free(rq->timer);
	rq->timer = NULL;
}

static void
resolve_req_free(struct resolve_req *rq)
{
	free(rq->pol);
	free(rq);
}

/* ---- answering ---- */

static void
resolve_fill(const struct resolve_req *rq, enum resolve_err err,
    struct resolve_result *res)
{
	memset(res, 0, sizeof(*res));
	res->domain = rq->domain;
	res->err = err;
	res->rec = rq->have_rec ? &rq->rec : NULL;
	res->policy = err == RESOLVE_OK ? rq->pol : NULL;
	res->body = rq->body;
	res->body_len = rq->body != NULL ? rq->body_len : 0;
	res->naddrs = rq->naddrs;
	res->addrs = rq->addrs;
	res->http_status = rq->http_status;
	res->total_ms = (long)(monoclock_ms() - rq->start);
	memcpy(res->step, rq->info, sizeof(res->step));
	res->detail = res->step[rq->step].detail;
}

/* The request is over: stop it, call back with `res`, free it. */
static void
resolve_answer(struct resolve_req *rq, const struct resolve_result *res)
{
	resolve_req_stop(rq);
	rq->cb(res, rq->arg);
	resolve_req_free(rq);
}

static void
resolve_finish(struct resolve_req *rq, enum resolve_err err)
{
	struct resolve_result res;

	resolve_fill(rq, err, &res);
	resolve_answer(rq, &res);
}

/* The running step failed: record why and answer. */
static void __attribute__((format(printf, 3, 4)))
resolve_fail(struct resolve_req *rq, enum resolve_err err,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	resolve_step_vend(rq, err, fmt, ap);
	va_end(ap);
	resolve_finish(rq, err);
}

/* The deadline passed while `rq->step` ran: its timeout code. */
static void
resolve_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_req *rq = arg;
	struct resolve_result res;
	struct resolve_step_info *si;
	enum resolve_err err;

	(void)fd;
	(void)what;
	err = rq->step == RESOLVE_STEP_TXT || rq->step == RESOLVE_STEP_HOST ?
	    RESOLVE_DNS_TIMEOUT : RESOLVE_HTTPS_TIMEOUT;
	resolve_fill(rq, err, &res);
	si = &res.step[rq->step];
	si->err = err;
	si->ms = (long)(monoclock_ms() - rq->t_step);
	snprintf(si->detail, sizeof(si->detail),
	    "lookup deadline of %lld ms passed during the %s step",
	    (long long)rq->rs->lookup_ms, resolve_step_name(rq->step));
	resolve_answer(rq, &res);
}

/* ---- step 1: TXT _mta-sts.<domain> (RFC 8461 §3.1) ---- */

static int
resolve_query_txt(struct resolve_req *rq)
{
	char name[DNS_NAME_MAX + 16];

	resolve_step_begin(rq, RESOLVE_STEP_TXT);
	snprintf(name, sizeof(name), "_mta-sts.%s", rq->domain);
	rq->txt_q = dns_query_txt(rq->rs->dns, name, resolve_on_txt, rq);
	return rq->txt_q != NULL ? 0 : -1;
}

static void
resolve_txt_select(struct resolve_req *rq, const struct dns_txt *res)
{
	const char *txts[DNS_TXT_MAX], *why = NULL;
	size_t lens[DNS_TXT_MAX], i;

	for (i = 0; i < res->n; i++) {
		txts[i] = res->rec[i].data;
		lens[i] = res->rec[i].len;
	}
	if (res->dropped > 0) {
		/* We cannot tell whether a dropped record was STSv1. */
		resolve_fail(rq, RESOLVE_TXT_INVALID,
		    "more than %d TXT records", DNS_TXT_MAX);
		return;
	}
	switch (stsrec_select(txts, lens, res->n, &rq->rec, &why)) {
	case STSREC_OK:
		rq->have_rec = 1;
		resolve_step_end(rq, RESOLVE_OK, "id=%s", rq->rec.id);
		if (rq->txt_only)
			resolve_finish(rq, RESOLVE_OK);
		else
			resolve_query_host(rq);
		return;
	case STSREC_NONE:
		resolve_fail(rq, RESOLVE_TXT_NONE,
		    "no v=STSv1 record among %zu TXT records", res->n);
		return;
	case STSREC_MULTIPLE:
		resolve_fail(rq, RESOLVE_TXT_MULTIPLE,
		    "more than one v=STSv1 record");
		return;
	default:
		resolve_fail(rq, RESOLVE_TXT_INVALID, "invalid record: %s",
		    why != NULL ? why : "syntax error");
		return;
	}
}

static void
resolve_on_txt(enum dns_status st, const struct dns_txt *res, void *arg)
{
	struct resolve_req *rq = arg;

	rq->txt_q = NULL;
	switch (st) {
	case DNS_OK:
		resolve_txt_select(rq, res);
		return;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
	case DNS_BADNAME:
		resolve_fail(rq, RESOLVE_TXT_NONE, "_mta-sts.%s: %s",
		    rq->domain, dns_status_str(st));
		return;
	case DNS_TIMEOUT:
		resolve_fail(rq, RESOLVE_DNS_TIMEOUT,
		    "_mta-sts.%s TXT: no answer", rq->domain);
		return;
	default:
		resolve_fail(rq, RESOLVE_DNS_SERVFAIL, "_mta-sts.%s TXT: %s",
		    rq->domain, dns_status_str(st));
		return;
	}
}

/* ---- step 2: A and AAAA of mta-sts.<domain> ---- */

static void
resolve_query_host(struct resolve_req *rq)
{
	char name[DNS_NAME_MAX + 16];
	struct dns *d = rq->rs->dns;

	resolve_step_begin(rq, RESOLVE_STEP_HOST);
	snprintf(name, sizeof(name), "mta-sts.%s", rq->domain);
	rq->a_q = dns_query_addr(d, name, AF_INET, resolve_on_a, rq);
	rq->aaaa_q = dns_query_addr(d, name, AF_INET6, resolve_on_aaaa, rq);
	if (rq->a_q == NULL || rq->aaaa_q == NULL)
		resolve_fail(rq, RESOLVE_DNS_SERVFAIL,
		    "cannot start the address queries");
}

static void
resolve_add_addrs(struct resolve_req *rq, const struct dns_addrs *res)
{
	size_t i;

	for (i = 0; res != NULL && i < res->n; i++) {
		if (rq->naddrs == RESOLVE_ADDRS_MAX)
			return;
		dns_addr_str(&res->a[i], rq->addrbuf[rq->naddrs],
		    sizeof(rq->addrbuf[0]));
		rq->addrs[rq->naddrs] = rq->addrbuf[rq->naddrs];
		rq->naddrs++;
	}
}

static void
resolve_host_done(struct resolve_req *rq)
{
	enum dns_status a = rq->a_st, b = rq->aaaa_st;
	size_t i, off = 0;
	char list[RESOLVE_DETAIL_MAX];

	/* IPv4 first: curl starts with the first address's family. */
	resolve_add_addrs(rq, &rq->v4);
	resolve_add_addrs(rq, &rq->v6);
	if (rq->naddrs > 0) {
		list[0] = '\0';
		for (i = 0; i < rq->naddrs && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", i ? " " : "", rq->addrs[i]);
		resolve_step_end(rq, RESOLVE_OK, "%s", list);
		resolve_fetch(rq);
	} else if (a == DNS_SERVFAIL || b == DNS_SERVFAIL || a == DNS_ERROR ||
	    b == DNS_ERROR)
		resolve_fail(rq, RESOLVE_DNS_SERVFAIL, "mta-sts.%s: A %s, "
		    "AAAA %s", rq->domain, dns_status_str(a),
		    dns_status_str(b));
	else if (a == DNS_TIMEOUT || b == DNS_TIMEOUT)
		resolve_fail(rq, RESOLVE_DNS_TIMEOUT, "mta-sts.%s: A %s, "
		    "AAAA %s", rq->domain, dns_status_str(a),
		    dns_status_str(b));
	else
		resolve_fail(rq, RESOLVE_HOST_NONE, "mta-sts.%s: no A/AAAA "
		    "(A %s, AAAA %s)", rq->domain, dns_status_str(a),
		    dns_status_str(b));
}

static void
resolve_on_a(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct resolve_req *rq = arg;

	rq->a_q = NULL;
	rq->a_st = st;
	if (st == DNS_OK)
		rq->v4 = *res;
	if (rq->aaaa_q == NULL)
		resolve_host_done(rq);
}

static void
resolve_on_aaaa(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct resolve_req *rq = arg;

	rq->aaaa_q = NULL;
	rq->aaaa_st = st;
	if (st == DNS_OK)
		rq->v6 = *res;
	if (rq->a_q == NULL)
		resolve_host_done(rq);
}

/* ---- step 3: HTTPS GET (RFC 8461 §3.3) ---- */

static void
resolve_fetch(struct resolve_req *rq)
{
	char host[DNS_NAME_MAX + 16];

	resolve_step_begin(rq, RESOLVE_STEP_FETCH);
	snprintf(host, sizeof(host), "mta-sts.%s", rq->domain);
	rq->fr = fetch_start(rq->rs->fetch, host, rq->rs->port,
	    RESOLVE_POLICY_PATH, rq->addrs, rq->naddrs, resolve_on_fetch,
	    rq);
	if (rq->fr == NULL)
		resolve_fail(rq, RESOLVE_HTTPS_ERROR,
		    "cannot start the HTTPS transfer");
}

static enum resolve_err
resolve_map_fetch(enum fetch_status s)
{
	switch (s) {
	case FETCH_OK:
		return RESOLVE_OK;
	case FETCH_CONNECT:
		return RESOLVE_HTTPS_CONNECT;
	case FETCH_TIMEOUT:
		return RESOLVE_HTTPS_TIMEOUT;
	case FETCH_CERTIFICATE:
		return RESOLVE_HTTPS_CERTIFICATE;
	case FETCH_TLS:
		return RESOLVE_HTTPS_TLS;
	case FETCH_STATUS:
		return RESOLVE_HTTPS_STATUS;
	case FETCH_REDIRECT:
		return RESOLVE_HTTPS_REDIRECT;
	case FETCH_CONTENT_TYPE:
		return RESOLVE_HTTPS_CONTENT_TYPE;
	case FETCH_TOO_LARGE:
		return RESOLVE_HTTPS_TOO_LARGE;
	default:
		return RESOLVE_HTTPS_ERROR;
	}
}

static void
resolve_on_fetch(const struct fetch_result *res, void *arg)
{
	struct resolve_req *rq = arg;
	enum resolve_err err = resolve_map_fetch(res->status);

	rq->fr = NULL;
	rq->http_status = res->http_status;
	if (err != RESOLVE_OK) {
		resolve_fail(rq, err, "%s", res->detail);
		return;
	}
	resolve_step_end(rq, RESOLVE_OK, "HTTP %ld, %zu bytes from %s "
	    "(connect %ld ms, TLS %ld ms)", res->http_status, res->len,
	    res->ip, res->connect_ms, res->tls_ms);
	/* Valid only during this callback, which also ends the request:
	 * resolve_check_policy() answers the caller before returning. */
	rq->body = res->body;
	rq->body_len = res->len;
	resolve_check_policy(rq, res->body, res->len);
}

/* ---- step 4: the policy itself (RFC 8461 §3.2) ---- */

static void
resolve_check_policy(struct resolve_req *rq, const char *body, size_t len)
{
	const char *why = NULL;

	resolve_step_begin(rq, RESOLVE_STEP_POLICY);
	if ((rq->pol = malloc(sizeof(*rq->pol))) == NULL) {
		resolve_fail(rq, RESOLVE_HTTPS_ERROR, "out of memory");
		return;
	}
	if (stspol_parse(body, len, rq->pol, &why) == -1) {
		if (rq->pol->errline > 0)
			resolve_fail(rq, RESOLVE_POLICY_INVALID,
			    "line %u: %s", rq->pol->errline,
			    why ? why : "invalid");
		else
			resolve_fail(rq, RESOLVE_POLICY_INVALID, "%s",
			    why ? why : "invalid");
		return;
	}
	resolve_step_end(rq, RESOLVE_OK, "id %s, mode %s, max_age %lu, "
	    "%zu mx", rq->rec.id, stspol_mode_str(rq->pol->mode),
	    (unsigned long)rq->pol->max_age, rq->pol->nmx);
	resolve_finish(rq, RESOLVE_OK);
}

/* ---- public ---- */

static struct resolve_req *
resolve_start_req(struct resolve *rs, const char *domain, int txt_only,
    resolve_cb *cb, void *arg)
{
	struct resolve_req *rq;
	struct timeval tv;
	size_t len = strlen(domain);

	if (len == 0 || len > RESOLVE_NAME_MAX)
		return NULL;
	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->rs = rs;
	rq->cb = cb;
	rq->arg = arg;
	rq->txt_only = txt_only;
	memcpy(rq->domain, domain, len + 1);
	rq->start = monoclock_ms();
	tv.tv_sec = (time_t)(rs->lookup_ms / 1000);
	tv.tv_usec = (suseconds_t)(rs->lookup_ms % 1000) * 1000;
	if ((rq->timer = evtimer_new(rs->base, resolve_on_timer, rq)) == NULL) {
		free(rq);
		return NULL;
	}
	LIST_INSERT_HEAD(&rs->reqs, rq, entry);
	if (evtimer_add(rq->timer, &tv) == -1 || resolve_query_txt(rq) == -1) {
		resolve_req_stop(rq);
		resolve_req_free(rq);
		return NULL;
	}
	return rq;
}

struct resolve_req *
resolve_start(struct resolve *rs, const char *domain, resolve_cb *cb,
    void *arg)
{
	return resolve_start_req(rs, domain, 0, cb, arg);
}

struct resolve_req *
resolve_start_txt(struct resolve *rs, const char *domain, resolve_cb *cb,
    void *arg)
{
	return resolve_start_req(rs, domain, 1, cb, arg);
}

void
resolve_cancel(struct resolve_req *rq)
{
	if (rq == NULL)
		return;
	resolve_req_stop(rq);
	resolve_req_free(rq);
}

static int
resolve_conf_ok(const struct resolve_conf *c, char *err, size_t errlen)
{
	if (c->lookup_timeout_ms <= 0 || c->dns_timeout_ms < 0 ||
	    c->dns_tries < 0 || c->https_port > 65535) {
		snprintf(err, errlen, "resolve: bad timeouts or port");
		return 0;
	}
	return 1;
}

struct resolve *
resolve_new(struct event_base *base, const struct resolve_conf *conf,
    char *err, size_t errlen)
{
	struct dns_conf dc = { conf->dns_servers, conf->dns_timeout_ms,
	    conf->dns_tries, conf->max_dns_queries };
	struct fetch_conf fc = { conf->ca_file, conf->connect_timeout_ms,
	    conf->fetch_timeout_ms, conf->max_fetches, 0 };
	struct resolve *rs;

	if (!resolve_conf_ok(conf, err, errlen))
		return NULL;
	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	LIST_INIT(&rs->reqs);
	rs->base = base;
	rs->lookup_ms = conf->lookup_timeout_ms;
	rs->port = conf->https_port ? conf->https_port : 443;
	if ((rs->dns = dns_new(base, &dc, err, errlen)) == NULL ||
	    (rs->fetch = fetch_new(base, &fc, err, errlen)) == NULL)
		goto fail;
	return rs;
fail:
	resolve_free(rs);
	return NULL;
}

void
resolve_free(struct resolve *rs)
{
	struct resolve_req *rq;

	if (rs == NULL)
		return;
	while ((rq = LIST_FIRST(&rs->reqs)) != NULL)
		resolve_cancel(rq);	/* cancels into dns and fetch */
	fetch_free(rs->fetch);
	dns_free(rs->dns);
	free(rs);
}
