/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * record.c: versioned encoding of cached policies and negative entries.
 *
 * The format is described in record.h.  Two small cursors do all the
 * work: the reader never looks past `len` and, once it has failed,
 * keeps its first reason and returns zeros (the sticky-error idea of
 * cache.c's transactions), so a decoder is a straight run of reads with
 * one check at the end.  The writer likewise never writes past `size`.
 *
 * Validation is shared by encode and decode (record_*_check and the
 * alphabet helpers), so whatever one side accepts the other produces:
 * decode(encode(x)) == x and encode(decode(b)) == b, which the fuzz
 * target checks.
 *
 * The canonical policy text (record.h) is produced by one routine,
 * record_canon_run(), that either renders it or compares a text with it
 * piece by piece.  The encoder's "is this text canonical?" and
 * record_policy_text()'s rendering therefore cannot disagree, which is
 * what makes dropping the text lossless; and the comparison needs no
 * allocation and no 33 KB buffer on the stack.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "record.h"

#define RECORD_KIND_POLICY	'P'
#define RECORD_KIND_NEGATIVE	'N'
#define RECORD_VERSION_1	1	/* text always stored; still read */
#define RECORD_VERSION_2	2	/* text forms, no history; still read */
#define RECORD_VERSION_3	3	/* a history, no DANE summary; still read */
#define RECORD_DEC_MAX		10	/* digits of UINT32_MAX */

/* A string literal as the (pointer, length) pair of record_canon_put. */
#define RECORD_LIT(s)		(s), (sizeof(s) - 1)

/* Which bytes a stored string may hold. */
enum record_abc {
	RECORD_ABC_ALNUM,	/* TXT id: ALPHA / DIGIT */
	RECORD_ABC_VCHAR,	/* codes and mx patterns: 0x21-0x7e */
	RECORD_ABC_ANY		/* policy text: anything but NUL */
};

/* A read position in a bounded buffer, with a sticky first error. */
struct record_rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
	const char	*why;
};

/* A write position in a bounded buffer. */
struct record_wr {
	uint8_t		*p;
	size_t		 size;
	size_t		 pos;
};

/* Renders the canonical text into out, or compares cmp with it. */
struct record_canon {
	char		*out;		/* render into out[0..size), or */
	const char	*cmp;		/* compare with cmp[0..size) */
	size_t		 size;
	size_t		 pos;
	int		 bad;		/* sticky: no room, or a difference */
};

static const char	*record_s(const char *);
static int		 record_abc_ok(const char *, size_t, enum record_abc);
static const char	*record_str_check(const char *, size_t, size_t,
			    enum record_abc, const char *, const char *);
static const char	*record_policy_check(const struct record_policy *);
static const char	*record_negative_check(const struct record_negative *);
static const uint8_t	*record_rd_take(struct record_rd *, size_t);
static inline uint64_t	 record_rd_uint(struct record_rd *, size_t);
static int64_t		 record_rd_i64(struct record_rd *);
static const char	*record_rd_str(struct record_rd *, size_t, size_t,
			    size_t, enum record_abc, const char *, size_t *);
static int		 record_rd_head(struct record_rd *, int, unsigned *,
			    unsigned *);
static void		 record_rd_text(struct record_rd *,
			    struct record_policy *);
static void		 record_rd_history(struct record_rd *, int,
			    struct record_policy *);
static int		 record_rd_end(struct record_rd *, const char **);
static void		 record_wr_uint(struct record_wr *, uint64_t,
			    size_t);
static void		 record_wr_str(struct record_wr *, const char *,
			    size_t, size_t);
static size_t		 record_dec(uint32_t, char *);
static size_t		 record_canon_len(const struct record_policy *,
			    enum record_text_form, size_t);
static void		 record_canon_put(struct record_canon *, const char *,
			    size_t);
static void		 record_canon_run(const struct record_policy *,
			    enum record_text_form, struct record_canon *);
static enum record_text_form record_text_detect(const struct record_policy *);
static int		 record_has_history(const struct record_policy *);
static size_t		 record_policy_need(const struct record_policy *,
			    enum record_text_form *);

static const char *const record_mode_names[] = {
	"none", "testing", "enforce"
};
static const char *const record_reason_names[RECORD_NEG_NREASONS] = {
	"no-record", "dns-error", "fetch-error", "policy-invalid"
};

/* NULL strings in a struct to encode mean "". */
static const char *
record_s(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * 1 when no byte of the 8-byte word x is outside 0x21-0x7e.  The two
 * classic word-at-a-time tests ("a byte below n", "a byte above n") are
 * exact as yes/no answers: a false flag can only follow a true one.
 */
static int
record_word_vchar(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones << 7;
	uint64_t below = (x - ones * 0x21) & ~x;	/* a byte < 0x21 */
	uint64_t above = (x + ones) | x;		/* a byte > 0x7e */

	return ((below | above) & high) == 0;
}

/* The 8 bytes at s as one word (any byte order will do here). */
static uint64_t
record_word(const char *s)
{
	uint64_t x;

	memcpy(&x, s, sizeof(x));
	return x;
}

/* VCHAR, a word at a time: this runs on every cached lookup. */
static int
record_vchar_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 8) {
		for (i = 0; i < len; i++)
			if ((unsigned char)(s[i] - 0x21) > 0x7e - 0x21)
				return 0;
		return 1;
	}
	/* Whole words, then the last 8 bytes (overlapping, if need be). */
	for (i = 0; i + 8 < len; i += 8)
		if (!record_word_vchar(record_word(s + i)))
			return 0;
	return record_word_vchar(record_word(s + len - 8));
}

static int
record_abc_ok(const char *s, size_t len, enum record_abc abc)
{
	size_t i;
	unsigned char c;

	switch (abc) {
	case RECORD_ABC_ANY:
		return memchr(s, '\0', len) == NULL;
	case RECORD_ABC_VCHAR:
		return record_vchar_ok(s, len);
	case RECORD_ABC_ALNUM:
		for (i = 0; i < len; i++) {
			c = (unsigned char)s[i];
			/* c | 0x20 folds letters to lowercase. */
			if ((unsigned char)(c - '0') > 9 &&
			    (unsigned char)((c | 0x20) - 'a') > 'z' - 'a')
				return 0;
		}
		return 1;
	}
	return 0;
}

/* Common length and alphabet check; `toolong`/`badchar` are reasons. */
static const char *
record_str_check(const char *s, size_t len, size_t max, enum record_abc abc,
    const char *toolong, const char *badchar)
{
	if (len > max)
		return toolong;
	if (!record_abc_ok(s, len, abc))
		return badchar;
	return NULL;
}

static const char *
record_policy_check(const struct record_policy *p)
{
	const char *why, *id = record_s(p->id), *err = record_s(p->last_error);
	size_t i, len, bytes = 0;

	if ((unsigned)p->mode > RECORD_MODE_ENFORCE)
		return "invalid mode";
	if ((why = record_str_check(id, strlen(id), RECORD_ID_MAX,
	    RECORD_ABC_ALNUM, "id too long", "invalid character in id")))
		return why;
	if ((why = record_str_check(err, strlen(err), RECORD_CODE_MAX,
	    RECORD_ABC_VCHAR, "error code too long",
	    "invalid character in error code")))
		return why;
	if (p->nmx > RECORD_MX_MAX)
		return "too many mx patterns";
	for (i = 0; i < p->nmx; i++) {
		if (p->mx[i] == NULL || p->mx[i][0] == '\0')
			return "empty mx pattern";
		if ((why = record_str_check(p->mx[i], len = strlen(p->mx[i]),
		    RECORD_MX_LEN_MAX, RECORD_ABC_VCHAR, "mx pattern too long",
		    "invalid character in mx pattern")))
			return why;
		if ((bytes += 1 + len + 1) > RECORD_MX_BYTES_MAX)
			return "mx patterns too long in all";
	}
	if ((unsigned)p->text_form > RECORD_TEXT_CRLF)
		return "invalid text form";
	if (p->dane.known > 1 || p->dane.verdict > RECORD_DANE_VERDICT_MAX)
		return "invalid DANE verdict";
	if (p->text_form != RECORD_TEXT_STORED &&
	    record_canon_len(p, p->text_form, bytes) > RECORD_TEXT_MAX)
		return "text form longer than a policy";
	/* A text form means "no text here": a text beside it is a bug. */
	if (p->text_form != RECORD_TEXT_STORED &&
	    (p->text != NULL || p->text_len > 0))
		return "policy text given with a text form";
	if (p->text == NULL && p->text_len > 0)
		return "NULL policy text";
	return record_str_check(record_s(p->text), p->text_len,
	    RECORD_TEXT_MAX, RECORD_ABC_ANY, "policy text too long",
	    "NUL in policy text");
}

static const char *
record_negative_check(const struct record_negative *n)
{
	const char *code = record_s(n->code);

	if ((unsigned)n->reason >= RECORD_NEG_NREASONS)
		return "invalid reason";
	return record_str_check(code, strlen(code), RECORD_CODE_MAX,
	    RECORD_ABC_VCHAR, "error code too long",
	    "invalid character in error code");
}

/* Returns the next n bytes, or NULL (and a sticky error) if absent. */
static const uint8_t *
record_rd_take(struct record_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->why != NULL)
		return NULL;
	if (n > r->len - r->pos) {
		r->why = "truncated record";
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

/* Little-endian unsigned integer of n (1, 2, 4 or 8) bytes; 0 after an
 * error. */
static inline uint64_t
record_rd_uint(struct record_rd *r, size_t n)
{
	const uint8_t *p;
	uint64_t v = 0;

	if ((p = record_rd_take(r, n)) == NULL)
		return 0;
	/* Whole expressions per width: the compiler makes each one load. */
	switch (n) {
	case 8:
		v = (uint64_t)p[0] | (uint64_t)p[1] << 8 |
		    (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
		    (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
		    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
		break;
	case 4:
		v = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		break;
	case 2:
		v = (uint32_t)p[0] | (uint32_t)p[1] << 8;
		break;
	case 1:
		v = p[0];
		break;
	}
	return v;
}

/* Two's complement without relying on implementation-defined casts. */
static int64_t
record_rd_i64(struct record_rd *r)
{
	uint64_t u = record_rd_uint(r, 8);

	if (u <= (uint64_t)INT64_MAX)
		return (int64_t)u;
	return -(int64_t)(~u) - 1;
}

/*
 * A string: length prefix of `lenw` bytes, the bytes, a NUL.  `min`,
 * `max`, `abc` as for the encoder; `what` is the reason for a bad
 * length.  The length goes to *lenp when lenp is not NULL.
 */
static const char *
record_rd_str(struct record_rd *r, size_t lenw, size_t min, size_t max,
    enum record_abc abc, const char *what, size_t *lenp)
{
	const uint8_t *p;
	size_t n = (size_t)record_rd_uint(r, lenw);

	if (lenp != NULL)
		*lenp = n;

	if (r->why != NULL)
		return NULL;
	if (n < min || n > max) {
		r->why = what;	/* e.g. "bad id length" */
		return NULL;
	}
	if ((p = record_rd_take(r, n + 1)) == NULL)
		return NULL;
	if (!record_abc_ok((const char *)p, n, abc))
		r->why = "invalid character in string";
	else if (p[n] != '\0')
		r->why = "string not NUL-terminated";
	if (r->why != NULL)
		return NULL;
	return (const char *)p;
}

/*
 * Version, kind, the enum byte (returned in *e) and byte 3 (in *b3,
 * for the caller to check).  Returns the version, or -1.
 */
static int
record_rd_head(struct record_rd *r, int kind, unsigned *e, unsigned *b3)
{
	const uint8_t *p;

	*e = *b3 = 0;
	if ((p = record_rd_take(r, 4)) == NULL)
		return -1;
	if (p[0] > RECORD_VERSION)
		r->why = RECORD_WHY_NEWER;
	else if (p[0] != RECORD_VERSION_1 &&
	    (p[0] < RECORD_VERSION_2 || kind != RECORD_KIND_POLICY))
		r->why = "unsupported record version";
	else if (p[1] != kind)
		r->why = kind == RECORD_KIND_POLICY ? "not a policy record" :
		    "not a negative record";
	*e = p[2];
	*b3 = p[3];
	return r->why != NULL ? -1 : p[0];
}

/* The text of a policy: stored (version 1), or NULL for a text form. */
static void
record_rd_text(struct record_rd *r, struct record_policy *out)
{
	out->text = NULL;
	out->text_len = 0;
	if (r->why != NULL || out->text_form != RECORD_TEXT_STORED)
		return;
	out->text = record_rd_str(r, 4, 0, RECORD_TEXT_MAX, RECORD_ABC_ANY,
	    "bad policy text length", &out->text_len);
}

/*
 * The history of versions 3 and 4, 0 in older versions.  A version-3
 * record without any history is not what the encoder writes (version 1
 * or 2 holds it), so it is refused: one record, one encoding.
 */
static void
record_rd_history(struct record_rd *r, int v, struct record_policy *out)
{
	unsigned has = v == RECORD_VERSION_3;

	out->enforce_since = out->testing_since = 0;
	if (r->why == NULL && v == RECORD_VERSION &&
	    (has = (unsigned)record_rd_uint(r, 1)) > 1)
		r->why = "invalid history flag";
	if (r->why != NULL || !has)
		return;
	out->enforce_since = record_rd_i64(r);
	out->testing_since = record_rd_i64(r);
	if (r->why == NULL && out->enforce_since == 0 &&
	    out->testing_since == 0)
		r->why = v == RECORD_VERSION_3 ? "version 3 without a history" :
		    "history flag without a history";
}

/* Version 4's DANE summary; none (known 0) in older versions. */
static void
record_rd_dane(struct record_rd *r, int v, struct record_policy *out)
{
	memset(&out->dane, 0, sizeof(out->dane));
	if (r->why != NULL || v != RECORD_VERSION)
		return;
	out->dane.known = 1;
	out->dane.verdict = (uint8_t)record_rd_uint(r, 1);
	out->dane.why = (uint8_t)record_rd_uint(r, 1);
	out->dane.checked_at = record_rd_i64(r);
	out->dane.expires_at = record_rd_i64(r);
	if (r->why == NULL && out->dane.verdict > RECORD_DANE_VERDICT_MAX)
		r->why = "invalid DANE verdict";
}

/* The final check: no error on the way and nothing left over. */
static int
record_rd_end(struct record_rd *r, const char **why)
{
	if (r->why == NULL && r->pos != r->len)
		r->why = "trailing bytes after record";
	if (why != NULL)
		*why = r->why;
	return r->why != NULL ? -1 : 0;
}

int
record_policy_decode(const void *buf, size_t len, struct record_policy *out,
    const char **why)
{
	struct record_rd r = { buf, buf != NULL ? len : 0, 0, NULL };
	unsigned mode, form;
	size_t i, n, bytes = 0;
	int v;

	v = record_rd_head(&r, RECORD_KIND_POLICY, &mode, &form);
	if (v == RECORD_VERSION_1 && form != RECORD_TEXT_STORED)
		r.why = "reserved byte is not zero";
	else if (v != -1 && ((v == RECORD_VERSION_2 &&
	    form == RECORD_TEXT_STORED) || form > RECORD_TEXT_CRLF))
		r.why = "invalid text form";
	else if (v != -1 && mode > RECORD_MODE_ENFORCE)
		r.why = "invalid mode";
	out->mode = (enum record_mode)mode;
	out->text_form = (enum record_text_form)form;
	out->max_age = (uint32_t)record_rd_uint(&r, 4);
	out->failures = (uint32_t)record_rd_uint(&r, 4);
	out->fetched_at = record_rd_i64(&r);
	out->txt_checked_at = record_rd_i64(&r);
	out->retry_at = record_rd_i64(&r);
	out->id = record_rd_str(&r, 1, 0, RECORD_ID_MAX, RECORD_ABC_ALNUM,
	    "bad id length", NULL);
	out->last_error = record_rd_str(&r, 1, 0, RECORD_CODE_MAX,
	    RECORD_ABC_VCHAR, "bad error code length", NULL);
	out->nmx = (size_t)record_rd_uint(&r, 2);
	if (r.why == NULL && out->nmx > RECORD_MX_MAX)
		r.why = "too many mx patterns";
	for (i = 0; r.why == NULL && i < out->nmx; i++) {
		out->mx[i] = record_rd_str(&r, 1, 1, RECORD_MX_LEN_MAX,
		    RECORD_ABC_VCHAR, "bad mx pattern length", &n);
		bytes += 1 + n + 1;
	}
	if (r.why == NULL && bytes > RECORD_MX_BYTES_MAX)
		r.why = "mx patterns too long in all";
	else if (r.why == NULL && out->text_form != RECORD_TEXT_STORED &&
	    record_canon_len(out, out->text_form, bytes) > RECORD_TEXT_MAX)
		r.why = "text form longer than a policy";
	record_rd_text(&r, out);
	record_rd_dane(&r, v, out);
	record_rd_history(&r, v, out);
	return record_rd_end(&r, why);
}

int
record_negative_decode(const void *buf, size_t len,
    struct record_negative *out, const char **why)
{
	struct record_rd r = { buf, buf != NULL ? len : 0, 0, NULL };
	unsigned reason, reserved;

	if (record_rd_head(&r, RECORD_KIND_NEGATIVE, &reason, &reserved) !=
	    -1) {
		if (reserved != 0)
			r.why = "reserved byte is not zero";
		else if (reason >= RECORD_NEG_NREASONS)
			r.why = "invalid reason";
	}
	out->reason = (enum record_reason)reason;
	out->count = (uint32_t)record_rd_uint(&r, 4);
	out->first_at = record_rd_i64(&r);
	out->last_at = record_rd_i64(&r);
	out->retry_at = record_rd_i64(&r);
	out->code = record_rd_str(&r, 1, 0, RECORD_CODE_MAX, RECORD_ABC_VCHAR,
	    "bad error code length", NULL);
	return record_rd_end(&r, why);
}

/* Callers size the buffer first, so these only guard against misuse. */
static void
record_wr_uint(struct record_wr *w, uint64_t v, size_t n)
{
	size_t i;

	if (w->pos > w->size || n > w->size - w->pos) {
		w->pos = w->size + 1;	/* marks overflow; see callers */
		return;
	}
	for (i = 0; i < n; i++, v >>= 8)
		w->p[w->pos++] = (uint8_t)(v & 0xff);
}

static void
record_wr_str(struct record_wr *w, const char *s, size_t len, size_t lenw)
{
	record_wr_uint(w, len, lenw);
	if (w->pos > w->size || len + 1 > w->size - w->pos) {
		w->pos = w->size + 1;
		return;
	}
	memcpy(w->p + w->pos, s, len);
	w->p[w->pos + len] = '\0';
	w->pos += len + 1;
}

/* max_age in decimal, no leading zeros: the n digits end at buf + 10. */
static size_t
record_dec(uint32_t v, char *buf)
{
	size_t n = 0;

	do {
		buf[RECORD_DEC_MAX - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return n;
}

/*
 * The length of the canonical text of p with the line ends of `form`,
 * from the encoded size of its mx list (`mxbytes`, 1 + len + 1 per
 * pattern), so that no pattern is read again; record_canon_run() says
 * what the text is.  p->mode must be in range.
 */
static size_t
record_canon_len(const struct record_policy *p, enum record_text_form form,
    size_t mxbytes)
{
	size_t eoln = form == RECORD_TEXT_CRLF ? 2 : 1;
	char num[RECORD_DEC_MAX];

	return sizeof("version: STSv1") - 1 + sizeof("mode: ") - 1 +
	    strlen(record_mode_str(p->mode)) + sizeof("max_age: ") - 1 +
	    record_dec(p->max_age, num) + 3 * eoln +
	    p->nmx * (sizeof("mx: ") - 1 + eoln - 2) + mxbytes;
}

static void
record_canon_put(struct record_canon *c, const char *s, size_t n)
{
	if (c->bad || n > c->size - c->pos)
		c->bad = 1;
	else if (c->out != NULL)
		memcpy(c->out + c->pos, s, n);
	else if (memcmp(c->cmp + c->pos, s, n) != 0)
		c->bad = 1;
	if (!c->bad)
		c->pos += n;
}

/*
 * The canonical text of p's mode, mx list and max_age (record.h) with
 * the line ends of `form`, through c.  p must be valid: mode in range,
 * nmx <= RECORD_MX_MAX, mx[0..nmx) not NULL.
 */
static void
record_canon_run(const struct record_policy *p, enum record_text_form form,
    struct record_canon *c)
{
	const char *eol = form == RECORD_TEXT_CRLF ? "\r\n" : "\n";
	const char *mode = record_mode_str(p->mode);
	size_t eoln = strlen(eol), nd, i;
	char num[RECORD_DEC_MAX];

	record_canon_put(c, RECORD_LIT("version: STSv1"));
	record_canon_put(c, eol, eoln);
	record_canon_put(c, RECORD_LIT("mode: "));
	record_canon_put(c, mode, strlen(mode));
	record_canon_put(c, eol, eoln);
	for (i = 0; i < p->nmx && !c->bad; i++) {
		record_canon_put(c, RECORD_LIT("mx: "));
		record_canon_put(c, p->mx[i], strlen(p->mx[i]));
		record_canon_put(c, eol, eoln);
	}
	nd = record_dec(p->max_age, num);
	record_canon_put(c, RECORD_LIT("max_age: "));
	record_canon_put(c, num + RECORD_DEC_MAX - nd, nd);
	record_canon_put(c, eol, eoln);
}

/*
 * The form p's stored text can be written as: LF or CRLF when it is
 * exactly that canonical rendering of p's own fields, else STORED.  p
 * must be valid (as for record_canon_run).
 */
static enum record_text_form
record_text_detect(const struct record_policy *p)
{
	static const char first[] = "version: STSv1";
	struct record_canon c = { NULL, p->text, p->text_len, 0, 0 };
	enum record_text_form form;

	if (p->text == NULL || p->text_len < sizeof(first))
		return RECORD_TEXT_STORED;
	/* The first line end says which of the two renderings it can be. */
	form = p->text[sizeof(first) - 1] == '\r' ? RECORD_TEXT_CRLF :
	    RECORD_TEXT_LF;
	record_canon_run(p, form, &c);
	return !c.bad && c.pos == c.size ? form : RECORD_TEXT_STORED;
}

/* Does p need version 3? */
static int
record_has_history(const struct record_policy *p)
{
	return p->enforce_since != 0 || p->testing_since != 0;
}

/* Encoded size of p and the text form it is written with; 0 if invalid. */
static size_t
record_policy_need(const struct record_policy *p, enum record_text_form *formp)
{
	size_t n, i;

	*formp = p->text_form;
	if (record_policy_check(p) != NULL)
		return 0;
	if (p->text_form == RECORD_TEXT_STORED)
		*formp = record_text_detect(p);
	n = RECORD_POLICY_FIXED + 1 + strlen(record_s(p->id)) + 1 +
	    1 + strlen(record_s(p->last_error)) + 1 + 2;
	for (i = 0; i < p->nmx; i++)
		n += 1 + strlen(p->mx[i]) + 1;
	/* Only a stored text has its length field, bytes and NUL. */
	if (*formp == RECORD_TEXT_STORED)
		n += 4 + p->text_len + 1;
	if (p->dane.known)
		n += RECORD_POLICY_DANE;
	if (record_has_history(p))
		n += RECORD_POLICY_HISTORY;
	return n;
}

size_t
record_policy_size(const struct record_policy *p)
{
	enum record_text_form form;

	return record_policy_need(p, &form);
}

ssize_t
record_policy_encode(const struct record_policy *p, void *buf, size_t size,
    const char **why)
{
	struct record_wr w = { buf, size, 0 };
	const char *id = record_s(p->id), *err = record_s(p->last_error);
	enum record_text_form form;
	size_t need, i;

	if ((need = record_policy_need(p, &form)) == 0) {
		if (why != NULL)
			*why = record_policy_check(p);
		return -1;
	}
	if (buf == NULL || need > size) {
		if (why != NULL)
			*why = "buffer too small";
		return -1;
	}
	/* The lowest version that holds it: see record.h. */
	record_wr_uint(&w, p->dane.known ? RECORD_VERSION :
	    record_has_history(p) ? RECORD_VERSION_3 :
	    form == RECORD_TEXT_STORED ? RECORD_VERSION_1 : RECORD_VERSION_2,
	    1);
	record_wr_uint(&w, RECORD_KIND_POLICY, 1);
	record_wr_uint(&w, (uint64_t)p->mode, 1);
	record_wr_uint(&w, (uint64_t)form, 1);
	record_wr_uint(&w, p->max_age, 4);
	record_wr_uint(&w, p->failures, 4);
	record_wr_uint(&w, (uint64_t)p->fetched_at, 8);
	record_wr_uint(&w, (uint64_t)p->txt_checked_at, 8);
	record_wr_uint(&w, (uint64_t)p->retry_at, 8);
	record_wr_str(&w, id, strlen(id), 1);
	record_wr_str(&w, err, strlen(err), 1);
	record_wr_uint(&w, p->nmx, 2);
	for (i = 0; i < p->nmx; i++)
		record_wr_str(&w, p->mx[i], strlen(p->mx[i]), 1);
	if (form == RECORD_TEXT_STORED)
		record_wr_str(&w, record_s(p->text), p->text_len, 4);
	if (p->dane.known) {
		record_wr_uint(&w, p->dane.verdict, 1);
		record_wr_uint(&w, p->dane.why, 1);
		record_wr_uint(&w, (uint64_t)p->dane.checked_at, 8);
		record_wr_uint(&w, (uint64_t)p->dane.expires_at, 8);
		record_wr_uint(&w, (uint64_t)record_has_history(p), 1);
	}
	if (record_has_history(p)) {
		record_wr_uint(&w, (uint64_t)p->enforce_since, 8);
		record_wr_uint(&w, (uint64_t)p->testing_since, 8);
	}
	if (why != NULL)
		*why = NULL;
	return (ssize_t)w.pos;	/* == need: sized by record_policy_need */
}

size_t
record_negative_size(const struct record_negative *n)
{
	if (record_negative_check(n) != NULL)
		return 0;
	return RECORD_NEGATIVE_FIXED + 1 + strlen(record_s(n->code)) + 1;
}

ssize_t
record_negative_encode(const struct record_negative *n, void *buf,
    size_t size, const char **why)
{
	struct record_wr w = { buf, size, 0 };
	const char *code = record_s(n->code);
	size_t need;

	if ((need = record_negative_size(n)) == 0) {
		if (why != NULL)
			*why = record_negative_check(n);
		return -1;
	}
	if (buf == NULL || need > size) {
		if (why != NULL)
			*why = "buffer too small";
		return -1;
	}
	record_wr_uint(&w, RECORD_VERSION_1, 1);
	record_wr_uint(&w, RECORD_KIND_NEGATIVE, 1);
	record_wr_uint(&w, (uint64_t)n->reason, 1);
	record_wr_uint(&w, 0, 1);
	record_wr_uint(&w, n->count, 4);
	record_wr_uint(&w, (uint64_t)n->first_at, 8);
	record_wr_uint(&w, (uint64_t)n->last_at, 8);
	record_wr_uint(&w, (uint64_t)n->retry_at, 8);
	record_wr_str(&w, code, strlen(code), 1);
	if (why != NULL)
		*why = NULL;
	return (ssize_t)w.pos;
}

const char *
record_policy_text(const struct record_policy *p, char *buf, size_t size,
    size_t *lenp)
{
	struct record_canon c = { buf, NULL, 0, 0, 0 };
	size_t i;

	if (lenp != NULL)
		*lenp = 0;
	if (p->text_form == RECORD_TEXT_STORED) {
		if (lenp != NULL && p->text != NULL)
			*lenp = p->text_len;
		return record_s(p->text);
	}
	/* record_canon_run's preconditions; a decoded policy has them. */
	if (buf == NULL || size == 0 ||
	    (unsigned)p->text_form > RECORD_TEXT_CRLF ||
	    (unsigned)p->mode > RECORD_MODE_ENFORCE || p->nmx > RECORD_MX_MAX)
		return NULL;
	for (i = 0; i < p->nmx; i++)
		if (p->mx[i] == NULL)
			return NULL;
	c.size = size - 1;	/* room for the NUL */
	record_canon_run(p, p->text_form, &c);
	if (c.bad)
		return NULL;
	buf[c.pos] = '\0';
	if (lenp != NULL)
		*lenp = c.pos;
	return buf;
}

const char *
record_mode_str(enum record_mode m)
{
	if ((unsigned)m > RECORD_MODE_ENFORCE)
		return "invalid";
	return record_mode_names[m];
}

const char *
record_reason_str(enum record_reason r)
{
	if ((unsigned)r >= RECORD_NEG_NREASONS)
		return "invalid";
	return record_reason_names[r];
}

void
record_policy_clear(struct record_policy *p)
{
	memset(p, 0, offsetof(struct record_policy, mx));
	p->text = NULL;
	p->text_len = 0;
	p->text_form = RECORD_TEXT_STORED;
	p->enforce_since = p->testing_since = 0;
	memset(&p->dane, 0, sizeof(p->dane));
}

int
record_newer(const void *buf, size_t len)
{
	return len > 0 && ((const uint8_t *)buf)[0] > RECORD_VERSION;
}
