/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_dnsmsg.c: libFuzzer target for resolver/dnsmsg.c.
 *
 * Input: one byte choosing the type asked (even: MX, odd: TLSA), the
 * question name up to a NUL, then the answer message, which is copied
 * into a buffer of exactly its size so ASan flags any read past its
 * end.  Besides "no crash", the target checks the contract of
 * dnsmsg.h and aborts when it is broken:
 *   - `why` is NULL exactly on DNSMSG_OK; nothing is kept after BAD;
 *   - at most DNSMSG_RR_MAX records, TTL 0 without records and never
 *     above 2^31 - 1;
 *   - MX hosts are NUL-terminated, at most 253 bytes, lowercase
 *     letters, digits, '-', '_' and '.';
 *   - TLSA data lengths fit in the message;
 *   - the query dnsmsg_query() writes for the name, turned into an
 *     empty response, parses as OK with no records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_host(const char *h)
{
	const char *end = memchr(h, '\0', DNSMSG_NAME_MAX + 1);
	const char *p;

	if (end == NULL)
		abort();
	for (p = h; p < end; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.'))
			abort();
}

static void
fuzz_check(enum dnsmsg_result r, const struct dnsmsg_answer *a,
    const char *why, uint16_t qtype, size_t len)
{
	size_t i;

	if ((r == DNSMSG_OK) != (why == NULL))
		abort();
	if (r != DNSMSG_OK && (a->n != 0 || a->dropped != 0))
		abort();
	if (a->n > DNSMSG_RR_MAX || (a->n == 0 && a->ttl != 0) ||
	    a->ttl > 0x7fffffff || a->rcode < 0 || a->rcode > 15)
		abort();
	for (i = 0; i < a->n; i++) {
		if (qtype == DNSMSG_TYPE_MX)
			fuzz_check_host(a->rr.mx[i].host);
		else if (a->rr.tlsa[i].dlen > len)
			abort();
	}
}

/* The query for `name`, answered with nothing: must parse. */
static void
fuzz_roundtrip(const char *name, uint16_t qtype)
{
	uint8_t q[DNSMSG_QUERY_MAX], *copy;
	struct dnsmsg_answer a;
	size_t n;

	if ((n = dnsmsg_query(q, sizeof(q), name, qtype)) == 0)
		return;
	q[2] |= 0x80;
	if ((copy = malloc(n)) == NULL)
		return;
	memcpy(copy, q, n);
	/* A name with bytes the reader refuses is still BAD: skip. */
	if (dnsmsg_parse(copy, n, name, qtype, &a, NULL) == DNSMSG_OK &&
	    (a.n != 0 || a.rcode != 0 || !a.ad))
		abort();
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsmsg_answer a;
	const uint8_t *nul;
	const char *why = "sentinel";
	char name[256];
	uint8_t *copy;
	uint16_t qtype;
	size_t nlen, len;
	enum dnsmsg_result r;

	if (size < 2)
		return 0;
	qtype = (data[0] & 1) ? DNSMSG_TYPE_TLSA : DNSMSG_TYPE_MX;
	nul = memchr(data + 1, '\0', size - 1);
	nlen = nul != NULL ? (size_t)(nul - (data + 1)) : size - 1;
	if (nlen >= sizeof(name))
		return 0;
	memcpy(name, data + 1, nlen);
	name[nlen] = '\0';
	fuzz_roundtrip(name, qtype);
	len = nul != NULL ? size - 2 - nlen : 0;
	if ((copy = malloc(len ? len : 1)) == NULL)
		return 0;
	if (len > 0)
		memcpy(copy, nul + 1, len);
	r = dnsmsg_parse(copy, len, name, qtype, &a, &why);
	fuzz_check(r, &a, why, qtype, len);
	free(copy);
	return 0;
}
