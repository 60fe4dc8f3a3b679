/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * log.h: logging for mtastsd and its tools (OpenSMTPD's log.c model).
 *
 * Messages go to syslog (daemon) or stderr (foreground, tools), each
 * with a level.  When stderr is systemd's journal stream, each line
 * starts with its syslog priority as "<N>" (sd-daemon(3)), so the
 * journal files warnings and errors at their own priority.  log_warn() appends strerror(errno); log_warnx() does
 * not.  fatal()/fatalx() log and exit(1): only src/ may call them, and
 * only at start-up or for a broken invariant (docs/DESIGN.md §Failures)
 * - never for something a peer sent.
 *
 * Text that came from the network (domain names, TXT records, policy
 * lines, HTTP headers) must go through log_escape() first, so a peer
 * cannot forge log lines or hide bytes from the administrator.
 *
 * Loop thread only (no locking); log_init() before anything else.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Longest escaped string log_escape() produces, NUL included. */
#define LOG_ESCAPE_MAX 256

/*
 * log_init: to_stderr non-zero logs to stderr, else to syslog with the
 * given facility (LOG_MAIL for the daemon).  Messages above `level`
 * are dropped.  `ident` is borrowed and must outlive logging.
 */
void	log_init(const char *ident, int to_stderr, int facility,
	    enum log_level level);
/*
 * log_journal_stream: whether env, the value of $JOURNAL_STREAM
 * ("DEVICE:INODE", systemd.exec(5)), names the file whose st_dev and
 * st_ino are dev and ino.  NULL or malformed: 0.  Pure; log_init()
 * asks it about stderr.
 */
int	log_journal_stream(const char *env, uint64_t dev, uint64_t ino);
/* log_set_level: change the threshold (SIGHUP reload). */
void	log_set_level(enum log_level);
/* log_level_parse: "err" "warn" "info" "debug" -> level, -1 if unknown. */
int	log_level_parse(const char *);
const char *log_level_str(enum log_level);

/* log_errx: at error level (syslog LOG_ERR), without exiting. */
void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Rate limiting for messages a peer can trigger at will (malformed
 * requests, oversize lines): one struct log_rl per call site, usually
 * static.  log_rl_allow() returns 1 while the site has logged fewer than
 * LOG_RL_BURST messages in the current LOG_RL_WINDOW seconds; when a new
 * window starts after drops, it first logs how many were suppressed.
 */
#define LOG_RL_BURST	10
#define LOG_RL_WINDOW	60

struct log_rl {
	long long	 window;	/* start of the current window */
	unsigned	 count;		/* messages logged in it */
	unsigned	 dropped;	/* messages suppressed in it */
};

int	log_rl_allow(struct log_rl *);

/*
 * log_escape: copy untrusted in[0..len) to out as printable ASCII:
 * backslash, quote and every byte outside 0x20-0x7e become \xNN, and
 * the result is cut (ending in "...") to fit outsize, which must be at
 * least 4.  Returns out, always NUL-terminated.
 */
char	*log_escape(const char *in, size_t len, char *out, size_t outsize);

#endif /* LOG_H */
