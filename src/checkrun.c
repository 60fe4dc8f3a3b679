/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * checkrun.c: the facts of `mtasts check`, gathered in parallel
 * (checkrun.h).
 *
 * A check counts its outstanding operations (discovery, MX, TLSRPT,
 * each host's A and AAAA, each address's probe); every callback copies
 * what it got into the check and drops the count, and the last one
 * hands the facts on.  Results of the libraries are copied inside their
 * callbacks, as they are only borrowed there.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "checkfind.h"
#include "checkrun.h"
#include "danechk.h"
#include "dns.h"
#include "dnsmsg.h"
#include "domkey.h"
#include "resolve.h"
#include "smtpprobe.h"
#include "stspol.h"
#include "stsrec.h"

#define CHECKRUN_DNS_TRIES	2
#define CHECKRUN_FETCHES	16

struct checkrun {
	struct event_base	*base;
	struct dns		*dns;
	struct resolve		*rs;
	struct smtpprobe	*probe;
	int			 timeout_ms;
	const struct tlslist	*list;
	const char		*list_error;
	TAILQ_HEAD(, checkrun_req) reqs;	/* running checks */
};

struct checkrun_probe {
	struct checkrun_req	*req;
	struct checkfind_addr	*addr;
	struct smtpprobe_req	*h;
};

struct checkrun_host {
	struct checkrun_req	*req;
	struct checkfind_host	*h;
	struct dns_query	*qa, *qaaaa, *qtlsa;
	struct checkrun_probe	 pr[CHECKFIND_ADDR_MAX];
};

struct checkrun_req {
	struct checkrun		*c;
	char			 domain[DOMKEY_MAX + 1];
	int			 pending;
	checkrun_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(checkrun_req) entry;
	/* discovery */
	struct resolve_req	*sts;
	enum resolve_err	 sts_err;
	char			 sts_detail[RESOLVE_DETAIL_MAX];
	char			 id[STSREC_ID_MAX + 1];
	int			 has_id;
	struct stspol		*policy;	/* heap, NULL unless valid */
	char			*body;
	size_t			 body_len;
	struct resolve_step_info step[RESOLVE_STEP_COUNT];
	/* MX */
	struct dns_query	*mxq;
	enum dns_status		 mx;
	int			 null_mx;
	size_t			 mx_dropped;
	size_t			 nhosts, hosts_cap;
	/* [hosts_cap], made for the MX answer: a host's probe results
	 * are large, and a domain has few hosts */
	struct checkfind_host	*hosts;
	struct checkrun_host	*hq;
	/* DANE */
	struct danechk		*danq;
	int			 has_dane;
	struct danechk_result	 dane;
	/* TLSRPT */
	struct dns_query	*tlsq;
	enum dns_status		 tlsrpt;
	size_t			 tlsn;
	char			*tlstxt[DNS_TXT_MAX];
	size_t			 tlslen[DNS_TXT_MAX];
};

static void	cr_done(struct checkrun_req *);
static void	cr_cancel(struct checkrun_req *);
static void	cr_free(struct checkrun_req *);
static void	cr_on_sts(const struct resolve_result *, void *);
static void	cr_on_mx(enum dns_status, const struct dnsmsg_answer *,
		    void *);
static int	cr_hosts_alloc(struct checkrun_req *, size_t);
static void	cr_host_start(struct checkrun_req *, const char *, unsigned,
		    int);
static void	cr_on_addrs(struct checkrun_host *, enum dns_status,
		    const struct dns_addrs *);
static void	cr_on_a(enum dns_status, const struct dns_addrs *, void *);
static void	cr_on_aaaa(enum dns_status, const struct dns_addrs *, void *);
static void	cr_on_tlsa(enum dns_status, const struct dnsmsg_answer *,
		    void *);
static void	cr_probe_start(struct checkrun_host *, const struct dns_addr *);
static void	cr_on_probe(const struct smtpprobe_result *, void *);
static void	cr_on_dane(const struct danechk_result *, void *);
static void	cr_on_tlsrpt(enum dns_status, const struct dns_txt *, void *);

/* ---- life cycle ---- */

struct checkrun *
checkrun_new(struct event_base *base, const struct checkrun_conf *conf,
    char *err, size_t errlen)
{
	struct checkrun *c;
	struct dns_conf dc;
	struct resolve_conf rc;
	struct smtpprobe_conf pc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	TAILQ_INIT(&c->reqs);
	c->timeout_ms = conf->timeout_ms;
	c->list = conf->list;
	c->list_error = conf->list_error;
	memset(&dc, 0, sizeof(dc));
	dc.servers = conf->dns_servers;
	dc.timeout_ms = conf->timeout_ms / (2 * CHECKRUN_DNS_TRIES) + 1;
	dc.tries = CHECKRUN_DNS_TRIES;
	memset(&rc, 0, sizeof(rc));
	rc.dns_servers = conf->dns_servers;
	rc.dns_timeout_ms = dc.timeout_ms;
	rc.dns_tries = CHECKRUN_DNS_TRIES;
	rc.connect_timeout_ms = conf->timeout_ms;
	rc.fetch_timeout_ms = conf->timeout_ms;
	/* two DNS steps and the fetch, as the daemon's job budget */
	rc.lookup_timeout_ms = 3 * conf->timeout_ms;
	rc.max_fetches = CHECKRUN_FETCHES;
	rc.ca_file = conf->ca_file;
	memset(&pc, 0, sizeof(pc));
	pc.ca_file = conf->ca_file;
	pc.helo_name = conf->helo_name;
	pc.port = conf->smtp_port;
	pc.step_timeout_ms = conf->timeout_ms;
	if ((c->dns = dns_new(base, &dc, err, errlen)) == NULL ||
	    (c->rs = resolve_new(base, &rc, err, errlen)) == NULL ||
	    (c->probe = smtpprobe_new(base, &pc, err, errlen)) == NULL) {
		checkrun_free(c);
		return NULL;
	}
	return c;
}

void
checkrun_free(struct checkrun *c)
{
	struct checkrun_req *r;

	if (c == NULL)
		return;
	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, entry);
		cr_cancel(r);
		cr_free(r);
	}
	smtpprobe_free(c->probe);
	resolve_free(c->rs);
	dns_free(c->dns);
	free(c);
}

/* Every operation still running: its callback never runs. */
static void
cr_cancel(struct checkrun_req *r)
{
	size_t i, j;

	resolve_cancel(r->sts);
	dns_cancel(r->mxq);
	dns_cancel(r->tlsq);
	danechk_cancel(r->danq);
	for (i = 0; i < r->nhosts; i++) {
		dns_cancel(r->hq[i].qa);
		dns_cancel(r->hq[i].qaaaa);
		dns_cancel(r->hq[i].qtlsa);
		for (j = 0; j < r->hosts[i].naddr; j++)
			smtpprobe_cancel(r->hq[i].pr[j].h);
	}
}

static void
cr_free(struct checkrun_req *r)
{
	size_t i;

	for (i = 0; i < r->tlsn; i++)
		free(r->tlstxt[i]);
	free(r->policy);
	free(r->body);
	free(r->hosts);
	free(r->hq);
	free(r);
}

/* One operation ended; the last one hands the facts on. */
static void
cr_done(struct checkrun_req *r)
{
	struct checkfind_facts f;

	if (--r->pending > 0)
		return;
	memset(&f, 0, sizeof(f));
	f.domain = r->domain;
	f.now = time(NULL);
	f.sts_err = r->sts_err;
	f.sts_detail = r->sts_detail;
	f.sts_id = r->has_id ? r->id : NULL;
	f.policy = r->policy;
	f.body = r->body;
	f.body_len = r->body_len;
	f.step = r->step;
	f.mx = r->mx;
	f.null_mx = r->null_mx;
	f.mx_dropped = r->mx_dropped;
	f.nhosts = r->nhosts;
	f.hosts = r->hosts;
	f.smtp = 1;
	f.tlsrpt = r->tlsrpt;
	f.tlsrpt_txt = (const char *const *)r->tlstxt;
	f.tlsrpt_len = r->tlslen;
	f.tlsrpt_n = r->tlsn;
	f.dane = r->has_dane ? &r->dane : NULL;
	f.list = r->c->list;
	f.list_error = r->c->list_error;
	TAILQ_REMOVE(&r->c->reqs, r, entry);
	r->cb(&f, r->arg);
	cr_free(r);
}

/* ---- MTA-STS discovery ---- */

static void
cr_on_sts(const struct resolve_result *res, void *arg)
{
	struct checkrun_req *r = arg;

	r->sts = NULL;
	r->sts_err = res->err;
	snprintf(r->sts_detail, sizeof(r->sts_detail), "%s",
	    res->detail != NULL ? res->detail : "");
	memcpy(r->step, res->step, sizeof(r->step));
	if (res->rec != NULL) {
		snprintf(r->id, sizeof(r->id), "%s", res->rec->id);
		r->has_id = 1;
	}
	if (res->policy != NULL &&
	    (r->policy = malloc(sizeof(*r->policy))) != NULL)
		memcpy(r->policy, res->policy, sizeof(*r->policy));
	else if (res->policy != NULL)
		r->sts_err = RESOLVE_POLICY_INVALID;	/* out of memory */
	if (res->body != NULL && (r->body = malloc(res->body_len + 1)) != NULL) {
		memcpy(r->body, res->body, res->body_len);
		r->body_len = res->body_len;
	}
	cr_done(r);
}

/* ---- MX and the hosts ---- */

/* Hosts in preference order, then by name: output that does not
 * depend on the order of the DNS answer. */
static int
cr_mx_cmp(const void *a, const void *b)
{
	const struct dnsmsg_mx *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcasecmp(x->host, y->host);
}

static void
cr_on_mx(enum dns_status st, const struct dnsmsg_answer *res, void *arg)
{
	struct checkrun_req *r = arg;
	struct dnsmsg_mx mx[DNSMSG_RR_MAX];
	size_t i;

	r->mxq = NULL;
	r->mx = st;
	if ((st == DNS_OK || st == DNS_NODATA) &&
	    cr_hosts_alloc(r, st == DNS_OK ? res->n : 1) == -1)
		r->mx = DNS_ERROR;
	else if (st == DNS_OK) {
		r->mx_dropped = res->dropped;
		/* RFC 7505 §3: a null MX is the only record */
		r->null_mx = res->n == 1 && res->rr.mx[0].host[0] == '\0';
		memcpy(mx, res->rr.mx, res->n * sizeof(mx[0]));
		qsort(mx, res->n, sizeof(mx[0]), cr_mx_cmp);
		for (i = 0; i < res->n && !r->null_mx; i++)
			cr_host_start(r, mx[i].host, mx[i].pref, 0);
	} else if (st == DNS_NODATA)
		/* RFC 5321 §5.1: the domain itself is the implicit MX */
		cr_host_start(r, r->domain, 0, 1);
	cr_done(r);
}

static int
cr_hosts_alloc(struct checkrun_req *r, size_t n)
{
	if ((r->hosts = calloc(n, sizeof(*r->hosts))) == NULL ||
	    (r->hq = calloc(n, sizeof(*r->hq))) == NULL)
		return -1;
	r->hosts_cap = n;
	return 0;
}

static void
cr_host_start(struct checkrun_req *r, const char *name, unsigned pref,
    int implicit)
{
	struct checkfind_host *h;
	struct checkrun_host *q;
	size_t i;
	char low[DNS_NAME_MAX + 1], tname[DNS_NAME_MAX + 16];

	for (i = 0; name[i] != '\0' && i < DNS_NAME_MAX; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	for (i = 0; i < r->nhosts; i++)
		if (strcmp(r->hosts[i].name, low) == 0)
			return;		/* listed twice */
	if (low[0] == '\0' || r->nhosts == r->hosts_cap)
		return;
	h = &r->hosts[r->nhosts];
	q = &r->hq[r->nhosts++];
	memcpy(h->name, low, sizeof(low));
	h->pref = pref;
	h->implicit = implicit;
	h->a = h->aaaa = DNS_ERROR;
	q->req = r;
	q->h = h;
	if ((q->qa = dns_query_addr(r->c->dns, low, AF_INET, cr_on_a,
	    q)) != NULL)
		r->pending++;
	if ((q->qaaaa = dns_query_addr(r->c->dns, low, AF_INET6, cr_on_aaaa,
	    q)) != NULL)
		r->pending++;
	h->tlsa_status = DNS_ERROR;
	snprintf(tname, sizeof(tname), "_25._tcp.%s", low);
	if ((q->qtlsa = dns_query_sec(r->c->dns, tname, DNSMSG_TYPE_TLSA,
	    cr_on_tlsa, q)) != NULL)
		r->pending++;
}

/* An address answer: record its status, probe each address at once. */
static void
cr_on_addrs(struct checkrun_host *q, enum dns_status st,
    const struct dns_addrs *res)
{
	size_t i;

	for (i = 0; st == DNS_OK && i < res->n; i++)
		cr_probe_start(q, &res->a[i]);
	cr_done(q->req);
}

static void
cr_on_a(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct checkrun_host *q = arg;

	q->qa = NULL;
	q->h->a = st;
	cr_on_addrs(q, st, res);
}

static void
cr_on_aaaa(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct checkrun_host *q = arg;

	q->qaaaa = NULL;
	q->h->aaaa = st;
	cr_on_addrs(q, st, res);
}

/* The host's TLSA records, for matching its certificate (dane-match). */
static void
cr_on_tlsa(enum dns_status st, const struct dnsmsg_answer *ans, void *arg)
{
	struct checkrun_host *q = arg;
	struct checkfind_host *h = q->h;

	q->qtlsa = NULL;
	h->tlsa_status = st;
	if (ans != NULL) {
		h->tlsa_ad = ans->ad;
		h->ntlsa = st == DNS_OK ? ans->n : 0;
		memcpy(h->tlsa, ans->rr.tlsa, h->ntlsa * sizeof(h->tlsa[0]));
	}
	cr_done(q->req);
}

static void
cr_probe_start(struct checkrun_host *q, const struct dns_addr *a)
{
	struct checkfind_host *h = q->h;
	struct checkrun_probe *pr;

	if (h->naddr == CHECKFIND_ADDR_MAX)
		return;
	pr = &q->pr[h->naddr];
	pr->req = q->req;
	pr->addr = &h->addr[h->naddr++];
	pr->addr->addr = *a;
	if ((pr->h = smtpprobe_start(q->req->c->probe, h->name, a,
	    cr_on_probe, pr)) != NULL)
		q->req->pending++;
	else {
		pr->addr->probed = 1;
		pr->addr->probe.status = SMTPPROBE_ERROR;
		snprintf(pr->addr->probe.detail,
		    sizeof(pr->addr->probe.detail), "out of memory");
	}
}

static void
cr_on_probe(const struct smtpprobe_result *res, void *arg)
{
	struct checkrun_probe *pr = arg;

	pr->h = NULL;
	pr->addr->probed = 1;
	pr->addr->probe = *res;
	cr_done(pr->req);
}

/* ---- DANE ---- */

static void
cr_on_dane(const struct danechk_result *res, void *arg)
{
	struct checkrun_req *r = arg;

	r->danq = NULL;
	r->dane = *res;		/* `why` is static */
	r->dane.domain = r->domain;
	r->has_dane = 1;
	cr_done(r);
}

/* ---- TLSRPT ---- */

static void
cr_on_tlsrpt(enum dns_status st, const struct dns_txt *res, void *arg)
{
	struct checkrun_req *r = arg;
	size_t i;

	r->tlsq = NULL;
	r->tlsrpt = st;
	for (i = 0; st == DNS_OK && i < res->n; i++) {
		if ((r->tlstxt[r->tlsn] = malloc(res->rec[i].len + 1)) == NULL) {
			r->tlsrpt = DNS_ERROR;
			break;
		}
		memcpy(r->tlstxt[r->tlsn], res->rec[i].data, res->rec[i].len);
		r->tlslen[r->tlsn++] = res->rec[i].len;
	}
	cr_done(r);
}

/* ---- start ---- */

struct checkrun_req *
checkrun_start(struct checkrun *c, const char *domain, checkrun_cb *cb,
    void *arg)
{
	struct checkrun_req *r;
	char name[DNS_NAME_MAX + 16];

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->c = c;
	r->cb = cb;
	r->arg = arg;
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	r->mx = r->tlsrpt = DNS_ERROR;
	r->sts_err = RESOLVE_DNS_SERVFAIL;
	snprintf(r->sts_detail, sizeof(r->sts_detail), "not started");
	/* One for this function, so no callback ends the check early. */
	r->pending = 1;
	if ((r->sts = resolve_start(c->rs, r->domain, cr_on_sts, r)) != NULL)
		r->pending++;
	if ((r->mxq = dns_query_sec(c->dns, r->domain, DNSMSG_TYPE_MX,
	    cr_on_mx, r)) != NULL)
		r->pending++;
	if ((r->danq = danechk_start(c->dns, r->domain, cr_on_dane, r)) !=
	    NULL)
		r->pending++;
	snprintf(name, sizeof(name), "_smtp._tls.%s", r->domain);
	if ((r->tlsq = dns_query_txt(c->dns, name, cr_on_tlsrpt, r)) != NULL)
		r->pending++;
	if (r->pending == 1) {		/* nothing started */
		cr_free(r);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	r->pending--;			/* cannot reach 0 here */
	return r;
}
