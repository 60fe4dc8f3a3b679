/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tableproc.c: OpenSMTPD table back-end protocols (imsg API 2 and text
 * 0.1) as pure codecs; see tableproc.h.
 *
 * Decisions, with reasons:
 *
 * 1. Nothing smtpd sends ends the conversation, except an imsg length
 *    below the header size, after which no later frame can be found.
 *    smtpd is synchronous: if we stop answering, it waits; if we exit,
 *    it exits (fatalx "table-proc: exiting"), taking all mail down.
 *
 * 2. The imsg payload is read with the native sizes of int and size_t,
 *    as smtpd writes it (imsg_add(&s, sizeof(s)), the nparams count is
 *    a size_t).  Fixed-width guesses would break on a 32-bit host.
 *
 * 3. Unknown services are not errors.  A check or lookup for a service
 *    this table does not serve is answered "not found" by the caller;
 *    smtpd then simply goes on with its ruleset.
 *
 * 4. An error reply carries "|<msg>" only in the text protocol, where
 *    7.6's table_proc_lookup() accepts "error" followed by "|" and logs
 *    the rest; the message is cut and scrubbed so it can never add a
 *    line.
 */
#include <stdint.h>
#include <string.h>

#include "tableproc.h"

/* The services in bit order: name[i] is bit (1 << i). */
static const char *const service_names[] = {
	"alias", "domain", "credentials", "netaddr", "userinfo", "source",
	"mailaddr", "addrname", "mailaddrmap", "relayhost", "string",
	"regex", "auth"
};
#define NSERVICES (sizeof(service_names) / sizeof(service_names[0]))

static void
req_init(struct tableproc_req *req)
{
	memset(req, 0, sizeof(*req));
}

static void
req_bad(struct tableproc_req *req, enum tableproc_op bad_op,
    int answerable, const char *why)
{
	req->op = TABLEPROC_OP_BAD;
	req->bad_op = bad_op;
	req->answerable = answerable;
	req->why = why;
}

enum tableproc_proto
tableproc_detect(const void *buf, size_t len)
{
	unsigned char c;

	if (len == 0)
		return TABLEPROC_PROTO_UNKNOWN;
	c = *(const unsigned char *)buf;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return TABLEPROC_PROTO_TEXT;
	return TABLEPROC_PROTO_IMSG;
}

const char *
tableproc_service_name(int service)
{
	size_t i;

	for (i = 0; i < NSERVICES; i++)
		if (service == (1 << i))
			return service_names[i];
	return NULL;
}

int
tableproc_service_from_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NSERVICES; i++)
		if (strlen(service_names[i]) == len &&
		    memcmp(service_names[i], name, len) == 0)
			return 1 << i;
	return 0;
}

const char *
tableproc_op_name(enum tableproc_op op)
{
	static const char *const names[] = {
		"none", "config", "ready", "open", "update", "close",
		"check", "lookup", "fetch", "bad"
	};

	if ((unsigned)op < sizeof(names) / sizeof(names[0]))
		return names[op];
	return "invalid";
}

/* value_ok: a lookup value smtpd accepts: 1..VALUE_MAX printable bytes. */
static int
value_ok(const char *value)
{
	size_t i;

	if (value == NULL || value[0] == '\0')
		return 0;
	for (i = 0; value[i] != '\0'; i++)
		if (i >= TABLEPROC_VALUE_MAX ||
		    (unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return 0;
	return 1;
}

/* --- imsg ----------------------------------------------------------------- */

/*
 * imsg_params: skip "size_t nparams" and the nparams "key\0value\0"
 * pairs at p[0..*plen).  Returns the bytes used, or 0 if malformed.
 */
static size_t
imsg_params(const unsigned char *p, size_t plen)
{
	const unsigned char *nul;
	size_t n, off, i;

	if (plen < sizeof(size_t))
		return 0;
	memcpy(&n, p, sizeof(n));
	off = sizeof(n);
	/* Each string takes at least one byte: bounds the loop. */
	if (n > (plen - off) / 2)
		return 0;
	for (i = 0; i < 2 * n; i++) {
		if ((nul = memchr(p + off, '\0', plen - off)) == NULL)
			return 0;
		off = (size_t)(nul - p) + 1;
	}
	return off;
}

/* imsg_keyed: CHECK/LOOKUP/FETCH payload: int service, params[, key\0]. */
static void
imsg_keyed(struct tableproc_req *req, enum tableproc_op op,
    const unsigned char *p, size_t plen)
{
	const unsigned char *nul;
	size_t used;
	int service;

	if (plen < sizeof(int) ||
	    (used = imsg_params(p + sizeof(int), plen - sizeof(int))) == 0) {
		req_bad(req, op, 1, "short or malformed request");
		return;
	}
	memcpy(&service, p, sizeof(int));
	req->service = tableproc_service_name(service) != NULL ? service : 0;
	p += sizeof(int) + used;
	plen -= sizeof(int) + used;
	req->op = op;
	if (op == TABLEPROC_OP_FETCH)
		return;
	if (plen == 0 || (nul = memchr(p, '\0', plen)) == NULL)
		req_bad(req, op, 1, "key missing or not NUL-terminated");
	else if ((size_t)(nul - p) + 1 != plen)
		req_bad(req, op, 1, "data after the key");
	else {
		req->key = (const char *)p;
		req->keylen = plen - 1;
	}
}

static void
imsg_open(struct tableproc_req *req, const unsigned char *p, size_t plen)
{
	const unsigned char *nul;

	if (plen < sizeof(uint32_t)) {
		req_bad(req, TABLEPROC_OP_OPEN, 1, "short OPEN");
		return;
	}
	req->op = TABLEPROC_OP_OPEN;
	memcpy(&req->version, p, sizeof(uint32_t));
	p += sizeof(uint32_t);
	plen -= sizeof(uint32_t);
	nul = memchr(p, '\0', plen);
	req->cfval = (const char *)p;
	req->cfvallen = nul != NULL ? (size_t)(nul - p) : plen;
}

ssize_t
tableproc_imsg_next(const void *vbuf, size_t len, struct tableproc_req *req)
{
	const unsigned char *buf = vbuf;
	uint32_t type;
	uint16_t flen;

	req_init(req);
	if (len < 6)
		return 0;
	memcpy(&flen, buf + 4, sizeof(flen));
	if (flen < TABLEPROC_IMSG_HDR)
		return -1;
	if (len < flen)
		return 0;
	memcpy(&type, buf, sizeof(type));
	req->imsg_type = type;
	buf += TABLEPROC_IMSG_HDR;
	len = flen - TABLEPROC_IMSG_HDR;
	switch (type) {
	case TABLEPROC_IMSG_OPEN:
		imsg_open(req, buf, len);
		break;
	case TABLEPROC_IMSG_CLOSE:
		req->op = TABLEPROC_OP_CLOSE;
		break;
	case TABLEPROC_IMSG_UPDATE:
		req->op = TABLEPROC_OP_UPDATE;
		break;
	case TABLEPROC_IMSG_CHECK:
		imsg_keyed(req, TABLEPROC_OP_CHECK, buf, len);
		break;
	case TABLEPROC_IMSG_LOOKUP:
		imsg_keyed(req, TABLEPROC_OP_LOOKUP, buf, len);
		break;
	case TABLEPROC_IMSG_FETCH:
		imsg_keyed(req, TABLEPROC_OP_FETCH, buf, len);
		break;
	default:
		req_bad(req, TABLEPROC_OP_NONE, 1, "unknown message type");
		break;
	}
	return flen;
}

/* imsg_put: append n bytes at *off; 0, or -1 when out is full. */
static int
imsg_put(unsigned char *out, size_t outlen, size_t *off, const void *p,
    size_t n)
{
	if (n > outlen - *off)
		return -1;
	memcpy(out + *off, p, n);
	*off += n;
	return 0;
}

ssize_t
tableproc_imsg_reply(const struct tableproc_req *req, enum tableproc_result r,
    const char *value, uint32_t pid, void *vout, size_t outlen)
{
	unsigned char *out = vout;
	enum tableproc_op op = req->op;
	uint32_t type = TABLEPROC_IMSG_OK, zero = 0;
	uint16_t flen;
	size_t off = TABLEPROC_IMSG_HDR;
	int ir;

	if (op == TABLEPROC_OP_BAD) {
		op = req->bad_op;
		r = TABLEPROC_ERROR;
	}
	if (op == TABLEPROC_OP_CLOSE || op == TABLEPROC_OP_CONFIG ||
	    op == TABLEPROC_OP_READY ||
	    (op == TABLEPROC_OP_NONE && req->op != TABLEPROC_OP_BAD))
		return 0;
	if (outlen < TABLEPROC_IMSG_HDR)
		return -1;
	/* UPDATE answers 1 (done) or 0 (failed); the rest 1, 0 or -1. */
	ir = op == TABLEPROC_OP_UPDATE ? r == TABLEPROC_FOUND : (int)r;
	if (op != TABLEPROC_OP_OPEN &&
	    imsg_put(out, outlen, &off, &ir, sizeof(ir)) == -1)
		return -1;
	if ((op == TABLEPROC_OP_LOOKUP || op == TABLEPROC_OP_FETCH) &&
	    r == TABLEPROC_FOUND && (!value_ok(value) ||
	    imsg_put(out, outlen, &off, value, strlen(value) + 1) == -1))
		return -1;
	flen = (uint16_t)off;
	memcpy(out, &type, 4);
	memcpy(out + 4, &flen, 2);
	memcpy(out + 6, &zero, 2);		/* flags */
	memcpy(out + 8, &zero, 4);		/* peerid */
	memcpy(out + 12, &pid, 4);
	return (ssize_t)off;
}

/* --- text ----------------------------------------------------------------- */

struct cursor {
	const char	*p;
	const char	*end;
};

/* field: the bytes up to the next "|" (consumed) or the end. */
static int
field(struct cursor *c, const char **f, size_t *flen)
{
	const char *bar;

	if (c->p == NULL)
		return -1;
	*f = c->p;
	if ((bar = memchr(c->p, '|', (size_t)(c->end - c->p))) == NULL) {
		*flen = (size_t)(c->end - c->p);
		c->p = NULL;		/* no more fields */
	} else {
		*flen = (size_t)(bar - c->p);
		c->p = bar + 1;
	}
	return 0;
}

static int
is(const char *f, size_t flen, const char *lit)
{
	return strlen(lit) == flen && memcmp(f, lit, flen) == 0;
}

/* set_id: copy a request id: 1..ID_MAX printable bytes, no "|". */
static int
set_id(struct tableproc_req *req, const char *f, size_t flen)
{
	size_t i;

	if (flen == 0 || flen > TABLEPROC_ID_MAX)
		return -1;
	for (i = 0; i < flen; i++)
		if ((unsigned char)f[i] <= 0x20 || (unsigned char)f[i] >= 0x7f)
			return -1;
	memcpy(req->id, f, flen);
	req->id[flen] = '\0';
	return 0;
}

/* skip_table: the table-name field; the known name may contain "|". */
static int
skip_table(struct cursor *c, const char *table)
{
	const char *f;
	size_t flen, tlen;

	if (c->p != NULL && table != NULL && table[0] != '\0' &&
	    (tlen = strlen(table)) < (size_t)(c->end - c->p) &&
	    memcmp(c->p, table, tlen) == 0 && c->p[tlen] == '|') {
		c->p += tlen + 1;
		return 0;
	}
	return field(c, &f, &flen);
}

/*
 * text_keyed: "<service>|<id>[|<key>]" of check, lookup and fetch.
 * `truncated`: the line was cut, so the key is incomplete.
 */
static void
text_keyed(struct tableproc_req *req, enum tableproc_op op,
    struct cursor *c, int truncated)
{
	const char *svc, *id;
	size_t svclen, idlen;

	if (field(c, &svc, &svclen) == -1 || field(c, &id, &idlen) == -1 ||
	    set_id(req, id, idlen) == -1) {
		req_bad(req, op, 0, "malformed request id");
		return;
	}
	if (truncated && c->p == NULL) {
		/* The id may be cut too: it cannot be echoed. */
		req_bad(req, op, 0, "line too long");
		return;
	}
	req->service = tableproc_service_from_name(svc, svclen);
	if (truncated)
		req_bad(req, op, 1, "line too long");
	else if (op == TABLEPROC_OP_FETCH)
		req->op = op;
	else if (c->p == NULL)
		req_bad(req, op, 1, "key missing");
	else {
		req->op = op;
		req->key = c->p;
		req->keylen = (size_t)(c->end - c->p);
	}
}

static void
text_update(struct tableproc_req *req, struct cursor *c, int truncated)
{
	const char *id;
	size_t idlen;

	if (truncated || field(c, &id, &idlen) == -1 || c->p != NULL ||
	    set_id(req, id, idlen) == -1)
		req_bad(req, TABLEPROC_OP_UPDATE, 0, "malformed update");
	else
		req->op = TABLEPROC_OP_UPDATE;
}

/* text_table: "table|<version>|<time>|<table>|<op>|..." */
static void
text_table(struct tableproc_req *req, struct cursor *c, const char *table,
    int truncated)
{
	const char *f;
	size_t flen;

	if (field(c, &f, &flen) == -1 || field(c, &f, &flen) == -1 ||
	    skip_table(c, table) == -1 || field(c, &f, &flen) == -1) {
		req_bad(req, TABLEPROC_OP_NONE, 0, "short table request");
		return;
	}
	if (is(f, flen, "update"))
		text_update(req, c, truncated);
	else if (is(f, flen, "check"))
		text_keyed(req, TABLEPROC_OP_CHECK, c, truncated);
	else if (is(f, flen, "lookup"))
		text_keyed(req, TABLEPROC_OP_LOOKUP, c, truncated);
	else if (is(f, flen, "fetch"))
		text_keyed(req, TABLEPROC_OP_FETCH, c, truncated);
	else
		req_bad(req, TABLEPROC_OP_NONE, 0, "unknown table operation");
}

static void
text_config(struct tableproc_req *req, struct cursor *c)
{
	if (c->p != NULL && is(c->p, (size_t)(c->end - c->p), "ready")) {
		req->op = TABLEPROC_OP_READY;
		return;
	}
	if (field(c, &req->cfkey, &req->cfkeylen) == -1 || c->p == NULL) {
		req->op = TABLEPROC_OP_NONE;
		req->why = "config line without a value";
		req->cfkey = NULL;
		req->cfkeylen = 0;
		return;
	}
	req->op = TABLEPROC_OP_CONFIG;
	req->cfval = c->p;
	req->cfvallen = (size_t)(c->end - c->p);
}

static void
text_line(struct tableproc_req *req, const char *line, size_t len,
    const char *table, int truncated)
{
	struct cursor c = { line, line + len };
	const char *f = "";
	size_t flen = 0;

	(void)field(&c, &f, &flen);
	if (is(f, flen, "table"))
		text_table(req, &c, table, truncated);
	else if (is(f, flen, "config") && !truncated)
		text_config(req, &c);
	else
		req->why = len == 0 ? "empty line" : truncated ?
		    "line too long" : "unknown message";
}

ssize_t
tableproc_text_next(const char *buf, size_t len, const char *table,
    struct tableproc_req *req)
{
	const char *nl;
	size_t linelen;

	req_init(req);
	nl = len > 0 ? memchr(buf, '\n', len) : NULL;
	if (nl == NULL && len <= TABLEPROC_LINE_MAX)
		return 0;
	linelen = nl != NULL ? (size_t)(nl - buf) : len;
	if (linelen > TABLEPROC_LINE_MAX) {
		text_line(req, buf, TABLEPROC_LINE_MAX, table, 1);
		req->skip_line = nl == NULL;
	} else
		text_line(req, buf, linelen, table, 0);
	return nl != NULL ? (ssize_t)(linelen + 1) : (ssize_t)len;
}

/* put: append a string; -1 when it does not fit. */
static int
put(char *out, size_t outlen, size_t *off, const char *s, size_t n)
{
	if (n > outlen - *off)
		return -1;
	memcpy(out + *off, s, n);
	*off += n;
	return 0;
}

static int
put_str(char *out, size_t outlen, size_t *off, const char *s)
{
	return put(out, outlen, off, s, strlen(s));
}

/* put_msg: "|<msg>", cut and scrubbed of control bytes. */
static int
put_msg(char *out, size_t outlen, size_t *off, const char *msg)
{
	size_t i;
	char ch;

	if (msg == NULL || msg[0] == '\0')
		return 0;
	if (put(out, outlen, off, "|", 1) == -1)
		return -1;
	for (i = 0; msg[i] != '\0' && i < TABLEPROC_MSG_MAX; i++) {
		ch = (unsigned char)msg[i] < 0x20 || msg[i] == 0x7f ? '?' :
		    msg[i];
		if (put(out, outlen, off, &ch, 1) == -1)
			return -1;
	}
	return 0;
}

/* verdict: what follows "<op>-result|<id>|". */
static int
put_verdict(char *out, size_t outlen, size_t *off, enum tableproc_op op,
    enum tableproc_result r, const char *value, const char *msg)
{
	int valued = op == TABLEPROC_OP_LOOKUP || op == TABLEPROC_OP_FETCH;

	if (r == TABLEPROC_FOUND && op == TABLEPROC_OP_UPDATE)
		return put_str(out, outlen, off, "ok");
	if (r == TABLEPROC_NOTFOUND && op != TABLEPROC_OP_UPDATE)
		return put_str(out, outlen, off, "not-found");
	if (r == TABLEPROC_FOUND && !valued)
		return put_str(out, outlen, off, "found");
	if (r == TABLEPROC_FOUND)
		return value_ok(value) ? (put_str(out, outlen, off, "found|") ||
		    put_str(out, outlen, off, value)) : -1;
	return put_str(out, outlen, off, "error") ||
	    put_msg(out, outlen, off, msg);
}

ssize_t
tableproc_text_reply(const struct tableproc_req *req, enum tableproc_result r,
    const char *value, const char *msg, char *out, size_t outlen)
{
	static const char *const results[] = {
		[TABLEPROC_OP_UPDATE] = "update-result|",
		[TABLEPROC_OP_CHECK] = "check-result|",
		[TABLEPROC_OP_LOOKUP] = "lookup-result|",
		[TABLEPROC_OP_FETCH] = "fetch-result|",
	};
	enum tableproc_op op = req->op;
	size_t off = 0;

	if (op == TABLEPROC_OP_BAD) {
		if (!req->answerable)
			return 0;
		op = req->bad_op;
		r = TABLEPROC_ERROR;
		if (msg == NULL)
			msg = req->why;
	}
	if (op != TABLEPROC_OP_UPDATE && op != TABLEPROC_OP_CHECK &&
	    op != TABLEPROC_OP_LOOKUP && op != TABLEPROC_OP_FETCH)
		return 0;
	if (req->id[0] == '\0' || put_str(out, outlen, &off, results[op]) ||
	    put_str(out, outlen, &off, req->id) ||
	    put(out, outlen, &off, "|", 1) ||
	    put_verdict(out, outlen, &off, op, r, value, msg) ||
	    put(out, outlen, &off, "\n", 1))
		return -1;
	return (ssize_t)off;
}

ssize_t
tableproc_text_register(int services, char *out, size_t outlen)
{
	size_t i, off = 0;
	int any = 0;

	for (i = 0; i < NSERVICES; i++) {
		if (!(services & (1 << i)))
			continue;
		if (put_str(out, outlen, &off, "register|") ||
		    put_str(out, outlen, &off, service_names[i]) ||
		    put(out, outlen, &off, "\n", 1))
			return -1;
		any = 1;
	}
	if (!any || put_str(out, outlen, &off, "register|ready\n"))
		return -1;
	return (ssize_t)off;
}
