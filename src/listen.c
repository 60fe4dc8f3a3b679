/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listen.c: listeners and client connections of the lookup socket;
 * see listen.h.
 *
 * A connection moves through four states:
 *   IDLE    waiting for a (complete) request in the input buffer
 *   BUSY    a request is being answered (maybe a lookup is pending)
 *   FLUSH   answered; the next request waits until the answer is out
 *   STREAM  answering in parts, one part each time the output drains
 * Input is read all the time (up to LISTEN_INPUT_MAX bytes), so EOF is
 * seen even while a lookup is pending and the lookup can be cancelled.
 *
 * Reading is done here, not by the bufferevent (which keeps the output:
 * queueing and the write deadline): libevent's evbuffer_read() asks
 * ioctl(FIONREAD) before every read(2), one more system call per
 * request on the hot path.  Answers given at once are written with one
 * send(2) when nothing is queued (listen_reply).
 *
 * Dead connections are put on a list and freed by a separate event
 * (the reaper), never inside a bufferevent, timer or lookup callback of
 * their own (docs/DESIGN.md §Event loop, Redis's freeClientAsync).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "listen.h"
#include "cfgsyn.h"
#include "log.h"
#include "lookup.h"
#include "monoclock.h"
#include "peercred.h"

#define LISTEN_BACKLOG		512
#define LISTEN_ACCEPT_BATCH	64	/* accepts per wake-up */
#define LISTEN_PEER_MAX		80
#define LISTEN_WARN_EVERY	10	/* s between accept() warnings */
#define LISTEN_READ_CHUNK	4096	/* most bytes one read(2) asks for */
#define LISTEN_GROUPS_MAX	256	/* SO_PEERGROUPS read at most */
/* Idle at least this long to be closed for room: a connection accepted
 * in the same burst has its request unread yet, not nothing to say. */
#define LISTEN_EVICT_MIN_MS	1000

enum conn_state {
	CONN_IDLE = 0,
	CONN_BUSY,
	CONN_FLUSH,
	CONN_STREAM
};

/* The deadline that runs (listen.h "Life of a connection"). */
enum conn_dl {
	DL_NONE = 0,	/* a request is being answered */
	DL_IDLE,	/* nothing buffered: the idle deadline */
	DL_PARTIAL	/* part of a request buffered: the request deadline */
};

/*
 * One client user: a uid (SO_PEERCRED on the Unix socket, the kernel's
 * socket diagnostics over TCP: peercred.h), or, as `unknown`, every TCP
 * client whose user the kernel does not name (another host).  Lives
 * while it has connections or discoveries it started still run (its
 * quota), so reconnecting does not reset the quota.
 */
struct listen_peer {
	int		 unknown;	/* uid unknown: one for them all */
	uid_t		 uid;
	unsigned	 nconn;
	/* NULL until its first lookup of that share (enum listen_share). */
	struct lookup_quota *quota;	/* LISTEN_SHARE_JSON */
	struct lookup_quota *table_quota; /* LISTEN_SHARE_TABLE */
};

struct listen_sock {
	struct listen	*l;
	int		 fd;
	struct event	*ev;
};

struct listen_conn {
	struct listen	*l;
	struct bufferevent *bev;	/* output */
	struct evbuffer	*in;		/* input */
	struct event	*rd;		/* readable: on_readable */
	struct event	*idle;		/* idle deadline */
	const struct listen_proto *proto; /* NULL before the first byte */
	enum conn_state	 state;
	int		 closing;	/* close once the output is written */
	int		 dead;
	int		 in_lookup;	/* listen_lookup() not answered yet */
	int		 in_request;	/* inside proto->request() */
	int		 no_read;	/* EOF, error or bad request */
	int		 reading;	/* rd is added */
	struct lookup_req *req;		/* pending lookup, or NULL */
	uint64_t	 t0;		/* lookup start, monotonic us */
	listen_answer_cb *answer;
	listen_more_cb	*more;
	void		*more_arg;
	void		(*more_free)(void *);
	unsigned long long id;
	int		 local;		/* came through the Unix socket */
	uid_t		 uid;		/* (uid_t)-1: unknown */
	gid_t		 gid;
	struct listen_peer *pe;		/* its user, NULL once closed */
	enum conn_dl	 dl;		/* the deadline running */
	int64_t		 mark;		/* monoclock_ms() when it started */
	int64_t		 fire_at;	/* when the timer fires, if timer_on */
	int		 timer_on;
	int		 in_lru;
	int		 in_ready;	/* in l->ready: requests wait */
	int		 backoff;	/* listen_backoff() asked for a pause */
	int		 backing_off;	/* paused: bo runs */
	struct event	*bo;		/* ends the pause; NULL until one */
	char		 peer[LISTEN_PEER_MAX];
	TAILQ_ENTRY(listen_conn) entry;
	TAILQ_ENTRY(listen_conn) lru;	/* l->lru while dl == DL_IDLE */
	TAILQ_ENTRY(listen_conn) rentry; /* l->ready */
};
TAILQ_HEAD(conn_list, listen_conn);
TAILQ_HEAD(lru_list, listen_conn);
TAILQ_HEAD(ready_list, listen_conn);

struct listen {
	struct event_base *base;
	struct listen_env *env;
	const struct listen_proto *const *protos;
	struct listen_sock sock[2];	/* Unix, TCP */
	size_t		 nsock;
	char		*unix_path;	/* to remove at exit */
	struct conn_list live, dead;
	size_t		 nlive, ndead;
	struct lru_list	 lru;		/* idle connections, idle longest
					 * first: evicted first */
	struct ready_list ready;	/* connections that gave way with
					 * requests buffered (LISTEN_BURST) */
	size_t		 nready;
	struct event	*ready_ev;	/* serves them, in turn */
	struct listen_peer **peers;
	size_t		 npeers, peers_cap;
	size_t		 fd_room;	/* connections the descriptor limit
					 * leaves room for; 0: no limit */
	gid_t		 admin_gid;	/* admin_group, (gid_t)-1: none */
	struct peercred	*pc;		/* TCP peers' uids, or NULL */
	struct log_rl	 full_rl, user_rl;
	struct event	*reaper;	/* frees dead connections */
	struct event	*resume;	/* ends an accept() pause */
	unsigned long long next_id;
	time_t		 last_warn;
	int		 paused;
	int		 stopping;
};

static void	conn_process(struct listen_conn *);
static int	conn_written(struct listen_conn *);
static void	conn_read_resume(struct listen_conn *);
static int	conn_read_start(struct listen_conn *);
static void	conn_read_stop(struct listen_conn *);
static void	conn_kill(struct listen_conn *, const char *);
static void	conn_dl_stop(struct listen_conn *);
static void	conn_give_way(struct listen_conn *);
static void	conn_ready_leave(struct listen_conn *);
static void	conn_backoff_start(struct listen_conn *);
static size_t	conn_limit(const struct listen *);
static void	listen_pause(struct listen *);
static void	listen_retry_later(struct listen *);
static int	conn_can_evict(const struct listen *);
static int	conn_evictable(const struct listen_conn *);

static struct timeval
ms_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

/* --- listening sockets --------------------------------------------------- */

/*
 * unix_stale: make room for a socket at path: absent is fine; a socket
 * nobody accepts on is removed; anything else is an error.
 */
static int
unix_stale(const char *path, const struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, r, saved;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	if (r == 0 || saved == EAGAIN) {
		snprintf(err, errlen, "%s: another process is listening on it",
		    path);
		return -1;
	}
	if (saved != ECONNREFUSED && saved != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	log_info("removed stale socket %s", path);
	return 0;
}

/*
 * unix_ids: who the socket file belongs to: socket_owner and
 * socket_group, by default the daemon's user and its group (duid,
 * dgid; -1: our own ids, when the daemon keeps its user).
 */
static int
unix_ids(const struct conf *conf, uid_t duid, gid_t dgid, uid_t *uid,
    gid_t *gid, char *err, size_t errlen)
{
	*uid = duid != (uid_t)-1 ? duid : geteuid();
	*gid = dgid != (gid_t)-1 ? dgid : getegid();
	if (conf->socket_owner[0] != '\0' &&
	    daemon_uid(conf->socket_owner, uid) == -1) {
		snprintf(err, errlen, "socket_owner %s: no such user",
		    conf->socket_owner);
		return -1;
	}
	if (conf->socket_group[0] != '\0' &&
	    daemon_gid(conf->socket_group, gid) == -1) {
		snprintf(err, errlen, "socket_group %s: no such group",
		    conf->socket_group);
		return -1;
	}
	return 0;
}

/*
 * unix_dir_root_only: is the socket's directory writable by root alone?
 * Then nobody else can put a symlink where the socket is between its
 * bind() and a chown() by path.
 */
static int
unix_dir_root_only(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == 0 && (st.st_mode & 022) == 0;
}

/* unix_ids_switch: effective ids for the bind (root only); -1 fails. */
static int
unix_ids_switch(uid_t uid, gid_t gid)
{
	if (setegid(gid) == -1 || seteuid(uid) == -1) {
		(void)seteuid(0);
		return -1;
	}
	return 0;
}

/*
 * unix_bind: bind fd to sun so that the file is created by the kernel
 * with its final owner, group and mode: never a chown() or chmod() by
 * path that a symlink put there by the directory's owner (the daemon's
 * user owns the directory it runs in) could send to another file.
 * As root, bind() runs with the effective uid and gid of the socket's
 * owner and group, and the umask gives the mode; in a directory that
 * only root can write, bind() runs as root and lchown() follows (no one
 * can swap the name there).  Not root: our own ids, and lchown() to
 * another of our groups, which cannot reach anything we could not
 * change anyway.
 */
static int
unix_bind(int fd, const struct sockaddr_un *sun, uid_t uid, gid_t gid,
    mode_t mode, char *err, size_t errlen)
{
	uid_t euid = geteuid();
	gid_t egid = getegid();
	int as = euid == 0 && !unix_dir_root_only(sun->sun_path);
	mode_t old;
	int r, saved;

	if (as && unix_ids_switch(uid, gid) == -1) {
		saved = errno;
		(void)setegid(egid);
		snprintf(err, errlen, "%s: cannot take uid %u gid %u to create "
		    "the socket: %s", sun->sun_path, (unsigned)uid,
		    (unsigned)gid, strerror(saved));
		return -1;
	}
	old = umask(~mode & 0777);
	r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	umask(old);
	if (as && (seteuid(euid) == -1 || setegid(egid) == -1))
		fatal("cannot take back root after creating %s",
		    sun->sun_path);
	if (r == -1) {
		snprintf(err, errlen, "%s: %s%s", sun->sun_path,
		    strerror(saved), as && saved == EACCES ? " (as the "
		    "socket's owner: let it write the directory, or make the "
		    "directory root's)" : "");
		return -1;
	}
	if (!as && (uid != euid || gid != egid) &&
	    lchown(sun->sun_path, uid != euid ? uid : (uid_t)-1,
	    gid != egid ? gid : (gid_t)-1) == -1) {
		/* The usual case: socket_group postfix under the unit. */
		saved = errno;
		snprintf(err, errlen, "%s: %s%s", sun->sun_path,
		    strerror(saved), saved == EPERM && euid != 0 ? " (not "
		    "root, the daemon can give its socket to no other user "
		    "and to its own groups only; under systemd: a drop-in, "
		    "mtastsd(8) SYSTEMD)" : "");
		return -1;
	}
	return 0;
}

/*
 * unix_check: the socket file is what the configuration says.  A setgid
 * directory or a default ACL can give a new file another group or
 * mode; say so rather than run with a socket Postfix cannot open.
 */
static int
unix_check(const char *path, uid_t uid, gid_t gid, mode_t mode, char *err,
    size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_uid != uid || st.st_gid != gid ||
	    (st.st_mode & 0777) != mode) {
		snprintf(err, errlen, "%s: created as uid %u gid %u mode %04o, "
		    "not uid %u gid %u mode %04o (a setgid directory or a "
		    "default ACL?)", path, (unsigned)st.st_uid,
		    (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
		    (unsigned)uid, (unsigned)gid, (unsigned)mode);
		return -1;
	}
	return 0;
}

/* unix_parent: create the socket's directory if it is missing. */
static int
unix_parent(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	return daemon_mkdir(dir, 0755, uid, gid, err, errlen);
}

static int
listen_unix(struct listen *l, const struct conf *conf, uid_t uid, gid_t gid,
    char *err, size_t errlen)
{
	struct sockaddr_un sun;
	uid_t suid;
	gid_t sgid;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(conf->socket) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket %s: path too long", conf->socket);
		return -1;
	}
	memcpy(sun.sun_path, conf->socket, strlen(conf->socket));
	if (unix_ids(conf, uid, gid, &suid, &sgid, err, errlen) == -1 ||
	    unix_parent(conf->socket, uid, gid, err, errlen) == -1 ||
	    unix_stale(conf->socket, &sun, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (unix_bind(fd, &sun, suid, sgid, (mode_t)conf->socket_mode, err,
	    errlen) == -1) {
		close(fd);
		return -1;
	}
	l->sock[l->nsock++].fd = fd;
	if ((l->unix_path = strdup(conf->socket)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Accept only once the file is checked (listen() comes last). */
	if (unix_check(conf->socket, suid, sgid, (mode_t)conf->socket_mode,
	    err, errlen) == -1)
		return -1;
	if (listen(fd, LISTEN_BACKLOG) == -1) {
		snprintf(err, errlen, "%s: %s", conf->socket, strerror(errno));
		return -1;
	}
	return 0;
}

static int
is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6;
	const uint8_t *a;

	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	a = s6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return a[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

/* tcp_socket: a listening socket for ai; -1 with errno. */
static int
tcp_socket(const struct addrinfo *ai)
{
	int fd, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		on = errno;
		close(fd);
		errno = on;
		return -1;
	}
	return fd;
}

static int
listen_tcp(struct listen *l, const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char host[64], port[8];
	int fd, r;

	if (cfgsyn_hostport(spec, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		snprintf(err, errlen, "listen_tcp %s: expected ADDR:PORT or "
		    "[ADDR]:PORT with a numeric address", spec);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen_tcp %s: %s", spec,
		    gai_strerror(r));
		return -1;
	}
	if (!is_loopback(ai->ai_addr))
		log_warnx("WARNING: listen_tcp %s is not a loopback address; "
		    "lookups are not authenticated, so anyone who can reach "
		    "it can query (and, over JSON, purge the cache)", spec);
	fd = tcp_socket(ai);
	freeaddrinfo(ai);
	if (fd == -1) {
		snprintf(err, errlen, "listen_tcp %s: %s", spec,
		    strerror(errno));
		return -1;
	}
	l->sock[l->nsock++].fd = fd;
	return 0;
}

struct listen *
listen_open(const struct conf *conf, uid_t dir_uid, gid_t dir_gid, char *err,
    size_t errlen)
{
	struct listen *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	TAILQ_INIT(&l->live);
	TAILQ_INIT(&l->dead);
	TAILQ_INIT(&l->lru);
	TAILQ_INIT(&l->ready);
	l->admin_gid = (gid_t)-1;
	if (conf->admin_group[0] != '\0' &&
	    daemon_gid(conf->admin_group, &l->admin_gid) == -1) {
		snprintf(err, errlen, "admin_group %s: no such group",
		    conf->admin_group);
		free(l);
		return NULL;
	}
	if (conf->listen_tcp[0] != '\0' && (l->pc = peercred_open()) == NULL)
		log_warn("listen_tcp: no socket diagnostics (netlink): TCP "
		    "clients count as one user");
	if (listen_unix(l, conf, dir_uid, dir_gid, err, errlen) == -1 ||
	    (conf->listen_tcp[0] != '\0' &&
	    listen_tcp(l, conf->listen_tcp, err, errlen) == -1)) {
		listen_free(l);
		return NULL;
	}
	return l;
}

/* --- accepting ----------------------------------------------------------- */

static int	conn_evict(struct listen *, const struct listen_peer *);

/* conn_can_evict: is a connection idle long enough to make room? */
static int
conn_can_evict(const struct listen *l)
{
	const struct listen_conn *c = TAILQ_FIRST(&l->lru);

	return c != NULL && conn_evictable(c);
}

/* conn_limit: max_connections, or fewer if descriptors run short. */
static size_t
conn_limit(const struct listen *l)
{
	size_t max = l->env->conf->max_connections;

	return l->fd_room != 0 && l->fd_room < max ? l->fd_room : max;
}

/*
 * conn_room: may one more connection be accepted?  Yes while slots are
 * free, and also when they are not but a connection is idle: it will
 * be closed to make room (conn_admit), since a client turned away
 * defers mail and an idle one reconnects when it needs to.  Only when
 * none is idle does accepting pause (the kernel's backlog holds the
 * rest), logged at most LOG_RL_BURST times a minute.  Closed
 * connections count until reaped, right after this loop turn.
 */
static int
conn_room(struct listen *l)
{
	size_t max = conn_limit(l);

	if (l->nlive + l->ndead < max || (l->nlive >= max &&
	    conn_can_evict(l)))
		return 1;
	if (l->nlive >= max && log_rl_allow(&l->full_rl))
		log_warnx("max_connections (%zu) reached and no connection "
		    "idle: new clients wait", max);
	if (!l->paused)
		l->env->stats->conns_limit++;
	listen_pause(l);
	listen_retry_later(l);
	return 0;
}

/*
 * listen_retry_later: while paused, look again when the connection idle
 * longest becomes old enough to be closed for room.
 */
static void
listen_retry_later(struct listen *l)
{
	const struct listen_conn *c = TAILQ_FIRST(&l->lru);
	struct timeval tv;
	int64_t wait;

	if (!l->paused || c == NULL || evtimer_pending(l->resume, NULL))
		return;
	wait = c->mark + LISTEN_EVICT_MIN_MS - monoclock_ms();
	tv = ms_tv(wait > 0 ? wait : 0);
	evtimer_add(l->resume, &tv);
}

static void
listen_pause(struct listen *l)
{
	size_t i;

	if (l->paused)
		return;
	for (i = 0; i < l->nsock; i++)
		if (l->sock[i].ev != NULL)
			event_del(l->sock[i].ev);
	l->paused = 1;
}

/*
 * listen_resume: accept again if there is room (or a connection idle
 * that can make room) and nothing forbids it.
 */
static void
listen_resume(struct listen *l)
{
	size_t i;

	if (!l->paused || l->stopping || evtimer_pending(l->resume, NULL))
		return;
	if (l->nlive + l->ndead >= conn_limit(l) && !conn_can_evict(l)) {
		listen_retry_later(l);	/* when one is idle long enough */
		return;
	}
	for (i = 0; i < l->nsock; i++)
		if (l->sock[i].ev != NULL)
			event_add(l->sock[i].ev, NULL);
	l->paused = 0;
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listen_resume(arg);
}

/* accept_failed: after accept() == -1. */
static void
accept_failed(struct listen *l, int err)
{
	struct timeval tv = { 0, LISTEN_EMFILE_PAUSE_MS * 1000 };
	time_t now = time(NULL);

	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
	    err == ECONNABORTED || err == EPROTO)
		return;
	if (now - l->last_warn >= LISTEN_WARN_EVERY) {
		errno = err;
		log_warn("accept (connections open: %zu)", l->nlive);
		l->last_warn = now;
	}
	if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM) {
		/* The pending connection stays in the backlog; without a
		 * pause its readable listener would spin the loop. */
		l->env->stats->conns_refused++;
		listen_pause(l);
		evtimer_add(l->resume, &tv);
	}
}

/* Who connected, as the kernel says (accept_who). */
struct conn_who {
	int		 local;		/* the Unix socket */
	uid_t		 uid;		/* (uid_t)-1: unknown */
	gid_t		 gid;		/* Unix socket only */
	pid_t		 pid;		/* Unix socket only */
};

/*
 * accept_who: the user behind the accepted socket s: SO_PEERCRED on the
 * Unix socket, the kernel's socket diagnostics for a TCP peer on this
 * host (peercred.h); unknown otherwise.
 */
static void
accept_who(struct listen *l, int s, const struct sockaddr_storage *ss,
    struct conn_who *w)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	w->local = ss->ss_family == AF_UNIX;
	w->uid = (uid_t)-1;
	w->gid = (gid_t)-1;
	w->pid = -1;
	if (!w->local) {
		if (peercred_tcp_uid(l->pc, s, &w->uid) == -1)
			w->uid = (uid_t)-1;
		return;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
		w->uid = uc.uid;
		w->gid = uc.gid;
		w->pid = uc.pid;
	}
}

/* conn_peer: a printable peer name for logs. */
static void
conn_peer(struct listen_conn *c, int s, const struct sockaddr_storage *ss,
    socklen_t slen, const struct conn_who *w)
{
	char host[48], serv[8];
	int on = 1;

	c->local = w->local;
	c->uid = w->uid;
	c->gid = w->gid;
	if (w->local) {
		if (w->uid != (uid_t)-1)
			snprintf(c->peer, sizeof(c->peer), "unix uid=%u pid=%d",
			    (unsigned)w->uid, (int)w->pid);
		else
			snprintf(c->peer, sizeof(c->peer), "unix");
		return;
	}
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (getnameinfo((const struct sockaddr *)ss, slen, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(host, sizeof(host), "tcp");
	if (w->uid != (uid_t)-1)
		snprintf(c->peer, sizeof(c->peer), "%s:%s uid=%u", host, serv,
		    (unsigned)w->uid);
	else
		snprintf(c->peer, sizeof(c->peer), "%s:%s", host, serv);
}

static void	on_readable(evutil_socket_t, short, void *);
static void	on_write(struct bufferevent *, void *);
static void	on_event(struct bufferevent *, short, void *);
static void	on_idle(evutil_socket_t, short, void *);
static void	conn_deadline(struct listen_conn *);
static int	conn_admit(struct listen_conn *);
static int	accept_user_full(struct listen *, const struct conn_who *);

/* conn_new: take over socket s.  -1: s is still the caller's. */
static int
conn_new(struct listen *l, int s, const struct sockaddr_storage *ss,
    socklen_t slen, const struct conn_who *w)
{
	struct timeval wtv = ms_tv(l->env->conf->client_idle_timeout);
	struct listen_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if ((c->idle = evtimer_new(l->base, on_idle, c)) == NULL ||
	    (c->rd = event_new(l->base, s, EV_READ | EV_PERSIST, on_readable,
	    c)) == NULL || (c->in = evbuffer_new()) == NULL ||
	    (c->bev = bufferevent_socket_new(l->base, s,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (c->idle != NULL)
			event_free(c->idle);
		if (c->rd != NULL)
			event_free(c->rd);
		if (c->in != NULL)
			evbuffer_free(c->in);
		free(c);
		return -1;
	}
	c->l = l;
	c->id = ++l->next_id;
	conn_peer(c, s, ss, slen, w);
	bufferevent_setcb(c->bev, NULL, on_write, on_event, c);
	/* A write that makes no progress this long: the peer is stuck. */
	bufferevent_set_timeouts(c->bev, NULL, &wtv);
	TAILQ_INSERT_TAIL(&l->live, c, entry);
	l->nlive++;
	l->env->stats->conns_open++;
	l->env->stats->conns_total++;
	if (conn_admit(c) == -1)
		return 0;
	if (bufferevent_enable(c->bev, EV_WRITE) == -1 ||
	    conn_read_start(c) == -1) {
		conn_kill(c, "cannot enable events");
		return 0;
	}
	conn_deadline(c);
	log_debug("connection %llu from %s", c->id, c->peer);
	return 0;
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct listen_sock *ls = arg;
	struct listen *l = ls->l;
	struct sockaddr_storage ss;
	struct conn_who w;
	socklen_t slen;
	int i, s;

	(void)what;
	for (i = 0; i < LISTEN_ACCEPT_BATCH; i++) {
		if (!conn_room(l))
			return;
		slen = sizeof(ss);
		s = accept4(fd, (struct sockaddr *)&ss, &slen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			accept_failed(l, errno);
			return;
		}
		/* Refused before anything is allocated: cheap to repeat. */
		accept_who(l, s, &ss, &w);
		if (accept_user_full(l, &w)) {
			close(s);
			continue;
		}
		if (conn_new(l, s, &ss, slen, &w) == -1) {
			log_warnx("out of memory: connection dropped");
			close(s);
			return;
		}
	}
}

/* --- client users ------------------------------------------------------- */

/* peer_unused: no connection and no discovery of its own running. */
static int
peer_unused(const struct listen_peer *pe)
{
	return pe->nconn == 0 && (pe->quota == NULL || pe->quota->used == 0) &&
	    (pe->table_quota == NULL || pe->table_quota->used == 0);
}

/* peer_drop: free l->peers[i] (swapped with the last). */
static void
peer_drop(struct listen *l, size_t i)
{
	lookup_quota_unref(l->peers[i]->quota);
	lookup_quota_unref(l->peers[i]->table_quota);
	free(l->peers[i]);
	l->peers[i] = l->peers[--l->npeers];
}

/*
 * peer_get: the entry of (tcp, uid), created if need be; entries left
 * unused since are freed on the way.  Linear: there are as many
 * entries as users with a connection (or a discovery) now.  NULL when
 * out of memory.
 */
static struct listen_peer *
peer_get(struct listen *l, uid_t uid)
{
	struct listen_peer *pe, **np;
	size_t i, ncap;

	for (i = 0; i < l->npeers;) {
		pe = l->peers[i];
		if (pe->uid == uid)
			return pe;
		if (peer_unused(pe))
			peer_drop(l, i);
		else
			i++;
	}
	if (l->npeers == l->peers_cap) {
		ncap = l->peers_cap != 0 ? 2 * l->peers_cap : 8;
		if ((np = reallocarray(l->peers, ncap, sizeof(*np))) == NULL)
			return NULL;
		l->peers = np;
		l->peers_cap = ncap;
	}
	if ((pe = calloc(1, sizeof(*pe))) == NULL)
		return NULL;
	pe->unknown = uid == (uid_t)-1;
	pe->uid = uid;
	l->peers[l->npeers++] = pe;
	return pe;
}

/* peer_leave: c no longer counts for its user. */
static void
peer_leave(struct listen_conn *c)
{
	struct listen *l = c->l;
	size_t i;

	if (c->pe == NULL)
		return;
	c->pe->nconn--;
	if (peer_unused(c->pe))
		for (i = 0; i < l->npeers; i++)
			if (l->peers[i] == c->pe) {
				peer_drop(l, i);
				break;
			}
	c->pe = NULL;
}

/* conn_evictable: idle long enough to be closed for room. */
static int
conn_evictable(const struct listen_conn *c)
{
	return monoclock_ms() - c->mark >= LISTEN_EVICT_MIN_MS;
}

/*
 * conn_evict: close the connection idle longest, of user pe or of
 * anyone (NULL), to make room.  1 if one was closed.
 */
static int
conn_evict(struct listen *l, const struct listen_peer *pe)
{
	struct listen_conn *c;

	TAILQ_FOREACH(c, &l->lru, lru) {
		if (pe != NULL && c->pe != pe)
			continue;
		if (!conn_evictable(c))
			return 0;	/* the rest came later */
		l->env->stats->conns_evicted++;
		conn_kill(c, "idle longest while slots ran short");
		return 1;
	}
	return 0;
}

/*
 * accept_user_full: is the user of a new connection at
 * max_connections_per_user?  Not for root, nor for clients whose user
 * the kernel does not name (mtastsd.conf(5), listen_tcp).  A user at its
 * cap first loses its own connection idle longest; if it has none, the
 * new one is refused (logged, rate-limited).
 */
static int
accept_user_full(struct listen *l, const struct conn_who *w)
{
	unsigned cap = l->env->conf->max_connections_per_user;
	struct listen_peer *pe = NULL;
	size_t i;

	if (w->uid == (uid_t)-1 || w->uid == 0)
		return 0;
	for (i = 0; i < l->npeers && pe == NULL; i++)
		if (l->peers[i]->uid == w->uid)
			pe = l->peers[i];
	if (pe == NULL || pe->nconn < cap || conn_evict(l, pe))
		return 0;
	l->env->stats->conns_user_limit++;
	if (log_rl_allow(&l->user_rl))
		log_warnx("max_connections_per_user (%u) reached by uid %u: "
		    "connection refused", cap, (unsigned)w->uid);
	return 1;
}

/*
 * conn_admit: count the new connection c for its user (within its cap:
 * accept_user_full), then make room for it if every slot is taken
 * (conn_room let it in because one was idle).  -1: c is closed.
 */
static int
conn_admit(struct listen_conn *c)
{
	struct listen *l = c->l;
	size_t max = conn_limit(l);

	if ((c->pe = peer_get(l, c->uid)) == NULL) {
		conn_kill(c, "out of memory");
		return -1;
	}
	c->pe->nconn++;
	if (l->nlive > max && conn_evict(l, NULL) &&
	    log_rl_allow(&l->full_rl))
		log_warnx("max_connections (%zu) reached: closed the "
		    "connection idle longest", max);
	return 0;
}

/* --- connections --------------------------------------------------------- */

/* stream_end: drop the state of a listen_stream(). */
static void
stream_end(struct listen_conn *c)
{
	if (c->more_free != NULL && c->more_arg != NULL)
		c->more_free(c->more_arg);
	c->more = NULL;
	c->more_arg = NULL;
	c->more_free = NULL;
}

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct listen *l = arg;
	struct listen_conn *c;

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&l->dead)) != NULL) {
		TAILQ_REMOVE(&l->dead, c, entry);
		l->ndead--;
		l->env->stats->conns_open--;
		stream_end(c);
		event_free(c->rd);	/* before the bufferevent closes s */
		evbuffer_free(c->in);
		bufferevent_free(c->bev);
		event_free(c->idle);
		if (c->bo != NULL)
			event_free(c->bo);
		free(c);
	}
	listen_resume(l);
}

/* conn_kill: close c; it is freed later by on_reap. */
static void
conn_kill(struct listen_conn *c, const char *why)
{
	struct listen *l = c->l;

	if (c->dead)
		return;
	c->dead = 1;
	if (c->req != NULL) {
		lookup_cancel(c->req);
		c->req = NULL;
	}
	/* A stream's state stays until on_reap: conn_kill may run inside
	 * its more() callback (listen_reply out of memory). */
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	conn_read_stop(c);
	evtimer_del(c->idle);
	if (c->bo != NULL)
		evtimer_del(c->bo);
	conn_dl_stop(c);
	conn_ready_leave(c);
	peer_leave(c);
	TAILQ_REMOVE(&l->live, c, entry);
	l->nlive--;
	TAILQ_INSERT_TAIL(&l->dead, c, entry);
	l->ndead++;
	event_active(l->reaper, EV_TIMEOUT, 1);
	log_debug("connection %llu (%s) closed: %s", c->id, c->peer,
	    why != NULL ? why : "done");
}

/*
 * Deadlines.  One timer per connection serves three deadlines:
 * client_request_timeout from the first byte of a request that is not
 * complete yet (Postfix writes a request in one go, so a partial one is
 * a stalled or hostile client: bytes trickling in do not extend it);
 * the idle deadline from the connect or the last answer written while
 * nothing is buffered (socketmap_idle_timeout for protocols that ask
 * for it: Postfix reuses an idle socketmap connection after the longest
 * delivery step, see listen.h; client_idle_timeout otherwise);
 * none while a request is being answered.  The timer is lazy: moving
 * from one deadline to the next only notes when it started (mark), and
 * the timer is moved only when it would fire too late; on_idle checks
 * the deadline and re-arms.  So an answered request costs a clock read
 * and no timer operation (the cached lookup's hot path).
 */

/* conn_dl_ms: the length of deadline dl under the current conf. */
static int64_t
conn_dl_ms(const struct listen_conn *c, enum conn_dl dl)
{
	const struct conf *conf = c->l->env->conf;

	if (dl == DL_PARTIAL)
		return conf->client_request_timeout;
	if (c->proto != NULL && c->proto->long_idle)
		return conf->socketmap_idle_timeout;
	return conf->client_idle_timeout;
}

/* conn_dl_stop: no deadline (a request is being answered), and so not
 * idle: out of the eviction list. */
static void
conn_dl_stop(struct listen_conn *c)
{
	if (c->in_lru) {
		TAILQ_REMOVE(&c->l->lru, c, lru);
		c->in_lru = 0;
	}
	c->dl = DL_NONE;
}

/* conn_timer_by: make the timer fire at `at` (ms) at the latest. */
static void
conn_timer_by(struct listen_conn *c, int64_t at, int64_t now)
{
	struct timeval tv = ms_tv(at > now ? at - now : 0);

	if (c->timer_on && c->fire_at <= at)
		return;
	evtimer_add(c->idle, &tv);
	c->timer_on = 1;
	c->fire_at = at;
}

/*
 * conn_deadline: after anything that may have changed c's state, start
 * the deadline that applies now if it is not the one running.
 */
static void
conn_deadline(struct listen_conn *c)
{
	enum conn_dl dl = DL_NONE;
	int64_t now;

	if (!c->dead && !c->closing && c->state == CONN_IDLE && !c->in_ready &&
	    !c->backing_off)
		dl = evbuffer_get_length(c->in) > 0 ? DL_PARTIAL : DL_IDLE;
	if (dl == c->dl)
		return;
	conn_dl_stop(c);
	if (dl == DL_NONE)
		return;
	c->dl = dl;
	c->mark = now = monoclock_ms();
	if (dl == DL_IDLE) {
		TAILQ_INSERT_TAIL(&c->l->lru, c, lru);
		c->in_lru = 1;
		if (c->l->paused)	/* it can make room soon */
			listen_retry_later(c->l);
	}
	conn_timer_by(c, now + conn_dl_ms(c, dl), now);
}

static void
on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct listen_conn *c = arg;
	struct stats *st = c->l->env->stats;
	int64_t now, end;

	(void)fd;
	(void)what;
	c->timer_on = 0;
	if (c->dead || c->dl == DL_NONE)
		return;
	now = monoclock_ms();
	end = c->mark + conn_dl_ms(c, c->dl);
	if (now < end) {
		conn_timer_by(c, end, now);
		return;
	}
	if (c->dl == DL_PARTIAL) {
		st->conns_request_timeout++;
		conn_kill(c, "request not complete in time");
		return;
	}
	st->conns_idle_closed++;
	conn_kill(c, "idle timeout");
}

/* conn_pick: choose the protocol from the first byte. */
static int
conn_pick(struct listen_conn *c, unsigned char first)
{
	const struct listen_proto *const *p;

	for (p = c->l->protos; *p != NULL; p++) {
		if (!(*p)->claims(first))
			continue;
		c->proto = *p;
		log_debug("connection %llu (%s): %s", c->id, c->peer,
		    c->proto->name);
		return 0;
	}
	log_debug("connection %llu (%s): unknown protocol (first byte "
	    "0x%02x)", c->id, c->peer, first);
	conn_kill(c, "unknown protocol");
	return -1;
}

/*
 * conn_request: hand buf[0..len) (len >= 1) to the protocol once.
 * Returns the bytes of the request it started, 0 if the request is not
 * complete yet, -1 if the connection reads no more requests (it died,
 * or the request was bad: the rest of the input is dropped).
 */
static ssize_t
conn_request(struct listen_conn *c, const char *buf, size_t len)
{
	ssize_t n;

	c->state = CONN_BUSY;
	c->in_request = 1;
	n = c->proto->request(c, buf, len);
	c->in_request = 0;
	if (c->dead)
		return -1;
	if (n == 0) {
		c->state = CONN_IDLE;
		if (len >= LISTEN_INPUT_MAX)	/* protocol bug: never stall */
			conn_kill(c, "request too large");
		return c->dead ? -1 : 0;
	}
	conn_dl_stop(c);		/* a request: the deadline ends */
	if (n < 0) {
		log_debug("connection %llu (%s): bad %s request", c->id,
		    c->peer, c->proto->name);
		c->closing = 1;
		c->no_read = 1;
		conn_read_stop(c);
		if (c->state == CONN_BUSY)
			c->state = CONN_FLUSH;
		if (listen_queued(c) == 0)
			conn_kill(c, "bad request");
		return -1;
	}
	return n;
}

/*
 * conn_run: start the requests in buf[0..len), one after the other, as
 * long as each is answered at once.  Returns the bytes used (the rest
 * waits: an incomplete request, or one behind a request in progress),
 * or -1 when the rest is to be dropped (see conn_request).
 */
static ssize_t
conn_run(struct listen_conn *c, const char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int burst = 0;

	while (off < len && !c->dead && c->state == CONN_IDLE &&
	    !c->closing) {
		if (c->backoff) {
			conn_backoff_start(c);
			break;
		}
		if (burst++ == LISTEN_BURST) {
			conn_give_way(c);
			break;
		}
		if (c->l->stopping) {
			conn_kill(c, "shutting down");
			return -1;
		}
		if (c->proto == NULL &&
		    conn_pick(c, (unsigned char)buf[off]) == -1)
			return -1;
		if ((n = conn_request(c, buf + off, len - off)) <= 0)
			return n < 0 ? -1 : (ssize_t)off;
		off += (size_t)n;
		/* Answered at once and written by listen_reply(): no
		 * write event will come, so go on with the next one. */
		(void)conn_written(c);
	}
	return c->dead ? -1 : (ssize_t)off;
}

/*
 * conn_give_way: c answered LISTEN_BURST requests in a row and has more
 * buffered: the rest wait for the next loop turn, after the other
 * connections (on_ready), so a client pipelining thousands of requests
 * delays the others by LISTEN_BURST requests at most.
 */
static void
conn_give_way(struct listen_conn *c)
{
	struct listen *l = c->l;

	if (!c->in_ready) {
		TAILQ_INSERT_TAIL(&l->ready, c, rentry);
		c->in_ready = 1;
		l->nready++;
	}
	event_active(l->ready_ev, EV_TIMEOUT, 1);
}

static void
on_backoff(evutil_socket_t fd, short what, void *arg)
{
	struct listen_conn *c = arg;

	(void)fd;
	(void)what;
	c->backing_off = 0;
	if (c->dead)
		return;
	conn_read_resume(c);
	conn_process(c);
}

/*
 * conn_backoff_start: read and answer nothing from c for
 * LISTEN_BACKOFF_MS (listen_backoff).  Out of memory: no pause.
 */
static void
conn_backoff_start(struct listen_conn *c)
{
	struct timeval tv = ms_tv(LISTEN_BACKOFF_MS);

	c->backoff = 0;
	if (c->bo == NULL &&
	    (c->bo = evtimer_new(c->l->base, on_backoff, c)) == NULL)
		return;
	c->backing_off = 1;
	conn_read_stop(c);
	conn_ready_leave(c);
	evtimer_add(c->bo, &tv);
}

/* conn_ready_leave: out of l->ready. */
static void
conn_ready_leave(struct listen_conn *c)
{
	if (!c->in_ready)
		return;
	TAILQ_REMOVE(&c->l->ready, c, rentry);
	c->in_ready = 0;
	c->l->nready--;
}

/* on_ready: one more turn for each connection that gave way. */
static void
on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct listen *l = arg;
	struct listen_conn *c;
	size_t n = l->nready;

	(void)fd;
	(void)what;
	while (n-- > 0 && (c = TAILQ_FIRST(&l->ready)) != NULL) {
		conn_ready_leave(c);
		conn_process(c);	/* may give way again, at the tail */
	}
}

/* conn_process: start requests while idle and input is buffered. */
static void
conn_process(struct listen_conn *c)
{
	size_t len = evbuffer_get_length(c->in);
	const char *buf;
	ssize_t used;

	if (len == 0 || c->dead || c->state != CONN_IDLE || c->closing ||
	    c->backing_off) {
		conn_deadline(c);
		return;
	}
	if ((buf = (const char *)evbuffer_pullup(c->in, -1)) == NULL) {
		conn_kill(c, "out of memory");
		return;
	}
	used = conn_run(c, buf, len);
	evbuffer_drain(c->in, used < 0 ? len : (size_t)used);
	conn_read_resume(c);
	conn_deadline(c);
}

/*
 * conn_written: if the request is answered and its answer all written, the
 * connection is idle again (or closes, when asked to).  1: idle.
 */
static int
conn_written(struct listen_conn *c)
{
	if (c->dead || c->state != CONN_FLUSH || listen_queued(c) > 0)
		return 0;
	if (c->closing || c->l->stopping) {
		conn_kill(c, NULL);
		return 0;
	}
	c->state = CONN_IDLE;
	return 1;
}

/* conn_flushed: the output buffer may be empty now. */
static void
conn_flushed(struct listen_conn *c)
{
	if (c->dead || listen_queued(c) > 0)
		return;
	if (c->state == CONN_STREAM) {
		c->more(c, c->more_arg);
		return;
	}
	if (conn_written(c))
		conn_process(c);
	conn_deadline(c);
}

static int
conn_read_start(struct listen_conn *c)
{
	if (event_add(c->rd, NULL) == -1)
		return -1;
	c->reading = 1;
	return 0;
}

static void
conn_read_stop(struct listen_conn *c)
{
	if (c->reading)
		event_del(c->rd);
	c->reading = 0;
}

/* conn_read_resume: read again after a full input buffer drained. */
static void
conn_read_resume(struct listen_conn *c)
{
	if (c->reading || c->dead || c->no_read || c->backing_off ||
	    evbuffer_get_length(c->in) >= LISTEN_INPUT_MAX)
		return;
	if (conn_read_start(c) == -1)
		conn_kill(c, "cannot enable events");
}

/* conn_read_failed: after read() returned n <= 0. */
static void
conn_read_failed(struct listen_conn *c, ssize_t n)
{
	int saved = errno;

	if (n == -1 && (saved == EAGAIN || saved == EWOULDBLOCK ||
	    saved == EINTR))
		return;
	/* EOF or an error ends reading, as in a bufferevent. */
	c->no_read = 1;
	conn_read_stop(c);
	errno = saved;		/* for on_event's message */
	on_event(c->bev, BEV_EVENT_READING | (n == 0 ? BEV_EVENT_EOF :
	    BEV_EVENT_ERROR), c);
}

/*
 * conn_read_direct: the hot path.  Nothing is buffered and no request
 * is in progress, so read into a stack buffer and start the requests
 * from there; only what they leave (an incomplete request, or one
 * pipelined behind a request in progress) is copied to c->in.  So a
 * cached lookup allocates nothing (docs/DESIGN.md §Lookup).
 */
static void
conn_read_direct(struct listen_conn *c, evutil_socket_t fd)
{
	char buf[LISTEN_READ_CHUNK];
	ssize_t n, used;

	if ((n = read(fd, buf, sizeof(buf))) <= 0) {
		conn_read_failed(c, n);
		return;
	}
	if ((used = conn_run(c, buf, (size_t)n)) >= 0 && used < n &&
	    evbuffer_add(c->in, buf + used, (size_t)(n - used)) == -1)
		conn_kill(c, "out of memory");
	conn_deadline(c);
}

/*
 * on_readable: one read(2), never buffering more than LISTEN_INPUT_MAX
 * bytes (reading pauses while that much is buffered).
 */
static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct listen_conn *c = arg;
	size_t room = LISTEN_INPUT_MAX - evbuffer_get_length(c->in);
	struct evbuffer_iovec v;
	ssize_t n;

	(void)what;
	if (c->dead || room == 0) {
		conn_read_stop(c);
		return;
	}
	if (room == LISTEN_INPUT_MAX && c->state == CONN_IDLE) {
		conn_read_direct(c, fd);
		return;
	}
	if (room > LISTEN_READ_CHUNK)
		room = LISTEN_READ_CHUNK;
	if (evbuffer_reserve_space(c->in, (ev_ssize_t)room, &v, 1) != 1) {
		conn_kill(c, "out of memory");
		return;
	}
	if ((n = read(fd, v.iov_base, room)) <= 0) {
		conn_read_failed(c, n);
		return;
	}
	v.iov_len = (size_t)n;
	evbuffer_commit_space(c->in, &v, 1);
	if (evbuffer_get_length(c->in) >= LISTEN_INPUT_MAX)
		conn_read_stop(c);
	conn_process(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_flushed(arg);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct listen_conn *c = arg;
	char why[96];

	(void)bev;
	if (c->dead)
		return;
	if ((what & BEV_EVENT_EOF) && c->req == NULL && listen_queued(c) > 0 &&
	    c->state != CONN_STREAM) {
		/* Half-closed after a request that is already answered:
		 * deliver the answer, then close. */
		c->closing = 1;
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "closed by peer%s",
		    c->req != NULL ? ", lookup cancelled" : "");
	else if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "write timeout");
	else
		snprintf(why, sizeof(why), "socket error: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	conn_kill(c, why);
}

/* --- protocol interface -------------------------------------------------- */

struct listen_env *
listen_conn_env(struct listen_conn *c)
{
	return c->l->env;
}

int
listen_conn_local(const struct listen_conn *c)
{
	return c->local;
}

/* peer_in_group: is gid among the peer's supplementary groups? */
static int
peer_in_group(const struct listen_conn *c, gid_t gid)
{
#ifdef SO_PEERGROUPS
	gid_t groups[LISTEN_GROUPS_MAX];
	socklen_t len = sizeof(groups);
	size_t i;

	if (getsockopt(bufferevent_getfd(c->bev), SOL_SOCKET, SO_PEERGROUPS,
	    groups, &len) == -1)
		return 0;	/* too many groups, or an old kernel */
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return 1;
#else
	(void)c;
	(void)gid;
#endif
	return 0;
}

int
listen_conn_admin(const struct listen_conn *c)
{
	gid_t ag = c->l->admin_gid;

	/* Over TCP the uid is known, but not the groups: Unix only. */
	if (!c->local || c->uid == (uid_t)-1)
		return 0;
	if (c->uid == 0 || c->uid == geteuid())
		return 1;
	return ag != (gid_t)-1 && (c->gid == ag || peer_in_group(c, ag));
}

const char *
listen_conn_peer(const struct listen_conn *c)
{
	return c->peer;
}

void
listen_reply(struct listen_conn *c, const void *data, size_t len)
{
	ssize_t n = 0;

	if (c->dead)
		return;
	/*
	 * The hot path: an answer given while its request is handled,
	 * with nothing queued before it, goes straight to the socket.
	 * Queueing it would arm the write event and disarm it after the
	 * next loop turn: two epoll_ctl() calls and a wake-up per request.
	 * What the socket does not take (and any error, which the
	 * bufferevent then reports) takes the usual way.
	 */
	if (c->in_request && c->state == CONN_BUSY && listen_queued(c) == 0 &&
	    (n = send(bufferevent_getfd(c->bev), data, len, MSG_DONTWAIT |
	    MSG_NOSIGNAL)) == (ssize_t)len)
		return;
	if (n < 0)
		n = 0;
	if (bufferevent_write(c->bev, (const char *)data + n,
	    len - (size_t)n) == -1)
		conn_kill(c, "out of memory");
}

size_t
listen_queued(struct listen_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void
listen_done(struct listen_conn *c, const struct stats_rec *rec)
{
	if (rec != NULL)
		stats_answer(c->l->env->stats, rec);
	if (c->state == CONN_STREAM)
		stream_end(c);
	c->state = CONN_FLUSH;
}

/* mono_us: the monotonic clock in microseconds (answer latency). */
static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * conn_quota: the discovery quota of c's user for `share`, NULL for
 * LISTEN_SHARE_MTA (the reserved part of max_pending, unbounded per
 * user).  Out of memory: a quota of 0, so nothing is started unbounded.
 */
static struct lookup_quota *
conn_quota(struct listen_conn *c, enum listen_share share)
{
	static struct lookup_quota none;	/* max 0: starts nothing */
	struct listen_peer *pe = c->pe;
	struct lookup_quota **q;

	if (share == LISTEN_SHARE_MTA)
		return NULL;
	if (pe == NULL)
		return &none;
	q = share == LISTEN_SHARE_TABLE ? &pe->table_quota : &pe->quota;
	if (*q == NULL && (*q = lookup_quota_new(0)) == NULL)
		return &none;
	(*q)->mta = share == LISTEN_SHARE_TABLE;
	(*q)->max = c->l->env->conf->max_pending_per_user;
	return *q;
}

static void
on_answer(const struct lookup_answer *ans, void *arg)
{
	struct listen_conn *c = arg;

	c->req = NULL;
	c->in_lookup = 0;
	if (c->dead)
		return;
	stats_latency(c->l->env->stats, mono_us() - c->t0);
	c->answer(c, ans);
}

void
listen_lookup(struct listen_conn *c, const char *domain, int wait,
    enum listen_share share, listen_answer_cb *cb)
{
	struct lookup_req *req = NULL;

	c->answer = cb;
	c->in_lookup = 1;
	c->t0 = mono_us();
	if (lookup_query_quota(c->l->env->lookup, domain, wait,
	    conn_quota(c, share), on_answer, c, &req) == LOOKUP_PENDING &&
	    c->in_lookup)
		c->req = req;
}

void
listen_backoff(struct listen_conn *c)
{
	c->backoff = 1;
}

void
listen_stream(struct listen_conn *c, listen_more_cb *more, void *arg,
    void (*arg_free)(void *))
{
	c->state = CONN_STREAM;
	c->more = more;
	c->more_arg = arg;
	c->more_free = arg_free;
}

/* --- start, stop, free --------------------------------------------------- */

int
listen_start(struct listen *l, struct event_base *base,
    struct listen_env *env, const struct listen_proto *const *protos,
    char *err, size_t errlen)
{
	size_t i;

	l->base = base;
	l->env = env;
	l->protos = protos;
	l->reaper = event_new(base, -1, 0, on_reap, l);
	l->resume = evtimer_new(base, on_resume, l);
	l->ready_ev = event_new(base, -1, 0, on_ready, l);
	if (l->reaper == NULL || l->resume == NULL || l->ready_ev == NULL)
		goto fail;
	for (i = 0; i < l->nsock; i++) {
		l->sock[i].l = l;
		l->sock[i].ev = event_new(base, l->sock[i].fd,
		    EV_READ | EV_PERSIST, on_accept, &l->sock[i]);
		if (l->sock[i].ev == NULL ||
		    event_add(l->sock[i].ev, NULL) == -1)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot set up listener events");
	return -1;
}

void
listen_stop(struct listen *l)
{
	struct listen_conn *c, *next;
	size_t i;

	listen_pause(l);
	l->stopping = 1;
	for (i = 0; i < l->nsock; i++) {
		if (l->sock[i].ev != NULL)
			event_free(l->sock[i].ev);
		l->sock[i].ev = NULL;
		close(l->sock[i].fd);
		l->sock[i].fd = -1;
	}
	for (c = TAILQ_FIRST(&l->live); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == CONN_IDLE)
			conn_kill(c, "shutting down");
		else
			c->closing = 1;
	}
}

size_t
listen_busy(const struct listen *l)
{
	return l->nlive;
}

void
listen_free(struct listen *l)
{
	struct listen_conn *c;
	size_t i;

	if (l == NULL)
		return;
	l->stopping = 1;	/* on_reap must not resume accepting */
	while ((c = TAILQ_FIRST(&l->live)) != NULL)
		conn_kill(c, "shutting down");
	if (l->reaper != NULL)
		on_reap(-1, 0, l);
	for (i = 0; i < l->nsock; i++) {
		if (l->sock[i].ev != NULL)
			event_free(l->sock[i].ev);
		if (l->sock[i].fd != -1)
			close(l->sock[i].fd);
	}
	if (l->unix_path != NULL && unlink(l->unix_path) == -1 &&
	    errno != ENOENT)
		log_warn("cannot remove socket %s", l->unix_path);
	if (l->reaper != NULL)
		event_free(l->reaper);
	if (l->resume != NULL)
		event_free(l->resume);
	if (l->ready_ev != NULL)
		event_free(l->ready_ev);
	while (l->npeers > 0)
		peer_drop(l, 0);
	peercred_close(l->pc);
	free(l->peers);
	free(l->unix_path);
	free(l);
}

void
listen_set_fd_room(struct listen *l, size_t n)
{
	l->fd_room = n;
	if (l->env != NULL)
		listen_resume(l);
}
