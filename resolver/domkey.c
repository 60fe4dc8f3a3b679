/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * domkey.c: normalise a lookup key into a mail domain (docs/DESIGN.md
 * §Keys).
 *
 * The key is split on ASCII "." and built label by label into `out`;
 * the result is then checked as a whole for LDH syntax.  Every check
 * that decides DOMAIN runs on the final A-label form, so whatever
 * libidn2's mapping produces (UTS #46 maps U+3002 to ".", drops
 * U+00AD, ...) is held to the same rules as plain ASCII.
 *
 * Decisions, with reasons:
 *
 * 1. IDNA.  U-labels become A-labels with IDNA2008 (RFC 5891) through
 *    idn2_to_ascii_8z(IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL): UTS #46
 *    mapping (case folding, full-width forms, ideographic full stop),
 *    then IDNA2008 validity.  There is no fallback to transitional
 *    processing (what curl and wget do): it maps "faß.de" to
 *    "fass.de", a different domain with a different policy, and it
 *    accepts emoji that IDNA2008 disallows.  A label IDNA2008 rejects
 *    is INVALID.  Known divergence: Postfix's midna_domain.c uses ICU's
 *    UIDNA_DEFAULT, which is transitional before ICU 76 (Debian 12 has
 *    ICU 72), so for names with ß, ς, ZWJ or ZWNJ Postfix may deliver
 *    to the transitional name while we look up the IDNA2008 one.
 *
 * 2. The fallback that does exist: all-ASCII labels do not go through
 *    libidn2.  They are lowercased and held to LDH syntax (RFC 1123
 *    §2.1, RFC 5321 §4.1.2 "Domain").  This keeps the hot path free of
 *    allocation and keeps valid host names valid: libidn2 rejects
 *    ASCII labels with "--" in positions 3-4 ("ab--c"), which DNS and
 *    Postfix accept.  Labels starting with "xn--" are the exception:
 *    they are passed to libidn2, which decodes and checks them, so a
 *    broken A-label ("xn--zzzz") or one hiding a disallowed code point
 *    (an emoji's "xn--ls8h") is INVALID however it is spelled.
 *
 * 3. Underscore is INVALID.  A mail domain is an RFC 5321 Domain (LDH);
 *    "_" labels are DNS service labels (RFC 8552), never mail domains.
 *
 * 4. Not-domain keys.  Postfix looks up "[host]" and "[host]:port" for
 *    next hops without MX lookups, ".parent" after a NOTFOUND, and may
 *    send "host:port" and IP literals (postconf(5)
 *    smtp_tls_policy_maps).  None names a recipient domain whose MX
 *    hosts an MTA-STS policy covers, so the answer is NOTFOUND without
 *    network work.  They are classified by shape, with light checks
 *    ([host] content printable, port 1..65535, ".parent" and "host:port"
 *    hosts valid names) so that garbage stays INVALID.  Single labels
 *    ("localhost", ".com") and numeric TLDs ("192.0.2.1") are NOT_DOMAIN
 *    too: a policy for them cannot exist (RFC 8461 §3.3 needs
 *    "mta-sts.<domain>", and no TLD is numeric).
 *
 * 5. Out of memory in libidn2 is DOMKEY_ERROR, not INVALID: INVALID
 *    leads to NOTFOUND, and a local failure must never read as "this
 *    domain has no policy" (docs/DESIGN.md §Failures).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <idn2.h>

#include "domkey.h"
#include "chars.h"

#define DOMKEY_IDN2_FLAGS (IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)

/* Longest IPv6 text form, "ffff:...:255.255.255.255". */
#define DOMKEY_INET6_MAX 45

/* A name under construction in the caller's out[DOMKEY_MAX + 1]. */
struct domkey_buf {
	char	*s;
	size_t	 len;
};

static enum domkey_kind	domkey_set(enum domkey_kind, const char *,
			    const char **);
static int		domkey_is_ldh(unsigned char);
static int		domkey_port(const char *, size_t);
static int		domkey_xn(const char *, size_t);
static int		domkey_needs_idna(const char *, size_t);
static enum domkey_kind	domkey_append(struct domkey_buf *, const char *,
			    size_t, int, const char **);
static enum domkey_kind	domkey_label(struct domkey_buf *, const char *,
			    size_t, const char **);
static enum domkey_kind	domkey_check(const char *, const char **);
static int		domkey_ascii_label(const char *, size_t);
static int		domkey_ascii(const char *, size_t, char *);
static enum domkey_kind	domkey_name(const char *, size_t, char *,
			    const char **);
static enum domkey_kind	domkey_bracket(const char *, size_t,
			    const char **);
static enum domkey_kind	domkey_parent(const char *, size_t, char *,
			    const char **);
static enum domkey_kind	domkey_colon(const char *, size_t, char *,
			    const char **);

static enum domkey_kind
domkey_set(enum domkey_kind k, const char *reason, const char **why)
{
	if (why != NULL)
		*why = reason;
	return k;
}

/* Lowercase LDH: the only bytes a normalised name may contain. */
static int
domkey_is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || chars_is_digit(c) || c == '-';
}

/* 1 if s[0..n) is a TCP port: 1..5 digits, 1..65535. */
static int
domkey_port(const char *s, size_t n)
{
	size_t i;
	long v = 0;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (!chars_is_digit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Does the label start like an A-label ("xn--", any case)? */
static int
domkey_xn(const char *s, size_t n)
{
	/* c | 0x20 is 'x' only for "x" and "X" (likewise 'n'). */
	return n >= 4 && (s[0] | 0x20) == 'x' && (s[1] | 0x20) == 'n' &&
	    s[2] == '-' && s[3] == '-';
}

/* A label goes through libidn2 if it has a non-ASCII byte or claims to
 * be an A-label; see decision 2. */
static int
domkey_needs_idna(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return domkey_xn(s, n);
}

/* Append "." (unless first) and s[0..n) to b, lowercasing ASCII
 * letters when `fold`; INVALID if the name would exceed DOMKEY_MAX. */
static enum domkey_kind
domkey_append(struct domkey_buf *b, const char *s, size_t n, int fold,
    const char **why)
{
	size_t i, need = n + (b->len > 0);
	unsigned char c;

	if (need > DOMKEY_MAX - b->len)
		return domkey_set(DOMKEY_INVALID, "name too long", why);
	if (b->len > 0)
		b->s[b->len++] = '.';
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (fold && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		b->s[b->len++] = (char)c;
	}
	b->s[b->len] = '\0';
	return DOMKEY_DOMAIN;
}

/* Convert one non-empty label s[0..n) and append it to b. */
static enum domkey_kind
domkey_label(struct domkey_buf *b, const char *s, size_t n,
    const char **why)
{
	char in[DOMKEY_INPUT_MAX + 1], *alabel = NULL;
	enum domkey_kind k;
	int rc;

	if (!domkey_needs_idna(s, n))
		return domkey_append(b, s, n, 1, why);
	memcpy(in, s, n);	/* n <= DOMKEY_INPUT_MAX: checked on entry */
	in[n] = '\0';
	rc = idn2_to_ascii_8z(in, &alabel, DOMKEY_IDN2_FLAGS);
	if (rc == IDN2_MALLOC)
		k = domkey_set(DOMKEY_ERROR, "out of memory in libidn2", why);
	else if (rc != IDN2_OK || alabel == NULL)
		k = domkey_set(DOMKEY_INVALID, idn2_strerror(rc), why);
	else if (alabel[0] == '\0')	/* all code points mapped away */
		k = domkey_set(DOMKEY_INVALID, "empty label", why);
	else
		k = domkey_append(b, alabel, strlen(alabel), 1, why);
	idn2_free(alabel);
	return k;
}

/*
 * domkey_check: final LDH check of a built name.  INVALID, or
 * NOT_DOMAIN for a single label or an all-digit last label, or DOMAIN.
 */
static enum domkey_kind
domkey_check(const char *s, const char **why)
{
	size_t i, start = 0, labels = 0;
	int digits = 1;

	for (i = 0;; i++) {
		if (s[i] != '.' && s[i] != '\0') {
			if (!domkey_is_ldh((unsigned char)s[i]))
				return domkey_set(DOMKEY_INVALID,
				    "character not allowed in a domain", why);
			digits = digits && chars_is_digit((unsigned char)s[i]);
			continue;
		}
		if (i == start)
			return domkey_set(DOMKEY_INVALID, "empty label", why);
		if (i - start > DOMKEY_LABEL_MAX)
			return domkey_set(DOMKEY_INVALID, "label too long",
			    why);
		if (s[start] == '-' || s[i - 1] == '-')
			return domkey_set(DOMKEY_INVALID,
			    "label starts or ends with '-'", why);
		labels++;
		if (s[i] == '\0')
			break;
		start = i + 1;
		digits = 1;
	}
	if (digits)
		return domkey_set(DOMKEY_NOT_DOMAIN,
		    "numeric last label (IP address)", why);
	if (labels < 2)
		return domkey_set(DOMKEY_NOT_DOMAIN, "single-label name", why);
	return domkey_set(DOMKEY_DOMAIN, NULL, why);
}

/* A label of domkey_ascii(): 1 to 63 bytes, no "-" at either end, and
 * not an A-label. */
static int
domkey_ascii_label(const char *s, size_t n)
{
	return n > 0 && n <= DOMKEY_LABEL_MAX && s[0] != '-' &&
	    s[n - 1] != '-' && !domkey_xn(s, n);
}

/*
 * domkey_ascii: the hot path, in one pass.  A name of letters, digits,
 * "-" and dots that domkey_check() calls a DOMAIN (labels of 1 to 63
 * bytes without a "-" at either end, at least two labels, a last label
 * that is not all digits) and with no "xn--" label (libidn2 checks
 * those) is exactly what the label loop below would build, lowercased.
 * Returns 1 with the name in out; 0 for any other name, out then being
 * scratch: the label loop and domkey_check() decide, with a reason.
 */
static int
domkey_ascii(const char *key, size_t len, char *out)
{
	size_t i, start = 0;
	unsigned char c;

	if (len > DOMKEY_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if ((c = chars_ldh[(unsigned char)key[i]]) == 0)
			return 0;
		out[i] = (char)c;
		if (c != '.')
			continue;
		if (!domkey_ascii_label(key + start, i - start))
			return 0;
		start = i + 1;
	}
	out[len] = '\0';
	if (start == 0 || !domkey_ascii_label(key + start, len - start))
		return 0;	/* one label, or a bad last one */
	for (i = start; i < len; i++)
		if (!chars_is_digit((unsigned char)key[i]))
			return 1;
	return 0;		/* an all-numeric last label */
}

/* Normalise a plain name: strip one trailing dot, convert each label,
 * check the result.  out is "" unless the result is DOMAIN. */
static enum domkey_kind
domkey_name(const char *key, size_t len, char *out, const char **why)
{
	struct domkey_buf b = { out, 0 };
	enum domkey_kind k = DOMKEY_DOMAIN;
	const char *p, *end, *dot;

	out[0] = '\0';
	if (len > 0 && key[len - 1] == '.')
		len--;
	if (len == 0)
		return domkey_set(DOMKEY_INVALID, "empty name", why);
	if (domkey_ascii(key, len, out))
		return domkey_set(DOMKEY_DOMAIN, NULL, why);
	for (p = key, end = key + len;; p = dot + 1) {
		if ((dot = memchr(p, '.', (size_t)(end - p))) == NULL)
			dot = end;
		if (dot == p)
			k = domkey_set(DOMKEY_INVALID, "empty label", why);
		else
			k = domkey_label(&b, p, (size_t)(dot - p), why);
		if (k != DOMKEY_DOMAIN || dot == end)
			break;
	}
	if (k == DOMKEY_DOMAIN)
		k = domkey_check(out, why);
	if (k != DOMKEY_DOMAIN)
		out[0] = '\0';
	return k;
}

/* "[host]" or "[host]:port", host non-empty printable (UTF-8 allowed). */
static enum domkey_kind
domkey_bracket(const char *key, size_t len, const char **why)
{
	const char *close;
	size_t i, hlen;
	unsigned char c;

	if ((close = memchr(key, ']', len)) == NULL || close == key + 1)
		return domkey_set(DOMKEY_INVALID, "malformed [host]", why);
	hlen = (size_t)(close - key) - 1;
	for (i = 1; i <= hlen; i++) {
		c = (unsigned char)key[i];
		if (c <= ' ' || c == 0x7f || c == '[')
			return domkey_set(DOMKEY_INVALID,
			    "malformed [host]", why);
	}
	len -= hlen + 2;	/* what follows "]" */
	if (len == 0 || (close[1] == ':' && domkey_port(close + 2, len - 1)))
		return domkey_set(DOMKEY_NOT_DOMAIN, "[host] next hop", why);
	return domkey_set(DOMKEY_INVALID, "malformed [host]:port", why);
}

/* ".parent": Postfix's parent-domain probe, never looked up itself. */
static enum domkey_kind
domkey_parent(const char *key, size_t len, char *out, const char **why)
{
	enum domkey_kind k;

	k = domkey_name(key + 1, len - 1, out, why);
	out[0] = '\0';
	if (k == DOMKEY_DOMAIN || k == DOMKEY_NOT_DOMAIN)
		return domkey_set(DOMKEY_NOT_DOMAIN, "parent-domain key", why);
	return k;
}

/* A key with ":": an IPv6 literal or "host:port"; anything else is
 * INVALID (":" is not an LDH character). */
static enum domkey_kind
domkey_colon(const char *key, size_t len, char *out, const char **why)
{
	char text[DOMKEY_INET6_MAX + 1];
	struct in6_addr a6;
	const char *colon;
	enum domkey_kind k;

	if (len <= DOMKEY_INET6_MAX) {
		memcpy(text, key, len);
		text[len] = '\0';
		if (inet_pton(AF_INET6, text, &a6) == 1)
			return domkey_set(DOMKEY_NOT_DOMAIN,
			    "IP address literal", why);
	}
	colon = memchr(key, ':', len);
	if (!domkey_port(colon + 1, len - (size_t)(colon - key) - 1))
		return domkey_set(DOMKEY_INVALID, "':' in key", why);
	k = domkey_name(key, (size_t)(colon - key), out, why);
	out[0] = '\0';
	if (k == DOMKEY_DOMAIN || k == DOMKEY_NOT_DOMAIN)
		return domkey_set(DOMKEY_NOT_DOMAIN, "host:port next hop", why);
	return k;
}

enum domkey_kind
domkey_normalize(const char *key, size_t len, char out[DOMKEY_MAX + 1],
    const char **why)
{
	out[0] = '\0';
	if (key == NULL || len == 0)
		return domkey_set(DOMKEY_INVALID, "empty key", why);
	if (len > DOMKEY_INPUT_MAX)
		return domkey_set(DOMKEY_INVALID, "key too long", why);
	if (memchr(key, '\0', len) != NULL)
		return domkey_set(DOMKEY_INVALID, "NUL in key", why);
	if (key[0] == '[')
		return domkey_bracket(key, len, why);
	if (key[0] == '.')
		return domkey_parent(key, len, out, why);
	if (memchr(key, ':', len) != NULL)
		return domkey_colon(key, len, out, why);
	return domkey_name(key, len, out, why);
}

const char *
domkey_kind_name(enum domkey_kind k)
{
	switch (k) {
	case DOMKEY_DOMAIN:
		return "domain";
	case DOMKEY_NOT_DOMAIN:
		return "not-domain";
	case DOMKEY_INVALID:
		return "invalid";
	case DOMKEY_ERROR:
		return "error";
	}
	return "unknown";
}
