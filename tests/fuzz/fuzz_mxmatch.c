/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_mxmatch.c: libFuzzer target for mxmatch_match().
 *
 * The input is split at its first NUL or newline: the bytes before are
 * the pattern, the bytes after the host (itself cut at any later NUL,
 * as a C string would be).  Both are copied into exact-size heap
 * buffers so ASan sees any read past the end.  Beyond "no crash", two
 * properties are checked: the result is 0 or 1, and upper-casing the
 * ASCII letters of the host never changes it (§4.1 matching is
 * case-insensitive).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char *
fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void
fuzz_upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pattern = NULL, *host = NULL;
	size_t cut;
	int r;

	for (cut = 0; cut < size; cut++)
		if (data[cut] == '\0' || data[cut] == '\n')
			break;
	pattern = fuzz_strndup(data, cut);
	host = fuzz_strndup(data + (cut < size ? cut + 1 : size),
	    cut < size ? size - cut - 1 : 0);
	if (pattern == NULL || host == NULL)
		goto done;
	r = mxmatch_match(pattern, host);
	if (r != 0 && r != 1)
		__builtin_trap();
	fuzz_upper(host);
	if (mxmatch_match(pattern, host) != r)
		__builtin_trap();
done:
	free(pattern);
	free(host);
	return 0;
}
