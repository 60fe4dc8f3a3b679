/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_tlsrpt.c: libFuzzer target for resolver/tlsrpt.c.
 *
 * The input is split on LF into at most FUZZ_RECS records, each copied
 * into a buffer of exactly its size (ASan flags a read past the end),
 * and given to tlsrpt_select().  Besides "no crash", the contract of
 * tlsrpt.h is checked: `why` is NULL exactly on success, URIs only on
 * success, each one NUL-terminated, at most TLSRPT_URI_LEN bytes, with
 * a mailto: or https: scheme, and out == NULL gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt.h"

#define FUZZ_RECS 8

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(enum tlsrpt_result r, const struct tlsrpt *out, const char *why)
{
	size_t i, n;

	if ((r == TLSRPT_OK) != (why == NULL))
		abort();
	if (r != TLSRPT_OK && out->nuri != 0)
		abort();
	if (r == TLSRPT_OK && (out->nuri == 0 || out->nuri > TLSRPT_URI_MAX))
		abort();
	for (i = 0; i < out->nuri; i++) {
		if (memchr(out->uri[i], '\0', sizeof(out->uri[i])) == NULL)
			abort();
		n = strlen(out->uri[i]);
		if (n == 0 || n > TLSRPT_URI_LEN)
			abort();
		if (strncasecmp(out->uri[i], "mailto:", 7) != 0 &&
		    strncasecmp(out->uri[i], "https://", 8) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *txts[FUZZ_RECS];
	size_t lens[FUZZ_RECS], n = 0, start = 0, i;
	char *copies[FUZZ_RECS];
	struct tlsrpt out;
	const char *why;
	enum tlsrpt_result r;

	for (i = 0; i <= size && n < FUZZ_RECS; i++) {
		if (i < size && data[i] != '\n')
			continue;
		lens[n] = i - start;
		if ((copies[n] = malloc(lens[n] ? lens[n] : 1)) == NULL)
			break;
		memcpy(copies[n], data + start, lens[n]);
		txts[n] = copies[n];
		n++;
		start = i + 1;
	}
	r = tlsrpt_select(txts, lens, n, &out, &why);
	fuzz_check(r, &out, why);
	if (tlsrpt_select(txts, lens, n, NULL, NULL) != r)
		abort();
	for (i = 0; i < n; i++)
		free(copies[i]);
	return 0;
}
