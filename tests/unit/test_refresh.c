/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_refresh.c: unit tests for the cache refresh decisions
 * (resolver/refresh.c, RFC 8461 §3.3, §5.1, §8.3, §10.2).
 *
 * Tables of (record, now, inputs) -> wanted decision, with the default
 * configuration (refresh_conf_default) unless a case names another.
 * Times are offsets from T0; boundary cases sit on the exact second.
 * Each mismatch prints "got ..., want ...".
 */
#include <stdint.h>
#include <string.h>

#include "record.h"
#include "refresh.h"
#include "tap.h"

#define T0	INT64_C(1700000000)
#define WEEK	604800
#define DAY	86400

/* A policy: mode, max_age, fetched_at, txt_checked_at, retry_at, failures. */
#define POL(m, age, f, t, r, n) (&(const struct record_policy){ \
	RECORD_MODE_ ## m, (age), (f), (t), (r), (n), "abc", "", 1, \
	{ "mx.example" }, "version: STSv1\n", 15, RECORD_TEXT_STORED, 0, 0, \
	{ 0, 0, 0, 0, 0 } })
/* A negative entry: reason, count, first_at, last_at, retry_at. */
#define NEG(r, n, f, l, rt) (&(const struct record_negative){ \
	RECORD_NEG_ ## r, (n), (f), (l), (rt), "x" })

enum { CONF_DEFAULT, CONF_NOPERIODIC, CONF_NONEG, CONF_N };
static struct refresh_conf confs[CONF_N];

static void
setup_confs(void)
{
	refresh_conf_default(&confs[CONF_DEFAULT]);
	/* Only near-expiry refetches, never a TXT re-check. */
	confs[CONF_NOPERIODIC] = confs[CONF_DEFAULT];
	confs[CONF_NOPERIODIC].refetch_interval = 0;
	confs[CONF_NOPERIODIC].txt_recheck_interval = 0;
	/* Negative caching off for DNS errors. */
	confs[CONF_NONEG] = confs[CONF_DEFAULT];
	confs[CONF_NONEG].neg[RECORD_NEG_DNS_ERROR].ttl = 0;
}

/* ---- refresh_lookup ---- */

struct lookup_case {
	const char			*name;
	const struct record_policy	*pol;
	const struct record_negative	*neg;
	int64_t				 now;
	uint32_t			 jitter;
	int				 conf;
	enum refresh_step		 want;
};

static const struct lookup_case lookup_cases[] = {
	{ "just fetched", POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL, T0, 0, 0,
	    REFRESH_ANSWER },
	{ "one second later", POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL, T0 + 1,
	    0, 0, REFRESH_ANSWER },
	{ "TXT check 1 s before due", POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL,
	    T0 + 3599, 0, 0, REFRESH_ANSWER },
	{ "TXT check due (1 h)", POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL,
	    T0 + 3600, 0, 0, REFRESH_ANSWER_RECHECK },
	{ "daily refetch due, beats TXT check",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL, T0 + DAY, 0, 0,
	    REFRESH_ANSWER_REFETCH },
	{ "daily refetch 1 s early", POL(ENFORCE, WEEK, T0, T0 + DAY - 2, 0,
	    0), NULL, T0 + DAY - 1, 0, 0, REFRESH_ANSWER },
	{ "valid until fetched_at + max_age exactly",
	    POL(ENFORCE, WEEK, T0, T0 + WEEK, 0, 0), NULL, T0 + WEEK, 0, 0,
	    REFRESH_ANSWER_REFETCH },
	{ "expired by one second", POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL,
	    T0 + WEEK + 1, 0, 0, REFRESH_DISCOVER },
	{ "unchanged id re-checked just now: still expired",
	    POL(ENFORCE, WEEK, T0, T0 + WEEK + 10, 0, 0), NULL,
	    T0 + WEEK + 10, 0, 0, REFRESH_DISCOVER },
	{ "mode none is a cached policy", POL(NONE, WEEK, T0, T0, 0, 0),
	    NEG(NO_RECORD, 1, T0, T0, T0 + 900), T0 + 5, 0, 0,
	    REFRESH_ANSWER },
	{ "mode testing is answered too", POL(TESTING, WEEK, T0, T0, 0, 0),
	    NULL, T0 + 5, 0, 0, REFRESH_ANSWER },
	{ "max_age 0: valid in the fetch second", POL(ENFORCE, 0, T0, T0, 0,
	    0), NULL, T0, 0, 0, REFRESH_ANSWER },
	{ "max_age 0: expired one second later", POL(ENFORCE, 0, T0, T0, 0,
	    0), NULL, T0 + 1, 0, 0, REFRESH_DISCOVER },
	{ "max_age 1: no refetch in the fetch second", POL(ENFORCE, 1, T0, T0,
	    0, 0), NULL, T0, 0, 0, REFRESH_ANSWER },
	{ "max_age 1: refetch in its last second", POL(ENFORCE, 1, T0, T0, 0,
	    0), NULL, T0 + 1, 0, 0, REFRESH_ANSWER_REFETCH },
	{ "max_age 1 h: half-life not reached", POL(ENFORCE, 3600, T0, T0, 0,
	    0), NULL, T0 + 1799, 0, 0, REFRESH_ANSWER },
	{ "max_age 1 h: refetch at half-life (50%)", POL(ENFORCE, 3600, T0,
	    T0, 0, 0), NULL, T0 + 1800, 0, 0, REFRESH_ANSWER_REFETCH },
	{ "near expiry only: 1 s before the last day",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL, T0 + WEEK - DAY - 1, 0,
	    CONF_NOPERIODIC, REFRESH_ANSWER },
	{ "near expiry only: last day", POL(ENFORCE, WEEK, T0, T0, 0, 0),
	    NULL, T0 + WEEK - DAY, 0, CONF_NOPERIODIC,
	    REFRESH_ANSWER_REFETCH },
	{ "jitter 10% moves the daily refetch earlier",
	    POL(ENFORCE, WEEK, T0, T0 + 77000, 0, 0), NULL, T0 + 77760, 10, 0,
	    REFRESH_ANSWER_REFETCH },
	{ "no jitter: not yet", POL(ENFORCE, WEEK, T0, T0 + 77000, 0, 0), NULL,
	    T0 + 77760, 0, 0, REFRESH_ANSWER },
	{ "jitter 50% is clamped to 10%", POL(ENFORCE, WEEK, T0, T0 + 77000, 0,
	    0), NULL, T0 + 77759, 50, 0, REFRESH_ANSWER },
	{ "jitter moves the TXT re-check earlier", POL(ENFORCE, WEEK, T0, T0,
	    0, 0), NULL, T0 + 3240, 10, 0, REFRESH_ANSWER_RECHECK },
	{ "backoff: refetch due but retry_at ahead",
	    POL(ENFORCE, WEEK, T0, T0, T0 + DAY + 100, 1), NULL, T0 + DAY, 0,
	    0, REFRESH_ANSWER },
	{ "backoff over at retry_at exactly",
	    POL(ENFORCE, WEEK, T0, T0, T0 + DAY, 1), NULL, T0 + DAY, 0, 0,
	    REFRESH_ANSWER_REFETCH },
	{ "retry_at beyond backoff_max is ignored",
	    POL(ENFORCE, WEEK, T0, T0, T0 + DAY + 3601, 1), NULL, T0 + DAY, 0,
	    0, REFRESH_ANSWER_REFETCH },
	{ "backoff does not keep an expired policy",
	    POL(ENFORCE, WEEK, T0, T0, T0 + WEEK + 100, 3), NULL,
	    T0 + WEEK + 1, 0, 0, REFRESH_DISCOVER },
	{ "clock went back: valid, refetch to re-base",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL, T0 - 100, 0, 0,
	    REFRESH_ANSWER_REFETCH },
	{ "clock went back far: still valid, refetch",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), NULL, 0, 0, 0,
	    REFRESH_ANSWER_REFETCH },
	{ "TXT check time in the future: re-check",
	    POL(ENFORCE, WEEK, T0, T0 + 500, 0, 0), NULL, T0 + 100, 0, 0,
	    REFRESH_ANSWER_RECHECK },
	{ "fetched_at + max_age overflows: saturates, valid",
	    POL(ENFORCE, WEEK, INT64_MAX - 10, INT64_MAX - 10, 0, 0), NULL,
	    INT64_MAX, 0, 0, REFRESH_ANSWER },
	{ "fetched_at INT64_MIN: expired, no overflow",
	    POL(ENFORCE, WEEK, INT64_MIN, INT64_MIN, 0, 0), NULL, 0, 0, 0,
	    REFRESH_DISCOVER },
	{ "now INT64_MIN: clock went back, refetch",
	    POL(ENFORCE, WEEK, 0, 0, 0, 0), NULL, INT64_MIN, 0, 0,
	    REFRESH_ANSWER_REFETCH },
	{ "max_age UINT32_MAX", POL(ENFORCE, UINT32_MAX, T0, T0, 0, 0), NULL,
	    T0 + 10, 0, 0, REFRESH_ANSWER },
	{ "valid policy beats a fresh negative entry",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0),
	    NEG(DNS_ERROR, 1, T0, T0, T0 + 60), T0 + 1, 0, 0,
	    REFRESH_ANSWER },
	{ "fresh negative: no network", NULL,
	    NEG(NO_RECORD, 1, T0, T0, T0 + 900), T0 + 899, 0, 0,
	    REFRESH_NEGATIVE },
	{ "negative at its retry_at: discover", NULL,
	    NEG(NO_RECORD, 1, T0, T0, T0 + 900), T0 + 900, 0, 0,
	    REFRESH_DISCOVER },
	{ "expired policy + fresh negative: negative",
	    POL(ENFORCE, WEEK, T0 - WEEK - 10, T0, 0, 0),
	    NEG(FETCH_ERROR, 1, T0, T0, T0 + 300), T0 + 1, 0, 0,
	    REFRESH_NEGATIVE },
	{ "negative from the future (clock back): stale", NULL,
	    NEG(DNS_ERROR, 1, T0, T0, T0 + 60), T0 - 1, 0, 0,
	    REFRESH_DISCOVER },
	{ "negative retry_at beyond its cap: stale", NULL,
	    NEG(DNS_ERROR, 1, T0, T0, T0 + 601), T0, 0, 0, REFRESH_DISCOVER },
	{ "negative with an unknown reason: stale", NULL,
	    &(const struct record_negative){ 7, 1, T0, T0, T0 + 60, "" },
	    T0 + 1, 0, 0, REFRESH_DISCOVER },
	{ "nothing cached: discover", NULL, NULL, T0, 0, 0,
	    REFRESH_DISCOVER },
};

static void
test_lookup(const struct lookup_case *c)
{
	enum refresh_step got;

	got = refresh_lookup(c->pol, c->neg, c->now, c->jitter,
	    &confs[c->conf]);
	if (!tap_ok(got == c->want, "lookup: %s", c->name))
		tap_diag("got %s, want %s", refresh_step_str(got),
		    refresh_step_str(c->want));
}

/* ---- refresh_on_txt ---- */

struct txt_case {
	const char			*name;
	const struct record_policy	*pol;
	int64_t				 now;
	enum refresh_txt		 outcome;
	const char			*id;
	enum refresh_action		 want;
	/* Fields of *upd, checked when pol != NULL. */
	int64_t				 want_checked;
	uint32_t			 want_failures;
	int64_t				 want_retry;
};

static const struct txt_case txt_cases[] = {
	{ "unchanged id: keep, record the check",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + 3600, REFRESH_TXT_FOUND,
	    "abc", REFRESH_KEEP, T0 + 3600, 0, 0 },
	{ "unchanged id keeps earlier failures",
	    POL(ENFORCE, WEEK, T0, T0, T0 + 100, 2), T0 + 3600,
	    REFRESH_TXT_FOUND, "abc", REFRESH_KEEP, T0 + 3600, 2, T0 + 100 },
	{ "changed id: fetch", POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + 3600,
	    REFRESH_TXT_FOUND, "abd", REFRESH_FETCH, T0, 0, 0 },
	{ "ids are case-sensitive", POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + 5,
	    REFRESH_TXT_FOUND, "ABC", REFRESH_FETCH, T0, 0, 0 },
	{ "FOUND without an id: fetch", POL(ENFORCE, WEEK, T0, T0, 0, 0),
	    T0 + 5, REFRESH_TXT_FOUND, NULL, REFRESH_FETCH, T0, 0, 0 },
	{ "TXT NXDOMAIN with a valid policy: keep it",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + 3600, REFRESH_TXT_NONE,
	    NULL, REFRESH_KEEP, T0, 1, T0 + 3600 + 300 },
	{ "TXT SERVFAIL with a valid policy: keep it",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + 3600, REFRESH_TXT_ERROR,
	    NULL, REFRESH_KEEP, T0, 1, T0 + 3600 + 300 },
	{ "third failure in a row: 4x backoff",
	    POL(ENFORCE, WEEK, T0, T0, 0, 2), T0 + 3600, REFRESH_TXT_ERROR,
	    NULL, REFRESH_KEEP, T0, 3, T0 + 3600 + 1200 },
	{ "mode none, TXT removed (§8.3): keep until expiry",
	    POL(NONE, DAY, T0, T0, 0, 0), T0 + 3600, REFRESH_TXT_NONE, NULL,
	    REFRESH_KEEP, T0, 1, T0 + 3600 + 300 },
	{ "boundary second, unchanged id: keep",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + WEEK, REFRESH_TXT_FOUND,
	    "abc", REFRESH_KEEP, T0 + WEEK, 0, 0 },
	{ "expired, unchanged id: fetch (never extended)",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + WEEK + 1, REFRESH_TXT_FOUND,
	    "abc", REFRESH_FETCH, T0, 0, 0 },
	{ "expired, TXT NXDOMAIN: no policy",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + WEEK + 1, REFRESH_TXT_NONE,
	    NULL, REFRESH_NOPOLICY, T0, 0, 0 },
	{ "expired, TXT SERVFAIL: no policy",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + WEEK + 1, REFRESH_TXT_ERROR,
	    NULL, REFRESH_NOPOLICY, T0, 0, 0 },
	{ "nothing cached, FOUND: fetch", NULL, T0, REFRESH_TXT_FOUND, "abc",
	    REFRESH_FETCH, 0, 0, 0 },
	{ "nothing cached, NONE: no policy", NULL, T0, REFRESH_TXT_NONE, NULL,
	    REFRESH_NOPOLICY, 0, 0, 0 },
	{ "nothing cached, ERROR: no policy", NULL, T0, REFRESH_TXT_ERROR,
	    NULL, REFRESH_NOPOLICY, 0, 0, 0 },
};

static void
test_txt(const struct txt_case *c)
{
	struct record_policy upd;
	enum refresh_action got;
	int fields = 1;

	memset(&upd, 0, sizeof(upd));
	got = refresh_on_txt(c->pol, c->now, c->outcome, c->id,
	    &confs[CONF_DEFAULT], &upd);
	if (c->pol != NULL)
		fields = upd.txt_checked_at == c->want_checked &&
		    upd.failures == c->want_failures &&
		    upd.retry_at == c->want_retry &&
		    upd.fetched_at == c->pol->fetched_at &&
		    upd.id == c->pol->id && upd.mx[0] == c->pol->mx[0];
	if (!tap_ok(got == c->want && fields, "on_txt: %s", c->name))
		tap_diag("got %s checked %jd failures %u retry %jd, want %s "
		    "%jd %u %jd", refresh_action_str(got),
		    (intmax_t)upd.txt_checked_at, upd.failures,
		    (intmax_t)upd.retry_at, refresh_action_str(c->want),
		    (intmax_t)c->want_checked, c->want_failures,
		    (intmax_t)c->want_retry);
}

/* ---- refresh_on_fetch_failure ---- */

struct fail_case {
	const char			*name;
	const struct record_policy	*pol;
	int64_t				 now;
	enum refresh_action		 want;
	uint32_t			 want_failures;
	int64_t				 want_retry;
};

static const struct fail_case fail_cases[] = {
	{ "first failure keeps the policy, 5 min backoff",
	    POL(ENFORCE, WEEK, T0, T0, 0, 0), T0 + DAY, REFRESH_KEEP, 1,
	    T0 + DAY + 300 },
	{ "second failure: 10 min", POL(ENFORCE, WEEK, T0, T0, 0, 1),
	    T0 + DAY, REFRESH_KEEP, 2, T0 + DAY + 600 },
	{ "fourth failure: 40 min", POL(ENFORCE, WEEK, T0, T0, 0, 3),
	    T0 + DAY, REFRESH_KEEP, 4, T0 + DAY + 2400 },
	{ "fifth failure: capped at 1 h", POL(ENFORCE, WEEK, T0, T0, 0, 4),
	    T0 + DAY, REFRESH_KEEP, 5, T0 + DAY + 3600 },
	{ "100th failure: still 1 h", POL(ENFORCE, WEEK, T0, T0, 0, 99),
	    T0 + DAY, REFRESH_KEEP, 100, T0 + DAY + 3600 },
	{ "failure counter saturates",
	    POL(ENFORCE, WEEK, T0, T0, 0, UINT32_MAX), T0 + DAY, REFRESH_KEEP,
	    UINT32_MAX, T0 + DAY + 3600 },
	{ "mode none keeps its policy too", POL(NONE, WEEK, T0, T0, 0, 0),
	    T0 + 10, REFRESH_KEEP, 1, T0 + 310 },
	{ "retry_at saturates at INT64_MAX",
	    POL(ENFORCE, WEEK, INT64_MAX - 100, 0, 0, 0), INT64_MAX - 50,
	    REFRESH_KEEP, 1, INT64_MAX },
	{ "boundary second: still kept", POL(ENFORCE, WEEK, T0, T0, 0, 0),
	    T0 + WEEK, REFRESH_KEEP, 1, T0 + WEEK + 300 },
	{ "expired: no policy", POL(ENFORCE, WEEK, T0, T0, 0, 0),
	    T0 + WEEK + 1, REFRESH_NOPOLICY, 0, 0 },
	{ "nothing cached: no policy", NULL, T0, REFRESH_NOPOLICY, 0, 0 },
};

static void
test_fail(const struct fail_case *c)
{
	struct record_policy upd;
	enum refresh_action got;
	int fields = 1;

	memset(&upd, 0, sizeof(upd));
	got = refresh_on_fetch_failure(c->pol, c->now, &confs[CONF_DEFAULT],
	    &upd);
	if (c->pol != NULL)
		fields = upd.failures == c->want_failures &&
		    upd.retry_at == c->want_retry &&
		    upd.fetched_at == c->pol->fetched_at &&
		    upd.max_age == c->pol->max_age &&
		    upd.mode == c->pol->mode &&
		    upd.text == c->pol->text;
	if (!tap_ok(got == c->want && fields, "on_fetch_failure: %s",
	    c->name))
		tap_diag("got %s failures %u retry %jd, want %s %u %jd",
		    refresh_action_str(got), upd.failures,
		    (intmax_t)upd.retry_at, refresh_action_str(c->want),
		    c->want_failures, (intmax_t)c->want_retry);
}

/* ---- refresh_negative ---- */

struct neg_case {
	const char			*name;
	const struct record_negative	*prev;
	enum record_reason		 reason;
	int64_t				 now;
	int				 conf;
	uint32_t			 want_count;
	int64_t				 want_first;
	int64_t				 want_retry;
};

static const struct neg_case neg_cases[] = {
	{ "no record: 15 min", NULL, RECORD_NEG_NO_RECORD, T0, 0, 1, T0,
	    T0 + 900 },
	{ "no record again: 30 min", NEG(NO_RECORD, 1, T0 - 900, T0 - 900,
	    T0), RECORD_NEG_NO_RECORD, T0, 0, 2, T0 - 900, T0 + 1800 },
	{ "no record, third: 1 h (cap)", NEG(NO_RECORD, 2, T0 - 2700,
	    T0 - 1800, T0), RECORD_NEG_NO_RECORD, T0, 0, 3, T0 - 2700,
	    T0 + 3600 },
	{ "no record, fourth: still 1 h", NEG(NO_RECORD, 3, T0 - 6300,
	    T0 - 3600, T0), RECORD_NEG_NO_RECORD, T0, 0, 4, T0 - 6300,
	    T0 + 3600 },
	{ "DNS error: 1 min", NULL, RECORD_NEG_DNS_ERROR, T0, 0, 1, T0,
	    T0 + 60 },
	{ "DNS error, fourth: 8 min", NEG(DNS_ERROR, 3, T0 - 420, T0 - 240,
	    T0), RECORD_NEG_DNS_ERROR, T0, 0, 4, T0 - 420, T0 + 480 },
	{ "DNS error, fifth: capped at 10 min", NEG(DNS_ERROR, 4, T0 - 900,
	    T0 - 480, T0), RECORD_NEG_DNS_ERROR, T0, 0, 5, T0 - 900,
	    T0 + 600 },
	{ "fetch error: 5 min (§3.3)", NULL, RECORD_NEG_FETCH_ERROR, T0, 0, 1,
	    T0, T0 + 300 },
	{ "fetch error again: 10 min", NEG(FETCH_ERROR, 1, T0 - 300,
	    T0 - 300, T0), RECORD_NEG_FETCH_ERROR, T0, 0, 2, T0 - 300,
	    T0 + 600 },
	{ "invalid policy: 5 min", NULL, RECORD_NEG_POLICY_INVALID, T0, 0, 1,
	    T0, T0 + 300 },
	{ "DNS error after no-record run: new run, short TTL",
	    NEG(NO_RECORD, 3, T0 - 6300, T0 - 3600, T0),
	    RECORD_NEG_DNS_ERROR, T0, 0, 1, T0, T0 + 60 },
	{ "no record after DNS error run: new run",
	    NEG(DNS_ERROR, 5, T0 - 900, T0 - 600, T0), RECORD_NEG_NO_RECORD,
	    T0, 0, 1, T0, T0 + 900 },
	{ "fetch error after invalid policy: new run",
	    NEG(POLICY_INVALID, 4, T0 - 900, T0 - 600, T0),
	    RECORD_NEG_FETCH_ERROR, T0, 0, 1, T0, T0 + 300 },
	{ "count saturates", NEG(DNS_ERROR, UINT32_MAX, 0, T0 - 1, T0),
	    RECORD_NEG_DNS_ERROR, T0, 0, UINT32_MAX, 0, T0 + 600 },
	{ "previous entry from the future (clock back): new run",
	    NEG(DNS_ERROR, 3, T0 + 100, T0 + 200, T0 + 300),
	    RECORD_NEG_DNS_ERROR, T0, 0, 1, T0, T0 + 60 },
	{ "retry_at saturates", NULL, RECORD_NEG_NO_RECORD, INT64_MAX - 5, 0,
	    1, INT64_MAX - 5, INT64_MAX },
	{ "TTL 0 disables caching", NULL, RECORD_NEG_DNS_ERROR, T0,
	    CONF_NONEG, 1, T0, T0 },
	{ "unknown reason: not cached", NULL, (enum record_reason)9, T0, 0, 1,
	    T0, T0 },
};

static void
test_neg(const struct neg_case *c)
{
	struct record_negative n;

	n = refresh_negative(c->prev, c->reason, "code-x", c->now,
	    &confs[c->conf]);
	if (!tap_ok(n.reason == c->reason && n.count == c->want_count &&
	    n.first_at == c->want_first && n.last_at == c->now &&
	    n.retry_at == c->want_retry && strcmp(n.code, "code-x") == 0,
	    "negative: %s", c->name))
		tap_diag("got count %u first %jd retry %jd, want %u %jd %jd",
		    n.count, (intmax_t)n.first_at, (intmax_t)n.retry_at,
		    c->want_count, (intmax_t)c->want_first,
		    (intmax_t)c->want_retry);
}

/* A run of DNS errors, fed back in: TTLs grow and stop at the cap, and
 * each entry is fresh until its retry_at and no longer. */
static void
test_neg_sequence(void)
{
	static const int64_t want[] = { 60, 120, 240, 480, 600, 600, 600 };
	const struct refresh_conf *c = &confs[CONF_DEFAULT];
	struct record_negative n, prev;
	int64_t now = T0, got[7];
	int i, fresh_ok = 1, same = 1;

	for (i = 0; i < 7; i++) {
		n = refresh_negative(i ? &prev : NULL, RECORD_NEG_DNS_ERROR,
		    NULL, now, c);
		got[i] = n.retry_at - now;
		same &= got[i] == want[i];
		fresh_ok &= refresh_lookup(NULL, &n, n.retry_at - 1, 0, c) ==
		    REFRESH_NEGATIVE && refresh_lookup(NULL, &n, n.retry_at, 0,
		    c) == REFRESH_DISCOVER && n.code[0] == '\0';
		prev = n;
		now = n.retry_at;
	}
	if (!tap_ok(same, "DNS error TTLs double to the cap"))
		tap_diag("got %jd %jd %jd %jd %jd, want 60 120 240 480 600",
		    (intmax_t)got[0], (intmax_t)got[1], (intmax_t)got[2],
		    (intmax_t)got[3], (intmax_t)got[4]);
	tap_ok(fresh_ok, "each negative is fresh until its retry_at only");
}

/* Failure, then the backoff holds the refetch until retry_at. */
static void
test_fail_then_lookup(void)
{
	const struct refresh_conf *c = &confs[CONF_DEFAULT];
	const struct record_policy *p = POL(ENFORCE, WEEK, T0, T0, 0, 0);
	struct record_policy upd;

	refresh_on_fetch_failure(p, T0 + DAY, c, &upd);
	tap_is_str(refresh_step_str(refresh_lookup(&upd, NULL,
	    T0 + DAY + 299, 0, c)), "answer",
	    "after a failure: no refetch during the backoff");
	tap_is_str(refresh_step_str(refresh_lookup(&upd, NULL,
	    T0 + DAY + 300, 0, c)), "answer-refetch",
	    "after a failure: refetch when the backoff ends");
}

static void
test_misc(void)
{
	struct record_policy p = *POL(ENFORCE, WEEK, 1, 2, 3, 4);

	p.last_error = "https-timeout";
	refresh_on_fetch_success(&p, T0);
	tap_ok(p.fetched_at == T0 && p.txt_checked_at == T0 &&
	    p.failures == 0 && p.retry_at == 0 && p.last_error[0] == '\0' &&
	    refresh_lookup(&p, NULL, T0, 0, &confs[0]) == REFRESH_ANSWER,
	    "fetch success resets the bookkeeping");
	tap_is_int(refresh_expires_at(POL(ENFORCE, WEEK, INT64_MAX - 5, 0, 0,
	    0)), INT64_MAX, "expires_at saturates");
	tap_is_int(refresh_expires_at(POL(ENFORCE, WEEK, T0, 0, 0, 0)),
	    T0 + WEEK, "expires_at = fetched_at + max_age");
	tap_is_int(refresh_txt_reason(REFRESH_TXT_NONE), RECORD_NEG_NO_RECORD,
	    "TXT NONE is 'no record'");
	tap_is_int(refresh_txt_reason(REFRESH_TXT_ERROR), RECORD_NEG_DNS_ERROR,
	    "TXT ERROR is a DNS error, never 'no record'");
	tap_is_str(refresh_step_str((enum refresh_step)99), "invalid",
	    "refresh_step_str out of range");
	tap_is_str(refresh_action_str(REFRESH_NOPOLICY), "no-policy",
	    "refresh_action_str");
}

/* ---- History: since when a domain is seen in enforce / testing ---- */

struct hist_case {
	const char	*name;
	int		 have_old;
	enum record_mode old_mode;
	int64_t		 old_fetched;	/* old max_age is WEEK */
	int64_t		 old_enf, old_test;
	const char	*old_mx2;	/* second old pattern, or NULL */
	enum record_mode new_mode;
	const char	*new_mx2;	/* second new pattern, or NULL */
	int64_t		 want_enf, want_test;
};

#define T1	(T0 + 3 * DAY)
static const struct hist_case hist_cases[] = {
	{ "first fetch, enforce", 0, 0, 0, 0, 0, NULL, RECORD_MODE_ENFORCE,
	    NULL, T1, T1 },
	{ "first fetch, testing", 0, 0, 0, 0, 0, NULL, RECORD_MODE_TESTING,
	    NULL, 0, T1 },
	{ "first fetch, none", 0, 0, 0, 0, 0, NULL, RECORD_MODE_NONE, NULL,
	    0, 0 },
	{ "enforce again: both carried", 1, RECORD_MODE_ENFORCE, T0 + DAY,
	    T0 - DAY, T0 - 2 * DAY, NULL, RECORD_MODE_ENFORCE, NULL,
	    T0 - DAY, T0 - 2 * DAY },
	{ "enforce again, patterns in another case", 1,
	    RECORD_MODE_ENFORCE, T0 + DAY, T0, T0, "*.Example.NET",
	    RECORD_MODE_ENFORCE, "*.example.net", T0, T0 },
	{ "enforce, a pattern listed twice: both restart", 1,
	    RECORD_MODE_ENFORCE, T0 + DAY, T0, T0, "mx.example",
	    RECORD_MODE_ENFORCE, NULL, T1, T1 },
	{ "enforce, an mx pattern added: both restart", 1,
	    RECORD_MODE_ENFORCE, T0 + DAY, T0, T0, NULL, RECORD_MODE_ENFORCE,
	    "mx2.example", T1, T1 },
	{ "enforce, an mx pattern removed: both restart", 1,
	    RECORD_MODE_ENFORCE, T0 + DAY, T0, T0, "mx2.example",
	    RECORD_MODE_ENFORCE, NULL, T1, T1 },
	{ "enforce, an mx pattern replaced: both restart", 1,
	    RECORD_MODE_ENFORCE, T0 + DAY, T0, T0, "mx2.example",
	    RECORD_MODE_ENFORCE, "mx3.example", T1, T1 },
	{ "enforce after expiry: both restart", 1, RECORD_MODE_ENFORCE,
	    T1 - WEEK - 1, T0 - WEEK, T0 - WEEK, NULL, RECORD_MODE_ENFORCE,
	    NULL, T1, T1 },
	{ "enforce, old without history (older mtastsd): start now", 1,
	    RECORD_MODE_ENFORCE, T0, 0, 0, NULL, RECORD_MODE_ENFORCE, NULL,
	    T1, T1 },
	{ "testing to enforce: testing carried, enforce starts", 1,
	    RECORD_MODE_TESTING, T0, 0, T0 - DAY, NULL, RECORD_MODE_ENFORCE,
	    NULL, T1, T0 - DAY },
	{ "enforce to testing: enforce ends, testing carried", 1,
	    RECORD_MODE_ENFORCE, T0, T0 - DAY, T0 - DAY, NULL,
	    RECORD_MODE_TESTING, NULL, 0, T0 - DAY },
	{ "enforce to none: both end", 1, RECORD_MODE_ENFORCE, T0, T0 - DAY,
	    T0 - DAY, NULL, RECORD_MODE_NONE, NULL, 0, 0 },
	{ "none to enforce: both start", 1, RECORD_MODE_NONE, T0, 0, 0, NULL,
	    RECORD_MODE_ENFORCE, NULL, T1, T1 },
};

static void
test_history(const struct hist_case *c)
{
	struct record_policy old = *POL(ENFORCE, WEEK, 0, 0, 0, 0), p;

	old.mode = c->old_mode;
	old.fetched_at = c->old_fetched;
	old.enforce_since = c->old_enf;
	old.testing_since = c->old_test;
	old.mx[0] = "mx.example";
	old.nmx = 1;
	if (c->old_mx2 != NULL)
		old.mx[old.nmx++] = c->old_mx2;
	p = *POL(ENFORCE, WEEK, 0, 0, 0, 0);
	p.mode = c->new_mode;
	p.mx[0] = "MX.example";
	p.nmx = 1;
	if (c->new_mx2 != NULL)
		p.mx[p.nmx++] = c->new_mx2;
	p.enforce_since = p.testing_since = 99;	/* must be overwritten */
	refresh_on_fetch_success(&p, T1);
	refresh_history(c->have_old ? &old : NULL, &p, T1);
	tap_ok(p.enforce_since == c->want_enf &&
	    p.testing_since == c->want_test,
	    "history: %s (got %jd/%jd, want %jd/%jd)", c->name,
	    (intmax_t)p.enforce_since, (intmax_t)p.testing_since,
	    (intmax_t)c->want_enf, (intmax_t)c->want_test);
}

/* The same patterns in another order restart it (compared in order). */
static void
test_history_order(void)
{
	struct record_policy old = *POL(ENFORCE, WEEK, T0, T0, 0, 0), p;

	old.mx[0] = "a.example";
	old.mx[1] = "b.example";
	old.nmx = 2;
	old.enforce_since = old.testing_since = T0 - WEEK;
	p = old;
	p.mx[0] = "b.example";
	p.mx[1] = "a.example";
	refresh_on_fetch_success(&p, T1);
	refresh_history(&old, &p, T1);
	tap_ok(p.enforce_since == T1 && p.testing_since == T1,
	    "history: the same patterns in another order: both restart");
}

/* The TXT steps keep, start or reset the history of a kept policy. */
static void
test_history_txt(void)
{
	struct record_policy p = *POL(ENFORCE, WEEK, T0, T0, 0, 0), upd;

	p.enforce_since = T0 - WEEK;
	p.testing_since = T0 - 2 * WEEK;
	tap_ok(refresh_on_txt(&p, T0 + 3600, REFRESH_TXT_FOUND, "abc",
	    &confs[0], &upd) == REFRESH_KEEP &&
	    upd.enforce_since == T0 - WEEK &&
	    upd.testing_since == T0 - 2 * WEEK,
	    "history: TXT same id keeps it");
	tap_ok(refresh_on_txt(&p, T0 + 3600, REFRESH_TXT_ERROR, NULL,
	    &confs[0], &upd) == REFRESH_KEEP &&
	    upd.enforce_since == T0 - WEEK,
	    "history: a DNS error is no evidence: kept");
	tap_ok(refresh_on_fetch_failure(&p, T0 + 3600, &confs[0], &upd) ==
	    REFRESH_KEEP && upd.enforce_since == T0 - WEEK,
	    "history: a fetch failure is no evidence: kept");
	tap_ok(refresh_on_txt(&p, T0 + 3600, REFRESH_TXT_NONE, NULL,
	    &confs[0], &upd) == REFRESH_KEEP && upd.enforce_since == 0 &&
	    upd.testing_since == 0 && upd.mode == RECORD_MODE_ENFORCE,
	    "history: the TXT record gone: reset, the policy kept");
	p.enforce_since = p.testing_since = 0;
	tap_ok(refresh_on_txt(&p, T0 + 3600, REFRESH_TXT_FOUND, "abc",
	    &confs[0], &upd) == REFRESH_KEEP &&
	    upd.enforce_since == T0 + 3600 && upd.testing_since == T0 + 3600,
	    "history: TXT same id on a policy without one: starts now");
	p.mode = RECORD_MODE_NONE;
	tap_ok(refresh_on_txt(&p, T0 + 3600, REFRESH_TXT_FOUND, "abc",
	    &confs[0], &upd) == REFRESH_KEEP && upd.enforce_since == 0 &&
	    upd.testing_since == 0,
	    "history: mode none never gets one");
}

/* ---- rule 7: what the sweeper may remove ---- */

static void
test_sweep(void)
{
	const struct refresh_conf *c = &confs[CONF_DEFAULT];
	struct record_policy p = { .fetched_at = 1000000, .max_age = 86400 };
	struct record_negative n = { RECORD_NEG_NO_RECORD, 3, 1000, 2000,
	    5000, "txt-none" };
	int64_t exp = 1000000 + 86400, keep = c->expired_keep;
	struct record_policy forever = p;

	tap_is_int(keep, 7 * 86400, "expired_keep: 7 days by default");
	tap_ok(!refresh_sweep_policy(&p, exp, c) &&
	    !refresh_sweep_policy(&p, exp + keep, c) &&
	    refresh_sweep_policy(&p, exp + keep + 1, c),
	    "policy: kept while valid and expired_keep after, then swept");
	tap_ok(!refresh_sweep_policy(&p, 0, c) &&
	    !refresh_sweep_policy(&p, INT64_MIN, c),
	    "policy: a clock gone back never sweeps it");
	forever.fetched_at = INT64_MAX - 10;
	forever.max_age = UINT32_MAX;
	tap_ok(!refresh_sweep_policy(&forever, INT64_MAX, c),
	    "policy: expiry beyond INT64_MAX saturates: never swept");
	tap_ok(!refresh_sweep_negative(&n, 4999, c) &&
	    !refresh_sweep_negative(&n, 5000 + 3600 - 1, c) &&
	    refresh_sweep_negative(&n, 5000 + 3600, c),
	    "negative: kept until retry_at + the reason's cap (3600 s)");
	n.reason = RECORD_NEG_DNS_ERROR;
	tap_ok(refresh_sweep_negative(&n, 5000 + 600, c) &&
	    !refresh_sweep_negative(&n, 5000 + 599, c),
	    "negative: the cap is the reason's (DNS error: 600 s)");
	n.retry_at = INT64_MAX;
	tap_ok(!refresh_sweep_negative(&n, INT64_MAX - 1, c),
	    "negative: retry_at + cap saturates");
	n.reason = (enum record_reason)RECORD_NEG_NREASONS;
	tap_ok(refresh_sweep_negative(&n, 0, c),
	    "negative: an unknown reason answers nothing: swept");
}

int
main(void)
{
	size_t i;

	setup_confs();
	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++)
		test_lookup(&lookup_cases[i]);
	for (i = 0; i < sizeof(txt_cases) / sizeof(txt_cases[0]); i++)
		test_txt(&txt_cases[i]);
	for (i = 0; i < sizeof(fail_cases) / sizeof(fail_cases[0]); i++)
		test_fail(&fail_cases[i]);
	for (i = 0; i < sizeof(neg_cases) / sizeof(neg_cases[0]); i++)
		test_neg(&neg_cases[i]);
	test_neg_sequence();
	test_fail_then_lookup();
	test_misc();
	for (i = 0; i < sizeof(hist_cases) / sizeof(hist_cases[0]); i++)
		test_history(&hist_cases[i]);
	test_history_order();
	test_history_txt();
	test_sweep();
	return tap_done();
}
