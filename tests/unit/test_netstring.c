/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_netstring.c: table-driven tests for the netstring codec
 * (Postfix socketmap framing), including hostile inputs, incremental
 * feeding and pipelined requests.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"
#include "tap.h"

/* A byte-string literal with its length (may contain NUL). */
#define S(lit) lit, sizeof(lit) - 1

#define OK NETSTRING_OK
#define INC NETSTRING_INCOMPLETE
#define ERR NETSTRING_ERROR
#define QMAX NETSTRING_MAX_QUERY

struct decode_case {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	size_t		 max;
	enum netstring_result want;
	const char	*payload;	/* on OK */
	size_t		 plen;
	size_t		 consumed;
};

static const struct decode_case decode_cases[] = {
	/* Valid. */
	{ "basic", S("5:hello,"), QMAX, OK, S("hello"), 8 },
	{ "empty payload", S("0:,"), QMAX, OK, S(""), 3 },
	{ "pipelined pair, first", S("5:hello,5:world,"), QMAX, OK, S("hello"), 8 },
	{ "trailing garbage left for caller", S("5:hello,garbage"), QMAX, OK, S("hello"), 8 },
	{ "double comma", S("5:hello,,"), QMAX, OK, S("hello"), 8 },
	{ "NUL inside payload", S("5:he\0lo,"), QMAX, OK, S("he\0lo"), 8 },
	{ "comma inside payload", S("3:a,b,"), QMAX, OK, S("a,b"), 6 },
	{ "colon payload", S("1::,"), QMAX, OK, S(":"), 4 },
	{ "CRLF inside payload", S("5:\r\nab\n,"), QMAX, OK, S("\r\nab\n"), 8 },
	{ "socketmap request", S("26:mtasts-postfix example.com,"), QMAX, OK,
	    S("mtasts-postfix example.com"), 30 },
	{ "two-digit length", S("12:hello world!,"), QMAX, OK, S("hello world!"), 16 },
	{ "length equals max", S("5:hello,"), 5, OK, S("hello"), 8 },
	{ "max 0, empty payload", S("0:,"), 0, OK, S(""), 3 },

	/* Valid prefixes: need more bytes. */
	{ "empty buffer", S(""), QMAX, INC, NULL, 0, 0 },
	{ "one digit", S("5"), QMAX, INC, NULL, 0, 0 },
	{ "lone zero", S("0"), QMAX, INC, NULL, 0, 0 },
	{ "zero colon", S("0:"), QMAX, INC, NULL, 0, 0 },
	{ "length and colon", S("5:"), QMAX, INC, NULL, 0, 0 },
	{ "partial payload", S("5:hell"), QMAX, INC, NULL, 0, 0 },
	{ "payload without comma", S("5:hello"), QMAX, INC, NULL, 0, 0 },
	{ "comma is payload when length is larger", S("6:hello,"), QMAX, INC, NULL, 0, 0 },
	{ "length at max, no colon", S("10000"), QMAX, INC, NULL, 0, 0 },
	{ "ten digits, huge max", S("9999999999"), SIZE_MAX, INC, NULL, 0, 0 },
	{ "above 2^32, huge max", S("4294967296:"), SIZE_MAX, INC, NULL, 0, 0 },

	/* Errors. */
	{ "negative length", S("-1:"), QMAX, ERR, NULL, 0, 0 },
	{ "plus sign", S("+5:hello,"), QMAX, ERR, NULL, 0, 0 },
	{ "leading space", S(" 5:hello,"), QMAX, ERR, NULL, 0, 0 },
	{ "space before colon", S("5 :hello,"), QMAX, ERR, NULL, 0, 0 },
	{ "semicolon terminator", S("5:hello;"), QMAX, ERR, NULL, 0, 0 },
	{ "payload longer than length", S("4:hello,"), QMAX, ERR, NULL, 0, 0 },
	{ "newline terminator", S("5:hello\n"), QMAX, ERR, NULL, 0, 0 },
	{ "empty length", S(":,"), QMAX, ERR, NULL, 0, 0 },
	{ "colon only", S(":"), QMAX, ERR, NULL, 0, 0 },
	{ "comma only", S(","), QMAX, ERR, NULL, 0, 0 },
	{ "leading zero", S("01:x,"), QMAX, ERR, NULL, 0, 0 },
	{ "double zero", S("00:,"), QMAX, ERR, NULL, 0, 0 },
	{ "leading zero, no colon yet", S("05"), QMAX, ERR, NULL, 0, 0 },
	{ "hex length", S("0x5:hello,"), QMAX, ERR, NULL, 0, 0 },
	{ "letter after digit", S("5x"), QMAX, ERR, NULL, 0, 0 },
	{ "NUL before length", S("\0" "5:hello,"), QMAX, ERR, NULL, 0, 0 },
	{ "NUL in length", S("1\0" "0:"), QMAX, ERR, NULL, 0, 0 },
	{ "non-ASCII digit", S("\xd9\xa5:hello,"), QMAX, ERR, NULL, 0, 0 },
	{ "length above max", S("10001:"), QMAX, ERR, NULL, 0, 0 },
	{ "length above max, no colon", S("10001"), QMAX, ERR, NULL, 0, 0 },
	{ "fails at the digit over max", S("100000"), QMAX, ERR, NULL, 0, 0 },
	{ "one above max 5", S("6:hello!,"), 5, ERR, NULL, 0, 0 },
	{ "max 0, one byte", S("1:a,"), 0, ERR, NULL, 0, 0 },
	{ "above 2^32, query max", S("4294967296:"), QMAX, ERR, NULL, 0, 0 },
	{ "eleven digits, huge max", S("12345678901:"), SIZE_MAX, ERR, NULL, 0, 0 },
	{ "twenty nines, huge max", S("99999999999999999999:"), SIZE_MAX, ERR, NULL, 0, 0 },
	{ "long digit run", S("1111111111111111111111111111111111111111"), SIZE_MAX, ERR,
	    NULL, 0, 0 },
};

static const char *
result_name(enum netstring_result r)
{
	switch (r) {
	case NETSTRING_OK:
		return "OK";
	case NETSTRING_INCOMPLETE:
		return "INCOMPLETE";
	case NETSTRING_ERROR:
		return "ERROR";
	}
	return "?";
}

static void
check_decode(const struct decode_case *c)
{
	const char *payload = "unset", *why = "unset";
	size_t plen = 99, consumed = 99;
	enum netstring_result r;
	int good;

	r = netstring_decode(c->in, c->inlen, c->max, &payload, &plen,
	    &consumed, &why);
	if (c->want == NETSTRING_OK)
		good = r == c->want && plen == c->plen &&
		    consumed == c->consumed && why == NULL &&
		    payload >= c->in && payload + plen <= c->in + c->inlen &&
		    memcmp(payload, c->payload, plen) == 0;
	else
		good = r == c->want && payload == NULL && plen == 0 &&
		    consumed == 0 && why != NULL && *why != '\0';
	if (tap_ok(good, "decode: %s", c->name))
		return;
	tap_diag("got %s plen %zu consumed %zu why \"%s\", "
	    "want %s plen %zu consumed %zu", result_name(r), plen, consumed,
	    why ? why : "(null)", result_name(c->want), c->plen, c->consumed);
}

/* Every proper prefix of a valid netstring is INCOMPLETE; the whole is
 * OK.  Each prefix is decoded from an exact-size heap copy, so ASan
 * catches any read past `len`. */
static void
check_prefixes(const char *name, const char *in, size_t inlen, size_t max)
{
	enum netstring_result r;
	size_t i, consumed;
	char *copy;
	int bad = 0;

	for (i = 0; i <= inlen && !bad; i++) {
		if ((copy = malloc(i ? i : 1)) == NULL)
			break;
		memcpy(copy, in, i);
		r = netstring_decode(copy, i, max, NULL, NULL, &consumed, NULL);
		free(copy);
		if (r != (i < inlen ? NETSTRING_INCOMPLETE : NETSTRING_OK) ||
		    (i == inlen && consumed != inlen)) {
			tap_diag("prefix of %zu bytes: got %s", i,
			    result_name(r));
			bad = 1;
		}
	}
	tap_ok(!bad && i == inlen + 1, "every prefix: %s", name);
}

/* Decode two pipelined netstrings back to back using *consumed. */
static void
check_pipeline(void)
{
	static const char in[] = "5:hello,0:,10:mtasts a.b,";
	const char *p;
	size_t plen, used, off = 0;
	int n = 0, good = 1;

	while (off < sizeof(in) - 1) {
		if (netstring_decode(in + off, sizeof(in) - 1 - off, QMAX, &p,
		    &plen, &used, NULL) != NETSTRING_OK) {
			good = 0;
			break;
		}
		if ((n == 0 && (plen != 5 || memcmp(p, "hello", 5) != 0)) ||
		    (n == 1 && plen != 0) ||
		    (n == 2 && (plen != 10 || memcmp(p, "mtasts a.b", 10))))
			good = 0;
		off += used;
		n++;
	}
	if (!tap_ok(good && n == 3 && off == sizeof(in) - 1,
	    "decode: three pipelined netstrings"))
		tap_diag("got %d netstrings ending at %zu, want 3 ending at %zu",
		    n, off, sizeof(in) - 1);
}

struct encode_case {
	const char	*name;
	const char	*payload;
	size_t		 plen;
	size_t		 max;
	size_t		 outsize;
	const char	*want;		/* NULL: want -1 */
	size_t		 wantlen;
};

static const struct encode_case encode_cases[] = {
	{ "basic", S("hello"), QMAX, 64, S("5:hello,") },
	{ "empty payload", S(""), QMAX, 64, S("0:,") },
	{ "NULL empty payload", NULL, 0, QMAX, 64, S("0:,") },
	{ "NUL inside", S("a\0b"), QMAX, 64, S("3:a\0b,") },
	{ "OK reply", S("OK secure match=.example.com"), QMAX, 64,
	    S("28:OK secure match=.example.com,") },
	{ "NOTFOUND with space", S("NOTFOUND "), QMAX, 64, S("9:NOTFOUND ,") },
	{ "exact fit", S("hello"), QMAX, 8, S("5:hello,") },
	{ "one byte short", S("hello"), QMAX, 7, NULL, 0 },
	{ "no room", S("hello"), QMAX, 0, NULL, 0 },
	{ "plen equals max", S("hello"), 5, 64, S("5:hello,") },
	{ "plen above max", S("hello"), 4, 64, NULL, 0 },
	{ "empty, max 0", S(""), 0, 64, S("0:,") },
};

static void
check_encode(const struct encode_case *c)
{
	char out[64];
	ssize_t got, want;
	int good;

	memset(out, '#', sizeof(out));
	got = netstring_encode(c->outsize ? out : NULL, c->outsize,
	    c->payload, c->plen, c->max);
	want = c->want != NULL ? (ssize_t)c->wantlen : -1;
	if (c->want != NULL)
		good = got == want && memcmp(out, c->want, c->wantlen) == 0 &&
		    out[c->wantlen] == '#';
	else
		good = got == -1 && out[0] == '#';	/* out untouched */
	if (!tap_ok(good, "encode: %s", c->name))
		tap_diag("got %zd \"%.*s\", want %zd \"%s\"", got,
		    got > 0 ? (int)got : 0, out, want, c->want ? c->want : "");
}

/* Big payloads at the Postfix limits, encoded then decoded back. */
static void
check_limits(void)
{
	size_t big = NETSTRING_MAX_REPLY + 16, plen, used;
	char *payload, *out;
	const char *p;
	ssize_t n;

	payload = malloc(big);
	out = malloc(big);
	if (payload == NULL || out == NULL) {
		tap_ok(0, "limits: out of memory");
		goto done;
	}
	memset(payload, 'x', big);
	n = netstring_encode(out, big, payload, QMAX, QMAX);
	tap_is_int(n, QMAX + 7, "encode: query-size payload (10000:...,)");
	tap_is_int(netstring_decode(out, (size_t)n, QMAX, &p, &plen, &used,
	    NULL), NETSTRING_OK, "decode: query-size payload round trip");
	tap_ok(plen == QMAX && used == (size_t)n && p == out + 6,
	    "decode: query-size payload bounds");
	check_prefixes("query-size payload", out, (size_t)n, QMAX);
	out[0] = '2';	/* "20000:" */
	tap_is_int(netstring_decode(out, 6, QMAX, NULL, NULL, NULL, NULL),
	    NETSTRING_ERROR, "decode: double the query limit");
	tap_is_int(netstring_encode(out, big, payload, NETSTRING_MAX_REPLY,
	    NETSTRING_MAX_REPLY), NETSTRING_MAX_REPLY + 8,
	    "encode: reply-size payload");
	tap_is_int(netstring_encode(out, big, payload,
	    NETSTRING_MAX_REPLY + 1, NETSTRING_MAX_REPLY), -1,
	    "encode: reply-size payload plus one");
	tap_is_int(netstring_encode(out, big, payload, SIZE_MAX, SIZE_MAX),
	    -1, "encode: SIZE_MAX payload refused before any copy");
done:
	free(payload);
	free(out);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++)
		check_decode(&decode_cases[i]);
	check_prefixes("basic", S("5:hello,"), QMAX);
	check_prefixes("empty", S("0:,"), QMAX);
	check_prefixes("NUL inside", S("3:\0\0\0,"), QMAX);
	check_prefixes("comma inside", S("3:,,,,"), QMAX);
	check_prefixes("at max", S("5:hello,"), 5);
	check_pipeline();
	for (i = 0; i < sizeof(encode_cases) / sizeof(encode_cases[0]); i++)
		check_encode(&encode_cases[i]);
	check_limits();
	return tap_done();
}
