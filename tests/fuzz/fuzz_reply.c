/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_reply.c: libFuzzer target for the Postfix answer: verdict.c's
 * decision, reply.c's value, its %XX codec and version parser.
 *
 * Input: byte 0 picks the lookup status, source, mode and profile
 * flags, byte 1 the Postfix version, byte 2 the output size; then mx
 * patterns one a line up to an empty line, and the policy text after
 * it.  Properties checked, beyond "no crash":
 *   - the output is NUL-terminated inside its buffer;
 *   - OK only for a policy the profile answers, with a value that
 *     starts "secure match=" and holds no byte Postfix would split on
 *     or misread (white space outside "{ }", control bytes);
 *   - NOTFOUND only without a policy or for one the profile does not
 *     answer, with an empty output; a failed lookup is never NOTFOUND;
 *   - TEMP always says why;
 *   - quote then unquote gives back the input; a quoted text has no
 *     byte Postfix's hex_quote() would have encoded;
 *   - a parsed version formats and parses back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "record.h"
#include "reply.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MX_MAX	64

static const unsigned versions[] = {
	REPLY_PF(2, 10, 0), REPLY_PF(3, 3, 0), REPLY_PF(3, 4, 0),
	REPLY_PF(3, 10, 0), REPLY_PF(3, 10, 5), REPLY_PF_MAX
};

/* Bytes that may appear in a value outside "{ policy_string = ... }". */
static void
fuzz_check_value(const char *out)
{
	const char *s, *end = strstr(out, " {");

	if (strncmp(out, "secure match=", 13) != 0)
		abort();
	if (end == NULL)
		end = out + strlen(out);
	for (s = out; s < end; s++)
		if ((unsigned char)*s <= 0x20 && *s != ' ')
			abort();
	for (s = out; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
fuzz_verdict(const uint8_t *in, size_t size)
{
	static char out[REPLY_SOCKETMAP_MAX], text[RECORD_TEXT_RENDER_MAX];
	static char names[FUZZ_MX_MAX][256];
	static struct record_policy p;
	struct reply_profile prof;
	struct lookup_answer a;
	size_t off = 3, n, outsize;
	enum verdict v;
	const uint8_t *nl;

	if (size < 3)
		return;
	memset(&p, 0, sizeof(p));
	memset(&a, 0, sizeof(a));
	prof.tlsrpt = in[0] & 1;
	prof.enforce_testing = (in[0] >> 1) & 1;
	prof.list_policies = (in[0] >> 2) & 1;
	prof.version = versions[in[1] % (sizeof(versions) /
	    sizeof(versions[0]))];
	a.status = (enum lookup_status)((in[0] >> 3) & 3);
	a.source = (in[0] >> 5) & 1 ? LOOKUP_SRC_LIST : LOOKUP_SRC_CACHE;
	a.domain = (in[1] & 0x80) ? "example.com" : "bad domain";
	a.error = (in[1] & 0x40) ? "dns-timeout" : NULL;
	p.mode = (enum record_mode)((in[0] >> 6) % 3);
	outsize = in[2] < 0xf0 ? (size_t)in[2] + 1 : sizeof(out);
	while (off < size && in[off] != '\n' && p.nmx < FUZZ_MX_MAX) {
		nl = memchr(in + off, '\n', size - off);
		n = nl != NULL ? (size_t)(nl - in - off) : size - off;
		n = n < 255 ? n : 255;
		memcpy(names[p.nmx], in + off, n);
		names[p.nmx][n] = '\0';
		p.mx[p.nmx] = names[p.nmx];
		p.nmx++;
		off = nl != NULL ? (size_t)(nl - in) + 1 : size;
	}
	if (off < size) {
		p.text = (const char *)in + off + 1;
		p.text_len = size - off - 1;
	}
	a.policy = a.status == LOOKUP_POLICY && p.nmx % 7 != 6 ? &p : NULL;
	memset(out, 'X', sizeof(out));
	v = verdict_profile(&a, &prof, text, sizeof(text), out, outsize,
	    NULL);
	if (memchr(out, '\0', outsize) == NULL)
		abort();
	switch (v) {
	case VERDICT_OK:
		if (a.policy == NULL ||
		    !reply_answers(&prof, a.source == LOOKUP_SRC_LIST ?
		    REPLY_LIST : REPLY_MTASTS, p.mode))
			abort();
		fuzz_check_value(out);
		break;
	case VERDICT_NOTFOUND:
		if (out[0] != '\0' || a.status == LOOKUP_TEMP ||
		    (a.status == LOOKUP_POLICY && a.policy == NULL))
			abort();
		break;
	case VERDICT_TEMP:
		if (out[0] == '\0' && outsize > 1)
			abort();
		break;
	default:
		abort();
	}
}

static void
fuzz_codec(const uint8_t *in, size_t size)
{
	static char q[3 * 4096 + 1], back[3 * 4096];
	ssize_t n;
	size_t i;

	if (size > 4096)
		size = 4096;
	if ((n = reply_tcp_quote((const char *)in, size, q, sizeof(q))) < 0)
		abort();
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)q[i] <= ' ' || (unsigned char)q[i] >= 0x7f)
			abort();
	if (reply_tcp_unquote(q, (size_t)n, back) != (ssize_t)size ||
	    memcmp(back, in, size) != 0)
		abort();
	if (reply_tcp_unquote((const char *)in, size, back) > (ssize_t)size)
		abort();
}

static void
fuzz_version(const uint8_t *in, size_t size)
{
	char s[32], f[REPLY_PF_STRLEN];
	const char *rest;
	unsigned v, w;

	if (size > sizeof(s) - 1)
		size = sizeof(s) - 1;
	memcpy(s, in, size);
	s[size] = '\0';
	if (reply_version_parse(s, &v, &rest) != 0)
		return;
	if (rest < s || rest > s + size || v > REPLY_PF_MAX)
		abort();
	reply_version_format(v, f, sizeof(f));
	if (reply_version_parse(f, &w, &rest) != 0 || w != v || *rest != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_verdict(data, size);
	fuzz_codec(data, size);
	fuzz_version(data, size);
	return 0;
}
