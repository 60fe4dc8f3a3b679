/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listbuild.h: a fleet's own STARTTLS Policy List (format 0.1, the one
 * tlslist.h reads) from the MTA-STS policies one node has observed
 * (docs/DESIGN.md §List, docs/fleet.md).  "mtasts list build" feeds it
 * the cache's policy records; the signing and publishing stay with gpg
 * and any HTTPS server.
 *
 * Pure module: no I/O, no clock (conf.now), no global state; it
 * allocates (one string per listed domain, then the rendered file).
 *
 * Which domains (listbuild_pick), for a policy record cached under its
 * domain at conf.now:
 *   - the policy is valid (refresh.h rule 1) and max_age is at least
 *     conf.min_max_age;
 *   - listed as "enforce" when it has been seen in enforce without a
 *     break (record.h's history) for at least conf.min_age;
 *   - otherwise, only with conf.include_testing, listed as "testing"
 *     when it has been seen in testing or enforce for that long (a
 *     domain that moved from testing to enforce lately stays testing);
 *   - the domain and every mx pattern must be names the list's schema
 *     and tlslist.h both accept: LDH labels, at least two, the last
 *     2..63 letters and digits, not all digits; "*.x" is written ".x".
 *     A policy with one pattern the list cannot say is left out whole:
 *     listing part of a domain's MX hosts could make a sender refuse
 *     the others.
 * A domain's patterns are written lowercased, in policy order, without
 * duplicates.
 *
 * Output (listbuild_render): the policies sorted by domain (strcmp, as
 * tlslist.h), one per line, timestamp = now and expires = now +
 * expires_in as "YYYY-MM-DDTHH:MM:SSZ", version "0.1", the author,
 * empty "policy-aliases".  The same records and conf give the same
 * bytes.  At most TLSLIST_POLICIES_MAX policies, TLSLIST_TOKENS_MAX
 * JSON values (what tlslist accepts: about 100,000 domains of one mx
 * pattern, 90,000 of two) and conf.max_bytes bytes (what a node
 * fetches: the daemon's is 4 MiB, about 45,000 domains): more is an
 * error, never a silent cut.
 */
#ifndef LISTBUILD_H
#define LISTBUILD_H

#include <stddef.h>
#include <stdint.h>

struct record_policy;
struct listbuild;

#define LISTBUILD_AUTHOR_MAX	1024	/* TLSLIST_AUTHOR_MAX */

struct listbuild_conf {
	int64_t		 now;		/* unix seconds: timestamp */
	int64_t		 min_age;	/* seconds seen before listed */
	uint32_t	 min_max_age;	/* policy max_age floor */
	int64_t		 expires_in;	/* expires = now + this, > 0 */
	int		 include_testing;
	const char	*author;	/* printable ASCII */
	size_t		 max_bytes;	/* what nodes fetch; 0 or more
					 * than TLSLIST_MAX_SIZE: that */
};

/* What listbuild_pick decided; the skip reasons are counted. */
enum listbuild_pick {
	LISTBUILD_ENFORCE = 0,
	LISTBUILD_TESTING,
	LISTBUILD_SKIP_NONE,		/* mode none */
	LISTBUILD_SKIP_EXPIRED,		/* not valid at now */
	LISTBUILD_SKIP_MAX_AGE,		/* max_age below the floor */
	LISTBUILD_SKIP_YOUNG,		/* not seen long enough */
	LISTBUILD_SKIP_TESTING,		/* testing, not asked for */
	LISTBUILD_SKIP_NAME		/* domain or mx not expressible */
};
#define LISTBUILD_NPICKS	8

/*
 * listbuild_conf_check: NULL when c is usable, else a static reason
 * (author missing, too long or with a control byte; expires_in <= 0;
 * min_age < 0; expires past 9999).
 */
const char *listbuild_conf_check(const struct listbuild_conf *c);

/*
 * listbuild_pick: the decision for policy p cached under `domain` (see
 * above).  Never allocates.
 */
enum listbuild_pick listbuild_pick(const struct listbuild_conf *c,
    const char *domain, const struct record_policy *p);

/* listbuild_new: an empty build with a copy of *c; NULL: no memory. */
struct listbuild *listbuild_new(const struct listbuild_conf *c);

/*
 * listbuild_add: pick p and keep it if listed.  Returns the decision
 * (counted, see listbuild_count), or -1 when out of memory or past
 * TLSLIST_POLICIES_MAX (*why says which; the build is then unusable).
 * domain and p are borrowed for the call only.
 */
int listbuild_add(struct listbuild *b, const char *domain,
    const struct record_policy *p, const char **why);

/* listbuild_count: how many policies got decision `pick`. */
size_t listbuild_count(const struct listbuild *b, enum listbuild_pick pick);

/*
 * listbuild_render: the policy.json of the build, NUL-terminated, in a
 * new buffer for the caller to free(), its length in *len.  NULL with
 * *why set when out of memory, when two records name one domain, or
 * when the file would pass max_bytes or TLSLIST_TOKENS_MAX.
 */
char *listbuild_render(struct listbuild *b, size_t *len, const char **why);

/* listbuild_free: NULL is a no-op. */
void listbuild_free(struct listbuild *b);

/* "enforce", "testing", "mode-none", "expired", "max-age", "young",
 * "testing-not-asked", "name"; "invalid" otherwise. */
const char *listbuild_pick_str(enum listbuild_pick pick);

#endif /* LISTBUILD_H */
