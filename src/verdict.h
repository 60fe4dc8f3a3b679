/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * verdict.h: the one place where a lookup answer becomes a Postfix
 * verdict, OK with a value, NOTFOUND or TEMP (docs/PROTOCOLS.md,
 * docs/postfix.md).  The socketmap, tcp_table and JSON answers all
 * come from verdict_profile(), so the protocols always agree.
 *
 * Pure module: no I/O, no clock, no allocation, no global state; every
 * input is borrowed for the call.  Logging what was left out, or why a
 * policy became TEMP, is the caller's job (sockmap.c).
 */
#ifndef VERDICT_H
#define VERDICT_H

#include <stddef.h>

#include "reply.h"

struct lookup_answer;

enum verdict {
	VERDICT_OK = 0,		/* out: the policy value for Postfix */
	VERDICT_NOTFOUND,	/* out: "" */
	VERDICT_TEMP		/* out: a short reason (a code) */
};

/*
 * verdict_profile: what Postfix should get for `ans` under `prof`.
 * DANE first (RFC 8461 §2, docs/DESIGN.md §DANE): an answer with a DANE
 * verdict (resolver/lookup.h, dane = yes) gives OK "dane-only" or
 * "dane" in every profile, whatever its MTA-STS part and with no
 * TLSRPT attributes, or TEMP "dnssec-lookup-failed" when its DNSSEC
 * lookups failed.  Otherwise a policy the profile answers (reply_answers(): enforce; testing with
 * enforce_testing; STARTTLS list policies, source LOOKUP_SRC_LIST,
 * only with list_policies) gives OK and reply_postfix_profile()'s
 * value; any other policy, no policy and not-a-domain give NOTFOUND; a
 * local failure, a missing policy, or a policy that cannot be written
 * as a Postfix value ("policy-unusable": no pattern, or one Postfix
 * would misread) gives TEMP: deferring is the safe choice, NOTFOUND
 * would silently downgrade TLS.  So TEMP with ans->status
 * LOOKUP_POLICY always means the policy itself was unusable.
 *
 * text[0..textsize) is scratch for the policy body of a TLSRPT profile
 * when the cache keeps it as a text form (record_policy_text(),
 * RECORD_TEXT_RENDER_MAX bytes suffice; NULL/0: no policy_string).
 * out: outsize bytes, NUL-terminated; give it SOCKMAP_PROFILE_VALUE_MAX
 * + 1 bytes, or REPLY_VALUE_MAX for a profile without TLSRPT.  *fit
 * (may be NULL) says what an OK value left out (REPLY_FIT_FULL
 * otherwise).
 */
enum verdict verdict_profile(const struct lookup_answer *ans,
    const struct reply_profile *prof, char *text, size_t textsize,
    char *out, size_t outsize, enum reply_fit *fit);

/* verdict_str: "OK", "NOTFOUND", "TEMP"; "invalid" otherwise. */
const char *verdict_str(enum verdict v);

#endif /* VERDICT_H */
