/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * mxmatch.c: match an MX host name against an MTA-STS policy "mx"
 * pattern (RFC 8461 §4.1).
 *
 * §4.1: "Matching is identical to the rules given in [RFC6125], with
 * restriction that the wildcard character "*" may only be used to
 * match the entire left-most label in the presented identifier.  Thus
 * the mx pattern "*.example.com" matches "mail.example.com" but not
 * "example.com" or "foo.bar.example.com"."  Appendix B's
 * policyMatches() does the same: a literal compare, or, for a pattern
 * starting with "*", split the candidate at its first "." and compare
 * the rest with pattern[2:].
 *
 * Decisions, with reasons:
 *
 * 1. Case.  DNS names compare case-insensitively (RFC 4343), RFC 6125
 *    §6.4.1 says the same for DNS-IDs.  Only ASCII letters fold: names
 *    reaching us are A-labels, and folding other bytes through the
 *    C locale would make the answer depend on the process locale.
 *
 * 2. One trailing dot on either side is the root label and is ignored,
 *    so "mx.example.com." (as some resolvers return MX targets) matches
 *    "mx.example.com".  Two dots are an empty label.
 *
 * 3. Fail closed on malformed names.  An empty label, an over-long
 *    label or name, or a "*" outside the one place §4.1 allows can never
 *    be a valid MX name or pattern.  Saying "no match" is the safe
 *    answer under enforce (the MX is skipped) and keeps the pseudocode's
 *    loose edges closed: with a plain string compare, the pattern
 *    "*.example.com" would match the "host" "*.example.com" literally,
 *    and "*.example.com" would match ".example.com" via an empty first
 *    label.  A "*" in the host is rejected outright: it is not a
 *    hostname character (RFC 1123 §2.1) and RFC 6125 wildcards exist
 *    only on the pattern side.  Control characters (CR, LF, ...),
 *    space and DEL are rejected the same way: no name in any encoding
 *    contains them, and a pattern that did could smuggle them into a
 *    log line or a Postfix reply.  Other bytes, UTF-8 included, are
 *    compared as they are; LDH syntax is the policy parser's job.
 *
 * 4. "*.com" is not rejected here: whether a policy may name a bare
 *    TLD wildcard is a policy-parser question (stspol), not a matching
 *    one.
 */
#include <stddef.h>
#include <string.h>

#include "mxmatch.h"
#include "chars.h"

static int	mxmatch_is_ctl_or_space(unsigned char);
static size_t	mxmatch_name_len(const char *);
static int	mxmatch_equal(const char *, const char *, size_t);

/* NUL..SP and DEL: never part of a host name in any encoding. */
static int
mxmatch_is_ctl_or_space(unsigned char c)
{
	return c <= ' ' || c == 0x7f;
}

/*
 * mxmatch_name_len: length of name `s` without one trailing dot, or 0
 * when `s` is not a name we will ever match (empty, empty label, label
 * or name too long, contains "*", a control character or space).
 * Scans at most MXMATCH_NAME_MAX + 2 bytes, so a hostile
 * multi-megabyte string costs nothing.
 */
static size_t
mxmatch_name_len(const char *s)
{
	size_t len, i, label = 0;
	unsigned char c;

	/* A bounded strlen (strnlen is POSIX, not C17). */
	for (len = 0; len < MXMATCH_NAME_MAX + 2 && s[len] != '\0'; len++)
		continue;
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > MXMATCH_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '*' || mxmatch_is_ctl_or_space(c))
			return 0;
		if (c != '.') {
			if (++label > MXMATCH_LABEL_MAX)
				return 0;
			continue;
		}
		if (label == 0)
			return 0;	/* empty label (".." or leading ".") */
		label = 0;
	}
	/* The last label cannot be empty: a trailing dot was stripped
	 * once, so "a.." leaves "a." and fails here. */
	return label == 0 ? 0 : len;
}

/* Case-insensitive (ASCII) compare of exactly n bytes. */
static int
mxmatch_equal(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (chars_tolower((unsigned char)a[i]) !=
		    chars_tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

int
mxmatch_match(const char *pattern, const char *host)
{
	const char *dot;
	size_t hlen, plen, rest;

	if (pattern == NULL || host == NULL)
		return 0;
	if ((hlen = mxmatch_name_len(host)) == 0)
		return 0;
	if (pattern[0] != '*') {
		if ((plen = mxmatch_name_len(pattern)) == 0)
			return 0;
		return hlen == plen && mxmatch_equal(host, pattern, plen);
	}
	/* §4.1: "*" only as the entire left-most label, then ".rest". */
	if (pattern[1] != '.' || (plen = mxmatch_name_len(pattern + 2)) == 0)
		return 0;
	/* The host's first label (non-empty, no "*": checked above) stands
	 * for the "*"; everything after its first dot must equal rest. */
	if ((dot = memchr(host, '.', hlen)) == NULL)
		return 0;
	rest = hlen - (size_t)(dot + 1 - host);
	return rest == plen && mxmatch_equal(dot + 1, pattern + 2, plen);
}
