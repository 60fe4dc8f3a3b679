/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tlsrpt.c: the "_smtp._tls" TXT record parser (RFC 8460 §3); the
 * grammar and the reading of it are in tlsrpt.h.
 *
 * The record is walked once: the version, then fields split at ";"
 * (with the WSP around it), each field at its first "=".  The rua value
 * is split at "," into URIs; a URI may not hold "," or ";" raw (§3:
 * they "MUST be URL encoded"), so splitting first is exact.
 */
#include <string.h>

#include "chars.h"
#include "tlsrpt.h"

#define TLSRPT_VERSION		"v=TLSRPTv1"
#define TLSRPT_VERSION_LEN	(sizeof(TLSRPT_VERSION) - 1)
#define TLSRPT_NAME_MAX		32	/* ext-name: 1*32 characters */

/* A byte range of the record. */
struct tlsrpt_span {
	const char	*s;
	size_t		 len;
};

static int		 tlsrpt_prefixed(const char *, size_t);
static struct tlsrpt_span tlsrpt_trim(struct tlsrpt_span);
static const char	*tlsrpt_scan(const char *, size_t);
static int		 tlsrpt_ncaseeq(const char *, const char *, size_t);
static const char	*tlsrpt_uri(struct tlsrpt_span, struct tlsrpt *);
static const char	*tlsrpt_rua(struct tlsrpt_span, struct tlsrpt *);
static const char	*tlsrpt_ext(struct tlsrpt_span, struct tlsrpt_span);
static const char	*tlsrpt_field(struct tlsrpt_span, struct tlsrpt *,
			    int *);
static const char	*tlsrpt_fields(struct tlsrpt_span, struct tlsrpt *);

/* Does the record start with the version, as a whole token? */
static int
tlsrpt_prefixed(const char *s, size_t len)
{
	if (len < TLSRPT_VERSION_LEN ||
	    memcmp(s, TLSRPT_VERSION, TLSRPT_VERSION_LEN) != 0)
		return 0;
	return len == TLSRPT_VERSION_LEN || s[TLSRPT_VERSION_LEN] == ';' ||
	    chars_is_wsp(s[TLSRPT_VERSION_LEN]);
}

static struct tlsrpt_span
tlsrpt_trim(struct tlsrpt_span sp)
{
	while (sp.len > 0 && chars_is_wsp(sp.s[0])) {
		sp.s++;
		sp.len--;
	}
	while (sp.len > 0 && chars_is_wsp(sp.s[sp.len - 1]))
		sp.len--;
	return sp;
}

/* RFC 8460 §3: the record is US-ASCII; no CTL but HTAB (in WSP). */
static const char *
tlsrpt_scan(const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0')
			return "NUL byte";
		if (c >= 0x80)
			return "non-ASCII byte";
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "control character";
	}
	return NULL;
}

static int
tlsrpt_ncaseeq(const char *s, const char *lower, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (chars_tolower((unsigned char)s[i]) != lower[i])
			return 0;
	return 1;
}

/* One URI: mailto:local@domain or https://host...; kept in out. */
static const char *
tlsrpt_uri(struct tlsrpt_span u, struct tlsrpt *out)
{
	const char *at, *host;
	size_t i, rest;

	if (u.len == 0)
		return "empty rua URI";
	for (i = 0; i < u.len; i++)
		if (u.s[i] == ' ' || u.s[i] == '\t')
			return "space in a rua URI";
	if (u.len > TLSRPT_URI_LEN)
		return "rua URI too long";
	if (u.len > 7 && tlsrpt_ncaseeq(u.s, "mailto:", 7)) {
		rest = u.len - 7;
		at = memchr(u.s + 7, '@', rest);
		if (at == NULL || at == u.s + 7 || at == u.s + u.len - 1 ||
		    memchr(at + 1, '@', (size_t)(u.s + u.len - at - 1)) != NULL)
			return "mailto: URI without one local@domain address";
	} else if (u.len > 8 && tlsrpt_ncaseeq(u.s, "https://", 8)) {
		host = u.s + 8;
		if (*host == '/' || *host == '?' || *host == '#' ||
		    *host == ':')
			return "https: URI without a host";
	} else
		return "rua URI is neither mailto: nor https:";
	if (out->nuri == TLSRPT_URI_MAX)
		return "too many rua URIs";
	memcpy(out->uri[out->nuri], u.s, u.len);
	out->uri[out->nuri++][u.len] = '\0';
	return NULL;
}

/* tlsrpt-rua value: URIs separated by "," with optional WSP. */
static const char *
tlsrpt_rua(struct tlsrpt_span v, struct tlsrpt *out)
{
	struct tlsrpt_span u;
	const char *comma, *why, *end = v.s + v.len;

	for (;;) {
		comma = memchr(v.s, ',', (size_t)(end - v.s));
		u.s = v.s;
		u.len = (size_t)((comma != NULL ? comma : end) - v.s);
		if ((why = tlsrpt_uri(tlsrpt_trim(u), out)) != NULL)
			return why;
		if (comma == NULL)
			return NULL;
		v.s = comma + 1;
	}
}

/* An extension field: checked for syntax, then ignored. */
static const char *
tlsrpt_ext(struct tlsrpt_span name, struct tlsrpt_span value)
{
	size_t i;
	unsigned char c;

	if (name.len == 0 || name.len > TLSRPT_NAME_MAX ||
	    !chars_is_alnum((unsigned char)name.s[0]))
		return "invalid field name";
	for (i = 1; i < name.len; i++) {
		c = (unsigned char)name.s[i];
		if (!chars_is_alnum(c) && c != '_' && c != '-' && c != '.')
			return "invalid field name";
	}
	if (value.len == 0)
		return "empty field value";
	for (i = 0; i < value.len; i++) {
		c = (unsigned char)value.s[i];
		if (c < 0x21 || c > 0x7e || c == '=')
			return "invalid field value";
	}
	return NULL;
}

static const char *
tlsrpt_field(struct tlsrpt_span f, struct tlsrpt *out, int *seen_rua)
{
	struct tlsrpt_span name, value;
	const char *eq;

	if ((eq = memchr(f.s, '=', f.len)) == NULL)
		return f.len == 0 ? "empty field" : "field without \"=\"";
	name.s = f.s;
	name.len = (size_t)(eq - f.s);
	value.s = eq + 1;
	value.len = f.len - name.len - 1;
	if (name.len == 3 && memcmp(name.s, "rua", 3) == 0) {
		if ((*seen_rua)++)
			return "more than one rua field";
		return tlsrpt_rua(value, out);
	}
	return tlsrpt_ext(name, value);
}

/* What follows the version: 1*(field-delim field) [field-delim]. */
static const char *
tlsrpt_fields(struct tlsrpt_span r, struct tlsrpt *out)
{
	struct tlsrpt_span f;
	const char *semi, *why, *end = r.s + r.len;
	int seen_rua = 0;

	r = tlsrpt_trim(r);
	if (r.len == 0 || r.s[0] != ';')
		return "no field after the version";
	r.s++;
	r.len--;
	end = r.s + r.len;
	for (;;) {
		semi = memchr(r.s, ';', (size_t)(end - r.s));
		f.s = r.s;
		f.len = (size_t)((semi != NULL ? semi : end) - r.s);
		f = tlsrpt_trim(f);
		/* [field-delim]: only the last field may be empty */
		if (f.len == 0 && semi == NULL && seen_rua)
			break;
		if ((why = tlsrpt_field(f, out, &seen_rua)) != NULL)
			return why;
		if (semi == NULL)
			break;
		r.s = semi + 1;
	}
	return seen_rua ? NULL : "no rua field";
}

enum tlsrpt_result
tlsrpt_parse(const char *txt, size_t len, struct tlsrpt *out,
    const char **why)
{
	struct tlsrpt local, *o = out != NULL ? out : &local;
	struct tlsrpt_span rest;
	const char *err;

	o->nuri = 0;
	if (txt == NULL || !tlsrpt_prefixed(txt, len)) {
		err = "the record does not start with \"v=TLSRPTv1\"";
		if (why != NULL)
			*why = err;
		return TLSRPT_NONE;
	}
	rest.s = txt + TLSRPT_VERSION_LEN;
	rest.len = len - TLSRPT_VERSION_LEN;
	if ((err = tlsrpt_scan(txt, len)) == NULL)
		err = tlsrpt_fields(rest, o);
	if (err != NULL)
		o->nuri = 0;
	if (why != NULL)
		*why = err;
	return err == NULL ? TLSRPT_OK : TLSRPT_INVALID;
}

enum tlsrpt_result
tlsrpt_select(const char *const *txts, const size_t *lens, size_t n,
    struct tlsrpt *out, const char **why)
{
	size_t i, found = 0, count = 0;

	if (txts == NULL || lens == NULL)
		n = 0;
	for (i = 0; i < n; i++)
		if (txts[i] != NULL && tlsrpt_prefixed(txts[i], lens[i])) {
			found = i;
			count++;
		}
	if (count == 1)
		return tlsrpt_parse(txts[found], lens[found], out, why);
	if (out != NULL)
		out->nuri = 0;
	if (why != NULL)
		*why = count == 0 ? "no record starts with \"v=TLSRPTv1\"" :
		    "more than one record starts with \"v=TLSRPTv1\"";
	return count == 0 ? TLSRPT_NONE : TLSRPT_MULTIPLE;
}

const char *
tlsrpt_code(enum tlsrpt_result r)
{
	switch (r) {
	case TLSRPT_OK:
		return "ok";
	case TLSRPT_NONE:
		return "none";
	case TLSRPT_MULTIPLE:
		return "multiple";
	case TLSRPT_INVALID:
		return "invalid";
	}
	return "unknown";
}
