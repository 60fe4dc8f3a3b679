/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * liststore.c: the STARTTLS Policy List in LMDB; see liststore.h.
 *
 * An install first encodes every entry once outside the transaction,
 * only to find out whether all of them can be stored: cache_write()
 * may run its callback more than once (map growth) and has no way for
 * the callback to fail a transaction with a reason of its own, so the
 * callback must only repeat writes that are known to work.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "liststore.h"
#include "record.h"
#include "tlslist.h"

#define META_KIND	'L'

/* ---- meta codec (pure) ---------------------------------------------- */

static int
meta_str_ok(const char *s, size_t min, size_t max, int hex)
{
	size_t i, n = strnlen(s, max + 1);

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		if (hex ? !((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')) :
		    (s[i] < 0x21 || s[i] > 0x7e))
			return 0;
	}
	return 1;
}

static const char *
meta_check(const struct liststore_meta *m)
{
	if (!meta_str_ok(m->source, 1, LISTSTORE_SOURCE_MAX, 0))
		return "source: empty, too long or not printable ASCII";
	if (!meta_str_ok(m->signer, 0, LISTSIG_FPR_MAX, 1) ||
	    !meta_str_ok(m->primary, 0, LISTSIG_FPR_MAX, 1))
		return "fingerprint: not upper-case hex";
	return NULL;
}

static void
put_uint(unsigned char *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_uint(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

ssize_t
liststore_meta_encode(const struct liststore_meta *m, void *buf, size_t size,
    const char **why)
{
	size_t ls = strlen(m->source), lg, lp, need, o;
	unsigned char *p = buf;
	const char *bad;

	if ((bad = meta_check(m)) != NULL) {
		if (why != NULL)
			*why = bad;
		return -1;
	}
	lg = strlen(m->signer);
	lp = strlen(m->primary);
	need = LISTSTORE_META_FIXED + 2 + ls + 1 + lg + 1 + lp;
	if (need > size) {
		if (why != NULL)
			*why = "buffer too small";
		return -1;
	}
	p[0] = LISTSTORE_META_VERSION;
	p[1] = META_KIND;
	p[2] = p[3] = 0;
	put_uint(p + 4, (uint64_t)m->sigtime, 8);
	put_uint(p + 12, (uint64_t)m->timestamp, 8);
	put_uint(p + 20, (uint64_t)m->expires, 8);
	put_uint(p + 28, (uint64_t)m->installed_at, 8);
	put_uint(p + 36, m->entries, 4);
	put_uint(p + 40, m->enforce, 4);
	put_uint(p + 44, m->testing, 4);
	o = LISTSTORE_META_FIXED;
	put_uint(p + o, ls, 2);
	memcpy(p + o + 2, m->source, ls);
	o += 2 + ls;
	p[o] = (unsigned char)lg;
	memcpy(p + o + 1, m->signer, lg);
	o += 1 + lg;
	p[o] = (unsigned char)lp;
	memcpy(p + o + 1, m->primary, lp);
	return (ssize_t)need;
}

/*
 * meta_take_str: a length-prefixed string (lenbytes 1 or 2) at *off
 * into out (max bytes + NUL).  Returns 0, or -1 when it does not fit.
 */
static int
meta_take_str(const unsigned char *p, size_t len, size_t *off,
    size_t lenbytes, char *out, size_t max)
{
	size_t n;

	if (len - *off < lenbytes)
		return -1;
	n = (size_t)get_uint(p + *off, lenbytes);
	*off += lenbytes;
	if (n > max || len - *off < n)
		return -1;
	memcpy(out, p + *off, n);
	out[n] = '\0';
	*off += n;
	/* A NUL inside would hide bytes from every later check. */
	return strlen(out) == n ? 0 : -1;
}

int
liststore_meta_decode(const void *buf, size_t len, struct liststore_meta *out,
    const char **why)
{
	const unsigned char *p = buf;
	const char *bad = NULL;
	size_t off = LISTSTORE_META_FIXED;

	memset(out, 0, sizeof(*out));
	if (len < LISTSTORE_META_FIXED)
		bad = "truncated";
	else if (p[0] != LISTSTORE_META_VERSION)
		bad = "unknown version";
	else if (p[1] != META_KIND || p[2] != 0 || p[3] != 0)
		bad = "not a list metadata record";
	else if (meta_take_str(p, len, &off, 2, out->source,
	    LISTSTORE_SOURCE_MAX) == -1 ||
	    meta_take_str(p, len, &off, 1, out->signer, LISTSIG_FPR_MAX) ==
	    -1 ||
	    meta_take_str(p, len, &off, 1, out->primary, LISTSIG_FPR_MAX) ==
	    -1)
		bad = "truncated or oversize string";
	else if (off != len)
		bad = "trailing bytes";
	if (bad == NULL) {
		out->sigtime = (int64_t)get_uint(p + 4, 8);
		out->timestamp = (int64_t)get_uint(p + 12, 8);
		out->expires = (int64_t)get_uint(p + 20, 8);
		out->installed_at = (int64_t)get_uint(p + 28, 8);
		out->entries = (uint32_t)get_uint(p + 36, 4);
		out->enforce = (uint32_t)get_uint(p + 40, 4);
		out->testing = (uint32_t)get_uint(p + 44, 4);
		bad = meta_check(out);
	}
	if (bad != NULL && why != NULL)
		*why = bad;
	return bad == NULL ? 0 : -1;
}

/* ---- install -------------------------------------------------------- */

struct install {
	const struct tlslist	*list;
	unsigned char		 meta[LISTSTORE_META_MAX];
	size_t			 metalen;
	const char		*json, *sig;
	size_t			 jlen, slen;
	unsigned char		*ebuf;		/* LISTSTORE_ENTRY_MAX */
};

/* entry_record: the record of list entry p (strings borrowed). */
static void
entry_record(const struct tlslist_policy *p, struct record_policy *r)
{
	size_t i;

	record_policy_clear(r);
	r->mode = p->mode == TLSLIST_MODE_ENFORCE ? RECORD_MODE_ENFORCE :
	    RECORD_MODE_TESTING;
	r->nmx = p->nmx < RECORD_MX_MAX ? p->nmx : RECORD_MX_MAX;
	for (i = 0; i < r->nmx; i++)
		r->mx[i] = p->mx[i];
}

/* entry_encode: p into ebuf; its length, or -1 with *why. */
static ssize_t
entry_encode(const struct tlslist_policy *p, unsigned char *ebuf,
    const char **why)
{
	struct record_policy r;

	entry_record(p, &r);
	if (p->nmx > RECORD_MX_MAX) {
		*why = "too many mx patterns for a record";
		return -1;
	}
	return record_policy_encode(&r, ebuf, LISTSTORE_ENTRY_MAX, why);
}

/* Only describes the writes: cache_write() may run it twice. */
static void
install_txn(struct cache_txn *t, void *arg)
{
	struct install *in = arg;
	const struct tlslist_policy *p;
	const char *why;
	ssize_t n;
	size_t i;

	cache_txn_drop(t, CACHE_DB_LIST);
	for (i = 0; (p = tlslist_at(in->list, i)) != NULL &&
	    !cache_txn_failed(t); i++) {
		if ((n = entry_encode(p, in->ebuf, &why)) < 0)
			return;		/* checked before: cannot happen */
		cache_txn_put(t, CACHE_DB_LIST, p->domain, in->ebuf, (size_t)n);
	}
	cache_txn_put(t, CACHE_DB_META, LISTSTORE_KEY_META, in->meta,
	    in->metalen);
	cache_txn_put(t, CACHE_DB_META, LISTSTORE_KEY_JSON, in->json,
	    in->jlen);
	cache_txn_put(t, CACHE_DB_META, LISTSTORE_KEY_SIG, in->sig, in->slen);
}

/* install_check: every entry encodes; 0, or -1 with *why. */
static int
install_check(struct install *in, const char **why)
{
	const struct tlslist_policy *p;
	size_t i;

	for (i = 0; (p = tlslist_at(in->list, i)) != NULL; i++)
		if (entry_encode(p, in->ebuf, why) < 0)
			return -1;
	return 0;
}

enum cache_result
liststore_install(struct cache *c, const struct tlslist *list,
    const struct liststore_meta *m, const char *json, size_t jlen,
    const char *sig, size_t slen, const char **err)
{
	struct liststore_meta mm = *m;
	enum cache_result r = CACHE_INVALID;
	const char *why = NULL;
	struct install *in;
	ssize_t n;

	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->ebuf = malloc(LISTSTORE_ENTRY_MAX)) == NULL) {
		why = "out of memory";
		r = CACHE_ERROR;
		goto done;
	}
	mm.entries = (uint32_t)tlslist_count(list);
	mm.enforce = (uint32_t)tlslist_count_mode(list, TLSLIST_MODE_ENFORCE);
	mm.testing = (uint32_t)tlslist_count_mode(list, TLSLIST_MODE_TESTING);
	in->list = list;
	if ((n = liststore_meta_encode(&mm, in->meta, sizeof(in->meta),
	    &why)) < 0 || install_check(in, &why) == -1)
		goto done;
	in->metalen = (size_t)n;
	in->json = json;
	in->jlen = jlen;
	in->sig = sig;
	in->slen = slen;
	r = cache_write(c, install_txn, in, &why);
done:
	if (in != NULL)
		free(in->ebuf);
	free(in);
	if (r != CACHE_OK && err != NULL)
		*err = why;
	return r;
}

/* ---- reads ---------------------------------------------------------- */

enum cache_result
liststore_meta_get(struct cache *c, struct liststore_meta *out,
    const char **err)
{
	unsigned char buf[LISTSTORE_META_MAX];
	enum cache_result r;
	const char *why = NULL;
	size_t len = 0;

	r = cache_get(c, CACHE_DB_META, LISTSTORE_KEY_META, buf, sizeof(buf),
	    &len, err);
	if (r == CACHE_TOOSMALL) {
		why = "record too large";
		r = CACHE_CORRUPT;
	} else if (r == CACHE_OK &&
	    liststore_meta_decode(buf, len, out, &why) == -1)
		r = CACHE_CORRUPT;
	if (why != NULL && err != NULL)
		*err = why;
	return r;
}

enum cache_result
liststore_get(struct cache *c, const char *domain, void *buf, size_t size,
    struct record_policy *out, const char **err)
{
	enum cache_result r;
	const char *why = NULL;
	size_t len = 0;

	r = cache_get(c, CACHE_DB_LIST, domain, buf, size, &len, err);
	if (r == CACHE_TOOSMALL) {
		why = "record too large";
		r = CACHE_CORRUPT;
	} else if (r == CACHE_OK) {
		if (record_policy_decode(buf, len, out, &why) == -1)
			r = CACHE_CORRUPT;
		else if ((out->mode != RECORD_MODE_TESTING &&
		    out->mode != RECORD_MODE_ENFORCE) || out->nmx == 0) {
			why = "not a list entry";
			r = CACHE_CORRUPT;
		}
	}
	if (why != NULL && err != NULL)
		*err = why;
	return r;
}
