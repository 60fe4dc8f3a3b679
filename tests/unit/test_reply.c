/*
 * test_reply.c: reply_postfix() as a table of cases.  Which modes get
 * an answer is the callers' choice (sockmap.c, cmd_resolve.c), so every
 * case here is a policy whose patterns would be answered.
 *
 * Most policies come from stspol_parse(), so the test sees exactly what
 * the resolver hands over; a few are built by hand to hold what the
 * parser would never produce (no mx in enforce mode, patterns with
 * bytes Postfix would misread), because reply.c must refuse those on
 * its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "stspol.h"
#include "tap.h"

#define P(mode, mx) "version: STSv1\r\nmode: " mode "\r\n" mx \
	"max_age: 86400\r\n"

struct reply_case {
	const char	*name;
	const char	*policy;	/* body for stspol_parse, or NULL */
	const char	*raw[4];	/* hand-made enforce patterns */
	size_t		 nraw;
	size_t		 outsize;	/* 0: a large buffer */
	int		 ok;
	const char	*want;		/* expected text when ok */
};

static const struct reply_case cases[] = {
	{ "one mx", P("enforce", "mx: mx.example.com\r\n"), { NULL }, 0, 0,
	    1, "secure match=mx.example.com servername=hostname" },
	{ "wildcard becomes parent form",
	    P("enforce", "mx: *.example.net\r\n"), { NULL }, 0, 0, 1,
	    "secure match=.example.net servername=hostname" },
	{ "policy order kept",
	    P("enforce", "mx: b.example\r\nmx: *.a.example\r\nmx: c.example\r\n"),
	    { NULL }, 0, 0, 1,
	    "secure match=b.example:.a.example:c.example servername=hostname" },
	{ "wildcard and its base are different patterns",
	    P("enforce", "mx: *.example.com\r\nmx: example.com\r\n"),
	    { NULL }, 0, 0, 1,
	    "secure match=.example.com:example.com servername=hostname" },
	{ "exact duplicates dropped, first place kept",
	    P("enforce", "mx: a.example\r\nmx: b.example\r\nmx: a.example\r\n"),
	    { NULL }, 0, 0, 1,
	    "secure match=a.example:b.example servername=hostname" },
	{ "names lowercased by the parser",
	    P("enforce", "mx: MX1.Example.COM\r\n"), { NULL }, 0, 0, 1,
	    "secure match=mx1.example.com servername=hostname" },
	{ "trailing dot removed by the parser",
	    P("enforce", "mx: mx.example.org.\r\n"), { NULL }, 0, 0, 1,
	    "secure match=mx.example.org servername=hostname" },
	{ "buffer exactly one byte short",
	    P("enforce", "mx: mx.example.com\r\n"), { NULL }, 0,
	    sizeof("secure match=mx.example.com servername=hostname") - 1,
	    0, "" },
	{ "buffer exactly large enough",
	    P("enforce", "mx: mx.example.com\r\n"), { NULL }, 0,
	    sizeof("secure match=mx.example.com servername=hostname"), 1,
	    "secure match=mx.example.com servername=hostname" },
	{ "buffer of one byte", P("enforce", "mx: m.example\r\n"), { NULL },
	    0, 1, 0, "" },
	{ "enforce without mx: never an empty match=", NULL, { NULL }, 0, 0,
	    0, "" },
	{ "colon in a pattern refused", NULL, { "a.example:b" }, 1, 0, 0,
	    "" },
	{ "space in a pattern refused", NULL, { "a.example b=c" }, 1, 0, 0,
	    "" },
	{ "wildcard not left-most refused", NULL, { "a.*.example" }, 1, 0,
	    0, "" },
	{ "bare star refused", NULL, { "*" }, 1, 0, 0, "" },
	{ "empty pattern refused", NULL, { "ok.example", "" }, 2, 0, 0, "" },
	{ "hand-made good patterns", NULL, { "*.x.example", "y.example" }, 2,
	    0, 1, "secure match=.x.example:y.example servername=hostname" },
};

/* reply_of: the patterns of p as reply_postfix() takes them. */
static int
reply_of(const struct stspol *p, char *out, size_t size)
{
	const char *mx[STSPOL_MX_MAX];
	size_t i;

	if (p == NULL)
		return reply_postfix(NULL, 0, out, size);
	for (i = 0; i < p->nmx; i++)
		mx[i] = stspol_mx(p, i);
	return reply_postfix(mx, p->nmx, out, size);
}

/* Build an enforce policy from raw patterns, as the parser lays it out. */
static void
raw_policy(struct stspol *p, const char *const *raw, size_t n)
{
	size_t i, off = 0;

	memset(p, 0, sizeof(*p));
	p->mode = STSPOL_MODE_ENFORCE;
	p->max_age = 86400;
	for (i = 0; i < n; i++) {
		p->mx_off[i] = (uint16_t)off;
		memcpy(p->names + off, raw[i], strlen(raw[i]) + 1);
		off += strlen(raw[i]) + 1;
	}
	p->nmx = n;
}

static void
run_case(const struct reply_case *c, struct stspol *p)
{
	char out[1024];
	const char *why = NULL;
	size_t size = c->outsize ? c->outsize : sizeof(out);
	int r;

	if (c->policy != NULL) {
		if (stspol_parse(c->policy, strlen(c->policy), p, &why) != 0) {
			tap_ok(0, "%s: policy parses", c->name);
			tap_diag("got \"%s\", want a valid policy", why);
			return;
		}
	} else
		raw_policy(p, c->raw, c->nraw);
	memset(out, 'X', sizeof(out));
	r = reply_of(p, out, size);
	if (!tap_is_int(r >= 0, c->ok, c->name))
		tap_diag("output \"%.*s\"", (int)(size < 200 ? size : 200), out);
	if (c->ok) {
		tap_is_str(out, c->want, c->name);
		tap_is_int(r, (int)strlen(c->want), c->name);
	} else
		tap_is_str(out, "", c->name);
}

/* 128 patterns of 253 bytes: fits in 40000 bytes, not in 4000. */
static void
run_many(struct stspol *p)
{
	static char body[STSPOL_MAX_SIZE];
	static char out[40000];
	char label[64], tld[64];
	size_t i, off;
	int r;

	off = (size_t)snprintf(body, sizeof(body),
	    "version: STSv1\nmode: enforce\nmax_age: 86400\n");
	memset(tld, 'z', 63);
	tld[63] = '\0';
	for (i = 0; i < STSPOL_MX_MAX; i++) {
		/* 61 + 1 + 63 + 1 + 63 + 1 + 63 = 253 bytes, all distinct */
		snprintf(label, sizeof(label), "%03zu%058d", i, 0);
		off += (size_t)snprintf(body + off, sizeof(body) - off,
		    "mx: %s.%063d.%063d.%s\n", label, 0, 0, tld);
	}
	if (!tap_ok(stspol_parse(body, off, p, NULL) == 0 &&
	    p->nmx == STSPOL_MX_MAX, "128 long patterns parse"))
		return;
	r = reply_of(p, out, sizeof(out));
	tap_is_int(r, (int)(strlen("secure match=") + 128 * 253 + 127 +
	    strlen(" servername=hostname")), "128 long patterns fit");
	tap_is_int(reply_of(p, out, 4000), -1, "128 long patterns "
	    "do not fit in 4000 bytes");
	tap_is_str(out, "", "nothing left behind on overflow");
}

int
main(void)
{
	struct stspol *p;
	char out[8];
	size_t i;

	if ((p = malloc(sizeof(*p))) == NULL)
		return 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], p);
	run_many(p);
	tap_is_int(reply_of(NULL, out, sizeof(out)), -1, "no patterns");
	tap_is_int(reply_of(p, out, 0), -1, "zero-size buffer");
	free(p);
	return tap_done();
}
