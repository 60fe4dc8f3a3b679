/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_dane.c: unit tests for the DANE applicability decision
 * (resolver/dane.c): one table row per situation of dane.h, with the
 * verdict and the reason an operator reads; then the classification
 * of lookups into secure / insecure / fail and of TLSA RRsets.
 */
#include <stdint.h>
#include <string.h>

#include "dane.h"
#include "dnsmsg.h"
#include "tap.h"

#define U DANE_TLSA_USABLE
#define X DANE_TLSA_UNUSABLE
#define N DANE_TLSA_NONE
#define I DANE_TLSA_INSECURE
#define F DANE_TLSA_FAIL

#define W_ALL	"the MX RRset is validated and every MX host has usable " \
		"TLSA records"
#define W_SOME	"only some MX hosts have TLSA records"
#define W_PARAM	"some TLSA records have parameters DANE cannot use"
#define W_MXINS	"the MX RRset is not signed, some MX hosts have TLSA records"
#define W_NONE	"no MX host has validated TLSA records"
#define W_NOMX	"no MX host"
#define W_MXF	"the MX lookup failed (server failure, bogus or timeout)"
#define W_TLSAF	"a TLSA lookup of a signed domain's MX host failed " \
		"(server failure, bogus or timeout)"
#define W_TRUNC	"more MX hosts than are checked"

struct decide_case {
	const char		*name;
	enum dane_dns		 mx;
	size_t			 n;
	enum dane_tlsa		 tlsa[4];
	int			 truncated;
	enum dane_verdict	 want;
	const char		*why;
};

static const struct decide_case decide_cases[] = {
	{ "signed, all hosts usable", DANE_DNS_SECURE, 2, { U, U }, 0,
	    DANE_ONLY, W_ALL },
	{ "signed, one host usable", DANE_DNS_SECURE, 1, { U }, 0,
	    DANE_ONLY, W_ALL },
	{ "signed, some hosts without TLSA", DANE_DNS_SECURE, 2, { U, N }, 0,
	    DANE_YES, W_SOME },
	{ "signed, some hosts unsigned", DANE_DNS_SECURE, 3, { I, U, U }, 0,
	    DANE_YES, W_SOME },
	{ "signed, unusable parameters", DANE_DNS_SECURE, 2, { U, X }, 0,
	    DANE_YES, W_PARAM },
	{ "signed, only unusable parameters", DANE_DNS_SECURE, 1, { X }, 0,
	    DANE_YES, W_PARAM },
	{ "signed, all usable but truncated", DANE_DNS_SECURE, 2, { U, U }, 1,
	    DANE_YES, W_TRUNC },
	{ "unsigned domain, signed hosts with TLSA", DANE_DNS_INSECURE, 2,
	    { U, U }, 0, DANE_YES, W_MXINS },
	{ "unsigned domain, unusable TLSA", DANE_DNS_INSECURE, 1, { X }, 0,
	    DANE_YES, W_MXINS },
	{ "signed, no TLSA anywhere", DANE_DNS_SECURE, 2, { N, N }, 0,
	    DANE_NO, W_NONE },
	{ "signed, hosts unsigned", DANE_DNS_SECURE, 2, { I, I }, 0,
	    DANE_NO, W_NONE },
	{ "unsigned, TLSA not validated", DANE_DNS_INSECURE, 2, { I, I }, 0,
	    DANE_NO, W_NONE },
	{ "unsigned, TLSA lookup failed", DANE_DNS_INSECURE, 2, { F, I }, 0,
	    DANE_NO, W_NONE },
	{ "unsigned, one failed, one usable", DANE_DNS_INSECURE, 2, { F, U },
	    0, DANE_YES, W_MXINS },
	{ "signed, no MX host", DANE_DNS_SECURE, 0, { U }, 0, DANE_NO,
	    W_NOMX },
	{ "unsigned, no MX host", DANE_DNS_INSECURE, 0, { U }, 0, DANE_NO,
	    W_NOMX },
	{ "MX lookup failed", DANE_DNS_FAIL, 1, { U }, 0, DANE_TEMP, W_MXF },
	{ "MX lookup failed, no hosts", DANE_DNS_FAIL, 0, { U }, 0, DANE_TEMP,
	    W_MXF },
	{ "signed, TLSA lookup failed", DANE_DNS_SECURE, 2, { U, F }, 0,
	    DANE_TEMP, W_TLSAF },
	{ "signed, TLSA failed before none", DANE_DNS_SECURE, 2, { F, N }, 0,
	    DANE_TEMP, W_TLSAF },
};

static void
test_decide(void)
{
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++) {
		const struct decide_case *c = &decide_cases[i];
		struct dane_input in = { c->mx, c->n, c->tlsa, c->truncated };
		enum dane_verdict v;

		why = NULL;
		v = dane_decide(&in, &why);
		tap_ok(v == c->want && why != NULL &&
		    strcmp(why, c->why) == 0, "%s: got %s (%s), want %s (%s)",
		    c->name, dane_verdict_str(v), why ? why : "(null)",
		    dane_verdict_str(c->want), c->why);
		tap_ok(dane_decide(&in, NULL) == v, "%s: same without why",
		    c->name);
		/* The stored code gives back the same reason. */
		tap_ok(why != NULL && dane_why_code(why) != 0 &&
		    strcmp(dane_why_str(dane_why_code(why)), why) == 0,
		    "%s: reason code %u round-trips", c->name,
		    dane_why_code(why));
	}
	tap_ok(dane_why_code(NULL) == 0 && dane_why_code("other") == 0 &&
	    strcmp(dane_why_str(0), "") == 0 &&
	    strcmp(dane_why_str(255), "") == 0,
	    "reason codes: unknown text is 0, code 0 or unknown is \"\"");
}

static void
test_classify(void)
{
	struct dnsmsg_answer a;

	memset(&a, 0, sizeof(a));
	a.qtype = DNSMSG_TYPE_TLSA;
	tap_is_int(dane_dns_of(1, NULL), DANE_DNS_FAIL, "dns: failed");
	tap_is_int(dane_dns_of(0, NULL), DANE_DNS_FAIL, "dns: no answer");
	a.rcode = DNSMSG_RCODE_SERVFAIL;
	a.ad = 1;
	tap_is_int(dane_dns_of(0, &a), DANE_DNS_FAIL, "dns: SERVFAIL fails "
	    "even with AD");
	a.rcode = DNSMSG_RCODE_NXDOMAIN;
	tap_is_int(dane_dns_of(0, &a), DANE_DNS_SECURE, "dns: validated "
	    "NXDOMAIN is secure");
	a.ad = 0;
	tap_is_int(dane_dns_of(0, &a), DANE_DNS_INSECURE, "dns: NXDOMAIN "
	    "without AD is insecure");
	a.rcode = 5;
	tap_is_int(dane_dns_of(0, &a), DANE_DNS_FAIL, "dns: REFUSED fails");

	a.rcode = DNSMSG_RCODE_NOERROR;
	a.ad = 1;
	tap_is_int(dane_tlsa_of(0, &a), DANE_TLSA_NONE, "tlsa: validated "
	    "NODATA is none");
	a.n = 2;
	a.rr.tlsa[0] = (struct dnsmsg_tlsa){ .usage = 1, .selector = 1,
	    .mtype = 1, .dlen = 32 };
	a.rr.tlsa[1] = (struct dnsmsg_tlsa){ .usage = 3, .selector = 1,
	    .mtype = 9, .dlen = 32 };
	tap_is_int(dane_tlsa_of(0, &a), DANE_TLSA_UNUSABLE, "tlsa: PKIX-EE "
	    "and unknown matching type are unusable");
	a.rr.tlsa[1] = (struct dnsmsg_tlsa){ .usage = 3, .selector = 1,
	    .mtype = 1, .dlen = 32 };
	tap_is_int(dane_tlsa_of(0, &a), DANE_TLSA_USABLE, "tlsa: one usable "
	    "record is enough");
	a.ad = 0;
	tap_is_int(dane_tlsa_of(0, &a), DANE_TLSA_INSECURE, "tlsa: records "
	    "without AD are not trusted");
	tap_is_int(dane_tlsa_of(1, &a), DANE_TLSA_FAIL, "tlsa: failed");
	a.ad = 1;
	a.qtype = DNSMSG_TYPE_MX;
	tap_is_int(dane_tlsa_of(0, &a), DANE_TLSA_NONE, "tlsa: an answer of "
	    "another type has no TLSA");
}

static void
test_strings(void)
{
	tap_is_str(dane_verdict_str(DANE_NO), "no-dane", "str no-dane");
	tap_is_str(dane_verdict_str(DANE_YES), "dane", "str dane");
	tap_is_str(dane_verdict_str(DANE_ONLY), "dane-only", "str dane-only");
	tap_is_str(dane_verdict_str(DANE_TEMP), "temp", "str temp");
	tap_is_str(dane_verdict_str((enum dane_verdict)99), "invalid",
	    "str invalid verdict");
	tap_is_str(dane_dns_str(DANE_DNS_INSECURE), "insecure", "str dns");
	tap_is_str(dane_tlsa_str(DANE_TLSA_UNUSABLE), "unusable", "str tlsa");
	tap_is_str(dane_tlsa_str((enum dane_tlsa)99), "invalid",
	    "str invalid tlsa");
}

int
main(void)
{
	test_decide();
	test_classify();
	test_strings();
	return tap_done();
}
