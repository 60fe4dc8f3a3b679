/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tcptable.c: Postfix tcp_table server; see tcptable.h.
 *
 * Postfix's client disconnects after a 400 reply and retries the
 * lookup later; after a 500 it keeps the connection.  It parses a reply
 * as three digits, one white-space character and %XX-encoded text, so
 * even the fixed texts below stay plain ASCII without "%".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "domkey.h"
#include "listen.h"
#include "log.h"
#include "lookup.h"
#include "reply.h"
#include "sockmap.h"
#include "tcptable.h"
#include "verdict.h"

#define NOT_FOUND	"500 not found\n"

/* send_line: "<code> <text>\n"; text is quoted when `quote`. */
static void
send_line(struct listen_conn *c, const char *code, const char *text,
    int quote)
{
	char line[TCPTABLE_REPLY_MAX + 1];
	ssize_t n;
	int len;

	len = snprintf(line, sizeof(line), "%s ", code);
	if (quote)
		n = reply_tcp_quote(text, strlen(text), line + len,
		    sizeof(line) - (size_t)len);
	else
		n = snprintf(line + len, sizeof(line) - (size_t)len, "%s",
		    text);
	/* The whole line, newline included, must fit Postfix's limit. */
	if (n < 0 || (size_t)len + (size_t)n + 1 > TCPTABLE_REPLY_MAX) {
		log_warnx("tcp_table reply too large for Postfix (%s): "
		    "answering 400", listen_conn_peer(c));
		listen_reply(c, "400 reply too large\n", 20);
		return;
	}
	line[len + n] = '\n';
	listen_reply(c, line, (size_t)len + (size_t)n + 1);
}

/* done: count the answer to a request that ran no lookup. */
static void
done(struct listen_conn *c, enum stats_verdict v, const char *key,
    size_t klen, const char *why)
{
	struct stats_rec r = { STATS_TCPTABLE, STATS_PROF_NONE, v, NULL, key,
	    klen, why, 0 };

	listen_done(c, &r);
}

static void
on_answer(struct listen_conn *c, const struct lookup_answer *ans)
{
	const struct conf *conf = listen_conn_env(c)->conf;
	char value[SOCKMAP_VALUE_MAX];
	struct stats_rec r = { STATS_TCPTABLE, STATS_PROF_POSTFIX, STATS_TEMP,
	    ans, NULL, 0, NULL, ans->dane != LOOKUP_DANE_NONE };

	switch (sockmap_verdict(ans, conf, value,
	    sizeof(value))) {
	case VERDICT_OK:
		send_line(c, "200", value, 1);
		r.verdict = STATS_OK;
		break;
	case VERDICT_NOTFOUND:
		listen_reply(c, NOT_FOUND, strlen(NOT_FOUND));
		r.verdict = STATS_NOTFOUND;
		break;
	case VERDICT_TEMP:
		send_line(c, "400", value, 1);
		break;
	}
	listen_done(c, &r);
}

/* get: the key of a "get" line, still %XX-encoded. */
static void
get(struct listen_conn *c, const char *qkey, size_t qlen)
{
	char key[TCPTABLE_LINE_MAX], dom[DOMKEY_MAX + 1];
	char esc[LOG_ESCAPE_MAX];
	const char *why;
	ssize_t klen;

	if ((klen = reply_tcp_unquote(qkey, qlen, key)) < 0) {
		send_line(c, "400", "malformed %XX encoding", 0);
		listen_conn_env(c)->stats->proto_errors[STATS_TCPTABLE]++;
		done(c, STATS_PERM, qkey, qlen, "bad-encoding");
		return;
	}
	switch (domkey_normalize(key, (size_t)klen, dom, &why)) {
	case DOMKEY_DOMAIN:
		listen_lookup(c, dom, -1, LISTEN_SHARE_MTA, on_answer);
		return;
	case DOMKEY_NOT_DOMAIN:
	case DOMKEY_INVALID:
		log_debug("tcp_table key %s: %s: not found",
		    log_escape(key, (size_t)klen, esc, sizeof(esc)), why);
		listen_reply(c, NOT_FOUND, strlen(NOT_FOUND));
		done(c, STATS_NOTFOUND, key, (size_t)klen, why);
		return;
	case DOMKEY_ERROR:
	default:
		send_line(c, "400", "out of memory", 0);
		done(c, STATS_TEMP, key, (size_t)klen, "memory");
		return;
	}
}

static ssize_t
tcptable_request(struct listen_conn *c, const char *buf, size_t len)
{
	static struct log_rl toolong_rl;
	const char *nl;
	size_t llen;

	nl = memchr(buf, '\n', len < TCPTABLE_LINE_MAX + 1 ? len :
	    TCPTABLE_LINE_MAX + 1);
	if (nl == NULL) {
		if (len <= TCPTABLE_LINE_MAX)
			return 0;
		if (log_rl_allow(&toolong_rl))
			log_info("tcp_table client %s: request line longer "
			    "than %d bytes", listen_conn_peer(c),
			    TCPTABLE_LINE_MAX);
		send_line(c, "400", "request too long", 0);
		listen_conn_env(c)->stats->proto_errors[STATS_TCPTABLE]++;
		return -1;
	}
	llen = (size_t)(nl - buf);
	if (llen > 0 && buf[llen - 1] == '\r')
		llen--;
	if (llen >= 4 && memcmp(buf, "get ", 4) == 0)
		get(c, buf + 4, llen - 4);
	else {
		send_line(c, "400", "unsupported command", 0);
		listen_conn_env(c)->stats->proto_errors[STATS_TCPTABLE]++;
		done(c, STATS_PERM, NULL, 0, "unsupported-command");
	}
	return (ssize_t)(nl - buf) + 1;
}

static int
tcptable_claims(unsigned char first)
{
	return first == 'g';
}

static const struct listen_proto proto = {
	.name = "tcp_table",
	.claims = tcptable_claims,
	.request = tcptable_request,
};

const struct listen_proto *
tcptable_proto(void)
{
	return &proto;
}
