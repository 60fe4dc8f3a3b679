/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tmconf.c: table-mtasts configuration file; see tmconf.h.
 *
 * The syntax is mtastsd.conf's (cfgsyn.h: the same lines, the same
 * durations), so one habit serves both files.  A bad
 * file is refused whole, never half applied: table-mtasts then answers
 * every lookup with a temporary failure and logs why, rather than guess
 * (a guessed on_unreachable could silently turn enforced TLS off).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cfgsyn.h"
#include "log.h"
#include "tmconf.h"

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

/* duration: a duration (cfgsyn.h) into ms, within [min, max]. */
static int
duration(const char *v, int min, int max, int *ms)
{
	uint64_t n;

	if (cfgsyn_duration(v, &n) == -1 || n < (uint64_t)min ||
	    n > (uint64_t)max)
		return -1;
	*ms = (int)n;
	return 0;
}

static int
answer(const char *v, enum tmconf_answer *a)
{
	/* In the order of enum tmconf_answer. */
	static const char *const words[] = { "not-found", "error" };
	int i;

	if ((i = cfgsyn_keyword(v, words, 2)) == -1)
		return -1;
	*a = (enum tmconf_answer)i;
	return 0;
}

static int
level(const char *v, int *l)
{
	int i;

	if ((i = log_level_parse(v)) == -1)
		return -1;
	*l = i;
	return 0;
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

/* option: one "name = value"; 0, or -1 with the message in err. */
static int
option(struct tmconf *c, unsigned lineno, const char *name, const char *val,
    unsigned *seen, char *err, size_t errlen)
{
	const char *why;
	int o;

	if ((o = cfgsyn_keyword(name, opt_names, OPT_N)) == -1) {
		cfgsyn_error(err, errlen, NULL, lineno, name, NULL,
		    "unknown option");
		return -1;
	}
	if (*seen & (1u << o)) {
		cfgsyn_error(err, errlen, NULL, lineno, name, NULL,
		    "set twice");
		return -1;
	}
	*seen |= 1u << o;
	if ((why = set(c, (enum opt)o, val)) != NULL) {
		cfgsyn_error(err, errlen, NULL, lineno, name, val, why);
		return -1;
	}
	return 0;
}

int
tmconf_parse(const char *text, size_t len, struct tmconf *out, char *err,
    size_t errlen)
{
	struct cfgsyn_lines it;
	const char *name, *val, *why;
	struct tmconf c;
	unsigned seen = 0;
	int r;

	tmconf_defaults(&c);
	cfgsyn_begin(&it, text, len);
	while ((r = cfgsyn_next(&it, &name, &val, &why)) == 1)
		if (option(&c, it.lineno, name, val, &seen, err, errlen) == -1)
			return -1;
	if (r == -1) {
		cfgsyn_error(err, errlen, NULL, it.lineno, NULL, NULL, why);
		return -1;
	}
	if (c.wait_ms >= c.timeout_ms && c.wait_ms > 0) {
		snprintf(err, errlen, "wait (%d ms) must be below timeout "
		    "(%d ms)", c.wait_ms, c.timeout_ms);
		return -1;
	}
	*out = c;
	return 0;
}
