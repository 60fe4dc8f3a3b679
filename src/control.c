/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * control.c: JSON-lines requests on the lookup socket; see control.h
 * and docs/PROTOCOLS.md for the fields of every op.
 *
 * cache.list cannot keep an LMDB read transaction open while the
 * client reads (docs/DESIGN.md §Cache), so each batch is its own short
 * read that resumes after the last key sent (cache_iter_from,
 * MDB_SET_RANGE): keys come in order, so the walk goes on exactly there,
 * whatever was added or removed in between, and a whole listing costs
 * O(n), in batches of CONTROL_LIST_BATCH entries between which lookups
 * run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cache.h"
#include "conf.h"
#include "control.h"
#include "dane.h"
#include "danerec.h"
#include "jsonout.h"
#include "domkey.h"
#include "listen.h"
#include "liststore.h"
#include "listupd.h"
#include "log.h"
#include "lookup.h"
#include "record.h"
#include "reply.h"
#include "resolve.h"
#include "sockmap.h"
#include "sweep.h"
#include "tlslist.h"

#define NOT_COUNTED	NULL		/* listen_done(): not a lookup */

/*
 * Who may run an op (control_allowed):
 *   CONTROL_ANY    anyone who can connect (stats, the public list);
 *   CONTROL_READ   anyone on the Unix socket, whose owner, group and
 *                  mode say who connects; over TCP, where every local
 *                  user can connect, only with listen_tcp_json (these
 *                  show which domains this server mails to, and
 *                  resolve makes the daemon connect to any host);
 *   CONTROL_ADMIN  changes the daemon's state: only an admin peer
 *                  (listen_conn_admin: root, the daemon's user or
 *                  admin_group, on the Unix socket), whatever socket
 *                  the op arrives on.  Purging a policy would let the
 *                  next lookup be a first use again.
 */
enum control_who {
	CONTROL_ANY = 0,
	CONTROL_READ,
	CONTROL_ADMIN
};

struct control_op {
	const char	*name;
	int		 test_only;	/* needs mtastsd -T */
	enum control_who who;
	void		(*run)(struct listen_conn *, const cJSON *);
};

/* --- replies ------------------------------------------------------------- */

/* send_json: queue obj as one line and free it. */
static void
send_json(struct listen_conn *c, cJSON *obj)
{
	static const char oom[] = "{\"ok\":false,\"error\":\"internal\","
	    "\"detail\":\"out of memory\"}\n";
	char *s;

	s = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;
	cJSON_Delete(obj);
	if (s == NULL) {
		listen_reply(c, oom, sizeof(oom) - 1);
		return;
	}
	listen_reply(c, s, strlen(s));
	listen_reply(c, "\n", 1);
	cJSON_free(s);
}

static void
send_error(struct listen_conn *c, const char *code, const char *detail)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddFalseToObject(o, "ok");
		cJSON_AddStringToObject(o, "error", code);
		cJSON_AddStringToObject(o, "detail", detail);
	}
	send_json(c, o);
}

/* fail: answer a request with an error and end it, counted as rec. */
static void
fail(struct listen_conn *c, const char *code, const char *detail,
    const struct stats_rec *rec)
{
	send_error(c, code, detail);
	listen_done(c, rec);
}

/* bad: a request that cannot be understood: a protocol error. */
static void
bad(struct listen_conn *c, const char *code, const char *detail)
{
	listen_conn_env(c)->stats->proto_errors[STATS_JSON]++;
	fail(c, code, detail, NOT_COUNTED);
}

/* Not a lookup (cache.show, cache.purge): proto for req_domain(). */
#define NOT_LOOKUP	STATS_NPROTO

/*
 * fail_lookup: a resolve request answered without a lookup, counted
 * for `proto` with verdict v; key and why go to the log.  For another
 * op (proto NOT_LOOKUP), a malformed request is a protocol error and
 * nothing else is counted.
 */
static void
fail_lookup(struct listen_conn *c, enum stats_proto proto,
    enum stats_verdict v, const char *code, const char *detail,
    const char *key, const char *why)
{
	struct stats_rec r = { proto, STATS_PROF_NONE, v, NULL, key,
	    key != NULL ? strlen(key) : 0, why, 0 };

	if (v == STATS_PERM)
		listen_conn_env(c)->stats->proto_errors[proto == NOT_LOOKUP ?
		    STATS_JSON : proto]++;
	fail(c, code, detail, proto == NOT_LOOKUP ? NOT_COUNTED : &r);
}

/* add_num_or_null: a number, or null when `have` is 0. */
static void
add_num_or_null(cJSON *o, const char *k, int have, double v)
{
	if (have)
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *
mx_array(const struct record_policy *p)
{
	cJSON *a;
	size_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < p->nmx; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(p->mx[i]));
	return a;
}

/*
 * policy_obj: the "policy" object of resolve and cache.* replies.  The
 * "text" is the body as fetched: stored, or regenerated from a text form
 * (store/record.h) into a static buffer (loop thread only; cJSON copies).
 */
static cJSON *
policy_obj(const struct record_policy *p, int full)
{
	static char tbuf[RECORD_TEXT_RENDER_MAX];
	const char *text;
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "id", p->id != NULL ? p->id : "");
	cJSON_AddStringToObject(o, "mode", record_mode_str(p->mode));
	cJSON_AddNumberToObject(o, "max_age", p->max_age);
	cJSON_AddItemToObject(o, "mx", mx_array(p));
	if (!full)
		return o;
	cJSON_AddNumberToObject(o, "fetched_at", (double)p->fetched_at);
	cJSON_AddNumberToObject(o, "txt_checked_at",
	    (double)p->txt_checked_at);
	cJSON_AddNumberToObject(o, "retry_at", (double)p->retry_at);
	cJSON_AddNumberToObject(o, "failures", p->failures);
	cJSON_AddStringToObject(o, "last_error",
	    p->last_error != NULL ? p->last_error : "");
	/* The history (record.h): 0 is "not", shown as null. */
	if (p->enforce_since != 0)
		cJSON_AddNumberToObject(o, "enforce_since",
		    (double)p->enforce_since);
	else
		cJSON_AddNullToObject(o, "enforce_since");
	if (p->testing_since != 0)
		cJSON_AddNumberToObject(o, "testing_since",
		    (double)p->testing_since);
	else
		cJSON_AddNullToObject(o, "testing_since");
	if ((p->text != NULL || p->text_form != RECORD_TEXT_STORED) &&
	    (text = record_policy_text(p, tbuf, sizeof(tbuf), NULL)) != NULL)
		cJSON_AddStringToObject(o, "text", text);
	return o;
}

static cJSON *
negative_obj(const struct record_negative *n)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "reason", record_reason_str(n->reason));
	cJSON_AddStringToObject(o, "code", n->code != NULL ? n->code : "");
	cJSON_AddNumberToObject(o, "count", n->count);
	cJSON_AddNumberToObject(o, "first_at", (double)n->first_at);
	cJSON_AddNumberToObject(o, "last_at", (double)n->last_at);
	cJSON_AddNumberToObject(o, "retry_at", (double)n->retry_at);
	return o;
}

/* --- request fields ------------------------------------------------------ */

static const cJSON *
field(const cJSON *req, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(req, name);
}

/*
 * req_domain: the normalised "domain" of req into dom.  Returns 0, or
 * -1 after answering the request with the error.
 */
static int
req_domain(struct listen_conn *c, const cJSON *req, enum stats_proto proto,
    char *dom)
{
	const cJSON *d = field(req, "domain");
	char detail[128];
	const char *why, *key;

	if (!cJSON_IsString(d) || d->valuestring == NULL) {
		fail_lookup(c, proto, STATS_PERM, "bad-request",
		    "domain: expected a string", NULL, "bad-request");
		return -1;
	}
	key = d->valuestring;
	switch (domkey_normalize(key, strlen(key), dom, &why)) {
	case DOMKEY_DOMAIN:
		return 0;
	case DOMKEY_NOT_DOMAIN:
		snprintf(detail, sizeof(detail), "not a mail domain: %s", why);
		fail_lookup(c, proto, STATS_NOTFOUND, "domain-invalid",
		    detail, key, why);
		return -1;
	case DOMKEY_INVALID:
		fail_lookup(c, proto, STATS_NOTFOUND, "domain-invalid", why,
		    key, why);
		return -1;
	case DOMKEY_ERROR:
	default:
		fail_lookup(c, proto, STATS_TEMP, "internal", why, key,
		    "memory");
		return -1;
	}
}

/* --- resolve ------------------------------------------------------------- */

/* add_policy_fields: the policy fields of a resolve reply. */
static void
add_policy_fields(cJSON *o, const struct lookup_answer *ans)
{
	int have = ans->status == LOOKUP_POLICY && ans->policy != NULL;

	if (have)
		cJSON_AddItemToObject(o, "policy", policy_obj(ans->policy, 0));
	else
		cJSON_AddNullToObject(o, "policy");
	add_num_or_null(o, "fetched_at", have,
	    have ? (double)ans->policy->fetched_at : 0);
	add_num_or_null(o, "age", have, (double)ans->age);
	add_num_or_null(o, "expires_in", have, (double)ans->expires_in);
}

/*
 * add_dane_hosts: the domain's stored DANE check (store/danerec.h),
 * for operators: the MX status and each MX host's TLSA status.  Only
 * the JSON resolve op reads it (never the Postfix protocols), after
 * the lookup service wrote it; nothing stored: null.
 */
static void
add_dane_hosts(cJSON *o, struct cache *cache, const char *domain)
{
	unsigned char buf[DANEREC_MAX];
	struct danerec r;
	cJSON *hosts, *h;
	size_t len = 0, i;

	if (cache == NULL || cache_get(cache, CACHE_DB_DANE, domain, buf,
	    sizeof(buf), &len, NULL) != CACHE_OK ||
	    danerec_decode(buf, len, &r, NULL) != 0) {
		cJSON_AddNullToObject(o, "dane_check");
		return;
	}
	if ((o = cJSON_AddObjectToObject(o, "dane_check")) == NULL)
		return;
	cJSON_AddStringToObject(o, "mx", dane_dns_str((enum dane_dns)r.mx));
	cJSON_AddNumberToObject(o, "checked_at", (double)r.checked_at);
	cJSON_AddNumberToObject(o, "expires_at", (double)r.expires_at);
	if ((hosts = cJSON_AddArrayToObject(o, "hosts")) == NULL)
		return;
	for (i = 0; i < r.nhosts; i++) {
		if ((h = cJSON_CreateObject()) == NULL)
			return;
		cJSON_AddStringToObject(h, "name", r.host[i].name);
		cJSON_AddStringToObject(h, "tlsa",
		    dane_tlsa_str((enum dane_tlsa)r.host[i].tlsa));
		cJSON_AddItemToArray(hosts, h);
	}
}

/* answer_resolve: the reply to a resolve op from `proto`. */
static void
answer_resolve(struct listen_conn *c, const struct lookup_answer *ans,
    enum stats_proto proto)
{
	struct listen_env *env = listen_conn_env(c);
	char value[SOCKMAP_VALUE_MAX], detail[256], mvalue[SOCKMAP_VALUE_MAX];
	struct lookup_answer sts = *ans;
	enum verdict v, vm;
	struct stats_rec r = { proto, STATS_PROF_POSTFIX, STATS_TEMP, ans,
	    NULL, 0, NULL, 0 };
	cJSON *o;

	if (ans->status == LOOKUP_TEMP) {
		snprintf(detail, sizeof(detail), "%s%s%s",
		    ans->error != NULL ? ans->error : "lookup-failed",
		    ans->detail != NULL && ans->detail[0] != '\0' ? ": " : "",
		    ans->detail != NULL ? ans->detail : "");
		fail(c, "temporary", detail, &r);
		return;
	}
	v = sockmap_verdict(ans, env->conf, value,
	    sizeof(value));
	/* The MTA-STS part alone: what OpenSMTPD (no DANE) enforces. */
	sts.dane = LOOKUP_DANE_NONE;
	vm = sockmap_verdict(&sts, env->conf, mvalue, sizeof(mvalue));
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddStringToObject(o, "domain", ans->domain);
		cJSON_AddStringToObject(o, "source",
		    ans->status != LOOKUP_POLICY ? "none" :
		    ans->source == LOOKUP_SRC_LIST ? "starttls-list" :
		    "mta-sts");
		cJSON_AddBoolToObject(o, "cached",
		    ans->source == LOOKUP_SRC_CACHE ||
		    ans->source == LOOKUP_SRC_NEGATIVE);
		cJSON_AddStringToObject(o, "origin",
		    lookup_source_str(ans->source));
		add_policy_fields(o, ans);
		jsonout_add_str(o, "error", ans->error);
		cJSON_AddStringToObject(o, "detail",
		    ans->detail != NULL ? ans->detail : "");
		jsonout_add_str(o, "postfix", v == VERDICT_OK ? value : NULL);
		cJSON_AddStringToObject(o, "dane", lookup_dane_str(ans->dane));
		cJSON_AddStringToObject(o, "dane_why",
		    ans->dane_why != NULL ? ans->dane_why : "");
		cJSON_AddStringToObject(o, "verdict", verdict_str(v));
		cJSON_AddStringToObject(o, "mtasts_verdict", verdict_str(vm));
		if (env->conf->dane)
			add_dane_hosts(o, env->cache, ans->domain);
	}
	send_json(c, o);
	/* table-mtasts (OpenSMTPD: no DANE) acts on the MTA-STS verdict. */
	if (proto == STATS_TABLE_MTASTS)
		v = vm;
	else
		r.dane = ans->dane != LOOKUP_DANE_NONE;
	r.verdict = v == VERDICT_OK ? STATS_OK : v == VERDICT_NOTFOUND ?
	    STATS_NOTFOUND : STATS_TEMP;
	listen_done(c, &r);
	/* Past its share of discoveries: pipelining more only waits. */
	if (ans->error != NULL && strcmp(ans->error, "overload") == 0)
		listen_backoff(c);
}

/* One answer callback per client kind, as listen_lookup() carries no
 * argument. */
static void
on_resolve(struct listen_conn *c, const struct lookup_answer *ans)
{
	answer_resolve(c, ans, STATS_JSON);
}

static void
on_resolve_tm(struct listen_conn *c, const struct lookup_answer *ans)
{
	answer_resolve(c, ans, STATS_TABLE_MTASTS);
}

/*
 * req_proto: who asks, for the counters: "client":"table-mtasts" is
 * OpenSMTPD's table; anything else (or nothing) is a JSON client.
 */
static enum stats_proto
req_proto(const cJSON *req)
{
	const cJSON *cl = field(req, "client");

	return cJSON_IsString(cl) && cl->valuestring != NULL &&
	    strcmp(cl->valuestring, "table-mtasts") == 0 ?
	    STATS_TABLE_MTASTS : STATS_JSON;
}

/*
 * req_wait: "wait": absent or true = up to lookup_timeout (-1), false =
 * not at all (0), a number = that many milliseconds (the lookup service
 * cuts it to lookup_timeout).  -2 when malformed.
 */
static int
req_wait(const cJSON *req)
{
	const cJSON *w = field(req, "wait");

	if (w == NULL || cJSON_IsTrue(w))
		return -1;
	if (cJSON_IsFalse(w))
		return 0;
	if (cJSON_IsNumber(w) && w->valuedouble >= 0 &&
	    w->valuedouble <= CONTROL_WAIT_MAX &&
	    w->valuedouble == (double)(int)w->valuedouble)
		return (int)w->valuedouble;
	return -2;
}

static void
op_resolve(struct listen_conn *c, const cJSON *req)
{
	enum stats_proto proto = req_proto(req);
	char dom[DOMKEY_MAX + 1];
	int wait;

	if ((wait = req_wait(req)) == -2) {
		fail_lookup(c, proto, STATS_PERM, "bad-request",
		    "wait: expected true, false or milliseconds", NULL,
		    "bad-request");
		return;
	}
	if (req_domain(c, req, proto, dom) == -1)
		return;
	if (proto == STATS_TABLE_MTASTS)
		listen_lookup(c, dom, wait, LISTEN_SHARE_TABLE, on_resolve_tm);
	else
		listen_lookup(c, dom, wait, LISTEN_SHARE_JSON, on_resolve);
}

/* --- stats --------------------------------------------------------------- */

/*
 * lookups_obj: answers by protocol and verdict, by source, and every
 * non-zero (protocol, profile, verdict, source) cell, into o.
 */
static void
lookups_obj(cJSON *o, const struct stats *st)
{
	uint64_t byv[STATS_NPROTO][STATS_NVERDICT] = { { 0 } };
	uint64_t bys[STATS_NSOURCE] = { 0 }, n;
	cJSON *l, *p, *src, *all, *e;
	int i, j, k, m;

	l = cJSON_AddObjectToObject(o, "lookups");
	src = cJSON_AddObjectToObject(o, "sources");
	all = cJSON_AddArrayToObject(o, "answers");
	for (i = 0; i < STATS_NPROTO; i++)
		for (j = 0; j < STATS_NPROFILE; j++)
			for (k = 0; k < STATS_NVERDICT; k++)
				for (m = 0; m < STATS_NSOURCE; m++) {
					if ((n = st->answers[i][j][k][m]) == 0)
						continue;
					byv[i][k] += n;
					bys[m] += n;
					if ((e = cJSON_CreateObject()) == NULL)
						continue;
					cJSON_AddStringToObject(e, "protocol",
					    stats_proto_str(i));
					cJSON_AddStringToObject(e, "profile",
					    stats_profile_str(j));
					cJSON_AddStringToObject(e, "verdict",
					    stats_verdict_str(k));
					cJSON_AddStringToObject(e, "source",
					    stats_source_str(m));
					cJSON_AddNumberToObject(e, "count",
					    (double)n);
					cJSON_AddItemToArray(all, e);
				}
	for (i = 0; i < STATS_NPROTO; i++) {
		if ((p = cJSON_AddObjectToObject(l, stats_proto_str(i))) ==
		    NULL)
			continue;
		for (k = 0; k < STATS_NVERDICT; k++)
			cJSON_AddNumberToObject(p, stats_verdict_str(k),
			    (double)byv[i][k]);
		cJSON_AddNumberToObject(p, "protocol_errors",
		    (double)st->proto_errors[i]);
	}
	for (m = 0; m < STATS_NSOURCE; m++)
		cJSON_AddNumberToObject(src, stats_source_str(m),
		    (double)bys[m]);
}

static cJSON *
service_obj(const struct lookup_stats *ls)
{
	cJSON *o, *f;
	int e;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "queries", (double)ls->queries);
	cJSON_AddNumberToObject(o, "cache_hits", (double)ls->cache_hits);
	cJSON_AddNumberToObject(o, "negative_hits", (double)ls->negative_hits);
	cJSON_AddNumberToObject(o, "cache_misses", (double)ls->cache_misses);
	cJSON_AddNumberToObject(o, "cache_errors", (double)ls->cache_errors);
	cJSON_AddNumberToObject(o, "deadline", (double)ls->deadline);
	cJSON_AddNumberToObject(o, "discoveries", (double)ls->discoveries);
	cJSON_AddNumberToObject(o, "discovered",
	    (double)ls->by_error[RESOLVE_OK]);
	cJSON_AddNumberToObject(o, "refreshes", (double)ls->refreshes);
	cJSON_AddNumberToObject(o, "in_flight", (double)ls->in_flight);
	cJSON_AddNumberToObject(o, "pending_domains",
	    (double)ls->pending_domains);
	cJSON_AddNumberToObject(o, "pending_json",
	    (double)ls->quota_running);
	cJSON_AddNumberToObject(o, "refreshes_running",
	    (double)ls->refreshes_running);
	cJSON_AddNumberToObject(o, "refresh_failures",
	    (double)ls->refresh_failures);
	cJSON_AddNumberToObject(o, "refresh_skipped",
	    (double)ls->refresh_skipped);
	cJSON_AddNumberToObject(o, "overload", (double)ls->overload);
	if ((f = cJSON_AddObjectToObject(o, "overloads")) != NULL)
		for (e = 0; e < LOOKUP_NLIMIT; e++)
			cJSON_AddNumberToObject(f, lookup_limit_str(e),
			    (double)ls->overloads[e]);
	cJSON_AddNumberToObject(o, "corrupt", (double)ls->corrupt);
	cJSON_AddNumberToObject(o, "evicted_negatives", (double)ls->evicted);
	cJSON_AddNumberToObject(o, "list_hits", (double)ls->list_hits);
	cJSON_AddNumberToObject(o, "list_testing", (double)ls->list_testing);
	cJSON_AddNumberToObject(o, "dane_checks", (double)ls->dane_checks);
	if ((f = cJSON_AddObjectToObject(o, "dane_answers")) != NULL)
		for (e = LOOKUP_DANE_NONE; e <= LOOKUP_DANE_TEMP; e++)
			cJSON_AddNumberToObject(f, lookup_dane_str(e),
			    (double)ls->dane_answers[e]);
	if ((f = cJSON_AddObjectToObject(o, "failures")) != NULL)
		for (e = RESOLVE_OK + 1; e <= RESOLVE_POLICY_INVALID; e++)
			cJSON_AddNumberToObject(f, resolve_code(e),
			    (double)ls->by_error[e]);
	return o;
}

/* kept_obj: the last complete pass's counts by kind (sweep.h). */
static void
kept_obj(cJSON *x, const struct sweep_stats *ss)
{
	cJSON *k, *o;
	int i;

	if (ss->kept_at == 0 || (k = cJSON_AddObjectToObject(x, "kept")) ==
	    NULL)
		return;
	cJSON_AddNumberToObject(k, "at", (double)ss->kept_at);
	if ((o = cJSON_AddObjectToObject(k, "policy")) != NULL)
		for (i = 0; i < CACHETALLY_NMODES; i++)
			cJSON_AddNumberToObject(o,
			    record_mode_str((enum record_mode)i),
			    (double)ss->kept.policy[i]);
	if ((o = cJSON_AddObjectToObject(k, "negative")) != NULL)
		for (i = 0; i < RECORD_NEG_NREASONS; i++)
			cJSON_AddNumberToObject(o,
			    record_reason_str((enum record_reason)i),
			    (double)ss->kept.negative[i]);
	cJSON_AddNumberToObject(k, "dane", (double)ss->kept.dane);
}

/* cachestat_obj: entries by kind, the map's fill, the sweeper's work. */
static cJSON *
cachestat_obj(struct cache *cache, const struct sweep *sw)
{
	struct sweep_stats ss;
	struct cache_stat cs;
	cJSON *o, *x;

	if (cache_stat(cache, &cs, NULL) != CACHE_OK ||
	    (o = cJSON_CreateObject()) == NULL)
		return NULL;
	sweep_get_stats(sw, &ss);
	if ((x = cJSON_AddObjectToObject(o, "sweep")) != NULL) {
		cJSON_AddNumberToObject(x, "passes", (double)ss.passes);
		cJSON_AddNumberToObject(x, "policies", (double)ss.policies);
		cJSON_AddNumberToObject(x, "negatives", (double)ss.negatives);
		cJSON_AddNumberToObject(x, "dane", (double)ss.dane);
		cJSON_AddNumberToObject(x, "evicted", (double)ss.evicted);
		cJSON_AddNumberToObject(x, "batches", (double)ss.batches);
		cJSON_AddNumberToObject(x, "batch_us_total",
		    (double)ss.batch_us_total);
		cJSON_AddNumberToObject(x, "batch_us_max",
		    (double)ss.batch_us_max);
		cJSON_AddNumberToObject(x, "last_pass_ms",
		    (double)ss.last_pass_ms);
		kept_obj(x, &ss);
	}
	cJSON_AddNumberToObject(o, "policies",
	    (double)cs.entries[CACHE_DB_POLICY]);
	cJSON_AddNumberToObject(o, "negatives",
	    (double)cs.entries[CACHE_DB_NEGATIVE]);
	cJSON_AddNumberToObject(o, "list_entries",
	    (double)cs.entries[CACHE_DB_LIST]);
	cJSON_AddNumberToObject(o, "dane_entries",
	    (double)cs.entries[CACHE_DB_DANE]);
	cJSON_AddNumberToObject(o, "used_bytes", (double)cs.used);
	cJSON_AddNumberToObject(o, "file_bytes", (double)cs.file);
	cJSON_AddNumberToObject(o, "map_size", (double)cs.map_size);
	cJSON_AddNumberToObject(o, "map_max", (double)cs.map_max);
	return o;
}

static void
op_stats(struct listen_conn *c, const cJSON *req)
{
	struct listen_env *env = listen_conn_env(c);
	const struct stats *st = env->stats;
	struct lookup_stats ls;
	cJSON *o, *conns;

	(void)req;
	env->service_stats(&ls, env->service_stats_arg);
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddNumberToObject(o, "uptime",
		    (double)(time(NULL) - st->started_at));
		if ((conns = cJSON_AddObjectToObject(o, "connections")) !=
		    NULL) {
			cJSON_AddNumberToObject(conns, "open",
			    (double)st->conns_open);
			cJSON_AddNumberToObject(conns, "total",
			    (double)st->conns_total);
			cJSON_AddNumberToObject(conns, "refused",
			    (double)st->conns_refused);
			cJSON_AddNumberToObject(conns, "idle_closed",
			    (double)st->conns_idle_closed);
			cJSON_AddNumberToObject(conns, "limit_reached",
			    (double)st->conns_limit);
			cJSON_AddNumberToObject(conns, "request_timeout",
			    (double)st->conns_request_timeout);
			cJSON_AddNumberToObject(conns, "evicted",
			    (double)st->conns_evicted);
			cJSON_AddNumberToObject(conns, "user_limit",
			    (double)st->conns_user_limit);
		}
		lookups_obj(o, st);
		cJSON_AddItemToObject(o, "service", service_obj(&ls));
		cJSON_AddItemToObject(o, "cache", cachestat_obj(env->cache,
		    env->sweep));
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);
}

/* --- cache.list ---------------------------------------------------------- */

struct cachelist_state {
	struct listen_conn *c;
	enum cache_db	 db;		/* POLICY, then NEGATIVE */
	char		 last[CACHE_KEY_MAX + 1]; /* "" = from the start */
	size_t		 batch;		/* entries in this batch */
	unsigned long long count;	/* entries sent */
	int64_t		 now;
};

/* cachelist_entry: one entry as a JSON line. */
static cJSON *
cachelist_entry(const struct cachelist_state *ls, const char *key,
    const void *val, size_t len)
{
	struct record_policy p;
	struct record_negative n;
	const char *why = NULL;
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "domain", key);
	cJSON_AddStringToObject(o, "kind",
	    ls->db == CACHE_DB_POLICY ? "policy" : "negative");
	if (ls->db == CACHE_DB_POLICY &&
	    record_policy_decode(val, len, &p, &why) == 0) {
		cJSON_AddStringToObject(o, "mode", record_mode_str(p.mode));
		cJSON_AddStringToObject(o, "id", p.id);
		cJSON_AddNumberToObject(o, "max_age", p.max_age);
		cJSON_AddNumberToObject(o, "fetched_at", (double)p.fetched_at);
		cJSON_AddNumberToObject(o, "expires_in", (double)
		    (p.fetched_at + (int64_t)p.max_age - ls->now));
		cJSON_AddItemToObject(o, "mx", mx_array(&p));
	} else if (ls->db == CACHE_DB_NEGATIVE &&
	    record_negative_decode(val, len, &n, &why) == 0) {
		cJSON_AddStringToObject(o, "reason",
		    record_reason_str(n.reason));
		cJSON_AddStringToObject(o, "code", n.code);
		cJSON_AddNumberToObject(o, "retry_in",
		    (double)(n.retry_at - ls->now));
	} else {
		/* A newer mtastsd's record: not ours, left as it is. */
		cJSON_AddBoolToObject(o, record_newer(val, len) ? "newer" :
		    "corrupt", 1);
		cJSON_AddStringToObject(o, "detail", why != NULL ? why : "");
	}
	return o;
}

/* cachelist_one: cache_iter callback; returns 1 to end the batch. */
static int
cachelist_one(const char *key, const void *val, size_t len, void *arg)
{
	struct cachelist_state *ls = arg;

	send_json(ls->c, cachelist_entry(ls, key, val, len));
	snprintf(ls->last, sizeof(ls->last), "%s", key);
	ls->count++;
	return ++ls->batch >= CONTROL_LIST_BATCH ||
	    listen_queued(ls->c) >= CONTROL_LIST_BYTES;
}

/* cachelist_more: the next batch (listen_stream callback). */
static void
cachelist_more(struct listen_conn *c, void *arg)
{
	struct cachelist_state *ls = arg;
	const char *err = NULL;
	char detail[160];
	cJSON *o;

	for (ls->batch = 0; ls->db <= CACHE_DB_NEGATIVE; ls->db++) {
		if (cache_iter_from(listen_conn_env(c)->cache, ls->db,
		    ls->last, cachelist_one, ls, &err) != CACHE_OK) {
			snprintf(detail, sizeof(detail), "cache: %s",
			    err != NULL ? err : "error");
			fail(c, "internal", detail, NOT_COUNTED);
			return;		/* ls is freed now */
		}
		if (ls->batch > 0 && (ls->batch >= CONTROL_LIST_BATCH ||
		    listen_queued(c) >= CONTROL_LIST_BYTES))
			return;		/* more when this batch is out */
		ls->last[0] = '\0';
	}
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddTrueToObject(o, "end");
		cJSON_AddNumberToObject(o, "count", (double)ls->count);
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);	/* ls is freed now */
}

static void
op_cache_list(struct listen_conn *c, const cJSON *req)
{
	struct cachelist_state *ls;

	(void)req;
	if ((ls = calloc(1, sizeof(*ls))) == NULL) {
		fail(c, "internal", "out of memory", NOT_COUNTED);
		return;
	}
	ls->c = c;
	ls->db = CACHE_DB_POLICY;
	ls->now = lookup_now(listen_conn_env(c)->lookup);
	listen_stream(c, cachelist_more, ls, free);
	cachelist_more(c, ls);
}

/* --- cache.show, cache.purge, cache.flush -------------------------------- */

/* show_policy: the "policy" member of cache.show; -1 on a cache error. */
static int
show_policy(struct cache *cache, const char *dom, cJSON *o, const char **err)
{
	struct record_policy p;
	enum cache_result r;
	cJSON *x;
	void *buf;

	if ((buf = malloc(RECORD_POLICY_MAX)) == NULL) {
		*err = "out of memory";
		return -1;
	}
	r = cache_get_policy(cache, dom, buf, RECORD_POLICY_MAX, &p, err);
	if (r == CACHE_OK)
		cJSON_AddItemToObject(o, "policy", policy_obj(&p, 1));
	else if (r == CACHE_NOTFOUND)
		cJSON_AddNullToObject(o, "policy");
	else if ((r == CACHE_CORRUPT || r == CACHE_NEWER) &&
	    (x = cJSON_AddObjectToObject(o, "policy")) != NULL) {
		cJSON_AddTrueToObject(x, r == CACHE_NEWER ? "newer" :
		    "corrupt");
		cJSON_AddStringToObject(x, "detail", *err ? *err : "");
	}
	free(buf);
	return r == CACHE_OK || r == CACHE_NOTFOUND || r == CACHE_CORRUPT ||
	    r == CACHE_NEWER ? 0 : -1;
}

static int
show_negative(struct cache *cache, const char *dom, cJSON *o,
    const char **err)
{
	unsigned char buf[RECORD_NEGATIVE_MAX];
	struct record_negative n;
	enum cache_result r;
	cJSON *x;

	r = cache_get_negative(cache, dom, buf, sizeof(buf), &n, err);
	if (r == CACHE_OK)
		cJSON_AddItemToObject(o, "negative", negative_obj(&n));
	else if (r == CACHE_NOTFOUND)
		cJSON_AddNullToObject(o, "negative");
	else if ((r == CACHE_CORRUPT || r == CACHE_NEWER) &&
	    (x = cJSON_AddObjectToObject(o, "negative")) != NULL) {
		cJSON_AddTrueToObject(x, r == CACHE_NEWER ? "newer" :
		    "corrupt");
		cJSON_AddStringToObject(x, "detail", *err ? *err : "");
	}
	return r == CACHE_OK || r == CACHE_NOTFOUND || r == CACHE_CORRUPT ||
	    r == CACHE_NEWER ? 0 : -1;
}

typedef int show_fill(struct listen_conn *, const char *, cJSON *,
    const char **);

/*
 * op_show: answer {"ok":true,"domain":D,...} with what `fill` adds for
 * the request's domain, or an internal error naming the cache failure.
 */
static void
op_show(struct listen_conn *c, const cJSON *req, show_fill *fill)
{
	char dom[DOMKEY_MAX + 1], detail[160];
	const char *err = NULL;
	cJSON *o;

	if (req_domain(c, req, NOT_LOOKUP, dom) == -1)
		return;
	if ((o = cJSON_CreateObject()) == NULL) {
		fail(c, "internal", "out of memory", NOT_COUNTED);
		return;
	}
	cJSON_AddTrueToObject(o, "ok");
	cJSON_AddStringToObject(o, "domain", dom);
	if (fill(c, dom, o, &err) == -1) {
		cJSON_Delete(o);
		snprintf(detail, sizeof(detail), "cache: %s",
		    err != NULL ? err : "error");
		fail(c, "internal", detail, NOT_COUNTED);
		return;
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);
}

static int
show_cache_entry(struct listen_conn *c, const char *dom, cJSON *o,
    const char **err)
{
	struct cache *cache = listen_conn_env(c)->cache;

	return show_policy(cache, dom, o, err) == -1 ||
	    show_negative(cache, dom, o, err) == -1 ? -1 : 0;
}

static void
op_cache_show(struct listen_conn *c, const cJSON *req)
{
	op_show(c, req, show_cache_entry);
}

struct purge {
	const char	*domain;
	int		 n;
};

/* purge_txn: runs again from the start if the map had to grow. */
static void
purge_txn(struct cache_txn *t, void *arg)
{
	struct purge *p = arg;

	p->n = cache_txn_del(t, CACHE_DB_POLICY, p->domain);
	p->n += cache_txn_del(t, CACHE_DB_NEGATIVE, p->domain);
}

static void
op_cache_purge(struct listen_conn *c, const cJSON *req)
{
	char dom[DOMKEY_MAX + 1], detail[160], esc[LOG_ESCAPE_MAX];
	struct purge p = { dom, 0 };
	const char *err = NULL;
	cJSON *o;

	if (req_domain(c, req, NOT_LOOKUP, dom) == -1)
		return;
	if (cache_write(listen_conn_env(c)->cache, purge_txn, &p, &err) !=
	    CACHE_OK) {
		snprintf(detail, sizeof(detail), "cache: %s",
		    err != NULL ? err : "error");
		fail(c, "internal", detail, NOT_COUNTED);
		return;
	}
	log_info("cache.purge %s (%s): %s", log_escape(dom, strlen(dom), esc,
	    sizeof(esc)), listen_conn_peer(c), p.n > 0 ? "purged" : "absent");
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddStringToObject(o, "domain", dom);
		cJSON_AddBoolToObject(o, "purged", p.n > 0);
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);
}

static int
count_one(const char *key, const void *val, size_t len, void *arg)
{
	(void)key;
	(void)val;
	(void)len;
	(*(unsigned long long *)arg)++;
	return 0;
}

/* flush_txn: the cache only; the STARTTLS list is not a cache. */
static void
flush_txn(struct cache_txn *t, void *arg)
{
	(void)arg;
	cache_txn_drop(t, CACHE_DB_POLICY);
	cache_txn_drop(t, CACHE_DB_NEGATIVE);
}

static void
op_cache_flush(struct listen_conn *c, const cJSON *req)
{
	struct cache *cache = listen_conn_env(c)->cache;
	unsigned long long n = 0;
	const char *err = NULL;
	char detail[160];
	cJSON *o;

	(void)req;
	if (cache_iter(cache, CACHE_DB_POLICY, count_one, &n, &err) !=
	    CACHE_OK ||
	    cache_iter(cache, CACHE_DB_NEGATIVE, count_one, &n, &err) !=
	    CACHE_OK ||
	    cache_write(cache, flush_txn, NULL, &err) != CACHE_OK) {
		snprintf(detail, sizeof(detail), "cache: %s",
		    err != NULL ? err : "error");
		fail(c, "internal", detail, NOT_COUNTED);
		return;
	}
	log_info("cache.flush (%s): %llu entries removed",
	    listen_conn_peer(c), n);
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddNumberToObject(o, "purged", (double)n);
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);
}

/* --- list.status, list.update, list.show --------------------------------- */

/* add_time_or_null: "YYYY-MM-DDTHH:MM:SSZ", or null when !have. */
static void
add_time_or_null(cJSON *o, const char *k, int have, int64_t t)
{
	char buf[TLSLIST_TIME_STRLEN];

	jsonout_add_str(o, k, have ? tlslist_time_format(t, buf) : NULL);
}

static cJSON *
starttls_last(const struct listupd_status *st)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	add_time_or_null(o, "at", 1, st->last_attempt);
	cJSON_AddStringToObject(o, "source", st->last_source);
	cJSON_AddStringToObject(o, "result",
	    listupd_outcome_str(st->last_outcome));
	cJSON_AddBoolToObject(o, "ok", listupd_outcome_ok(st->last_outcome));
	cJSON_AddStringToObject(o, "detail", st->last_detail);
	return o;
}

/* starttls_installed: the installed list's fields (null when none). */
static void
starttls_installed(cJSON *o, const struct listupd_status *st)
{
	const struct liststore_meta *m = &st->meta;
	int have = st->installed;

	jsonout_add_str(o, "source", have ? m->source : NULL);
	jsonout_add_str(o, "signer", have ? m->signer : NULL);
	jsonout_add_str(o, "primary", have ? m->primary : NULL);
	add_time_or_null(o, "signed", have, m->sigtime);
	add_time_or_null(o, "timestamp", have, m->timestamp);
	add_time_or_null(o, "expires", have, m->expires);
	add_time_or_null(o, "installed_at", have, m->installed_at);
	cJSON_AddNumberToObject(o, "entries", have ? m->entries : 0);
	cJSON_AddNumberToObject(o, "enforce", have ? m->enforce : 0);
	cJSON_AddNumberToObject(o, "testing", have ? m->testing : 0);
}

static void
op_list_status(struct listen_conn *c, const cJSON *req)
{
	struct listupd_status st;
	cJSON *o;

	(void)req;
	listupd_status(listen_conn_env(c)->list, &st);
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddBoolToObject(o, "enabled", st.enabled);
		cJSON_AddBoolToObject(o, "installed", st.installed);
		cJSON_AddBoolToObject(o, "in_force", st.enabled &&
		    st.installed && !st.expired);
		cJSON_AddBoolToObject(o, "expired", st.installed && st.expired);
		starttls_installed(o, &st);
		cJSON_AddBoolToObject(o, "enforce_testing", st.enforce_testing);
		jsonout_add_str(o, "url", st.url[0] != '\0' ? st.url : NULL);
		cJSON_AddNumberToObject(o, "interval", (double)st.interval);
		cJSON_AddBoolToObject(o, "updating", st.updating);
		add_time_or_null(o, "next_update", st.next_update != 0,
		    st.next_update);
		if (st.last_attempt != 0)
			cJSON_AddItemToObject(o, "last_attempt",
			    starttls_last(&st));
		else
			cJSON_AddNullToObject(o, "last_attempt");
		add_time_or_null(o, "last_success", st.last_success != 0,
		    st.last_success);
		jsonout_add_str(o, "note", st.note[0] != '\0' ? st.note : NULL);
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);
}

/* A connection waiting for list.update (listen_stream state). */
struct update_wait {
	struct listen_conn	*c;
	struct listupd_req	*req;	/* NULL once answered */
};

static void
update_wait_more(struct listen_conn *c, void *arg)
{
	(void)c;
	(void)arg;		/* nothing to send until the update ends */
}

static void
update_wait_free(void *arg)
{
	struct update_wait *w = arg;

	listupd_cancel(w->req);	/* the connection went away first */
	free(w);
}

static void
on_list_updated(const struct listupd_result *res, void *arg)
{
	struct update_wait *w = arg;
	int ok = listupd_outcome_ok(res->outcome);
	cJSON *o;

	w->req = NULL;
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddBoolToObject(o, "ok", ok);
		if (!ok)
			cJSON_AddStringToObject(o, "error", "update-failed");
		cJSON_AddStringToObject(o, "result",
		    listupd_outcome_str(res->outcome));
		cJSON_AddStringToObject(o, "source", res->source);
		cJSON_AddStringToObject(o, "detail", res->detail);
	}
	send_json(w->c, o);
	listen_done(w->c, NOT_COUNTED);	/* frees w */
}

static void
op_list_update(struct listen_conn *c, const cJSON *req)
{
	const cJSON *u = field(req, "url");
	const char *why = NULL;
	struct update_wait *w;

	if (u != NULL && (!cJSON_IsString(u) || u->valuestring == NULL)) {
		fail(c, "bad-request", "url: expected a string", NOT_COUNTED);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		fail(c, "internal", "out of memory", NOT_COUNTED);
		return;
	}
	w->c = c;
	if ((w->req = listupd_update(listen_conn_env(c)->list, u != NULL ?
	    u->valuestring : NULL, on_list_updated, w, &why)) == NULL) {
		free(w);
		fail(c, strcmp(why, "memory") == 0 ? "internal" : why,
		    strcmp(why, "disabled") == 0 ? "the STARTTLS list is "
		    "disabled (starttls_list = no)" : strcmp(why, "no-url") ==
		    0 ? "no URL configured or given" : strcmp(why, "bad-url") ==
		    0 ? "url: expected https://HOST[:PORT]/PATH" :
		    strcmp(why, "busy") == 0 ? "an update from another source "
		    "is pending; try again" : "out of memory", NOT_COUNTED);
		return;
	}
	log_info("list.update (%s) requested", listen_conn_peer(c));
	listen_stream(c, update_wait_more, w, update_wait_free);
}

/* show_list_entry: the entry's fields into o; 0, or -1 (cache error). */
static int
show_list_entry(struct listen_conn *c, const char *dom, cJSON *o,
    const char **err)
{
	struct listupd_status st;
	char value[SOCKMAP_VALUE_MAX];
	struct record_policy p;
	enum cache_result r;
	int applied;
	void *buf;

	listupd_status(listen_conn_env(c)->list, &st);
	if ((buf = malloc(LISTSTORE_ENTRY_MAX)) == NULL) {
		*err = "out of memory";
		return -1;
	}
	r = st.installed ? liststore_get(listen_conn_env(c)->cache, dom, buf,
	    LISTSTORE_ENTRY_MAX, &p, err) : CACHE_NOTFOUND;
	cJSON_AddBoolToObject(o, "listed", r == CACHE_OK);
	jsonout_add_str(o, "mode", r == CACHE_OK ? record_mode_str(p.mode) :
	    NULL);
	cJSON_AddItemToObject(o, "mx", r == CACHE_OK ? mx_array(&p) :
	    cJSON_CreateArray());
	cJSON_AddBoolToObject(o, "in_force", st.enabled && st.installed &&
	    !st.expired);
	applied = r == CACHE_OK && st.enabled && !st.expired &&
	    (p.mode == RECORD_MODE_ENFORCE || st.enforce_testing);
	cJSON_AddBoolToObject(o, "applied", applied);
	jsonout_add_str(o, "postfix", applied && reply_postfix(p.mx, p.nmx,
	    value, sizeof(value)) >= 0 ? value : NULL);
	free(buf);
	return r == CACHE_OK || r == CACHE_NOTFOUND ? 0 : -1;
}

static void
op_list_show(struct listen_conn *c, const cJSON *req)
{
	op_show(c, req, show_list_entry);
}

/* --- test.clock (mtastsd -T only) ---------------------------------------- */

static void
op_test_clock(struct listen_conn *c, const cJSON *req)
{
	struct listen_env *env = listen_conn_env(c);
	const cJSON *a = field(req, "advance");
	cJSON *o;

	if (!cJSON_IsNumber(a) || a->valuedouble < 0 ||
	    a->valuedouble > (double)CONTROL_CLOCK_MAX ||
	    a->valuedouble != (double)(long long)a->valuedouble) {
		fail(c, "bad-request", "advance: expected whole seconds, "
		    "0 to 10 years", NOT_COUNTED);
		return;
	}
	env->clock_offset += (int64_t)a->valuedouble;
	log_info("test.clock: clock advanced by %lld s (offset now %lld s)",
	    (long long)a->valuedouble, (long long)env->clock_offset);
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddNumberToObject(o, "offset", (double)env->clock_offset);
		cJSON_AddNumberToObject(o, "now",
		    (double)lookup_now(env->lookup));
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);
}

/* --- version ------------------------------------------------------------- */

/*
 * op_version: who answers here.  "mtasts check-postfix" asks it over
 * the socket or port Postfix uses: another daemon (Debian's
 * postfix-mta-sts-resolver) may hold the same port and answer socketmap
 * requests too, but not this.
 */
static void
op_version(struct listen_conn *c, const cJSON *req)
{
	cJSON *o;

	(void)req;
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddStringToObject(o, "daemon", "mtastsd");
		cJSON_AddStringToObject(o, "version", PACKAGE_VERSION);
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);
}

/* --- test.sweep (mtastsd -T only) ---------------------------------------- */

/* test.sweep: start a sweep pass now; stats "sweep" tells its end. */
static void
op_test_sweep(struct listen_conn *c, const cJSON *req)
{
	struct listen_env *env = listen_conn_env(c);
	struct sweep_stats st;
	cJSON *o;

	(void)req;
	sweep_get_stats(env->sweep, &st);
	sweep_kick(env->sweep);
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddTrueToObject(o, "ok");
		cJSON_AddNumberToObject(o, "passes", (double)st.passes);
	}
	send_json(c, o);
	listen_done(c, NOT_COUNTED);
}

/* --- dispatch ------------------------------------------------------------ */

static const struct control_op ops[] = {
	{ "resolve", 0, CONTROL_READ, op_resolve },
	{ "stats", 0, CONTROL_ANY, op_stats },
	{ "cache.list", 0, CONTROL_READ, op_cache_list },
	{ "cache.show", 0, CONTROL_READ, op_cache_show },
	{ "cache.purge", 0, CONTROL_ADMIN, op_cache_purge },
	{ "cache.flush", 0, CONTROL_ADMIN, op_cache_flush },
	{ "list.status", 0, CONTROL_ANY, op_list_status },
	{ "list.update", 0, CONTROL_ADMIN, op_list_update },
	{ "list.show", 0, CONTROL_ANY, op_list_show },
	{ "test.clock", 1, CONTROL_ADMIN, op_test_clock },
	{ "version", 0, CONTROL_ANY, op_version },
	{ "test.sweep", 1, CONTROL_ADMIN, op_test_sweep },
};

/*
 * control_allowed: may c run op?  If not, the request is answered
 * "not-allowed" (and refusals of state changes are logged, rate
 * limited: someone tried).
 */
static int
control_allowed(struct listen_conn *c, const struct control_op *op)
{
	static struct log_rl rl;
	int tcp_json = listen_conn_env(c)->conf->listen_tcp_json;

	switch (op->who) {
	case CONTROL_ANY:
		return 1;
	case CONTROL_READ:
		if (listen_conn_local(c) || tcp_json)
			return 1;
		bad(c, "not-allowed", "only on the Unix socket (or with "
		    "listen_tcp_json)");
		return 0;
	case CONTROL_ADMIN:
	default:
		if (listen_conn_admin(c))
			return 1;
		if (log_rl_allow(&rl))
			log_warnx("JSON client %s: %s refused: not root, the "
			    "daemon's user or admin_group", listen_conn_peer(c),
			    op->name);
		bad(c, "not-allowed", "this op changes the daemon's state: "
		    "only root, the daemon's user or admin_group, on the Unix "
		    "socket");
		return 0;
	}
}

static void
dispatch(struct listen_conn *c, const cJSON *req)
{
	const cJSON *op = field(req, "op");
	char esc[LOG_ESCAPE_MAX];
	size_t i;

	if (!cJSON_IsString(op) || op->valuestring == NULL) {
		bad(c, "bad-request", "op: expected a string");
		return;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(op->valuestring, ops[i].name) != 0)
			continue;
		if (ops[i].test_only && !listen_conn_env(c)->test_mode) {
			bad(c, "not-allowed", "this op needs mtastsd -T "
			    "(test mode)");
			return;
		}
		if (control_allowed(c, &ops[i]))
			ops[i].run(c, req);
		return;
	}
	log_debug("JSON client %s: unknown op %s", listen_conn_peer(c),
	    log_escape(op->valuestring, strlen(op->valuestring), esc,
	    sizeof(esc)));
	bad(c, "unknown-op", "unknown op");
}

/* has_nul: a raw NUL, or a JSON "\u0000" that cJSON would cut at. */
static int
has_nul(const char *s, size_t len)
{
	size_t i;

	if (memchr(s, '\0', len) != NULL)
		return 1;
	for (i = 0; i + 6 <= len; i++)
		if (s[i] == '\\' && (s[i + 1] == 'u' || s[i + 1] == 'U') &&
		    memcmp(s + i + 2, "0000", 4) == 0)
			return 1;
	return 0;
}

/* parse_line: exactly one JSON object, white space around it. */
static cJSON *
parse_line(const char *buf, size_t len)
{
	const char *end = NULL;
	cJSON *req;

	req = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (req == NULL || !cJSON_IsObject(req) || end == NULL)
		goto bad;
	for (; end < buf + len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r')
			goto bad;
	return req;
bad:
	cJSON_Delete(req);
	return NULL;
}

static ssize_t
control_request(struct listen_conn *c, const char *buf, size_t len)
{
	static struct log_rl toolong_rl;
	const char *nl;
	size_t llen;
	cJSON *req;

	nl = memchr(buf, '\n', len < CONTROL_LINE_MAX + 1 ? len :
	    CONTROL_LINE_MAX + 1);
	if (nl == NULL) {
		if (len <= CONTROL_LINE_MAX)
			return 0;
		if (log_rl_allow(&toolong_rl))
			log_info("JSON client %s: request line longer than %d "
			    "bytes", listen_conn_peer(c), CONTROL_LINE_MAX);
		send_error(c, "too-large", "request line longer than 10000 "
		    "bytes");
		listen_conn_env(c)->stats->proto_errors[STATS_JSON]++;
		return -1;
	}
	llen = (size_t)(nl - buf);
	if (has_nul(buf, llen))
		bad(c, "bad-request", "NUL in request");
	else if ((req = parse_line(buf, llen)) == NULL)
		bad(c, "bad-request", "not one JSON object");
	else {
		dispatch(c, req);
		cJSON_Delete(req);
	}
	return (ssize_t)llen + 1;
}

static int
control_claims(unsigned char first)
{
	return first == '{';
}

static const struct listen_proto proto = {
	.name = "json",
	.claims = control_claims,
	.request = control_request,
};

const struct listen_proto *
control_proto(void)
{
	return &proto;
}
