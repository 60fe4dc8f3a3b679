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
#include "log.h"
#include "lookup.h"

#define LISTEN_BACKLOG		512
#define LISTEN_ACCEPT_BATCH	64	/* accepts per wake-up */
#define LISTEN_PEER_MAX		80
#define LISTEN_WARN_EVERY	10	/* s between accept() warnings */
#define LISTEN_READ_CHUNK	4096	/* most bytes one read(2) asks for */

enum conn_state {
	CONN_IDLE = 0,
	CONN_BUSY,
	CONN_FLUSH,
	CONN_STREAM
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
	char		 peer[LISTEN_PEER_MAX];
	TAILQ_ENTRY(listen_conn) entry;
};
TAILQ_HEAD(conn_list, listen_conn);

struct listen {
	struct event_base *base;
	struct listen_env *env;
	const struct listen_proto *const *protos;
	struct listen_sock sock[2];	/* Unix, TCP */
	size_t		 nsock;
	char		*unix_path;	/* to remove at exit */
	struct conn_list live, dead;
	size_t		 nlive, ndead;
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

/* unix_perms: socket_owner, socket_group, socket_mode. */
static int
unix_perms(const struct conf *conf, char *err, size_t errlen)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (conf->socket_owner[0] != '\0' &&
	    daemon_uid(conf->socket_owner, &uid) == -1) {
		snprintf(err, errlen, "socket_owner %s: no such user",
		    conf->socket_owner);
		return -1;
	}
	if (conf->socket_group[0] != '\0' &&
	    daemon_gid(conf->socket_group, &gid) == -1) {
		snprintf(err, errlen, "socket_group %s: no such group",
		    conf->socket_group);
		return -1;
	}
	if (((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(conf->socket, uid, gid) == -1) ||
	    chmod(conf->socket, conf->socket_mode) == -1) {
		snprintf(err, errlen, "%s: %s", conf->socket, strerror(errno));
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
	mode_t old;
	int fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(conf->socket) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket %s: path too long", conf->socket);
		return -1;
	}
	memcpy(sun.sun_path, conf->socket, strlen(conf->socket));
	if (unix_parent(conf->socket, uid, gid, err, errlen) == -1 ||
	    unix_stale(conf->socket, &sun, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* No window in which the socket is open to everybody. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
		snprintf(err, errlen, "%s: %s", conf->socket, strerror(errno));
		close(fd);
		return -1;
	}
	l->sock[l->nsock++].fd = fd;
	if ((l->unix_path = strdup(conf->socket)) == NULL ||
	    unix_perms(conf, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * tcp_split: "ADDR:PORT" or "[ADDR]:PORT" into host and port (copies).
 * Only numeric addresses: no name lookup, which could block or lie.
 */
static int
tcp_split(const char *spec, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *h = spec;
	size_t hl;

	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL)
			return -1;
		h = spec + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - h);
		if (memchr(h, ':', hl) != NULL)
			return -1;	/* IPv6 needs brackets */
	}
	if (hl == 0 || hl >= hostlen || strlen(colon + 1) >= portlen ||
	    colon[1] == '\0' || strspn(colon + 1, "0123456789") !=
	    strlen(colon + 1))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
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

	if (tcp_split(spec, host, sizeof(host), port, sizeof(port)) == -1) {
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
	if (listen_unix(l, conf, dir_uid, dir_gid, err, errlen) == -1 ||
	    (conf->listen_tcp[0] != '\0' &&
	    listen_tcp(l, conf->listen_tcp, err, errlen) == -1)) {
		listen_free(l);
		return NULL;
	}
	return l;
}

/* --- accepting ----------------------------------------------------------- */

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

/* listen_resume: accept again if there is room and nothing forbids it. */
static void
listen_resume(struct listen *l)
{
	size_t i;

	if (!l->paused || l->stopping ||
	    evtimer_pending(l->resume, NULL) ||
	    l->nlive + l->ndead >= l->env->conf->max_connections)
		return;
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

/* conn_peer: a printable peer name for logs. */
static void
conn_peer(struct listen_conn *c, int s, const struct sockaddr_storage *ss,
    socklen_t slen)
{
	char host[48], serv[8];
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int on = 1;

	if (ss->ss_family == AF_UNIX) {
		c->local = 1;
		if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0)
			snprintf(c->peer, sizeof(c->peer), "unix uid=%u pid=%d",
			    (unsigned)uc.uid, (int)uc.pid);
		else
			snprintf(c->peer, sizeof(c->peer), "unix");
		return;
	}
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (getnameinfo((const struct sockaddr *)ss, slen, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(c->peer, sizeof(c->peer), "%s:%s", host, serv);
	else
		snprintf(c->peer, sizeof(c->peer), "tcp");
}

static void	on_readable(evutil_socket_t, short, void *);
static void	on_write(struct bufferevent *, void *);
static void	on_event(struct bufferevent *, short, void *);
static void	on_idle(evutil_socket_t, short, void *);
static void	conn_idle_arm(struct listen_conn *);

static struct timeval
ms_tv(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

/* conn_new: take over socket s.  -1: s is still the caller's. */
static int
conn_new(struct listen *l, int s, const struct sockaddr_storage *ss,
    socklen_t slen)
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
	conn_peer(c, s, ss, slen);
	bufferevent_setcb(c->bev, NULL, on_write, on_event, c);
	/* A write that makes no progress this long: the peer is stuck. */
	bufferevent_set_timeouts(c->bev, NULL, &wtv);
	TAILQ_INSERT_TAIL(&l->live, c, entry);
	l->nlive++;
	l->env->stats->conns_open++;
	l->env->stats->conns_total++;
	if (bufferevent_enable(c->bev, EV_WRITE) == -1 ||
	    conn_read_start(c) == -1) {
		conn_kill(c, "cannot enable events");
		return 0;
	}
	conn_idle_arm(c);
	log_debug("connection %llu from %s", c->id, c->peer);
	return 0;
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct listen_sock *ls = arg;
	struct listen *l = ls->l;
	struct sockaddr_storage ss;
	socklen_t slen;
	int i, s;

	(void)what;
	for (i = 0; i < LISTEN_ACCEPT_BATCH; i++) {
		if (l->nlive + l->ndead >= l->env->conf->max_connections) {
			log_debug("max_connections (%u) reached: pausing "
			    "accept", l->env->conf->max_connections);
			if (!l->paused)
				l->env->stats->conns_limit++;
			listen_pause(l);
			return;
		}
		slen = sizeof(ss);
		s = accept4(fd, (struct sockaddr *)&ss, &slen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			accept_failed(l, errno);
			return;
		}
		if (conn_new(l, s, &ss, slen) == -1) {
			log_warnx("out of memory: connection dropped");
			close(s);
			return;
		}
	}
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
	TAILQ_REMOVE(&l->live, c, entry);
	l->nlive--;
	TAILQ_INSERT_TAIL(&l->dead, c, entry);
	l->ndead++;
	event_active(l->reaper, EV_TIMEOUT, 1);
	log_debug("connection %llu (%s) closed: %s", c->id, c->peer,
	    why != NULL ? why : "done");
}

/* conn_idle_stop: stop the idle deadline; after conn_pick() it never
 * runs for a protocol without one, so there is nothing to stop. */
static void
conn_idle_stop(struct listen_conn *c)
{
	if (c->proto == NULL || c->proto->idle_deadline)
		evtimer_del(c->idle);
}

/* conn_idle_arm: start the idle deadline if this protocol has one. */
static void
conn_idle_arm(struct listen_conn *c)
{
	struct timeval tv = ms_tv(c->l->env->conf->client_idle_timeout);

	if (c->proto != NULL && !c->proto->idle_deadline)
		return;
	evtimer_add(c->idle, &tv);
}

static void
on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct listen_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->dead)
		return;
	c->l->env->stats->conns_idle_closed++;
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
		if (!c->proto->idle_deadline)
			evtimer_del(c->idle);
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
	conn_idle_stop(c);
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

	while (off < len && !c->dead && c->state == CONN_IDLE &&
	    !c->closing) {
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

/* conn_process: start requests while idle and input is buffered. */
static void
conn_process(struct listen_conn *c)
{
	size_t len = evbuffer_get_length(c->in);
	const char *buf;
	ssize_t used;

	if (len == 0 || c->dead || c->state != CONN_IDLE || c->closing)
		return;
	if ((buf = (const char *)evbuffer_pullup(c->in, -1)) == NULL) {
		conn_kill(c, "out of memory");
		return;
	}
	used = conn_run(c, buf, len);
	evbuffer_drain(c->in, used < 0 ? len : (size_t)used);
	conn_read_resume(c);
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
	conn_idle_stop(c);
	conn_idle_arm(c);
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
	if (c->reading || c->dead || c->no_read ||
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
	if ((used = conn_run(c, buf, (size_t)n)) < 0 || used == n)
		return;
	if (evbuffer_add(c->in, buf + used, (size_t)(n - used)) == -1)
		conn_kill(c, "out of memory");
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
    listen_answer_cb *cb)
{
	struct lookup_req *req = NULL;

	c->answer = cb;
	c->in_lookup = 1;
	c->t0 = mono_us();
	if (lookup_query(c->l->env->lookup, domain, wait, on_answer, c,
	    &req) == LOOKUP_PENDING && c->in_lookup)
		c->req = req;
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
	if (l->reaper == NULL || l->resume == NULL)
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
	free(l->unix_path);
	free(l);
}
