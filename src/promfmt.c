/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * promfmt.c: Prometheus text exposition writer; see promfmt.h.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promfmt.h"

void
promfmt_init(struct promfmt *f)
{
	memset(f, 0, sizeof(*f));
}

void
promfmt_fini(struct promfmt *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

const char *
promfmt_error(const struct promfmt *f)
{
	return f->error;
}

/* reserve: room for n more bytes and a NUL. */
static int
reserve(struct promfmt *f, size_t n)
{
	size_t cap;
	char *b;

	if (f->error != NULL)
		return -1;
	if (n > PROMFMT_MAX || f->len + n + 1 > PROMFMT_MAX) {
		f->error = "output too large";
		return -1;
	}
	if (f->len + n + 1 <= f->cap)
		return 0;
	for (cap = f->cap > 0 ? f->cap : 4096; cap < f->len + n + 1; cap *= 2)
		;
	if ((b = realloc(f->buf, cap)) == NULL) {
		f->error = "out of memory";
		return -1;
	}
	f->buf = b;
	f->cap = cap;
	return 0;
}

static void
put(struct promfmt *f, const char *s, size_t n)
{
	/* The common case first: no error and room enough. */
	if ((f->error != NULL || f->len + n + 1 > f->cap) &&
	    reserve(f, n) == -1)
		return;
	memcpy(f->buf + f->len, s, n);
	f->len += n;
	f->buf[f->len] = '\0';
}

static void
puts_(struct promfmt *f, const char *s)
{
	put(f, s, strlen(s));
}

/*
 * put_escaped: s with \ and LF escaped, and " too when quote is set;
 * runs of plain characters are copied at once (a scrape writes a few
 * thousand label values).
 */
static void
put_escaped(struct promfmt *f, const char *s, int quote)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, quote ? "\\\n\"" : "\\\n");
		put(f, s, n);
		s += n;
		if (*s == '\0')
			break;
		if (*s == '\\')
			put(f, "\\\\", 2);
		else if (*s == '\n')
			put(f, "\\n", 2);
		else
			put(f, "\\\"", 2);
		s++;
	}
}

/* name_ok: the format's grammar; colons only in metric names. */
static int
name_ok(const char *s, int metric)
{
	const char *p;

	if (s == NULL || s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' ||
		    (*p == ':' && metric)))
			return 0;
	return 1;
}

void
promfmt_family(struct promfmt *f, const char *name, const char *type,
    const char *help)
{
	if (!name_ok(name, 1)) {
		if (f->error == NULL)
			f->error = "invalid metric name";
		return;
	}
	puts_(f, "# HELP ");
	puts_(f, name);
	puts_(f, " ");
	put_escaped(f, help, 0);
	puts_(f, "\n# TYPE ");
	puts_(f, name);
	puts_(f, " ");
	puts_(f, type);
	puts_(f, "\n");
}

/* sample_start: "name{l="v",...} " */
static int
sample_start(struct promfmt *f, const char *name,
    const struct promfmt_label *labels, size_t n)
{
	size_t i;

	if (!name_ok(name, 1)) {
		if (f->error == NULL)
			f->error = "invalid metric name";
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!name_ok(labels[i].name, 0) || labels[i].value == NULL) {
			if (f->error == NULL)
				f->error = "invalid label";
			return -1;
		}
	puts_(f, name);
	for (i = 0; i < n; i++) {
		puts_(f, i == 0 ? "{" : ",");
		puts_(f, labels[i].name);
		puts_(f, "=\"");
		put_escaped(f, labels[i].value, 1);
		puts_(f, "\"");
	}
	puts_(f, n > 0 ? "} " : " ");
	return f->error == NULL ? 0 : -1;
}

void
promfmt_u64(struct promfmt *f, const char *name,
    const struct promfmt_label *labels, size_t nlabels, uint64_t v)
{
	char num[24], *p = num + sizeof(num);

	if (sample_start(f, name, labels, nlabels) == -1)
		return;
	/* By hand: most samples are counters, and snprintf is most of
	 * what a scrape would cost. */
	*--p = '\n';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	put(f, p, (size_t)(num + sizeof(num) - p));
}

/* fmt_double: the format's spelling of a float. */
static void
fmt_double(char *out, size_t size, double v)
{
	if (isnan(v))
		snprintf(out, size, "NaN");
	else if (isinf(v))
		snprintf(out, size, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    v == (double)(long long)v)	/* exact integers: no exponent */
		snprintf(out, size, "%lld", (long long)v);
	else
		snprintf(out, size, "%.17g", v);
}

void
promfmt_double(struct promfmt *f, const char *name,
    const struct promfmt_label *labels, size_t nlabels, double v)
{
	char num[40];

	if (sample_start(f, name, labels, nlabels) == -1)
		return;
	fmt_double(num, sizeof(num), v);
	puts_(f, num);
	puts_(f, "\n");
}

void
promfmt_histogram(struct promfmt *f, const char *name, const double *bounds,
    const uint64_t *counts, size_t nbounds, double sum)
{
	char bname[128], le[40];
	struct promfmt_label l = { "le", le };
	uint64_t cum = 0;
	size_t i;

	if (strlen(name) + sizeof("_bucket") > sizeof(bname)) {
		if (f->error == NULL)
			f->error = "invalid metric name";
		return;
	}
	snprintf(bname, sizeof(bname), "%s_bucket", name);
	for (i = 0; i <= nbounds; i++) {
		cum += counts[i];
		if (i < nbounds)
			snprintf(le, sizeof(le), "%.6g", bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		promfmt_u64(f, bname, &l, 1, cum);
	}
	snprintf(bname, sizeof(bname), "%s_sum", name);
	promfmt_double(f, bname, NULL, 0, sum);
	snprintf(bname, sizeof(bname), "%s_count", name);
	promfmt_u64(f, bname, NULL, 0, cum);
}
