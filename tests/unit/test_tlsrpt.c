/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_tlsrpt.c: unit tests for the "_smtp._tls" TXT record parser
 * (resolver/tlsrpt.c, RFC 8460 §3).
 *
 * Each case is parsed from a heap buffer of exactly its length (ASan
 * sees a read past `len`), and checks the result, the exact reason,
 * the URIs kept, and that out == NULL / why == NULL give the same
 * result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tlsrpt.h"

#define T(s) (s), (sizeof(s) - 1)

#define W_NONE	"the record does not start with \"v=TLSRPTv1\""
#define W_NOF	"no field after the version"
#define W_NORUA	"no rua field"
#define W_SCHEME "rua URI is neither mailto: nor https:"
#define W_MAILTO "mailto: URI without one local@domain address"

struct parse_case {
	const char		*name;
	const char		*txt;
	size_t			 len;
	enum tlsrpt_result	 want;
	const char		*want_why;
	const char		*uri0, *uri1;	/* NULL: fewer URIs */
};

static const struct parse_case cases[] = {
	{ "mailto", T("v=TLSRPTv1; rua=mailto:tlsrpt@example.com"),
	    TLSRPT_OK, NULL, "mailto:tlsrpt@example.com", NULL },
	{ "https", T("v=TLSRPTv1;rua=https://r.example.com/v1"),
	    TLSRPT_OK, NULL, "https://r.example.com/v1", NULL },
	{ "two URIs with WSP", T("v=TLSRPTv1; rua=mailto:a@b.example , "
	    "https://c.example/x;"), TLSRPT_OK, NULL,
	    "mailto:a@b.example", "https://c.example/x" },
	{ "scheme case", T("v=TLSRPTv1; rua=MAILTO:a@b.example"),
	    TLSRPT_OK, NULL, "MAILTO:a@b.example", NULL },
	{ "extension kept out", T("v=TLSRPTv1; x-y=1; rua=mailto:a@b.c"),
	    TLSRPT_OK, NULL, "mailto:a@b.c", NULL },
	{ "trailing delim and WSP", T("v=TLSRPTv1 ;\trua=mailto:a@b.c ; "),
	    TLSRPT_OK, NULL, "mailto:a@b.c", NULL },
	{ "not a TLSRPT record", T("v=spf1 -all"), TLSRPT_NONE, W_NONE,
	    NULL, NULL },
	{ "version prefix of a longer token", T("v=TLSRPTv10; rua=mailto:a@b"),
	    TLSRPT_NONE, W_NONE, NULL, NULL },
	{ "version case", T("v=tlsrptv1; rua=mailto:a@b.c"), TLSRPT_NONE,
	    W_NONE, NULL, NULL },
	{ "empty", T(""), TLSRPT_NONE, W_NONE, NULL, NULL },
	{ "version only", T("v=TLSRPTv1"), TLSRPT_INVALID, W_NOF, NULL,
	    NULL },
	{ "version and delim", T("v=TLSRPTv1;"), TLSRPT_INVALID,
	    "empty field", NULL, NULL },
	{ "no rua", T("v=TLSRPTv1; x=1"), TLSRPT_INVALID, W_NORUA, NULL,
	    NULL },
	{ "rua case-sensitive", T("v=TLSRPTv1; RUA=mailto:a@b.c"),
	    TLSRPT_INVALID, W_NORUA, NULL, NULL },
	{ "empty rua", T("v=TLSRPTv1; rua="), TLSRPT_INVALID,
	    "empty rua URI", NULL, NULL },
	{ "empty URI in list", T("v=TLSRPTv1; rua=mailto:a@b.c,,"),
	    TLSRPT_INVALID, "empty rua URI", NULL, NULL },
	{ "http scheme", T("v=TLSRPTv1; rua=http://r.example/"),
	    TLSRPT_INVALID, W_SCHEME, NULL, NULL },
	{ "bare address", T("v=TLSRPTv1; rua=a@b.example"),
	    TLSRPT_INVALID, W_SCHEME, NULL, NULL },
	{ "mailto without @", T("v=TLSRPTv1; rua=mailto:reports"),
	    TLSRPT_INVALID, W_MAILTO, NULL, NULL },
	{ "mailto empty local", T("v=TLSRPTv1; rua=mailto:@b.c"),
	    TLSRPT_INVALID, W_MAILTO, NULL, NULL },
	{ "mailto two @", T("v=TLSRPTv1; rua=mailto:a@b@c"),
	    TLSRPT_INVALID, W_MAILTO, NULL, NULL },
	{ "mailto empty", T("v=TLSRPTv1; rua=mailto:"), TLSRPT_INVALID,
	    W_SCHEME, NULL, NULL },
	{ "https without host", T("v=TLSRPTv1; rua=https:///x"),
	    TLSRPT_INVALID, "https: URI without a host", NULL, NULL },
	{ "two rua", T("v=TLSRPTv1; rua=mailto:a@b.c; rua=mailto:d@e.f"),
	    TLSRPT_INVALID, "more than one rua field", NULL, NULL },
	{ "space inside URI", T("v=TLSRPTv1; rua=mailto:a b@c.d"),
	    TLSRPT_INVALID, "space in a rua URI", NULL, NULL },
	{ "double delim", T("v=TLSRPTv1;; rua=mailto:a@b.c"),
	    TLSRPT_INVALID, "empty field", NULL, NULL },
	{ "field without =", T("v=TLSRPTv1; rua=mailto:a@b.c; junk"),
	    TLSRPT_INVALID, "field without \"=\"", NULL, NULL },
	{ "bad ext name", T("v=TLSRPTv1; _x=1; rua=mailto:a@b.c"),
	    TLSRPT_INVALID, "invalid field name", NULL, NULL },
	{ "NUL", T("v=TLSRPTv1; rua=mailto:a@b.c\0"), TLSRPT_INVALID,
	    "NUL byte", NULL, NULL },
	{ "LF", T("v=TLSRPTv1; rua=mailto:a@b.c\n"), TLSRPT_INVALID,
	    "control character", NULL, NULL },
	{ "8-bit", T("v=TLSRPTv1; rua=mailto:\xc3\xa9@b.c"),
	    TLSRPT_INVALID, "non-ASCII byte", NULL, NULL },
	{ "nine URIs", T("v=TLSRPTv1; rua=mailto:a@b,mailto:a@b,mailto:a@b,"
	    "mailto:a@b,mailto:a@b,mailto:a@b,mailto:a@b,mailto:a@b,"
	    "mailto:a@b"), TLSRPT_INVALID, "too many rua URIs", NULL, NULL },
};

static void
check_uri(const struct tlsrpt *out, size_t i, const char *want,
    const char *name)
{
	char label[160];

	snprintf(label, sizeof(label), "%s: uri %zu", name, i);
	tap_is_str(i < out->nuri ? out->uri[i] : NULL, want, label);
}

static void
run_case(const struct parse_case *c)
{
	struct tlsrpt out;
	const char *why = "unset";
	char label[160];
	char *buf = malloc(c->len ? c->len : 1);
	enum tlsrpt_result r;

	memcpy(buf, c->txt, c->len);
	r = tlsrpt_parse(buf, c->len, &out, &why);
	snprintf(label, sizeof(label), "%s: result", c->name);
	tap_is_int(r, c->want, label);
	snprintf(label, sizeof(label), "%s: why", c->name);
	tap_is_str(why, c->want_why, label);
	check_uri(&out, 0, c->uri0, c->name);
	check_uri(&out, 1, c->uri1, c->name);
	snprintf(label, sizeof(label), "%s: same without out/why", c->name);
	tap_is_int(tlsrpt_parse(buf, c->len, NULL, NULL), c->want, label);
	free(buf);
}

static void
run_select(void)
{
	const char *one[] = { "v=spf1 -all",
	    "v=TLSRPTv1; rua=mailto:a@b.c" };
	const char *two[] = { "v=TLSRPTv1; rua=mailto:a@b.c",
	    "v=TLSRPTv1; rua=https://x.example/" };
	size_t lens[2];
	struct tlsrpt out;
	const char *why;

	lens[0] = strlen(one[0]);
	lens[1] = strlen(one[1]);
	tap_is_int(tlsrpt_select(one, lens, 2, &out, &why), TLSRPT_OK,
	    "select: the TLSRPT record among others");
	tap_is_int((long)out.nuri, 1, "select: its URI");
	lens[0] = strlen(two[0]);
	lens[1] = strlen(two[1]);
	tap_is_int(tlsrpt_select(two, lens, 2, &out, &why), TLSRPT_MULTIPLE,
	    "select: two records");
	tap_is_str(why, "more than one record starts with \"v=TLSRPTv1\"",
	    "select: two records, why");
	tap_is_int(tlsrpt_select(one, lens, 1, &out, &why), TLSRPT_NONE,
	    "select: none");
	tap_is_int(tlsrpt_select(NULL, NULL, 3, &out, &why), TLSRPT_NONE,
	    "select: NULL arrays");
}

static void
run_long_uri(void)
{
	char buf[400];
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "v=TLSRPTv1; rua=mailto:a@");
	memset(buf + n, 'b', sizeof(buf) - n);
	tap_is_int(tlsrpt_parse(buf, sizeof(buf), NULL, NULL), TLSRPT_INVALID,
	    "URI over TLSRPT_URI_LEN");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	run_select();
	run_long_uri();
	tap_is_str(tlsrpt_code(TLSRPT_MULTIPLE), "multiple", "code");
	tap_is_str(tlsrpt_code((enum tlsrpt_result)9), "unknown",
	    "code out of range");
	return tap_done();
}
