/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_tmconf.c: table-driven tests for table-mtasts' configuration
 * file parser: every option, defaults, bounds, and malformed files.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"
#include "tmconf.h"

#define S(lit) lit, sizeof(lit) - 1

struct conf_case {
	const char	*name;
	const char	*text;
	size_t		 len;
	int		 want_ok;
	const char	*want_err;	/* substring of the error */
	/* on success: */
	const char	*socket;
	int		 timeout, wait, dns_timeout;
	enum tmconf_answer on_pending, on_unreachable;
	int		 log_stderr, level;
};

/* A refused file: only the error matters. */
#define NO(name, text, err) \
	{ name, S(text), 0, err, NULL, 0, 0, 0, 0, 0, 0, 0 }

#define NF TMCONF_NOTFOUND
#define ER TMCONF_ERROR
#define INFO LOG_LEVEL_INFO

static const struct conf_case cases[] = {
	{ "empty file: defaults", S(""), 1, NULL, "", 500, 0, 2000, NF, ER, 0,
	    INFO },
	{ "comments and blanks", S("# c\n\n   \n\t# x = y\n"), 1, NULL, "", 500,
	    0, 2000, NF, ER, 0, INFO },
	{ "every option", S("socket = /run/x.sock\ntimeout = 2s\nwait = 1s\n"
	    "dns_timeout = 300ms\non_pending = error\n"
	    "on_unreachable = not-found\nlog = stderr\nlog_level = debug\n"), 1,
	    NULL, "/run/x.sock", 2000, 1000, 300, ER, NF, 1, LOG_LEVEL_DEBUG },
	{ "blanks around name and value, CRLF",
	    S("  timeout\t=  250ms \r\nlog=syslog\r\n"), 1, NULL, "", 250, 0,
	    2000, NF, ER, 0, INFO },
	{ "no final newline", S("timeout = 3"), 1, NULL, "", 3000, 0, 2000, NF,
	    ER, 0, INFO },
	{ "bounds: timeout 10ms", S("timeout = 10ms\n"), 1, NULL, "", 10, 0,
	    2000, NF, ER, 0, INFO },
	{ "bounds: timeout 10s", S("timeout = 10s\n"), 1, NULL, "", 10000, 0,
	    2000, NF, ER, 0, INFO },
	{ "wait 0 with any timeout", S("wait = 0\ntimeout = 10ms\n"), 1, NULL,
	    "", 10, 0, 2000, NF, ER, 0, INFO },
	{ "log level err", S("log_level = err\n"), 1, NULL, "", 500, 0, 2000,
	    NF, ER, 0, LOG_LEVEL_ERR },
	/* The units of mtastsd.conf (cfgsyn.h), where the range allows. */
	{ "mtastsd.conf units: 0m, 0h, 0d", S("wait = 0d\ntimeout = 0h\n"),
	    0, "line 2: timeout = \"0h\": expected a duration from 10ms",
	    NULL, 0, 0, 0, 0, 0, 0, 0 },
	{ "mtastsd.conf units: wait 0m", S("wait = 0m\n"), 1, NULL, "", 500,
	    0, 2000, NF, ER, 0, INFO },
	/* Refused. */
	NO("unknown option", "timeout = 1s\nfrob = 1\n",
	    "line 2: frob: unknown option"),
	NO("option twice", "log = stderr\nlog = stderr\n",
	    "line 2: log: set twice"),
	NO("no equals sign", "timeout 1s\n",
	    "line 1: expected \"name = value\""),
	NO("timeout below 10ms", "timeout = 9ms\n", "line 1: timeout = "
	    "\"9ms\": expected a duration from 10ms to 10s"),
	NO("timeout above 10s", "timeout = 11s\n", "duration"),
	NO("timeout empty", "timeout =\n", "duration"),
	NO("timeout negative", "timeout = -1\n", "duration"),
	NO("timeout with a space", "timeout = 1 s\n", "duration"),
	NO("timeout unknown unit", "timeout = 1w\n",
	    "line 1: timeout = \"1w\": expected a duration"),
	/* mtastsd.conf's units (cfgsyn.h): a minute is a duration here
	 * too, only too long for this option. */
	NO("timeout one minute", "timeout = 1m\n",
	    "line 1: timeout = \"1m\": expected a duration from 10ms to 10s"),
	NO("timeout huge", "timeout = 99999999999999999999\n", "duration"),
	NO("dns_timeout below 100ms", "dns_timeout = 99ms\n", "duration"),
	NO("wait not below timeout", "wait = 500ms\n",
	    "wait (500 ms) must be below timeout (500 ms)"),
	NO("on_pending bad", "on_pending = maybe\n",
	    "line 1: on_pending = \"maybe\": expected not-found or error"),
	NO("on_unreachable case", "on_unreachable = ERROR\n",
	    "expected not-found or error"),
	NO("log bad", "log = file\n", "expected syslog or stderr"),
	NO("log_level bad", "log_level = loud\n", "expected err"),
	NO("socket relative", "socket = run/x.sock\n", "absolute path"),
	NO("socket too long", "socket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaa\n", "absolute path"),
	NO("NUL byte", "timeout = 1s\0\n", "line 1: NUL byte"),
	NO("NUL byte on line 3", "# a\n\nlog = std\0err\n",
	    "line 3: NUL byte"),
	NO("name upper case", "Timeout = 1s\n", "unknown option"),
};

static int
same(const struct conf_case *c, const struct tmconf *got)
{
	return strcmp(got->socket, c->socket) == 0 &&
	    got->timeout_ms == c->timeout && got->wait_ms == c->wait &&
	    got->dns_timeout_ms == c->dns_timeout &&
	    got->on_pending == c->on_pending &&
	    got->on_unreachable == c->on_unreachable &&
	    got->log_stderr == c->log_stderr && got->log_level == c->level;
}

static void
test_cases(void)
{
	struct tmconf got;
	char err[256];
	size_t i;
	int r, ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct conf_case *c = &cases[i];

		memset(&got, 0x5a, sizeof(got));
		got.socket[0] = '\0';
		err[0] = '\0';
		r = tmconf_parse(c->text, c->len, &got, err, sizeof(err));
		if (c->want_ok)
			ok = r == 0 && same(c, &got);
		else
			ok = r == -1 && strstr(err, c->want_err) != NULL &&
			    got.socket[0] == '\0';	/* untouched */
		if (!tap_ok(ok, "%s", c->name))
			tap_diag("got r=%d err=\"%s\" timeout=%d wait=%d "
			    "dns=%d pending=%d unreachable=%d socket=\"%s\"", r,
			    err, got.timeout_ms, got.wait_ms,
			    got.dns_timeout_ms, got.on_pending,
			    got.on_unreachable, got.socket);
	}
}

static void
test_long_line(void)
{
	static char text[3000];
	struct tmconf got;
	char err[128];

	memset(text, ' ', sizeof(text));
	memcpy(text, "log = stderr", 12);
	tap_is_int(tmconf_parse(text, sizeof(text), &got, err, sizeof(err)),
	    -1, "line over 1024 bytes refused");
	tap_is_str(err, "line 1: line too long", "line over 1024: reason");
	tap_is_str(tmconf_answer_str(TMCONF_ERROR), "error", "answer name");
	tap_is_str(tmconf_answer_str(TMCONF_NOTFOUND), "not-found",
	    "answer name not-found");
}

/*
 * contrib/opensmtpd/table-mtasts.conf lists every option as a comment
 * "#name = default" (and tests/cli/manpage.py holds table-mtasts(8) to
 * it): with those lines uncommented, the socket's aside (its path comes
 * from configure), it must parse to the defaults.
 */
static void
test_contrib_defaults(void)
{
	char path[1024], line[1024], text[TMCONF_FILE_MAX], err[256];
	const char *srcdir = getenv("MTASTS_SRCDIR");
	struct tmconf got, want;
	size_t len = 0, n = 0;
	FILE *f;

	err[0] = '\0';
	snprintf(path, sizeof(path), "%s/contrib/opensmtpd/table-mtasts.conf",
	    srcdir != NULL ? srcdir : ".");
	if ((f = fopen(path, "r")) == NULL) {
		tap_ok(0, "contrib defaults: cannot open %s", path);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] != '#' || !islower((unsigned char)line[1]) ||
		    strstr(line, " = ") == NULL ||
		    strncmp(line, "#socket ", 8) == 0)
			continue;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s",
		    line + 1);
		n++;
	}
	fclose(f);
	tmconf_defaults(&want);
	tap_ok(n == 7 && tmconf_parse(text, len, &got, err, sizeof(err)) == 0,
	    "contrib defaults: %zu options parse (%s)", n, n == 7 ? err : "");
	tap_ok(strcmp(got.socket, want.socket) == 0 &&
	    got.timeout_ms == want.timeout_ms &&
	    got.wait_ms == want.wait_ms &&
	    got.dns_timeout_ms == want.dns_timeout_ms &&
	    got.on_pending == want.on_pending &&
	    got.on_unreachable == want.on_unreachable &&
	    got.log_stderr == want.log_stderr &&
	    got.log_level == want.log_level,
	    "contrib defaults: they are the defaults");
}

int
main(void)
{
	test_cases();
	test_long_line();
	test_contrib_defaults();
	return tap_done();
}
