/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * dane.h: does DANE (RFC 7672) apply to a mail domain, and how hard?
 *
 * Purpose: from the DNSSEC status of the domain's MX RRset and of each
 * MX host's "_25._tcp.<host>" TLSA RRset, as a local validating
 * resolver reported them (the AD flag: resolver/dnsmsg.h), decide the
 * Postfix TLS level that DANE asks for:
 *
 *   DANE_ONLY  the MX RRset is validated and every MX host has at least
 *              one usable TLSA record: Postfix "dane-only";
 *   DANE_YES   some TLSA is there but not all of the above holds (some
 *              hosts without TLSA, unusable parameters, an unsigned
 *              domain whose MX hosts are signed, more hosts than we
 *              check): Postfix "dane", which authenticates the hosts
 *              with usable TLSA and falls back per host as RFC 7672
 *              §2.2 says;
 *   DANE_NO    no validated TLSA for any MX host (unsigned hosts, signed
 *              hosts without TLSA, no MX, null MX, or an unsigned
 *              domain whose TLSA lookups failed): DANE does not apply
 *              and MTA-STS decides;
 *   DANE_TEMP  a signed domain's DNSSEC answers could not be had (MX
 *              SERVFAIL/bogus/timeout, TLSA SERVFAIL/bogus/timeout for
 *              a host of a validated MX RRset): try again later; never
 *              MTA-STS instead, or an attacker who breaks DNSSEC
 *              answers would pick the weaker check (RFC 7672 §2.2.1).
 *
 * This follows postfix-tlspol's decision with these differences, each
 * on purpose:
 *   - A failed MX lookup of any domain is TEMP, as there.  A failed
 *     TLSA lookup is TEMP only when the MX RRset was validated; for an
 *     unsigned domain the host's TLSA failure makes that host "no
 *     DANE" (postfix-tlspol: TEMP).  An unsigned domain's MX answer can
 *     be forged anyway, so its TLSA lookups cannot raise the bar; but
 *     a broken name server of some unsigned MX host would otherwise
 *     defer all mail to a domain that MTA-STS protects today.
 *   - The MX hosts' address records are not queried (postfix-tlspol
 *     asks A/AAAA with AD for each host).  A validated TLSA answer, or
 *     a validated denial of one, already proves the host's zone is
 *     signed; whether its addresses validate is Postfix's business at
 *     delivery time (RFC 7672 §2.2.2), and the query costs time.
 *   - At most DANE_HOSTS_MAX MX hosts are checked; a domain with more
 *     cannot be DANE_ONLY (the others are unknown), at most DANE_YES.
 *
 * Pure module: no I/O, no clock, no allocation; input borrowed.
 */
#ifndef DANE_H
#define DANE_H

#include <stddef.h>

struct dnsmsg_answer;

/* MX hosts whose TLSA records are asked for, at most. */
#define DANE_HOSTS_MAX 8

/* The outcome of one lookup, as the validating resolver saw it. */
enum dane_dns {
	DANE_DNS_SECURE = 0,	/* answer or denial, validated (AD) */
	DANE_DNS_INSECURE,	/* answer or denial, not validated */
	DANE_DNS_FAIL		/* SERVFAIL (bogus), timeout, garbage */
};

/* One MX host's TLSA RRset. */
enum dane_tlsa {
	DANE_TLSA_USABLE = 0,	/* validated, at least one usable record */
	DANE_TLSA_UNUSABLE,	/* validated records, none usable */
	DANE_TLSA_NONE,		/* validated denial: signed, no TLSA */
	DANE_TLSA_INSECURE,	/* not validated: not trusted */
	DANE_TLSA_FAIL		/* the lookup failed */
};

enum dane_verdict {
	DANE_NO = 0,
	DANE_YES,		/* Postfix "dane" */
	DANE_ONLY,		/* Postfix "dane-only" */
	DANE_TEMP
};

struct dane_input {
	enum dane_dns		 mx;		/* the domain's MX RRset */
	size_t			 nhosts;	/* checked MX hosts */
	const enum dane_tlsa	*tlsa;		/* [nhosts] */
	int			 truncated;	/* more hosts than checked */
};

/*
 * dane_decide: the verdict for `in`, and (why != NULL) a static, short
 * English reason for operators.
 */
enum dane_verdict dane_decide(const struct dane_input *in,
    const char **why);

/*
 * dane_dns_of: classify a lookup: `failed` is non-zero when no answer
 * was had (then `ans` may be NULL); else the answer's RCODE (NOERROR
 * or NXDOMAIN, anything else fails) and AD flag decide.
 */
enum dane_dns dane_dns_of(int failed, const struct dnsmsg_answer *ans);

/*
 * dane_tlsa_of: classify a TLSA lookup as dane_dns_of() does, then by
 * its records (resolver/dnsmsg.h dnsmsg_tlsa_usable()).
 */
enum dane_tlsa dane_tlsa_of(int failed, const struct dnsmsg_answer *ans);

/*
 * dane_why_code: the stable code (1..) of a reason dane_decide() gives,
 * 0 for any other string or NULL.  dane_why_str: the reason of a code,
 * "" for 0 or an unknown code.  Codes are stored (store/record.h).
 */
unsigned dane_why_code(const char *why);
const char *dane_why_str(unsigned code);

/* "no-dane", "dane", "dane-only", "temp"; "invalid" otherwise. */
const char *dane_verdict_str(enum dane_verdict v);
/* "secure", "insecure", "fail"; "invalid" otherwise. */
const char *dane_dns_str(enum dane_dns d);
/* "usable", "unusable", "none", "insecure", "fail"; "invalid". */
const char *dane_tlsa_str(enum dane_tlsa t);

#endif /* DANE_H */
