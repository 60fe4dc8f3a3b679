/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_dns.c: resolver/dns.c against a real unbound (docs/HACKING.md
 * §Tests).
 *
 * The test moves itself into a new network namespace (unshare), brings
 * up its loopback, and starts unbound on 127.0.0.1:53 serving a "test."
 * zone written here; nothing can leave the namespace.  A tiny fake
 * server on 127.0.0.2:53, run on the test's own event loop, answers
 * SERVFAIL to everything.  Needs root and unbound; otherwise
 * "1..0 # SKIP".
 *
 * What the discovery table (tests/integ/discovery.py) cannot see is
 * checked here: the exact outcome classes, TXT string joining and the
 * record cap, TCP fallback for large answers, pacing, cancellation (no
 * callback, no leak), and that no callback ever runs before
 * dns_query_*() has returned.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "sandbox.h"
#include "tap.h"

#define TD_WAIT_MS	10000	/* longest any case may take */

static pid_t td_unbound = -1;

/* ---- the namespace and unbound ---- */

static int
td_zone(void)
{
	static char z[16384];
	size_t off;
	int i;

	off = (size_t)snprintf(z, sizeof(z),
	    "$ORIGIN test.\n$TTL 300\n"
	    "@ SOA ns.test. host.test. 1 3600 600 86400 300\n"
	    "@ NS ns.test.\nns A 127.0.0.1\n"
	    "_mta-sts.one TXT \"v=STSv1; id=1;\"\n"
	    "multi TXT \"ab\" \"c\"\nmulti TXT \"d\"\n"
	    "a A 192.0.2.1\na A 192.0.2.2\na AAAA 2001:db8::1\n"
	    "cname CNAME a.test.\ntxtonly TXT \"x\"\n");
	for (i = 0; i < 70; i++)	/* more than DNS_TXT_MAX */
		off += (size_t)snprintf(z + off, sizeof(z) - off,
		    "many TXT \"r%02d\"\n", i);
	for (i = 0; i < 10; i++)	/* 2.5 KB: over the EDNS size */
		off += (size_t)snprintf(z + off, sizeof(z) - off,
		    "big TXT \"%d%0254d\"\n", i, 0);
	return off < sizeof(z) - 1 ? sandbox_write("test.zone", z, off) : -1;
}

static int
td_conf(void)
{
	char c[2048];

	snprintf(c, sizeof(c),
	    "server:\n  interface: 127.0.0.1@53\n  do-daemonize: no\n"
	    "  username: \"\"\n  chroot: \"\"\n  directory: \"%s\"\n"
	    "  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n"
	    "  do-ip6: no\n  module-config: \"iterator\"\n"
	    "  qname-minimisation: no\n  rrset-roundrobin: no\n"
	    "  access-control: 127.0.0.0/8 allow\n"
	    "  local-zone: \".\" static\n"
	    "  local-zone: \"test.\" transparent\n"
	    "  local-zone: \"refused.test.\" refuse\n"
	    "  local-zone: \"hang.test.\" deny\n"
	    "remote-control:\n  control-enable: no\n"
	    "auth-zone:\n  name: \"test.\"\n  zonefile: \"%s/test.zone\"\n"
	    "  for-downstream: no\n  for-upstream: yes\n"
	    "  fallback-enabled: no\n", sandbox_dir(), sandbox_dir());
	return sandbox_write("unbound.conf", c, strlen(c));
}

static int
td_start_unbound(void)
{
	static char conf[256];
	char *argv[] = { "unbound", "-d", "-c", conf, NULL };

	sandbox_path("unbound.conf", conf, sizeof(conf));
	if (td_zone() == -1 || td_conf() == -1 ||
	    (td_unbound = sandbox_spawn(argv, "unbound.log")) == -1 ||
	    sandbox_wait_tcp("127.0.0.1", 53) == -1)
		return -1;
	return 0;
}

/* ---- a SERVFAIL server on the test's own loop ---- */

static void
td_on_servfail(evutil_socket_t fd, short what, void *arg)
{
	unsigned char buf[1500];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	(void)what;
	(void)arg;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n < 12)
		return;
	buf[2] |= 0x80;				/* QR */
	buf[3] = (unsigned char)((buf[3] & 0xf0) | 0x80 | 2);	/* RA, SERVFAIL */
	sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
}

static struct event *
td_servfail_server(struct event_base *base)
{
	struct sockaddr_in sin;
	int s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr);
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return NULL;
	return event_new(base, s, EV_READ | EV_PERSIST, td_on_servfail, NULL);
}

/* ---- running queries ---- */

struct td_got {
	int		 returned;	/* dns_query_*() has returned */
	int		 calls;
	int		 early;		/* called before it returned */
	enum dns_status	 st;
	size_t		 n, dropped;
	char		 text[4096];	/* records, sorted, "|"-joined */
	size_t		 lens[DNS_TXT_MAX];
	char		 addrs[256];
};

static int td_pending;
static struct event_base *td_base;

static int
td_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
td_on_txt(enum dns_status st, const struct dns_txt *res, void *arg)
{
	struct td_got *g = arg;
	char *recs[DNS_TXT_MAX], one[DNS_TXT_MAX][300];
	size_t i, off = 0;

	g->calls++;
	g->early |= !g->returned;
	g->st = st;
	for (i = 0; res != NULL && i < res->n; i++) {
		snprintf(one[i], sizeof(one[i]), "%.*s",
		    (int)res->rec[i].len, res->rec[i].data);
		recs[i] = one[i];
		g->lens[i] = res->rec[i].len;
	}
	if (res != NULL) {
		g->n = res->n;
		g->dropped = res->dropped;
		qsort(recs, res->n, sizeof(recs[0]), td_cmp);
		for (i = 0; i < res->n && off < sizeof(g->text); i++)
			off += (size_t)snprintf(g->text + off,
			    sizeof(g->text) - off, "%s%s", i ? "|" : "",
			    recs[i]);
	}
	if (--td_pending == 0)
		event_base_loopbreak(td_base);
}

static void
td_on_addr(enum dns_status st, const struct dns_addrs *res, void *arg)
{
	struct td_got *g = arg;
	char buf[INET6_ADDRSTRLEN];
	size_t i, off = 0;

	g->calls++;
	g->early |= !g->returned;
	g->st = st;
	for (i = 0; res != NULL && i < res->n; i++)
		off += (size_t)snprintf(g->addrs + off, sizeof(g->addrs) - off,
		    "%s%s", i ? " " : "", dns_addr_str(&res->a[i], buf,
		    sizeof(buf)));
	if (--td_pending == 0)
		event_base_loopbreak(td_base);
}

static struct dns *
td_dns(const char *servers, int timeout_ms, int tries, int maxq)
{
	struct dns_conf c = { servers, timeout_ms, tries, maxq };
	char err[256];
	struct dns *d;

	if ((d = dns_new(td_base, &c, err, sizeof(err))) == NULL)
		tap_diag("dns_new: %s", err);
	return d;
}

static void
td_txt(struct dns *d, const char *name, struct td_got *g)
{
	memset(g, 0, sizeof(*g));
	td_pending++;
	if (dns_query_txt(d, name, td_on_txt, g) == NULL)
		td_pending--;
	g->returned = 1;
}

static void
td_addr(struct dns *d, const char *name, int family, struct td_got *g)
{
	memset(g, 0, sizeof(*g));
	td_pending++;
	if (dns_query_addr(d, name, family, td_on_addr, g) == NULL)
		td_pending--;
	g->returned = 1;
}

/* ---- the cases ---- */

struct td_case {
	const char	*name;
	int		 type;		/* 0 TXT, else AF_INET/AF_INET6 */
	enum dns_status	 want;
	const char	*want_text;	/* sorted records or addresses */
	size_t		 want_n, want_dropped;
};

static const struct td_case td_cases[] = {
	{ "_mta-sts.one.test", 0, DNS_OK, "v=STSv1; id=1;", 1, 0 },
	{ "multi.test", 0, DNS_OK, "abc|d", 2, 0 },
	{ "many.test", 0, DNS_OK, NULL, 64, 6 },
	{ "big.test", 0, DNS_OK, NULL, 10, 0 },
	{ "a.test", 0, DNS_NODATA, "", 0, 0 },
	{ "nope.test", 0, DNS_NXDOMAIN, "", 0, 0 },
	{ "x.refused.test", 0, DNS_SERVFAIL, "", 0, 0 },
	{ "a.test", AF_INET, DNS_OK, "192.0.2.1 192.0.2.2", 0, 0 },
	{ "a.test", AF_INET6, DNS_OK, "2001:db8::1", 0, 0 },
	{ "cname.test", AF_INET, DNS_OK, "192.0.2.1 192.0.2.2", 0, 0 },
	{ "txtonly.test", AF_INET, DNS_NODATA, "", 0, 0 },
	{ "nope.test", AF_INET6, DNS_NXDOMAIN, "", 0, 0 },
};

#define TD_NCASES (sizeof(td_cases) / sizeof(td_cases[0]))

static void
td_check(const struct td_case *c, const struct td_got *g)
{
	const char *what = c->type == 0 ? "TXT" :
	    c->type == AF_INET ? "A" : "AAAA";
	char label[128];

	snprintf(label, sizeof(label), "%s %s", c->name, what);
	if (!tap_ok(g->calls == 1 && !g->early, "%s: one callback, after "
	    "return", label))
		tap_diag("got %d calls (early %d), want 1", g->calls, g->early);
	if (!tap_ok(g->st == c->want, "%s: status", label))
		tap_diag("got %s, want %s", dns_status_str(g->st),
		    dns_status_str(c->want));
	if (c->want_text != NULL)
		tap_is_str(c->type == 0 ? g->text : g->addrs, c->want_text,
		    label);
	if (c->type == 0) {
		tap_is_int((intmax_t)g->n, (intmax_t)c->want_n, label);
		tap_is_int((intmax_t)g->dropped, (intmax_t)c->want_dropped,
		    label);
	}
}

/* Every case at once, through a channel that lets only 3 out at once. */
static void
td_table(void)
{
	static struct td_got got[TD_NCASES * 3];
	struct dns *d;
	size_t i, k;

	if ((d = td_dns("127.0.0.1", 1000, 2, 3)) == NULL)
		return;
	for (k = 0; k < 3; k++)
		for (i = 0; i < TD_NCASES; i++) {
			if (td_cases[i].type == 0)
				td_txt(d, td_cases[i].name,
				    &got[k * TD_NCASES + i]);
			else
				td_addr(d, td_cases[i].name,
				    td_cases[i].type,
				    &got[k * TD_NCASES + i]);
		}
	sandbox_loop(td_base, &td_pending, TD_WAIT_MS);
	for (i = 0; i < TD_NCASES; i++)
		td_check(&td_cases[i], &got[i]);
	for (k = 1, i = 0; i < TD_NCASES * 3; i++)
		k &= got[i].calls == 1 && got[i].st == got[i % TD_NCASES].st;
	tap_ok((int)k, "paced repeats (3 in flight) all answered alike");
	tap_is_int((intmax_t)got[3].lens[0], 255, "big.test: 255-byte "
	    "records came whole (TCP fallback)");
	dns_free(d);
}

/* SERVFAIL and silence: kept apart from "no record" (docs/DESIGN.md
 * §Failures). */
static void
td_failures(void)
{
	struct event *ev = td_servfail_server(td_base);
	struct dns *d1, *d2;
	struct td_got g1, g2;
	long t0;

	if (!tap_ok(ev != NULL && event_add(ev, NULL) == 0,
	    "fake SERVFAIL server on 127.0.0.2"))
		return;
	d1 = td_dns("127.0.0.2:53", 300, 2, 0);
	d2 = td_dns("127.0.0.1", 200, 2, 0);
	if (d1 == NULL || d2 == NULL)
		goto done;
	t0 = sandbox_ms();
	td_txt(d1, "_mta-sts.one.test", &g1);
	td_addr(d2, "x.hang.test", AF_INET, &g2);
	sandbox_loop(td_base, &td_pending, TD_WAIT_MS);
	if (!tap_ok(g1.calls == 1 && g1.st == DNS_SERVFAIL,
	    "SERVFAIL is servfail"))
		tap_diag("got %s, want servfail", dns_status_str(g1.st));
	if (!tap_ok(g2.calls == 1 && g2.st == DNS_TIMEOUT,
	    "silence is timeout"))
		tap_diag("got %s, want timeout", dns_status_str(g2.st));
	/* 200 ms, then 400 ms for the second round: well under 2 s. */
	tap_ok(sandbox_ms() - t0 < 2000, "timeout within its bound (%ld ms)",
	    sandbox_ms() - t0);
done:
	dns_free(d1);
	dns_free(d2);
	event_free(ev);
}

/* A name c-ares refuses fails at once, but never inside the call. */
static void
td_badname(void)
{
	char name[400];
	struct dns *d;
	struct td_got g;

	if ((d = td_dns("127.0.0.1", 1000, 1, 0)) == NULL)
		return;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	td_txt(d, name, &g);
	tap_is_int(g.calls, 0, "bad name: no callback inside the call");
	sandbox_loop(td_base, &td_pending, TD_WAIT_MS);
	tap_ok(g.calls == 1 && !g.early && g.st == DNS_BADNAME,
	    "bad name: badname, delivered from the loop");
	dns_free(d);
}

/*
 * Cancelled queries never call back, whether still waiting for a slot
 * or already in c-ares; the rest are unaffected.
 */
static void
td_cancel(void)
{
	struct dns_query *q[10];
	struct td_got g[10];
	struct dns *d;
	int i, calls = 0, bad = 0;

	if ((d = td_dns("127.0.0.1", 1000, 1, 2)) == NULL)
		return;
	for (i = 0; i < 10; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		q[i] = dns_query_txt(d, "_mta-sts.one.test", td_on_txt, &g[i]);
		g[i].returned = 1;
		td_pending++;
	}
	for (i = 0; i < 10; i += 2) {	/* 0, 2 in c-ares; 4.. waiting */
		dns_cancel(q[i]);
		td_pending--;
	}
	sandbox_loop(td_base, &td_pending, TD_WAIT_MS);
	for (i = 0; i < 10; i++) {
		calls += g[i].calls;
		bad += (i % 2 == 0) ? g[i].calls != 0 :
		    g[i].calls != 1 || g[i].st != DNS_OK;
	}
	tap_is_int(calls, 5, "cancel: only the 5 kept queries called back");
	tap_is_int(bad, 0, "cancel: the kept ones answered normally");
	dns_free(d);
}

static int td_order, td_order_hang, td_order_good;

static void
td_on_order(enum dns_status st, const struct dns_txt *res, void *arg)
{
	(void)res;
	*(int *)arg = ++td_order * (st == DNS_OK ? 1 : -1);
	if (--td_pending == 0)
		event_base_loopbreak(td_base);
}

/*
 * Pacing is FIFO: with one query allowed out, a fast query queued
 * behind a hanging one is answered after it, not before.
 */
static void
td_pacing(void)
{
	struct dns *d;

	if ((d = td_dns("127.0.0.1", 200, 1, 1)) == NULL)
		return;
	td_pending = 2;
	if (dns_query_txt(d, "x.hang.test", td_on_order, &td_order_hang) ==
	    NULL || dns_query_txt(d, "_mta-sts.one.test", td_on_order,
	    &td_order_good) == NULL)
		td_pending = 0;
	sandbox_loop(td_base, &td_pending, TD_WAIT_MS);
	if (!tap_ok(td_order_hang == -1 && td_order_good == 2,
	    "pacing: the queued query waits for the slot"))
		tap_diag("got hang %d, good %d, want -1, 2", td_order_hang,
		    td_order_good);
	dns_free(d);
}

/* dns_free with work outstanding: no callback (ASan checks leaks). */
static void
td_free_busy(void)
{
	struct td_got g[4];
	struct dns *d;
	int i;

	if ((d = td_dns("127.0.0.1", 1000, 1, 1)) == NULL)
		return;
	for (i = 0; i < 4; i++)
		td_txt(d, i == 3 ? "x.hang.test" : "_mta-sts.one.test", &g[i]);
	dns_free(d);
	td_pending = 0;
	for (i = 0; i < 4; i++)
		if (g[i].calls != 0)
			break;
	tap_is_int(i, 4, "dns_free: no callback for outstanding queries");
}

static void
td_conf_errors(void)
{
	static const char *const bad[] = { "", "not-an-address", "1.2.3.4:x",
	    "[::1", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4,", "::1]:53",
	    "[1.2.3.4]:53", "localhost" };
	struct dns_conf c = { NULL, 1000, 1, 0 };
	char err[256];
	struct dns *d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.servers = bad[i];
		d = dns_new(td_base, &c, err, sizeof(err));
		tap_ok(d == NULL && err[0] != '\0', "bad server list \"%s\" "
		    "refused", bad[i]);
		dns_free(d);
	}
	c.servers = "127.0.0.1,127.0.0.1:53,[::1]:5353,::1";
	d = dns_new(td_base, &c, err, sizeof(err));
	tap_ok(d != NULL, "good server list accepted");
	dns_free(d);
}

int
main(void)
{
	const char *why;

	signal(SIGPIPE, SIG_IGN);
	if ((why = sandbox_enter("test-dns", "unbound")) != NULL)
		return tap_skip_all(why);
	if (td_start_unbound() == -1 || (td_base = event_base_new()) == NULL) {
		tap_ok(0, "set-up: unbound did not start");
		sandbox_leave(td_unbound, SIGTERM);
		return tap_done();
	}
	td_table();
	td_failures();
	td_badname();
	td_cancel();
	td_pacing();
	td_free_busy();
	td_conf_errors();
	event_base_free(td_base);
	sandbox_leave(td_unbound, SIGTERM);
	return tap_done();
}
