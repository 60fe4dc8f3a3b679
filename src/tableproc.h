/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tableproc.h: the two OpenSMTPD table back-end protocols, as pure
 * codecs (docs/opensmtpd.md; docs/DESIGN.md §OpenSMTPD).
 *
 * Purpose: table-mtasts is run by smtpd's lookup process as
 * "<libexec>/opensmtpd/table-mtasts" and talks to it over a socketpair.
 * Two incompatible protocols exist, and this module speaks both:
 *   IMSG  OpenSMTPD <= 7.5 (Debian 12 ships 6.8.0p2): OpenBSD imsg
 *         frames, "PROC_TABLE_API_VERSION 2".  A 16-byte header in host
 *         byte order (u32 type, u16 len incl. header, u16 flags,
 *         u32 peerid, u32 pid), then a payload in native C layout:
 *           OPEN    u32 version (2), char name[LINE_MAX]
 *           UPDATE  -                     -> int r
 *           CLOSE   -                     -> (no reply; the table exits)
 *           CHECK   int service, size_t nparams, nparams x (k\0 v\0),
 *                   key\0                 -> int r
 *           LOOKUP  as CHECK              -> int r [+ value\0 iff r == 1]
 *           FETCH   int service, size_t nparams, params
 *                                         -> int r [+ value\0 iff r == 1]
 *         Replies are type PROC_TABLE_OK (0).  r: 1 found, 0 not found,
 *         -1 error.
 *   TEXT  OpenSMTPD >= 7.6: protocol "0.1", one line per message.  smtpd
 *         sends "config|<key>|<value>" lines and "config|ready"; the
 *         table answers "register|<service>" lines and "register|ready".
 *         Requests: "table|0.1|<sec.usec>|<table>|<op>|..." with op
 *           update|<id>                 -> update-result|<id>|ok|error
 *           check|<service>|<id>|<key>  -> check-result|<id>|found
 *                                          |not-found|error[|msg]
 *           lookup|<service>|<id>|<key> -> lookup-result|<id>|found|<v>
 *                                          |not-found|error[|msg]
 *           fetch|<service>|<id>        -> fetch-result|<id>|...
 *         The key is the rest of the line and may contain "|".
 * Which one smtpd speaks is known from its first byte
 * (tableproc_detect()).
 *
 * Every reply this module encodes is one smtpd accepts: smtpd treats a
 * malformed reply (wrong type, trailing bytes, an empty or
 * unterminated value, a wrong id) as fatal and exits, so the encoders
 * refuse (-1) what would be malformed, and the caller then answers
 * with an error reply, which can always be encoded.
 *
 * Malformed input from smtpd is never fatal here: a request that is
 * framed but malformed comes back as TABLEPROC_OP_BAD with a reason,
 * and "answerable" says whether an error reply can be sent (the text
 * protocol needs the request id for that).  Only an imsg header whose
 * length is below the header size loses the framing for good
 * (tableproc_imsg_next() returns -1).
 *
 * Pure module: no I/O, no clock, no allocation, no global state.
 * Buffers are borrowed; pointers in struct tableproc_req point into
 * the input buffer and live as long as it.
 */
#ifndef TABLEPROC_H
#define TABLEPROC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* imsg framing (OpenBSD imsg.h; smtpd-api.h). */
#define TABLEPROC_IMSG_HDR	16
#define TABLEPROC_IMSG_LEN_MAX	65535	/* the u16 length field: a caller
					 * buffer this big holds any frame */
#define TABLEPROC_API_VERSION	2	/* PROC_TABLE_API_VERSION */

/* imsg message types (smtpd-api.h enum table_proc_msg). */
#define TABLEPROC_IMSG_OK	0
#define TABLEPROC_IMSG_FAIL	1
#define TABLEPROC_IMSG_OPEN	2
#define TABLEPROC_IMSG_CLOSE	3
#define TABLEPROC_IMSG_UPDATE	4
#define TABLEPROC_IMSG_CHECK	5
#define TABLEPROC_IMSG_LOOKUP	6
#define TABLEPROC_IMSG_FETCH	7

/*
 * Longest text line looked at, "\n" excluded: smtpd keys are at most
 * 1,023 bytes (table_lookup() cuts them), table names at most LINE_MAX;
 * a longer line is answered as an error and skipped (see
 * tableproc_text_next()).
 */
#define TABLEPROC_LINE_MAX	4096
/* Longest request id echoed ("%08x" in 7.6; any token up to this). */
#define TABLEPROC_ID_MAX	64
/* Longest value a lookup reply may carry. */
#define TABLEPROC_VALUE_MAX	1024
/* Longest error message in a text reply (cut, never refused). */
#define TABLEPROC_MSG_MAX	200

/* Services: the K_* bits of smtpd's enum table_service (both
 * protocols: imsg sends the number, text the name). */
#define TABLEPROC_K_ALIAS	0x0001
#define TABLEPROC_K_DOMAIN	0x0002
#define TABLEPROC_K_CREDENTIALS	0x0004
#define TABLEPROC_K_NETADDR	0x0008
#define TABLEPROC_K_USERINFO	0x0010
#define TABLEPROC_K_SOURCE	0x0020
#define TABLEPROC_K_MAILADDR	0x0040
#define TABLEPROC_K_ADDRNAME	0x0080
#define TABLEPROC_K_MAILADDRMAP	0x0100
#define TABLEPROC_K_RELAYHOST	0x0200
#define TABLEPROC_K_STRING	0x0400
#define TABLEPROC_K_REGEX	0x0800
#define TABLEPROC_K_AUTH	0x1000	/* 7.6+ */

enum tableproc_proto {
	TABLEPROC_PROTO_UNKNOWN = 0,	/* no byte yet */
	TABLEPROC_PROTO_IMSG,
	TABLEPROC_PROTO_TEXT
};

enum tableproc_op {
	TABLEPROC_OP_NONE = 0,	/* nothing to answer (an empty or
				 * unparsable line, see "why") */
	TABLEPROC_OP_CONFIG,	/* text "config|<key>|<value>" */
	TABLEPROC_OP_READY,	/* text "config|ready": send registrations */
	TABLEPROC_OP_OPEN,	/* imsg OPEN */
	TABLEPROC_OP_UPDATE,
	TABLEPROC_OP_CLOSE,	/* imsg CLOSE: no reply, exit */
	TABLEPROC_OP_CHECK,
	TABLEPROC_OP_LOOKUP,
	TABLEPROC_OP_FETCH,
	TABLEPROC_OP_BAD	/* framed but malformed */
};

enum tableproc_result {
	TABLEPROC_ERROR = -1,	/* smtpd: temporary failure (451 at RCPT) */
	TABLEPROC_NOTFOUND = 0,
	TABLEPROC_FOUND = 1
};

/* One request.  Pointers borrow the input buffer. */
struct tableproc_req {
	enum tableproc_op op;
	int		 service;	/* CHECK/LOOKUP/FETCH: a K_* bit, or
					 * 0 for a name or number not known */
	const char	*key;		/* CHECK/LOOKUP: not NUL-terminated */
	size_t		 keylen;
	/* BAD: what the request was (a TABLEPROC_OP_* it would have been,
	 * for the shape of the error reply) and whether it gets one. */
	enum tableproc_op bad_op;
	int		 answerable;
	const char	*why;		/* BAD, NONE: static reason, or NULL */
	/* imsg: the raw type (replies depend on it); OPEN: the version. */
	uint32_t	 imsg_type;
	uint32_t	 version;
	/* text: the request id to echo, NUL-terminated ("" for imsg). */
	char		 id[TABLEPROC_ID_MAX + 1];
	/* text CONFIG: key and value; imsg OPEN: cfval is the table
	 * name (cfkey unused). */
	const char	*cfkey;
	size_t		 cfkeylen;
	const char	*cfval;
	size_t		 cfvallen;
	/* text: the line was longer than TABLEPROC_LINE_MAX; the caller
	 * must discard input up to and including the next "\n". */
	int		 skip_line;
};

/*
 * tableproc_detect: the protocol of a stream whose first bytes are
 * buf[0..len): text when the first byte is an ASCII letter (the text
 * protocol opens with "config|"), imsg otherwise (an imsg header opens
 * with a small type number in either byte order).  UNKNOWN when len is
 * 0.
 */
enum tableproc_proto tableproc_detect(const void *buf, size_t len);

/*
 * tableproc_imsg_next: decode the first imsg frame of buf[0..len).
 * Returns 0 when more bytes are needed (a frame is at most
 * TABLEPROC_IMSG_LEN_MAX bytes), the frame's length (> 0) with *req
 * filled, or -1 when the header's length is below TABLEPROC_IMSG_HDR:
 * the framing is lost (the caller drops what it buffered).  A frame of
 * an unknown type or with a malformed payload is TABLEPROC_OP_BAD,
 * always answerable.
 */
ssize_t		tableproc_imsg_next(const void *buf, size_t len,
		    struct tableproc_req *req);

/*
 * tableproc_imsg_reply: encode the reply to `req` into out[0..outlen):
 * OPEN -> empty; UPDATE, CHECK -> int r; LOOKUP, FETCH -> int r and,
 * when r is FOUND, value\0; BAD -> the shape of its type with r =
 * ERROR (OPEN: empty); any other type -> int -1.  `pid` goes in the
 * header.  Returns the length, 0 when no reply is due (CLOSE, NONE,
 * text-only ops), or -1 when it cannot be encoded: FOUND with a value
 * that is NULL, empty, longer than TABLEPROC_VALUE_MAX or has a
 * control byte, or out too small.
 */
ssize_t		tableproc_imsg_reply(const struct tableproc_req *req,
		    enum tableproc_result r, const char *value, uint32_t pid,
		    void *out, size_t outlen);

/*
 * tableproc_text_next: decode the first line of buf[0..len).  `table`
 * is the table's name as smtpd sent it in "config|tablename" (it may
 * contain "|"), or NULL while unknown.  Returns 0 when no "\n" is
 * buffered and len < TABLEPROC_LINE_MAX; otherwise the bytes consumed
 * (> 0) with *req filled.  A line longer than TABLEPROC_LINE_MAX
 * consumes all of buf, is decoded from its head (a request whose id
 * was seen is BAD and answerable: "line too long") and sets
 * req->skip_line.  Lines that are not requests are OP_NONE with a
 * reason; requests with an unknown op, service or malformed field are
 * BAD, answerable when their id was read.
 */
ssize_t		tableproc_text_next(const char *buf, size_t len,
		    const char *table, struct tableproc_req *req);

/*
 * tableproc_text_reply: encode the reply line to `req` into
 * out[0..outlen), "\n" included: "<op>-result|<id>|" then "found",
 * "found|<value>" (LOOKUP, FETCH), "not-found", "ok" (UPDATE found),
 * or "error" followed by "|<msg>" when msg is non-NULL and non-empty
 * (cut to TABLEPROC_MSG_MAX, control bytes replaced by "?").  BAD
 * requests are answered "error".  Returns the length, 0 when no reply
 * is due (NONE, CONFIG, READY, unanswerable BAD, imsg-only ops) or -1
 * as tableproc_imsg_reply() (a value must not contain a control byte).
 */
ssize_t		tableproc_text_reply(const struct tableproc_req *req,
		    enum tableproc_result r, const char *value,
		    const char *msg, char *out, size_t outlen);

/*
 * tableproc_text_register: the handshake answer, "register|<name>\n"
 * for each K_* bit set in `services` (in bit order) and then
 * "register|ready\n".  Returns the length, or -1 when out is too small
 * or no known service is set (smtpd refuses a table without services).
 */
ssize_t		tableproc_text_register(int services, char *out,
		    size_t outlen);

/* tableproc_service_name: "domain", "relayhost", ...; NULL when the
 * value is not exactly one known K_* bit. */
const char	*tableproc_service_name(int service);

/* tableproc_service_from_name: the K_* bit of name[0..len), 0 if
 * unknown. */
int		 tableproc_service_from_name(const char *name, size_t len);

/* tableproc_op_name: "open", "check", ... for logs. */
const char	*tableproc_op_name(enum tableproc_op op);

#endif /* TABLEPROC_H */
