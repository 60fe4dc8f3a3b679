/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * nullmap.c: a null Postfix socketmap server, the floor of the
 * benchmark (docs/PERFORMANCE.md).
 *
 * usage: nullmap [-r reply] [-u path] [-l addr:port]
 *   -r reply     the netstring payload sent for every request (default
 *                "OK secure match=mx.example.test servername=hostname")
 *   -u path      listen on this Unix socket (mode 0666)
 *   -l addr:port listen on this TCP address (numeric IPv4)
 * At least one of -u and -l.  SIGTERM or SIGINT: remove the socket file
 * and exit 0.
 *
 * What it does per request is what any socketmap server must do and no
 * more: one event loop thread (epoll, like mtastsd's libevent loop), a
 * read, the netstring framing checked, a constant answer written.  So
 * its CPU per request and its latency are what this machine's kernel
 * and loopback cost: how close mtastsd comes to it is the measure of
 * mtastsd's own overhead.  Requests that are not netstrings close the
 * connection; pipelined requests are answered in order.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NULLMAP_INPUT_MAX	10016	/* as mtastsd: one whole request */
#define NULLMAP_QUERY_MAX	10000	/* Postfix's socketmap_max_query_size */
#define NULLMAP_EVENTS		256
#define NULLMAP_REPLY_MAX	100000
#define NULLMAP_DEFAULT_REPLY \
	"OK secure match=mx.example.test servername=hostname"

struct nconn {
	int		 fd;
	int		 listener;	/* 1: a listening socket */
	int		 tcp;		/* a TCP listener */
	size_t		 ilen;
	char		 in[NULLMAP_INPUT_MAX];
	char		*out;		/* unwritten answers, or NULL */
	size_t		 olen, ocap;
};

struct server {
	int		 ep;
	char		*wire;		/* the framed answer */
	size_t		 wlen;
	const char	*unix_path;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* frame: -1 malformed, 0 incomplete, else the request's length. */
static long
frame(const char *b, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && b[i] >= '0' && b[i] <= '9'; i++) {
		n = n * 10 + (size_t)(b[i] - '0');
		if (n > NULLMAP_QUERY_MAX)
			return -1;
	}
	if (i == len)
		return 0;
	if (i == 0 || b[i] != ':')
		return -1;
	if (len < i + n + 2)
		return 0;
	return b[i + 1 + n] == ',' ? (long)(i + n + 2) : -1;
}

static void
conn_free(struct server *s, struct nconn *c)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
}

/* queue: keep n answers that could not be written yet. */
static int
queue(struct nconn *c, const char *data, size_t n)
{
	char *nb;

	if (c->olen + n > c->ocap) {
		if ((nb = realloc(c->out, c->olen + n)) == NULL)
			return -1;
		c->out = nb;
		c->ocap = c->olen + n;
	}
	memcpy(c->out + c->olen, data, n);
	c->olen += n;
	return 0;
}

/* flush: write what is queued; EPOLLOUT only while something is. */
static int
flush(struct server *s, struct nconn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	ssize_t n;

	n = write(c->fd, c->out, c->olen);
	if (n == -1 && errno != EAGAIN)
		return -1;
	if (n > 0) {
		memmove(c->out, c->out + n, c->olen - (size_t)n);
		c->olen -= (size_t)n;
	}
	if (c->olen > 0)
		ev.events = EPOLLOUT;	/* stop reading until it drains */
	return epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* answer: one answer per complete request in the input.  -1: close. */
static int
answer(struct server *s, struct nconn *c)
{
	size_t done = 0, k = 0;
	ssize_t n;
	long r;

	while ((r = frame(c->in + done, c->ilen - done)) > 0) {
		done += (size_t)r;
		k++;
	}
	if (r < 0)
		return -1;
	memmove(c->in, c->in + done, c->ilen - done);
	c->ilen -= done;
	if (k == 1) {
		/* The usual case: one answer, one write. */
		n = write(c->fd, s->wire, s->wlen);
		if (n == (ssize_t)s->wlen)
			return 0;
		if (n == -1 && errno != EAGAIN)
			return -1;
		return queue(c, s->wire + (n > 0 ? n : 0), s->wlen -
		    (size_t)(n > 0 ? n : 0)) == -1 ? -1 : flush(s, c);
	}
	while (k-- > 0)
		if (queue(c, s->wire, s->wlen) == -1)
			return -1;
	return c->olen > 0 ? flush(s, c) : 0;
}

static void
on_readable(struct server *s, struct nconn *c)
{
	ssize_t n;

	n = read(c->fd, c->in + c->ilen, sizeof(c->in) - c->ilen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(s, c);
		return;
	}
	c->ilen += (size_t)n;
	if (answer(s, c) == -1)
		conn_free(s, c);
}

static void
on_accept(struct server *s, struct nconn *l)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct nconn *c;
	int fd, on = 1;

	while ((fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		if (l->tcp)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof(on));
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			close(fd);
			free(c);
		}
	}
}

/* add_listener: watch listening socket fd.  -1 on failure. */
static int
add_listener(struct server *s, int fd, int tcp)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct nconn *l;

	if (fd == -1 || listen(fd, 512) == -1 ||
	    (l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	l->fd = fd;
	l->listener = 1;
	l->tcp = tcp;
	ev.data.ptr = l;
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

static int
listen_unix(struct server *s, const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0666) == -1)
		return -1;
	s->unix_path = path;
	return add_listener(s, fd, 0);
}

static int
listen_tcp(struct server *s, const char *spec)
{
	struct sockaddr_in sin;
	char host[64];
	const char *colon = strrchr(spec, ':');
	int fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return -1;
	return add_listener(s, fd, 1);
}

static void
serve(struct server *s)
{
	struct epoll_event evs[NULLMAP_EVENTS];
	int i, n;

	while (!stop) {
		if ((n = epoll_wait(s->ep, evs, NULLMAP_EVENTS, -1)) == -1)
			continue;	/* EINTR: look at stop */
		for (i = 0; i < n; i++) {
			struct nconn *c = evs[i].data.ptr;

			if (c->listener)
				on_accept(s, c);
			else if (evs[i].events & EPOLLOUT) {
				if (flush(s, c) == -1)
					conn_free(s, c);
			} else
				on_readable(s, c);
		}
	}
}

static int
set_reply(struct server *s, const char *reply)
{
	size_t len = strlen(reply);

	if (len > NULLMAP_REPLY_MAX || (s->wire = malloc(len + 16)) == NULL)
		return -1;
	s->wlen = (size_t)snprintf(s->wire, len + 16, "%zu:%s,", len, reply);
	return 0;
}

int
main(int argc, char **argv)
{
	struct server s = { .ep = -1 };
	struct sigaction sa;
	const char *reply = NULLMAP_DEFAULT_REPLY, *upath = NULL, *tcp = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "l:r:u:")) != -1) {
		switch (ch) {
		case 'l': tcp = optarg; break;
		case 'r': reply = optarg; break;
		case 'u': upath = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc || (upath == NULL && tcp == NULL))
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (set_reply(&s, reply) == -1 ||
	    (s.ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (upath != NULL && listen_unix(&s, upath) == -1) ||
	    (tcp != NULL && listen_tcp(&s, tcp) == -1)) {
		fprintf(stderr, "nullmap: %s\n", strerror(errno));
		return 1;
	}
	serve(&s);
	if (s.unix_path != NULL)
		(void)unlink(s.unix_path);
	return 0;
usage:
	fprintf(stderr, "usage: nullmap [-r reply] [-u path] [-l addr:port]\n");
	return 2;
}
