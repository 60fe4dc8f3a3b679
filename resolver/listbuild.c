/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listbuild.c: a STARTTLS Policy List from cached MTA-STS policies.
 *
 * Each listed domain is rendered to its line at once (domain, NUL,
 * line, in one allocation), so the build holds only what it will
 * write; rendering sorts the lines by domain and joins them.  Names
 * are checked against the intersection of the list's JSON schema and
 * tlslist.c's own rules, so what we write every node reads (the unit
 * test parses the output with tlslist_parse).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "listbuild.h"
#include "record.h"
#include "refresh.h"
#include "tlslist.h"

#define LISTBUILD_LINE_MAX	(16 + TLSLIST_NAME_MAX + 40 + \
	TLSLIST_MX_MAX * (TLSLIST_NAME_MAX + 4) + 8)

struct listbuild_entry {
	char		*buf;		/* domain NUL line NUL */
	size_t		 line_len;
};

struct listbuild {
	struct listbuild_conf	 conf;
	char			 author[LISTBUILD_AUTHOR_MAX + 1];
	struct listbuild_entry	*v;
	size_t			 n, cap;
	size_t			 count[LISTBUILD_NPICKS];
	char			 line[LISTBUILD_LINE_MAX]; /* scratch */
};

static int	listbuild_label_ok(const char *, size_t, int);
static int	listbuild_name_ok(const char *, size_t);
static const char *listbuild_mx_name(const char *, size_t *);
static int	listbuild_names_ok(const char *, const struct record_policy *);
static int	listbuild_mx_dup(const struct record_policy *, size_t);
static size_t	listbuild_line(char *, const char *, enum listbuild_pick,
		    const struct record_policy *);
static size_t	listbuild_values(const struct listbuild *);
static int	listbuild_cmp(const void *, const void *);
static size_t	listbuild_max_bytes(const struct listbuild_conf *);
static int	listbuild_time(int64_t, char *, size_t);

const char *
listbuild_conf_check(const struct listbuild_conf *c)
{
	const char *s;

	if (c->author == NULL || c->author[0] == '\0')
		return "an author is required";
	if (strlen(c->author) > LISTBUILD_AUTHOR_MAX)
		return "the author is longer than 1024 bytes";
	/* Printable ASCII: the list is read by tools in many languages. */
	for (s = c->author; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return "the author must be printable ASCII";
	if (c->expires_in <= 0)
		return "expires-in must be positive";
	if (c->min_age < 0)
		return "min-age must not be negative";
	if (c->now < 0 || c->now > TLSLIST_TIME_MAX - c->expires_in)
		return "now or expires out of the list's range (1970..9999)";
	return NULL;
}

/*
 * One label of len bytes: 1..63 letters, digits and inner hyphens; the
 * last one (last != 0) 2..63 letters and digits, not all digits (the
 * schema's TLD and tlslist's "not an IP address" rule together).
 */
static int
listbuild_label_ok(const char *s, size_t len, int last)
{
	size_t i, digits = 0;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	if (last && len < 2)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			continue;
		if (ch >= '0' && ch <= '9')
			digits++;
		else if (ch != '-' || last)
			return 0;
	}
	return !last || digits < len;
}

/* A host name of at least two labels, at most TLSLIST_NAME_MAX bytes. */
static int
listbuild_name_ok(const char *s, size_t len)
{
	const char *dot, *end = s + len;
	int labels = 0;

	if (len == 0 || len > TLSLIST_NAME_MAX)
		return 0;
	while ((dot = memchr(s, '.', (size_t)(end - s))) != NULL) {
		if (!listbuild_label_ok(s, (size_t)(dot - s), 0))
			return 0;
		labels++;
		s = dot + 1;
	}
	return labels >= 1 && listbuild_label_ok(s, (size_t)(end - s), 1);
}

/*
 * The host-name part of an MTA-STS pattern ("*.x" -> "x", *lenp its
 * length), or NULL when the list cannot say it.  "*.x" becomes ".x",
 * which tlslist stores as "*.x" again: so "*." counts in its length.
 */
static const char *
listbuild_mx_name(const char *mx, size_t *lenp)
{
	size_t len = strlen(mx);

	if (len > TLSLIST_NAME_MAX)
		return NULL;
	if (len > 2 && mx[0] == '*' && mx[1] == '.') {
		mx += 2;
		len -= 2;
	}
	*lenp = len;
	return listbuild_name_ok(mx, len) ? mx : NULL;
}

static int
listbuild_names_ok(const char *domain, const struct record_policy *p)
{
	size_t i, len;

	if (!listbuild_name_ok(domain, strlen(domain)) || p->nmx == 0 ||
	    p->nmx > TLSLIST_MX_MAX)
		return 0;
	for (i = 0; i < p->nmx; i++)
		if (listbuild_mx_name(p->mx[i], &len) == NULL)
			return 0;
	return 1;
}

enum listbuild_pick
listbuild_pick(const struct listbuild_conf *c, const char *domain,
    const struct record_policy *p)
{
	int64_t since_max = c->now - c->min_age;

	if (p->mode == RECORD_MODE_NONE)
		return LISTBUILD_SKIP_NONE;
	if (!refresh_policy_valid(p, c->now))
		return LISTBUILD_SKIP_EXPIRED;
	if (p->max_age < c->min_max_age)
		return LISTBUILD_SKIP_MAX_AGE;
	if (!listbuild_names_ok(domain, p))
		return LISTBUILD_SKIP_NAME;
	/* 0 is "no history"; a time after now (clock stepped back)
	 * proves nothing yet. */
	if (p->mode == RECORD_MODE_ENFORCE && p->enforce_since != 0 &&
	    p->enforce_since <= since_max)
		return LISTBUILD_ENFORCE;
	if (p->testing_since == 0 || p->testing_since > since_max)
		return LISTBUILD_SKIP_YOUNG;
	return c->include_testing ? LISTBUILD_TESTING :
	    LISTBUILD_SKIP_TESTING;
}

struct listbuild *
listbuild_new(const struct listbuild_conf *c)
{
	struct listbuild *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->conf = *c;
	/* Keep our own copy: the caller's string is borrowed. */
	snprintf(b->author, sizeof(b->author), "%s",
	    c->author != NULL ? c->author : "");
	b->conf.author = b->author;
	return b;
}

/* Is the i-th pattern of p the same as an earlier one, case aside? */
static int
listbuild_mx_dup(const struct record_policy *p, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcasecmp(p->mx[j], p->mx[i]) == 0)
			return 1;
	return 0;
}

/*
 * The line of a listed domain into out (LISTBUILD_LINE_MAX bytes),
 * without its line end; returns its length.  Names were checked by
 * listbuild_pick, so nothing needs escaping; the schema wants the
 * patterns unique, so a repeated one is dropped.
 */
static size_t
listbuild_line(char *out, const char *domain, enum listbuild_pick pick,
    const struct record_policy *p)
{
	const char *name;
	size_t i, len, n = 0;
	char *o = out;

	o += sprintf(o, "        \"%s\": {\"mode\": \"%s\", \"mxs\": [",
	    domain, pick == LISTBUILD_ENFORCE ? "enforce" : "testing");
	for (i = 0; i < p->nmx; i++) {
		if (listbuild_mx_dup(p, i))
			continue;
		name = listbuild_mx_name(p->mx[i], &len);
		o += sprintf(o, "%s\"%s%.*s\"", n++ > 0 ? ", " : "",
		    name != p->mx[i] ? "." : "", (int)len, name);
	}
	o += sprintf(o, "]}");
	for (i = 0; i < (size_t)(o - out); i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] + 32);
	return (size_t)(o - out);
}

int
listbuild_add(struct listbuild *b, const char *domain,
    const struct record_policy *p, const char **why)
{
	enum listbuild_pick pick = listbuild_pick(&b->conf, domain, p);
	struct listbuild_entry *v;
	size_t dlen, llen, i;

	if (pick != LISTBUILD_ENFORCE && pick != LISTBUILD_TESTING) {
		b->count[pick]++;
		return (int)pick;
	}
	if (b->n >= TLSLIST_POLICIES_MAX) {
		*why = "more domains than a list may hold (100000)";
		return -1;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		if ((v = realloc(b->v, b->cap * sizeof(*v))) == NULL) {
			*why = "out of memory";
			return -1;
		}
		b->v = v;
	}
	llen = listbuild_line(b->line, domain, pick, p);
	dlen = strlen(domain);
	if ((b->v[b->n].buf = malloc(dlen + 1 + llen + 1)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	/* Keys are lowercase already (domkey.h); say so in the file too. */
	for (i = 0; i < dlen; i++)
		b->v[b->n].buf[i] = (domain[i] >= 'A' && domain[i] <= 'Z') ?
		    (char)(domain[i] + 32) : domain[i];
	b->v[b->n].buf[dlen] = '\0';
	memcpy(b->v[b->n].buf + dlen + 1, b->line, llen + 1);
	b->v[b->n].line_len = llen;
	b->n++;
	b->count[pick]++;
	return (int)pick;
}

size_t
listbuild_count(const struct listbuild *b, enum listbuild_pick pick)
{
	return (unsigned)pick < LISTBUILD_NPICKS ? b->count[pick] : 0;
}

/*
 * The JSON values tlslist_parse() counts before it parses (each '"'
 * that opens a string, '{', '[', ',', and one), in the file we would
 * write: the header's 19, each line's, one comma between lines.  Our
 * lines have no escapes, so counting their bytes is exact.
 */
static size_t
listbuild_values(const struct listbuild *b)
{
	size_t i, n = 19 + (b->n > 0 ? b->n - 1 : 0), quotes;
	const char *s;

	for (i = 0; i < b->n; i++) {
		quotes = 0;
		for (s = b->v[i].buf + strlen(b->v[i].buf) + 1; *s; s++) {
			if (*s == '"')
				quotes++;
			else if (*s == '{' || *s == '[' || *s == ',')
				n++;
		}
		n += quotes / 2;
	}
	return n;
}

static int
listbuild_cmp(const void *a, const void *b)
{
	return strcmp(((const struct listbuild_entry *)a)->buf,
	    ((const struct listbuild_entry *)b)->buf);
}

/* The largest file: the caller's limit, never more than tlslist's. */
static size_t
listbuild_max_bytes(const struct listbuild_conf *c)
{
	return c->max_bytes == 0 || c->max_bytes > TLSLIST_MAX_SIZE ?
	    TLSLIST_MAX_SIZE : c->max_bytes;
}

/* RFC 3339 in UTC, as tlslist reads it. */
static int
listbuild_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	return strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ? -1 : 0;
}

char *
listbuild_render(struct listbuild *b, size_t *len, const char **why)
{
	char ts[TLSLIST_TIME_STRLEN], ex[TLSLIST_TIME_STRLEN], *out, *o;
	size_t i, need;

	if ((*why = listbuild_conf_check(&b->conf)) != NULL)
		return NULL;
	if (listbuild_time(b->conf.now, ts, sizeof(ts)) == -1 ||
	    listbuild_time(b->conf.now + b->conf.expires_in, ex,
	    sizeof(ex)) == -1) {
		*why = "cannot format the times";
		return NULL;
	}
	if (b->n > 0)	/* an empty build has no array at all */
		qsort(b->v, b->n, sizeof(*b->v), listbuild_cmp);
	need = 256 + strlen(b->author) * 2;
	for (i = 0; i < b->n; i++) {
		if (i > 0 && strcmp(b->v[i - 1].buf, b->v[i].buf) == 0) {
			*why = "two records for one domain";
			return NULL;
		}
		need += b->v[i].line_len + 2;
	}
	/* need is a bound (header, author escaped): the exact size is
	 * checked once the file is written. */
	if (need > listbuild_max_bytes(&b->conf) + 256 + strlen(b->author) * 2) {
		*why = "the list would be larger than a node fetches";
		return NULL;
	}
	if (listbuild_values(b) > TLSLIST_TOKENS_MAX) {
		*why = "the list would hold more JSON values than a node "
		    "accepts (1000000)";
		return NULL;
	}
	if ((out = malloc(need)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	o = out + sprintf(out, "{\n    \"timestamp\": \"%s\",\n"
	    "    \"expires\": \"%s\",\n    \"version\": \"0.1\",\n"
	    "    \"author\": \"", ts, ex);
	for (i = 0; b->author[i] != '\0'; i++) {
		if (b->author[i] == '"' || b->author[i] == '\\')
			*o++ = '\\';
		*o++ = b->author[i];
	}
	o += sprintf(o, "\",\n    \"policy-aliases\": {},\n"
	    "    \"policies\": {%s", b->n > 0 ? "\n" : "");
	for (i = 0; i < b->n; i++) {
		memcpy(o, b->v[i].buf + strlen(b->v[i].buf) + 1,
		    b->v[i].line_len);
		o += b->v[i].line_len;
		o += sprintf(o, "%s", i + 1 < b->n ? ",\n" : "\n    ");
	}
	o += sprintf(o, "}\n}\n");
	*len = (size_t)(o - out);
	if (*len > listbuild_max_bytes(&b->conf)) {
		free(out);
		*why = "the list would be larger than a node fetches";
		return NULL;
	}
	return out;
}

void
listbuild_free(struct listbuild *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		free(b->v[i].buf);
	free(b->v);
	free(b);
}

const char *
listbuild_pick_str(enum listbuild_pick pick)
{
	static const char *const names[LISTBUILD_NPICKS] = {
		"enforce", "testing", "mode-none", "expired", "max-age",
		"young", "testing-not-asked", "name"
	};

	if ((unsigned)pick >= LISTBUILD_NPICKS)
		return "invalid";
	return names[pick];
}
