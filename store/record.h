/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * record.h: versioned encoding of the values kept in the LMDB cache
 * (docs/DESIGN.md §Cache): a cached MTA-STS policy and a
 * negative entry ("this domain had no usable policy, do not ask again
 * before retry_at").
 *
 * Pure module: no I/O, no clock, no allocation, no global state; safe
 * to call from any thread.
 *
 * Hot path: the caller copies the stored value ONCE into a buffer it
 * owns (cache_get_policy() does this) and decodes it in place.  Decoding
 * never writes to the buffer and never allocates: every string field of
 * the decoded struct points into the buffer (text is NULL when it is
 * kept as a text form, below), so the struct is valid for as long as
 * the buffer is unchanged.  Every string is stored with a
 * terminating NUL, so these pointers are ordinary C strings, and the
 * decoder checks that no string contains another NUL.
 *
 * Format, all integers little-endian and read byte by byte (the buffer
 * needs no alignment):
 *   policy:   u8 version, u8 kind 'P', u8 mode, u8 text_form,
 *             u32 max_age, u32 failures,
 *             i64 fetched_at, i64 txt_checked_at, i64 retry_at,
 *             u8 id_len, id, NUL,
 *             u8 err_len, last_error, NUL,
 *             u16 nmx, nmx times (u8 len, pattern, NUL),
 *             with text_form RECORD_TEXT_STORED: u32 text_len, text, NUL,
 *             only in version 4: u8 dane_verdict, u8 dane_why,
 *             i64 dane_checked_at, i64 dane_expires_at, u8 has_history
 *             (0 or 1),
 *             in version 3, and in version 4 when has_history is 1:
 *             i64 enforce_since, i64 testing_since
 *   negative: u8 version (1), u8 kind 'N', u8 reason, u8 reserved (0),
 *             u32 count, i64 first_at, i64 last_at, i64 retry_at,
 *             u8 code_len, code, NUL
 * A policy is version 1 with text_form RECORD_TEXT_STORED (0) and its
 * text, or version 2 with text_form RECORD_TEXT_LF or RECORD_TEXT_CRLF
 * and no text, or version 3 with any text form and
 * its observation history (below), at least one time of which is not
 * 0, or version RECORD_VERSION (4): any text form, a DANE summary
 * (struct record_dane) and, when has_history is 1, the history (at
 * least one time not 0, as in version 3).  The encoder writes the
 * lowest version that holds the record, so only an elided text needs
 * version 2, only a history version 3 and only a DANE summary version
 * 4 (mtastsd with dane = no writes no version 4): the
 * STARTTLS list entries (resolver/liststore.h uses this format) and the
 * negative entries are byte for byte what mtastsd wrote before version
 * 2 existed, and an older mtastsd reads a version-2 policy as a corrupt
 * record (a logged miss: the domain is discovered again), never as a
 * crash.
 * The value must end exactly after the last field.  Decoding rejects
 * (returns -1 with a static reason) anything else: another version or
 * kind, a reserved byte other than 0, an unknown mode, reason or text
 * form, a length or count over its limit, a string with a byte outside
 * its alphabet, a missing NUL, a truncated value or trailing bytes.
 * Decode followed by encode gives back the same bytes, except for a
 * version-1 or version-3 policy whose stored text is canonical (an
 * older mtastsd wrote every text; our encoder never does): it
 * re-encodes with its text form and the same fields and text, as
 * version 2 or 3 by its history.
 *
 * Observation history (version 3): since when this domain's policy has
 * been seen without a break in `enforce` mode (enforce_since) and in
 * `testing` or `enforce` mode (testing_since), with the same mx
 * patterns; 0 when it is not (or when an older mtastsd wrote the
 * record, which knew no history).  resolver/refresh.h decides the
 * values; "mtasts list build" reads them (docs/DESIGN.md §Cache).
 *
 * Why text_form: the policy text is about half of a record, and almost
 * every real policy body is exactly the canonical rendering of its own
 * parsed fields.  With 10,000 cached policies the LMDB map counts
 * against the daemon's memory, so such a body is not stored but
 * regenerated, byte for byte, by record_policy_text().  The canonical
 * rendering of a policy is, with EOL "\n" (RECORD_TEXT_LF) or "\r\n"
 * (RECORD_TEXT_CRLF) and every line ending in EOL:
 *   "version: STSv1" EOL "mode: " record_mode_str(mode) EOL
 *   for each mx pattern, in record order: "mx: " pattern EOL
 *   "max_age: " max_age (decimal, no leading zeros) EOL
 * A text form whose rendering would exceed RECORD_TEXT_MAX bytes is
 * refused (it cannot stand for a policy body).
 * Anything else (another field order, an extension field, a missing or
 * mixed EOL, "max_age: 0604800", a max_age the caller clamped so that
 * the struct's differs from the text's) is stored verbatim: the codec
 * never parses the text, it only compares it with the rendering.
 *
 * Strings and their alphabets (checked by encode and decode alike):
 *   id          0..RECORD_ID_MAX ASCII letters and digits (RFC 8461 §3.1)
 *   last_error,
 *   code        0..RECORD_CODE_MAX bytes 0x21-0x7e (e.g. "https-timeout")
 *   mx[i]       1..RECORD_MX_LEN_MAX bytes 0x21-0x7e (e.g. "*.example.net");
 *               at most RECORD_MX_MAX of them, RECORD_MX_BYTES_MAX
 *               encoded bytes in all
 *   text        0..RECORD_TEXT_MAX bytes, anything but NUL (the policy
 *               body as fetched; §3.2 allows UTF-8 in extension values)
 * Integers are stored as given: the codec does not judge times.
 *
 * A new format gets a new version byte; decoders of old versions are
 * kept, so a cache written by an older mtastsd stays readable (or, if
 * dropped, reads as a miss, never as a crash).
 *
 * Versions are one sequence shared by every kind of record: a later
 * format of any kind (a policy, a negative entry, a kind added later)
 * takes a version byte above RECORD_VERSION.  A value whose first byte
 * is above RECORD_VERSION is therefore "not mine": written by a newer
 * mtastsd (before a package downgrade, or by a newer CLI or daemon on
 * the same cache).  record_newer() says so, and the decoders reject it
 * with RECORD_WHY_NEWER.  Such a record is never served (this build
 * cannot know what its fields mean, and serving a guess could weaken
 * an enforced policy), never deleted as corrupt, never swept, and only
 * ever replaced by a fresh result for the same domain, which the newer
 * build can read (it keeps the older decoders).  So a downgrade makes
 * the domains it cannot read first uses again for this build, and an
 * upgrade back finds every record it wrote that was not replaced.
 */
#ifndef RECORD_H
#define RECORD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define RECORD_VERSION		4	/* newest: policies with a DANE summary */
#define RECORD_ID_MAX		32	/* RFC 8461 §3.1 sts-id: 1*32 */
#define RECORD_CODE_MAX		63	/* last_error / code strings */
#define RECORD_MX_LEN_MAX	253	/* RFC 1035 name, "*." included */
#define RECORD_TEXT_MAX		65536	/* §3.3 suggested policy size cap */

/*
 * The mx list holds whatever a policy of RECORD_TEXT_MAX bytes can
 * carry: RFC 8461 sets no limit on the number of mx lines.  The
 * shortest line, "mx:a" and LF, is 5 bytes (the last needs no LF), and
 * a pattern's encoding (length byte, pattern, NUL) is never longer
 * than the line it came from, so the whole encoded list fits in
 * RECORD_MX_BYTES_MAX.  Records of older versions (at most 128
 * patterns) are within both limits.
 */
#define RECORD_MX_MAX		((RECORD_TEXT_MAX + 1) / 5)
#define RECORD_MX_BYTES_MAX	RECORD_TEXT_MAX	/* sum of (1 + len + 1) */

/* Largest encoded values: a buffer this big holds any valid record. */
#define RECORD_POLICY_FIXED	36	/* up to the id's length */
#define RECORD_POLICY_HISTORY	16	/* version 3's two times */
#define RECORD_POLICY_DANE	19	/* version 4's DANE summary, flag */
#define RECORD_POLICY_MAX (RECORD_POLICY_FIXED + \
	(1 + RECORD_ID_MAX + 1) + (1 + RECORD_CODE_MAX + 1) + 2 + \
	RECORD_MX_BYTES_MAX + 4 + RECORD_TEXT_MAX + 1 + RECORD_POLICY_HISTORY + \
	RECORD_POLICY_DANE)
#define RECORD_NEGATIVE_FIXED	32
#define RECORD_NEGATIVE_MAX (RECORD_NEGATIVE_FIXED + 1 + RECORD_CODE_MAX + 1)

/*
 * A buffer this big holds any canonical rendering plus its NUL: a text
 * form stands for a text that was canonical, so encode and decode
 * refuse a text form whose rendering would be longer than
 * RECORD_TEXT_MAX, and a rendered text is always a valid text.
 */
#define RECORD_TEXT_RENDER_MAX	(RECORD_TEXT_MAX + 1)

/* Policy mode (§5).  Our own enum: store/ does not include resolver/. */
enum record_mode {
	RECORD_MODE_NONE = 0,
	RECORD_MODE_TESTING = 1,
	RECORD_MODE_ENFORCE = 2
};

/*
 * Why a domain has no usable policy right now.  The values are stored,
 * so they never change meaning.  NO_RECORD is an authoritative answer
 * (NXDOMAIN, no "v=STSv1;" TXT record, or several); DNS_ERROR is a
 * failure to get any answer (SERVFAIL, timeout): the two are never
 * merged (docs/DESIGN.md §Failures).
 */
enum record_reason {
	RECORD_NEG_NO_RECORD = 0,	/* NXDOMAIN, no STS record */
	RECORD_NEG_DNS_ERROR = 1,	/* SERVFAIL, timeout, refused */
	RECORD_NEG_FETCH_ERROR = 2,	/* HTTPS: TLS, status, size */
	RECORD_NEG_POLICY_INVALID = 3	/* body is not a valid policy */
};
#define RECORD_NEG_NREASONS	4

/*
 * How a policy's text is kept.  The values are stored, so they never
 * change meaning.
 */
enum record_text_form {
	RECORD_TEXT_STORED = 0,	/* verbatim: text, text_len */
	RECORD_TEXT_LF = 1,	/* the canonical rendering, "\n" line ends */
	RECORD_TEXT_CRLF = 2	/* the same with "\r\n" */
};

/*
 * A copy of the domain's DANE verdict (version 4), so that a cached
 * lookup reads one record: the "dane" db (store/danerec.h) stays the
 * truth and keeps the detail; its writer keeps this copy equal to it.
 * verdict is enum danerec_verdict (0..3); why is the resolver's code
 * of its reason (resolver/dane.h dane_why_code()), not judged here.
 */
struct record_dane {
	uint8_t		 known;		/* 1: the fields below hold */
	uint8_t		 verdict;	/* 0..RECORD_DANE_VERDICT_MAX */
	uint8_t		 why;		/* reason code */
	int64_t		 checked_at;
	int64_t		 expires_at;
};
#define RECORD_DANE_VERDICT_MAX	3

/*
 * A cached policy.  After decode, the pointers point into the decoded
 * buffer; text is NULL (text_len 0) when text_form is not STORED, and
 * record_policy_text() gives the text in every case.  For encode, id,
 * last_error and text may be NULL (= ""; text only with text_len 0);
 * mx[0..nmx) must not be NULL.  With text_form STORED the encoder
 * itself picks a text form when the text is a canonical rendering;
 * with LF or CRLF, text must be NULL and text_len 0 (a decoded policy
 * re-encodes as it is).  A zeroed struct means STORED.
 */
struct record_policy {
	enum record_mode mode;
	uint32_t	 max_age;	/* seconds, from the policy */
	int64_t		 fetched_at;	/* unix time of the fetch */
	int64_t		 txt_checked_at; /* last TXT id confirmation */
	int64_t		 retry_at;	/* no background refresh before
					 * this (backoff); 0 = none */
	uint32_t	 failures;	/* consecutive refresh failures */
	const char	*id;		/* TXT id of this policy */
	const char	*last_error;	/* last failure's code, or "" */
	size_t		 nmx;
	const char	*mx[RECORD_MX_MAX]; /* in policy order */
	const char	*text;		/* raw policy body, or NULL */
	size_t		 text_len;
	enum record_text_form text_form; /* how the text is kept */
	int64_t		 enforce_since;	/* in enforce since; 0: not */
	int64_t		 testing_since;	/* in testing or enforce since */
	struct record_dane dane;	/* version 4; known 0: none */
};

/* A negative entry; `code` as last_error above. */
struct record_negative {
	enum record_reason reason;
	uint32_t	 count;		/* results of this reason in a row */
	int64_t		 first_at;	/* first of this run */
	int64_t		 last_at;	/* latest */
	int64_t		 retry_at;	/* fresh while now < retry_at */
	const char	*code;		/* e.g. "txt-none", "https-404" */
};

/*
 * record_policy_clear: zero every field of *p but the mx array, which is
 * RECORD_MX_MAX pointers (about 100 KiB) and read only up to nmx: a
 * memset of the whole struct per entry made installing a list of
 * 30,000 entries take 270 ms on the event loop instead of 20.
 */
void record_policy_clear(struct record_policy *p);

/*
 * record_policy_size: exact encoded size of `p`, or 0 when `p` breaks a
 * limit or alphabet above (then record_policy_encode fails with the
 * reason).  Never more than RECORD_POLICY_MAX.
 */
size_t record_policy_size(const struct record_policy *p);

/*
 * record_policy_encode: write `p` into buf[0..size).  Returns the
 * encoded length, or -1 with *why (may be NULL) set to a static reason
 * when `p` is invalid or the buffer is too small ("buffer too small").
 * Nothing is written past size; on -1 the buffer content is undefined.
 */
ssize_t record_policy_encode(const struct record_policy *p, void *buf,
    size_t size, const char **why);

/*
 * record_policy_decode: decode the `len` bytes at `buf` (not
 * NUL-terminated, never read past len) into *out.  Returns 0, or -1
 * with *why (may be NULL) set to a static reason; *out is then
 * unspecified.  out's strings point into `buf` (borrowed).
 */
int record_policy_decode(const void *buf, size_t len,
    struct record_policy *out, const char **why);

/*
 * record_newer: 1 if the len bytes at buf are a record of a newer
 * format than this build reads (first byte above RECORD_VERSION), else
 * 0 (a record of ours, valid or not, or an empty value).
 */
int record_newer(const void *buf, size_t len);

/* The decoders' reason for a record of a newer format. */
#define RECORD_WHY_NEWER	"record of a newer format (not ours)"

/* The same three for negative entries. */
size_t record_negative_size(const struct record_negative *n);
ssize_t record_negative_encode(const struct record_negative *n, void *buf,
    size_t size, const char **why);
int record_negative_decode(const void *buf, size_t len,
    struct record_negative *out, const char **why);

/*
 * record_policy_text: the policy body of `p`, NUL-terminated, with its
 * length in *lenp (lenp may be NULL).  A stored text is returned as it is
 * (p->text, no copy; "" when NULL); a text form is rendered into
 * buf[0..size) and buf is returned.  NULL when buf is too small
 * (RECORD_TEXT_RENDER_MAX always suffices) or p is not a valid policy
 * for its form (a mode, text form or mx count out of range).
 */
const char *record_policy_text(const struct record_policy *p, char *buf,
    size_t size, size_t *lenp);

/* "none", "testing", "enforce"; "invalid" for anything else. */
const char *record_mode_str(enum record_mode m);

/* "no-record", "dns-error", "fetch-error", "policy-invalid"; "invalid". */
const char *record_reason_str(enum record_reason r);

#endif /* RECORD_H */
