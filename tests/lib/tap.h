/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tap.h: a minimal Test Anything Protocol emitter for the unit tests.
 *
 * Tests are tables of cases; each check prints "ok N - name" or
 * "not ok N - name" followed by a "# got X, want Y" diagnostic, as
 * Postfix's ptest does.  The plan ("1..N") is printed by tap_done(),
 * whose return value is the process exit status, so a test that
 * crashes before the end is counted as a failure by automake's TAP
 * driver (missing plan).
 *
 * Header-only on purpose: every test program includes it once.
 */
#ifndef TAP_H
#define TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

static void
tap_vresult(int ok, const char *fmt, va_list ap)
{
	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

/* tap_ok: one check; returns cond so callers can add diagnostics. */
static int __attribute__((format(printf, 2, 3), unused))
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	return cond;
}

/* tap_diag: a "# ..." comment line (ignored by the driver). */
static void __attribute__((format(printf, 1, 2), unused))
tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* tap_is_int: compare integers, print got/want on mismatch. */
static int __attribute__((unused))
tap_is_int(intmax_t got, intmax_t want, const char *name)
{
	if (tap_ok(got == want, "%s", name))
		return 1;
	tap_diag("got %jd, want %jd", got, want);
	return 0;
}

/* tap_is_str: compare strings (NULL allowed), print got/want. */
static int __attribute__((unused))
tap_is_str(const char *got, const char *want, const char *name)
{
	int same;

	if (got == NULL || want == NULL)
		same = got == want;
	else
		same = strcmp(got, want) == 0;
	if (tap_ok(same, "%s", name))
		return 1;
	tap_diag("got \"%s\", want \"%s\"", got ? got : "(null)",
	    want ? want : "(null)");
	return 0;
}

/* tap_skip_all: the whole program is skipped, with a reason. */
static int __attribute__((unused))
tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

/* tap_done: print the plan; returns the exit status. */
static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* TAP_H */
