/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * dns.c: c-ares 1.18.1 on libevent (docs/DESIGN.md §Event loop).
 *
 * c-ares tells us through the socket-state callback which sockets it
 * wants watched; each gets one persistent libevent event, re-armed with
 * the wanted flags.  A socket c-ares has closed is marked dead and freed
 * later, never inside the event callback that is running for it.  One
 * timer, re-armed from ares_timeout() after every call into c-ares,
 * drives retransmissions and timeouts.
 *
 * Query lifetime: c-ares calls a query's callback exactly once (answer,
 * timeout, ares_cancel or ares_destroy).  Until then the query struct
 * belongs to c-ares; dns_cancel() only detaches the user's callback,
 * and the struct is freed when c-ares lets go of it.  c-ares 1.18 has
 * no way to cancel a single query, so a cancelled query keeps its
 * (bounded) retries going until it times out.
 */
#include "config.h"

#include <sys/queue.h>

#include <arpa/inet.h>
#include <ares.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnsmsg.h"

/* RFC 1035 class and types, spelled out to avoid arpa/nameser.h. */
#define DNS_CLASS_IN	1
#define DNS_TYPE_A	1
#define DNS_TYPE_TXT	16
#define DNS_TYPE_AAAA	28

/* A UDP payload size that avoids fragmentation (DNS flag day 2020). */
#define DNS_EDNS_PAYLOAD 1232

struct dns_sock {
	struct dns	*d;
	ares_socket_t	 fd;
	struct event	*ev;
	int		 dead;		/* c-ares closed it; free later */
	struct dns_sock	*next;
};

struct dns {
	struct event_base *base;
	ares_channel	 ch;
	int		 ch_ok;		/* ch was initialised */
	struct event	*timer;
	struct dns_sock	*socks;
	struct dns_query *deferred;	/* failed at submit, not in c-ares */
	TAILQ_HEAD(dns_queries, dns_query) waiting; /* not yet in c-ares */
	int		 inflight;	/* queries inside c-ares */
	int		 max_inflight;
	int		 destroying;
	int		 processing;	/* inside ares_process_fd() */
};

enum dns_qstate {
	DNS_Q_WAITING,		/* on d->waiting, not yet in c-ares */
	DNS_Q_INFLIGHT,		/* c-ares owns it until its callback */
	DNS_Q_DEFERRED		/* failed at submit; on d->deferred */
};

struct dns_query {
	struct dns	*d;
	enum dns_qstate	 state;
	char		*name;
	int		 family;	/* 0 for TXT */
	dns_txt_cb	*txt_cb;
	dns_addr_cb	*addr_cb;
	dns_sec_cb	*sec_cb;	/* dns_query_sec(): raw query */
	int		 qtype;		/* its type */
	void		*arg;
	int		 cancelled;
	int		 submitting;	/* inside ares_query() */
	int		 fired_sync;	/* c-ares answered inside ares_query() */
	int		 sync_status;
	struct event	*defer;		/* delivers a synchronous failure */
	struct dns_query *next;		/* on d->deferred */
	TAILQ_ENTRY(dns_query) wentry;	/* on d->waiting */
};

static void	dns_sock_state(void *, ares_socket_t, int, int);
static void	dns_on_sock(evutil_socket_t, short, void *);
static void	dns_on_timer(evutil_socket_t, short, void *);
static void	dns_after(struct dns *, struct dns_sock *);
static void	dns_on_txt(void *, int, int, unsigned char *, int);
static void	dns_on_addr(void *, int, int, unsigned char *, int);
static void	dns_on_sec(void *, int, int, unsigned char *, int);
static void	dns_pump(struct dns *);
static struct dns_query *dns_query_enqueue(struct dns *, struct dns_query *);

const char *
dns_status_str(enum dns_status s)
{
	switch (s) {
	case DNS_OK:
		return "ok";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_NODATA:
		return "nodata";
	case DNS_SERVFAIL:
		return "servfail";
	case DNS_TIMEOUT:
		return "timeout";
	case DNS_BADNAME:
		return "bad name";
	case DNS_ERROR:
		return "error";
	}
	return "unknown";
}

const char *
dns_addr_str(const struct dns_addr *a, char *buf, size_t size)
{
	const void *src = a->family == AF_INET6 ? (const void *)&a->u.v6 :
	    (const void *)&a->u.v4;

	if (inet_ntop(a->family, src, buf, size) == NULL && size > 0)
		buf[0] = '\0';
	return buf;
}

/*
 * c-ares status → ours.  Only NXDOMAIN and NODATA mean "no record";
 * everything a server or the network did wrong is a failure, so that a
 * broken resolver never looks like a domain without a policy.
 */
static enum dns_status
dns_map(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return DNS_OK;
	case ARES_ENOTFOUND:
		return DNS_NXDOMAIN;
	case ARES_ENODATA:
		return DNS_NODATA;
	case ARES_ESERVFAIL:
	case ARES_EREFUSED:
	case ARES_EFORMERR:
	case ARES_ENOTIMP:
	case ARES_EBADRESP:
	case ARES_ECONNREFUSED:
	case ARES_EOF:
		return DNS_SERVFAIL;
	case ARES_ETIMEOUT:
		return DNS_TIMEOUT;
	case ARES_EBADNAME:
		return DNS_BADNAME;
	default:
		return DNS_ERROR;
	}
}

/* A reply c-ares cannot parse is the server's fault, not "no name". */
static enum dns_status
dns_map_parse(int r)
{
	if (r == ARES_ENODATA)
		return DNS_NODATA;
	if (r == ARES_ENOMEM)
		return DNS_ERROR;
	return DNS_SERVFAIL;
}

static struct dns_sock *
dns_sock_find(struct dns *d, ares_socket_t fd)
{
	struct dns_sock *s;

	for (s = d->socks; s != NULL; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

/*
 * Called by c-ares whenever it wants a socket watched differently.  On
 * allocation failure the socket is not watched; its queries then end
 * through the timer as timeouts, which is safe.
 */
static void
dns_sock_state(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct dns *d = arg;
	struct dns_sock *s;
	short what;

	s = dns_sock_find(d, fd);
	if (!readable && !writable) {
		if (s != NULL) {
			event_del(s->ev);
			s->dead = 1;
		}
		return;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return;
		if ((s->ev = event_new(d->base, -1, 0, NULL, NULL)) == NULL) {
			free(s);
			return;
		}
		s->d = d;
		s->fd = fd;
		s->next = d->socks;
		d->socks = s;
	}
	s->dead = 0;
	what = EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
	event_del(s->ev);
	if (event_assign(s->ev, d->base, fd, what, dns_on_sock, s) == 0)
		event_add(s->ev, NULL);
}

static void
dns_on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct dns_sock *s = arg;
	struct dns *d = s->d;

	d->processing = 1;
	ares_process_fd(d->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	d->processing = 0;
	dns_after(d, s);
}

static void
dns_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns *d = arg;

	(void)fd;
	(void)what;
	d->processing = 1;
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	d->processing = 0;
	dns_after(d, NULL);
}

/*
 * After every call into c-ares: free sockets it closed (except `self`,
 * whose event callback is still running: it goes next time; and none
 * while a query callback nested in ares_process_fd() submits) and re-arm
 * the single timer from ares_timeout(), rounded up by a millisecond so
 * it never fires just before the deadline.
 */
static void
dns_after(struct dns *d, struct dns_sock *self)
{
	struct dns_sock **sp, *s;
	struct timeval tv, *tvp;

	for (sp = &d->socks; (s = *sp) != NULL;) {
		if (s->dead && s != self && !d->processing) {
			*sp = s->next;
			event_free(s->ev);
			free(s);
		} else
			sp = &s->next;
	}
	if ((tvp = ares_timeout(d->ch, NULL, &tv)) == NULL) {
		evtimer_del(d->timer);
		return;
	}
	tv.tv_usec += 1000;
	if (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	evtimer_add(d->timer, &tv);
}

/* One "ADDR[:PORT]" entry: IPv4, IPv4:port, [IPv6], [IPv6]:port, IPv6. */
static int
dns_server_ok(const char *s, size_t len)
{
	char buf[64], *port = NULL, *end;
	struct in6_addr a6;
	struct in_addr a4;
	long p;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		if ((end = strchr(buf, ']')) == NULL)
			return 0;
		*end = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return 0;
		if (inet_pton(AF_INET6, buf + 1, &a6) != 1)
			return 0;
	} else if ((end = strchr(buf, ':')) != NULL && strchr(end + 1, ':')) {
		return inet_pton(AF_INET6, buf, &a6) == 1;
	} else {
		if (end != NULL) {
			*end = '\0';
			port = end + 1;
		}
		if (inet_pton(AF_INET, buf, &a4) != 1)
			return 0;
	}
	if (port == NULL)
		return 1;
	p = strtol(port, &end, 10);
	return *port >= '0' && *port <= '9' && *end == '\0' && p > 0 &&
	    p <= 65535;
}

/* c-ares 1.18 accepts some malformed lists; check every entry first. */
static int
dns_servers_ok(const char *csv)
{
	const char *s = csv, *comma;

	if (*s == '\0')
		return 0;
	for (;;) {
		comma = strchr(s, ',');
		if (!dns_server_ok(s, comma ? (size_t)(comma - s) : strlen(s)))
			return 0;
		if (comma == NULL)
			return 1;
		s = comma + 1;
	}
}

static int
dns_init_channel(struct dns *d, const struct dns_conf *conf, char *err,
    size_t errlen)
{
	struct ares_options o;
	int mask, r;

	memset(&o, 0, sizeof(o));
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ;
	o.sock_state_cb = dns_sock_state;
	o.sock_state_cb_data = d;
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS;
	o.ednspsz = DNS_EDNS_PAYLOAD;
	if (conf->timeout_ms > 0) {
		mask |= ARES_OPT_TIMEOUTMS;
		o.timeout = conf->timeout_ms;
	}
	if (conf->tries > 0) {
		mask |= ARES_OPT_TRIES;
		o.tries = conf->tries;
	}
	d->max_inflight = conf->max_queries > 0 ? conf->max_queries :
	    DNS_QUERIES_DEFAULT;
	if (d->max_inflight > DNS_QUERIES_MAX)
		d->max_inflight = DNS_QUERIES_MAX;
	if ((r = ares_init_options(&d->ch, &o, mask)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		return -1;
	}
	d->ch_ok = 1;
	if (conf->servers == NULL)
		return 0;
	if (!dns_servers_ok(conf->servers) ||
	    (r = ares_set_servers_ports_csv(d->ch, conf->servers)) !=
	    ARES_SUCCESS) {
		snprintf(err, errlen, "bad DNS server list \"%s\"",
		    conf->servers);
		return -1;
	}
	return 0;
}

struct dns *
dns_new(struct event_base *base, const struct dns_conf *conf, char *err,
    size_t errlen)
{
	struct dns *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	TAILQ_INIT(&d->waiting);
	d->base = base;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares library init failed");
		free(d);
		return NULL;
	}
	if ((d->timer = evtimer_new(base, dns_on_timer, d)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (dns_init_channel(d, conf, err, errlen) == -1)
		goto fail;
	return d;
fail:
	dns_free(d);
	return NULL;
}

static void
dns_query_free(struct dns_query *q)
{
	if (q->defer != NULL)
		event_free(q->defer);
	free(q->name);
	free(q);
}

static void
dns_unlink_deferred(struct dns_query *q)
{
	struct dns_query **qp;

	for (qp = &q->d->deferred; *qp != NULL; qp = &(*qp)->next) {
		if (*qp == q) {
			*qp = q->next;
			return;
		}
	}
}

void
dns_free(struct dns *d)
{
	struct dns_sock *s;
	struct dns_query *q;

	if (d == NULL)
		return;
	d->destroying = 1;
	/* Each query still in c-ares is called back (and freed) here. */
	if (d->ch_ok)
		ares_destroy(d->ch);
	while ((q = d->deferred) != NULL) {
		d->deferred = q->next;
		dns_query_free(q);
	}
	while ((q = TAILQ_FIRST(&d->waiting)) != NULL) {
		TAILQ_REMOVE(&d->waiting, q, wentry);
		dns_query_free(q);
	}
	while ((s = d->socks) != NULL) {
		d->socks = s->next;
		event_free(s->ev);
		free(s);
	}
	if (d->timer != NULL)
		event_free(d->timer);
	ares_library_cleanup();
	free(d);
}

/*
 * Common start of both c-ares callbacks.  Returns 1 when the query must
 * not be delivered (already freed, or parked for deferred delivery).
 */
static int
dns_settle(struct dns_query *q, int status)
{
	struct dns *d = q->d;

	if (q->submitting) {
		/* Inside ares_query(): the caller has no handle yet. */
		q->fired_sync = 1;
		q->sync_status = status;
		return 1;
	}
	d->inflight--;
	if (q->cancelled || d->destroying) {
		dns_query_free(q);
		dns_pump(d);
		return 1;
	}
	return 0;
}

/* Join each record's strings (RFC 8461 §3.1) into one buffer. */
static void
dns_txt_collect(const struct ares_txt_ext *t, struct dns_txt *res,
    unsigned char *buf)
{
	struct dns_txt_record *cur = NULL;
	size_t off = 0, take;

	for (; t != NULL; t = t->next) {
		if (t->record_start || cur == NULL) {
			if (res->n == DNS_TXT_MAX) {
				res->dropped++;
				/* skip this record's other strings */
				while (t->next != NULL && !t->next->record_start)
					t = t->next;
				continue;
			}
			cur = &res->rec[res->n++];
			cur->data = (const char *)buf + off;
		}
		cur->full_len += t->length;
		take = t->length;
		if (cur->len + take > DNS_TXT_RECORD_MAX)
			take = DNS_TXT_RECORD_MAX - cur->len;
		memcpy(buf + off, t->txt, take);
		cur->len += take;
		off += take;
	}
}

static void
dns_on_txt(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_query *q = arg;
	struct dns *d = q->d;
	struct ares_txt_ext *txt = NULL;
	struct dns_txt *res = NULL;
	unsigned char *buf = NULL;
	enum dns_status st;
	int r;

	(void)timeouts;
	if (dns_settle(q, status))
		return;
	if ((st = dns_map(status)) != DNS_OK)
		goto done;
	if ((r = ares_parse_txt_reply_ext(abuf, alen, &txt)) != ARES_SUCCESS) {
		st = dns_map_parse(r);
		goto done;
	}
	/* The joined strings of a whole message fit in its length. */
	if ((res = calloc(1, sizeof(*res))) == NULL ||
	    (buf = malloc(alen > 0 ? (size_t)alen : 1)) == NULL) {
		st = DNS_ERROR;
		goto done;
	}
	dns_txt_collect(txt, res, buf);
done:
	if (txt != NULL)
		ares_free_data(txt);
	q->txt_cb(st, st == DNS_OK ? res : NULL, q->arg);
	free(buf);
	free(res);
	dns_query_free(q);
	dns_pump(d);
}

static enum dns_status
dns_addr_collect(struct dns_query *q, unsigned char *abuf, int alen,
    struct dns_addrs *res)
{
	struct ares_addrttl t4[DNS_ADDR_MAX];
	struct ares_addr6ttl t6[DNS_ADDR_MAX];
	int i, n = DNS_ADDR_MAX, r;

	if (q->family == AF_INET)
		r = ares_parse_a_reply(abuf, alen, NULL, t4, &n);
	else
		r = ares_parse_aaaa_reply(abuf, alen, NULL, t6, &n);
	if (r != ARES_SUCCESS)
		return dns_map_parse(r);
	for (i = 0; i < n && i < DNS_ADDR_MAX; i++) {
		res->a[i].family = q->family;
		if (q->family == AF_INET)
			res->a[i].u.v4 = t4[i].ipaddr;
		else
			memcpy(&res->a[i].u.v6, &t6[i].ip6addr,
			    sizeof(res->a[i].u.v6));
	}
	res->n = (size_t)i;
	return res->n > 0 ? DNS_OK : DNS_NODATA;
}

static void
dns_on_addr(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_query *q = arg;
	struct dns *d = q->d;
	struct dns_addrs res;
	enum dns_status st;

	(void)timeouts;
	if (dns_settle(q, status))
		return;
	memset(&res, 0, sizeof(res));
	if ((st = dns_map(status)) == DNS_OK)
		st = dns_addr_collect(q, abuf, alen, &res);
	q->addr_cb(st, st == DNS_OK ? &res : NULL, q->arg);
	dns_query_free(q);
	dns_pump(d);
}

/*
 * The answer of a dns_query_sec(): c-ares checked only that it answers
 * our question; SERVFAIL, REFUSED and NOTIMP were already turned into
 * errors (after trying the other servers).  The RCODE left decides the
 * status; the parsed answer goes along so the caller sees the AD flag.
 */
static void
dns_on_sec(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_query *q = arg;
	struct dns *d = q->d;
	struct dnsmsg_answer *ans = NULL;
	enum dns_status st;

	(void)timeouts;
	if (dns_settle(q, status))
		return;
	if ((st = dns_map(status)) != DNS_OK)
		goto done;
	if ((ans = malloc(sizeof(*ans))) == NULL) {
		st = DNS_ERROR;
		goto done;
	}
	if (dnsmsg_parse(abuf, alen > 0 ? (size_t)alen : 0, q->name,
	    (uint16_t)q->qtype, ans, NULL) != DNSMSG_OK)
		st = DNS_SERVFAIL;
	else if (ans->rcode == DNSMSG_RCODE_NXDOMAIN)
		st = DNS_NXDOMAIN;
	else if (ans->rcode != DNSMSG_RCODE_NOERROR)
		st = DNS_SERVFAIL;
	else if (ans->n == 0)
		st = DNS_NODATA;
done:
	q->sec_cb(st, st == DNS_OK || st == DNS_NXDOMAIN || st == DNS_NODATA ?
	    ans : NULL, q->arg);
	free(ans);
	dns_query_free(q);
	dns_pump(d);
}

/* Call the user with a failure that has no answer to go with it. */
static void
dns_deliver_error(struct dns_query *q, int status)
{
	enum dns_status st = dns_map(status);

	if (st == DNS_OK)
		st = DNS_ERROR;
	if (q->txt_cb != NULL)
		q->txt_cb(st, NULL, q->arg);
	else if (q->sec_cb != NULL)
		q->sec_cb(st, NULL, q->arg);
	else
		q->addr_cb(st, NULL, q->arg);
	dns_query_free(q);
}

static void
dns_on_defer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;

	(void)fd;
	(void)what;
	dns_unlink_deferred(q);
	dns_deliver_error(q, q->sync_status);
}

/*
 * Hand q to c-ares.  c-ares may call back before ares_query() returns
 * (bad name, no servers, memory); that result is parked and delivered
 * from a zero timer so the caller always gets its handle first.
 * Returns -1 when even that failed (q is then neither in c-ares nor
 * parked: the caller disposes of it).
 */
static int
dns_submit(struct dns *d, struct dns_query *q)
{
	static const struct timeval now = { 0, 0 };
	int type = q->family == AF_INET ? DNS_TYPE_A :
	    q->family == AF_INET6 ? DNS_TYPE_AAAA : DNS_TYPE_TXT;
	uint8_t qbuf[DNSMSG_QUERY_MAX];
	size_t qlen;

	q->submitting = 1;
	if (q->sec_cb == NULL)
		ares_query(d->ch, q->name, DNS_CLASS_IN, type,
		    q->family ? dns_on_addr : dns_on_txt, q);
	else if ((qlen = dnsmsg_query(qbuf, sizeof(qbuf), q->name,
	    (uint16_t)q->qtype)) == 0) {
		q->fired_sync = 1;
		q->sync_status = ARES_EBADNAME;
	} else
		ares_send(d->ch, qbuf, (int)qlen, dns_on_sec, q);
	q->submitting = 0;
	dns_after(d, NULL);
	if (!q->fired_sync) {
		q->state = DNS_Q_INFLIGHT;
		d->inflight++;
		return 0;
	}
	q->state = DNS_Q_DEFERRED;
	if ((q->defer = evtimer_new(d->base, dns_on_defer, q)) == NULL ||
	    evtimer_add(q->defer, &now) == -1)
		return -1;
	q->next = d->deferred;
	d->deferred = q;
	return 0;
}

/*
 * Move waiting queries into c-ares while there is room.  Runs after a
 * query's callback returned, never inside dns_query_*(), so a failure
 * to park an early error may be reported directly.
 */
static void
dns_pump(struct dns *d)
{
	struct dns_query *q;

	while (!d->destroying && d->inflight < d->max_inflight &&
	    (q = TAILQ_FIRST(&d->waiting)) != NULL) {
		TAILQ_REMOVE(&d->waiting, q, wentry);
		if (dns_submit(d, q) == -1)
			dns_deliver_error(q, ARES_ENOMEM);
	}
}

/* A query for `name` on d, not yet queued; NULL out of memory. */
static struct dns_query *
dns_query_alloc(struct dns *d, const char *name, void *arg)
{
	struct dns_query *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	if ((q->name = strdup(name)) == NULL) {
		free(q);
		return NULL;
	}
	q->d = d;
	q->arg = arg;
	return q;
}

static struct dns_query *
dns_query_new(struct dns *d, const char *name, int family, dns_txt_cb *tcb,
    dns_addr_cb *acb, void *arg)
{
	struct dns_query *q;

	if ((q = dns_query_alloc(d, name, arg)) == NULL)
		return NULL;
	q->family = family;
	q->txt_cb = tcb;
	q->addr_cb = acb;
	return dns_query_enqueue(d, q);
}

/* Queue or submit a new query; NULL (q freed) when that failed. */
static struct dns_query *
dns_query_enqueue(struct dns *d, struct dns_query *q)
{
	/* FIFO: never overtake queries that are already waiting. */
	if (d->inflight >= d->max_inflight || !TAILQ_EMPTY(&d->waiting)) {
		q->state = DNS_Q_WAITING;
		TAILQ_INSERT_TAIL(&d->waiting, q, wentry);
		return q;
	}
	if (dns_submit(d, q) == -1) {
		dns_query_free(q);
		return NULL;
	}
	return q;
}

struct dns_query *
dns_query_txt(struct dns *d, const char *name, dns_txt_cb *cb, void *arg)
{
	return dns_query_new(d, name, 0, cb, NULL, arg);
}

struct dns_query *
dns_query_sec(struct dns *d, const char *name, int qtype, dns_sec_cb *cb,
    void *arg)
{
	struct dns_query *q;

	/* Built like the others, but marked before it can be submitted. */
	if ((q = dns_query_alloc(d, name, arg)) == NULL)
		return NULL;
	q->sec_cb = cb;
	q->qtype = qtype;
	return dns_query_enqueue(d, q);
}

struct dns_query *
dns_query_addr(struct dns *d, const char *name, int family,
    dns_addr_cb *cb, void *arg)
{
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	return dns_query_new(d, name, family, NULL, cb, arg);
}

void
dns_cancel(struct dns_query *q)
{
	if (q == NULL)
		return;
	switch (q->state) {
	case DNS_Q_WAITING:
		TAILQ_REMOVE(&q->d->waiting, q, wentry);
		dns_query_free(q);
		break;
	case DNS_Q_DEFERRED:
		/* Not in c-ares: only our zero timer refers to it. */
		dns_unlink_deferred(q);
		dns_query_free(q);
		break;
	case DNS_Q_INFLIGHT:
		q->cancelled = 1;	/* freed when c-ares lets go */
		break;
	}
}
