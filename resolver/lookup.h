/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * lookup.h: the policy service behind the lookup socket: one answer per
 * domain, from the cache when it can, from discovery when it must
 * (docs/DESIGN.md §Lookup, RFC 8461 §3.3, §5.1, §10.2).
 *
 * Purpose: given a normalised mail domain (resolver/domkey.h), answer
 * "which MTA-STS policy applies now?":
 *   1. a valid cached policy (store/cache.h) is answered at once, without
 *      waiting for the network; a background TXT re-check or refetch is
 *      started when resolver/refresh.h says so (stale-while-revalidate,
 *      proactive refresh before expiry with jitter);
 *   2. a fresh negative entry is answered "no policy" at once;
 *   3. otherwise discovery runs (resolver/resolve.h; one per domain,
 *      shared by all its callers); the caller waits at most its wait (conf->wait_ms at
 *      most), then gets "no policy" with error "deadline" while
 *      discovery goes on and fills the cache for the next lookup.
 * A failed refresh never removes a valid cached policy; a DNS error is
 * never cached as "no record" (refresh.h rules).  Mode "none" is a
 * policy like any other here (LOOKUP_POLICY, mode none): the protocol
 * layer answers it as "no policy" (§5).
 *
 * STARTTLS Policy List (docs/DESIGN.md §Lookup, §List), fixed
 * precedence: cached MTA-STS > fresh MTA-STS > list > nothing.  Only an
 * answer that would be LOOKUP_NONE because there is no usable MTA-STS
 * policy (an outcome of discovery: no TXT, invalid TXT, DNS or fetch
 * failure, invalid policy; a negative entry; "deadline"; "overload")
 * looks at the list, and only when conf->list says a verified list is
 * installed and not expired at the service's `now`.  A listed domain
 * is then answered LOOKUP_POLICY with source LOOKUP_SRC_LIST: the
 * entry's mode and mx patterns ("*.x" form) as a record_policy whose
 * fetched_at is when the list was installed and whose max_age runs to
 * the list's expiry; id is "".  It is built for the answer only: never
 * written to the "policy" db, so it never hides or replaces a real
 * MTA-STS policy, and the next discovery still runs.  MTA-STS policies
 * in mode testing or none are policies: the list never overrides them.
 * A testing entry is answered only when conf->list->enforce_testing is
 * set, and then with mode enforce; otherwise the answer stays
 * LOOKUP_NONE (its detail says a testing entry exists).
 *
 * Background work: each domain has at most one job in flight (a
 * discovery, a TXT re-check or a refetch), which holds its own resolve
 * lookup with conf->resolve.lookup_timeout_ms, so it outlives the
 * callers that wait for it (each with its own timer).  Its outcome is
 * written to the cache (policy, updated failures/retry_at, or a
 * negative entry) before the waiters are answered.
 *
 * Limits (0 in the conf field selects the default):
 *   max_pending    domains with a job in flight (LOOKUP_PENDING_DEFAULT);
 *                  a cold domain beyond it is answered LOOKUP_NONE
 *                  "overload" at once and nothing is started;
 *   max_quota_pending
 *                  of these, jobs started by callers that pass a quota
 *                  (lookup_query_quota: the JSON clients, which can
 *                  start discoveries without waiting for them); 0
 *                  means half of max_pending, more is cut to it.  The
 *                  rest of max_pending is reserved for callers without
 *                  a quota (Postfix lookups) and for refreshes of
 *                  cached policies, which never wait for room taken by
 *                  quota jobs.  Each quota (struct lookup_quota, one
 *                  per client) also bounds the jobs its holder started
 *                  that are still running; a quota marked `mta` (an
 *                  MTA's table that asks over JSON: OpenSMTPD's) bounds
 *                  them alone: its jobs draw on the reserved part, not
 *                  on max_quota_pending;
 *   max_waiters    callers waiting for one domain
 *                  (LOOKUP_WAITERS_DEFAULT); beyond: LOOKUP_NONE
 *                  "overload" at once (the discovery goes on);
 *   max_refreshes  background refreshes of cached policies in flight
 *                  (LOOKUP_REFRESHES_DEFAULT); when full, that refresh
 *                  opportunity is skipped (the cached answer is given;
 *                  a later lookup tries again).
 * "overload" is a LOOKUP_NONE, like "deadline": the caller would have
 * got "deadline" anyway, only later.  A protocol may still map either
 * error to a temporary failure where deferring is the safer choice.
 *
 * DANE (RFC 7672, RFC 8461 §2), when conf->dane is set: every answer
 * also carries the domain's DANE verdict (resolver/dane.h) in `dane`,
 * beside the MTA-STS answer, which is unchanged by it: the protocol
 * decides the precedence (Postfix: DANE over MTA-STS; OpenSMTPD has no
 * DANE and ignores it).  The verdict is cached in the "dane" db
 * (store/danerec.h) for the lowest TTL of the records it rests on,
 * clamped to [LOOKUP_DANE_LIFE_MIN, LOOKUP_DANE_LIFE_MAX]
 * (LOOKUP_DANE_LIFE_NOREC without records, LOOKUP_DANE_LIFE_TEMP for
 * TEMP).  A lookup reads it next to the policy (a second get in the
 * same LMDB read transaction: no allocation, no new transaction);
 * from 3/4 of its life on, a lookup starts a background re-check and
 * is answered from the cache.  Without a valid verdict (never checked,
 * expired) the caller waits for a DANE check, as for a discovery; on
 * first use the DANE check and the MTA-STS discovery run in parallel
 * in the domain's one job, and the caller is answered when both ended
 * (or at its wait, with what is known then: a known MTA-STS outcome, or
 * the cached MTA-STS answer, with DANE "none" and why).
 *
 * Errors never end the process and are never logged here (resolver/
 * does not log): a cache read error is LOOKUP_TEMP "cache-error"; a
 * failed cache write still answers what was discovered; a record that
 * does not decode is deleted and treated as a miss.  The optional
 * conf->on_event hook reports these and the background outcomes
 * (stored policies, refresh failures, negative entries) so the daemon
 * can log them (RFC 8461 §3.3, §10.2: alert on refresh failures unless
 * the mode is none).
 *
 * Time: every decision takes `now` from conf->clock (seconds since the
 * epoch), so tests can move time; NULL means time(NULL).  Deadlines of
 * callers and of the network are real (monotonic) milliseconds.
 *
 * Threading: loop thread only.  Ownership: the answer passed to the
 * callback, and everything it points to, is borrowed for the call.
 * lookup_query() either answers synchronously (the cache hot path: no
 * allocation, one LMDB read) or returns a pending request; after the
 * callback ran, or after lookup_cancel(), the request is gone.  A
 * callback may call lookup_query() and lookup_cancel() (for any other
 * request), never lookup_free().
 */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "refresh.h"
#include "resolve.h"

struct cache;
struct event_base;
struct lookup;
struct lookup_req;
struct lookup_event;

/* The STARTTLS Policy List as the lookup service sees it. */
struct lookup_list {
	int		 active;	/* the store's "list" db holds a
					 * verified list that may be used */
	int64_t		 expires;	/* never applied at or after this */
	int64_t		 installed_at;	/* when it was swapped in */
	int		 enforce_testing; /* answer testing entries */
};

#define LOOKUP_PENDING_DEFAULT		10000	/* domains in flight */
#define LOOKUP_PENDING_MIN		10	/* max_pending's least value */
#define LOOKUP_WAITERS_DEFAULT		10000	/* callers per domain */
#define LOOKUP_REFRESHES_DEFAULT	100	/* background refreshes */

/* Background outcomes, for the daemon's log; NULL: not reported. */
typedef void lookup_event_cb(const struct lookup_event *ev, void *arg);

struct lookup_conf {
	struct resolve_conf	 resolve;	/* discovery settings; its
						 * lookup_timeout_ms bounds a
						 * background job, so make it
						 * longer than wait_ms */
	struct refresh_conf	 refresh;	/* cache rules */
	int			 wait_ms;	/* longest wait of a caller */
	int64_t			(*clock)(void *arg); /* NULL: time(NULL) */
	void			*clock_arg;	/* borrowed */
	/* Limits, see above; 0 means the default. */
	unsigned		 max_pending;
	unsigned		 max_quota_pending;
	unsigned		 max_waiters;
	unsigned		 max_refreshes;
	lookup_event_cb		*on_event;	/* may be NULL */
	void			*event_arg;	/* borrowed */
	/* The STARTTLS list, read at every fallback (NULL: none).  The
	 * owner (the daemon's list updater) keeps it current and must
	 * outlive the service. */
	const struct lookup_list *list;
	int			 dane;		/* check DANE (resolver/dane.h) */
	const char		*dane_probe_name; /* lookup_dane_probe();
						 * NULL: "." (copied) */
};

/* Lifetimes of a cached DANE verdict, in seconds. */
#define LOOKUP_DANE_LIFE_MIN	60
#define LOOKUP_DANE_LIFE_MAX	86400
#define LOOKUP_DANE_LIFE_NOREC	900	/* no record to take a TTL from */
#define LOOKUP_DANE_LIFE_TEMP	60

/* The DANE verdict an answer carries (resolver/dane.h). */
enum lookup_dane {
	LOOKUP_DANE_NONE = 0,	/* no DANE: MTA-STS decides; also when
				 * DANE is off or not known in time */
	LOOKUP_DANE_YES,	/* Postfix "dane" */
	LOOKUP_DANE_ONLY,	/* Postfix "dane-only" */
	LOOKUP_DANE_TEMP	/* DNSSEC lookups failed: defer */
};

enum lookup_status {
	LOOKUP_POLICY = 0,	/* an MTA-STS policy applies (any mode) */
	LOOKUP_NONE,		/* no policy is known: fail open (§5) */
	LOOKUP_TEMP		/* local failure (cache I/O, memory):
				 * the caller should defer */
};

enum lookup_source {
	LOOKUP_SRC_NONE = 0,	/* no source: deadline, overload, error */
	LOOKUP_SRC_CACHE,	/* cached MTA-STS policy */
	LOOKUP_SRC_DISCOVERY,	/* the outcome of a discovery this caller
				 * waited for (a policy or why not) */
	LOOKUP_SRC_NEGATIVE,	/* cached "no policy" (negative entry) */
	LOOKUP_SRC_LIST		/* the STARTTLS Policy List's entry: no
				 * usable MTA-STS policy (see above) */
};

struct lookup_answer {
	const char		*domain;
	enum lookup_status	 status;
	enum lookup_source	 source;
	/* LOOKUP_POLICY only: the policy, its age and time left. */
	const struct record_policy *policy;
	int64_t			 age;		/* s since fetched_at */
	int64_t			 expires_in;	/* s until fetched_at+max_age */
	/* LOOKUP_NONE/TEMP: why: a resolve_code() ("txt-none",
	 * "dns-timeout", "https-status", "policy-invalid", ...) or the
	 * negative entry's stored code, or "deadline", "overload",
	 * "cache-error", "memory", "domain-invalid"; NULL with a policy. */
	const char		*error;
	const char		*detail;	/* human text, may be "" */
	/* conf->dane only: the DANE verdict, and why (never NULL). */
	enum lookup_dane	 dane;
	const char		*dane_why;
	int			 dane_cached;	/* from the "dane" db */
};

/* The kinds of background run, for lookup_stats.runs. */
/* The limits that refuse work ("overload"; see the limits above). */
enum lookup_limit {
	LOOKUP_LIM_MAX_PENDING = 0,	/* max_pending */
	LOOKUP_LIM_QUOTA,		/* max_quota_pending */
	LOOKUP_LIM_CLIENT_QUOTA,	/* a struct lookup_quota's max */
	LOOKUP_LIM_MAX_WAITERS,		/* max_waiters */
	LOOKUP_LIM_MAX_REFRESHES,	/* max_refreshes */
	LOOKUP_NLIMIT
};

enum lookup_run {
	LOOKUP_RUN_DISCOVERY = 0,	/* no valid policy: full discovery */
	LOOKUP_RUN_REFETCH,		/* refresh: the policy fetched again */
	LOOKUP_RUN_TXT,			/* refresh: TXT id re-check */
	LOOKUP_NRUN
};

struct lookup_stats {
	uint64_t	queries;
	uint64_t	cache_hits;	/* answered from a cached policy */
	uint64_t	negative_hits;	/* answered from a negative entry */
	uint64_t	cache_misses;	/* needed discovery */
	uint64_t	deadline;	/* caller gave up before discovery */
	uint64_t	discoveries;	/* discoveries started */
	uint64_t	refreshes;	/* background re-checks/refetches */
	uint64_t	cache_errors;	/* reads and writes that failed */
	uint64_t	in_flight;	/* pending requests now */
	uint64_t	by_error[RESOLVE_POLICY_INVALID + 1]; /* outcomes
					 * of every resolve run (discovery,
					 * refetch, TXT re-check) */
	/* Added with lookup.c: */
	uint64_t	overload;	/* answered "overload" (limits) */
	uint64_t	refresh_skipped; /* max_refreshes/max_pending full */
	uint64_t	refresh_failures; /* failed refreshes, policy kept */
	uint64_t	corrupt;	/* undecodable records deleted */
	uint64_t	evicted;	/* negatives evicted for a policy
					 * (map full) */
	uint64_t	pending_domains; /* jobs in flight now */
	uint64_t	refreshes_running; /* of which refreshes, now */
	/* Added with the STARTTLS list: */
	uint64_t	list_hits;	/* answered from the list */
	uint64_t	list_testing;	/* listed in mode testing, not
					 * answered (enforce_testing off) */
	/* Added with DANE: */
	uint64_t	dane_checks;	/* DANE checks started */
	uint64_t	dane_answers[LOOKUP_DANE_TEMP + 1]; /* answers by
					 * their DANE verdict */
	/* Added with the metrics: by_error split by kind of run, and
	 * what became of the cached policies. */
	uint64_t	runs[LOOKUP_NRUN][RESOLVE_POLICY_INVALID + 1];
	uint64_t	policies_new;	/* stored, none was cached */
	uint64_t	policies_replaced; /* stored over a cached one */
	uint64_t	policies_expired; /* a run ended without a policy
					 * while only an expired one was
					 * cached: the domain lost it */
	/* Added with quotas: */
	uint64_t	quota_running;	/* jobs against max_quota_pending, now */
	uint64_t	overloads[LOOKUP_NLIMIT]; /* overload by the limit
					 * that refused the work */
};

/* What conf->on_event reports (background work, for logs). */
enum lookup_event_kind {
	LOOKUP_EV_STORED = 0,	/* a fetched policy was stored (policy) */
	LOOKUP_EV_REFRESH_FAILED, /* a refresh failed, cached policy kept
				 * (policy: failures, retry_at, mode) */
	LOOKUP_EV_NEGATIVE,	/* "no policy" was stored (negative) */
	LOOKUP_EV_CORRUPT,	/* a cached record did not decode: deleted */
	LOOKUP_EV_CACHE_ERROR,	/* a cache read or write failed */
	LOOKUP_EV_DANE_PROBE,	/* lookup_dane_probe() ended: code
				 * "validating", "not-validating" or
				 * "failed"; domain the probe name */
	LOOKUP_EV_OVERLOAD	/* a limit refused work (code: which:
				 * "max_pending", "quota", "client-quota",
				 * "max_waiters", "max_refreshes") */
};

struct lookup_event {
	enum lookup_event_kind	 kind;
	const char		*domain;
	const char		*code;	/* resolve_code(), cache reason */
	const char		*detail; /* human text, may be "" */
	const struct record_policy *policy;	/* STORED, REFRESH_FAILED */
	const struct record_negative *negative;	/* NEGATIVE */
};

typedef void lookup_cb(const struct lookup_answer *ans, void *arg);

/*
 * struct lookup_quota: the jobs one client (a local user, say) started
 * and that still run.  `max` is the caller's to set (and change) at
 * any time; `used` is counted by the service.  A job holds a reference
 * until it ends, so the quota outlives its client's connection and a
 * client that reconnects cannot start afresh while its jobs run.
 * lookup_quota_new: used 0, one reference (the caller's); NULL when out
 * of memory.  lookup_quota_unref: drop one reference; NULL is a no-op.
 */
struct lookup_quota {
	unsigned	 used;		/* jobs running, started by the holder */
	unsigned	 max;		/* most it may start (0: none) */
	int		 mta;		/* not counted in max_quota_pending */
	unsigned	 refs;		/* holder + one per running job */
};
struct lookup_quota *lookup_quota_new(unsigned max);
void		 lookup_quota_unref(struct lookup_quota *q);

/*
 * lookup_new: a service on `base` using `cache` (borrowed; must outlive
 * the service); `conf` is copied (the strings in conf->resolve are only
 * read here).  NULL on failure, reason in err.
 */
struct lookup	*lookup_new(struct event_base *base, struct cache *cache,
		    const struct lookup_conf *conf, char *err, size_t errlen);

/* lookup_free: cancel everything (no callbacks run) and free.  NULL ok.
 * Not from inside a callback of this service. */
void		 lookup_free(struct lookup *lk);

#define LOOKUP_DONE	0	/* cb already ran, before lookup_query returned */
#define LOOKUP_PENDING	1	/* cb runs later; *reqp is the handle */

/*
 * lookup_query: answer for `domain` (normalised, NUL-terminated).
 * Returns LOOKUP_DONE after calling cb synchronously (cached answers,
 * negative entries, local errors, limits), or LOOKUP_PENDING with *reqp
 * set (reqp may be NULL only if the caller never cancels).
 * wait: how many milliseconds the caller waits for a discovery; < 0
 * means conf->wait_ms, and more than conf->wait_ms is cut to it.  With
 * wait == 0 a cold domain is answered LOOKUP_NONE/"deadline" at once
 * and discovery starts in the background.
 */
int		 lookup_query(struct lookup *lk, const char *domain, int wait,
		    lookup_cb *cb, void *arg, struct lookup_req **reqp);

/*
 * lookup_query_quota: as lookup_query(), for a caller whose discoveries
 * count against `quota` (borrowed; NULL: none, as lookup_query) and,
 * unless quota->mta, against max_quota_pending.  Joining a job that runs already costs
 * nothing.  When either is full, a cold domain is answered LOOKUP_NONE
 * "overload" and nothing is started.  Cached answers are the same.
 */
int		 lookup_query_quota(struct lookup *lk, const char *domain,
		    int wait, struct lookup_quota *quota, lookup_cb *cb,
		    void *arg, struct lookup_req **reqp);

/* lookup_cancel: the callback never runs; the handle is gone.  The
 * domain's background job goes on.  NULL is a no-op. */
void		 lookup_cancel(struct lookup_req *req);

/* lookup_get_stats: a copy of the counters. */
void		 lookup_get_stats(const struct lookup *lk, struct lookup_stats *st);

/*
 * lookup_dane_probe: does the DNS resolver validate?  (conf->dane
 * only; otherwise a no-op.)  Asks the DNSKEY RRset of
 * conf->dane_probe_name with AD requested (resolver/danechk.h) and
 * reports the outcome as a LOOKUP_EV_DANE_PROBE event.  A resolver that
 * does not validate makes every domain look unsigned: DANE then never
 * applies.  A probe still running is replaced.
 */
void		 lookup_dane_probe(struct lookup *lk);

/* lookup_now: the service's clock (conf->clock or time()). */
int64_t		 lookup_now(const struct lookup *lk);

/* "none", "cache", "discovery", "negative", "starttls-list";
 * "invalid" otherwise. */
const char	*lookup_source_str(enum lookup_source);

/* "none", "dane", "dane-only", "temp"; "invalid" otherwise. */
const char	*lookup_dane_str(enum lookup_dane);
/* "policy", "none", "temp"; "invalid" otherwise. */
const char	*lookup_status_str(enum lookup_status);

/* "discovery", "refetch", "txt-recheck"; "invalid" otherwise. */
const char	*lookup_run_str(enum lookup_run);

/* "max_pending", "quota", "client-quota", "max_waiters",
 * "max_refreshes" (the LOOKUP_EV_OVERLOAD codes); "invalid" otherwise. */
const char	*lookup_limit_str(enum lookup_limit);

/* "stored", "refresh-failed", "negative", "corrupt", "cache-error",
 * "dane-probe", "overload". */
const char	*lookup_event_str(enum lookup_event_kind);

#endif /* LOOKUP_H */
