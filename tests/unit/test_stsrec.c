/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_stsrec.c: unit tests for the "_mta-sts" TXT record parser
 * (resolver/stsrec.c, RFC 8461 §3.1).
 *
 * Tables of cases; each case is one TAP line that checks the result,
 * the id, the exact `why` text (non-NULL on every failure, NULL on OK),
 * that out->id is "" after a failure, and that the same call with
 * out == NULL and why == NULL gives the same result.  Every input is
 * copied into a buffer of exactly its length, so ASan catches a read
 * past `len` (string literals would hide it behind their NUL).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stsrec.h"
#include "tap.h"

/* A literal with its exact length, embedded NULs included. */
#define T(s) (s), (sizeof(s) - 1)

/* Reasons, spelled once so a typo cannot make a case pass. */
#define W_NOPFX	"record does not begin with \"v=STSv1;\""
#define W_NOID	"missing id field"
#define W_EMPTYID	"empty id"
#define W_IDLONG	"id is longer than 32 characters"
#define W_IDCHAR	"id has a character other than a letter or digit"
#define W_SEMI	"expected \";\" between fields"
#define W_TRAILWS	"whitespace at end of record"
#define W_EMPTYF	"empty field"
#define W_NAME1	"field name does not start with a letter or digit"
#define W_NAMELONG	"field name is longer than 32 characters"
#define W_NOEQ	"field without \"=\""
#define W_VALEQ	"field value contains \"=\""
#define W_EMPTYV	"empty field value"
#define W_NUL	"NUL byte in record"
#define W_8BIT	"non-ASCII byte in record"
#define W_CRLF	"CR or LF in record"
#define W_CTL	"control character in record"
#define W_TOOLONG	"record is longer than 65535 bytes"
#define W_SEL0	"no record begins with \"v=STSv1;\""
#define W_SELN	"more than one record begins with \"v=STSv1;\""

#define ID32	"abcdefghijklmnopqrstuvwxyz012345"
#define NAME32	"a_-.5678901234567890123456789012"

struct parse_case {
	const char		*name;
	const char		*txt;
	size_t			 len;
	enum stsrec_result	 want;
	const char		*want_id;	/* NULL: expect "" */
	const char		*want_why;	/* NULL: expect success */
};

static const struct parse_case parse_cases[] = {
	/* Valid records. */
	{ "RFC example", T("v=STSv1; id=20160831085700Z;"),
	    STSREC_OK, "20160831085700Z", NULL },
	{ "no whitespace", T("v=STSv1;id=1"), STSREC_OK, "1", NULL },
	{ "no trailing delimiter", T("v=STSv1; id=abc"), STSREC_OK, "abc",
	    NULL },
	{ "trailing delimiter with WSP", T("v=STSv1; id=abc ; "),
	    STSREC_OK, "abc", NULL },
	{ "HTAB as WSP", T("v=STSv1;\tid=abc\t;\t"), STSREC_OK, "abc", NULL },
	{ "many spaces around ;", T("v=STSv1;   id=x   ;   y=z"),
	    STSREC_OK, "x", NULL },
	{ "id of 32 chars", T("v=STSv1; id=" ID32), STSREC_OK, ID32, NULL },
	{ "extension before id", T("v=STSv1; foo=bar; id=Z9"),
	    STSREC_OK, "Z9", NULL },
	{ "extension name of 32 chars", T("v=STSv1; id=1; " NAME32 "=v"),
	    STSREC_OK, "1", NULL },
	{ "extension name starting with digit", T("v=STSv1; 9x=y; id=1"),
	    STSREC_OK, "1", NULL },
	{ "extension value with all allowed punctuation",
	    T("v=STSv1; id=1; x=!\"#$%&'()*+,-./:<>?@[\\]^_`{|}~"),
	    STSREC_OK, "1", NULL },
	{ "duplicate id: first wins", T("v=STSv1; id=first; id=second"),
	    STSREC_OK, "first", NULL },
	{ "duplicate v= is an ignored extension", T("v=STSv1; v=STSv2; id=1"),
	    STSREC_OK, "1", NULL },
	{ "ID= is an extension, id= still found", T("v=STSv1; ID=a-b; id=x"),
	    STSREC_OK, "x", NULL },

	/* Syntactically invalid STS records. */
	{ "version and ; only", T("v=STSv1;"), STSREC_INVALID, NULL, W_NOID },
	{ "version, ; and space", T("v=STSv1; "), STSREC_INVALID, NULL,
	    W_NOID },
	{ "empty id at end", T("v=STSv1; id="), STSREC_INVALID, NULL,
	    W_EMPTYID },
	{ "empty id before ;", T("v=STSv1; id=;"), STSREC_INVALID, NULL,
	    W_EMPTYID },
	{ "empty id before space", T("v=STSv1; id= ;"), STSREC_INVALID, NULL,
	    W_EMPTYID },
	{ "id of 33 chars", T("v=STSv1; id=" ID32 "6"), STSREC_INVALID, NULL,
	    W_IDLONG },
	{ "id with a space", T("v=STSv1; id=abc def"), STSREC_INVALID, NULL,
	    W_SEMI },
	{ "id with a hyphen", T("v=STSv1; id=2019-01-01"), STSREC_INVALID,
	    NULL, W_IDCHAR },
	{ "id with a dot", T("v=STSv1; id=1.2"), STSREC_INVALID, NULL,
	    W_IDCHAR },
	{ "id with =", T("v=STSv1; id=a=b"), STSREC_INVALID, NULL, W_IDCHAR },
	{ "bad second id is not ignored", T("v=STSv1; id=1; id=a-b"),
	    STSREC_INVALID, NULL, W_IDCHAR },
	{ "ID= only (case-sensitive)", T("v=STSv1; ID=abc"), STSREC_INVALID,
	    NULL, W_NOID },
	{ "Id= only", T("v=STSv1; Id=abc"), STSREC_INVALID, NULL, W_NOID },
	{ "extension only", T("v=STSv1; foo=bar"), STSREC_INVALID, NULL,
	    W_NOID },
	{ "extension name of 33 chars", T("v=STSv1; id=1; " NAME32 "3=v"),
	    STSREC_INVALID, NULL, W_NAMELONG },
	{ "extension value with =", T("v=STSv1; id=1; foo=a=b"),
	    STSREC_INVALID, NULL, W_VALEQ },
	{ "extension value with ;", T("v=STSv1; id=1; foo=a;b"),
	    STSREC_INVALID, NULL, W_NOEQ },
	{ "extension value with space", T("v=STSv1; id=1; foo=a b"),
	    STSREC_INVALID, NULL, W_SEMI },
	{ "field without =", T("v=STSv1; id=1; foo"), STSREC_INVALID, NULL,
	    W_NOEQ },
	{ "field without = before ;", T("v=STSv1; foo; id=1"),
	    STSREC_INVALID, NULL, W_NOEQ },
	{ "empty extension value", T("v=STSv1; id=1; foo="),
	    STSREC_INVALID, NULL, W_EMPTYV },
	{ "HTAB as extension value", T("v=STSv1; id=1; foo=\t"),
	    STSREC_INVALID, NULL, W_EMPTYV },
	{ "empty field name", T("v=STSv1; id=1; =x"), STSREC_INVALID, NULL,
	    W_NAME1 },
	{ "field name starting with _", T("v=STSv1; id=1; _x=y"),
	    STSREC_INVALID, NULL, W_NAME1 },
	{ "space in field name", T("v=STSv1; id=1; foo bar=x"),
	    STSREC_INVALID, NULL, W_NOEQ },
	{ ";; after version", T("v=STSv1;; id=1"), STSREC_INVALID, NULL,
	    W_EMPTYF },
	{ ";; at end", T("v=STSv1; id=1;;"), STSREC_INVALID, NULL, W_EMPTYF },
	{ "trailing WSP without ;", T("v=STSv1; id=1 "), STSREC_INVALID, NULL,
	    W_TRAILWS },
	{ "truncated field name", T("v=STSv1; i"), STSREC_INVALID, NULL,
	    W_NOEQ },
	{ "truncated at id", T("v=STSv1; id"), STSREC_INVALID, NULL, W_NOEQ },

	/* Hostile bytes in an STS record. */
	{ "NUL at end", T("v=STSv1; id=1\0"), STSREC_INVALID, NULL, W_NUL },
	{ "NUL inside id", T("v=STSv1; id=1\0abc"), STSREC_INVALID, NULL,
	    W_NUL },
	{ "NUL right after prefix", T("v=STSv1;\0id=1"), STSREC_INVALID,
	    NULL, W_NUL },
	{ "CRLF at end", T("v=STSv1; id=1\r\n"), STSREC_INVALID, NULL, W_CRLF },
	{ "LF between fields", T("v=STSv1;\nid=1"), STSREC_INVALID, NULL,
	    W_CRLF },
	{ "CR inside id", T("v=STSv1; id=1\r2"), STSREC_INVALID, NULL,
	    W_CRLF },
	{ "SOH in id", T("v=STSv1; id=\001abc"), STSREC_INVALID, NULL, W_CTL },
	{ "ESC in value", T("v=STSv1; id=1; x=\033[0m"), STSREC_INVALID,
	    NULL, W_CTL },
	{ "DEL in value", T("v=STSv1; id=1; x=\177"), STSREC_INVALID, NULL,
	    W_CTL },
	{ "byte 0x80", T("v=STSv1; id=1; x=\x80"), STSREC_INVALID, NULL,
	    W_8BIT },
	{ "byte 0xff", T("v=STSv1; id=\xff"), STSREC_INVALID, NULL, W_8BIT },
	{ "UTF-8 in id", T("v=STSv1; id=caf\xc3\xa9"), STSREC_INVALID, NULL,
	    W_8BIT },
	{ "UTF-8 in extension", T("v=STSv1; id=1; n=\xe2\x98\x83"),
	    STSREC_INVALID, NULL, W_8BIT },

	/* Not STS records at all (§3.1 "do not begin with v=STSv1;"). */
	{ "empty record", T(""), STSREC_NONE, NULL, W_NOPFX },
	{ "truncated prefix", T("v=STS"), STSREC_NONE, NULL, W_NOPFX },
	{ "version alone without ;", T("v=STSv1"), STSREC_NONE, NULL,
	    W_NOPFX },
	{ "space before first ;", T("v=STSv1 ; id=1"), STSREC_NONE, NULL,
	    W_NOPFX },
	{ "lower-case version", T("v=stsv1; id=1"), STSREC_NONE, NULL,
	    W_NOPFX },
	{ "upper-case V", T("V=STSv1; id=1"), STSREC_NONE, NULL, W_NOPFX },
	{ "fields before v=", T("id=1; v=STSv1;"), STSREC_NONE, NULL,
	    W_NOPFX },
	{ "leading space", T(" v=STSv1; id=1"), STSREC_NONE, NULL, W_NOPFX },
	{ "UTF-8 BOM first", T("\xef\xbb\xbfv=STSv1; id=1"), STSREC_NONE,
	    NULL, W_NOPFX },
	{ "NUL inside prefix", T("v=STSv1\0; id=1"), STSREC_NONE, NULL,
	    W_NOPFX },
	{ "other version", T("v=STSv2; id=1"), STSREC_NONE, NULL, W_NOPFX },
	{ "colon instead of ;", T("v=STSv1: id=1"), STSREC_NONE, NULL,
	    W_NOPFX },
	{ "SPF record", T("v=spf1 -all"), STSREC_NONE, NULL, W_NOPFX },
};

struct rec {
	const char	*s;
	size_t		 len;
};

#define SEL_MAX 4

struct select_case {
	const char		*name;
	size_t			 n;
	struct rec		 recs[SEL_MAX];
	enum stsrec_result	 want;
	const char		*want_id;
	const char		*want_why;
};

#define R(s) { T(s) }

static const struct select_case select_cases[] = {
	{ "empty RRset", 0, { { NULL, 0 } }, STSREC_NONE, NULL, W_SEL0 },
	{ "one unrelated record", 1, { R("google-site-verification=x") },
	    STSREC_NONE, NULL, W_SEL0 },
	{ "one valid record", 1, { R("v=STSv1; id=1") }, STSREC_OK, "1",
	    NULL },
	{ "unrelated then STS", 2, { R("v=spf1 -all"), R("v=STSv1; id=a") },
	    STSREC_OK, "a", NULL },
	{ "STS then unrelated", 2, { R("v=STSv1; id=b"), R("v=spf1 -all") },
	    STSREC_OK, "b", NULL },
	{ "two valid STS records", 2, { R("v=STSv1; id=1"),
	    R("v=STSv1; id=2") }, STSREC_MULTIPLE, NULL, W_SELN },
	{ "two identical STS records", 2, { R("v=STSv1; id=1"),
	    R("v=STSv1; id=1") }, STSREC_MULTIPLE, NULL, W_SELN },
	{ "valid and invalid STS records", 2, { R("v=STSv1; id=1"),
	    R("v=STSv1;") }, STSREC_MULTIPLE, NULL, W_SELN },
	{ "STS plus space-before-; look-alike", 2, { R("v=STSv1 ; id=2"),
	    R("v=STSv1; id=1") }, STSREC_OK, "1", NULL },
	{ "STS plus lower-case look-alike", 2, { R("v=STSv1; id=1"),
	    R("v=stsv1; id=2") }, STSREC_OK, "1", NULL },
	{ "STS plus bare version", 2, { R("v=STSv1"), R("v=STSv1; id=1") },
	    STSREC_OK, "1", NULL },
	{ "only a look-alike", 1, { R("v=STSv1 ; id=1") }, STSREC_NONE, NULL,
	    W_SEL0 },
	{ "split strings, joined by caller", 1, { R("v=STSv1; id=" "abc") },
	    STSREC_OK, "abc", NULL },
	{ "split strings passed as two records", 2, { R("v=STSv1; "),
	    R("id=abc") }, STSREC_INVALID, NULL, W_NOID },
	{ "single invalid STS record", 1, { R("v=STSv1; id=a b") },
	    STSREC_INVALID, NULL, W_SEMI },
	{ "invalid STS plus unrelated", 2, { R("v=spf1 -all"),
	    R("v=STSv1; id=\xc3\xa9") }, STSREC_INVALID, NULL, W_8BIT },
	{ "hostile unrelated records are discarded", 4, { R("\0\0\0"),
	    R("\xff\xfe\r\n"), R(""), R("v=STSv1; id=ok") }, STSREC_OK, "ok",
	    NULL },
	{ "NULL record of length 0", 2, { { NULL, 0 }, R("v=STSv1; id=1") },
	    STSREC_OK, "1", NULL },
};

/* An exact-size heap copy, so ASan sees any read past len. */
static char *
dup_exact(const char *s, size_t len)
{
	char *p;

	if ((p = malloc(len ? len : 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	return p;
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Compare one result with its expectation (r2 is the result of the
 * same call with out == NULL and why == NULL); one TAP line.
 */
static void
check(const char *what, const char *name, enum stsrec_result r,
    enum stsrec_result r2, const struct stsrec *out, const char *why,
    enum stsrec_result want, const char *want_id, const char *want_why)
{
	const char *wid = want_id ? want_id : "";

	if (tap_ok(r == want && r2 == want && strcmp(out->id, wid) == 0 &&
	    same_str(why, want_why), "%s: %s", what, name))
		return;
	tap_diag("got %s/%s id \"%s\" why \"%s\", want %s id \"%s\" why "
	    "\"%s\"", stsrec_code(r), stsrec_code(r2), out->id,
	    why ? why : "(null)", stsrec_code(want), wid,
	    want_why ? want_why : "(null)");
}

static void
run_parse(const char *name, const char *txt, size_t len,
    enum stsrec_result want, const char *want_id, const char *want_why)
{
	struct stsrec out;
	enum stsrec_result r, r2;
	const char *why = "sentinel";
	char *buf;

	if ((buf = dup_exact(txt, len)) == NULL) {
		tap_ok(0, "parse: %s: out of memory", name);
		return;
	}
	memset(&out, 'X', sizeof(out));
	out.id[STSREC_ID_MAX] = '\0';	/* "XXX..." if left alone */
	r = stsrec_parse(buf, len, &out, &why);
	r2 = stsrec_parse(buf, len, NULL, NULL);
	check("parse", name, r, r2, &out, why, want, want_id, want_why);
	free(buf);
}

static void
run_select(const struct select_case *c)
{
	const char *txts[SEL_MAX], *why = "sentinel";
	size_t lens[SEL_MAX], i, made = 0;
	enum stsrec_result r, r2;
	struct stsrec out;

	for (i = 0; i < c->n; i++, made++) {
		lens[i] = c->recs[i].len;
		txts[i] = NULL;
		if (c->recs[i].s != NULL &&
		    (txts[i] = dup_exact(c->recs[i].s, lens[i])) == NULL)
			break;
	}
	memset(&out, 'X', sizeof(out));
	out.id[STSREC_ID_MAX] = '\0';	/* "XXX..." if left alone */
	if (made < c->n) {
		tap_ok(0, "select: %s: out of memory", c->name);
		goto done;
	}
	r = stsrec_select(c->n ? txts : NULL, c->n ? lens : NULL, c->n, &out,
	    &why);
	r2 = stsrec_select(txts, lens, c->n, NULL, NULL);
	check("select", c->name, r, r2, &out, why, c->want, c->want_id,
	    c->want_why);
done:
	for (i = 0; i < made; i++)
		free((char *)txts[i]);
}

/*
 * Records of 64 KiB: a valid one of exactly STSREC_RECORD_MAX bytes,
 * one byte more, the maximum with a NUL at its last byte, and 64 KiB of
 * junk that is not an STS record.
 */
static void
run_big(void)
{
	static const char head[] = "v=STSv1; id=big; x=";
	size_t max = STSREC_RECORD_MAX + 1;
	char *buf;

	if ((buf = malloc(max)) == NULL) {
		tap_ok(0, "big records: out of memory");
		return;
	}
	memset(buf, 'a', max);
	memcpy(buf, head, sizeof(head) - 1);
	run_parse("valid record of 65535 bytes", buf, STSREC_RECORD_MAX,
	    STSREC_OK, "big", NULL);
	run_parse("record of 65536 bytes", buf, max, STSREC_INVALID, NULL,
	    W_TOOLONG);
	buf[STSREC_RECORD_MAX - 1] = '\0';
	run_parse("65535 bytes ending in NUL", buf, STSREC_RECORD_MAX,
	    STSREC_INVALID, NULL, W_NUL);
	memset(buf, 'a', max);
	run_parse("64 KiB of junk", buf, max, STSREC_NONE, NULL, W_NOPFX);
	free(buf);
}

/* NULL input with length 0 is an empty record. */
static void
run_null(void)
{
	struct stsrec out;
	const char *why = NULL;
	enum stsrec_result r;

	memset(&out, 'X', sizeof(out));
	out.id[STSREC_ID_MAX] = '\0';	/* "XXX..." if left alone */
	r = stsrec_parse(NULL, 0, &out, &why);
	check("parse", "NULL input", r, stsrec_parse(NULL, 0, NULL, NULL),
	    &out, why, STSREC_NONE, NULL, W_NOPFX);
}

static void
run_codes(void)
{
	static const struct {
		enum stsrec_result	 r;
		const char		*want;
	} codes[] = {
		{ STSREC_OK, "ok" },
		{ STSREC_NONE, "txt-none" },
		{ STSREC_MULTIPLE, "txt-multiple" },
		{ STSREC_INVALID, "txt-invalid" },
		{ (enum stsrec_result)42, "unknown" },
	};
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(name, sizeof(name), "code %d", (int)codes[i].r);
		tap_is_str(stsrec_code(codes[i].r), codes[i].want, name);
	}
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
		run_parse(parse_cases[i].name, parse_cases[i].txt,
		    parse_cases[i].len, parse_cases[i].want,
		    parse_cases[i].want_id, parse_cases[i].want_why);
	for (i = 0; i < sizeof(select_cases) / sizeof(select_cases[0]); i++)
		run_select(&select_cases[i]);
	run_big();
	run_null();
	run_codes();
	return tap_done();
}
