/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listen.h: the lookup socket of mtastsd: listeners, connections,
 * per-connection buffers and deadlines (docs/DESIGN.md §Socket,
 * docs/PROTOCOLS.md).
 *
 * Purpose: one Unix socket (conf->socket) and optionally one TCP socket
 * (conf->listen_tcp), many client connections, each speaking one of the
 * protocols handed to listen_start() and chosen from its first byte.
 * This module owns the bytes; the protocol modules (sockmap.c,
 * tcptable.c, control.c) own the meaning, through struct listen_proto
 * and the listen_conn functions below.
 *
 * Life of a connection:
 *   - accepted while fewer than conf->max_connections are open (fewer
 *     if the descriptor limit leaves less room: listen_set_fd_room);
 *     when full, the connection idle longest is closed to make room,
 *     and only when none is idle does accepting pause until one closes
 *     (the kernel's backlog holds the rest); logged as a warning, rate
 *     limited.  accept() running out of descriptors pauses it briefly.
 *   - per user: a uid other than root has at most
 *     conf->max_connections_per_user connections; one more closes its
 *     own connection idle longest, or is refused (before anything is
 *     allocated) when none is idle.  The uid is SO_PEERCRED's on the
 *     Unix socket, and for a TCP client on this host the owner of its
 *     socket (peercred.h: a loopback address names no user); TCP
 *     clients whose user is unknown count as one, without a cap.
 *   - input is buffered up to LISTEN_INPUT_MAX bytes; nothing more is
 *     read while that much is buffered, so one client cannot make the
 *     daemon hold more (a protocol must reject a longer request).
 *   - one request at a time: the protocol's request() sees the buffered
 *     bytes only while no request of this connection is in progress,
 *     and the next request is looked at only after the answer of the
 *     previous one has been written to the socket (pipelined requests
 *     wait in the input buffer).  After LISTEN_BURST pipelined requests
 *     answered in a row, the rest wait for the next loop turn, after
 *     the other connections; after listen_backoff() nothing is read or
 *     answered for LISTEN_BACKOFF_MS.
 *   - request deadline: a request not complete
 *     conf->client_request_timeout after its first byte closes the
 *     connection (Postfix writes a request in one go).
 *   - idle deadline, counted from the connect or from the last answer
 *     written while nothing is buffered: conf->socketmap_idle_timeout
 *     for protocols with long_idle (Postfix socketmap: Postfix reuses an
 *     idle connection after the longest step of a delivery, and when
 *     that step was an MX connect that timed out, smtp(8) does not
 *     reconnect after a close but defers the mail), else
 *     conf->client_idle_timeout (also before the first byte).  A
 *     pending write that makes no progress for client_idle_timeout
 *     closes the connection (any protocol).
 *   - EOF or a socket error while a lookup is pending cancels the
 *     lookup (lookup_cancel): a client that half-closes its socket has
 *     left.  The connection is then freed from a separate event, never
 *     inside a libevent or lookup callback (docs/DESIGN.md §Event loop).
 *
 * Threading: loop thread only.  Ownership: struct listen is created by
 * listen_open() and freed by listen_free(); connections belong to it.
 * struct listen_env is borrowed (mtastsd.c owns it and may swap its
 * `lookup` and `conf` between events, e.g. on SIGHUP).
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct cache;
struct conf;
struct event_base;
struct listen;
struct listen_conn;
struct listupd;
struct lookup;
struct lookup_answer;
struct lookup_stats;
struct sweep;

/* Longest buffered input per connection: the largest request of any
 * protocol (a socketmap netstring: 10 digits, ":", 10,000 bytes, ",")
 * plus a little. */
#define LISTEN_INPUT_MAX	10016

/* Pipelined requests answered in a row before the others' turn, and the
 * pause listen_backoff() asks for (ms). */
#define LISTEN_BURST		8
#define LISTEN_BACKOFF_MS	100

/* How long accept() rests after running out of descriptors. */
#define LISTEN_EMFILE_PAUSE_MS	100

/* What request handlers need; owned by mtastsd.c. */
struct listen_env {
	struct lookup	*lookup;	/* current lookup service */
	struct cache	*cache;		/* the LMDB store */
	const struct conf *conf;	/* current configuration */
	struct stats	*stats;		/* counters */
	int		 test_mode;	/* mtastsd -T: test-only JSON ops */
	int64_t		 clock_offset;	/* test.clock: s added to time() */
	struct listupd	*list;		/* the STARTTLS list (listupd.h) */
	/* The lookup service's counters, with those of services replaced
	 * on reload (the same figures as the metrics). */
	void		(*service_stats)(struct lookup_stats *out, void *arg);
	void		*service_stats_arg;
	struct sweep	*sweep;		/* the cache's sweeper (sweep.h) */
};

/* One protocol of the lookup socket. */
struct listen_proto {
	const char	*name;		/* for logs */
	int		 long_idle;	/* socketmap_idle_timeout applies */
	/* claims: does a connection starting with this byte speak it? */
	int		(*claims)(unsigned char first);
	/*
	 * request: look at the buffered input buf[0..len), len >= 1, while
	 * no request of the connection is in progress.  Returns
	 *   0    no complete request yet: call again with more bytes
	 *        (the protocol must return -1 instead once len reaches
	 *        its own limit, which is at most LISTEN_INPUT_MAX);
	 *   n>0  n bytes were one request, now started: it ends with
	 *        listen_done(), before or after request() returns;
	 *   -1   the input cannot be understood: the connection closes
	 *        once what was queued with listen_reply() is written.
	 */
	ssize_t		(*request)(struct listen_conn *c, const char *buf,
			    size_t len);
};

/*
 * listen_open: create the listening sockets described by conf (socket,
 * socket_owner, socket_group, socket_mode, listen_tcp, and admin_group
 * for listen_conn_admin), before any fork and while still root.  The
 * socket file is created with its owner (default: dir_uid, else ours),
 * group (default: dir_gid, else ours) and mode, and checked; it is
 * never chown'ed or chmod'ed by path in a directory others can write.
 * A missing parent directory of the Unix socket is created with mode
 * 0755 and given to dir_uid/dir_gid (-1: left alone) so the
 * unprivileged daemon can remove its socket at exit.
 * An existing socket file is removed only if nothing accepts on it.
 * Returns NULL with a reason in err on failure.
 */
struct listen	*listen_open(const struct conf *conf, uid_t dir_uid,
		    gid_t dir_gid, char *err, size_t errlen);

/*
 * listen_set_fd_room: at most n connections fit in the descriptor limit
 * (0: no limit of that kind); fewer than max_connections lowers it.
 */
void		 listen_set_fd_room(struct listen *l, size_t n);

/*
 * listen_start: start accepting on `base`; protos is a NULL-terminated
 * array (borrowed, static).  env is borrowed and must outlive l.
 * Returns 0, or -1 with a reason in err.
 */
int		 listen_start(struct listen *l, struct event_base *base,
		    struct listen_env *env,
		    const struct listen_proto *const *protos,
		    char *err, size_t errlen);

/*
 * listen_stop: stop accepting (SIGTERM), close connections that have
 * no request in progress, and let the others close after their answer.
 */
void		 listen_stop(struct listen *l);

/* listen_busy: connections still open (after listen_stop: the ones
 * finishing a request). */
size_t		 listen_busy(const struct listen *l);

/*
 * listen_free: close every connection (pending lookups are cancelled)
 * and the listeners, and remove the Unix socket file.  NULL is a no-op.
 * Not from inside a callback of l.
 */
void		 listen_free(struct listen *l);

/* --- for protocol modules ------------------------------------------- */

/* listen_conn_env: the environment of the connection's listener. */
struct listen_env *listen_conn_env(struct listen_conn *c);

/*
 * listen_conn_local: 1 when the client came through the Unix socket,
 * whose owner, group and mode say who may connect; 0 over TCP, where
 * any local user can.
 */
int		 listen_conn_local(const struct listen_conn *c);

/*
 * listen_conn_admin: may this client change the daemon's state?  1 for
 * a Unix socket peer whose uid is root's or the daemon's, or whose
 * primary or supplementary group is conf->admin_group; 0 otherwise,
 * and always over TCP (where the kernel names the uid at best, never
 * the groups, and only for a client on this host).
 */
int		 listen_conn_admin(const struct listen_conn *c);

/* listen_conn_peer: "unix uid=N pid=N" or "ADDR:PORT", for logs. */
const char	*listen_conn_peer(const struct listen_conn *c);

/*
 * listen_reply: queue data[0..len) for writing (copied).  Writes never
 * block; the bytes go out as the socket accepts them.
 */
void		 listen_reply(struct listen_conn *c, const void *data,
		    size_t len);

/* listen_queued: bytes queued and not yet written. */
size_t		 listen_queued(struct listen_conn *c);

/*
 * listen_done: the current request is answered (its answer, never
 * empty, is queued); the next one is looked at once the answer is
 * written.  Records the answer with stats_answer(rec) (counters and
 * the log_lookups line), unless rec is NULL (not a lookup: stats,
 * cache ops).  In a stream, the stream's arg is freed here: do not
 * touch it afterwards.
 */
void		 listen_done(struct listen_conn *c, const struct stats_rec *rec);

/*
 * Which part of max_pending a discovery started by a lookup draws on
 * (lookup.h "Limits"; docs/PROTOCOLS.md):
 *   LISTEN_SHARE_MTA    the part reserved for MTAs and refreshes, with
 *                       no per-user bound: Postfix's protocols, whose
 *                       requests wait for their answers;
 *   LISTEN_SHARE_TABLE  the reserved part too, but at most
 *                       max_pending_per_user of the user's at once:
 *                       OpenSMTPD's table-mtasts, an MTA that asks over
 *                       JSON and may not wait ("wait":false);
 *   LISTEN_SHARE_JSON   max_pending_json, and max_pending_per_user of
 *                       the user's at once: every other JSON resolve.
 * A user's TABLE and JSON discoveries are counted apart.
 */
enum listen_share {
	LISTEN_SHARE_MTA,
	LISTEN_SHARE_TABLE,
	LISTEN_SHARE_JSON
};

/*
 * listen_lookup: ask the lookup service about `domain` (normalised) for
 * the current request (a discovery it starts draws on `share`); cb
 * runs exactly once with the answer (borrowed for the call), maybe
 * before listen_lookup returns, unless the connection dies first (then
 * the lookup is cancelled and cb never runs).  wait: as lookup_query():
 * milliseconds to wait for a discovery, < 0 for the service's longest
 * wait (lookup_timeout).  The time from here to the answer is observed in
 * stats->latency.
 */
typedef void listen_answer_cb(struct listen_conn *c,
    const struct lookup_answer *ans);
void		 listen_lookup(struct listen_conn *c, const char *domain,
		    int wait, enum listen_share share, listen_answer_cb *cb);

/*
 * listen_backoff: after the current request, read and answer nothing
 * more from this connection for a while (LISTEN_BACKOFF_MS, 100 ms):
 * for a client that asks for more than its share (an "overload"
 * answer), so that pipelining more only slows it down, instead of
 * taking the loop from everybody else.
 */
void		 listen_backoff(struct listen_conn *c);

/*
 * listen_stream: the current request answers in parts (cache.list):
 * more(c, arg) runs each time everything queued so far has been
 * written, until it calls listen_done().  arg_free(arg) runs when the
 * stream ends or the connection dies (arg_free may be NULL).
 */
typedef void listen_more_cb(struct listen_conn *c, void *arg);
void		 listen_stream(struct listen_conn *c, listen_more_cb *more,
		    void *arg, void (*arg_free)(void *));

#endif /* LISTEN_H */
