/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_record.c: unit tests for the cache value codec (store/record.c).
 *
 * Tables of cases: round trips (every field compared, strings checked to
 * point into the decoded buffer, re-encoding gives the same bytes),
 * golden bytes (the on-disk format and its byte order are fixed),
 * encoder refusals, hostile values made by patching one field of a
 * valid encoding, and every truncation of a valid value.  Each value is
 * decoded from a heap buffer of exactly its length, so ASan catches a
 * read past `len`.
 *
 * Text forms (format version 2): a table of policy bodies that are, or
 * are almost, the canonical rendering of their fields; each must be
 * written in the expected form and come back byte for byte.  Version-1
 * values, built by hand as the previous encoder wrote them, must still
 * decode; they re-encode to the same bytes, except a canonical text,
 * which becomes its version-2 form.
 *
 * Observation history (format version 3): golden bytes, both text
 * forms, a history of zeros (never version 3), a canonical stored text
 * in version 3, and the older versions read with a history of 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "tap.h"

/* Long strings for limit cases, built once in main(). */
static char id32[RECORD_ID_MAX + 2], code63[RECORD_CODE_MAX + 2];
static char mx253[RECORD_MX_LEN_MAX + 2];
static char text_max[RECORD_TEXT_MAX + 2];
/* Patterns whose encoding fills RECORD_MX_BYTES_MAX exactly. */
#define MX_FULL_MAX	300
#define MX_ALL		((size_t)-1)	/* nmx_src: every one of mx_full */
static const char *mx_full[MX_FULL_MAX];
static size_t mx_full_n;
/* RECORD_MX_MAX + 1 one-letter patterns. */
static const char *mx_many[RECORD_MX_MAX + 1];

static const char *mx_two[] = { "mx1.example.com", "*.example.net" };

static uint8_t *
dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (q == NULL)
		abort();
	if (n > 0)
		memcpy(q, p, n);
	return q;
}

static void
fill(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = '\0';
}

/* Why encoding p fails; NULL when it does not. */
static const char *
pol_encode_why(const struct record_policy *p)
{
	static uint8_t out[RECORD_POLICY_MAX];
	const char *why = NULL;

	if (record_policy_encode(p, out, sizeof(out), &why) >= 0)
		return NULL;
	return why;
}

/* ---- policy round trips ---- */

struct pol_case {
	const char	*name;
	struct record_policy p;
	size_t		 nmx_src;	/* mx from mx_full when > 0 */
	int		 use_text_max;
	int		 many;		/* mx from mx_many (p.nmx of them) */
};

static const struct pol_case pol_cases[] = {
	{ "enforce, two mx", { RECORD_MODE_ENFORCE, 604800, 1700000000,
	    1700003600, 0, 0, "20160831085700Z", "", 2,
	    { "mx1.example.com", "*.example.net" },
	    "version: STSv1\r\nmode: enforce\r\n", 31, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } },
	    0, 0, 0 },
	{ "testing with failure state", { RECORD_MODE_TESTING, 86400,
	    1700000000, 1700000100, 1700000900, 3, "abc", "https-timeout", 1,
	    { "mail.example.org" }, "x", 1, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } }, 0, 0, 0 },
	{ "mode none, no mx, empty text", { RECORD_MODE_NONE, 0, 5, 5, 0, 0,
	    "1", "", 0, { NULL }, "", 0, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } }, 0, 0, 0 },
	{ "NULL id/error/text read as empty", { RECORD_MODE_NONE, 1, 0, 0, 0,
	    0, NULL, NULL, 0, { NULL }, NULL, 0, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } }, 0, 0, 0 },
	{ "extreme integers", { RECORD_MODE_ENFORCE, UINT32_MAX, INT64_MIN,
	    INT64_MAX, -1, UINT32_MAX, "Z", "e", 1, { "a" }, "t", 1,
	    RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } }, 0, 0, 0 },
	{ "UTF-8 and CRLF in text", { RECORD_MODE_TESTING, 3600, 1, 2, 3, 4,
	    "id", "c", 1, { "*.b.c" },
	    "ext: \xc3\xa9t\xc3\xa9\r\nmx: *.b.c\n", 22, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } },
	    0, 0, 0 },
	{ "enforce with a history", { RECORD_MODE_ENFORCE, 604800, 10, 11,
	    0, 0, "h1", "", 1, { "mx.example.com" }, "y", 1,
	    RECORD_TEXT_STORED, 1700000000, 1600000000, { 0, 0, 0, 0, 0 } }, 0, 0, 0 },
	{ "history with extreme times", { RECORD_MODE_TESTING, 1, 1, 1, 1, 1,
	    "h2", "", 1, { "a" }, "", 0, RECORD_TEXT_STORED, INT64_MIN, -1, { 0, 0, 0, 0, 0 } },
	    0, 0, 0 },
	{ "every limit at its maximum", { RECORD_MODE_ENFORCE, 31557600, 1,
	    2, 3, 4, id32, code63, 0, { NULL }, text_max,
	    RECORD_TEXT_MAX, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } }, MX_ALL, 1, 0 },
	/* RFC 8461 sets no limit on mx lines: the most a 64 KiB body can
	 * hold ("mx:a" and LF each), far past the 128 of version 1. */
	{ "RECORD_MX_MAX one-letter patterns", { RECORD_MODE_ENFORCE, 86400,
	    1, 2, 3, 4, "id", "", RECORD_MX_MAX, { NULL }, NULL, 0,
	    RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } }, 0, 0, 1 },
};

static int
pol_equal(const struct record_policy *a, const struct record_policy *b,
    const char **what)
{
	size_t i;

#define CHK(c, w) do { if (!(c)) { *what = (w); return 0; } } while (0)
	CHK(a->mode == b->mode, "mode");
	CHK(a->max_age == b->max_age, "max_age");
	CHK(a->fetched_at == b->fetched_at, "fetched_at");
	CHK(a->txt_checked_at == b->txt_checked_at, "txt_checked_at");
	CHK(a->retry_at == b->retry_at, "retry_at");
	CHK(a->failures == b->failures, "failures");
	CHK(strcmp(a->id ? a->id : "", b->id) == 0, "id");
	CHK(strcmp(a->last_error ? a->last_error : "", b->last_error) == 0,
	    "last_error");
	CHK(a->nmx == b->nmx, "nmx");
	for (i = 0; i < a->nmx; i++)
		CHK(strcmp(a->mx[i], b->mx[i]) == 0, "mx");
	CHK(a->enforce_since == b->enforce_since, "enforce_since");
	CHK(a->testing_since == b->testing_since, "testing_since");
	CHK(a->text_len == b->text_len, "text_len");
	CHK(b->text[b->text_len] == '\0', "text NUL");
	CHK(a->text_len == 0 || memcmp(a->text, b->text, a->text_len) == 0,
	    "text");
#undef CHK
	return 1;
}

/* Do all string fields of `d` point into buf[0..len)? */
static int
pol_points_into(const struct record_policy *d, const uint8_t *buf,
    size_t len)
{
	const char *e = (const char *)buf + len, *b = (const char *)buf;
	size_t i;

	if (d->id < b || d->id >= e || d->last_error < b ||
	    d->last_error >= e || d->text < b || d->text >= e)
		return 0;
	for (i = 0; i < d->nmx; i++)
		if (d->mx[i] < b || d->mx[i] >= e)
			return 0;
	return 1;
}

static void
test_pol_roundtrip(const struct pol_case *c)
{
	static uint8_t out[RECORD_POLICY_MAX], again[RECORD_POLICY_MAX];
	static struct record_policy p, d;
	const char *why = "unset", *what = "?";
	uint8_t *exact;
	ssize_t n;
	size_t i;

	p = c->p;
	if (c->nmx_src == MX_ALL)
		p.nmx = mx_full_n;
	for (i = 0; i < c->nmx_src && i < mx_full_n; i++)
		p.mx[i] = mx_full[i];
	for (i = 0; c->many && i < p.nmx; i++)
		p.mx[i] = mx_many[i];
	n = record_policy_encode(&p, out, sizeof(out), &why);
	if (!tap_ok(n > 0 && (size_t)n == record_policy_size(&p) &&
	    why == NULL, "policy round trip: %s: encode", c->name)) {
		tap_diag("got %zd (%s), want %zu", n, why ? why : "NULL",
		    record_policy_size(&p));
		return;
	}
	exact = dup_exact(out, (size_t)n);
	if (tap_ok(record_policy_decode(exact, (size_t)n, &d, &why) == 0 &&
	    why == NULL && pol_equal(&p, &d, &what) &&
	    pol_points_into(&d, exact, (size_t)n),
	    "policy round trip: %s: decode", c->name) == 0)
		tap_diag("got why \"%s\", field %s differs or points outside",
		    why ? why : "NULL", what);
	tap_ok(record_policy_encode(&d, again, sizeof(again), NULL) == n &&
	    memcmp(again, exact, (size_t)n) == 0,
	    "policy round trip: %s: re-encode gives the same bytes", c->name);
	free(exact);
}

/* ---- negative round trips ---- */

static const struct record_negative neg_cases[] = {
	{ RECORD_NEG_NO_RECORD, 1, 100, 100, 1000, "txt-none" },
	{ RECORD_NEG_DNS_ERROR, 7, 100, 700, 760, "dns-servfail" },
	{ RECORD_NEG_FETCH_ERROR, UINT32_MAX, INT64_MIN, INT64_MAX, -1,
	    "https-timeout" },
	{ RECORD_NEG_POLICY_INVALID, 0, 0, 0, 0, "" },
	{ RECORD_NEG_POLICY_INVALID, 2, 1, 2, 3, NULL },
	{ RECORD_NEG_DNS_ERROR, 2, 1, 2, 3, code63 },
};

static void
test_neg_roundtrip(const struct record_negative *c, size_t idx)
{
	uint8_t out[RECORD_NEGATIVE_MAX], *exact;
	struct record_negative d;
	const char *why = "unset";
	ssize_t n;

	n = record_negative_encode(c, out, sizeof(out), &why);
	exact = dup_exact(out, n > 0 ? (size_t)n : 0);
	tap_ok(n > 0 && (size_t)n == record_negative_size(c) && why == NULL &&
	    record_negative_decode(exact, (size_t)n, &d, &why) == 0 &&
	    why == NULL && d.reason == c->reason && d.count == c->count &&
	    d.first_at == c->first_at && d.last_at == c->last_at &&
	    d.retry_at == c->retry_at &&
	    strcmp(d.code, c->code ? c->code : "") == 0 &&
	    d.code > (char *)exact && d.code < (char *)exact + n,
	    "negative round trip %zu (%s)", idx, record_reason_str(c->reason));
	free(exact);
}

/* ---- golden bytes: the stored format is fixed, little-endian ---- */

/* A policy value up to its mx patterns: version v, text form f. */
#define GOLDEN_POL_HEAD(v, f) \
	(v), 'P', 2, (f),  0x80, 0x51, 0x01, 0,  3, 0, 0, 0, \
	1, 0, 0, 0, 0, 0, 0, 0,  2, 0, 0, 0, 0, 0, 0, 0, \
	0, 0, 0, 0, 0, 0, 0, 0, \
	1, 'Q', 0,  0, 0,  1, 0,  1, 'm', 0
#define GOLDEN_CANON	"version: STSv1\nmode: enforce\nmx: m\nmax_age: 86400\n"

static const uint8_t want_neg[] = {	/* version 1, as ever */
	1, 'N', 1, 0,  0x04, 0x03, 0x02, 0x01,
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
	0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x10, 0, 0, 0, 0, 0, 0, 0,
	2, 'a', 'b', 0
};
static const uint8_t want_pol[] = {	/* stored text "x\n": version 1 */
	GOLDEN_POL_HEAD(1, RECORD_TEXT_STORED),  2, 0, 0, 0, 'x', '\n', 0
};
static const uint8_t want_canon[] = {	/* GOLDEN_CANON as form LF */
	GOLDEN_POL_HEAD(2, RECORD_TEXT_LF)
};

static void
test_golden(void)
{
	struct record_negative n = { RECORD_NEG_DNS_ERROR, 0x01020304,
	    0x0102030405060708LL, -2, 16, "ab" };
	struct record_policy p = { RECORD_MODE_ENFORCE, 86400, 1, 2, 0, 3,
	    "Q", "", 1, { "m" }, "x\n", 2, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } };
	uint8_t buf[256];
	ssize_t len;

	len = record_negative_encode(&n, buf, sizeof(buf), NULL);
	tap_ok(len == (ssize_t)sizeof(want_neg) &&
	    memcmp(buf, want_neg, sizeof(want_neg)) == 0,
	    "golden bytes of a negative record");
	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len == (ssize_t)sizeof(want_pol) &&
	    memcmp(buf, want_pol, sizeof(want_pol)) == 0,
	    "golden bytes of a policy record");
	p.text = GOLDEN_CANON;
	p.text_len = strlen(GOLDEN_CANON);
	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len == (ssize_t)sizeof(want_canon) &&
	    memcmp(buf, want_canon, sizeof(want_canon)) == 0,
	    "golden bytes of a policy whose text is canonical (form 1, "
	    "no text)");
	p.text = NULL;
	p.text_len = 0;
	p.text_form = RECORD_TEXT_LF;
	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len == (ssize_t)sizeof(want_canon) &&
	    memcmp(buf, want_canon, sizeof(want_canon)) == 0,
	    "text form LF given without a text: the same bytes");
}

/* ---- version 1, as the previous encoder wrote it ---- */

/* Version 1: want_pol's layout, byte 3 reserved (0), text always stored. */
static size_t
v1_policy(uint8_t *buf, const char *text)
{
	size_t head = sizeof(want_canon), n = strlen(text);

	memcpy(buf, want_canon, head);
	buf[0] = 1;
	buf[3] = 0;
	buf[head] = (uint8_t)(n & 0xff);
	buf[head + 1] = (uint8_t)(n >> 8);
	buf[head + 2] = buf[head + 3] = 0;
	memcpy(buf + head + 4, text, n + 1);
	return head + 4 + n + 1;
}

/* Decode v, check the text and that re-encoding gives `want`. */
static void
v1_check(const uint8_t *v, size_t len, const char *text, const uint8_t *want,
    size_t wantlen, const char *name)
{
	static char rbuf[RECORD_TEXT_RENDER_MAX];
	uint8_t *exact = dup_exact(v, len), again[512];
	struct record_policy d, d2;
	const char *why = NULL, *t;
	size_t tlen = 0;
	ssize_t n = -1;
	int ok;

	ok = record_policy_decode(exact, len, &d, &why) == 0 &&
	    d.text_form == RECORD_TEXT_STORED && d.text_len == strlen(text) &&
	    strcmp(d.text, text) == 0 && d.max_age == 86400 &&
	    d.failures == 3 && strcmp(d.id, "Q") == 0 && d.nmx == 1 &&
	    strcmp(d.mx[0], "m") == 0;
	if (!tap_ok(ok, "version 1: %s: decodes, text stored", name))
		tap_diag("got why \"%s\"", why ? why : "NULL");
	if (ok)
		n = record_policy_encode(&d, again, sizeof(again), NULL);
	ok = n == (ssize_t)wantlen && memcmp(again, want, wantlen) == 0 &&
	    record_policy_decode(again, (size_t)n, &d2, NULL) == 0 &&
	    (t = record_policy_text(&d2, rbuf, sizeof(rbuf), &tlen)) != NULL &&
	    tlen == strlen(text) && strcmp(t, text) == 0;
	tap_ok(ok, "version 1: %s: re-encodes as %s, same text", name,
	    want[0] == 1 ? "the same bytes" : "version 2");
	free(exact);
}

static void
test_v1(void)
{
	uint8_t v[512], want[512], *x;
	struct record_negative dn;
	struct record_policy d;
	const char *why = NULL;
	size_t len;

	len = v1_policy(v, "x\n");
	memcpy(want, v, len);
	v1_check(v, len, "x\n", want, len, "a text that is not canonical");
	/* The old encoder stored canonical texts too. */
	len = v1_policy(v, GOLDEN_CANON);
	v1_check(v, len, GOLDEN_CANON, want_canon, sizeof(want_canon),
	    "a canonical text");
	/* Version 2 has no stored text: form 0 is not one of its forms. */
	v[0] = 2;
	x = dup_exact(v, len);
	tap_ok(record_policy_decode(x, len, &d, &why) == -1 && why != NULL &&
	    strcmp(why, "invalid text form") == 0,
	    "version 2: a stored text (form 0) is refused");
	free(x);
	v[0] = 1;
	v[3] = 1;
	x = dup_exact(v, len);
	tap_ok(record_policy_decode(x, len, &d, &why) == -1 && why != NULL &&
	    strcmp(why, "reserved byte is not zero") == 0,
	    "version 1: byte 3 is reserved, not a text form");
	free(x);
	memcpy(v, want_neg, sizeof(want_neg));
	v[0] = 1;
	x = dup_exact(v, sizeof(want_neg));
	tap_ok(record_negative_decode(x, sizeof(want_neg), &dn, &why) == 0 &&
	    dn.reason == RECORD_NEG_DNS_ERROR && dn.count == 0x01020304 &&
	    dn.first_at == 0x0102030405060708LL && dn.last_at == -2 &&
	    dn.retry_at == 16 && strcmp(dn.code, "ab") == 0 &&
	    record_negative_encode(&dn, want, sizeof(want), NULL) ==
	    (ssize_t)sizeof(want_neg) &&
	    memcmp(want, want_neg, sizeof(want_neg)) == 0,
	    "version 1: a negative entry decodes, re-encodes the same");
	x[3] = 1;
	tap_ok(record_negative_decode(x, sizeof(want_neg), &dn, &why) == -1 &&
	    strcmp(why, "reserved byte is not zero") == 0,
	    "version 1: negative reserved byte 1 is refused");
	free(x);
	x = dup_exact(want_neg, sizeof(want_neg));
	x[0] = 2;
	tap_ok(record_negative_decode(x, sizeof(want_neg), &dn, &why) == -1 &&
	    strcmp(why, "unsupported record version") == 0,
	    "version 2: there are no version-2 negative entries");
	x[0] = 3;
	tap_ok(record_negative_decode(x, sizeof(want_neg), &dn, &why) == -1 &&
	    strcmp(why, "unsupported record version") == 0,
	    "version 3: there are no version-3 negative entries");
	x[0] = 4;
	tap_ok(record_negative_decode(x, sizeof(want_neg), &dn, &why) == -1 &&
	    strcmp(why, "unsupported record version") == 0,
	    "version 4: there are no version-4 negative entries");
	x[0] = 5;
	tap_ok(record_negative_decode(x, sizeof(want_neg), &dn, &why) == -1 &&
	    strcmp(why, RECORD_WHY_NEWER) == 0 &&
	    record_newer(x, sizeof(want_neg)),
	    "version 5: a newer negative entry is not ours, not corrupt");
	free(x);
}

/* ---- record_newer: which values a newer mtastsd wrote ---- */

static void
test_newer(void)
{
	static const struct {
		uint8_t	b[2];
		size_t	len;
		int	want;
	} cases[] = {
		{ { 0, 0 }, 0, 0 },			/* empty */
		{ { 0, 'P' }, 2, 0 },			/* never ours */
		{ { 1, 'P' }, 2, 0 },			/* v1: ours */
		{ { RECORD_VERSION, 'P' }, 2, 0 },	/* newest: ours */
		{ { RECORD_VERSION + 1, 'P' }, 2, 1 },	/* newer */
		{ { RECORD_VERSION + 1, 'X' }, 1, 1 },	/* any kind */
		{ { 255, 0 }, 1, 1 },
	};
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (record_newer(cases[i].b, cases[i].len) != cases[i].want) {
			tap_diag("case %zu: got %d", i, !cases[i].want);
			ok = 0;
		}
	tap_ok(ok, "record_newer: only a first byte above RECORD_VERSION");
}

/* ---- text forms: canonical bodies are kept as one byte ---- */

#define TF_V	"version: STSv1"
#define TF_M	"mode: enforce"
#define TF_MX1	"mx: mx1.example.net"
#define TF_MX2	"mx: *.example.org"
#define TF_AGE	"max_age: 604800"
#define TF_LF(a, b, c, d, e)	a "\n" b "\n" c "\n" d "\n" e "\n"
#define TF_CRLF(a, b, c, d, e)	a "\r\n" b "\r\n" c "\r\n" d "\r\n" e "\r\n"

struct text_case {
	const char	*name;
	enum record_mode mode;
	uint32_t	 max_age;
	size_t		 nmx;
	const char	*text;
	enum record_text_form want;
};

/* mx patterns of every case: the first nmx of these. */
static const char *const tf_mx[] = { "mx1.example.net", "*.example.org" };

static const struct text_case text_cases[] = {
	{ "canonical, LF", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_LF(TF_V, TF_M, TF_MX1, TF_MX2, TF_AGE), RECORD_TEXT_LF },
	{ "canonical, CRLF", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_CRLF(TF_V, TF_M, TF_MX1, TF_MX2, TF_AGE), RECORD_TEXT_CRLF },
	{ "canonical, mode testing, one mx", RECORD_MODE_TESTING, 86400, 1,
	    TF_V "\r\nmode: testing\r\n" TF_MX1 "\r\nmax_age: 86400\r\n",
	    RECORD_TEXT_CRLF },
	{ "canonical, mode none, no mx", RECORD_MODE_NONE, 86400, 0,
	    TF_V "\nmode: none\nmax_age: 86400\n", RECORD_TEXT_LF },
	{ "canonical, max_age 0", RECORD_MODE_ENFORCE, 0, 1,
	    TF_V "\n" TF_M "\n" TF_MX1 "\nmax_age: 0\n", RECORD_TEXT_LF },
	{ "canonical, max_age 4294967295", RECORD_MODE_ENFORCE, UINT32_MAX, 1,
	    TF_V "\r\n" TF_M "\r\n" TF_MX1 "\r\nmax_age: 4294967295\r\n",
	    RECORD_TEXT_CRLF },
	{ "another field order", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_LF(TF_M, TF_V, TF_MX1, TF_MX2, TF_AGE), RECORD_TEXT_STORED },
	{ "max_age before the mx lines", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_LF(TF_V, TF_M, TF_AGE, TF_MX1, TF_MX2), RECORD_TEXT_STORED },
	{ "an extension field at the end", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_LF(TF_V, TF_M, TF_MX1, TF_MX2, TF_AGE) "ext: 1\n",
	    RECORD_TEXT_STORED },
	{ "an extension field in the middle", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_CRLF(TF_V, TF_M, TF_MX1, "ext: 1", TF_MX2) TF_AGE "\r\n",
	    RECORD_TEXT_STORED },
	{ "no line end after max_age", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_V "\n" TF_M "\n" TF_MX1 "\n" TF_MX2 "\n" TF_AGE,
	    RECORD_TEXT_STORED },
	{ "an empty line at the end", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_LF(TF_V, TF_M, TF_MX1, TF_MX2, TF_AGE) "\n",
	    RECORD_TEXT_STORED },
	{ "mixed line ends, CRLF first", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_V "\r\n" TF_M "\r\n" TF_MX1 "\n" TF_MX2 "\r\n" TF_AGE "\r\n",
	    RECORD_TEXT_STORED },
	{ "mixed line ends, LF first", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_V "\n" TF_M "\n" TF_MX1 "\n" TF_MX2 "\n" TF_AGE "\r\n",
	    RECORD_TEXT_STORED },
	{ "CR line ends", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_V "\r" TF_M "\r" TF_MX1 "\r" TF_MX2 "\r" TF_AGE "\r",
	    RECORD_TEXT_STORED },
	{ "a leading zero in max_age", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_LF(TF_V, TF_M, TF_MX1, TF_MX2, "max_age: 0604800"),
	    RECORD_TEXT_STORED },
	{ "max_age clamped: the text says more", RECORD_MODE_ENFORCE,
	    31557600, 2, TF_LF(TF_V, TF_M, TF_MX1, TF_MX2,
	    "max_age: 99999999999"), RECORD_TEXT_STORED },
	{ "\"version: STSv1 \" (trailing space)", RECORD_MODE_ENFORCE, 604800,
	    2, TF_LF(TF_V " ", TF_M, TF_MX1, TF_MX2, TF_AGE),
	    RECORD_TEXT_STORED },
	{ "\"version: stsv1\"", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_LF("version: stsv1", TF_M, TF_MX1, TF_MX2, TF_AGE),
	    RECORD_TEXT_STORED },
	{ "mode differs from the record's", RECORD_MODE_TESTING, 604800, 2,
	    TF_LF(TF_V, TF_M, TF_MX1, TF_MX2, TF_AGE), RECORD_TEXT_STORED },
	{ "mx lines in another order", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_LF(TF_V, TF_M, TF_MX2, TF_MX1, TF_AGE), RECORD_TEXT_STORED },
	{ "one mx line fewer than the record", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_V "\n" TF_M "\n" TF_MX1 "\n" TF_AGE "\n", RECORD_TEXT_STORED },
	{ "one mx line more than the record", RECORD_MODE_ENFORCE, 604800, 1,
	    TF_LF(TF_V, TF_M, TF_MX1, TF_MX2, TF_AGE), RECORD_TEXT_STORED },
	{ "cut inside a line", RECORD_MODE_ENFORCE, 604800, 2,
	    TF_V "\nmode: enf", RECORD_TEXT_STORED },
	{ "only the version line", RECORD_MODE_ENFORCE, 604800, 0,
	    TF_V "\n", RECORD_TEXT_STORED },
	{ "\"version: STSv1\" without a line end", RECORD_MODE_ENFORCE,
	    604800, 0, TF_V, RECORD_TEXT_STORED },
	{ "empty text", RECORD_MODE_ENFORCE, 604800, 2, "",
	    RECORD_TEXT_STORED },
};

/* Encode c's text, check the form and the size, decode, regenerate. */
static void
test_text_case(const struct text_case *c)
{
	static uint8_t out[RECORD_POLICY_MAX], again[RECORD_POLICY_MAX];
	static char rbuf[RECORD_TEXT_RENDER_MAX];
	static struct record_policy p, d;
	size_t tlen = strlen(c->text), bare, want_len, glen = 0;
	const char *why = NULL, *got = NULL;
	uint8_t *exact;
	ssize_t n;
	int ok;

	memset(&p, 0, sizeof(p));
	p.mode = c->mode;
	p.max_age = c->max_age;
	p.id = "abc";
	p.nmx = c->nmx;
	memcpy(p.mx, tf_mx, c->nmx * sizeof(tf_mx[0]));
	/* No text: a stored empty text, u32 length and NUL (5 bytes). */
	bare = record_policy_size(&p) - 5;
	want_len = c->want == RECORD_TEXT_STORED ? bare + 5 + tlen : bare;
	p.text = c->text;
	p.text_len = tlen;
	n = record_policy_encode(&p, out, sizeof(out), &why);
	if (!tap_ok(n == (ssize_t)want_len && out[3] == c->want &&
	    record_policy_size(&p) == want_len, "text form: %s: written "
	    "as form %d in %zu bytes", c->name, c->want, want_len)) {
		tap_diag("got %zd bytes, form %d (%s)", n, n > 3 ? out[3] : -1,
		    why ? why : "NULL");
		return;
	}
	exact = dup_exact(out, (size_t)n);
	ok = record_policy_decode(exact, (size_t)n, &d, &why) == 0 &&
	    d.text_form == c->want;
	if (ok && c->want == RECORD_TEXT_STORED)
		ok = pol_points_into(&d, exact, (size_t)n);
	else if (ok)
		ok = d.text == NULL && d.text_len == 0;
	if (ok)
		got = record_policy_text(&d, rbuf, sizeof(rbuf), &glen);
	if (!tap_ok(ok && got != NULL && glen == tlen && got[tlen] == '\0' &&
	    memcmp(got, c->text, tlen) == 0 && (got == rbuf) ==
	    (c->want != RECORD_TEXT_STORED), "text form: %s: decodes, the "
	    "text comes back byte for byte", c->name))
		tap_diag("got form %d, text \"%.*s\" (%zu bytes)", d.text_form,
		    got != NULL ? (int)glen : 0, got != NULL ? got : "", glen);
	tap_ok(ok && record_policy_encode(&d, again, sizeof(again), NULL) ==
	    n && memcmp(again, exact, (size_t)n) == 0,
	    "text form: %s: re-encode gives the same bytes", c->name);
	free(exact);
}

/* record_policy_text: limits, and the largest rendering. */
static void
test_render(void)
{
	static char big[RECORD_TEXT_RENDER_MAX + 1];
	static uint8_t out[RECORD_POLICY_MAX];
	static struct record_policy p, d;
	char small[8];
	const char *t;
	size_t len = 1;
	ssize_t n;

	static char last[RECORD_MX_LEN_MAX + 2];
	size_t rem;

	/*
	 * The longest rendering a record may have: RECORD_TEXT_MAX bytes.
	 * Fixed lines with CRLF: "version: STSv1", "mode: enforce" and
	 * "max_age: 4294967295", 52 bytes; then "mx: " pattern CRLF, 259
	 * bytes for a 253-byte pattern, and one shorter pattern to end on
	 * exactly RECORD_TEXT_MAX.
	 */
	memset(&p, 0, sizeof(p));
	p.mode = RECORD_MODE_ENFORCE;
	p.max_age = UINT32_MAX;
	for (rem = RECORD_TEXT_MAX - 52; rem >= 259 + 7; rem -= 259)
		p.mx[p.nmx++] = mx253;
	fill(last, rem - 6, 'l');
	p.mx[p.nmx++] = last;
	p.text_form = RECORD_TEXT_CRLF;
	tap_is_str(pol_encode_why(&p), NULL, "render: a text form of "
	    "RECORD_TEXT_MAX bytes is a valid record");
	t = record_policy_text(&p, big, RECORD_TEXT_RENDER_MAX, &len);
	tap_ok(t == big && len == RECORD_TEXT_RENDER_MAX - 1 &&
	    strlen(big) == len, "render: the largest text fills "
	    "RECORD_TEXT_RENDER_MAX exactly");
	tap_ok(record_policy_text(&p, big, RECORD_TEXT_RENDER_MAX - 1,
	    &len) == NULL && len == 0, "render: one byte less is refused");
	/* The rendering, given as a text, is recognised as canonical. */
	p.text_form = RECORD_TEXT_STORED;
	p.text = big;
	p.text_len = RECORD_TEXT_RENDER_MAX - 1;
	n = record_policy_encode(&p, out, sizeof(out), NULL);
	tap_ok(n > 0 && out[3] == RECORD_TEXT_CRLF &&
	    record_policy_decode(out, (size_t)n, &d, NULL) == 0 &&
	    (t = record_policy_text(&d, big, sizeof(big), &len)) != NULL &&
	    len == p.text_len, "render: the largest text is kept as a form");
	/* One byte more: no policy body that long could have been it. */
	fill(last, rem - 5, 'l');
	p.text = NULL;
	p.text_len = 0;
	p.text_form = RECORD_TEXT_CRLF;
	tap_is_str(pol_encode_why(&p), "text form longer than a policy",
	    "render: a text form of RECORD_TEXT_MAX + 1 bytes is refused");
	p.text_form = RECORD_TEXT_LF;
	n = record_policy_encode(&p, out, sizeof(out), NULL);
	if (n > 0)
		out[3] = RECORD_TEXT_CRLF;	/* the same record, CRLF */
	tap_ok(n > 0 && record_policy_decode(out, (size_t)n, &d, &t) == -1 &&
	    strcmp(t, "text form longer than a policy") == 0,
	    "render: decode refuses it too");
	p.text_form = RECORD_TEXT_STORED;
	p.text = "abc";
	p.text_len = 3;
	tap_ok(record_policy_text(&p, NULL, 0, &len) == p.text && len == 3,
	    "render: a stored text is returned as it is, no buffer needed");
	p.text = NULL;
	p.text_len = 0;
	tap_ok((t = record_policy_text(&p, NULL, 0, &len)) != NULL &&
	    t[0] == '\0' && len == 0, "render: a NULL stored text is \"\"");
	p.text_form = RECORD_TEXT_LF;
	p.nmx = 0;
	tap_ok(record_policy_text(&p, small, sizeof(small), &len) == NULL,
	    "render: a buffer too small gives NULL");
	p.text_form = 3;
	tap_ok(record_policy_text(&p, big, sizeof(big), &len) == NULL,
	    "render: text form 3 gives NULL");
	p.text_form = RECORD_TEXT_LF;
	p.mode = 3;
	tap_ok(record_policy_text(&p, big, sizeof(big), &len) == NULL,
	    "render: mode 3 gives NULL");
}

/* The refresh path: a decoded policy, updated, keeps its text form. */
static void
test_form_kept(void)
{
	uint8_t out[256], *exact;
	struct record_policy d;
	ssize_t n = -1;

	exact = dup_exact(want_canon, sizeof(want_canon));
	if (record_policy_decode(exact, sizeof(want_canon), &d, NULL) == 0) {
		d.failures = 4;
		d.last_error = "https-timeout";
		n = record_policy_encode(&d, out, sizeof(out), NULL);
	}
	tap_ok(n == (ssize_t)sizeof(want_canon) + 13 &&
	    out[3] == RECORD_TEXT_LF && out[8] == 4,
	    "a decoded policy, updated, is written with its text form");
	free(exact);
}

/* ---- observation history: format version 3 ---- */

#define GOLDEN_HISTORY \
	0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0, \
	0x80, 0x35, 0x54, 0x65, 0, 0, 0, 0
static const uint8_t want_hist[] = {	/* GOLDEN_CANON, LF, a history */
	GOLDEN_POL_HEAD(3, RECORD_TEXT_LF), GOLDEN_HISTORY
};
static const uint8_t want_hist_stored[] = {	/* "x\n" and a history */
	GOLDEN_POL_HEAD(3, RECORD_TEXT_STORED), 2, 0, 0, 0, 'x', '\n', 0,
	GOLDEN_HISTORY
};

static void
test_history(void)
{
	struct record_policy p = { RECORD_MODE_ENFORCE, 86400, 1, 2, 0, 3,
	    "Q", "", 1, { "m" }, GOLDEN_CANON, sizeof(GOLDEN_CANON) - 1,
	    RECORD_TEXT_STORED, 1700000000, 1700017536, { 0, 0, 0, 0, 0 } };
	struct record_policy d;
	uint8_t buf[256], *x;
	const char *why;
	ssize_t len;

	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len == (ssize_t)sizeof(want_hist) &&
	    memcmp(buf, want_hist, sizeof(want_hist)) == 0,
	    "history: golden bytes, version 3 with text form LF");
	p.text = "x\n";
	p.text_len = 2;
	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len == (ssize_t)sizeof(want_hist_stored) &&
	    memcmp(buf, want_hist_stored, sizeof(want_hist_stored)) == 0,
	    "history: golden bytes, version 3 with a stored text");
	x = dup_exact(want_hist_stored, sizeof(want_hist_stored));
	tap_ok(record_policy_decode(x, sizeof(want_hist_stored), &d,
	    &why) == 0 && d.enforce_since == 1700000000 &&
	    d.testing_since == 1700017536 && d.text_len == 2,
	    "history: version 3 decodes with both times");
	free(x);
	/* Older versions know no history: they read as 0, 0. */
	x = dup_exact(want_canon, sizeof(want_canon));
	d.enforce_since = d.testing_since = 7;
	tap_ok(record_policy_decode(x, sizeof(want_canon), &d, NULL) == 0 &&
	    d.enforce_since == 0 && d.testing_since == 0,
	    "history: a version-2 policy reads with no history");
	free(x);
	/* Zero history is versions 1 and 2 only: one record, one encoding. */
	memcpy(buf, want_hist, sizeof(want_hist));
	memset(buf + sizeof(want_hist) - RECORD_POLICY_HISTORY, 0,
	    RECORD_POLICY_HISTORY);
	x = dup_exact(buf, sizeof(want_hist));
	tap_ok(record_policy_decode(x, sizeof(want_hist), &d, &why) == -1 &&
	    strcmp(why, "version 3 without a history") == 0,
	    "history: version 3 with both times 0 is refused");
	free(x);
	p.enforce_since = 0;
	p.testing_since = 0;
	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len > 0 && buf[0] == 1,
	    "history: both times 0 are written as version 1 or 2");
	p.testing_since = -5;
	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len > 0 && buf[0] == 3,
	    "history: one time not 0 (even negative) needs version 3");
}

/* A version-3 stored text that is canonical: its text form, still v3. */
static void
test_history_canon_stored(void)
{
	static const uint8_t v[] = {
		GOLDEN_POL_HEAD(3, RECORD_TEXT_STORED),
		sizeof(GOLDEN_CANON) - 1, 0, 0, 0, 'v', 'e', 'r', 's', 'i',
		'o', 'n', ':', ' ', 'S', 'T', 'S', 'v', '1', '\n', 'm', 'o',
		'd', 'e', ':', ' ', 'e', 'n', 'f', 'o', 'r', 'c', 'e', '\n',
		'm', 'x', ':', ' ', 'm', '\n', 'm', 'a', 'x', '_', 'a', 'g',
		'e', ':', ' ', '8', '6', '4', '0', '0', '\n', 0,
		GOLDEN_HISTORY
	};
	struct record_policy d;
	uint8_t out[256], *x = dup_exact(v, sizeof(v));
	ssize_t n = -1;

	if (record_policy_decode(x, sizeof(v), &d, NULL) == 0)
		n = record_policy_encode(&d, out, sizeof(out), NULL);
	tap_ok(n == (ssize_t)sizeof(want_hist) &&
	    memcmp(out, want_hist, sizeof(want_hist)) == 0,
	    "history: a canonical stored text re-encodes as its text form");
	free(x);
}

/* Version 4: the DANE summary after the history (which may be 0). */
#define GOLDEN_DANE \
	2, 7, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0
static const uint8_t want_dane[] = {	/* GOLDEN_CANON, LF, DANE */
	GOLDEN_POL_HEAD(4, RECORD_TEXT_LF), GOLDEN_DANE, 0
};
static const uint8_t want_dane_hist[] = {	/* ... and a history */
	GOLDEN_POL_HEAD(4, RECORD_TEXT_LF), GOLDEN_DANE, 1, GOLDEN_HISTORY
};

static void
test_dane(void)
{
	struct record_policy p = { RECORD_MODE_ENFORCE, 86400, 1, 2, 0, 3,
	    "Q", "", 1, { "m" }, GOLDEN_CANON, sizeof(GOLDEN_CANON) - 1,
	    RECORD_TEXT_STORED, 0, 0, { 1, 2, 7, 0x10, 0x20 } };
	struct record_policy d;
	uint8_t buf[256], *x;
	const char *why;
	ssize_t len;

	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len == (ssize_t)sizeof(want_dane) &&
	    memcmp(buf, want_dane, sizeof(want_dane)) == 0,
	    "dane: golden bytes, version 4 without a history");
	x = dup_exact(want_dane, sizeof(want_dane));
	tap_ok(record_policy_decode(x, sizeof(want_dane), &d, &why) == 0 &&
	    d.dane.known == 1 && d.dane.verdict == 2 && d.dane.why == 7 &&
	    d.dane.checked_at == 0x10 && d.dane.expires_at == 0x20 &&
	    d.enforce_since == 0 && d.testing_since == 0 &&
	    record_policy_encode(&d, buf, sizeof(buf), NULL) ==
	    (ssize_t)sizeof(want_dane) &&
	    memcmp(buf, want_dane, sizeof(want_dane)) == 0,
	    "dane: version 4 decodes, re-encodes the same");
	free(x);
	memcpy(buf, want_dane, sizeof(want_dane));
	buf[sizeof(want_dane) - RECORD_POLICY_DANE] = 4;	/* verdict */
	x = dup_exact(buf, sizeof(want_dane));
	tap_ok(record_policy_decode(x, sizeof(want_dane), &d, &why) == -1 &&
	    strcmp(why, "invalid DANE verdict") == 0,
	    "dane: a verdict above 3 is refused");
	free(x);
	x = dup_exact(want_dane, sizeof(want_dane) - 1);
	tap_ok(record_policy_decode(x, sizeof(want_dane) - 1, &d, &why) == -1,
	    "dane: a truncated summary is refused");
	free(x);
	memcpy(buf, want_dane, sizeof(want_dane));
	buf[sizeof(want_dane) - 1] = 2;
	x = dup_exact(buf, sizeof(want_dane));
	tap_ok(record_policy_decode(x, sizeof(want_dane), &d, &why) == -1 &&
	    strcmp(why, "invalid history flag") == 0,
	    "dane: a history flag other than 0 or 1 is refused");
	free(x);
	memcpy(buf, want_dane_hist, sizeof(want_dane_hist));
	memset(buf + sizeof(want_dane_hist) - RECORD_POLICY_HISTORY, 0,
	    RECORD_POLICY_HISTORY);
	x = dup_exact(buf, sizeof(want_dane_hist));
	tap_ok(record_policy_decode(x, sizeof(want_dane_hist), &d, &why) ==
	    -1 && strcmp(why, "history flag without a history") == 0,
	    "dane: history flag 1 with both times 0 is refused");
	free(x);
	p.enforce_since = 1700000000;
	p.testing_since = 1700017536;
	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len == (ssize_t)sizeof(want_dane_hist) &&
	    memcmp(buf, want_dane_hist, sizeof(want_dane_hist)) == 0,
	    "dane: golden bytes, version 4 with a history");
	x = dup_exact(want_dane_hist, sizeof(want_dane_hist));
	tap_ok(record_policy_decode(x, sizeof(want_dane_hist), &d, NULL) ==
	    0 && d.dane.known == 1 && d.dane.verdict == 2 &&
	    d.enforce_since == 1700000000 && d.testing_since == 1700017536,
	    "dane: version 4 with a history decodes both");
	free(x);
	p.enforce_since = p.testing_since = 0;
	/* Older versions carry none: known 0. */
	x = dup_exact(want_hist, sizeof(want_hist));
	d.dane.known = 1;
	tap_ok(record_policy_decode(x, sizeof(want_hist), &d, NULL) == 0 &&
	    d.dane.known == 0 && d.dane.verdict == 0,
	    "dane: a version-3 policy reads with no DANE summary");
	free(x);
	p.dane.verdict = 4;
	tap_is_str(pol_encode_why(&p), "invalid DANE verdict",
	    "dane: the encoder refuses a verdict above 3");
	p.dane.verdict = 0;
	p.dane.known = 2;
	tap_is_str(pol_encode_why(&p), "invalid DANE verdict",
	    "dane: the encoder refuses known other than 0 or 1");
	p.dane.known = 0;
	len = record_policy_encode(&p, buf, sizeof(buf), NULL);
	tap_ok(len > 0 && buf[0] == 2,
	    "dane: without a summary, the lowest version as before");
}

/* record_policy_clear: every field zero (as memset), the mx array left. */
static void
test_clear(void)
{
	static struct record_policy p, z;

	memset(&p, 0xa5, sizeof(p));
	p.mx[0] = "kept";
	record_policy_clear(&p);
	z.mx[0] = "kept";
	tap_ok(p.mode == 0 && p.max_age == 0 && p.fetched_at == 0 &&
	    p.txt_checked_at == 0 && p.retry_at == 0 && p.failures == 0 &&
	    p.id == NULL && p.last_error == NULL && p.nmx == 0 &&
	    p.text == NULL && p.text_len == 0 &&
	    p.text_form == RECORD_TEXT_STORED && p.enforce_since == 0 &&
	    p.testing_since == 0 && p.dane.known == 0 &&
	    p.dane.verdict == 0 && p.dane.why == 0 &&
	    p.dane.checked_at == 0 && p.dane.expires_at == 0 &&
	    p.mx[0] == z.mx[0],
	    "record_policy_clear: every field 0 but mx[], which is left");
}

/* ---- encoder refusals ---- */

struct enc_fail_case {
	const char	*name;
	void		 (*patch)(struct record_policy *);
	const char	*want_why;
};

static char id33[RECORD_ID_MAX + 2], code64[RECORD_CODE_MAX + 2];
static char mx254[RECORD_MX_LEN_MAX + 2];

static void p_mode(struct record_policy *p) { p->mode = 3; }
static void p_id33(struct record_policy *p) { p->id = id33; }
static void p_iddash(struct record_policy *p) { p->id = "a-b"; }
static void p_idsp(struct record_policy *p) { p->id = "a b"; }
static void p_code64(struct record_policy *p) { p->last_error = code64; }
static void p_codesp(struct record_policy *p) { p->last_error = "dns error"; }
static void p_code8(struct record_policy *p) { p->last_error = "\xc3\xa9"; }
static void p_nmx(struct record_policy *p) { p->nmx = RECORD_MX_MAX + 1; }
static void p_mxempty(struct record_policy *p) { p->mx[1] = ""; }
static void p_mxnull(struct record_policy *p) { p->mx[0] = NULL; }
static void p_mx254(struct record_policy *p) { p->mx[0] = mx254; }
static void p_mxtab(struct record_policy *p) { p->mx[0] = "a\tb"; }
static void p_textlong(struct record_policy *p) {
	p->text = text_max; p->text_len = RECORD_TEXT_MAX + 1; }
static void p_textnul(struct record_policy *p) {
	p->text = "ab\0cd"; p->text_len = 5; }
static void p_textnull(struct record_policy *p) {
	p->text = NULL; p->text_len = 3; }
static void p_form3(struct record_policy *p) { p->text_form = 3; }
static void p_formlf(struct record_policy *p) {
	p->text_form = RECORD_TEXT_LF; }
static void p_formcrlf(struct record_policy *p) {
	p->text_form = RECORD_TEXT_CRLF; p->text = NULL; p->text_len = 1; }

static const struct enc_fail_case enc_fail_cases[] = {
	{ "mode 3", p_mode, "invalid mode" },
	{ "id of 33 characters", p_id33, "id too long" },
	{ "id with '-'", p_iddash, "invalid character in id" },
	{ "id with a space", p_idsp, "invalid character in id" },
	{ "error code of 64 bytes", p_code64, "error code too long" },
	{ "error code with a space", p_codesp,
	    "invalid character in error code" },
	{ "error code with UTF-8", p_code8, "invalid character in error code" },
	{ "129 mx patterns", p_nmx, "too many mx patterns" },
	{ "empty mx pattern", p_mxempty, "empty mx pattern" },
	{ "NULL mx pattern", p_mxnull, "empty mx pattern" },
	{ "mx pattern of 254 bytes", p_mx254, "mx pattern too long" },
	{ "mx pattern with TAB", p_mxtab, "invalid character in mx pattern" },
	{ "text of 64 KiB + 1", p_textlong, "policy text too long" },
	{ "NUL in text", p_textnul, "NUL in policy text" },
	{ "NULL text with a length", p_textnull, "NULL policy text" },
	{ "text form 3", p_form3, "invalid text form" },
	{ "text form LF with a text", p_formlf,
	    "policy text given with a text form" },
	{ "text form CRLF with a text length", p_formcrlf,
	    "policy text given with a text form" },
};

static void
test_enc_fail(const struct enc_fail_case *c)
{
	struct record_policy p = { RECORD_MODE_ENFORCE, 86400, 1, 2, 0, 0,
	    "abc", "", 2, { mx_full[0], mx_full[1] }, "t", 1,
	    RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } };
	static uint8_t buf[RECORD_POLICY_MAX + 1024];
	const char *why = NULL;
	ssize_t n;

	c->patch(&p);
	n = record_policy_encode(&p, buf, sizeof(buf), &why);
	if (!tap_ok(n == -1 && why != NULL && strcmp(why, c->want_why) == 0 &&
	    record_policy_size(&p) == 0, "encode refuses: %s", c->name))
		tap_diag("got %zd \"%s\", want -1 \"%s\"", n,
		    why ? why : "NULL", c->want_why);
}

static void
test_enc_small(void)
{
	struct record_policy p = { RECORD_MODE_ENFORCE, 86400, 1, 2, 0, 0,
	    "abc", "", 1, { "mx.example" }, "t", 1, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } };
	struct record_negative n = { RECORD_NEG_NO_RECORD, 1, 1, 1, 1, "x" };
	struct record_negative bad = { 4, 1, 1, 1, 1, "x" };
	uint8_t buf[RECORD_NEGATIVE_MAX];
	size_t need = record_policy_size(&p);
	const char *why = NULL;

	tap_ok(record_policy_encode(&p, buf, need - 1, &why) == -1 &&
	    why != NULL && strcmp(why, "buffer too small") == 0,
	    "policy: a buffer one byte short is refused");
	tap_ok(record_policy_encode(&p, buf, need, NULL) == (ssize_t)need,
	    "policy: a buffer of exactly record_policy_size() is enough");
	tap_ok(record_negative_encode(&n, buf, record_negative_size(&n) - 1,
	    &why) == -1 && strcmp(why, "buffer too small") == 0,
	    "negative: a buffer one byte short is refused");
	tap_ok(record_negative_encode(&bad, buf, sizeof(buf), &why) == -1 &&
	    strcmp(why, "invalid reason") == 0 &&
	    record_negative_size(&bad) == 0,
	    "negative: reason 4 is refused");
	n.code = "tab\there";
	tap_ok(record_negative_encode(&n, buf, sizeof(buf), &why) == -1 &&
	    strcmp(why, "invalid character in error code") == 0,
	    "negative: code with TAB is refused");
}

/* ---- hostile values: one field of a valid encoding patched ---- */

/* The reference value and where its fields start. */
static uint8_t ref[512];
static size_t ref_len;
enum anchor { A_START, A_ID, A_ERR, A_NMX, A_MX0, A_TEXT, A_END };
static size_t anchors[A_END + 1];

static void
build_ref(void)
{
	struct record_policy p = { RECORD_MODE_ENFORCE, 604800, 1700000000,
	    1700000000, 0, 0, "abc", "x", 2, { "mx1.example.com",
	    "*.example.net" }, "version: STSv1\r\n", 16, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } };

	ref_len = (size_t)record_policy_encode(&p, ref, sizeof(ref), NULL);
	anchors[A_START] = 0;
	anchors[A_ID] = RECORD_POLICY_FIXED;
	anchors[A_ERR] = anchors[A_ID] + 1 + 3 + 1;
	anchors[A_NMX] = anchors[A_ERR] + 1 + 1 + 1;
	anchors[A_MX0] = anchors[A_NMX] + 2;
	anchors[A_TEXT] = ref_len - 4 - 16 - 1;
	anchors[A_END] = ref_len;
}

struct patch_case {
	const char	*name;
	enum anchor	 at;
	size_t		 delta;
	size_t		 n;	/* bytes to write; 0: cut here */
	uint8_t		 bytes[4];
	const char	*want_why;
};

static const struct patch_case patch_cases[] = {
	{ "version 0", A_START, 0, 1, { 0 }, "unsupported record version" },
	{ "version 3 without its history", A_START, 0, 1, { 3 },
	    "truncated record" },
	{ "version 4 without its DANE summary", A_START, 0, 1, { 4 },
	    "truncated record" },
	{ "version 5 (newer: not ours)", A_START, 0, 1, { 5 },
	    RECORD_WHY_NEWER },
	{ "version 2 (has no stored text)", A_START, 0, 1, { 2 },
	    "invalid text form" },
	{ "version 1 with text form LF", A_START, 3, 1, { RECORD_TEXT_LF },
	    "reserved byte is not zero" },
	{ "version 255 (newer)", A_START, 0, 1, { 255 }, RECORD_WHY_NEWER },
	{ "kind N read as a policy", A_START, 1, 1, { 'N' },
	    "not a policy record" },
	{ "version 2, text form 3", A_START, 0, 4, { 2, 'P', 2, 3 },
	    "invalid text form" },
	{ "version 2, text form 255", A_START, 0, 4, { 2, 'P', 2, 255 },
	    "invalid text form" },
	{ "version 2, text form LF, then a text", A_START, 0, 4,
	    { 2, 'P', 2, RECORD_TEXT_LF }, "trailing bytes after record" },
	{ "version 2, text form CRLF, then a text", A_START, 0, 4,
	    { 2, 'P', 2, RECORD_TEXT_CRLF }, "trailing bytes after record" },
	{ "mode 3", A_START, 2, 1, { 3 }, "invalid mode" },
	{ "mode 255", A_START, 2, 1, { 255 }, "invalid mode" },
	{ "id length 33", A_ID, 0, 1, { 33 }, "bad id length" },
	{ "id length 255", A_ID, 0, 1, { 255 }, "bad id length" },
	{ "id length past the end", A_ID, 0, 1, { 4 },
	    "invalid character in string" },
	{ "id with '-'", A_ID, 2, 1, { '-' }, "invalid character in string" },
	{ "id with NUL inside", A_ID, 2, 1, { 0 },
	    "invalid character in string" },
	{ "id not NUL-terminated", A_ID, 4, 1, { 'd' },
	    "string not NUL-terminated" },
	{ "error code length 64", A_ERR, 0, 1, { 64 },
	    "bad error code length" },
	{ "error code with a space", A_ERR, 1, 1, { ' ' },
	    "invalid character in string" },
	{ "mx count RECORD_MX_MAX + 1", A_NMX, 0, 2,
	    { (RECORD_MX_MAX + 1) & 0xff, (RECORD_MX_MAX + 1) >> 8 },
	    "too many mx patterns" },
	{ "mx count 0xffff", A_NMX, 0, 2, { 0xff, 0xff },
	    "too many mx patterns" },
	{ "mx count 3 (one more than present)", A_NMX, 0, 1, { 3 },
	    "invalid character in string" },
	{ "mx count 1 (one fewer)", A_NMX, 0, 1, { 1 },
	    "bad policy text length" },
	{ "mx length 0", A_MX0, 0, 1, { 0 }, "bad mx pattern length" },
	{ "mx length 254", A_MX0, 0, 1, { 254 }, "bad mx pattern length" },
	{ "mx with 0x7f", A_MX0, 1, 1, { 0x7f },
	    "invalid character in string" },
	{ "mx with 8-bit byte", A_MX0, 1, 1, { 0xc3 },
	    "invalid character in string" },
	{ "text length 65537", A_TEXT, 0, 4, { 0x01, 0x00, 0x01, 0x00 },
	    "bad policy text length" },
	{ "text length 0xffffffff", A_TEXT, 0, 4, { 0xff, 0xff, 0xff, 0xff },
	    "bad policy text length" },
	{ "text length 65536 (past the end)", A_TEXT, 0, 4,
	    { 0x00, 0x00, 0x01, 0x00 }, "truncated record" },
	{ "text length one short", A_TEXT, 0, 1, { 15 },
	    "string not NUL-terminated" },
	{ "NUL inside text", A_TEXT, 5, 1, { 0 },
	    "invalid character in string" },
	{ "truncated inside the header", A_START, 10, 0, { 0 },
	    "truncated record" },
	{ "empty value", A_START, 0, 0, { 0 }, "truncated record" },
};

static void
test_patch(const struct patch_case *c)
{
	struct record_policy d;
	const char *why = NULL;
	size_t off = anchors[c->at] + c->delta, len = ref_len;
	uint8_t *v = dup_exact(ref, ref_len);
	int rc;

	if (c->n == 0)
		len = off;
	else
		memcpy(v + off, c->bytes, c->n);
	rc = record_policy_decode(v, len, &d, &why);
	if (!tap_ok(rc == -1 && why != NULL &&
	    strcmp(why, c->want_why) == 0, "decode refuses: %s", c->name))
		tap_diag("got %d \"%s\", want -1 \"%s\"", rc,
		    why ? why : "NULL", c->want_why);
	free(v);
}

/*
 * Every byte value at every position of an mx pattern of 1 to 24 bytes
 * and of an id of 1 to 32: the decoder checks them a word at a time,
 * so the word edges and the overlapping last word are where it could
 * go wrong.  Reference: VCHAR is 0x21-0x7e, an id is ALPHA / DIGIT.
 */
static int
alnum_ref(int b)
{
	return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') ||
	    (b >= 'a' && b <= 'z');
}

static size_t
alphabet_sweep(int mx)
{
	static char s[RECORD_ID_MAX + 1];
	struct record_policy p = { RECORD_MODE_ENFORCE, 86400, 1, 1, 0, 0,
	    s, "", 1, { s }, "", 0, RECORD_TEXT_STORED, 0, 0, { 0, 0, 0, 0, 0 } }, d;
	const char *why;
	uint8_t buf[256];
	size_t len, i, bad = 0, at = RECORD_POLICY_FIXED + 1;
	int b, ok, want;
	ssize_t n;

	for (len = 1; len <= (mx ? 24 : RECORD_ID_MAX); len++) {
		memset(s, 'a', len);
		s[len] = '\0';
		if (mx)
			p.id = "";
		n = record_policy_encode(&p, buf, sizeof(buf), NULL);
		/* The id's bytes follow its length byte; an mx pattern's
		 * follow the empty id and error code and the count. */
		if (mx)
			at = RECORD_POLICY_FIXED + 2 + 2 + 2 + 1;
		for (i = 0; n > 0 && i < len; i++)
			for (b = 1; b < 256; b++) {
				buf[at + i] = (uint8_t)b;
				ok = record_policy_decode(buf, (size_t)n, &d,
				    &why) == 0;
				want = mx ? b >= 0x21 && b <= 0x7e :
				    alnum_ref(b);
				bad += ok != want;
				buf[at + i] = 'a';
			}
		bad += n <= 0;
	}
	return bad;
}

static void
test_alphabets(void)
{
	size_t bad;

	bad = alphabet_sweep(1);
	tap_ok(bad == 0, "mx: every byte at every position of 1-24 bytes "
	    "(%zu wrong)", bad);
	bad = alphabet_sweep(0);
	tap_ok(bad == 0, "id: every byte at every position of 1-32 bytes "
	    "(%zu wrong)", bad);
}

static void
test_decode_misc(void)
{
	uint8_t buf[RECORD_POLICY_MAX], *v;
	struct record_negative n = { RECORD_NEG_NO_RECORD, 1, 1, 1, 1, "x" };
	struct record_negative dn;
	struct record_policy d;
	const char *why = NULL;
	ssize_t len;

	v = dup_exact(ref, ref_len);
	tap_ok(record_policy_decode(v, ref_len, &d, &why) == 0,
	    "the reference value decodes");
	free(v);
	memcpy(buf, ref, ref_len);
	buf[ref_len] = 0;
	v = dup_exact(buf, ref_len + 1);
	tap_ok(record_policy_decode(v, ref_len + 1, &d, &why) == -1 &&
	    strcmp(why, "trailing bytes after record") == 0,
	    "a trailing byte is refused");
	free(v);
	tap_ok(record_policy_decode(NULL, 5, &d, &why) == -1 &&
	    strcmp(why, "truncated record") == 0, "NULL buffer is refused");
	len = record_negative_encode(&n, buf, sizeof(buf), NULL);
	v = dup_exact(buf, (size_t)len);
	tap_ok(record_policy_decode(v, (size_t)len, &d, &why) == -1 &&
	    strcmp(why, "not a policy record") == 0,
	    "a negative value is not a policy");
	tap_ok(record_negative_decode(ref, ref_len, &dn, &why) == -1 &&
	    strcmp(why, "not a negative record") == 0,
	    "a policy value is not a negative entry");
	v[2] = RECORD_NEG_NREASONS;
	tap_ok(record_negative_decode(v, (size_t)len, &dn, &why) == -1 &&
	    strcmp(why, "invalid reason") == 0, "negative: reason 4");
	v[2] = 0;
	v[32] = RECORD_CODE_MAX + 1;
	tap_ok(record_negative_decode(v, (size_t)len, &dn, &why) == -1 &&
	    strcmp(why, "bad error code length") == 0,
	    "negative: code length 64");
	free(v);
}

/* Every proper prefix of a valid value must fail, and cleanly. */
static void
test_truncations(const uint8_t *val, size_t len, int policy)
{
	struct record_policy d;
	struct record_negative dn;
	const char *why;
	size_t i, bad = len;
	uint8_t *v;
	int rc;

	for (i = 0; i < len && bad == len; i++) {
		v = dup_exact(val, i);
		why = NULL;
		rc = policy ? record_policy_decode(v, i, &d, &why) :
		    record_negative_decode(v, i, &dn, &why);
		if (rc != -1 || why == NULL)
			bad = i;
		free(v);
	}
	if (!tap_ok(bad == len, "all %zu truncations of a %s value fail",
	    len, policy ? "policy" : "negative"))
		tap_diag("got success for the %zu-byte prefix", bad);
}

/* RECORD_*_MAX are tight: the largest valid values have exactly that size. */
static void
test_max_sizes(void)
{
	static struct record_policy p;
	struct record_negative n = { RECORD_NEG_NO_RECORD, 1, 1, 1, 1, code63 };
	size_t i;

	p.id = id32;
	p.last_error = code63;
	p.nmx = mx_full_n;
	for (i = 0; i < mx_full_n; i++)
		p.mx[i] = mx_full[i];
	p.text = text_max;
	p.text_len = RECORD_TEXT_MAX;
	p.enforce_since = p.testing_since = 1;
	p.dane.known = 1;
	tap_is_int((intmax_t)record_policy_size(&p), RECORD_POLICY_MAX,
	    "largest policy is RECORD_POLICY_MAX bytes");
	/* One byte more of mx, or one pattern more, is refused. */
	p.mx[p.nmx++] = "a";
	tap_is_str(pol_encode_why(&p), "mx patterns too long in all",
	    "RECORD_MX_BYTES_MAX + 3 bytes of mx refused");
	p.text = NULL;
	p.text_len = 0;
	for (i = 0; i < RECORD_MX_MAX; i++)
		p.mx[i] = mx_many[i];
	p.nmx = RECORD_MX_MAX + 1;	/* refused before mx[] is read */
	tap_is_str(pol_encode_why(&p), "too many mx patterns",
	    "RECORD_MX_MAX + 1 patterns refused");
	tap_is_int((intmax_t)record_negative_size(&n), RECORD_NEGATIVE_MAX,
	    "largest negative entry is RECORD_NEGATIVE_MAX bytes");
}

static void
test_strs(void)
{
	tap_is_str(record_mode_str(RECORD_MODE_TESTING), "testing",
	    "record_mode_str(testing)");
	tap_is_str(record_mode_str((enum record_mode)7), "invalid",
	    "record_mode_str(7)");
	tap_is_str(record_reason_str(RECORD_NEG_DNS_ERROR), "dns-error",
	    "record_reason_str(dns-error)");
	tap_is_str(record_reason_str((enum record_reason)-1), "invalid",
	    "record_reason_str(-1)");
}


/*
 * The long strings; mx_full: mx_two, then patterns of up to 253 bytes
 * until their encoding (1 + len + 1 each) is RECORD_MX_BYTES_MAX;
 * mx_many: one-letter patterns.
 */
static void
setup_strings(void)
{
	static char mxs[MX_FULL_MAX][RECORD_MX_LEN_MAX + 1];
	static char letters[26][2];
	size_t i, len, rem = RECORD_MX_BYTES_MAX;

	fill(id32, RECORD_ID_MAX, 'a');
	fill(id33, RECORD_ID_MAX + 1, 'a');
	fill(code63, RECORD_CODE_MAX, 'c');
	fill(code64, RECORD_CODE_MAX + 1, 'c');
	fill(mx253, RECORD_MX_LEN_MAX, 'm');
	fill(mx254, RECORD_MX_LEN_MAX + 1, 'm');
	fill(text_max, RECORD_TEXT_MAX + 1, 't');
	text_max[RECORD_TEXT_MAX] = '\0';
	for (i = 0; i < 2; i++) {
		mx_full[i] = mx_two[i];
		rem -= strlen(mx_two[i]) + 2;
	}
	for (; rem > 0 && i < MX_FULL_MAX; i++) {
		len = rem - 2 < RECORD_MX_LEN_MAX ? rem - 2 : RECORD_MX_LEN_MAX;
		if (rem - (len + 2) > 0 && rem - (len + 2) < 3)
			len -= 3;	/* leave room for one more pattern */
		fill(mxs[i], len, 'm');
		mxs[i][0] = (char)('!' + i % 90);
		mx_full[i] = mxs[i];
		rem -= len + 2;
	}
	mx_full_n = i;
	for (i = 0; i < 26; i++) {
		letters[i][0] = (char)('a' + i);
		letters[i][1] = '\0';
	}
	for (i = 0; i <= RECORD_MX_MAX; i++)
		mx_many[i] = letters[i % 26];
}

int
main(void)
{
	uint8_t buf[RECORD_NEGATIVE_MAX];
	size_t i;
	ssize_t n;

	setup_strings();
	for (i = 0; i < sizeof(pol_cases) / sizeof(pol_cases[0]); i++)
		test_pol_roundtrip(&pol_cases[i]);
	for (i = 0; i < sizeof(neg_cases) / sizeof(neg_cases[0]); i++)
		test_neg_roundtrip(&neg_cases[i], i);
	test_golden();
	test_v1();
	test_newer();
	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++)
		test_text_case(&text_cases[i]);
	test_render();
	test_form_kept();
	test_history();
	test_history_canon_stored();
	test_dane();
	test_clear();
	for (i = 0; i < sizeof(enc_fail_cases) / sizeof(enc_fail_cases[0]);
	    i++)
		test_enc_fail(&enc_fail_cases[i]);
	test_enc_small();
	build_ref();
	for (i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++)
		test_patch(&patch_cases[i]);
	test_decode_misc();
	test_alphabets();
	test_truncations(ref, ref_len, 1);
	test_truncations(want_canon, sizeof(want_canon), 1);
	n = record_negative_encode(&neg_cases[1], buf, sizeof(buf), NULL);
	test_truncations(buf, (size_t)n, 0);
	test_max_sizes();
	test_strs();
	return tap_done();
}
