/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_verdict.c: verdict_profile() as a table: lookup status, source,
 * policy mode and patterns, and profile in; verdict, value or reason
 * and fit out.  The rule under test: only an answered policy is OK,
 * only "no policy" (or a policy the profile does not answer) is
 * NOTFOUND, and every local failure, or a policy that cannot be
 * written, is TEMP: a NOTFOUND there would downgrade TLS.
 */
#include <stdio.h>
#include <string.h>

#include "lookup.h"
#include "record.h"
#include "reply.h"
#include "tap.h"
#include "verdict.h"

#define PF(a, b, c)	REPLY_PF(a, b, c)
#define OK2		"secure match=mx.example.com:.example.net " \
			"servername=hostname"

/* Profiles as mtastsd.conf(5) builds them. */
#define PLAIN		{ PF(3, 4, 0), 0, 0, 1 }
#define PLAIN_OLD	{ PF(3, 3, 0), 0, 0, 1 }
#define TESTING		{ PF(3, 4, 0), 0, 1, 1 }
#define NOLIST		{ PF(3, 4, 0), 0, 0, 0 }
#define TLSRPT		{ PF(3, 10, 0), 1, 0, 1 }

struct vcase {
	const char		*name;
	enum lookup_status	 status;
	enum lookup_source	 source;
	int			 has_policy;
	enum record_mode	 mode;
	size_t			 nmx;
	const char		*mx[2];
	const char		*error;
	struct reply_profile	 prof;
	size_t			 outsize;	/* 0: a large buffer */
	enum verdict		 want;
	const char		*out;		/* value or reason */
	enum reply_fit		 fit;
};

static const struct vcase cases[] = {
	{ "enforce from the cache: OK", LOOKUP_POLICY, LOOKUP_SRC_CACHE, 1,
	    RECORD_MODE_ENFORCE, 2, { "mx.example.com", "*.example.net" },
	    NULL, PLAIN, 0, VERDICT_OK, OK2, REPLY_FIT_FULL },
	{ "enforce just discovered: OK", LOOKUP_POLICY, LOOKUP_SRC_DISCOVERY,
	    1, RECORD_MODE_ENFORCE, 2, { "mx.example.com", "*.example.net" },
	    NULL, PLAIN, 0, VERDICT_OK, OK2, REPLY_FIT_FULL },
	{ "Postfix 3.3: no servername=", LOOKUP_POLICY, LOOKUP_SRC_CACHE, 1,
	    RECORD_MODE_ENFORCE, 1, { "mx.example.com" }, NULL, PLAIN_OLD, 0,
	    VERDICT_OK, "secure match=mx.example.com",
	    REPLY_FIT_FULL },
	{ "testing: NOTFOUND (RFC 8461 §5)", LOOKUP_POLICY, LOOKUP_SRC_CACHE,
	    1, RECORD_MODE_TESTING, 1, { "mx.example.com" }, NULL, PLAIN, 0,
	    VERDICT_NOTFOUND, "", REPLY_FIT_FULL },
	{ "testing with enforce_testing: OK", LOOKUP_POLICY,
	    LOOKUP_SRC_CACHE, 1, RECORD_MODE_TESTING, 1, { "mx.example.com" },
	    NULL, TESTING, 0, VERDICT_OK,
	    "secure match=mx.example.com servername=hostname",
	    REPLY_FIT_FULL },
	{ "none: NOTFOUND", LOOKUP_POLICY, LOOKUP_SRC_CACHE, 1,
	    RECORD_MODE_NONE, 0, { NULL }, NULL, TESTING, 0,
	    VERDICT_NOTFOUND, "", REPLY_FIT_FULL },
	{ "list entry: OK", LOOKUP_POLICY, LOOKUP_SRC_LIST, 1,
	    RECORD_MODE_ENFORCE, 1, { "*.example.net" }, NULL, PLAIN, 0,
	    VERDICT_OK, "secure match=.example.net servername=hostname", REPLY_FIT_FULL },
	{ "list entry, list_policies off: NOTFOUND", LOOKUP_POLICY,
	    LOOKUP_SRC_LIST, 1, RECORD_MODE_ENFORCE, 1, { "*.example.net" },
	    NULL, NOLIST, 0, VERDICT_NOTFOUND, "", REPLY_FIT_FULL },
	{ "list entry, TLSRPT profile: no TLSRPT attributes",
	    LOOKUP_POLICY, LOOKUP_SRC_LIST, 1, RECORD_MODE_ENFORCE, 1,
	    { "mx.example.com" }, NULL, TLSRPT, 0, VERDICT_OK,
	    "secure match=mx.example.com servername=hostname",
	    REPLY_FIT_FULL },
	{ "TLSRPT profile: attributes and the rendered text",
	    LOOKUP_POLICY, LOOKUP_SRC_CACHE, 1, RECORD_MODE_ENFORCE, 1,
	    { "mx.example.com" }, NULL, TLSRPT, 0, VERDICT_OK,
	    "secure match=mx.example.com servername=hostname "
	    "policy_type=sts policy_domain=example.com "
	    "mx_host_pattern=mx.example.com "
	    "{ policy_string = version: STSv1 } "
	    "{ policy_string = mode: enforce } "
	    "{ policy_string = mx: mx.example.com } "
	    "{ policy_string = max_age: 86400 }", REPLY_FIT_FULL },
	{ "TLSRPT profile, small buffer: policy_string left out",
	    LOOKUP_POLICY, LOOKUP_SRC_CACHE, 1, RECORD_MODE_ENFORCE, 1,
	    { "mx.example.com" }, NULL, TLSRPT, 140, VERDICT_OK,
	    "secure match=mx.example.com servername=hostname "
	    "policy_type=sts policy_domain=example.com "
	    "mx_host_pattern=mx.example.com", REPLY_FIT_NO_STRINGS },
	/* Fail closed: an enforced policy that cannot be written. */
	{ "enforce without a pattern (all dropped): TEMP", LOOKUP_POLICY,
	    LOOKUP_SRC_CACHE, 1, RECORD_MODE_ENFORCE, 0, { NULL }, NULL,
	    PLAIN, 0, VERDICT_TEMP, "policy-unusable", REPLY_FIT_FULL },
	{ "enforce, a pattern Postfix would misread: TEMP", LOOKUP_POLICY,
	    LOOKUP_SRC_CACHE, 1, RECORD_MODE_ENFORCE, 2,
	    { "mx.example.com", "a:b" }, NULL, PLAIN, 0, VERDICT_TEMP,
	    "policy-unusable", REPLY_FIT_FULL },
	{ "enforce, value over the buffer: TEMP", LOOKUP_POLICY,
	    LOOKUP_SRC_CACHE, 1, RECORD_MODE_ENFORCE, 1, { "mx.example.com" },
	    NULL, PLAIN, 20, VERDICT_TEMP, "policy-unusable",
	    REPLY_FIT_FULL },
	{ "policy status without a policy: TEMP", LOOKUP_POLICY,
	    LOOKUP_SRC_CACHE, 0, RECORD_MODE_ENFORCE, 0, { NULL }, NULL,
	    PLAIN, 0, VERDICT_TEMP, "policy-missing", REPLY_FIT_FULL },
	{ "no policy: NOTFOUND", LOOKUP_NONE, LOOKUP_SRC_DISCOVERY, 0, 0, 0,
	    { NULL }, "txt-none", PLAIN, 0, VERDICT_NOTFOUND, "",
	    REPLY_FIT_FULL },
	{ "negative entry: NOTFOUND", LOOKUP_NONE, LOOKUP_SRC_NEGATIVE, 0, 0,
	    0, { NULL }, "https-status", PLAIN, 0, VERDICT_NOTFOUND, "",
	    REPLY_FIT_FULL },
	{ "temporary failure: TEMP and its code", LOOKUP_TEMP,
	    LOOKUP_SRC_NONE, 0, 0, 0, { NULL }, "cache-error", PLAIN, 0,
	    VERDICT_TEMP, "cache-error", REPLY_FIT_FULL },
	{ "temporary failure without a code", LOOKUP_TEMP, LOOKUP_SRC_NONE,
	    0, 0, 0, { NULL }, NULL, PLAIN, 0, VERDICT_TEMP, "lookup-failed", REPLY_FIT_FULL },
	{ "temporary failure, empty code", LOOKUP_TEMP, LOOKUP_SRC_NONE, 0,
	    0, 0, { NULL }, "", PLAIN, 0, VERDICT_TEMP, "lookup-failed",
	    REPLY_FIT_FULL },
	{ "unknown status: TEMP", (enum lookup_status)42, LOOKUP_SRC_NONE, 0,
	    0, 0, { NULL }, "x", PLAIN, 0, VERDICT_TEMP, "x",
	    REPLY_FIT_FULL },
};

static void
run_case(const struct vcase *c)
{
	static char out[REPLY_SOCKETMAP_MAX], text[RECORD_TEXT_RENDER_MAX];
	static struct record_policy p;
	struct lookup_answer a;
	size_t size = c->outsize ? c->outsize : sizeof(out), i;
	enum reply_fit fit = (enum reply_fit)-1;
	enum verdict v;

	memset(&p, 0, sizeof(p));
	p.mode = c->mode;
	p.max_age = 86400;
	p.nmx = c->nmx;
	for (i = 0; i < c->nmx; i++)
		p.mx[i] = c->mx[i];
	p.text_form = RECORD_TEXT_LF;	/* rendered for TLSRPT */
	memset(&a, 0, sizeof(a));
	a.domain = "example.com";
	a.status = c->status;
	a.source = c->source;
	a.policy = c->has_policy ? &p : NULL;
	a.error = c->error;
	memset(out, 'X', sizeof(out));
	v = verdict_profile(&a, &c->prof, text, sizeof(text), out, size,
	    &fit);
	if (!tap_is_str(verdict_str(v), verdict_str(c->want), c->name))
		tap_diag("out \"%.200s\"", out);
	tap_is_str(out, c->out, c->name);
	tap_is_int(fit, c->fit, c->name);
}

/* DANE first (RFC 8461 §2): every answer kind, every profile. */
static void
test_dane(void)
{
	static const struct {
		enum lookup_dane	 dane;
		enum verdict		 want;
		const char		*out;
	} rows[] = {
		{ LOOKUP_DANE_ONLY, VERDICT_OK, "dane-only" },
		{ LOOKUP_DANE_YES, VERDICT_OK, "dane" },
		{ LOOKUP_DANE_TEMP, VERDICT_TEMP, "dnssec-lookup-failed" },
	};
	const struct reply_profile profs[] = { PLAIN, TLSRPT, NOLIST };
	const enum lookup_status st[] = { LOOKUP_POLICY, LOOKUP_NONE,
	    LOOKUP_TEMP };
	static char text[RECORD_TEXT_RENDER_MAX];
	static struct record_policy p;
	struct lookup_answer a;
	char out[256];
	size_t r, i, k;
	int ok;

	p.mode = RECORD_MODE_ENFORCE;
	p.nmx = 1;
	p.mx[0] = "mx.example.com";
	p.text_form = RECORD_TEXT_LF;
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		ok = 1;
		for (i = 0; i < sizeof(profs) / sizeof(profs[0]); i++)
			for (k = 0; k < sizeof(st) / sizeof(st[0]); k++) {
				memset(&a, 0, sizeof(a));
				a.domain = "example.com";
				a.status = st[k];
				a.source = LOOKUP_SRC_CACHE;
				a.policy = st[k] == LOOKUP_POLICY ? &p : NULL;
				a.error = "cache-error";
				a.dane = rows[r].dane;
				if (verdict_profile(&a, &profs[i], text,
				    sizeof(text), out, sizeof(out), NULL) !=
				    rows[r].want || strcmp(out, rows[r].out) != 0)
					ok = 0;
			}
		tap_ok(ok, "DANE %s: %s \"%s\" whatever the MTA-STS answer and "
		    "the profile (no TLSRPT attributes)",
		    lookup_dane_str(rows[r].dane), verdict_str(rows[r].want),
		    rows[r].out);
	}
	/* No DANE: the MTA-STS answer, unchanged. */
	memset(&a, 0, sizeof(a));
	a.domain = "example.com";
	a.status = LOOKUP_POLICY;
	a.source = LOOKUP_SRC_CACHE;
	a.policy = &p;
	a.dane = LOOKUP_DANE_NONE;
	a.dane_why = "no MX host has validated TLSA records";
	tap_ok(verdict_profile(&a, &profs[0], text, sizeof(text), out,
	    sizeof(out), NULL) == VERDICT_OK &&
	    strcmp(out, "secure match=mx.example.com servername=hostname") ==
	    0, "no DANE: the MTA-STS value");
}

int
main(void)
{
	struct reply_profile tl = TLSRPT;
	struct lookup_answer a;
	static struct record_policy p;
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	/* No scratch for the text: the TLSRPT value goes without it. */
	memset(&a, 0, sizeof(a));
	p.mode = RECORD_MODE_ENFORCE;
	p.nmx = 1;
	p.mx[0] = "mx.example.com";
	p.text_form = RECORD_TEXT_LF;
	a.domain = "example.com";
	a.status = LOOKUP_POLICY;
	a.policy = &p;
	tap_ok(verdict_profile(&a, &tl, NULL, 0, out, sizeof(out), NULL) ==
	    VERDICT_OK && strstr(out, "policy_string") == NULL &&
	    strstr(out, "mx_host_pattern=mx.example.com") != NULL,
	    "no text buffer: TLSRPT attributes without policy_string");
	test_dane();
	tap_is_str(verdict_str(VERDICT_OK), "OK", "verdict_str OK");
	tap_is_str(verdict_str(VERDICT_NOTFOUND), "NOTFOUND",
	    "verdict_str NOTFOUND");
	tap_is_str(verdict_str(VERDICT_TEMP), "TEMP", "verdict_str TEMP");
	tap_is_str(verdict_str((enum verdict)3), "invalid",
	    "verdict_str out of range");
	return tap_done();
}
