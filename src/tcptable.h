/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * tcptable.h: the Postfix tcp_table protocol on the lookup socket
 * (Postfix tcp_table(5) and src/util/dict_tcp.c; docs/PROTOCOLS.md).
 *
 * Request: one line "get <key>\n", at most TCPTABLE_LINE_MAX bytes
 * before the newline, the key %XX-encoded.  Replies, one line each:
 *   "200 <value>\n"   enforced policy; value %XX-encoded as Postfix's
 *                     hex_quote() does (reply_tcp_quote()); the whole
 *                     line is at most TCPTABLE_REPLY_MAX bytes
 *                     (dict_tcp's limit)
 *   "500 not found\n" no policy, testing/none, not a mail domain
 *   "400 <reason>\n"  temporary failure (Postfix defers), malformed
 *                     request, or a command other than "get"
 * A line longer than TCPTABLE_LINE_MAX gets "400 request too long" and
 * the connection is closed.  The verdict is sockmap_verdict()'s, so
 * both Postfix protocols always agree.  The key is decoded with
 * reply_tcp_unquote().  Idle connections are closed
 * after client_idle_timeout (Postfix reconnects; tcp_table clients are
 * not told apart from other line clients).
 *
 * Loop thread only.
 */
#ifndef TCPTABLE_H
#define TCPTABLE_H

struct listen_proto;

#define TCPTABLE_LINE_MAX	10000	/* request bytes before "\n" */
#define TCPTABLE_REPLY_MAX	4096	/* dict_tcp.c DICT_TCP_MAXLEN */

/* tcptable_proto: the protocol for listen_start() (static). */
const struct listen_proto *tcptable_proto(void);

#endif /* TCPTABLE_H */
