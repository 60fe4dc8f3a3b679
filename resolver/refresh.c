/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * refresh.c: cache refresh decisions (RFC 8461 §3.3, §5.1, §10.2).
 *
 * The rules and the RFC text behind them are in refresh.h; this file
 * only adds the arithmetic.  Times are int64_t unix seconds that may be
 * anything a corrupt or hostile clock produces, so:
 *   - sums saturate (refresh_add) instead of overflowing;
 *   - an age is computed only after checking its order, as an unsigned
 *     difference (refresh_span), which cannot overflow;
 *   - thresholds are compared in uint64_t.
 */
#include <string.h>
#include <strings.h>

#include "refresh.h"

static int64_t	 refresh_add(int64_t, int64_t);
static uint64_t	 refresh_span(int64_t, int64_t);
static int64_t	 refresh_backoff(int64_t, int64_t, uint32_t);
static int64_t	 refresh_jittered(int64_t, uint32_t);
static int	 refresh_in_backoff(const struct record_policy *, int64_t,
		    const struct refresh_conf *);
static int	 refresh_refetch_due(const struct record_policy *, int64_t,
		    uint32_t, const struct refresh_conf *);
static int	 refresh_txt_due(const struct record_policy *, int64_t,
		    uint32_t, const struct refresh_conf *);
static int	 refresh_negative_fresh(const struct record_negative *,
		    int64_t, const struct refresh_conf *);
static int	 refresh_same_mx(const struct record_policy *,
		    const struct record_policy *);
static void	 refresh_failed(struct record_policy *, int64_t,
		    const struct refresh_conf *);

void
refresh_conf_default(struct refresh_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->txt_recheck_interval = 3600;
	c->refetch_interval = 86400;		/* §3.3: once per day */
	c->refresh_before = 86400;
	c->refresh_pct = 50;
	c->jitter_max_pct = 10;
	c->backoff_min = 300;			/* §3.3: five minutes */
	c->backoff_max = 3600;
	c->neg[RECORD_NEG_NO_RECORD] = (struct refresh_ttl){ 900, 3600 };
	c->neg[RECORD_NEG_DNS_ERROR] = (struct refresh_ttl){ 60, 600 };
	c->neg[RECORD_NEG_FETCH_ERROR] = (struct refresh_ttl){ 300, 3600 };
	c->neg[RECORD_NEG_POLICY_INVALID] = (struct refresh_ttl){ 300, 3600 };
	c->expired_keep = 7 * 86400;
}

/* a + b, saturated to [INT64_MIN, INT64_MAX]. */
static int64_t
refresh_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* to - from for from <= to, exact (two's complement wrap in uint64_t). */
static uint64_t
refresh_span(int64_t from, int64_t to)
{
	return (uint64_t)to - (uint64_t)from;
}

/* base doubled (n - 1) times, capped; n counts from 1.  0 if base <= 0. */
static int64_t
refresh_backoff(int64_t base, int64_t cap, uint32_t n)
{
	int64_t d = base;
	uint32_t i;

	if (base <= 0)
		return 0;
	if (cap < base)
		cap = base;
	/* At most 63 rounds: d at least doubles until it reaches cap. */
	for (i = 1; i < n && d < cap; i++)
		d = d > cap / 2 ? cap : d * 2;
	return d;
}

/* An age threshold moved earlier by pct percent (0..100). */
static int64_t
refresh_jittered(int64_t t, uint32_t pct)
{
	if (t <= 0)
		return 0;
	/* t / 100 * pct first would lose precision for small t; t * pct
	 * could overflow for huge t, so split. */
	return t - (t / 100 * pct + t % 100 * pct / 100);
}

/* Rule 4: no background work before retry_at, if it is plausible. */
static int
refresh_in_backoff(const struct record_policy *pol, int64_t now,
    const struct refresh_conf *c)
{
	return now < pol->retry_at &&
	    pol->retry_at <= refresh_add(now, c->backoff_max);
}

static int
refresh_refetch_due(const struct record_policy *pol, int64_t now,
    uint32_t jit, const struct refresh_conf *c)
{
	int64_t lead, t = INT64_MAX;
	uint64_t age;
	uint32_t pct;

	if (now < pol->fetched_at)
		return 1;	/* clock went back: re-base (rule 6) */
	age = refresh_span(pol->fetched_at, now);
	if (c->refetch_interval > 0)
		t = c->refetch_interval;
	pct = c->refresh_pct < 100 ? c->refresh_pct : 100;
	lead = (int64_t)pol->max_age * pct / 100;
	if (c->refresh_before < lead)
		lead = c->refresh_before > 0 ? c->refresh_before : 0;
	if ((int64_t)pol->max_age - lead < t)
		t = (int64_t)pol->max_age - lead;
	t = refresh_jittered(t, jit);
	/* Never in the fetch second: a fast refresh cannot loop. */
	return age >= (uint64_t)(t > 0 ? t : 1);
}

static int
refresh_txt_due(const struct record_policy *pol, int64_t now, uint32_t jit,
    const struct refresh_conf *c)
{
	int64_t t;

	if (c->txt_recheck_interval <= 0)
		return 0;
	if (now < pol->txt_checked_at)
		return 1;	/* clock went back (rule 6) */
	t = refresh_jittered(c->txt_recheck_interval, jit);
	return refresh_span(pol->txt_checked_at, now) >=
	    (uint64_t)(t > 0 ? t : 1);
}

/* Rule 5 and rule 6: fresh only inside a plausible window. */
static int
refresh_negative_fresh(const struct record_negative *neg, int64_t now,
    const struct refresh_conf *c)
{
	const struct refresh_ttl *t;
	int64_t cap;

	if ((unsigned)neg->reason >= RECORD_NEG_NREASONS)
		return 0;
	t = &c->neg[neg->reason];
	cap = t->cap > t->ttl ? t->cap : t->ttl;
	return neg->last_at <= now && now < neg->retry_at &&
	    neg->retry_at <= refresh_add(now, cap);
}

int64_t
refresh_expires_at(const struct record_policy *pol)
{
	return refresh_add(pol->fetched_at, (int64_t)pol->max_age);
}

int
refresh_policy_valid(const struct record_policy *pol, int64_t now)
{
	/* §5.1: time-since-fetch has not exceeded max_age. */
	return now <= refresh_expires_at(pol);
}

enum refresh_step
refresh_lookup(const struct record_policy *pol,
    const struct record_negative *neg, int64_t now, uint32_t jitter_pct,
    const struct refresh_conf *c)
{
	uint32_t jit = jitter_pct;

	if (jit > c->jitter_max_pct)
		jit = c->jitter_max_pct;
	if (jit > 100)
		jit = 100;
	if (pol != NULL && refresh_policy_valid(pol, now)) {
		if (refresh_in_backoff(pol, now, c))
			return REFRESH_ANSWER;
		if (refresh_refetch_due(pol, now, jit, c))
			return REFRESH_ANSWER_REFETCH;
		if (refresh_txt_due(pol, now, jit, c))
			return REFRESH_ANSWER_RECHECK;
		return REFRESH_ANSWER;
	}
	if (neg != NULL && refresh_negative_fresh(neg, now, c))
		return REFRESH_NEGATIVE;
	return REFRESH_DISCOVER;
}

/* One more consecutive refresh failure: count it, back off. */
static void
refresh_failed(struct record_policy *p, int64_t now,
    const struct refresh_conf *c)
{
	if (p->failures < UINT32_MAX)
		p->failures++;
	p->retry_at = refresh_add(now, refresh_backoff(c->backoff_min,
	    c->backoff_max, p->failures));
}

enum refresh_action
refresh_on_txt(const struct record_policy *pol, int64_t now,
    enum refresh_txt outcome, const char *new_id,
    const struct refresh_conf *c, struct record_policy *upd)
{
	struct record_policy tmp;

	if (upd == NULL)
		upd = &tmp;
	if (pol == NULL || !refresh_policy_valid(pol, now)) {
		if (pol != NULL)
			*upd = *pol;
		/* Rule 1: an expired policy is only renewed by a fetch. */
		return outcome == REFRESH_TXT_FOUND ? REFRESH_FETCH :
		    REFRESH_NOPOLICY;
	}
	*upd = *pol;
	if (outcome == REFRESH_TXT_FOUND) {
		if (new_id == NULL ||
		    strcmp(new_id, pol->id != NULL ? pol->id : "") != 0)
			return REFRESH_FETCH;
		upd->txt_checked_at = now;
		if (upd->testing_since == 0)
			refresh_history(NULL, upd, now);
		return REFRESH_KEEP;
	}
	/* §3.1: no usable record does not remove a cached policy, but
	 * the domain is no longer seen without a break (History). */
	if (outcome == REFRESH_TXT_NONE)
		upd->enforce_since = upd->testing_since = 0;
	refresh_failed(upd, now, c);
	return REFRESH_KEEP;
}

enum refresh_action
refresh_on_fetch_failure(const struct record_policy *pol, int64_t now,
    const struct refresh_conf *c, struct record_policy *upd)
{
	struct record_policy tmp;

	if (upd == NULL)
		upd = &tmp;
	if (pol == NULL)
		return REFRESH_NOPOLICY;
	*upd = *pol;
	if (!refresh_policy_valid(pol, now))
		return REFRESH_NOPOLICY;
	/* §3.3, §5.1: a failed refresh never removes a valid policy. */
	refresh_failed(upd, now, c);
	return REFRESH_KEEP;
}

void
refresh_on_fetch_success(struct record_policy *p, int64_t now)
{
	p->fetched_at = now;
	p->txt_checked_at = now;
	p->failures = 0;
	p->retry_at = 0;
	p->last_error = "";
}

/*
 * Are a's and b's mx patterns the same list, without regard to case?
 * In order: a policy may hold thousands of patterns (record.h), and a
 * set comparison without allocation would be quadratic on the event
 * loop; a reordered list only restarts a history, which errs on the
 * side of listing a domain later.
 */
static int
refresh_same_mx(const struct record_policy *a, const struct record_policy *b)
{
	size_t i;

	if (a->nmx != b->nmx)
		return 0;
	for (i = 0; i < a->nmx; i++)
		if (strcasecmp(a->mx[i], b->mx[i]) != 0)
			return 0;
	return 1;
}

void
refresh_history(const struct record_policy *old, struct record_policy *p,
    int64_t now)
{
	int cont;

	p->enforce_since = p->testing_since = 0;
	if (p->mode == RECORD_MODE_NONE)
		return;
	/* Unbroken: the previous policy was still in force, no mx change. */
	cont = old != NULL && refresh_policy_valid(old, now) &&
	    refresh_same_mx(old, p);
	p->testing_since = cont && old->testing_since != 0 ?
	    old->testing_since : now;
	if (p->mode == RECORD_MODE_ENFORCE)
		p->enforce_since = cont && old->mode == RECORD_MODE_ENFORCE &&
		    old->enforce_since != 0 ? old->enforce_since : now;
}

struct record_negative
refresh_negative(const struct record_negative *prev, enum record_reason reason,
    const char *code, int64_t now, const struct refresh_conf *c)
{
	struct record_negative n;
	int64_t d = 0;

	memset(&n, 0, sizeof(n));
	n.reason = reason;
	n.code = code != NULL ? code : "";
	n.count = 1;
	n.first_at = n.last_at = now;
	/* Same reason, clock not gone back: the run goes on. */
	if (prev != NULL && prev->reason == reason && prev->last_at <= now &&
	    prev->first_at <= now) {
		n.count = prev->count < UINT32_MAX ? prev->count + 1 :
		    UINT32_MAX;
		n.first_at = prev->first_at;
	}
	if ((unsigned)reason < RECORD_NEG_NREASONS)
		d = refresh_backoff(c->neg[reason].ttl, c->neg[reason].cap,
		    n.count);
	n.retry_at = refresh_add(now, d);
	return n;
}

int
refresh_sweep_policy(const struct record_policy *pol, int64_t now,
    const struct refresh_conf *c)
{
	int64_t keep = c->expired_keep > 0 ? c->expired_keep : 0;

	/* Saturating: a policy that never expires is never swept. */
	return now > refresh_add(refresh_expires_at(pol), keep);
}

int
refresh_sweep_negative(const struct record_negative *neg, int64_t now,
    const struct refresh_conf *c)
{
	const struct refresh_ttl *t;
	int64_t cap;

	if ((unsigned)neg->reason >= RECORD_NEG_NREASONS)
		return 1;	/* cannot answer anything (rule 5) */
	t = &c->neg[neg->reason];
	cap = t->cap > t->ttl ? t->cap : t->ttl;
	return now >= refresh_add(neg->retry_at, cap > 0 ? cap : 0);
}

enum record_reason
refresh_txt_reason(enum refresh_txt outcome)
{
	/* Only an answer proves absence; anything else is a DNS error. */
	return outcome == REFRESH_TXT_NONE ? RECORD_NEG_NO_RECORD :
	    RECORD_NEG_DNS_ERROR;
}

const char *
refresh_step_str(enum refresh_step s)
{
	static const char *const names[] = {
		"answer", "answer-recheck", "answer-refetch", "negative",
		"discover"
	};

	if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
		return "invalid";
	return names[s];
}

const char *
refresh_action_str(enum refresh_action a)
{
	static const char *const names[] = { "keep", "fetch", "no-policy" };

	if ((unsigned)a >= sizeof(names) / sizeof(names[0]))
		return "invalid";
	return names[a];
}
