/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * dnsmsg.h: DNS messages for the DANE checks: build a query that asks
 * for DNSSEC validation, read the answer's AD flag and its MX or TLSA
 * records (RFC 1035 §4, RFC 4035 §3.2, RFC 6840 §5.7, RFC 6698 §2.1).
 *
 * Purpose: c-ares 1.18 (Debian 12) has no DNSSEC API, but ares_send()
 * sends a raw query and hands back the raw answer.  dnsmsg_query()
 * writes a query with RD and AD set and an EDNS0 OPT record with the
 * DO bit (RFC 3225: a validating resolver sets AD only for clients
 * that ask with AD or DO); dnsmsg_parse() reads the answer: its RCODE,
 * its AD flag (trusted because the resolver is local and validating,
 * the trust model of Postfix's own DANE support) and the records of
 * the asked type owned by the asked name, following a CNAME chain in
 * the answer section.
 *
 * Pure module: no I/O, no clock, no allocation, no global state.  The
 * packet is borrowed for the call; everything kept is copied into
 * `out`.  Hostile input gets DNSMSG_BAD with a static reason; no read
 * goes past `len`, compression pointers may only point backwards and
 * are followed at most DNSMSG_JUMPS_MAX times per name.
 *
 * Limits: at most DNSMSG_RR_MAX records of the asked type are kept
 * (the rest are counted in `dropped`); a CNAME chain longer than
 * DNSMSG_CNAME_MAX is DNSMSG_BAD.  Names are kept in presentation
 * form, lowercase, without the trailing dot; a name with a byte that
 * cannot appear in a host name (RFC 1123: letters, digits, hyphen;
 * underscore is allowed for TLSA owners) is DNSMSG_BAD.
 */
#ifndef DNSMSG_H
#define DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DNSMSG_TYPE_A		1
#define DNSMSG_TYPE_CNAME	5
#define DNSMSG_TYPE_MX		15
#define DNSMSG_TYPE_OPT		41
#define DNSMSG_TYPE_DNSKEY	48
#define DNSMSG_TYPE_TLSA	52

/* RCODEs (RFC 1035 §4.1.1) the callers tell apart. */
#define DNSMSG_RCODE_NOERROR	0
#define DNSMSG_RCODE_SERVFAIL	2
#define DNSMSG_RCODE_NXDOMAIN	3

#define DNSMSG_NAME_MAX		253	/* presentation form, no dot */
#define DNSMSG_RR_MAX		16
#define DNSMSG_CNAME_MAX	8
#define DNSMSG_JUMPS_MAX	64
/* A query for a 253-byte name: header 12 + name 255 + 4 + OPT 11. */
#define DNSMSG_QUERY_MAX	512
/* UDP payload size we announce (DNS flag day 2020). */
#define DNSMSG_EDNS_SIZE	1232

enum dnsmsg_result {
	DNSMSG_OK = 0,		/* an answer was read (any RCODE) */
	DNSMSG_BAD		/* not a well-formed answer to our query */
};

/* Association data kept per TLSA record: a SHA2-512 digest. */
#define DNSMSG_TLSA_DATA_MAX	64

/* One TLSA record (RFC 6698 §2.1): the fields DANE usability needs,
 * and the association data when it is a digest (mtype 1 or 2 and at
 * most DNSMSG_TLSA_DATA_MAX bytes; otherwise only its length). */
struct dnsmsg_tlsa {
	uint8_t		usage;
	uint8_t		selector;
	uint8_t		mtype;
	uint16_t	dlen;	/* length of the association data */
	int		have_data;	/* data[0..dlen) is the data */
	uint8_t		data[DNSMSG_TLSA_DATA_MAX];
};

struct dnsmsg_mx {
	uint16_t	pref;
	char		host[DNSMSG_NAME_MAX + 1];	/* "" for "." */
};

struct dnsmsg_answer {
	int		rcode;		/* RFC 1035 RCODE, 0-15 */
	int		ad;		/* the AD flag */
	int		tc;		/* the TC flag (truncated) */
	uint16_t	qtype;		/* the type asked */
	uint32_t	ttl;		/* lowest TTL of the records kept
					 * and of the CNAMEs followed */
	size_t		n;		/* records kept */
	size_t		dropped;	/* records over DNSMSG_RR_MAX */
	union {
		struct dnsmsg_mx	mx[DNSMSG_RR_MAX];
		struct dnsmsg_tlsa	tlsa[DNSMSG_RR_MAX];
	} rr;
};

/*
 * dnsmsg_query: write into `buf` (`size` bytes) a query for `name`
 * (presentation form, trailing dot optional; "." is the root), class
 * IN, type `qtype`,
 * with RD and AD set and an EDNS0 OPT record (DO set, payload
 * DNSMSG_EDNS_SIZE).  The id is 0 (ares_send() sets its own).  Returns
 * the length written, or 0 when the name is not valid (empty label,
 * label over 63 bytes, name over 253) or `size` is too small.
 */
size_t dnsmsg_query(uint8_t *buf, size_t size, const char *name,
    uint16_t qtype);

/*
 * dnsmsg_parse: read the answer `pkt` (`len` bytes) to a query for
 * `qname` (as given to dnsmsg_query()) of type `qtype` (MX or TLSA;
 * any other type keeps only rcode, ad and n).  The answer must be a
 * response (QR), carry exactly that one question and be well-formed
 * up to the end of its answer section.  `out` receives the header
 * flags and the records; `why` (may be NULL) receives a static reason
 * on DNSMSG_BAD, NULL on DNSMSG_OK.
 */
enum dnsmsg_result dnsmsg_parse(const uint8_t *pkt, size_t len,
    const char *qname, uint16_t qtype, struct dnsmsg_answer *out,
    const char **why);

/*
 * dnsmsg_tlsa_usable: may a DANE SMTP client use this record (RFC 7672
 * §3.1)?  Usages DANE-TA(2) and DANE-EE(3), selectors Cert(0) and
 * SPKI(1), matching types Full(0), SHA2-256(1) and SHA2-512(2), with
 * a digest of the right length (32 or 64 bytes) or, for Full, some
 * data.  PKIX-TA(0) and PKIX-EE(1) are not usable for SMTP (§3.1.3).
 */
int dnsmsg_tlsa_usable(const struct dnsmsg_tlsa *t);

#endif /* DNSMSG_H */
