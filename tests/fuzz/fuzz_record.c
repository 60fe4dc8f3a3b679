/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_record.c: libFuzzer target for store/record.c.
 *
 * Decode direction: the input, copied into a buffer of exactly its size
 * (so ASan flags any read past it), is decoded as a policy and as a
 * negative entry.  When a decode succeeds, the target checks the
 * contract in record.h and aborts when it is broken: every string points
 * into the input and is NUL-terminated there (the text only when it is
 * stored; a text form has text NULL, text_len 0), and record_policy_text
 * gives the text back.  A value re-encodes to the same bytes and the
 * size function agrees with its length (the format is canonical), and
 * the regenerated text, given back to the encoder as a stored text,
 * gives those bytes too (render and compare agree); the one exception
 * is a version-1 or version-3 policy whose stored text is canonical,
 * which must re-encode with its text form (version 2, or 3 with its
 * history) with the same fields and the same text.  On failure
 * `why` must be set.
 *
 * Encode direction: the input is also split on LF into an id, an error
 * code, up to RECORD_MX_MAX + 1 mx patterns and a text (the rest); if
 * the encoder accepts that struct, decoding the result must succeed and
 * give the same fields and the same text, byte for byte.  Then the
 * canonical text of those fields (LF or CRLF, by the first input byte)
 * is rendered and encoded as a stored text: it must be written as its
 * text form, and a text form with a text must be refused; that text
 * with one byte more, one less or one changed must be stored verbatim.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t scratch[RECORD_POLICY_MAX], scratch2[RECORD_POLICY_MAX];
static char tbuf[RECORD_TEXT_RENDER_MAX], tbuf2[RECORD_TEXT_RENDER_MAX];

static int
fuzz_inside(const char *s, const uint8_t *buf, size_t len)
{
	return s >= (const char *)buf && s < (const char *)buf + len &&
	    memchr(s, '\0', (size_t)((const char *)buf + len - s)) != NULL;
}

/* Every field but the text. */
static int
fuzz_same_fields(const struct record_policy *a, const struct record_policy *b)
{
	size_t i;

	if (a->mode != b->mode || a->max_age != b->max_age ||
	    a->failures != b->failures || a->fetched_at != b->fetched_at ||
	    a->txt_checked_at != b->txt_checked_at ||
	    a->retry_at != b->retry_at || strcmp(a->id, b->id) != 0 ||
	    a->enforce_since != b->enforce_since ||
	    a->testing_since != b->testing_since ||
	    strcmp(a->last_error, b->last_error) != 0 || a->nmx != b->nmx)
		return 0;
	for (i = 0; i < a->nmx; i++)
		if (strcmp(a->mx[i], b->mx[i]) != 0)
			return 0;
	return 1;
}

/* The text of p must be t[0..tlen), whether stored or regenerated. */
static int
fuzz_text_is(const struct record_policy *p, const char *t, size_t tlen)
{
	const char *got;
	size_t len = 0;

	got = record_policy_text(p, tbuf2, sizeof(tbuf2), &len);
	return got != NULL && len == tlen && got[len] == '\0' &&
	    (tlen == 0 || memcmp(got, t, tlen) == 0);
}

/*
 * A decoded policy's text, and the encoder recognising a rendering: p
 * with its regenerated text as a stored text encodes as enc[0..enclen),
 * p's own encoding.
 */
static void
fuzz_check_text(const struct record_policy *p, const uint8_t *enc,
    size_t enclen)
{
	static struct record_policy q;
	const char *t;
	size_t tlen = 0;

	if ((t = record_policy_text(p, tbuf, sizeof(tbuf), &tlen)) == NULL ||
	    t[tlen] != '\0')
		abort();
	if (p->text_form == RECORD_TEXT_STORED) {
		if (t != p->text || tlen != p->text_len)
			abort();
		return;
	}
	if (t != tbuf || strlen(t) != tlen)
		abort();
	q = *p;
	q.text = t;
	q.text_len = tlen;
	q.text_form = RECORD_TEXT_STORED;
	if (record_policy_encode(&q, scratch2, sizeof(scratch2), NULL) !=
	    (ssize_t)enclen || memcmp(scratch2, enc, enclen) != 0)
		abort();
}

/* Every string of a decoded p points into buf; a text form has no text. */
static void
fuzz_check_pointers(const struct record_policy *p, const uint8_t *buf,
    size_t len)
{
	size_t i;

	if (!fuzz_inside(p->id, buf, len) ||
	    !fuzz_inside(p->last_error, buf, len) || p->nmx > RECORD_MX_MAX)
		abort();
	for (i = 0; i < p->nmx; i++)
		if (!fuzz_inside(p->mx[i], buf, len) || p->mx[i][0] == '\0')
			abort();
	if (p->text_form == RECORD_TEXT_STORED) {
		if (!fuzz_inside(p->text, buf, len) ||
		    p->text[p->text_len] != '\0')
			abort();
	} else if ((unsigned)p->text_form > RECORD_TEXT_CRLF ||
	    p->text != NULL || p->text_len != 0)
		abort();
}

static void
fuzz_decode_policy(const uint8_t *buf, size_t len)
{
	static struct record_policy p, d;
	const char *why = NULL;
	ssize_t n;

	if (record_policy_decode(buf, len, &p, &why) != 0) {
		if (why == NULL)
			abort();
		return;
	}
	if (why != NULL)
		abort();
	fuzz_check_pointers(&p, buf, len);
	n = record_policy_encode(&p, scratch, sizeof(scratch), NULL);
	if (n <= 0 || (size_t)n != record_policy_size(&p))
		abort();
	if ((size_t)n == len && memcmp(scratch, buf, len) == 0) {
		fuzz_check_text(&p, buf, len);
		return;
	}
	/* Only a stored canonical text changes: to its text form. */
	fuzz_check_text(&p, scratch, (size_t)n);
	if ((buf[0] != 1 && buf[0] != 3) ||
	    scratch[0] != (buf[0] == 1 ? 2 : 3) ||
	    p.text_form != RECORD_TEXT_STORED ||
	    record_policy_decode(scratch, (size_t)n, &d, NULL) != 0 ||
	    d.text_form == RECORD_TEXT_STORED || !fuzz_same_fields(&p, &d) ||
	    !fuzz_text_is(&d, p.text, p.text_len))
		abort();
}

static void
fuzz_decode_negative(const uint8_t *buf, size_t len)
{
	struct record_negative n;
	const char *why = NULL;

	if (record_negative_decode(buf, len, &n, &why) != 0) {
		if (why == NULL)
			abort();
		return;
	}
	if (why != NULL || !fuzz_inside(n.code, buf, len) ||
	    record_negative_encode(&n, scratch, sizeof(scratch), NULL) !=
	    (ssize_t)record_negative_size(&n))
		abort();
	if (record_negative_size(&n) != len || memcmp(scratch, buf, len) != 0)
		abort();
}

/* Next LF-terminated field of in[*off..size) as a fresh C string. */
static char *
fuzz_field(const uint8_t *in, size_t size, size_t *off)
{
	const uint8_t *nl;
	size_t n;
	char *s;

	nl = *off < size ? memchr(in + *off, '\n', size - *off) : NULL;
	n = nl != NULL ? (size_t)(nl - (in + *off)) : size - *off;
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, in + *off, n);
	s[n] = '\0';
	*off += n + (nl != NULL);
	return s;
}

/*
 * q (a valid policy with a stored text, t[0..tlen) with the NUL after
 * it) must be written with a stored text, which decodes byte for byte.
 */
static void
fuzz_must_store(struct record_policy *q, char *t, size_t tlen)
{
	static struct record_policy d;
	ssize_t n;

	q->text = t;
	q->text_len = tlen;
	n = record_policy_encode(q, scratch, sizeof(scratch), NULL);
	if (n <= 0 || scratch[3] != RECORD_TEXT_STORED ||
	    record_policy_decode(scratch, (size_t)n, &d, NULL) != 0 ||
	    !fuzz_text_is(&d, t, tlen))
		abort();
}

/*
 * Texts near the canonical one, t[0..tlen): one byte more, one less,
 * one changed (at an input-chosen place, to the input's last byte).
 * None is canonical (the LF and CRLF renderings differ in length, so a
 * change of one byte cannot turn one into the other): all are stored.
 */
static void
fuzz_encode_near(struct record_policy *q, const char *t, size_t tlen,
    const uint8_t *in, size_t size)
{
	static char near[RECORD_TEXT_RENDER_MAX + 1];
	char b = size > 0 && in[size - 1] != '\0' ? (char)in[size - 1] : 'x';
	size_t k = size % tlen;

	memcpy(near, t, tlen);
	near[tlen] = b;
	near[tlen + 1] = '\0';
	fuzz_must_store(q, near, tlen + 1);
	near[tlen - 1] = '\0';
	fuzz_must_store(q, near, tlen - 1);
	memcpy(near, t, tlen + 1);
	if (near[k] != b) {
		near[k] = b;
		fuzz_must_store(q, near, tlen);
	}
}

/*
 * The canonical text of p's fields (p valid, encoded in n bytes with
 * its own text) with the line ends chosen by `crlf`, as a stored text:
 * it must be written as its form, in n bytes less that text's.
 */
static void
fuzz_encode_canon(const struct record_policy *p, int crlf,
    const uint8_t *in, size_t size)
{
	static struct record_policy q, d;
	const char *t;
	size_t tlen = 0;
	ssize_t n, m;

	q = *p;
	q.text = NULL;
	q.text_len = 0;
	q.text_form = crlf ? RECORD_TEXT_CRLF : RECORD_TEXT_LF;
	n = record_policy_encode(&q, scratch2, sizeof(scratch2), NULL);
	if (n <= 0 || (t = record_policy_text(&q, tbuf, sizeof(tbuf),
	    &tlen)) == NULL)
		abort();
	q.text = "x";
	q.text_len = 1;
	if (record_policy_encode(&q, scratch, sizeof(scratch), NULL) != -1 ||
	    record_policy_size(&q) != 0)
		abort();	/* a text form with a text */
	q.text = t;
	q.text_len = tlen;
	q.text_form = RECORD_TEXT_STORED;
	m = record_policy_encode(&q, scratch, sizeof(scratch), NULL);
	if (m != n || memcmp(scratch, scratch2, (size_t)n) != 0 ||
	    record_policy_decode(scratch, (size_t)m, &d, NULL) != 0 ||
	    d.text != NULL || !fuzz_text_is(&d, t, tlen))
		abort();
	fuzz_encode_near(&q, t, tlen, in, size);
}

static void
fuzz_encode(const uint8_t *in, size_t size)
{
	static struct record_policy p, d;
	static char *mx[RECORD_MX_MAX + 1];
	size_t off = 0, nmx = 0, i;
	char *id, *err;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.mode = size > 0 ? (enum record_mode)(in[0] % 4) : RECORD_MODE_NONE;
	p.max_age = (uint32_t)size;
	/* Bit 3 of the first byte: with a history (version 3). */
	if (size > 0 && (in[0] & 8) != 0) {
		p.enforce_since = (int64_t)size - 1;
		p.testing_since = -(int64_t)size;
	}
	id = fuzz_field(in, size, &off);
	err = fuzz_field(in, size, &off);
	while (nmx <= RECORD_MX_MAX && off < size && in[off] != '\n')
		mx[nmx++] = fuzz_field(in, size, &off);
	p.id = id;
	p.last_error = err;
	p.nmx = nmx;
	for (i = 0; i < nmx && i < RECORD_MX_MAX; i++)
		p.mx[i] = mx[i];
	p.text = off < size ? (const char *)in + off : NULL;
	p.text_len = off < size ? size - off : 0;
	n = record_policy_encode(&p, scratch, sizeof(scratch), NULL);
	if ((n > 0) != (record_policy_size(&p) > 0))
		abort();
	if (n > 0 && (record_policy_decode(scratch, (size_t)n, &d, NULL) != 0 ||
	    strcmp(d.id, id) != 0 || strcmp(d.last_error, err) != 0 ||
	    d.nmx != nmx || d.mode != p.mode ||
	    d.enforce_since != p.enforce_since ||
	    d.testing_since != p.testing_since ||
	    !fuzz_text_is(&d, p.text, p.text_len)))
		abort();
	if (n > 0)
		fuzz_encode_canon(&p, size > 0 && (in[0] & 4) != 0, in, size);
	for (i = 0; i < nmx; i++)
		free(mx[i]);
	free(id);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	fuzz_decode_policy(copy, size);
	fuzz_decode_negative(copy, size);
	free(copy);
	fuzz_encode(data, size);
	return 0;
}
