/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * dane_driver.c: resolver/danechk.c against a real resolver, for
 * tests/integ/dane.py (which owns the test world and the checks).
 *
 * Usage: dane_driver --dns-server ADDR[:PORT] [--cancel] DOMAIN...
 *        dane_driver --dns-server ADDR[:PORT] --probe NAME
 * --probe asks NAME's DNSKEY (danechk_probe()) and prints
 * {"probe": NAME, "result": "validating", "status": "ok"}.
 * Checks every DOMAIN at once on one libevent loop and prints one JSON
 * object per domain as its check ends.  With --cancel, each domain is
 * first started and cancelled at once (it must never report), then
 * started again and cancelled 300 ms later (a domain whose TLSA
 * lookup hangs is then surely in flight) (one that ended before is taken off the list, silently),
 * then started a third time to report.  Output:
 *   {"domain": D, "verdict": "dane-only", "why": "...", "mx": "secure",
 *    "mx_status": "ok", "truncated": false, "ttl": 300,
 *    "hosts": [{"name": H, "tlsa": "usable", "status": "ok", "n": 1}]}
 * Exits 0 when every domain was reported, 2 on setup failures.  Names
 * from the DNS are printed as they are: dnsmsg.c allows only letters,
 * digits, '-', '_' and '.', none of which needs escaping in JSON.
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "danechk.h"
#include "dns.h"

static int dd_left;
static struct danechk *dd_late[64];	/* cancelled in round two */
static struct danechk *dd_never;	/* round one's slot */
static size_t dd_nlate;
static struct event *dd_cancel_ev;

static void
dd_on_done(const struct danechk_result *r, void *arg)
{
	size_t i;

	if (arg == &dd_never) {
		printf("{\"error\": \"a cancelled check reported\"}\n");
		fflush(stdout);
		return;
	}
	if (arg != NULL) {		/* round two, before its cancel */
		*(struct danechk **)arg = NULL;
		return;
	}
	printf("{\"domain\": \"%s\", \"verdict\": \"%s\", \"why\": \"%s\", "
	    "\"mx\": \"%s\", \"mx_status\": \"%s\", \"truncated\": %s, "
	    "\"ttl\": %u, \"hosts\": [", r->domain,
	    dane_verdict_str(r->verdict), r->why, dane_dns_str(r->mx),
	    dns_status_str(r->mx_status), r->truncated ? "true" : "false",
	    (unsigned)r->ttl);
	for (i = 0; i < r->nhosts; i++)
		printf("%s{\"name\": \"%s\", \"tlsa\": \"%s\", "
		    "\"status\": \"%s\", \"n\": %u}", i ? ", " : "",
		    r->host[i].name, dane_tlsa_str(r->host[i].tlsa),
		    dns_status_str(r->host[i].status), r->host[i].ntlsa);
	printf("]}\n");
	fflush(stdout);
	dd_left--;
}

static void
dd_on_probe(enum danechk_probe_result r, enum dns_status st, void *arg)
{
	printf("{\"probe\": \"%s\", \"result\": \"%s\", "
	    "\"status\": \"%s\"}\n", (const char *)arg,
	    danechk_probe_str(r), dns_status_str(st));
	fflush(stdout);
	dd_left--;
}

/* Round two: cancel every check with work in flight. */
static void
dd_on_cancel(evutil_socket_t fd, short what, void *arg)
{
	size_t i;

	(void)fd;
	(void)what;
	(void)arg;
	for (i = 0; i < dd_nlate; i++) {
		danechk_cancel(dd_late[i]);
		dd_late[i] = NULL;
	}
	dd_nlate = 0;
}

int
main(int argc, char **argv)
{
	struct dns_conf conf = { NULL, 1000, 2, 0 };
	struct event_base *base;
	struct dns *d;
	char err[256];
	struct timeval tv = { 0, 300000 };
	int i = 1, cancel = 0, first;

	if (argc > 2 && strcmp(argv[1], "--dns-server") == 0) {
		conf.servers = argv[2];
		i = 3;
	}
	if (i + 1 < argc && strcmp(argv[i], "--probe") == 0) {
		if ((base = event_base_new()) == NULL ||
		    (d = dns_new(base, &conf, err, sizeof(err))) == NULL ||
		    danechk_probe(d, argv[i + 1], dd_on_probe,
		    argv[i + 1]) == NULL)
			return 2;
		dd_left = 1;
		while (dd_left > 0 && event_base_loop(base, EVLOOP_ONCE) != -1)
			;
		dns_free(d);
		event_base_free(base);
		return dd_left == 0 ? 0 : 2;
	}
	if (i < argc && strcmp(argv[i], "--cancel") == 0) {
		cancel = 1;
		i++;
	}
	first = i;
	if ((base = event_base_new()) == NULL ||
	    (d = dns_new(base, &conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dane_driver: setup failed\n");
		return 2;
	}
	for (; cancel && i < argc; i++)
		danechk_cancel(danechk_start(d, argv[i], dd_on_done,
		    &dd_never));
	for (i = first; cancel && i < argc && dd_nlate < 64; i++, dd_nlate++)
		dd_late[dd_nlate] = danechk_start(d, argv[i], dd_on_done,
		    &dd_late[dd_nlate]);
	if (cancel && ((dd_cancel_ev = evtimer_new(base, dd_on_cancel,
	    NULL)) == NULL || evtimer_add(dd_cancel_ev, &tv) == -1)) {
		fprintf(stderr, "dane_driver: setup failed\n");
		return 2;
	}
	for (i = first; i < argc; i++) {
		if (danechk_start(d, argv[i], dd_on_done, NULL) == NULL) {
			fprintf(stderr, "dane_driver: cannot start %s\n",
			    argv[i]);
			return 2;
		}
		dd_left++;
	}
	while (dd_left > 0)
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			break;
	dd_on_cancel(-1, 0, NULL);
	if (dd_cancel_ev != NULL)
		event_free(dd_cancel_ev);
	dns_free(d);
	event_base_free(base);
	return dd_left == 0 ? 0 : 2;
}
