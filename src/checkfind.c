/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * checkfind.c: the findings of `mtasts check` (checkfind.h).
 *
 * One function per concern, each appending findings in a fixed order,
 * so the output and the --json contract do not depend on the order in
 * which the network answered.  Names are stable (mtasts(1)); the text
 * may change.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checkfind.h"
#include "mxmatch.h"
#include "stspol.h"
#include "tlslist.h"
#include "tlsrpt.h"

#define DAY	86400

static void	add(struct checkfind_list *, const char *,
		    enum checkfind_level, const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
static void	find_txt(const struct checkfind_facts *,
		    struct checkfind_list *);
static const char *fetch_advice(enum resolve_err);
static void	find_fetch(const struct checkfind_facts *,
		    struct checkfind_list *);
static void	find_mode(const struct stspol *, struct checkfind_list *);
static void	find_max_age(const struct stspol *, struct checkfind_list *);
static void	find_eol(const struct checkfind_facts *,
		    struct checkfind_list *);
static void	find_syntax(const struct stspol *, struct checkfind_list *);
static void	find_mx(const struct checkfind_facts *,
		    struct checkfind_list *);
static const char *covering(const struct stspol *, const char *);
static const char *wildcard_hint(const struct stspol *, const char *);
static void	find_covered(const struct checkfind_facts *,
		    const struct checkfind_host *, struct checkfind_list *);
static void	find_unused(const struct checkfind_facts *,
		    struct checkfind_list *);
static void	find_addrs(const struct checkfind_host *,
		    struct checkfind_list *);
static void	find_cert(const struct checkfind_facts *, const char *,
		    const struct smtpprobe_result *, struct checkfind_list *);
static int	tlsa_match(const struct dnsmsg_tlsa *,
		    const struct smtpprobe_result *);
static void	find_dane_match(const struct checkfind_host *, const char *,
		    const struct smtpprobe_result *, struct checkfind_list *);
static void	find_probe(const struct checkfind_facts *,
		    const struct checkfind_host *, const struct checkfind_addr *,
		    struct checkfind_list *);
static void	find_tlsrpt(const struct checkfind_facts *,
		    struct checkfind_list *);
static const char *tlsa_text(enum dane_tlsa);
static void	find_dane(const struct checkfind_facts *,
		    struct checkfind_list *);
static void	find_list(const struct checkfind_facts *,
		    struct checkfind_list *);

const char *
checkfind_level_str(enum checkfind_level l)
{
	switch (l) {
	case CHECKFIND_OK:
		return "ok";
	case CHECKFIND_WARNING:
		return "warning";
	case CHECKFIND_ERROR:
		return "error";
	case CHECKFIND_UNKNOWN:
		return "unknown";
	}
	return "invalid";
}

int
checkfind_status(const struct checkfind_list *l)
{
	size_t i;
	int unknown = 0;

	for (i = 0; i < l->n; i++) {
		if (l->f[i].level == CHECKFIND_ERROR)
			return 1;
		if (l->f[i].level == CHECKFIND_UNKNOWN)
			unknown = 1;
	}
	return unknown ? 2 : 0;
}

static void
add(struct checkfind_list *l, const char *name, enum checkfind_level level,
    const char *subject, const char *fmt, ...)
{
	struct checkfind *f;
	va_list ap;

	if (l->n == CHECKFIND_MAX) {
		l->dropped++;
		return;
	}
	f = &l->f[l->n++];
	f->name = name;
	f->level = level;
	snprintf(f->subject, sizeof(f->subject), "%s",
	    subject != NULL ? subject : "");
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

/* ---- _mta-sts TXT ---- */

static void
find_txt(const struct checkfind_facts *x, struct checkfind_list *l)
{
	const char *d = x->domain, *det = x->sts_detail;

	if (!x->step[RESOLVE_STEP_TXT].ran) {
		add(l, "sts-txt", CHECKFIND_UNKNOWN, NULL, "_mta-sts.%s: not "
		    "asked (%s)", d, det);
		return;
	}
	switch (x->step[RESOLVE_STEP_TXT].err) {
	case RESOLVE_OK:
		add(l, "sts-txt", CHECKFIND_OK, NULL,
		    "_mta-sts.%s: one valid record, id=%s", d,
		    x->sts_id != NULL ? x->sts_id : "?");
		return;
	case RESOLVE_TXT_NONE:
		add(l, "sts-txt", CHECKFIND_ERROR, NULL, "_mta-sts.%s: no "
		    "\"v=STSv1;\" TXT record, so senders see no MTA-STS "
		    "policy: publish \"v=STSv1; id=<new id>\"", d);
		return;
	case RESOLVE_TXT_MULTIPLE:
		add(l, "sts-txt", CHECKFIND_ERROR, NULL, "_mta-sts.%s: more "
		    "than one \"v=STSv1;\" TXT record, which senders read as "
		    "none: keep exactly one", d);
		return;
	case RESOLVE_TXT_INVALID:
		add(l, "sts-txt", CHECKFIND_ERROR, NULL, "_mta-sts.%s: the "
		    "record is invalid (%s), which senders read as none: fix "
		    "it to \"v=STSv1; id=<1-32 letters or digits>\"", d, det);
		return;
	default:
		add(l, "sts-txt", CHECKFIND_UNKNOWN, NULL,
		    "_mta-sts.%s: DNS gave no answer (%s): %s", d,
		    resolve_code(x->step[RESOLVE_STEP_TXT].err), det);
		return;
	}
}

/* ---- the policy ---- */

static const char *
fetch_advice(enum resolve_err e)
{
	switch (e) {
	case RESOLVE_HOST_NONE:
		return "give mta-sts.<domain> an A or AAAA record";
	case RESOLVE_HTTPS_CONNECT:
		return "serve HTTPS on port 443 of every address of the "
		    "policy host";
	case RESOLVE_HTTPS_TIMEOUT:
		return "the policy host must answer within the timeout";
	case RESOLVE_HTTPS_CERTIFICATE:
		return "serve a certificate from a public CA that is valid "
		    "now and names mta-sts.<domain>";
	case RESOLVE_HTTPS_TLS:
		return "fix the TLS set-up of the policy host";
	case RESOLVE_HTTPS_STATUS:
		return "serve /.well-known/mta-sts.txt with status 200";
	case RESOLVE_HTTPS_REDIRECT:
		return "serve the policy itself: senders never follow "
		    "redirects (RFC 8461 section 3.3)";
	case RESOLVE_HTTPS_CONTENT_TYPE:
		return "serve the policy as text/plain (RFC 8461 section 3.2)";
	case RESOLVE_HTTPS_TOO_LARGE:
		return "keep the policy under 64 KiB";
	case RESOLVE_POLICY_INVALID:
		return "fix the policy file";
	default:
		return "see the detail";
	}
}

static void
find_fetch(const struct checkfind_facts *x, struct checkfind_list *l)
{
	const struct resolve_step_info *host = &x->step[RESOLVE_STEP_HOST];
	const struct resolve_step_info *get = &x->step[RESOLVE_STEP_FETCH];
	const struct resolve_step_info *pol = &x->step[RESOLVE_STEP_POLICY];
	enum resolve_err e = x->sts_err;

	if (!host->ran)
		return;		/* no usable TXT: nothing was fetched */
	if (e == RESOLVE_DNS_TIMEOUT || e == RESOLVE_DNS_SERVFAIL) {
		add(l, "sts-policy-fetch", CHECKFIND_UNKNOWN, NULL,
		    "mta-sts.%s: DNS gave no answer (%s)", x->domain,
		    resolve_code(e));
		return;
	}
	if (!get->ran || get->err != RESOLVE_OK) {
		add(l, "sts-policy-fetch", CHECKFIND_ERROR, NULL,
		    "https://mta-sts.%s/.well-known/mta-sts.txt: %s (%s): "
		    "%s; until then senders apply no policy", x->domain,
		    resolve_code(e), x->sts_detail, fetch_advice(e));
		return;
	}
	add(l, "sts-policy-fetch", CHECKFIND_OK, NULL,
	    "https://mta-sts.%s/.well-known/mta-sts.txt: %s", x->domain,
	    get->detail);
	if (x->policy == NULL)
		add(l, "sts-policy", CHECKFIND_ERROR, NULL, "the policy is "
		    "invalid (%s), so senders apply none: %s", pol->detail,
		    fetch_advice(RESOLVE_POLICY_INVALID));
	else
		add(l, "sts-policy", CHECKFIND_OK, NULL, "valid: mode %s, "
		    "max_age %lu, %zu mx pattern%s",
		    stspol_mode_str(x->policy->mode),
		    (unsigned long)x->policy->max_age, x->policy->nmx,
		    x->policy->nmx == 1 ? "" : "s");
}

static void
find_mode(const struct stspol *p, struct checkfind_list *l)
{
	if (p->mode == STSPOL_MODE_ENFORCE)
		add(l, "sts-mode", CHECKFIND_OK, NULL, "enforce: senders "
		    "that apply MTA-STS deliver only over valid TLS");
	else if (p->mode == STSPOL_MODE_TESTING)
		add(l, "sts-mode", CHECKFIND_WARNING, NULL, "testing: senders "
		    "report failures but deliver anyway; switch to enforce "
		    "once the reports are clean");
	else
		add(l, "sts-mode", CHECKFIND_WARNING, NULL, "none: the "
		    "policy is withdrawn and protects nothing");
}

static void
find_max_age(const struct stspol *p, struct checkfind_list *l)
{
	if (p->warnings & STSPOL_WARN_MAX_AGE_CLAMPED)
		add(l, "sts-max-age", CHECKFIND_WARNING, NULL, "max_age is "
		    "above one year (31557600), the RFC 8461 section 3.2 maximum; "
		    "senders cap it: publish at most 31557600");
	else if (p->max_age < DAY)
		add(l, "sts-max-age", CHECKFIND_WARNING, NULL, "max_age %lu "
		    "is under a day: a policy that expires that soon leaves "
		    "senders unprotected between fetches; use weeks "
		    "(e.g. 1209600)", (unsigned long)p->max_age);
	else if (p->mode == STSPOL_MODE_ENFORCE &&
	    p->max_age < CHECKFIND_MAX_AGE_ENFORCE)
		add(l, "sts-max-age", CHECKFIND_WARNING, NULL, "max_age %lu "
		    "is under a week in enforce mode; RFC 8461 section 3.2 "
		    "suggests weeks or more (e.g. 1209600)",
		    (unsigned long)p->max_age);
	else
		add(l, "sts-max-age", CHECKFIND_OK, NULL, "max_age %lu "
		    "(%lu days)", (unsigned long)p->max_age,
		    (unsigned long)(p->max_age / DAY));
}

/* Line endings: RFC 8461 §3.2 allows LF and CRLF; mixing hints at an
 * edited file, and a missing final one at a cut transfer. */
static void
find_eol(const struct checkfind_facts *x, struct checkfind_list *l)
{
	size_t i, crlf = 0, lf = 0;

	for (i = 0; i < x->body_len; i++) {
		if (x->body[i] != '\n')
			continue;
		if (i > 0 && x->body[i - 1] == '\r')
			crlf++;
		else
			lf++;
	}
	if (crlf > 0 && lf > 0)
		add(l, "sts-line-endings", CHECKFIND_WARNING, NULL, "mixed "
		    "line endings (%zu CRLF, %zu LF): valid, but use one kind",
		    crlf, lf);
	else if (x->policy->warnings & STSPOL_WARN_NO_FINAL_EOL)
		add(l, "sts-line-endings", CHECKFIND_WARNING, NULL, "the last "
		    "line has no line ending, which looks like a cut file: "
		    "end it with CRLF or LF");
	else
		add(l, "sts-line-endings", CHECKFIND_OK, NULL, "%s",
		    crlf > 0 ? "CRLF" : "LF");
}

/* The parser's other warnings, one finding each. */
static void
find_syntax(const struct stspol *p, struct checkfind_list *l)
{
	unsigned bit, skip = STSPOL_WARN_MAX_AGE_CLAMPED |
	    STSPOL_WARN_MAX_AGE_SHORT | STSPOL_WARN_NO_FINAL_EOL;

	for (bit = 1; bit != 0 && bit <= STSPOL_WARN_ALL; bit <<= 1)
		if ((p->warnings & bit) && !(bit & skip))
			add(l, "sts-policy-syntax", CHECKFIND_WARNING, NULL,
			    "%s", stspol_warning_str(bit));
}

/* ---- MX hosts against the policy ---- */

static void
find_mx(const struct checkfind_facts *x, struct checkfind_list *l)
{
	switch (x->mx) {
	case DNS_OK:
		if (x->null_mx)
			add(l, "mx", CHECKFIND_WARNING, NULL, "null MX (RFC "
			    "7505): %s accepts no mail, so an MTA-STS policy "
			    "has nothing to protect", x->domain);
		else
			add(l, "mx", CHECKFIND_OK, NULL, "%zu MX host%s%s",
			    x->nhosts, x->nhosts == 1 ? "" : "s",
			    x->mx_dropped ? " (more were not checked)" : "");
		return;
	case DNS_NODATA:
		add(l, "mx", CHECKFIND_WARNING, NULL, "no MX record: senders "
		    "use %s itself (RFC 5321 section 5.1); publish an MX record",
		    x->domain);
		return;
	case DNS_NXDOMAIN:
		add(l, "mx", CHECKFIND_ERROR, NULL, "%s does not exist in DNS",
		    x->domain);
		return;
	default:
		add(l, "mx", CHECKFIND_UNKNOWN, NULL, "MX lookup failed: %s",
		    dns_status_str(x->mx));
		return;
	}
}

/* The first pattern that covers host, or NULL. */
static const char *
covering(const struct stspol *p, const char *host)
{
	size_t i;

	for (i = 0; i < p->nmx; i++)
		if (mxmatch_match(stspol_mx(p, i), host))
			return stspol_mx(p, i);
	return NULL;
}

/*
 * A "*.x" pattern that would cover host if "*" matched more than one
 * label, or host itself: the most common misreading (RFC 8461 §4.1).
 */
static const char *
wildcard_hint(const struct stspol *p, const char *host)
{
	const char *pat, *tail;
	size_t i, hl = strlen(host), tl;

	for (i = 0; i < p->nmx; i++) {
		pat = stspol_mx(p, i);
		if (strncmp(pat, "*.", 2) != 0)
			continue;
		tail = pat + 1;		/* ".x" */
		tl = strlen(tail);
		if (strcmp(host, tail + 1) == 0 ||
		    (hl > tl && strcmp(host + hl - tl, tail) == 0))
			return pat;
	}
	return NULL;
}

static void
find_covered(const struct checkfind_facts *x, const struct checkfind_host *h,
    struct checkfind_list *l)
{
	const struct stspol *p = x->policy;
	const char *pat, *hint;
	enum checkfind_level lv;

	if ((pat = covering(p, h->name)) != NULL) {
		add(l, "mx-covered", CHECKFIND_OK, h->name, "matches \"mx: "
		    "%s\"", pat);
		return;
	}
	lv = p->mode == STSPOL_MODE_ENFORCE ? CHECKFIND_ERROR :
	    CHECKFIND_WARNING;
	if ((hint = wildcard_hint(p, h->name)) != NULL)
		add(l, "mx-covered", lv, h->name, "no mx pattern covers "
		    "%s: \"%s\" matches exactly one label in place of "
		    "\"*\"; add \"mx: %s\"%s", h->name, hint, h->name,
		    lv == CHECKFIND_ERROR ? " (in enforce mode senders "
		    "refuse to deliver to it)" : "");
	else
		add(l, "mx-covered", lv, h->name, "no mx pattern covers %s: "
		    "add \"mx: %s\"%s", h->name, h->name,
		    lv == CHECKFIND_ERROR ? " (in enforce mode senders "
		    "refuse to deliver to it)" : "");
}

static void
find_unused(const struct checkfind_facts *x, struct checkfind_list *l)
{
	const struct stspol *p = x->policy;
	size_t i, j;
	int used;

	for (i = 0; i < p->nmx; i++) {
		for (used = 0, j = 0; j < x->nhosts && !used; j++)
			used = mxmatch_match(stspol_mx(p, i), x->hosts[j].name);
		if (!used && !x->mx_dropped)
			add(l, "mx-pattern-unused", CHECKFIND_WARNING,
			    stspol_mx(p, i), "\"mx: %s\" matches no MX host: "
			    "remove it, or it lets a host you do not use "
			    "receive your mail", stspol_mx(p, i));
	}
}

/* ---- each host's addresses and SMTP ---- */

static void
find_addrs(const struct checkfind_host *h, struct checkfind_list *l)
{
	if (h->naddr > 0)
		return;
	if ((h->a == DNS_NXDOMAIN || h->a == DNS_NODATA) &&
	    (h->aaaa == DNS_NXDOMAIN || h->aaaa == DNS_NODATA))
		add(l, "mx-address", CHECKFIND_ERROR, h->name, "the MX host "
		    "has no A or AAAA record: give it an address or remove "
		    "the MX record");
	else
		add(l, "mx-address", CHECKFIND_UNKNOWN, h->name, "address "
		    "lookup failed (A %s, AAAA %s)", dns_status_str(h->a),
		    dns_status_str(h->aaaa));
}

static void
find_cert(const struct checkfind_facts *x, const char *subj,
    const struct smtpprobe_result *r, struct checkfind_list *l)
{
	long days;

	if (r->verified)
		add(l, "smtp-certificate", CHECKFIND_OK, subj, "chain valid "
		    "for the MX host name");
	else
		add(l, "smtp-certificate", CHECKFIND_ERROR, subj, "%s: "
		    "senders that apply MTA-STS refuse this host; serve a "
		    "certificate from a trusted CA that names the MX host",
		    r->verify_error);
	if (!r->have_expiry)
		return;
	days = (long)((r->not_after - x->now) / DAY);
	if (r->not_after <= x->now)
		add(l, "smtp-certificate-expiry", CHECKFIND_ERROR, subj,
		    "expired %ld day%s ago: renew it", -days,
		    -days == 1 ? "" : "s");
	else if (days < CHECKFIND_EXPIRY_WARN_DAYS)
		add(l, "smtp-certificate-expiry", CHECKFIND_WARNING, subj,
		    "expires in %ld day%s: renew it", days,
		    days == 1 ? "" : "s");
	else
		add(l, "smtp-certificate-expiry", CHECKFIND_OK, subj,
		    "expires in %ld days", days);
}

/*
 * 1 when TLSA record t matches the chain r presented, 0 when not, -1
 * when it cannot be told (full data, other parameters).  DANE-EE (3)
 * is compared with the leaf, DANE-TA (2) with the other certificates
 * the host sent (RFC 7672 §3.1); that the chain leads to that trust
 * anchor is not checked here.
 */
static int
tlsa_match(const struct dnsmsg_tlsa *t, const struct smtpprobe_result *r)
{
	const struct smtpprobe_digests *g;
	const unsigned char *d;
	size_t i, first, last, len = t->mtype == 1 ? 32 : 64;

	if (!t->have_data || (t->mtype != 1 && t->mtype != 2) ||
	    t->selector > 1 || t->dlen != len)
		return -1;
	if (t->usage == 3) {
		first = 0;
		last = r->ncerts > 0 ? 1 : 0;
	} else if (t->usage == 2) {
		first = 1;
		last = r->ncerts;
	} else
		return -1;
	for (i = first; i < last; i++) {
		g = &r->certs[i];
		d = t->selector == 0 ? (t->mtype == 1 ? g->cert256 :
		    g->cert512) : (t->mtype == 1 ? g->spki256 : g->spki512);
		if (memcmp(d, t->data, len) == 0)
			return 1;
	}
	return 0;
}

/* Does the certificate match the host's validated, usable TLSA? */
static void
find_dane_match(const struct checkfind_host *h, const char *subj,
    const struct smtpprobe_result *r, struct checkfind_list *l)
{
	const struct dnsmsg_tlsa *t, *hit = NULL;
	size_t i;
	int any = 0, unknown = 0, m;

	if (h->tlsa_status != DNS_OK || !h->tlsa_ad || !r->tls)
		return;
	for (i = 0; i < h->ntlsa && hit == NULL; i++) {
		t = &h->tlsa[i];
		if (!dnsmsg_tlsa_usable(t))
			continue;
		any = 1;
		if ((m = tlsa_match(t, r)) == 1)
			hit = t;
		else if (m < 0)
			unknown = 1;
	}
	if (!any)
		return;
	if (hit != NULL)
		add(l, "dane-match", CHECKFIND_OK, subj, "the certificate "
		    "matches TLSA %u %u %u", hit->usage, hit->selector,
		    hit->mtype);
	else if (unknown)
		add(l, "dane-match", CHECKFIND_WARNING, subj, "no TLSA "
		    "digest matches, and some records (full data) were not "
		    "compared");
	else
		add(l, "dane-match", CHECKFIND_ERROR, subj, "the certificate "
		    "matches none of the usable TLSA records: senders with "
		    "DANE refuse this host; publish its own (e.g. 3 1 1 and "
		    "the SHA-256 of its public key) before changing keys");
}

static void
find_probe(const struct checkfind_facts *x, const struct checkfind_host *h,
    const struct checkfind_addr *a, struct checkfind_list *l)
{
	const struct smtpprobe_result *r = &a->probe;
	char subj[CHECKFIND_SUBJECT_MAX], ip[INET6_ADDRSTRLEN];

	snprintf(subj, sizeof(subj), "%s [%s]", h->name,
	    dns_addr_str(&a->addr, ip, sizeof(ip)));
	switch (r->status) {
	case SMTPPROBE_OK:
		break;
	case SMTPPROBE_NO_STARTTLS:
		add(l, "smtp-starttls", CHECKFIND_ERROR, subj, "STARTTLS is "
		    "not offered: senders cannot use TLS; enable it");
		return;
	case SMTPPROBE_TLS:
		add(l, "smtp-starttls", CHECKFIND_OK, subj, "STARTTLS "
		    "offered");
		add(l, "smtp-tls", CHECKFIND_ERROR, subj, "TLS handshake at "
		    "TLS 1.2 or later failed (%s): allow TLS 1.2 and 1.3",
		    r->detail);
		return;
	case SMTPPROBE_ERROR:
		add(l, "smtp-connect", CHECKFIND_UNKNOWN, subj, "%s",
		    r->detail);
		return;
	default:
		add(l, r->step <= SMTPPROBE_STEP_CONNECT ? "smtp-connect" :
		    "smtp-session", CHECKFIND_ERROR, subj, "%s during %s: %s",
		    smtpprobe_status_str(r->status),
		    smtpprobe_step_str(r->step), r->detail);
		return;
	}
	add(l, "smtp-starttls", CHECKFIND_OK, subj, "STARTTLS offered");
	add(l, "smtp-tls", CHECKFIND_OK, subj, "%s, %s", r->protocol,
	    r->cipher);
	find_cert(x, subj, r, l);
	find_dane_match(h, subj, r, l);
}

/* ---- TLSRPT ---- */

static void
find_tlsrpt(const struct checkfind_facts *x, struct checkfind_list *l)
{
	struct tlsrpt rpt;
	const char *why = NULL;
	enum tlsrpt_result r;

	if (x->tlsrpt != DNS_OK && x->tlsrpt != DNS_NXDOMAIN &&
	    x->tlsrpt != DNS_NODATA) {
		add(l, "tlsrpt", CHECKFIND_UNKNOWN, NULL, "_smtp._tls.%s: DNS "
		    "gave no answer (%s)", x->domain, dns_status_str(x->tlsrpt));
		return;
	}
	r = tlsrpt_select(x->tlsrpt_txt, x->tlsrpt_len,
	    x->tlsrpt == DNS_OK ? x->tlsrpt_n : 0, &rpt, &why);
	if (r == TLSRPT_OK)
		add(l, "tlsrpt", CHECKFIND_OK, NULL, "_smtp._tls.%s: reports "
		    "go to %s%s", x->domain, rpt.uri[0],
		    rpt.nuri > 1 ? " and more" : "");
	else if (r == TLSRPT_NONE)
		add(l, "tlsrpt", CHECKFIND_WARNING, NULL, "_smtp._tls.%s: no "
		    "TLSRPT record, so nobody hears of failed deliveries: "
		    "publish \"v=TLSRPTv1; rua=mailto:<address>\"", x->domain);
	else
		add(l, "tlsrpt", CHECKFIND_ERROR, NULL, "_smtp._tls.%s: %s, "
		    "so senders send no reports: publish exactly one "
		    "\"v=TLSRPTv1; rua=mailto:<address>\"", x->domain, why);
}

/* ---- DANE ---- */

static const char *
tlsa_text(enum dane_tlsa t)
{
	switch (t) {
	case DANE_TLSA_USABLE:
		return "validated TLSA records DANE can use";
	case DANE_TLSA_UNUSABLE:
		return "validated TLSA records, none DANE can use (RFC 7672 "
		    "section 3.1: use 3 1 1 or 2 1 1): senders with DANE "
		    "treat the host as having none";
	case DANE_TLSA_NONE:
		return "no TLSA record (validated denial)";
	case DANE_TLSA_INSECURE:
		return "TLSA answer not validated (unsigned zone, or a "
		    "resolver that does not validate): not used";
	case DANE_TLSA_FAIL:
		return "TLSA lookup failed";
	}
	return "?";
}

/*
 * DANE as resolver/dane.c decides it for the daemon.  Only presence
 * and DNSSEC status: whether the certificate an MX host presents
 * matches its TLSA records is not checked (resolver/dnsmsg.h does not
 * keep the association data).
 */
static void
find_dane(const struct checkfind_facts *x, struct checkfind_list *l)
{
	const struct danechk_result *d = x->dane;
	const struct danechk_host *h;
	enum checkfind_level lv;
	size_t i;

	if (d == NULL) {
		add(l, "dane", CHECKFIND_UNKNOWN, NULL, "DANE was not "
		    "checked (local failure)");
		return;
	}
	lv = d->verdict == DANE_TEMP ? CHECKFIND_ERROR : CHECKFIND_OK;
	add(l, "dane", lv, NULL, "%s: %s; MX RRset %s%s", dane_verdict_str(
	    d->verdict), d->why, dane_dns_str(d->mx), d->verdict ==
	    DANE_TEMP ? " (senders with DANE defer mail: fix the DNSSEC "
	    "answers)" : "");
	for (i = 0; i < d->nhosts; i++) {
		h = &d->host[i];
		lv = h->tlsa == DANE_TLSA_UNUSABLE ? CHECKFIND_WARNING :
		    h->tlsa == DANE_TLSA_FAIL && d->verdict == DANE_TEMP ?
		    CHECKFIND_ERROR : CHECKFIND_OK;
		if (h->tlsa == DANE_TLSA_INSECURE && h->ntlsa == 0)
			add(l, "dane-tlsa", lv, h->name, "_25._tcp.%s: no "
			    "TLSA record, not validated (unsigned zone, or a "
			    "resolver that does not validate)", h->name);
		else
			add(l, "dane-tlsa", lv, h->name, "_25._tcp.%s: %s "
			    "(%u record%s)", h->name, tlsa_text(h->tlsa),
			    h->ntlsa, h->ntlsa == 1 ? "" : "s");
	}
}

/* ---- the STARTTLS list ---- */

/*
 * The list is a fallback behind MTA-STS (docs/DESIGN.md §List): an
 * entry that does not cover an MX host would make senders that use it
 * refuse that host when MTA-STS gives nothing.  So a disagreement is a
 * warning, never an error.
 */
static void
find_list(const struct checkfind_facts *x, struct checkfind_list *l)
{
	const struct tlslist_policy *p;
	const char *note;
	size_t i;
	int agree = 1;

	if (x->list == NULL) {
		add(l, "starttls-list", CHECKFIND_UNKNOWN, NULL, "the "
		    "STARTTLS list cannot be read: %s", x->list_error);
		return;
	}
	note = tlslist_expired(x->list, (int64_t)x->now) ? " (the list "
	    "has expired: senders do not apply it)" : "";
	if ((p = tlslist_lookup(x->list, x->domain)) == NULL) {
		add(l, "starttls-list", CHECKFIND_OK, NULL, "not on the "
		    "STARTTLS list%s", note);
		return;
	}
	for (i = 0; i < x->nhosts; i++) {
		if (tlslist_policy_match(p, x->hosts[i].name))
			continue;
		agree = 0;
		add(l, "starttls-list", CHECKFIND_WARNING, x->hosts[i].name,
		    "on the STARTTLS list (%s) but its entry does not cover "
		    "this MX host: senders that use the list without MTA-STS "
		    "refuse it%s", tlslist_mode_str(p->mode), note);
	}
	if (agree)
		add(l, "starttls-list", CHECKFIND_OK, NULL, "on the STARTTLS "
		    "list (%s), and its entry covers every MX host%s",
		    tlslist_mode_str(p->mode), note);
}

void
checkfind_run(const struct checkfind_facts *x, struct checkfind_list *l)
{
	size_t i, j;

	l->n = 0;
	l->dropped = 0;
	find_txt(x, l);
	find_fetch(x, l);
	if (x->policy != NULL) {
		find_mode(x->policy, l);
		find_max_age(x->policy, l);
		find_eol(x, l);
		find_syntax(x->policy, l);
	}
	find_mx(x, l);
	for (i = 0; i < x->nhosts; i++) {
		if (x->policy != NULL && x->policy->mode != STSPOL_MODE_NONE)
			find_covered(x, &x->hosts[i], l);
		find_addrs(&x->hosts[i], l);
		for (j = 0; x->smtp && j < x->hosts[i].naddr; j++)
			if (x->hosts[i].addr[j].probed)
				find_probe(x, &x->hosts[i],
				    &x->hosts[i].addr[j], l);
	}
	if (x->policy != NULL && x->policy->mode != STSPOL_MODE_NONE)
		find_unused(x, l);
	find_tlsrpt(x, l);
	find_dane(x, l);
	find_list(x, l);
}
