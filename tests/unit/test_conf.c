/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_conf.c: the option table and mtastsd.conf parser (src/conf.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tap.h"

/* Files that must be rejected, with the start of the message. */
static const struct {
	const char	*name;
	const char	*text;
	const char	*want;
} bad[] = {
	{ "unknown option", "dns_server = 1.2.3.4\n",
	    "t:1: dns_server: unknown option" },
	{ "no equals sign", "\n\nuser mtastsd\n",
	    "t:3: expected \"name = value\"" },
	{ "option set twice", "user = a\nuser = b\n", "t:2: user: set twice" },
	{ "bool not yes/no", "enforce_testing = true\n",
	    "t:1: enforce_testing = \"true\": expected yes or no" },
	{ "count with letters", "max_fetches = 5x\n",
	    "t:1: max_fetches = \"5x\": expected a whole number" },
	{ "count with unit", "max_fetches = 5K\n",
	    "t:1: max_fetches = \"5K\": expected a whole number" },
	{ "count zero below min", "max_fetches = 0\n",
	    "t:1: max_fetches = \"0\": out of range (1 to 10000)" },
	{ "count above max", "dns_tries = 11\n",
	    "t:1: dns_tries = \"11\": out of range (1 to 10)" },
	{ "negative count", "dns_tries = -1\n",
	    "t:1: dns_tries = \"-1\": expected a whole number" },
	{ "duration unit unknown", "dns_timeout = 5w\n",
	    "t:1: dns_timeout = \"5w\": expected a duration such as 500ms, "
	    "30s, 5m, 1h or 2d" },
	{ "duration too small", "dns_timeout = 10ms\n",
	    "t:1: dns_timeout = \"10ms\": out of range (100ms to 1m)" },
	{ "duration too large", "lookup_timeout = 1h\n",
	    "t:1: lookup_timeout = \"1h\": out of range (100ms to 10m)" },
	{ "duration overflow", "fetch_timeout = 99999999999999999999d\n",
	    "t:1: fetch_timeout = \"99999999999999999999d\": expected a dur" },
	{ "empty duration", "fetch_timeout =\n",
	    "t:1: fetch_timeout = \"\": expected a duration" },
	{ "mode not octal", "socket_mode = 0968\n",
	    "t:1: socket_mode = \"0968\": expected an octal mode" },
	{ "mode too large", "socket_mode = 177777\n",
	    "t:1: socket_mode = \"177777\": expected an octal mode" },
	{ "mode above 0777", "socket_mode = 17777\n",
	    "t:1: socket_mode = \"17777\": out of range (at most 0777)" },
	{ "mode with special bits", "socket_mode = 04660\n",
	    "t:1: socket_mode = \"04660\": out of range (at most 0777)" },
	{ "request timeout too short", "client_request_timeout = 50ms\n",
	    "t:1: client_request_timeout = \"50ms\": out of range" },
	{ "max_pending too small", "max_pending = 9\n",
	    "t:1: max_pending = \"9\": out of range" },
	{ "bad log level", "log_level = verbose\n",
	    "t:1: log_level = \"verbose\": expected err, warn, info or debug" },
	{ "size unit lower case", "cache_map_size = 16m\n",
	    "t:1: cache_map_size = \"16m\": expected a size such as 4096" },
	{ "size too small", "cache_map_size = 64K\n",
	    "t:1: cache_map_size = \"64K\": out of range (1M to 1048576M)" },
	{ "version too old for tlsrpt", "postfix_tlsrpt_version = 3.9\n",
	    "t:1: postfix_tlsrpt_version = \"3.9\": the TLSRPT attributes "
	    "need Postfix 3.10 or later" },
	{ "control characters in a value are not echoed",
	    "log_level = a\033[2Jb\n",
	    "t:1: log_level = \"a?[2Jb\": expected err" },
	{ "a long value is cut", "dns_tries = 1234567890123456789012345678901"
	    "234567890123456789012345678901234567890\n",
	    "t:1: dns_tries = \"12345678901234567890123456789012345678901234"
	    "56789012345678901234...\": expected a whole number" },
	{ "map size above max", "cache_map_size = 2G\ncache_map_max = 1G\n",
	    "t: cache_map_size is larger" },
	{ "relative socket", "socket = mtastsd.sock\n", "t: socket must be" },
	{ "relative state_dir", "state_dir = lib\n", "t: state_dir must be" },
};

static void
test_bad(void)
{
	char err[256];
	struct conf *c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		c = conf_parse_string("t", bad[i].text, err, sizeof(err));
		if (!tap_ok(c == NULL && strncmp(err, bad[i].want,
		    strlen(bad[i].want)) == 0, "rejects %s", bad[i].name))
			tap_diag("got \"%s\", want \"%s...\"", err, bad[i].want);
		conf_free(c);
	}
}

/* A line over CONF_LINE_MAX bytes rejects the file, as in tmconf. */
static void
test_long_line(void)
{
	char text[CONF_LINE_MAX + 16], err[256] = "";
	struct conf *c;

	memset(text, 'a', sizeof(text) - 2);
	memcpy(text, "user = ", 7);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	c = conf_parse_string("t", text, err, sizeof(err));
	tap_ok(c == NULL && strcmp(err, "t:1: line too long") == 0,
	    "rejects a line of %zu bytes (%s)", sizeof(text) - 2, err);
	conf_free(c);
}

static void
test_good(void)
{
	char err[256] = "";
	struct conf *c;

	c = conf_parse_string("t",
	    "# comment\n"
	    "   \n"
	    "  dns_servers =  127.0.0.53:53, [::1]:5353  \r\n"
	    "dns_timeout = 1500ms\n"
	    "lookup_timeout=2m\n"
	    "cache_map_size = 2048K\n"
	    "cache_map_max = 4M\n"
	    "socket_mode = 0600\n"
	    "enforce_testing = yes\n"
	    "txt_recheck_interval = 1d\n"
	    "log_level = debug", err, sizeof(err));
	if (!tap_ok(c != NULL, "parses a full file") ) {
		tap_diag("error: %s", err);
		return;
	}
	tap_is_str(c->dns_servers, "127.0.0.53:53, [::1]:5353",
	    "value trimmed, inner blanks kept");
	tap_is_int(c->dns_timeout, 1500, "milliseconds");
	tap_is_int(c->lookup_timeout, 120000, "minutes");
	tap_is_int((intmax_t)c->cache_map_size, 2097152, "K suffix");
	tap_is_int((intmax_t)c->cache_map_max, 4194304, "M suffix");
	tap_is_int(c->socket_mode, 0600, "octal mode");
	tap_is_int(c->enforce_testing, 1, "boolean");
	tap_is_int(c->txt_recheck_interval, 86400000, "days");
	tap_is_int(c->log_level, 3, "log level");
	tap_is_int(c->dns_tries, 2, "unset option keeps its default");
	tap_is_int(c->fetch_timeout, 60000, "RFC 8461 default fetch timeout");
	tap_is_str(c->starttls_list_url, "",
	    "no list URL by default: EFF's can only serve an expired list");
	conf_free(c);
}

static void
warn_cb(const char *name)
{
	tap_diag("not reloadable: %s", name);
}

static void
test_reload(void)
{
	char err[256];
	struct conf *old, *new;

	old = conf_parse_string("old", "user = a\ndns_tries = 3\n", err,
	    sizeof(err));
	new = conf_parse_string("new", "user = b\ndns_tries = 4\n", err,
	    sizeof(err));
	if (!tap_ok(old != NULL && new != NULL, "reload files parse"))
		return;
	conf_reload_check(old, new, warn_cb);
	tap_is_str(new->user, "a", "user cannot change on reload");
	tap_is_int(new->dns_tries, 4, "dns_tries changes on reload");
	conf_free(old);
	conf_free(new);
}

int
main(void)
{
	size_t i;

	test_bad();
	test_long_line();
	test_good();
	test_reload();
	tap_ok(conf_load("/nonexistent/mtastsd.conf", (char[64]){ 0 }, 64)
	    == NULL, "missing file rejected");
	for (i = 0; conf_option_name(i) != NULL; i++)
		;
	tap_ok(i > 10, "option table lists %zu options", i);
	return tap_done();
}
