/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_reply.c: reply.c as tables of cases: reply_postfix() (the
 * default profile), reply_postfix_profile() (version gates, TLSRPT
 * attributes, policy_string cleaning, what is left out when the value
 * does not fit), reply_answers() (which policies a profile answers) and
 * the version parser.
 *
 * Most policies come from stspol_parse(), so the test sees exactly what
 * the resolver hands over; a few are built by hand to hold what the
 * parser would never produce (no mx in enforce mode, patterns with
 * bytes Postfix would misread), because reply.c must refuse those on
 * its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "stspol.h"
#include "tap.h"

#define P(mode, mx) "version: STSv1\r\nmode: " mode "\r\n" mx \
	"max_age: 86400\r\n"

struct reply_case {
	const char	*name;
	const char	*policy;	/* body for stspol_parse, or NULL */
	const char	*raw[4];	/* hand-made enforce patterns */
	size_t		 nraw;
	size_t		 outsize;	/* 0: a large buffer */
	int		 ok;
	const char	*want;		/* expected text when ok */
};

static const struct reply_case cases[] = {
	{ "one mx", P("enforce", "mx: mx.example.com\r\n"), { NULL }, 0, 0,
	    1, "secure match=mx.example.com servername=hostname" },
	{ "wildcard becomes parent form",
	    P("enforce", "mx: *.example.net\r\n"), { NULL }, 0, 0, 1,
	    "secure match=.example.net servername=hostname" },
	{ "policy order kept",
	    P("enforce", "mx: b.example\r\nmx: *.a.example\r\nmx: c.example\r\n"),
	    { NULL }, 0, 0, 1,
	    "secure match=b.example:.a.example:c.example servername=hostname" },
	{ "wildcard and its base are different patterns",
	    P("enforce", "mx: *.example.com\r\nmx: example.com\r\n"),
	    { NULL }, 0, 0, 1,
	    "secure match=.example.com:example.com servername=hostname" },
	{ "exact duplicates dropped, first place kept",
	    P("enforce", "mx: a.example\r\nmx: b.example\r\nmx: a.example\r\n"),
	    { NULL }, 0, 0, 1,
	    "secure match=a.example:b.example servername=hostname" },
	{ "names lowercased by the parser",
	    P("enforce", "mx: MX1.Example.COM\r\n"), { NULL }, 0, 0, 1,
	    "secure match=mx1.example.com servername=hostname" },
	{ "trailing dot removed by the parser",
	    P("enforce", "mx: mx.example.org.\r\n"), { NULL }, 0, 0, 1,
	    "secure match=mx.example.org servername=hostname" },
	{ "buffer exactly one byte short",
	    P("enforce", "mx: mx.example.com\r\n"), { NULL }, 0,
	    sizeof("secure match=mx.example.com servername=hostname") - 1,
	    0, "" },
	{ "buffer exactly large enough",
	    P("enforce", "mx: mx.example.com\r\n"), { NULL }, 0,
	    sizeof("secure match=mx.example.com servername=hostname"), 1,
	    "secure match=mx.example.com servername=hostname" },
	{ "buffer of one byte", P("enforce", "mx: m.example\r\n"), { NULL },
	    0, 1, 0, "" },
	{ "enforce without mx: never an empty match=", NULL, { NULL }, 0, 0,
	    0, "" },
	{ "colon in a pattern refused", NULL, { "a.example:b" }, 1, 0, 0,
	    "" },
	{ "space in a pattern refused", NULL, { "a.example b=c" }, 1, 0, 0,
	    "" },
	{ "wildcard not left-most refused", NULL, { "a.*.example" }, 1, 0,
	    0, "" },
	{ "bare star refused", NULL, { "*" }, 1, 0, 0, "" },
	{ "empty pattern refused", NULL, { "ok.example", "" }, 2, 0, 0, "" },
	{ "hand-made good patterns", NULL, { "*.x.example", "y.example" }, 2,
	    0, 1, "secure match=.x.example:y.example servername=hostname" },
};

/* reply_of: the patterns of p as reply_postfix() takes them. */
static int
reply_of(const struct stspol *p, char *out, size_t size)
{
	static const char *mx[STSPOL_MX_MAX];
	size_t i;

	if (p == NULL)
		return reply_postfix(NULL, 0, out, size);
	for (i = 0; i < p->nmx; i++)
		mx[i] = stspol_mx(p, i);
	return reply_postfix(mx, p->nmx, out, size);
}

/* Build an enforce policy from raw patterns, as the parser lays it out. */
static void
raw_policy(struct stspol *p, const char *const *raw, size_t n)
{
	size_t i, off = 0;

	memset(p, 0, sizeof(*p));
	p->mode = STSPOL_MODE_ENFORCE;
	p->max_age = 86400;
	for (i = 0; i < n; i++) {
		p->mx_off[i] = (uint16_t)off;
		memcpy(p->names + off, raw[i], strlen(raw[i]) + 1);
		off += strlen(raw[i]) + 1;
	}
	p->nmx = n;
}

static void
run_case(const struct reply_case *c, struct stspol *p)
{
	char out[1024];
	const char *why = NULL;
	size_t size = c->outsize ? c->outsize : sizeof(out);
	int r;

	if (c->policy != NULL) {
		if (stspol_parse(c->policy, strlen(c->policy), p, &why) != 0) {
			tap_ok(0, "%s: policy parses", c->name);
			tap_diag("got \"%s\", want a valid policy", why);
			return;
		}
	} else
		raw_policy(p, c->raw, c->nraw);
	memset(out, 'X', sizeof(out));
	r = reply_of(p, out, size);
	if (!tap_is_int(r >= 0, c->ok, c->name))
		tap_diag("output \"%.*s\"", (int)(size < 200 ? size : 200), out);
	if (c->ok) {
		tap_is_str(out, c->want, c->name);
		tap_is_int(r, (int)strlen(c->want), c->name);
	} else
		tap_is_str(out, "", c->name);
}

/* 128 patterns of 253 bytes: fits in 40000 bytes, not in 4000. */
#define LONG_N	128
static void
run_many(struct stspol *p)
{
	static char body[STSPOL_MAX_SIZE];
	static char out[40000];
	char label[64], tld[64];
	size_t i, off;
	int r;

	off = (size_t)snprintf(body, sizeof(body),
	    "version: STSv1\nmode: enforce\nmax_age: 86400\n");
	memset(tld, 'z', 63);
	tld[63] = '\0';
	for (i = 0; i < LONG_N; i++) {
		/* 61 + 1 + 63 + 1 + 63 + 1 + 63 = 253 bytes, all distinct */
		snprintf(label, sizeof(label), "%03zu%058d", i, 0);
		off += (size_t)snprintf(body + off, sizeof(body) - off,
		    "mx: %s.%063d.%063d.%s\n", label, 0, 0, tld);
	}
	if (!tap_ok(stspol_parse(body, off, p, NULL) == 0 &&
	    p->nmx == LONG_N, "128 long patterns parse"))
		return;
	r = reply_of(p, out, sizeof(out));
	tap_is_int(r, (int)(strlen("secure match=") + 128 * 253 + 127 +
	    strlen(" servername=hostname")), "128 long patterns fit");
	tap_is_int(reply_of(p, out, 4000), -1, "128 long patterns "
	    "do not fit in 4000 bytes");
	tap_is_str(out, "", "nothing left behind on overflow");
}

/* --- profiles ----------------------------------------------------- */

#define PF(a, b, c) REPLY_PF(a, b, c)
#define BODY "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\n" \
	"mx: *.example.net\r\nmax_age: 86400\r\n"
#define BASE "secure match=mx.example.com:.example.net servername=hostname"
#define TLSRPT " policy_type=sts policy_domain=example.com" \
	" mx_host_pattern=mx.example.com mx_host_pattern=*.example.net"
#define STRINGS " { policy_string = version: STSv1 }" \
	" { policy_string = mode: enforce }" \
	" { policy_string = mx: mx.example.com }" \
	" { policy_string = mx: *.example.net }" \
	" { policy_string = max_age: 86400 }"

struct profile_case {
	const char	*name;
	struct reply_profile prof;	/* version, tlsrpt, testing, list */
	enum reply_origin origin;
	const char	*domain;
	const char	*mx[4];
	const char	*text;		/* NULL: no body */
	size_t		 outsize;	/* 0: a large buffer */
	int		 ok;
	const char	*want;
	enum reply_fit	 fit;
};

#define MX2 { "mx.example.com", "*.example.net" }

static const struct profile_case pcases[] = {
	{ "3.4: servername", { PF(3, 4, 0), 0, 0, 0 }, REPLY_MTASTS,
	    "example.com", MX2, BODY, 0, 1, BASE, REPLY_FIT_FULL },
	{ "3.3: no servername", { PF(3, 3, 0), 0, 0, 0 }, REPLY_MTASTS,
	    "example.com", MX2, BODY, 0, 1,
	    "secure match=mx.example.com:.example.net", REPLY_FIT_FULL },
	{ "2.10: no servername", { PF(2, 10, 0), 1, 0, 0 }, REPLY_MTASTS,
	    "example.com", { "mx.example.com" }, BODY, 0, 1,
	    "secure match=mx.example.com", REPLY_FIT_FULL },
	{ "3.10 tlsrpt: every attribute", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "example.com", MX2, BODY, 0, 1,
	    BASE TLSRPT STRINGS, REPLY_FIT_FULL },
	{ "3.10.5 tlsrpt: the same", { PF(3, 10, 5), 1, 0, 0 },
	    REPLY_MTASTS, "example.com", MX2, BODY, 0, 1,
	    BASE TLSRPT STRINGS, REPLY_FIT_FULL },
	{ "3.9.9 tlsrpt: never TLSRPT before 3.10",
	    { PF(3, 9, 9), 1, 0, 0 }, REPLY_MTASTS, "example.com", MX2, BODY,
	    0, 1, BASE, REPLY_FIT_FULL },
	{ "3.10 without tlsrpt", { PF(3, 10, 0), 0, 0, 0 }, REPLY_MTASTS,
	    "example.com", MX2, BODY, 0, 1, BASE, REPLY_FIT_FULL },
	{ "list policy: no TLSRPT", { PF(3, 10, 0), 1, 0, 1 }, REPLY_LIST,
	    "example.com", MX2, BODY, 0, 1, BASE, REPLY_FIT_FULL },
	{ "tlsrpt without a body: no policy_string",
	    { PF(3, 10, 0), 1, 0, 0 }, REPLY_MTASTS, "example.com", MX2,
	    NULL, 0, 1, BASE TLSRPT, REPLY_FIT_FULL },
	{ "duplicate mx: one match, one mx_host_pattern",
	    { PF(3, 10, 0), 1, 0, 0 }, REPLY_MTASTS, "d.example",
	    { "a.example", "a.example" }, "mx: a.example\nmx: a.example", 0, 1,
	    "secure match=a.example servername=hostname policy_type=sts "
	    "policy_domain=d.example mx_host_pattern=a.example "
	    "{ policy_string = mx: a.example } "
	    "{ policy_string = mx: a.example }", REPLY_FIT_FULL },
	{ "policy_string cleaning", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "d.example", { "a.example" },
	    "version: STSv1\nx-ext:\tva{lue}\x01 \n\n   \r\n"
	    "x-utf8: b\xc3\xbc" "cher\nx-bad: a\xff\xc3" "b\xed\xa0\x80"
	    "c\xf4\x90\x80\x80\xe0\x80\xaf\n{}\n  \t lead: x\r\r\n"
	    "mode: enforce", 0, 1,
	    "secure match=a.example servername=hostname policy_type=sts "
	    "policy_domain=d.example mx_host_pattern=a.example "
	    "{ policy_string = version: STSv1 } "
	    "{ policy_string = x-ext: value } "
	    "{ policy_string = x-utf8: b\xc3\xbc" "cher } "
	    "{ policy_string = x-bad: abc } "
	    "{ policy_string = lead: x } "
	    "{ policy_string = mode: enforce }", REPLY_FIT_FULL },
	{ "four-byte UTF-8 kept", { PF(3, 10, 0), 1, 0, 0 }, REPLY_MTASTS,
	    "d.example", { "a.example" }, "x: \xf0\x9f\x93\xa7", 0, 1,
	    "secure match=a.example servername=hostname policy_type=sts "
	    "policy_domain=d.example mx_host_pattern=a.example "
	    "{ policy_string = x: \xf0\x9f\x93\xa7 }", REPLY_FIT_FULL },
	{ "truncated UTF-8 at the end dropped", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "d.example", { "a.example" }, "x: y\xe2\x82", 0, 1,
	    "secure match=a.example servername=hostname policy_type=sts "
	    "policy_domain=d.example mx_host_pattern=a.example "
	    "{ policy_string = x: y }", REPLY_FIT_FULL },
	{ "no policy domain: TLSRPT left out", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, NULL, MX2, BODY, 0, 1, BASE, REPLY_FIT_NO_TLSRPT },
	{ "bad policy domain: TLSRPT left out", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "a b.example", MX2, BODY, 0, 1, BASE,
	    REPLY_FIT_NO_TLSRPT },
	{ "empty label in policy domain: TLSRPT left out",
	    { PF(3, 10, 0), 1, 0, 0 }, REPLY_MTASTS, "a..example", MX2, BODY,
	    0, 1, BASE, REPLY_FIT_NO_TLSRPT },
	{ "exactly room for everything", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "example.com", MX2, BODY,
	    sizeof(BASE TLSRPT STRINGS), 1, BASE TLSRPT STRINGS,
	    REPLY_FIT_FULL },
	{ "one byte short: policy_string left out",
	    { PF(3, 10, 0), 1, 0, 0 }, REPLY_MTASTS, "example.com", MX2, BODY,
	    sizeof(BASE TLSRPT STRINGS) - 1, 1, BASE TLSRPT,
	    REPLY_FIT_NO_STRINGS },
	{ "exactly room without policy_string", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "example.com", MX2, BODY, sizeof(BASE TLSRPT), 1,
	    BASE TLSRPT, REPLY_FIT_NO_STRINGS },
	{ "one byte short again: TLSRPT left out", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "example.com", MX2, BODY, sizeof(BASE TLSRPT) - 1, 1,
	    BASE, REPLY_FIT_NO_TLSRPT },
	{ "exactly room for the plain value", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "example.com", MX2, BODY, sizeof(BASE), 1, BASE,
	    REPLY_FIT_NO_TLSRPT },
	{ "no room even for the plain value", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "example.com", MX2, BODY, sizeof(BASE) - 1, 0, "",
	    REPLY_FIT_FULL },
	{ "invalid pattern: no value, not a smaller one",
	    { PF(3, 10, 0), 1, 0, 0 }, REPLY_MTASTS, "example.com",
	    { "a.example", "b.example c=d" }, BODY, 0, 0, "", REPLY_FIT_FULL },
	{ "no mx: never an empty match=", { PF(3, 10, 0), 1, 0, 0 },
	    REPLY_MTASTS, "example.com", { NULL }, BODY, 0, 0, "",
	    REPLY_FIT_FULL },
};

static void
run_profile_case(const struct profile_case *c)
{
	static char out[4096];
	struct reply_policy pol;
	enum reply_fit fit = (enum reply_fit)-1;
	size_t size = c->outsize ? c->outsize : sizeof(out), n = 0;
	int r;

	while (n < 4 && c->mx[n] != NULL)
		n++;
	pol.origin = c->origin;
	pol.domain = c->domain;
	pol.mx = c->mx;
	pol.nmx = n;
	pol.text = c->text;
	pol.text_len = c->text ? strlen(c->text) : 0;
	memset(out, 'X', sizeof(out));
	r = reply_postfix_profile(&c->prof, &pol, out, size, &fit);
	if (!tap_is_int(r >= 0, c->ok, c->name))
		tap_diag("output \"%.*s\"", (int)(size < 300 ? size : 300),
		    out);
	tap_is_str(out, c->want, c->name);
	tap_is_int(r, c->ok ? (int)strlen(c->want) : -1, c->name);
	tap_is_int(fit, c->fit, c->name);
}

/* Build `n` distinct 253-byte patterns and their policy body. */
static size_t
long_policy(char (*names)[254], const char **mx, size_t n, char *body,
    size_t bodysize)
{
	size_t i, off;

	off = (size_t)snprintf(body, bodysize,
	    "version: STSv1\nmode: enforce\nmax_age: 86400\n");
	for (i = 0; i < n; i++) {
		snprintf(names[i], 254, "%03u%058d.%063d.%063d.%063d",
		    (unsigned)(i % 1000), 0, 0, 0, 0);
		mx[i] = names[i];
		off += (size_t)snprintf(body + off, bodysize - off, "mx: %s\n",
		    names[i]);
	}
	return off;
}

/*
 * The largest MTA-STS policies do not fit Postfix's 100,000 bytes with
 * every TLSRPT attribute: the answer keeps enforcing without the
 * policy_string attributes, and the value never passes the limit.
 */
static void
run_large(void)
{
	static char names[LONG_N][254], body[STSPOL_MAX_SIZE];
	static char out[REPLY_SOCKETMAP_MAX - 3 + 1], big[200000];
	static const char *mx[LONG_N];
	struct reply_profile prof = { PF(3, 10, 0), 1, 0, 0 };
	struct reply_policy pol = { REPLY_MTASTS, "example.com", mx,
	    LONG_N, body, 0 };
	enum reply_fit fit;
	size_t off, i;
	int r;

	pol.text_len = long_policy(names, mx, LONG_N, body, sizeof(body));
	r = reply_postfix_profile(&prof, &pol, big, sizeof(big), &fit);
	tap_ok(r > (int)sizeof(out), "128 long patterns: the full value "
	    "is over Postfix's limit (%d bytes)", r);
	r = reply_postfix_profile(&prof, &pol, out, sizeof(out), &fit);
	tap_ok(r > 0 && r < (int)sizeof(out), "128 long patterns: answered "
	    "within the limit (%d bytes)", r);
	tap_is_int(fit, REPLY_FIT_NO_STRINGS, "128 long patterns: "
	    "policy_string left out");
	tap_ok(strstr(out, "policy_string") == NULL &&
	    strstr(out, " policy_type=sts policy_domain=example.com "
	    "mx_host_pattern=000") != NULL, "128 long patterns: TLSRPT "
	    "attributes kept");
	/* A 64 KiB body of short extension lines: 20 bytes more per line. */
	off = (size_t)snprintf(body, sizeof(body), "version: STSv1\nmode: "
	    "enforce\nmx: a.example\nmax_age: 86400\n");
	for (i = 0; off + 8 < sizeof(body); i++)
		off += (size_t)snprintf(body + off, sizeof(body) - off,
		    "x%03zu: y\n", i % 1000);
	pol.nmx = 1;
	pol.text_len = off;
	mx[0] = "a.example";
	r = reply_postfix_profile(&prof, &pol, out, sizeof(out), &fit);
	tap_ok(r > 0 && fit == REPLY_FIT_NO_STRINGS, "64 KiB of short lines: "
	    "answered without policy_string (%d bytes, fit %d)", r, fit);
}

/*
 * RFC 8461 §3.2 sets no limit on mx lines, so a policy may have
 * thousands.  parse_body: body[0..len) parsed into *p, its patterns
 * into mx[] as a cached record would give them.
 */
static int
parse_body(const char *body, size_t len, struct stspol *p, const char **mx)
{
	size_t i;

	if (stspol_parse(body, len, p, NULL) != 0)
		return -1;
	for (i = 0; i < p->nmx; i++)
		mx[i] = stspol_mx(p, i);
	return 0;
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

/* 3,000 short mx lines, the TLSRPT profile: what still fits 100,000. */
static void
run_thousands(struct stspol *p)
{
	static char body[STSPOL_MAX_SIZE], out[REPLY_SOCKETMAP_MAX - 3 + 1];
	static const char *mx[STSPOL_MX_MAX];
	struct reply_profile prof = { PF(3, 10, 5), 1, 0, 0 };
	struct reply_policy pol = { REPLY_MTASTS, "example.com", mx, 0,
	    body, 0 };
	enum reply_fit fit;
	size_t off, i;
	int r;

	off = (size_t)snprintf(body, sizeof(body), "version: STSv1\n"
	    "mode: enforce\nmax_age: 86400\n");
	for (i = 0; i < 3000; i++)
		off += (size_t)snprintf(body + off, sizeof(body) - off,
		    "mx: m%zu.example\n", i);
	if (!tap_ok(parse_body(body, off, p, mx) == 0 && p->nmx == 3000,
	    "3000 mx lines: a valid policy (%zu bytes)", off))
		return;
	pol.nmx = p->nmx;
	pol.text_len = off;
	r = reply_postfix_profile(&prof, &pol, out, sizeof(out), &fit);
	tap_ok(r > 0 && (size_t)r < sizeof(out) && fit == REPLY_FIT_NO_TLSRPT,
	    "3000 mx lines: the TLSRPT value is too large, the plain one is "
	    "answered (%d bytes, fit %d)", r, fit);
	tap_ok(r > 0 && count_char(out, ':') == 2999 &&
	    strstr(out, ":m2999.example servername=hostname") != NULL,
	    "3000 mx lines: every pattern is in match=");
}

/*
 * The most patterns a 64 KiB body holds, and the longest patterns that
 * fill one: the plain value fits REPLY_VALUE_MAX, so the "postfix"
 * profile and tcp_table's buffer answer them all.
 */
#define ZS	"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"

static void
run_fullest(struct stspol *p)
{
	static char body[STSPOL_MAX_SIZE], out[REPLY_VALUE_MAX];
	static const char *mx[STSPOL_MX_MAX];
	size_t off, i;
	int r;

	off = (size_t)snprintf(body, sizeof(body), "version:STSv1\n"
	    "mode:enforce\nmax_age:86400\n");
	for (i = 0; off + 5 <= sizeof(body); i++, off += 5)
		memcpy(body + off, i % 2 ? "mx:b\n" : "mx:a\n", 5);
	r = parse_body(body, off, p, mx) == 0 ?
	    reply_postfix(mx, p->nmx, out, sizeof(out)) : -1;
	tap_ok(p->nmx > 13000 && r > 0 && strcmp(out, "secure match=a:b servername=hostname") != 0 &&
	    count_char(out, ':') == p->nmx - REPLY_DEDUP_MAX + 1,
	    "%zu one-letter mx lines: answered; repeats dropped among the "
	    "first %d", p->nmx, REPLY_DEDUP_MAX);
	off = (size_t)snprintf(body, sizeof(body), "version: STSv1\n"
	    "mode: enforce\nmax_age: 86400\n");
	for (i = 0; off + 258 <= sizeof(body); i++)
		off += (size_t)snprintf(body + off, sizeof(body) - off,
		    "mx: %05zu%056d.%063d.%063d.%.63s\n", i, 0, 0, 0, ZS);
	r = parse_body(body, off, p, mx) == 0 && p->nmx == i ?
	    reply_postfix(mx, p->nmx, out, sizeof(out)) : -1;
	tap_ok(r > 60000, "%zu mx lines of 253 bytes: answered within "
	    "REPLY_VALUE_MAX (%d bytes)", i, r);
}

/* --- which policies a profile answers ---------------------------------- */

struct answers_case {
	enum reply_origin origin;
	enum record_mode mode;
	int		 enforce_testing, list_policies;
	int		 want;
};

static const struct answers_case acases[] = {
	{ REPLY_MTASTS, RECORD_MODE_ENFORCE, 0, 0, 1 },
	{ REPLY_MTASTS, RECORD_MODE_TESTING, 0, 0, 0 },
	{ REPLY_MTASTS, RECORD_MODE_TESTING, 1, 0, 1 },
	{ REPLY_MTASTS, RECORD_MODE_NONE, 0, 1, 0 },
	{ REPLY_MTASTS, RECORD_MODE_NONE, 1, 1, 0 },
	{ REPLY_LIST, RECORD_MODE_ENFORCE, 0, 1, 1 },
	{ REPLY_LIST, RECORD_MODE_ENFORCE, 1, 0, 0 },
	{ REPLY_LIST, RECORD_MODE_TESTING, 0, 1, 0 },
	{ REPLY_LIST, RECORD_MODE_TESTING, 1, 1, 1 },
	{ REPLY_LIST, RECORD_MODE_TESTING, 1, 0, 0 },
	{ REPLY_MTASTS, (enum record_mode)7, 1, 1, 0 },
};

static void
run_answers(void)
{
	struct reply_profile prof = { PF(3, 4, 0), 0, 0, 0 };
	const struct answers_case *c;
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(acases) / sizeof(acases[0]); i++) {
		c = &acases[i];
		prof.enforce_testing = c->enforce_testing;
		prof.list_policies = c->list_policies;
		snprintf(name, sizeof(name), "answers: %s mode %s, "
		    "enforce_testing %d, list_policies %d",
		    c->origin == REPLY_LIST ? "list" : "mta-sts",
		    record_mode_str(c->mode), c->enforce_testing,
		    c->list_policies);
		tap_is_int(reply_answers(&prof, c->origin, c->mode), c->want,
		    name);
	}
}

/* --- versions ------------------------------------------------------------ */

struct version_case {
	const char	*in;
	int		 ok;
	unsigned	 want;
	const char	*rest;
	const char	*text;		/* reply_version_format(want) */
};

static const struct version_case vcases[] = {
	{ "3.4", 1, 30400, "", "3.4" },
	{ "3.10", 1, 31000, "", "3.10" },
	{ "3.10.5", 1, 31005, "", "3.10.5" },
	{ "3.7.11", 1, 30711, "", "3.7.11" },
	{ "2.10", 1, 21000, "", "2.10" },
	{ "2.10.0", 1, 21000, "", "2.10" },
	{ "99.99.99", 1, 999999, "", "99.99.99" },
	{ "3.11-20250101", 1, 31100, "-20250101", "3.11" },
	{ "3.4.x", 1, 30400, ".x", "3.4" },
	{ "3.4 ", 1, 30400, " ", "3.4" },
	{ "3.7.", 1, 30700, ".", "3.7" },
	{ "3", 0, 0, NULL, NULL },
	{ "3.", 0, 0, NULL, NULL },
	{ ".3", 0, 0, NULL, NULL },
	{ "", 0, 0, NULL, NULL },
	{ "0.9", 0, 0, NULL, NULL },
	{ "03.4", 0, 0, NULL, NULL },
	{ "3.04", 0, 0, NULL, NULL },
	{ "3.100", 0, 0, NULL, NULL },
	{ "3.1.100", 0, 0, NULL, NULL },
	{ "100.1", 0, 0, NULL, NULL },
	{ "+3.4", 0, 0, NULL, NULL },
	{ " 3.4", 0, 0, NULL, NULL },
	{ "a.b", 0, 0, NULL, NULL },
};

static void
run_versions(void)
{
	const struct version_case *c;
	const char *rest;
	char buf[REPLY_PF_STRLEN], name[64];
	unsigned v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		c = &vcases[i];
		v = 12345;
		rest = NULL;
		r = reply_version_parse(c->in, &v, &rest);
		snprintf(name, sizeof(name), "version \"%s\"", c->in);
		if (!tap_is_int(r == 0, c->ok, name))
			continue;
		if (!c->ok)
			continue;
		tap_is_int(v, c->want, name);
		tap_is_str(rest, c->rest, name);
		tap_is_str(reply_version_format(v, buf, sizeof(buf)), c->text,
		    name);
	}
	tap_is_int(reply_version_parse(NULL, &v, NULL), -1, "version NULL");
}

/* --- tcp_table's %XX codec ---------------------------------------------- */

/* Postfix's hex_quote(): "%", white space and non-printable bytes. */
static const struct {
	const char	*in;
	size_t		 len;		/* 0: strlen */
	size_t		 outsize;	/* 0: a large buffer */
	const char	*want;		/* NULL: -1 */
} qcases[] = {
	{ "secure match=a.example:.b.example servername=hostname", 0, 0,
	    "secure%20match=a.example:.b.example%20servername=hostname" },
	{ "", 0, 0, "" },
	{ "100%", 0, 0, "100%25" },
	{ "a\tb\nc\r", 0, 0, "a%09b%0Ac%0D" },
	{ "\x7f\x80\xff", 0, 0, "%7F%80%FF" },
	{ "{ policy_string = x }", 0, 0, "{%20policy_string%20=%20x%20}" },
	{ "a\0b", 3, 0, "a%00b" },
	{ "abc", 0, 4, "abc" },
	{ "abc", 0, 3, NULL },
	{ " ", 0, 4, "%20" },
	{ " ", 0, 3, NULL },
	{ "x", 0, 0, "x" },
};

/* hex_unquote(): %XX in any case, anything else as it is. */
static const struct {
	const char	*in;
	const char	*want;		/* NULL: -1 */
	size_t		 wantlen;	/* 0: strlen(want) */
} ucases[] = {
	{ "example.com", "example.com", 0 },
	{ "Example%2ECOM", "Example.COM", 0 },
	{ "%2e%2E", "..", 0 },
	{ "a%00b", "a\0b", 3 },
	{ "%41%42%43", "ABC", 0 },
	{ "", "", 0 },
	{ "100%", NULL, 0 },
	{ "100%2", NULL, 0 },
	{ "%G0", NULL, 0 },
	{ "%0G", NULL, 0 },
	{ "a%%41", NULL, 0 },
	{ "%", NULL, 0 },
	{ "%ff", "\xff", 0 },
};

static void
run_codec(void)
{
	char out[256], name[96];
	size_t i, len;
	ssize_t n;

	for (i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++) {
		len = qcases[i].len ? qcases[i].len : strlen(qcases[i].in);
		n = reply_tcp_quote(qcases[i].in, len, out,
		    qcases[i].outsize ? qcases[i].outsize : sizeof(out));
		snprintf(name, sizeof(name), "tcp quote %zu", i);
		if (qcases[i].want == NULL)
			tap_is_int(n, -1, name);
		else if (tap_is_int(n, (intmax_t)strlen(qcases[i].want), name))
			tap_is_str(out, qcases[i].want, name);
	}
	for (i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		n = reply_tcp_unquote(ucases[i].in, strlen(ucases[i].in), out);
		snprintf(name, sizeof(name), "tcp unquote \"%s\"",
		    ucases[i].in);
		if (ucases[i].want == NULL) {
			tap_is_int(n, -1, name);
			continue;
		}
		len = ucases[i].wantlen ? ucases[i].wantlen :
		    strlen(ucases[i].want);
		tap_ok(n == (ssize_t)len && memcmp(out, ucases[i].want,
		    len) == 0, "%s", name);
	}
	/* Every byte survives quote then unquote. */
	n = 0;
	for (i = 0; i < 256; i += 64) {
		char in[64], q[3 * 64 + 1], back[64];
		size_t k;
		ssize_t m;

		for (k = 0; k < 64; k++)
			in[k] = (char)(i + k);
		m = reply_tcp_quote(in, 64, q, sizeof(q));
		if (m < 0 || reply_tcp_unquote(q, (size_t)m, back) != 64 ||
		    memcmp(in, back, 64) != 0)
			n++;
	}
	tap_is_int(n, 0, "tcp quote then unquote gives every byte back");
}

int
main(void)
{
	struct stspol *p;
	char out[8];
	size_t i;

	if ((p = malloc(sizeof(*p))) == NULL)
		return 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], p);
	run_many(p);
	run_thousands(p);
	run_fullest(p);
	tap_is_int(reply_of(NULL, out, sizeof(out)), -1, "no patterns");
	tap_is_int(reply_of(p, out, 0), -1, "zero-size buffer");
	free(p);
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++)
		run_profile_case(&pcases[i]);
	run_large();
	run_codec();
	run_answers();
	run_versions();
	return tap_done();
}
