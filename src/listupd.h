/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listupd.h: the STARTTLS Policy List inside the daemon: the installed
 * list, start-up from the bundled copy, scheduled and on-demand
 * updates, expiry, status (docs/DESIGN.md §List).
 *
 * Purpose: keep one verified list in the store (resolver/liststore.h)
 * and tell the lookup services about it (struct lookup_list, read at
 * every fallback; resolver/lookup.h has the precedence).  An update
 * (a "job") gets policy.json and policy.json.asc, from the bundled copy
 * (conf starttls_list_bundle, FILE and FILE.asc) or over HTTPS (URL and
 * URL.asc: resolver/listfetch.h, our own c-ares channel and libcurl
 * with any Content-Type, at most LISTUPD_JSON_MAX bytes each),
 * writes both to a private directory under state_dir
 * (LISTUPD_TMPDIR, mode 0700; removed with the files when the job ends)
 * and runs gpgv on them with listsig's split form, its output watched
 * by the event loop.  Then it parses
 * the file (tlslist) and compares it with the installed list (listsig_
 * rollback_check).  Any failure (fetch, bad signature, other key,
 * rollback, invalid JSON, store) keeps the installed list in force; a
 * newer valid list is swapped in (liststore_install: one transaction).
 * An equal one (same signature time and timestamp) is "unchanged".
 *
 * Schedule: at start-up, the bundled copy is checked when a bundle is
 * configured (it replaces the stored list only if it is newer); then,
 * with a URL, the list is fetched within LISTUPD_FIRST_MAX seconds (or
 * at installed_at + interval when the stored list came from that URL
 * and is that recent), then every starttls_list_interval (at most
 * 48 h, conf.c) less up to 10% jitter, so the interval is never
 * exceeded; after a failure, again after min(interval, 1 h) less
 * jitter.  One job runs at a time; requests that come while one runs
 * wait for the next (at most one pending job; a request for another
 * source than the pending one's is refused "busy").
 *
 * Expiry: an expired list stays installed (status, rollback base) but
 * is never applied; the daemon warns once when a list is loaded expired
 * and once when it expires (a timer, and every status request, check).
 *
 * Time: list times (expiry, installed_at) use the clock given to
 * listupd_new (the lookup services' clock, which test.clock moves);
 * the schedule uses libevent's monotonic timers.
 *
 * Threading: the interface is loop thread only.  gpgv runs as a child
 * process; its pid is reaped through listsig_job_reap, without blocking
 * (nothing else may reap children).  A verified file is parsed by a
 * worker thread of the job (it touches nothing but the job's buffers)
 * and handed back to the loop through a pipe; the install is done on
 * the loop.
 * Ownership: requests belong to listupd until their callback ran or
 * listupd_cancel; the result is borrowed for the callback.  Logging:
 * this module logs installs, rejections and expiry (src/ may log).
 */
#ifndef LISTUPD_H
#define LISTUPD_H

#include <stddef.h>
#include <stdint.h>

#include "liststore.h"
#include "lookup.h"

struct cache;
struct conf;
struct event_base;
struct listupd;
struct listupd_req;

#define LISTUPD_JSON_MAX	(4 * 1024 * 1024)	/* real list: 120 KB */
#define LISTUPD_SIG_MAX		65536
#define LISTUPD_TMPDIR		"starttls-list.tmp"
#define LISTUPD_FIRST_MAX	10	/* s, first fetch after start-up */
#define LISTUPD_RETRY_MAX	3600	/* s, retry after a failure */
#define LISTUPD_DETAIL_MAX	512
#define LISTUPD_SOURCE_BUNDLED	"bundled"

enum listupd_outcome {
	LISTUPD_NONE = 0,	/* no attempt yet */
	LISTUPD_INSTALLED,	/* a newer list is in force now */
	LISTUPD_UNCHANGED,	/* the same list as installed */
	LISTUPD_NOT_NEWER,	/* bundled copy older than the installed */
	LISTUPD_ROLLBACK,	/* older signature time or timestamp */
	LISTUPD_BAD_SIGNATURE,	/* does not verify over the bytes */
	LISTUPD_WRONG_KEY,	/* signed by another key than the pinned */
	LISTUPD_INVALID,	/* signed, but not a valid list */
	LISTUPD_FETCH_FAILED,	/* DNS, HTTPS, size, unreadable bundle */
	LISTUPD_VERIFY_FAILED,	/* no verdict: gpgv missing, failed, slow */
	LISTUPD_STORE_FAILED,	/* the store write failed */
	LISTUPD_ERROR,		/* local: memory, temp files */
	LISTUPD_EXPIRED		/* fetched, but already expired */
};

struct listupd_result {
	enum listupd_outcome	 outcome;
	const char		*source;	/* URL or "bundled" */
	const char		*detail;	/* human text, never NULL */
};

/* What status shows. Strings are borrowed until the next event. */
struct listupd_status {
	int			 enabled;
	int			 installed;	/* a usable list is stored */
	struct liststore_meta	 meta;		/* when installed */
	int			 expired;	/* at the clock's now */
	int			 enforce_testing;
	const char		*url;		/* configured, "" none */
	int64_t			 interval;	/* s */
	int			 updating;	/* a job runs */
	const char		*updating_source;
	int64_t			 next_update;	/* unix time; 0: none */
	int64_t			 last_attempt;	/* unix time; 0: none */
	const char		*last_source;
	enum listupd_outcome	 last_outcome;
	const char		*last_detail;
	int64_t			 last_success;	/* last URL fetch that
						 * verified (installed or
						 * unchanged); 0: none */
	const char		*note;		/* why a stored list is
						 * ignored, or "" */
};

typedef void listupd_cb(const struct listupd_result *res, void *arg);

/*
 * listupd_new: the list of conf (copied; reload with listupd_reconf),
 * with `cache` (borrowed), times from clock(clock_arg).  Reads the
 * stored list and logs its state; schedules the start-up work (nothing
 * runs before the event loop does).  NULL on failure, reason in err.
 * With starttls_list = no it exists but does nothing.
 */
struct listupd	*listupd_new(struct event_base *base, struct cache *cache,
		    const struct conf *conf, int64_t (*clock)(void *),
		    void *clock_arg, char *err, size_t errlen);

/* listupd_free: stop the job (gpgv is killed), free.  Requests must be
 * cancelled first (their owners are gone).  NULL is a no-op. */
void		 listupd_free(struct listupd *lu);

/*
 * listupd_reconf: apply the reloadable options of conf (URL, interval,
 * enforce_testing, network settings); the next job uses them.  Returns
 * 0, or -1 (out of memory: the old settings stay).
 */
int		 listupd_reconf(struct listupd *lu, const struct conf *conf);

/* listupd_lookup_list: the state the lookup services read (borrowed
 * for the life of lu). */
const struct lookup_list *listupd_lookup_list(const struct listupd *lu);

/*
 * listupd_update: fetch and install now from `url` (NULL: the
 * configured one).  cb(arg) runs once with the outcome, never before
 * this returns.  NULL when not started, with *why one of "disabled",
 * "no-url" (none configured or given), "bad-url", "busy" (another
 * source is pending), "memory".
 */
struct listupd_req *listupd_update(struct listupd *lu, const char *url,
		    listupd_cb *cb, void *arg, const char **why);

/* listupd_cancel: cb never runs; the handle is gone.  NULL: no-op. */
void		 listupd_cancel(struct listupd_req *req);

/* listupd_status: the state now (also checks expiry, see above). */
void		 listupd_status(struct listupd *lu, struct listupd_status *st);

/* "installed", "unchanged", "not-newer", "rollback", "bad-signature",
 * "wrong-key", "invalid", "fetch-failed", "verify-failed",
 * "store-failed", "error", "expired"; "none" for LISTUPD_NONE. */
const char	*listupd_outcome_str(enum listupd_outcome o);

/* listupd_outcome_ok: 1 for INSTALLED, UNCHANGED and NOT_NEWER. */
int		 listupd_outcome_ok(enum listupd_outcome o);

/*
 * listupd_test_hold: test mode (mtastsd -T) only: every parse worker
 * waits ms before it parses, so that a test can show lookups answered
 * while a parse runs.  Call before the loop starts; 0 (the default):
 * no wait.
 */
void		 listupd_test_hold(int64_t ms);

#endif /* LISTUPD_H */
