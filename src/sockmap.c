/*
 * sockmap.c: Postfix socketmap server; see sockmap.h.
 *
 * Postfix's client (src/util/dict_sockmap.c) sends one request at a time
 * on a connection it keeps for many lookups, waits up to 100 s for the
 * answer and accepts at most 100,000 reply bytes.  Every reply verb but
 * OK and NOTFOUND defers the mail, PERM included (mta-integration.md
 * §2.4), so PERM is only for requests that no Postfix would send.
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
#include "reply.h"
#include "sockmap.h"

#define SOCKMAP_PROFILE		"postfix"
/* The reply before framing: verb, space, value. */
#define SOCKMAP_REPLY_MAX	(SOCKMAP_VALUE_MAX + 16)
#define SOCKMAP_WIRE_MAX	(SOCKMAP_REPLY_MAX + NETSTRING_DIGITS_MAX + 2)

static const char *const verdict_names[] = {
	[SOCKMAP_OK] = "OK",
	[SOCKMAP_NOTFOUND] = "NOTFOUND",
	[SOCKMAP_TEMP] = "TEMP",
};

const char *
sockmap_verdict_str(enum sockmap_verdict v)
{
	if ((unsigned)v > SOCKMAP_TEMP)
		return "invalid";
	return verdict_names[v];
}

/* policy_verdict: LOOKUP_POLICY: enforce (or enforced testing) -> OK. */
static enum sockmap_verdict
policy_verdict(const struct lookup_answer *ans, int enforce_testing,
    char *out, size_t outsize)
{
	const struct record_policy *p = ans->policy;
	char esc[LOG_ESCAPE_MAX];

	if (p == NULL) {
		snprintf(out, outsize, "policy-missing");
		return SOCKMAP_TEMP;
	}
	if (p->mode == RECORD_MODE_NONE ||
	    (p->mode == RECORD_MODE_TESTING && !enforce_testing))
		return SOCKMAP_NOTFOUND;
	if (reply_postfix(p->mx, p->nmx, out, outsize) >= 0)
		return SOCKMAP_OK;
	log_warnx("%s: enforced policy cannot be written as a Postfix "
	    "policy (%zu mx patterns): answering TEMP",
	    log_escape(ans->domain, strlen(ans->domain), esc, sizeof(esc)),
	    p->nmx);
	snprintf(out, outsize, "policy-unusable");
	return SOCKMAP_TEMP;
}

enum sockmap_verdict
sockmap_verdict(const struct lookup_answer *ans, int enforce_testing,
    char *out, size_t outsize)
{
	if (outsize > 0)
		out[0] = '\0';
	switch (ans->status) {
	case LOOKUP_POLICY:
		return policy_verdict(ans, enforce_testing, out, outsize);
	case LOOKUP_NONE:
		return SOCKMAP_NOTFOUND;
	case LOOKUP_TEMP:
	default:
		snprintf(out, outsize, "%s", ans->error != NULL &&
		    ans->error[0] != '\0' ? ans->error : "lookup-failed");
		return SOCKMAP_TEMP;
	}
}

/*
 * send_reply: frame "verb[ text]" as a netstring and queue it.  A
 * reply over NETSTRING_MAX_REPLY (Postfix's limit) becomes TEMP.
 */
static void
send_reply(struct listen_conn *c, const char *verb, const char *text)
{
	char reply[SOCKMAP_REPLY_MAX], wire[SOCKMAP_WIRE_MAX];
	ssize_t n;
	int len;

	len = snprintf(reply, sizeof(reply), "%s %s", verb, text);
	if (len < 0 || (size_t)len >= sizeof(reply) ||
	    (n = netstring_encode(wire, sizeof(wire), reply, (size_t)len,
	    NETSTRING_MAX_REPLY)) < 0) {
		log_warnx("socketmap reply of %d bytes too large for Postfix "
		    "(%s): answering TEMP", len, listen_conn_peer(c));
		len = snprintf(reply, sizeof(reply), "TEMP reply too large");
		n = netstring_encode(wire, sizeof(wire), reply, (size_t)len,
		    NETSTRING_MAX_REPLY);
	}
	listen_reply(c, wire, (size_t)n);
}

static void
on_answer(struct listen_conn *c, const struct lookup_answer *ans)
{
	const struct conf *conf = listen_conn_env(c)->conf;
	char value[SOCKMAP_VALUE_MAX];

	switch (sockmap_verdict(ans, conf->enforce_testing, value,
	    sizeof(value))) {
	case SOCKMAP_OK:
		send_reply(c, "OK", value);
		break;
	case SOCKMAP_NOTFOUND:
		send_reply(c, "NOTFOUND", "");
		break;
	case SOCKMAP_TEMP:
		send_reply(c, "TEMP", value);
		break;
	}
	listen_done(c, ans->status == LOOKUP_POLICY ? STATS_POLICY :
	    ans->status == LOOKUP_NONE ? STATS_NONE : STATS_TEMP);
}

/* lookup_key: normalise the key and answer or start the lookup. */
static void
lookup_key(struct listen_conn *c, const char *key, size_t klen)
{
	char dom[DOMKEY_MAX + 1], esc[LOG_ESCAPE_MAX];
	const char *why;

	switch (domkey_normalize(key, klen, dom, &why)) {
	case DOMKEY_DOMAIN:
		listen_lookup(c, dom, -1, on_answer);
		return;
	case DOMKEY_NOT_DOMAIN:
	case DOMKEY_INVALID:
		log_debug("socketmap key %s: %s: NOTFOUND",
		    log_escape(key, klen, esc, sizeof(esc)), why);
		send_reply(c, "NOTFOUND", "");
		listen_done(c, STATS_NOT_DOMAIN);
		return;
	case DOMKEY_ERROR:
	default:
		log_warnx("socketmap key %s: %s",
		    log_escape(key, klen, esc, sizeof(esc)), why);
		send_reply(c, "TEMP", "out of memory");
		listen_done(c, STATS_TEMP);
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
	listen_conn_env(c)->stats->lookups[STATS_SOCKMAP][STATS_ERROR]++;
	return -1;
}

static ssize_t
sockmap_request(struct listen_conn *c, const char *buf, size_t len)
{
	const char *payload, *why, *sp;
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
	if ((size_t)(sp - payload) != strlen(SOCKMAP_PROFILE) ||
	    memcmp(payload, SOCKMAP_PROFILE, strlen(SOCKMAP_PROFILE)) != 0) {
		log_info("socketmap client %s: unknown map name %s",
		    listen_conn_peer(c), log_escape(payload,
		    (size_t)(sp - payload), esc, sizeof(esc)));
		send_reply(c, "PERM", "unknown map name");
		listen_done(c, STATS_ERROR);
		return (ssize_t)used;
	}
	lookup_key(c, sp + 1, plen - (size_t)(sp + 1 - payload));
	return (ssize_t)used;
}

static int
sockmap_claims(unsigned char first)
{
	return first >= '0' && first <= '9';
}

static const struct listen_proto proto = {
	.name = "socketmap",
	.stat = STATS_SOCKMAP,
	.idle_deadline = 0,	/* never: mta-integration.md G4 */
	.claims = sockmap_claims,
	.request = sockmap_request,
};

const struct listen_proto *
sockmap_proto(void)
{
	return &proto;
}
