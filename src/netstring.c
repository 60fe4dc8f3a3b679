/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * netstring.c: bounded netstring codec (Postfix socketmap framing).
 *
 * The decoder is a single pass over the length digits followed by two
 * bounds checks; it never reads past buf[len - 1] and never needs the
 * whole message to reject a bad one.
 *
 * Decisions, with reasons:
 *
 * 1. Leading zeros are an error ("01:x,"), "0:," is valid.  Bernstein's
 *    spec prohibits them, Postfix never sends them (it formats the
 *    length with "%ld"), and one spelling per length means there is no
 *    unbounded run of "0000..." to accept before the ":".  Postfix's
 *    own reader is laxer; being stricter on input we only ever receive
 *    from Postfix costs nothing.
 *
 * 2. Errors are reported as early as possible.  A length is checked
 *    against `max` after every digit, so "99999999999..." fails at the
 *    digit that crosses the limit, not after ten more reads; a peer
 *    cannot make us wait for, or buffer, more than the limit allows
 *    (docs/DESIGN.md §Socket: bounded per-connection buffers).
 *
 * 3. NUL bytes inside the payload are data here.  Rejecting them is a
 *    protocol rule (a socketmap key is a C string in Postfix), so
 *    sockmap.c does it, where it can answer with a proper reply.
 *
 * 4. The encoder refuses (-1) rather than truncates: a cut reply would
 *    be a different answer, e.g. a shorter "match=" list.
 */
#include <stdint.h>
#include <string.h>

#include "netstring.h"
#include "chars.h"

/* ssize_t is the signed type of size_t's width (POSIX); SSIZE_MAX
 * itself needs POSIX feature macros, which a pure -std=c17 module
 * does without. */
#define NETSTRING_SSIZE_MAX (SIZE_MAX / 2)

static enum netstring_result	netstring_fail(enum netstring_result,
				    const char *, const char **);

/* Set the reason (if wanted) and pass `r` through. */
static enum netstring_result
netstring_fail(enum netstring_result r, const char *reason,
    const char **why)
{
	if (why != NULL)
		*why = reason;
	return r;
}

enum netstring_result
netstring_decode(const char *buf, size_t len, size_t max,
    const char **payload, size_t *plen, size_t *consumed, const char **why)
{
	size_t i, n = 0, digit;

	if (payload != NULL)
		*payload = NULL;
	if (plen != NULL)
		*plen = 0;
	if (consumed != NULL)
		*consumed = 0;
	for (i = 0; i < len && buf[i] != ':'; i++) {
		if (!chars_is_digit((unsigned char)buf[i]))
			return netstring_fail(NETSTRING_ERROR,
			    "non-digit in netstring length", why);
		if (i == 1 && buf[0] == '0')
			return netstring_fail(NETSTRING_ERROR,
			    "leading zero in netstring length", why);
		if (i >= NETSTRING_DIGITS_MAX)
			return netstring_fail(NETSTRING_ERROR,
			    "too many digits in netstring length", why);
		digit = (size_t)(buf[i] - '0');
		if (n > (SIZE_MAX - digit) / 10)
			return netstring_fail(NETSTRING_ERROR,
			    "netstring length overflows", why);
		n = n * 10 + digit;
		if (n > max)
			return netstring_fail(NETSTRING_ERROR,
			    "netstring length exceeds limit", why);
	}
	if (i == len)
		return netstring_fail(NETSTRING_INCOMPLETE,
		    "incomplete netstring length", why);
	if (i == 0)
		return netstring_fail(NETSTRING_ERROR,
		    "empty netstring length", why);
	/* buf[i] is ":"; the payload is buf[i + 1 .. i + n], then ",".
	 * Compare by subtraction: i + 1 + n cannot overflow (n <= max is
	 * not enough on its own when max is SIZE_MAX). */
	if (len - i - 1 <= n)
		return netstring_fail(NETSTRING_INCOMPLETE,
		    "incomplete netstring payload", why);
	if (buf[i + 1 + n] != ',')
		return netstring_fail(NETSTRING_ERROR,
		    "netstring payload not followed by ','", why);
	if (payload != NULL)
		*payload = buf + i + 1;
	if (plen != NULL)
		*plen = n;
	if (consumed != NULL)
		*consumed = i + 2 + n;
	return netstring_fail(NETSTRING_OK, NULL, why);
}

ssize_t
netstring_encode(char *out, size_t outsize, const char *payload,
    size_t plen, size_t max)
{
	char digits[NETSTRING_DIGITS_MAX];
	size_t ndigits = 0, total, v = plen;

	if (plen > max)
		return -1;
	/* Digits in reverse; "0" for an empty payload. */
	do {
		if (ndigits == sizeof(digits))
			return -1;
		digits[ndigits++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	/* ndigits <= 10, so only plen itself can push the sum over. */
	if (plen > NETSTRING_SSIZE_MAX - ndigits - 2)
		return -1;
	total = ndigits + 1 + plen + 1;
	if (total > outsize)
		return -1;
	for (v = 0; v < ndigits; v++)
		out[v] = digits[ndigits - 1 - v];
	out[ndigits] = ':';
	if (plen > 0)
		memcpy(out + ndigits + 1, payload, plen);
	out[total - 1] = ',';
	return (ssize_t)total;
}
