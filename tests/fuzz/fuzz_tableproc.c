/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_tableproc.c: libFuzzer target for the OpenSMTPD table protocol
 * codecs (src/tableproc.h).
 *
 * The input is a byte stream as smtpd might send it.  It is decoded
 * twice, as table-mtasts would: as imsg frames and as text lines (one
 * message after another, with the over-long-line skip), and every
 * request is answered with found, not found and error.  Properties
 * checked, beyond "no crash, no read past the input":
 *   - a decoder consumes at least one byte and never more than it was
 *     given, or asks for more only while within its bound;
 *   - a key, id and config field lie inside the consumed bytes;
 *   - every encoded reply is one smtpd accepts: imsg replies have type
 *     OK and the header's length; text replies are exactly one line
 *     that starts with "<op>-result|<id>|";
 *   - an error reply can always be encoded for an answerable request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tableproc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define VALUE "smtp+tls://mx.example.test:25"

static void
inside(const void *p, size_t n, const uint8_t *start, size_t len)
{
	const uint8_t *q = p;

	if (p == NULL) {
		if (n != 0)
			__builtin_trap();
		return;
	}
	if (q < start || q + n > start + len)
		__builtin_trap();
}

static void
check_imsg_reply(const struct tableproc_req *req)
{
	static const enum tableproc_result rs[] = { TABLEPROC_FOUND,
	    TABLEPROC_NOTFOUND, TABLEPROC_ERROR };
	unsigned char out[2048];
	uint32_t type;
	uint16_t len;
	ssize_t n;
	size_t i;

	for (i = 0; i < 3; i++) {
		n = tableproc_imsg_reply(req, rs[i], VALUE, 1, out,
		    sizeof(out));
		if (n < 0)
			__builtin_trap();
		if (n == 0)
			continue;
		memcpy(&type, out, 4);
		memcpy(&len, out + 4, 2);
		if (n < TABLEPROC_IMSG_HDR || type != 0 || len != n)
			__builtin_trap();
	}
}

static void
check_text_reply(const struct tableproc_req *req)
{
	static const enum tableproc_result rs[] = { TABLEPROC_FOUND,
	    TABLEPROC_NOTFOUND, TABLEPROC_ERROR };
	char out[2048];
	const char *nl;
	ssize_t n;
	size_t i;

	for (i = 0; i < 3; i++) {
		n = tableproc_text_reply(req, rs[i], VALUE, "msg\nx", out,
		    sizeof(out));
		if (n < 0)
			__builtin_trap();
		if (n == 0) {
			if (req->op == TABLEPROC_OP_CHECK ||
			    req->op == TABLEPROC_OP_LOOKUP ||
			    req->op == TABLEPROC_OP_FETCH ||
			    req->op == TABLEPROC_OP_UPDATE ||
			    (req->op == TABLEPROC_OP_BAD && req->answerable &&
			    req->bad_op >= TABLEPROC_OP_UPDATE &&
			    req->bad_op != TABLEPROC_OP_CLOSE))
				__builtin_trap();
			continue;
		}
		nl = memchr(out, '\n', (size_t)n);
		if (nl != out + n - 1 || memchr(out, '\0', (size_t)n) != NULL ||
		    strstr(out, "-result|") == NULL || req->id[0] == '\0')
			__builtin_trap();
	}
}

static void
fuzz_imsg(const uint8_t *data, size_t size)
{
	struct tableproc_req req;
	size_t off = 0;
	ssize_t n;

	while (off < size) {
		n = tableproc_imsg_next(data + off, size - off, &req);
		if (n == -1 || n == 0)
			break;
		if ((size_t)n > size - off || n < TABLEPROC_IMSG_HDR)
			__builtin_trap();
		inside(req.key, req.keylen, data + off, (size_t)n);
		inside(req.cfval, req.cfvallen, data + off, (size_t)n);
		if (req.op == TABLEPROC_OP_BAD && !req.answerable)
			__builtin_trap();
		check_imsg_reply(&req);
		off += (size_t)n;
	}
}

static void
fuzz_text(const uint8_t *data, size_t size, const char *table)
{
	struct tableproc_req req;
	const uint8_t *nl;
	size_t off = 0;
	ssize_t n;
	int skip = 0;

	while (off < size) {
		if (skip) {
			nl = memchr(data + off, '\n', size - off);
			off = nl != NULL ? (size_t)(nl - data) + 1 : size;
			skip = 0;
			continue;
		}
		n = tableproc_text_next((const char *)data + off, size - off,
		    table, &req);
		if (n == 0) {
			if (size - off > TABLEPROC_LINE_MAX)
				__builtin_trap();
			break;
		}
		if (n < 0 || (size_t)n > size - off)
			__builtin_trap();
		inside(req.key, req.keylen, data + off, (size_t)n);
		inside(req.cfkey, req.cfkeylen, data + off, (size_t)n);
		inside(req.cfval, req.cfvallen, data + off, (size_t)n);
		if (strlen(req.id) > TABLEPROC_ID_MAX)
			__builtin_trap();
		check_text_reply(&req);
		skip = req.skip_line;
		off += (size_t)n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reg[512];

	(void)tableproc_detect(data, size);
	fuzz_imsg(data, size);
	fuzz_text(data, size, NULL);
	fuzz_text(data, size, "s|t");
	if (size > 0 && tableproc_text_register(data[0] << 4 | 1, reg,
	    sizeof(reg)) <= 0)
		__builtin_trap();
	return 0;
}
