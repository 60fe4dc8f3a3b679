/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * sweep.h: keeps the cache bounded: removes what can never be answered
 * again, and watches how full the map is (mtastsd(8), "Cache size").
 *
 * What is removed is decided by resolver/refresh.h rule 7: policies
 * expired for longer than expired_keep, negative entries past their
 * retry time by more than their reason's cap, DANE verdicts expired
 * for more than SWEEP_DANE_KEEP_SECS (never answered after expiry:
 * resolver/lookup.c), and records that do not decode (a lookup would
 * delete them too).  A record of a newer format (store/record.h
 * record_newer) is never removed.
 *
 * How: a pass walks the "policy", "negative" and "dane" sub-databases in
 * key order, SWEEP_BATCH records per event-loop turn, each batch one
 * short write transaction (store/cache.h cache_sweep) that resumes at
 * the key where the previous one stopped; SWEEP_TICK_MS between
 * batches.  Lookups only read, and LMDB readers never wait for the
 * writer, so a batch delays a lookup only by the loop turn it takes
 * (docs/PERFORMANCE.md has the figures); a discovery's write waits for
 * at most one batch.  A pass starts SWEEP_INTERVAL_SECS after the end
 * of the previous one (the first one SWEEP_FIRST_SECS after start-up),
 * or at once when the map crosses SWEEP_WARN_PCT.
 *
 * Fill: every SWEEP_CHECK_SECS (and after each batch) the used bytes
 * (cache_stat) are compared with cache_map_max.  Crossing
 * SWEEP_WARN_PCT or SWEEP_HIGH_PCT upwards logs one warning each (once
 * per crossing: the level must fall SWEEP_HYST_PCT below before it can
 * warn again; falling back is logged at info).  At or above
 * SWEEP_HIGH_PCT a pass also evicts negative entries that are still
 * fresh (they are the cheap half of the cache: losing one costs one
 * more discovery, never a weaker answer) until the fill is below
 * SWEEP_HIGH_PCT - SWEEP_HYST_PCT.  Policies are never evicted for
 * room; the lookup service evicts negative entries itself when a
 * policy's write finds the map full (resolver/lookup.c), so a policy
 * is never displaced by negative entries.
 *
 * Tally: a pass counts what it visits and keeps (cachetally.h: policies
 * by mode, negative entries by reason, DANE verdicts; a record of a
 * newer format is kept but not counted) and publishes the counts in
 * sweep_stats when it completes; a pass given up on an error publishes
 * nothing.  They are as of that pass's end: a scrape never walks the
 * cache.
 *
 * Threading: loop thread only.  Ownership: sweep_new's caller owns the
 * handle (sweep_free); the cache and clock are borrowed and must
 * outlive it.
 */
#ifndef SWEEP_H
#define SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "cachetally.h"
#include "refresh.h"

struct cache;
struct event_base;
struct sweep;

#define SWEEP_BATCH		256	/* records per batch */
#define SWEEP_TICK_MS		10	/* between batches of a pass */
#define SWEEP_FIRST_SECS	60	/* first pass after start-up */
#define SWEEP_INTERVAL_SECS	3600	/* end of a pass to the next */
#define SWEEP_CHECK_SECS	10	/* fill check while idle */
#define SWEEP_WARN_PCT		80	/* warn, sweep early */
#define SWEEP_HIGH_PCT		95	/* warn, evict fresh negatives */
#define SWEEP_HYST_PCT		5
#define SWEEP_DANE_KEEP_SECS	86400	/* expired DANE verdicts */

typedef int64_t sweep_clock_cb(void *arg);

/* Counters since sweep_new (for stats and metrics). */
struct sweep_stats {
	uint64_t	passes;		/* passes completed */
	uint64_t	policies;	/* policies removed (expired, or
					 * undecodable) */
	uint64_t	negatives;	/* stale (or undecodable) negative
					 * entries removed */
	uint64_t	dane;		/* expired DANE verdicts removed */
	uint64_t	evicted;	/* fresh negatives evicted for room */
	uint64_t	batches;	/* batches run */
	uint64_t	batch_us_total;	/* their time, added up */
	uint64_t	batch_us_max;	/* longest batch */
	uint64_t	last_pass_ms;	/* duration of the last pass */
	unsigned	fill_pct;	/* at the last check */
	/* The last complete pass: Unix time (the real clock) it ended,
	 * 0 until one has; and what it visited and kept, by kind. */
	int64_t		kept_at;
	struct cachetally kept;
};

/*
 * sweep_new: a sweeper for `cache` on `base`, deciding with *rc
 * (copied) at the time clock(clock_arg) gives (the lookup services'
 * clock, which the test clock moves).  NULL with err on failure.
 */
struct sweep *sweep_new(struct event_base *base, struct cache *cache,
    const struct refresh_conf *rc, sweep_clock_cb *clock, void *clock_arg,
    char *err, size_t errlen);

/* sweep_free: stop and free; NULL is a no-op. */
void sweep_free(struct sweep *s);

/* sweep_reconf: decide with *rc from now on (reload). */
void sweep_reconf(struct sweep *s, const struct refresh_conf *rc);

/* sweep_kick: start a pass at the next loop turn unless one runs. */
void sweep_kick(struct sweep *s);

/* sweep_get_stats: the counters. */
void sweep_get_stats(const struct sweep *s, struct sweep_stats *st);

#endif /* SWEEP_H */
