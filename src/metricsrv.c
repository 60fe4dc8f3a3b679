/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * metricsrv.c: the metrics endpoint; see metricsrv.h.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cfgsyn.h"
#include "log.h"
#include "metrics.h"
#include "metricsrv.h"
#include "promfmt.h"

#define METRICSRV_BACKLOG	16
#define METRICSRV_PATH		"/metrics"
#define METRICSRV_TYPE		"text/plain; version=0.0.4; charset=utf-8"

struct metricsrv {
	int		 fd;
	struct evhttp	*http;
	metricsrv_collect_cb *collect;
	void		*arg;
};

static int
bind_socket(const struct addrinfo *ai)
{
	int fd, on = 1, e;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, METRICSRV_BACKLOG) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct metricsrv *
metricsrv_open(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct metricsrv *ms;
	char host[64], port[8];
	int r;

	if (cfgsyn_hostport(spec, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		snprintf(err, errlen, "metrics_listen %s: expected ADDR:PORT "
		    "or [ADDR]:PORT with a numeric address", spec);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "metrics_listen %s: %s", spec,
		    gai_strerror(r));
		return NULL;
	}
	if ((ms = calloc(1, sizeof(*ms))) == NULL) {
		freeaddrinfo(ai);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ms->fd = bind_socket(ai);
	freeaddrinfo(ai);
	if (ms->fd == -1) {
		snprintf(err, errlen, "metrics_listen %s: %s", spec,
		    strerror(errno));
		free(ms);
		return NULL;
	}
	return ms;
}

/* reply: a short text answer with status code. */
static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	if (b != NULL)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

/* serve: render a snapshot; 500 if the text could not be written. */
static void
serve(struct metricsrv *ms, struct evhttp_request *req)
{
	struct metrics_snap snap;
	struct promfmt f;
	struct evbuffer *b;
	char len[32];

	memset(&snap, 0, sizeof(snap));
	ms->collect(&snap, ms->arg);
	promfmt_init(&f);
	metrics_render(&snap, &f);
	if (promfmt_error(&f) != NULL || (b = evbuffer_new()) == NULL) {
		log_warnx("metrics: %s", promfmt_error(&f) != NULL ?
		    promfmt_error(&f) : "out of memory");
		promfmt_fini(&f);
		reply_text(req, 500, "Internal Server Error",
		    "cannot render the metrics");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", METRICSRV_TYPE);
	/* evhttp 2.1 would send a body with HEAD: give only its length
	 * (evhttp keeps a Content-Length that is already set). */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof(len), "%zu", f.len);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Length", len);
	} else
		evbuffer_add(b, f.buf, f.len);
	promfmt_fini(&f);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

	if (path == NULL || strcmp(path, METRICSRV_PATH) != 0) {
		reply_text(req, 404, "Not Found", "not found: try /metrics");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed",
		    "method not allowed: GET or HEAD");
		return;
	}
	serve(arg, req);
}

int
metricsrv_start(struct metricsrv *ms, struct event_base *base,
    metricsrv_collect_cb *collect, void *arg, char *err, size_t errlen)
{
	ms->collect = collect;
	ms->arg = arg;
	if ((ms->http = evhttp_new(base)) == NULL)
		goto fail;
	evhttp_set_timeout(ms->http, METRICSRV_TIMEOUT_S);
	evhttp_set_max_headers_size(ms->http, METRICSRV_HEADERS_MAX);
	evhttp_set_max_body_size(ms->http, METRICSRV_BODY_MAX);
	/* Every method reaches on_request, which answers 405 itself
	 * (evhttp's own refusal would be 501). */
	evhttp_set_allowed_methods(ms->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(ms->http, on_request, ms);
	if (evhttp_accept_socket(ms->http, ms->fd) == -1)
		goto fail;
	ms->fd = -1;		/* evhttp owns it now */
	return 0;
fail:
	snprintf(err, errlen, "metrics_listen: cannot set up the HTTP server");
	return -1;
}

void
metricsrv_free(struct metricsrv *ms)
{
	if (ms == NULL)
		return;
	if (ms->http != NULL)
		evhttp_free(ms->http);
	if (ms->fd != -1)
		close(ms->fd);
	free(ms);
}
