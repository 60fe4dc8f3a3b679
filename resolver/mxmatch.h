/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * mxmatch.h: match an MX host name against an MTA-STS policy "mx"
 * pattern (RFC 8461 §4.1).
 *
 * Purpose: decide whether a candidate MX host is valid under one "mx"
 * line of an applied policy.  The caller loops over the policy's mx
 * lines; a host is valid when any of them matches (§4.1 "matches one
 * or more of the "mx" fields").
 *
 * Pure module: no I/O, no clock, no allocation, no global state; safe
 * to call from any thread.  Inputs are borrowed, NUL-terminated.
 *
 * Semantics (§4.1 and the policyMatches() pseudocode in Appendix B):
 *   - "mx.example.com" matches exactly that name;
 *   - "*.example.com" matches one whole left-most label followed by
 *     ".example.com": "mx.example.com", but not "example.com" nor
 *     "a.b.example.com";
 *   - comparison is case-insensitive for ASCII letters only; any other
 *     byte (including UTF-8) must be equal;
 *   - host and pattern may each end in one trailing dot (the root),
 *     which is ignored.
 * Inputs that never match (fail closed; see mxmatch.c for why):
 *   NULL or empty host or pattern; an empty label ("a..b", ".a", "a..");
 *   a label longer than MXMATCH_LABEL_MAX or a name longer than
 *   MXMATCH_NAME_MAX octets (trailing dot not counted); a control
 *   character, space or DEL anywhere; a "*" anywhere in the host, or
 *   anywhere in the pattern except as its whole first label followed by
 *   at least one more label ("*", "*.", "*x.a.b", "a.*.b" never match).
 */
#ifndef MXMATCH_H
#define MXMATCH_H

/* RFC 1035 §2.3.4 / RFC 2181 §11: the longest DNS label and name. */
#define MXMATCH_LABEL_MAX 63
#define MXMATCH_NAME_MAX 253

/*
 * mxmatch_match: 1 if `host` (an MX host name, maybe with one trailing
 * dot) matches `pattern` ("mx.example.com" or "*.example.com"),
 * else 0.  Both strings are borrowed and NUL-terminated; either may be
 * NULL (never matches).
 */
int mxmatch_match(const char *pattern, const char *host);

#endif /* MXMATCH_H */
