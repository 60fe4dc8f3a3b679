/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_tlslist.c: libFuzzer target for the STARTTLS Policy List parser
 * (resolver/tlslist.c) and its date-time parser.
 *
 * Besides "no crash, no leak, no read past size", it checks what a
 * valid list promises (see tlslist.h): entries strictly sorted and
 * found again by lookup, lowercase names within the limits, mx
 * patterns in MTA-STS form whose list form is the same bytes minus the
 * "*", and times that survive a format/parse round trip.  A broken
 * promise aborts, so the fuzzer reports it like a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlslist.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_name(const char *s, int pattern)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > TLSLIST_NAME_MAX || s[n - 1] == '.')
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] == '*' && !(pattern && i == 0 && s[1] == '.'))
			abort();
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-.*", s[i]) ==
		    NULL)
			abort();
	}
}

static void
check_time(int64_t t)
{
	char buf[TLSLIST_TIME_STRLEN];
	int64_t back = -1;

	if (t < 0 || t > TLSLIST_TIME_MAX)
		abort();
	tlslist_time_format(t, buf);
	if (tlslist_time_parse(buf, strlen(buf), &back) != 0 || back != t)
		abort();
}

static void
check_policy(const struct tlslist *l, const struct tlslist_policy *p)
{
	const char *mx, *lf;
	size_t i;

	check_name(p->domain, 0);
	if (tlslist_lookup(l, p->domain) != p)
		abort();
	if (p->mode != TLSLIST_MODE_TESTING && p->mode != TLSLIST_MODE_ENFORCE)
		abort();
	if (p->nmx == 0 || p->nmx > TLSLIST_MX_MAX ||
	    tlslist_policy_mx(p, p->nmx) != NULL)
		abort();
	for (i = 0; i < p->nmx; i++) {
		mx = tlslist_policy_mx(p, i);
		lf = tlslist_policy_mx_list_form(p, i);
		check_name(mx, 1);
		if (strcmp(mx[0] == '*' ? mx + 1 : mx, lf) != 0)
			abort();
	}
}

static void
check_list(const struct tlslist *l)
{
	const struct tlslist_policy *p, *prev = NULL;
	size_t i, n = tlslist_count(l);

	if (n > TLSLIST_POLICIES_MAX || tlslist_at(l, n) != NULL ||
	    tlslist_count_mode(l, TLSLIST_MODE_TESTING) +
	    tlslist_count_mode(l, TLSLIST_MODE_ENFORCE) != n ||
	    strcmp(tlslist_version(l), "0.1") != 0)
		abort();
	for (i = 0; i < n; i++) {
		p = tlslist_at(l, i);
		if (prev != NULL && strcmp(prev->domain, p->domain) >= 0)
			abort();
		check_policy(l, p);
		prev = p;
	}
	check_time(tlslist_timestamp(l));
	check_time(tlslist_expires(l));
	if (tlslist_expired(l, tlslist_expires(l)) != 1 ||
	    tlslist_expired(l, tlslist_expires(l) - 1) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlslist *l;
	char err[256];
	int64_t t;

	err[0] = 'x';
	if ((l = tlslist_parse((const char *)data, size, err,
	    sizeof(err))) != NULL)
		check_list(l);
	else if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
		abort();	/* a rejection always says why */
	tlslist_free(l);
	/* The date parser on its own (bounded; it never reads past len). */
	if (size <= 64 && tlslist_time_parse((const char *)data, size,
	    &t) == 0)
		check_time(t);
	return 0;
}
