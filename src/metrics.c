/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * metrics.c: the metrics as Prometheus text; see metrics.h and
 * docs/metrics.md.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "cache.h"
#include "lookup.h"
#include "metrics.h"
#include "promfmt.h"
#include "record.h"
#include "resolve.h"
#include "stats.h"


/* A new cache database needs its label in render_cache(). */
_Static_assert(CACHE_DB_COUNT == 5, "name every cache database");

/* Every field of struct lookup_stats is a uint64_t counter or gauge. */
_Static_assert(sizeof(struct lookup_stats) % sizeof(uint64_t) == 0,
    "struct lookup_stats: uint64_t fields only");

void
metrics_add(struct lookup_stats *a, const struct lookup_stats *b)
{
	uint64_t va[sizeof(*a) / sizeof(uint64_t)];
	uint64_t vb[sizeof(*b) / sizeof(uint64_t)];
	size_t i;

	memcpy(va, a, sizeof(va));
	memcpy(vb, b, sizeof(vb));
	for (i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		va[i] += vb[i];
	memcpy(a, va, sizeof(va));
}

/* one: a family with a single unlabelled sample. */
static void
one_u64(struct promfmt *f, const char *name, const char *type,
    const char *help, uint64_t v)
{
	promfmt_family(f, name, type, help);
	promfmt_u64(f, name, NULL, 0, v);
}

static void
one_double(struct promfmt *f, const char *name, const char *help, double v)
{
	promfmt_family(f, name, "gauge", help);
	promfmt_double(f, name, NULL, 0, v);
}

/* proto_has_profile: can answers of protocol p carry profile r? */
static int
proto_has_profile(int p, int r)
{
	return r != STATS_PROF_POSTFIX_TLSRPT || p == STATS_SOCKMAP;
}

static void
render_lookups(const struct stats *st, struct promfmt *f)
{
	struct promfmt_label l[4];
	int p, r, v, s;

	promfmt_family(f, "mtastsd_lookups_total", "counter",
	    "Answers to clients, by protocol, reply profile, verdict "
	    "(socketmap terms) and source.");
	l[0].name = "protocol";
	l[1].name = "profile";
	l[2].name = "verdict";
	l[3].name = "source";
	for (p = 0; p < STATS_NPROTO; p++)
		for (r = 0; r < STATS_NPROFILE; r++) {
			if (!proto_has_profile(p, r))
				continue;
			for (v = 0; v < STATS_NVERDICT; v++)
				for (s = 0; s < STATS_NSOURCE; s++) {
					l[0].value = stats_proto_str(p);
					l[1].value = stats_profile_str(r);
					l[2].value = stats_verdict_str(v);
					l[3].value = stats_source_str(s);
					promfmt_u64(f, "mtastsd_lookups_total",
					    l, 4, st->answers[p][r][v][s]);
				}
		}
}

static void
render_latency(const struct stats *st, struct promfmt *f)
{
	double bounds[STATS_NBUCKET - 1];
	size_t i;

	for (i = 0; i < STATS_NBUCKET - 1; i++)
		bounds[i] = (double)stats_latency_bound(i) / 1e6;
	promfmt_family(f, "mtastsd_lookup_duration_seconds", "histogram",
	    "Time from the start of a lookup to its answer.");
	promfmt_histogram(f, "mtastsd_lookup_duration_seconds", bounds,
	    st->latency, STATS_NBUCKET - 1, (double)st->latency_sum_us / 1e6);
}

static void
render_conns(const struct stats *st, struct promfmt *f)
{
	struct promfmt_label l = { "protocol", NULL };
	int p;

	promfmt_family(f, "mtastsd_protocol_errors_total", "counter",
	    "Requests that could not be understood, or JSON ops refused "
	    "(not-allowed), by protocol.");
	for (p = 0; p < STATS_NPROTO; p++) {
		l.value = stats_proto_str(p);
		promfmt_u64(f, "mtastsd_protocol_errors_total", &l, 1,
		    st->proto_errors[p]);
	}
	one_u64(f, "mtastsd_connections_open", "gauge",
	    "Client connections open now.", st->conns_open);
	one_u64(f, "mtastsd_connections_accepted_total", "counter",
	    "Client connections accepted.", st->conns_total);
	one_u64(f, "mtastsd_connections_refused_total", "counter",
	    "accept() failures for lack of descriptors or memory.",
	    st->conns_refused);
	one_u64(f, "mtastsd_connections_limit_reached_total", "counter",
	    "Times accepting paused at max_connections, no connection "
	    "idle to close.", st->conns_limit);
	one_u64(f, "mtastsd_connections_idle_closed_total", "counter",
	    "Connections closed by client_idle_timeout or "
	    "socketmap_idle_timeout.", st->conns_idle_closed);
	one_u64(f, "mtastsd_connections_request_timeout_total", "counter",
	    "Connections closed with a request unfinished past "
	    "client_request_timeout.", st->conns_request_timeout);
	one_u64(f, "mtastsd_connections_evicted_total", "counter",
	    "Idle connections closed to make room for a new one.",
	    st->conns_evicted);
	one_u64(f, "mtastsd_connections_user_limit_total", "counter",
	    "Connections refused by max_connections_per_user.",
	    st->conns_user_limit);
}

static void
render_runs(const struct lookup_stats *ls, struct promfmt *f)
{
	struct promfmt_label l[2] = { { "kind", NULL }, { "result", NULL } };
	int k, e;

	promfmt_family(f, "mtastsd_resolve_runs_total", "counter",
	    "Finished background runs (discovery, policy refetch, TXT "
	    "re-check) by result: ok or the failure kind.");
	for (k = 0; k < LOOKUP_NRUN; k++)
		for (e = RESOLVE_OK; e <= RESOLVE_POLICY_INVALID; e++) {
			if (e == RESOLVE_DOMAIN_INVALID)
				continue;	/* refused before any run */
			l[0].value = lookup_run_str(k);
			l[1].value = resolve_code(e);
			promfmt_u64(f, "mtastsd_resolve_runs_total", l, 2,
			    ls->runs[k][e]);
		}
}

static void
render_service(const struct lookup_stats *ls, struct promfmt *f)
{
	struct promfmt_label l = { "event", NULL };
	struct promfmt_label lim = { "limit", NULL };
	static const char *const ev[] = { "new", "replaced",
	    "kept_after_failure", "expired" };
	uint64_t n[4] = { ls->policies_new, ls->policies_replaced,
	    ls->refresh_failures, ls->policies_expired };
	size_t i;

	render_runs(ls, f);
	one_u64(f, "mtastsd_discoveries_started_total", "counter",
	    "Discoveries started for domains without a valid policy.",
	    ls->discoveries);
	one_u64(f, "mtastsd_refreshes_started_total", "counter",
	    "Background refreshes (TXT re-check or refetch) started.",
	    ls->refreshes);
	one_u64(f, "mtastsd_refreshes_skipped_total", "counter",
	    "Refresh opportunities skipped at a limit.", ls->refresh_skipped);
	one_u64(f, "mtastsd_jobs_running", "gauge",
	    "Domains with a background job (discovery or refresh) now.",
	    ls->pending_domains);
	one_u64(f, "mtastsd_lookups_waiting", "gauge",
	    "Lookups waiting for a discovery now.", ls->in_flight);
	one_u64(f, "mtastsd_lookup_deadline_total", "counter",
	    "Lookups answered without a policy at their wait's end.",
	    ls->deadline);
	one_u64(f, "mtastsd_lookup_overload_total", "counter",
	    "Lookups answered without a policy at a limit (overload).",
	    ls->overload);
	promfmt_family(f, "mtastsd_overloads_total", "counter",
	    "Work refused at a limit (lookups answered overload, refreshes "
	    "skipped), by the limit.");
	for (i = 0; i < LOOKUP_NLIMIT; i++) {
		lim.value = lookup_limit_str((enum lookup_limit)i);
		promfmt_u64(f, "mtastsd_overloads_total", &lim, 1,
		    ls->overloads[i]);
	}
	one_u64(f, "mtastsd_discoveries_quota_running", "gauge",
	    "Discoveries started by JSON clients other than table-mtasts "
	    "(counted against max_pending_json) running now.",
	    ls->quota_running);
	promfmt_family(f, "mtastsd_policy_events_total", "counter",
	    "What became of cached policies: new, replaced by a fetched "
	    "one, kept after a failed refresh, expired without a "
	    "replacement.");
	for (i = 0; i < 4; i++) {
		l.value = ev[i];
		promfmt_u64(f, "mtastsd_policy_events_total", &l, 1, n[i]);
	}
	one_u64(f, "mtastsd_cache_errors_total", "counter",
	    "Cache reads and writes that failed.", ls->cache_errors);
	one_u64(f, "mtastsd_cache_corrupt_total", "counter",
	    "Cached records that did not decode (deleted).", ls->corrupt);
	one_u64(f, "mtastsd_starttls_list_testing_skipped_total", "counter",
	    "Lookups of domains listed in mode testing, not answered from "
	    "the list.", ls->list_testing);
}

/* The last complete sweep's counts by kind; nothing before one. */
static void
render_kept(const struct metrics_snap *s, struct promfmt *f)
{
	static const char name[] = "mtastsd_cache_sweep_entries";
	struct promfmt_label l[2] = { { "kind", NULL }, { NULL, NULL } };
	int i;

	if (s->kept_at == 0)
		return;
	one_u64(f, "mtastsd_cache_sweep_last_pass_timestamp_seconds", "gauge",
	    "When the last complete sweep of the cache ended.",
	    (uint64_t)s->kept_at);
	promfmt_family(f, name, "gauge", "Entries the last complete sweep "
	    "kept: policies by mode, negative entries by reason, DANE "
	    "verdicts.");
	l[0].value = "policy";
	l[1].name = "mode";
	for (i = CACHETALLY_NMODES - 1; i >= 0; i--) {
		l[1].value = record_mode_str((enum record_mode)i);
		promfmt_u64(f, name, l, 2, s->kept.policy[i]);
	}
	l[0].value = "negative";
	l[1].name = "reason";
	for (i = 0; i < RECORD_NEG_NREASONS; i++) {
		l[1].value = record_reason_str((enum record_reason)i);
		promfmt_u64(f, name, l, 2, s->kept.negative[i]);
	}
	l[0].value = "dane";
	promfmt_u64(f, name, l, 1, s->kept.dane);
}

static void
render_cache(const struct metrics_snap *s, struct promfmt *f)
{
	static const char *const db[CACHE_DB_COUNT] = {
		[CACHE_DB_POLICY] = "policy",
		[CACHE_DB_NEGATIVE] = "negative",
		[CACHE_DB_LIST] = "list",
		[CACHE_DB_META] = "meta",
		[CACHE_DB_DANE] = "dane",
	};
	struct promfmt_label l = { "db", NULL };
	int i;

	if (!s->have_cache)
		return;
	promfmt_family(f, "mtastsd_cache_entries", "gauge",
	    "Entries in each cache database.");
	for (i = 0; i < CACHE_DB_COUNT; i++) {
		l.value = db[i];
		promfmt_u64(f, "mtastsd_cache_entries", &l, 1,
		    s->cs.entries[i]);
	}
	one_u64(f, "mtastsd_cache_map_used_bytes", "gauge",
	    "Bytes of the cache's live pages (what the cache_map_max "
	    "warnings compare).", s->cs.used);
	one_u64(f, "mtastsd_cache_file_bytes", "gauge",
	    "Bytes of the cache file up to its highest page used.",
	    s->cs.file);
	one_u64(f, "mtastsd_cache_map_size_bytes", "gauge",
	    "Current size of the cache map.", s->cs.map_size);
	one_u64(f, "mtastsd_cache_map_max_bytes", "gauge",
	    "Largest size the cache map may grow to (cache_map_max).",
	    s->cs.map_max);
}

static void
render_list(const struct metrics_snap *s, struct promfmt *f)
{
	struct promfmt_label l = { "outcome", s->list_last_outcome };

	one_u64(f, "mtastsd_starttls_list_enabled", "gauge",
	    "1 when starttls_list = yes.", (uint64_t)s->list_enabled);
	one_u64(f, "mtastsd_starttls_list_loaded", "gauge",
	    "1 when a verified list is installed.",
	    (uint64_t)s->list_installed);
	one_u64(f, "mtastsd_starttls_list_expired", "gauge",
	    "1 when the installed list is past its expiry.",
	    (uint64_t)s->list_expired);
	one_double(f, "mtastsd_starttls_list_timestamp_seconds",
	    "The installed list's timestamp (0: none).",
	    (double)s->list_timestamp);
	one_double(f, "mtastsd_starttls_list_expiry_timestamp_seconds",
	    "The installed list's expiry (0: none).",
	    (double)s->list_expires);
	one_double(f, "mtastsd_starttls_list_installed_timestamp_seconds",
	    "When the installed list was installed (0: none).",
	    (double)s->list_installed_at);
	one_u64(f, "mtastsd_starttls_list_entries", "gauge",
	    "Domains in the installed list.", s->list_entries);
	one_double(f, "mtastsd_starttls_list_last_update_timestamp_seconds",
	    "When the last update was tried (0: never).",
	    (double)s->list_last_attempt);
	one_double(f,
	    "mtastsd_starttls_list_last_success_timestamp_seconds",
	    "When an update last verified (0: never).",
	    (double)s->list_last_success);
	one_u64(f, "mtastsd_starttls_list_last_update_ok", "gauge",
	    "1 when the last update succeeded or none was tried yet.",
	    (uint64_t)(s->list_last_ok || s->list_last_attempt == 0));
	promfmt_family(f, "mtastsd_starttls_list_last_update_outcome",
	    "gauge", "The last update's outcome, as a label (value 1).");
	promfmt_u64(f, "mtastsd_starttls_list_last_update_outcome", &l, 1, 1);
}

void
metrics_render(const struct metrics_snap *s, struct promfmt *f)
{
	struct promfmt_label v = { "version", s->version };

	promfmt_family(f, "mtastsd_build_info", "gauge",
	    "The running mtastsd's version (value 1).");
	promfmt_u64(f, "mtastsd_build_info", &v, 1, 1);
	one_double(f, "mtastsd_start_time_seconds",
	    "When the daemon started, Unix time.", (double)s->st->started_at);
	render_lookups(s->st, f);
	render_latency(s->st, f);
	render_conns(s->st, f);
	render_service(&s->ls, f);
	render_cache(s, f);
	render_kept(s, f);
	render_list(s, f);
}
