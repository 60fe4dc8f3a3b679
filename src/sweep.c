/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * sweep.c: the cache's sweeper and fill watch; see sweep.h.
 *
 * One timer does everything: while a pass runs it fires every
 * SWEEP_TICK_MS and runs one batch; while idle it fires every
 * SWEEP_CHECK_SECS, checks the fill and starts a pass when one is due.
 * Why not a thread: LMDB has one writer, so a sweeping thread would
 * hold the writer lock for as long as a batch on the loop does, and
 * the discoveries' writes would wait for it either way; lookups, which
 * only read, wait for neither.  On the loop, the batch size alone
 * bounds what a lookup can be delayed by.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cache.h"
#include "danerec.h"
#include "log.h"
#include "record.h"
#include "refresh.h"
#include "sweep.h"

struct sweep {
	struct event_base	*base;
	struct cache		*cache;
	struct event		*ev;
	struct refresh_conf	 rc;
	sweep_clock_cb		*clock;
	void			*clock_arg;
	int			 running;	/* a pass is under way */
	enum cache_db		 db;		/* POLICY, NEGATIVE, DANE */
	char			 from[CACHE_KEY_MAX + 1];
	int			 evict;		/* evict fresh negatives */
	unsigned		 level;		/* 0, 1 (warn), 2 (high) */
	struct timespec		 next_pass;	/* monotonic */
	struct timespec		 pass_start;
	uint64_t		 removed;	/* in this pass */
	struct cachetally	 tally;		/* kept in this pass */
	struct cachetally	 btally;	/* kept in this batch */
	char			 blast[CACHE_KEY_MAX + 1];	/* its last key */
	struct sweep_stats	 st;
	int64_t			 now;		/* for the batch's decisions */
	int			 early;		/* start a pass now */
};

static void	sweep_arm(struct sweep *, long);
static void	sweep_on_timer(evutil_socket_t, short, void *);

static uint64_t
sweep_us_since(const struct timespec *t0)
{
	struct timespec t;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &t);
	us = (int64_t)(t.tv_sec - t0->tv_sec) * 1000000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

static void
sweep_arm(struct sweep *s, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(s->ev, &tv);
}

/* cache_sweep callback: 1 to remove the record (refresh.h rule 7). */
static int
sweep_decide(enum cache_db db, const char *key, const void *val, size_t len,
    void *arg)
{
	struct sweep *s = arg;
	struct record_policy p;
	struct record_negative n;
	struct danerec d;

	/*
	 * cache_sweep runs the whole batch again after growing a full map:
	 * keys come in increasing order, so a key not above the last one
	 * seen means a new run, and the batch's tally starts again.
	 */
	if (s->blast[0] != '\0' && strcmp(key, s->blast) <= 0)
		memset(&s->btally, 0, sizeof(s->btally));
	snprintf(s->blast, sizeof(s->blast), "%s", key);
	if (db == CACHE_DB_DANE ? danerec_newer(val, len) :
	    record_newer(val, len))
		return 0;	/* not ours: never removed */
	if (db == CACHE_DB_DANE) {
		/* An expired verdict is never answered (lookup.c): kept a
		 * day for "mtasts resolve", like a stale negative entry. */
		if (danerec_decode(val, len, &d, NULL) != 0)
			return 1;
		if (s->now >= d.expires_at &&
		    s->now - d.expires_at >= SWEEP_DANE_KEEP_SECS)
			return 1;
		cachetally_dane(&s->btally);
		return 0;
	}
	if (db == CACHE_DB_POLICY) {
		if (record_policy_decode(val, len, &p, NULL) != 0)
			return 1;
		if (refresh_sweep_policy(&p, s->now, &s->rc))
			return 1;
		cachetally_policy(&s->btally, p.mode);
		return 0;
	}
	if (record_negative_decode(val, len, &n, NULL) != 0)
		return 1;
	if (s->evict || refresh_sweep_negative(&n, s->now, &s->rc))
		return 1;
	cachetally_negative(&s->btally, n.reason);
	return 0;
}

/* Level for pct: rises at the thresholds, falls SWEEP_HYST_PCT below. */
static unsigned
sweep_level(unsigned level, unsigned pct)
{
	unsigned up = pct >= SWEEP_HIGH_PCT ? 2 : pct >= SWEEP_WARN_PCT ? 1 : 0;

	if (up >= level)
		return up;
	if (level == 2 && pct + SWEEP_HYST_PCT >= SWEEP_HIGH_PCT)
		return 2;
	if (level >= 1 && pct + SWEEP_HYST_PCT >= SWEEP_WARN_PCT)
		return 1;
	return up;
}

/*
 * Check the fill; warn once per upward crossing, and ask for an early
 * pass then, or whenever the level is high and negative entries are
 * left to evict.
 */
static void
sweep_check_fill(struct sweep *s)
{
	struct cache_stat cs;
	const char *err = NULL;
	unsigned pct, level;

	if (cache_stat(s->cache, &cs, &err) != CACHE_OK || cs.map_max == 0)
		return;
	/* Whole per cent, rounded down; used * 100 fits: map_max <= 1 TiB. */
	pct = (unsigned)((uint64_t)cs.used * 100 / cs.map_max);
	s->st.fill_pct = pct;
	level = sweep_level(s->level, pct);
	if (level > s->level)
		log_warnx("cache: %u%% of cache_map_max used (%zu of %zu MiB; "
		    "%zu policies, %zu negative entries): %s", pct,
		    cs.used >> 20, cs.map_max >> 20,
		    cs.entries[CACHE_DB_POLICY], cs.entries[CACHE_DB_NEGATIVE],
		    level == 2 ? "evicting negative entries" :
		    "sweeping now; raise cache_map_max if this recurs");
	else if (level < s->level)
		log_info("cache: back to %u%% of cache_map_max", pct);
	if (level > s->level ||
	    (level == 2 && cs.entries[CACHE_DB_NEGATIVE] > 0))
		s->early = 1;
	s->level = level;
}

static void
sweep_start(struct sweep *s)
{
	s->running = 1;
	s->db = CACHE_DB_POLICY;
	s->from[0] = '\0';
	s->removed = 0;
	memset(&s->tally, 0, sizeof(s->tally));
	s->early = 0;
	clock_gettime(CLOCK_MONOTONIC, &s->pass_start);
}

/* End the pass; `complete`: it walked every record (publish the tally). */
static void
sweep_end(struct sweep *s, int complete)
{
	uint64_t ms = sweep_us_since(&s->pass_start) / 1000;

	s->running = 0;
	s->st.passes++;
	s->st.last_pass_ms = ms;
	if (complete) {
		s->st.kept = s->tally;
		s->st.kept_at = (int64_t)time(NULL);
	}
	if (s->removed > 0)
		log_info("cache sweep: %llu records removed in %llu ms",
		    (unsigned long long)s->removed, (unsigned long long)ms);
	clock_gettime(CLOCK_MONOTONIC, &s->next_pass);
	s->next_pass.tv_sec += SWEEP_INTERVAL_SECS;
}

/* One batch; 1 while the pass goes on, 0 at its end, -1 given up. */
static int
sweep_batch(struct sweep *s)
{
	struct timespec t0;
	size_t seen = 0, del = 0;
	const char *err = NULL;
	uint64_t us;

	s->now = s->clock(s->clock_arg);
	s->evict = s->db == CACHE_DB_NEGATIVE && s->level >= 2;
	memset(&s->btally, 0, sizeof(s->btally));
	s->blast[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cache_sweep(s->cache, s->db, s->from, SWEEP_BATCH, sweep_decide,
	    s, &seen, &del, &err) != CACHE_OK) {
		/* Give up this pass; the next one starts from the top. */
		log_warnx("cache sweep: %s", err != NULL ? err : "error");
		return -1;
	}
	us = sweep_us_since(&t0);
	s->st.batches++;
	s->st.batch_us_total += us;
	if (us > s->st.batch_us_max)
		s->st.batch_us_max = us;
	s->removed += del;
	cachetally_add(&s->tally, &s->btally);
	if (s->db == CACHE_DB_POLICY)
		s->st.policies += del;
	else if (s->db == CACHE_DB_DANE)
		s->st.dane += del;
	else if (s->evict)
		s->st.evicted += del;
	else
		s->st.negatives += del;
	if (s->from[0] == '\0') {
		if (s->db == CACHE_DB_DANE)
			return 0;
		s->db = s->db == CACHE_DB_POLICY ? CACHE_DB_NEGATIVE :
		    CACHE_DB_DANE;
	}
	return 1;
}

static void
sweep_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sweep *s = arg;
	struct timespec now;
	int r;

	(void)fd;
	(void)what;
	sweep_check_fill(s);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!s->running && (s->early || now.tv_sec > s->next_pass.tv_sec ||
	    (now.tv_sec == s->next_pass.tv_sec &&
	    now.tv_nsec >= s->next_pass.tv_nsec)))
		sweep_start(s);
	if (s->running && (r = sweep_batch(s)) <= 0)
		sweep_end(s, r == 0);
	sweep_arm(s, s->running ? SWEEP_TICK_MS : SWEEP_CHECK_SECS * 1000);
}

struct sweep *
sweep_new(struct event_base *base, struct cache *cache,
    const struct refresh_conf *rc, sweep_clock_cb *clock, void *clock_arg,
    char *err, size_t errlen)
{
	struct sweep *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->ev = evtimer_new(base, sweep_on_timer, s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->base = base;
	s->cache = cache;
	s->rc = *rc;
	s->clock = clock;
	s->clock_arg = clock_arg;
	clock_gettime(CLOCK_MONOTONIC, &s->next_pass);
	s->next_pass.tv_sec += SWEEP_FIRST_SECS;
	sweep_arm(s, 0);	/* check the fill at start */
	return s;
}

void
sweep_free(struct sweep *s)
{
	if (s == NULL)
		return;
	event_free(s->ev);
	free(s);
}

void
sweep_reconf(struct sweep *s, const struct refresh_conf *rc)
{
	s->rc = *rc;
}

void
sweep_kick(struct sweep *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->next_pass);
	if (!s->running)
		sweep_arm(s, 0);
}

void
sweep_get_stats(const struct sweep *s, struct sweep_stats *st)
{
	*st = s->st;
}
