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
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "conf.h"
#include "monoclock.h"

#ifndef MTASTSD_RUNSTATEDIR
#define MTASTSD_RUNSTATEDIR "/run"
#endif
#ifndef MTASTSD_SYSCONFDIR
#define MTASTSD_SYSCONFDIR "/etc"
#endif

struct client {
	int	 fd;
	int	 timeout_ms;
	long long deadline;	/* monoclock_ms(); 0: none */
	size_t	 len;		/* bytes in buf */
	size_t	 start;		/* first byte of the next line */
	char	 buf[CLIENT_LINE_MAX + 1];
};

const char *
client_default_socket(void)
{
	return MTASTSD_RUNSTATEDIR "/mtastsd/mtastsd.sock";
}

/* client_new: an unconnected client; NULL when out of memory. */
static struct client *
client_new(int timeout_ms, char *err, size_t errlen)
{
	struct client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	return c;
}

/*
 * client_connect: a socket of `family` connected to sa, or -1.
 * SO_SNDTIMEO bounds connect() too: when the daemon's listen queue is
 * full, connect() on a Unix socket waits for room.
 */
static int
client_connect(int family, const struct sockaddr *sa, socklen_t salen,
    int timeout_ms)
{
	struct timeval tv;
	int fd, e;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if ((timeout_ms > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1) || connect(fd, sa, salen) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

const char *
client_default_config(void)
{
	return MTASTSD_SYSCONFDIR "/mtastsd/mtastsd.conf";
}

/* client_conf_socket: the "socket" option of the file path. */
static const char *
client_conf_socket(const char *path, char *err, size_t errlen)
{
	static char sock[CONF_LINE_MAX + 1];
	struct conf *c;

	if ((c = conf_load(path, err, errlen)) == NULL)
		return NULL;
	snprintf(sock, sizeof(sock), "%s", c->socket);
	conf_free(c);
	return sock;
}

const char *
client_socket(const char *opt, const char *config, char *err, size_t errlen)
{
	const char *env = getenv(CLIENT_SOCKET_ENV);

	if (opt != NULL)
		return opt;
	if (config != NULL)
		return client_conf_socket(config, err, errlen);
	if (env != NULL && *env != '\0')
		return env;
	/* Missing (not installed here) or not readable by this user
	 * (a mode the administrator chose): the compiled-in default. */
	if (access(client_default_config(), R_OK) == 0)
		return client_conf_socket(client_default_config(), err,
		    errlen);
	return client_default_socket();
}

struct client *
client_open(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct client *c;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((c = client_new(timeout_ms, err, errlen)) == NULL)
		return NULL;
	if ((c->fd = client_connect(AF_UNIX, (struct sockaddr *)&sun,
	    sizeof(sun), timeout_ms)) == -1) {
		snprintf(err, errlen, "cannot connect to mtastsd at %s: %s",
		    path, strerror(errno));
		client_close(c);
		return NULL;
	}
	return c;
}

/* client_split: "HOST:PORT" or "[ADDR]:PORT" into host and port. */
static int
client_split(const char *hostport, char *host, size_t hostlen,
    const char **port)
{
	const char *colon = strrchr(hostport, ':'), *h = hostport;
	size_t n;

	if (colon == NULL || colon[1] == '\0')
		return -1;
	n = (size_t)(colon - hostport);
	if (h[0] == '[') {
		if (n < 2 || colon[-1] != ']')
			return -1;
		h++;
		n -= 2;
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

struct client *
client_open_tcp(const char *hostport, int timeout_ms, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256];
	const char *port;
	struct client *c;
	int e = 0;

	if (client_split(hostport, host, sizeof(host), &port) == -1) {
		snprintf(err, errlen, "%s: not HOST:PORT", hostport);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(e));
		return NULL;
	}
	if ((c = client_new(timeout_ms, err, errlen)) == NULL) {
		freeaddrinfo(res);
		return NULL;
	}
	for (ai = res; ai != NULL && c->fd == -1; ai = ai->ai_next)
		if ((c->fd = client_connect(ai->ai_family, ai->ai_addr,
		    ai->ai_addrlen, timeout_ms)) == -1)
			e = errno;
	freeaddrinfo(res);
	if (c->fd == -1) {
		snprintf(err, errlen, "cannot connect to mtastsd at %s: %s",
		    hostport, strerror(e));
		client_close(c);
		return NULL;
	}
	return c;
}

void
client_set_deadline(struct client *c, long long deadline)
{
	c->deadline = deadline;
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
	long long left;
	int n, ms;

	do {
		ms = c->timeout_ms;
		if (c->deadline != 0) {
			left = c->deadline - monoclock_ms();
			ms = left <= 0 ? 0 : left < ms ? (int)left : ms;
		}
	} while ((n = poll(&pfd, 1, ms)) == -1 && errno == EINTR);
	if (n == 1)
		return 0;
	snprintf(err, errlen, n == 0 ? "mtastsd did not answer in time" :
	    "poll: %s", strerror(errno));
	return -1;
}

int
client_write(struct client *c, const void *data, size_t len, char *err,
    size_t errlen)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		if (client_wait(c, POLLOUT, err, errlen) == -1)
			return -1;
		n = send(c->fd, (const char *)data + off, len - off,
		    MSG_NOSIGNAL);
		if (n == -1 && errno != EINTR && errno != EAGAIN) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			return -1;
		}
		if (n > 0)
			off += (size_t)n;
	}
	return 0;
}

int
client_send(struct client *c, const char *line, char *err, size_t errlen)
{
	size_t len = strlen(line);
	char *msg;
	int rc;

	if ((msg = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(msg, line, len);
	msg[len++] = '\n';
	rc = client_write(c, msg, len, err, errlen);
	free(msg);
	return rc;
}

/* client_take: a complete reply up to `end` in the buffer, or NULL. */
static const char *
client_take(struct client *c, char end)
{
	char *e, *line;

	e = memchr(c->buf + c->start, end, c->len - c->start);
	if (e == NULL)
		return NULL;
	*e = '\0';
	line = c->buf + c->start;
	c->start = (size_t)(e - c->buf) + 1;
	return line;
}

const char *
client_recv_until(struct client *c, char end, char *err, size_t errlen)
{
	const char *line;
	ssize_t n;

	for (;;) {
		if ((line = client_take(c, end)) != NULL)
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

const char *
client_recv(struct client *c, char *err, size_t errlen)
{
	return client_recv_until(c, '\n', err, errlen);
}

struct cJSON *
client_next(struct client *c, const char **line, char *err, size_t errlen)
{
	const char *l;
	cJSON *r;

	if ((l = client_recv(c, err, errlen)) == NULL)
		return NULL;
	if ((r = cJSON_Parse(l)) == NULL || !cJSON_IsObject(r)) {
		cJSON_Delete(r);
		snprintf(err, errlen, "bad reply from mtastsd");
		return NULL;
	}
	if (line != NULL)
		*line = l;
	return r;
}

struct cJSON *
client_call(struct client *c, const struct cJSON *req, const char **line,
    char *err, size_t errlen)
{
	char *s;
	int rc;

	if ((s = cJSON_PrintUnformatted(req)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = client_send(c, s, err, errlen);
	cJSON_free(s);
	return rc == -1 ? NULL : client_next(c, line, err, errlen);
}

struct cJSON *
client_request(const char *op, const char *key, const char *val)
{
	cJSON *req;

	if ((req = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(req, "op", op) == NULL ||
	    (val != NULL && cJSON_AddStringToObject(req, key, val) == NULL)) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

const char *
client_str(const struct cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *
client_str_or(const struct cJSON *obj, const char *key, const char *dflt)
{
	const char *v = client_str(obj, key);

	return v != NULL ? v : dflt;
}

double
client_num(const struct cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

int
client_true(const struct cJSON *obj, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

int
client_refused(const struct cJSON *reply)
{
	return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(reply, "ok"));
}
