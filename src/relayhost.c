/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * relayhost.c: MX choice and rotation for relayhost lookups; see
 * relayhost.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mxmatch.h"
#include "relayhost.h"

/* FNV-1a: spreads similar names over the slots. */
static size_t
slot_of(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % RELAYHOST_SLOTS;
}

unsigned
relayhost_turn(struct relayhost_turns *t, const char *domain)
{
	size_t i = slot_of(domain), len = strlen(domain);

	if (len > DOMKEY_MAX)
		return 0;
	if (strcmp(t->slot[i].domain, domain) != 0) {
		memcpy(t->slot[i].domain, domain, len + 1);
		t->slot[i].next = 0;
	}
	return t->slot[i].next++;
}

static int
matches(const char *host, const char *const *patterns, size_t npat)
{
	size_t i;

	for (i = 0; i < npat; i++)
		if (mxmatch_match(patterns[i], host))
			return 1;
	return 0;
}

/* before: MX order: preference, then name. */
static int
before(const struct relayhost_mx *a, const struct relayhost_mx *b)
{
	if (a->pref != b->pref)
		return a->pref < b->pref;
	return strcmp(a->host, b->host) < 0;
}

int
relayhost_pick(const struct relayhost_mx *mx, size_t n,
    const char *const *patterns, size_t npat, int filter, unsigned turn,
    size_t *nmatch)
{
	size_t idx[RELAYHOST_MX_MAX], k = 0, i, j;

	*nmatch = 0;
	for (i = 0; i < n && k < RELAYHOST_MX_MAX; i++) {
		if (mx[i].host[0] == '\0' ||
		    (filter && !matches(mx[i].host, patterns, npat)))
			continue;
		/* Insertion sort: at most RELAYHOST_MX_MAX entries. */
		for (j = k; j > 0 && before(&mx[i], &mx[idx[j - 1]]); j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
		k++;
	}
	if (k == 0)
		return -1;
	*nmatch = k;
	return (int)idx[turn % k];
}

int
relayhost_url(const char *host, char *out, size_t outlen)
{
	int n;

	if (host == NULL || host[0] == '\0')
		return -1;
	n = snprintf(out, outlen, "smtp+tls://%s:%d", host, RELAYHOST_PORT);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
