/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * smtpreply.c: SMTP replies read from a byte stream (smtpreply.h).
 *
 * RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 * Reply-code [ SP textstring ] CRLF.  Bare LF is accepted as a line end
 * too (we only read; being strict would report a working server as
 * broken).
 */
#include <string.h>

#include "chars.h"
#include "smtpreply.h"

static enum smtpreply_result smtpreply_line(struct smtpreply *,
			    const char *, size_t, const char **);
static int		 smtpreply_caseeq(const char *, const char *, size_t);
static void		 smtpreply_keep_text(struct smtpreply *, const char *,
			    size_t);

void
smtpreply_init(struct smtpreply *r)
{
	memset(r, 0, sizeof(*r));
}

/* EHLO keywords are case-insensitive (RFC 5321 §4.1.1.1). */
static int
smtpreply_caseeq(const char *s, const char *lower, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (chars_tolower((unsigned char)s[i]) != lower[i])
			return 0;
	return 1;
}

static void
smtpreply_keep_text(struct smtpreply *r, const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < sizeof(r->text); i++)
		r->text[n++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	r->text[n] = '\0';
}

/* One line without its line end. */
static enum smtpreply_result
smtpreply_line(struct smtpreply *r, const char *s, size_t len,
    const char **why)
{
	int code;

	if (len < 3 || !chars_is_digit((unsigned char)s[0]) ||
	    !chars_is_digit((unsigned char)s[1]) ||
	    !chars_is_digit((unsigned char)s[2]) || s[0] < '1' || s[0] > '5' ||
	    (len > 3 && s[3] != ' ' && s[3] != '-')) {
		*why = "not an SMTP reply line";
		return SMTPREPLY_BAD;
	}
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (r->nlines > 0 && code != r->code) {
		*why = "reply lines with different codes";
		return SMTPREPLY_BAD;
	}
	if (r->nlines++ == 0) {
		r->code = code;
		smtpreply_keep_text(r, s + (len > 4 ? 4 : len),
		    len > 4 ? len - 4 : 0);
	} else if (len >= 12 && (len == 12 || s[12] == ' ') &&
	    smtpreply_caseeq(s + 4, "starttls", 8))
		r->starttls = 1;
	if (len <= 3 || s[3] == ' ')
		return SMTPREPLY_DONE;
	if (r->nlines >= SMTPREPLY_LINES_MAX) {
		*why = "reply of too many lines";
		return SMTPREPLY_BAD;
	}
	return SMTPREPLY_MORE;
}

enum smtpreply_result
smtpreply_feed(struct smtpreply *r, const char *buf, size_t len,
    size_t *used, const char **why)
{
	const char *lf, *dummy;
	size_t off = 0, n;
	enum smtpreply_result res;

	if (why == NULL)
		why = &dummy;
	*used = 0;
	while (off < len) {
		lf = memchr(buf + off, '\n', len - off);
		if (lf == NULL)
			break;
		n = (size_t)(lf - (buf + off)) + 1;
		if (n > SMTPREPLY_LINE_MAX) {
			*why = "reply line too long";
			return SMTPREPLY_BAD;
		}
		res = smtpreply_line(r, buf + off, n - 1 -
		    (n >= 2 && lf[-1] == '\r'), why);
		off += n;
		*used = off;
		if (res != SMTPREPLY_MORE)
			return res;
	}
	if (len - off >= SMTPREPLY_LINE_MAX) {
		*why = "reply line too long";
		return SMTPREPLY_BAD;
	}
	return SMTPREPLY_MORE;
}
