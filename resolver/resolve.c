/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * resolve.c: the per-domain discovery state machine.
 *
 * One job per domain in flight (OpenSMTPD's waitq): the first lookup
 * creates it and starts the TXT query, later lookups of the same domain
 * wait on it.  A TXT-only job (resolve_start_txt) ends after the TXT
 * step; it is a separate job of its own kind, so a full lookup never
 * joins it.  Each step is a pair, resolve_<step>() starting the work
 * and resolve_on_<step>() taking the answer and starting the next
 * step, so the order lives in this file only.
 *
 * Deadlines: every waiter has one; all waiters sit on one list sorted
 * by deadline, served by a single timer.  An expired waiter is answered
 * with the timeout code of the step that is running; when a job has no
 * waiters left its outstanding DNS queries and fetch are cancelled.
 *
 * Lifetimes: a job is freed only when no waiter callback is running for
 * it (`hold`), so a callback may cancel other waiters or start new
 * lookups.  A finished job leaves the domain table before its waiters
 * are called, so a lookup started from a callback begins afresh.
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
#define RESOLVE_WAITERS_MAX	1024	/* per domain */
#define RESOLVE_POLICY_PATH	"/.well-known/mta-sts.txt"	/* §3.3 */

struct resolve_req {
	struct resolve_job *job;
	resolve_cb	*cb;
	void		*arg;
	int64_t		 start, deadline;	/* monotonic ms */
	struct resolve_req *wnext;		/* job's waiters */
	TAILQ_ENTRY(resolve_req) dentry;	/* deadline list */
};

struct resolve_job {
	struct resolve	*rs;
	char		 domain[RESOLVE_NAME_MAX + 1];
	enum resolve_step step;			/* running now */
	int64_t		 t_step;
	struct resolve_step_info info[RESOLVE_STEP_COUNT];
	struct dns_query *txt_q, *a_q, *aaaa_q;
	enum dns_status	 a_st, aaaa_st;
	struct dns_addrs v4, v6;		/* answers, kept until both are in */
	struct fetch_req *fr;
	struct stsrec	 rec;
	int		 have_rec;
	int		 txt_only;		/* resolve_start_txt() job */
	struct stspol	*pol;
	const char	*body;			/* fetched body, borrowed from
						 * fetch during its callback */
	size_t		 body_len;
	char		 addrbuf[RESOLVE_ADDRS_MAX][INET6_ADDRSTRLEN];
	const char	*addrs[RESOLVE_ADDRS_MAX];
	size_t		 naddrs;
	long		 http_status;
	int		 hold;			/* callbacks running */
	int		 linked;		/* in rs->jobs */
	struct resolve_req *waiters;
	size_t		 nwaiters;
	LIST_ENTRY(resolve_job) entry;		/* rs->jobs */
};

struct resolve {
	struct event_base *base;
	struct dns	*dns;
	struct fetch	*fetch;
	struct event	*timer;
	LIST_HEAD(resolve_jobs, resolve_job) jobs;
	TAILQ_HEAD(resolve_dl, resolve_req) dl;	/* by deadline */
	int64_t		 lookup_ms;
	unsigned	 port;
};

static int	resolve_query_txt(struct resolve_job *);
static void	resolve_on_txt(enum dns_status, const struct dns_txt *, void *);
static void	resolve_query_host(struct resolve_job *);
static void	resolve_on_a(enum dns_status, const struct dns_addrs *, void *);
static void	resolve_on_aaaa(enum dns_status, const struct dns_addrs *,
		    void *);
static void	resolve_fetch(struct resolve_job *);
static void	resolve_on_fetch(const struct fetch_result *, void *);
static void	resolve_check_policy(struct resolve_job *, const char *,
		    size_t);
static void	resolve_arm(struct resolve *);

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
resolve_step_begin(struct resolve_job *job, enum resolve_step s)
{
	job->step = s;
	job->t_step = monoclock_ms();
	job->info[s].ran = 1;
}

static void
resolve_step_vend(struct resolve_job *job, enum resolve_err err,
    const char *fmt, va_list ap)
{
	struct resolve_step_info *si = &job->info[job->step];

	si->done = 1;
	si->err = err;
	si->ms = (long)(monoclock_ms() - job->t_step);
	vsnprintf(si->detail, sizeof(si->detail), fmt, ap);
}

/* The running step succeeded (or ended) with this detail. */
static void __attribute__((format(printf, 3, 4)))
resolve_step_end(struct resolve_job *job, enum resolve_err err,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	resolve_step_vend(job, err, fmt, ap);
	va_end(ap);
}

/* ---- jobs and waiters ---- */

/* Sorted insert from the tail: deadlines mostly arrive in order. */
static void
resolve_dl_insert(struct resolve *rs, struct resolve_req *w)
{
	struct resolve_req *p = TAILQ_LAST(&rs->dl, resolve_dl);

	while (p != NULL && p->deadline > w->deadline)
		p = TAILQ_PREV(p, resolve_dl, dentry);
	if (p != NULL)
		TAILQ_INSERT_AFTER(&rs->dl, p, w, dentry);
	else
		TAILQ_INSERT_HEAD(&rs->dl, w, dentry);
}

static void
resolve_job_unlink(struct resolve_job *job)
{
	if (!job->linked)
		return;
	LIST_REMOVE(job, entry);
	job->linked = 0;
}

/* Cancel whatever is outstanding; no callback will reach the job. */
static void
resolve_job_free(struct resolve_job *job)
{
	resolve_job_unlink(job);
	dns_cancel(job->txt_q);
	dns_cancel(job->a_q);
	dns_cancel(job->aaaa_q);
	fetch_cancel(job->fr);
	free(job->pol);
	free(job);
}

/* TXT-only and full jobs of one domain are kept apart: a full waiter
 * must not be answered after the TXT step. */
static struct resolve_job *
resolve_job_find(struct resolve *rs, const char *domain, int txt_only)
{
	struct resolve_job *job;

	LIST_FOREACH(job, &rs->jobs, entry)
		if (job->txt_only == txt_only &&
		    strcmp(job->domain, domain) == 0)
			return job;
	return NULL;
}

static struct resolve_job *
resolve_job_new(struct resolve *rs, const char *domain, int txt_only)
{
	struct resolve_job *job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return NULL;
	job->rs = rs;
	job->txt_only = txt_only;
	memcpy(job->domain, domain, strlen(domain) + 1);
	LIST_INSERT_HEAD(&rs->jobs, job, entry);
	job->linked = 1;
	return job;
}

static void
resolve_waiter_unlink(struct resolve_job *job, struct resolve_req *w)
{
	struct resolve_req **wp;

	for (wp = &job->waiters; *wp != NULL; wp = &(*wp)->wnext) {
		if (*wp == w) {
			*wp = w->wnext;
			job->nwaiters--;
			return;
		}
	}
}

/* A job nobody waits for any more is cancelled. */
static void
resolve_job_release(struct resolve_job *job)
{
	if (job->nwaiters == 0 && job->hold == 0)
		resolve_job_free(job);
}

/* ---- answering ---- */

static void
resolve_fill(const struct resolve_job *job, const struct resolve_req *w,
    enum resolve_err err, struct resolve_result *res)
{
	memset(res, 0, sizeof(*res));
	res->domain = job->domain;
	res->err = err;
	res->rec = job->have_rec ? &job->rec : NULL;
	res->policy = err == RESOLVE_OK ? job->pol : NULL;
	res->body = job->body;
	res->body_len = job->body != NULL ? job->body_len : 0;
	res->naddrs = job->naddrs;
	res->addrs = job->addrs;
	res->http_status = job->http_status;
	res->total_ms = (long)(monoclock_ms() - w->start);
	memcpy(res->step, job->info, sizeof(res->step));
	res->detail = res->step[job->step].detail;
}

/* Call one waiter (already unlinked from the job and the deadlines). */
static void
resolve_answer(struct resolve_req *w, const struct resolve_result *res)
{
	w->cb(res, w->arg);
	free(w);
}

/*
 * The job is over: answer every waiter, then free it.  It leaves the
 * domain table first so that a callback starting the same domain gets
 * a fresh job instead of this dying one.
 */
static void
resolve_finish(struct resolve_job *job, enum resolve_err err)
{
	struct resolve *rs = job->rs;
	struct resolve_result res;
	struct resolve_req *w;

	resolve_job_unlink(job);
	job->hold++;
	while ((w = job->waiters) != NULL) {
		job->waiters = w->wnext;
		job->nwaiters--;
		TAILQ_REMOVE(&rs->dl, w, dentry);
		resolve_fill(job, w, err, &res);
		resolve_answer(w, &res);
	}
	job->hold--;
	resolve_job_free(job);
	resolve_arm(rs);
}

/* The running step failed: record why and answer everyone. */
static void __attribute__((format(printf, 3, 4)))
resolve_fail(struct resolve_job *job, enum resolve_err err,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	resolve_step_vend(job, err, fmt, ap);
	va_end(ap);
	resolve_finish(job, err);
}

/* The deadline passed while `job->step` ran: its timeout code. */
static void
resolve_expire(struct resolve *rs, struct resolve_req *w)
{
	struct resolve_job *job = w->job;
	struct resolve_result res;
	struct resolve_step_info *si;
	enum resolve_err err;

	TAILQ_REMOVE(&rs->dl, w, dentry);
	resolve_waiter_unlink(job, w);
	err = job->step == RESOLVE_STEP_TXT || job->step == RESOLVE_STEP_HOST ?
	    RESOLVE_DNS_TIMEOUT : RESOLVE_HTTPS_TIMEOUT;
	resolve_fill(job, w, err, &res);
	si = &res.step[job->step];
	si->err = err;
	si->ms = (long)(monoclock_ms() - job->t_step);
	snprintf(si->detail, sizeof(si->detail),
	    "lookup deadline of %lld ms passed during the %s step",
	    (long long)rs->lookup_ms, resolve_step_name(job->step));
	job->hold++;
	resolve_answer(w, &res);
	job->hold--;
	resolve_job_release(job);
}

static void
resolve_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct resolve *rs = arg;
	struct resolve_req *w;
	int64_t now = monoclock_ms();

	(void)fd;
	(void)what;
	while ((w = TAILQ_FIRST(&rs->dl)) != NULL && w->deadline <= now)
		resolve_expire(rs, w);
	resolve_arm(rs);
}

static void
resolve_arm(struct resolve *rs)
{
	struct timeval tv;
	int64_t left;

	if (TAILQ_EMPTY(&rs->dl)) {
		evtimer_del(rs->timer);
		return;
	}
	/* One millisecond late rather than early: the clock is in ms. */
	left = TAILQ_FIRST(&rs->dl)->deadline - monoclock_ms() + 1;
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	evtimer_add(rs->timer, &tv);
}

/* ---- step 1: TXT _mta-sts.<domain> (RFC 8461 §3.1) ---- */

static int
resolve_query_txt(struct resolve_job *job)
{
	char name[DNS_NAME_MAX + 16];

	resolve_step_begin(job, RESOLVE_STEP_TXT);
	snprintf(name, sizeof(name), "_mta-sts.%s", job->domain);
	job->txt_q = dns_query_txt(job->rs->dns, name, resolve_on_txt, job);
	return job->txt_q != NULL ? 0 : -1;
}

static void
resolve_txt_select(struct resolve_job *job, const struct dns_txt *res)
{
	const char *txts[DNS_TXT_MAX], *why = NULL;
	size_t lens[DNS_TXT_MAX], i;

	for (i = 0; i < res->n; i++) {
		txts[i] = res->rec[i].data;
		lens[i] = res->rec[i].len;
	}
	if (res->dropped > 0) {
		/* We cannot tell whether a dropped record was STSv1. */
		resolve_fail(job, RESOLVE_TXT_INVALID,
		    "more than %d TXT records", DNS_TXT_MAX);
		return;
	}
	switch (stsrec_select(txts, lens, res->n, &job->rec, &why)) {
	case STSREC_OK:
		job->have_rec = 1;
		resolve_step_end(job, RESOLVE_OK, "id=%s", job->rec.id);
		if (job->txt_only)
			resolve_finish(job, RESOLVE_OK);
		else
			resolve_query_host(job);
		return;
	case STSREC_NONE:
		resolve_fail(job, RESOLVE_TXT_NONE,
		    "no v=STSv1 record among %zu TXT records", res->n);
		return;
	case STSREC_MULTIPLE:
		resolve_fail(job, RESOLVE_TXT_MULTIPLE,
		    "more than one v=STSv1 record");
		return;
	default:
		resolve_fail(job, RESOLVE_TXT_INVALID, "invalid record: %s",
		    why != NULL ? why : "syntax error");
		return;
	}
}

static void
resolve_on_txt(enum dns_status st, const struct dns_txt *res, void *arg)
{
	struct resolve_job *job = arg;

	job->txt_q = NULL;
	switch (st) {
	case DNS_OK:
		resolve_txt_select(job, res);
		return;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
	case DNS_BADNAME:
		resolve_fail(job, RESOLVE_TXT_NONE, "_mta-sts.%s: %s",
		    job->domain, dns_status_str(st));
		return;
	case DNS_TIMEOUT:
		resolve_fail(job, RESOLVE_DNS_TIMEOUT,
		    "_mta-sts.%s TXT: no answer", job->domain);
		return;
	default:
		resolve_fail(job, RESOLVE_DNS_SERVFAIL, "_mta-sts.%s TXT: %s",
		    job->domain, dns_status_str(st));
		return;
	}
}

/* ---- step 2: A and AAAA of mta-sts.<domain> ---- */

static void
resolve_query_host(struct resolve_job *job)
{
	char name[DNS_NAME_MAX + 16];
	struct dns *d = job->rs->dns;

	resolve_step_begin(job, RESOLVE_STEP_HOST);
	snprintf(name, sizeof(name), "mta-sts.%s", job->domain);
	job->a_q = dns_query_addr(d, name, AF_INET, resolve_on_a, job);
	job->aaaa_q = dns_query_addr(d, name, AF_INET6, resolve_on_aaaa, job);
	if (job->a_q == NULL || job->aaaa_q == NULL)
		resolve_fail(job, RESOLVE_DNS_SERVFAIL,
		    "cannot start the address queries");
}

static void
resolve_add_addrs(struct resolve_job *job, const struct dns_addrs *res)
{
	size_t i;

	for (i = 0; res != NULL && i < res->n; i++) {
		if (job->naddrs == RESOLVE_ADDRS_MAX)
			return;
		dns_addr_str(&res->a[i], job->addrbuf[job->naddrs],
		    sizeof(job->addrbuf[0]));
		job->addrs[job->naddrs] = job->addrbuf[job->naddrs];
		job->naddrs++;
	}
}

static void
resolve_host_done(struct resolve_job *job)
{
	enum dns_status a = job->a_st, b = job->aaaa_st;
	size_t i, off = 0;
	char list[RESOLVE_DETAIL_MAX];

	/* IPv4 first: curl starts with the first address's family. */
	resolve_add_addrs(job, &job->v4);
	resolve_add_addrs(job, &job->v6);
	if (job->naddrs > 0) {
		list[0] = '\0';
		for (i = 0; i < job->naddrs && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", i ? " " : "", job->addrs[i]);
		resolve_step_end(job, RESOLVE_OK, "%s", list);
		resolve_fetch(job);
	} else if (a == DNS_SERVFAIL || b == DNS_SERVFAIL || a == DNS_ERROR ||
	    b == DNS_ERROR)
		resolve_fail(job, RESOLVE_DNS_SERVFAIL, "mta-sts.%s: A %s, "
		    "AAAA %s", job->domain, dns_status_str(a),
		    dns_status_str(b));
	else if (a == DNS_TIMEOUT || b == DNS_TIMEOUT)
		resolve_fail(job, RESOLVE_DNS_TIMEOUT, "mta-sts.%s: A %s, "
		    "AAAA %s", job->domain, dns_status_str(a),
		    dns_status_str(b));
	else
		resolve_fail(job, RESOLVE_HOST_NONE, "mta-sts.%s: no A/AAAA "
		    "(A %s, AAAA %s)", job->domain, dns_status_str(a),
		    dns_status_str(b));
}

static void
resolve_on_a(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct resolve_job *job = arg;

	job->a_q = NULL;
	job->a_st = st;
	if (st == DNS_OK)
		job->v4 = *res;
	if (job->aaaa_q == NULL)
		resolve_host_done(job);
}

static void
resolve_on_aaaa(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct resolve_job *job = arg;

	job->aaaa_q = NULL;
	job->aaaa_st = st;
	if (st == DNS_OK)
		job->v6 = *res;
	if (job->a_q == NULL)
		resolve_host_done(job);
}

/* ---- step 3: HTTPS GET (RFC 8461 §3.3) ---- */

static void
resolve_fetch(struct resolve_job *job)
{
	char host[DNS_NAME_MAX + 16];

	resolve_step_begin(job, RESOLVE_STEP_FETCH);
	snprintf(host, sizeof(host), "mta-sts.%s", job->domain);
	job->fr = fetch_start(job->rs->fetch, host, job->rs->port,
	    RESOLVE_POLICY_PATH, job->addrs, job->naddrs, resolve_on_fetch,
	    job);
	if (job->fr == NULL)
		resolve_fail(job, RESOLVE_HTTPS_ERROR,
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
	struct resolve_job *job = arg;
	enum resolve_err err = resolve_map_fetch(res->status);

	job->fr = NULL;
	job->http_status = res->http_status;
	if (err != RESOLVE_OK) {
		resolve_fail(job, err, "%s", res->detail);
		return;
	}
	resolve_step_end(job, RESOLVE_OK, "HTTP %ld, %zu bytes from %s "
	    "(connect %ld ms, TLS %ld ms)", res->http_status, res->len,
	    res->ip, res->connect_ms, res->tls_ms);
	/* Valid only during this callback, which also ends the job:
	 * resolve_check_policy() answers every waiter before returning. */
	job->body = res->body;
	job->body_len = res->len;
	resolve_check_policy(job, res->body, res->len);
}

/* ---- step 4: the policy itself (RFC 8461 §3.2) ---- */

static void
resolve_check_policy(struct resolve_job *job, const char *body, size_t len)
{
	const char *why = NULL;

	resolve_step_begin(job, RESOLVE_STEP_POLICY);
	if ((job->pol = malloc(sizeof(*job->pol))) == NULL) {
		resolve_fail(job, RESOLVE_HTTPS_ERROR, "out of memory");
		return;
	}
	if (stspol_parse(body, len, job->pol, &why) == -1) {
		if (job->pol->errline > 0)
			resolve_fail(job, RESOLVE_POLICY_INVALID,
			    "line %u: %s", job->pol->errline,
			    why ? why : "invalid");
		else
			resolve_fail(job, RESOLVE_POLICY_INVALID, "%s",
			    why ? why : "invalid");
		return;
	}
	resolve_step_end(job, RESOLVE_OK, "id %s, mode %s, max_age %lu, "
	    "%zu mx", job->rec.id, stspol_mode_str(job->pol->mode),
	    (unsigned long)job->pol->max_age, job->pol->nmx);
	resolve_finish(job, RESOLVE_OK);
}

/* ---- public ---- */

static struct resolve_req *
resolve_start_job(struct resolve *rs, const char *domain, int txt_only,
    resolve_cb *cb, void *arg)
{
	struct resolve_job *job;
	struct resolve_req *w;
	size_t len = strlen(domain);

	if (len == 0 || len > RESOLVE_NAME_MAX)
		return NULL;
	if ((job = resolve_job_find(rs, domain, txt_only)) != NULL &&
	    job->nwaiters >= RESOLVE_WAITERS_MAX)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (job == NULL) {
		if ((job = resolve_job_new(rs, domain, txt_only)) == NULL ||
		    resolve_query_txt(job) == -1) {
			if (job != NULL)
				resolve_job_free(job);
			free(w);
			return NULL;
		}
	}
	w->job = job;
	w->cb = cb;
	w->arg = arg;
	w->start = monoclock_ms();
	w->deadline = w->start + rs->lookup_ms;
	w->wnext = job->waiters;
	job->waiters = w;
	job->nwaiters++;
	resolve_dl_insert(rs, w);
	resolve_arm(rs);
	return w;
}

struct resolve_req *
resolve_start(struct resolve *rs, const char *domain, resolve_cb *cb,
    void *arg)
{
	return resolve_start_job(rs, domain, 0, cb, arg);
}

struct resolve_req *
resolve_start_txt(struct resolve *rs, const char *domain, resolve_cb *cb,
    void *arg)
{
	return resolve_start_job(rs, domain, 1, cb, arg);
}

void
resolve_cancel(struct resolve_req *w)
{
	struct resolve_job *job;
	struct resolve *rs;

	if (w == NULL)
		return;
	job = w->job;
	rs = job->rs;
	TAILQ_REMOVE(&rs->dl, w, dentry);
	resolve_waiter_unlink(job, w);
	free(w);
	resolve_job_release(job);
	resolve_arm(rs);
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
	LIST_INIT(&rs->jobs);
	TAILQ_INIT(&rs->dl);
	rs->base = base;
	rs->lookup_ms = conf->lookup_timeout_ms;
	rs->port = conf->https_port ? conf->https_port : 443;
	if ((rs->timer = evtimer_new(base, resolve_on_timer, rs)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
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
	struct resolve_job *job;
	struct resolve_req *w;

	if (rs == NULL)
		return;
	while ((job = LIST_FIRST(&rs->jobs)) != NULL) {
		while ((w = job->waiters) != NULL) {
			job->waiters = w->wnext;
			free(w);
		}
		resolve_job_free(job);	/* cancels into dns and fetch */
	}
	fetch_free(rs->fetch);
	dns_free(rs->dns);
	if (rs->timer != NULL)
		event_free(rs->timer);
	free(rs);
}
