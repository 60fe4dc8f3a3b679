/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_checkfind.c: unit tests for src/checkfind.c, the judgements of
 * `mtasts check`.
 *
 * Each case starts from the facts of a domain where everything is
 * right (one MX host covered by an enforce policy, STARTTLS, TLS 1.3, a
 * valid certificate 60 days from expiry, a TLSRPT record), changes one
 * thing, and checks the findings it expects by name, subject and level
 * (and a piece of the text where the advice matters), and the exit
 * status the findings give.  `now` is fixed: nothing reads the clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "checkfind.h"
#include "stspol.h"
#include "tap.h"
#include "tlslist.h"

#define NOW	1800000000
#define DAY	86400

static struct stspol pol;
static struct checkfind_list out;
static struct checkfind_host hosts[3];
static struct resolve_step_info steps[RESOLVE_STEP_COUNT];
static const char *txts[2];
static size_t lens[2];
static struct tlslist *list;
static struct danechk_result dane;

/* A list naming a.test (enforce, mx.a.test), in force until 2030. */
static const char list_json[] = "{\"version\":\"0.1\","
    "\"timestamp\":1700000000,\"expires\":1900000000,\"policies\":{"
    "\"a.test\":{\"mode\":\"enforce\",\"mxs\":[\"mx.a.test\"]},"
    "\"b.test\":{\"mode\":\"testing\",\"mxs\":[\".b.test\"]}}}";

/* A policy parsed from `text` into pol; returns &pol or NULL. */
static const struct stspol *
policy(const char *text)
{
	return stspol_parse(text, strlen(text), &pol, NULL) == 0 ? &pol : NULL;
}

static const char *good_body = "version: STSv1\r\nmode: enforce\r\n"
    "mx: mx.a.test\r\nmax_age: 1209600\r\n";

static void
host(struct checkfind_host *h, const char *name, const char *ip)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->pref = 10;
	h->a = DNS_OK;
	h->aaaa = DNS_NODATA;
	h->naddr = 1;
	h->addr[0].addr.family = AF_INET;
	inet_pton(AF_INET, ip, &h->addr[0].addr.u.v4);
	h->addr[0].probed = 1;
	h->addr[0].probe.status = SMTPPROBE_OK;
	h->addr[0].probe.step = SMTPPROBE_STEP_QUIT;
	h->addr[0].probe.starttls = 1;
	h->addr[0].probe.tls = 1;
	snprintf(h->addr[0].probe.protocol, 16, "TLSv1.3");
	snprintf(h->addr[0].probe.cipher, 64, "TLS_AES_256_GCM_SHA384");
	h->addr[0].probe.verified = 1;
	h->addr[0].probe.have_expiry = 1;
	h->addr[0].probe.not_after = NOW + 60 * DAY;
}

/* The facts of a domain where everything is right. */
static void
base(struct checkfind_facts *x)
{
	int i;

	memset(x, 0, sizeof(*x));
	memset(steps, 0, sizeof(steps));
	for (i = 0; i < RESOLVE_STEP_COUNT; i++) {
		steps[i].ran = steps[i].done = 1;
		snprintf(steps[i].detail, sizeof(steps[i].detail), "fine");
	}
	x->domain = "a.test";
	x->now = NOW;
	x->sts_err = RESOLVE_OK;
	x->sts_detail = "";
	x->sts_id = "20260101";
	x->policy = policy(good_body);
	x->body = good_body;
	x->body_len = strlen(good_body);
	x->step = steps;
	x->mx = DNS_OK;
	host(&hosts[0], "mx.a.test", "192.0.2.1");
	x->nhosts = 1;
	x->hosts = hosts;
	x->smtp = 1;
	x->tlsrpt = DNS_OK;
	txts[0] = "v=TLSRPTv1; rua=mailto:r@a.test";
	lens[0] = strlen(txts[0]);
	x->tlsrpt_txt = txts;
	x->tlsrpt_len = lens;
	x->tlsrpt_n = 1;
	x->list = list;
	memset(&dane, 0, sizeof(dane));
	dane.domain = "a.test";
	dane.verdict = DANE_NO;
	dane.why = "no MX host has validated TLSA records";
	dane.mx = DANE_DNS_INSECURE;
	dane.nhosts = 1;
	snprintf(dane.host[0].name, sizeof(dane.host[0].name), "mx.a.test");
	dane.host[0].status = DNS_NXDOMAIN;
	dane.host[0].tlsa = DANE_TLSA_INSECURE;
	x->dane = &dane;
}

/* The finding `name` (with `subject`, or any when NULL). */
static const struct checkfind *
get(const char *name, const char *subject)
{
	size_t i;

	for (i = 0; i < out.n; i++)
		if (strcmp(out.f[i].name, name) == 0 && (subject == NULL ||
		    strcmp(out.f[i].subject, subject) == 0))
			return &out.f[i];
	return NULL;
}

static void
want(const char *c, const char *name, const char *subject,
    enum checkfind_level level, const char *text)
{
	const struct checkfind *f = get(name, subject);
	char label[200];

	snprintf(label, sizeof(label), "%s: %s%s%s is %s", c, name,
	    subject ? " " : "", subject ? subject : "",
	    checkfind_level_str(level));
	if (!tap_ok(f != NULL && f->level == level && (text == NULL ||
	    strstr(f->text, text) != NULL), "%s", label))
		tap_diag("got %s: %s", f ? checkfind_level_str(f->level) :
		    "(none)", f ? f->text : "");
}

static void
absent(const char *c, const char *name)
{
	tap_ok(get(name, NULL) == NULL, "%s: no %s finding", c, name);
}

static void
status(const char *c, int want_status)
{
	char label[120];

	snprintf(label, sizeof(label), "%s: exit status", c);
	tap_is_int(checkfind_status(&out), want_status, label);
}

static void
run(const struct checkfind_facts *x)
{
	checkfind_run(x, &out);
}

static void
test_good(void)
{
	struct checkfind_facts x;
	size_t i;
	int all = 1;

	base(&x);
	run(&x);
	for (i = 0; i < out.n; i++)
		all = all && out.f[i].level == CHECKFIND_OK;
	tap_ok(all && out.n == 16, "good: 16 findings, all ok (%zu)", out.n);
	status("good", 0);
	want("good", "sts-txt", NULL, CHECKFIND_OK, "id=20260101");
	want("good", "sts-line-endings", NULL, CHECKFIND_OK, "CRLF");
	want("good", "mx-covered", "mx.a.test", CHECKFIND_OK, "mx.a.test");
	want("good", "smtp-tls", "mx.a.test [192.0.2.1]", CHECKFIND_OK,
	    "TLSv1.3");
	want("good", "smtp-certificate-expiry", NULL, CHECKFIND_OK, "60 days");
}

static void
test_txt(void)
{
	struct checkfind_facts x;

	base(&x);
	x.sts_err = steps[RESOLVE_STEP_TXT].err = RESOLVE_TXT_NONE;
	x.policy = NULL;
	x.sts_id = NULL;
	steps[RESOLVE_STEP_HOST].ran = steps[RESOLVE_STEP_FETCH].ran = 0;
	run(&x);
	want("txt none", "sts-txt", NULL, CHECKFIND_ERROR, "publish");
	absent("txt none", "sts-policy-fetch");
	absent("txt none", "mx-covered");
	want("txt none", "smtp-certificate", NULL, CHECKFIND_OK, NULL);
	status("txt none", 1);
	x.sts_err = steps[RESOLVE_STEP_TXT].err = RESOLVE_TXT_MULTIPLE;
	run(&x);
	want("txt multiple", "sts-txt", NULL, CHECKFIND_ERROR, "exactly one");
	x.sts_err = steps[RESOLVE_STEP_TXT].err = RESOLVE_TXT_INVALID;
	x.sts_detail = "empty id";
	run(&x);
	want("txt invalid", "sts-txt", NULL, CHECKFIND_ERROR, "empty id");
	x.sts_err = steps[RESOLVE_STEP_TXT].err = RESOLVE_DNS_TIMEOUT;
	run(&x);
	want("txt timeout", "sts-txt", NULL, CHECKFIND_UNKNOWN, "dns-timeout");
	status("txt timeout", 2);
	steps[RESOLVE_STEP_TXT].ran = 0;
	x.sts_detail = "local failure";
	run(&x);
	want("txt not asked", "sts-txt", NULL, CHECKFIND_UNKNOWN, "not asked");
}

static void
test_fetch(void)
{
	struct checkfind_facts x;

	base(&x);
	x.sts_err = steps[RESOLVE_STEP_FETCH].err = RESOLVE_HTTPS_REDIRECT;
	steps[RESOLVE_STEP_POLICY].ran = 0;
	x.policy = NULL;
	x.body = NULL;
	x.sts_detail = "HTTP 301";
	run(&x);
	want("redirect", "sts-policy-fetch", NULL, CHECKFIND_ERROR,
	    "never follow redirects");
	absent("redirect", "sts-mode");
	status("redirect", 1);
	x.sts_err = steps[RESOLVE_STEP_FETCH].err =
	    RESOLVE_HTTPS_CONTENT_TYPE;
	run(&x);
	want("content type", "sts-policy-fetch", NULL, CHECKFIND_ERROR,
	    "text/plain");
	base(&x);
	x.sts_err = steps[RESOLVE_STEP_POLICY].err = RESOLVE_POLICY_INVALID;
	x.policy = NULL;
	snprintf(steps[RESOLVE_STEP_POLICY].detail, RESOLVE_DETAIL_MAX,
	    "line 2: invalid mode");
	run(&x);
	want("policy invalid", "sts-policy-fetch", NULL, CHECKFIND_OK, NULL);
	want("policy invalid", "sts-policy", NULL, CHECKFIND_ERROR,
	    "line 2: invalid mode");
	base(&x);
	x.sts_err = steps[RESOLVE_STEP_HOST].err = RESOLVE_DNS_SERVFAIL;
	steps[RESOLVE_STEP_FETCH].ran = 0;
	x.policy = NULL;
	run(&x);
	want("host servfail", "sts-policy-fetch", NULL, CHECKFIND_UNKNOWN,
	    NULL);
}

static void
test_policy(void)
{
	struct checkfind_facts x;
	const char *mixed = "version: STSv1\r\nmode: enforce\nmx: mx.a.test\r\n"
	    "max_age: 1209600\n";

	base(&x);
	x.policy = policy("version: STSv1\nmode: testing\nmx: mx.b.test\n"
	    "max_age: 3600\n");
	x.body = "\n";
	x.body_len = 1;
	run(&x);
	want("testing", "sts-mode", NULL, CHECKFIND_WARNING, "switch to "
	    "enforce");
	want("testing", "sts-max-age", NULL, CHECKFIND_WARNING, "under a day");
	want("testing", "mx-covered", "mx.a.test", CHECKFIND_WARNING,
	    "add \"mx: mx.a.test\"");
	want("testing", "mx-pattern-unused", "mx.b.test", CHECKFIND_WARNING,
	    NULL);
	want("testing", "sts-line-endings", NULL, CHECKFIND_OK, "LF");
	status("testing", 0);
	x.policy = policy("version: STSv1\nmode: enforce\nmx: mx.a.test\n"
	    "max_age: 100000\n");
	run(&x);
	want("enforce, 100000 s", "sts-max-age", NULL, CHECKFIND_WARNING,
	    "under a week");
	x.policy = policy("version: STSv1\nmode: enforce\nmx: mx.a.test\n"
	    "max_age: 99999999\n");
	run(&x);
	want("max_age clamped", "sts-max-age", NULL, CHECKFIND_WARNING,
	    "31557600");
	x.policy = policy(mixed);
	x.body = mixed;
	x.body_len = strlen(mixed);
	run(&x);
	want("mixed", "sts-line-endings", NULL, CHECKFIND_WARNING,
	    "2 CRLF, 2 LF");
	x.policy = policy("version: STSv1\nmode: enforce\nmx: mx.a.test\n"
	    "max_age: 1209600");
	x.body = "\n";
	x.body_len = 1;
	run(&x);
	want("no final EOL", "sts-line-endings", NULL, CHECKFIND_WARNING,
	    "last line");
	x.policy = policy("version: STSv1\nmode: none\nmax_age: 1209600\n"
	    "foo: bar\n");
	run(&x);
	want("none", "sts-mode", NULL, CHECKFIND_WARNING, "withdrawn");
	want("none", "sts-policy-syntax", NULL, CHECKFIND_WARNING, NULL);
	absent("none", "mx-covered");
	absent("none", "mx-pattern-unused");
}

static void
test_mx(void)
{
	struct checkfind_facts x;

	base(&x);
	x.policy = policy("version: STSv1\nmode: enforce\nmx: mx.a.test\n"
	    "mx: *.c.test\nmax_age: 1209600\n");
	host(&hosts[1], "a.b.c.test", "192.0.2.2");
	host(&hosts[2], "mx.other.test", "192.0.2.3");
	x.nhosts = 3;
	run(&x);
	want("uncovered", "mx-covered", "mx.a.test", CHECKFIND_OK, NULL);
	want("wildcard", "mx-covered", "a.b.c.test", CHECKFIND_ERROR,
	    "\"*.c.test\" matches exactly one label");
	want("uncovered", "mx-covered", "mx.other.test", CHECKFIND_ERROR,
	    "refuse to deliver");
	want("unused", "mx-pattern-unused", "*.c.test", CHECKFIND_WARNING,
	    NULL);
	status("uncovered", 1);
	base(&x);
	x.mx_dropped = 3;
	x.policy = policy("version: STSv1\nmode: enforce\nmx: mx.a.test\n"
	    "mx: mx.b.test\nmax_age: 1209600\n");
	run(&x);
	absent("unused, hosts dropped", "mx-pattern-unused");
	base(&x);
	x.mx = DNS_NODATA;
	hosts[0].implicit = 1;
	run(&x);
	want("no MX", "mx", NULL, CHECKFIND_WARNING, "RFC 5321");
	base(&x);
	x.null_mx = 1;
	x.nhosts = 0;
	run(&x);
	want("null MX", "mx", NULL, CHECKFIND_WARNING, "null MX");
	x.mx = DNS_NXDOMAIN;
	run(&x);
	want("nxdomain", "mx", NULL, CHECKFIND_ERROR, NULL);
	x.mx = DNS_TIMEOUT;
	run(&x);
	want("MX timeout", "mx", NULL, CHECKFIND_UNKNOWN, "timeout");
	status("MX timeout", 2);
	base(&x);
	hosts[0].naddr = 0;
	hosts[0].a = DNS_NXDOMAIN;
	run(&x);
	want("no address", "mx-address", "mx.a.test", CHECKFIND_ERROR, NULL);
	hosts[0].a = DNS_SERVFAIL;
	run(&x);
	want("address servfail", "mx-address", "mx.a.test", CHECKFIND_UNKNOWN,
	    "servfail");
}

static void
test_smtp(void)
{
	struct checkfind_facts x;
	struct smtpprobe_result *p = &hosts[0].addr[0].probe;
	const char *s = "mx.a.test [192.0.2.1]";

	base(&x);
	p->status = SMTPPROBE_NO_STARTTLS;
	run(&x);
	want("no STARTTLS", "smtp-starttls", s, CHECKFIND_ERROR, "enable");
	absent("no STARTTLS", "smtp-tls");
	base(&x);
	p->status = SMTPPROBE_TLS;
	snprintf(p->detail, sizeof(p->detail), "unsupported protocol");
	run(&x);
	want("TLS 1.0 only", "smtp-starttls", s, CHECKFIND_OK, NULL);
	want("TLS 1.0 only", "smtp-tls", s, CHECKFIND_ERROR,
	    "unsupported protocol");
	base(&x);
	p->verified = 0;
	snprintf(p->verify_error, sizeof(p->verify_error), "hostname mismatch");
	run(&x);
	want("wrong name", "smtp-certificate", s, CHECKFIND_ERROR,
	    "hostname mismatch");
	base(&x);
	p->not_after = NOW + 10 * DAY + 5;
	run(&x);
	want("10 days", "smtp-certificate-expiry", s, CHECKFIND_WARNING,
	    "in 10 days");
	status("10 days", 0);
	p->not_after = NOW - 2 * DAY - 5;
	run(&x);
	want("expired", "smtp-certificate-expiry", s, CHECKFIND_ERROR,
	    "2 days ago");
	base(&x);
	p->status = SMTPPROBE_CONNECT;
	p->step = SMTPPROBE_STEP_CONNECT;
	snprintf(p->detail, sizeof(p->detail), "Connection refused");
	run(&x);
	want("refused", "smtp-connect", s, CHECKFIND_ERROR, "refused");
	p->status = SMTPPROBE_TIMEOUT;
	p->step = SMTPPROBE_STEP_GREETING;
	run(&x);
	want("hang", "smtp-session", s, CHECKFIND_ERROR, "during greeting");
	hosts[0].addr[0].probed = 0;
	run(&x);
	absent("not probed", "smtp-session");
}

static void
test_tlsrpt(void)
{
	struct checkfind_facts x;

	base(&x);
	x.tlsrpt = DNS_NXDOMAIN;
	run(&x);
	want("no TLSRPT", "tlsrpt", NULL, CHECKFIND_WARNING, "publish");
	status("no TLSRPT", 0);
	base(&x);
	txts[0] = "v=TLSRPTv1; rua=ftp://x";
	lens[0] = strlen(txts[0]);
	run(&x);
	want("bad TLSRPT", "tlsrpt", NULL, CHECKFIND_ERROR, "neither mailto");
	base(&x);
	txts[1] = txts[0];
	lens[1] = lens[0];
	x.tlsrpt_n = 2;
	run(&x);
	want("two TLSRPT", "tlsrpt", NULL, CHECKFIND_ERROR, "more than one");
	x.tlsrpt = DNS_SERVFAIL;
	run(&x);
	want("TLSRPT servfail", "tlsrpt", NULL, CHECKFIND_UNKNOWN, NULL);
}

static void
test_list(void)
{
	struct checkfind_facts x;

	base(&x);
	run(&x);
	want("listed", "starttls-list", NULL, CHECKFIND_OK, "covers every MX");
	host(&hosts[1], "mx2.a.test", "192.0.2.2");
	x.nhosts = 2;
	run(&x);
	want("listed, MX not in the entry", "starttls-list", "mx2.a.test",
	    CHECKFIND_WARNING, "refuse it");
	status("listed, MX not in the entry", 1);	/* mx-covered */
	base(&x);
	x.domain = "c.test";
	run(&x);
	want("not listed", "starttls-list", NULL, CHECKFIND_OK, "not on");
	x.now = 1950000000;
	run(&x);
	want("expired list", "starttls-list", NULL, CHECKFIND_OK, "expired");
	x.list = NULL;
	x.list_error = "no such file";
	run(&x);
	want("no list", "starttls-list", NULL, CHECKFIND_UNKNOWN,
	    "no such file");
}

static void
test_dane(void)
{
	struct checkfind_facts x;

	base(&x);
	run(&x);
	want("no DANE", "dane", NULL, CHECKFIND_OK, "no-dane");
	want("no DANE", "dane-tlsa", "mx.a.test", CHECKFIND_OK,
	    "no TLSA record, not validated");
	dane.host[0].ntlsa = 1;
	run(&x);
	want("insecure TLSA", "dane-tlsa", "mx.a.test", CHECKFIND_OK,
	    "TLSA answer not validated");
	dane.verdict = DANE_ONLY;
	dane.mx = DANE_DNS_SECURE;
	dane.host[0].tlsa = DANE_TLSA_USABLE;
	dane.host[0].ntlsa = 2;
	run(&x);
	want("dane-only", "dane", NULL, CHECKFIND_OK, "dane-only");
	want("dane-only", "dane-tlsa", "mx.a.test", CHECKFIND_OK, "2 records");
	dane.verdict = DANE_YES;
	dane.host[0].tlsa = DANE_TLSA_UNUSABLE;
	run(&x);
	want("unusable", "dane-tlsa", "mx.a.test", CHECKFIND_WARNING, "3 1 1");
	status("unusable", 0);
	dane.verdict = DANE_TEMP;
	dane.host[0].tlsa = DANE_TLSA_FAIL;
	run(&x);
	want("temp", "dane", NULL, CHECKFIND_ERROR, "defer");
	want("temp", "dane-tlsa", "mx.a.test", CHECKFIND_ERROR, "failed");
	status("temp", 1);
	x.dane = NULL;
	run(&x);
	want("not asked", "dane", NULL, CHECKFIND_UNKNOWN, NULL);
}

static void
tlsa(struct dnsmsg_tlsa *t, int u, int sel, int m, unsigned char fill)
{
	memset(t, 0, sizeof(*t));
	t->usage = (uint8_t)u;
	t->selector = (uint8_t)sel;
	t->mtype = (uint8_t)m;
	t->dlen = m == 1 ? 32 : 64;
	t->have_data = 1;
	memset(t->data, fill, t->dlen);
}

static void
test_dane_match(void)
{
	struct checkfind_facts x;
	struct smtpprobe_result *p = &hosts[0].addr[0].probe;
	const char *s = "mx.a.test [192.0.2.1]";

	base(&x);
	p->ncerts = 2;
	memset(&p->certs[0], 0x11, sizeof(p->certs[0]));
	memset(p->certs[0].spki256, 0x33, 32);
	memset(p->certs[0].cert512, 0x44, 64);
	memset(&p->certs[1], 0x22, sizeof(p->certs[1]));
	hosts[0].tlsa_status = DNS_OK;
	hosts[0].tlsa_ad = 1;
	hosts[0].ntlsa = 1;
	tlsa(&hosts[0].tlsa[0], 3, 1, 1, 0x33);
	run(&x);
	want("3 1 1", "dane-match", s, CHECKFIND_OK, "TLSA 3 1 1");
	tlsa(&hosts[0].tlsa[0], 3, 0, 2, 0x44);
	run(&x);
	want("3 0 2", "dane-match", s, CHECKFIND_OK, "TLSA 3 0 2");
	tlsa(&hosts[0].tlsa[0], 2, 1, 1, 0x22);
	run(&x);
	want("2 1 1 (issuer)", "dane-match", s, CHECKFIND_OK, "TLSA 2 1 1");
	tlsa(&hosts[0].tlsa[0], 2, 1, 1, 0x33);
	run(&x);
	want("2 1 1 of the leaf", "dane-match", s, CHECKFIND_ERROR, "none");
	status("2 1 1 of the leaf", 1);
	tlsa(&hosts[0].tlsa[0], 3, 1, 1, 0x99);
	hosts[0].ntlsa = 2;
	tlsa(&hosts[0].tlsa[1], 3, 1, 0, 0);
	hosts[0].tlsa[1].dlen = 300;
	hosts[0].tlsa[1].have_data = 0;
	run(&x);
	want("full data", "dane-match", s, CHECKFIND_WARNING, "not compared");
	hosts[0].ntlsa = 1;
	hosts[0].tlsa_ad = 0;
	run(&x);
	absent("not validated", "dane-match");
	hosts[0].tlsa_ad = 1;
	tlsa(&hosts[0].tlsa[0], 1, 1, 1, 0x33);
	run(&x);
	absent("PKIX-EE only", "dane-match");
}

static void
test_limit(void)
{
	static struct checkfind_host many[CHECKFIND_HOSTS_MAX];
	struct checkfind_facts x;
	size_t i, j;

	base(&x);
	for (i = 0; i < CHECKFIND_HOSTS_MAX; i++) {
		host(&many[i], "mx.a.test", "192.0.2.1");
		many[i].naddr = CHECKFIND_ADDR_MAX;
		for (j = 1; j < CHECKFIND_ADDR_MAX; j++)
			many[i].addr[j] = many[i].addr[0];
	}
	x.hosts = many;
	x.nhosts = CHECKFIND_HOSTS_MAX;
	run(&x);
	tap_ok(out.n == CHECKFIND_MAX && out.dropped > 0,
	    "limit: %zu findings kept, %zu dropped", out.n, out.dropped);
	tap_is_str(checkfind_level_str((enum checkfind_level)7), "invalid",
	    "level name out of range");
}

int
main(void)
{
	char err[200];

	if ((list = tlslist_parse(list_json, sizeof(list_json) - 1, err,
	    sizeof(err))) == NULL) {
		tap_diag("list: %s", err);
		return 1;
	}
	test_good();
	test_txt();
	test_fetch();
	test_policy();
	test_mx();
	test_smtp();
	test_tlsrpt();
	test_list();
	test_dane();
	test_dane_match();
	test_limit();
	tlslist_free(list);
	return tap_done();
}
