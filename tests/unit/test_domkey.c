/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_domkey.c: table-driven tests for domkey_normalize() (lookup key
 * normalisation, docs/DESIGN.md §Keys), including hostile keys.  Each key
 * is passed in an exact-size heap copy without a NUL terminator, so
 * ASan catches any read past `len`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chars.h"
#include "domkey.h"
#include "tap.h"

/* A byte-string literal with its length (may contain NUL). */
#define S(lit) lit, sizeof(lit) - 1

#define DOM DOMKEY_DOMAIN
#define NOT DOMKEY_NOT_DOMAIN
#define INV DOMKEY_INVALID

/* Generated keys (filled by setup()); the table points at them. */
static char label63[128], label64[128];	/* label + ".example" */
static char name253[300], name253dot[300], name254[300];
static char parent253[300];		/* "." + name253 */
static char key1025[1100];		/* 1025 bytes of "a.a.a..." */
static char utf8long[1100];		/* U-label whose A-label is > 63 */

struct domkey_case {
	const char	*name;
	const char	*key;
	size_t		 len;		/* (size_t)-1: strlen(key) */
	enum domkey_kind want;
	const char	*out;		/* on DOMAIN */
};

#define GEN(buf) buf, (size_t)-1

static const struct domkey_case cases[] = {
	/* Domains. */
	{ "plain", S("example.com"), DOM, "example.com" },
	{ "case and trailing dot", S("Example.COM."), DOM, "example.com" },
	{ "all upper", S("MX.EXAMPLE.COM"), DOM, "mx.example.com" },
	{ "U-label", S("b\xc3\xbc" "cher.example"), DOM, "xn--bcher-kva.example" },
	{ "upper-case U-label", S("B\xc3\x9c" "CHER.example"), DOM,
	    "xn--bcher-kva.example" },
	{ "upper U-label, trailing dot", S("B\xc3\x9c" "CHER.EXAMPLE."), DOM,
	    "xn--bcher-kva.example" },
	{ "A-label kept", S("xn--bcher-kva.example"), DOM, "xn--bcher-kva.example" },
	{ "upper A-label folded", S("XN--BCHER-KVA.Example"), DOM,
	    "xn--bcher-kva.example" },
	{ "sharp s, non-transitional", S("fa\xc3\x9f.de"), DOM, "xn--fa-hia.de" },
	{ "Japanese labels", S("\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"),
	    DOM, "xn--r8jz45g.xn--zckzah" },
	{ "fullwidth ASCII mapped", S("\xef\xbc\xa5\xef\xbc\xb8.com"), DOM, "ex.com" },
	{ "ideographic full stop mapped", S("a\xe3\x80\x82" "b.example"), DOM,
	    "a.b.example" },
	{ "soft hyphen ignored (UTS #46)", S("a\xc2\xad" "b.com"), DOM, "ab.com" },
	{ "ASCII R-LDH label", S("ab--c.example"), DOM, "ab--c.example" },
	{ "hyphens and digits", S("mx-1.example-2.com"), DOM, "mx-1.example-2.com" },
	{ "numeric first label", S("123.example.com"), DOM, "123.example.com" },
	{ "63-octet label", GEN(label63), DOM, NULL },
	{ "253-octet name", GEN(name253), DOM, NULL },
	{ "253 octets plus root dot", GEN(name253dot), DOM, NULL },

	/* Not mail domains: NOTFOUND without network work. */
	{ "parent key", S(".example.com"), NOT, NULL },
	{ "parent key of a TLD", S(".com"), NOT, NULL },
	{ "parent key, upper, dot", S(".Example.COM."), NOT, NULL },
	{ "parent key, U-label", S(".b\xc3\xbc" "cher.example"), NOT, NULL },
	{ "parent key, 253-octet rest", GEN(parent253), NOT, NULL },
	{ "bracketed IPv4", S("[192.0.2.1]"), NOT, NULL },
	{ "bracketed host", S("[mx.example.com]"), NOT, NULL },
	{ "bracketed host and port", S("[mx.example.com]:25"), NOT, NULL },
	{ "bracketed host, port 587", S("[relay.example]:587"), NOT, NULL },
	{ "bracketed IPv6 literal", S("[IPv6:2001:db8::1]"), NOT, NULL },
	{ "IPv4 literal", S("192.0.2.1"), NOT, NULL },
	{ "IPv4 literal, trailing dot", S("192.0.2.1."), NOT, NULL },
	{ "numeric TLD", S("999.1.1.1"), NOT, NULL },
	{ "IPv6 literal", S("2001:db8::1"), NOT, NULL },
	{ "IPv6 loopback", S("::1"), NOT, NULL },
	{ "IPv4-mapped IPv6", S("::ffff:192.0.2.1"), NOT, NULL },
	{ "single label", S("localhost"), NOT, NULL },
	{ "single label, upper, dot", S("LOCALHOST."), NOT, NULL },
	{ "host:port", S("example.com:587"), NOT, NULL },

	/* Invalid. */
	{ "empty", S(""), INV, NULL },
	{ "NULL key", NULL, 0, INV, NULL },
	{ "lone dot", S("."), INV, NULL },
	{ "two trailing dots", S("example.com.."), INV, NULL },
	{ "empty inner label", S("a..b"), INV, NULL },
	{ "double leading dot", S("..example.com"), INV, NULL },
	{ "two dots", S(".."), INV, NULL },
	{ "leading hyphen", S("-a.com"), INV, NULL },
	{ "trailing hyphen", S("a-.com"), INV, NULL },
	{ "hyphen-only TLD edge", S("a.b-"), INV, NULL },
	{ "underscore", S("a_b.example"), INV, NULL },
	{ "service label", S("_mta-sts.example.com"), INV, NULL },
	{ "space inside", S("exa mple.com"), INV, NULL },
	{ "leading space", S(" example.com"), INV, NULL },
	{ "trailing space", S("example.com "), INV, NULL },
	{ "CRLF", S("example.com\r\n"), INV, NULL },
	{ "LF inside", S("exa\nmple.com"), INV, NULL },
	{ "NUL inside", S("exa\0mple.com"), INV, NULL },
	{ "NUL at end", S("example.com\0"), INV, NULL },
	{ "star label", S("*.example.com"), INV, NULL },
	{ "slash", S("example.com/x"), INV, NULL },
	{ "percent escape", S("ex%41mple.com"), INV, NULL },
	{ "Latin-1, not UTF-8", S("b\xfc" "cher.example"), INV, NULL },
	{ "truncated UTF-8", S("\xc3.example"), INV, NULL },
	{ "overlong UTF-8 dot", S("a\xc0\xae" "b.example"), INV, NULL },
	{ "UTF-8 surrogate", S("\xed\xa0\x80.example"), INV, NULL },
	{ "emoji U-label", S("\xf0\x9f\x98\x80.example"), INV, NULL },
	{ "emoji A-label", S("xn--ls8h.la"), INV, NULL },
	{ "bad punycode", S("xn--zzzz.example"), INV, NULL },
	{ "empty punycode", S("xn--.example"), INV, NULL },
	{ "punycode of ASCII", S("xn--a.example"), INV, NULL },
	{ "ZWJ without context", S("a\xe2\x80\x8d" "b.com"), INV, NULL },
	{ "label mapped to nothing", S("\xc2\xad.com"), INV, NULL },
	{ "inner label mapped to nothing", S("a.\xc2\xad.com"), INV, NULL },
	{ "mapped trailing dot not stripped", S("a.b\xe3\x80\x82"), INV, NULL },
	{ "U-label too long", GEN(utf8long), INV, NULL },
	{ "64-octet label", GEN(label64), INV, NULL },
	{ "254-octet name", GEN(name254), INV, NULL },
	{ "1025-byte key", GEN(key1025), INV, NULL },
	{ "open bracket only", S("["), INV, NULL },
	{ "empty brackets", S("[]"), INV, NULL },
	{ "unclosed bracket", S("[mx.example.com"), INV, NULL },
	{ "bracket, empty port", S("[a.b]:"), INV, NULL },
	{ "bracket, port 0", S("[a.b]:0"), INV, NULL },
	{ "bracket, port 65536", S("[a.b]:65536"), INV, NULL },
	{ "bracket, junk after", S("[a.b]x"), INV, NULL },
	{ "bracket, space inside", S("[a b]"), INV, NULL },
	{ "bracket, CRLF inside", S("[a\r\n]"), INV, NULL },
	{ "empty port", S("example.com:"), INV, NULL },
	{ "named port", S("example.com:smtp"), INV, NULL },
	{ "two colons, not IPv6", S("a:b:c"), INV, NULL },
	{ "host:port, bad host", S("example..com:25"), INV, NULL },
	{ "port only", S(":25"), INV, NULL },
	{ "IPv6 with zone", S("fe80::1%eth0"), INV, NULL },
	{ "parent key, bad rest", S(".exa mple.com"), INV, NULL },
	{ "parent key, bracket", S(".[a.b]"), INV, NULL },
};

static void
fill(char *buf, size_t n, char c)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

/* Three 63-octet labels and one of `last` octets: 192 + last total. */
static void
make_name(char *buf, size_t last)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < 3; i++) {
		fill(buf + strlen(buf), 63, 'a' + i);
		strcat(buf, ".");
	}
	fill(buf + strlen(buf), last, 'z');
}

static void
setup(void)
{
	size_t i;

	fill(label63, 63, 'a');
	strcat(label63, ".example");
	fill(label64, 64, 'a');
	strcat(label64, ".example");
	make_name(name253, 61);
	make_name(name254, 62);
	strcpy(name253dot, name253);
	strcat(name253dot, ".");
	strcpy(parent253, ".");
	strcat(parent253, name253);
	for (i = 0; i < 1025; i++)
		key1025[i] = i % 2 ? '.' : 'a';
	key1025[1025] = '\0';
	/* 60 x U+00FC: its A-label is far over 63 octets. */
	for (i = 0; i < 60; i++)
		memcpy(utf8long + 2 * i, "\xc3\xbc", 2);
	strcpy(utf8long + 120, ".example");
}

static void
check(const struct domkey_case *c)
{
	char out[DOMKEY_MAX + 1], *copy = NULL;
	const char *why = "unset", *want_out;
	size_t len = c->len == (size_t)-1 ? strlen(c->key) : c->len;
	enum domkey_kind k;
	int good;

	memset(out, '#', sizeof(out));
	if (c->key != NULL) {
		if ((copy = malloc(len ? len : 1)) == NULL) {
			tap_ok(0, "%s: out of memory", c->name);
			return;
		}
		memcpy(copy, c->key, len);
	}
	k = domkey_normalize(copy, len, out, &why);
	/* A generated DOMAIN key is already normalised, minus a root dot. */
	want_out = c->want != DOMKEY_DOMAIN ? "" :
	    c->out != NULL ? c->out : c->key;
	if (c->want == DOMKEY_DOMAIN && c->out == NULL &&
	    len > 0 && c->key[len - 1] == '.')
		good = k == c->want && strlen(out) == len - 1 &&
		    strncmp(out, c->key, len - 1) == 0 && why == NULL;
	else
		good = k == c->want && strcmp(out, want_out) == 0 &&
		    (k == DOMKEY_DOMAIN ? why == NULL :
		    why != NULL && *why != '\0');
	if (!tap_ok(good, "%s", c->name))
		tap_diag("got %s \"%s\" (%s), want %s \"%s\"",
		    domkey_kind_name(k), out, why ? why : "no reason",
		    domkey_kind_name(c->want), want_out);
	free(copy);
}

/* chars_ldh against its definition, for all 256 byte values. */
static void
test_ldh_table(void)
{
	int c, want, bad = 0;

	for (c = 0; c < 256; c++) {
		want = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' ? c : c >= 'A' && c <= 'Z' ?
		    c - 'A' + 'a' : 0;
		bad += chars_ldh[c] != want;
	}
	tap_ok(bad == 0, "chars_ldh: all 256 bytes (%d wrong)", bad);
}

/*
 * The rules of a plain ASCII name, written out once more: the result
 * domkey_normalize() must give, whichever of its paths (the one-pass
 * hot path or the label loop) decides.  No "x", so no A-labels.
 */
static enum domkey_kind
ref_kind(const char *key, size_t len)
{
	size_t i, start = 0, labels = 0;
	int digits = 1;

	if (len > 0 && key[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMKEY_MAX)
		return DOMKEY_INVALID;
	for (i = 0; i <= len; i++) {
		if (i < len && key[i] != '.') {
			digits = digits && key[i] >= '0' && key[i] <= '9';
			continue;
		}
		if (i == start || i - start > DOMKEY_LABEL_MAX ||
		    key[start] == '-' || key[i - 1] == '-')
			return DOMKEY_INVALID;
		labels++;
		start = i + 1;
		if (i < len)
			digits = 1;
	}
	return digits || labels < 2 ? DOMKEY_NOT_DOMAIN : DOMKEY_DOMAIN;
}

/* A random name: 1-6 labels of lengths around the limits, some with a
 * root dot.  xorshift, fixed seed: the same keys every run. */
static size_t
random_key(uint32_t *st, char *key)
{
	static const char abc[] = "abzAQZ0189-";
	static const size_t lens[] = { 0, 1, 2, 3, 4, 7, 62, 63, 64 };
	size_t n = 0, labels, l, len, i;

	labels = 1 + (*st = *st ^ *st << 13 ^ *st >> 17 ^ *st << 5) % 6;
	for (l = 0; l < labels; l++) {
		*st ^= *st << 13, *st ^= *st >> 17, *st ^= *st << 5;
		len = *st % 4 == 0 ? lens[*st / 4 % 9] : 1 + *st / 4 % 12;
		if (l > 0)
			key[n++] = '.';
		for (i = 0; i < len; i++) {
			*st ^= *st << 13, *st ^= *st >> 17, *st ^= *st << 5;
			/* mostly letters, so the last label is rarely numeric */
			key[n++] = abc[*st % 8 < 5 ? *st / 8 % 6 :
			    *st / 8 % (sizeof(abc) - 1)];
		}
	}
	if (*st % 7 == 0)
		key[n++] = '.';
	return n;
}

static void
test_differential(void)
{
	char key[8 * 70], out[DOMKEY_MAX + 1], want[DOMKEY_MAX + 2];
	size_t n, i, len, bad = 0, domains = 0;
	uint32_t st = 20261123;
	enum domkey_kind k, wk;

	for (n = 0; n < 200000; n++) {
		len = random_key(&st, key);
		if (len == 0 || key[0] == '.')
			continue;	/* parent keys: their own path */
		wk = ref_kind(key, len);
		k = domkey_normalize(key, len, out, NULL);
		if (wk == DOMKEY_DOMAIN) {	/* then len <= DOMKEY_MAX + 1 */
			for (i = 0; i < len; i++)
				want[i] = key[i] >= 'A' && key[i] <= 'Z' ?
				    (char)(key[i] - 'A' + 'a') : key[i];
			want[key[len - 1] == '.' ? len - 1 : len] = '\0';
			domains++;
		}
		if (k != wk || (k == DOMKEY_DOMAIN ? strcmp(out, want) != 0 :
		    out[0] != '\0')) {
			if (bad++ == 0)
				tap_diag("\"%.*s\": got %s \"%s\", want %s",
				    (int)len, key, domkey_kind_name(k), out,
				    domkey_kind_name(wk));
		}
	}
	tap_ok(bad == 0 && domains > 10000, "200,000 random ASCII names "
	    "(%zu domains) as the written-out rules say (%zu wrong)",
	    domains, bad);
}

int
main(void)
{
	char out[DOMKEY_MAX + 1];
	size_t i;

	setup();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
	tap_is_int(domkey_normalize(S("example.com"), out, NULL),
	    DOMKEY_DOMAIN, "why may be NULL");
	tap_is_str(domkey_kind_name(DOMKEY_NOT_DOMAIN), "not-domain",
	    "kind name");
	tap_is_str(domkey_kind_name((enum domkey_kind)42), "unknown",
	    "kind name out of range");
	test_ldh_table();
	test_differential();
	return tap_done();
}
