/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * stats.h: the daemon's own counters (every answer to a client by
 * protocol, profile, verdict and source; answer latency; connections),
 * reported by the JSON "stats" op and by the metrics endpoint
 * (src/metrics.h, docs/metrics.md) next to the lookup service's
 * counters (resolver/lookup.h lookup_get_stats).  Also the optional
 * one log line per answer (log_lookups).
 *
 * A plain value type: mtastsd.c owns one struct stats and hands a
 * pointer to the listener and the protocol modules, which record an
 * answer with stats_answer().  Loop thread only; no locking and no
 * allocation: an answer costs a few increments and, when log_lookups
 * is on, one log line.
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

struct lookup_answer;

/* Who asked (docs/PROTOCOLS.md). */
enum stats_proto {
	STATS_SOCKMAP = 0,	/* Postfix socketmap */
	STATS_TCPTABLE,		/* Postfix tcp_table */
	STATS_JSON,		/* JSON lines (mtasts, scripts) */
	STATS_TABLE_MTASTS,	/* JSON lines from table-mtasts */
	STATS_NPROTO
};

/* Which reply profile answered (conf_profile(); "none": the request
 * was rejected before a profile applied). */
enum stats_profile {
	STATS_PROF_POSTFIX = 0,
	STATS_PROF_POSTFIX_TLSRPT,
	STATS_PROF_NONE,
	STATS_NPROFILE
};

/*
 * What the client was told, in socketmap terms whatever the protocol:
 * OK (a policy to enforce), NOTFOUND (nothing to enforce: no policy,
 * mode testing/none, not a mail domain), TEMP (try again later), PERM
 * (the request itself was malformed).  tcp_table's 200/500/400 and the
 * JSON "verdict" (or its errors) map onto these.
 */
enum stats_verdict {
	STATS_OK = 0,
	STATS_NOTFOUND,
	STATS_TEMP,
	STATS_PERM,
	STATS_NVERDICT
};

/* Where the answer came from (lookup.h enum lookup_source, and "none"
 * when no lookup ran or it ended without a source). */
enum stats_source {
	STATS_SRC_CACHE = 0,	/* a cached MTA-STS policy */
	STATS_SRC_NEGATIVE,	/* a cached "no policy" */
	STATS_SRC_DISCOVERY,	/* a discovery the client waited for */
	STATS_SRC_LIST,		/* the STARTTLS Policy List */
	STATS_SRC_DANE,		/* DANE decided (Postfix: dane, dane-only,
				 * or TEMP for failed DNSSEC lookups) */
	STATS_SRC_NONE,		/* deadline, overload, error, no lookup */
	STATS_NSOURCE
};

/*
 * Latency buckets, upper bounds in microseconds: cached answers take
 * tens of microseconds, discoveries up to lookup_timeout (seconds).
 * Counted from the start of the lookup to its answer; requests
 * answered without a lookup are not observed.
 */
#define STATS_LATENCY_BOUNDS { 10, 25, 50, 100, 250, 500, 1000, 2500, \
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, \
	2500000, 5000000, 10000000, 30000000 }
#define STATS_NBUCKET	21	/* the bounds above, then +Inf */

struct stats {
	uint64_t	 answers[STATS_NPROTO][STATS_NPROFILE][STATS_NVERDICT]
			    [STATS_NSOURCE];
	uint64_t	 latency[STATS_NBUCKET];  /* not cumulative */
	uint64_t	 latency_sum_us;
	uint64_t	 proto_errors[STATS_NPROTO]; /* malformed requests */
	uint64_t	 conns_open;	/* now, including closing ones */
	uint64_t	 conns_total;	/* accepted since start */
	uint64_t	 conns_refused;	/* accept failures (fd limits) */
	uint64_t	 conns_limit;	/* accepting paused at
					 * max_connections */
	uint64_t	 conns_idle_closed; /* closed by the idle deadline */
	uint64_t	 conns_request_timeout; /* closed: request unfinished
					 * past client_request_timeout */
	uint64_t	 conns_evicted;	/* idle, closed to make room */
	uint64_t	 conns_user_limit; /* refused: max_connections_per_user */
	int64_t		 started_at;	/* unix time of start */
	int		 log_lookups;	/* log every answer (conf) */
};

/* One answer to a client. */
struct stats_rec {
	enum stats_proto	 proto;
	enum stats_profile	 profile;
	enum stats_verdict	 verdict;
	const struct lookup_answer *ans; /* the lookup's answer, or NULL
					 * when none ran */
	const char		*key;	/* the key as sent, when ans is
					 * NULL (for the log; NULL: none) */
	size_t			 keylen;
	const char		*why;	/* without ans: the reason, for
					 * the log (NULL: none) */
	int			 dane;	/* the answer is ans's DANE
					 * verdict, not its MTA-STS part */
};

/*
 * stats_answer: count one answer (answers[][][][], by the answer's
 * source, STATS_SRC_DANE when rec->dane) and log it when st->log_lookups is set.  `rec` is borrowed.
 */
void stats_answer(struct stats *st, const struct stats_rec *rec);

/* stats_latency: observe one lookup's latency in microseconds. */
void stats_latency(struct stats *st, uint64_t us);

/* stats_source: the stats source of a lookup answer (NULL: none). */
enum stats_source stats_source(const struct lookup_answer *ans);

/* stats_latency_bound: bucket i's upper bound in microseconds; 0 for
 * the last (+Inf) bucket. */
uint64_t stats_latency_bound(size_t i);

/* Names, as the metrics labels and the JSON stats print them;
 * "invalid" for anything out of range. */

/* stats_proto_str: "socketmap", "tcp_table", "json", "table-mtasts". */
const char *stats_proto_str(enum stats_proto p);

/* stats_profile_str: "postfix", "postfix-tlsrpt", "none". */
const char *stats_profile_str(enum stats_profile p);

/* stats_verdict_str: "OK", "NOTFOUND", "TEMP", "PERM". */
const char *stats_verdict_str(enum stats_verdict v);

/* stats_source_str: "cache", "negative", "discovery", "list", "dane",
 * "none". */
const char *stats_source_str(enum stats_source s);

#endif /* STATS_H */
