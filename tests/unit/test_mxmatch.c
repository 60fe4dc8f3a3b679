/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_mxmatch.c: table-driven tests for mxmatch_match() (RFC 8461
 * §4.1 MX pattern matching), including hostile inputs.
 */
#include <string.h>

#include "mxmatch.h"
#include "tap.h"

/* Long names are built at start-up; the table points at the buffers. */
static char label63[128], label64[128];		/* "a"*63 / "a"*64 + ".example.com" */
static char name253[300], name254[300];		/* total 253 / 254 octets */
static char name253dot[300];			/* name253 + "." */
static char wild253[300];			/* "*." + name253 minus its first label */

struct mxmatch_case {
	const char	*name;
	const char	*pattern;
	const char	*host;
	int		 want;
};

static const struct mxmatch_case cases[] = {
	/* Literal patterns. */
	{ "literal equal", "mx.example.com", "mx.example.com", 1 },
	{ "literal case folds (host upper)", "mx.example.com", "MX.Example.COM", 1 },
	{ "literal case folds (pattern upper)", "MX.EXAMPLE.COM", "mx.example.com", 1 },
	{ "literal differs", "mx.example.com", "mx2.example.com", 0 },
	{ "literal host is prefix", "mx.example.com", "mx.example.co", 0 },
	{ "literal pattern is prefix", "mx.example.co", "mx.example.com", 0 },
	{ "literal is not a suffix match", "example.com", "mx.example.com", 0 },
	{ "host trailing dot", "mx.example.com", "mx.example.com.", 1 },
	{ "pattern trailing dot", "mx.example.com.", "mx.example.com", 1 },
	{ "both trailing dots", "mx.example.com.", "mx.example.com.", 1 },
	{ "host two trailing dots", "mx.example.com", "mx.example.com..", 0 },
	{ "pattern two trailing dots", "mx.example.com..", "mx.example.com", 0 },
	{ "single label literal", "localhost", "localhost", 1 },

	/* Wildcard patterns: exactly one whole left-most label. */
	{ "wildcard one label", "*.example.com", "mx.example.com", 1 },
	{ "wildcard case folds", "*.EXAMPLE.com", "MX.example.COM", 1 },
	{ "wildcard host trailing dot", "*.example.com", "mx.example.com.", 1 },
	{ "wildcard pattern trailing dot", "*.example.com.", "mx.example.com", 1 },
	{ "wildcard not the bare domain", "*.example.com", "example.com", 0 },
	{ "wildcard not two labels", "*.example.com", "a.b.example.com", 0 },
	{ "wildcard not other domain", "*.example.com", "mx.example.net", 0 },
	{ "wildcard suffix trick", "*.example.com", "mx.badexample.com", 0 },
	{ "wildcard extra tail", "*.example.com", "mx.example.com.evil", 0 },
	{ "wildcard over a TLD", "*.com", "example.com", 1 },
	{ "wildcard over TLD not two labels", "*.com", "mx.example.com", 0 },
	{ "wildcard one-char label", "*.example.com", "a.example.com", 1 },

	/* Malformed wildcards never match. */
	{ "star alone", "*", "mx", 0 },
	{ "star dot", "*.", "mx.", 0 },
	{ "star dot vs empty", "*.", "", 0 },
	{ "star then empty label", "*..example.com", "mx..example.com", 0 },
	{ "star inside first label", "*mx.example.com", "xmx.example.com", 0 },
	{ "star after text", "mx*.example.com", "mx1.example.com", 0 },
	{ "double star", "**.example.com", "mx.example.com", 0 },
	{ "star in second label", "mx.*.com", "mx.example.com", 0 },
	{ "two wildcard labels", "*.*.example.com", "a.b.example.com", 0 },
	{ "star in last label", "mx.example.*", "mx.example.com", 0 },
	{ "Postfix-style .suffix is literal", ".example.com", "mx.example.com", 0 },

	/* Hostile hosts. */
	{ "host with star vs same pattern", "*.example.com", "*.example.com", 0 },
	{ "host with star vs literal", "a*.example.com", "a*.example.com", 0 },
	{ "host empty first label", "*.example.com", ".example.com", 0 },
	{ "host empty label, literal", "a..b", "a..b", 0 },
	{ "host leading dot, literal", ".mx.example.com", ".mx.example.com", 0 },
	{ "host only a dot", "*.example.com", ".", 0 },
	{ "empty host", "mx.example.com", "", 0 },
	{ "empty pattern", "", "mx.example.com", 0 },
	{ "both empty", "", "", 0 },
	{ "NULL host", "mx.example.com", NULL, 0 },
	{ "NULL pattern", NULL, "mx.example.com", 0 },
	{ "host CRLF, literal", "mx.example.com\r\n", "mx.example.com\r\n", 0 },
	{ "host CR vs clean pattern", "mx.example.com", "mx.example.com\r", 0 },
	{ "space inside", "mx example.com", "mx example.com", 0 },
	{ "trailing space", "mx.example.com", "mx.example.com ", 0 },
	{ "tab in wildcard host label", "*.example.com", "m\tx.example.com", 0 },
	{ "DEL byte", "mx\x7f.example.com", "mx\x7f.example.com", 0 },

	/* Non-ASCII bytes are compared exactly (no locale folding). */
	{ "UTF-8 exact", "mx.b\xc3\xbc" "cher.example", "MX.b\xc3\xbc" "cher.EXAMPLE", 1 },
	{ "UTF-8 upper not folded", "mx.b\xc3\xbc" "cher.example", "mx.B\xc3\x9c" "CHER.example", 0 },
	{ "Latin-1 byte not folded", "\xc1.example", "\xe1.example", 0 },

	/* Length limits (RFC 1035). */
	{ "63-octet label", label63, label63, 1 },
	{ "63-octet label via wildcard", "*.example.com", label63, 1 },
	{ "64-octet label", label64, label64, 0 },
	{ "64-octet label via wildcard", "*.example.com", label64, 0 },
	{ "253-octet name", name253, name253, 1 },
	{ "253-octet name plus root dot", name253, name253dot, 1 },
	{ "253-octet name via wildcard", wild253, name253, 1 },
	{ "254-octet name", name254, name254, 0 },
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
	fill(label63, 63, 'a');
	strcat(label63, ".example.com");
	fill(label64, 64, 'a');
	strcat(label64, ".example.com");
	make_name(name253, 61);
	make_name(name254, 62);
	strcpy(name253dot, name253);
	strcat(name253dot, ".");
	strcpy(wild253, "*");
	strcat(wild253, strchr(name253, '.'));
}

int
main(void)
{
	size_t i;
	int got;

	setup();
	if (!tap_is_int(strlen(name253), 253, "fixture: name253 length") ||
	    !tap_is_int(strlen(name254), 254, "fixture: name254 length"))
		return tap_done();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mxmatch_case *c = &cases[i];

		got = mxmatch_match(c->pattern, c->host);
		if (!tap_ok(got == c->want, "%s", c->name))
			tap_diag("mxmatch_match(\"%s\", \"%s\"): got %d, want %d",
			    c->pattern ? c->pattern : "(null)",
			    c->host ? c->host : "(null)", got, c->want);
	}
	return tap_done();
}
