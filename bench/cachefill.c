/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cachefill.c: build a large mtastsd cache fast, through the store API
 * (store/cache.h), for the scale figures of docs/PERFORMANCE.md and the
 * tests of the sweeper and the fill warnings.
 *
 * usage: cachefill [-n negatives] [-p policies] [-s stale_negatives]
 *                  [-e expired_policies] [-t now] [-m map_max] DIR
 *   -n N   negative entries "n<i>.fill.test", reason no-record, fresh
 *          (retry_at = now + 900)                      (default 0)
 *   -p N   policies "p<i>.fill.test", mode enforce, two mx patterns,
 *          max_age one week, fetched and TXT-checked at now, so a
 *          daemon answers them from the cache without refreshing
 *                                                      (default 0)
 *   -s N   of the negatives, the first N are stale (retry_at a day
 *          before now): the sweeper removes them
 *   -e N   of the policies, the first N expired 30 days before now
 *   -d N   DANE verdicts (store/danerec.h) for the policies' domains,
 *          "dane" for one MX host, answered for a day; of them the first
 *          N of -e (at most) expired 30 days before now
 *   -t T   now, unix seconds (default: time(2))
 *   -m B   map_max in bytes (default 4 GiB); the map starts at 16 MiB
 *   -b N   records per write transaction (default 10,000; smaller ones
 *          leave fewer free pages behind, to fill a map to the brim)
 * DIR is created with mode 0700 if it does not exist.  Ends with one
 * cache_sync() (fdatasync) and prints its time.  Prints the entries, the data file's
 * size and the time taken, as "key value" lines.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "danerec.h"
#include "record.h"


struct fill {
	unsigned long	 neg, pol, stale, expired, dane;
	unsigned long	 i, end;	/* this transaction's range */
	unsigned long	 batch;		/* records per transaction */
	int		 policies;	/* 1: policies, 0: negatives,
					 * 2: DANE verdicts */
	int64_t		 now;
};

static void
fill_dane(struct cache_txn *t, const struct fill *f, unsigned long i)
{
	unsigned char buf[DANEREC_MAX];
	struct danerec d;
	char key[64];
	ssize_t n;

	memset(&d, 0, sizeof(d));
	d.verdict = DANEREC_DANE;
	d.checked_at = i < f->expired ? f->now - 31 * 86400 : f->now;
	d.expires_at = d.checked_at + 86400;
	d.ttl = 3600;
	d.why = "tlsa usable";
	d.nhosts = 1;
	d.host[0].name = "mx1.fill.test";
	snprintf(key, sizeof(key), "p%lu.fill.test", i);
	if ((n = danerec_encode(&d, buf, sizeof(buf), NULL)) > 0)
		cache_txn_put(t, CACHE_DB_DANE, key, buf, (size_t)n);
}

static void
fill_txn(struct cache_txn *t, void *arg)
{
	const struct fill *f = arg;
	struct record_negative n;
	struct record_policy p;
	char key[64], id[24];
	unsigned long i;

	for (i = f->i; i < f->end && !cache_txn_failed(t); i++) {
		if (f->policies == 2) {
			fill_dane(t, f, i);
			continue;
		}
		if (!f->policies) {
			memset(&n, 0, sizeof(n));
			n.reason = RECORD_NEG_NO_RECORD;
			n.count = 1;
			n.first_at = n.last_at = f->now - (i < f->stale ?
			    90000 : 0);
			n.retry_at = n.last_at + 900;
			n.code = "txt-none";
			snprintf(key, sizeof(key), "n%lu.fill.test", i);
			cache_txn_put_negative(t, key, &n);
			continue;
		}
		memset(&p, 0, sizeof(p));
		snprintf(id, sizeof(id), "id%lu", i);
		p.mode = RECORD_MODE_ENFORCE;
		p.max_age = 604800;
		p.fetched_at = p.txt_checked_at = i < f->expired ?
		    f->now - 604800 - 30 * 86400 : f->now;
		p.id = id;
		p.last_error = "";
		p.nmx = 2;
		p.mx[0] = "mx1.fill.test";
		p.mx[1] = "*.mx.fill.test";
		p.text_form = RECORD_TEXT_LF;	/* canonical: no text */
		snprintf(key, sizeof(key), "p%lu.fill.test", i);
		cache_txn_put_policy(t, key, &p);
	}
}

static int
fill_run(struct cache *c, struct fill *f, unsigned long count)
{
	const char *err = NULL;

	for (f->i = 0; f->i < count; f->i = f->end) {
		f->end = f->i + f->batch < count ? f->i + f->batch : count;
		if (cache_write(c, fill_txn, f, &err) != CACHE_OK) {
			fprintf(stderr, "cachefill: write: %s\n",
			    err != NULL ? err : "error");
			return -1;
		}
	}
	return 0;
}

static unsigned long
num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0') {
		fprintf(stderr, "cachefill: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char *argv[])
{
	struct fill f = { 0, 0, 0, 0, 0, 0, 0, 10000, 0, 0 };
	unsigned long long map_max = 4ULL << 30;
	struct timespec t0, t1;
	struct cache_stat st;
	const char *err = NULL;
	struct cache *c;
	int ch;

	f.now = (int64_t)time(NULL);
	while ((ch = getopt(argc, argv, "b:d:n:p:s:e:t:m:")) != -1) {
		switch (ch) {
		case 'b': f.batch = num(optarg) > 0 ? num(optarg) : 1; break;
		case 'd': f.dane = num(optarg); break;
		case 'n': f.neg = num(optarg); break;
		case 'p': f.pol = num(optarg); break;
		case 's': f.stale = num(optarg); break;
		case 'e': f.expired = num(optarg); break;
		case 't': f.now = (int64_t)num(optarg); break;
		case 'm': map_max = num(optarg); break;
		default:
			fprintf(stderr, "usage: cachefill [-n neg] [-p pol] "
			    "[-s stale] [-e expired] [-d dane] [-t now] "
			    "[-m map_max] [-b batch] DIR\n");
			return 2;
		}
	}
	if (optind != argc - 1)
		return 2;
	if (mkdir(argv[optind], 0700) == -1 && errno != EEXIST) {
		perror(argv[optind]);
		return 1;
	}
	if ((c = cache_open(argv[optind], map_max < (16 << 20) ? map_max :
	    16 << 20, map_max, 0, &err)) == NULL) {
		fprintf(stderr, "cachefill: %s: %s\n", argv[optind], err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	f.policies = 1;
	if (fill_run(c, &f, f.pol) == -1)
		return 1;
	f.policies = 0;
	if (fill_run(c, &f, f.neg) == -1)
		return 1;
	f.policies = 2;
	if (fill_run(c, &f, f.dane) == -1)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (cache_stat(c, &st, &err) != CACHE_OK)
		return 1;
	printf("policies %zu\nnegatives %zu\ndane %zu\nused_bytes %zu\n"
	    "file_bytes %zu\nmap_size %zu\nseconds %.2f\n",
	    st.entries[CACHE_DB_POLICY], st.entries[CACHE_DB_NEGATIVE],
	    st.entries[CACHE_DB_DANE], st.used, st.file, st.map_size,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	/* What one flush of all of it costs (the daemon's 30 s sync). */
	cache_sync(c, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("sync_seconds %.3f\n", (double)(t0.tv_sec - t1.tv_sec) +
	    (double)(t0.tv_nsec - t1.tv_nsec) / 1e9);
	cache_close(c);
	return 0;
}
