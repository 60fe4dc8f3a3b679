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
#include "sockmap.h"
#include "tcptable.h"

#define NOT_FOUND	"500 not found\n"

static const char hexdigits[] = "0123456789ABCDEF";

/* Postfix's hex_quote(): '%', ISSPACE and !ISPRINT (C locale). */
static int
needs_quote(unsigned char ch)
{
	return ch == '%' || ch <= ' ' || ch >= 0x7f;
}

ssize_t
tcptable_quote(const char *in, size_t len, char *out, size_t outsize)
{
	size_t i, o = 0;
	unsigned char ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)in[i];
		if (o + (needs_quote(ch) ? 3 : 1) >= outsize)
			return -1;
		if (!needs_quote(ch)) {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '%';
		out[o++] = hexdigits[ch >> 4];
		out[o++] = hexdigits[ch & 0x0f];
	}
	if (o >= outsize)
		return -1;
	out[o] = '\0';
	return (ssize_t)o;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t
tcptable_unquote(const char *in, size_t len, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (i + 2 >= len)
			return -1;
		if ((hi = hexval(in[i + 1])) == -1 ||
		    (lo = hexval(in[i + 2])) == -1)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	return (ssize_t)o;
}

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
		n = tcptable_quote(text, strlen(text), line + len,
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

static void
on_answer(struct listen_conn *c, const struct lookup_answer *ans)
{
	const struct conf *conf = listen_conn_env(c)->conf;
	char value[SOCKMAP_VALUE_MAX];

	switch (sockmap_verdict(ans, conf, value,
	    sizeof(value))) {
	case SOCKMAP_OK:
		send_line(c, "200", value, 1);
		break;
	case SOCKMAP_NOTFOUND:
		listen_reply(c, NOT_FOUND, strlen(NOT_FOUND));
		break;
	case SOCKMAP_TEMP:
		send_line(c, "400", value, 1);
		break;
	}
	listen_done(c, ans->status == LOOKUP_POLICY ? STATS_POLICY :
	    ans->status == LOOKUP_NONE ? STATS_NONE : STATS_TEMP);
}

/* get: the key of a "get" line, still %XX-encoded. */
static void
get(struct listen_conn *c, const char *qkey, size_t qlen)
{
	char key[TCPTABLE_LINE_MAX], dom[DOMKEY_MAX + 1];
	char esc[LOG_ESCAPE_MAX];
	const char *why;
	ssize_t klen;

	if ((klen = tcptable_unquote(qkey, qlen, key)) < 0) {
		send_line(c, "400", "malformed %XX encoding", 0);
		listen_done(c, STATS_ERROR);
		return;
	}
	switch (domkey_normalize(key, (size_t)klen, dom, &why)) {
	case DOMKEY_DOMAIN:
		listen_lookup(c, dom, -1, on_answer);
		return;
	case DOMKEY_NOT_DOMAIN:
	case DOMKEY_INVALID:
		log_debug("tcp_table key %s: %s: not found",
		    log_escape(key, (size_t)klen, esc, sizeof(esc)), why);
		listen_reply(c, NOT_FOUND, strlen(NOT_FOUND));
		listen_done(c, STATS_NOT_DOMAIN);
		return;
	case DOMKEY_ERROR:
	default:
		send_line(c, "400", "out of memory", 0);
		listen_done(c, STATS_TEMP);
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
		listen_conn_env(c)->stats->lookups[STATS_TCPTABLE]
		    [STATS_ERROR]++;
		return -1;
	}
	llen = (size_t)(nl - buf);
	if (llen > 0 && buf[llen - 1] == '\r')
		llen--;
	if (llen >= 4 && memcmp(buf, "get ", 4) == 0)
		get(c, buf + 4, llen - 4);
	else {
		send_line(c, "400", "unsupported command", 0);
		listen_done(c, STATS_ERROR);
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
	.stat = STATS_TCPTABLE,
	.idle_deadline = 1,
	.claims = tcptable_claims,
	.request = tcptable_request,
};

const struct listen_proto *
tcptable_proto(void)
{
	return &proto;
}
