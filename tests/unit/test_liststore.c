/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_liststore.c: tests of resolver/liststore.c: the metadata codec
 * (a table of valid and hostile encodings: round trip, truncation,
 * versions, reserved bytes, string limits, embedded NUL, trailing
 * bytes) and the store side in a mkdtemp() LMDB: install, read back,
 * replace (old entries gone, one transaction), the raw files kept, a
 * corrupt entry and a corrupt metadata record read as CACHE_CORRUPT.
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "liststore.h"
#include "record.h"
#include "tap.h"
#include "tlslist.h"

#define MIB	(1024 * 1024)
#define FPR	"0123456789ABCDEF0123456789ABCDEF01234567"

static char base[256];

static void
meta_example(struct liststore_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->sigtime = 1589995512;
	m->timestamp = 1589995512;
	m->expires = 1591205112;
	m->installed_at = -5;		/* any i64 round-trips */
	m->entries = 926;
	m->enforce = 361;
	m->testing = 565;
	snprintf(m->source, sizeof(m->source), "%s",
	    "https://dl.eff.org/starttls-everywhere/policy.json");
	snprintf(m->signer, sizeof(m->signer), "%s", FPR);
	snprintf(m->primary, sizeof(m->primary), "%s", FPR);
}

static int
meta_same(const struct liststore_meta *a, const struct liststore_meta *b)
{
	return a->sigtime == b->sigtime && a->timestamp == b->timestamp &&
	    a->expires == b->expires && a->installed_at == b->installed_at &&
	    a->entries == b->entries && a->enforce == b->enforce &&
	    a->testing == b->testing && strcmp(a->source, b->source) == 0 &&
	    strcmp(a->signer, b->signer) == 0 &&
	    strcmp(a->primary, b->primary) == 0;
}

/* Encode-side rejections: a struct that must not be stored. */
static void
test_meta_encode(void)
{
	static const struct {
		const char	*name;
		const char	*source, *signer;
		int		 ok;
	} cases[] = {
		{ "valid", "bundled", FPR, 1 },
		{ "empty fingerprint (allowed)", "bundled", "", 1 },
		{ "empty source", "", FPR, 0 },
		{ "space in source", "https://a b/", FPR, 0 },
		{ "control byte in source", "bund\tled", FPR, 0 },
		{ "non-ASCII source", "b\xc3\xbcndled", FPR, 0 },
		{ "lower-case fingerprint", "bundled",
		    "0123456789abcdef0123456789abcdef01234567", 0 },
		{ "non-hex fingerprint", "bundled", "XYZ", 0 },
	};
	unsigned char buf[LISTSTORE_META_MAX];
	struct liststore_meta m, out;
	const char *why = NULL;
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		meta_example(&m);
		snprintf(m.source, sizeof(m.source), "%s", cases[i].source);
		snprintf(m.signer, sizeof(m.signer), "%s", cases[i].signer);
		n = liststore_meta_encode(&m, buf, sizeof(buf), &why);
		if (!tap_ok((n > 0) == cases[i].ok, "meta encode: %s",
		    cases[i].name))
			tap_diag("got %zd (%s), want %s", n, n < 0 ? why : "",
			    cases[i].ok ? "success" : "-1");
		if (n > 0 && !tap_ok(liststore_meta_decode(buf, (size_t)n,
		    &out, &why) == 0 && meta_same(&m, &out),
		    "meta round trip: %s", cases[i].name))
			tap_diag("decode: %s", why);
	}
	meta_example(&m);
	n = liststore_meta_encode(&m, buf, 20, &why);
	tap_ok(n == -1 && strcmp(why, "buffer too small") == 0,
	    "meta encode: buffer too small");
	memset(m.source, 'x', LISTSTORE_SOURCE_MAX);
	m.source[LISTSTORE_SOURCE_MAX] = '\0';
	n = liststore_meta_encode(&m, buf, sizeof(buf), &why);
	tap_ok(n > 0 && (size_t)n == LISTSTORE_META_FIXED + 2 +
	    LISTSTORE_SOURCE_MAX + 1 + 40 + 1 + 40,
	    "meta encode: longest source fits LISTSTORE_META_MAX");
}

/* Decode-side: hostile bytes derived from a valid encoding. */
static void
test_meta_decode(void)
{
	static const struct {
		const char	*name;
		int		 off;	/* byte to change, -1 none */
		unsigned char	 val;
		int		 cut;	/* bytes removed from the end */
		int		 extra;	/* bytes added at the end */
	} cases[] = {
		{ "valid", -1, 0, 0, 0 },
		{ "version 2", 0, 2, 0, 0 },
		{ "version 0", 0, 0, 0, 0 },
		{ "kind 'P'", 1, 'P', 0, 0 },
		{ "reserved byte 2", 2, 1, 0, 0 },
		{ "reserved byte 3", 3, 0x80, 0, 0 },
		{ "source length over the limit", 49, 0xff, 0, 0 },
		{ "source length past the end", 48, 0xff, 0, 0 },
		{ "NUL inside the source", 52, 0, 0, 0 },
		{ "lower-case byte in the signer", 50 + 7 + 1, 'a', 0, 0 },
		{ "truncated by one", -1, 0, 1, 0 },
		{ "cut after the source", -1, 0, 82, 0 },
		{ "one trailing byte", -1, 0, 0, 1 },
	};
	unsigned char good[LISTSTORE_META_MAX], buf[LISTSTORE_META_MAX + 1];
	struct liststore_meta m, out;
	const char *why = NULL;
	ssize_t n;
	size_t i, len;
	int r;

	meta_example(&m);
	snprintf(m.source, sizeof(m.source), "bundled");	/* 7 bytes */
	n = liststore_meta_encode(&m, good, sizeof(good), &why);
	tap_is_int(n, LISTSTORE_META_FIXED + 2 + 7 + 1 + 40 + 1 + 40,
	    "meta decode: the example's length");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, good, (size_t)n);
		len = (size_t)n - (size_t)cases[i].cut +
		    (size_t)cases[i].extra;
		if (cases[i].extra)
			buf[n] = 'A';
		if (cases[i].off >= 0)
			buf[cases[i].off] = cases[i].val;
		why = NULL;
		r = liststore_meta_decode(buf, len, &out, &why);
		if (!tap_ok((r == 0) == (i == 0), "meta decode: %s",
		    cases[i].name))
			tap_diag("got %d (%s), want %d", r, why ? why : "",
			    i == 0 ? 0 : -1);
	}
	tap_ok(liststore_meta_decode(good, 0, &out, &why) == -1,
	    "meta decode: empty value");
}

static const char LIST_A[] =
    "{\"timestamp\": 100, \"expires\": 2000000000, \"version\": \"0.1\","
    " \"policies\": {"
    "  \"a.example\": {\"mode\": \"enforce\", \"mxs\": [\"mx.a.example\","
    "   \".a.example\"]},"
    "  \"old.example\": {\"mode\": \"testing\", \"mxs\": [\"mx.old.example\"]}"
    "}}";
static const char LIST_B[] =
    "{\"timestamp\": 200, \"expires\": 2000000000, \"version\": \"0.1\","
    " \"policy-aliases\": {\"p\": {\"mode\": \"enforce\","
    "   \"mxs\": [\"mx.p.example\"]}},"
    " \"policies\": {"
    "  \"a.example\": {\"mode\": \"testing\", \"mxs\": [\"mx2.a.example\"]},"
    "  \"new.example\": {\"policy-alias\": \"p\"}"
    "}}";

static struct tlslist *
parse(const char *json)
{
	char err[256];
	struct tlslist *l;

	if ((l = tlslist_parse(json, strlen(json), err, sizeof(err))) == NULL)
		tap_diag("parse: %s", err);
	return l;
}

/* check_entry: domain's entry is (mode, mx0), or absent (mode 0). */
static void
check_entry(struct cache *c, const char *domain, enum record_mode mode,
    const char *mx0, size_t nmx, const char *name)
{
	static unsigned char buf[LISTSTORE_ENTRY_MAX];
	struct record_policy p;
	enum cache_result r;

	r = liststore_get(c, domain, buf, sizeof(buf), &p, NULL);
	if (mode == 0) {
		tap_is_int(r, CACHE_NOTFOUND, name);
		return;
	}
	if (!tap_ok(r == CACHE_OK && p.mode == mode && p.nmx == nmx &&
	    strcmp(p.mx[0], mx0) == 0, "%s", name))
		tap_diag("got %s mode %d nmx %zu mx0 %s, want ok %d %zu %s",
		    cache_result_str(r), r == CACHE_OK ? (int)p.mode : -1,
		    r == CACHE_OK ? p.nmx : 0, r == CACHE_OK ? p.mx[0] : "",
		    (int)mode, nmx, mx0);
}

static void
test_install(struct cache *c)
{
	struct tlslist *a = parse(LIST_A), *b = parse(LIST_B);
	struct liststore_meta m, got;
	char raw[512];
	size_t len = 0;

	if (!tap_ok(a != NULL && b != NULL, "test lists parse"))
		goto done;
	tap_is_int(liststore_meta_get(c, &got, NULL), CACHE_NOTFOUND,
	    "empty store: no list");
	meta_example(&m);
	m.entries = 999;		/* taken from the list instead */
	tap_is_int(liststore_install(c, a, &m, LIST_A, strlen(LIST_A), "SIG",
	    3, NULL), CACHE_OK, "install list A");
	tap_ok(liststore_meta_get(c, &got, NULL) == CACHE_OK &&
	    got.entries == 2 && got.enforce == 1 && got.testing == 1 &&
	    got.sigtime == m.sigtime && strcmp(got.source, m.source) == 0,
	    "A: metadata stored, counts from the list");
	check_entry(c, "a.example", RECORD_MODE_ENFORCE, "mx.a.example", 2,
	    "A: a.example enforce, 2 patterns");
	check_entry(c, "old.example", RECORD_MODE_TESTING, "mx.old.example",
	    1, "A: old.example testing");
	tap_ok(cache_get(c, CACHE_DB_META, LISTSTORE_KEY_JSON, raw,
	    sizeof(raw), &len, NULL) == CACHE_OK && len == strlen(LIST_A) &&
	    memcmp(raw, LIST_A, len) == 0, "A: the verified file is kept");
	tap_is_int(cache_get(c, CACHE_DB_POLICY, "a.example", raw,
	    sizeof(raw), &len, NULL), CACHE_NOTFOUND,
	    "A: nothing written to the MTA-STS policy db");
	tap_is_int(liststore_install(c, b, &m, LIST_B, strlen(LIST_B), "SIG2",
	    4, NULL), CACHE_OK, "install list B over A");
	check_entry(c, "a.example", RECORD_MODE_TESTING, "mx2.a.example", 1,
	    "B: a.example replaced");
	check_entry(c, "old.example", 0, NULL, 0, "B: old.example gone");
	check_entry(c, "new.example", RECORD_MODE_ENFORCE, "mx.p.example", 1,
	    "B: new.example via its alias");
	tap_ok(cache_get(c, CACHE_DB_META, LISTSTORE_KEY_SIG, raw,
	    sizeof(raw), &len, NULL) == CACHE_OK && len == 4 &&
	    memcmp(raw, "SIG2", 4) == 0, "B: the signature is kept");
	snprintf(m.signer, sizeof(m.signer), "lower");
	tap_is_int(liststore_install(c, a, &m, LIST_A, strlen(LIST_A), "S",
	    1, NULL), CACHE_INVALID, "an unencodable metadata record is "
	    "refused");
	check_entry(c, "new.example", RECORD_MODE_ENFORCE, "mx.p.example", 1,
	    "... and list B stays whole");
done:
	tlslist_free(a);
	tlslist_free(b);
}

static void
test_corrupt(struct cache *c)
{
	static unsigned char buf[LISTSTORE_ENTRY_MAX];
	struct record_policy p, none;
	struct liststore_meta got;
	unsigned char enc[256];
	const char *mx[1] = { "mx.x.example" };
	ssize_t n;

	tap_is_int(cache_put(c, CACHE_DB_LIST, "bad.example", "xyz", 3, NULL),
	    CACHE_OK, "corrupt: raw bytes put as an entry");
	tap_is_int(liststore_get(c, "bad.example", buf, sizeof(buf), &p,
	    NULL), CACHE_CORRUPT, "corrupt: undecodable entry");
	memset(&none, 0, sizeof(none));
	none.mode = RECORD_MODE_NONE;
	none.nmx = 1;
	none.mx[0] = mx[0];
	n = record_policy_encode(&none, enc, sizeof(enc), NULL);
	tap_is_int(cache_put(c, CACHE_DB_LIST, "none.example", enc,
	    (size_t)n, NULL), CACHE_OK, "corrupt: a mode-none record put");
	tap_is_int(liststore_get(c, "none.example", buf, sizeof(buf), &p,
	    NULL), CACHE_CORRUPT, "corrupt: mode none is no list entry");
	tap_is_int(liststore_get(c, "none.example", buf, 10, &p, NULL),
	    CACHE_CORRUPT, "corrupt: entry larger than the buffer");
	tap_is_int(cache_put(c, CACHE_DB_META, LISTSTORE_KEY_META, "\1L\0\0",
	    4, NULL), CACHE_OK, "corrupt: truncated metadata put");
	tap_is_int(liststore_meta_get(c, &got, NULL), CACHE_CORRUPT,
	    "corrupt: metadata reads as corrupt");
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int
main(void)
{
	const char *err = NULL;
	struct cache *c;

	test_meta_encode();
	test_meta_decode();
	snprintf(base, sizeof(base), "%s/test_liststore.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(base) == NULL)
		return tap_skip_all("mkdtemp failed");
	if ((c = cache_open(base, MIB, 16 * MIB, 0, &err)) == NULL) {
		tap_ok(0, "cache_open: %s", err);
	} else {
		test_install(c);
		test_corrupt(c);
		cache_close(c);
	}
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
