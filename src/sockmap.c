/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * sockmap.c: Postfix socketmap server; see sockmap.h.
 *
 * Postfix's client (src/util/dict_sockmap.c) sends one request at a time
 * on a connection it keeps for many lookups, waits up to 100 s for the
 * answer and accepts at most 100,000 reply bytes.  Every reply verb but
 * OK and NOTFOUND defers the mail, PERM included (docs/DESIGN.md
 * §Failures), so PERM is only for requests that no Postfix would send.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "domkey.h"
#include "listen.h"
#include "log.h"
#include "lookup.h"
#include "netstring.h"
#include "record.h"
#include "reply.h"
#include "sockmap.h"
#include "verdict.h"

/* The reply before framing: verb, space, value. */
#define SOCKMAP_REPLY_MAX	NETSTRING_MAX_REPLY
#define SOCKMAP_WIRE_MAX	(SOCKMAP_REPLY_MAX + NETSTRING_DIGITS_MAX + 2)

/* warn_fit: a value that left TLSRPT attributes out to fit (reply.h). */
static void
warn_fit(const struct lookup_answer *ans, enum reply_fit fit, const char *out)
{
	static struct log_rl rl;
	char esc[LOG_ESCAPE_MAX];

	if (fit == REPLY_FIT_FULL || !log_rl_allow(&rl))
		return;
	log_warnx("%s: policy too large for one Postfix reply of %d bytes: "
	    "answered without %s (%zu bytes)",
	    log_escape(ans->domain, strlen(ans->domain), esc, sizeof(esc)),
	    REPLY_SOCKETMAP_MAX, fit == REPLY_FIT_NO_STRINGS ?
	    "the policy_string attributes" : "the TLSRPT attributes",
	    strlen(out));
}

enum verdict
sockmap_verdict_profile(const struct lookup_answer *ans,
    const struct reply_profile *prof, char *out, size_t outsize)
{
	/* Loop thread only; the value is built before it is reused. */
	static char text[RECORD_TEXT_RENDER_MAX];
	char esc[LOG_ESCAPE_MAX];
	enum reply_fit fit;
	enum verdict v;

	v = verdict_profile(ans, prof, text, sizeof(text), out, outsize,
	    &fit);
	if (v == VERDICT_OK)
		warn_fit(ans, fit, out);
	else if (v == VERDICT_TEMP && ans->dane != LOOKUP_DANE_TEMP &&
	    ans->status == LOOKUP_POLICY && ans->policy != NULL)
		/* Only an unwritable policy: a DANE TEMP (the DNSSEC
		 * lookups failed) is not one, and its reply says so. */
		log_warnx("%s: enforced policy cannot be written as a Postfix "
		    "policy (%zu mx patterns): answering TEMP",
		    log_escape(ans->domain, strlen(ans->domain), esc,
		    sizeof(esc)), ans->policy->nmx);
	return v;
}

enum verdict
sockmap_verdict(const struct lookup_answer *ans, const struct conf *conf,
    char *out, size_t outsize)
{
	struct reply_profile prof;

	/* "postfix" always exists: conf_profile() cannot fail here. */
	if (conf_profile(conf, "postfix", strlen("postfix"), &prof) == -1) {
		snprintf(out, outsize, "no-profile");
		return VERDICT_TEMP;
	}
	return sockmap_verdict_profile(ans, &prof, out, outsize);
}

/*
 * send_reply: frame "verb[ text]" as a netstring and queue it.  A
 * reply over NETSTRING_MAX_REPLY (Postfix's limit) becomes TEMP.  The
 * buffers are static (100 KB each, loop thread only, not kept across
 * calls: listen_reply() copies).
 */
static void
send_reply(struct listen_conn *c, const char *verb, const char *text)
{
	static char reply[SOCKMAP_REPLY_MAX + 1], wire[SOCKMAP_WIRE_MAX];
	static const char too_large[] = "TEMP reply too large";
	size_t vlen = strlen(verb), tlen = strlen(text);
	ssize_t n = -1;

	/* memcpy, not snprintf("%s %s"): this runs once per lookup. */
	if (vlen + 1 + tlen < sizeof(reply)) {
		memcpy(reply, verb, vlen);
		reply[vlen] = ' ';
		memcpy(reply + vlen + 1, text, tlen);
		n = netstring_encode(wire, sizeof(wire), reply,
		    vlen + 1 + tlen, NETSTRING_MAX_REPLY);
	}
	if (n < 0) {
		log_warnx("socketmap reply of %zu bytes too large for Postfix "
		    "(%s): answering TEMP", vlen + 1 + tlen,
		    listen_conn_peer(c));
		n = netstring_encode(wire, sizeof(wire), too_large,
		    sizeof(too_large) - 1, NETSTRING_MAX_REPLY);
	}
	listen_reply(c, wire, (size_t)n);
}

/* counted_verdict: the counters' verdict of a Postfix verdict. */
static enum stats_verdict
counted_verdict(enum verdict v)
{
	return v == VERDICT_OK ? STATS_OK : v == VERDICT_NOTFOUND ?
	    STATS_NOTFOUND : STATS_TEMP;
}

/* done: count the answer to a request that ran no lookup. */
static void
done(struct listen_conn *c, enum stats_verdict v, const char *key,
    size_t klen, const char *why)
{
	struct stats_rec r = { STATS_SOCKMAP, STATS_PROF_NONE, v, NULL, key,
	    klen, why, 0 };

	listen_done(c, &r);
}

/* answer: the reply to a lookup for the map name `profile`. */
static void
answer(struct listen_conn *c, const struct lookup_answer *ans,
    const char *profile, enum stats_profile sprof)
{
	static char value[SOCKMAP_PROFILE_VALUE_MAX + 1];
	const struct conf *conf = listen_conn_env(c)->conf;
	struct reply_profile prof;
	enum verdict v = VERDICT_TEMP;
	struct stats_rec r = { STATS_SOCKMAP, sprof, STATS_TEMP, ans, NULL,
	    0, NULL, ans->dane != LOOKUP_DANE_NONE };

	/* The name was valid at request time; a reload keeps both names. */
	if (conf_profile(conf, profile, strlen(profile), &prof) == 0)
		v = sockmap_verdict_profile(ans, &prof, value, sizeof(value));
	else
		snprintf(value, sizeof(value), "no-profile");
	switch (v) {
	case VERDICT_OK:
		send_reply(c, "OK", value);
		break;
	case VERDICT_NOTFOUND:
		send_reply(c, "NOTFOUND", "");
		break;
	case VERDICT_TEMP:
		send_reply(c, "TEMP", value);
		break;
	}
	r.verdict = counted_verdict(v);
	listen_done(c, &r);
}

/*
 * One answer callback per profile, as listen_lookup() carries no
 * argument; the names are conf_profile()'s.
 */
static void
on_answer_postfix(struct listen_conn *c, const struct lookup_answer *ans)
{
	answer(c, ans, "postfix", STATS_PROF_POSTFIX);
}

static void
on_answer_tlsrpt(struct listen_conn *c, const struct lookup_answer *ans)
{
	answer(c, ans, "postfix-tlsrpt", STATS_PROF_POSTFIX_TLSRPT);
}

/* answer_cb: the callback of map name name[0..len), or NULL. */
static listen_answer_cb *
answer_cb(const char *name, size_t len)
{
	static const struct {
		const char		*name;
		listen_answer_cb	*cb;
	} cbs[] = {
		{ "postfix", on_answer_postfix },
		{ "postfix-tlsrpt", on_answer_tlsrpt },
	};
	size_t i;

	for (i = 0; i < sizeof(cbs) / sizeof(cbs[0]); i++)
		if (len == strlen(cbs[i].name) &&
		    memcmp(name, cbs[i].name, len) == 0)
			return cbs[i].cb;
	return NULL;
}

/* handle_key: normalise the key and answer or start the lookup. */
static void
handle_key(struct listen_conn *c, const char *key, size_t klen,
    listen_answer_cb *cb)
{
	char dom[DOMKEY_MAX + 1], esc[LOG_ESCAPE_MAX];
	const char *why;

	switch (domkey_normalize(key, klen, dom, &why)) {
	case DOMKEY_DOMAIN:
		listen_lookup(c, dom, -1, LISTEN_SHARE_MTA, cb);
		return;
	case DOMKEY_NOT_DOMAIN:
	case DOMKEY_INVALID:
		log_debug("socketmap key %s: %s: NOTFOUND",
		    log_escape(key, klen, esc, sizeof(esc)), why);
		send_reply(c, "NOTFOUND", "");
		done(c, STATS_NOTFOUND, key, klen, why);
		return;
	case DOMKEY_ERROR:
	default:
		log_warnx("socketmap key %s: %s",
		    log_escape(key, klen, esc, sizeof(esc)), why);
		send_reply(c, "TEMP", "out of memory");
		done(c, STATS_TEMP, key, klen, "memory");
		return;
	}
}

/* bad_request: PERM, then the connection closes (listen.h: -1). */
static ssize_t
bad_request(struct listen_conn *c, const char *why)
{
	log_info("socketmap client %s: malformed request: %s",
	    listen_conn_peer(c), why);
	send_reply(c, "PERM", why);
	listen_conn_env(c)->stats->proto_errors[STATS_SOCKMAP]++;
	return -1;
}

static ssize_t
sockmap_request(struct listen_conn *c, const char *buf, size_t len)
{
	const char *payload, *why, *sp;
	listen_answer_cb *cb;
	size_t plen, used;
	char esc[LOG_ESCAPE_MAX];

	switch (netstring_decode(buf, len, NETSTRING_MAX_QUERY, &payload,
	    &plen, &used, &why)) {
	case NETSTRING_INCOMPLETE:
		return 0;
	case NETSTRING_ERROR:
		return bad_request(c, why);
	case NETSTRING_OK:
		break;
	}
	if (memchr(payload, '\0', plen) != NULL)
		return bad_request(c, "NUL byte in request");
	if ((sp = memchr(payload, ' ', plen)) == NULL)
		return bad_request(c, "expected \"name key\"");
	if ((cb = answer_cb(payload, (size_t)(sp - payload))) == NULL) {
		log_info("socketmap client %s: unknown map name %s",
		    listen_conn_peer(c), log_escape(payload,
		    (size_t)(sp - payload), esc, sizeof(esc)));
		send_reply(c, "PERM", "unknown map name");
		listen_conn_env(c)->stats->proto_errors[STATS_SOCKMAP]++;
		done(c, STATS_PERM, sp + 1, plen - (size_t)(sp + 1 - payload),
		    "unknown-map-name");
		return (ssize_t)used;
	}
	handle_key(c, sp + 1, plen - (size_t)(sp + 1 - payload), cb);
	return (ssize_t)used;
}

static int
sockmap_claims(unsigned char first)
{
	return first >= '0' && first <= '9';
}

static const struct listen_proto proto = {
	.name = "socketmap",
	.long_idle = 1,	/* Postfix reuses idle connections: listen.h */
	.claims = sockmap_claims,
	.request = sockmap_request,
};

const struct listen_proto *
sockmap_proto(void)
{
	return &proto;
}
