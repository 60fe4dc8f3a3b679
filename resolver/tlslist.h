/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tlslist.h: EFF's STARTTLS Policy List (format 0.1) parser and lookup
 * (docs/DESIGN.md §List; the format: EFF's starttls-everywhere
 * repository, RULES.md and policy.json's schema).
 *
 * Purpose: turn the bytes of a policy.json into an immutable, sorted
 * table of per-domain policies (mode testing|enforce, mx patterns), or
 * say in one line why the file is not a valid list.  The list is the
 * first-use fallback behind MTA-STS: its entries are handed out in
 * MTA-STS form ("*.x" for the list's ".x" suffix patterns) so the same
 * matcher (mxmatch.h) and Postfix reply code (reply.h) serve both.
 *
 * Pure module: no I/O, no clock (the caller passes `now`), no global
 * state of its own; safe to call from any thread (cJSON records its
 * last parse error in a global that we never read).  It allocates
 * (cJSON while parsing, then one arena per list).  A struct tlslist is
 * immutable after tlslist_parse, so several threads may read one at
 * once; every pointer it hands out is borrowed until tlslist_free.
 * For the daemon's store: iterate with tlslist_at and keep, per
 * domain, the mode and the MTA-STS-form patterns (a natural max_age is
 * expires - now); look up with tlslist_lookup.
 *
 * Accepted format (reasons beside the code in tlslist.c):
 *   - the whole file is one JSON object; text after it (other than
 *     white space), a NUL byte or a "\u0000" escape make it invalid;
 *   - "version": the string "0.1" (required);
 *   - "timestamp", "expires" (required): an integer number of seconds
 *     since the epoch, >= 0 (JSON Schema "integer": 1.0 and 1e9 are
 *     integers, 1.5 and -1 are not), or an RFC 3339 date-time string
 *     "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM|+HHMM|-HHMM)" with
 *     any number of fraction digits (dropped: times are whole seconds,
 *     rounded down), "t"/"z" also in lower case (RFC 3339 §5.6), a real
 *     calendar (Feb 29 only in leap years), second 00..59 (no leap
 *     second, like EFF's own tool), years 1970..9999;
 *   - "author": optional string, at most TLSLIST_AUTHOR_MAX bytes;
 *   - "policy-aliases": optional object, name -> {mode, mxs}; an alias
 *     may not itself be a {"policy-alias"} reference (one level only);
 *   - "policies" (required): object, domain -> {"mode": "testing" |
 *     "enforce", "mxs": [pattern, ...]} or {"policy-alias": name};
 *     with "policy-alias" every other key of the entry is ignored
 *     (RULES.md), and a name missing from "policy-aliases" makes the
 *     whole file invalid;
 *   - "mode" is required and case-sensitive ("none", "Enforce" and a
 *     missing mode are errors: the schema has no default);
 *   - "mxs" is a non-empty array (at most TLSLIST_MX_MAX) of host names
 *     or ".suffix" patterns; duplicates are kept (harmless);
 *   - domain keys and mx names: ASCII letters, digits and inner
 *     hyphens, labels of 1..63, at least two labels, last label not
 *     all digits, at most 253 bytes ("*." of a suffix included), no
 *     trailing dot, no "*"; stored lowercased.  A non-ASCII key
 *     (U-label) is invalid: the list format never said which IDNA form
 *     to use, and we will not guess;
 *   - duplicate keys make the file invalid where we interpret them:
 *     a known key ("mode", "expires", ...) twice in its object, an
 *     alias name twice, a domain twice in "policies" (after
 *     lowercasing).  RFC 8259 §4 leaves their meaning undefined and
 *     JSON parsers disagree (first or last wins);
 *   - unknown keys anywhere are ignored (forward compatible, as both
 *     EFF implementations do), including the retired "pinsets".
 * Any violation rejects the whole file (no per-entry skipping).
 *
 * Limits: input at most TLSLIST_MAX_SIZE bytes, JSON nesting at most
 * TLSLIST_DEPTH_MAX, at most TLSLIST_TOKENS_MAX values (bounds the
 * cJSON tree before it is built), TLSLIST_POLICIES_MAX policies,
 * TLSLIST_ALIASES_MAX aliases.
 */
#ifndef TLSLIST_H
#define TLSLIST_H

#include <stddef.h>
#include <stdint.h>

#define TLSLIST_MAX_SIZE	(16 * 1024 * 1024)	/* bytes of JSON */
#define TLSLIST_DEPTH_MAX	32	/* real lists nest 4 deep */
#define TLSLIST_TOKENS_MAX	1000000	/* JSON values: caps cJSON at ~64 MB */
#define TLSLIST_POLICIES_MAX	100000	/* the real list has 926 */
#define TLSLIST_ALIASES_MAX	1024
#define TLSLIST_MX_MAX		128	/* per entry: the list's own bound, sizes
					 * LISTSTORE_ENTRY_MAX (real entries
					 * list a few) */
#define TLSLIST_NAME_MAX	253	/* domain or mx pattern ("*." incl.) */
#define TLSLIST_AUTHOR_MAX	1024
#define TLSLIST_TIME_STRLEN	21	/* "YYYY-MM-DDTHH:MM:SSZ" + NUL */
#define TLSLIST_TIME_MAX	INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

enum tlslist_mode {
	TLSLIST_MODE_TESTING = 1,
	TLSLIST_MODE_ENFORCE
};

struct tlslist;

/*
 * One domain's effective policy (alias resolved).  All pointers are
 * borrowed from the list.  mx[0..nmx) are lowercase patterns in
 * MTA-STS form: "mx.example.com" or "*.example.net" (the list's
 * ".example.net"), in list order, ready for mxmatch_match() and
 * reply_postfix().
 */
struct tlslist_policy {
	const char		*domain;	/* lowercase key */
	const char		*alias;		/* alias used, or NULL */
	enum tlslist_mode	 mode;
	size_t			 nmx;		/* >= 1 */
	const char *const	*mx;
};

/*
 * tlslist_parse: parse and validate `len` bytes of JSON at `json` (not
 * NUL-terminated; may be NULL when len is 0).  Returns a new list, to
 * be freed with tlslist_free, or NULL; then `err` (errlen bytes, may
 * be NULL/0) holds a one-line reason such as
 * `policies["a.example"]: "mxs" must be a non-empty array` or "out of
 * memory".  Untrusted bytes in the reason are escaped and truncated.
 */
struct tlslist *tlslist_parse(const char *json, size_t len, char *err,
    size_t errlen);

/* tlslist_free: free a list; NULL is a no-op. */
void tlslist_free(struct tlslist *list);

/* The top-level fields.  Times are seconds since the epoch (UTC). */
int64_t		 tlslist_timestamp(const struct tlslist *list);
int64_t		 tlslist_expires(const struct tlslist *list);
const char	*tlslist_version(const struct tlslist *list);
const char	*tlslist_author(const struct tlslist *list); /* or NULL */

/* tlslist_count: number of policies (domains), aliases resolved. */
size_t		 tlslist_count(const struct tlslist *list);

/* tlslist_count_mode: number of policies whose effective mode is m. */
size_t		 tlslist_count_mode(const struct tlslist *list,
		    enum tlslist_mode m);

/* tlslist_alias_count: number of entries in "policy-aliases". */
size_t		 tlslist_alias_count(const struct tlslist *list);

/*
 * tlslist_expired: 1 when the list must not be applied at `now`
 * (expires <= now, as EFF's tool), else 0.  An expired list is kept
 * (for display and as the base of rollback checks) but never used.
 */
int		 tlslist_expired(const struct tlslist *list, int64_t now);

/*
 * tlslist_lookup: the policy for `domain`, already normalised (lower
 * case A-labels, no trailing dot: domkey.h), by exact match (no
 * parent-domain inheritance, RULES.md); NULL if absent.  O(log n).
 * Does not look at expiry: check tlslist_expired first.
 */
const struct tlslist_policy *tlslist_lookup(const struct tlslist *list,
    const char *domain);

/*
 * tlslist_at: the i-th policy in byte order of domain (strcmp, the
 * order of EFF's Postfix output), for iteration; NULL when
 * i >= tlslist_count().
 */
const struct tlslist_policy *tlslist_at(const struct tlslist *list,
    size_t i);

/* tlslist_policy_mx: the i-th pattern in MTA-STS form, or NULL. */
const char	*tlslist_policy_mx(const struct tlslist_policy *p, size_t i);

/*
 * tlslist_policy_mx_list_form: the i-th pattern as the list writes it
 * (".example.net" for "*.example.net"; lowercased), or NULL.
 */
const char	*tlslist_policy_mx_list_form(const struct tlslist_policy *p,
		    size_t i);

/*
 * tlslist_policy_match: 1 when MX host name `host` matches one of the
 * policy's patterns (mxmatch_match: ".x" = "*.x" = exactly one more
 * label, as EFF's own checker and RFC 8461 §4.1), else 0.
 */
int		 tlslist_policy_match(const struct tlslist_policy *p,
		    const char *host);

/* tlslist_mode_str: "testing", "enforce"; "invalid" otherwise. */
const char	*tlslist_mode_str(enum tlslist_mode m);

/*
 * tlslist_time_parse: parse one date-time string (format above) of
 * `len` bytes at `s` into *out (seconds since the epoch, UTC).
 * Returns 0, or -1 for anything else (*out unchanged).
 */
int		 tlslist_time_parse(const char *s, size_t len, int64_t *out);

/*
 * tlslist_time_format: write `t` (0..TLSLIST_TIME_MAX) as
 * "YYYY-MM-DDTHH:MM:SSZ" into buf; returns buf.  Out-of-range values
 * give "invalid".
 */
char		*tlslist_time_format(int64_t t,
		    char buf[TLSLIST_TIME_STRLEN]);

#endif /* TLSLIST_H */
