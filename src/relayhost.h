/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * relayhost.h: which MX host table-mtasts hands to smtpd for a
 * "relayhost" lookup (RFC 8461 §4.1, §5; docs/opensmtpd.md).
 *
 * Purpose: with "action ... relay domain <sts> tls", smtpd asks the
 * table for one relay URL per delivery attempt and connects only
 * there.  Returning an MX host that matches the domain's MTA-STS "mx"
 * patterns is how the patterns get enforced at all: smtpd's own MX
 * walk would accept any MX with a certificate valid for its own name.
 * One host per attempt means no fallback inside an attempt, so the
 * choice rotates between attempts: attempt k gets the k-th matching
 * host (modulo their number), in MX preference order, so an MX that is
 * down delays the mail by one retry instead of blocking it.
 *
 * Pure module: no I/O, no clock, no allocation, no global state; the
 * rotation state is a struct the caller owns.
 */
#ifndef RELAYHOST_H
#define RELAYHOST_H

#include <stddef.h>

#include "domkey.h"

#define RELAYHOST_MX_MAX	32	/* MX records considered */
#define RELAYHOST_SLOTS		256	/* domains whose rotation is kept */
#define RELAYHOST_PORT		25
/* "smtp+tls://" + name + ":25" + NUL */
#define RELAYHOST_URL_MAX	(11 + DOMKEY_MAX + 3 + 1)

struct relayhost_mx {
	unsigned	 pref;			/* MX preference */
	char		 host[DOMKEY_MAX + 1];	/* normalised name */
};

/*
 * The rotation: a small table of domains and their next attempt
 * number.  A domain pushed out by another one that hashes to the same
 * slot starts again at its most preferred host: harmless.
 */
struct relayhost_turns {
	struct {
		char		 domain[DOMKEY_MAX + 1];
		unsigned	 next;
	} slot[RELAYHOST_SLOTS];
};

/* relayhost_turn: the attempt number for `domain` (0 the first time),
 * counting this attempt. */
unsigned	relayhost_turn(struct relayhost_turns *t, const char *domain);

/*
 * relayhost_pick: the host for attempt `turn` among mx[0..n): those
 * matching any of patterns[0..npat) when `filter` is set (MTA-STS
 * enforce; mxmatch_match()), all of them otherwise; sorted by
 * preference, then name, so the order does not depend on the order of
 * the DNS answer.  Returns the index in mx and sets *nmatch to the
 * number of candidates, or returns -1 when there is none.
 */
int		relayhost_pick(const struct relayhost_mx *mx, size_t n,
		    const char *const *patterns, size_t npat, int filter,
		    unsigned turn, size_t *nmatch);

/*
 * relayhost_url: "smtp+tls://<host>:25" into out[0..outlen).  Returns
 * 0, or -1 when host is empty or out is too small.  smtpd's "tls"
 * option then insists on verified TLS with the host's name.
 */
int		relayhost_url(const char *host, char *out, size_t outlen);

#endif /* RELAYHOST_H */
