/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cachetally.h: the cache's entries by kind (policies by mode, negative
 * entries by reason, DANE verdicts), counted by the sweeper (src/
 * sweep.h) as a pass keeps them, so that no scrape ever walks the
 * cache.  Pure: no I/O, no allocation.
 *
 * Threading: none of its own; the caller's.
 */
#ifndef CACHETALLY_H
#define CACHETALLY_H

#include <stdint.h>

#include "record.h"

#define CACHETALLY_NMODES	(RECORD_MODE_ENFORCE + 1)

struct cachetally {
	uint64_t	policy[CACHETALLY_NMODES];	/* by record_mode */
	uint64_t	negative[RECORD_NEG_NREASONS];	/* by record_reason */
	uint64_t	dane;				/* DANE verdicts */
};

/* cachetally_policy: count a kept policy of mode m (out of range: not
 * counted; a decoded record is never out of range). */
void cachetally_policy(struct cachetally *t, enum record_mode m);

/* cachetally_negative: count a kept negative entry of reason r (out of
 * range: not counted). */
void cachetally_negative(struct cachetally *t, enum record_reason r);

/* cachetally_dane: count a kept DANE verdict. */
void cachetally_dane(struct cachetally *t);

/* cachetally_add: add b's counts to a's. */
void cachetally_add(struct cachetally *a, const struct cachetally *b);

#endif /* CACHETALLY_H */
