/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_smtpreply.c: unit tests for resolver/smtpreply.c, the SMTP
 * reply reader of the mtasts check probe: whole replies, replies cut
 * anywhere, multi-line EHLO replies, STARTTLS among the keywords, and
 * hostile input (not SMTP, mixed codes, overlong lines, too many
 * lines).  Inputs are copied to buffers of exactly their length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpreply.h"
#include "tap.h"

#define T(s) (s), (sizeof(s) - 1)

struct reply_case {
	const char		*name;
	const char		*in;
	size_t			 len;
	enum smtpreply_result	 want;
	size_t			 want_used;
	int			 code;
	int			 starttls;
	const char		*text;
	const char		*why;
};

static const struct reply_case cases[] = {
	{ "greeting", T("220 mx.example ESMTP\r\n"), SMTPREPLY_DONE, 22, 220,
	    0, "mx.example ESMTP", NULL },
	{ "bare LF", T("220 hi\n"), SMTPREPLY_DONE, 7, 220, 0, "hi", NULL },
	{ "code only", T("250\r\n"), SMTPREPLY_DONE, 5, 250, 0, "", NULL },
	{ "EHLO with STARTTLS", T("250-mx.example\r\n250-PIPELINING\r\n"
	    "250-STARTTLS\r\n250 8BITMIME\r\n"), SMTPREPLY_DONE, 60, 250, 1,
	    "mx.example", NULL },
	{ "STARTTLS last, lower case", T("250-mx\r\n250 starttls\r\n"),
	    SMTPREPLY_DONE, 22, 250, 1, "mx", NULL },
	{ "STARTTLS in the first line is the host name",
	    T("250 STARTTLS\r\n"), SMTPREPLY_DONE, 14, 250, 0, "STARTTLS",
	    NULL },
	{ "STARTTLSX is another keyword", T("250-mx\r\n250 STARTTLSX\r\n"),
	    SMTPREPLY_DONE, 23, 250, 0, "mx", NULL },
	{ "continued, not done", T("250-mx\r\n250-SIZE\r\n"), SMTPREPLY_MORE,
	    18, 250, 0, "mx", NULL },
	{ "partial line", T("220 mx.exa"), SMTPREPLY_MORE, 0, 0, 0, "", NULL },
	{ "trailing bytes after the reply", T("220 a\r\n250 b\r\n"),
	    SMTPREPLY_DONE, 7, 220, 0, "a", NULL },
	{ "not SMTP", T("HTTP/1.1 400 Bad\r\n"), SMTPREPLY_BAD, 18, 0, 0, "",
	    "not an SMTP reply line" },
	{ "code 600", T("600 no\r\n"), SMTPREPLY_BAD, 8, 0, 0, "",
	    "not an SMTP reply line" },
	{ "bad separator", T("220+x\r\n"), SMTPREPLY_BAD, 7, 0, 0, "",
	    "not an SMTP reply line" },
	{ "mixed codes", T("250-a\r\n220 b\r\n"), SMTPREPLY_BAD, 14, 250, 0,
	    "a", "reply lines with different codes" },
	{ "control characters kept out of the text", T("554 a\x1b[2Jb\r\n"),
	    SMTPREPLY_DONE, 12, 554, 0, "a?[2Jb", NULL },
};

static void
run_case(const struct reply_case *c)
{
	struct smtpreply r;
	const char *why = NULL;
	char label[160], *buf = malloc(c->len ? c->len : 1);
	size_t used = 99;

	memcpy(buf, c->in, c->len);
	smtpreply_init(&r);
	snprintf(label, sizeof(label), "%s: result", c->name);
	tap_is_int(smtpreply_feed(&r, buf, c->len, &used, &why), c->want,
	    label);
	snprintf(label, sizeof(label), "%s: used", c->name);
	if (c->want != SMTPREPLY_BAD)
		tap_is_int((long)used, (long)c->want_used, label);
	snprintf(label, sizeof(label), "%s: code", c->name);
	tap_is_int(r.code, c->code, label);
	snprintf(label, sizeof(label), "%s: starttls", c->name);
	tap_is_int(r.starttls, c->starttls, label);
	snprintf(label, sizeof(label), "%s: text", c->name);
	tap_is_str(r.text, c->text, label);
	snprintf(label, sizeof(label), "%s: why", c->name);
	tap_is_str(c->want == SMTPREPLY_BAD ? why : NULL, c->why, label);
	free(buf);
}

/* The same reply fed a byte at a time gives the same answer. */
static void
run_bytewise(void)
{
	static const char in[] = "250-mx.example\r\n250-STARTTLS\r\n250 OK\r\n";
	struct smtpreply r;
	size_t have = 0, used, i;
	char buf[sizeof(in)];
	enum smtpreply_result res = SMTPREPLY_MORE;

	smtpreply_init(&r);
	for (i = 0; i < sizeof(in) - 1 && res == SMTPREPLY_MORE; i++) {
		buf[have++] = in[i];
		res = smtpreply_feed(&r, buf, have, &used, NULL);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	tap_is_int(res, SMTPREPLY_DONE, "byte at a time: done");
	tap_is_int((long)i, (long)sizeof(in) - 1, "byte at a time: at the end");
	tap_is_int(r.starttls, 1, "byte at a time: STARTTLS seen");
}

static void
run_limits(void)
{
	static char buf[SMTPREPLY_LINE_MAX * 2];
	struct smtpreply r;
	const char *why = NULL;
	size_t used, n = 0, i;

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "220 ", 4);
	smtpreply_init(&r);
	tap_is_int(smtpreply_feed(&r, buf, SMTPREPLY_LINE_MAX, &used, &why),
	    SMTPREPLY_BAD, "a line of SMTPREPLY_LINE_MAX bytes, no LF: bad");
	tap_is_str(why, "reply line too long", "overlong: why");
	smtpreply_init(&r);
	tap_is_int(smtpreply_feed(&r, buf, SMTPREPLY_LINE_MAX - 1, &used,
	    &why), SMTPREPLY_MORE, "one byte less: more");
	buf[SMTPREPLY_LINE_MAX + 10] = '\n';
	smtpreply_init(&r);
	tap_is_int(smtpreply_feed(&r, buf, SMTPREPLY_LINE_MAX + 11, &used,
	    &why), SMTPREPLY_BAD, "overlong line with its LF: bad");
	for (i = 0; i < SMTPREPLY_LINES_MAX; i++) {
		memcpy(buf + n, "250-x\n", 6);
		n += 6;
		if (n + 6 > sizeof(buf))
			break;
	}
	smtpreply_init(&r);
	for (i = 0; i < 3 * SMTPREPLY_LINES_MAX; i++)
		if (smtpreply_feed(&r, "250-x\n", 6, &used, &why) !=
		    SMTPREPLY_MORE)
			break;
	tap_is_int((long)i, SMTPREPLY_LINES_MAX - 1,
	    "too many lines: bad at SMTPREPLY_LINES_MAX");
	tap_is_str(why, "reply of too many lines", "too many lines: why");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	run_bytewise();
	run_limits();
	return tap_done();
}
