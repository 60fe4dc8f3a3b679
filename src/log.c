/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * log.c: logging to syslog or stderr; see log.h.
 *
 * Under systemd, stderr is a stream to the journal, which would file
 * every line at the unit's default priority (info): "journalctl -p
 * warning" would show no warning and no fatal error.  sd-daemon(3)
 * defines a "<N>" prefix, N a syslog priority, that the journal strips
 * and uses as the line's priority; it is written when stderr is the
 * stream $JOURNAL_STREAM names (systemd.exec(5)), and only then: on a
 * terminal or in a file the prefix would be noise.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "mtastsd";
static int log_stderr = 1;
static int log_journal;		/* stderr is the journal: "<N>" prefixes */
static enum log_level log_threshold = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "err",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const int level_prio[] = {
	[LOG_LEVEL_ERR] = LOG_ERR,
	[LOG_LEVEL_WARN] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void
log_init(const char *ident, int to_stderr, int facility, enum log_level level)
{
	struct stat st;

	log_ident = ident;
	log_stderr = to_stderr;
	log_threshold = level;
	log_journal = to_stderr && fstat(STDERR_FILENO, &st) == 0 &&
	    log_journal_stream(getenv("JOURNAL_STREAM"), (uint64_t)st.st_dev,
	    (uint64_t)st.st_ino);
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

/* parse_dec: decimal digits at *s (no sign, no blank), advancing *s. */
static int
parse_dec(const char **s, uint64_t *v)
{
	const char *p = *s;

	*v = 0;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*v > (UINT64_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	return 0;
}

int
log_journal_stream(const char *env, uint64_t dev, uint64_t ino)
{
	uint64_t d, i;

	/* "DEVICE:INODE", both decimal, nothing else. */
	if (env == NULL || parse_dec(&env, &d) == -1 || *env++ != ':' ||
	    parse_dec(&env, &i) == -1 || *env != '\0')
		return 0;
	return d == dev && i == ino;
}

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

int
log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_str(enum log_level level)
{
	return level_names[level];
}

/*
 * log_emit_tag: format and send one message; `err` is an errno value to
 * append, or 0; `tag` starts the line on stderr ("fatal: ", "error: "
 * or "").  Bounded: a message longer than the buffer is cut.
 */
static void
log_emit_tag(enum log_level level, int err, const char *tag, const char *fmt,
    va_list ap)
{
	char msg[1024];
	size_t n;

	if (level > log_threshold)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (err != 0 && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	if (log_journal) {
		/* The journal names the unit and process itself. */
		fprintf(stderr, "<%d>%s%s\n", level_prio[level], tag, msg);
		fflush(stderr);
	} else if (log_stderr) {
		fprintf(stderr, "%s: %s%s\n", log_ident, tag, msg);
		fflush(stderr);
	} else
		syslog(level_prio[level], "%s", msg);
}

/* The stderr tag of LOG_LEVEL_ERR is "fatal: ": only fatal() uses it. */
static void
log_emit(enum log_level level, int err, const char *fmt, va_list ap)
{
	log_emit_tag(level, err, level == LOG_LEVEL_ERR ? "fatal: " : "", fmt,
	    ap);
}

#define LOG_VA(level, err) do {				\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_emit((level), (err), fmt, ap);		\
	va_end(ap);					\
} while (0)

void
log_warn(const char *fmt, ...)
{
	int err = errno;

	LOG_VA(LOG_LEVEL_WARN, err);
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit_tag(LOG_LEVEL_ERR, 0, "error: ", fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_VA(LOG_LEVEL_WARN, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_VA(LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_VA(LOG_LEVEL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	int err = errno;

	LOG_VA(LOG_LEVEL_ERR, err);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_VA(LOG_LEVEL_ERR, 0);
	exit(1);
}

int
log_rl_allow(struct log_rl *rl)
{
	long long now = (long long)time(NULL);

	if (now - rl->window >= LOG_RL_WINDOW || now < rl->window) {
		if (rl->dropped > 0)
			log_warnx("%u similar messages suppressed in the last "
			    "%d s", rl->dropped, LOG_RL_WINDOW);
		rl->window = now;
		rl->count = 0;
		rl->dropped = 0;
	}
	if (rl->count < LOG_RL_BURST) {
		rl->count++;
		return 1;
	}
	rl->dropped++;
	return 0;
}

char *
log_escape(const char *in, size_t len, char *out, size_t outsize)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		/* Room for this byte's worst case (4) plus "..." and NUL. */
		if (o + 4 + 4 > outsize) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c <= 0x7e && c != '\\' && c != '"')
			out[o++] = (char)c;
		else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	out[o] = '\0';
	return out;
}
