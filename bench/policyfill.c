/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * policyfill.c: fill an mtastsd cache with synthetic MTA-STS policies,
 * for the fleet list's scale run (bench/fleet_scale.py,
 * docs/PERFORMANCE.md).
 *
 * usage: policyfill DIR COUNT NOW PERCENT
 *   DIR      the state directory (created mode 0700 if missing)
 *   COUNT    policies d000000.fleet.test ... in mode enforce, max_age
 *            30 days, fetched a day before NOW, mx patterns
 *            "mx.DOMAIN" and "*.mail.DOMAIN"
 *   NOW      unix time the policies are dated from
 *   PERCENT  how many of every 100 have been in enforce for 10 days
 *            (listed by a build with the default --min-age); the
 *            others for one day
 * Writes through store/cache.c in transactions of 1,000, as the daemon
 * would have, and prints nothing.  Exit 0, or 1 with the reason.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "record.h"

#define FILL_DAY	INT64_C(86400)
#define FILL_BATCH	1000

struct fill {
	long		 from, to, pct;
	int64_t		 now;
};

static void
fill_batch(struct cache_txn *txn, void *arg)
{
	const struct fill *f = arg;
	char dom[64], mx1[80], mx2[80];
	struct record_policy p;
	long i;

	for (i = f->from; i < f->to; i++) {
		snprintf(dom, sizeof(dom), "d%06ld.fleet.test", i);
		snprintf(mx1, sizeof(mx1), "mx.%s", dom);
		snprintf(mx2, sizeof(mx2), "*.mail.%s", dom);
		record_policy_clear(&p);
		p.mode = RECORD_MODE_ENFORCE;
		p.max_age = (uint32_t)(30 * FILL_DAY);
		p.fetched_at = p.txt_checked_at = f->now - FILL_DAY;
		p.id = "id1";
		p.last_error = "";
		p.nmx = 2;
		p.mx[0] = mx1;
		p.mx[1] = mx2;
		p.text_form = RECORD_TEXT_LF;
		p.testing_since = p.enforce_since = f->now -
		    (i % 100 < f->pct ? 10 : 1) * FILL_DAY;
		cache_txn_put_policy(txn, dom, &p);
	}
}

int
main(int argc, char **argv)
{
	struct cache *c;
	struct fill f;
	const char *err = NULL;
	long n, i;

	if (argc != 5) {
		fprintf(stderr, "usage: policyfill DIR COUNT NOW PERCENT\n");
		return 1;
	}
	n = atol(argv[2]);
	f.now = (int64_t)atoll(argv[3]);
	f.pct = atol(argv[4]);
	if ((c = cache_open(argv[1], 64 << 20, (size_t)4 << 30, 0,
	    &err)) == NULL) {
		fprintf(stderr, "policyfill: %s: %s\n", argv[1], err);
		return 1;
	}
	for (i = 0; i < n; i += FILL_BATCH) {
		f.from = i;
		f.to = i + FILL_BATCH < n ? i + FILL_BATCH : n;
		if (cache_write(c, fill_batch, &f, &err) != CACHE_OK) {
			fprintf(stderr, "policyfill: %s\n", err);
			cache_close(c);
			return 1;
		}
	}
	cache_close(c);
	return 0;
}
