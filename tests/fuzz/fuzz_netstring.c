/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_netstring.c: libFuzzer target for the netstring codec.
 *
 * The input is a byte stream as a socketmap client might send it; it is
 * decoded netstring after netstring (pipelining) with the query limit,
 * until the first non-OK result.  Properties checked, beyond "no crash":
 *   - OK: the netstring lies inside the input and re-encoding the
 *     payload gives back exactly the bytes consumed (the syntax has one
 *     spelling per payload, so decode and encode are inverses);
 *   - INCOMPLETE: the buffered bytes stay within the promised bound;
 *   - a smaller limit never turns ERROR into OK, nor changes an OK.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A small second limit, to reach the "length exceeds limit" paths. */
#define FUZZ_SMALL_MAX 16

static void
fuzz_check_ok(const char *buf, size_t len, const char *p, size_t plen,
    size_t used)
{
	static char out[NETSTRING_MAX_QUERY + NETSTRING_DIGITS_MAX + 2];
	ssize_t n;

	if (used > len || p < buf || p + plen > buf + len || plen >= used)
		__builtin_trap();
	n = netstring_encode(out, sizeof(out), p, plen, NETSTRING_MAX_QUERY);
	if (n < 0 || (size_t)n != used || memcmp(out, buf, used) != 0)
		__builtin_trap();
}

static void
fuzz_check_small(const char *buf, size_t len, enum netstring_result big,
    size_t bigused)
{
	enum netstring_result r;
	size_t used;

	r = netstring_decode(buf, len, FUZZ_SMALL_MAX, NULL, NULL, &used,
	    NULL);
	if (r == NETSTRING_OK && (big != NETSTRING_OK || used != bigused))
		__builtin_trap();
	if (big == NETSTRING_ERROR && r != NETSTRING_ERROR)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *p, *why;
	size_t off = 0, plen, used;
	enum netstring_result r;

	for (;;) {
		r = netstring_decode(buf + off, size - off,
		    NETSTRING_MAX_QUERY, &p, &plen, &used, &why);
		fuzz_check_small(buf + off, size - off, r, used);
		if (r != NETSTRING_OK) {
			if (why == NULL || (r == NETSTRING_INCOMPLETE &&
			    size - off > NETSTRING_DIGITS_MAX +
			    NETSTRING_MAX_QUERY + 2))
				__builtin_trap();
			break;
		}
		fuzz_check_ok(buf + off, size - off, p, plen, used);
		off += used;
	}
	return 0;
}
