/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_liststore.c: libFuzzer target for the metadata codec of
 * resolver/liststore.c (the STARTTLS list's "meta" record).
 *
 * The input, copied into a buffer of exactly its size (so ASan flags any
 * read past it), is decoded.  When the decode succeeds the contract of
 * liststore.h must hold, or the target aborts: every string is
 * NUL-terminated within its array, and encoding the decoded struct gives
 * back the same bytes (the format is canonical).  On failure `why` must
 * be set.  Only the codec is fuzzed: it is pure; the store functions
 * need an LMDB environment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "liststore.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char scratch[LISTSTORE_META_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct liststore_meta m;
	const char *why = NULL;
	uint8_t *buf;
	ssize_t n;

	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	if (liststore_meta_decode(buf, size, &m, &why) != 0) {
		if (why == NULL)
			abort();
		free(buf);
		return 0;
	}
	if (memchr(m.source, '\0', sizeof(m.source)) == NULL ||
	    memchr(m.signer, '\0', sizeof(m.signer)) == NULL ||
	    memchr(m.primary, '\0', sizeof(m.primary)) == NULL)
		abort();
	n = liststore_meta_encode(&m, scratch, sizeof(scratch), NULL);
	if (n != (ssize_t)size || memcmp(scratch, buf, size) != 0)
		abort();
	free(buf);
	return 0;
}
