/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * stats.c: names of the daemon's counters; see stats.h.
 */
#include "stats.h"

static const char *const proto_names[STATS_NPROTO] = {
	[STATS_SOCKMAP] = "socketmap",
	[STATS_TCPTABLE] = "tcp_table",
	[STATS_JSON] = "json",
};

static const char *const result_names[STATS_NRESULT] = {
	[STATS_POLICY] = "policy",
	[STATS_NONE] = "none",
	[STATS_NOT_DOMAIN] = "not-domain",
	[STATS_TEMP] = "temp",
	[STATS_ERROR] = "error",
};

const char *
stats_proto_str(enum stats_proto p)
{
	if ((unsigned)p >= STATS_NPROTO)
		return "invalid";
	return proto_names[p];
}

const char *
stats_result_str(enum stats_result r)
{
	if ((unsigned)r >= STATS_NRESULT)
		return "invalid";
	return result_names[r];
}
