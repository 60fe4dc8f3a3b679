/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * verdict.c: lookup answer -> Postfix verdict; see verdict.h.
 *
 * Kept apart from sockmap.c so that the decision has no I/O and gets
 * table tests and a fuzz target: every enforced domain's mail depends
 * on it answering OK, and a wrong NOTFOUND downgrades TLS silently.
 */
#include <stdio.h>

#include "lookup.h"
#include "record.h"
#include "reply.h"
#include "verdict.h"

static const char *const verdict_names[] = {
	[VERDICT_OK] = "OK",
	[VERDICT_NOTFOUND] = "NOTFOUND",
	[VERDICT_TEMP] = "TEMP",
};

const char *
verdict_str(enum verdict v)
{
	if ((unsigned)v > VERDICT_TEMP)
		return "invalid";
	return verdict_names[v];
}

/* verdict_policy: LOOKUP_POLICY: OK when the profile answers it. */
static enum verdict
verdict_policy(const struct lookup_answer *ans,
    const struct reply_profile *prof, char *text, size_t textsize,
    char *out, size_t outsize, enum reply_fit *fit)
{
	const struct record_policy *p = ans->policy;
	struct reply_policy pol = { REPLY_MTASTS, ans->domain, NULL, 0, NULL,
	    0 };

	if (p == NULL) {
		snprintf(out, outsize, "policy-missing");
		return VERDICT_TEMP;
	}
	if (ans->source == LOOKUP_SRC_LIST)
		pol.origin = REPLY_LIST;
	if (!reply_answers(prof, pol.origin, p->mode))
		return VERDICT_NOTFOUND;
	pol.mx = p->mx;
	pol.nmx = p->nmx;
	/* The plain profiles never print the text: do not render it. */
	if (prof->tlsrpt && text != NULL && textsize > 0 &&
	    (pol.text = record_policy_text(p, text, textsize,
	    &pol.text_len)) == NULL)
		pol.text_len = 0;
	if (reply_postfix_profile(prof, &pol, out, outsize, fit) >= 0)
		return VERDICT_OK;
	snprintf(out, outsize, "policy-unusable");
	return VERDICT_TEMP;
}

enum verdict
verdict_profile(const struct lookup_answer *ans,
    const struct reply_profile *prof, char *text, size_t textsize,
    char *out, size_t outsize, enum reply_fit *fit)
{
	if (fit != NULL)
		*fit = REPLY_FIT_FULL;
	if (outsize > 0)
		out[0] = '\0';
	/* RFC 8461 §2: DANE first.  A bare level: Postfix looks the TLSA
	 * records up itself and reports on them (no TLSRPT attributes). */
	switch (ans->dane) {
	case LOOKUP_DANE_ONLY:
		snprintf(out, outsize, "dane-only");
		return VERDICT_OK;
	case LOOKUP_DANE_YES:
		snprintf(out, outsize, "dane");
		return VERDICT_OK;
	case LOOKUP_DANE_TEMP:
		snprintf(out, outsize, "dnssec-lookup-failed");
		return VERDICT_TEMP;
	case LOOKUP_DANE_NONE:
		break;
	}
	switch (ans->status) {
	case LOOKUP_POLICY:
		return verdict_policy(ans, prof, text, textsize, out, outsize,
		    fit);
	case LOOKUP_NONE:
		return VERDICT_NOTFOUND;
	case LOOKUP_TEMP:
	default:
		snprintf(out, outsize, "%s", ans->error != NULL &&
		    ans->error[0] != '\0' ? ans->error : "lookup-failed");
		return VERDICT_TEMP;
	}
}
