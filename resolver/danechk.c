/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * danechk.c: the DANE check of one domain (danechk.h).
 *
 * Paired steps, as in resolve.c: danechk_start asks MX, danechk_on_mx
 * asks every host's TLSA at once, danechk_on_tlsa counts the answers
 * and the last one decides and reports.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "danechk.h"

struct danechk;

/* One TLSA lookup in flight, with its way back to the check. */
struct danechk_tq {
	struct danechk	*c;
	size_t		 i;		/* host index */
	struct dns_query *q;
};

struct danechk {
	struct dns	*d;
	danechk_cb	*cb;
	void		*arg;
	char		 domain[DNSMSG_NAME_MAX + 1];
	struct dns_query *mxq;
	struct danechk_tq tq[DANE_HOSTS_MAX];
	size_t		 pending;	/* TLSA lookups not answered yet */
	struct danechk_result res;
};

static void	danechk_on_mx(enum dns_status, const struct dnsmsg_answer *,
		    void *);
static void	danechk_on_tlsa(enum dns_status,
		    const struct dnsmsg_answer *, void *);

static void
danechk_ttl(struct danechk *c, const struct dnsmsg_answer *a)
{
	if (a != NULL && a->n > 0 && (c->res.ttl == 0 || a->ttl < c->res.ttl))
		c->res.ttl = a->ttl;
}

/* Decide, report, free. */
static void
danechk_finish(struct danechk *c)
{
	enum dane_tlsa tl[DANE_HOSTS_MAX];
	struct dane_input in;
	size_t i;

	for (i = 0; i < c->res.nhosts; i++)
		tl[i] = c->res.host[i].tlsa;
	in.mx = c->res.mx;
	in.nhosts = c->res.nhosts;
	in.tlsa = tl;
	in.truncated = c->res.truncated;
	c->res.verdict = dane_decide(&in, &c->res.why);
	c->res.domain = c->domain;
	c->cb(&c->res, c->arg);
	free(c);
}

/* Has `host` been listed already?  (Two MX records, one host.) */
static int
danechk_known(const struct danechk *c, const char *host)
{
	size_t i;

	for (i = 0; i < c->res.nhosts; i++)
		if (strcmp(c->res.host[i].name, host) == 0)
			return 1;
	return 0;
}

/*
 * The MX hosts in preference order, then by name (resolvers rotate
 * RRsets; operators and tests see one order), at most DANE_HOSTS_MAX:
 * the most preferred ones, those a sender tries first.
 */
static void
danechk_hosts(struct danechk *c, const struct dnsmsg_answer *a)
{
	const struct dnsmsg_mx *mx[DNSMSG_RR_MAX], *t;
	size_t i, j, n = 0;

	for (i = 0; i < a->n; i++) {
		t = &a->rr.mx[i];
		for (j = n; j > 0 && (mx[j - 1]->pref > t->pref ||
		    (mx[j - 1]->pref == t->pref &&
		    strcmp(mx[j - 1]->host, t->host) > 0)); j--)
			mx[j] = mx[j - 1];
		mx[j] = t;
		n++;
	}
	for (i = 0; i < n; i++) {
		const char *h = mx[i]->host;

		if (h[0] == '\0' || danechk_known(c, h))
			continue;	/* null MX, duplicate */
		if (c->res.nhosts == DANE_HOSTS_MAX) {
			c->res.truncated = 1;
			break;
		}
		memcpy(c->res.host[c->res.nhosts].name, h, strlen(h) + 1);
		c->res.nhosts++;
	}
	if (a->dropped > 0)
		c->res.truncated = 1;
}

static void
danechk_on_mx(enum dns_status st, const struct dnsmsg_answer *a, void *arg)
{
	struct danechk *c = arg;
	char name[DNSMSG_NAME_MAX + 16];
	size_t i, n;

	c->mxq = NULL;
	c->res.mx_status = st;
	c->res.mx = dane_dns_of(a == NULL, a);
	danechk_ttl(c, a);
	if (c->res.mx != DANE_DNS_FAIL && st == DNS_OK)
		danechk_hosts(c, a);
	n = c->res.mx == DANE_DNS_FAIL ? 0 : c->res.nhosts;
	c->pending = n;
	for (i = 0; i < n; i++) {
		struct danechk_tq *t = &c->tq[i];

		t->c = c;
		t->i = i;
		snprintf(name, sizeof(name), "_25._tcp.%s", c->res.host[i].name);
		if ((t->q = dns_query_sec(c->d, name, DNSMSG_TYPE_TLSA,
		    danechk_on_tlsa, t)) == NULL) {
			c->res.host[i].status = DNS_ERROR;
			c->res.host[i].tlsa = DANE_TLSA_FAIL;
			c->pending--;
		}
	}
	if (c->pending == 0)
		danechk_finish(c);
}

static void
danechk_on_tlsa(enum dns_status st, const struct dnsmsg_answer *a,
    void *arg)
{
	struct danechk_tq *t = arg;
	struct danechk *c = t->c;
	struct danechk_host *h = &c->res.host[t->i];

	t->q = NULL;
	h->status = st;
	h->tlsa = dane_tlsa_of(a == NULL, a);
	h->ntlsa = a != NULL && st == DNS_OK ? (unsigned)a->n : 0;
	danechk_ttl(c, a);
	if (--c->pending == 0)
		danechk_finish(c);
}

struct danechk *
danechk_start(struct dns *d, const char *domain, danechk_cb *cb, void *arg)
{
	struct danechk *c;
	size_t len = strlen(domain);

	if (len == 0 || len > DNSMSG_NAME_MAX)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->d = d;
	c->cb = cb;
	c->arg = arg;
	memcpy(c->domain, domain, len + 1);
	if ((c->mxq = dns_query_sec(d, domain, DNSMSG_TYPE_MX, danechk_on_mx,
	    c)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
danechk_cancel(struct danechk *c)
{
	size_t i;

	if (c == NULL)
		return;
	dns_cancel(c->mxq);
	for (i = 0; i < c->res.nhosts; i++)
		dns_cancel(c->tq[i].q);
	free(c);
}

/* ---- the validating-resolver probe ---- */

struct danechk_probe {
	danechk_probe_cb *cb;
	void		*arg;
	struct dns_query *q;
};

static void
danechk_on_probe(enum dns_status st, const struct dnsmsg_answer *a,
    void *arg)
{
	struct danechk_probe *p = arg;
	enum danechk_probe_result r;

	if (a == NULL)
		r = DANECHK_PROBE_FAILED;
	else
		r = st == DNS_OK && a->ad ? DANECHK_VALIDATING :
		    DANECHK_NOT_VALIDATING;
	p->cb(r, st, p->arg);
	free(p);
}

struct danechk_probe *
danechk_probe(struct dns *d, const char *name, danechk_probe_cb *cb,
    void *arg)
{
	struct danechk_probe *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cb = cb;
	p->arg = arg;
	if ((p->q = dns_query_sec(d, name, DNSMSG_TYPE_DNSKEY,
	    danechk_on_probe, p)) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
danechk_probe_cancel(struct danechk_probe *p)
{
	if (p == NULL)
		return;
	dns_cancel(p->q);
	free(p);
}

const char *
danechk_probe_str(enum danechk_probe_result r)
{
	switch (r) {
	case DANECHK_VALIDATING:
		return "validating";
	case DANECHK_NOT_VALIDATING:
		return "not-validating";
	case DANECHK_PROBE_FAILED:
		return "failed";
	}
	return "invalid";
}
