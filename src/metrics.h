/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * metrics.h: the daemon's metrics as Prometheus text (docs/metrics.md
 * lists every metric and label).  Pure: the caller collects a
 * snapshot (counters, cache and list state) and metrics_render()
 * writes it; no I/O, no clock.
 *
 * Names are mtastsd_*, in base units (seconds, bytes), counters end in
 * _total, Unix times in _timestamp_seconds.  Every label combination
 * a client can produce is written from the start, zero or not, so a
 * rate over it is defined before the first event.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>

#include "cache.h"
#include "cachetally.h"
#include "lookup.h"
#include "stats.h"

struct promfmt;

struct metrics_snap {
	const struct stats	*st;		/* the daemon's counters */
	struct lookup_stats	 ls;		/* every lookup service's,
						 * summed (metrics_add) */
	int			 have_cache;	/* cs is valid */
	struct cache_stat	 cs;
	/* The sweeper's last complete pass (src/sweep.h); kept_at 0: none
	 * yet, and its counts are left out. */
	int64_t			 kept_at;
	struct cachetally	 kept;
	/* The STARTTLS list (src/listupd.h). */
	int			 list_enabled;
	int			 list_installed;
	int			 list_expired;
	int64_t			 list_timestamp;	/* 0: none */
	int64_t			 list_expires;		/* 0: none */
	int64_t			 list_installed_at;	/* 0: none */
	uint64_t		 list_entries;
	int64_t			 list_last_attempt;	/* 0: none */
	int64_t			 list_last_success;	/* 0: none */
	const char		*list_last_outcome;	/* "none", ... */
	int			 list_last_ok;
	const char		*version;		/* PACKAGE_VERSION */
};

/* metrics_add: add b's counters to a's (a service retired on reload
 * still counts; gauges add up too: both services are running). */
void metrics_add(struct lookup_stats *a, const struct lookup_stats *b);

/* metrics_render: every metric of s into f (promfmt.h errors). */
void metrics_render(const struct metrics_snap *s, struct promfmt *f);

#endif /* METRICS_H */
