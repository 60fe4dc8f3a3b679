/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_log.c: log_escape() and the level names (src/log.c).
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "tap.h"

static const struct {
	const char	*name;
	const char	*in;
	size_t		 len;
	size_t		 outsize;
	const char	*want;
} cases[] = {
	{ "plain ASCII kept", "mx.example.com", 14, 64, "mx.example.com" },
	{ "empty", "", 0, 8, "" },
	{ "CR LF escaped (no forged lines)", "a\r\nb", 4, 64, "a\\x0d\\x0ab" },
	{ "NUL escaped, rest kept", "a\0b", 3, 64, "a\\x00b" },
	{ "quote and backslash escaped", "\"\\", 2, 64, "\\x22\\x5c" },
	{ "UTF-8 bytes escaped", "\xc3\xbc", 2, 64, "\\xc3\\xbc" },
	{ "DEL escaped", "\x7f", 1, 64, "\\x7f" },
	{ "cut with ellipsis", "abcdefghijklmnop", 16, 12, "abcde..." },
	{ "smallest buffer", "abcdef", 6, 4, "..." },
	{ "exact fit not cut", "abc", 3, 12, "abc" },
};

/* A burst is allowed, the rest of the window is not. */
static void
test_ratelimit(void)
{
	struct log_rl rl = { 0, 0, 0 };
	int i, allowed = 0;

	for (i = 0; i < 3 * LOG_RL_BURST; i++)
		allowed += log_rl_allow(&rl);
	tap_is_int(allowed, LOG_RL_BURST, "rate limit: one burst per window");
	tap_is_int(rl.dropped, 2 * LOG_RL_BURST, "rate limit: drops counted");
	rl.window -= LOG_RL_WINDOW;	/* the window has passed */
	tap_is_int(log_rl_allow(&rl), 1, "rate limit: next window allowed");
	tap_is_int(rl.dropped, 0, "rate limit: drop count reset");
}

int
main(void)
{
	char out[LOG_ESCAPE_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		log_escape(cases[i].in, cases[i].len, out, cases[i].outsize);
		tap_is_str(out, cases[i].want, cases[i].name);
		tap_ok(strlen(out) < cases[i].outsize, "%s: fits",
		    cases[i].name);
	}
	tap_is_int(log_level_parse("debug"), LOG_LEVEL_DEBUG, "parse debug");
	tap_is_int(log_level_parse("warn"), LOG_LEVEL_WARN, "parse warn");
	tap_is_int(log_level_parse("Debug"), -1, "levels are case-sensitive");
	tap_is_int(log_level_parse(""), -1, "empty level rejected");
	tap_is_str(log_level_str(LOG_LEVEL_INFO), "info", "level name");
	test_ratelimit();
	return tap_done();
}
