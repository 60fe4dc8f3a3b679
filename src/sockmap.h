/*
 * sockmap.h: the Postfix socketmap protocol on the lookup socket
 * (Postfix socketmap_table(5), docs/PROTOCOLS.md, ARCHITECTURE.md §5),
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
 * Map names (profiles): "postfix".  Postfix never folds the key's case
 * and sends ".parent" keys after NOTFOUND (mta-integration.md G1, G2):
 * keys go through domkey_normalize(), and non-domains are answered
 * NOTFOUND without a lookup.  Idle connections are never closed.
 *
 * Loop thread only.
 */
#ifndef SOCKMAP_H
#define SOCKMAP_H

#include <stddef.h>

struct listen_proto;
struct lookup_answer;

/* Longest Postfix value: 128 mx patterns of 253 bytes, ":" between,
 * plus "secure match=" and " servername=hostname". */
#define SOCKMAP_VALUE_MAX	33000

enum sockmap_verdict {
	SOCKMAP_OK = 0,		/* out: the policy value for Postfix */
	SOCKMAP_NOTFOUND,	/* out: "" */
	SOCKMAP_TEMP		/* out: a short reason (a code) */
};

/*
 * sockmap_verdict: what Postfix should get for `ans` (ARCHITECTURE §5):
 * an enforced policy (or, with enforce_testing, a testing one) gives OK
 * and reply_postfix()'s value; testing, none and no policy give
 * NOTFOUND; a local failure, or an enforced policy that cannot be
 * written as a Postfix value, gives TEMP (deferring is the safe choice:
 * NOTFOUND would silently downgrade TLS).  out: outsize bytes,
 * NUL-terminated.
 */
enum sockmap_verdict sockmap_verdict(const struct lookup_answer *ans,
    int enforce_testing, char *out, size_t outsize);

/* sockmap_verdict_str: "OK", "NOTFOUND", "TEMP". */
const char	*sockmap_verdict_str(enum sockmap_verdict v);

/* sockmap_proto: the protocol for listen_start() (static). */
const struct listen_proto *sockmap_proto(void);

#endif /* SOCKMAP_H */
