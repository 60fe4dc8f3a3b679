/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * stsrec.c: the "_mta-sts" TXT record parser (RFC 8461 §3.1).
 *
 * A strict recursive-descent reader of the §3.1 ABNF (quoted in
 * stsrec.h) over a bounded, non-NUL-terminated byte range.  Every read
 * is checked against the length; nothing is allocated.
 *
 * Decisions where the RFC leaves room, with the text they rest on:
 *
 * 1. What counts as an STS record.  §3.1: "If multiple TXT records for
 *    "_mta-sts" are returned by the resolver, records which do not begin
 *    with "v=STSv1;" are discarded."  We apply that test literally, byte
 *    for byte and case-sensitively, to every record, also a lone one.
 *    So "v=STSv1 ; id=1" (which the ABNF would accept, since
 *    sts-field-delim allows WSP before ";"), "v=STSv1" and "v=stsv1;..."
 *    are not STS records: STSREC_NONE, and they do not count towards
 *    STSREC_MULTIPLE.  A record that does begin with "v=STSv1;" counts
 *    even if the rest is garbage (then STSREC_INVALID).  All of these
 *    mean "no usable record", so the choice only changes the log code.
 *
 * 2. Duplicate fields.  The ABNF, 1*(sts-field-delim sts-field), allows
 *    any field to repeat, and §3.2 says: "Parsers MUST accept TXT
 *    records and policy files which are syntactically valid [...] If
 *    any non-repeated field--i.e., all fields excepting "mx"--is
 *    duplicated, all entries except for the first SHALL be ignored."
 *    So the first id wins.  A later duplicate is ignored for its value
 *    but not for syntax: §3.1 "if the resulting record is syntactically
 *    invalid, senders MUST assume the recipient domain does not have an
 *    available MTA-STS policy", and validity is of the whole record.
 *
 * 3. A field named "id" is always an sts-id.  Read alone, the ABNF also
 *    lets "id=abc-def" or a 40-character id pass as an sts-extension
 *    whose name happens to be "id", as long as some other field is a
 *    valid sts-id.  Extensions are for "additional key/value pairs not
 *    specified in this document" (§3.2) and "id" is specified, so any
 *    "id=" field must match sts-id: 1*32(ALPHA / DIGIT).  Names are
 *    case-sensitive (%s"id="), so "ID=x" is an extension and does not
 *    satisfy the required id.
 *
 * 4. Characters.  §3.1: "MTA-STS TXT records MUST be US-ASCII".  No
 *    production admits a CTL except HTAB inside WSP, so NUL, CR, LF, DEL
 *    and other CTLs are rejected up front (with a precise reason), and
 *    HTAB is accepted only where WSP is, i.e. around ";".
 */
#include <string.h>

#include "stsrec.h"
#include "chars.h"

/* sts-ext-name = (ALPHA / DIGIT) *31(...): at most 32 characters. */
#define STSREC_NAME_MAX 32

/* A read position in a bounded byte range. */
struct stsrec_cur {
	const unsigned char	*s;
	size_t			 len;
	size_t			 pos;
};

static int		 stsrec_is_name_char(unsigned char);
static int		 stsrec_is_ext_value_char(unsigned char);
static int		 stsrec_has_prefix(const char *, size_t);
static const char	*stsrec_scan_bytes(const char *, size_t);
static int		 stsrec_skip_delim(struct stsrec_cur *);
static const char	*stsrec_parse_id(struct stsrec_cur *, char *, int *);
static const char	*stsrec_parse_ext_value(struct stsrec_cur *);
static const char	*stsrec_parse_field(struct stsrec_cur *, char *, int *);
static const char	*stsrec_parse_fields(struct stsrec_cur *, char *);

/* The characters sts-ext-name allows after its first one. */
static int
stsrec_is_name_char(unsigned char c)
{
	return chars_is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* sts-ext-value: %x21-3A / %x3C / %x3E-7E, i.e. VCHAR but ";" and "=". */
static int
stsrec_is_ext_value_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

/* Decision 1: the literal §3.1 selection test. */
static int
stsrec_has_prefix(const char *txt, size_t len)
{
	return txt != NULL && len >= STSREC_PREFIX_LEN &&
	    memcmp(txt, STSREC_PREFIX, STSREC_PREFIX_LEN) == 0;
}

/* Decision 4: returns a reason for the first forbidden byte, or NULL. */
static const char *
stsrec_scan_bytes(const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0')
			return "NUL byte in record";
		if (c >= 0x80)
			return "non-ASCII byte in record";
		if (c == '\r' || c == '\n')
			return "CR or LF in record";
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "control character in record";
	}
	return NULL;
}

/* sts-field-delim = *WSP ";" *WSP.  Returns 0 if there is no ";". */
static int
stsrec_skip_delim(struct stsrec_cur *c)
{
	while (c->pos < c->len && chars_is_wsp(c->s[c->pos]))
		c->pos++;
	if (c->pos == c->len || c->s[c->pos] != ';')
		return 0;
	c->pos++;
	while (c->pos < c->len && chars_is_wsp(c->s[c->pos]))
		c->pos++;
	return 1;
}

/*
 * The value of an "id=" field (decision 3): 1*32(ALPHA / DIGIT), then
 * the end, WSP or ";".  The first id is copied to `id` (decision 2).
 */
static const char *
stsrec_parse_id(struct stsrec_cur *c, char *id, int *have_id)
{
	size_t start = c->pos, n;
	unsigned char next;

	while (c->pos < c->len && chars_is_alnum(c->s[c->pos]))
		c->pos++;
	n = c->pos - start;
	if (c->pos < c->len) {
		next = c->s[c->pos];
		if (next != ';' && !chars_is_wsp(next))
			return "id has a character other than a letter "
			    "or digit";
	}
	if (n == 0)
		return "empty id";
	if (n > STSREC_ID_MAX)
		return "id is longer than 32 characters";
	if (!*have_id) {
		memcpy(id, c->s + start, n);
		id[n] = '\0';
		*have_id = 1;
	}
	return NULL;
}

/* sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E). */
static const char *
stsrec_parse_ext_value(struct stsrec_cur *c)
{
	size_t start = c->pos;

	while (c->pos < c->len &&
	    stsrec_is_ext_value_char(c->s[c->pos]))
		c->pos++;
	/* Only "=" can stop the run here: CTLs and 8-bit bytes were
	 * rejected up front, and WSP or ";" end the field. */
	if (c->pos < c->len && c->s[c->pos] == '=')
		return "field value contains \"=\"";
	if (c->pos == start)
		return "empty field value";
	return NULL;
}

/* sts-field = sts-id / sts-extension; `c` is at its first byte. */
static const char *
stsrec_parse_field(struct stsrec_cur *c, char *id, int *have_id)
{
	size_t start = c->pos, n;

	if (c->s[c->pos] == ';')
		return "empty field";
	if (!chars_is_alnum(c->s[c->pos]))
		return "field name does not start with a letter or digit";
	while (c->pos < c->len && stsrec_is_name_char(c->s[c->pos]))
		c->pos++;
	n = c->pos - start;
	if (n > STSREC_NAME_MAX)
		return "field name is longer than 32 characters";
	if (c->pos == c->len || c->s[c->pos] != '=')
		return "field without \"=\"";
	c->pos++;
	if (n == 2 && memcmp(c->s + start, "id", 2) == 0)
		return stsrec_parse_id(c, id, have_id);
	return stsrec_parse_ext_value(c);
}

/*
 * 1*(sts-field-delim sts-field) [sts-field-delim], starting at the ";"
 * that ends sts-version, which the caller has checked is there.
 */
static const char *
stsrec_parse_fields(struct stsrec_cur *c, char *id)
{
	const char *err;
	int have_id = 0;

	c->pos = STSREC_PREFIX_LEN - 1;
	for (;;) {
		if (!stsrec_skip_delim(c)) {
			if (c->pos == c->len)
				return "whitespace at end of record";
			return "expected \";\" between fields";
		}
		if (c->pos == c->len)
			break;	/* the optional trailing delimiter */
		if ((err = stsrec_parse_field(c, id, &have_id)) != NULL)
			return err;
		if (c->pos == c->len)
			break;
	}
	/* Also covers "v=STSv1;" with no field at all. */
	if (!have_id)
		return "missing id field";
	return NULL;
}

enum stsrec_result
stsrec_parse(const char *txt, size_t len, struct stsrec *out,
    const char **why)
{
	struct stsrec_cur c = { (const unsigned char *)txt, len, 0 };
	char id[STSREC_ID_MAX + 1] = "";
	enum stsrec_result r = STSREC_INVALID;
	const char *err;

	if (!stsrec_has_prefix(txt, len)) {
		r = STSREC_NONE;
		err = "record does not begin with \"v=STSv1;\"";
		goto done;
	}
	if (len > STSREC_RECORD_MAX) {
		err = "record is longer than 65535 bytes";
		goto done;
	}
	if ((err = stsrec_scan_bytes(txt, len)) != NULL)
		goto done;
	if ((err = stsrec_parse_fields(&c, id)) != NULL)
		goto done;
	r = STSREC_OK;
done:
	/* Never leave a half-parsed id behind for the caller. */
	if (out != NULL) {
		if (r == STSREC_OK)
			memcpy(out->id, id, sizeof(out->id));
		else
			out->id[0] = '\0';
	}
	if (why != NULL)
		*why = r == STSREC_OK ? NULL : err;
	return r;
}

enum stsrec_result
stsrec_select(const char *const *txts, const size_t *lens, size_t n,
    struct stsrec *out, const char **why)
{
	enum stsrec_result r;
	size_t i, found = 0, count = 0;
	const char *err;

	if (txts == NULL || lens == NULL)
		n = 0;
	for (i = 0; i < n; i++) {
		if (stsrec_has_prefix(txts[i], lens[i])) {
			found = i;
			count++;
		}
	}
	if (count == 1)
		return stsrec_parse(txts[found], lens[found], out, why);
	if (count == 0) {
		r = STSREC_NONE;
		err = "no record begins with \"v=STSv1;\"";
	} else {
		r = STSREC_MULTIPLE;
		err = "more than one record begins with \"v=STSv1;\"";
	}
	if (out != NULL)
		out->id[0] = '\0';
	if (why != NULL)
		*why = err;
	return r;
}

const char *
stsrec_code(enum stsrec_result r)
{
	switch (r) {
	case STSREC_OK:
		return "ok";
	case STSREC_NONE:
		return "txt-none";
	case STSREC_MULTIPLE:
		return "txt-multiple";
	case STSREC_INVALID:
		return "txt-invalid";
	}
	return "unknown";
}
