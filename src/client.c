/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * client.c: blocking JSON-lines client of the daemon socket; see
 * client.h.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#ifndef MTASTSD_RUNSTATEDIR
#define MTASTSD_RUNSTATEDIR "/run"
#endif

struct client {
	int	 fd;
	int	 timeout_ms;
	size_t	 len;		/* bytes in buf */
	size_t	 start;		/* first byte of the next line */
	char	 buf[CLIENT_LINE_MAX + 1];
};

const char *
client_default_socket(void)
{
	return MTASTSD_RUNSTATEDIR "/mtastsd/mtastsd.sock";
}

struct client *
client_open(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv;
	struct client *c;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->timeout_ms = timeout_ms;
	/* SO_SNDTIMEO bounds connect() too: when the daemon's listen
	 * queue is full, connect() on a Unix socket waits for room. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    (timeout_ms > 0 && setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO,
	    &tv, sizeof(tv)) == -1) ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "cannot connect to mtastsd at %s: %s",
		    path, strerror(errno));
		client_close(c);
		return NULL;
	}
	return c;
}

void
client_set_timeout(struct client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

void
client_close(struct client *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c);
}

/* client_wait: poll for `events`; 0 when ready, -1 on timeout/error. */
static int
client_wait(struct client *c, short events, char *err, size_t errlen)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int n;

	while ((n = poll(&pfd, 1, c->timeout_ms)) == -1 && errno == EINTR)
		;
	if (n == 1)
		return 0;
	snprintf(err, errlen, n == 0 ? "mtastsd did not answer in time" :
	    "poll: %s", strerror(errno));
	return -1;
}

int
client_send(struct client *c, const char *line, char *err, size_t errlen)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;
	char *msg;

	if ((msg = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(msg, line, len);
	msg[len++] = '\n';
	while (off < len) {
		if (client_wait(c, POLLOUT, err, errlen) == -1)
			break;
		n = send(c->fd, msg + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno != EINTR && errno != EAGAIN) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			break;
		}
		if (n > 0)
			off += (size_t)n;
	}
	free(msg);
	return off == len ? 0 : -1;
}

/* client_line: a complete line in the buffer, or NULL. */
static const char *
client_line(struct client *c)
{
	char *nl, *line;

	nl = memchr(c->buf + c->start, '\n', c->len - c->start);
	if (nl == NULL)
		return NULL;
	*nl = '\0';
	line = c->buf + c->start;
	c->start = (size_t)(nl - c->buf) + 1;
	return line;
}

const char *
client_recv(struct client *c, char *err, size_t errlen)
{
	const char *line;
	ssize_t n;

	for (;;) {
		if ((line = client_line(c)) != NULL)
			return line;
		/* Keep the partial line; drop what was handed out. */
		memmove(c->buf, c->buf + c->start, c->len - c->start);
		c->len -= c->start;
		c->start = 0;
		if (c->len >= CLIENT_LINE_MAX) {
			snprintf(err, errlen, "reply line too long");
			return NULL;
		}
		if (client_wait(c, POLLIN, err, errlen) == -1)
			return NULL;
		n = recv(c->fd, c->buf + c->len, CLIENT_LINE_MAX - c->len, 0);
		if (n == 0) {
			snprintf(err, errlen, "mtastsd closed the connection");
			return NULL;
		}
		if (n == -1 && errno != EINTR && errno != EAGAIN) {
			snprintf(err, errlen, "recv: %s", strerror(errno));
			return NULL;
		}
		if (n > 0)
			c->len += (size_t)n;
	}
}
