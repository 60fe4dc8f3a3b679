/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * dane_driver.c: resolver/danechk.c against a real resolver, for
 * tests/integ/dane.py (which owns the test world and the checks).
 *
 * Usage: dane_driver --dns-server ADDR[:PORT] DOMAIN...
 * Checks every DOMAIN at once on one libevent loop and prints one JSON
 * object per domain as its check ends:
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

static void
dd_on_done(const struct danechk_result *r, void *arg)
{
	size_t i;

	(void)arg;
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

int
main(int argc, char **argv)
{
	struct dns_conf conf = { NULL, 1000, 2, 0 };
	struct event_base *base;
	struct dns *d;
	char err[256];
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "--dns-server") == 0) {
		conf.servers = argv[2];
		i = 3;
	}
	if ((base = event_base_new()) == NULL ||
	    (d = dns_new(base, &conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dane_driver: setup failed\n");
		return 2;
	}
	for (; i < argc; i++) {
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
	dns_free(d);
	event_base_free(base);
	return dd_left == 0 ? 0 : 2;
}
