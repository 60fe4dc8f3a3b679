/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_promfmt.c: the Prometheus text writer: families, labels and
 * their escaping, number spelling, histograms, bad names, the size cap.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "promfmt.h"
#include "tap.h"

static void
test_family_and_samples(void)
{
	struct promfmt f;
	struct promfmt_label l[2] = { { "a", "x" }, { "b", "y z" } };

	promfmt_init(&f);
	promfmt_family(&f, "m_total", "counter", "Help with \\ and\nLF.");
	promfmt_u64(&f, "m_total", l, 2, 18446744073709551615ULL);
	promfmt_u64(&f, "m_total", NULL, 0, 0);
	tap_is_str(f.buf, "# HELP m_total Help with \\\\ and\\nLF.\n"
	    "# TYPE m_total counter\n"
	    "m_total{a=\"x\",b=\"y z\"} 18446744073709551615\n"
	    "m_total 0\n", "family, labels, exact uint64");
	tap_ok(promfmt_error(&f) == NULL, "no error");
	promfmt_fini(&f);
}

static void
test_escaping(void)
{
	struct promfmt f;
	struct promfmt_label l = { "k", "q\"b\\n\nend" };

	promfmt_init(&f);
	promfmt_u64(&f, "m", &l, 1, 1);
	tap_is_str(f.buf, "m{k=\"q\\\"b\\\\n\\nend\"} 1\n",
	    "label value: quote, backslash, line feed escaped");
	promfmt_fini(&f);
}

static void
test_numbers(void)
{
	static const struct {
		double		 v;
		const char	*want;
	} cases[] = {
		{ 0, "g 0\n" },
		{ 1700000000, "g 1700000000\n" },
		{ -3, "g -3\n" },
		{ 0.25, "g 0.25\n" },
		{ 1e300, "g 1.0000000000000001e+300\n" },
		{ INFINITY, "g +Inf\n" },
		{ -INFINITY, "g -Inf\n" },
		{ NAN, "g NaN\n" },
	};
	struct promfmt f;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		promfmt_init(&f);
		promfmt_double(&f, "g", NULL, 0, cases[i].v);
		tap_is_str(f.buf, cases[i].want, "number spelling");
		promfmt_fini(&f);
	}
}

static void
test_histogram(void)
{
	static const double bounds[] = { 1e-05, 0.5, 2.5 };
	static const uint64_t counts[] = { 3, 0, 1, 2 };
	struct promfmt f;

	promfmt_init(&f);
	promfmt_histogram(&f, "h_seconds", bounds, counts, 3, 7.5);
	tap_is_str(f.buf, "h_seconds_bucket{le=\"1e-05\"} 3\n"
	    "h_seconds_bucket{le=\"0.5\"} 3\n"
	    "h_seconds_bucket{le=\"2.5\"} 4\n"
	    "h_seconds_bucket{le=\"+Inf\"} 6\n"
	    "h_seconds_sum 7.5\n"
	    "h_seconds_count 6\n", "histogram: cumulative, sum, count");
	promfmt_fini(&f);
}

static void
test_bad_names(void)
{
	static const char *const bad[] = { "", "1abc", "a-b", "a b", "é" };
	struct promfmt_label l = { "le:x", "v" };
	struct promfmt f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		promfmt_init(&f);
		promfmt_u64(&f, bad[i], NULL, 0, 1);
		tap_ok(promfmt_error(&f) != NULL && f.len == 0,
		    "metric name \"%s\" refused", bad[i]);
		promfmt_fini(&f);
	}
	promfmt_init(&f);
	promfmt_u64(&f, "ns:ok_total", &l, 1, 1);
	tap_ok(promfmt_error(&f) != NULL, "label name with ':' refused");
	promfmt_fini(&f);
	promfmt_init(&f);
	promfmt_family(&f, "ok", "gauge", "x");
	promfmt_u64(&f, "bad-name", NULL, 0, 1);
	promfmt_u64(&f, "ok", NULL, 0, 1);
	tap_ok(promfmt_error(&f) != NULL && strstr(f.buf, "ok 1") == NULL,
	    "nothing is written after an error");
	promfmt_fini(&f);
}

static void
test_cap(void)
{
	static char help[PROMFMT_MAX / 4];
	struct promfmt f;
	int i;

	memset(help, 'h', sizeof(help) - 1);
	promfmt_init(&f);
	for (i = 0; i < 5 && promfmt_error(&f) == NULL; i++)
		promfmt_family(&f, "big", "gauge", help);
	tap_ok(promfmt_error(&f) != NULL && f.len < PROMFMT_MAX,
	    "output stops at PROMFMT_MAX (%zu bytes written)", f.len);
	promfmt_fini(&f);
}

int
main(void)
{
	test_family_and_samples();
	test_escaping();
	test_numbers();
	test_histogram();
	test_bad_names();
	test_cap();
	return tap_done();
}
