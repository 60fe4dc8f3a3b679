/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tlslist.c: EFF STARTTLS Policy List parser (format 0.1) and lookup.
 *
 * The bytes are first scanned without building anything (NUL bytes,
 * "\u0000" escapes, nesting depth, number of values), so that cJSON only
 * ever sees input whose tree size is bounded.  The cJSON tree then lives
 * only inside tlslist_parse (docs/HACKING.md §Style): every string we
 * keep is copied, lowercased and checked, into one arena owned by the
 * list, and the policies into one array sorted by domain.  Alias
 * references share the alias's mx array.
 *
 * Character classes are ASCII-only on purpose (no <ctype.h>): the
 * result must not depend on the process locale.  No libm either:
 * integer checks on doubles are done by casting.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mxmatch.h"
#include "tlslist.h"
#include "chars.h"

#define ARENA_BLOCK	65536	/* bytes per arena block (the real list
				 * needs about 60 KiB of strings) */
#define LABEL_MAX	63	/* RFC 1035 §2.3.4 */
#define ESC_MAX		48	/* untrusted bytes shown in a reason */

struct arena {
	struct arena	*next;
	size_t		 used;
	size_t		 cap;
	max_align_t	 data[];	/* cap bytes */
};

struct tlslist {
	int64_t			 timestamp;
	int64_t			 expires;
	const char		*author;	/* arena, or NULL */
	char			 version[8];
	size_t			 npol;
	struct tlslist_policy	*pol;		/* sorted by domain */
	size_t			 nalias;
	struct tlslist_policy	*alias;		/* sorted by name */
	struct arena		*arena;
};

/* Parser state: the list being built and where errors go. */
struct pctx {
	struct tlslist	*list;
	char		*err;
	size_t		 errlen;
	int		 failed;
	char		 where[2 * ESC_MAX + 32];	/* e.g. policies["x"] */
};

/*
 * esc: a printable, bounded copy of untrusted text for error messages
 * (the reason may be logged): printable ASCII except '"' and '\\' as is,
 * anything else as \xHH, cut at ESC_MAX input bytes with "...".
 */
static void
esc(const char *s, char *out, size_t outsize)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; s[i] != '\0' && i < ESC_MAX && o + 5 < outsize; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outsize - o,
			    "\\x%02x", c);
	}
	if (s[i] != '\0' && o + 4 < outsize) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* fail: record the first error ("<where>: <reason>"); returns -1. */
static int __attribute__((format(printf, 2, 3)))
fail(struct pctx *c, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (c->failed++ || c->err == NULL || c->errlen == 0)
		return -1;
	if (c->where[0] != '\0')
		n = snprintf(c->err, c->errlen, "%s: ", c->where);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* set_where: name the object being checked, for error messages. */
static void
set_where(struct pctx *c, const char *obj, const char *key)
{
	char k[4 * ESC_MAX + 8];

	if (key == NULL) {
		snprintf(c->where, sizeof(c->where), "%s", obj);
		return;
	}
	esc(key, k, sizeof(k));
	snprintf(c->where, sizeof(c->where), "%s[\"%.*s\"]", obj,
	    (int)(sizeof(c->where) / 2), k);
}

/* arena_alloc: `n` bytes aligned to `align` (a power of two <= 16). */
static void *
arena_alloc(struct tlslist *l, size_t n, size_t align)
{
	struct arena *a = l->arena;
	size_t off, cap;

	if (a != NULL) {
		off = (a->used + align - 1) & ~(align - 1);
		if (off <= a->cap && n <= a->cap - off) {
			a->used = off + n;
			return (char *)a->data + off;
		}
	}
	cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
	if ((a = malloc(sizeof(*a) + cap)) == NULL)
		return NULL;
	a->next = l->arena;
	a->cap = cap;
	a->used = n;
	l->arena = a;
	return a->data;
}

static char *
arena_strdup(struct tlslist *l, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if ((p = arena_alloc(l, n, 1)) != NULL)
		memcpy(p, s, n);
	return p;
}

/*
 * prescan: check the raw bytes before cJSON sees them.  A NUL byte or
 * a "\u0000" escape would silently cut a C string short in cJSON's
 * tree ("a.example\u0000.evil" would read as "a.example"), so both are
 * errors.  Depth and value counts bound cJSON's recursion and memory:
 * each value starts with '"', '{', '[' or follows a ',' (overcounting
 * object keys is fine).
 */
static int
prescan(struct pctx *c, const char *s, size_t len)
{
	size_t i, depth = 0, values = 1;
	int instr = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			return fail(c, "NUL byte at offset %zu", i);
		if (instr) {
			if (s[i] == '"')
				instr = 0;
			else if (s[i] == '\\' && len - i > 5 &&
			    memcmp(s + i + 1, "u0000", 5) == 0)
				return fail(c, "\\u0000 escape at offset %zu",
				    i);
			else if (s[i] == '\\')
				i++;	/* an escaped byte ends no string */
			continue;
		}
		if (s[i] == '{' || s[i] == '[') {
			if (++depth > TLSLIST_DEPTH_MAX)
				return fail(c, "JSON nested deeper than %d",
				    TLSLIST_DEPTH_MAX);
		} else if ((s[i] == '}' || s[i] == ']') && depth > 0)
			depth--;
		if (s[i] == '"' || s[i] == '{' || s[i] == '[' || s[i] == ',')
			values++;
		if (values > TLSLIST_TOKENS_MAX)
			return fail(c, "more than %d JSON values",
			    TLSLIST_TOKENS_MAX);
		instr = s[i] == '"';
	}
	return 0;
}

/* ---- dates ----------------------------------------------------------- */

/* digits: exactly n ASCII digits at s into *v. */
static int
digits(const char *s, size_t n, int64_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!chars_is_digit(s[i]))
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil; exact, no table, no libc time functions). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int64_t y, int64_t m)
{
	static const int mdays[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

/*
 * time_zone: the offset part at s[0..len) ("Z", "+HH:MM", "-HHMM") in
 * seconds east of UTC.  RFC 3339 §4.3's "-00:00" (offset unknown) is
 * taken as UTC, the only reading that does not invent an offset.
 */
static int
time_zone(const char *s, size_t len, int64_t *off)
{
	int64_t h, m;

	if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*off = 0;
		return 0;
	}
	/* Length first: digits() must not read past len. */
	if ((len != 5 && len != 6) || (s[0] != '+' && s[0] != '-') ||
	    !digits(s + 1, 2, &h))
		return -1;
	if (len == 6 && s[3] == ':' && digits(s + 4, 2, &m))
		;	/* +HH:MM */
	else if (len == 5 && digits(s + 3, 2, &m))
		;	/* +HHMM, seen in EFF's test data */
	else
		return -1;
	if (h > 23 || m > 59)
		return -1;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

int
tlslist_time_parse(const char *s, size_t len, int64_t *out)
{
	int64_t y, mo, d, h, mi, sec, off, t;
	size_t i = 19;

	if (s == NULL || len < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return -1;
	if (s[i] == '.') {
		/* Any number of digits, at least one; dropped (round down). */
		while (++i < len && chars_is_digit(s[i]))
			;
		if (i == 20 || i == len)
			return -1;
	}
	if (time_zone(s + i, len - i, &off) == -1)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (t < 0 || t > TLSLIST_TIME_MAX)
		return -1;
	*out = t;
	return 0;
}

/* put_digits: v (0 <= v < 10^n) as exactly n decimal digits at p. */
static void
put_digits(char *p, int64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

char *
tlslist_time_format(int64_t t, char buf[TLSLIST_TIME_STRLEN])
{
	int64_t z, era, doe, yoe, doy, mp, y, m, d, s;

	if (t < 0 || t > TLSLIST_TIME_MAX) {
		snprintf(buf, TLSLIST_TIME_STRLEN, "invalid");
		return buf;
	}
	/* Inverse of days_from_civil (civil_from_days). */
	z = t / 86400 + 719468;
	s = t % 86400;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	memcpy(buf, "0000-00-00T00:00:00Z", TLSLIST_TIME_STRLEN);
	put_digits(buf, y, 4);
	put_digits(buf + 5, m, 2);
	put_digits(buf + 8, d, 2);
	put_digits(buf + 11, s / 3600, 2);
	put_digits(buf + 14, s / 60 % 60, 2);
	put_digits(buf + 17, s % 60, 2);
	return buf;
}

/* ---- names ----------------------------------------------------------- */

/*
 * name_norm: check a domain key or (pattern != 0) an mx entry, and
 * write its lowercase MTA-STS form to out: ".x" becomes "*.x" (one
 * label, as EFF's checker and RULES.md; the schema's "arbitrarily
 * deep" description contradicts both).  Returns NULL or a reason.
 * The rules (see tlslist.h) follow the schema's LDH pattern, except
 * that an A-label TLD ("xn--p1ai") is allowed and an all-digit last
 * label (an IPv4 address, never a mail host name) is not.
 */
static const char *
name_norm(const char *s, int pattern, char out[TLSLIST_NAME_MAX + 1])
{
	size_t o = 0, lab = 0, nlab = 0;
	int alldigit = 1;

	if (pattern && s[0] == '.') {
		memcpy(out, "*.", 2);
		o = 2;
		s++;
	}
	for (;; s++) {
		if (*s == '.' || *s == '\0') {
			if (lab == 0)
				return *s == '\0' && nlab == 0 ? "empty name" :
				    "empty label";
			if (s[-1] == '-')
				return "label ends with '-'";
			nlab++;
			if (*s == '\0')
				break;
			lab = 0;
			alldigit = 1;
		} else if (chars_is_alnum(*s) || *s == '-') {
			if (lab == 0 && *s == '-')
				return "label starts with '-'";
			if (++lab > LABEL_MAX)
				return "label longer than 63 bytes";
			alldigit &= chars_is_digit(*s);
		} else
			return (unsigned char)*s >= 0x80 ?
			    "non-ASCII name (A-labels only)" :
			    "invalid character";
		if (o == TLSLIST_NAME_MAX)
			return "name longer than 253 bytes";
		out[o++] = (char)chars_tolower(*s);
	}
	out[o] = '\0';
	if (nlab < 2)
		return "not a domain (needs at least two labels)";
	return alldigit ? "last label is numeric" : NULL;
}

/* ---- JSON helpers ---------------------------------------------------- */

/*
 * get_unique: the member `key` of `obj` (case-sensitive, as the
 * schema), or NULL when absent; a second member with that key is an
 * error (*dup set).
 */
static const cJSON *
get_unique(struct pctx *c, const cJSON *obj, const char *key, int *dup)
{
	const cJSON *it, *found = NULL;

	*dup = 0;
	for (it = obj->child; it != NULL; it = it->next) {
		if (it->string == NULL || strcmp(it->string, key) != 0)
			continue;
		if (found != NULL) {
			*dup = 1;
			fail(c, "duplicate key \"%s\"", key);
			return NULL;
		}
		found = it;
	}
	return found;
}

/* get_member: like get_unique, but a missing key is an error too. */
static const cJSON *
get_member(struct pctx *c, const cJSON *obj, const char *key)
{
	const cJSON *it;
	int dup;

	if ((it = get_unique(c, obj, key, &dup)) == NULL && !dup)
		fail(c, "missing \"%s\"", key);
	return it;
}

/* parse_time: a "timestamp"/"expires" value, integer or string. */
static int
parse_time(struct pctx *c, const cJSON *root, const char *key, int64_t *out)
{
	const cJSON *it;
	double v;

	set_where(c, key, NULL);
	if ((it = get_member(c, root, key)) == NULL)
		return -1;
	if (cJSON_IsString(it)) {
		if (tlslist_time_parse(it->valuestring, strlen(it->valuestring),
		    out) == -1)
			return fail(c,
			    "not an RFC 3339 date-time in 1970..9999");
		return 0;
	}
	if (!cJSON_IsNumber(it))
		return fail(c, "must be a string or an integer");
	/* Written so that NaN fails; the cast is then in range. */
	v = it->valuedouble;
	if (!(v >= 0 && v <= (double)TLSLIST_TIME_MAX) ||
	    (double)(int64_t)v != v)
		return fail(c, "must be an integer in 0..%" PRId64,
		    TLSLIST_TIME_MAX);
	*out = (int64_t)v;
	return 0;
}

/* ---- policies -------------------------------------------------------- */

/* Order of policies (by domain) and aliases (by name): plain bytes. */
static int
pol_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tlslist_policy *)a)->domain,
	    ((const struct tlslist_policy *)b)->domain);
}

/* parse_mxs: the "mxs" array, checked and copied in MTA-STS form. */
static int
parse_mxs(struct pctx *c, const cJSON *arr, struct tlslist_policy *p)
{
	char norm[TLSLIST_NAME_MAX + 1], e[4 * ESC_MAX + 8];
	const char **mx, *why;
	const cJSON *it;
	size_t n, i = 0;

	if (!cJSON_IsArray(arr) || (n = (size_t)cJSON_GetArraySize(arr)) == 0)
		return fail(c, "\"mxs\" must be a non-empty array");
	if (n > TLSLIST_MX_MAX)
		return fail(c, "more than %d \"mxs\"", TLSLIST_MX_MAX);
	if ((mx = arena_alloc(c->list, n * sizeof(*mx),
	    _Alignof(const char *))) == NULL)
		return fail(c, "out of memory");
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return fail(c, "\"mxs\"[%zu] must be a string", i);
		if ((why = name_norm(it->valuestring, 1, norm)) != NULL) {
			esc(it->valuestring, e, sizeof(e));
			return fail(c, "mx \"%s\": %s", e, why);
		}
		if ((mx[i++] = arena_strdup(c->list, norm)) == NULL)
			return fail(c, "out of memory");
	}
	p->mx = mx;
	p->nmx = n;
	return 0;
}

/*
 * parse_def: {"mode": ..., "mxs": [...]}.  "mode" is required: the
 * prose says "Default: testing (required)", the schema requires it,
 * and guessing a mode for a signed list is not ours to do.
 */
static int
parse_def(struct pctx *c, const cJSON *obj, struct tlslist_policy *p)
{
	const cJSON *mode, *mxs;
	char e[4 * ESC_MAX + 8];

	if ((mode = get_member(c, obj, "mode")) == NULL)
		return -1;
	if (!cJSON_IsString(mode))
		return fail(c, "\"mode\" must be a string");
	if (strcmp(mode->valuestring, "enforce") == 0)
		p->mode = TLSLIST_MODE_ENFORCE;
	else if (strcmp(mode->valuestring, "testing") == 0)
		p->mode = TLSLIST_MODE_TESTING;
	else {
		esc(mode->valuestring, e, sizeof(e));
		return fail(c, "\"mode\" must be \"testing\" or \"enforce\", "
		    "not \"%s\"", e);
	}
	if ((mxs = get_member(c, obj, "mxs")) == NULL)
		return -1;
	return parse_mxs(c, mxs, p);
}

/* parse_alias: one "policy-aliases" member into p (p->domain = name). */
static int
parse_alias(struct pctx *c, const cJSON *it, struct tlslist_policy *p)
{
	int dup;

	set_where(c, "policy-aliases", it->string);
	if (it->string[0] == '\0' || strlen(it->string) > TLSLIST_NAME_MAX)
		return fail(c, "alias name must have 1..%d bytes",
		    TLSLIST_NAME_MAX);
	if (!cJSON_IsObject(it))
		return fail(c, "must be an object");
	/* One level only (schema: an alias is a plain policy). */
	if (get_unique(c, it, "policy-alias", &dup) != NULL)
		return fail(c, "an alias may not refer to another alias");
	if (dup || parse_def(c, it, p) == -1)
		return -1;
	if ((p->domain = arena_strdup(c->list, it->string)) == NULL)
		return fail(c, "out of memory");
	p->alias = p->domain;
	return 0;
}

/* parse_aliases: the optional "policy-aliases" object, sorted. */
static int
parse_aliases(struct pctx *c, const cJSON *root)
{
	struct tlslist *l = c->list;
	const cJSON *obj, *it;
	size_t i, n;
	int dup;

	set_where(c, "policy-aliases", NULL);
	if ((obj = get_unique(c, root, "policy-aliases", &dup)) == NULL)
		return dup ? -1 : 0;
	if (!cJSON_IsObject(obj))
		return fail(c, "must be an object");
	if ((n = (size_t)cJSON_GetArraySize(obj)) > TLSLIST_ALIASES_MAX)
		return fail(c, "more than %d aliases", TLSLIST_ALIASES_MAX);
	if (n == 0)
		return 0;
	if ((l->alias = calloc(n, sizeof(*l->alias))) == NULL)
		return fail(c, "out of memory");
	cJSON_ArrayForEach(it, obj)
		if (parse_alias(c, it, &l->alias[l->nalias++]) == -1)
			return -1;
	qsort(l->alias, l->nalias, sizeof(*l->alias), pol_cmp);
	for (i = 1; i < l->nalias; i++)
		if (strcmp(l->alias[i - 1].domain, l->alias[i].domain) == 0) {
			set_where(c, "policy-aliases", l->alias[i].domain);
			return fail(c, "duplicate alias");
		}
	return 0;
}

/* follow_alias: {"policy-alias": name}; a dangling name is fatal. */
static int
follow_alias(struct pctx *c, const cJSON *ref, struct tlslist_policy *p)
{
	const struct tlslist_policy *a = NULL;
	struct tlslist_policy key;
	char e[4 * ESC_MAX + 8];

	if (!cJSON_IsString(ref))
		return fail(c, "\"policy-alias\" must be a string");
	key.domain = ref->valuestring;
	if (c->list->nalias > 0)
		a = bsearch(&key, c->list->alias, c->list->nalias,
		    sizeof(*a), pol_cmp);
	if (a == NULL) {
		esc(ref->valuestring, e, sizeof(e));
		return fail(c, "policy alias \"%s\" is not defined", e);
	}
	p->alias = a->domain;
	p->mode = a->mode;
	p->nmx = a->nmx;
	p->mx = a->mx;
	return 0;
}

/*
 * parse_entry: one "policies" member.  With "policy-alias" the other
 * keys are ignored, unchecked (RULES.md: "If set, other fields are
 * ignored"), as both EFF implementations do.
 */
static int
parse_entry(struct pctx *c, const cJSON *it, struct tlslist_policy *p)
{
	char norm[TLSLIST_NAME_MAX + 1];
	const cJSON *ref;
	const char *why;
	int dup;

	set_where(c, "policies", it->string);
	if ((why = name_norm(it->string, 0, norm)) != NULL)
		return fail(c, "invalid domain: %s", why);
	if (!cJSON_IsObject(it))
		return fail(c, "must be an object");
	if ((p->domain = arena_strdup(c->list, norm)) == NULL)
		return fail(c, "out of memory");
	if ((ref = get_unique(c, it, "policy-alias", &dup)) != NULL)
		return follow_alias(c, ref, p);
	return dup ? -1 : parse_def(c, it, p);
}

/* parse_policies: the "policies" object, sorted, unique domains. */
static int
parse_policies(struct pctx *c, const cJSON *root)
{
	struct tlslist *l = c->list;
	const cJSON *obj, *it;
	size_t i, n;

	set_where(c, "policies", NULL);
	if ((obj = get_member(c, root, "policies")) == NULL)
		return -1;
	if (!cJSON_IsObject(obj))
		return fail(c, "must be an object");
	if ((n = (size_t)cJSON_GetArraySize(obj)) > TLSLIST_POLICIES_MAX)
		return fail(c, "more than %d policies", TLSLIST_POLICIES_MAX);
	if (n == 0)
		return 0;
	if ((l->pol = calloc(n, sizeof(*l->pol))) == NULL)
		return fail(c, "out of memory");
	cJSON_ArrayForEach(it, obj)
		if (parse_entry(c, it, &l->pol[l->npol++]) == -1)
			return -1;
	qsort(l->pol, l->npol, sizeof(*l->pol), pol_cmp);
	for (i = 1; i < l->npol; i++)
		if (strcmp(l->pol[i - 1].domain, l->pol[i].domain) == 0) {
			set_where(c, "policies", l->pol[i].domain);
			return fail(c, "duplicate domain (keys are compared "
			    "case-insensitively)");
		}
	return 0;
}

/* ---- top level ------------------------------------------------------- */

static int
parse_version(struct pctx *c, const cJSON *root)
{
	const cJSON *it;
	char e[4 * ESC_MAX + 8];

	set_where(c, "version", NULL);
	if ((it = get_member(c, root, "version")) == NULL)
		return -1;
	if (!cJSON_IsString(it))
		return fail(c, "must be a string");
	if (strcmp(it->valuestring, "0.1") != 0) {
		esc(it->valuestring, e, sizeof(e));
		return fail(c, "unsupported version \"%s\" (want \"0.1\")", e);
	}
	memcpy(c->list->version, "0.1", 4);
	return 0;
}

static int
parse_author(struct pctx *c, const cJSON *root)
{
	const cJSON *it;
	int dup;

	set_where(c, "author", NULL);
	if ((it = get_unique(c, root, "author", &dup)) == NULL)
		return dup ? -1 : 0;
	if (!cJSON_IsString(it))
		return fail(c, "must be a string");
	if (strlen(it->valuestring) > TLSLIST_AUTHOR_MAX)
		return fail(c, "longer than %d bytes", TLSLIST_AUTHOR_MAX);
	if ((c->list->author = arena_strdup(c->list, it->valuestring)) == NULL)
		return fail(c, "out of memory");
	return 0;
}

/* parse_top: every field, in an order that gives the clearest error
 * first (an unknown version before anything it might have changed). */
static int
parse_top(struct pctx *c, const cJSON *root)
{
	struct tlslist *l = c->list;

	if (!cJSON_IsObject(root))
		return fail(c, "the top level must be a JSON object");
	if (parse_version(c, root) == -1 || parse_author(c, root) == -1 ||
	    parse_time(c, root, "timestamp", &l->timestamp) == -1 ||
	    parse_time(c, root, "expires", &l->expires) == -1 ||
	    parse_aliases(c, root) == -1 || parse_policies(c, root) == -1)
		return -1;
	return 0;
}

/* parse_json: cJSON over exactly len bytes, nothing but white space
 * after the value. */
static cJSON *
parse_json(struct pctx *c, const char *json, size_t len)
{
	const char *end = NULL;
	cJSON *root;

	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (root == NULL) {
		fail(c, "JSON syntax error near offset %td",
		    end != NULL ? end - json : (ptrdiff_t)0);
		return NULL;
	}
	while (end < json + len && (*end == ' ' || *end == '\t' ||
	    *end == '\n' || *end == '\r'))
		end++;
	if (end != json + len) {
		fail(c, "text after the JSON value at offset %td", end - json);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

struct tlslist *
tlslist_parse(const char *json, size_t len, char *err, size_t errlen)
{
	struct pctx c = { .err = err, .errlen = errlen };
	struct tlslist *l = NULL;
	cJSON *root = NULL;
	int ok = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > TLSLIST_MAX_SIZE) {
		fail(&c, "larger than %d bytes", TLSLIST_MAX_SIZE);
		goto done;
	}
	if (json == NULL || len == 0) {
		fail(&c, "empty file");
		goto done;
	}
	if (prescan(&c, json, len) == -1 ||
	    (root = parse_json(&c, json, len)) == NULL)
		goto done;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		fail(&c, "out of memory");
		goto done;
	}
	c.list = l;
	ok = parse_top(&c, root) == 0;
done:
	cJSON_Delete(root);
	if (!ok) {
		tlslist_free(l);
		l = NULL;
	}
	return l;
}

void
tlslist_free(struct tlslist *l)
{
	struct arena *a, *next;

	if (l == NULL)
		return;
	for (a = l->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(l->pol);
	free(l->alias);
	free(l);
}

/* ---- accessors ------------------------------------------------------- */

int64_t
tlslist_timestamp(const struct tlslist *l)
{
	return l->timestamp;
}

int64_t
tlslist_expires(const struct tlslist *l)
{
	return l->expires;
}

const char *
tlslist_version(const struct tlslist *l)
{
	return l->version;
}

const char *
tlslist_author(const struct tlslist *l)
{
	return l->author;
}

size_t
tlslist_count(const struct tlslist *l)
{
	return l->npol;
}

size_t
tlslist_count_mode(const struct tlslist *l, enum tlslist_mode m)
{
	size_t i, n = 0;

	for (i = 0; i < l->npol; i++)
		n += l->pol[i].mode == m;
	return n;
}

size_t
tlslist_alias_count(const struct tlslist *l)
{
	return l->nalias;
}

int
tlslist_expired(const struct tlslist *l, int64_t now)
{
	return l->expires <= now;
}

const struct tlslist_policy *
tlslist_lookup(const struct tlslist *l, const char *domain)
{
	struct tlslist_policy key;

	if (domain == NULL || l->npol == 0)
		return NULL;
	key.domain = domain;
	return bsearch(&key, l->pol, l->npol, sizeof(key), pol_cmp);
}

const struct tlslist_policy *
tlslist_at(const struct tlslist *l, size_t i)
{
	return i < l->npol ? &l->pol[i] : NULL;
}

const char *
tlslist_policy_mx(const struct tlslist_policy *p, size_t i)
{
	return i < p->nmx ? p->mx[i] : NULL;
}

const char *
tlslist_policy_mx_list_form(const struct tlslist_policy *p, size_t i)
{
	if (i >= p->nmx)
		return NULL;
	/* "*.x" is stored; the list's ".x" is the same bytes minus "*". */
	return p->mx[i][0] == '*' ? p->mx[i] + 1 : p->mx[i];
}

int
tlslist_policy_match(const struct tlslist_policy *p, const char *host)
{
	size_t i;

	for (i = 0; i < p->nmx; i++)
		if (mxmatch_match(p->mx[i], host))
			return 1;
	return 0;
}

const char *
tlslist_mode_str(enum tlslist_mode m)
{
	switch (m) {
	case TLSLIST_MODE_TESTING:
		return "testing";
	case TLSLIST_MODE_ENFORCE:
		return "enforce";
	}
	return "invalid";
}
