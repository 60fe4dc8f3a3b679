/*
 * fuzz_record.c: libFuzzer target for store/record.c.
 *
 * Decode direction: the input, copied into a buffer of exactly its size
 * (so ASan flags any read past it), is decoded as a policy and as a
 * negative entry.  When a decode succeeds, the target checks the
 * contract in record.h and aborts when it is broken: every string points
 * into the input and is NUL-terminated there, the size function agrees
 * with the input length, and encoding the decoded struct gives back the
 * same bytes (the format is canonical).  On failure `why` must be set.
 *
 * Encode direction: the input is also split on LF into an id, an error
 * code, up to RECORD_MX_MAX + 1 mx patterns and a text (the rest); if
 * the encoder accepts that struct, decoding the result must succeed and
 * give the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t scratch[RECORD_POLICY_MAX];

static int
fuzz_inside(const char *s, const uint8_t *buf, size_t len)
{
	return s >= (const char *)buf && s < (const char *)buf + len &&
	    memchr(s, '\0', (size_t)((const char *)buf + len - s)) != NULL;
}

static void
fuzz_decode_policy(const uint8_t *buf, size_t len)
{
	static struct record_policy p;
	const char *why = NULL;
	size_t i;

	if (record_policy_decode(buf, len, &p, &why) != 0) {
		if (why == NULL)
			abort();
		return;
	}
	if (why != NULL || !fuzz_inside(p.id, buf, len) ||
	    !fuzz_inside(p.last_error, buf, len) ||
	    !fuzz_inside(p.text, buf, len) || p.text[p.text_len] != '\0' ||
	    p.nmx > RECORD_MX_MAX || record_policy_size(&p) != len)
		abort();
	for (i = 0; i < p.nmx; i++)
		if (!fuzz_inside(p.mx[i], buf, len) || p.mx[i][0] == '\0')
			abort();
	if (record_policy_encode(&p, scratch, sizeof(scratch), NULL) !=
	    (ssize_t)len || memcmp(scratch, buf, len) != 0)
		abort();
}

static void
fuzz_decode_negative(const uint8_t *buf, size_t len)
{
	struct record_negative n;
	const char *why = NULL;

	if (record_negative_decode(buf, len, &n, &why) != 0) {
		if (why == NULL)
			abort();
		return;
	}
	if (why != NULL || !fuzz_inside(n.code, buf, len) ||
	    record_negative_size(&n) != len ||
	    record_negative_encode(&n, scratch, sizeof(scratch), NULL) !=
	    (ssize_t)len || memcmp(scratch, buf, len) != 0)
		abort();
}

/* Next LF-terminated field of in[*off..size) as a fresh C string. */
static char *
fuzz_field(const uint8_t *in, size_t size, size_t *off)
{
	const uint8_t *nl;
	size_t n;
	char *s;

	nl = *off < size ? memchr(in + *off, '\n', size - *off) : NULL;
	n = nl != NULL ? (size_t)(nl - (in + *off)) : size - *off;
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, in + *off, n);
	s[n] = '\0';
	*off += n + (nl != NULL);
	return s;
}

static void
fuzz_encode(const uint8_t *in, size_t size)
{
	static struct record_policy p, d;
	static char *mx[RECORD_MX_MAX + 1];
	size_t off = 0, nmx = 0, i;
	char *id, *err;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.mode = size > 0 ? (enum record_mode)(in[0] % 4) : RECORD_MODE_NONE;
	p.max_age = (uint32_t)size;
	id = fuzz_field(in, size, &off);
	err = fuzz_field(in, size, &off);
	while (nmx <= RECORD_MX_MAX && off < size && in[off] != '\n')
		mx[nmx++] = fuzz_field(in, size, &off);
	p.id = id;
	p.last_error = err;
	p.nmx = nmx;
	for (i = 0; i < nmx && i < RECORD_MX_MAX; i++)
		p.mx[i] = mx[i];
	p.text = off < size ? (const char *)in + off : NULL;
	p.text_len = off < size ? size - off : 0;
	n = record_policy_encode(&p, scratch, sizeof(scratch), NULL);
	if ((n > 0) != (record_policy_size(&p) > 0))
		abort();
	if (n > 0 && (record_policy_decode(scratch, (size_t)n, &d, NULL) != 0 ||
	    strcmp(d.id, id) != 0 || strcmp(d.last_error, err) != 0 ||
	    d.nmx != nmx || d.text_len != p.text_len || d.mode != p.mode))
		abort();
	for (i = 0; i < nmx; i++)
		free(mx[i]);
	free(id);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	fuzz_decode_policy(copy, size);
	fuzz_decode_negative(copy, size);
	free(copy);
	fuzz_encode(data, size);
	return 0;
}
