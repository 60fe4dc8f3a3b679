/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * chars.h: character classes of the RFC grammars (RFC 5234 ALPHA,
 * DIGIT, WSP), ASCII case folding and UTF-8 well-formedness, for the
 * pure parsers and the reply writer.
 *
 * <ctype.h> depends on the process locale, and a parser of untrusted
 * protocol text must not; these depend on nothing.  Arguments are byte
 * values (a char converted to unsigned char, or an int holding one);
 * bytes above 0x7f belong to no class and fold to themselves.
 *
 * The functions are small enough to inline everywhere; chars.c holds
 * the one table, for the two loops that run on every cached lookup.
 */
#ifndef CHARS_H
#define CHARS_H

#include <stddef.h>

/*
 * chars_ldh[c]: c lowercased when c is a letter, a digit, "-" or ".",
 * else 0.  One load per byte for domkey's hot path and the reply
 * writer's pattern check.
 */
extern const unsigned char chars_ldh[256];

static inline int
chars_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int
chars_is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline int
chars_is_alnum(int c)
{
	return chars_is_alpha(c) || chars_is_digit(c);
}

/* WSP = SP / HTAB (RFC 5234). */
static inline int
chars_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static inline int
chars_tolower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * chars_utf8_len: length of the well-formed UTF-8 sequence (RFC 3629
 * §4, UTF8-2/3/4: no overlong forms, no surrogates, nothing above
 * U+10FFFF) at s[0..n), or 0 when there is none.  Never reads past n.
 */
static inline size_t
chars_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

#endif /* CHARS_H */
