/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * refresh.h: when to answer from the cache, when to refresh it, and
 * what to store after a refresh fails (RFC 8461 §3.3, §5.1, §8.3, §10.2;
 * docs/DESIGN.md §Refresh).
 *
 * Pure module: decisions only, as functions of (cached record, now,
 * outcome, configuration).  No I/O, no clock (the caller passes `now`,
 * unix seconds), no randomness (the caller passes the jitter), no
 * allocation, no global state; safe from any thread.  Records are
 * store/record.h structs; returned "updated" policies are shallow
 * copies whose strings still point into the caller's record buffer, so
 * encode/store them (cache_put_policy) before that buffer changes.
 *
 * The rules, with the RFC text they rest on:
 *
 * 1. Validity.  A cached policy is valid while
 *        now <= fetched_at + max_age            (refresh_policy_valid)
 *    §5.1 step 1: "a cached policy whose time-since-fetch has not
 *    exceeded its max_age"; §3.2: cache "up to this value from last
 *    policy fetch time".  So the boundary second is still valid, one
 *    second later is expired, max_age 0 is valid only in the fetch
 *    second, and only a FETCH moves fetched_at: an unchanged TXT id
 *    never extends an expired policy.  The sum saturates at INT64_MAX.
 *
 * 2. Lookup (refresh_lookup).  In this order:
 *    - valid policy -> ANSWER from it, at once (§3.3: "if no 'live'
 *      policy can be discovered ... but a valid (non-expired) policy
 *      exists in the sender's cache, the sender MUST apply that cached
 *      policy").  Mode "none" is answered as "no policy" (§5, §8.3) by
 *      the caller, but it is still a cached policy: it wins over
 *      negative entries and the STARTTLS list, and is refreshed like any
 *      other.  A valid policy also wins over a negative entry.
 *      Background work, at most one kind, none while in backoff
 *      (now < retry_at, see 4):
 *        ANSWER_REFETCH when expiry is near (less than
 *          min(refresh_before, max_age * refresh_pct / 100) seconds
 *          left) or the policy is at least refetch_interval old (§3.3:
 *          "MTAs SHOULD proactively refresh cached policies before they
 *          expire; a suggested refresh frequency is once per day", and
 *          §10.2: fetch the live policy regularly "regardless of the
 *          state of the _mta-sts TXT record");
 *        ANSWER_RECHECK when the last TXT check is at least
 *          txt_recheck_interval old (§3: "the sender need only check
 *          the TXT record's version id against the cached value").
 *      Jitter: both thresholds (as ages) are moved earlier by
 *      jitter_pct percent, clamped to [0, c->jitter_max_pct]; the caller
 *      draws it (e.g. per domain) so refreshes of many domains spread.
 *      Never in the fetch second itself (age 0), so a refresh that
 *      completes at once cannot loop.
 *    - else a fresh negative entry -> NEGATIVE: "no policy", no network
 *      (docs/DESIGN.md §Failures).
 *    - else DISCOVER (no policy, or expired: §5.1 step 1 "If none
 *      exists, attempt to fetch a new policy").
 *
 * 3. TXT result (refresh_on_txt), with a valid cached policy:
 *    FOUND, same id -> KEEP, txt_checked_at = now;
 *    FOUND, other id -> FETCH (§3: the id tracks policy updates; there
 *      is no ordering of ids, so any difference means "changed");
 *    NONE or ERROR -> KEEP until expiry, counted as a refresh failure
 *      (§3.1: "absence of a usable TXT record is not by itself
 *      sufficient to remove a sender's previously cached policy"; §8.3:
 *      removal works by publishing mode none, then letting old policies
 *      expire; a DNS failure is no evidence of anything).
 *    With no valid policy (absent or expired): FOUND -> FETCH (even if
 *    the id equals the expired policy's, rule 1); NONE -> NOPOLICY with
 *    reason RECORD_NEG_NO_RECORD; ERROR -> NOPOLICY with
 *    RECORD_NEG_DNS_ERROR (refresh_txt_reason): the two are never merged.
 *
 * 4. Fetch failure (refresh_on_fetch_failure): a failed or invalid fetch
 *    never removes a valid cached policy (§3.3, §5.1): KEEP, failures+1,
 *    retry_at = now + backoff, where backoff = backoff_min doubled per
 *    consecutive failure, capped at backoff_max (§3.3: "implementers
 *    SHOULD limit further attempts to a period of five minutes or
 *    longer", so backoff_min >= 300 by default).  failures counts
 *    consecutive refresh failures of any step (TXT NONE/ERROR, fetch,
 *    invalid policy); only a successful fetch resets it
 *    (refresh_on_fetch_success).  §3.3 and §10.2 want administrators
 *    alerted to repeated failures "unless the cached policy mode is
 *    none": the caller decides that from failures and mode.
 *    Without a valid policy: NOPOLICY, store a negative entry (§3.3:
 *    "senders MUST continue with delivery as though the domain has not
 *    implemented MTA-STS").
 *
 * 5. Negative entries (refresh_negative): fresh while
 *    last_at <= now < retry_at.  TTL per reason (c->neg[reason].ttl),
 *    doubled for each consecutive result of the SAME reason, capped at
 *    c->neg[reason].cap; a different reason starts a new run (count 1),
 *    so "DNS failed" never inherits the long TTL of "no record".  A TTL
 *    of 0 disables negative caching for that reason.
 *
 * 6. Clock going backwards (now earlier than a stored time) is decided
 *    in the direction that never weakens security:
 *    - now < fetched_at: the policy stays valid (a clock step must not
 *      silently drop an enforced policy) and a background REFETCH is
 *      asked for, which re-bases fetched_at on the current clock;
 *    - now < txt_checked_at: the TXT check is due;
 *    - retry_at further ahead than backoff_max (policy) or the reason's
 *      cap (negative): ignored, the backoff is over;
 *    - now < a negative entry's last_at: the entry is stale (discover).
 *    Negative or huge times never overflow: sums saturate, differences
 *    are taken as unsigned after ordering.
 *
 * History.  Each policy record carries since when the domain has been
 * observed without a break in mode enforce (enforce_since) and in mode
 * testing or enforce (testing_since), with the same mx patterns; 0
 * means "not" (record.h).  "mtasts list build" lists a domain from
 * these (docs/DESIGN.md §List), so a break must reset them:
 *    - a fetch (refresh_history): the times carry over from the cached
 *      policy only when it was still valid, its mode allows it and its
 *      mx patterns are the same, in the same order (compared without
 *      case; a policy may hold thousands, so no set comparison); else they
 *      start at now, or are 0 for mode none (or testing, for
 *      enforce_since);
 *    - TXT FOUND with the same id: a policy without a history (written
 *      by an older mtastsd) starts one at now;
 *    - TXT NONE (the record is gone): both reset to 0 while the policy
 *      is kept (rule 3), so the domain leaves the next list;
 *    - TXT ERROR and fetch failures change nothing: no evidence;
 *    - an expired or deleted policy has no history to carry.
 * 7. Sweeping: what the cache's sweeper (src/sweep.h) removes.  Nothing
 *    rule 2 could still answer from, and nothing a failed refresh is
 *    meant to keep:
 *    - a policy once it has been expired (rule 1) for more than
 *      c->expired_keep seconds (refresh_sweep_policy).  An expired
 *      policy is never applied again (§5.1: only a cached policy whose
 *      max_age has not passed is used; otherwise a new one is fetched)
 *      and never revives (an unchanged TXT id does not extend it, rule
 *      1); it is kept a while only so that "mtasts cache show" can say
 *      why a domain lost its policy (last_error, failures).  A valid
 *      policy is never swept, whatever its failures (§3.3, rule 4), and
 *      a clock gone back keeps it valid (rule 6).
 *    - a negative entry once now >= retry_at + the cap of its reason
 *      (refresh_sweep_negative): it answers nothing after retry_at
 *      (rule 5), and keeping it one cap longer lets a domain that keeps
 *      failing continue its run (its doubled TTL) rather than start
 *      again at the first TTL.
 */
#ifndef REFRESH_H
#define REFRESH_H

#include <stdint.h>

#include "record.h"

/* TTL and cap, in seconds, of one negative reason. */
struct refresh_ttl {
	int64_t	ttl;	/* first result of a run; 0 = do not cache */
	int64_t	cap;	/* doubling stops here */
};

/* All times in seconds. */
struct refresh_conf {
	int64_t	 txt_recheck_interval;	/* 0 = never re-check */
	int64_t	 refetch_interval;	/* 0 = only near expiry */
	int64_t	 refresh_before;	/* before expiry, or ... */
	uint32_t refresh_pct;		/* ... this % of max_age,
					 * whichever is smaller */
	uint32_t jitter_max_pct;	/* clamp of jitter_pct */
	int64_t	 backoff_min;		/* first retry after failure */
	int64_t	 backoff_max;		/* cap */
	struct refresh_ttl neg[RECORD_NEG_NREASONS]; /* by reason */
	int64_t	 expired_keep;		/* rule 7: keep expired policies */
};

/* What a lookup does (rule 2). */
enum refresh_step {
	REFRESH_ANSWER = 0,	/* answer from the cached policy */
	REFRESH_ANSWER_RECHECK,	/* ... and re-check the TXT id in the
				 * background, then refresh_on_txt() */
	REFRESH_ANSWER_REFETCH,	/* ... and fetch the policy again in
				 * the background (TXT first, for id) */
	REFRESH_NEGATIVE,	/* "no policy" from the negative entry */
	REFRESH_DISCOVER	/* no valid policy: TXT, fetch, store */
};

/* What to do after a refresh step (rules 3 and 4). */
enum refresh_action {
	REFRESH_KEEP = 0,	/* keep the cached policy; store *upd */
	REFRESH_FETCH,		/* fetch the policy (new or changed id) */
	REFRESH_NOPOLICY	/* no valid policy: "no policy"; store
				 * refresh_negative(...) */
};

/* Outcome of the "_mta-sts" TXT query. */
enum refresh_txt {
	REFRESH_TXT_FOUND = 0,	/* one valid STSv1 record: new_id */
	REFRESH_TXT_NONE,	/* NXDOMAIN, no/several/bad records */
	REFRESH_TXT_ERROR	/* SERVFAIL, timeout, refused: no answer */
};

/*
 * refresh_conf_default: fill *c with the defaults: TXT re-check every
 * hour, refetch daily (§3.3), refetch when less than one day or 50% of
 * max_age is left, jitter up to 10%, backoff 300 s (§3.3) doubling to
 * 1 h; negative TTL/cap: no record 900/3600 s, DNS error 60/600 s,
 * fetch error and invalid policy 300/3600 s (§3.3's five minutes);
 * expired policies are kept 7 days (rule 7).
 */
void refresh_conf_default(struct refresh_conf *c);

/* refresh_expires_at: fetched_at + max_age, saturated at INT64_MAX. */
int64_t refresh_expires_at(const struct record_policy *pol);

/* refresh_policy_valid: 1 if `pol` (not NULL) is valid at now (rule 1). */
int refresh_policy_valid(const struct record_policy *pol, int64_t now);

/*
 * refresh_lookup: rule 2.  pol and neg may each be NULL (not cached).
 * jitter_pct: 0..c->jitter_max_pct (clamped).  Never returns ANSWER*
 * without a valid policy.
 */
enum refresh_step refresh_lookup(const struct record_policy *pol,
    const struct record_negative *neg, int64_t now, uint32_t jitter_pct,
    const struct refresh_conf *c);

/*
 * refresh_on_txt: rule 3.  new_id is the TXT id for FOUND (NULL counts
 * as an id that matches nothing), ignored otherwise.  When pol is not
 * NULL, *upd (may be NULL) receives a copy of *pol, updated for KEEP;
 * store it.  For NOPOLICY the negative reason is
 * refresh_txt_reason(outcome).
 */
enum refresh_action refresh_on_txt(const struct record_policy *pol,
    int64_t now, enum refresh_txt outcome, const char *new_id,
    const struct refresh_conf *c, struct record_policy *upd);

/*
 * refresh_on_fetch_failure: rule 4, for any failed fetch or invalid
 * policy body.  KEEP (pol valid; *upd = pol with failures + 1 and
 * retry_at set; the caller sets upd->last_error to its code) or
 * NOPOLICY (store refresh_negative(... RECORD_NEG_FETCH_ERROR or
 * RECORD_NEG_POLICY_INVALID ...)).  upd may be NULL.
 */
enum refresh_action refresh_on_fetch_failure(const struct record_policy *pol,
    int64_t now, const struct refresh_conf *c, struct record_policy *upd);

/*
 * refresh_on_fetch_success: set the bookkeeping of a freshly fetched
 * policy `p` (the caller filled id, mode, max_age, mx, text):
 * fetched_at = txt_checked_at = now, failures = 0, retry_at = 0,
 * last_error = "".  Store it and delete the domain's negative entry.
 */
void refresh_on_fetch_success(struct record_policy *p, int64_t now);

/*
 * refresh_history: the history of `p`, a policy just fetched at `now`
 * (after refresh_on_fetch_success), from `old`, the policy cached
 * before it (NULL: none): sets p->enforce_since and p->testing_since
 * (the History rules above).
 */
void refresh_history(const struct record_policy *old, struct record_policy *p,
    int64_t now);

/*
 * refresh_negative: rule 5.  The negative entry to store after a
 * result of `reason` at `now`, continuing `prev` (may be NULL) when it
 * has the same reason.  code (may be NULL = "") is borrowed into the
 * result, e.g. "txt-none", "dns-timeout", "https-404".
 */
struct record_negative refresh_negative(const struct record_negative *prev,
    enum record_reason reason, const char *code, int64_t now,
    const struct refresh_conf *c);

/*
 * refresh_sweep_policy, refresh_sweep_negative: rule 7; 1 when the
 * record may be removed from the cache at now, else 0.
 */
int refresh_sweep_policy(const struct record_policy *pol, int64_t now,
    const struct refresh_conf *c);
int refresh_sweep_negative(const struct record_negative *neg, int64_t now,
    const struct refresh_conf *c);

/* refresh_txt_reason: NONE -> NO_RECORD, anything else -> DNS_ERROR. */
enum record_reason refresh_txt_reason(enum refresh_txt outcome);

/* "answer", "answer-recheck", "answer-refetch", "negative", "discover";
 * "invalid" otherwise. */
const char *refresh_step_str(enum refresh_step s);

/* "keep", "fetch", "no-policy"; "invalid" otherwise. */
const char *refresh_action_str(enum refresh_action a);

#endif /* REFRESH_H */
