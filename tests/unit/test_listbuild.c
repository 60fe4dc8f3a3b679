/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_listbuild.c: unit tests for resolver/listbuild.c.
 *
 * A table of picks (one policy, one conf, the decision), the golden
 * bytes of a small list, the output read back by tlslist_parse (what
 * every node runs) with the same entries, the same build twice and in
 * another insertion order giving the same bytes, and the refusals
 * (bad conf, a duplicate domain, more than TLSLIST_POLICIES_MAX).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listbuild.h"
#include "record.h"
#include "tap.h"
#include "tlslist.h"

#define NOW	INT64_C(1796000000)	/* 2026-11-30T... */
#define DAY	86400
#define WEEK	(7 * DAY)

static const struct listbuild_conf conf0 = {
	NOW, WEEK, WEEK, 2 * WEEK, 0, "Example fleet <ops@example.net>", 0
};

/* An enforce policy fetched a day ago, max_age 30 days, in enforce for
 * ten days: listed by conf0. */
static struct record_policy
pol(void)
{
	struct record_policy p;

	memset(&p, 0, sizeof(p));
	p.mode = RECORD_MODE_ENFORCE;
	p.max_age = 30 * DAY;
	p.fetched_at = NOW - DAY;
	p.txt_checked_at = NOW - 3600;
	p.id = "id1";
	p.last_error = "";
	p.nmx = 2;
	p.mx[0] = "mx1.example.com";
	p.mx[1] = "*.example.net";
	p.enforce_since = NOW - 10 * DAY;
	p.testing_since = NOW - 20 * DAY;
	return p;
}

struct pick_case {
	const char	*name;
	const char	*domain;
	void		 (*patch)(struct record_policy *);
	int		 testing;	/* conf.include_testing */
	enum listbuild_pick want;
};

static void p_none(struct record_policy *p) { p->mode = RECORD_MODE_NONE; }
static void p_expired(struct record_policy *p)
{ p->fetched_at = NOW - 30 * DAY - 1; }
static void p_edge(struct record_policy *p)
{ p->fetched_at = NOW - 30 * DAY; }
static void p_short(struct record_policy *p) { p->max_age = WEEK - 1; }
static void p_floor(struct record_policy *p) { p->max_age = WEEK; }
static void p_young(struct record_policy *p)
{ p->enforce_since = NOW - WEEK + 1; }
static void p_exact(struct record_policy *p) { p->enforce_since = NOW - WEEK; }
static void p_nohist(struct record_policy *p)
{ p->enforce_since = p->testing_since = 0; }
static void p_future(struct record_policy *p)
{ p->enforce_since = p->testing_since = NOW + DAY; }
static void p_testing(struct record_policy *p)
{ p->mode = RECORD_MODE_TESTING; p->enforce_since = 0; }
static void p_switched(struct record_policy *p)
{ p->enforce_since = NOW - DAY; }
static void p_young_t(struct record_policy *p)
{ p_testing(p); p->testing_since = NOW - DAY; }
static void p_star(struct record_policy *p) { p->mx[1] = "mx*.example.net"; }
static void p_one(struct record_policy *p) { p->mx[1] = "localhost"; }
static void p_ip(struct record_policy *p) { p->mx[1] = "192.0.2.1"; }
static void p_tldh(struct record_policy *p) { p->mx[1] = "mx.xn--p1ai"; }
static void p_nomx(struct record_policy *p) { p->nmx = 0; }
static void p_star2(struct record_policy *p) { p->mx[1] = "*.*.example.net"; }

static const struct pick_case pick_cases[] = {
	{ "enforce for ten days", "a.example", NULL, 0, LISTBUILD_ENFORCE },
	{ "mode none", "a.example", p_none, 1, LISTBUILD_SKIP_NONE },
	{ "expired one second ago", "a.example", p_expired, 0,
	    LISTBUILD_SKIP_EXPIRED },
	{ "expiring this second: still valid", "a.example", p_edge, 0,
	    LISTBUILD_ENFORCE },
	{ "max_age one second below the floor", "a.example", p_short, 0,
	    LISTBUILD_SKIP_MAX_AGE },
	{ "max_age at the floor", "a.example", p_floor, 0,
	    LISTBUILD_ENFORCE },
	{ "enforce one second too short", "a.example", p_young, 0,
	    LISTBUILD_SKIP_TESTING },
	{ "enforce exactly min_age", "a.example", p_exact, 0,
	    LISTBUILD_ENFORCE },
	{ "no history (older mtastsd)", "a.example", p_nohist, 1,
	    LISTBUILD_SKIP_YOUNG },
	{ "history in the future (clock back)", "a.example", p_future, 1,
	    LISTBUILD_SKIP_YOUNG },
	{ "testing, not asked for", "a.example", p_testing, 0,
	    LISTBUILD_SKIP_TESTING },
	{ "testing, asked for", "a.example", p_testing, 1,
	    LISTBUILD_TESTING },
	{ "enforce lately, testing long: testing", "a.example", p_switched,
	    1, LISTBUILD_TESTING },
	{ "testing for a day only", "a.example", p_young_t, 1,
	    LISTBUILD_SKIP_YOUNG },
	{ "a '*' inside a pattern", "a.example", p_star, 0,
	    LISTBUILD_SKIP_NAME },
	{ "a one-label mx", "a.example", p_one, 0, LISTBUILD_SKIP_NAME },
	{ "an IP address as mx", "a.example", p_ip, 0, LISTBUILD_SKIP_NAME },
	{ "an IDN top-level domain (schema: letters and digits)",
	    "a.example", p_tldh, 0, LISTBUILD_SKIP_NAME },
	{ "no mx patterns", "a.example", p_nomx, 0, LISTBUILD_SKIP_NAME },
	{ "two wildcards", "a.example", p_star2, 0, LISTBUILD_SKIP_NAME },
	{ "a one-label domain", "localhost", NULL, 0, LISTBUILD_SKIP_NAME },
	{ "a domain under an all-digit label", "a.123", NULL, 0,
	    LISTBUILD_SKIP_NAME },
	{ "a label with a leading hyphen", "-a.example", NULL, 0,
	    LISTBUILD_SKIP_NAME },
	{ "an A-label domain", "xn--bcher-kva.example", NULL, 0,
	    LISTBUILD_ENFORCE },
	{ "a one-letter top-level label", "a.b", NULL, 0,
	    LISTBUILD_SKIP_NAME },
};

static void
test_picks(void)
{
	struct listbuild_conf c = conf0;
	struct record_policy p;
	size_t i;

	for (i = 0; i < sizeof(pick_cases) / sizeof(pick_cases[0]); i++) {
		p = pol();
		if (pick_cases[i].patch != NULL)
			pick_cases[i].patch(&p);
		c.include_testing = pick_cases[i].testing;
		tap_is_str(listbuild_pick_str(listbuild_pick(&c,
		    pick_cases[i].domain, &p)),
		    listbuild_pick_str(pick_cases[i].want), pick_cases[i].name);
	}
}

static const char golden[] =
    "{\n"
    "    \"timestamp\": \"2026-11-30T00:53:20Z\",\n"
    "    \"expires\": \"2026-12-14T00:53:20Z\",\n"
    "    \"version\": \"0.1\",\n"
    "    \"author\": \"Example fleet <ops@example.net> \\\"q\\\" \\\\\",\n"
    "    \"policy-aliases\": {},\n"
    "    \"policies\": {\n"
    "        \"a.example\": {\"mode\": \"enforce\", \"mxs\": "
    "[\"mx1.example.com\", \".example.net\"]},\n"
    "        \"b.example\": {\"mode\": \"testing\", \"mxs\": "
    "[\"mx.b.example\"]}\n"
    "    }\n"
    "}\n";

/* Three policies in the given order: a (enforce), b (testing), c (none). */
static struct listbuild *
build3(const int order[3], const char *author, size_t max_bytes)
{
	struct listbuild_conf c = conf0;
	struct listbuild *b;
	struct record_policy p[3];
	static const char *const dom[3] = { "a.example", "b.example",
	    "c.example" };
	const char *why;
	int i;

	c.include_testing = 1;
	c.author = author;
	c.max_bytes = max_bytes;
	p[0] = pol();
	p[0].mx[0] = "MX1.Example.com";
	p[0].mx[2] = "mx1.example.com";		/* a duplicate */
	p[0].nmx = 3;
	p[1] = pol();
	p[1].mode = RECORD_MODE_TESTING;
	p[1].enforce_since = 0;
	p[1].mx[0] = "mx.b.example";
	p[1].nmx = 1;
	p[2] = pol();
	p[2].mode = RECORD_MODE_NONE;
	if ((b = listbuild_new(&c)) == NULL)
		return NULL;
	for (i = 0; i < 3; i++)
		if (listbuild_add(b, dom[order[i]], &p[order[i]], &why) == -1) {
			listbuild_free(b);
			return NULL;
		}
	return b;
}

/* max_bytes (what nodes fetch): the exact size passes, a byte less not. */
static void
test_max_bytes(size_t exact)
{
	static const int fwd[3] = { 0, 1, 2 };
	const char *author = "Example fleet <ops@example.net> \"q\" \\";
	struct listbuild *b = build3(fwd, author, exact);
	const char *why = NULL;
	char *o = NULL;
	size_t n = 0;

	if (b != NULL)
		o = listbuild_render(b, &n, &why);
	tap_ok(o != NULL && n == exact, "max_bytes: %zu bytes fit in %zu",
	    n, exact);
	free(o);
	listbuild_free(b);
	b = build3(fwd, author, exact - 1);
	o = b != NULL ? listbuild_render(b, &n, &why) : NULL;
	tap_ok(o == NULL && why != NULL && strstr(why, "fetches") != NULL,
	    "max_bytes: one byte less is refused");
	free(o);
	listbuild_free(b);
}

static void
test_render(void)
{
	static const int fwd[3] = { 0, 1, 2 }, rev[3] = { 2, 1, 0 };
	const char *author = "Example fleet <ops@example.net> \"q\" \\";
	struct listbuild *b1 = build3(fwd, author, 0);
	struct listbuild *b2 = build3(rev, author, 0);
	const struct tlslist_policy *e;
	struct tlslist *l = NULL;
	char *o1 = NULL, *o2 = NULL, err[256] = "";
	const char *why = NULL;
	size_t n1 = 0, n2 = 0;

	if (b1 != NULL && b2 != NULL) {
		o1 = listbuild_render(b1, &n1, &why);
		o2 = listbuild_render(b2, &n2, &why);
	}
	tap_ok(o1 != NULL && n1 == strlen(golden) &&
	    memcmp(o1, golden, n1) == 0, "render: golden bytes");
	if (o1 != NULL && strcmp(o1, golden) != 0)
		tap_diag("got:\n%s", o1);
	tap_ok(o1 != NULL && o2 != NULL && n1 == n2 &&
	    memcmp(o1, o2, n1) == 0,
	    "render: another insertion order gives the same bytes");
	test_max_bytes(n1);
	tap_is_int(b1 != NULL ? (intmax_t)listbuild_count(b1,
	    LISTBUILD_SKIP_NONE) : -1, 1, "render: mode none counted");
	if (o1 != NULL)
		l = tlslist_parse(o1, n1, err, sizeof(err));
	tap_ok(l != NULL, "render: tlslist reads it (%s)", err);
	e = l != NULL ? tlslist_lookup(l, "a.example") : NULL;
	tap_ok(l != NULL && tlslist_count(l) == 2 && e != NULL &&
	    e->mode == TLSLIST_MODE_ENFORCE && e->nmx == 2 &&
	    strcmp(e->mx[0], "mx1.example.com") == 0 &&
	    strcmp(e->mx[1], "*.example.net") == 0 &&
	    tlslist_timestamp(l) == NOW &&
	    tlslist_expires(l) == NOW + 2 * WEEK &&
	    strcmp(tlslist_author(l), author) == 0,
	    "render: read back, the same entries, times and author");
	e = l != NULL ? tlslist_lookup(l, "b.example") : NULL;
	tap_ok(e != NULL && e->mode == TLSLIST_MODE_TESTING &&
	    tlslist_lookup(l, "c.example") == NULL,
	    "render: testing listed as testing, none left out");
	tlslist_free(l);
	free(o1);
	free(o2);
	listbuild_free(b1);
	listbuild_free(b2);
}

static void
test_empty_and_refusals(void)
{
	struct listbuild_conf c = conf0;
	struct record_policy p = pol();
	struct listbuild *b;
	struct tlslist *l;
	char *o, err[256] = "";
	const char *why = NULL;
	size_t n = 0;

	b = listbuild_new(&c);
	o = b != NULL ? listbuild_render(b, &n, &why) : NULL;
	l = o != NULL ? tlslist_parse(o, n, err, sizeof(err)) : NULL;
	tap_ok(l != NULL && tlslist_count(l) == 0,
	    "empty build: a valid list without policies (%s)", err);
	tlslist_free(l);
	free(o);
	if (b != NULL) {
		listbuild_add(b, "a.example", &p, &why);
		listbuild_add(b, "A.example", &p, &why);
		o = listbuild_render(b, &n, &why);
		tap_ok(o == NULL && why != NULL &&
		    strcmp(why, "two records for one domain") == 0,
		    "two records for one domain are refused");
		free(o);
	}
	listbuild_free(b);

	c.author = "";
	tap_ok(listbuild_conf_check(&c) != NULL, "conf: an author is needed");
	c.author = "tab\there";
	tap_ok(listbuild_conf_check(&c) != NULL, "conf: no control bytes");
	c.author = "caf\xc3\xa9";
	tap_ok(listbuild_conf_check(&c) != NULL, "conf: ASCII only");
	c.author = "x";
	c.expires_in = 0;
	tap_ok(listbuild_conf_check(&c) != NULL, "conf: expires-in > 0");
	c.expires_in = INT64_MAX;
	tap_ok(listbuild_conf_check(&c) != NULL,
	    "conf: expires past 9999 refused, no overflow");
	c.expires_in = WEEK;
	c.min_age = -1;
	tap_ok(listbuild_conf_check(&c) != NULL, "conf: min-age >= 0");
	c.min_age = 0;
	tap_ok(listbuild_conf_check(&c) == NULL, "conf: a valid one");
}

/* TLSLIST_POLICIES_MAX listed, one more refused: never a silent cut. */
static void
test_max(void)
{
	struct record_policy p = pol();
	struct listbuild *b = listbuild_new(&conf0);
	struct tlslist *l = NULL;

	p.nmx = 1;
	char dom[64], *o = NULL, err[256] = "";
	const char *why = NULL;
	size_t i, n = 0;
	int r = 0;

	for (i = 0; b != NULL && i < TLSLIST_POLICIES_MAX && r != -1; i++) {
		snprintf(dom, sizeof(dom), "d%zu.example", i);
		r = listbuild_add(b, dom, &p, &why);
	}
	tap_ok(r == LISTBUILD_ENFORCE, "max: %d policies added",
	    TLSLIST_POLICIES_MAX);
	r = b != NULL ? listbuild_add(b, "one-more.example", &p, &why) : 0;
	tap_ok(r == -1 && why != NULL, "max: one more is refused");
	if (b != NULL)
		o = listbuild_render(b, &n, &why);
	if (o != NULL)
		l = tlslist_parse(o, n, err, sizeof(err));
	tap_ok(l != NULL && tlslist_count(l) == TLSLIST_POLICIES_MAX,
	    "max: the %zu-byte list of %d parses (%s)", n,
	    TLSLIST_POLICIES_MAX, err);
	tlslist_free(l);
	free(o);
	listbuild_free(b);
}

/* 91,000 policies of two patterns pass tlslist's count of JSON values. */
static void
test_values(void)
{
	struct record_policy p = pol();
	struct listbuild *b = listbuild_new(&conf0);
	char dom[64], *o = NULL;
	const char *why = NULL;
	size_t i, n = 0;

	for (i = 0; b != NULL && i < 91000; i++) {
		snprintf(dom, sizeof(dom), "d%zu.example", i);
		listbuild_add(b, dom, &p, &why);
	}
	if (b != NULL)
		o = listbuild_render(b, &n, &why);
	tap_ok(o == NULL && why != NULL && strstr(why, "JSON values") != NULL,
	    "values: 91000 policies of two patterns are refused (%s)",
	    why != NULL ? why : "");
	free(o);
	listbuild_free(b);
	/* 90,000 fit (11 values each): read back to prove the count. */
	b = listbuild_new(&conf0);
	for (i = 0; b != NULL && i < 90000; i++) {
		snprintf(dom, sizeof(dom), "d%zu.example", i);
		listbuild_add(b, dom, &p, &why);
	}
	o = b != NULL ? listbuild_render(b, &n, &why) : NULL;
	{
		char err[256] = "";
		struct tlslist *l = o != NULL ? tlslist_parse(o, n, err,
		    sizeof(err)) : NULL;

		tap_ok(l != NULL && tlslist_count(l) == 90000,
		    "values: 90000 of two patterns parse (%s)", err);
		tlslist_free(l);
	}
	free(o);
	listbuild_free(b);
}

int
main(void)
{
	test_picks();
	test_render();
	test_empty_and_refusals();
	test_max();
	test_values();
	return tap_done();
}
