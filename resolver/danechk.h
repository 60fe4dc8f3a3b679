/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * danechk.h: find out whether DANE (RFC 7672) applies to a mail domain,
 * over the network: the domain's MX RRset, then every MX host's
 * "_25._tcp.<host>" TLSA RRset, all asked in parallel with DNSSEC
 * validation requested (resolver/dns.h dns_query_sec()), then the
 * decision of resolver/dane.h.
 *
 * Trust: the AD flag of a local validating resolver, as Postfix's own
 * DANE support trusts it.  A resolver that does not validate never
 * sets AD, so every domain then looks unsigned (DANE_NO).
 *
 * Threading: loop thread only.  The callback never runs before
 * danechk_start() returned; after it ran, or after danechk_cancel(),
 * the handle is gone.  The result is borrowed for the callback.
 *
 * Limits: at most DANE_HOSTS_MAX MX hosts are asked, the most preferred
 * (the rest make the result `truncated`); hosts are reported in MX
 * preference order, then by name; a null MX (RFC 7505) is no host.  There is no
 * deadline of its own: the dns channel's timeouts and tries bound it.
 */
#ifndef DANECHK_H
#define DANECHK_H

#include <stdint.h>

#include "dane.h"
#include "dns.h"
#include "dnsmsg.h"

struct danechk;

struct danechk_host {
	char		 name[DNSMSG_NAME_MAX + 1];	/* MX host */
	enum dns_status	 status;	/* its TLSA lookup */
	enum dane_tlsa	 tlsa;
	unsigned	 ntlsa;		/* TLSA records seen */
};

struct danechk_result {
	const char		*domain;
	enum dane_verdict	 verdict;
	const char		*why;		/* static, for operators */
	enum dns_status		 mx_status;	/* the MX lookup */
	enum dane_dns		 mx;
	size_t			 nhosts;
	int			 truncated;
	struct danechk_host	 host[DANE_HOSTS_MAX];
	uint32_t		 ttl;		/* lowest TTL of the records
						 * the verdict rests on; 0
						 * when none (denials) */
};

typedef void danechk_cb(const struct danechk_result *res, void *arg);

/*
 * danechk_start: check `domain` (normalised, no trailing dot) through
 * `d` (borrowed; must outlive the check).  Returns a handle, or NULL
 * when the check could not start (memory, bad name).
 */
struct danechk *danechk_start(struct dns *d, const char *domain,
    danechk_cb *cb, void *arg);

/* danechk_cancel: the callback never runs; the handle is gone.  NULL is
 * a no-op. */
void danechk_cancel(struct danechk *c);

/*
 * Does the resolver validate?  A resolver that does not never sets AD,
 * and every domain then looks unsigned: DANE silently never applies.
 * The probe asks the DNSKEY RRset of a name that is signed and under
 * the resolver's trust anchor (the root "." on the Internet; a test
 * world or a private set-up names its own), with AD requested.
 */
enum danechk_probe_result {
	DANECHK_VALIDATING = 0,	/* DNSKEY answered with AD */
	DANECHK_NOT_VALIDATING,	/* answered without AD (or no DNSKEY) */
	DANECHK_PROBE_FAILED	/* no answer: SERVFAIL, timeout */
};

struct danechk_probe;
typedef void danechk_probe_cb(enum danechk_probe_result r,
    enum dns_status status, void *arg);

/*
 * danechk_probe: probe through `d` with the DNSKEY RRset of `name`
 * ("." for the root).  Same handle and callback rules as
 * danechk_start(); cancel with danechk_probe_cancel().
 */
struct danechk_probe *danechk_probe(struct dns *d, const char *name,
    danechk_probe_cb *cb, void *arg);
void danechk_probe_cancel(struct danechk_probe *p);

/* "validating", "not-validating", "failed"; "invalid" otherwise. */
const char *danechk_probe_str(enum danechk_probe_result r);

#endif /* DANECHK_H */
