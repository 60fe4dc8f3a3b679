/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cfgsyn.h: the one syntax of mtastsd.conf(5) and table-mtasts.conf
 * (conf.c, tmconf.c): its lines and its values, so one habit serves
 * both files and they can never drift apart.
 *
 * Lines: one "name = value" per line; blank lines and lines whose first
 * non-blank character is "#" are ignored; blanks (space, tab, and a CR
 * before the LF) around the name and the value are removed; a line is
 * at most CFGSYN_LINE_MAX bytes and holds no NUL byte.
 *
 * Values:
 *   boolean   yes or no
 *   count     decimal digits
 *   duration  decimal digits and an optional unit: ms, s, m, h, d (no
 *             unit: seconds), in milliseconds
 *   size      decimal digits and an optional K, M or G (powers of 1024)
 *   mode      1 to 5 octal digits
 *   keyword   one of a list of words (log levels, answers)
 * Upper and lower case are distinct everywhere.
 *
 * Errors name the option and the value as written, so a mistake is
 * found without counting lines: cfgsyn_error().
 *
 * Pure: no I/O, no allocation, no global state.
 */
#ifndef CFGSYN_H
#define CFGSYN_H

#include <stddef.h>
#include <stdint.h>

/* Longest line (without its LF) of either file. */
#define CFGSYN_LINE_MAX		1024

/* A walk over a file's lines; fields are private to cfgsyn.c. */
struct cfgsyn_lines {
	const char	*p, *end;
	unsigned	 lineno;	/* of the line last returned */
	char		 buf[CFGSYN_LINE_MAX + 1];
};

/* cfgsyn_begin: walk text[0..len) (NUL bytes in it are an error). */
void	cfgsyn_begin(struct cfgsyn_lines *, const char *text, size_t len);

/*
 * cfgsyn_next: the next "name = value" line.  Returns 1 with *name and
 * *value (trimmed, NUL-terminated, borrowed until the next call), 0 at
 * the end of the text, -1 with a reason in *why (line too long, NUL
 * byte, no "=").  it->lineno numbers the line in every case.
 */
int	cfgsyn_next(struct cfgsyn_lines *, const char **name,
	    const char **value, const char **why);

/* Value parsers: 0 and the value, or -1 (the value is not of the type). */
int	cfgsyn_bool(const char *s, int *out);
int	cfgsyn_count(const char *s, uint64_t *out);
int	cfgsyn_duration(const char *s, uint64_t *ms);
int	cfgsyn_size(const char *s, uint64_t *bytes);
int	cfgsyn_mode(const char *s, uint64_t *mode);
/* cfgsyn_keyword: the index of s in words[0..n), or -1. */
int	cfgsyn_keyword(const char *s, const char *const *words, size_t n);

/*
 * cfgsyn_error: the message for a bad line, into err[0..errlen):
 *   WHERE:LINE: NAME = "VALUE": WHY    a bad value
 *   WHERE:LINE: NAME: WHY              value NULL (unknown, set twice)
 *   WHERE:LINE: WHY                    name NULL (not "name = value")
 * "line LINE" when where is NULL; no line when lineno is 0 (a rule
 * between options).  The value is cut at 64 bytes, and control
 * characters in it or in the name are shown as "?".
 */
void	cfgsyn_error(char *err, size_t errlen, const char *where,
	    unsigned lineno, const char *name, const char *value,
	    const char *why);

/*
 * cfgsyn_format_ms: a duration in milliseconds in the file's syntax,
 * in its largest exact unit: "1d", "2h", "5m", "10s", "1500ms".  For
 * range messages.
 */
const char *cfgsyn_format_ms(uint64_t ms, char *buf, size_t size);

/*
 * cfgsyn_hostport: "ADDR:PORT" or "[ADDR]:PORT" (listen_tcp,
 * metrics_listen) into host[hostlen] and port[portlen], copied.  The
 * port is digits only and an IPv6 address needs its brackets; whether
 * ADDR is numeric is the caller's getaddrinfo(AI_NUMERICHOST) to say, so
 * no name is ever looked up.  0, or -1.
 */
int	cfgsyn_hostport(const char *spec, char *host, size_t hostlen,
	    char *port, size_t portlen);

#endif /* CFGSYN_H */
