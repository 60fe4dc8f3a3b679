/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_cfgsyn.c: table tests for the one syntax of mtastsd.conf and
 * table-mtasts.conf (src/cfgsyn.h): lines, every value type, the error
 * messages, and the duration format of range messages.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cfgsyn.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

/* A file walked to its end: "name=value;" per line, or "!N:why". */
static const struct {
	const char	*name;
	const char	*text;
	size_t		 len;
	const char	*want;
} files[] = {
	{ "empty", S(""), "" },
	{ "comments and blanks", S("# a = b\n\n \t \n  # c\n"), "" },
	{ "trimmed, CRLF", S("  a\t=  b c \r\nd=e"), "a=b c;d=e;" },
	{ "empty value", S("a =\n"), "a=;" },
	{ "= in the value", S("a = b=c\n"), "a=b=c;" },
	{ "no =", S("a = 1\nb\n"), "a=1;!2:expected \"name = value\"" },
	{ "NUL byte", S("a = 1\n\nb = \0\n"), "a=1;!3:NUL byte" },
	{ "# not first is data", S("a = b # c\n"), "a=b # c;" },
};

static void
test_lines(void)
{
	struct cfgsyn_lines it;
	const char *n, *v, *why;
	char got[256];
	size_t i, len;
	int r;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cfgsyn_begin(&it, files[i].text, files[i].len);
		got[0] = '\0';
		while ((r = cfgsyn_next(&it, &n, &v, &why)) == 1) {
			len = strlen(got);
			snprintf(got + len, sizeof(got) - len, "%s=%s;", n, v);
		}
		if (r == -1) {
			len = strlen(got);
			snprintf(got + len, sizeof(got) - len, "!%u:%s",
			    it.lineno, why);
		}
		tap_is_str(got, files[i].want, files[i].name);
	}
}

static void
test_long_line(void)
{
	static char text[CFGSYN_LINE_MAX + 2];
	struct cfgsyn_lines it;
	const char *n, *v, *why = "";

	memset(text, ' ', sizeof(text));
	memcpy(text, "a = b", 5);
	cfgsyn_begin(&it, text, CFGSYN_LINE_MAX);
	tap_ok(cfgsyn_next(&it, &n, &v, &why) == 1 && strcmp(v, "b") == 0,
	    "a line of exactly %d bytes", CFGSYN_LINE_MAX);
	cfgsyn_begin(&it, text, CFGSYN_LINE_MAX + 1);
	tap_ok(cfgsyn_next(&it, &n, &v, &why) == -1 &&
	    strcmp(why, "line too long") == 0, "one byte more: too long");
}

/* Value parsers: input, expected value (or -1 for "refused"). */
static const struct {
	int		(*parse)(const char *, uint64_t *);
	const char	*type, *in;
	int64_t		 want;
} values[] = {
	{ cfgsyn_duration, "duration", "0", 0 },
	{ cfgsyn_duration, "duration", "5", 5000 },
	{ cfgsyn_duration, "duration", "1500ms", 1500 },
	{ cfgsyn_duration, "duration", "30s", 30000 },
	{ cfgsyn_duration, "duration", "5m", 300000 },
	{ cfgsyn_duration, "duration", "1h", 3600000 },
	{ cfgsyn_duration, "duration", "2d", 172800000 },
	{ cfgsyn_duration, "duration", "", -1 },
	{ cfgsyn_duration, "duration", "1 s", -1 },
	{ cfgsyn_duration, "duration", "1S", -1 },
	{ cfgsyn_duration, "duration", "1w", -1 },
	{ cfgsyn_duration, "duration", "-1", -1 },
	{ cfgsyn_duration, "duration", "1.5s", -1 },
	{ cfgsyn_duration, "duration", "213503982335d", -1 },	/* overflow */
	{ cfgsyn_duration, "duration", "99999999999999999999", -1 },
	{ cfgsyn_size, "size", "4096", 4096 },
	{ cfgsyn_size, "size", "64K", 65536 },
	{ cfgsyn_size, "size", "16M", 16777216 },
	{ cfgsyn_size, "size", "1G", 1073741824 },
	{ cfgsyn_size, "size", "1k", -1 },
	{ cfgsyn_size, "size", "1T", -1 },
	{ cfgsyn_count, "count", "0", 0 },
	{ cfgsyn_count, "count", "65536", 65536 },
	{ cfgsyn_count, "count", "5K", -1 },
	{ cfgsyn_count, "count", "+5", -1 },
	{ cfgsyn_mode, "mode", "0660", 0660 },
	{ cfgsyn_mode, "mode", "7", 7 },
	{ cfgsyn_mode, "mode", "0968", -1 },
	{ cfgsyn_mode, "mode", "000660", -1 },
	{ cfgsyn_mode, "mode", "", -1 },
};

static void
test_values(void)
{
	uint64_t v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		v = 0;
		r = values[i].parse(values[i].in, &v);
		if (!tap_ok(values[i].want == -1 ? r == -1 :
		    r == 0 && v == (uint64_t)values[i].want, "%s \"%s\"",
		    values[i].type, values[i].in))
			tap_diag("got r=%d v=%" PRIu64 ", want %" PRId64, r, v,
			    values[i].want);
	}
}

static void
test_words(void)
{
	static const char *const words[] = { "not-found", "error" };
	int b = -1;

	tap_ok(cfgsyn_bool("yes", &b) == 0 && b == 1, "bool yes");
	tap_ok(cfgsyn_bool("no", &b) == 0 && b == 0, "bool no");
	tap_ok(cfgsyn_bool("Yes", &b) == -1, "bool: case matters");
	tap_ok(cfgsyn_bool("true", &b) == -1, "bool: only yes or no");
	tap_is_int(cfgsyn_keyword("error", words, 2), 1, "keyword index");
	tap_is_int(cfgsyn_keyword("ERROR", words, 2), -1, "keyword case");
}

static void
test_errors(void)
{
	char err[256];

	cfgsyn_error(err, sizeof(err), "/etc/m.conf", 4, "dns_tries", "11",
	    "out of range (1 to 10)");
	tap_is_str(err, "/etc/m.conf:4: dns_tries = \"11\": out of range "
	    "(1 to 10)", "error: file, line, option, value, reason");
	cfgsyn_error(err, sizeof(err), NULL, 2, "frob", NULL,
	    "unknown option");
	tap_is_str(err, "line 2: frob: unknown option",
	    "error: no file, no value");
	cfgsyn_error(err, sizeof(err), "f", 3, NULL, NULL, "NUL byte");
	tap_is_str(err, "f:3: NUL byte", "error: no option");
	cfgsyn_error(err, sizeof(err), "f", 0, NULL, NULL, "socket must be "
	    "an absolute path");
	tap_is_str(err, "f: socket must be an absolute path",
	    "error: a rule between options, no line");
	cfgsyn_error(err, sizeof(err), "f", 1, "a\tb", "\x1b]0;x\x07",
	    "bad");
	tap_is_str(err, "f:1: a?b = \"?]0;x?\": bad",
	    "error: control characters not echoed");
	cfgsyn_error(err, 16, "f", 1, "name", "value", "why");
	tap_is_str(err, "f:1: name = \"va", "error: truncated to the buffer");
}

static void
test_format(void)
{
	char b[32];

	tap_is_str(cfgsyn_format_ms(0, b, sizeof(b)), "0ms", "0");
	tap_is_str(cfgsyn_format_ms(100, b, sizeof(b)), "100ms", "100ms");
	tap_is_str(cfgsyn_format_ms(1500, b, sizeof(b)), "1500ms", "1500ms");
	tap_is_str(cfgsyn_format_ms(60000, b, sizeof(b)), "1m", "1m");
	tap_is_str(cfgsyn_format_ms(90000, b, sizeof(b)), "90s", "90s");
	tap_is_str(cfgsyn_format_ms(86400000, b, sizeof(b)), "1d", "1d");
	tap_is_str(cfgsyn_format_ms(172800000, b, sizeof(b)), "2d", "2d");
}

/* listen_tcp and metrics_listen: ADDR:PORT, [ADDR]:PORT. */
static void
test_hostport(void)
{
	static const struct {
		const char *spec, *host, *port;	/* host NULL: refused */
	} cases[] = {
		{ "127.0.0.1:8461", "127.0.0.1", "8461" },
		{ "[::1]:9109", "::1", "9109" },
		{ "[fe80::1%lo]:25", "fe80::1%lo", "25" },
		{ "localhost:25", "localhost", "25" },	/* AI_NUMERICHOST's */
		{ "::1:25", NULL, NULL },		/* brackets needed */
		{ "127.0.0.1", NULL, NULL },
		{ "127.0.0.1:", NULL, NULL },
		{ ":25", NULL, NULL },
		{ "[]:25", NULL, NULL },
		{ "[::1]25", NULL, NULL },
		{ "127.0.0.1:25a", NULL, NULL },
		{ "127.0.0.1:-25", NULL, NULL },
		{ "127.0.0.1:123456", NULL, NULL },	/* port[6] too small */
		{ "", NULL, NULL },
	};
	char host[16], port[6];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = cfgsyn_hostport(cases[i].spec, host, sizeof(host), port,
		    sizeof(port));
		if (cases[i].host == NULL)
			tap_ok(rc == -1, "hostport \"%s\" refused",
			    cases[i].spec);
		else
			tap_ok(rc == 0 && strcmp(host, cases[i].host) == 0 &&
			    strcmp(port, cases[i].port) == 0,
			    "hostport \"%s\" -> %s, %s", cases[i].spec,
			    cases[i].host, cases[i].port);
	}
	tap_is_int(cfgsyn_hostport("[0123:4567:89ab:cdef::1]:25", host,
	    sizeof(host), port, sizeof(port)), -1,
	    "hostport: an address longer than host[] refused");
}

int
main(void)
{
	test_hostport();
	test_lines();
	test_long_line();
	test_values();
	test_words();
	test_errors();
	test_format();
	return tap_done();
}
