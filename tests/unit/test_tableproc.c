/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_tableproc.c: table-driven tests for the OpenSMTPD table protocol
 * codecs (imsg API 2 and text 0.1): detection, decoding of every request
 * shape, hostile and truncated input, and every reply encoding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tableproc.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

#define OPNONE	TABLEPROC_OP_NONE
#define CONFIG	TABLEPROC_OP_CONFIG
#define READY	TABLEPROC_OP_READY
#define OPEN	TABLEPROC_OP_OPEN
#define UPDATE	TABLEPROC_OP_UPDATE
#define CLOSE	TABLEPROC_OP_CLOSE
#define CHECK	TABLEPROC_OP_CHECK
#define LOOKUP	TABLEPROC_OP_LOOKUP
#define FETCH	TABLEPROC_OP_FETCH
#define BAD	TABLEPROC_OP_BAD
#define DOM	TABLEPROC_K_DOMAIN
#define RELAY	TABLEPROC_K_RELAYHOST
#define FOUND	TABLEPROC_FOUND
#define NOTF	TABLEPROC_NOTFOUND
#define ERR	TABLEPROC_ERROR

/* --- detection ------------------------------------------------------------ */

struct detect_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	enum tableproc_proto want;
};

static const struct detect_case detect_cases[] = {
	{ "empty", S(""), TABLEPROC_PROTO_UNKNOWN },
	{ "text config", S("config|smtpd-version|7.6.0"), TABLEPROC_PROTO_TEXT },
	{ "text, one byte", S("c"), TABLEPROC_PROTO_TEXT },
	{ "upper-case letter", S("Z"), TABLEPROC_PROTO_TEXT },
	{ "imsg OPEN, little endian", S("\x02\x00\x00\x00"), TABLEPROC_PROTO_IMSG },
	{ "imsg OPEN, big endian", S("\x00\x00\x00\x02"), TABLEPROC_PROTO_IMSG },
	{ "digit", S("7"), TABLEPROC_PROTO_IMSG },
	{ "high byte", S("\xc3\xa9"), TABLEPROC_PROTO_IMSG },
};

static void
test_detect(void)
{
	size_t i;

	for (i = 0; i < sizeof(detect_cases) / sizeof(detect_cases[0]); i++)
		tap_is_int(tableproc_detect(detect_cases[i].in,
		    detect_cases[i].len), detect_cases[i].want,
		    detect_cases[i].name);
}

/* --- imsg requests -------------------------------------------------------- */

/* A frame builder: header (host order) + payload. */
struct frame {
	unsigned char	 b[70000];
	size_t		 len;
};

static void
f_add(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void
f_begin(struct frame *f, uint32_t type)
{
	uint32_t zero = 0;

	f->len = 0;
	f_add(f, &type, 4);
	f_add(f, &zero, 4);	/* len + flags, set by f_end */
	f_add(f, &zero, 4);
	f_add(f, &zero, 4);
}

static void
f_end(struct frame *f)
{
	uint16_t len = (uint16_t)f->len;

	memcpy(f->b + 4, &len, 2);
}

/* f_keyed: int service, size_t nparams, params, key (klen incl. NUL). */
static void
f_keyed(struct frame *f, uint32_t type, int service, size_t nparams,
    const char *params, size_t plen, const char *key, size_t klen)
{
	f_begin(f, type);
	f_add(f, &service, sizeof(service));
	f_add(f, &nparams, sizeof(nparams));
	if (plen)
		f_add(f, params, plen);
	if (klen)
		f_add(f, key, klen);
	f_end(f);
}

struct imsg_case {
	const char	*name;
	uint32_t	 type;
	int		 service;
	size_t		 nparams;
	const char	*params;
	size_t		 plen;
	const char	*key;
	size_t		 klen;		/* bytes, NUL included if any */
	enum tableproc_op want_op;
	int		 want_service;
	const char	*want_key;	/* NULL: no key */
	enum tableproc_op want_bad_op;	/* BAD only */
};

static const struct imsg_case imsg_cases[] = {
	{ "check domain", 5, DOM, 0, NULL, 0, S("example.com\0"),
	    CHECK, DOM, "example.com", 0 },
	{ "lookup relayhost", 6, RELAY, 0, NULL, 0, S("example.com\0"),
	    LOOKUP, RELAY, "example.com", 0 },
	{ "check, empty key", 5, DOM, 0, NULL, 0, S("\0"),
	    CHECK, DOM, "", 0 },
	{ "check, params skipped", 5, DOM, 2, S("a\0b\0cc\0\0"),
	    S("k.test\0"), CHECK, DOM, "k.test", 0 },
	{ "check, unknown service", 5, 0x4000, 0, NULL, 0, S("x.test\0"),
	    CHECK, 0, "x.test", 0 },
	{ "check, two bits", 5, DOM | RELAY, 0, NULL, 0, S("x.test\0"),
	    CHECK, 0, "x.test", 0 },
	{ "fetch relayhost", 7, RELAY, 0, NULL, 0, NULL, 0,
	    FETCH, RELAY, NULL, 0 },
	{ "check, key not terminated", 5, DOM, 0, NULL, 0, S("abc"),
	    BAD, 0, NULL, CHECK },
	{ "check, no key", 5, DOM, 0, NULL, 0, NULL, 0, BAD, 0, NULL, CHECK },
	{ "check, data after the key", 5, DOM, 0, NULL, 0, S("a\0junk"),
	    BAD, 0, NULL, CHECK },
	{ "lookup, nparams beyond payload", 6, RELAY, 5, S("a\0b\0"),
	    S("k\0"), BAD, 0, NULL, LOOKUP },
	{ "lookup, param not terminated", 6, RELAY, 1, S("abc"), NULL, 0,
	    BAD, 0, NULL, LOOKUP },
	{ "fetch, nparams huge", 7, RELAY, (size_t)1 << 40, NULL, 0, NULL, 0,
	    BAD, 0, NULL, FETCH },
};

static void
test_imsg_keyed(void)
{
	static struct frame f;
	struct tableproc_req req;
	char name[160];
	size_t i;
	ssize_t n;
	int ok;

	for (i = 0; i < sizeof(imsg_cases) / sizeof(imsg_cases[0]); i++) {
		const struct imsg_case *c = &imsg_cases[i];

		f_keyed(&f, c->type, c->service, c->nparams, c->params,
		    c->plen, c->key, c->klen);
		n = tableproc_imsg_next(f.b, f.len, &req);
		ok = n == (ssize_t)f.len && req.op == c->want_op;
		if (ok && c->want_op == BAD)
			ok = req.bad_op == c->want_bad_op && req.answerable &&
			    req.why != NULL;
		if (ok && c->want_op != BAD)
			ok = req.service == c->want_service;
		if (ok && c->want_key != NULL)
			ok = req.keylen == strlen(c->want_key) &&
			    memcmp(req.key, c->want_key, req.keylen) == 0;
		if (ok && c->want_key == NULL)
			ok = req.key == NULL;
		snprintf(name, sizeof(name), "imsg %s", c->name);
		if (!tap_ok(ok, "%s", name))
			tap_diag("got n=%zd op=%s bad_op=%s service=%#x keylen=%zu,"
			    " want n=%zu op=%s", n, tableproc_op_name(req.op),
			    tableproc_op_name(req.bad_op), req.service,
			    req.keylen, f.len, tableproc_op_name(c->want_op));
	}
}

static void
test_imsg_framing(void)
{
	static struct frame f;
	struct tableproc_req req;
	uint32_t v = 2;
	uint16_t bad = 8;
	size_t cut;
	int ok = 1;

	/* OPEN as 6.8 sends it: u32 version + char name[2048]. */
	f_begin(&f, 2);
	f_add(&f, &v, 4);
	memset(f.b + f.len, 0, 2048);
	memcpy(f.b + f.len, "sts", 3);
	f.len += 2048;
	f_end(&f);
	tap_is_int(tableproc_imsg_next(f.b, f.len, &req), (intmax_t)f.len,
	    "imsg OPEN consumed whole (2068 bytes)");
	tap_ok(req.op == OPEN && req.version == 2 && req.cfvallen == 3 &&
	    memcmp(req.cfval, "sts", 3) == 0, "imsg OPEN: version 2, name");
	/* Every prefix of a frame asks for more. */
	for (cut = 0; cut < f.len; cut++)
		if (tableproc_imsg_next(f.b, cut, &req) != 0) {
			ok = 0;
			break;
		}
	if (!tap_ok(ok, "imsg: every prefix of OPEN needs more"))
		tap_diag("got a result at %zu bytes", cut);
	f_begin(&f, 2);
	f_add(&f, "\x02", 1);
	f_end(&f);
	tableproc_imsg_next(f.b, f.len, &req);
	tap_ok(req.op == BAD && req.bad_op == OPEN, "imsg OPEN, short");
	f_begin(&f, 3);
	f_end(&f);
	tableproc_imsg_next(f.b, f.len, &req);
	tap_is_int(req.op, CLOSE, "imsg CLOSE");
	f_begin(&f, 4);
	f_end(&f);
	tableproc_imsg_next(f.b, f.len, &req);
	tap_is_int(req.op, UPDATE, "imsg UPDATE");
	f_begin(&f, 42);
	f_add(&f, "xyz", 3);
	f_end(&f);
	tableproc_imsg_next(f.b, f.len, &req);
	tap_ok(req.op == BAD && req.bad_op == OPNONE && req.answerable &&
	    req.imsg_type == 42, "imsg unknown type: BAD, answerable");
	f_begin(&f, 5);
	memcpy(f.b + 4, &bad, 2);
	tap_is_int(tableproc_imsg_next(f.b, 16, &req), -1,
	    "imsg length below the header: framing lost");
	tap_is_int(tableproc_imsg_next(f.b, 6, &req), -1,
	    "imsg length below the header, seen after 6 bytes");
	tap_is_int(tableproc_imsg_next(f.b, 5, &req), 0,
	    "imsg 5 bytes: need more");
	/* Two frames back to back: the first only. */
	f_keyed(&f, 5, DOM, 0, NULL, 0, S("a.test\0"));
	memcpy(f.b + f.len, f.b, f.len);
	tap_is_int(tableproc_imsg_next(f.b, 2 * f.len, &req),
	    (intmax_t)f.len, "imsg pipelined: one frame at a time");
}

/* --- imsg replies --------------------------------------------------------- */

struct ireply_case {
	const char	*name;
	enum tableproc_op op;
	enum tableproc_op bad_op;
	enum tableproc_result r;
	const char	*value;
	ssize_t		 want_len;	/* -1 refused, 0 none */
	int		 want_int;	/* after the header, if any */
	const char	*want_value;	/* after the int, NUL included */
};

static const struct ireply_case ireply_cases[] = {
	{ "OPEN", OPEN, 0, FOUND, NULL, 16, 0, NULL },
	{ "CLOSE: no reply", CLOSE, 0, FOUND, NULL, 0, 0, NULL },
	{ "UPDATE ok", UPDATE, 0, FOUND, NULL, 20, 1, NULL },
	{ "UPDATE failed", UPDATE, 0, ERR, NULL, 20, 0, NULL },
	{ "CHECK found", CHECK, 0, FOUND, NULL, 20, 1, NULL },
	{ "CHECK not found", CHECK, 0, NOTF, NULL, 20, 0, NULL },
	{ "CHECK error", CHECK, 0, ERR, NULL, 20, -1, NULL },
	{ "CHECK found ignores a value", CHECK, 0, FOUND, "x", 20, 1, NULL },
	{ "LOOKUP found", LOOKUP, 0, FOUND, "smtp+tls://mx.test:25", 42, 1,
	    "smtp+tls://mx.test:25" },
	{ "LOOKUP not found", LOOKUP, 0, NOTF, "ignored", 20, 0, NULL },
	{ "LOOKUP error", LOOKUP, 0, ERR, NULL, 20, -1, NULL },
	{ "LOOKUP found, NULL value", LOOKUP, 0, FOUND, NULL, -1, 0, NULL },
	{ "LOOKUP found, empty value", LOOKUP, 0, FOUND, "", -1, 0, NULL },
	{ "LOOKUP found, newline in value", LOOKUP, 0, FOUND, "a\nb", -1, 0,
	    NULL },
	{ "FETCH found", FETCH, 0, FOUND, "v", 22, 1, "v" },
	{ "BAD CHECK -> -1", BAD, CHECK, FOUND, NULL, 20, -1, NULL },
	{ "BAD LOOKUP -> -1, no value", BAD, LOOKUP, FOUND, "v", 20, -1, NULL },
	{ "BAD OPEN -> empty OK", BAD, OPEN, ERR, NULL, 16, 0, NULL },
	{ "BAD unknown type -> -1", BAD, OPNONE, FOUND, NULL, 20, -1, NULL },
	{ "NONE: no reply", OPNONE, 0, FOUND, NULL, 0, 0, NULL },
	{ "READY (text only): no reply", READY, 0, FOUND, NULL, 0, 0, NULL },
};

static int
ireply_ok(const struct ireply_case *c, const unsigned char *out, ssize_t n)
{
	uint32_t type, pid;
	uint16_t len;
	int r;

	if (n != c->want_len)
		return 0;
	if (n <= 0)
		return 1;
	memcpy(&type, out, 4);
	memcpy(&len, out + 4, 2);
	memcpy(&pid, out + 12, 4);
	if (type != 0 || len != n || pid != 4242)
		return 0;
	if (n == 16)
		return 1;
	memcpy(&r, out + 16, 4);
	if (r != c->want_int)
		return 0;
	if (c->want_value == NULL)
		return n == 20;
	return (size_t)n == 20 + strlen(c->want_value) + 1 &&
	    memcmp(out + 20, c->want_value, strlen(c->want_value) + 1) == 0;
}

static void
test_imsg_reply(void)
{
	unsigned char out[2048];
	struct tableproc_req req;
	char name[128];
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof(ireply_cases) / sizeof(ireply_cases[0]); i++) {
		const struct ireply_case *c = &ireply_cases[i];

		memset(&req, 0, sizeof(req));
		req.op = c->op;
		req.bad_op = c->bad_op;
		req.answerable = 1;
		n = tableproc_imsg_reply(&req, c->r, c->value, 4242, out,
		    sizeof(out));
		snprintf(name, sizeof(name), "imsg reply %s", c->name);
		if (!tap_ok(ireply_ok(c, out, n), "%s", name))
			tap_diag("got %zd bytes, want %zd", n, c->want_len);
	}
	memset(&req, 0, sizeof(req));
	req.op = LOOKUP;
	tap_is_int(tableproc_imsg_reply(&req, FOUND, "value", 1, out, 20), -1,
	    "imsg reply: out too small for the value");
	tap_is_int(tableproc_imsg_reply(&req, FOUND, "value", 1, out, 10), -1,
	    "imsg reply: out too small for the header");
}

/* --- text requests -------------------------------------------------------- */

struct text_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	const char	*table;		/* known table name or NULL */
	ssize_t		 want_used;
	enum tableproc_op want_op;
	int		 want_service;
	const char	*want_id;	/* "" none */
	const char	*want_key;	/* NULL: none */
	enum tableproc_op want_bad_op;
	int		 want_answerable;
};

static const struct text_case text_cases[] = {
	/* Handshake. */
	{ "config", S("config|smtpd-version|7.6.0\n"), NULL, 27, CONFIG, 0, "",
	    NULL, 0, 0 },
	{ "config ready", S("config|ready\n"), NULL, 13, READY, 0, "", NULL, 0,
	    0 },
	{ "config, value with bars", S("config|tablename|a|b\n"), NULL, 21,
	    CONFIG, 0, "", NULL, 0, 0 },
	{ "config without value", S("config|lonely\n"), NULL, 14, OPNONE, 0,
	    "", NULL, 0, 0 },
	/* Requests. */
	{ "check domain", S("table|0.1|1.5|sts|check|domain|0a1b2c3d|ex.test\n"),
	    NULL, 48, CHECK, DOM, "0a1b2c3d", "ex.test", 0, 0 },
	{ "lookup relayhost", S("table|0.1|1.5|sts|lookup|relayhost|1|ex.test\n"),
	    NULL, 45, LOOKUP, RELAY, "1", "ex.test", 0, 0 },
	{ "key with bars", S("table|0.1|1.5|sts|check|domain|7|a|b|c\n"), NULL,
	    39, CHECK, DOM, "7", "a|b|c", 0, 0 },
	{ "empty key", S("table|0.1|1.5|sts|check|domain|7|\n"), NULL, 34,
	    CHECK, DOM, "7", "", 0, 0 },
	{ "unknown service", S("table|0.1|1.5|sts|check|frob|7|k\n"), NULL, 33,
	    CHECK, 0, "7", "k", 0, 0 },
	{ "fetch", S("table|0.1|1.5|sts|fetch|relayhost|7\n"), NULL, 36, FETCH,
	    RELAY, "7", NULL, 0, 0 },
	{ "update", S("table|0.1|1.5|sts|update|42\n"), NULL, 28, UPDATE, 0,
	    "42", NULL, 0, 0 },
	{ "table name with a bar, known",
	    S("table|0.1|1.5|s|t|check|domain|7|k\n"), "s|t", 35, CHECK, DOM,
	    "7", "k", 0, 0 },
	{ "table name with a bar, unknown",
	    S("table|0.1|1.5|s|t|check|domain|7|k\n"), NULL, 35, BAD, 0, "",
	    NULL, OPNONE, 0 },
	{ "other version still parsed", S("table|0.2|1|sts|update|9\n"), NULL,
	    25, UPDATE, 0, "9", NULL, 0, 0 },
	/* Malformed. */
	{ "check without key", S("table|0.1|1|sts|check|domain|7\n"), NULL, 31,
	    BAD, 0, "7", NULL, CHECK, 1 },
	{ "check without id", S("table|0.1|1|sts|check|domain\n"), NULL, 29,
	    BAD, 0, "", NULL, CHECK, 0 },
	{ "empty id", S("table|0.1|1|sts|check|domain||k\n"), NULL, 32, BAD, 0,
	    "", NULL, CHECK, 0 },
	{ "id with a space", S("table|0.1|1|sts|check|domain|a b|k\n"), NULL,
	    35, BAD, 0, "", NULL, CHECK, 0 },
	{ "id with a control byte", S("table|0.1|1|sts|lookup|domain|a\tb|k\n"),
	    NULL, 36, BAD, 0, "", NULL, LOOKUP, 0 },
	{ "id of 65 bytes", S("table|0.1|1|sts|check|domain|"
	    "12345678901234567890123456789012345678901234567890123456789012345"
	    "|k\n"), NULL, 97, BAD, 0, "", NULL, CHECK, 0 },
	{ "update with extra field", S("table|0.1|1|sts|update|9|x\n"), NULL,
	    27, BAD, 0, "", NULL, UPDATE, 0 },
	{ "update without id", S("table|0.1|1|sts|update\n"), NULL, 23, BAD, 0,
	    "", NULL, UPDATE, 0 },
	{ "unknown op", S("table|0.1|1|sts|frob|9|k\n"), NULL, 25, BAD, 0, "",
	    NULL, OPNONE, 0 },
	{ "short table line", S("table|0.1\n"), NULL, 10, BAD, 0, "", NULL,
	    OPNONE, 0 },
	{ "garbage", S("hello\n"), NULL, 6, OPNONE, 0, "", NULL, 0, 0 },
	{ "empty line", S("\n"), NULL, 1, OPNONE, 0, "", NULL, 0, 0 },
	{ "NUL in key kept", S("table|0.1|1|sts|check|domain|7|a\0b\n"), NULL,
	    35, CHECK, DOM, "7", NULL, 0, 0 },
	{ "CR kept in key", S("table|0.1|1|sts|check|domain|7|k\r\n"), NULL,
	    34, CHECK, DOM, "7", "k\r", 0, 0 },
	/* Need more. */
	{ "no newline yet", S("table|0.1|1|sts|check|domain|7|k"), NULL, 0,
	    OPNONE, 0, "", NULL, 0, 0 },
	{ "empty buffer", S(""), NULL, 0, OPNONE, 0, "", NULL, 0, 0 },
	{ "pipelined: first line only", S("config|ready\nconfig|ready\n"), NULL,
	    13, READY, 0, "", NULL, 0, 0 },
};

static int
text_ok(const struct text_case *c, const struct tableproc_req *req,
    ssize_t n)
{
	if (n != c->want_used || req->op != c->want_op ||
	    strcmp(req->id, c->want_id) != 0)
		return 0;
	if (req->op == BAD)
		return req->bad_op == c->want_bad_op &&
		    req->answerable == c->want_answerable && req->why != NULL;
	if (req->service != c->want_service)
		return 0;
	if (c->want_key == NULL)
		return c->want_op != CHECK || req->key != NULL;
	return req->key != NULL && req->keylen == strlen(c->want_key) &&
	    memcmp(req->key, c->want_key, req->keylen) == 0;
}

static void
test_text_next(void)
{
	struct tableproc_req req;
	char name[128];
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const struct text_case *c = &text_cases[i];

		n = tableproc_text_next(c->in, c->len, c->table, &req);
		snprintf(name, sizeof(name), "text %s", c->name);
		if (!tap_ok(text_ok(c, &req, n), "%s", name))
			tap_diag("got used=%zd op=%s bad_op=%s id=\"%s\" "
			    "service=%#x answerable=%d, want used=%zd op=%s",
			    n, tableproc_op_name(req.op),
			    tableproc_op_name(req.bad_op), req.id, req.service,
			    req.answerable, c->want_used,
			    tableproc_op_name(c->want_op));
	}
}

/* Lines longer than TABLEPROC_LINE_MAX. */
static void
test_text_long(void)
{
	static char buf[3 * TABLEPROC_LINE_MAX];
	static const char head[] = "table|0.1|1|sts|check|domain|abc|";
	struct tableproc_req req;
	size_t len;
	ssize_t n;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, head, sizeof(head) - 1);
	/* Longer than the limit, no newline: consumed whole, skip set. */
	len = TABLEPROC_LINE_MAX + 1;
	n = tableproc_text_next(buf, len, NULL, &req);
	tap_ok(n == (ssize_t)len && req.op == BAD && req.bad_op == CHECK &&
	    req.answerable && strcmp(req.id, "abc") == 0 && req.skip_line,
	    "text long line, no newline: BAD, answerable, skip");
	/* Exactly the limit, no newline: wait for more. */
	tap_is_int(tableproc_text_next(buf, TABLEPROC_LINE_MAX, NULL, &req), 0,
	    "text line at the limit, no newline: need more");
	/* Exactly the limit, then a newline: a normal request. */
	buf[TABLEPROC_LINE_MAX] = '\n';
	n = tableproc_text_next(buf, TABLEPROC_LINE_MAX + 1, NULL, &req);
	tap_ok(n == TABLEPROC_LINE_MAX + 1 && req.op == CHECK &&
	    req.keylen == TABLEPROC_LINE_MAX - (sizeof(head) - 1),
	    "text line of exactly the limit: a request");
	/* Longer, newline in the buffer: consumed to it, no skip. */
	buf[TABLEPROC_LINE_MAX] = 'a';
	buf[2 * TABLEPROC_LINE_MAX] = '\n';
	n = tableproc_text_next(buf, sizeof(buf), NULL, &req);
	tap_ok(n == 2 * TABLEPROC_LINE_MAX + 1 && req.op == BAD &&
	    req.answerable && !req.skip_line,
	    "text long line with its newline: consumed to it, no skip");
	/* An id cut by the limit cannot be echoed. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "table|0.1|1|", 12);
	n = tableproc_text_next(buf, TABLEPROC_LINE_MAX + 1, NULL, &req);
	tap_ok(n == TABLEPROC_LINE_MAX + 1 && req.op == BAD &&
	    !req.answerable, "text long table name: unanswerable");
}

/* --- text replies --------------------------------------------------------- */

struct treply_case {
	const char	*name;
	enum tableproc_op op;
	enum tableproc_op bad_op;
	int		 answerable;
	enum tableproc_result r;
	const char	*value;
	const char	*msg;
	const char	*want;		/* NULL: refused (-1); "": no reply */
};

static const struct treply_case treply_cases[] = {
	{ "check found", CHECK, 0, 0, FOUND, NULL, NULL,
	    "check-result|id7|found\n" },
	{ "check not found", CHECK, 0, 0, NOTF, NULL, "ignored",
	    "check-result|id7|not-found\n" },
	{ "check error", CHECK, 0, 0, ERR, NULL, NULL,
	    "check-result|id7|error\n" },
	{ "check error with message", CHECK, 0, 0, ERR, NULL, "daemon down",
	    "check-result|id7|error|daemon down\n" },
	{ "error message scrubbed", CHECK, 0, 0, ERR, NULL, "a\nb\rc\x7f",
	    "check-result|id7|error|a?b?c?\n" },
	{ "lookup found", LOOKUP, 0, 0, FOUND, "smtp+tls://mx.test:25", NULL,
	    "lookup-result|id7|found|smtp+tls://mx.test:25\n" },
	{ "lookup not found", LOOKUP, 0, 0, NOTF, NULL, NULL,
	    "lookup-result|id7|not-found\n" },
	{ "lookup error", LOOKUP, 0, 0, ERR, NULL, "x",
	    "lookup-result|id7|error|x\n" },
	{ "lookup found, no value", LOOKUP, 0, 0, FOUND, NULL, NULL, NULL },
	{ "lookup found, empty value", LOOKUP, 0, 0, FOUND, "", NULL, NULL },
	{ "lookup found, newline in value", LOOKUP, 0, 0, FOUND, "a\nb", NULL,
	    NULL },
	{ "fetch not found", FETCH, 0, 0, NOTF, NULL, NULL,
	    "fetch-result|id7|not-found\n" },
	{ "update ok", UPDATE, 0, 0, FOUND, NULL, NULL,
	    "update-result|id7|ok\n" },
	{ "update error", UPDATE, 0, 0, ERR, NULL, "bad file",
	    "update-result|id7|error|bad file\n" },
	{ "update not found is an error", UPDATE, 0, 0, NOTF, NULL, NULL,
	    "update-result|id7|error\n" },
	{ "BAD answerable check", BAD, CHECK, 1, FOUND, NULL, NULL,
	    "check-result|id7|error|why\n" },
	{ "BAD answerable lookup, own msg", BAD, LOOKUP, 1, FOUND, "v", "m",
	    "lookup-result|id7|error|m\n" },
	{ "BAD unanswerable", BAD, CHECK, 0, FOUND, NULL, NULL, "" },
	{ "BAD unknown op", BAD, OPNONE, 1, FOUND, NULL, NULL, "" },
	{ "config: no reply", CONFIG, 0, 0, FOUND, NULL, NULL, "" },
	{ "ready: no reply here", READY, 0, 0, FOUND, NULL, NULL, "" },
	{ "open (imsg only): no reply", OPEN, 0, 0, FOUND, NULL, NULL, "" },
};

static void
test_text_reply(void)
{
	struct tableproc_req req;
	char out[512], name[128], big[TABLEPROC_MSG_MAX + 50];
	size_t i;
	ssize_t n;
	int ok;

	for (i = 0; i < sizeof(treply_cases) / sizeof(treply_cases[0]); i++) {
		const struct treply_case *c = &treply_cases[i];

		memset(&req, 0, sizeof(req));
		req.op = c->op;
		req.bad_op = c->bad_op;
		req.answerable = c->answerable;
		req.why = "why";
		strcpy(req.id, "id7");
		n = tableproc_text_reply(&req, c->r, c->value, c->msg, out,
		    sizeof(out));
		if (c->want == NULL)
			ok = n == -1;
		else
			ok = n == (ssize_t)strlen(c->want) &&
			    memcmp(out, c->want, (size_t)n) == 0;
		snprintf(name, sizeof(name), "text reply %s", c->name);
		if (!tap_ok(ok, "%s", name))
			tap_diag("got %zd \"%.*s\", want \"%s\"", n,
			    n > 0 ? (int)n : 0, out, c->want ? c->want : "-1");
	}
	memset(&req, 0, sizeof(req));
	req.op = CHECK;
	strcpy(req.id, "1");
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = tableproc_text_reply(&req, ERR, NULL, big, out, sizeof(out));
	tap_is_int(n, (intmax_t)strlen("check-result|1|error|") +
	    TABLEPROC_MSG_MAX + 1, "text reply: message cut at MSG_MAX");
	tap_is_int(tableproc_text_reply(&req, FOUND, NULL, NULL, out, 10), -1,
	    "text reply: out too small");
	req.id[0] = '\0';
	tap_is_int(tableproc_text_reply(&req, FOUND, NULL, NULL, out,
	    sizeof(out)), -1, "text reply: no id, refused");
}

static void
test_register(void)
{
	char out[256];
	ssize_t n;

	n = tableproc_text_register(DOM | RELAY, out, sizeof(out));
	tap_is_int(n, 50, "register domain and relayhost: length");
	out[n > 0 ? n : 0] = '\0';
	tap_is_str(out, "register|domain\nregister|relayhost\nregister|ready\n",
	    "register domain and relayhost");
	tap_is_int(tableproc_text_register(0, out, sizeof(out)), -1,
	    "register nothing: refused");
	tap_is_int(tableproc_text_register(0x8000, out, sizeof(out)), -1,
	    "register an unknown bit only: refused");
	tap_is_int(tableproc_text_register(DOM, out, 20), -1,
	    "register: out too small");
}

static void
test_names(void)
{
	tap_is_str(tableproc_service_name(DOM), "domain", "service 0x2");
	tap_is_str(tableproc_service_name(RELAY), "relayhost", "service 0x200");
	tap_is_str(tableproc_service_name(TABLEPROC_K_AUTH), "auth",
	    "service 0x1000");
	tap_ok(tableproc_service_name(0) == NULL, "service 0: none");
	tap_ok(tableproc_service_name(DOM | RELAY) == NULL, "two bits: none");
	tap_is_int(tableproc_service_from_name("relayhost", 9), RELAY,
	    "relayhost by name");
	tap_is_int(tableproc_service_from_name("relayhos", 8), 0,
	    "prefix of a name");
	tap_is_int(tableproc_service_from_name("domainx", 7), 0,
	    "name with a tail");
	tap_is_str(tableproc_op_name(BAD), "bad", "op name");
	tap_is_str(tableproc_op_name((enum tableproc_op)99), "invalid",
	    "op name out of range");
}

int
main(void)
{
	test_detect();
	test_imsg_keyed();
	test_imsg_framing();
	test_imsg_reply();
	test_text_next();
	test_text_long();
	test_text_reply();
	test_register();
	test_names();
	return tap_done();
}
