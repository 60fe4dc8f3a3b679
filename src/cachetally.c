/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cachetally.c: the cache's entries by kind; see cachetally.h.
 */
#include "config.h"

#include "cachetally.h"

void
cachetally_policy(struct cachetally *t, enum record_mode m)
{
	if ((unsigned)m < CACHETALLY_NMODES)
		t->policy[m]++;
}

void
cachetally_negative(struct cachetally *t, enum record_reason r)
{
	if ((unsigned)r < RECORD_NEG_NREASONS)
		t->negative[r]++;
}

void
cachetally_dane(struct cachetally *t)
{
	t->dane++;
}

void
cachetally_add(struct cachetally *a, const struct cachetally *b)
{
	int i;

	for (i = 0; i < CACHETALLY_NMODES; i++)
		a->policy[i] += b->policy[i];
	for (i = 0; i < RECORD_NEG_NREASONS; i++)
		a->negative[i] += b->negative[i];
	a->dane += b->dane;
}
