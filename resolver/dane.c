/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * dane.c: the DANE applicability decision (dane.h says what and why).
 *
 * The order of the checks matters: a failure that must defer (TEMP)
 * wins over everything, then "no TLSA anywhere" (DANE does not apply),
 * then the conditions that hold "dane-only" back to "dane".
 */
#include <string.h>

#include "dane.h"
#include "dnsmsg.h"

/*
 * Every reason dane_decide() gives, by code: the code is stored in a
 * cached policy (store/record.h struct record_dane), so a code keeps
 * its meaning; new reasons are added at the end.  0 is no reason.
 */
enum {
	DANE_W_NONE = 0, DANE_W_MXFAIL, DANE_W_NOMX, DANE_W_TLSAFAIL,
	DANE_W_NOTLSA, DANE_W_UNSIGNED, DANE_W_UNUSABLE, DANE_W_SOME,
	DANE_W_TRUNC, DANE_W_ONLY, DANE_W_N
};

static const char *const dane_whys[DANE_W_N] = {
	[DANE_W_NONE] = "",
	[DANE_W_MXFAIL] =
	    "the MX lookup failed (server failure, bogus or timeout)",
	[DANE_W_NOMX] = "no MX host",
	[DANE_W_TLSAFAIL] = "a TLSA lookup of a signed domain's MX host "
	    "failed (server failure, bogus or timeout)",
	[DANE_W_NOTLSA] = "no MX host has validated TLSA records",
	[DANE_W_UNSIGNED] = "the MX RRset is not signed, some MX hosts have "
	    "TLSA records",
	[DANE_W_UNUSABLE] = "some TLSA records have parameters DANE cannot "
	    "use",
	[DANE_W_SOME] = "only some MX hosts have TLSA records",
	[DANE_W_TRUNC] = "more MX hosts than are checked",
	[DANE_W_ONLY] = "the MX RRset is validated and every MX host has "
	    "usable TLSA records",
};

unsigned
dane_why_code(const char *why)
{
	unsigned i;

	for (i = 1; why != NULL && i < DANE_W_N; i++)
		if (why == dane_whys[i] || strcmp(why, dane_whys[i]) == 0)
			return i;
	return 0;
}

const char *
dane_why_str(unsigned code)
{
	return code < DANE_W_N ? dane_whys[code] : "";
}

enum dane_dns
dane_dns_of(int failed, const struct dnsmsg_answer *ans)
{
	if (failed || ans == NULL)
		return DANE_DNS_FAIL;
	if (ans->rcode != DNSMSG_RCODE_NOERROR &&
	    ans->rcode != DNSMSG_RCODE_NXDOMAIN)
		return DANE_DNS_FAIL;
	return ans->ad ? DANE_DNS_SECURE : DANE_DNS_INSECURE;
}

enum dane_tlsa
dane_tlsa_of(int failed, const struct dnsmsg_answer *ans)
{
	size_t i;

	switch (dane_dns_of(failed, ans)) {
	case DANE_DNS_FAIL:
		return DANE_TLSA_FAIL;
	case DANE_DNS_INSECURE:
		return DANE_TLSA_INSECURE;
	case DANE_DNS_SECURE:
		break;
	}
	if (ans->qtype != DNSMSG_TYPE_TLSA || ans->n == 0)
		return DANE_TLSA_NONE;
	for (i = 0; i < ans->n; i++)
		if (dnsmsg_tlsa_usable(&ans->rr.tlsa[i]))
			return DANE_TLSA_USABLE;
	return DANE_TLSA_UNUSABLE;
}

enum dane_verdict
dane_decide(const struct dane_input *in, const char **why)
{
	const char *w;
	enum dane_verdict v;
	size_t i, any = 0, usable = 0;

	if (in->mx == DANE_DNS_FAIL) {
		v = DANE_TEMP;
		w = dane_whys[DANE_W_MXFAIL];
		goto done;
	}
	if (in->nhosts == 0) {
		v = DANE_NO;
		w = dane_whys[DANE_W_NOMX];
		goto done;
	}
	for (i = 0; i < in->nhosts; i++) {
		switch (in->tlsa[i]) {
		case DANE_TLSA_FAIL:
			if (in->mx == DANE_DNS_SECURE) {
				v = DANE_TEMP;
				w = dane_whys[DANE_W_TLSAFAIL];
				goto done;
			}
			break;
		case DANE_TLSA_USABLE:
			usable++;
			any++;
			break;
		case DANE_TLSA_UNUSABLE:
			any++;
			break;
		case DANE_TLSA_NONE:
		case DANE_TLSA_INSECURE:
			break;
		}
	}
	v = DANE_YES;
	if (any == 0) {
		v = DANE_NO;
		w = dane_whys[DANE_W_NOTLSA];
	} else if (in->mx != DANE_DNS_SECURE)
		w = dane_whys[DANE_W_UNSIGNED];
	else if (usable < in->nhosts)
		w = dane_whys[usable < any ? DANE_W_UNUSABLE : DANE_W_SOME];
	else if (in->truncated)
		w = dane_whys[DANE_W_TRUNC];
	else {
		v = DANE_ONLY;
		w = dane_whys[DANE_W_ONLY];
	}
done:
	if (why != NULL)
		*why = w;
	return v;
}

const char *
dane_verdict_str(enum dane_verdict v)
{
	switch (v) {
	case DANE_NO:
		return "no-dane";
	case DANE_YES:
		return "dane";
	case DANE_ONLY:
		return "dane-only";
	case DANE_TEMP:
		return "temp";
	}
	return "invalid";
}

const char *
dane_dns_str(enum dane_dns d)
{
	switch (d) {
	case DANE_DNS_SECURE:
		return "secure";
	case DANE_DNS_INSECURE:
		return "insecure";
	case DANE_DNS_FAIL:
		return "fail";
	}
	return "invalid";
}

const char *
dane_tlsa_str(enum dane_tlsa t)
{
	switch (t) {
	case DANE_TLSA_USABLE:
		return "usable";
	case DANE_TLSA_UNUSABLE:
		return "unusable";
	case DANE_TLSA_NONE:
		return "none";
	case DANE_TLSA_INSECURE:
		return "insecure";
	case DANE_TLSA_FAIL:
		return "fail";
	}
	return "invalid";
}
