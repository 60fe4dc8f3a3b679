/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_metrics.c: the daemon's metrics text from a known snapshot:
 * the samples the counters must move, the naming rules (counters end
 * in _total, one HELP and TYPE per family, before its samples), the
 * latency buckets, stats_answer()/stats_latency() counting, and the
 * sweeper's tally of the cache by kind (cachetally.h) and its samples.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cachetally.h"
#include "lookup.h"
#include "metrics.h"
#include "promfmt.h"
#include "resolve.h"
#include "stats.h"
#include "tap.h"

static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void
want_line(const char *text, const char *line)
{
	if (!tap_ok(has_line(text, line), "line %s", line))
		tap_diag("not in the output");
}

/* check_families: HELP then TYPE before samples; counters _total. */
static void
check_families(const char *text)
{
	char *copy = strdup(text), *line, *save = NULL;
	char fam[128] = "", type[32] = "";
	char seen[64][128];
	int nseen = 0, bad = 0, i;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			sscanf(line + 7, "%127s", fam);
			for (i = 0; i < nseen; i++)
				if (strcmp(seen[i], fam) == 0)
					bad++, tap_diag("family twice: %s",
					    fam);
			if (nseen < 64)
				snprintf(seen[nseen++], 128, "%s", fam);
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			if (sscanf(line + 7, "%*s %31s", type) != 1)
				bad++;
			if (strcmp(type, "counter") == 0 &&
			    strstr(fam, "_total") == NULL)
				bad++, tap_diag("counter without _total: %s",
				    fam);
		} else if (strncmp(line, fam, strlen(fam)) != 0 ||
		    fam[0] == '\0') {
			bad++;
			tap_diag("sample outside its family: %s", line);
		}
	}
	tap_ok(bad == 0, "families: HELP/TYPE first, unique, counters _total");
	tap_ok(nseen > 30, "%d families", nseen);
	free(copy);
}

static void
test_render(void)
{
	static struct stats st;
	struct stats_rec r = { STATS_SOCKMAP, STATS_PROF_POSTFIX, STATS_OK,
	    NULL, NULL, 0, NULL, 0 };
	struct lookup_answer ans;
	struct metrics_snap s;
	struct promfmt f;
	int i;

	memset(&ans, 0, sizeof(ans));
	ans.domain = "example.com";
	ans.status = LOOKUP_POLICY;
	ans.source = LOOKUP_SRC_CACHE;
	r.ans = &ans;
	for (i = 0; i < 3; i++)
		stats_answer(&st, &r);
	ans.source = LOOKUP_SRC_DISCOVERY;
	stats_answer(&st, &r);
	r.dane = 1;			/* DANE decided: source dane */
	stats_answer(&st, &r);
	r.dane = 0;
	r.proto = STATS_TABLE_MTASTS;
	r.verdict = STATS_NOTFOUND;
	r.ans = NULL;
	stats_answer(&st, &r);
	stats_latency(&st, 7);		/* bucket 10 us */
	stats_latency(&st, 10);		/* still 10 us: bounds are <= */
	stats_latency(&st, 11);		/* 25 us */
	stats_latency(&st, 2000000);	/* 2.5 s */
	stats_latency(&st, 99000000);	/* +Inf */
	st.started_at = 1700000000;
	st.proto_errors[STATS_TCPTABLE] = 2;

	memset(&s, 0, sizeof(s));
	s.st = &st;
	s.version = "9.9";
	s.ls.runs[LOOKUP_RUN_DISCOVERY][RESOLVE_OK] = 1;
	s.ls.runs[LOOKUP_RUN_TXT][RESOLVE_DNS_TIMEOUT] = 4;
	s.ls.policies_new = 1;
	s.ls.refresh_failures = 5;
	s.have_cache = 1;
	s.cs.entries[CACHE_DB_POLICY] = 12;
	s.cs.used = 65536;
	s.cs.file = 131072;
	s.cs.map_max = 1 << 30;
	s.list_enabled = 1;
	s.list_installed = 1;
	s.list_expires = 1800000000;
	s.list_last_outcome = "installed";
	s.list_last_ok = 1;
	s.list_last_attempt = 1700000100;

	promfmt_init(&f);
	metrics_render(&s, &f);
	tap_ok(promfmt_error(&f) == NULL, "rendered without error");
	if (f.buf == NULL)
		return;
	want_line(f.buf, "mtastsd_build_info{version=\"9.9\"} 1");
	want_line(f.buf, "mtastsd_start_time_seconds 1700000000");
	want_line(f.buf, "mtastsd_lookups_total{protocol=\"socketmap\","
	    "profile=\"postfix\",verdict=\"OK\",source=\"cache\"} 3");
	want_line(f.buf, "mtastsd_lookups_total{protocol=\"socketmap\","
	    "profile=\"postfix\",verdict=\"OK\",source=\"discovery\"} 1");
	want_line(f.buf, "mtastsd_lookups_total{protocol=\"socketmap\","
	    "profile=\"postfix\",verdict=\"OK\",source=\"dane\"} 1");
	want_line(f.buf, "mtastsd_lookups_total{protocol=\"table-mtasts\","
	    "profile=\"postfix\",verdict=\"NOTFOUND\",source=\"none\"} 1");
	want_line(f.buf, "mtastsd_lookups_total{protocol=\"tcp_table\","
	    "profile=\"postfix\",verdict=\"TEMP\",source=\"cache\"} 0");
	tap_ok(strstr(f.buf, "protocol=\"tcp_table\",profile=\""
	    "postfix-tlsrpt\"") == NULL, "no tlsrpt profile outside socketmap");
	want_line(f.buf, "mtastsd_lookup_duration_seconds_bucket{le=\"1e-05\"} 2");
	want_line(f.buf, "mtastsd_lookup_duration_seconds_bucket{le=\"2.5e-05\"} 3");
	want_line(f.buf, "mtastsd_lookup_duration_seconds_bucket{le=\"2.5\"} 4");
	want_line(f.buf, "mtastsd_lookup_duration_seconds_bucket{le=\"30\"} 4");
	want_line(f.buf, "mtastsd_lookup_duration_seconds_bucket{le=\"+Inf\"} 5");
	want_line(f.buf, "mtastsd_lookup_duration_seconds_count 5");
	want_line(f.buf, "mtastsd_lookup_duration_seconds_sum 101.000028");
	want_line(f.buf, "mtastsd_protocol_errors_total{protocol=\"tcp_table\"} 2");
	want_line(f.buf, "mtastsd_resolve_runs_total{kind=\"discovery\","
	    "result=\"ok\"} 1");
	want_line(f.buf, "mtastsd_resolve_runs_total{kind=\"txt-recheck\","
	    "result=\"dns-timeout\"} 4");
	want_line(f.buf, "mtastsd_policy_events_total{event=\"new\"} 1");
	want_line(f.buf, "mtastsd_policy_events_total{event="
	    "\"kept_after_failure\"} 5");
	want_line(f.buf, "mtastsd_cache_entries{db=\"policy\"} 12");
	want_line(f.buf, "mtastsd_cache_map_used_bytes 65536");
	want_line(f.buf, "mtastsd_cache_file_bytes 131072");
	want_line(f.buf, "mtastsd_cache_map_max_bytes 1073741824");
	want_line(f.buf, "mtastsd_starttls_list_expiry_timestamp_seconds "
	    "1800000000");
	want_line(f.buf, "mtastsd_starttls_list_last_update_outcome{outcome="
	    "\"installed\"} 1");
	check_families(f.buf);
	promfmt_fini(&f);
}

static void
test_no_cache(void)
{
	static struct stats st;
	struct metrics_snap s;
	struct promfmt f;

	memset(&s, 0, sizeof(s));
	s.st = &st;
	s.version = "1";
	s.list_last_outcome = "none";
	promfmt_init(&f);
	metrics_render(&s, &f);
	tap_ok(promfmt_error(&f) == NULL && strstr(f.buf,
	    "mtastsd_cache_entries") == NULL, "no cache statistics: left out");
	want_line(f.buf, "mtastsd_starttls_list_last_update_ok 1");
	promfmt_fini(&f);
}

static void
test_tally(void)
{
	static struct stats st;
	struct cachetally a, b;
	struct metrics_snap s;
	struct promfmt f;
	int i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 3; i++)
		cachetally_policy(&a, RECORD_MODE_ENFORCE);
	cachetally_policy(&a, RECORD_MODE_TESTING);
	cachetally_policy(&a, (enum record_mode)3);	/* out of range */
	cachetally_negative(&a, RECORD_NEG_DNS_ERROR);
	cachetally_negative(&a, (enum record_reason)RECORD_NEG_NREASONS);
	cachetally_dane(&a);
	b.policy[RECORD_MODE_NONE] = 2;
	b.negative[RECORD_NEG_POLICY_INVALID] = 5;
	b.dane = 4;
	cachetally_add(&a, &b);
	tap_ok(a.policy[RECORD_MODE_ENFORCE] == 3 &&
	    a.policy[RECORD_MODE_TESTING] == 1 &&
	    a.policy[RECORD_MODE_NONE] == 2, "tally: policies by mode");
	tap_ok(a.negative[RECORD_NEG_NO_RECORD] == 0 &&
	    a.negative[RECORD_NEG_DNS_ERROR] == 1 &&
	    a.negative[RECORD_NEG_FETCH_ERROR] == 0 &&
	    a.negative[RECORD_NEG_POLICY_INVALID] == 5,
	    "tally: negative entries by reason, out of range not counted");
	tap_ok(a.dane == 5, "tally: DANE verdicts, added");

	memset(&s, 0, sizeof(s));
	s.st = &st;
	s.version = "1";
	s.list_last_outcome = "none";
	promfmt_init(&f);
	metrics_render(&s, &f);
	tap_ok(promfmt_error(&f) == NULL &&
	    strstr(f.buf, "mtastsd_cache_sweep_") == NULL,
	    "before a complete sweep: no counts by kind, not zeros");
	promfmt_fini(&f);
	s.kept_at = 1800000000;
	s.kept = a;
	promfmt_init(&f);
	metrics_render(&s, &f);
	want_line(f.buf,
	    "mtastsd_cache_sweep_last_pass_timestamp_seconds 1800000000");
	want_line(f.buf, "mtastsd_cache_sweep_entries"
	    "{kind=\"policy\",mode=\"enforce\"} 3");
	want_line(f.buf, "mtastsd_cache_sweep_entries"
	    "{kind=\"policy\",mode=\"testing\"} 1");
	want_line(f.buf, "mtastsd_cache_sweep_entries"
	    "{kind=\"policy\",mode=\"none\"} 2");
	want_line(f.buf, "mtastsd_cache_sweep_entries"
	    "{kind=\"negative\",reason=\"no-record\"} 0");
	want_line(f.buf, "mtastsd_cache_sweep_entries"
	    "{kind=\"negative\",reason=\"dns-error\"} 1");
	want_line(f.buf, "mtastsd_cache_sweep_entries"
	    "{kind=\"negative\",reason=\"fetch-error\"} 0");
	want_line(f.buf, "mtastsd_cache_sweep_entries"
	    "{kind=\"negative\",reason=\"policy-invalid\"} 5");
	want_line(f.buf, "mtastsd_cache_sweep_entries{kind=\"dane\"} 5");
	tap_ok(promfmt_error(&f) == NULL, "rendered without error");
	check_families(f.buf);
	promfmt_fini(&f);
}

static void
test_add(void)
{
	struct lookup_stats a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.queries = 2;
	b.queries = 3;
	a.runs[LOOKUP_RUN_TXT][RESOLVE_POLICY_INVALID] = 1;
	b.runs[LOOKUP_RUN_TXT][RESOLVE_POLICY_INVALID] = 1;
	b.policies_expired = 7;
	metrics_add(&a, &b);
	tap_ok(a.queries == 5 && a.policies_expired == 7 &&
	    a.runs[LOOKUP_RUN_TXT][RESOLVE_POLICY_INVALID] == 2,
	    "metrics_add adds every field");
}

int
main(void)
{
	test_render();
	test_no_cache();
	test_tally();
	test_add();
	return tap_done();
}
