/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * reply.c: Postfix answer text from a resolved policy (see reply.h).
 *
 * Postfix splits a policy value at white space and commas into the
 * level and name=value attributes (Postfix >= 3.10 also takes
 * "{ name = value }" for values with blanks).  A pattern containing ":"
 * or white space would split into other attributes, and one unknown
 * attribute makes Postfix defer the mail, so every byte that reaches the
 * value is checked here, even what stspol already validated: this is
 * the last step before text reaches the MTA.
 *
 * Everything is written with bounds into the caller's buffer; nothing
 * is allocated.  A value that does not fit is retried with less TLSRPT
 * detail (reply.h), because an answer that still enforces the policy
 * beats a temporary failure that defers all mail for the domain.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "chars.h"
#include "reply.h"

#define REPLY_PREFIX		"secure match="
#define REPLY_SERVERNAME	" servername=hostname"
#define REPLY_TLSRPT		" policy_type=sts policy_domain="
#define REPLY_MX_PATTERN	" mx_host_pattern="
#define REPLY_STRING_OPEN	" { policy_string = "
#define REPLY_STRING_CLOSE	" }"

/* What one attempt writes; see reply_postfix_profile(). */
enum level {
	LEVEL_FULL = 0,		/* + policy_type... + policy_string */
	LEVEL_NO_STRINGS,	/* + policy_type... */
	LEVEL_PLAIN		/* secure match=... [servername] */
};

/* An attempt's failure: no room (try less) or no value at all. */
#define ERR_SPACE	-1
#define ERR_INVALID	-2

_Static_assert(REPLY_VALUE_MAX <= REPLY_SOCKETMAP_MAX - sizeof("OK ") + 1,
    "the plain value of any record fits one socketmap reply");

static const struct reply_profile default_profile = {
	REPLY_PF_SERVERNAME, 0, 0, 0
};

/* Letters, digits, "-" and "." (one table load: every answer runs it). */
static int
is_ldh(char c)
{
	return chars_ldh[(unsigned char)c] != 0;
}

/* Letters, digits, "-" and "." after an optional leading "*.";
 * its length goes to *lenp. */
static const char *
reply_pattern(const char *mx, size_t *lenp)
{
	const char *s;

	if (mx == NULL || mx[0] == '\0')
		return NULL;
	if (mx[0] == '*') {
		if (mx[1] != '.' || mx[2] == '\0')
			return NULL;
		mx++;		/* "*.x" -> ".x" (RFC 8461 §4.1 wildcard) */
	}
	for (s = mx[0] == '.' ? mx + 1 : mx; *s != '\0'; s++)
		if (!is_ldh(*s))
			return NULL;
	*lenp = (size_t)(s - mx);
	return mx;
}

/* A policy domain Postfix accepts: letters, digits, "-", inner dots. */
static int
reply_domain_ok(const char *d)
{
	size_t i, n;

	if (d == NULL || (n = strlen(d)) == 0 || n > 253 || d[0] == '.' ||
	    d[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_ldh(d[i]) || (d[i] == '.' && d[i + 1] == '.'))
			return 0;
	return 1;
}

/*
 * Was pattern i already written (an exact duplicate)?  Only among the
 * first REPLY_DEDUP_MAX, so that a policy with thousands of mx lines
 * costs a bounded number of comparisons (reply.h).
 */
static int
reply_seen(const char *const *mx, size_t i)
{
	size_t j;

	if (i >= REPLY_DEDUP_MAX)
		return 0;
	for (j = 0; j < i; j++)
		if (strcmp(mx[j], mx[i]) == 0)
			return 1;
	return 0;
}

/* Append s[0..n) and a NUL. */
static int
reply_put(char *out, size_t outsize, size_t *off, const char *s, size_t n)
{
	if (n >= outsize - *off)
		return ERR_SPACE;
	memcpy(out + *off, s, n);
	*off += n;
	out[*off] = '\0';
	return 0;
}

static int
reply_append(char *out, size_t outsize, size_t *off, const char *s)
{
	return reply_put(out, outsize, off, s, strlen(s));
}

/*
 * append_clean: append line[0..len) as a policy_string value: braces,
 * control bytes and malformed UTF-8 dropped, a tab made a space, blanks
 * at both ends removed.  Returns the number of bytes written (0 for a
 * line with nothing left) or ERR_SPACE.
 */
static int
append_clean(char *out, size_t outsize, size_t *off, const char *line,
    size_t len)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t i, n, start = *off;

	for (i = 0; i < len; i += n) {
		n = 1;
		if (s[i] >= 0x80 && (n = chars_utf8_len(s + i, len - i)) == 0) {
			n = 1;
			continue;
		}
		if (s[i] == '{' || s[i] == '}' || s[i] == 0x7f ||
		    (s[i] < 0x20 && s[i] != '\t'))
			continue;
		if ((s[i] == ' ' || s[i] == '\t') && *off == start)
			continue;
		if (n >= outsize - *off)
			return ERR_SPACE;
		memcpy(out + *off, s + i, n);
		if (s[i] == '\t')
			out[*off] = ' ';
		*off += n;
	}
	while (*off > start && out[*off - 1] == ' ')
		(*off)--;
	out[*off] = '\0';
	return (int)(*off - start);
}

/* write_strings: one " { policy_string = line }" per non-blank line. */
static int
write_strings(const struct reply_policy *pol, char *out, size_t outsize,
    size_t *off)
{
	const char *p = pol->text, *end, *nl;
	size_t mark, len;
	int r = 0;

	if (p == NULL)
		return 0;
	for (end = p + pol->text_len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		mark = *off;
		if (reply_append(out, outsize, off, REPLY_STRING_OPEN) != 0 ||
		    (r = append_clean(out, outsize, off, p, len)) < 0)
			return ERR_SPACE;
		if (r == 0) {
			*off = mark;		/* nothing left of the line */
			out[mark] = '\0';
			continue;
		}
		if (reply_append(out, outsize, off, REPLY_STRING_CLOSE) != 0)
			return ERR_SPACE;
	}
	return 0;
}

/* write_tlsrpt: policy_type, policy_domain and the mx_host_patterns. */
static int
write_tlsrpt(const struct reply_policy *pol, char *out, size_t outsize,
    size_t *off)
{
	size_t i;

	if (reply_append(out, outsize, off, REPLY_TLSRPT) != 0 ||
	    reply_append(out, outsize, off, pol->domain) != 0)
		return ERR_SPACE;
	for (i = 0; i < pol->nmx; i++) {
		if (reply_seen(pol->mx, i))
			continue;
		/* The "*.x" form: Postfix matches ".x" against nothing. */
		if (reply_append(out, outsize, off, REPLY_MX_PATTERN) != 0 ||
		    reply_append(out, outsize, off, pol->mx[i]) != 0)
			return ERR_SPACE;
	}
	return 0;
}

/* write_value: one attempt at `level`; length, ERR_SPACE or ERR_INVALID. */
static int
write_value(const struct reply_profile *prof, const struct reply_policy *pol,
    enum level level, char *out, size_t outsize)
{
	const char *pat;
	size_t i, n, off = 0;
	int first = 1;

	out[0] = '\0';
	if (reply_append(out, outsize, &off, REPLY_PREFIX) != 0)
		return ERR_SPACE;
	for (i = 0; i < pol->nmx; i++) {
		if ((pat = reply_pattern(pol->mx[i], &n)) == NULL)
			return ERR_INVALID;
		if (reply_seen(pol->mx, i))
			continue;
		if ((!first && reply_put(out, outsize, &off, ":", 1) != 0) ||
		    reply_put(out, outsize, &off, pat, n) != 0)
			return ERR_SPACE;
		first = 0;
	}
	if (prof->version >= REPLY_PF_SERVERNAME &&
	    reply_append(out, outsize, &off, REPLY_SERVERNAME) != 0)
		return ERR_SPACE;
	if (level <= LEVEL_NO_STRINGS &&
	    write_tlsrpt(pol, out, outsize, &off) != 0)
		return ERR_SPACE;
	if (level == LEVEL_FULL && write_strings(pol, out, outsize, &off) != 0)
		return ERR_SPACE;
	return (int)off;
}

int
reply_answers(const struct reply_profile *prof, enum reply_origin origin,
    enum record_mode mode)
{
	if (origin == REPLY_LIST && !prof->list_policies)
		return 0;
	switch (mode) {
	case RECORD_MODE_ENFORCE:
		return 1;
	case RECORD_MODE_TESTING:
		return prof->enforce_testing != 0;
	case RECORD_MODE_NONE:
	default:
		return 0;
	}
}

int
reply_postfix_profile(const struct reply_profile *prof,
    const struct reply_policy *pol, char *out, size_t outsize,
    enum reply_fit *fit)
{
	enum level first, level;
	int want, r = ERR_INVALID;

	if (fit != NULL)
		*fit = REPLY_FIT_FULL;
	if (outsize == 0)
		return -1;
	out[0] = '\0';
	if (pol->mx == NULL || pol->nmx == 0)
		return -1;
	/* Never for Postfix < 3.10: it defers mail on these attributes. */
	want = prof->tlsrpt && prof->version >= REPLY_PF_TLSRPT &&
	    pol->origin == REPLY_MTASTS;
	first = want && reply_domain_ok(pol->domain) ? LEVEL_FULL :
	    LEVEL_PLAIN;
	for (level = first; level <= LEVEL_PLAIN; level++)
		if ((r = write_value(prof, pol, level, out, outsize)) >= 0 ||
		    r == ERR_INVALID)
			break;
	if (r < 0) {
		out[0] = '\0';
		return -1;
	}
	if (fit != NULL && want && level != LEVEL_FULL)
		*fit = level == LEVEL_NO_STRINGS ? REPLY_FIT_NO_STRINGS :
		    REPLY_FIT_NO_TLSRPT;
	return r;
}

int
reply_postfix(const char *const *mx, size_t nmx, char *out, size_t outsize)
{
	struct reply_policy pol = { REPLY_MTASTS, NULL, mx, nmx, NULL, 0 };

	return reply_postfix_profile(&default_profile, &pol, out, outsize,
	    NULL);
}

/* number: 1-2 decimal digits at *s, no leading zero but "0" itself. */
static int
number(const char **s, unsigned *v)
{
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -1;
	*v = (unsigned)(*p++ - '0');
	if (*v != 0 && *p >= '0' && *p <= '9')
		*v = *v * 10 + (unsigned)(*p++ - '0');
	if (*p >= '0' && *p <= '9')
		return -1;
	*s = p;
	return 0;
}

int
reply_version_parse(const char *s, unsigned *v, const char **rest)
{
	unsigned major, minor, patch = 0;

	if (s == NULL || number(&s, &major) != 0 || major == 0 ||
	    *s++ != '.' || number(&s, &minor) != 0)
		return -1;
	if (s[0] == '.' && s[1] >= '0' && s[1] <= '9') {
		s++;
		if (number(&s, &patch) != 0)
			return -1;
	}
	*v = REPLY_PF(major, minor, patch);
	if (rest != NULL)
		*rest = s;
	return 0;
}

char *
reply_version_format(unsigned v, char *out, size_t outsize)
{
	if (v % 100 != 0)
		snprintf(out, outsize, "%u.%u.%u", v / 10000, v / 100 % 100,
		    v % 100);
	else
		snprintf(out, outsize, "%u.%u", v / 10000, v / 100 % 100);
	return out;
}

static const char hexdigits[] = "0123456789ABCDEF";

/* --- tcp_table's %XX codec ------------------------------------------------ */

/* Postfix's hex_quote(): '%', ISSPACE and !ISPRINT (C locale). */
static int
needs_quote(unsigned char ch)
{
	return ch == '%' || ch <= ' ' || ch >= 0x7f;
}

ssize_t
reply_tcp_quote(const char *in, size_t len, char *out, size_t outsize)
{
	size_t i, o = 0;
	unsigned char ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)in[i];
		if (o + (needs_quote(ch) ? 3 : 1) >= outsize)
			return -1;
		if (!needs_quote(ch)) {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '%';
		out[o++] = hexdigits[ch >> 4];
		out[o++] = hexdigits[ch & 0x0f];
	}
	if (o >= outsize)
		return -1;
	out[o] = '\0';
	return (ssize_t)o;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t
reply_tcp_unquote(const char *in, size_t len, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (i + 2 >= len)
			return -1;
		if ((hi = hex_value(in[i + 1])) == -1 ||
		    (lo = hex_value(in[i + 2])) == -1)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	return (ssize_t)o;
}
