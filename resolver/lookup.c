/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * lookup.c: the policy service: cache first, discovery when needed,
 * refresh in the background (docs/DESIGN.md §Lookup, RFC 8461 §3.3, §5.1,
 * §10.2).
 *
 * Who decides what: refresh.c makes every cache decision (answer,
 * refresh, discover, what to store after an outcome); resolve.c does
 * the network steps; this file only reads the cache, calls those two,
 * writes the result and answers the callers.
 *
 * Hot path (a cached policy): one LMDB read into lk->pbuf, decoded in
 * place (cache_get_policy), one refresh_lookup(), the callback.  No
 * allocation.  The answer's strings point into lk->pbuf, so a callback
 * that calls lookup_query() again (pbuf_busy) gets a heap buffer for
 * that nested call instead of overwriting the answer it holds.
 *
 * Jobs: at most one per domain (a hash table keyed by a seeded FNV-1a
 * hash, so chains stay short whatever names peers send).  A job holds
 * one resolve request of its own (with resolve's lookup_timeout_ms), so
 * callers leaving never cancel the network work; each waiting caller
 * has its own libevent timer for its wait.  A job starts in one of two
 * phases: TXT (a re-check of a cached policy's id, resolve_start_txt)
 * or FULL (discovery or refetch, resolve_start); a TXT phase whose id
 * changed continues as FULL.  When a job ends, it leaves the table,
 * writes its outcome, answers its waiters, and is freed: a waiter's
 * callback that asks for the same domain starts afresh and reads what
 * was just written.
 *
 * Time: decisions use lookup_now() (conf->clock) in seconds; waits use
 * libevent's monotonic timers.  Jitter (refresh.h rule 2) is drawn per
 * domain from the seeded hash: stable for a domain, spread over
 * domains, so a busy domain does not refresh earlier than its share.
 *
 * STARTTLS list (lookup.h): every answer goes through lookup_reply(),
 * so the fallback sits there, once, for every "no usable MTA-STS
 * policy" path (job outcome, negative entry, deadline, overload).  The
 * entry is read into lk->lbuf, or, when a callback still holds an
 * answer that points there (lbuf_busy: a nested lookup_query from a
 * callback), into a heap buffer for that nested answer.
 *
 * DANE (lookup.h): the cached policy record carries a copy of the
 * domain's verdict (store/record.h struct record_dane), so a cached
 * lookup stays one read; the "dane" record is read (into lk->dbuf,
 * its reason copied to the caller's stack, so nested calls may reuse
 * dbuf) only when there is no policy, or it has no unexpired copy.
 * Whoever writes either record writes the copy from the "dane"
 * record in the same transaction (lookup_dane_store, lookup_write).  A job may hold a DANE check (job->dck) beside its resolve
 * request; it ends when both have.  When the MTA-STS part ends first,
 * its outcome is saved in the job (the policy encoded, so it owns its
 * strings) until the DANE check ends.  A job with no MTA-STS part (the
 * policy was cached: sts == 0) answers its waiters at the end by
 * deciding again from the cache with the fresh verdict (never waiting
 * again: wait 0).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/time.h>

#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "danechk.h"
#include "danerec.h"
#include "dns.h"
#include "liststore.h"
#include "lookup.h"
#include "record.h"
#include "refresh.h"
#include "resolve.h"
#include "stspol.h"
#include "stsrec.h"

#define LOOKUP_NAME_MAX		253	/* RFC 1035 presentation name */
#define LOOKUP_BUCKETS		4096	/* job table; power of two */
#define LOOKUP_DETAIL_MAX	256
#define LOOKUP_EVICT		256	/* negatives evicted for a policy */

enum lookup_phase {
	LOOKUP_PHASE_TXT = 0,	/* resolve_start_txt: id re-check */
	LOOKUP_PHASE_FULL	/* resolve_start: TXT, host, fetch, policy */
};

struct lookup_req {
	struct lookup_job *job;
	lookup_cb	*cb;
	void		*arg;
	struct event	*timer;			/* the caller's wait */
	TAILQ_ENTRY(lookup_req) entry;		/* job's waiters, FIFO */
};

/* What the caller knows about a domain's DANE state. */
struct lookup_dinfo {
	int		 state;		/* 1 valid, 0 unknown, -1 read error */
	int		 due;		/* valid, but re-check in background */
	int		 cached;	/* from the "dane" db */
	enum lookup_dane v;
	char		 why[DANEREC_WHY_MAX + 1];
};

struct lookup_job {
	struct lookup	*lk;
	char		 domain[LOOKUP_NAME_MAX + 1];
	uint64_t	 hash;
	enum lookup_phase phase;
	int		 refresh;		/* counted in lk->nrefresh */
	struct lookup_quota *quota;		/* a reference, or NULL */
	struct resolve_req *rreq;		/* our own resolve request */
	TAILQ_HEAD(lookup_waiters, lookup_req) waiters;
	size_t		 nwaiters;
	LIST_ENTRY(lookup_job) hentry;		/* bucket chain */
	int		 sts;			/* an MTA-STS part was started */
	struct danechk	*dck;			/* our DANE check, or NULL */
	struct lookup_dinfo dane;		/* state 1: verdict known */
	int		 saved;			/* MTA-STS outcome in sv* */
	enum lookup_status sv_status;
	enum lookup_source sv_source;
	char		 sv_error[RECORD_CODE_MAX + 1];
	char		 sv_detail[LOOKUP_DETAIL_MAX];
	unsigned char	*sv_pol;		/* encoded policy, or NULL */
	size_t		 sv_pol_len;
};
LIST_HEAD(lookup_chain, lookup_job);

/* What a finished job tells its waiters. */
struct lookup_outcome {
	enum lookup_status status;
	enum lookup_source source;
	const struct record_policy *policy;
	const char	*error;
	const char	*detail;
	const struct lookup_dinfo *dane;	/* NULL: no DANE verdict */
};

struct lookup {
	struct event_base *base;
	struct cache	*cache;
	struct resolve	*rs;
	struct lookup_conf conf;
	struct lookup_stats st;
	uint64_t	 seed;
	size_t		 njobs, nrefresh;
	size_t		 nquota;		/* jobs with a quota not `mta` */
	struct lookup_chain bucket[LOOKUP_BUCKETS];
	int		 pbuf_busy;		/* an answer points into pbuf */
	int		 lbuf_busy;		/* an answer points into lbuf */
	unsigned char	 lbuf[LISTSTORE_ENTRY_MAX]; /* list entry reads */
	unsigned char	 pbuf[RECORD_POLICY_MAX]; /* hot path reads */
	unsigned char	 jbuf[RECORD_POLICY_MAX]; /* job outcome reads */
	struct dns	*dns;			/* DANE checks (conf.dane) */
	struct danechk_probe *probe;		/* lookup_dane_probe() */
	char		 probe_name[DNSMSG_NAME_MAX + 2];
	unsigned char	 dbuf[DANEREC_MAX];	/* "dane" record reads */
};

static int	lookup_decide(struct lookup *, const char *, unsigned char *,
		    int, struct lookup_quota *, lookup_cb *, void *,
		    struct lookup_req **, const struct lookup_dinfo *);
static int	lookup_query_do(struct lookup *, const char *, int,
		    struct lookup_quota *, lookup_cb *, void *,
		    struct lookup_req **, const struct lookup_dinfo *);
static void	lookup_on_dane(const struct danechk_result *, void *);
static int	lookup_job_start(struct lookup_job *, enum lookup_phase);
static void	lookup_on_resolve(const struct resolve_result *, void *);

/* ---- small helpers ---- */

int64_t
lookup_now(const struct lookup *lk)
{
	if (lk->conf.clock != NULL)
		return lk->conf.clock(lk->conf.clock_arg);
	return (int64_t)time(NULL);
}

const char *
lookup_source_str(enum lookup_source s)
{
	static const char *const names[] = {
		"none", "cache", "discovery", "negative", "starttls-list"
	};

	if ((unsigned)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "invalid";
}

const char *
lookup_dane_str(enum lookup_dane d)
{
	static const char *const names[] = {
		"none", "dane", "dane-only", "temp"
	};

	if ((unsigned)d < sizeof(names) / sizeof(names[0]))
		return names[d];
	return "invalid";
}

const char *
lookup_status_str(enum lookup_status s)
{
	static const char *const names[] = { "policy", "none", "temp" };

	if ((unsigned)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "invalid";
}

const char *
lookup_run_str(enum lookup_run r)
{
	static const char *const names[LOOKUP_NRUN] = {
		[LOOKUP_RUN_DISCOVERY] = "discovery",
		[LOOKUP_RUN_REFETCH] = "refetch",
		[LOOKUP_RUN_TXT] = "txt-recheck",
	};

	return (unsigned)r < LOOKUP_NRUN ? names[r] : "invalid";
}

static const char *const lookup_limits[LOOKUP_NLIMIT] = {
	[LOOKUP_LIM_MAX_PENDING] = "max_pending",
	[LOOKUP_LIM_QUOTA] = "quota",
	[LOOKUP_LIM_CLIENT_QUOTA] = "client-quota",
	[LOOKUP_LIM_MAX_WAITERS] = "max_waiters",
	[LOOKUP_LIM_MAX_REFRESHES] = "max_refreshes",
};

const char *
lookup_limit_str(enum lookup_limit l)
{
	return (unsigned)l < LOOKUP_NLIMIT ? lookup_limits[l] : "invalid";
}

const char *
lookup_event_str(enum lookup_event_kind k)
{
	static const char *const names[] = {
		"stored", "refresh-failed", "negative", "corrupt",
		"cache-error", "dane-probe", "overload"
	};

	if ((unsigned)k < sizeof(names) / sizeof(names[0]))
		return names[k];
	return "invalid";
}

/* splitmix64: spreads a weak seed (time, pid) over all 64 bits. */
static uint64_t
lookup_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Seeded FNV-1a: the table index and the domain's jitter. */
static uint64_t
lookup_hash(const struct lookup *lk, const char *domain)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ lk->seed;
	const unsigned char *p;

	for (p = (const unsigned char *)domain; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return lookup_mix(h);
}

/* refresh.h rule 2: 0..jitter_max_pct, fixed per domain. */
static uint32_t
lookup_jitter(const struct lookup *lk, uint64_t h)
{
	uint32_t max = lk->conf.refresh.jitter_max_pct;

	if (max > 100)
		max = 100;
	return (uint32_t)((h >> 32) % (max + 1));
}

static int
lookup_domain_ok(const char *domain)
{
	size_t len;

	if (domain == NULL)
		return 0;
	len = strnlen(domain, LOOKUP_NAME_MAX + 1);
	return len > 0 && len <= LOOKUP_NAME_MAX;
}

static void
lookup_event(struct lookup *lk, enum lookup_event_kind kind,
    const char *domain, const char *code, const char *detail,
    const struct record_policy *pol, const struct record_negative *neg)
{
	struct lookup_event ev;

	if (lk->conf.on_event == NULL)
		return;
	ev.kind = kind;
	ev.domain = domain;
	ev.code = code != NULL ? code : "";
	ev.detail = detail != NULL ? detail : "";
	ev.policy = pol;
	ev.negative = neg;
	lk->conf.on_event(&ev, lk->conf.event_arg);
}

/* ---- answers ---- */

static int	lookup_from_list(struct lookup *, lookup_cb *, void *,
		    const char *, const struct lookup_outcome *);
static void	lookup_cache_error(struct lookup *, const char *,
		    const char *, const char *);

static void
lookup_reply_raw(struct lookup *lk, lookup_cb *cb, void *arg,
    const char *domain, const struct lookup_outcome *o)
{
	struct lookup_answer ans;
	int64_t now, exp;

	memset(&ans, 0, sizeof(ans));
	ans.domain = domain;
	ans.status = o->status;
	ans.source = o->source;
	ans.detail = o->detail != NULL ? o->detail : "";
	ans.dane_why = "";
	if (lk->conf.dane) {
		if (o->dane != NULL && o->dane->state == 1) {
			ans.dane = o->dane->v;
			ans.dane_why = o->dane->why;
			ans.dane_cached = o->dane->cached;
		} else
			ans.dane_why = o->dane != NULL ? o->dane->why :
			    "DANE not checked";
		lk->st.dane_answers[ans.dane]++;
	}
	if (o->status == LOOKUP_POLICY) {
		now = lookup_now(lk);
		exp = refresh_expires_at(o->policy);
		ans.policy = o->policy;
		/* A clock that went back shows age 0, never negative. */
		ans.age = now > o->policy->fetched_at ?
		    now - o->policy->fetched_at : 0;
		ans.expires_in = exp > now ? exp - now : 0;
	} else
		ans.error = o->error != NULL ? o->error : "unknown";
	cb(&ans, arg);
}

/* Every answer: "no usable MTA-STS policy" may come from the list. */
static void
lookup_reply(struct lookup *lk, lookup_cb *cb, void *arg,
    const char *domain, const struct lookup_outcome *o)
{
	if (o->status == LOOKUP_NONE && lookup_from_list(lk, cb, arg, domain,
	    o))
		return;
	lookup_reply_raw(lk, cb, arg, domain, o);
}

/*
 * Does a LOOKUP_NONE outcome mean "no usable MTA-STS policy"?  A
 * discovery outcome or a negative entry does, and so does a caller's
 * wait or the limits running out; "domain-invalid" (never looked up)
 * does not.
 */
static int
lookup_list_eligible(const struct lookup_outcome *o)
{
	if (o->source == LOOKUP_SRC_DISCOVERY ||
	    o->source == LOOKUP_SRC_NEGATIVE)
		return 1;
	return o->error != NULL && (strcmp(o->error, "deadline") == 0 ||
	    strcmp(o->error, "overload") == 0);
}

/* lookup_list_read: the entry into buf; 1 listed, 0 not (or error). */
static int
lookup_list_read(struct lookup *lk, const char *domain, unsigned char *buf,
    struct record_policy *p)
{
	const char *why = NULL;

	switch (liststore_get(lk->cache, domain, buf, LISTSTORE_ENTRY_MAX, p,
	    &why)) {
	case CACHE_OK:
		return 1;
	case CACHE_NOTFOUND:
		return 0;
	case CACHE_CORRUPT:
		lk->st.corrupt++;
		lookup_event(lk, LOOKUP_EV_CORRUPT, domain, "list", why, NULL,
		    NULL);
		return 0;
	default:
		lookup_cache_error(lk, domain, "read", why);
		return 0;
	}
}

/* The entry as the answer's policy: times from the list, no id. */
static void
lookup_list_policy(const struct lookup_list *l, struct record_policy *p)
{
	int64_t age = l->expires - l->installed_at;

	if (p->mode == RECORD_MODE_TESTING)
		p->mode = RECORD_MODE_ENFORCE;	/* l->enforce_testing */
	p->fetched_at = l->installed_at;
	p->max_age = age <= 0 ? 0 : age > (int64_t)UINT32_MAX ? UINT32_MAX :
	    (uint32_t)age;
	p->txt_checked_at = p->retry_at = 0;
	p->failures = 0;
}

/* A listed testing entry that is not applied: o, and why. */
static void
lookup_list_testing(struct lookup *lk, lookup_cb *cb, void *arg,
    const char *domain, const struct lookup_outcome *o)
{
	struct lookup_outcome t = *o;
	char detail[LOOKUP_DETAIL_MAX];

	lk->st.list_testing++;
	snprintf(detail, sizeof(detail), "%s%sSTARTTLS list entry in mode "
	    "testing: not applied", o->detail != NULL ? o->detail : "",
	    o->detail != NULL && o->detail[0] != '\0' ? "; " : "");
	t.detail = detail;
	lookup_reply_raw(lk, cb, arg, domain, &t);
}

/*
 * lookup_from_list: answer from the STARTTLS list when it applies
 * (lookup.h); 1 when answered, 0 when the caller answers `o` itself.
 */
static int
lookup_from_list(struct lookup *lk, lookup_cb *cb, void *arg,
    const char *domain, const struct lookup_outcome *o)
{
	const struct lookup_list *l = lk->conf.list;
	struct lookup_outcome lo = { LOOKUP_POLICY, LOOKUP_SRC_LIST, NULL,
	    NULL, NULL, o->dane };
	char detail[LOOKUP_DETAIL_MAX];
	unsigned char *buf = lk->lbuf;
	struct record_policy p;
	int rc = 1, testing = 0;

	/* Expired: kept for status and rollback checks, never applied. */
	if (l == NULL || !l->active || !lookup_list_eligible(o) ||
	    !lookup_domain_ok(domain) || lookup_now(lk) >= l->expires)
		return 0;
	if (lk->lbuf_busy && (buf = malloc(LISTSTORE_ENTRY_MAX)) == NULL)
		return 0;
	if (buf == lk->lbuf)
		lk->lbuf_busy = 1;
	if (!lookup_list_read(lk, domain, buf, &p))
		rc = 0;
	else if ((testing = p.mode == RECORD_MODE_TESTING) &&
	    !l->enforce_testing)
		lookup_list_testing(lk, cb, arg, domain, o);
	else {
		lk->st.list_hits++;
		lookup_list_policy(l, &p);
		snprintf(detail, sizeof(detail), "STARTTLS list entry%s; no "
		    "usable MTA-STS policy: %s", testing ? " in mode testing, "
		    "enforced (starttls_list_enforce_testing)" : "",
		    o->error != NULL ? o->error : "none");
		lo.policy = &p;
		lo.detail = detail;
		lookup_reply_raw(lk, cb, arg, domain, &lo);
	}
	if (buf == lk->lbuf)
		lk->lbuf_busy = 0;
	else
		free(buf);
	return rc;
}

/* A "no policy" or local-failure answer without a policy. */
static int
lookup_reply_error(struct lookup *lk, lookup_cb *cb, void *arg,
    const char *domain, enum lookup_status status, const char *error,
    const char *detail)
{
	struct lookup_outcome o = { status, LOOKUP_SRC_NONE, NULL, error,
	    detail, NULL };

	lookup_reply(lk, cb, arg, domain, &o);
	return LOOKUP_DONE;
}

/* ---- cache access ---- */

static void
lookup_cache_error(struct lookup *lk, const char *domain, const char *what,
    const char *why)
{
	lk->st.cache_errors++;
	lookup_event(lk, LOOKUP_EV_CACHE_ERROR, domain, what, why, NULL,
	    NULL);
}

/* A record that does not decode is a miss (docs/DESIGN.md §Cache):
 * drop it. */
static void
lookup_corrupt(struct lookup *lk, enum cache_db db, const char *domain,
    const char *why)
{
	lk->st.corrupt++;
	if (cache_del(lk->cache, db, domain, NULL) == CACHE_ERROR)
		lk->st.cache_errors++;
	lookup_event(lk, LOOKUP_EV_CORRUPT, domain,
	    db == CACHE_DB_POLICY ? "policy" : db == CACHE_DB_DANE ? "dane" :
	    "negative", why, NULL, NULL);
}

/* 1 found (decoded into *out, strings in buf), 0 miss, -1 error. */
static int
lookup_read_policy(struct lookup *lk, const char *domain, unsigned char *buf,
    struct record_policy *out)
{
	const char *why = NULL;

	switch (cache_get_policy(lk->cache, domain, buf, RECORD_POLICY_MAX,
	    out, &why)) {
	case CACHE_OK:
		return 1;
	case CACHE_NOTFOUND:
		return 0;
	case CACHE_CORRUPT:
		lookup_corrupt(lk, CACHE_DB_POLICY, domain, why);
		return 0;
	case CACHE_NEWER:
		return 0;	/* a newer mtastsd's: a miss, left alone */
	default:
		lookup_cache_error(lk, domain, "read", why);
		return -1;
	}
}

static int
lookup_read_negative(struct lookup *lk, const char *domain,
    unsigned char *buf, struct record_negative *out)
{
	const char *why = NULL;

	switch (cache_get_negative(lk->cache, domain, buf,
	    RECORD_NEGATIVE_MAX, out, &why)) {
	case CACHE_OK:
		return 1;
	case CACHE_NOTFOUND:
		return 0;
	case CACHE_CORRUPT:
		lookup_corrupt(lk, CACHE_DB_NEGATIVE, domain, why);
		return 0;
	case CACHE_NEWER:
		return 0;
	default:
		lookup_cache_error(lk, domain, "read", why);
		return -1;
	}
}

static enum lookup_dane
lookup_dane_of(enum dane_verdict v)
{
	switch (v) {
	case DANE_YES:
		return LOOKUP_DANE_YES;
	case DANE_ONLY:
		return LOOKUP_DANE_ONLY;
	case DANE_TEMP:
		return LOOKUP_DANE_TEMP;
	default:
		return LOOKUP_DANE_NONE;
	}
}

/* On the hot path: a bounded copy, not snprintf (measured: +1 µs). */
static void
lookup_dinfo_set(struct lookup_dinfo *di, int state, enum lookup_dane v,
    const char *why)
{
	size_t n = strnlen(why, sizeof(di->why) - 1);

	di->state = state;
	di->due = 0;
	di->cached = 0;
	di->v = v;
	memcpy(di->why, why, n);
	di->why[n] = '\0';
}

/*
 * The domain's cached DANE verdict into *di: state 1 when it may be
 * answered now (due: past 3/4 of its life), 0 when there is none or it
 * expired (or does not decode: deleted), -1 on a read error.
 */
static void
lookup_dane_read(struct lookup *lk, const char *domain, int64_t now,
    struct lookup_dinfo *di)
{
	const char *why = NULL;
	struct danerec r;
	size_t len = 0;

	di->state = 0;
	di->due = di->cached = 0;
	di->v = LOOKUP_DANE_NONE;
	di->why[0] = '\0';
	switch (cache_get(lk->cache, CACHE_DB_DANE, domain, lk->dbuf,
	    sizeof(lk->dbuf), &len, &why)) {
	case CACHE_OK:
		break;
	case CACHE_NOTFOUND:
		lookup_dinfo_set(di, 0, LOOKUP_DANE_NONE, "DANE not checked "
		    "yet");
		return;
	case CACHE_TOOSMALL:
		lookup_corrupt(lk, CACHE_DB_DANE, domain, "record too large");
		lookup_dinfo_set(di, 0, LOOKUP_DANE_NONE, "DANE not checked "
		    "yet");
		return;
	default:
		lookup_cache_error(lk, domain, "read", why);
		di->state = -1;
		return;
	}
	if (danerec_newer(lk->dbuf, len)) {
		/* A newer build's verdict: not ours to delete
		 * (store/danerec.h); a fresh check replaces it. */
		lookup_dinfo_set(di, 0, LOOKUP_DANE_NONE, "DANE verdict of a "
		    "newer format");
		return;
	}
	if (danerec_decode(lk->dbuf, len, &r, &why) != 0) {
		lookup_corrupt(lk, CACHE_DB_DANE, domain, why);
		lookup_dinfo_set(di, 0, LOOKUP_DANE_NONE, "DANE not checked "
		    "yet");
		return;
	}
	if (now >= r.expires_at || now < r.checked_at) {
		lookup_dinfo_set(di, 0, LOOKUP_DANE_NONE, "DANE verdict "
		    "expired");
		return;
	}
	lookup_dinfo_set(di, 1, lookup_dane_of((enum dane_verdict)r.verdict),
	    r.why_code != 0 ? dane_why_str(r.why_code) : r.why);
	di->cached = 1;
	di->due = now >= r.checked_at + (r.expires_at - r.checked_at) * 3 / 4;
}

/* The copy of a "dane" record that a policy record carries. */
static void
lookup_dane_summary(const struct danerec *r, struct record_dane *d)
{
	memset(d, 0, sizeof(*d));
	d->known = 1;
	d->verdict = (uint8_t)r->verdict;
	d->why = r->why_code != 0 ? r->why_code :
	    (uint8_t)dane_why_code(r->why);
	d->checked_at = r->checked_at;
	d->expires_at = r->expires_at;
}

/*
 * The copy for a policy about to be written: the stored "dane" record's
 * (none with dane = no, without a record, or on any error: the hot
 * path then reads the "dane" record itself).
 */
static void
lookup_dane_fold(struct lookup *lk, const char *domain, struct record_dane *d)
{
	struct danerec r;
	size_t len = 0;

	memset(d, 0, sizeof(*d));
	if (lk->conf.dane && cache_get(lk->cache, CACHE_DB_DANE, domain,
	    lk->dbuf, sizeof(lk->dbuf), &len, NULL) == CACHE_OK &&
	    danerec_decode(lk->dbuf, len, &r, NULL) == 0)
		lookup_dane_summary(&r, d);
}

/*
 * The hot path: the verdict from the policy's copy into *di.  0 when
 * there is none or it expired (the "dane" record decides then).
 */
static int
lookup_dane_copy(const struct record_policy *pol, int64_t now,
    struct lookup_dinfo *di)
{
	const struct record_dane *d = &pol->dane;

	if (!d->known || now >= d->expires_at || now < d->checked_at)
		return 0;
	lookup_dinfo_set(di, 1, (enum lookup_dane)d->verdict,
	    dane_why_str(d->why));
	di->cached = 1;
	di->due = now >= d->checked_at + (d->expires_at - d->checked_at) *
	    3 / 4;
	return 1;
}

/* How long a verdict may be answered (lookup.h). */
static int64_t
lookup_dane_life(const struct danechk_result *r)
{
	if (r->verdict == DANE_TEMP)
		return LOOKUP_DANE_LIFE_TEMP;
	if (r->ttl == 0)
		return LOOKUP_DANE_LIFE_NOREC;
	if (r->ttl < LOOKUP_DANE_LIFE_MIN)
		return LOOKUP_DANE_LIFE_MIN;
	return r->ttl > LOOKUP_DANE_LIFE_MAX ? LOOKUP_DANE_LIFE_MAX : r->ttl;
}

struct lookup_dane_put {
	const char	*domain;
	const unsigned char *val;
	size_t		 len;
	const struct record_policy *policy;	/* with the new copy, or NULL */
};

static void
lookup_dane_put_cb(struct cache_txn *txn, void *arg)
{
	const struct lookup_dane_put *p = arg;

	cache_txn_put(txn, CACHE_DB_DANE, p->domain, p->val, p->len);
	if (p->policy != NULL)
		cache_txn_put_policy(txn, p->domain, p->policy);
}

/* Store a check's verdict (a failed write still answers it). */
static void
lookup_dane_store(struct lookup *lk, const char *domain,
    const struct danechk_result *r)
{
	unsigned char buf[DANEREC_MAX], *pbuf;
	struct danerec rec;
	struct record_policy pol;
	struct lookup_dane_put p = { domain, buf, 0, NULL };
	const char *why = NULL;
	int64_t now = lookup_now(lk);
	ssize_t n;
	size_t i;

	memset(&rec, 0, sizeof(rec));
	rec.verdict = (enum danerec_verdict)r->verdict;
	rec.mx = (uint8_t)r->mx;
	rec.checked_at = now;
	rec.expires_at = now + lookup_dane_life(r);
	rec.ttl = r->ttl;
	/* The reason's code, not its text (danerec.h); a reason without
	 * a code (none today) is kept as text. */
	if ((rec.why_code = (uint8_t)dane_why_code(r->why)) == 0)
		rec.why = r->why;
	rec.nhosts = r->nhosts;
	for (i = 0; i < r->nhosts; i++) {
		rec.host[i].tlsa = (uint8_t)r->host[i].tlsa;
		rec.host[i].name = r->host[i].name;
	}
	if ((n = danerec_encode(&rec, buf, sizeof(buf), &why)) < 0) {
		lookup_cache_error(lk, domain, "write", why);
		return;
	}
	p.len = (size_t)n;
	/* The cached policy's copy changes with it (one read when hot).
	 * Without the buffer the copy is left as it is: the hot path reads
	 * the "dane" record when the copy expires. */
	if ((pbuf = malloc(RECORD_POLICY_MAX)) != NULL &&
	    lookup_read_policy(lk, domain, pbuf, &pol) == 1) {
		lookup_dane_summary(&rec, &pol.dane);
		p.policy = &pol;
	}
	if (cache_write(lk->cache, lookup_dane_put_cb, &p, &why) != CACHE_OK)
		lookup_cache_error(lk, domain, "write", why);
	free(pbuf);
}

/* One write transaction: what a job's outcome stores. */
struct lookup_write {
	const char			*domain;
	struct record_policy		*policy;	/* put, or NULL */
	const struct record_negative	*negative;	/* put, or NULL */
	int				 del_negative;
};

/* Only describes the writes: cache_write() may run it twice. */
static void
lookup_write_cb(struct cache_txn *txn, void *arg)
{
	const struct lookup_write *w = arg;

	if (w->policy != NULL)
		cache_txn_put_policy(txn, w->domain, w->policy);
	if (w->negative != NULL)
		cache_txn_put_negative(txn, w->domain, w->negative);
	if (w->del_negative)
		(void)cache_txn_del(txn, CACHE_DB_NEGATIVE, w->domain);
}

/* cache_sweep callback: every record goes (room for a policy). */
static int
lookup_evict_cb(enum cache_db db, const char *key, const void *val,
    size_t len, void *arg)
{
	(void)db;
	(void)key;
	(void)arg;
	return !record_newer(val, len);
}

/*
 * A policy that finds the map full (cache_map_max) takes the room of
 * negative entries: they cost one more discovery when lost, a policy
 * lost costs its protection.  The victims follow the domain's key, a
 * spread that needs no state.  A negative entry never takes a policy's
 * room: its write just fails.
 */
static enum cache_result
lookup_make_room(struct lookup *lk, const char *domain)
{
	char from[CACHE_KEY_MAX + 1];
	size_t del = 0, del2 = 0;
	enum cache_result r;

	snprintf(from, sizeof(from), "%s", domain);
	r = cache_sweep(lk->cache, CACHE_DB_NEGATIVE, from, LOOKUP_EVICT,
	    lookup_evict_cb, NULL, NULL, &del, NULL);
	if (r == CACHE_OK && del < LOOKUP_EVICT && from[0] == '\0')
		r = cache_sweep(lk->cache, CACHE_DB_NEGATIVE, from,
		    LOOKUP_EVICT - del, lookup_evict_cb, NULL, NULL, &del2,
		    NULL);
	lk->st.evicted += del + del2;
	return r == CACHE_OK && del + del2 > 0 ? CACHE_OK : CACHE_FULL;
}

static void
lookup_write(struct lookup *lk, const struct lookup_write *w)
{
	const char *why = NULL;
	enum cache_result r;

	if (w->policy != NULL)
		lookup_dane_fold(lk, w->domain, &w->policy->dane);
	r = cache_write(lk->cache, lookup_write_cb, (void *)w, &why);
	if (r == CACHE_FULL && w->policy != NULL &&
	    lookup_make_room(lk, w->domain) == CACHE_OK)
		r = cache_write(lk->cache, lookup_write_cb, (void *)w, &why);
	if (r != CACHE_OK)
		lookup_cache_error(lk, w->domain, "write", why);
}

/* ---- jobs ---- */

static struct lookup_chain *
lookup_slot(struct lookup *lk, uint64_t h)
{
	return &lk->bucket[h & (LOOKUP_BUCKETS - 1)];
}

static struct lookup_job *
lookup_job_find(struct lookup *lk, const char *domain, uint64_t h)
{
	struct lookup_job *job;

	LIST_FOREACH(job, lookup_slot(lk, h), hentry)
		if (job->hash == h && strcmp(job->domain, domain) == 0)
			return job;
	return NULL;
}

/* ---- quotas (lookup.h) ---- */

struct lookup_quota *
lookup_quota_new(unsigned max)
{
	struct lookup_quota *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->max = max;
	q->refs = 1;
	return q;
}

void
lookup_quota_unref(struct lookup_quota *q)
{
	if (q != NULL && --q->refs == 0)
		free(q);
}

/* lookup_quota_cap: most jobs with a quota at once (lookup.h). */
static size_t
lookup_quota_cap(const struct lookup *lk)
{
	size_t half = lk->conf.max_pending / 2;

	if (lk->conf.max_quota_pending == 0 ||
	    lk->conf.max_quota_pending > half)
		return half;
	return lk->conf.max_quota_pending;
}

/* lookup_overload_count: count an overload by `which` limit (rare:
 * the name is looked up). */
static void
lookup_overload_count(struct lookup *lk, const char *which)
{
	size_t i;

	lk->st.overload++;
	for (i = 0; i < LOOKUP_NLIMIT; i++)
		if (strcmp(which, lookup_limits[i]) == 0)
			lk->st.overloads[i]++;
}

/*
 * lookup_overload: a limit refused work: count it and tell the daemon
 * (which rate-limits its log); `which` names the limit.
 */
static void
lookup_overload(struct lookup *lk, const char *domain, const char *which)
{
	lookup_overload_count(lk, which);
	lookup_event(lk, LOOKUP_EV_OVERLOAD, domain, which, NULL, NULL, NULL);
}

/* lookup_job_quota: the job counts against q until it ends. */
static void
lookup_job_quota(struct lookup_job *job, struct lookup_quota *q)
{
	if (q == NULL)
		return;
	job->quota = q;
	q->refs++;
	q->used++;
	if (!q->mta)
		job->lk->nquota++;
}

static struct lookup_job *
lookup_job_new(struct lookup *lk, const char *domain, uint64_t h,
    int refresh)
{
	struct lookup_job *job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return NULL;
	job->lk = lk;
	memcpy(job->domain, domain, strlen(domain) + 1);
	job->hash = h;
	job->refresh = refresh;
	TAILQ_INIT(&job->waiters);
	LIST_INSERT_HEAD(lookup_slot(lk, h), job, hentry);
	lk->njobs++;
	if (refresh)
		lk->nrefresh++;
	return job;
}

/* Leave the table (and the counts); the job may still be answering. */
static void
lookup_job_unlink(struct lookup_job *job)
{
	struct lookup *lk = job->lk;

	LIST_REMOVE(job, hentry);
	lk->njobs--;
	if (job->refresh)
		lk->nrefresh--;
	if (job->quota != NULL) {
		job->quota->used--;
		if (!job->quota->mta)
			lk->nquota--;
		lookup_quota_unref(job->quota);
		job->quota = NULL;
	}
}

static void
lookup_waiter_unlink(struct lookup_req *w)
{
	struct lookup_job *job = w->job;

	TAILQ_REMOVE(&job->waiters, w, entry);
	job->nwaiters--;
	job->lk->st.in_flight--;
}

/* Free a waiter that is no longer linked; no callback. */
static void
lookup_waiter_free(struct lookup_req *w)
{
	/* Also from the timer's own callback: libevent 2.1 does not touch
	 * a non-persistent timer after calling its callback. */
	if (w->timer != NULL)
		event_free(w->timer);
	free(w);
}

/*
 * The job is over: leave the table first (a callback asking for the
 * same domain starts a new job), answer every waiter in arrival order,
 * free.  A callback may cancel waiters still queued here.
 */
static void
lookup_job_finish(struct lookup_job *job, const struct lookup_outcome *o)
{
	struct lookup *lk = job->lk;
	struct lookup_outcome out = *o;
	struct lookup_req *w;
	lookup_cb *cb;
	void *arg;

	if (job->dane.state != 1 && job->dane.why[0] == '\0')
		lookup_dinfo_set(&job->dane, 0, LOOKUP_DANE_NONE,
		    "DANE not checked");
	out.dane = &job->dane;
	lookup_job_unlink(job);
	while ((w = TAILQ_FIRST(&job->waiters)) != NULL) {
		lookup_waiter_unlink(w);
		cb = w->cb;
		arg = w->arg;
		lookup_waiter_free(w);
		lookup_reply(lk, cb, arg, job->domain, &out);
	}
	resolve_cancel(job->rreq);
	danechk_cancel(job->dck);
	free(job->sv_pol);
	free(job);
}

/*
 * A job without an MTA-STS part ended (its DANE check did): answer
 * each waiter from the cache again, with the job's verdict, never
 * waiting again (a handle the caller holds is gone after this).
 */
static void
lookup_job_redecide(struct lookup_job *job)
{
	struct lookup *lk = job->lk;
	struct lookup_req *w;
	lookup_cb *cb;
	void *arg;

	lookup_job_unlink(job);
	while ((w = TAILQ_FIRST(&job->waiters)) != NULL) {
		lookup_waiter_unlink(w);
		cb = w->cb;
		arg = w->arg;
		lookup_waiter_free(w);
		(void)lookup_query_do(lk, job->domain, 0, NULL, cb, arg, NULL,
		    &job->dane);
	}
	danechk_cancel(job->dck);
	free(job->sv_pol);
	free(job);
}

/* Keep the MTA-STS outcome until the DANE check ends.  -1: memory. */
static int
lookup_job_save(struct lookup_job *job, const struct lookup_outcome *o)
{
	ssize_t n;
	size_t need;

	job->sv_status = o->status;
	job->sv_source = o->source;
	snprintf(job->sv_error, sizeof(job->sv_error), "%s",
	    o->error != NULL ? o->error : "");
	snprintf(job->sv_detail, sizeof(job->sv_detail), "%s",
	    o->detail != NULL ? o->detail : "");
	if (o->policy != NULL) {
		if ((need = record_policy_size(o->policy)) == 0 ||
		    (job->sv_pol = malloc(need)) == NULL ||
		    (n = record_policy_encode(o->policy, job->sv_pol, need,
		    NULL)) < 0)
			return -1;
		job->sv_pol_len = (size_t)n;
	}
	job->saved = 1;
	return 0;
}

/* The saved MTA-STS outcome into *o (its policy decoded into *p). */
static void
lookup_job_saved(const struct lookup_job *job, struct lookup_outcome *o,
    struct record_policy *p)
{
	memset(o, 0, sizeof(*o));
	o->status = job->sv_status;
	o->source = job->sv_source;
	o->error = job->sv_error[0] != '\0' ? job->sv_error : NULL;
	o->detail = job->sv_detail;
	if (job->sv_pol != NULL) {
		if (record_policy_decode(job->sv_pol, job->sv_pol_len, p,
		    NULL) == 0)
			o->policy = p;
		else {
			o->status = LOOKUP_TEMP;
			o->error = "memory";
		}
	}
}

/* Both parts are over: answer with the saved MTA-STS outcome. */
static void
lookup_job_saved_finish(struct lookup_job *job)
{
	struct lookup_outcome o;
	struct record_policy p;

	lookup_job_saved(job, &o, &p);
	lookup_job_finish(job, &o);
}

/* The MTA-STS part ended with `o`: finish, or wait for DANE. */
static void
lookup_job_sts_done(struct lookup_job *job, const struct lookup_outcome *o)
{
	struct lookup_outcome t;

	if (job->dck == NULL) {
		lookup_job_finish(job, o);
		return;
	}
	if (lookup_job_save(job, o) == -1) {
		t = *o;
		t.status = LOOKUP_TEMP;
		t.policy = NULL;
		t.error = "memory";
		t.detail = "cannot keep the outcome for the DANE check";
		lookup_job_finish(job, &t);
	}
}

/* Start the job's DANE check unless one runs or a verdict is known. */
static int
lookup_job_dane(struct lookup_job *job)
{
	struct lookup *lk = job->lk;

	if (!lk->conf.dane || job->dck != NULL || job->dane.state == 1)
		return 0;
	if ((job->dck = danechk_start(lk->dns, job->domain, lookup_on_dane,
	    job)) == NULL)
		return -1;
	lk->st.dane_checks++;
	return 0;
}

static void
lookup_on_dane(const struct danechk_result *r, void *arg)
{
	struct lookup_job *job = arg;
	struct lookup *lk = job->lk;

	job->dck = NULL;
	lookup_dane_store(lk, job->domain, r);
	lookup_dinfo_set(&job->dane, 1, lookup_dane_of(r->verdict), r->why);
	if (job->rreq != NULL)
		return;		/* the MTA-STS part goes on */
	if (job->saved)
		lookup_job_saved_finish(job);
	else
		lookup_job_redecide(job);
}

/* Drop a job without answering anyone (lookup_free, failed starts). */
static void
lookup_job_drop(struct lookup_job *job)
{
	struct lookup_req *w;

	lookup_job_unlink(job);
	while ((w = TAILQ_FIRST(&job->waiters)) != NULL) {
		lookup_waiter_unlink(w);
		lookup_waiter_free(w);
	}
	resolve_cancel(job->rreq);
	danechk_cancel(job->dck);
	free(job->sv_pol);
	free(job);
}

static int
lookup_job_start(struct lookup_job *job, enum lookup_phase phase)
{
	struct lookup *lk = job->lk;

	job->phase = phase;
	job->sts = 1;
	if (phase == LOOKUP_PHASE_TXT)
		job->rreq = resolve_start_txt(lk->rs, job->domain,
		    lookup_on_resolve, job);
	else
		job->rreq = resolve_start(lk->rs, job->domain,
		    lookup_on_resolve, job);
	return job->rreq != NULL ? 0 : -1;
}

/* ---- job outcomes (refresh.h rules 3 and 4) ---- */

/* What a failed resolve means for refresh_on_txt(). */
static enum refresh_txt
lookup_txt_outcome(enum resolve_err e)
{
	switch (e) {
	case RESOLVE_OK:
		return REFRESH_TXT_FOUND;
	case RESOLVE_DNS_TIMEOUT:
	case RESOLVE_DNS_SERVFAIL:
		/* No answer proves nothing (refresh.h rule 3). */
		return REFRESH_TXT_ERROR;
	default:
		/* txt-none, txt-multiple, txt-invalid: no usable record. */
		return REFRESH_TXT_NONE;
	}
}

/* The negative reason of a failure after the TXT step. */
static enum record_reason
lookup_fetch_reason(enum resolve_err e)
{
	switch (e) {
	case RESOLVE_POLICY_INVALID:
		return RECORD_NEG_POLICY_INVALID;
	case RESOLVE_DNS_TIMEOUT:
	case RESOLVE_DNS_SERVFAIL:
		/* mta-sts.<domain> A/AAAA without an answer: a DNS error,
		 * never "no record" (docs/DESIGN.md §Failures). */
		return RECORD_NEG_DNS_ERROR;
	default:
		/* host-none and https-*: the policy host failed us. */
		return RECORD_NEG_FETCH_ERROR;
	}
}

static enum record_mode
lookup_mode(enum stspol_mode m)
{
	switch (m) {
	case STSPOL_MODE_ENFORCE:
		return RECORD_MODE_ENFORCE;
	case STSPOL_MODE_TESTING:
		return RECORD_MODE_TESTING;
	default:
		return RECORD_MODE_NONE;
	}
}

_Static_assert(STSPOL_MX_MAX <= RECORD_MX_MAX &&
    STSPOL_MAX_SIZE <= RECORD_MX_BYTES_MAX,
    "a record holds every mx list a policy body can carry");

/* A discovered policy as a record; strings borrowed from `res`. */
static void
lookup_policy_from(const struct resolve_result *res, struct record_policy *p)
{
	const struct stspol *sp = res->policy;
	size_t i;

	record_policy_clear(p);
	p->mode = lookup_mode(sp->mode);
	p->max_age = sp->max_age;
	p->id = res->rec->id;
	/* Every parsed policy fits a record (stspol.h and record.h limits):
	 * nothing is cut off here. */
	p->nmx = sp->nmx;
	for (i = 0; i < p->nmx; i++)
		p->mx[i] = stspol_mx(sp, i);
	/* The body as fetched, for "mtasts cache list"; a valid policy
	 * has no NUL and is at most 64 KiB (stspol), but check. */
	if (res->body != NULL && res->body_len <= RECORD_TEXT_MAX &&
	    memchr(res->body, '\0', res->body_len) == NULL) {
		p->text = res->body;
		p->text_len = res->body_len;
	}
}

/*
 * A fresh policy: store it, with its history continued from `old` (the
 * policy cached before, or NULL), drop the negative entry, answer it.
 */
static void
lookup_store_fetched(struct lookup_job *job, const struct resolve_result *res,
    const struct record_policy *old, int64_t now, struct record_policy *p,
    struct lookup_outcome *o)
{
	struct lookup *lk = job->lk;
	struct lookup_write w = { job->domain, p, NULL, 1 };

	lookup_policy_from(res, p);
	refresh_on_fetch_success(p, now);
	refresh_history(old, p, now);
	/* A failed write still answers what was discovered. */
	lookup_write(lk, &w);
	lookup_event(lk, LOOKUP_EV_STORED, job->domain, "ok", res->detail, p,
	    NULL);
	o->status = LOOKUP_POLICY;
	o->source = LOOKUP_SRC_DISCOVERY;
	o->policy = p;
}

/* KEEP: the cached policy stays, with the failure counted. */
static void
lookup_keep_failed(struct lookup_job *job, const char *code,
    const char *detail, struct record_policy *upd, struct lookup_outcome *o)
{
	struct lookup *lk = job->lk;
	struct lookup_write w = { job->domain, upd, NULL, 0 };

	upd->last_error = code;
	lookup_write(lk, &w);
	lk->st.refresh_failures++;
	lookup_event(lk, LOOKUP_EV_REFRESH_FAILED, job->domain, code, detail,
	    upd, NULL);
	o->status = LOOKUP_POLICY;
	o->source = LOOKUP_SRC_CACHE;
	o->policy = upd;
}

/* NOPOLICY: a negative entry continuing the previous run, if any. */
static void
lookup_store_negative(struct lookup_job *job, enum record_reason reason,
    const char *code, const char *detail, struct lookup_outcome *o)
{
	struct lookup *lk = job->lk;
	unsigned char buf[RECORD_NEGATIVE_MAX];
	struct record_negative prev, neg;
	struct lookup_write w = { job->domain, NULL, &neg, 0 };
	int have;

	have = lookup_read_negative(lk, job->domain, buf, &prev) == 1;
	neg = refresh_negative(have ? &prev : NULL, reason, code,
	    lookup_now(lk), &lk->conf.refresh);
	if (neg.retry_at <= neg.last_at) {
		/* TTL 0: not cached; nor may an older entry answer. */
		w.negative = NULL;
		w.del_negative = 1;
	}
	lookup_write(lk, &w);
	lookup_event(lk, LOOKUP_EV_NEGATIVE, job->domain, code, detail, NULL,
	    &neg);
	o->status = LOOKUP_NONE;
	o->source = LOOKUP_SRC_DISCOVERY;
	o->error = code;
	o->detail = detail;
}

/* A full resolve (discovery or refetch) failed at some step. */
static void
lookup_full_failed(struct lookup_job *job, const struct resolve_result *res,
    const struct record_policy *old, int64_t now, struct record_policy *upd,
    struct lookup_outcome *o)
{
	const struct refresh_conf *c = &job->lk->conf.refresh;
	const char *code = resolve_code(res->err);
	enum refresh_action act;
	enum record_reason reason;
	enum refresh_txt t;

	if (res->rec == NULL) {
		/* The TXT step itself failed (refresh.h rule 3). */
		t = lookup_txt_outcome(res->err);
		act = refresh_on_txt(old, now, t, NULL, c, upd);
		reason = refresh_txt_reason(t);
	} else {
		act = refresh_on_fetch_failure(old, now, c, upd);
		reason = lookup_fetch_reason(res->err);
	}
	if (act == REFRESH_KEEP)
		lookup_keep_failed(job, code, res->detail, upd, o);
	else
		lookup_store_negative(job, reason, code, res->detail, o);
}

/* A TXT re-check ended (refresh.h rule 3).  1: the job goes on. */
static int
lookup_txt_done(struct lookup_job *job, const struct resolve_result *res,
    const struct record_policy *old, int64_t now, struct record_policy *upd,
    struct lookup_outcome *o)
{
	struct lookup *lk = job->lk;
	struct lookup_write w = { job->domain, upd, NULL, 0 };
	enum refresh_txt t = lookup_txt_outcome(res->err);
	const char *code = resolve_code(res->err);

	switch (refresh_on_txt(old, now, t, res->rec != NULL ?
	    res->rec->id : NULL, &lk->conf.refresh, upd)) {
	case REFRESH_FETCH:
		/* §3: the id changed (or nothing valid is cached). */
		if (lookup_job_start(job, LOOKUP_PHASE_FULL) == 0)
			return 1;
		o->status = LOOKUP_TEMP;
		o->error = "memory";
		o->detail = "cannot start the policy fetch";
		return 0;
	case REFRESH_KEEP:
		if (t != REFRESH_TXT_FOUND) {
			lookup_keep_failed(job, code, res->detail, upd, o);
			return 0;
		}
		lookup_write(lk, &w);	/* same id: txt_checked_at */
		o->status = LOOKUP_POLICY;
		o->source = LOOKUP_SRC_CACHE;
		o->policy = upd;
		return 0;
	default:
		lookup_store_negative(job, refresh_txt_reason(t), code,
		    res->detail, o);
		return 0;
	}
}

/*
 * Our resolve request ended.  Re-read the cached policy (the decision
 * is made on what is stored now, not on what was there when the job
 * started), apply refresh.h, write, answer.
 */
static void
lookup_on_resolve(const struct resolve_result *res, void *arg)
{
	struct lookup_job *job = arg;
	struct lookup *lk = job->lk;
	struct record_policy old, upd, fresh;
	struct lookup_outcome o = { LOOKUP_NONE, LOOKUP_SRC_DISCOVERY, NULL,
	    NULL, NULL, NULL };
	const struct record_policy *oldp;
	int64_t now = lookup_now(lk);

	job->rreq = NULL;
	if ((unsigned)res->err <= RESOLVE_POLICY_INVALID) {
		lk->st.by_error[res->err]++;
		lk->st.runs[job->phase == LOOKUP_PHASE_TXT ? LOOKUP_RUN_TXT :
		    job->refresh ? LOOKUP_RUN_REFETCH : LOOKUP_RUN_DISCOVERY]
		    [res->err]++;
	}
	/* A read error counts as "nothing cached": a negative entry never
	 * hides a valid policy (refresh.h rule 2), so this is safe. */
	oldp = lookup_read_policy(lk, job->domain, lk->jbuf, &old) == 1 ?
	    &old : NULL;
	if (job->phase == LOOKUP_PHASE_TXT) {
		if (lookup_txt_done(job, res, oldp, now, &upd, &o))
			return;
	} else if (res->err == RESOLVE_OK && res->policy != NULL &&
	    res->rec != NULL) {
		lookup_store_fetched(job, res, oldp, now, &fresh, &o);
		if (oldp != NULL)
			lk->st.policies_replaced++;
		else
			lk->st.policies_new++;
	} else
		lookup_full_failed(job, res, oldp, now, &upd, &o);
	if (oldp != NULL && o.status != LOOKUP_POLICY)
		lk->st.policies_expired++;
	lookup_job_sts_done(job, &o);
}

/* ---- waiting callers ---- */

static void
lookup_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct lookup_req *w = arg;
	struct lookup_job *job = w->job;
	struct lookup *lk = job->lk;
	struct lookup_outcome o = { LOOKUP_NONE, LOOKUP_SRC_NONE, NULL,
	    "deadline", "no answer within the lookup wait; discovery goes on",
	    NULL };
	struct lookup_dinfo di = job->dane;
	struct record_policy p;
	char domain[LOOKUP_NAME_MAX + 1];
	lookup_cb *cb = w->cb;
	void *cbarg = w->arg;
	int sts = job->sts;

	(void)fd;
	(void)what;
	memcpy(domain, job->domain, sizeof(domain));
	lookup_waiter_unlink(w);
	lookup_waiter_free(w);
	if (di.state != 1)
		lookup_dinfo_set(&di, 0, LOOKUP_DANE_NONE, "the DANE check did "
		    "not end within the lookup wait");
	/* MTA-STS is known, only DANE is late: today's answer. */
	if (job->saved) {
		lookup_job_saved(job, &o, &p);
		o.dane = &di;
		lookup_reply(lk, cb, cbarg, domain, &o);
		return;
	}
	lk->st.deadline++;
	/* Only DANE was missing: the cached MTA-STS answer, as it is. */
	if (!sts) {
		(void)lookup_query_do(lk, domain, 0, NULL, cb, cbarg, NULL,
		    &di);
		return;
	}
	/* The job goes on and fills the cache for the next lookup. */
	o.dane = &di;
	lookup_reply(lk, cb, cbarg, domain, &o);
}

static int
lookup_wait(struct lookup_job *job, int wait, lookup_cb *cb, void *arg,
    struct lookup_req **reqp)
{
	struct lookup *lk = job->lk;
	struct lookup_req *w;
	struct timeval tv;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->timer = evtimer_new(lk->base, lookup_on_deadline, w)) ==
	    NULL) {
		free(w);
		return lookup_reply_error(lk, cb, arg, job->domain,
		    LOOKUP_TEMP, "memory", "cannot queue the lookup");
	}
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	/* libevent counts from the time cached at the start of this loop
	 * turn; the wait starts now. */
	event_base_update_cache_time(lk->base);
	evtimer_add(w->timer, &tv);
	w->job = job;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&job->waiters, w, entry);
	job->nwaiters++;
	lk->st.in_flight++;
	if (reqp != NULL)
		*reqp = w;
	return LOOKUP_PENDING;
}

/*
 * lookup_room: may a new discovery start for a caller with quota q
 * (NULL: none)?  NULL when it may, else the name of the limit.
 */
static const char *
lookup_room(const struct lookup *lk, const struct lookup_quota *q)
{
	if (lk->njobs >= lk->conf.max_pending)
		return "max_pending";
	if (q == NULL)
		return NULL;
	if (!q->mta && lk->nquota >= lookup_quota_cap(lk))
		return "quota";
	if (q->used >= q->max)
		return "client-quota";
	return NULL;
}

/* An error or "no policy yet" answer, with what is known of DANE. */
static int
lookup_reply_known(struct lookup *lk, lookup_cb *cb, void *arg,
    const char *domain, enum lookup_status status, const char *error,
    const char *detail, const struct lookup_dinfo *di)
{
	struct lookup_outcome o = { status, LOOKUP_SRC_NONE, NULL, error,
	    detail, di };

	lookup_reply(lk, cb, arg, domain, &o);
	return LOOKUP_DONE;
}

/*
 * No valid policy, no fresh negative entry: join or start discovery,
 * and the DANE check when `di` has no verdict (in parallel, one job).
 */
static int
lookup_discover(struct lookup *lk, const char *domain, uint64_t h, int wait,
    struct lookup_quota *q, lookup_cb *cb, void *arg,
    struct lookup_req **reqp, const struct lookup_dinfo *di)
{
	struct lookup_job *job;
	const char *full;

	lk->st.cache_misses++;
	if ((job = lookup_job_find(lk, domain, h)) == NULL) {
		if ((full = lookup_room(lk, q)) != NULL) {
			lookup_overload(lk, domain, full);
			return lookup_reply_known(lk, cb, arg, domain,
			    LOOKUP_NONE, "overload", "too many domains in "
			    "discovery; nothing started", di);
		}
		if ((job = lookup_job_new(lk, domain, h, 0)) == NULL)
			return lookup_reply_error(lk, cb, arg, domain,
			    LOOKUP_TEMP, "memory", "cannot start discovery");
		if (di->state == 1)
			job->dane = *di;
		if (lookup_job_start(job, LOOKUP_PHASE_FULL) == -1 ||
		    lookup_job_dane(job) == -1) {
			lookup_job_drop(job);
			return lookup_reply_error(lk, cb, arg, domain,
			    LOOKUP_TEMP, "memory", "cannot start discovery");
		}
		lookup_job_quota(job, q);
		lk->st.discoveries++;
	} else if ((job->rreq == NULL && !job->saved &&
	    lookup_job_start(job, LOOKUP_PHASE_FULL) == -1) ||
	    (di->state != 1 && lookup_job_dane(job) == -1))
		/* A DANE-only job gets its discovery; a discovery its
		 * DANE check. */
		return lookup_reply_error(lk, cb, arg, domain, LOOKUP_TEMP,
		    "memory", "cannot start discovery");
	if (wait == 0) {
		lk->st.deadline++;
		return lookup_reply_known(lk, cb, arg, domain, LOOKUP_NONE,
		    "deadline", "not cached; discovery runs in the background",
		    di);
	}
	if (job->nwaiters >= lk->conf.max_waiters) {
		lookup_overload(lk, domain, "max_waiters");
		return lookup_reply_known(lk, cb, arg, domain, LOOKUP_NONE,
		    "overload", "too many callers wait for this domain", di);
	}
	return lookup_wait(job, wait, cb, arg, reqp);
}

/*
 * The MTA-STS answer is cached but the DANE verdict is not: wait for
 * a DANE check (joined or started), then decide again (lookup.c top).
 * When that cannot be, the cached answer goes out with what is known.
 */
static int
lookup_dane_wait(struct lookup *lk, const char *domain, uint64_t h, int wait,
    lookup_cb *cb, void *arg, struct lookup_req **reqp)
{
	struct lookup_dinfo di;
	struct lookup_job *job;
	const char *why = NULL;

	if ((job = lookup_job_find(lk, domain, h)) == NULL) {
		if (lk->njobs >= lk->conf.max_pending) {
			lookup_overload_count(lk, "max_pending");
			why = "overload: too many domains in discovery";
		} else if ((job = lookup_job_new(lk, domain, h, 0)) == NULL ||
		    lookup_job_dane(job) == -1) {
			if (job != NULL)
				lookup_job_drop(job);
			job = NULL;
			why = "memory: cannot start the DANE check";
		}
	} else if (job->dane.state == 1 && job->dck == NULL)
		/* Checked, the MTA-STS part still runs: use it. */
		return lookup_query_do(lk, domain, 0, NULL, cb, arg, NULL,
		    &job->dane);
	else if (lookup_job_dane(job) == -1)
		why = "memory: cannot start the DANE check";
	if (why == NULL && wait == 0)
		why = "the DANE check runs in the background";
	if (why == NULL && job->nwaiters >= lk->conf.max_waiters) {
		lookup_overload_count(lk, "max_waiters");
		why = "overload: too many callers wait for this domain";
	}
	if (why != NULL) {
		lookup_dinfo_set(&di, 0, LOOKUP_DANE_NONE, why);
		return lookup_query_do(lk, domain, 0, NULL, cb, arg, NULL,
		    &di);
	}
	return lookup_wait(job, wait, cb, arg, reqp);
}

/* A valid verdict past 3/4 of its life: re-check in the background. */
static void
lookup_dane_refresh(struct lookup *lk, const char *domain, uint64_t h)
{
	struct lookup_job *job;

	if (lookup_job_find(lk, domain, h) != NULL)
		return;		/* a later lookup tries again */
	if (lk->nrefresh >= lk->conf.max_refreshes ||
	    lk->njobs >= lk->conf.max_pending) {
		lk->st.refresh_skipped++;
		return;
	}
	if ((job = lookup_job_new(lk, domain, h, 1)) == NULL)
		return;
	if (lookup_job_dane(job) == -1)
		lookup_job_drop(job);
}

/* ANSWER_RECHECK / ANSWER_REFETCH: one background job, if allowed. */
static void
lookup_refresh(struct lookup *lk, const char *domain, uint64_t h,
    enum lookup_phase phase)
{
	struct lookup_job *job;

	if (lookup_job_find(lk, domain, h) != NULL)
		return;		/* already refreshing */
	if (lk->nrefresh >= lk->conf.max_refreshes ||
	    lk->njobs >= lk->conf.max_pending) {
		lk->st.refresh_skipped++;
		lookup_overload(lk, domain, lk->njobs >= lk->conf.max_pending ?
		    "max_pending" : "max_refreshes");
		return;		/* a later lookup tries again */
	}
	if ((job = lookup_job_new(lk, domain, h, 1)) == NULL)
		return;
	if (lookup_job_start(job, phase) == -1) {
		lookup_job_drop(job);
		return;
	}
	lk->st.refreshes++;
}

static int
lookup_reply_negative(struct lookup *lk, const char *domain,
    const struct record_negative *neg, int64_t now, lookup_cb *cb, void *arg,
    const struct lookup_dinfo *di)
{
	struct lookup_outcome o = { LOOKUP_NONE, LOOKUP_SRC_NEGATIVE, NULL,
	    NULL, NULL, di };
	char detail[LOOKUP_DETAIL_MAX];

	lk->st.negative_hits++;
	snprintf(detail, sizeof(detail), "cached %s, %lld s left",
	    record_reason_str(neg->reason), (long long)(neg->retry_at - now));
	o.error = neg->code[0] != '\0' ? neg->code :
	    record_reason_str(neg->reason);
	o.detail = detail;
	lookup_reply(lk, cb, arg, domain, &o);
	return LOOKUP_DONE;
}

/*
 * Read what is cached and follow refresh_lookup() (rule 2).  With
 * DANE on, the "dane" record is read first, unless `dover` gives the
 * verdict (a job's, when it answers its waiters).
 */
static int
lookup_decide(struct lookup *lk, const char *domain, unsigned char *buf,
    int wait, struct lookup_quota *q, lookup_cb *cb, void *arg,
    struct lookup_req **reqp, const struct lookup_dinfo *dover)
{
	struct lookup_outcome o = { LOOKUP_POLICY, LOOKUP_SRC_CACHE, NULL,
	    NULL, NULL, NULL };
	unsigned char nbuf[RECORD_NEGATIVE_MAX];
	struct lookup_dinfo di;
	struct record_policy pol;
	struct record_negative neg;
	int64_t now = lookup_now(lk);
	uint64_t h = lookup_hash(lk, domain);
	enum refresh_step step;
	int hp, hn = 0, need;

	hp = lookup_read_policy(lk, domain, buf, &pol);
	if (dover != NULL)
		di = *dover;
	else if (!lk->conf.dane)
		lookup_dinfo_set(&di, 1, LOOKUP_DANE_NONE, "DANE is off");
	else if (hp != 1 || !lookup_dane_copy(&pol, now, &di))
		lookup_dane_read(lk, domain, now, &di);
	if (di.state == -1)
		return lookup_reply_error(lk, cb, arg, domain, LOOKUP_TEMP,
		    "cache-error", "cannot read the cache");
	/* A job answering its waiters never waits again. */
	need = di.state == 0 && dover == NULL;
	if (di.due && dover == NULL)
		lookup_dane_refresh(lk, domain, h);
	o.dane = &di;

	if (hp == 1 && refresh_policy_valid(&pol, now))
		hn = 0;		/* a valid policy wins: skip the read */
	else if (hp == -1 ||
	    (hn = lookup_read_negative(lk, domain, nbuf, &neg)) == -1)
		return lookup_reply_error(lk, cb, arg, domain, LOOKUP_TEMP,
		    "cache-error", "cannot read the cache");
	step = refresh_lookup(hp == 1 ? &pol : NULL, hn == 1 ? &neg : NULL,
	    now, lookup_jitter(lk, h), &lk->conf.refresh);
	if (step == REFRESH_DISCOVER) {
		if (dover != NULL)
			wait = 0;
		return lookup_discover(lk, domain, h, wait, q, cb, arg, reqp,
		    &di);
	}
	/* A cached answer waits for the DANE verdict it lacks. */
	if (need)
		return lookup_dane_wait(lk, domain, h, wait, cb, arg, reqp);
	if (step == REFRESH_NEGATIVE)
		return lookup_reply_negative(lk, domain, &neg, now, cb, arg,
		    &di);
	if (step == REFRESH_ANSWER_RECHECK)
		lookup_refresh(lk, domain, h, LOOKUP_PHASE_TXT);
	else if (step == REFRESH_ANSWER_REFETCH)
		lookup_refresh(lk, domain, h, LOOKUP_PHASE_FULL);
	lk->st.cache_hits++;
	o.policy = &pol;
	lookup_reply(lk, cb, arg, domain, &o);
	return LOOKUP_DONE;
}

/* ---- public ---- */

int
lookup_query(struct lookup *lk, const char *domain, int wait, lookup_cb *cb,
    void *arg, struct lookup_req **reqp)
{
	return lookup_query_quota(lk, domain, wait, NULL, cb, arg, reqp);
}

int
lookup_query_quota(struct lookup *lk, const char *domain, int wait,
    struct lookup_quota *quota, lookup_cb *cb, void *arg,
    struct lookup_req **reqp)
{
	if (reqp != NULL)
		*reqp = NULL;
	lk->st.queries++;
	if (!lookup_domain_ok(domain))
		return lookup_reply_error(lk, cb, arg, domain != NULL ?
		    domain : "", LOOKUP_NONE, "domain-invalid",
		    "not a normalised domain name");
	if (wait < 0 || wait > lk->conf.wait_ms)
		wait = lk->conf.wait_ms;
	return lookup_query_do(lk, domain, wait, quota, cb, arg, reqp, NULL);
}

/* lookup_query() after the checks; `dover` as in lookup_decide(). */
static int
lookup_query_do(struct lookup *lk, const char *domain, int wait,
    struct lookup_quota *quota, lookup_cb *cb, void *arg,
    struct lookup_req **reqp, const struct lookup_dinfo *dover)
{
	unsigned char *buf = lk->pbuf;
	int rc;

	/* A callback still holds an answer in pbuf: nested call. */
	if (lk->pbuf_busy && (buf = malloc(RECORD_POLICY_MAX)) == NULL)
		return lookup_reply_error(lk, cb, arg, domain, LOOKUP_TEMP,
		    "memory", "no buffer for a nested lookup");
	if (buf == lk->pbuf)
		lk->pbuf_busy = 1;
	rc = lookup_decide(lk, domain, buf, wait, quota, cb, arg, reqp,
	    dover);
	if (buf == lk->pbuf)
		lk->pbuf_busy = 0;
	else
		free(buf);
	return rc;
}

void
lookup_cancel(struct lookup_req *req)
{
	if (req == NULL)
		return;
	lookup_waiter_unlink(req);
	lookup_waiter_free(req);
}

void
lookup_get_stats(const struct lookup *lk, struct lookup_stats *st)
{
	*st = lk->st;
	st->pending_domains = lk->njobs;
	st->refreshes_running = lk->nrefresh;
	st->quota_running = lk->nquota;
}

static int
lookup_conf_ok(const struct lookup_conf *c, char *err, size_t errlen)
{
	if (c->wait_ms < 0) {
		snprintf(err, errlen, "lookup: negative wait");
		return 0;
	}
	if (c->refresh.backoff_min < 0 || c->refresh.backoff_max < 0 ||
	    c->refresh.txt_recheck_interval < 0 ||
	    c->refresh.refetch_interval < 0) {
		snprintf(err, errlen, "lookup: negative refresh interval");
		return 0;
	}
	return 1;
}

static uint64_t
lookup_seed(const struct lookup *lk)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return lookup_mix((uint64_t)ts.tv_sec ^ ((uint64_t)ts.tv_nsec << 20) ^
	    ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)lk);
}

struct lookup *
lookup_new(struct event_base *base, struct cache *cache,
    const struct lookup_conf *conf, char *err, size_t errlen)
{
	struct lookup *lk;

	if (!lookup_conf_ok(conf, err, errlen))
		return NULL;
	if ((lk = calloc(1, sizeof(*lk))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lk->base = base;
	lk->cache = cache;
	lk->conf = *conf;
	if (lk->conf.max_pending == 0)
		lk->conf.max_pending = LOOKUP_PENDING_DEFAULT;
	if (lk->conf.max_waiters == 0)
		lk->conf.max_waiters = LOOKUP_WAITERS_DEFAULT;
	if (lk->conf.max_refreshes == 0)
		lk->conf.max_refreshes = LOOKUP_REFRESHES_DEFAULT;
	lk->seed = lookup_seed(lk);
	if ((lk->rs = resolve_new(base, &conf->resolve, err, errlen)) ==
	    NULL) {
		free(lk);
		return NULL;
	}
	if (conf->dane) {
		struct dns_conf dc = { conf->resolve.dns_servers,
		    conf->resolve.dns_timeout_ms, conf->resolve.dns_tries,
		    conf->resolve.max_dns_queries };

		if ((lk->dns = dns_new(base, &dc, err, errlen)) == NULL) {
			resolve_free(lk->rs);
			free(lk);
			return NULL;
		}
	}
	snprintf(lk->probe_name, sizeof(lk->probe_name), "%s",
	    conf->dane_probe_name != NULL && conf->dane_probe_name[0] != '\0' ?
	    conf->dane_probe_name : ".");
	lk->conf.dane_probe_name = NULL;
	/* Borrowed strings: resolve_new copied what it keeps. */
	lk->conf.resolve.dns_servers = NULL;
	lk->conf.resolve.ca_file = NULL;
	return lk;
}

void
lookup_free(struct lookup *lk)
{
	struct lookup_job *job;
	size_t i;

	if (lk == NULL)
		return;
	for (i = 0; i < LOOKUP_BUCKETS; i++) {
		while ((job = LIST_FIRST(&lk->bucket[i])) != NULL)
			lookup_job_drop(job);
	}
	resolve_free(lk->rs);
	danechk_probe_cancel(lk->probe);
	dns_free(lk->dns);
	free(lk);
}

static void
lookup_on_probe(enum danechk_probe_result r, enum dns_status st, void *arg)
{
	struct lookup *lk = arg;

	lk->probe = NULL;
	lookup_event(lk, LOOKUP_EV_DANE_PROBE, lk->probe_name,
	    danechk_probe_str(r), dns_status_str(st), NULL, NULL);
}

void
lookup_dane_probe(struct lookup *lk)
{
	if (lk->dns == NULL)
		return;
	danechk_probe_cancel(lk->probe);
	if ((lk->probe = danechk_probe(lk->dns, lk->probe_name,
	    lookup_on_probe, lk)) == NULL)
		lookup_event(lk, LOOKUP_EV_DANE_PROBE, lk->probe_name,
		    danechk_probe_str(DANECHK_PROBE_FAILED), "cannot ask",
		    NULL, NULL);
}
