/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_domkey.c: libFuzzer target for domkey_normalize().
 *
 * The whole input is one key (not NUL-terminated, any bytes).  Beyond
 * "no crash", the properties the rest of the daemon relies on are
 * checked:
 *   - out is always NUL-terminated within DOMKEY_MAX + 1 bytes, and ""
 *     with a reason unless the result is DOMAIN;
 *   - a DOMAIN result is lowercase LDH, no leading "." or "..", and
 *     normalising it again gives DOMAIN and the same bytes (the cache
 *     key is stable);
 *   - "." + a DOMAIN result is a parent key: NOT_DOMAIN.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_domain(const char *out)
{
	char again[DOMKEY_MAX + 1], parent[DOMKEY_MAX + 2];
	size_t i, len = strlen(out);

	if (len == 0 || out[0] == '.' || out[len - 1] == '.' ||
	    strstr(out, "..") != NULL)
		__builtin_trap();
	for (i = 0; i < len; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= '0' && out[i] <= '9') ||
		    out[i] == '-' || out[i] == '.'))
			__builtin_trap();
	if (domkey_normalize(out, len, again, NULL) != DOMKEY_DOMAIN ||
	    strcmp(again, out) != 0)
		__builtin_trap();
	parent[0] = '.';
	memcpy(parent + 1, out, len);
	if (domkey_normalize(parent, len + 1, again, NULL) !=
	    DOMKEY_NOT_DOMAIN || again[0] != '\0')
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[DOMKEY_MAX + 1];
	const char *why = NULL;
	enum domkey_kind k;

	memset(out, '#', sizeof(out));
	k = domkey_normalize((const char *)data, size, out, &why);
	if (memchr(out, '\0', sizeof(out)) == NULL)
		__builtin_trap();
	switch (k) {
	case DOMKEY_DOMAIN:
		if (why != NULL)
			__builtin_trap();
		fuzz_check_domain(out);
		break;
	case DOMKEY_NOT_DOMAIN:
	case DOMKEY_INVALID:
	case DOMKEY_ERROR:
		if (why == NULL || out[0] != '\0')
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	return 0;
}
