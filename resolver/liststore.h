/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * liststore.h: the STARTTLS Policy List in the LMDB store
 * (docs/DESIGN.md §Cache, §List; store/cache.h sub-databases "list",
 * "meta").
 *
 * Purpose: keep the one verified list the daemon uses, so lookups read
 * its entries with one LMDB get (like a cached policy) and a restart
 * finds it again.  Two sub-databases:
 *   "list"  domain -> the entry, encoded as a store/record.h policy
 *           record (mode testing|enforce, the mx patterns in MTA-STS
 *           form "*.x"; id, text and times empty: the entry is never an
 *           MTA-STS policy and never lives in "policy");
 *   "meta"  "current"          -> struct liststore_meta (format below)
 *           "policy.json"      -> the verified file, byte for byte
 *           "policy.json.asc"  -> its detached signature
 * liststore_install replaces all of it in ONE write transaction
 * (cache_write): the old entries are dropped and the new ones, the
 * metadata and the raw files are put, then committed, so a lookup sees
 * the old list or the new one, never a mix or half a list.  Only a list
 * whose signature the caller checked may be installed: this module does
 * not verify (resolver/listsig.h does), it stores.
 *
 * Meta record format (version LISTSTORE_META_VERSION = 1), integers
 * little-endian, read byte by byte:
 *   u8 version, u8 kind 'L', u8 0, u8 0,
 *   i64 sigtime, i64 timestamp, i64 expires, i64 installed_at,
 *   u32 entries, u32 enforce, u32 testing,
 *   u16 source_len, source (1..LISTSTORE_SOURCE_MAX bytes 0x21-0x7e),
 *   u8 signer_len, signer, u8 primary_len, primary (0..LISTSIG_FPR_MAX
 *   upper-case hex digits each).
 * The value ends exactly there; anything else does not decode (a
 * corrupt record is a logged "no list", never a crash).  Strings are
 * stored without NUL and decoded into the fixed arrays below.
 *
 * Threading: loop thread only (it uses struct cache).  The codec
 * functions are pure.  Errors are results with a static reason in *err
 * (may be NULL); nothing here logs or exits.
 */
#ifndef LISTSTORE_H
#define LISTSTORE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "listsig.h"
#include "record.h"
#include "tlslist.h"

#define LISTSTORE_META_VERSION	1
#define LISTSTORE_SOURCE_MAX	512	/* a URL, or "bundled" */
#define LISTSTORE_META_FIXED	48
#define LISTSTORE_META_MAX	(LISTSTORE_META_FIXED + 2 + \
	LISTSTORE_SOURCE_MAX + 1 + LISTSIG_FPR_MAX + 1 + LISTSIG_FPR_MAX)
/* Largest encoded entry: a policy record with no id, error or text. */
#define LISTSTORE_ENTRY_MAX	(RECORD_POLICY_FIXED + 2 + 2 + 2 + \
	TLSLIST_MX_MAX * (1 + RECORD_MX_LEN_MAX + 1) + 4 + 1)
#define LISTSTORE_KEY_META	"current"
#define LISTSTORE_KEY_JSON	"policy.json"
#define LISTSTORE_KEY_SIG	"policy.json.asc"

/* What is known about the installed list.  Times: seconds, UTC. */
struct liststore_meta {
	int64_t		 sigtime;	/* signature creation time */
	int64_t		 timestamp;	/* the list's "timestamp" */
	int64_t		 expires;	/* the list's "expires" */
	int64_t		 installed_at;	/* when it was swapped in */
	uint32_t	 entries;	/* domains, aliases resolved */
	uint32_t	 enforce;	/* of which mode enforce */
	uint32_t	 testing;	/* of which mode testing */
	char		 source[LISTSTORE_SOURCE_MAX + 1]; /* URL|"bundled" */
	char		 signer[LISTSIG_FPR_MAX + 1];	/* signing (sub)key */
	char		 primary[LISTSIG_FPR_MAX + 1];	/* its primary key */
};

/*
 * liststore_meta_encode: write m into buf[0..size).  Returns the length,
 * or -1 with *why when m breaks a limit or alphabet above or the buffer
 * is too small.  LISTSTORE_META_MAX bytes always suffice.
 */
ssize_t liststore_meta_encode(const struct liststore_meta *m, void *buf,
    size_t size, const char **why);

/*
 * liststore_meta_decode: decode `len` bytes at buf (never read past
 * len) into *out.  Returns 0, or -1 with *why (static).
 */
int liststore_meta_decode(const void *buf, size_t len,
    struct liststore_meta *out, const char **why);

/*
 * liststore_install: replace the stored list with `list` (parsed from
 * json[0..jlen), whose detached signature is sig[0..slen)), described
 * by *m (its counts are taken from `list`, the rest as given).  One
 * write transaction (see above).  CACHE_OK, or the cache_write result
 * with *err; CACHE_INVALID when an entry or *m cannot be encoded
 * (nothing is written then).
 */
enum cache_result liststore_install(struct cache *c, const struct tlslist *list,
    const struct liststore_meta *m, const char *json, size_t jlen,
    const char *sig, size_t slen, const char **err);

/*
 * liststore_meta_get: the installed list's metadata into *out.
 * CACHE_OK, CACHE_NOTFOUND (no list installed), CACHE_CORRUPT (with the
 * decoder's reason in *err), CACHE_ERROR.
 */
enum cache_result liststore_meta_get(struct cache *c,
    struct liststore_meta *out, const char **err);

/*
 * liststore_get: the entry of `domain` (normalised) into buf[0..size)
 * (LISTSTORE_ENTRY_MAX bytes suffice), decoded in place into *out: its
 * mode (RECORD_MODE_TESTING or _ENFORCE) and mx patterns point into
 * buf.  CACHE_OK, CACHE_NOTFOUND (not listed), CACHE_CORRUPT (does not
 * decode, or a mode other than testing/enforce), CACHE_ERROR.  Does not
 * look at expiry: the caller decides whether the list applies.
 */
enum cache_result liststore_get(struct cache *c, const char *domain,
    void *buf, size_t size, struct record_policy *out, const char **err);

#endif /* LISTSTORE_H */
