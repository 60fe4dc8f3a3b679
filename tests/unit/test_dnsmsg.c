/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_dnsmsg.c: unit tests for the DNS query writer and answer reader
 * of the DANE checks (resolver/dnsmsg.c).
 *
 * Answers are built byte by byte by a small writer below (names as
 * labels or as compression pointers), so each case states exactly what
 * is on the wire.  Each parse runs on a heap copy of exactly the
 * message's length, so ASan catches any read past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "tap.h"

struct pk {
	uint8_t	b[4096];
	size_t	n;
};

static void
pk_u8(struct pk *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void
pk_u16(struct pk *p, unsigned v)
{
	pk_u8(p, v >> 8);
	pk_u8(p, v & 0xff);
}

static void
pk_u32(struct pk *p, uint32_t v)
{
	pk_u16(p, v >> 16);
	pk_u16(p, v & 0xffff);
}

/* Labels of `name` ("" is the root), then the terminating zero. */
static void
pk_name(struct pk *p, const char *name)
{
	const char *dot;
	size_t len;

	while (*name != '\0') {
		dot = strchr(name, '.');
		len = dot != NULL ? (size_t)(dot - name) : strlen(name);
		pk_u8(p, (unsigned)len);
		memcpy(p->b + p->n, name, len);
		p->n += len;
		name += len + (dot != NULL);
	}
	pk_u8(p, 0);
}

static void
pk_ptr(struct pk *p, unsigned off)
{
	pk_u16(p, 0xc000 | off);
}

/* Header (QR set plus `flags`) and one question; the question name
 * starts at offset 12, for pointers. */
static void
pk_start(struct pk *p, unsigned flags, unsigned an, const char *qname,
    unsigned qtype)
{
	p->n = 0;
	pk_u16(p, 0x1234);
	pk_u16(p, 0x8000 | flags);
	pk_u16(p, 1);
	pk_u16(p, an);
	pk_u16(p, 0);
	pk_u16(p, 0);
	pk_name(p, qname);
	pk_u16(p, qtype);
	pk_u16(p, 1);
}

/* Owner as a pointer to the question name; type, class IN, ttl, len. */
static void
pk_rr_q(struct pk *p, unsigned type, uint32_t ttl, unsigned rdlen)
{
	pk_ptr(p, 12);
	pk_u16(p, type);
	pk_u16(p, 1);
	pk_u32(p, ttl);
	pk_u16(p, rdlen);
}

static void
pk_tlsa(struct pk *p, uint32_t ttl, unsigned u, unsigned s, unsigned m,
    unsigned dlen)
{
	unsigned i;

	pk_rr_q(p, DNSMSG_TYPE_TLSA, ttl, 3 + dlen);
	pk_u8(p, u);
	pk_u8(p, s);
	pk_u8(p, m);
	for (i = 0; i < dlen; i++)
		pk_u8(p, i);
}

static enum dnsmsg_result
parse(const struct pk *p, const char *qname, unsigned qtype,
    struct dnsmsg_answer *a, const char **why)
{
	uint8_t *copy = malloc(p->n ? p->n : 1);
	enum dnsmsg_result r;

	memcpy(copy, p->b, p->n);
	r = dnsmsg_parse(copy, p->n, qname, (uint16_t)qtype, a, why);
	free(copy);
	return r;
}

static void
test_query(void)
{
	static const uint8_t want[] = {
		0, 0, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1,
		3, '_', '2', '5', 4, '_', 't', 'c', 'p', 2, 'm', 'x', 4,
		't', 'e', 's', 't', 0, 0, 52, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0
	};
	uint8_t buf[DNSMSG_QUERY_MAX];
	char name[300];
	size_t n;

	n = dnsmsg_query(buf, sizeof(buf), "_25._tcp.mx.test",
	    DNSMSG_TYPE_TLSA);
	tap_ok(n == sizeof(want) && memcmp(buf, want, n) == 0,
	    "query: RD+AD, one question, OPT with DO and 1232");
	tap_is_int((intmax_t)dnsmsg_query(buf, sizeof(buf),
	    "_25._tcp.mx.test.", DNSMSG_TYPE_TLSA), (intmax_t)n,
	    "query: a trailing dot is the same query");
	tap_is_int((intmax_t)dnsmsg_query(buf, sizeof(buf), "", 15), 0,
	    "query: empty name refused");
	tap_is_int((intmax_t)dnsmsg_query(buf, sizeof(buf), "a..b", 15), 0,
	    "query: empty label refused");
	tap_is_int((intmax_t)dnsmsg_query(buf, sizeof(buf), ".",
	    DNSMSG_TYPE_DNSKEY), 12 + 1 + 4 + 11, "query: the root");
	tap_ok(buf[12] == 0 && buf[14] == DNSMSG_TYPE_DNSKEY,
	    "query: the root is one zero byte");
	tap_is_int((intmax_t)dnsmsg_query(buf, sizeof(buf), "..", 15), 0,
	    "query: \"..\" refused");
	memset(name, 'a', 64);
	strcpy(name + 64, ".test");
	tap_is_int((intmax_t)dnsmsg_query(buf, sizeof(buf), name, 15), 0,
	    "query: 64-byte label refused");
	strcpy(name + 63, ".test");
	tap_ok(dnsmsg_query(buf, sizeof(buf), name, 15) > 0,
	    "query: 63-byte label accepted");
	memset(name, 'a', 254);
	for (n = 63; n < 254; n += 64)
		name[n] = '.';
	name[254] = '\0';
	tap_is_int((intmax_t)dnsmsg_query(buf, sizeof(buf), name, 15), 0,
	    "query: 254-byte name refused");
	name[253] = '\0';
	tap_ok(dnsmsg_query(buf, sizeof(buf), name, 15) > 0,
	    "query: 253-byte name accepted");
	tap_is_int((intmax_t)dnsmsg_query(buf, 40, "_25._tcp.mx.test",
	    DNSMSG_TYPE_TLSA), 0, "query: short buffer refused");
}

static void
test_mx(void)
{
	struct dnsmsg_answer a;
	const char *why;
	struct pk p;
	size_t mx1;

	/* Two MX, the second one's name compressed against the first. */
	pk_start(&p, 0x0180 | 0x20, 2, "example.test", DNSMSG_TYPE_MX);
	pk_rr_q(&p, DNSMSG_TYPE_MX, 300, 2 + 4 + 2);
	pk_u16(&p, 10);
	mx1 = p.n;
	pk_u8(&p, 3);
	memcpy(p.b + p.n, "Mx1", 3);
	p.n += 3;
	pk_ptr(&p, 12);
	pk_rr_q(&p, DNSMSG_TYPE_MX, 200, 2 + 4 + 2);
	pk_u16(&p, 20);
	pk_u8(&p, 3);
	memcpy(p.b + p.n, "mx2", 3);
	p.n += 3;
	pk_ptr(&p, 12);
	tap_is_int(parse(&p, "EXAMPLE.test.", DNSMSG_TYPE_MX, &a, &why),
	    DNSMSG_OK, "mx: parses");
	tap_is_int(a.ad, 1, "mx: AD read");
	tap_is_int(a.rcode, 0, "mx: NOERROR");
	tap_is_int((intmax_t)a.n, 2, "mx: two records");
	tap_is_str(a.rr.mx[0].host, "mx1.example.test", "mx: first host "
	    "lowercased, pointer followed");
	tap_is_int(a.rr.mx[0].pref, 10, "mx: first preference");
	tap_is_str(a.rr.mx[1].host, "mx2.example.test", "mx: second host");
	tap_is_int(a.ttl, 200, "mx: lowest TTL");
	tap_ok(why == NULL, "mx: no reason on success");

	/* A pointer to a later offset (here: to itself) is refused. */
	p.b[mx1 + 4] = (uint8_t)(0xc0 | (mx1 + 4) >> 8);
	p.b[mx1 + 5] = (uint8_t)((mx1 + 4) & 0xff);
	tap_is_int(parse(&p, "example.test", DNSMSG_TYPE_MX, &a, &why),
	    DNSMSG_BAD, "mx: self pointer refused");
	tap_is_str(why, "bad compression pointer", "mx: self pointer reason");
	tap_is_int((intmax_t)a.n, 0, "mx: nothing kept after BAD");

	/* Null MX (RFC 7505): the exchange is the root. */
	pk_start(&p, 0x20, 1, "null.test", DNSMSG_TYPE_MX);
	pk_rr_q(&p, DNSMSG_TYPE_MX, 60, 3);
	pk_u16(&p, 0);
	pk_u8(&p, 0);
	tap_is_int(parse(&p, "null.test", DNSMSG_TYPE_MX, &a, NULL),
	    DNSMSG_OK, "null mx: parses");
	tap_ok(a.n == 1 && a.rr.mx[0].host[0] == '\0',
	    "null mx: host is the root");

	/* RDLENGTH larger than the name inside it. */
	pk_start(&p, 0, 1, "x.test", DNSMSG_TYPE_MX);
	pk_rr_q(&p, DNSMSG_TYPE_MX, 60, 4);
	pk_u16(&p, 0);
	pk_u8(&p, 0);
	pk_u8(&p, 0);
	tap_is_int(parse(&p, "x.test", DNSMSG_TYPE_MX, &a, &why), DNSMSG_BAD,
	    "mx: rdlength disagrees with the name");

	/* A host name with a byte that has no business there. */
	pk_start(&p, 0, 1, "x.test", DNSMSG_TYPE_MX);
	pk_rr_q(&p, DNSMSG_TYPE_MX, 60, 2 + 5);
	pk_u16(&p, 0);
	pk_u8(&p, 3);
	memcpy(p.b + p.n, "a.b", 3);
	p.n += 3;
	pk_u8(&p, 0);
	tap_is_int(parse(&p, "x.test", DNSMSG_TYPE_MX, &a, &why), DNSMSG_BAD,
	    "mx: a dot inside a label is refused");
}

static void
test_cname(void)
{
	struct dnsmsg_answer a;
	const char *why;
	struct pk p;
	size_t tgt;
	int i;

	/* _25._tcp.mx.test CNAME t.other.test; t.other.test TLSA 3 1 1 */
	pk_start(&p, 0x20, 3, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA);
	pk_rr_q(&p, DNSMSG_TYPE_CNAME, 100, 14);
	tgt = p.n;
	pk_name(&p, "t.other.test");
	/* An unrelated record first: not kept. */
	pk_ptr(&p, 12);
	pk_u16(&p, DNSMSG_TYPE_TLSA);
	pk_u16(&p, 1);
	pk_u32(&p, 50);
	pk_u16(&p, 3 + 32);
	pk_u8(&p, 3);
	pk_u8(&p, 1);
	pk_u8(&p, 1);
	for (i = 0; i < 32; i++)
		pk_u8(&p, 0);
	pk_ptr(&p, (unsigned)tgt);
	pk_u16(&p, DNSMSG_TYPE_TLSA);
	pk_u16(&p, 1);
	pk_u32(&p, 400);
	pk_u16(&p, 3 + 32);
	pk_u8(&p, 2);
	pk_u8(&p, 0);
	pk_u8(&p, 1);
	for (i = 0; i < 32; i++)
		pk_u8(&p, 0);
	tap_is_int(parse(&p, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA, &a, &why),
	    DNSMSG_OK, "cname: parses");
	/* The owner's own TLSA after the CNAME is no longer the target. */
	tap_is_int((intmax_t)a.n, 1, "cname: only the target's record kept");
	tap_is_int(a.n ? a.rr.tlsa[0].usage : -1, 2, "cname: target's TLSA");
	tap_is_int(a.ttl, 100, "cname: TTL bounded by the CNAME");

	/* A chain of CNAMEs pointing back at the question: too long. */
	pk_start(&p, 0, DNSMSG_CNAME_MAX + 1, "loop.test", DNSMSG_TYPE_TLSA);
	for (i = 0; i <= DNSMSG_CNAME_MAX; i++) {
		pk_rr_q(&p, DNSMSG_TYPE_CNAME, 100, 2);
		pk_ptr(&p, 12);
	}
	tap_is_int(parse(&p, "loop.test", DNSMSG_TYPE_TLSA, &a, &why),
	    DNSMSG_BAD, "cname: loop ends");
	tap_is_str(why, "CNAME chain too long", "cname: loop reason");
}

static void
test_tlsa(void)
{
	struct dnsmsg_answer a;
	const char *why;
	struct pk p;
	int i;

	pk_start(&p, 0x20, 3, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA);
	pk_tlsa(&p, 3600, 3, 1, 1, 32);
	pk_tlsa(&p, 3600, 2, 0, 2, 64);
	pk_tlsa(&p, 3600, 1, 1, 1, 32);
	tap_is_int(parse(&p, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA, &a, &why),
	    DNSMSG_OK, "tlsa: parses");
	tap_is_int((intmax_t)a.n, 3, "tlsa: three records");
	tap_ok(a.n == 3 && a.rr.tlsa[0].usage == 3 &&
	    a.rr.tlsa[0].selector == 1 && a.rr.tlsa[0].mtype == 1 &&
	    a.rr.tlsa[0].dlen == 32, "tlsa: fields of the first");
	tap_ok(a.n == 3 && a.rr.tlsa[1].dlen == 64, "tlsa: 64-byte digest");
	tap_ok(a.n == 3 && a.rr.tlsa[0].have_data &&
	    a.rr.tlsa[0].data[0] == 0 && a.rr.tlsa[0].data[31] == 31 &&
	    a.rr.tlsa[1].have_data && a.rr.tlsa[1].data[63] == 63,
	    "tlsa: the digests are kept");
	pk_start(&p, 0x20, 1, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA);
	pk_tlsa(&p, 3600, 3, 0, 0, 65);
	tap_ok(parse(&p, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA, &a, &why) ==
	    DNSMSG_OK && a.n == 1 && a.rr.tlsa[0].dlen == 65 &&
	    !a.rr.tlsa[0].have_data, "tlsa: 65 bytes of data: length only");

	pk_start(&p, 0x20, 1, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA);
	pk_rr_q(&p, DNSMSG_TYPE_TLSA, 60, 2);
	pk_u16(&p, 0x0301);
	tap_is_int(parse(&p, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA, &a, &why),
	    DNSMSG_BAD, "tlsa: under 3 bytes refused");
	tap_is_str(why, "short TLSA record", "tlsa: short reason");

	/* More records than are kept: counted. */
	pk_start(&p, 0x20, DNSMSG_RR_MAX + 3, "_25._tcp.mx.test",
	    DNSMSG_TYPE_TLSA);
	for (i = 0; i < DNSMSG_RR_MAX + 3; i++)
		pk_tlsa(&p, 60, 3, 1, 1, 32);
	tap_is_int(parse(&p, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA, &a, NULL),
	    DNSMSG_OK, "tlsa: many records parse");
	tap_ok(a.n == DNSMSG_RR_MAX && a.dropped == 3,
	    "tlsa: %d kept, 3 dropped", DNSMSG_RR_MAX);

	/* Record data running past the message. */
	pk_start(&p, 0x20, 1, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA);
	pk_rr_q(&p, DNSMSG_TYPE_TLSA, 60, 35);
	pk_u8(&p, 3);
	tap_is_int(parse(&p, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA, &a, &why),
	    DNSMSG_BAD, "tlsa: rdata past the end");

	/* More answers announced than present. */
	pk_start(&p, 0x20, 2, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA);
	pk_tlsa(&p, 60, 3, 1, 1, 32);
	tap_is_int(parse(&p, "_25._tcp.mx.test", DNSMSG_TYPE_TLSA, &a, &why),
	    DNSMSG_BAD, "tlsa: ANCOUNT larger than the records");
}

static void
test_header(void)
{
	struct dnsmsg_answer a;
	const char *why;
	struct pk p;

	pk_start(&p, 0x0003, 0, "nx.test", DNSMSG_TYPE_MX);
	tap_is_int(parse(&p, "nx.test", DNSMSG_TYPE_MX, &a, &why), DNSMSG_OK,
	    "nxdomain: parses");
	tap_ok(a.rcode == DNSMSG_RCODE_NXDOMAIN && !a.ad && a.n == 0 &&
	    a.ttl == 0, "nxdomain: rcode 3, no AD, no records, ttl 0");

	pk_start(&p, 0x0200 | 0x0002, 0, "x.test", DNSMSG_TYPE_MX);
	tap_is_int(parse(&p, "x.test", DNSMSG_TYPE_MX, &a, &why), DNSMSG_OK,
	    "servfail: parses");
	tap_ok(a.rcode == DNSMSG_RCODE_SERVFAIL && a.tc, "servfail: rcode 2, "
	    "TC read");

	pk_start(&p, 0, 0, "x.test", DNSMSG_TYPE_MX);
	p.b[2] &= 0x7f;
	tap_is_int(parse(&p, "x.test", DNSMSG_TYPE_MX, &a, &why), DNSMSG_BAD,
	    "query, not response");
	tap_is_str(why, "not a response", "query reason");

	pk_start(&p, 0, 0, "x.test", DNSMSG_TYPE_MX);
	tap_is_int(parse(&p, "y.test", DNSMSG_TYPE_MX, &a, &why), DNSMSG_BAD,
	    "other name");
	tap_is_str(why, "answer to another question", "other name reason");
	tap_is_int(parse(&p, "x.test", DNSMSG_TYPE_TLSA, &a, &why),
	    DNSMSG_BAD, "other type");

	pk_start(&p, 0, 0, "x.test", DNSMSG_TYPE_MX);
	p.b[5] = 2;
	tap_is_int(parse(&p, "x.test", DNSMSG_TYPE_MX, &a, &why), DNSMSG_BAD,
	    "two questions");

	p.n = 11;
	tap_is_int(parse(&p, "x.test", DNSMSG_TYPE_MX, &a, &why), DNSMSG_BAD,
	    "11 bytes");
	tap_is_int(dnsmsg_parse(NULL, 0, "x.test", DNSMSG_TYPE_MX, &a, NULL),
	    DNSMSG_BAD, "NULL packet");
}

struct usable_case {
	unsigned	u, s, m, dlen;
	int		want;
};

static const struct usable_case usable_cases[] = {
	{ 3, 1, 1, 32, 1 }, { 3, 0, 1, 32, 1 }, { 2, 0, 1, 32, 1 },
	{ 2, 1, 2, 64, 1 }, { 3, 1, 0, 300, 1 }, { 3, 1, 0, 0, 0 },
	{ 3, 1, 1, 31, 0 }, { 3, 1, 1, 33, 0 }, { 3, 1, 2, 32, 0 },
	{ 0, 0, 1, 32, 0 }, { 1, 1, 1, 32, 0 }, { 4, 1, 1, 32, 0 },
	{ 255, 1, 1, 32, 0 }, { 3, 2, 1, 32, 0 }, { 3, 255, 1, 32, 0 },
	{ 3, 1, 3, 32, 0 }, { 3, 1, 255, 32, 0 },
};

static void
test_usable(void)
{
	struct dnsmsg_tlsa t;
	size_t i;

	for (i = 0; i < sizeof(usable_cases) / sizeof(usable_cases[0]); i++) {
		const struct usable_case *c = &usable_cases[i];

		t.usage = (uint8_t)c->u;
		t.selector = (uint8_t)c->s;
		t.mtype = (uint8_t)c->m;
		t.dlen = (uint16_t)c->dlen;
		tap_ok(dnsmsg_tlsa_usable(&t) == c->want,
		    "usable %u %u %u (%u bytes): got %d, want %d", c->u, c->s,
		    c->m, c->dlen, dnsmsg_tlsa_usable(&t), c->want);
	}
}

int
main(void)
{
	test_query();
	test_mx();
	test_cname();
	test_tlsa();
	test_header();
	test_usable();
	return tap_done();
}
