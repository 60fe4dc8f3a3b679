/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * domkey.h: normalise a lookup key into a mail domain (docs/DESIGN.md
 * §Keys).
 *
 * Purpose: turn the key an MTA sends (Postfix: the next-hop
 * destination, in its original case, maybe UTF-8) into the one form
 * used for DNS, the HTTPS fetch, the cache and logs: lowercase A-labels
 * without a trailing dot.  Keys that are not mail domains are
 * recognised so the caller can answer NOTFOUND with no network work.
 *
 * Pure computation: no I/O, no clock, no global state; safe to call
 * from any thread.  The one exception to "no allocation" is libidn2,
 * which allocates internally when a label is non-ASCII or an "xn--"
 * label; all-ASCII keys (the hot path) never call it.
 *
 * Classification, in this order (reasons in domkey.c):
 *   INVALID      empty, longer than DOMKEY_INPUT_MAX bytes, contains NUL;
 *   NOT_DOMAIN   "[host]" or "[host]:port" (Postfix's no-MX next hops);
 *   NOT_DOMAIN   ".parent" keys (Postfix's parent-domain probes) whose
 *                rest is a domain or a single label (".com");
 *   NOT_DOMAIN   IPv6 literals ("2001:db8::1") and "host:port" keys;
 *   then the name itself: lowercase ASCII, strip ONE trailing dot,
 *   U-labels to A-labels (IDNA2008 via libidn2, UTS #46
 *   non-transitional mapping, NFC), then LDH syntax:
 *   INVALID      empty label, label not 1..63 octets of [a-z0-9-] with
 *                no leading or trailing "-" (so "_", space, CR, LF are
 *                invalid), name over DOMKEY_MAX octets, IDNA2008
 *                failure (invalid UTF-8, disallowed code point such as
 *                an emoji, an "xn--" label that is not a valid A-label);
 *   NOT_DOMAIN   last label all digits (IPv4 literals such as
 *                "192.0.2.1": no TLD is numeric);
 *   NOT_DOMAIN   a single label ("localhost"): no MTA-STS policy host
 *                "mta-sts.<tld>" serves a bare TLD's mail;
 *   DOMAIN       everything else, e.g. "Example.COM." -> "example.com",
 *                "BÜCHER.example" -> "xn--bcher-kva.example".
 *   ERROR        libidn2 ran out of memory: a local failure, not a
 *                property of the key (answer TEMP, never NOTFOUND).
 */
#ifndef DOMKEY_H
#define DOMKEY_H

#include <stddef.h>

/* RFC 1035 §2.3.4 / RFC 2181 §11: longest name (no trailing dot). */
#define DOMKEY_MAX 253
#define DOMKEY_LABEL_MAX 63

/* Longest raw key looked at.  A UTF-8 name can be longer than its
 * A-label form (up to 4 bytes per code point), but nothing that fits in
 * DOMKEY_MAX octets as A-labels needs more than this. */
#define DOMKEY_INPUT_MAX 1024

enum domkey_kind {
	DOMKEY_DOMAIN = 0,	/* a mail domain; out: its A-label form */
	DOMKEY_NOT_DOMAIN,	/* parent key, [host], host:port, IP literal,
				 * single label: answer NOTFOUND, no network */
	DOMKEY_INVALID,		/* not a syntactically valid domain */
	DOMKEY_ERROR		/* libidn2 out of memory: try again later */
};

/*
 * domkey_normalize: classify and normalise `key` (`len` bytes, not
 * necessarily NUL-terminated, may be UTF-8; may be NULL when len is 0).
 * `out` must hold DOMKEY_MAX + 1 bytes; on DOMKEY_DOMAIN it receives
 * the NUL-terminated normalised name, otherwise "".  `why` (may be
 * NULL) is set to NULL on DOMKEY_DOMAIN and to a static, short English
 * reason otherwise (safe to log: it never contains key bytes).
 */
enum domkey_kind domkey_normalize(const char *key, size_t len,
    char out[DOMKEY_MAX + 1], const char **why);

/*
 * domkey_kind_name: "domain", "not-domain", "invalid", "error";
 * "unknown" for a value outside the enum.  Static string.
 */
const char *domkey_kind_name(enum domkey_kind k);

#endif /* DOMKEY_H */
