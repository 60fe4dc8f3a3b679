/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * client.h: a blocking client of mtastsd's JSON-lines protocol
 * (docs/PROTOCOLS.md): the one way mtasts(1), table-mtasts(8) and
 * "mtasts check-postfix" ask the daemon.
 *
 * One connection, one request line out, reply lines in, each bounded;
 * every wait is bounded by the timeout given to client_open().  Not for
 * the daemon itself (it never blocks).
 *
 * Replies are cJSON objects; the accessors below read them the same
 * way everywhere: a field that is missing or of another type is NULL
 * (strings), NAN (numbers) or false (booleans), so no caller mistakes a
 * missing number for 0 or -1.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>

struct cJSON;

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

/*
 * client_open_tcp: connect to "HOST:PORT" or "[ADDR]:PORT" (a daemon's
 * listen_tcp).  As client_open().
 */
struct client	*client_open_tcp(const char *hostport, int timeout_ms,
		    char *err, size_t errlen);

/* client_set_deadline: also end every later wait at `deadline`
 * (monoclock_ms() time), for a caller with a total deadline. */
void		 client_set_deadline(struct client *, long long deadline);

/* client_send: write `line` and a newline.  0, or -1 (message in err). */
int		 client_send(struct client *, const char *line, char *err,
		    size_t errlen);

/*
 * client_write, client_recv_until: the same for another protocol on the
 * same socket (Postfix's socketmap or tcp_table, for the probes of
 * "mtasts check-postfix"): write len bytes as they are; read up to the
 * byte `end` (returned without it, as client_recv()).
 */
int		 client_write(struct client *, const void *data, size_t len,
		    char *err, size_t errlen);
const char	*client_recv_until(struct client *, char end, char *err,
		    size_t errlen);

/*
 * client_recv: the next reply line, without its newline, NUL-terminated
 * and borrowed until the next call.  NULL on EOF, timeout, an over-long
 * line or an error (message in err).
 */
const char	*client_recv(struct client *, char *err, size_t errlen);

/*
 * client_call: send `req` as one line and read the reply: a JSON object
 * the caller frees with cJSON_Delete(), its text in *line when line is
 * not NULL (borrowed until the next receive).  NULL with a message in
 * err when the daemon cannot be reached, does not answer in time or
 * answers something that is not a JSON object.  A refused request
 * ("ok": false, see client_refused()) is a reply, not NULL.
 */
struct cJSON	*client_call(struct client *, const struct cJSON *req,
		    const char **line, char *err, size_t errlen);

/* client_next: the next reply object of a streamed answer (cache.list),
 * as client_call() without sending. */
struct cJSON	*client_next(struct client *, const char **line, char *err,
		    size_t errlen);

/* client_request: {"op": op}, plus key: val when val is not NULL; the
 * caller frees it with cJSON_Delete().  NULL when out of memory. */
struct cJSON	*client_request(const char *op, const char *key,
		    const char *val);

/* Accessors of a reply object's fields (obj may be NULL). */
const char	*client_str(const struct cJSON *obj, const char *key);
/* client_str_or: the string field, or dflt when it is not a string. */
const char	*client_str_or(const struct cJSON *obj, const char *key,
		    const char *dflt);
double		 client_num(const struct cJSON *obj, const char *key);
int		 client_true(const struct cJSON *obj, const char *key);
/* client_refused: the reply says "ok": false. */
int		 client_refused(const struct cJSON *reply);

/* client_default_socket: the socket path configure chose. */
const char	*client_default_socket(void);

/* client_default_config: the daemon's configuration file configure
 * chose (SYSCONFDIR/mtastsd/mtastsd.conf). */
const char	*client_default_config(void);

/* The environment variable that names the daemon's socket for mtasts. */
#define CLIENT_SOCKET_ENV	"MTASTS_SOCKET"

/*
 * client_socket: the daemon's socket for a command-line tool, the first
 * of: `opt` (--socket), the "socket" option of the file `config`
 * (--config), $MTASTS_SOCKET, the "socket" option of the default
 * configuration file when this user can read it, the compiled-in
 * default.  Returns the path (static storage, valid until the next
 * call), or NULL with a message in err when a configuration file that
 * is used cannot be loaded: a broken file is reported, never skipped.
 */
const char	*client_socket(const char *opt, const char *config, char *err,
		    size_t errlen);

#endif /* CLIENT_H */
