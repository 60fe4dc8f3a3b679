/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tmconf.h: the configuration of table-mtasts, the OpenSMTPD table
 * back end (docs/opensmtpd.md, contrib/opensmtpd/table-mtasts.conf).
 *
 * File syntax, as mtastsd.conf(5): one "name = value" per line; blank
 * lines and lines whose first non-blank character is "#" are ignored;
 * blanks around names and values are removed.  An unknown name, a name
 * given twice or a value out of range rejects the whole file with
 * "line N: name = "value": reason" (cfgsyn.h).  Durations are those of
 * mtastsd.conf: a number with an optional unit ms, s, m, h or d (no
 * unit means seconds).
 *
 * Options (defaults in tmconf_defaults()):
 *   socket          the daemon's lookup socket (default: "" = the
 *                   compiled-in path, filled in by the program)
 *   timeout         deadline of one question to the daemon: connect,
 *                   send, answer (default 500ms; 10ms..10s)
 *   wait            how long the daemon may spend discovering a domain
 *                   it knows nothing about before answering (default 0:
 *                   answer at once, discover in the background;
 *                   must be below timeout)
 *   dns_timeout     deadline of the MX lookup of a relayhost lookup
 *                   (default 2s; 100ms..10s)
 *   on_pending      the answer for a domain whose discovery is under
 *                   way: not-found (default) or error (smtpd: 451 at
 *                   RCPT, the client retries later)
 *   on_unreachable  the answer when the daemon cannot be asked (down,
 *                   too slow, answer malformed): error (default) or
 *                   not-found
 *   log             syslog (default, facility mail) or stderr
 *   log_level       err, warn, info (default) or debug
 *
 * Pure module: no I/O, no allocation, no global state.
 */
#ifndef TMCONF_H
#define TMCONF_H

#include <stddef.h>

#define TMCONF_PATH_MAX		256	/* socket path, NUL included */
#define TMCONF_FILE_MAX		65536	/* longest file read */

enum tmconf_answer {
	TMCONF_NOTFOUND = 0,	/* act as if there were no policy */
	TMCONF_ERROR		/* temporary failure */
};

struct tmconf {
	char			socket[TMCONF_PATH_MAX];	/* "" = default */
	int			timeout_ms;
	int			wait_ms;
	int			dns_timeout_ms;
	enum tmconf_answer	on_pending;
	enum tmconf_answer	on_unreachable;
	int			log_stderr;	/* 0: syslog */
	int			log_level;	/* enum log_level (log.h) */
};

/* tmconf_defaults: every option at its default. */
void	tmconf_defaults(struct tmconf *c);

/*
 * tmconf_parse: parse text[0..len) (not NUL-terminated; NUL bytes are
 * an error) into *c, starting from the defaults.  Returns 0, or -1
 * with "line N: name = "value": reason" in err[0..errlen) and *c untouched.
 */
int	tmconf_parse(const char *text, size_t len, struct tmconf *c,
	    char *err, size_t errlen);

/* tmconf_answer_str: "not-found" or "error". */
const char *tmconf_answer_str(enum tmconf_answer a);

#endif /* TMCONF_H */
