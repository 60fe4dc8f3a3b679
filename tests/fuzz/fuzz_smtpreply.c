/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_smtpreply.c: libFuzzer target for resolver/smtpreply.c.
 *
 * The input is fed as the probe feeds it: in chunks (the first byte
 * chooses the chunk size), keeping the unconsumed rest, until a reply
 * is done or bad.  Checked besides "no crash": `used` never exceeds
 * the input, the text stays printable and NUL-terminated, a done
 * reply has a code of 100-599, and a line the reader keeps waiting on
 * never grows past SMTPREPLY_LINE_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_text(const struct smtpreply *r)
{
	size_t i;

	if (memchr(r->text, '\0', sizeof(r->text)) == NULL)
		abort();
	for (i = 0; r->text[i] != '\0'; i++)
		if (r->text[i] < 0x20 || r->text[i] > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[SMTPREPLY_LINE_MAX * 2];
	struct smtpreply r;
	size_t chunk, have = 0, off, used, take;
	enum smtpreply_result res = SMTPREPLY_MORE;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	smtpreply_init(&r);
	for (off = 1; off < size && res == SMTPREPLY_MORE; off += take) {
		take = size - off < chunk ? size - off : chunk;
		if (take > sizeof(buf) - have)
			take = sizeof(buf) - have;
		memcpy(buf + have, data + off, take);
		have += take;
		res = smtpreply_feed(&r, buf, have, &used, NULL);
		if (used > have)
			abort();
		memmove(buf, buf + used, have - used);
		have -= used;
		if (res == SMTPREPLY_MORE && have >= SMTPREPLY_LINE_MAX)
			abort();
	}
	fuzz_check_text(&r);
	if (res == SMTPREPLY_DONE && (r.code < 100 || r.code > 599))
		abort();
	return 0;
}
