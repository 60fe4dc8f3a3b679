/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_tlslist.c: table-driven tests of the STARTTLS Policy List parser
 * (resolver/tlslist.c).
 *
 * Three tables: date-time strings -> epoch seconds (or invalid); whole
 * documents -> valid (and what one lookup gives) or the reason they are
 * rejected; then checks that need code (generated big inputs, expiry,
 * iteration order, matching) and the real bundled list, read from
 * $MTASTS_SRCDIR/contrib/starttls-list/policy.json.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tlslist.h"
#include "tap.h"

/* ---- dates ----------------------------------------------------------- */

struct tcase {
	const char	*s;
	int64_t		 want;		/* -1: invalid */
};

static const struct tcase tcases[] = {
	/* The real list's forms. */
	{ "2020-05-20T10:25:12.710034-07:00", 1589995512 },
	{ "2020-06-03T10:25:12.710055-07:00", 1591205112 },
	{ "2018-03-30T00:00:00+00:00", 1522368000 },
	{ "2018-06-18T15:14:49.123456789+02:00", 1529327689 },
	{ "2019-01-01T00:00:00Z", 1546300800 },
	{ "2019-01-01t00:00:00z", 1546300800 },
	{ "2014-07-06T18:29:13+0000", 1404671353 },
	{ "2016-03-01T12:00:00-0530", 1456853400 },
	{ "2016-03-01T12:00:00-05:30", 1456853400 },
	{ "2019-01-01T00:00:00-00:00", 1546300800 },
	{ "2019-01-01T00:00:00.9Z", 1546300800 },
	{ "2019-01-01T00:00:00.0000000000000000000000000000009Z", 1546300800 },
	/* Calendar. */
	{ "2020-02-29T12:00:00Z", 1582977600 },
	{ "2000-02-29T00:00:00Z", 951782400 },
	{ "2019-02-29T00:00:00Z", -1 },
	{ "2100-02-29T00:00:00Z", -1 },
	{ "2020-04-31T00:00:00Z", -1 },
	{ "2020-12-31T23:59:59Z", 1609459199 },
	{ "2020-13-01T00:00:00Z", -1 },
	{ "2020-00-10T00:00:00Z", -1 },
	{ "2020-01-00T00:00:00Z", -1 },
	{ "2020-01-32T00:00:00Z", -1 },
	{ "2020-01-01T24:00:00Z", -1 },
	{ "2020-01-01T00:60:00Z", -1 },
	{ "2016-12-31T23:59:60Z", -1 },	/* leap second: as EFF's tool */
	/* Range. */
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59Z", -1 },
	{ "1970-01-01T00:30:00+01:00", -1 },
	{ "9999-12-31T23:59:59Z", 253402300799 },
	{ "9999-12-31T23:59:59-00:01", -1 },
	{ "2038-01-19T03:14:08Z", 2147483648 },
	/* Syntax. */
	{ "2020-01-01T00:00:00", -1 },
	{ "2020-01-01T00:00:00.Z", -1 },
	{ "2020-01-01T00:00:00.", -1 },
	{ "2020-01-01 00:00:00Z", -1 },
	{ "2020-01-01T00:00:00+24:00", -1 },
	{ "2020-01-01T00:00:00+05:60", -1 },
	{ "2020-01-01T00:00:00+05:3", -1 },
	{ "2020-01-01T00:00:00+5:30", -1 },
	{ "2020-01-01T00:00:00+1", -1 },
	{ "2020-01-01T00:00:00-", -1 },
	{ "2020-01-01T00:00:00+05:30:00", -1 },
	{ "2020-01-01T00:00:00Z ", -1 },
	{ "20200101T000000Z", -1 },
	{ "2020-1-01T00:00:00Z", -1 },
	{ "+2020-01-01T00:00:00Z", -1 },
	{ "2020-01-01T00:00:00UTC", -1 },
	{ "", -1 },
};

static void
test_times(void)
{
	size_t i;
	int64_t got;
	int rc;

	for (i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		got = -1;
		rc = tlslist_time_parse(tcases[i].s, strlen(tcases[i].s), &got);
		if (rc == -1)
			got = -1;
		tap_is_int(got, tcases[i].want, tcases[i].s);
	}
}

static void
test_time_format(void)
{
	static const struct tcase f[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2000-02-29T00:00:00Z", 951782400 },
		{ "2020-06-03T17:25:12Z", 1591205112 },
		{ "9999-12-31T23:59:59Z", 253402300799 },
		{ "invalid", -1 },
		{ "invalid", 253402300800 },
	};
	char buf[TLSLIST_TIME_STRLEN], name[64];
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(name, sizeof(name), "format %" PRId64, f[i].want);
		tap_is_str(tlslist_time_format(f[i].want, buf), f[i].s, name);
	}
}

/* ---- documents ------------------------------------------------------- */

#define V	"\"version\":\"0.1\","
#define TS	"\"timestamp\":1500000000,"
#define EX	"\"expires\":1600000000,"
#define HDR	V TS EX
#define P_A	"\"a.example\":{\"mode\":\"enforce\",\"mxs\":[\"mx.a.example\"]}"
#define DOC(body) "{" HDR body "}"
#define POLS(p)	"\"policies\":{" p "}"
#define AL_G	"\"policy-aliases\":{\"g\":{\"mode\":\"testing\"," \
		"\"mxs\":[\"mx1.g.example\",\".g.example\"]}},"
#define BIN(s)	.json = (s), .len = sizeof(s) - 1

struct dcase {
	const char	*name;
	const char	*json;
	size_t		 len;		/* 0: strlen */
	const char	*why;		/* NULL: valid; else substring of err */
	const char	*domain;	/* valid: look this up */
	const char	*want;		/* "mode [alias=x] mx..." or NULL */
	size_t		 count;		/* valid: number of policies */
};

static const struct dcase dcases[] = {
	{ "minimal", DOC(POLS(P_A)), .domain = "a.example",
	  .want = "enforce mx.a.example", .count = 1 },
	{ "no policies", DOC(POLS("")), .count = 0, .domain = "a.example" },
	{ "string dates", "{" V "\"timestamp\":\"2020-05-20T10:25:12.7-07:00\","
	  "\"expires\":\"2020-06-03T17:25:12Z\"," POLS(P_A) "}",
	  .domain = "a.example", .want = "enforce mx.a.example", .count = 1 },
	{ "suffix pattern to *.", DOC(POLS("\"b.example\":{\"mode\":\"testing\","
	  "\"mxs\":[\".b.example\",\"MX.B.example\"]}")), .domain = "b.example",
	  .want = "testing *.b.example mx.b.example", .count = 1 },
	{ "upper-case key stored lower", DOC(POLS("\"A.Example\":{\"mode\":"
	  "\"enforce\",\"mxs\":[\"mx.a.example\"]}")), .domain = "a.example",
	  .want = "enforce mx.a.example", .count = 1 },
	{ "no parent inheritance", DOC(POLS(P_A)), .domain = "sub.a.example",
	  .count = 1 },
	{ "alias resolved", DOC(AL_G POLS("\"c.example\":{\"policy-alias\":"
	  "\"g\"}," P_A)), .domain = "c.example",
	  .want = "testing alias=g mx1.g.example *.g.example", .count = 2 },
	{ "alias: other keys ignored", DOC(AL_G POLS("\"c.example\":"
	  "{\"policy-alias\":\"g\",\"mode\":\"bogus\",\"mxs\":7}")),
	  .domain = "c.example",
	  .want = "testing alias=g mx1.g.example *.g.example", .count = 1 },
	{ "unused alias", DOC(AL_G POLS(P_A)), .domain = "a.example",
	  .want = "enforce mx.a.example", .count = 1 },
	{ "aliases absent", DOC(POLS(P_A)), .domain = "a.example",
	  .want = "enforce mx.a.example", .count = 1 },
	{ "unknown keys ignored", "{\"x-new\":[1,{\"a\":null}]," HDR
	  POLS("\"a.example\":{\"mode\":\"enforce\",\"report\":\"mailto:x\","
	  "\"mxs\":[\"mx.a.example\"],\"min-tls-version\":\"TLSv1.2\"}") "}",
	  .domain = "a.example", .want = "enforce mx.a.example", .count = 1 },
	{ "pinsets tolerated", DOC("\"pinsets\":{\"p\":{\"static-spki-hashes\":"
	  "[\"x\"]}}," POLS(P_A)), .domain = "a.example",
	  .want = "enforce mx.a.example", .count = 1 },
	{ "empty pinsets", DOC("\"pinsets\":{}," POLS(P_A)), .count = 1 },
	{ "duplicate unknown key ignored", DOC("\"x\":1,\"x\":2," POLS(P_A)),
	  .count = 1 },
	{ "integral float epoch", "{" V "\"timestamp\":1.5e9,\"expires\":"
	  "1600000000.0," POLS(P_A) "}", .count = 1 },
	{ "white space after value", DOC(POLS(P_A)) " \r\n\t", .count = 1 },

	/* Rejected: structure. */
	{ "empty input", "", .why = "empty file" },
	{ "top level array", "[]", .why = "top level must be a JSON object" },
	{ "top level null", "null", .why = "top level must be a JSON object" },
	{ "truncated", "{" HDR "\"policies\":{\"a.example\":{\"mode\":\"enf",
	  .why = "JSON syntax error" },
	{ "text after value", DOC(POLS(P_A)) "{}", .why = "text after the JSON" },
	{ "NUL byte", BIN("{\"version\":\"0.1\"\0}"), .why = "NUL byte" },
	{ "\\u0000 in a key", DOC(POLS("\"a.example\\u0000.evil\":{\"mode\":"
	  "\"enforce\",\"mxs\":[\"mx.a.example\"]}")), .why = "\\u0000 escape" },
	{ "version 0.2", "{\"version\":\"0.2\"," TS EX POLS(P_A) "}",
	  .why = "unsupported version \"0.2\"" },
	{ "version number", "{\"version\":0.1," TS EX POLS(P_A) "}",
	  .why = "version: must be a string" },
	{ "version missing", "{" TS EX POLS(P_A) "}",
	  .why = "missing \"version\"" },
	{ "author not a string", DOC("\"author\":7," POLS(P_A)),
	  .why = "author: must be a string" },
	{ "policies missing", DOC("\"x\":1"), .why = "missing \"policies\"" },
	{ "policies an array", DOC("\"policies\":[]"),
	  .why = "policies: must be an object" },
	{ "aliases an array", DOC("\"policy-aliases\":[]," POLS(P_A)),
	  .why = "policy-aliases: must be an object" },
	{ "policy a string", DOC(POLS("\"a.example\":\"enforce\"")),
	  .why = "policies[\"a.example\"]: must be an object" },

	/* Rejected: times. */
	{ "timestamp missing", "{" V EX POLS(P_A) "}",
	  .why = "missing \"timestamp\"" },
	{ "expires missing", "{" V TS POLS(P_A) "}",
	  .why = "missing \"expires\"" },
	{ "negative epoch", "{" V "\"timestamp\":-1," EX POLS(P_A) "}",
	  .why = "timestamp: must be an integer" },
	{ "float epoch", "{" V TS "\"expires\":1600000000.5," POLS(P_A) "}",
	  .why = "expires: must be an integer" },
	{ "huge epoch", "{" V TS "\"expires\":1e300," POLS(P_A) "}",
	  .why = "expires: must be an integer" },
	{ "epoch past 9999", "{" V TS "\"expires\":253402300800," POLS(P_A) "}",
	  .why = "expires: must be an integer" },
	{ "epoch overflowing double", "{" V TS "\"expires\":1e999," POLS(P_A)
	  "}", .why = "expires: must be an integer" },
	{ "boolean time", "{" V TS "\"expires\":true," POLS(P_A) "}",
	  .why = "expires: must be a string or an integer" },
	{ "bad calendar", "{" V TS "\"expires\":\"2021-02-29T00:00:00Z\","
	  POLS(P_A) "}", .why = "expires: not an RFC 3339" },
	{ "duplicate expires", "{" HDR "\"expires\":1," POLS(P_A) "}",
	  .why = "expires: duplicate key \"expires\"" },

	/* Rejected: aliases. */
	{ "missing alias", DOC(AL_G POLS("\"c.example\":{\"policy-alias\":"
	  "\"h\"}")), .why = "policy alias \"h\" is not defined" },
	{ "alias without aliases", DOC(POLS("\"c.example\":{\"policy-alias\":"
	  "\"g\"}")), .why = "policy alias \"g\" is not defined" },
	{ "nested alias", DOC("\"policy-aliases\":{\"g\":{\"mode\":\"testing\","
	  "\"mxs\":[\"mx.g.example\"]},\"h\":{\"policy-alias\":\"g\"}},"
	  POLS(P_A)), .why = "policy-aliases[\"h\"]: an alias may not refer" },
	{ "alias ref not a string", DOC(AL_G POLS("\"c.example\":"
	  "{\"policy-alias\":[\"g\"]}")), .why = "\"policy-alias\" must be a string" },
	{ "duplicate alias", DOC("\"policy-aliases\":{\"g\":{\"mode\":\"testing\","
	  "\"mxs\":[\"mx.g.example\"]},\"g\":{\"mode\":\"enforce\",\"mxs\":"
	  "[\"mx.g.example\"]}}," POLS(P_A)), .why = "duplicate alias" },
	{ "bad alias policy", DOC("\"policy-aliases\":{\"g\":{\"mode\":\"none\","
	  "\"mxs\":[\"mx.g.example\"]}}," POLS(P_A)),
	  .why = "policy-aliases[\"g\"]: \"mode\" must be" },

	/* Rejected: policies. */
	{ "empty mxs", DOC(POLS("\"a.example\":{\"mode\":\"enforce\",\"mxs\":[]}")),
	  .why = "\"mxs\" must be a non-empty array" },
	{ "mxs a string", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":\"mx.a.example\"}")), .why = "\"mxs\" must be a non-empty" },
	{ "mxs missing", DOC(POLS("\"a.example\":{\"mode\":\"enforce\"}")),
	  .why = "policies[\"a.example\"]: missing \"mxs\"" },
	{ "mx not a string", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":[\"mx.a.example\",5]}")), .why = "\"mxs\"[1] must be a string" },
	{ "mode none", DOC(POLS("\"a.example\":{\"mode\":\"none\",\"mxs\":"
	  "[\"mx.a.example\"]}")), .why = "not \"none\"" },
	{ "mode capitalised", DOC(POLS("\"a.example\":{\"mode\":\"Enforce\","
	  "\"mxs\":[\"mx.a.example\"]}")), .why = "not \"Enforce\"" },
	{ "mode missing", DOC(POLS("\"a.example\":{\"mxs\":[\"mx.a.example\"]}")),
	  .why = "missing \"mode\"" },
	{ "mode a number", DOC(POLS("\"a.example\":{\"mode\":1,\"mxs\":"
	  "[\"mx.a.example\"]}")), .why = "\"mode\" must be a string" },
	{ "duplicate mode", DOC(POLS("\"a.example\":{\"mode\":\"testing\","
	  "\"mode\":\"enforce\",\"mxs\":[\"mx.a.example\"]}")),
	  .why = "duplicate key \"mode\"" },
	{ "duplicate domain", DOC(POLS(P_A "," P_A)),
	  .why = "policies[\"a.example\"]: duplicate domain" },
	{ "duplicate domain by case", DOC(POLS(P_A ",\"A.EXAMPLE\":{\"mode\":"
	  "\"testing\",\"mxs\":[\"mx.a.example\"]}")), .why = "duplicate domain" },
	{ "U-label key", DOC(POLS("\"b\xc3\xbc" "cher.example\":{\"mode\":"
	  "\"enforce\",\"mxs\":[\"mx.a.example\"]}")),
	  .why = "policies[\"b\\xc3\\xbccher.example\"]: invalid domain: non-ASCII" },
	{ "key with trailing dot", DOC(POLS("\"a.example.\":{\"mode\":"
	  "\"enforce\",\"mxs\":[\"mx.a.example\"]}")), .why = "empty label" },
	{ "key with leading dot", DOC(POLS("\".a.example\":{\"mode\":"
	  "\"enforce\",\"mxs\":[\"mx.a.example\"]}")), .why = "empty label" },
	{ "single-label key", DOC(POLS("\"example\":{\"mode\":"
	  "\"enforce\",\"mxs\":[\"mx.a.example\"]}")), .why = "two labels" },
	{ "key with underscore", DOC(POLS("\"a_b.example\":{\"mode\":"
	  "\"enforce\",\"mxs\":[\"mx.a.example\"]}")), .why = "invalid character" },
	{ "control byte escaped in reason", DOC(POLS("\"a\\u0001.example\":{}")),
	  .why = "policies[\"a\\x01.example\"]: invalid domain" },
	{ "mx star pattern", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":[\"*.a.example\"]}")), .why = "mx \"*.a.example\": invalid" },
	{ "mx single label", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":[\"localhost\"]}")), .why = "two labels" },
	{ "mx suffix of one label", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":[\".com\"]}")), .why = "two labels" },
	{ "mx double dot", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":[\"..a.example\"]}")), .why = "empty label" },
	{ "mx IPv4", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":[\"192.0.2.1\"]}")), .why = "last label is numeric" },
	{ "mx label of 64", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".example\"]}")), .why = "label longer than 63" },
	{ "mx hyphen edge", DOC(POLS("\"a.example\":{\"mode\":\"enforce\","
	  "\"mxs\":[\"mx-.a.example\"]}")), .why = "label ends with '-'" },
};

/* describe: "mode [alias=x] mx1 mx2" of a policy. */
static void
describe(const struct tlslist_policy *p, char *buf, size_t size)
{
	size_t n, i;

	n = (size_t)snprintf(buf, size, "%s", tlslist_mode_str(p->mode));
	if (p->alias != NULL && n < size)
		n += (size_t)snprintf(buf + n, size - n, " alias=%s", p->alias);
	for (i = 0; i < p->nmx && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, " %s",
		    tlslist_policy_mx(p, i));
}

static void
run_dcase(const struct dcase *c)
{
	const struct tlslist_policy *p;
	size_t len = c->len ? c->len : strlen(c->json);
	char err[256], got[512];
	struct tlslist *l;

	l = tlslist_parse(c->json, len, err, sizeof(err));
	if (c->why != NULL) {
		if (!tap_ok(l == NULL && strstr(err, c->why) != NULL,
		    "reject: %s", c->name))
			tap_diag("got %s \"%s\", want error containing \"%s\"",
			    l ? "valid" : "error", l ? "" : err, c->why);
		tlslist_free(l);
		return;
	}
	if (!tap_ok(l != NULL, "valid: %s", c->name)) {
		tap_diag("got error \"%s\", want valid", err);
		return;
	}
	p = c->domain ? tlslist_lookup(l, c->domain) : NULL;
	if (p != NULL)
		describe(p, got, sizeof(got));
	tap_is_str(p ? got : NULL, c->want, c->name);
	tap_is_int((intmax_t)tlslist_count(l), (intmax_t)c->count, c->name);
	tlslist_free(l);
}

/* ---- generated inputs ------------------------------------------------ */

/* gen_mxs: a document whose one policy has `n` mx names. */
static char *
gen_mxs(int n)
{
	size_t cap = 256 + (size_t)n * 32, len;
	char *s;
	int i;

	if ((s = malloc(cap)) == NULL)
		return NULL;
	len = (size_t)snprintf(s, cap, "{" HDR "\"policies\":{\"a.example\":"
	    "{\"mode\":\"enforce\",\"mxs\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s\"mx%d.a.example\"",
		    i ? "," : "", i);
	snprintf(s + len, cap - len, "]}}}");
	return s;
}

static void
test_generated(void)
{
	char err[256], *s;
	struct tlslist *l;
	size_t big = (size_t)TLSLIST_MAX_SIZE + 1;

	s = gen_mxs(TLSLIST_MX_MAX);
	l = s ? tlslist_parse(s, strlen(s), err, sizeof(err)) : NULL;
	tap_ok(l != NULL && tlslist_lookup(l, "a.example")->nmx == 128,
	    "128 mxs accepted");
	tlslist_free(l);
	free(s);
	s = gen_mxs(TLSLIST_MX_MAX + 1);
	l = s ? tlslist_parse(s, strlen(s), err, sizeof(err)) : NULL;
	tap_ok(l == NULL && strstr(err, "more than 128") != NULL,
	    "129 mxs rejected");
	free(s);
	/* Oversize is refused before anything is read. */
	if ((s = malloc(big)) != NULL) {
		memset(s, ' ', big);
		s[0] = '{';
		s[big - 1] = '}';
	}
	l = s ? tlslist_parse(s, big, err, sizeof(err)) : NULL;
	tap_ok(l == NULL && strstr(err, "larger than") != NULL,
	    "16 MiB + 1 rejected");
	free(s);
}

/* A 253-byte mx is fine; "*." makes 254 from a 253-byte suffix. */
static void
test_name_lengths(void)
{
	char name[300], doc[600], err[256];
	struct tlslist *l;
	int i;

	/* 63+1+63+1+63+1+61 = 253 */
	memset(name, 'a', 253);
	for (i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	snprintf(doc, sizeof(doc), DOC(POLS("\"a.example\":{\"mode\":"
	    "\"enforce\",\"mxs\":[\"%s\"]}")), name);
	l = tlslist_parse(doc, strlen(doc), err, sizeof(err));
	tap_ok(l != NULL, "mx of 253 bytes accepted");
	tlslist_free(l);
	snprintf(doc, sizeof(doc), DOC(POLS("\"a.example\":{\"mode\":"
	    "\"enforce\",\"mxs\":[\".%s\"]}")), name + 2);
	l = tlslist_parse(doc, strlen(doc), err, sizeof(err));
	tap_ok(l != NULL, "suffix whose *. form has 253 bytes accepted");
	tlslist_free(l);
	snprintf(doc, sizeof(doc), DOC(POLS("\"a.example\":{\"mode\":"
	    "\"enforce\",\"mxs\":[\".%s\"]}")), name + 1);
	l = tlslist_parse(doc, strlen(doc), err, sizeof(err));
	tap_ok(l == NULL && strstr(err, "longer than 253") != NULL,
	    "suffix whose *. form has 254 bytes rejected");
	tlslist_free(l);
}

/* gen_deep: an unknown key holding `depth` nested arrays. */
static char *
gen_deep(size_t depth)
{
	size_t cap = 2 * depth + 256, n;
	char *s;

	if ((s = malloc(cap)) == NULL)
		return NULL;
	n = (size_t)snprintf(s, cap, "{" HDR "\"x\":");
	memset(s + n, '[', depth);
	memset(s + n + depth, ']', depth);
	snprintf(s + n + 2 * depth, cap - n - 2 * depth, "," POLS(P_A) "}");
	return s;
}

/* Depth counts the top-level object: 31 arrays inside it make 32. */
static void
test_depth(void)
{
	static const struct {
		size_t		 depth;
		const char	*why;
	} d[] = {
		{ 31, NULL },
		{ 32, "nested deeper than 32" },
		{ 100000, "nested deeper than 32" },
	};
	char err[256], *s;
	struct tlslist *l;
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		s = gen_deep(d[i].depth);
		l = s ? tlslist_parse(s, strlen(s), err, sizeof(err)) : NULL;
		if (!tap_ok(d[i].why ? l == NULL && strstr(err, d[i].why) :
		    l != NULL, "%zu nested arrays", d[i].depth))
			tap_diag("got \"%s\", want %s", l ? "valid" : err,
			    d[i].why ? d[i].why : "valid");
		tlslist_free(l);
		free(s);
	}
}

/* ---- behaviour ------------------------------------------------------- */

static void
test_expiry_and_match(void)
{
	static const char doc[] = DOC(POLS("\"b.example\":{\"mode\":"
	    "\"enforce\",\"mxs\":[\".b.example\",\"mx.c.example\"]}," P_A));
	const struct tlslist_policy *p;
	struct tlslist *l;
	char err[256];

	if ((l = tlslist_parse(doc, strlen(doc), err, sizeof(err))) == NULL) {
		tap_ok(0, "expiry document parses: %s", err);
		return;
	}
	tap_is_int(tlslist_expired(l, 1599999999), 0, "in force 1 s before");
	tap_is_int(tlslist_expired(l, 1600000000), 1, "expired at expires");
	tap_is_int(tlslist_expired(l, 1600000001), 1, "expired after");
	p = tlslist_lookup(l, "b.example");
	tap_is_int(tlslist_policy_match(p, "mx.b.example"), 1,
	    ".b.example matches mx.b.example");
	tap_is_int(tlslist_policy_match(p, "MX.B.EXAMPLE."), 1,
	    ".b.example matches upper case with root dot");
	tap_is_int(tlslist_policy_match(p, "a.mx.b.example"), 0,
	    ".b.example: one label only");
	tap_is_int(tlslist_policy_match(p, "b.example"), 0,
	    ".b.example does not match b.example");
	tap_is_int(tlslist_policy_match(p, "mx.c.example"), 1, "exact name");
	tap_is_str(tlslist_policy_mx_list_form(p, 0), ".b.example",
	    "list form of *.b.example");
	tap_is_str(tlslist_policy_mx_list_form(p, 1), "mx.c.example",
	    "list form of an exact name");
	tap_ok(tlslist_policy_mx(p, 2) == NULL, "mx past the end is NULL");
	tap_is_str(tlslist_at(l, 0)->domain, "a.example", "sorted: first");
	tap_ok(tlslist_at(l, 2) == NULL, "at past the end is NULL");
	tap_ok(tlslist_author(l) == NULL, "no author");
	tlslist_free(l);
}

/* ---- the real list --------------------------------------------------- */

static char *
slurp(const char *path, size_t *len)
{
	char *buf;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	buf = malloc(TLSLIST_MAX_SIZE);
	*len = buf ? fread(buf, 1, TLSLIST_MAX_SIZE, fp) : 0;
	fclose(fp);
	return buf;
}

static void
check_real_entries(const struct tlslist *l)
{
	const struct tlslist_policy *p, *q;
	char got[512];
	size_t i;
	int sorted = 1;

	p = tlslist_lookup(l, "gmail.com");
	if (p != NULL)
		describe(p, got, sizeof(got));
	tap_is_str(p ? got : NULL, "enforce gmail-smtp-in.l.google.com "
	    "*.gmail-smtp-in.l.google.com", "real: gmail.com");
	p = tlslist_lookup(l, "aol.com");
	if (p != NULL)
		describe(p, got, sizeof(got));
	tap_is_str(p ? got : NULL, "testing alias=yahoo *.am0.yahoodns.net "
	    "mta5.am0.yahoodns.net mta6.am0.yahoodns.net mta7.am0.yahoodns.net",
	    "real: aol.com via alias yahoo");
	p = tlslist_lookup(l, "shintag.com");
	tap_ok(p != NULL && strcmp(tlslist_policy_mx(p, 0),
	    "aspmx.l.google.com") == 0, "real: upper-case mx lowercased");
	tap_ok(tlslist_lookup(l, "lists.eff.org") == NULL,
	    "real: lists.eff.org absent (no inheritance)");
	for (i = 1; (q = tlslist_at(l, i)) != NULL; i++)
		if (strcmp(tlslist_at(l, i - 1)->domain, q->domain) >= 0)
			sorted = 0;
	tap_ok(sorted && i == 926, "real: iteration sorted, 926 entries");
}

static void
test_real(void)
{
	const char *dir = getenv("MTASTS_SRCDIR");
	char path[4096], err[256], t[TLSLIST_TIME_STRLEN];
	struct tlslist *l;
	size_t len = 0;
	char *buf;

	snprintf(path, sizeof(path), "%s/contrib/starttls-list/policy.json",
	    dir ? dir : ".");
	if ((buf = slurp(path, &len)) == NULL) {
		tap_ok(0, "read %s", path);
		return;
	}
	l = tlslist_parse(buf, len, err, sizeof(err));
	free(buf);
	if (!tap_ok(l != NULL, "real list parses")) {
		tap_diag("got \"%s\"", err);
		return;
	}
	tap_is_int((intmax_t)tlslist_count(l), 926, "real: 926 domains");
	tap_is_int((intmax_t)tlslist_count_mode(l, TLSLIST_MODE_ENFORCE), 361,
	    "real: 361 enforce");
	tap_is_int((intmax_t)tlslist_count_mode(l, TLSLIST_MODE_TESTING), 565,
	    "real: 565 testing");
	tap_is_int((intmax_t)tlslist_alias_count(l), 4, "real: 4 aliases");
	tap_is_str(tlslist_time_format(tlslist_expires(l), t),
	    "2020-06-03T17:25:12Z", "real: expires");
	tap_is_int(tlslist_timestamp(l), 1589995512, "real: timestamp");
	tap_is_str(tlslist_version(l), "0.1", "real: version");
	tap_is_str(tlslist_author(l),
	    "Electronic Frontier Foundation https://eff.org", "real: author");
	tap_is_int(tlslist_expired(l, 1591205111), 0, "real: in force before");
	tap_is_int(tlslist_expired(l, 1591205112), 1, "real: expired at");
	check_real_entries(l);
	tlslist_free(l);
}

/* ---- allocation failures -------------------------------------------- */

/*
 * This binary is linked with -Wl,--wrap=malloc,--wrap=calloc (see
 * Makefile.am), and cJSON gets the same allocator through its hooks:
 * while oom_armed, oom_left allocations succeed and every later one
 * fails.  Under ASan, LeakSanitizer checks that each failure path frees
 * what it had taken.
 */
void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);

static int	oom_armed;
static long	oom_left, oom_calls;

static int
oom_grant(void)
{
	if (!oom_armed)
		return 1;
	oom_calls++;
	return oom_left-- > 0;
}

void *
__wrap_malloc(size_t n)
{
	return oom_grant() ? __real_malloc(n) : NULL;
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return oom_grant() ? __real_calloc(n, size) : NULL;
}

static void *
oom_cjson_malloc(size_t n)
{
	return __wrap_malloc(n);
}

static void
test_oom(void)
{
	static const char doc[] = DOC(AL_G POLS("\"b.example\":{\"mode\":"
	    "\"enforce\",\"mxs\":[\".b.example\",\"mx.c.example\"]},"
	    "\"c.example\":{\"policy-alias\":\"g\"}," P_A));
	cJSON_Hooks hooks = { oom_cjson_malloc, free };
	struct tlslist *l = NULL;
	char err[256], name[128];
	long n, silent = 0, allocs = 0;

	cJSON_InitHooks(&hooks);
	for (n = 0; n < 10000; n++) {
		oom_left = n;
		oom_calls = 0;
		err[0] = '\0';
		oom_armed = 1;
		l = tlslist_parse(doc, sizeof(doc) - 1, err, sizeof(err));
		oom_armed = 0;
		if (l != NULL) {
			allocs = oom_calls;
			break;
		}
		if (err[0] == '\0')
			silent++;
	}
	cJSON_InitHooks(NULL);
	tap_ok(l != NULL && n > 3 && allocs == n,
	    "allocation failures: the list parses once its %ld allocations "
	    "succeed", n);
	snprintf(name, sizeof(name), "allocation failures: each of the "
	    "first %ld fails with a reason", n);
	tap_is_int(silent, 0, name);
	if (l != NULL)
		tap_is_int((intmax_t)tlslist_count(l), 3,
		    "allocation failures: then all 3 policies are there");
	tlslist_free(l);
}

int
main(void)
{
	size_t i;

	test_times();
	test_time_format();
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++)
		run_dcase(&dcases[i]);
	test_generated();
	test_name_lengths();
	test_depth();
	test_expiry_and_match();
	test_real();
	test_oom();
	return tap_done();
}
