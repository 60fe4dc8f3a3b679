/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * dnsmsg.c: DNS query writer and answer reader for the DANE checks.
 *
 * Only what the DANE decision needs is read: the header flags, the one
 * question (to be sure the answer is ours), and the answer section's
 * records of the asked type at the end of a CNAME chain.  The
 * authority and additional sections are not read: the AD flag already
 * carries the resolver's verdict on the whole answer (RFC 4035 §3.2.3),
 * and the RRSIGs beside the records are the resolver's business.
 *
 * Names are compared in presentation form, lowercased.  A name with a
 * byte outside letters, digits, '-' and '_' is refused rather than
 * escaped: nothing a mail domain or MX host may be called needs one,
 * and refusing keeps "\046" tricks out of the comparisons.
 */
#include <stddef.h>
#include <string.h>

#include "dnsmsg.h"

#define DNSMSG_HDR_LEN	12
#define DNSMSG_F_QR	0x8000
#define DNSMSG_F_TC	0x0200
#define DNSMSG_F_RD	0x0100
#define DNSMSG_F_AD	0x0020
#define DNSMSG_CLASS_IN	1
#define DNSMSG_EDNS_DO	0x8000

struct dnsmsg_cur {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
};

static int	dnsmsg_u16(struct dnsmsg_cur *, uint16_t *);
static int	dnsmsg_u32(struct dnsmsg_cur *, uint32_t *);
static int	dnsmsg_label_char(uint8_t);
static const char *dnsmsg_name(struct dnsmsg_cur *, char *);
static int	dnsmsg_same(const char *, const char *);
static const char *dnsmsg_keep(const struct dnsmsg_cur *, size_t, uint16_t,
		    struct dnsmsg_answer *);
static const char *dnsmsg_answers(struct dnsmsg_cur *, unsigned,
		    const char *, struct dnsmsg_answer *);

static int
dnsmsg_u16(struct dnsmsg_cur *c, uint16_t *v)
{
	if (c->len - c->pos < 2)
		return -1;
	*v = (uint16_t)(c->p[c->pos] << 8 | c->p[c->pos + 1]);
	c->pos += 2;
	return 0;
}

static int
dnsmsg_u32(struct dnsmsg_cur *c, uint32_t *v)
{
	if (c->len - c->pos < 4)
		return -1;
	*v = (uint32_t)c->p[c->pos] << 24 | (uint32_t)c->p[c->pos + 1] << 16 |
	    (uint32_t)c->p[c->pos + 2] << 8 | c->p[c->pos + 3];
	c->pos += 4;
	return 0;
}

static int
dnsmsg_label_char(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/*
 * Read the (possibly compressed) name at c->pos into `out` (at least
 * DNSMSG_NAME_MAX + 1 bytes), lowercased, no trailing dot; the root is
 * "".  c->pos moves past the name as stored at c->pos.  Returns NULL
 * or a reason.
 */
static const char *
dnsmsg_name(struct dnsmsg_cur *c, char *out)
{
	size_t pos = c->pos, o = 0, end = 0, i;
	unsigned jumps = 0;
	uint8_t n;

	for (;;) {
		if (pos >= c->len)
			return "name runs past the end of the message";
		n = c->p[pos];
		if ((n & 0xc0) == 0xc0) {
			size_t to;

			if (c->len - pos < 2)
				return "name runs past the end of the message";
			to = (size_t)(n & 0x3f) << 8 | c->p[pos + 1];
			if (end == 0)
				end = pos + 2;
			/* Only backwards: no loops, bounded work. */
			if (to >= pos || ++jumps > DNSMSG_JUMPS_MAX)
				return "bad compression pointer";
			pos = to;
			continue;
		}
		if ((n & 0xc0) != 0)
			return "unknown label type";
		if (n == 0)
			break;
		if (c->len - pos - 1 < n)
			return "name runs past the end of the message";
		if (o + (o > 0) + n > DNSMSG_NAME_MAX)
			return "name longer than 253 bytes";
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < n; i++) {
			uint8_t ch = c->p[pos + 1 + i];

			if (!dnsmsg_label_char(ch))
				return "name has a byte that is not a letter, "
				    "digit, '-' or '_'";
			out[o++] = (char)(ch >= 'A' && ch <= 'Z' ?
			    ch - 'A' + 'a' : ch);
		}
		pos += 1 + n;
	}
	out[o] = '\0';
	c->pos = end != 0 ? end : pos + 1;
	return NULL;
}

/* Same name?  `b` may have a trailing dot and capitals. */
static int
dnsmsg_same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;

	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return 0;
	for (i = 0; i < la; i++) {
		char x = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (a[i] != x)
			return 0;
	}
	return 1;
}

/* Keep the RDATA at c->pos (`rdlen` bytes) of a record of the asked type. */
static const char *
dnsmsg_keep(const struct dnsmsg_cur *c, size_t rdlen, uint16_t type,
    struct dnsmsg_answer *out)
{
	struct dnsmsg_cur rd = { c->p, c->pos + rdlen, c->pos };
	const char *why;

	if (out->n == DNSMSG_RR_MAX) {
		out->dropped++;
		return NULL;
	}
	if (type == DNSMSG_TYPE_MX) {
		struct dnsmsg_mx *mx = &out->rr.mx[out->n];

		if (dnsmsg_u16(&rd, &mx->pref) < 0)
			return "short MX record";
		/* The exchange may point anywhere before it. */
		rd.len = c->len;
		if ((why = dnsmsg_name(&rd, mx->host)) != NULL)
			return why;
		if (rd.pos != c->pos + rdlen)
			return "MX record length does not match its data";
	} else if (type == DNSMSG_TYPE_TLSA) {
		struct dnsmsg_tlsa *t = &out->rr.tlsa[out->n];

		if (rdlen < 3)
			return "short TLSA record";
		t->usage = c->p[c->pos];
		t->selector = c->p[c->pos + 1];
		t->mtype = c->p[c->pos + 2];
		t->dlen = (uint16_t)(rdlen - 3);
		/* mtasts check compares digests with a certificate. */
		t->have_data = t->dlen <= DNSMSG_TLSA_DATA_MAX;
		if (t->have_data)
			memcpy(t->data, c->p + c->pos + 3, t->dlen);
	}
	out->n++;
	return NULL;
}

/* Walk `count` answer records, following CNAMEs from `qname`. */
static const char *
dnsmsg_answers(struct dnsmsg_cur *c, unsigned count, const char *qname,
    struct dnsmsg_answer *out)
{
	char target[DNSMSG_NAME_MAX + 1], owner[DNSMSG_NAME_MAX + 1];
	const char *why;
	unsigned i, cnames = 0;
	uint16_t type, class, rdlen;
	uint32_t ttl;

	/* target = qname, lowercased, no trailing dot */
	for (i = 0; qname[i] != '\0' && i < DNSMSG_NAME_MAX; i++)
		target[i] = (char)(qname[i] >= 'A' && qname[i] <= 'Z' ?
		    qname[i] - 'A' + 'a' : qname[i]);
	target[i] = '\0';
	if (i > 0 && target[i - 1] == '.')
		target[i - 1] = '\0';
	for (i = 0; i < count; i++) {
		if ((why = dnsmsg_name(c, owner)) != NULL)
			return why;
		if (dnsmsg_u16(c, &type) < 0 || dnsmsg_u16(c, &class) < 0 ||
		    dnsmsg_u32(c, &ttl) < 0 || dnsmsg_u16(c, &rdlen) < 0)
			return "short resource record";
		if (c->len - c->pos < rdlen)
			return "record data runs past the end of the message";
		if (class == DNSMSG_CLASS_IN && strcmp(owner, target) == 0 &&
		    (type == out->qtype || type == DNSMSG_TYPE_CNAME)) {
			if (ttl > 0x7fffffff)	/* RFC 2181 §8 */
				ttl = 0;
			if (ttl < out->ttl)
				out->ttl = ttl;
			if (type == out->qtype)
				why = dnsmsg_keep(c, rdlen, type, out);
			else if (++cnames > DNSMSG_CNAME_MAX)
				why = "CNAME chain too long";
			else {
				struct dnsmsg_cur rd = { c->p, c->len, c->pos };

				why = dnsmsg_name(&rd, target);
				if (why == NULL && rd.pos != c->pos + rdlen)
					why = "CNAME record length does not "
					    "match its data";
			}
			if (why != NULL)
				return why;
		}
		c->pos += rdlen;
	}
	return NULL;
}

size_t
dnsmsg_query(uint8_t *buf, size_t size, const char *name, uint16_t qtype)
{
	static const uint8_t hdr[DNSMSG_HDR_LEN] = {
		0, 0, (DNSMSG_F_RD | DNSMSG_F_AD) >> 8,
		(DNSMSG_F_RD | DNSMSG_F_AD) & 0xff, 0, 1, 0, 0, 0, 0, 0, 1
	};
	size_t nlen = strlen(name), pos, start, i;

	if (nlen == 0)
		return 0;
	if (name[nlen - 1] == '.')
		nlen--;		/* "." alone is the root: no label */
	if (nlen > DNSMSG_NAME_MAX ||
	    size < DNSMSG_HDR_LEN + nlen + 2 + 4 + 11)
		return 0;
	memcpy(buf, hdr, sizeof(hdr));
	pos = DNSMSG_HDR_LEN;
	start = 0;
	for (i = 0; nlen > 0 && i <= nlen; i++) {
		if (i < nlen && name[i] != '.')
			continue;
		if (i == start || i - start > 63)
			return 0;
		buf[pos++] = (uint8_t)(i - start);
		memcpy(buf + pos, name + start, i - start);
		pos += i - start;
		start = i + 1;
	}
	buf[pos++] = 0;
	buf[pos++] = (uint8_t)(qtype >> 8);
	buf[pos++] = (uint8_t)qtype;
	buf[pos++] = 0;
	buf[pos++] = DNSMSG_CLASS_IN;
	/* OPT: root owner, type 41, class = payload size, TTL = DO. */
	buf[pos++] = 0;
	buf[pos++] = 0;
	buf[pos++] = DNSMSG_TYPE_OPT;
	buf[pos++] = DNSMSG_EDNS_SIZE >> 8;
	buf[pos++] = DNSMSG_EDNS_SIZE & 0xff;
	buf[pos++] = 0;
	buf[pos++] = 0;
	buf[pos++] = DNSMSG_EDNS_DO >> 8;
	buf[pos++] = DNSMSG_EDNS_DO & 0xff;
	buf[pos++] = 0;
	buf[pos++] = 0;
	return pos;
}

enum dnsmsg_result
dnsmsg_parse(const uint8_t *pkt, size_t len, const char *qname,
    uint16_t qtype, struct dnsmsg_answer *out, const char **why)
{
	struct dnsmsg_cur c = { pkt, len, 0 };
	char name[DNSMSG_NAME_MAX + 1];
	uint16_t flags, qd, an, type, class;
	const char *w = NULL;

	memset(out, 0, offsetof(struct dnsmsg_answer, rr));
	out->qtype = qtype;
	out->ttl = UINT32_MAX;
	if (pkt == NULL || len < DNSMSG_HDR_LEN) {
		w = "message shorter than a DNS header";
		goto done;
	}
	/* The id was checked by c-ares; the header is all there. */
	flags = (uint16_t)(pkt[2] << 8 | pkt[3]);
	qd = (uint16_t)(pkt[4] << 8 | pkt[5]);
	an = (uint16_t)(pkt[6] << 8 | pkt[7]);
	c.pos = DNSMSG_HDR_LEN;
	out->rcode = flags & 0x000f;
	out->ad = (flags & DNSMSG_F_AD) != 0;
	out->tc = (flags & DNSMSG_F_TC) != 0;
	if ((flags & DNSMSG_F_QR) == 0) {
		w = "not a response";
		goto done;
	}
	if (qd != 1) {
		w = "not exactly one question";
		goto done;
	}
	if ((w = dnsmsg_name(&c, name)) != NULL)
		goto done;
	if (dnsmsg_u16(&c, &type) < 0 || dnsmsg_u16(&c, &class) < 0) {
		w = "short question";
		goto done;
	}
	if (!dnsmsg_same(name, qname) || type != qtype ||
	    class != DNSMSG_CLASS_IN) {
		w = "answer to another question";
		goto done;
	}
	w = dnsmsg_answers(&c, an, qname, out);
done:
	if (w != NULL) {
		out->n = 0;
		out->dropped = 0;
	}
	if (out->n == 0)
		out->ttl = 0;
	if (why != NULL)
		*why = w;
	return w == NULL ? DNSMSG_OK : DNSMSG_BAD;
}

int
dnsmsg_tlsa_usable(const struct dnsmsg_tlsa *t)
{
	if (t->usage != 2 && t->usage != 3)
		return 0;
	if (t->selector > 1)
		return 0;
	switch (t->mtype) {
	case 0:
		return t->dlen > 0;
	case 1:
		return t->dlen == 32;
	case 2:
		return t->dlen == 64;
	default:
		return 0;
	}
}
