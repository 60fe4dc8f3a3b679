/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tmconf.c: table-mtasts configuration file; see tmconf.h.
 *
 * The syntax is mtastsd.conf's, so one habit serves both files.  A bad
 * file is refused whole, never half applied: table-mtasts then answers
 * every lookup with a temporary failure and logs why, rather than guess
 * (a guessed on_unreachable could silently turn enforced TLS off).
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tmconf.h"

#define LINE_MAX_	1024

enum opt {
	OPT_SOCKET, OPT_TIMEOUT, OPT_WAIT, OPT_DNS_TIMEOUT, OPT_ON_PENDING,
	OPT_ON_UNREACHABLE, OPT_LOG, OPT_LOG_LEVEL, OPT_N
};

static const char *const opt_names[OPT_N] = {
	"socket", "timeout", "wait", "dns_timeout", "on_pending",
	"on_unreachable", "log", "log_level"
};

void
tmconf_defaults(struct tmconf *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = 500;
	c->wait_ms = 0;
	c->dns_timeout_ms = 2000;
	c->on_pending = TMCONF_NOTFOUND;
	c->on_unreachable = TMCONF_ERROR;
	c->log_stderr = 0;
	c->log_level = LOG_LEVEL_INFO;
}

const char *
tmconf_answer_str(enum tmconf_answer a)
{
	return a == TMCONF_ERROR ? "error" : "not-found";
}

/* duration: "<digits>[ms|s]" into ms, within [min, max]. */
static int
duration(const char *v, int min, int max, int *ms)
{
	long long n = 0;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (*p - '0')) > 100000000LL)
			return -1;
	if (p == v)
		return -1;
	if (strcmp(p, "ms") != 0) {
		if (*p != '\0' && strcmp(p, "s") != 0)
			return -1;
		n *= 1000;
	}
	if (n < min || n > max)
		return -1;
	*ms = (int)n;
	return 0;
}

static int
answer(const char *v, enum tmconf_answer *a)
{
	if (strcmp(v, "not-found") == 0)
		*a = TMCONF_NOTFOUND;
	else if (strcmp(v, "error") == 0)
		*a = TMCONF_ERROR;
	else
		return -1;
	return 0;
}

static int
level(const char *v, int *l)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(v, names[i]) == 0) {
			*l = LOG_LEVEL_ERR + i;
			return 0;
		}
	return -1;
}

/* set: apply one option; a static reason on failure. */
static const char *
set(struct tmconf *c, enum opt o, const char *v)
{
	switch (o) {
	case OPT_SOCKET:
		if (v[0] != '/' || strlen(v) >= sizeof(c->socket))
			return "expected an absolute path (at most 255 bytes)";
		memcpy(c->socket, v, strlen(v) + 1);
		return NULL;
	case OPT_TIMEOUT:
		return duration(v, 10, 10000, &c->timeout_ms) == -1 ?
		    "expected a duration from 10ms to 10s" : NULL;
	case OPT_WAIT:
		return duration(v, 0, 10000, &c->wait_ms) == -1 ?
		    "expected a duration from 0 to 10s" : NULL;
	case OPT_DNS_TIMEOUT:
		return duration(v, 100, 10000, &c->dns_timeout_ms) == -1 ?
		    "expected a duration from 100ms to 10s" : NULL;
	case OPT_ON_PENDING:
		return answer(v, &c->on_pending) == -1 ?
		    "expected not-found or error" : NULL;
	case OPT_ON_UNREACHABLE:
		return answer(v, &c->on_unreachable) == -1 ?
		    "expected not-found or error" : NULL;
	case OPT_LOG:
		if (strcmp(v, "syslog") != 0 && strcmp(v, "stderr") != 0)
			return "expected syslog or stderr";
		c->log_stderr = strcmp(v, "stderr") == 0;
		return NULL;
	case OPT_LOG_LEVEL:
		return level(v, &c->log_level) == -1 ?
		    "expected err, warn, info or debug" : NULL;
	default:
		return "unknown option";
	}
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* trim: strip blanks at both ends of s[0..*len), in place. */
static char *
trim(char *s, size_t *len)
{
	while (*len > 0 && is_blank(*s)) {
		s++;
		(*len)--;
	}
	while (*len > 0 && is_blank(s[*len - 1]))
		(*len)--;
	s[*len] = '\0';
	return s;
}

/* line: one line (NUL-terminated, modifiable); a reason on failure. */
static const char *
line(struct tmconf *c, char *s, size_t len, unsigned *seen)
{
	char *eq, *name, *val;
	size_t nlen, vlen;
	int o;

	s = trim(s, &len);
	if (len == 0 || s[0] == '#')
		return NULL;
	if ((eq = strchr(s, '=')) == NULL)
		return "expected \"name = value\"";
	nlen = (size_t)(eq - s);
	vlen = len - nlen - 1;
	name = trim(s, &nlen);
	val = trim(eq + 1, &vlen);
	for (o = 0; o < OPT_N; o++)
		if (strcmp(name, opt_names[o]) == 0)
			break;
	if (o == OPT_N)
		return "unknown option";
	if (*seen & (1u << o))
		return "option given twice";
	*seen |= 1u << o;
	return set(c, (enum opt)o, val);
}

int
tmconf_parse(const char *text, size_t len, struct tmconf *out, char *err,
    size_t errlen)
{
	char buf[LINE_MAX_ + 1];
	const char *p = text, *end = text + len, *nl, *why = NULL;
	struct tmconf c;
	unsigned seen = 0, lineno = 0;
	size_t n;

	tmconf_defaults(&c);
	while (p < end && why == NULL) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > LINE_MAX_)
			why = "line too long";
		else if (memchr(p, '\0', n) != NULL)
			why = "NUL byte";
		else {
			memcpy(buf, p, n);
			buf[n] = '\0';
			why = line(&c, buf, n, &seen);
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (why == NULL && c.wait_ms >= c.timeout_ms && c.wait_ms > 0) {
		snprintf(err, errlen, "wait (%d ms) must be below timeout "
		    "(%d ms)", c.wait_ms, c.timeout_ms);
		return -1;
	}
	if (why != NULL) {
		snprintf(err, errlen, "line %u: %s", lineno, why);
		return -1;
	}
	*out = c;
	return 0;
}
