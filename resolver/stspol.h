/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * stspol.h: the MTA-STS policy file parser and validator (RFC 8461 §3.2),
 * plus the §3.2 media type check of the HTTPS response.
 *
 * Purpose: turn the body of "https://mta-sts.<domain>/.well-known/
 * mta-sts.txt" into a struct stspol (mode, max_age, mx patterns), or
 * say in a short static string why the body is not a valid policy.
 *
 * Pure module: no I/O, no clock, no allocation, no global state; safe
 * to call from any thread.  Input is borrowed for the call and is NOT
 * NUL-terminated.  The caller owns struct stspol (about 90 KiB: put it
 * on the heap or in static storage, not on the stack).
 *
 * Grammar (RFC 8461 §3.2, ABNF per RFC 7405, %s = case-sensitive; the
 * published sts-policy-field lists sts-policy-term where sts-policy-mx
 * is meant, a known erratum, and we read it as sts-policy-mx):
 *   record  = field *WSP *(term field *WSP) [term]
 *   term    = LF / CRLF
 *   field   = version / mode / max_age / mx / extension
 *   delim   = ":" *WSP
 *   version = %s"version" delim %s"STSv1"
 *   mode    = %s"mode" delim (%s"testing" / %s"enforce" / %s"none")
 *   max_age = %s"max_age" delim 1*10DIGIT
 *   mx      = %s"mx" delim ["*."] Domain            ; RFC 5321 Domain
 *   extension = ext-name delim ext-value
 *   ext-name  = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   ext-value = vchar [*(%x20 / vchar) vchar]  ; vchar = %x21-7E / UTF-8
 *
 * Interpretation choices (each justified beside the code in stspol.c):
 *   - Lines end in LF or CRLF, mixed freely; a CR not followed by LF is
 *     invalid anywhere ("bare CR line ending"), as is a NUL byte.  The
 *     last line may lack a terminator (STSPOL_WARN_NO_FINAL_EOL).
 *   - Keys are case-sensitive: "Version: STSv1" is an extension field
 *     named "Version" (STSPOL_WARN_UNKNOWN_FIELD), so the version is
 *     missing and the policy invalid.
 *   - The first "version", "mode" or "max_age" line is the one that
 *     counts and must hold a valid value; later ones are ignored
 *     (§3.2, STSPOL_WARN_DUPLICATE_FIELD) but must still be valid as
 *     generic key/value lines, like extension fields.
 *   - Extension fields are ignored (STSPOL_WARN_UNKNOWN_FIELD) but must
 *     match the grammar: a malformed line makes the whole body invalid,
 *     since a body we cannot parse may not be a policy at all.  UTF-8
 *     (well-formed, RFC 3629) is accepted only in extension values.
 *   - Two deliberate deviations, where the intent is unambiguous and
 *     rejecting would only make the sender fail open: empty or
 *     whitespace-only lines are skipped (STSPOL_WARN_EMPTY_LINE), and
 *     one trailing dot on an mx name is removed
 *     (STSPOL_WARN_MX_TRAILING_DOT).  Likewise max_age above
 *     STSPOL_MAX_AGE_MAX is clamped (STSPOL_WARN_MAX_AGE_CLAMPED).
 *   - mx: labels of letters, digits and inner hyphens; "*" only as
 *     the whole left-most label followed by a domain; single-label
 *     names are allowed (RFC 5321 Domain allows them).  Anything else
 *     makes the policy invalid.  Two kinds of value match the grammar
 *     but can never match an MX host name, and are dropped with a
 *     warning while the rest of the policy stands: a dotted-decimal
 *     address such as "192.0.2.25" (an all-numeric last label;
 *     STSPOL_WARN_MX_IP_ADDRESS) and a name over the DNS limits of 63
 *     bytes a label, 253 a name with any "*." (STSPOL_WARN_MX_TOO_LONG).
 *     A testing or enforce policy whose mx lines were all dropped is
 *     still valid, with nmx == 0: no MX host can match it, so the
 *     sender must not deliver (§5), which is what an empty list says.
 *     Patterns are stored lowercased, duplicates kept in policy order.
 *   - mx lines in a mode "none" policy are kept (STSPOL_WARN_MX_IN_NONE).
 *
 * Limits: body at most STSPOL_MAX_SIZE bytes, and nothing else: RFC
 * 8461 sets no limit on the number of mx lines, so the arrays below
 * hold every pattern a body of that size can carry.  The patterns kept
 * satisfy sum(strlen + 2) <= len (each came from a line "mx:" value
 * that is at least one byte longer), which store/record.h relies on.
 * Extension names at most 32 bytes (grammar).
 */
#ifndef STSPOL_H
#define STSPOL_H

#include <stddef.h>
#include <stdint.h>

#define STSPOL_MAX_SIZE    65536     /* §3.3 suggests 64 KB; larger is invalid */
#define STSPOL_MAX_AGE_MAX 31557600  /* §3.2: one year of seconds */
/* "mx:a" and LF, 5 bytes, is the shortest mx line (the last needs no LF) */
#define STSPOL_MX_MAX      ((STSPOL_MAX_SIZE + 1) / 5)
#define STSPOL_NAME_MAX    253       /* longest mx pattern, "*." included */
#define STSPOL_EXT_NAME_MAX 32       /* ext-name: 1 + *31 characters */

enum stspol_mode {
	STSPOL_MODE_NONE = 0,
	STSPOL_MODE_TESTING,
	STSPOL_MODE_ENFORCE
};

/* Warning bits: the policy is still valid.  Text via stspol_warning_str. */
#define STSPOL_WARN_MAX_AGE_CLAMPED  0x01  /* max_age > 31557600, clamped */
#define STSPOL_WARN_UNKNOWN_FIELD    0x02  /* extension fields ignored */
#define STSPOL_WARN_MX_IN_NONE       0x04  /* mx lines in mode none (kept) */
#define STSPOL_WARN_DUPLICATE_FIELD  0x08  /* non-mx field repeated; first kept */
#define STSPOL_WARN_MAX_AGE_SHORT    0x10  /* max_age < 86400 (one day) */
#define STSPOL_WARN_NO_FINAL_EOL     0x20  /* last line has no LF: truncated? */
#define STSPOL_WARN_EMPTY_LINE       0x40  /* empty/blank lines skipped */
#define STSPOL_WARN_MX_TRAILING_DOT  0x80  /* "mx: a.example." dot removed */
#define STSPOL_WARN_MX_IP_ADDRESS   0x100  /* "mx: 192.0.2.25" dropped */
#define STSPOL_WARN_MX_TOO_LONG     0x200  /* label > 63 or name > 253 dropped */
#define STSPOL_WARN_ALL             0x3ff  /* every bit above */

struct stspol {
	enum stspol_mode mode;
	uint32_t max_age;		/* seconds, <= STSPOL_MAX_AGE_MAX */
	unsigned warnings;		/* STSPOL_WARN_* bits */
	unsigned errline;		/* on failure: 1-based line, 0 = whole body */
	size_t nmx;			/* number of mx patterns, in policy order */
	uint16_t mx_off[STSPOL_MX_MAX];	/* offsets into names[] */
	char names[STSPOL_MAX_SIZE];	/* NUL-terminated, lowercased; a
					 * name is shorter than its line */
};

/*
 * stspol_parse: parse and validate a policy body of `len` bytes at
 * `text` (not NUL-terminated; may be NULL when len is 0) into `out`
 * (must not be NULL).  Returns 0 when the body is a valid policy; then
 * *why is set to NULL and out->warnings may have bits set.  Returns -1
 * otherwise: *why is set to a static short English reason such as
 * "missing mode field", "invalid max_age", "NUL byte", "mx required
 * unless mode is none", "bare CR line ending", and out->errline to the
 * 1-based line the reason refers to (0 when it concerns the whole
 * body, e.g. a missing field); the rest of *out is then unspecified.
 * `why` may be NULL.
 */
int stspol_parse(const char *text, size_t len, struct stspol *out,
    const char **why);

/*
 * stspol_mx: the i-th mx pattern of a parsed policy, e.g.
 * "*.example.net", borrowed from `p`; NULL when i >= p->nmx.
 */
const char *stspol_mx(const struct stspol *p, size_t i);

/* stspol_mode_str: "enforce", "testing", "none"; "invalid" otherwise. */
const char *stspol_mode_str(enum stspol_mode m);

/*
 * stspol_warning_str: static text for exactly one STSPOL_WARN_* bit;
 * "unknown warning" for anything else (never NULL).  To list all, loop
 * over the bits of STSPOL_WARN_ALL.
 */
const char *stspol_warning_str(unsigned bit);

/*
 * stspol_content_type_ok: the §3.2 media type check.  True (1) when
 * `content_type` is "text/plain", compared case-insensitively, optionally
 * followed by parameters after ";" (all ignored, §3.2: "Additional
 * Content-Type parameters are also ignored").  SP/HTAB is allowed
 * before and after the media type and before ";" (RFC 7230 OWS is not
 * part of a field value, so a raw header value with a leading space is
 * accepted).  NULL, "" and anything else (e.g. "text/plain-x",
 * "text/html", "text / plain") give 0.
 */
int stspol_content_type_ok(const char *content_type);

#endif /* STSPOL_H */
