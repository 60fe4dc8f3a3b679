/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * stats.h: the daemon's own counters (lookups by protocol and result,
 * connections), reported by the JSON "stats" op next to the lookup
 * service's counters (resolver/lookup.h lookup_get_stats).
 *
 * A plain value type: mtastsd.c owns one struct stats and hands a
 * pointer to the listener and the protocol modules, which bump the
 * fields directly.  Loop thread only; no locking, no allocation.
 */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

/* The protocols of the lookup socket (docs/PROTOCOLS.md). */
enum stats_proto {
	STATS_SOCKMAP = 0,	/* Postfix socketmap */
	STATS_TCPTABLE,		/* Postfix tcp_table */
	STATS_JSON,		/* JSON lines */
	STATS_NPROTO
};

/*
 * How a lookup request ended, the same for every protocol:
 *   POLICY      the lookup service answered with an MTA-STS policy
 *               (any mode: Postfix may still get NOTFOUND for testing)
 *   NONE        no policy is known (NOTFOUND / 500 / "source":"none")
 *   NOT_DOMAIN  the key is not a mail domain or not valid: answered
 *               "not found" without any lookup
 *   TEMP        local failure: TEMP / 400 / "ok":false
 *   ERROR       the request itself was malformed (PERM, 400, bad-request)
 */
enum stats_result {
	STATS_POLICY = 0,
	STATS_NONE,
	STATS_NOT_DOMAIN,
	STATS_TEMP,
	STATS_ERROR,
	STATS_NRESULT
};

struct stats {
	uint64_t	 lookups[STATS_NPROTO][STATS_NRESULT];
	uint64_t	 conns_open;	/* now, including closing ones */
	uint64_t	 conns_total;	/* accepted since start */
	uint64_t	 conns_refused;	/* accept failures (fd limits) */
	uint64_t	 conns_idle_closed; /* closed by the idle deadline */
	uint64_t	 conns_request_timeout; /* closed: request unfinished
					 * past client_request_timeout */
	uint64_t	 conns_evicted;	/* idle, closed to make room */
	uint64_t	 conns_user_limit; /* refused: max_connections_per_user */
	int64_t		 started_at;	/* unix time of start */
};

/* stats_proto_str: "socketmap", "tcp_table", "json"; "invalid". */
const char	*stats_proto_str(enum stats_proto p);

/* stats_result_str: "policy", "none", "not-domain", "temp", "error";
 * "invalid" for anything else. */
const char	*stats_result_str(enum stats_result r);

#endif /* STATS_H */
