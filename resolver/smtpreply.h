/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * smtpreply.h: SMTP replies read from a byte stream (RFC 5321 §4.2),
 * for the probe of `mtasts check` (resolver/smtpprobe.c).
 *
 * Purpose: split what the server sent into lines, gather the lines of
 * one reply ("250-..." continued, "250 ..." final), check that they
 * carry one code, and note the EHLO keyword STARTTLS (RFC 3207).
 *
 * Pure module: no I/O, no allocation, no global state.  Input is
 * borrowed for the call.
 *
 * Limits: a line (CRLF or LF included) is at most SMTPREPLY_LINE_MAX
 * bytes (RFC 5321 §4.5.3.1.5 asks for 512; we allow more) and a reply
 * at most SMTPREPLY_LINES_MAX lines; past either the reply is bad.
 */
#ifndef SMTPREPLY_H
#define SMTPREPLY_H

#include <stddef.h>

#define SMTPREPLY_LINE_MAX	1024
#define SMTPREPLY_LINES_MAX	128
#define SMTPREPLY_TEXT_MAX	128

enum smtpreply_result {
	SMTPREPLY_MORE = 0,	/* no final line yet: read more */
	SMTPREPLY_DONE,		/* a whole reply was read */
	SMTPREPLY_BAD		/* not an SMTP reply, or over a limit */
};

struct smtpreply {
	int	code;		/* 100-599, once the first line was read */
	size_t	nlines;
	int	starttls;	/* an EHLO line's keyword is STARTTLS */
	char	text[SMTPREPLY_TEXT_MAX];	/* the first line's text,
						 * printable ASCII only */
};

/* smtpreply_init: ready `r` for a new reply. */
void smtpreply_init(struct smtpreply *r);

/*
 * smtpreply_feed: read the complete lines at the start of buf[0..len).
 * *used is set to the bytes consumed (whole lines only; the caller
 * keeps the rest and calls again with more).  Returns DONE when the
 * final line was read (*used ends after it), MORE when more is needed,
 * BAD with a static reason in *why (may be NULL).
 */
enum smtpreply_result smtpreply_feed(struct smtpreply *r, const char *buf,
    size_t len, size_t *used, const char **why);

#endif /* SMTPREPLY_H */
