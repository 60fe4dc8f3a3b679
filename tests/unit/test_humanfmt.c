/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_humanfmt.c: table tests for the human forms of times and
 * durations (src/humanfmt.h), edges and missing values included.
 */
#include <math.h>
#include <stdio.h>

#include "humanfmt.h"
#include "tap.h"

static const struct {
	double		 t;
	const char	*want;
} times[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 1796678203, "2026-12-07T21:16:43Z" },
	{ 1796678203.9, "2026-12-07T21:16:43Z" },	/* rounded down */
	{ 253402300799.0, "9999-12-31T23:59:59Z" },
	{ 253402300800.0, "?" },			/* year 10000 */
	{ -1, "?" },
	{ NAN, "?" },
	{ INFINITY, "?" },
};

static const struct {
	double		 s;
	const char	*span, *rel;
} spans[] = {
	{ 0, "0s", "now" },
	{ 0.5, "0s", "now" },
	{ 1, "1s", "in 1s" },
	{ 42, "42s", "in 42s" },
	{ 60, "1m", "in 1m" },
	{ 250, "4m 10s", "in 4m 10s" },
	{ 3600, "1h", "in 1h" },
	{ 3601, "1h", "in 1h" },		/* minutes are zero */
	{ 7500, "2h 5m", "in 2h 5m" },
	{ 86400, "1d", "in 1d" },
	{ 3 * 86400 + 4 * 3600 + 59, "3d 4h", "in 3d 4h" },
	{ -(3 * 86400 + 4 * 3600), "3d 4h", "3d 4h ago" },
	{ 31557600, "365d 6h", "in 365d 6h" },
	{ 9007199254740992.0, "104249991374d 7h", "in 104249991374d 7h" },
	{ 1e300, "?", "?" },
	{ NAN, "?", "?" },
	{ -INFINITY, "?", "?" },
};

int
main(void)
{
	char tb[HUMANFMT_TIME_STRLEN], sb[HUMANFMT_SPAN_STRLEN];
	size_t i;

	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		tap_is_str(humanfmt_time(times[i].t, tb), times[i].want,
		    "humanfmt_time");
	}
	for (i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
		tap_is_str(humanfmt_span(spans[i].s, sb), spans[i].span,
		    "humanfmt_span");
		tap_is_str(humanfmt_rel(spans[i].s, sb), spans[i].rel,
		    "humanfmt_rel");
	}
	tap_is_str(humanfmt_printable("a\033[2Jb\x7f\tc\xc3\xa9", tb,
	    sizeof(tb)), "a?[2Jb??c\xc3\xa9", "humanfmt_printable: controls");
	tap_is_str(humanfmt_printable("abcdef", tb, 4), "abc",
	    "humanfmt_printable: truncated");
	return tap_done();
}
