/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cfgsyn.c: the syntax of mtastsd's configuration files; see cfgsyn.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cfgsyn.h"

/* Longest part of a bad value quoted back in a message. */
#define CFGSYN_QUOTE_MAX	64

void
cfgsyn_begin(struct cfgsyn_lines *it, const char *text, size_t len)
{
	it->p = text;
	it->end = text + len;
	it->lineno = 0;
	it->buf[0] = '\0';
}

static int
cfgsyn_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* cfgsyn_trim: s[0..len) without blanks at either end, NUL-terminated. */
static char *
cfgsyn_trim(char *s, size_t len)
{
	while (len > 0 && cfgsyn_blank(*s)) {
		s++;
		len--;
	}
	while (len > 0 && cfgsyn_blank(s[len - 1]))
		len--;
	s[len] = '\0';
	return s;
}

int
cfgsyn_next(struct cfgsyn_lines *it, const char **name, const char **value,
    const char **why)
{
	const char *nl;
	char *line, *eq;
	size_t n;

	while (it->p < it->end) {
		it->lineno++;
		nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
		n = (size_t)((nl != NULL ? nl : it->end) - it->p);
		if (n > CFGSYN_LINE_MAX) {
			*why = "line too long";
			return -1;
		}
		if (memchr(it->p, '\0', n) != NULL) {
			*why = "NUL byte";
			return -1;
		}
		memcpy(it->buf, it->p, n);
		it->p = nl != NULL ? nl + 1 : it->end;
		line = cfgsyn_trim(it->buf, n);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			*why = "expected \"name = value\"";
			return -1;
		}
		*name = cfgsyn_trim(line, (size_t)(eq - line));
		*value = cfgsyn_trim(eq + 1, strlen(eq + 1));
		return 1;
	}
	return 0;
}

int
cfgsyn_keyword(const char *s, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return (int)i;
	return -1;
}

int
cfgsyn_bool(const char *s, int *out)
{
	static const char *const words[] = { "no", "yes" };
	int i;

	if ((i = cfgsyn_keyword(s, words, 2)) == -1)
		return -1;
	*out = i;
	return 0;
}

/* cfgsyn_digits: leading decimal digits (at least one), no overflow. */
static int
cfgsyn_digits(const char *s, uint64_t *num, const char **rest)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*num = v;
	*rest = s;
	return 0;
}

int
cfgsyn_count(const char *s, uint64_t *out)
{
	const char *rest;

	return cfgsyn_digits(s, out, &rest) == -1 || *rest != '\0' ? -1 : 0;
}

/* cfgsyn_scaled: digits times the factor of their unit, no overflow. */
static int
cfgsyn_scaled(const char *s, const char *const *units,
    const uint64_t *factors, size_t n, uint64_t *out)
{
	const char *rest;
	uint64_t v;
	int i;

	if (cfgsyn_digits(s, &v, &rest) == -1 ||
	    (i = cfgsyn_keyword(rest, units, n)) == -1 ||
	    v > UINT64_MAX / factors[i])
		return -1;
	*out = v * factors[i];
	return 0;
}

int
cfgsyn_duration(const char *s, uint64_t *ms)
{
	static const char *const units[] = { "", "ms", "s", "m", "h", "d" };
	static const uint64_t f[] = { 1000, 1, 1000, 60000, 3600000,
	    86400000 };

	return cfgsyn_scaled(s, units, f, 6, ms);
}

int
cfgsyn_size(const char *s, uint64_t *bytes)
{
	static const char *const units[] = { "", "K", "M", "G" };
	static const uint64_t f[] = { 1, 1ULL << 10, 1ULL << 20, 1ULL << 30 };

	return cfgsyn_scaled(s, units, f, 4, bytes);
}

int
cfgsyn_mode(const char *s, uint64_t *mode)
{
	uint64_t v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		v = v * 8 + (uint64_t)(*s - '0');
	}
	*mode = v;
	return 0;
}

/* cfgsyn_quote: at most CFGSYN_QUOTE_MAX bytes of s, controls as "?". */
static const char *
cfgsyn_quote(const char *s, char buf[CFGSYN_QUOTE_MAX + 4])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < CFGSYN_QUOTE_MAX; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
		    '?' : s[i];
	memcpy(buf + i, s[i] != '\0' ? "..." : "", s[i] != '\0' ? 4 : 1);
	return buf;
}

void
cfgsyn_error(char *err, size_t errlen, const char *where, unsigned lineno,
    const char *name, const char *value, const char *why)
{
	char at[300], n[CFGSYN_QUOTE_MAX + 4], v[CFGSYN_QUOTE_MAX + 4];

	if (lineno == 0)
		snprintf(at, sizeof(at), "%s", where != NULL ? where : "");
	else if (where != NULL)
		snprintf(at, sizeof(at), "%.280s:%u", where, lineno);
	else
		snprintf(at, sizeof(at), "line %u", lineno);
	if (name == NULL)
		snprintf(err, errlen, "%s%s%s", at, *at ? ": " : "", why);
	else if (value == NULL)
		snprintf(err, errlen, "%s%s%s: %s", at, *at ? ": " : "",
		    cfgsyn_quote(name, n), why);
	else
		snprintf(err, errlen, "%s%s%s = \"%s\": %s", at, *at ? ": " : "",
		    cfgsyn_quote(name, n), cfgsyn_quote(value, v), why);
}

const char *
cfgsyn_format_ms(uint64_t ms, char *buf, size_t size)
{
	static const struct {
		uint64_t	 ms;
		const char	*unit;
	} units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" },
		{ 1000, "s" },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms != 0 && ms % units[i].ms == 0) {
			snprintf(buf, size, "%" PRIu64 "%s", ms / units[i].ms,
			    units[i].unit);
			return buf;
		}
	snprintf(buf, size, "%" PRIu64 "ms", ms);
	return buf;
}

int
cfgsyn_hostport(const char *spec, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *h = spec;
	size_t hl;

	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL)
			return -1;
		h = spec + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - h);
		if (memchr(h, ':', hl) != NULL)
			return -1;	/* IPv6 needs brackets */
	}
	if (hl == 0 || hl >= hostlen || colon[1] == '\0' ||
	    strlen(colon + 1) >= portlen ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}
