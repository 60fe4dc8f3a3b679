/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * client.h: a blocking client of mtastsd's JSON-lines protocol
 * (docs/PROTOCOLS.md), for the mtasts(1) commands that ask the daemon.
 *
 * One connection, one request line out, reply lines in, each bounded;
 * every wait is bounded by the timeout given to client_open().  Not for
 * the daemon itself (it never blocks).
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>

/* Longest reply line accepted (a cache.show of a 64 KiB policy fits). */
#define CLIENT_LINE_MAX (256 * 1024)

struct client;

/*
 * client_open: connect to the Unix socket `path`.  NULL on failure, a
 * message in err.  timeout_ms bounds each later send and receive.
 */
struct client	*client_open(const char *path, int timeout_ms, char *err,
		    size_t errlen);
void		 client_close(struct client *);

/* client_set_timeout: bound each later send and receive by timeout_ms
 * (a caller with a total deadline passes the time left). */
void		 client_set_timeout(struct client *, int timeout_ms);

/* client_send: write `line` and a newline.  0, or -1 (message in err). */
int		 client_send(struct client *, const char *line, char *err,
		    size_t errlen);

/*
 * client_recv: the next reply line, without its newline, NUL-terminated
 * and borrowed until the next call.  NULL on EOF, timeout, an over-long
 * line or an error (message in err).
 */
const char	*client_recv(struct client *, char *err, size_t errlen);

/* client_default_socket: the socket path configure chose. */
const char	*client_default_socket(void);

#endif /* CLIENT_H */
