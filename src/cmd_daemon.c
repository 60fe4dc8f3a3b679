/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_daemon.c: the mtasts(1) commands that ask the running daemon over
 * its JSON-lines socket (docs/PROTOCOLS.md): "resolve" without
 * --direct, "cache list|show|purge|flush" and "stats", and the options
 * every such command shares (cmd.h: cmd_daemon_parse, cmd_daemon_open).
 *
 * Output is for people by default: dates as ISO 8601 UTC, ages and
 * expiries as "in 3d 4h" (humanfmt.h).  With --json the daemon's reply
 * objects are printed as they came, one per line.  Exit status as in
 * cmd.h: a daemon that cannot be reached is CMD_EXIT_USAGE, so scripts
 * can tell "no policy" or "not cached" (1) from "could not ask" (2).
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "cmd.h"
#include "humanfmt.h"

/* The daemon answers within lookup_timeout (at most 600 s, conf.c). */
#define CD_TIMEOUT_MS (610 * 1000)

/* A reply printer: returns the exit code of that reply. */
typedef int (*cd_show_cb)(const cJSON *, const char *, int);

int
cmd_daemon_parse(int argc, char **argv, struct cmd_daemon_opts *o,
    unsigned allow)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "url", required_argument, NULL, 'u' },
		{ "daemon", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's')
			o->socket = optarg;
		else if (ch == 'c')
			o->config = optarg;
		else if (ch == 'j')
			o->json = 1;
		else if (ch == 'u' && (allow & CMD_DAEMON_URL))
			o->url = optarg;
		else if (ch != 'd' || !(allow & CMD_DAEMON_FLAG))
			return -1;
	}
	return optind;
}

struct client *
cmd_daemon_open(const struct cmd_daemon_opts *o, int timeout_ms)
{
	const char *path;
	struct client *c;
	char err[1024];

	if ((path = client_socket(o->socket, o->config, err,
	    sizeof(err))) == NULL ||
	    (c = client_open(path, timeout_ms, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mtasts: %s\n", err);
		return NULL;
	}
	return c;
}

/*
 * cd_when: "2026-12-07T21:16:43Z (5m ago)" for the unix time v; the
 * store writes 0 for "not yet".
 */
static const char *
cd_when(double v, double now, char *buf, size_t size)
{
	char t[HUMANFMT_TIME_STRLEN], rel[HUMANFMT_SPAN_STRLEN];

	if (isnan(v) || v <= 0)
		snprintf(buf, size, "never");
	else
		snprintf(buf, size, "%s (%s)", humanfmt_time(v, t),
		    humanfmt_rel(v - now, rel));
	return buf;
}

/* cd_human_dane: the DANE verdict line, when the daemon checks DANE. */
static void
cd_human_dane(const cJSON *r)
{
	const char *dane = client_str(r, "dane"), *why = client_str(r,
	    "dane_why");

	if (dane == NULL)
		return;
	const cJSON *chk = cJSON_GetObjectItemCaseSensitive(r, "dane_check");
	const cJSON *h;

	printf("  dane: %s%s%s%s\n", dane, why != NULL && *why ? " (" : "",
	    why != NULL ? why : "", why != NULL && *why ? ")" : "");
	if (!cJSON_IsObject(chk))
		return;
	printf("    MX RRset %s\n", client_str_or(chk, "mx", "?"));
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(chk, "hosts"))
		printf("    TLSA _25._tcp.%s: %s\n", client_str_or(h, "name",
		    "?"), client_str_or(h, "tlsa", "?"));
}

/* cd_human_resolve: one resolve reply for people; returns the exit code. */
static int
cd_human_resolve(const cJSON *r)
{
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(r, "policy");
	const cJSON *mx;
	char a[HUMANFMT_SPAN_STRLEN], b[HUMANFMT_SPAN_STRLEN];
	const char *detail = client_str_or(r, "detail", "");

	printf("%s: ", client_str_or(r, "domain", "?"));
	if (!cJSON_IsObject(pol)) {
		printf("no policy (%s)%s%s\n", client_str_or(r, "error",
		    "none"), *detail ? ": " : "", detail);
		cd_human_dane(r);
		if (client_str(r, "postfix") != NULL)	/* DANE first */
			printf("  postfix: %s\n", client_str(r, "postfix"));
		return CMD_EXIT_NO;
	}
	printf("%s policy, %s, id %s, mode %s, max_age %s\n",
	    client_str_or(r, "source", "?"), client_true(r, "cached") ?
	    "from cache" : "freshly discovered", client_str_or(pol, "id", "?"),
	    client_str_or(pol, "mode", "?"), humanfmt_span(client_num(pol,
	    "max_age"), a));
	if (!isnan(client_num(r, "age")))
		printf("  fetched %s ago, expires %s\n",
		    humanfmt_span(client_num(r, "age"), a),
		    humanfmt_rel(client_num(r, "expires_in"), b));
	cJSON_ArrayForEach(mx, cJSON_GetObjectItemCaseSensitive(pol, "mx"))
		if (cJSON_IsString(mx))
			printf("  mx: %s\n", mx->valuestring);
	cd_human_dane(r);
	printf("  postfix: %s\n", client_str_or(r, "postfix", "NOTFOUND"));
	return CMD_EXIT_OK;
}

/* cd_failed: report a refused request; returns the exit code. */
static int
cd_failed(const cJSON *r, const char *line, int json)
{
	const char *err = client_str(r, "error");

	if (json)
		puts(line);
	else
		fprintf(stderr, "mtasts: %s: %s\n", err ? err : "error",
		    client_str_or(r, "detail", ""));
	return err != NULL && strcmp(err, "domain-invalid") == 0 ?
	    CMD_EXIT_NO : CMD_EXIT_USAGE;
}

/*
 * cd_exchange: send one request and pass each reply to `show`.  A reply
 * is one line, except for cache.list, which streams entries and ends
 * with an object carrying "end" (or with an error).  Returns the worst
 * exit code seen.
 */
static int
cd_exchange(struct client *c, const char *op, const char *domain,
    int json, cd_show_cb show)
{
	int rc = CMD_EXIT_OK, one, last, stream = strcmp(op, "cache.list") == 0;
	cJSON *req, *r;
	const char *line;
	char err[256];

	if ((req = client_request(op, "domain", domain)) == NULL) {
		fprintf(stderr, "mtasts: out of memory\n");
		return CMD_EXIT_USAGE;
	}
	r = client_call(c, req, &line, err, sizeof(err));
	cJSON_Delete(req);
	for (;;) {
		if (r == NULL) {
			fprintf(stderr, "mtasts: %s\n", err);
			return CMD_EXIT_USAGE;
		}
		one = client_refused(r) ? cd_failed(r, line, json) :
		    show(r, line, json);
		rc = one > rc ? one : rc;
		last = !stream || client_refused(r) ||
		    cJSON_GetObjectItemCaseSensitive(r, "end") != NULL;
		cJSON_Delete(r);
		if (last)
			return rc;
		r = client_next(c, &line, err, sizeof(err));
	}
}

static int
cd_show_resolve(const cJSON *r, const char *line, int json)
{
	if (!json)
		return cd_human_resolve(r);
	puts(line);
	return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "policy")) ?
	    CMD_EXIT_OK : CMD_EXIT_NO;
}

/* --- stats for people ---------------------------------------------------- */

static const char *const cd_protos[] = { "socketmap", "tcp_table", "json",
	"table-mtasts" };
static const char *const cd_verdicts[] = { "OK", "NOTFOUND", "TEMP",
	"PERM", "protocol_errors" };

/* cd_n: a counter as an integer ("?" when missing). */
static const char *
cd_n(const cJSON *o, const char *k, char *buf, size_t size)
{
	double v = client_num(o, k);

	if (isnan(v))
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%.0f", v);
	return buf;
}

/* cd_stats_lookups: a table of answers, protocol by verdict. */
static void
cd_stats_lookups(const cJSON *r)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, "lookups"), *p;
	char n[32];
	size_t i, j;

	printf("%-14s %10s %10s %10s %10s %10s\n", "answers", "OK",
	    "NOTFOUND", "TEMP", "PERM", "malformed");
	for (i = 0; i < sizeof(cd_protos) / sizeof(cd_protos[0]); i++) {
		p = cJSON_GetObjectItemCaseSensitive(l, cd_protos[i]);
		printf("  %-12s", cd_protos[i]);
		for (j = 0; j < sizeof(cd_verdicts) / sizeof(cd_verdicts[0]);
		    j++)
			printf(" %10s", cd_n(p, cd_verdicts[j], n, sizeof(n)));
		printf("\n");
	}
}

/* cd_stats_pairs: "name N, name N" for every member of object o
 * (only the non-zero ones when nonzero is set). */
static void
cd_stats_pairs(const char *title, const cJSON *o, int nonzero)
{
	const cJSON *e;
	int first = 1;

	printf("%s:", title);
	cJSON_ArrayForEach(e, o) {
		if (!cJSON_IsNumber(e) || (nonzero && e->valuedouble == 0))
			continue;
		printf("%s %s %.0f", first ? "" : ",", e->string,
		    e->valuedouble);
		first = 0;
	}
	printf("%s\n", first ? " none" : "");
}

/* cd_show_stats: the daemon's counters for people. */
static int
cd_show_stats(const cJSON *r, const char *line, int json)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "connections");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "service");
	char span[HUMANFMT_SPAN_STRLEN], t[HUMANFMT_TIME_STRLEN];
	char a[32], b[32], d[32], e[32], f[32];
	double up = client_num(r, "uptime");

	if (json) {
		puts(line);
		return CMD_EXIT_OK;
	}
	printf("up %s, since %s\n", humanfmt_span(up, span),
	    humanfmt_time((double)time(NULL) - up, t));
	printf("connections: %s open, %s accepted, %s refused, %s at the "
	    "limit, %s closed idle\n", cd_n(c, "open", a, sizeof(a)),
	    cd_n(c, "total", b, sizeof(b)), cd_n(c, "refused", d, sizeof(d)),
	    cd_n(c, "limit_reached", e, sizeof(e)),
	    cd_n(c, "idle_closed", f, sizeof(f)));
	printf("connections closed: %s past the request deadline, %s "
	    "evicted for room; %s refused by the per-user cap\n",
	    cd_n(c, "request_timeout", a, sizeof(a)),
	    cd_n(c, "evicted", b, sizeof(b)),
	    cd_n(c, "user_limit", d, sizeof(d)));
	cd_stats_lookups(r);
	cd_stats_pairs("sources", cJSON_GetObjectItemCaseSensitive(r,
	    "sources"), 0);
	printf("discovery: %s started, %s found a policy, %s refreshes "
	    "(%s failed, policy kept), %s running now\n",
	    cd_n(s, "discoveries", a, sizeof(a)),
	    cd_n(s, "discovered", b, sizeof(b)),
	    cd_n(s, "refreshes", d, sizeof(d)),
	    cd_n(s, "refresh_failures", e, sizeof(e)),
	    cd_n(s, "pending_domains", f, sizeof(f)));
	cd_stats_pairs("outcomes without a policy",
	    cJSON_GetObjectItemCaseSensitive(s, "failures"), 1);
	printf("limits: %s answered at the lookup deadline, %s overload, "
	    "%s cache errors\n", cd_n(s, "deadline", a, sizeof(a)),
	    cd_n(s, "overload", b, sizeof(b)),
	    cd_n(s, "cache_errors", d, sizeof(d)));
	cd_stats_pairs("overload by limit",
	    cJSON_GetObjectItemCaseSensitive(s, "overloads"), 1);
	return CMD_EXIT_OK;
}

/* cd_show_list: one cache entry per line for people. */
static int
cd_show_list(const cJSON *r, const char *line, int json)
{
	char rel[HUMANFMT_SPAN_STRLEN];
	int policy = strcmp(client_str_or(r, "kind", ""), "policy") == 0;

	if (json)
		puts(line);
	else if (cJSON_GetObjectItemCaseSensitive(r, "end") != NULL)
		printf("%.0f entries\n", client_num(r, "count"));
	else if (client_true(r, "corrupt"))
		printf("%-40s corrupt: %s\n", client_str_or(r, "domain", "?"),
		    client_str_or(r, "detail", ""));
	else
		printf("%-40s %-8s %-8s %s %s\n",
		    client_str_or(r, "domain", "?"),
		    client_str_or(r, "kind", "?"),
		    client_str_or(r, policy ? "mode" : "code", "?"),
		    policy ? "expires" : "retry",
		    humanfmt_rel(client_num(r, policy ? "expires_in" :
		    "retry_in"), rel));
	return CMD_EXIT_OK;
}

/* cd_show_policy: the policy part of a cache.show reply. */
static void
cd_show_policy(const cJSON *p, double now)
{
	const cJSON *mx;
	char w[128], s[HUMANFMT_SPAN_STRLEN];
	const char *text = client_str_or(p, "text", NULL), *e;

	if (client_true(p, "corrupt")) {
		printf("policy:       corrupt record: %s\n",
		    client_str_or(p, "detail", ""));
		return;
	}
	printf("policy:       id %s, mode %s, max_age %s\n",
	    client_str_or(p, "id", "?"), client_str_or(p, "mode", "?"),
	    humanfmt_span(client_num(p, "max_age"), s));
	cJSON_ArrayForEach(mx, cJSON_GetObjectItemCaseSensitive(p, "mx"))
		if (cJSON_IsString(mx))
			printf("mx:           %s\n", mx->valuestring);
	printf("fetched:      %s\n", cd_when(client_num(p, "fetched_at"), now,
	    w, sizeof(w)));
	printf("expires:      %s\n", cd_when(client_num(p, "fetched_at") +
	    client_num(p, "max_age"), now, w, sizeof(w)));
	printf("txt checked:  %s\n", cd_when(client_num(p, "txt_checked_at"),
	    now, w, sizeof(w)));
	/* The history "mtasts list build" lists from; NaN when null. */
	if (client_num(p, "enforce_since") > 0)
		printf("in enforce:   %s\n", cd_when(client_num(p,
		    "enforce_since"), now, w, sizeof(w)));
	else if (client_num(p, "testing_since") > 0)
		printf("in testing:   %s\n", cd_when(client_num(p,
		    "testing_since"), now, w, sizeof(w)));
	/* After failed refreshes: no background refresh before this. */
	if (client_num(p, "retry_at") > now)
		printf("refresh hold: until %s\n", cd_when(client_num(p,
		    "retry_at"), now, w, sizeof(w)));
	if (client_num(p, "failures") > 0)
		printf("failures:     %.0f (last: %s)\n",
		    client_num(p, "failures"),
		    client_str_or(p, "last_error", "?"));
	/* The policy text as served, each line indented. */
	for (; text != NULL && *text != '\0'; text = *e ? e + 1 : e) {
		e = text + strcspn(text, "\n");
		printf("  | %.*s\n", (int)(e - text - (e > text &&
		    e[-1] == '\r')), text);
	}
}

/* cd_show_negative: the negative entry of a cache.show reply. */
static void
cd_show_negative(const cJSON *n, double now)
{
	char w[128];

	if (client_true(n, "corrupt")) {
		printf("negative:     corrupt record: %s\n",
		    client_str_or(n, "detail", ""));
		return;
	}
	printf("negative:     %s (%s), %.0f time%s\n",
	    client_str_or(n, "reason", "?"),
	    client_str_or(n, "code", "?"), client_num(n, "count"),
	    client_num(n, "count") == 1 ? "" : "s");
	printf("first:        %s\n", cd_when(client_num(n, "first_at"), now,
	    w, sizeof(w)));
	printf("last:         %s\n", cd_when(client_num(n, "last_at"), now,
	    w, sizeof(w)));
	printf("retry:        %s\n", cd_when(client_num(n, "retry_at"), now,
	    w, sizeof(w)));
}

/*
 * cd_show_cached: a cache.show reply.  Exit 1 when nothing is cached
 * for the domain (neither a policy nor a negative entry), so scripts
 * need not parse the output.
 */
static int
cd_show_cached(const cJSON *r, const char *line, int json)
{
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(r, "policy");
	const cJSON *neg = cJSON_GetObjectItemCaseSensitive(r, "negative");
	int cached = cJSON_IsObject(pol) || cJSON_IsObject(neg);
	double now = (double)time(NULL);

	if (json)
		puts(line);
	else if (!cached)
		printf("%s: not cached\n", client_str_or(r, "domain", "?"));
	else {
		printf("domain:       %s\n", client_str_or(r, "domain", "?"));
		if (cJSON_IsObject(pol))
			cd_show_policy(pol, now);
		if (cJSON_IsObject(neg))
			cd_show_negative(neg, now);
	}
	return cached ? CMD_EXIT_OK : CMD_EXIT_NO;
}

/* cd_show_purge: cache.purge and cache.flush replies. */
static int
cd_show_purge(const cJSON *r, const char *line, int json)
{
	if (json)
		puts(line);
	else if (client_str(r, "domain") != NULL)
		printf("%s: %s\n", client_str(r, "domain"),
		    client_true(r, "purged") ? "purged" : "was not cached");
	else
		printf("%.0f entries purged\n", client_num(r, "purged"));
	return CMD_EXIT_OK;
}

/* cd_run: connect, then one exchange per domain (or one without). */
static int
cd_run(const struct cmd_daemon_opts *o, const char *op, char **domains,
    int n, cd_show_cb show)
{
	struct client *c;
	int i, rc = CMD_EXIT_OK, one;

	if ((c = cmd_daemon_open(o, CD_TIMEOUT_MS)) == NULL)
		return CMD_EXIT_USAGE;
	if (n == 0)
		rc = cd_exchange(c, op, NULL, o->json, show);
	for (i = 0; i < n; i++) {
		one = cd_exchange(c, op, domains[i], o->json, show);
		rc = one > rc ? one : rc;
	}
	client_close(c);
	return rc;
}

int
cmd_resolve_daemon(int argc, char **argv, const struct cmd_daemon_opts *o)
{
	return cd_run(o, "resolve", argv, argc, cd_show_resolve);
}

int
cmd_cache(int argc, char **argv)
{
	static const struct {
		const char	*verb, *op;
		int		 domain;
		cd_show_cb	 show;
	} verbs[] = {
		{ "list", "cache.list", 0, cd_show_list },
		{ "show", "cache.show", 1, cd_show_cached },
		{ "purge", "cache.purge", 1, cd_show_purge },
		{ "flush", "cache.flush", 0, cd_show_purge },
	};
	struct cmd_daemon_opts o;
	size_t i;
	int first;

	if ((first = cmd_daemon_parse(argc, argv, &o, 0)) < 0 || first >= argc)
		goto usage;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[first], verbs[i].verb) != 0)
			continue;
		if (argc - first - 1 != verbs[i].domain)
			goto usage;
		return cd_run(&o, verbs[i].op, argv + first + 1,
		    verbs[i].domain, verbs[i].show);
	}
usage:
	fprintf(stderr, "usage: mtasts cache [--socket PATH | --config FILE] "
	    "[--json] list | show DOMAIN | purge DOMAIN | flush\n");
	return CMD_EXIT_USAGE;
}

int
cmd_stats(int argc, char **argv)
{
	struct cmd_daemon_opts o;
	int first;

	if ((first = cmd_daemon_parse(argc, argv, &o, 0)) < 0 ||
	    first != argc) {
		fprintf(stderr, "usage: mtasts stats [--socket PATH | "
		    "--config FILE] [--json]\n");
		return CMD_EXIT_USAGE;
	}
	return cd_run(&o, "stats", NULL, 0, cd_show_stats);
}
