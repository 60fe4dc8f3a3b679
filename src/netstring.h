/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * netstring.h: bounded netstring codec (Postfix socketmap framing).
 *
 * Purpose: decode requests and encode replies of the Postfix socketmap
 * protocol, where every message is one netstring "<len>:<bytes>,"
 * (D. J. Bernstein, "Netstrings"; Postfix proto/socketmap_table).  The
 * codec only frames bytes; what may be inside (no NUL, "<name> <key>")
 * is the protocol layer's business (sockmap.c).
 *
 * Pure module: no I/O, no clock, no allocation, no global state; safe
 * to call from any thread.  Buffers are borrowed for the call.
 *
 * Wire syntax accepted by netstring_decode(), strictly:
 *   netstring = length ":" payload ","
 *   length    = "0" / (%x31-39 *9DIGIT)   ; decimal, no leading zeros,
 *                                          ; 1..NETSTRING_DIGITS_MAX digits
 *   payload   = exactly <length> octets, any value (NUL included)
 * So "0:," is valid and "01:x," is an ERROR (Bernstein: "Extra zeros at
 * the front of [len] are prohibited: [len] begins with <30> exactly
 * when [string] is empty"); no sign, no white space, nothing between
 * the digits and ":" or between the payload and ",".
 *
 * Limits: every call passes `max`, the largest payload it accepts;
 * socketmap callers pass NETSTRING_MAX_QUERY (decoding) or
 * NETSTRING_MAX_REPLY (encoding), Postfix's own client limits.
 */
#ifndef NETSTRING_H
#define NETSTRING_H

#include <stddef.h>
#include <sys/types.h>

/* Postfix's client limits: socketmap_max_query_size and
 * socketmap_max_reply_size (socketmap_table(5), docs/PROTOCOLS.md). */
#define NETSTRING_MAX_QUERY 10000
#define NETSTRING_MAX_REPLY 100000

/* At most this many length digits: 10 covers any `max` below 10^10
 * and keeps the length arithmetic far from overflow. */
#define NETSTRING_DIGITS_MAX 10

enum netstring_result {
	NETSTRING_OK = 0,	/* one complete, valid netstring */
	NETSTRING_INCOMPLETE,	/* a valid prefix: read more, call again */
	NETSTRING_ERROR		/* can never become valid: drop it */
};

/*
 * netstring_decode: decode one netstring from the start of buf[0..len)
 * (`buf` may be NULL when `len` is 0; bytes after the netstring are
 * ignored, so pipelined data is left for the next call).  `max` is the
 * largest payload accepted.
 *
 * On NETSTRING_OK: *payload points at the payload inside `buf` (not
 * NUL-terminated, may contain NUL), *plen is its length and *consumed
 * the length of the whole netstring including ":" and ","; *why = NULL.
 * NETSTRING_INCOMPLETE is returned only while buf[0..len) is a prefix
 * of some valid netstring whose payload is at most `max` bytes, so a
 * caller can never be made to buffer more than
 * NETSTRING_DIGITS_MAX + max + 2 bytes.  Otherwise NETSTRING_ERROR: a
 * non-digit where a digit or ":" is due ("-1:", " 5:x,", "5x"), an
 * empty length (":"), a leading zero ("01:"), more than
 * NETSTRING_DIGITS_MAX digits, a length above `max`, or a byte other
 * than "," after the payload ("5:hello;").
 * On anything but OK, *payload = NULL and *plen = *consumed = 0, and
 * *why gets a static, short English reason.  `payload`, `plen`,
 * `consumed` and `why` may each be NULL.
 */
enum netstring_result netstring_decode(const char *buf, size_t len,
    size_t max, const char **payload, size_t *plen, size_t *consumed,
    const char **why);

/*
 * netstring_encode: write `payload` (`plen` bytes, any values; may be
 * NULL when plen is 0) as a netstring into out[0..outsize).  Returns
 * the number of bytes written, or -1 (out untouched) when plen > max,
 * when the length would need more than NETSTRING_DIGITS_MAX digits, or
 * when the result does not fit in `outsize`.  Does not NUL-terminate.
 * `out` and `payload` must not overlap.
 */
ssize_t netstring_encode(char *out, size_t outsize, const char *payload,
    size_t plen, size_t max);

#endif /* NETSTRING_H */
