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
static const char *mx_full[RECORD_MX_MAX + 1];

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

/* ---- policy round trips ---- */

struct pol_case {
	const char	*name;
	struct record_policy p;
	size_t		 nmx_src;	/* mx from mx_full when > 0 */
	int		 use_text_max;
};

static const struct pol_case pol_cases[] = {
	{ "enforce, two mx", { RECORD_MODE_ENFORCE, 604800, 1700000000,
	    1700003600, 0, 0, "20160831085700Z", "", 2,
	    { "mx1.example.com", "*.example.net" },
	    "version: STSv1\r\nmode: enforce\r\n", 31 }, 0, 0 },
	{ "testing with failure state", { RECORD_MODE_TESTING, 86400,
	    1700000000, 1700000100, 1700000900, 3, "abc", "https-timeout", 1,
	    { "mail.example.org" }, "x", 1 }, 0, 0 },
	{ "mode none, no mx, empty text", { RECORD_MODE_NONE, 0, 5, 5, 0, 0,
	    "1", "", 0, { NULL }, "", 0 }, 0, 0 },
	{ "NULL id/error/text read as empty", { RECORD_MODE_NONE, 1, 0, 0, 0,
	    0, NULL, NULL, 0, { NULL }, NULL, 0 }, 0, 0 },
	{ "extreme integers", { RECORD_MODE_ENFORCE, UINT32_MAX, INT64_MIN,
	    INT64_MAX, -1, UINT32_MAX, "Z", "e", 1, { "a" }, "t", 1 }, 0, 0 },
	{ "UTF-8 and CRLF in text", { RECORD_MODE_TESTING, 3600, 1, 2, 3, 4,
	    "id", "c", 1, { "*.b.c" },
	    "ext: \xc3\xa9t\xc3\xa9\r\nmx: *.b.c\n", 22 }, 0, 0 },
	{ "every limit at its maximum", { RECORD_MODE_ENFORCE, 31557600, 1,
	    2, 3, 4, id32, code63, RECORD_MX_MAX, { NULL }, text_max,
	    RECORD_TEXT_MAX }, RECORD_MX_MAX, 1 },
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
	for (i = 0; i < c->nmx_src; i++)
		p.mx[i] = mx_full[i];
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

static void
test_golden(void)
{
	static const uint8_t want_neg[] = {
		1, 'N', 1, 0,  0x04, 0x03, 0x02, 0x01,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x10, 0, 0, 0, 0, 0, 0, 0,
		2, 'a', 'b', 0
	};
	static const uint8_t want_pol[] = {
		1, 'P', 2, 0,  0x80, 0x51, 0x01, 0,  3, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0,  2, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		1, 'Q', 0,  0, 0,  1, 0,  1, 'm', 0,  2, 0, 0, 0, 'x', '\n', 0
	};
	struct record_negative n = { RECORD_NEG_DNS_ERROR, 0x01020304,
	    0x0102030405060708LL, -2, 16, "ab" };
	struct record_policy p = { RECORD_MODE_ENFORCE, 86400, 1, 2, 0, 3,
	    "Q", "", 1, { "m" }, "x\n", 2 };
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
};

static void
test_enc_fail(const struct enc_fail_case *c)
{
	struct record_policy p = { RECORD_MODE_ENFORCE, 86400, 1, 2, 0, 0,
	    "abc", "", 2, { mx_full[0], mx_full[1] }, "t", 1 };
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
	    "abc", "", 1, { "mx.example" }, "t", 1 };
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
	    "*.example.net" }, "version: STSv1\r\n", 16 };

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
	{ "version 2", A_START, 0, 1, { 2 }, "unsupported record version" },
	{ "version 255", A_START, 0, 1, { 255 }, "unsupported record version" },
	{ "kind N read as a policy", A_START, 1, 1, { 'N' },
	    "not a policy record" },
	{ "reserved byte 1", A_START, 3, 1, { 1 },
	    "reserved byte is not zero" },
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
	{ "mx count 129", A_NMX, 0, 2, { 129, 0 }, "too many mx patterns" },
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
	p.nmx = RECORD_MX_MAX;
	for (i = 0; i < RECORD_MX_MAX; i++)
		p.mx[i] = mx253;
	p.text = text_max;
	p.text_len = RECORD_TEXT_MAX;
	tap_is_int((intmax_t)record_policy_size(&p), RECORD_POLICY_MAX,
	    "largest policy is RECORD_POLICY_MAX bytes");
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

static void
fill(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = '\0';
}

/* The long strings and the 129 mx patterns used by the tables. */
static void
setup_strings(void)
{
	static char mxs[RECORD_MX_MAX + 1][RECORD_MX_LEN_MAX + 1];
	size_t i;

	fill(id32, RECORD_ID_MAX, 'a');
	fill(id33, RECORD_ID_MAX + 1, 'a');
	fill(code63, RECORD_CODE_MAX, 'c');
	fill(code64, RECORD_CODE_MAX + 1, 'c');
	fill(mx253, RECORD_MX_LEN_MAX, 'm');
	fill(mx254, RECORD_MX_LEN_MAX + 1, 'm');
	fill(text_max, RECORD_TEXT_MAX + 1, 't');
	text_max[RECORD_TEXT_MAX] = '\0';
	for (i = 0; i <= RECORD_MX_MAX; i++) {
		memcpy(mxs[i], mx253, sizeof(mxs[i]));
		mxs[i][0] = (char)('!' + i % 90);
		mx_full[i] = mxs[i];
	}
	mx_full[0] = mx_two[0];
	mx_full[1] = mx_two[1];
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
	for (i = 0; i < sizeof(enc_fail_cases) / sizeof(enc_fail_cases[0]);
	    i++)
		test_enc_fail(&enc_fail_cases[i]);
	test_enc_small();
	build_ref();
	for (i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++)
		test_patch(&patch_cases[i]);
	test_decode_misc();
	test_truncations(ref, ref_len, 1);
	n = record_negative_encode(&neg_cases[1], buf, sizeof(buf), NULL);
	test_truncations(buf, (size_t)n, 0);
	test_max_sizes();
	test_strs();
	return tap_done();
}
