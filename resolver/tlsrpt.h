/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tlsrpt.h: the "_smtp._tls" TXT record parser (RFC 8460 §3), for
 * `mtasts check`.
 *
 * Purpose: given the TXT records of "_smtp._tls.<domain>" (each
 * record's strings already joined), pick the one "v=TLSRPTv1" record
 * and read its reporting URIs, or say in a short static string why
 * there is no usable one.
 *
 * Pure module: no I/O, no clock, no allocation, no global state.  Input
 * is borrowed and NOT NUL-terminated.
 *
 * Grammar (RFC 8460 §3, %s = case-sensitive):
 *   tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field)
 *                      [field-delim]
 *   field-delim      = *WSP ";" *WSP
 *   tlsrpt-field     = tlsrpt-rua / tlsrpt-extension
 *   tlsrpt-version   = %s"v=TLSRPTv1"
 *   tlsrpt-rua       = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *   tlsrpt-uri       = URI       ; RFC 3986; "," and ";" %-encoded
 *   tlsrpt-extension = ext-name "=" ext-value
 *   ext-name         = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   ext-value        = 1*(%x21-3A / %x3C / %x3E-7E)
 * Interpretation choices:
 *   - a record is a TLSRPT record iff it starts with "v=TLSRPTv1"
 *     followed by the end, ";" or WSP (§3: "records that do not begin
 *     with "v=TLSRPTv1;" are discarded"; a lone version with no rua is
 *     then invalid, not "none");
 *   - exactly one such record, else TLSRPT_MULTIPLE (§3: the sender
 *     "MUST assume the recipient domain does not implement TLSRPT");
 *   - "rua" is required, once: a second one is TLSRPT_INVALID, since a
 *     reporter cannot tell which was meant;
 *   - a URI must be "mailto:" with an addr-spec that has one "@" and a
 *     non-empty local part and domain, or "https://" with a non-empty
 *     host (§3: "mailto" and "https" are the only schemes defined);
 *     scheme names are case-insensitive (RFC 3986 §3.1).  Any other
 *     scheme is invalid: a reporter would send nothing there;
 *   - US-ASCII only; a control character anywhere is invalid.
 *
 * Limits: at most TLSRPT_URI_MAX URIs are kept (more is invalid: no
 * reporter is asked to send that many copies), each at most
 * TLSRPT_URI_LEN bytes.
 */
#ifndef TLSRPT_H
#define TLSRPT_H

#include <stddef.h>

#define TLSRPT_URI_MAX	8
#define TLSRPT_URI_LEN	255

enum tlsrpt_result {
	TLSRPT_OK = 0,		/* exactly one valid record */
	TLSRPT_NONE,		/* no record starts with "v=TLSRPTv1" */
	TLSRPT_MULTIPLE,	/* more than one does */
	TLSRPT_INVALID		/* exactly one, syntactically invalid */
};

struct tlsrpt {
	size_t	nuri;
	char	uri[TLSRPT_URI_MAX][TLSRPT_URI_LEN + 1];
};

/*
 * tlsrpt_parse: one joined record of `len` bytes (not NUL-terminated;
 * NULL when len is 0).  `out` (may be NULL) gets the URIs on TLSRPT_OK
 * and nuri 0 otherwise; `why` (may be NULL) a static reason on failure,
 * NULL on success.  Never returns TLSRPT_MULTIPLE.
 */
enum tlsrpt_result tlsrpt_parse(const char *txt, size_t len,
    struct tlsrpt *out, const char **why);

/*
 * tlsrpt_select: choose among `n` records (txts[i], lens[i] bytes) as
 * §3 says, then parse the one left as tlsrpt_parse() does.
 */
enum tlsrpt_result tlsrpt_select(const char *const *txts,
    const size_t *lens, size_t n, struct tlsrpt *out, const char **why);

/* tlsrpt_code: "ok", "none", "multiple", "invalid"; "unknown". */
const char *tlsrpt_code(enum tlsrpt_result r);

#endif /* TLSRPT_H */
