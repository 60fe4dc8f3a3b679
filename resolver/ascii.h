/*
 * ascii.h: character classes of the RFC grammars (RFC 5234 ALPHA,
 * DIGIT, WSP) and ASCII case folding, for the pure parsers.
 *
 * <ctype.h> depends on the process locale, and a parser of untrusted
 * protocol text must not; these depend on nothing.  Arguments are byte
 * values (a char converted to unsigned char, or an int holding one);
 * bytes above 0x7f belong to no class and fold to themselves.
 *
 * Header-only: the functions are small enough to inline everywhere.
 */
#ifndef ASCII_H
#define ASCII_H

static inline int
ascii_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int
ascii_is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline int
ascii_is_alnum(int c)
{
	return ascii_is_alpha(c) || ascii_is_digit(c);
}

/* WSP = SP / HTAB (RFC 5234). */
static inline int
ascii_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static inline int
ascii_tolower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

#endif /* ASCII_H */
