/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_stsrec.c: libFuzzer target for resolver/stsrec.c.
 *
 * The whole input is parsed as one joined TXT record; it is then split
 * on LF into at most FUZZ_RECS records for stsrec_select().  Each record
 * is copied into a buffer of exactly its size so ASan flags any read
 * past its end.  Besides "no crash", the target checks the contract in
 * stsrec.h and aborts when it is broken:
 *   - the result is consistent with the "v=STSv1;" prefix test;
 *   - `why` is NULL exactly on success, and out->id is "" on failure;
 *   - an id is 1-32 ASCII letters/digits and "id=<id>" is in the input;
 *   - out == NULL / why == NULL give the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stsrec.h"

#define FUZZ_RECS 8

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_prefixed(const char *s, size_t len)
{
	return len >= STSREC_PREFIX_LEN &&
	    memcmp(s, STSREC_PREFIX, STSREC_PREFIX_LEN) == 0;
}

/* Is "id=<id>" somewhere in s[0..len)? (memmem without _GNU_SOURCE) */
static int
fuzz_has_id(const char *s, size_t len, const char *id)
{
	size_t n = strlen(id), i;

	for (i = 0; i + 3 + n <= len; i++)
		if (memcmp(s + i, "id=", 3) == 0 &&
		    memcmp(s + i + 3, id, n) == 0)
			return 1;
	return 0;
}

static void
fuzz_check_out(enum stsrec_result r, const struct stsrec *out,
    const char *why, const char *s, size_t len)
{
	size_t i, n;

	if ((r == STSREC_OK) != (why == NULL))
		abort();
	if (memchr(out->id, '\0', sizeof(out->id)) == NULL)
		abort();	/* not NUL-terminated */
	n = strlen(out->id);
	if (r != STSREC_OK) {
		if (n != 0)
			abort();
		return;
	}
	if (n == 0 || !fuzz_has_id(s, len, out->id))
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out->id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			abort();
	}
}

static void
fuzz_parse(const char *s, size_t len)
{
	struct stsrec out;
	const char *why = "sentinel";
	enum stsrec_result r;

	memset(&out, 'X', sizeof(out));
	r = stsrec_parse(s, len, &out, &why);
	if (r != stsrec_parse(s, len, NULL, NULL))
		abort();
	if ((r == STSREC_NONE) == fuzz_prefixed(s, len) ||
	    r == STSREC_MULTIPLE)
		abort();
	fuzz_check_out(r, &out, why, s, len);
}

static void
fuzz_select(const char *const *txts, const size_t *lens, size_t n)
{
	struct stsrec out, one;
	const char *why = "sentinel";
	enum stsrec_result r, want;
	size_t i, count = 0, last = 0;

	for (i = 0; i < n; i++)
		if (fuzz_prefixed(txts[i], lens[i])) {
			count++;
			last = i;
		}
	if (count == 1)
		want = stsrec_parse(txts[last], lens[last], &one, NULL);
	else
		want = count == 0 ? STSREC_NONE : STSREC_MULTIPLE;
	memset(&out, 'X', sizeof(out));
	r = stsrec_select(txts, lens, n, &out, &why);
	if (r != want || r != stsrec_select(txts, lens, n, NULL, NULL))
		abort();
	fuzz_check_out(r, &out, why, count == 1 ? txts[last] : "",
	    count == 1 ? lens[last] : 0);
	if (r == STSREC_OK && strcmp(out.id, one.id) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nl;
	char *txts[FUZZ_RECS];
	size_t lens[FUZZ_RECS], n = 0, off = 0, i;

	fuzz_parse(in, size);
	while (n < FUZZ_RECS && off <= size) {
		nl = size > off ? memchr(in + off, '\n', size - off) : NULL;
		lens[n] = nl != NULL ? (size_t)(nl - (in + off)) : size - off;
		if ((txts[n] = malloc(lens[n] ? lens[n] : 1)) == NULL)
			break;
		if (lens[n] > 0)
			memcpy(txts[n], in + off, lens[n]);
		off += lens[n] + 1;
		n++;
	}
	fuzz_select((const char *const *)txts, lens, n);
	for (i = 0; i < n; i++)
		free(txts[i]);
	return 0;
}
