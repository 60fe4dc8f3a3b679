/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * stsrec.h: the "_mta-sts" TXT record parser (RFC 8461 §3.1).
 *
 * Purpose: given the TXT records of "_mta-sts.<domain>" (each record's
 * character-strings already concatenated, without separators, as
 * §3.1 requires), pick the single "v=STSv1;" record and extract its id.
 *
 * Pure module: no I/O, no clock, no allocation, no global state; safe
 * to call from any thread.  All input is borrowed for the call and is
 * NOT NUL-terminated; nothing is kept after return.
 *
 * Results: STSREC_OK, or one of NONE / MULTIPLE / INVALID, all of which
 * mean "this domain has no usable MTA-STS TXT record right now" (which
 * by itself never removes a cached policy, §3.1 and §5.1).  On every
 * result other than STSREC_OK, `*why` (when `why` is not NULL) is set to
 * a static, short English reason; on STSREC_OK it is set to NULL.
 *
 * Grammar (RFC 8461 §3.1, ABNF per RFC 7405, %s = case-sensitive):
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field)
 *                     [sts-field-delim]
 *   sts-field       = sts-id / sts-extension
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-extension   = sts-ext-name "=" sts-ext-value
 *   sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 * Interpretation choices (quoted and justified in stsrec.c):
 *   - a record is an STS record iff its first 8 bytes are exactly
 *     "v=STSv1;" (so "v=STSv1 ; id=1" and "v=STSv1" are not STS records);
 *   - a field named exactly "id" must match sts-id (it is never read
 *     as an extension), and at least one is required;
 *   - duplicate fields: the first wins, later ones are ignored but must
 *     still be syntactically valid;
 *   - US-ASCII only; NUL, CR, LF, DEL and every other CTL are invalid,
 *     except HTAB where the grammar allows WSP (around ";").
 *
 * Limits: a joined record longer than STSREC_RECORD_MAX bytes is
 * INVALID; the id is at most STSREC_ID_MAX characters.
 */
#ifndef STSREC_H
#define STSREC_H

#include <stddef.h>

/* Longest id the grammar allows: 1*32(ALPHA / DIGIT). */
#define STSREC_ID_MAX 32

/* Maximum joined record length we accept (a TXT RR is at most 65535
 * bytes of RDATA).  The resolver may stop joining strings past it. */
#define STSREC_RECORD_MAX 65535

/* The exact prefix that makes a TXT record an STS record (§3.1). */
#define STSREC_PREFIX "v=STSv1;"
#define STSREC_PREFIX_LEN (sizeof(STSREC_PREFIX) - 1)

enum stsrec_result {
	STSREC_OK = 0,		/* exactly one valid STSv1 record */
	STSREC_NONE,		/* no record begins with "v=STSv1;"
				 * (includes an empty RRset) */
	STSREC_MULTIPLE,	/* more than one record begins with
				 * "v=STSv1;" */
	STSREC_INVALID		/* exactly one such record, but it is
				 * syntactically invalid */
};

struct stsrec {
	char id[STSREC_ID_MAX + 1];	/* NUL-terminated, 1-32 ALPHA/DIGIT */
};

/*
 * stsrec_parse: parse one record whose character-strings were already
 * joined (no separators).  `txt` is `len` bytes, not NUL-terminated; it
 * may be NULL when `len` is 0.  `out` (may be NULL: validate only)
 * receives the id on STSREC_OK; on any other result out->id is "".
 * `why` (may be NULL) receives a static reason on failure, NULL on OK.
 * Returns STSREC_OK or STSREC_INVALID, or STSREC_NONE when the record
 * does not start with "v=STSv1;".  Never returns STSREC_MULTIPLE.
 */
enum stsrec_result stsrec_parse(const char *txt, size_t len,
    struct stsrec *out, const char **why);

/*
 * stsrec_select: choose from an RRset of `n` records, record i being
 * txts[i] (`lens[i]` bytes, joined, not NUL-terminated; txts[i] may be
 * NULL only when lens[i] is 0).  txts and lens may be NULL when n is 0.
 * Records that do not begin with "v=STSv1;" are discarded; none left
 * gives STSREC_NONE, more than one STSREC_MULTIPLE; otherwise the one
 * left is parsed as by stsrec_parse().  `out` and `why` as there.
 */
enum stsrec_result stsrec_select(const char *const *txts,
    const size_t *lens, size_t n, struct stsrec *out, const char **why);

/*
 * stsrec_code: stable short code for logs/JSON: "ok", "txt-none",
 * "txt-multiple", "txt-invalid"; "unknown" for a value outside the
 * enum.  The string is static.
 */
const char *stsrec_code(enum stsrec_result r);

#endif /* STSREC_H */
