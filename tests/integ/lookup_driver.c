/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * lookup_driver.c: resolver/lookup.c on a command pipe, for
 * tests/integ/lookup.py (which owns the test world and the checks).
 *
 * Runs one lookup service (with its own LMDB cache in --cache-dir) on
 * a libevent loop and a fake clock, reads one command per line on
 * stdin and writes one JSON object per line on stdout:
 *   clock T             set the service clock to T (unix seconds)
 *   advance N           move it N seconds
 *   q TAG DOMAIN WAIT   lookup_query(); the answer is an "answer" line,
 *                       "sync": true when it came before lookup_query
 *                       returned; a pending query also prints "pending"
 *   qc TAG DOMAIN WAIT  the same, then lookup_cancel() if pending
 *   qq TAG DOMAIN OTHER the answer callback for DOMAIN first looks up
 *                       OTHER (tag TAG-nested), then prints its own
 *                       answer: a nested lookup must not change it
 *   flood TAG DOMAIN N WAIT   N queries at once, then "flooded"
 *   idle                "idle" once no job and no waiter is left
 *   stats               the lookup_stats counters
 *   get DOMAIN          the cached policy and negative records
 *   corrupt DOMAIN      store an undecodable policy record
 *   newer DOMAIN        store a policy record of a newer format
 *   reopen              lookup_free, cache_close, reopen both
 *   quit
 * Options: --cache-dir (required), --dns-server, --ca-file, --wait-ms,
 * --lookup-timeout-ms, --fetch-timeout-ms, --max-pending, --max-waiters,
 * --max-refreshes, --clock T, --map BYTES (map size and ceiling), --dane
 * (conf.dane: answers carry "dane", "dane_why", "dane_cached").
 * Background events (conf.on_event) are "event" lines.  Errors in the
 * commands are "error" lines; the driver exits 2 on setup failures.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "lookup.h"
#include "monoclock.h"
#include "record.h"
#include "refresh.h"
#include "resolve.h"

#define LD_LINE_MAX	1024
#define LD_TAG_MAX	64
#define LD_MAP		(1UL << 20)
#define LD_MAP_MAX	(64UL << 20)
#define LD_WAIT_NESTED	5000

struct ld {
	struct event_base *base;
	struct event	*input, *idle_timer;
	struct cache	*cache;
	struct lookup	*lk;
	struct lookup_conf conf;
	char		 servers[256];
	const char	*cache_dir;
	size_t		 map, map_max;	/* cache_open() sizes */
	int64_t		 clock;
	int		 in_query;	/* inside lookup_query() */
	const char	*nested;	/* qq: for the next ld_query */
	struct ld_q	*queries;	/* not answered yet */
	char		 line[LD_LINE_MAX];
	size_t		 len;
};

/* One query's context: its tag and start time. */
struct ld_q {
	struct ld	*ld;
	char		 tag[LD_TAG_MAX];
	int64_t		 t0;		/* monotonic ms */
	int		 index;
	char		 nested[256];	/* qq: look this up from the cb */
	struct ld_q	*prev, *next;	/* ld->queries */
};

static void
ld_q_free(struct ld_q *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		q->ld->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	free(q);
}

static int64_t
ld_clock(void *arg)
{
	return ((struct ld *)arg)->clock;
}

/* A JSON string (or null). */
static void
ld_str(const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p > 0x7e)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
ld_policy(const struct record_policy *p)
{
	static char tbuf[RECORD_TEXT_RENDER_MAX];
	size_t i, text_len = 0;

	if (p == NULL) {
		fputs("null", stdout);
		return;
	}
	fputs("{\"id\":", stdout);
	ld_str(p->id);
	printf(",\"mode\":\"%s\",\"max_age\":%lu,\"mx\":[",
	    record_mode_str(p->mode), (unsigned long)p->max_age);
	for (i = 0; i < p->nmx; i++) {
		if (i > 0)
			putchar(',');
		ld_str(p->mx[i]);
	}
	/* text_len: of the body as fetched, stored or regenerated. */
	if (record_policy_text(p, tbuf, sizeof(tbuf), &text_len) == NULL)
		text_len = 0;
	printf("],\"fetched_at\":%lld,\"txt_checked_at\":%lld,"
	    "\"retry_at\":%lld,\"failures\":%lu,\"text_len\":%zu,"
	    "\"text_form\":%d,\"last_error\":", (long long)p->fetched_at,
	    (long long)p->txt_checked_at, (long long)p->retry_at,
	    (unsigned long)p->failures, text_len, (int)p->text_form);
	ld_str(p->last_error);
	/* The DANE verdict's copy (store/record.h), or null. */
	if (p->dane.known)
		printf(",\"dane\":{\"verdict\":%u,\"why\":%u,"
		    "\"checked_at\":%lld,\"expires_at\":%lld}",
		    p->dane.verdict, p->dane.why,
		    (long long)p->dane.checked_at,
		    (long long)p->dane.expires_at);
	else
		fputs(",\"dane\":null", stdout);
	putchar('}');
}

static void
ld_negative(const struct record_negative *n)
{
	if (n == NULL) {
		fputs("null", stdout);
		return;
	}
	printf("{\"reason\":\"%s\",\"count\":%lu,\"first_at\":%lld,"
	    "\"last_at\":%lld,\"retry_at\":%lld,\"code\":",
	    record_reason_str(n->reason), (unsigned long)n->count,
	    (long long)n->first_at, (long long)n->last_at,
	    (long long)n->retry_at);
	ld_str(n->code);
	putchar('}');
}

static void
ld_end(void)
{
	fputs("}\n", stdout);
	fflush(stdout);
}

static void
ld_error(const char *what)
{
	fputs("{\"ev\":\"error\",\"what\":", stdout);
	ld_str(what);
	ld_end();
}

static struct lookup_req *ld_query(struct ld *, const char *,
    const char *, int, int, struct ld_q **);

static void
ld_on_answer(const struct lookup_answer *a, void *arg)
{
	struct ld_q *q = arg, *nq;
	char tag[LD_TAG_MAX + 8];

	if (q->nested[0] != '\0') {
		snprintf(tag, sizeof(tag), "%s-nested", q->tag);
		(void)ld_query(q->ld, tag, q->nested, 0, 0, &nq);
	}
	fputs("{\"ev\":\"answer\",\"tag\":", stdout);
	ld_str(q->tag);
	printf(",\"i\":%d,\"sync\":%s,\"ms\":%lld,\"domain\":", q->index,
	    q->ld->in_query ? "true" : "false",
	    (long long)(monoclock_ms() - q->t0));
	ld_str(a->domain);
	printf(",\"status\":\"%s\",\"source\":\"%s\",\"error\":",
	    lookup_status_str(a->status), lookup_source_str(a->source));
	ld_str(a->error);
	fputs(",\"detail\":", stdout);
	ld_str(a->detail);
	printf(",\"age\":%lld,\"expires_in\":%lld,\"policy\":",
	    (long long)a->age, (long long)a->expires_in);
	ld_policy(a->policy);
	printf(",\"dane\":\"%s\",\"dane_cached\":%s,\"dane_why\":",
	    lookup_dane_str(a->dane), a->dane_cached ? "true" : "false");
	ld_str(a->dane_why);
	ld_end();
	ld_q_free(q);
}

static void
ld_on_event(const struct lookup_event *ev, void *arg)
{
	(void)arg;
	fputs("{\"ev\":\"event\",\"kind\":", stdout);
	ld_str(lookup_event_str(ev->kind));
	fputs(",\"domain\":", stdout);
	ld_str(ev->domain);
	fputs(",\"code\":", stdout);
	ld_str(ev->code);
	fputs(",\"policy\":", stdout);
	ld_policy(ev->policy);
	fputs(",\"negative\":", stdout);
	ld_negative(ev->negative);
	ld_end();
}

/* ---- commands ---- */

/* Returns the pending request (and its context in *qp), or NULL. */
static struct lookup_req *
ld_query(struct ld *ld, const char *tag, const char *domain, int wait,
    int index, struct ld_q **qp)
{
	struct lookup_req *req = NULL;
	struct ld_q *q;
	int rc, outer = ld->in_query;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		ld_error("memory");
		return NULL;
	}
	q->ld = ld;
	snprintf(q->tag, sizeof(q->tag), "%s", tag);
	q->t0 = monoclock_ms();
	q->index = index;
	q->next = ld->queries;
	if (ld->queries != NULL)
		ld->queries->prev = q;
	ld->queries = q;
	if (ld->nested != NULL) {
		snprintf(q->nested, sizeof(q->nested), "%s", ld->nested);
		ld->nested = NULL;
	}
	ld->in_query = 1;
	rc = lookup_query(ld->lk, domain, wait, ld_on_answer, q, &req);
	ld->in_query = outer;
	if (rc != LOOKUP_PENDING)
		return NULL;	/* answered, q is gone */
	*qp = q;
	return req;
}

static void
ld_cmd_q(struct ld *ld, const char *tag, const char *domain, int wait,
    int cancel)
{
	struct lookup_req *req;
	struct ld_q *q;

	if ((req = ld_query(ld, tag, domain, wait, 0, &q)) == NULL)
		return;
	fputs(cancel ? "{\"ev\":\"cancelled\",\"tag\":" :
	    "{\"ev\":\"pending\",\"tag\":", stdout);
	ld_str(tag);
	ld_end();
	if (cancel) {
		lookup_cancel(req);
		ld_q_free(q);
	}
}

static void
ld_cmd_flood(struct ld *ld, const char *tag, const char *domain, int n,
    int wait)
{
	struct ld_q *q;
	int i, pending = 0;

	for (i = 0; i < n; i++)
		if (ld_query(ld, tag, domain, wait, i, &q) != NULL)
			pending++;
	fputs("{\"ev\":\"flooded\",\"tag\":", stdout);
	ld_str(tag);
	printf(",\"pending\":%d", pending);
	ld_end();
}

static void
ld_cmd_stats(struct ld *ld)
{
	struct lookup_stats st;
	size_t i;

	lookup_get_stats(ld->lk, &st);
	printf("{\"ev\":\"stats\",\"queries\":%llu,\"cache_hits\":%llu,"
	    "\"negative_hits\":%llu,\"cache_misses\":%llu,\"deadline\":%llu,"
	    "\"discoveries\":%llu,\"refreshes\":%llu,\"cache_errors\":%llu,"
	    "\"in_flight\":%llu,\"overload\":%llu,\"refresh_skipped\":%llu,"
	    "\"refresh_failures\":%llu,\"corrupt\":%llu,"
	    "\"pending_domains\":%llu,\"refreshes_running\":%llu,"
	    "\"dane_checks\":%llu,\"dane_answers\":[%llu,%llu,%llu,%llu],"
	    "\"by_error\":{",
	    (unsigned long long)st.queries, (unsigned long long)st.cache_hits,
	    (unsigned long long)st.negative_hits,
	    (unsigned long long)st.cache_misses,
	    (unsigned long long)st.deadline,
	    (unsigned long long)st.discoveries,
	    (unsigned long long)st.refreshes,
	    (unsigned long long)st.cache_errors,
	    (unsigned long long)st.in_flight, (unsigned long long)st.overload,
	    (unsigned long long)st.refresh_skipped,
	    (unsigned long long)st.refresh_failures,
	    (unsigned long long)st.corrupt,
	    (unsigned long long)st.pending_domains,
	    (unsigned long long)st.refreshes_running,
	    (unsigned long long)st.dane_checks,
	    (unsigned long long)st.dane_answers[0],
	    (unsigned long long)st.dane_answers[1],
	    (unsigned long long)st.dane_answers[2],
	    (unsigned long long)st.dane_answers[3]);
	for (i = 0; i <= RESOLVE_POLICY_INVALID; i++)
		printf("%s\"%s\":%llu", i ? "," : "", resolve_code(i),
		    (unsigned long long)st.by_error[i]);
	putchar('}');
	ld_end();
}

static void
ld_cmd_get(struct ld *ld, const char *domain)
{
	static unsigned char pbuf[RECORD_POLICY_MAX];
	unsigned char nbuf[RECORD_NEGATIVE_MAX];
	struct record_policy p;
	struct record_negative n;
	enum cache_result rp, rn;

	rp = cache_get_policy(ld->cache, domain, pbuf, sizeof(pbuf), &p,
	    NULL);
	rn = cache_get_negative(ld->cache, domain, nbuf, sizeof(nbuf), &n,
	    NULL);
	fputs("{\"ev\":\"record\",\"domain\":", stdout);
	ld_str(domain);
	printf(",\"policy_result\":\"%s\",\"negative_result\":\"%s\","
	    "\"policy\":", cache_result_str(rp), cache_result_str(rn));
	ld_policy(rp == CACHE_OK ? &p : NULL);
	fputs(",\"negative\":", stdout);
	ld_negative(rn == CACHE_OK ? &n : NULL);
	ld_end();
}

static int
ld_open(struct ld *ld)
{
	const char *why = NULL;
	char err[256];

	if ((ld->cache = cache_open(ld->cache_dir, ld->map, ld->map_max, 0,
	    &why)) == NULL) {
		fprintf(stderr, "lookup_driver: cache: %s\n", why);
		return -1;
	}
	if ((ld->lk = lookup_new(ld->base, ld->cache, &ld->conf, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "lookup_driver: lookup_new: %s\n", err);
		return -1;
	}
	return 0;
}

/* Pending queries are dropped without answers (lookup_free). */
static void
ld_close(struct ld *ld)
{
	lookup_free(ld->lk);
	ld->lk = NULL;
	cache_close(ld->cache);
	ld->cache = NULL;
	while (ld->queries != NULL)
		ld_q_free(ld->queries);
}

static void
ld_check_idle(evutil_socket_t fd, short what, void *arg)
{
	struct ld *ld = arg;
	struct lookup_stats st;
	struct timeval tv = { 0, 5000 };

	(void)fd;
	(void)what;
	lookup_get_stats(ld->lk, &st);
	if (st.pending_domains == 0 && st.in_flight == 0) {
		fputs("{\"ev\":\"idle\"", stdout);
		ld_end();
		return;
	}
	evtimer_add(ld->idle_timer, &tv);	/* poll a condition */
}

static void
ld_ok(void)
{
	fputs("{\"ev\":\"ok\"", stdout);
	ld_end();
}

/* The policy as an older mtastsd wrote it: without the DANE copy. */
static void
ld_cmd_nodanecopy(struct ld *ld, const char *domain)
{
	static unsigned char pbuf[RECORD_POLICY_MAX];
	static struct record_policy p;

	if (cache_get_policy(ld->cache, domain, pbuf, sizeof(pbuf), &p,
	    NULL) != CACHE_OK) {
		ld_error("cache_get_policy");
		return;
	}
	memset(&p.dane, 0, sizeof(p.dane));
	if (cache_put_policy(ld->cache, domain, &p, NULL) != CACHE_OK)
		ld_error("cache_put_policy");
	else
		ld_ok();
}

static int
ld_cmd_misc(struct ld *ld, const char *cmd, const char *a)
{
	/* Version 0 was never written: corrupt, not "newer". */
	static const unsigned char junk[] = { 0x00, 'j', 'u', 'n', 'k' };
	static const unsigned char newer[] = { RECORD_VERSION + 1, 'P', 'x' };

	if (strcmp(cmd, "idle") == 0)
		ld_check_idle(-1, 0, ld);
	else if (strcmp(cmd, "stats") == 0)
		ld_cmd_stats(ld);
	else if (strcmp(cmd, "get") == 0 && a != NULL)
		ld_cmd_get(ld, a);
	else if (strcmp(cmd, "corrupt") == 0 && a != NULL) {
		if (cache_put(ld->cache, CACHE_DB_POLICY, a, junk,
		    sizeof(junk), NULL) != CACHE_OK)
			ld_error("cache_put");
		else
			ld_ok();
	} else if (strcmp(cmd, "newer") == 0 && a != NULL) {
		if (cache_put(ld->cache, CACHE_DB_POLICY, a, newer,
		    sizeof(newer), NULL) != CACHE_OK)
			ld_error("cache_put");
		else
			ld_ok();
	} else if (strcmp(cmd, "nodanecopy") == 0 && a != NULL)
		ld_cmd_nodanecopy(ld, a);
	else if (strcmp(cmd, "reopen") == 0) {
		ld_close(ld);
		if (ld_open(ld) == -1)
			return -1;
		ld_ok();
	} else if (strcmp(cmd, "quit") == 0)
		return -1;
	else
		ld_error(cmd);
	return 0;
}

/* One command line; -1 ends the loop. */
static int
ld_command(struct ld *ld, char *line)
{
	char *av[6], *save = NULL, *tok;
	int ac = 0;

	for (tok = strtok_r(line, " \t", &save); tok != NULL && ac < 6;
	    tok = strtok_r(NULL, " \t", &save))
		av[ac++] = tok;
	if (ac == 0)
		return 0;
	if (strcmp(av[0], "clock") == 0 && ac == 2) {
		ld->clock = strtoll(av[1], NULL, 10);
		ld_ok();
	} else if (strcmp(av[0], "advance") == 0 && ac == 2) {
		ld->clock += strtoll(av[1], NULL, 10);
		ld_ok();
	} else if ((strcmp(av[0], "q") == 0 || strcmp(av[0], "qc") == 0) &&
	    ac == 4)
		ld_cmd_q(ld, av[1], av[2], atoi(av[3]), av[0][1] == 'c');
	else if (strcmp(av[0], "qq") == 0 && ac == 4) {
		ld->nested = av[3];
		ld_cmd_q(ld, av[1], av[2], LD_WAIT_NESTED, 0);
	} else if (strcmp(av[0], "flood") == 0 && ac == 5)
		ld_cmd_flood(ld, av[1], av[2], atoi(av[3]), atoi(av[4]));
	else
		return ld_cmd_misc(ld, av[0], ac > 1 ? av[1] : NULL);
	return 0;
}

static void
ld_on_input(evutil_socket_t fd, short what, void *arg)
{
	struct ld *ld = arg;
	char *nl;
	ssize_t n;

	(void)what;
	n = read(fd, ld->line + ld->len, sizeof(ld->line) - 1 - ld->len);
	if (n <= 0 && !(n == -1 && errno == EINTR)) {
		event_base_loopbreak(ld->base);	/* EOF: the test is gone */
		return;
	}
	ld->len += n > 0 ? (size_t)n : 0;
	ld->line[ld->len] = '\0';
	while ((nl = strchr(ld->line, '\n')) != NULL) {
		*nl = '\0';
		if (ld_command(ld, ld->line) == -1) {
			event_base_loopbreak(ld->base);
			return;
		}
		ld->len -= (size_t)(nl + 1 - ld->line);
		memmove(ld->line, nl + 1, ld->len + 1);
	}
	if (ld->len == sizeof(ld->line) - 1)
		ld->len = 0;		/* overlong line: drop it */
}

/* ---- setup ---- */

static int
ld_options(struct ld *ld, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dns-server", 1, NULL, 's' }, { "ca-file", 1, NULL, 'c' },
		{ "cache-dir", 1, NULL, 'd' }, { "wait-ms", 1, NULL, 'w' },
		{ "lookup-timeout-ms", 1, NULL, 'l' },
		{ "fetch-timeout-ms", 1, NULL, 'f' },
		{ "max-pending", 1, NULL, 'p' },
		{ "max-waiters", 1, NULL, 'W' },
		{ "max-refreshes", 1, NULL, 'r' },
		{ "clock", 1, NULL, 't' }, { "map", 1, NULL, 'm' },
		{ "dane", 0, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct lookup_conf *c = &ld->conf;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			snprintf(ld->servers, sizeof(ld->servers), "%s",
			    optarg);
			c->resolve.dns_servers = ld->servers;
			break;
		case 'c':
			c->resolve.ca_file = optarg;
			break;
		case 'd':
			ld->cache_dir = optarg;
			break;
		case 'w':
			c->wait_ms = atoi(optarg);
			break;
		case 'l':
			c->resolve.lookup_timeout_ms = atoi(optarg);
			break;
		case 'f':
			c->resolve.fetch_timeout_ms = atoi(optarg);
			break;
		case 'p':
			c->max_pending = (unsigned)atoi(optarg);
			break;
		case 'W':
			c->max_waiters = (unsigned)atoi(optarg);
			break;
		case 'r':
			c->max_refreshes = (unsigned)atoi(optarg);
			break;
		case 't':
			ld->clock = strtoll(optarg, NULL, 10);
			break;
		case 'D':
			c->dane = 1;
			break;
		case 'm':	/* a tiny map makes big writes fail */
			ld->map = ld->map_max = strtoul(optarg, NULL, 10);
			break;
		default:
			return -1;
		}
	}
	return ld->cache_dir != NULL ? 0 : -1;
}

static void
ld_defaults(struct ld *ld)
{
	struct lookup_conf *c = &ld->conf;

	memset(c, 0, sizeof(*c));
	c->resolve.dns_timeout_ms = 1000;
	c->resolve.dns_tries = 2;
	c->resolve.connect_timeout_ms = 2000;
	c->resolve.fetch_timeout_ms = 3000;
	c->resolve.lookup_timeout_ms = 4000;
	c->resolve.max_fetches = 50;
	refresh_conf_default(&c->refresh);
	c->refresh.jitter_max_pct = 0;	/* exact thresholds in tests */
	c->wait_ms = 5000;
	c->clock = ld_clock;
	c->clock_arg = ld;
	c->on_event = ld_on_event;
	ld->clock = 1700000000;
	ld->map = LD_MAP;
	ld->map_max = LD_MAP_MAX;
}

int
main(int argc, char **argv)
{
	static struct ld ld;
	int rc = 2;

	ld_defaults(&ld);
	if (ld_options(&ld, argc, argv) == -1) {
		fprintf(stderr, "usage: lookup_driver --cache-dir DIR "
		    "[--dns-server A] [--ca-file F] [--wait-ms N] ...\n");
		return 2;
	}
	if ((ld.base = event_base_new()) == NULL || ld_open(&ld) == -1)
		goto done;
	ld.input = event_new(ld.base, 0, EV_READ | EV_PERSIST, ld_on_input,
	    &ld);
	ld.idle_timer = evtimer_new(ld.base, ld_check_idle, &ld);
	if (ld.input == NULL || ld.idle_timer == NULL ||
	    event_add(ld.input, NULL) == -1)
		goto done;
	fputs("{\"ev\":\"ready\"", stdout);
	ld_end();
	event_base_dispatch(ld.base);
	rc = 0;
done:
	ld_close(&ld);
	if (ld.input != NULL)
		event_free(ld.input);
	if (ld.idle_timer != NULL)
		event_free(ld.idle_timer);
	if (ld.base != NULL)
		event_base_free(ld.base);
	return rc;
}
