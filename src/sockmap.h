/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * sockmap.h: the Postfix socketmap protocol on the lookup socket
 * (Postfix socketmap_table(5), docs/PROTOCOLS.md, docs/DESIGN.md §Postfix),
 * and the one place where a lookup answer becomes a Postfix verdict
 * (shared with tcptable.c).
 *
 * Request: one netstring "<len>:<name> <key>," of at most
 * NETSTRING_MAX_QUERY payload bytes (Postfix's socketmap_max_query_size);
 * the map name runs to the first space, the key is the rest.  Replies:
 * one netstring of at most NETSTRING_MAX_REPLY bytes:
 *   "OK secure match=... servername=hostname"  enforced policy
 *   "NOTFOUND "            no policy, testing/none, not a mail domain
 *   "TEMP <reason>"        local failure: Postfix defers the mail
 *   "PERM <reason>"        malformed request (the connection is then
 *                          closed) or unknown map name (kept open)
 * The map name selects the reply profile (conf_profile(): "postfix",
 * "postfix-tlsrpt"), read from the configuration in force when the
 * answer is written, so a reload applies to the next answer.  Postfix
 * never folds the key's case and sends ".parent" keys after NOTFOUND
 * (docs/DESIGN.md §Keys): keys go through domkey_normalize(), and
 * non-domains are answered NOTFOUND without a lookup.  Idle
 * connections are never closed.
 *
 * Loop thread only.
 */
#ifndef SOCKMAP_H
#define SOCKMAP_H

#include <stddef.h>

#include "reply.h"

struct conf;
struct listen_proto;
struct lookup_answer;

/*
 * Longest value of the "postfix" profile (tcp_table, JSON): every mx
 * pattern a record can hold, NUL included (reply.h).
 */
#define SOCKMAP_VALUE_MAX	REPLY_VALUE_MAX

/* Longest value of any profile: Postfix's reply limit less "OK ". */
#define SOCKMAP_PROFILE_VALUE_MAX	(REPLY_SOCKETMAP_MAX - 3)

enum sockmap_verdict {
	SOCKMAP_OK = 0,		/* out: the policy value for Postfix */
	SOCKMAP_NOTFOUND,	/* out: "" */
	SOCKMAP_TEMP		/* out: a short reason (a code) */
};

/*
 * sockmap_verdict_profile: what Postfix should get for `ans` under
 * `prof` (docs/DESIGN.md §Postfix): a policy the profile answers
 * (reply_answers(): enforce; testing with enforce_testing; STARTTLS
 * list policies, source LOOKUP_SRC_LIST, only with list_policies) gives
 * OK and reply_postfix_profile()'s value; any other policy, no policy
 * and not-a-domain give NOTFOUND; a local failure, or a policy that
 * cannot be written as a Postfix value, gives TEMP (deferring is the
 * safe choice: NOTFOUND would silently downgrade TLS).  A value that
 * had to leave TLSRPT attributes out to fit is logged (rate-limited)
 * and still answered.  out: outsize bytes, NUL-terminated; give it
 * SOCKMAP_PROFILE_VALUE_MAX + 1 bytes, or SOCKMAP_VALUE_MAX for a
 * profile without TLSRPT.
 */
enum sockmap_verdict sockmap_verdict_profile(const struct lookup_answer *ans,
    const struct reply_profile *prof, char *out, size_t outsize);

/*
 * sockmap_verdict: sockmap_verdict_profile() with conf's "postfix"
 * profile, the one of tcp_table and JSON answers.
 */
enum sockmap_verdict sockmap_verdict(const struct lookup_answer *ans,
    const struct conf *conf, char *out, size_t outsize);

/* sockmap_verdict_str: "OK", "NOTFOUND", "TEMP". */
const char	*sockmap_verdict_str(enum sockmap_verdict v);

/* sockmap_proto: the protocol for listen_start() (static). */
const struct listen_proto *sockmap_proto(void);

#endif /* SOCKMAP_H */
