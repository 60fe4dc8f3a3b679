/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_relayhost.c: table-driven tests for the relay host choice of
 * table-mtasts: MTA-STS mx filtering, preference order, rotation
 * between attempts, the rotation table, and the URL.
 */
#include <stdio.h>
#include <string.h>

#include "relayhost.h"
#include "tap.h"

static const struct relayhost_mx mx3[] = {
	{ 20, "mx2.example.test" },
	{ 10, "mx1.example.test" },
	{ 5, "evil.attacker.test" },
	{ 10, "a.backup.example.test" },
};

struct pick_case {
	const char	*name;
	const char	*pats[4];
	size_t		 npat;
	int		 filter;
	unsigned	 turn;
	const char	*want;		/* NULL: none */
	size_t		 want_n;
};

static const struct pick_case pick_cases[] = {
	{ "literal pattern", { "mx1.example.test" }, 1, 1, 0,
	    "mx1.example.test", 1 },
	{ "literal pattern, turn 5", { "mx1.example.test" }, 1, 1, 5,
	    "mx1.example.test", 1 },
	{ "wildcard: one label only", { "*.example.test" }, 1, 1, 0,
	    "mx1.example.test", 2 },
	{ "wildcard, turn 1: next preference", { "*.example.test" }, 1, 1, 1,
	    "mx2.example.test", 2 },
	{ "wildcard, turn 2: wraps", { "*.example.test" }, 1, 1, 2,
	    "mx1.example.test", 2 },
	{ "two patterns, same preference by name", { "mx1.example.test",
	    "*.backup.example.test" }, 2, 1, 0, "a.backup.example.test", 2 },
	{ "two patterns, turn 1", { "mx1.example.test",
	    "*.backup.example.test" }, 2, 1, 1, "mx1.example.test", 2 },
	{ "no pattern matches", { "mx.other.test" }, 1, 1, 0, NULL, 0 },
	{ "enforce with no patterns", { NULL }, 0, 1, 0, NULL, 0 },
	{ "no filter: lowest preference first", { NULL }, 0, 0, 0,
	    "evil.attacker.test", 4 },
	{ "no filter, turn 3", { NULL }, 0, 0, 3, "mx2.example.test", 4 },
	{ "pattern case-insensitive", { "MX2.Example.TEST" }, 1, 1, 0,
	    "mx2.example.test", 1 },
	{ "bad pattern never matches", { "*" }, 1, 1, 0, NULL, 0 },
};

static void
test_pick(void)
{
	size_t i, n;
	char name[128];
	int k;

	for (i = 0; i < sizeof(pick_cases) / sizeof(pick_cases[0]); i++) {
		const struct pick_case *c = &pick_cases[i];

		k = relayhost_pick(mx3, 4, c->pats, c->npat, c->filter,
		    c->turn, &n);
		snprintf(name, sizeof(name), "pick: %s", c->name);
		if (c->want == NULL) {
			if (!tap_ok(k == -1 && n == 0, "%s", name))
				tap_diag("got %d (%s), want none", k,
				    k >= 0 ? mx3[k].host : "-");
			continue;
		}
		if (!tap_ok(k >= 0 && strcmp(mx3[k].host, c->want) == 0 &&
		    n == c->want_n, "%s", name))
			tap_diag("got %s of %zu, want %s of %zu",
			    k >= 0 ? mx3[k].host : "none", n, c->want,
			    c->want_n);
	}
}

static void
test_pick_limits(void)
{
	static struct relayhost_mx many[RELAYHOST_MX_MAX + 8];
	const char *pat[] = { "*.many.test" };
	size_t i, n;
	int k;

	for (i = 0; i < RELAYHOST_MX_MAX + 8; i++) {
		many[i].pref = (unsigned)(100 - i);
		snprintf(many[i].host, sizeof(many[i].host), "h%zu.many.test",
		    i);
	}
	k = relayhost_pick(many, RELAYHOST_MX_MAX + 8, pat, 1, 1, 0, &n);
	tap_ok(n == RELAYHOST_MX_MAX && k == RELAYHOST_MX_MAX - 1,
	    "pick: at most RELAYHOST_MX_MAX candidates, best preference first");
	k = relayhost_pick(many, 0, pat, 1, 1, 0, &n);
	tap_ok(k == -1 && n == 0, "pick: no MX at all");
	many[0].host[0] = '\0';
	k = relayhost_pick(many, 1, NULL, 0, 0, 0, &n);
	tap_ok(k == -1 && n == 0, "pick: an empty host name is skipped");
}

static void
test_turns(void)
{
	static struct relayhost_turns t;
	static char name[300];
	unsigned a0, a1, b0, a2;
	int collide = -1;
	size_t i;

	a0 = relayhost_turn(&t, "a.test");
	a1 = relayhost_turn(&t, "a.test");
	b0 = relayhost_turn(&t, "b.test");
	a2 = relayhost_turn(&t, "a.test");
	tap_ok(a0 == 0 && a1 == 1 && b0 == 0 && a2 == 2,
	    "turns count per domain");
	/* Find a name that takes a.test's slot: a.test starts again. */
	for (i = 0; i < 100000 && collide == -1; i++) {
		struct relayhost_turns copy = t;

		snprintf(name, sizeof(name), "x%zu.test", i);
		relayhost_turn(&copy, name);
		if (relayhost_turn(&copy, "a.test") == 0)
			collide = (int)i;
	}
	tap_ok(collide >= 0, "a colliding domain resets the rotation");
	memset(name, 'a', 260);
	name[260] = '\0';
	tap_is_int(relayhost_turn(&t, name), 0, "over-long domain: turn 0");
	tap_is_int(relayhost_turn(&t, name), 0, "over-long domain: not kept");
}

static void
test_url(void)
{
	char out[RELAYHOST_URL_MAX];
	static char host[DOMKEY_MAX + 1];

	tap_is_int(relayhost_url("mx.example.test", out, sizeof(out)), 0,
	    "url ok");
	tap_is_str(out, "smtp+tls://mx.example.test:25", "url text");
	tap_is_int(relayhost_url("", out, sizeof(out)), -1, "url empty host");
	tap_is_int(relayhost_url(NULL, out, sizeof(out)), -1, "url NULL host");
	tap_is_int(relayhost_url("mx.example.test", out, 20), -1,
	    "url: out too small");
	memset(host, 'a', DOMKEY_MAX);
	tap_is_int(relayhost_url(host, out, sizeof(out)), 0,
	    "url: longest name fits RELAYHOST_URL_MAX");
}

int
main(void)
{
	test_pick();
	test_pick_limits();
	test_turns();
	test_url();
	return tap_done();
}
