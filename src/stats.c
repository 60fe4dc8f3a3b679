/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * stats.c: the daemon's counters and the per-answer log line; see
 * stats.h.
 *
 * The log line is "lookup key=K protocol=P profile=F verdict=V
 * source=S" and then "dane=D why=TEXT" for an answer DANE decided,
 * "policy_id=ID age=Ns mode=M" for a policy, or
 * "error=CODE" for anything else (docs/metrics.md).  The key of a
 * lookup is the normalised domain (letters, digits, hyphens, dots) and
 * the policy id is checked by the TXT parser (letters and digits), so
 * neither needs escaping; a raw key that was not a domain is escaped.
 * "error=" comes last and runs to the end of the line (a reason may
 * have blanks).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "lookup.h"
#include "record.h"
#include "stats.h"

static const char *const proto_names[STATS_NPROTO] = {
	[STATS_SOCKMAP] = "socketmap",
	[STATS_TCPTABLE] = "tcp_table",
	[STATS_JSON] = "json",
	[STATS_TABLE_MTASTS] = "table-mtasts",
};

static const char *const profile_names[STATS_NPROFILE] = {
	[STATS_PROF_POSTFIX] = "postfix",
	[STATS_PROF_POSTFIX_TLSRPT] = "postfix-tlsrpt",
	[STATS_PROF_NONE] = "none",
};

static const char *const verdict_names[STATS_NVERDICT] = {
	[STATS_OK] = "OK",
	[STATS_NOTFOUND] = "NOTFOUND",
	[STATS_TEMP] = "TEMP",
	[STATS_PERM] = "PERM",
};

static const char *const source_names[STATS_NSOURCE] = {
	[STATS_SRC_CACHE] = "cache",
	[STATS_SRC_NEGATIVE] = "negative",
	[STATS_SRC_DISCOVERY] = "discovery",
	[STATS_SRC_LIST] = "list",
	[STATS_SRC_DANE] = "dane",
	[STATS_SRC_NONE] = "none",
};

static const uint64_t latency_bounds[STATS_NBUCKET - 1] =
    STATS_LATENCY_BOUNDS;

enum stats_source
stats_source(const struct lookup_answer *ans)
{
	if (ans == NULL)
		return STATS_SRC_NONE;
	switch (ans->source) {
	case LOOKUP_SRC_CACHE:
		return STATS_SRC_CACHE;
	case LOOKUP_SRC_NEGATIVE:
		return STATS_SRC_NEGATIVE;
	case LOOKUP_SRC_DISCOVERY:
		return STATS_SRC_DISCOVERY;
	case LOOKUP_SRC_LIST:
		return STATS_SRC_LIST;
	case LOOKUP_SRC_NONE:
	default:
		return STATS_SRC_NONE;
	}
}

/*
 * raw_key: a key that is not a domain, escaped (log_escape) and with
 * blanks as "\x20" so the line still splits on blanks; "-" for none.
 */
static void
raw_key(const struct stats_rec *r, char *out, size_t size)
{
	char esc[LOG_ESCAPE_MAX];
	size_t i, o = 0;

	if (r->key == NULL || r->keylen == 0) {
		snprintf(out, size, "-");
		return;
	}
	log_escape(r->key, r->keylen, esc, sizeof(esc));
	for (i = 0; esc[i] != '\0' && o + 5 < size; i++) {
		if (esc[i] == ' ') {
			memcpy(out + o, "\\x20", 4);
			o += 4;
		} else
			out[o++] = esc[i];
	}
	out[o] = '\0';
}

/* answer_line: the log_lookups line (see above). */
static void
answer_line(const struct stats_rec *r, enum stats_source src)
{
	const struct lookup_answer *a = r->ans;
	char key[LOG_ESCAPE_MAX];

	if (a == NULL)
		raw_key(r, key, sizeof(key));
	if (src == STATS_SRC_DANE)
		log_info("lookup key=%s protocol=%s profile=%s verdict=%s "
		    "source=dane dane=%s why=%s", a->domain,
		    stats_proto_str(r->proto), stats_profile_str(r->profile),
		    stats_verdict_str(r->verdict), lookup_dane_str(a->dane),
		    a->dane_why != NULL ? a->dane_why : "-");
	else if (a != NULL && a->status == LOOKUP_POLICY && a->policy != NULL)
		log_info("lookup key=%s protocol=%s profile=%s verdict=%s "
		    "source=%s policy_id=%s age=%llds mode=%s", a->domain,
		    stats_proto_str(r->proto), stats_profile_str(r->profile),
		    stats_verdict_str(r->verdict), stats_source_str(src),
		    a->policy->id != NULL && a->policy->id[0] != '\0' ?
		    a->policy->id : "-", (long long)a->age,
		    record_mode_str(a->policy->mode));
	else
		log_info("lookup key=%s protocol=%s profile=%s verdict=%s "
		    "source=%s error=%s", a != NULL ? a->domain : key,
		    stats_proto_str(r->proto), stats_profile_str(r->profile),
		    stats_verdict_str(r->verdict), stats_source_str(src),
		    a != NULL ? (a->error != NULL ? a->error : "-") :
		    (r->why != NULL ? r->why : "-"));
}

void
stats_answer(struct stats *st, const struct stats_rec *r)
{
	enum stats_source src = r->dane && r->ans != NULL ? STATS_SRC_DANE :
	    stats_source(r->ans);

	if ((unsigned)r->proto >= STATS_NPROTO ||
	    (unsigned)r->profile >= STATS_NPROFILE ||
	    (unsigned)r->verdict >= STATS_NVERDICT)
		return;
	st->answers[r->proto][r->profile][r->verdict][src]++;
	if (st->log_lookups)
		answer_line(r, src);
}

void
stats_latency(struct stats *st, uint64_t us)
{
	size_t i;

	for (i = 0; i < STATS_NBUCKET - 1 && us > latency_bounds[i]; i++)
		;
	st->latency[i]++;
	st->latency_sum_us += us;
}

uint64_t
stats_latency_bound(size_t i)
{
	return i < STATS_NBUCKET - 1 ? latency_bounds[i] : 0;
}

const char *
stats_proto_str(enum stats_proto p)
{
	return (unsigned)p < STATS_NPROTO ? proto_names[p] : "invalid";
}

const char *
stats_profile_str(enum stats_profile p)
{
	return (unsigned)p < STATS_NPROFILE ? profile_names[p] : "invalid";
}

const char *
stats_verdict_str(enum stats_verdict v)
{
	return (unsigned)v < STATS_NVERDICT ? verdict_names[v] : "invalid";
}

const char *
stats_source_str(enum stats_source s)
{
	return (unsigned)s < STATS_NSOURCE ? source_names[s] : "invalid";
}
