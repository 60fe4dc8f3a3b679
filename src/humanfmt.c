/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * humanfmt.c: times and durations for people; see humanfmt.h.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "humanfmt.h"

/* 9999-12-31T23:59:59Z: four-digit years only. */
#define HF_TIME_MAX	253402300799.0

const char *
humanfmt_time(double t, char buf[HUMANFMT_TIME_STRLEN])
{
	struct tm tm;
	time_t tt;

	if (isnan(t) || t < 0 || t > HF_TIME_MAX) {
		snprintf(buf, HUMANFMT_TIME_STRLEN, "?");
		return buf;
	}
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, HUMANFMT_TIME_STRLEN, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) == 0)
		snprintf(buf, HUMANFMT_TIME_STRLEN, "?");
	return buf;
}

const char *
humanfmt_span(double s, char buf[HUMANFMT_SPAN_STRLEN])
{
	static const struct {
		double		 secs;
		const char	*unit;
	} units[] = {
		{ 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" },
	};
	double left, n[4];
	size_t i;

	s = fabs(s);
	/* Beyond 2^53 s whole seconds are not exact any more. */
	if (isnan(s) || isinf(s) || s > 9007199254740992.0) {
		snprintf(buf, HUMANFMT_SPAN_STRLEN, "?");
		return buf;
	}
	left = floor(s);
	for (i = 0; i < 4; i++) {
		n[i] = floor(left / units[i].secs);
		left -= n[i] * units[i].secs;
	}
	for (i = 0; i < 3 && n[i] == 0; i++)
		;
	if (i == 3 || n[i + 1] == 0)
		snprintf(buf, HUMANFMT_SPAN_STRLEN, "%.0f%s", n[i],
		    units[i].unit);
	else
		snprintf(buf, HUMANFMT_SPAN_STRLEN, "%.0f%s %.0f%s", n[i],
		    units[i].unit, n[i + 1], units[i + 1].unit);
	return buf;
}

const char *
humanfmt_rel(double s, char buf[HUMANFMT_SPAN_STRLEN])
{
	char span[HUMANFMT_SPAN_STRLEN];
	int n;

	if (strcmp(humanfmt_span(s, span), "?") == 0)
		n = snprintf(buf, HUMANFMT_SPAN_STRLEN, "?");
	else if (fabs(s) < 1)
		n = snprintf(buf, HUMANFMT_SPAN_STRLEN, "now");
	else
		n = snprintf(buf, HUMANFMT_SPAN_STRLEN, "%s%s%s",
		    s > 0 ? "in " : "", span, s > 0 ? "" : " ago");
	/* Cannot happen: a span is at most 19 bytes. */
	if (n < 0 || n >= HUMANFMT_SPAN_STRLEN)
		snprintf(buf, HUMANFMT_SPAN_STRLEN, "?");
	return buf;
}

const char *
humanfmt_printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
		    '?' : s[i];
	buf[i] = '\0';
	return buf;
}
