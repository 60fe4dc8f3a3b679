/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_danerec.c: libFuzzer target for store/danerec.c.
 *
 * The input is decoded from a buffer of exactly its size (ASan flags
 * any read past it).  Besides "no crash", the target checks the
 * contract of danerec.h and aborts when it is broken: `why` is NULL
 * exactly on success, and a decoded record encodes back to the very
 * same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "danerec.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DANEREC_MAX];
	struct danerec r;
	const char *why = "sentinel";
	uint8_t *copy;
	ssize_t n;
	int rc;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	rc = danerec_decode(copy, size, &r, &why);
	if ((rc == 0) != (why == NULL))
		abort();
	if (rc == 0) {
		n = danerec_encode(&r, out, sizeof(out), &why);
		if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
			abort();
	}
	free(copy);
	return 0;
}
