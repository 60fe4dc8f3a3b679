/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * sockmap.h: the Postfix socketmap protocol on the lookup socket
 * (Postfix socketmap_table(5), docs/PROTOCOLS.md, docs/DESIGN.md §Postfix),
 * and the daemon's side of the Postfix verdict (verdict.h): the
 * configured profile, the scratch buffer and the logging, shared with
 * tcptable.c and control.c.
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
#include "verdict.h"

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

/*
 * sockmap_verdict_profile: verdict_profile() for the loop thread (a
 * static buffer renders the policy text), logging (rate-limited) a
 * value that had to leave TLSRPT attributes out to fit, and a policy
 * that could not be written at all.  out: outsize bytes,
 * NUL-terminated; give it SOCKMAP_PROFILE_VALUE_MAX + 1 bytes, or
 * SOCKMAP_VALUE_MAX for a profile without TLSRPT.
 */
enum verdict sockmap_verdict_profile(const struct lookup_answer *ans,
    const struct reply_profile *prof, char *out, size_t outsize);

/*
 * sockmap_verdict: sockmap_verdict_profile() with conf's "postfix"
 * profile, the one of tcp_table and JSON answers.
 */
enum verdict sockmap_verdict(const struct lookup_answer *ans,
    const struct conf *conf, char *out, size_t outsize);

/* sockmap_proto: the protocol for listen_start() (static). */
const struct listen_proto *sockmap_proto(void);

#endif /* SOCKMAP_H */
