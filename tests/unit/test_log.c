/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_log.c: log_escape(), the level names and the journal's "<N>"
 * priority prefixes (src/log.c).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

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

static const struct {
	const char	*name;
	const char	*env;
	int		 want;
} streams[] = {
	{ "same device and inode", "2049:1234", 1 },
	{ "other inode", "2049:1235", 0 },
	{ "other device", "2050:1234", 0 },
	{ "unset", NULL, 0 },
	{ "empty", "", 0 },
	{ "no inode", "2049:", 0 },
	{ "no colon", "20491234", 0 },
	{ "trailing garbage", "2049:1234x", 0 },
	{ "blank before inode", "2049: 1234", 0 },
	{ "sign", "+2049:1234", 0 },
	{ "overflow", "2049:99999999999999999999999", 0 },
};

/*
 * capture: run fn with stderr on a temporary file and JOURNAL_STREAM
 * naming that file (journal) or not, in a child (fatalx() exits), and
 * return what it wrote.
 */
static char *
capture(int journal, void (*fn)(void))
{
	static char buf[1024];
	char path[] = "/tmp/test_log.XXXXXX", env[64];
	struct stat st;
	ssize_t n;
	pid_t pid;
	int fd;

	if ((fd = mkstemp(path)) == -1 || fstat(fd, &st) == -1)
		return NULL;
	unlink(path);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + (journal ? 0 : 1));
	if ((pid = fork()) == 0) {
		setenv("JOURNAL_STREAM", env, 1);
		dup2(fd, STDERR_FILENO);
		log_init("mtastsd", 1, LOG_MAIL, LOG_LEVEL_INFO);
		fn();
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
log_some(void)
{
	log_warnx("a warning");
	log_info("some news");
	log_debug("filtered out");
	fatalx("the end");
}

static void
test_journal(void)
{
	char *got, name[128];
	size_t i;

	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		snprintf(name, sizeof(name), "JOURNAL_STREAM: %s",
		    streams[i].name);
		tap_is_int(log_journal_stream(streams[i].env, 2049, 1234),
		    streams[i].want, name);
	}
	got = capture(1, log_some);
	tap_is_str(got != NULL ? got : "(capture failed)",
	    "<4>a warning\n<6>some news\n<3>fatal: the end\n",
	    "journal: each line carries its priority");
	got = capture(0, log_some);
	tap_is_str(got != NULL ? got : "(capture failed)",
	    "mtastsd: a warning\nmtastsd: some news\nmtastsd: fatal: the end\n",
	    "stderr that is not the journal: no prefix");
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
	test_journal();
	return tap_done();
}
