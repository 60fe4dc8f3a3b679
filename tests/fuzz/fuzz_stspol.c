/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_stspol.c: libFuzzer target for the MTA-STS policy parser
 * (resolver/stspol.c) and the media type check.
 *
 * Besides "no crash, no read past size", it checks what a valid result
 * promises (see stspol.h) and that a valid policy survives a round
 * trip: the canonical text rebuilt from the result must parse to the
 * same mode, max_age and mx list.  A broken promise aborts, so the
 * fuzzer reports it like a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stspol.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Longest compact canonical text we try: a body, and room to spare. */
#define CANON_MAX (STSPOL_MAX_SIZE + 1024)

/* Longest input handed to the media type check. */
#define CT_MAX 512

static void
check_mx(const char *mx)
{
	size_t i, n = strlen(mx);

	if (n == 0 || n > STSPOL_NAME_MAX || mx[n - 1] == '.')
		abort();
	for (i = 0; i < n; i++) {
		if (mx[i] == '*' && !(i == 0 && mx[1] == '.'))
			abort();
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-.*",
		    mx[i]) == NULL)
			abort();
	}
}

/*
 * A valid policy: sane fields, mx required unless mode none (or every
 * mx line dropped as unusable, with its warning), and the patterns
 * kept never need more than the body's size as (1 + len + 1) each,
 * which store/record.h relies on.
 */
static void
check_valid(const struct stspol *p, const char *why, size_t size)
{
	size_t i, bytes = 0;

	if (why != NULL || p->max_age > STSPOL_MAX_AGE_MAX ||
	    p->nmx > STSPOL_MX_MAX || (p->warnings & ~STSPOL_WARN_ALL) != 0)
		abort();
	if (p->mode != STSPOL_MODE_NONE && p->mode != STSPOL_MODE_TESTING &&
	    p->mode != STSPOL_MODE_ENFORCE)
		abort();
	if (p->mode != STSPOL_MODE_NONE && p->nmx == 0 &&
	    (p->warnings & (STSPOL_WARN_MX_IP_ADDRESS |
	    STSPOL_WARN_MX_TOO_LONG)) == 0)
		abort();
	for (i = 0; i < p->nmx; i++) {
		check_mx(stspol_mx(p, i));
		bytes += strlen(stspol_mx(p, i)) + 2;
	}
	if (bytes > size)
		abort();
	if (stspol_mx(p, p->nmx) != NULL)
		abort();
}

/*
 * Rebuild a compact canonical text of `p` and check it parses the
 * same.  Skipped when it has no mx line where one is required (all
 * were dropped) or when it is over the size limit (an LF the body's
 * last line lacked).
 */
static void
check_roundtrip(const struct stspol *p)
{
	static char canon[CANON_MAX];
	static struct stspol q;
	size_t i, n;

	if (p->mode != STSPOL_MODE_NONE && p->nmx == 0)
		return;
	n = (size_t)snprintf(canon, sizeof(canon),
	    "version:STSv1\nmode:%s\nmax_age:%u\n",
	    stspol_mode_str(p->mode), (unsigned)p->max_age);
	for (i = 0; i < p->nmx && n < sizeof(canon); i++)
		n += (size_t)snprintf(canon + n, sizeof(canon) - n,
		    "mx:%s\n", stspol_mx(p, i));
	if (n > STSPOL_MAX_SIZE)
		return;
	if (stspol_parse(canon, n, &q, NULL) != 0)
		abort();
	if (q.mode != p->mode || q.max_age != p->max_age || q.nmx != p->nmx)
		abort();
	for (i = 0; i < p->nmx; i++)
		if (strcmp(stspol_mx(p, i), stspol_mx(&q, i)) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stspol p;
	char ct[CT_MAX + 1];
	const char *why = NULL;
	size_t n;

	if (stspol_parse((const char *)data, size, &p, &why) == 0) {
		check_valid(&p, why, size);
		check_roundtrip(&p);
	} else if (why == NULL || *why == '\0') {
		abort();
	}
	/* The media type check takes a C string: use a bounded copy. */
	n = size < CT_MAX ? size : CT_MAX;
	if (n > 0)
		memcpy(ct, data, n);
	ct[n] = '\0';
	(void)stspol_content_type_ok(ct);
	return 0;
}
