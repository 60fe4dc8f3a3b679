/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * danerec.c: the cached DANE state's codec (danerec.h).  A small
 * reader and writer of its own, so the "dane" record can change
 * without touching the policy records' codec (store/record.c).
 */
#include <string.h>

#include "danerec.h"

#define DANEREC_KIND	'D'

struct danerec_io {
	uint8_t		*w;		/* writer, NULL when reading */
	const uint8_t	*r;
	size_t		 len, pos;
	int		 bad;
};

static uint64_t
danerec_get(struct danerec_io *io, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (io->bad || io->len - io->pos < n) {
		io->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)io->r[io->pos + i] << (8 * i);
	io->pos += n;
	return v;
}

static void
danerec_put(struct danerec_io *io, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		io->w[io->pos++] = (uint8_t)(v >> (8 * i));
}

static int
danerec_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > DANEREC_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			return 0;
	}
	return 1;
}

static int
danerec_why_ok(const char *s, size_t n)
{
	size_t i;

	if (n > DANEREC_WHY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* A string of `n` bytes and its NUL, read in place. */
static const char *
danerec_get_str(struct danerec_io *io, size_t n)
{
	const char *s;

	if (io->bad || io->len - io->pos < n + 1 || io->r[io->pos + n] != 0) {
		io->bad = 1;
		return NULL;
	}
	s = (const char *)io->r + io->pos;
	io->pos += n + 1;
	return s;
}

static const char *
danerec_check(const struct danerec *r)
{
	const char *why = r->why != NULL ? r->why : "";
	size_t i;

	if ((unsigned)r->verdict >= DANEREC_NVERDICTS)
		return "unknown verdict";
	if (r->mx >= DANEREC_NMX)
		return "unknown MX status";
	if (!danerec_why_ok(why, strlen(why)))
		return "reason too long or not printable";
	if (r->why_code != 0 && why[0] != '\0')
		return "reason given as text and code";
	if (r->nhosts > DANEREC_HOSTS_MAX)
		return "too many hosts";
	for (i = 0; i < r->nhosts; i++) {
		if (r->host[i].tlsa >= DANEREC_NTLSA)
			return "unknown TLSA status";
		if (r->host[i].name == NULL || !danerec_name_ok(r->host[i].name,
		    strlen(r->host[i].name)))
			return "bad host name";
	}
	return NULL;
}

ssize_t
danerec_encode(const struct danerec *r, void *buf, size_t size,
    const char **why)
{
	struct danerec_io io = { buf, NULL, size, 0, 0 };
	const char *w = danerec_check(r), *text;
	size_t need = DANEREC_FIXED + 3, i, n;

	if (w != NULL)
		goto fail;
	text = r->why != NULL ? r->why : "";
	need = r->why_code != 0 ? DANEREC_FIXED + 2 : need + strlen(text);
	for (i = 0; i < r->nhosts; i++)
		need += 3 + strlen(r->host[i].name);
	if (buf == NULL || need > size) {
		w = "buffer too small";
		goto fail;
	}
	danerec_put(&io, r->why_code != 0 ? DANEREC_VERSION :
	    DANEREC_VERSION_1, 1);
	danerec_put(&io, DANEREC_KIND, 1);
	danerec_put(&io, (uint64_t)r->verdict, 1);
	danerec_put(&io, r->mx, 1);
	danerec_put(&io, (uint64_t)r->checked_at, 8);
	danerec_put(&io, (uint64_t)r->expires_at, 8);
	danerec_put(&io, r->ttl, 4);
	if (r->why_code != 0)
		danerec_put(&io, r->why_code, 1);
	else {
		n = strlen(text);
		danerec_put(&io, n, 1);
		memcpy(io.w + io.pos, text, n + 1);
		io.pos += n + 1;
	}
	danerec_put(&io, r->nhosts, 1);
	for (i = 0; i < r->nhosts; i++) {
		n = strlen(r->host[i].name);
		danerec_put(&io, r->host[i].tlsa, 1);
		danerec_put(&io, n, 1);
		memcpy(io.w + io.pos, r->host[i].name, n + 1);
		io.pos += n + 1;
	}
	if (why != NULL)
		*why = NULL;
	return (ssize_t)io.pos;
fail:
	if (why != NULL)
		*why = w;
	return -1;
}

int
danerec_decode(const void *buf, size_t len, struct danerec *out,
    const char **why)
{
	struct danerec_io io = { NULL, buf, len, 0, 0 };
	const char *w = NULL;
	size_t i, n;
	unsigned v;

	memset(out, 0, sizeof(*out));
	if (buf == NULL || len < DANEREC_FIXED) {
		w = "truncated record";
		goto done;
	}
	if ((v = (unsigned)danerec_get(&io, 1)) != DANEREC_VERSION &&
	    v != DANEREC_VERSION_1) {
		w = "unknown version";
		goto done;
	}
	if (danerec_get(&io, 1) != DANEREC_KIND) {
		w = "not a DANE record";
		goto done;
	}
	out->verdict = (enum danerec_verdict)danerec_get(&io, 1);
	out->mx = (uint8_t)danerec_get(&io, 1);
	out->checked_at = (int64_t)danerec_get(&io, 8);
	out->expires_at = (int64_t)danerec_get(&io, 8);
	out->ttl = (uint32_t)danerec_get(&io, 4);
	if (v == DANEREC_VERSION) {
		out->why = "";
		if ((out->why_code = (uint8_t)danerec_get(&io, 1)) == 0 &&
		    !io.bad) {
			w = "version 2 without a reason code";
			goto done;
		}
	} else {
		n = (size_t)danerec_get(&io, 1);
		out->why = danerec_get_str(&io, n);
		if (!io.bad && !danerec_why_ok(out->why, n)) {
			w = "reason too long or not printable";
			goto done;
		}
	}
	out->nhosts = (size_t)danerec_get(&io, 1);
	if (!io.bad && out->nhosts > DANEREC_HOSTS_MAX) {
		w = "too many hosts";
		goto done;
	}
	for (i = 0; !io.bad && i < out->nhosts; i++) {
		out->host[i].tlsa = (uint8_t)danerec_get(&io, 1);
		n = (size_t)danerec_get(&io, 1);
		out->host[i].name = danerec_get_str(&io, n);
		if (!io.bad && !danerec_name_ok(out->host[i].name, n)) {
			w = "bad host name";
			goto done;
		}
	}
	if (io.bad)
		w = "truncated record";
	else if (io.pos != len)
		w = "trailing bytes";
	else
		w = danerec_check(out);
done:
	if (why != NULL)
		*why = w;
	return w == NULL ? 0 : -1;
}

int
danerec_newer(const void *buf, size_t len)
{
	return len > 0 && ((const uint8_t *)buf)[0] > DANEREC_VERSION;
}
