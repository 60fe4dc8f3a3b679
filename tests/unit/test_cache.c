/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_cache.c: tests of the LMDB store (store/cache.c) in a mkdtemp()
 * directory: directory checks, put/get/del/iterate/flush, atomic
 * writes with a sticky error, reopen, corrupt values, read-only opens,
 * map growth and its ceiling, MDB_READERS_FULL recovery, and kill -9 of
 * a writer at random moments.
 *
 * No sleeps: the kill test reads N "committed" lines from the child's
 * pipe and kills it then; the readers test waits for each child's
 * one-byte report.  Links with -llmdb (the raw LMDB calls stand in for
 * other processes using the same environment).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "record.h"
#include "tap.h"

#define KIB		1024
#define MIB		(1024 * 1024)

static char base[256];
static uint8_t buf[RECORD_POLICY_MAX];

static const char *
path(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", base, name);
	return p;
}

/* A policy whose text and id depend on `n`, of about `textlen` bytes. */
static void
make_policy(struct record_policy *p, unsigned n, size_t textlen)
{
	static char text[RECORD_TEXT_MAX], id[16];

	memset(p, 0, sizeof(*p));
	snprintf(id, sizeof(id), "id%u", n);
	if (textlen > sizeof(text) - 1)
		textlen = sizeof(text) - 1;
	memset(text, 'a' + n % 26, textlen);
	text[textlen] = '\0';
	p->mode = RECORD_MODE_ENFORCE;
	p->max_age = 86400 + n;
	p->fetched_at = 1700000000 + n;
	p->txt_checked_at = 1700000000 + n;
	p->id = id;
	p->last_error = "";
	p->nmx = 2;
	p->mx[0] = "mx1.example.com";
	p->mx[1] = "*.example.net";
	p->text = text;
	p->text_len = textlen;
}

/* ---- directory checks ---- */

struct dir_case {
	const char	*name;
	const char	*dir;		/* under base */
	int		 setup;	/* 1: mkdir 0755, 2: file */
	int		 readonly;
	size_t		 map_size, map_max;
	const char	*want_err;	/* NULL: open succeeds */
};

static const struct dir_case dir_cases[] = {
	{ "missing dir is created", "new", 0, 0, 256 * KIB, MIB, NULL },
	{ "missing parent is not created", "no/such", 0, 0, 256 * KIB, MIB,
	    "No such file or directory" },
	{ "mode 0755 is refused", "open", 1, 0, 256 * KIB, MIB,
	    "cache directory is open to group or others (mode must be 0700)" },
	{ "mode 0755 is refused read-only too", "open", 1, 1, 256 * KIB, MIB,
	    "cache directory is open to group or others (mode must be 0700)" },
	{ "a regular file", "file", 2, 0, 256 * KIB, MIB,
	    "cache path is not a directory" },
	{ "read-only does not create", "absent", 0, 1, 256 * KIB, MIB,
	    "No such file or directory" },
	{ "map_size > map_max", "new2", 0, 0, 2 * MIB, MIB,
	    "need 0 < map_size <= map_max" },
	{ "map_size 0", "new2", 0, 0, 0, MIB,
	    "need 0 < map_size <= map_max" },
};

static void
test_dir(const struct dir_case *dc)
{
	const char *err = NULL, *d = path(dc->dir);
	struct cache *c;
	struct stat st;
	FILE *fp;

	if (dc->setup == 1) {
		mkdir(d, 0755);
		chmod(d, 0755);	/* whatever the umask */
	} else if (dc->setup == 2 && (fp = fopen(d, "w")) != NULL)
		fclose(fp);
	c = cache_open(d, dc->map_size, dc->map_max, dc->readonly, &err);
	if (dc->want_err == NULL) {
		tap_ok(c != NULL && stat(d, &st) == 0 &&
		    (st.st_mode & 0777) == 0700, "dir: %s (mode 0700)",
		    dc->name);
		if (c == NULL)
			tap_diag("got error \"%s\"", err ? err : "NULL");
	} else if (!tap_ok(c == NULL && err != NULL &&
	    strcmp(err, dc->want_err) == 0, "dir: %s", dc->name))
		tap_diag("got \"%s\", want \"%s\"", c ? "success" :
		    err ? err : "NULL", dc->want_err);
	cache_close(c);
}

/* ---- basic operations ---- */

/* Deleting "example.com", which test_basic() stored. */
static void
test_del(struct cache *c)
{
	struct record_policy g;
	const char *err = NULL;

	tap_is_int(cache_del(c, CACHE_DB_POLICY, "example.com", &err),
	    CACHE_OK, "del");
	tap_is_int(cache_del(c, CACHE_DB_POLICY, "example.com", &err),
	    CACHE_NOTFOUND, "del again: not found");
	tap_is_int(cache_get_policy(c, "example.com", buf, sizeof(buf), &g,
	    &err), CACHE_NOTFOUND, "get after del: not found");
}

/* Keys, records and sub-dbs the cache must refuse, on an open cache. */
static void
test_limits(struct cache *c)
{
	char longkey[CACHE_KEY_MAX + 2];
	struct record_policy p, g;
	const char *err = NULL;
	size_t len = 0;

	make_policy(&p, 1, 100);
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	tap_ok(cache_put_policy(c, longkey, &p, &err) == CACHE_INVALID &&
	    strcmp(err, "key too long") == 0, "a 256-byte key is refused");
	tap_ok(cache_put_policy(c, "", &p, &err) == CACHE_INVALID &&
	    strcmp(err, "empty key") == 0, "an empty key is refused");
	longkey[CACHE_KEY_MAX] = '\0';
	tap_ok(cache_put_policy(c, longkey, &p, &err) == CACHE_OK &&
	    cache_get_policy(c, longkey, buf, sizeof(buf), &g, &err) ==
	    CACHE_OK, "a 255-byte key works");
	p.mode = 7;
	tap_ok(cache_put_policy(c, "bad.example", &p, &err) == CACHE_INVALID &&
	    strcmp(err, "invalid mode") == 0,
	    "an unencodable record is refused with the codec's reason");
	tap_is_int(cache_get(c, (enum cache_db)5, "x", buf, sizeof(buf), &len,
	    &err), CACHE_INVALID, "no such sub-db");
	tap_is_int(cache_sync(c, &err), CACHE_OK, "sync");
}

static void
test_basic(void)
{
	struct record_policy p, g;
	struct record_negative n = { RECORD_NEG_DNS_ERROR, 2, 10, 20, 80,
	    "dns-servfail" }, gn;
	const char *err = NULL;
	struct cache *c;
	size_t len = 0;

	if ((c = cache_open(path("basic"), MIB, 4 * MIB, 0, &err)) == NULL) {
		tap_ok(0, "basic: open: %s", err);
		return;
	}
	make_policy(&p, 1, 100);
	tap_is_int(cache_put_policy(c, "example.com", &p, &err), CACHE_OK,
	    "put_policy");
	tap_ok(cache_get_policy(c, "example.com", buf, sizeof(buf), &g,
	    &err) == CACHE_OK && strcmp(g.id, "id1") == 0 &&
	    g.max_age == 86401 && g.nmx == 2 &&
	    strcmp(g.mx[1], "*.example.net") == 0 && g.text_len == 100 &&
	    g.id >= (char *)buf && g.id < (char *)buf + sizeof(buf),
	    "get_policy: decoded in the caller's buffer");
	tap_is_int(cache_get_policy(c, "example.org", buf, sizeof(buf), &g,
	    &err), CACHE_NOTFOUND, "get_policy of a missing key");
	tap_is_int(cache_get_negative(c, "example.com", buf, sizeof(buf), &gn,
	    &err), CACHE_NOTFOUND, "sub-dbs are separate");
	tap_ok(cache_put_negative(c, "example.net", &n, &err) == CACHE_OK &&
	    cache_get_negative(c, "example.net", buf, sizeof(buf), &gn,
	    &err) == CACHE_OK && gn.reason == RECORD_NEG_DNS_ERROR &&
	    gn.count == 2 && strcmp(gn.code, "dns-servfail") == 0,
	    "put_negative / get_negative");
	tap_ok(cache_get(c, CACHE_DB_POLICY, "example.com", buf, 10, &len,
	    &err) == CACHE_TOOSMALL && len == record_policy_size(&p),
	    "get: too small a buffer says how much is needed");
	tap_is_int(cache_get_policy(c, "example.com", buf, 10, &g, &err),
	    CACHE_TOOSMALL, "get_policy: too small a buffer");
	test_del(c);
	test_limits(c);
	cache_close(c);
}

/* ---- iterate ---- */

struct iter_state {
	char	 keys[8][32];
	int	 n, stop_after, bad;
};

static int
iter_cb(const char *key, const void *val, size_t len, void *arg)
{
	struct iter_state *s = arg;
	struct record_policy p;

	if (record_policy_decode(val, len, &p, NULL) != 0 || s->n >= 8)
		s->bad++;
	else
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
	s->n++;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static void
test_iter_flush(void)
{
	static const char *const keys[] = { "c.example", "a.example",
	    "e.example", "b.example", "d.example" };
	struct record_negative n = { RECORD_NEG_NO_RECORD, 1, 1, 1, 2, "x" };
	struct iter_state s;
	struct record_policy p;
	const char *err = NULL;
	struct cache *c;
	size_t i;

	if ((c = cache_open(path("iter"), MIB, 4 * MIB, 0, &err)) == NULL) {
		tap_ok(0, "iter: open: %s", err);
		return;
	}
	make_policy(&p, 2, 50);
	for (i = 0; i < 5; i++)
		cache_put_policy(c, keys[i], &p, &err);
	cache_put_negative(c, "z.example", &n, &err);
	memset(&s, 0, sizeof(s));
	tap_ok(cache_iter(c, CACHE_DB_POLICY, iter_cb, &s, &err) == CACHE_OK &&
	    s.n == 5 && s.bad == 0 && strcmp(s.keys[0], "a.example") == 0 &&
	    strcmp(s.keys[4], "e.example") == 0,
	    "iterate: 5 records in key order, each decodes");
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	tap_ok(cache_iter(c, CACHE_DB_POLICY, iter_cb, &s, &err) == CACHE_OK &&
	    s.n == 2, "iterate: the callback can stop early");
	memset(&s, 0, sizeof(s));
	tap_ok(cache_flush(c, CACHE_DB_POLICY, &err) == CACHE_OK &&
	    cache_iter(c, CACHE_DB_POLICY, iter_cb, &s, &err) == CACHE_OK &&
	    s.n == 0 && cache_get_negative(c, "z.example", buf, sizeof(buf),
	    &(struct record_negative){ 0 }, &err) == CACHE_OK,
	    "flush policy: policies gone, negatives kept");
	tap_ok(cache_flush(c, CACHE_DB_ALL, &err) == CACHE_OK &&
	    cache_get_negative(c, "z.example", buf, sizeof(buf),
	    &(struct record_negative){ 0 }, &err) == CACHE_NOTFOUND,
	    "flush all: negatives gone too");
	cache_close(c);
}

/* ---- cache_iter_from: resumable walks ---- */

static void
test_iter_from(void)
{
	static const char *const keys[] = { "a.example", "b.example",
	    "c.example", "d.example", "e.example" };
	struct iter_state s;
	struct record_policy p;
	const char *err = NULL;
	char last[CACHE_KEY_MAX + 1] = "";
	struct cache *c;
	size_t i;
	int n = 0, rounds = 0, ok = 1;

	if ((c = cache_open(path("iterfrom"), MIB, 4 * MIB, 0, &err)) ==
	    NULL) {
		tap_ok(0, "iter_from: open: %s", err);
		return;
	}
	make_policy(&p, 3, 40);
	for (i = 0; i < 5; i++)
		cache_put_policy(c, keys[i], &p, &err);
	memset(&s, 0, sizeof(s));
	tap_ok(cache_iter_from(c, CACHE_DB_POLICY, "b.example", iter_cb, &s,
	    &err) == CACHE_OK && s.n == 3 &&
	    strcmp(s.keys[0], "c.example") == 0,
	    "iter_from: starts after the given key");
	memset(&s, 0, sizeof(s));
	tap_ok(cache_iter_from(c, CACHE_DB_POLICY, "bb", iter_cb, &s,
	    &err) == CACHE_OK && s.n == 3 &&
	    strcmp(s.keys[0], "c.example") == 0,
	    "iter_from: a key that is not there: from the next one");
	memset(&s, 0, sizeof(s));
	tap_ok(cache_iter_from(c, CACHE_DB_POLICY, "zz", iter_cb, &s,
	    &err) == CACHE_OK && s.n == 0, "iter_from: past the end: none");
	/* Batches of 2, resuming at the last key; the resume key itself
	 * is deleted between two batches. */
	do {
		memset(&s, 0, sizeof(s));
		s.stop_after = 2;
		if (cache_iter_from(c, CACHE_DB_POLICY, last, iter_cb, &s,
		    &err) != CACHE_OK)
			ok = 0;
		if (s.n > 0) {
			if (strcmp(s.keys[0], keys[n]) != 0)
				ok = 0;
			n += s.n;
			snprintf(last, sizeof(last), "%s", s.keys[s.n - 1]);
			if (rounds++ == 0)
				cache_del(c, CACHE_DB_POLICY, last, &err);
		}
	} while (s.n > 0 && rounds < 10);
	tap_ok(ok && n == 5 && rounds == 3,
	    "iter_from: batches of 2 resume where they stopped (%d in %d)",
	    n, rounds);
	cache_close(c);
}

/* ---- cache_sweep: bounded batches that delete ---- */

static int
sweep_even(enum cache_db db, const char *key, const void *val, size_t len,
    void *arg)
{
	unsigned *calls = arg;

	(void)db;
	(void)val;
	(void)len;
	(*calls)++;
	return atoi(key + 1) % 2 == 0;	/* "k<n>.example" */
}

static int
sweep_all(enum cache_db db, const char *key, const void *val, size_t len,
    void *arg)
{
	(void)db;
	(void)key;
	(void)val;
	(void)len;
	(void)arg;
	return 1;
}

static void
test_sweep(void)
{
	struct record_negative n = { RECORD_NEG_NO_RECORD, 1, 1, 1, 2, "x" };
	struct cache_stat st;
	char from[CACHE_KEY_MAX + 1] = "", key[32];
	const char *err = NULL;
	size_t seen, del, tseen = 0, tdel = 0;
	unsigned i, calls = 0, batches = 0;
	struct cache *c;
	int ok = 1;

	if ((c = cache_open(path("sweep"), MIB, 16 * MIB, 0, &err)) == NULL) {
		tap_ok(0, "sweep: open: %s", err);
		return;
	}
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%u.example", i);
		cache_put_negative(c, key, &n, &err);
	}
	do {
		if (cache_sweep(c, CACHE_DB_NEGATIVE, from, 64, sweep_even,
		    &calls, &seen, &del, &err) != CACHE_OK || seen > 64)
			ok = 0;
		tseen += seen;
		tdel += del;
	} while (from[0] != '\0' && ++batches < 100);
	tap_ok(ok && tseen == 1000 && tdel == 500 && calls == 1000 &&
	    batches == 15, "sweep: 1000 records in batches of 64: each "
	    "visited once, 500 deleted (%zu, %zu, %u batches)", tseen, tdel,
	    batches);
	tap_ok(cache_get_negative(c, "k2.example", buf, sizeof(buf),
	    &(struct record_negative){ 0 }, &err) == CACHE_NOTFOUND &&
	    cache_get_negative(c, "k3.example", buf, sizeof(buf),
	    &(struct record_negative){ 0 }, &err) == CACHE_OK &&
	    cache_stat(c, &st, &err) == CACHE_OK &&
	    st.entries[CACHE_DB_NEGATIVE] == 500,
	    "sweep: the right ones are gone, the rest are there");
	tap_ok(cache_sweep(c, CACHE_DB_NEGATIVE, from, 100000, sweep_all,
	    NULL, &seen, &del, &err) == CACHE_OK && seen == 500 &&
	    del == 500 && from[0] == '\0' && cache_stat(c, &st, &err) ==
	    CACHE_OK && st.entries[CACHE_DB_NEGATIVE] == 0,
	    "sweep: deleting every record in one batch empties the db");
	tap_is_int(cache_sweep(c, CACHE_DB_NEGATIVE, from, 0, sweep_all,
	    NULL, NULL, NULL, &err), CACHE_INVALID, "sweep: max 0 is invalid");
	cache_close(c);
}

/* ---- cache_stat ---- */

static void
test_stat(void)
{
	struct record_negative n = { RECORD_NEG_DNS_ERROR, 1, 1, 1, 2, "x" };
	struct cache_stat a, b;
	struct record_policy p;
	const char *err = NULL;
	struct cache *c;
	char key[32];
	unsigned i;

	if ((c = cache_open(path("stat"), MIB, 8 * MIB, 0, &err)) == NULL) {
		tap_ok(0, "stat: open: %s", err);
		return;
	}
	cache_stat(c, &a, &err);
	make_policy(&p, 1, 500);
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "s%u.example", i);
		cache_put_policy(c, key, &p, &err);
		if (i < 100)
			cache_put_negative(c, key, &n, &err);
	}
	tap_ok(cache_stat(c, &b, &err) == CACHE_OK &&
	    b.entries[CACHE_DB_POLICY] == 300 &&
	    b.entries[CACHE_DB_NEGATIVE] == 100 && b.used > a.used +
	    300 * 500 && b.used <= b.file && b.file <= b.map_size &&
	    b.map_max == 8 * MIB, "stat: entries by kind, used <= file <= "
	    "map (used %zu, file %zu)", b.used, b.file);
	cache_flush(c, CACHE_DB_POLICY, &err);
	tap_ok(cache_stat(c, &a, &err) == CACHE_OK && a.used < b.used / 4 &&
	    a.file == b.file, "stat: used falls when records go, the file "
	    "does not (used %zu)", a.used);
	cache_close(c);
}

/* ---- a damaged environment is set aside ---- */

static void
test_set_aside(void)
{
	struct record_policy p;
	enum cache_result res = CACHE_OK;
	const char *err = NULL;
	char aside[512], want[512];
	struct cache *c;
	FILE *f;
	int i;

	if ((c = cache_open(path("damaged"), MIB, 4 * MIB, 0, &err)) ==
	    NULL) {
		tap_ok(0, "damaged: open: %s", err);
		return;
	}
	make_policy(&p, 1, 10);
	cache_put_policy(c, "a.example", &p, &err);
	cache_close(c);
	if ((f = fopen(path("damaged/data.mdb"), "r+")) != NULL) {
		for (i = 0; i < 1024; i++)
			fputs("not an LMDB environment\n", f);
		fclose(f);
	}
	c = cache_open_res(path("damaged"), MIB, 4 * MIB, 0, &res, &err);
	tap_ok(c == NULL && res == CACHE_CORRUPT, "a damaged environment: "
	    "CACHE_CORRUPT (%s)", err != NULL ? err : "-");
	tap_ok(cache_set_aside(path("damaged"), "bad/tag", aside,
	    sizeof(aside), &err) == -1, "set aside: a tag with '/' refused");
	snprintf(want, sizeof(want), "%s", path("damaged/data.mdb.damaged-"
	    "20260101T000000Z"));
	tap_ok(cache_set_aside(path("damaged"), "20260101T000000Z", aside,
	    sizeof(aside), &err) == 0 && strcmp(aside, want) == 0 &&
	    access(want, F_OK) == 0 &&
	    access(path("damaged/data.mdb"), F_OK) == -1,
	    "set aside: the file is renamed, kept");
	c = cache_open_res(path("damaged"), MIB, 4 * MIB, 0, &res, &err);
	tap_ok(c != NULL && cache_get_policy(c, "a.example", buf,
	    sizeof(buf), &p, &err) == CACHE_NOTFOUND,
	    "set aside: the next open starts empty");
	cache_close(c);
	tap_ok(cache_set_aside(path("damaged"), "20260101T000000Z", aside,
	    sizeof(aside), &err) == -1 && access(want, F_OK) == 0,
	    "set aside: never over an earlier damaged file");
	chmod(path("damaged"), 0755);
	c = cache_open_res(path("damaged"), MIB, 4 * MIB, 0, &res, &err);
	tap_ok(c == NULL && res == CACHE_ERROR, "a directory open to others "
	    "is CACHE_ERROR, not damage (%s)", err != NULL ? err : "-");
	chmod(path("damaged"), 0700);
}

/* ---- the sync thread ---- */

static void
test_sync_start(void)
{
	struct record_policy p;
	const char *err = NULL;
	struct cache *c;
	int i, ok = 1;

	if ((c = cache_open(path("sync"), MIB, 4 * MIB, 0, &err)) == NULL) {
		tap_ok(0, "sync: open: %s", err);
		return;
	}
	make_policy(&p, 1, 10);
	for (i = 0; i < 50; i++) {
		cache_put_policy(c, "a.example", &p, &err);
		if (cache_sync_start(c, &err) != CACHE_OK)
			ok = 0;
	}
	tap_ok(ok, "sync_start: asked 50 times between writes, no error");
	cache_close(c);		/* joins the thread */
	c = cache_open(path("sync"), MIB, 4 * MIB, 1, &err);
	tap_ok(c != NULL && cache_sync_start(c, &err) == CACHE_OK &&
	    cache_get_policy(c, "a.example", buf, sizeof(buf), &p, &err) ==
	    CACHE_OK, "sync_start: a no-op read-only; the data is there");
	cache_close(c);
}

/* ---- cache_write: atomic, sticky first error ---- */

struct tx_args {
	const struct record_policy	*p;
	const char			*bad_key;
	int				 deleted, failed_mid, later;
};

static void
tx_cb(struct cache_txn *t, void *arg)
{
	struct tx_args *a = arg;

	cache_txn_put_policy(t, "atomic.example", a->p);
	a->deleted = cache_txn_del(t, CACHE_DB_NEGATIVE, "atomic.example");
	cache_txn_put(t, CACHE_DB_POLICY, a->bad_key, "x", 1);
	a->failed_mid = cache_txn_failed(t);
	/* After a failure every operation is a no-op. */
	cache_txn_put_policy(t, "later.example", a->p);
	a->later = cache_txn_del(t, CACHE_DB_POLICY, "later.example");
}

static void
test_write(void)
{
	struct record_negative n = { RECORD_NEG_FETCH_ERROR, 1, 1, 1, 2, "x" };
	struct tx_args a = { NULL, "", 0, 0, 0 };
	struct record_policy p, g;
	const char *err = NULL;
	struct cache *c;

	if ((c = cache_open(path("write"), MIB, 4 * MIB, 0, &err)) == NULL) {
		tap_ok(0, "write: open: %s", err);
		return;
	}
	make_policy(&p, 3, 10);
	a.p = &p;
	cache_put_negative(c, "atomic.example", &n, &err);
	tap_ok(cache_write(c, tx_cb, &a, &err) == CACHE_INVALID &&
	    strcmp(err, "empty key") == 0 && a.failed_mid && !a.later,
	    "write: the first error is the result, later operations no-ops");
	tap_ok(cache_get_policy(c, "atomic.example", buf, sizeof(buf), &g,
	    &err) == CACHE_NOTFOUND && cache_get_policy(c, "later.example",
	    buf, sizeof(buf), &g, &err) == CACHE_NOTFOUND &&
	    cache_get_negative(c, "atomic.example", buf, sizeof(buf),
	    &(struct record_negative){ 0 }, &err) == CACHE_OK,
	    "write: a failed transaction changes nothing");
	a.bad_key = "ok.example";
	tap_ok(cache_write(c, tx_cb, &a, &err) == CACHE_OK && a.deleted &&
	    cache_get_policy(c, "atomic.example", buf, sizeof(buf), &g,
	    &err) == CACHE_OK && cache_get_negative(c, "atomic.example", buf,
	    sizeof(buf), &(struct record_negative){ 0 }, &err) ==
	    CACHE_NOTFOUND, "write: policy stored and negative deleted "
	    "atomically");
	cache_close(c);
}

/* ---- reopen, corrupt values, read-only ---- */

/* The environment test_reopen_corrupt_ro() wrote, opened read-only. */
static void
test_ro(const struct record_policy *p)
{
	const char *err = NULL;
	struct record_policy g;
	struct cache *c;

	c = cache_open(path("ro"), MIB, 4 * MIB, 1, &err);
	tap_ok(c != NULL && cache_get_policy(c, "keep.example", buf,
	    sizeof(buf), &g, &err) == CACHE_OK, "read-only open sees data");
	tap_ok(c != NULL && cache_put_policy(c, "x.example", p, &err) ==
	    CACHE_INVALID && cache_flush(c, CACHE_DB_ALL, &err) ==
	    CACHE_INVALID && cache_sync(c, &err) == CACHE_OK,
	    "read-only: writes are refused");
	cache_close(c);
}

static void
test_reopen_corrupt_ro(void)
{
	static uint8_t big[RECORD_POLICY_MAX + 1];
	uint8_t newer[4] = { 0, 'N', 0, 0 };
	struct record_negative gn;
	struct record_policy p, g;
	const char *err = NULL;
	struct cache *c;

	if ((c = cache_open(path("ro"), MIB, 4 * MIB, 0, &err)) == NULL) {
		tap_ok(0, "ro: open: %s", err);
		return;
	}
	make_policy(&p, 4, 20);
	cache_put_policy(c, "keep.example", &p, &err);
	cache_put(c, CACHE_DB_POLICY, "garbage.example", "\x01P\x09\x00", 4,
	    &err);
	cache_put(c, CACHE_DB_NEGATIVE, "garbage.example", "\x02N\x00\x00", 4,
	    &err);
	newer[0] = RECORD_VERSION + 1;
	cache_put(c, CACHE_DB_NEGATIVE, "newer.example", newer, sizeof(newer),
	    &err);
	cache_put(c, CACHE_DB_POLICY, "newer.example", "\x07P", 2, &err);
	big[0] = RECORD_VERSION;
	cache_put(c, CACHE_DB_POLICY, "huge.example", big, sizeof(big), &err);
	cache_close(c);
	c = cache_open(path("ro"), MIB, 4 * MIB, 0, &err);
	tap_ok(c != NULL && cache_get_policy(c, "keep.example", buf,
	    sizeof(buf), &g, &err) == CACHE_OK && strcmp(g.id, "id4") == 0,
	    "reopen keeps data");
	tap_ok(c != NULL && cache_get_policy(c, "garbage.example", buf,
	    sizeof(buf), &g, &err) == CACHE_CORRUPT &&
	    strcmp(err, "invalid mode") == 0,
	    "a corrupt policy value is CACHE_CORRUPT with the reason");
	tap_ok(c != NULL && cache_get_negative(c, "garbage.example", buf,
	    sizeof(buf), &gn, &err) == CACHE_CORRUPT &&
	    strcmp(err, "unsupported record version") == 0,
	    "a negative value of a version we never wrote is CACHE_CORRUPT");
	tap_ok(c != NULL && cache_get_negative(c, "newer.example", buf,
	    sizeof(buf), &gn, &err) == CACHE_NEWER &&
	    strcmp(err, RECORD_WHY_NEWER) == 0 &&
	    cache_get_policy(c, "newer.example", buf, sizeof(buf), &g,
	    &err) == CACHE_NEWER,
	    "a record of a newer version (RECORD_VERSION + 1, 7) is "
	    "CACHE_NEWER, not corrupt");
	tap_ok(c != NULL && cache_get_policy(c, "huge.example", buf,
	    sizeof(buf), &g, &err) == CACHE_CORRUPT &&
	    strcmp(err, "record too large") == 0,
	    "a value larger than any record is CACHE_CORRUPT, not TOOSMALL");
	cache_close(c);
	test_ro(&p);
}

/* An environment made by something else has none of our sub-dbs. */
static void
test_ro_foreign(void)
{
	const char *err = NULL, *d = path("foreign");
	struct record_policy g;
	struct cache *c;
	MDB_env *env;

	mkdir(d, 0700);
	if (mdb_env_create(&env) == 0) {
		mdb_env_open(env, d, 0, 0600);
		mdb_env_close(env);
	}
	c = cache_open(d, MIB, MIB, 1, &err);
	tap_ok(c != NULL && cache_get_policy(c, "a.example", buf, sizeof(buf),
	    &g, &err) == CACHE_NOTFOUND, "read-only: missing sub-db is empty");
	cache_close(c);
}

/* ---- map growth and its ceiling ---- */

static void
test_grow(void)
{
	struct record_policy p, g;
	const char *err = NULL;
	struct cache *c;
	char key[64];
	unsigned i, ok = 0, found = 0;
	size_t start;

	if ((c = cache_open(path("grow"), 64 * KIB, 16 * MIB, 0, &err)) ==
	    NULL) {
		tap_ok(0, "grow: open: %s", err);
		return;
	}
	start = cache_map_size(c);
	for (i = 0; i < 200; i++) {
		make_policy(&p, i, 2000);
		snprintf(key, sizeof(key), "d%u.example", i);
		ok += cache_put_policy(c, key, &p, &err) == CACHE_OK;
	}
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "d%u.example", i);
		found += cache_get_policy(c, key, buf, sizeof(buf), &g,
		    &err) == CACHE_OK && g.max_age == 86400 + i;
	}
	tap_ok(start == 64 * KIB && ok == 200 && found == 200 &&
	    cache_map_size(c) > 64 * KIB, "64 KiB map grows to hold 400 KB");
	tap_diag("map %zu -> %zu bytes", start, cache_map_size(c));
	make_policy(&p, 1, RECORD_TEXT_MAX - 1);
	tap_is_int(cache_put_policy(c, "big.example", &p, &err), CACHE_OK,
	    "a 64 KiB policy fits after growing");
	cache_close(c);
}

/* A map filled with negative entries: sweeping them makes room. */
static void
test_full_negatives(void)
{
	struct record_negative n = { RECORD_NEG_NO_RECORD, 1, 1, 1, 2,
	    "txt-none-with-a-longer-code-to-fill-pages" };
	char from[CACHE_KEY_MAX + 1] = "", key[64];
	struct record_policy p;
	enum cache_result r = CACHE_OK, r2;
	const char *err = NULL;
	struct cache *c;
	size_t del = 0;
	unsigned i;

	if ((c = cache_open(path("fulln"), 64 * KIB, 256 * KIB, 0, &err)) ==
	    NULL) {
		tap_ok(0, "fulln: open: %s", err);
		return;
	}
	for (i = 0; i < 100000 && r == CACHE_OK; i++) {
		snprintf(key, sizeof(key), "n%06u.example", i);
		r = cache_put_negative(c, key, &n, &err);
	}
	make_policy(&p, 1, 3000);
	r2 = CACHE_OK;
	tap_ok(r == CACHE_FULL, "full of negatives (%u)", i);
	for (i = 0; i < 100 && r2 == CACHE_OK; i++) {
		make_policy(&p, i, 3000);
		snprintf(key, sizeof(key), "p%u.example", i);
		r2 = cache_put_policy(c, key, &p, &err);
	}
	tap_ok(r2 == CACHE_FULL, "... until the map is full (%u)", i);
	tap_ok(cache_sweep(c, CACHE_DB_NEGATIVE, from, 256, sweep_all, NULL,
	    NULL, &del, &err) == CACHE_OK && del == 256,
	    "a full map still sweeps a batch of 256 (%zu, %s)", del, err);
	tap_is_int(cache_put_policy(c, key, &p, &err), CACHE_OK,
	    "after the sweep the policy fits");
	cache_close(c);
}

static void
test_full(void)
{
	struct record_policy p, g;
	const char *err = NULL;
	struct cache *c;
	enum cache_result r = CACHE_OK;
	char key[64];
	unsigned i;

	if ((c = cache_open(path("full"), 64 * KIB, 256 * KIB, 0, &err)) ==
	    NULL) {
		tap_ok(0, "full: open: %s", err);
		return;
	}
	for (i = 0; i < 1000 && r == CACHE_OK; i++) {
		make_policy(&p, i, 3000);
		snprintf(key, sizeof(key), "f%u.example", i);
		r = cache_put_policy(c, key, &p, &err);
	}
	tap_ok(r == CACHE_FULL && cache_map_size(c) == 256 * KIB,
	    "map_max reached: CACHE_FULL after %u puts", i);
	tap_ok(cache_get_policy(c, "f0.example", buf, sizeof(buf), &g,
	    &err) == CACHE_OK && cache_del(c, CACHE_DB_POLICY, "f1.example",
	    &err) == CACHE_OK, "a full cache still reads and deletes");
	cache_close(c);
	test_full_negatives();
}

/* ---- MDB_READERS_FULL: slots held by killed processes ---- */

/* Child: take a reader slot in its own environment, report, wait. */
static void
reader_child(const char *d, int fd)
{
	MDB_env *env;
	MDB_txn *txn;
	char r = 'e';
	int rc;

	if (mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 8) == 0 &&
	    mdb_env_open(env, d, MDB_NOTLS | MDB_RDONLY, 0600) == 0) {
		rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
		r = rc == 0 ? 'y' : rc == MDB_READERS_FULL ? 'n' : 'e';
	}
	if (write(fd, &r, 1) != 1)
		_exit(1);
	for (;;)
		pause();	/* until SIGKILL */
}

static void
test_readers_full(void)
{
	pid_t pids[300];
	struct record_policy p, g;
	const char *err = NULL, *d = path("readers");
	struct cache *c;
	int fds[2], n = 0, full = 0, i;
	char r;

	if ((c = cache_open(d, MIB, 4 * MIB, 0, &err)) == NULL ||
	    pipe(fds) == -1) {
		tap_ok(0, "readers: open: %s", err ? err : strerror(errno));
		cache_close(c);
		return;
	}
	make_policy(&p, 5, 10);
	/* A write takes no reader slot: the table is still empty. */
	cache_put_policy(c, "r.example", &p, &err);
	while (n < 300 && !full) {
		if ((pids[n] = fork()) == 0) {
			close(fds[0]);
			reader_child(d, fds[1]);
		}
		if (pids[n++] == -1 || read(fds[0], &r, 1) != 1 || r == 'e')
			break;
		full = r == 'n';
	}
	for (i = 0; i < n; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	close(fds[0]);
	close(fds[1]);
	tap_ok(full, "reader table filled by %d killed processes", n - 1);
	tap_ok(cache_get_policy(c, "r.example", buf, sizeof(buf), &g, &err) ==
	    CACHE_OK, "MDB_READERS_FULL: stale slots freed, read retried");
	cache_close(c);
}

/* ---- kill -9 of a writer ---- */

static void
writer_child(const char *d, int round, int fd)
{
	struct record_policy p;
	const char *err = NULL;
	struct cache *c;
	char line[64];
	unsigned i;
	int n;

	if ((c = cache_open(d, 128 * KIB, 256 * MIB, 0, &err)) == NULL)
		_exit(2);
	for (i = 0; i < 100000; i++) {
		make_policy(&p, i, 200 + (i * 37) % 3000);
		n = snprintf(line, sizeof(line), "r%d-k%u.example\n", round, i);
		line[n - 1] = '\0';
		if (cache_put_policy(c, line, &p, &err) != CACHE_OK)
			_exit(3);
		line[n - 1] = '\n';
		/* Reported only after the commit returned. */
		if (write(fd, line, (size_t)n) != n)
			_exit(4);
	}
	_exit(0);
}

/* Child: wait for a byte, then commit `p` under `key` and exit. */
static void
late_writer_child(const char *d, const char *key, unsigned n, int fd)
{
	struct record_policy p;
	const char *err = NULL;
	struct cache *c;
	char r;

	if (read(fd, &r, 1) != 1 ||
	    (c = cache_open(d, MIB, 4 * MIB, 0, &err)) == NULL)
		_exit(2);
	make_policy(&p, n, 20);
	_exit(cache_put_policy(c, key, &p, &err) == CACHE_OK ? 0 : 3);
}

/*
 * Reads keep their snapshot between calls: a commit made by another
 * process after a read must still be seen by the next read.
 */
static void
test_snapshot_fresh(void)
{
	const char *err = NULL, *d = path("snap");
	struct record_policy p, g;
	struct cache *c = NULL;
	pid_t pid;
	int fds[2], st = -1;

	mkdir(d, 0700);
	if (pipe(fds) == -1 || (pid = fork()) == -1) {
		tap_ok(0, "snapshot: pipe/fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		late_writer_child(d, "s.example", 2, fds[0]);
	if ((c = cache_open(d, MIB, 4 * MIB, 0, &err)) != NULL) {
		make_policy(&p, 1, 20);
		cache_put_policy(c, "s.example", &p, &err);
	}
	tap_ok(c != NULL && cache_get_policy(c, "s.example", buf,
	    sizeof(buf), &g, &err) == CACHE_OK && strcmp(g.id, "id1") == 0,
	    "snapshot: our own commit is read");
	if (write(fds[1], "w", 1) != 1 || waitpid(pid, &st, 0) != pid)
		st = -1;
	tap_ok(st == 0, "snapshot: another process committed");
	tap_ok(c != NULL && cache_get_policy(c, "s.example", buf,
	    sizeof(buf), &g, &err) == CACHE_OK && strcmp(g.id, "id2") == 0,
	    "snapshot: its commit is read, not the kept snapshot");
	make_policy(&p, 3, 20);
	tap_ok(c != NULL && cache_put_policy(c, "s.example", &p, &err) ==
	    CACHE_OK && cache_get_policy(c, "s.example", buf, sizeof(buf),
	    &g, &err) == CACHE_OK && strcmp(g.id, "id3") == 0,
	    "snapshot: our next commit is read");
	close(fds[0]);
	close(fds[1]);
	cache_close(c);
}

/* Returns how many reported keys are missing or do not decode. */
static unsigned
check_keys(struct cache *c, char (*keys)[64], unsigned nkeys)
{
	struct record_policy g;
	const char *err;
	unsigned i, bad = 0;

	for (i = 0; i < nkeys; i++)
		if (cache_get_policy(c, keys[i], buf, sizeof(buf), &g,
		    &err) != CACHE_OK)
			bad++;
	return bad;
}

static void
test_kill9(void)
{
	static char keys[20000][64];
	unsigned nkeys = 0, before, want, bad, round;
	const char *err = NULL, *d = path("kill");
	struct cache *c;
	FILE *in;
	pid_t pid;
	int fds[2], st;

	for (round = 0; round < 6; round++) {
		want = 1 + (unsigned)rand() % (round < 3 ? 50 : 1500);
		if (pipe(fds) == -1 || (pid = fork()) == -1)
			break;
		if (pid == 0) {
			close(fds[0]);
			writer_child(d, (int)round, fds[1]);
		}
		close(fds[1]);
		in = fdopen(fds[0], "r");
		before = nkeys;
		while (nkeys < 20000 && fgets(keys[nkeys], 64, in) != NULL) {
			keys[nkeys][strcspn(keys[nkeys], "\n")] = '\0';
			if (++nkeys - before == want)
				kill(pid, SIGKILL);
		}
		/* Lines written before the kill landed too: EOF ends. */
		fclose(in);
		waitpid(pid, &st, 0);
		c = cache_open(d, 128 * KIB, 256 * MIB, 0, &err);
		bad = c != NULL ? check_keys(c, keys, nkeys) : nkeys;
		if (!tap_ok(c != NULL && bad == 0 && WIFSIGNALED(st) &&
		    nkeys - before >= want, "kill -9 round %u after %u commits:"
		    " reopens, all %u reported keys there", round, want, nkeys))
			tap_diag("got open %s, %u missing, %u lines, status %d",
			    c ? "ok" : err, bad, nkeys - before, st);
		cache_close(c);
	}
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* The temporary tree is removed only when every test passed. */
static void
rm_rf(const char *d)
{
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	size_t i;

	snprintf(base, sizeof(base), "%s/test_cache.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(base) == NULL)
		return tap_skip_all("mkdtemp failed");
	srand(seed);
	tap_diag("directory %s, seed %u", base, seed);
	for (i = 0; i < sizeof(dir_cases) / sizeof(dir_cases[0]); i++)
		test_dir(&dir_cases[i]);
	test_basic();
	test_iter_flush();
	test_iter_from();
	test_sweep();
	test_stat();
	test_set_aside();
	test_sync_start();
	test_write();
	test_reopen_corrupt_ro();
	test_ro_foreign();
	test_grow();
	test_full();
	test_readers_full();
	test_snapshot_fresh();
	test_kill9();
	tap_is_str(cache_result_str(CACHE_CORRUPT), "corrupt",
	    "cache_result_str");
	tap_is_str(cache_result_str(CACHE_NEWER), "newer",
	    "cache_result_str: newer");
	if (tap_failed == 0)
		rm_rf(base);
	return tap_done();
}
