/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * smtpprobe.c: one SMTP conversation per address, up to a TLS
 * handshake and QUIT (smtpprobe.h).
 *
 * Each probe is a small state machine on the loop: one I/O event on
 * its socket (re-armed for read or write as the step needs) and one
 * step timer.  The plain-text part is read through smtpreply.c; the
 * TLS part is OpenSSL on the same non-blocking socket, driven by
 * SSL_ERROR_WANT_READ / _WANT_WRITE.  A finished probe is closed at
 * once and put on the prober's done list; the reaper event calls the
 * user back and frees it, so no event is freed inside its own callback
 * and no callback runs before smtpprobe_start() returned
 * (docs/DESIGN.md §Event loop).
 *
 * Certificates are checked as RFC 8461 §4 wants and the way discovery
 * checks the policy host (resolver/fetch.h): chain to the CA file or
 * the system store, the MX host name in a subjectAltName dNSName only
 * (never the subject CN), a wildcard only as a whole left-most label.
 * The handshake goes on when the check fails (SSL_VERIFY_NONE), so the
 * result can say why, and which protocol and cipher were chosen.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "monoclock.h"
#include "smtpprobe.h"
#include "smtpreply.h"

#define SMTPPROBE_IN_MAX	(2 * SMTPREPLY_LINE_MAX)

struct smtpprobe_req {
	struct smtpprobe	*p;
	char			 host[DNS_NAME_MAX + 1];
	int			 fd;
	struct event		*io;
	struct event		*timer;
	SSL			*ssl;
	char			 in[SMTPPROBE_IN_MAX];
	size_t			 inlen;
	char			 out[DNS_NAME_MAX + 16];
	size_t			 outlen;
	struct smtpreply	 reply;
	struct smtpprobe_result	 res;
	long			 start_ms;
	int			 done;
	smtpprobe_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(smtpprobe_req) entry;
};

TAILQ_HEAD(smtpprobe_reqs, smtpprobe_req);

struct smtpprobe {
	struct event_base	*base;
	SSL_CTX			*ctx;
	unsigned		 port;
	int			 step_ms;
	char			 helo[DNS_NAME_MAX + 1];
	struct event		*reaper;
	struct smtpprobe_reqs	 running, done;
};

static void	sp_fail(struct smtpprobe_req *, enum smtpprobe_status,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
static void	sp_finish(struct smtpprobe_req *);
static void	sp_close(struct smtpprobe_req *);
static void	sp_arm(struct smtpprobe_req *, short);
static void	sp_step(struct smtpprobe_req *, enum smtpprobe_step);
static void	sp_on_io(evutil_socket_t, short, void *);
static void	sp_on_timer(evutil_socket_t, short, void *);
static void	sp_on_reap(evutil_socket_t, short, void *);
static void	sp_send(struct smtpprobe_req *, const char *);
static void	sp_flush(struct smtpprobe_req *);
static void	sp_read(struct smtpprobe_req *);
static void	sp_on_reply(struct smtpprobe_req *);
static void	sp_tls_start(struct smtpprobe_req *);
static void	sp_tls_step(struct smtpprobe_req *);
static void	sp_tls_done(struct smtpprobe_req *);
static void	sp_tls_error(struct smtpprobe_req *, int);
static int	sp_connect(struct smtpprobe_req *, const struct dns_addr *);
static int	sp_digests(X509 *, struct smtpprobe_digests *);
static void	sp_chain(struct smtpprobe_req *);
static void	sp_free(struct smtpprobe_req *);

const char *
smtpprobe_status_str(enum smtpprobe_status s)
{
	static const char *const names[] = { "ok", "connect", "timeout",
	    "rejected", "protocol", "no-starttls", "tls", "error" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ?
	    names[s] : "unknown";
}

const char *
smtpprobe_step_str(enum smtpprobe_step s)
{
	static const char *const names[] = { "connect", "greeting", "ehlo",
	    "starttls", "handshake", "quit" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ?
	    names[s] : "unknown";
}

/* ---- life cycle ---- */

static SSL_CTX *
sp_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	/* RFC 8996: nothing older than TLS 1.2. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, ca_file,
	    NULL) != 1 : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "cannot load the CA certificates%s%s",
		    ca_file ? " from " : "", ca_file ? ca_file : "");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct smtpprobe *
smtpprobe_new(struct event_base *base, const struct smtpprobe_conf *conf,
    char *err, size_t errlen)
{
	struct smtpprobe *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->base = base;
	p->port = conf->port != 0 ? conf->port : 25;
	p->step_ms = conf->step_timeout_ms > 0 ? conf->step_timeout_ms : 1;
	snprintf(p->helo, sizeof(p->helo), "%s",
	    conf->helo_name != NULL ? conf->helo_name : "localhost");
	TAILQ_INIT(&p->running);
	TAILQ_INIT(&p->done);
	if ((p->reaper = event_new(base, -1, 0, sp_on_reap, p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((p->ctx = sp_ctx_new(conf->ca_file, err, errlen)) == NULL)
		goto fail;
	return p;
fail:
	smtpprobe_free(p);
	return NULL;
}

static void
sp_free(struct smtpprobe_req *r)
{
	sp_close(r);
	if (r->io != NULL)
		event_free(r->io);
	if (r->timer != NULL)
		event_free(r->timer);
	free(r);
}

void
smtpprobe_free(struct smtpprobe *p)
{
	struct smtpprobe_req *r;

	if (p == NULL)
		return;
	while ((r = TAILQ_FIRST(&p->running)) != NULL) {
		TAILQ_REMOVE(&p->running, r, entry);
		sp_free(r);
	}
	while ((r = TAILQ_FIRST(&p->done)) != NULL) {
		TAILQ_REMOVE(&p->done, r, entry);
		sp_free(r);
	}
	if (p->reaper != NULL)
		event_free(p->reaper);
	SSL_CTX_free(p->ctx);
	free(p);
}

void
smtpprobe_cancel(struct smtpprobe_req *r)
{
	if (r == NULL)
		return;
	TAILQ_REMOVE(r->done ? &r->p->done : &r->p->running, r, entry);
	sp_free(r);
}

/* Close the connection; the events stay until sp_free(). */
static void
sp_close(struct smtpprobe_req *r)
{
	if (r->io != NULL)
		event_del(r->io);
	if (r->timer != NULL)
		event_del(r->timer);
	if (r->ssl != NULL) {
		SSL_free(r->ssl);
		r->ssl = NULL;
	}
	if (r->fd != -1) {
		close(r->fd);
		r->fd = -1;
	}
}

static void
sp_finish(struct smtpprobe_req *r)
{
	struct smtpprobe *p = r->p;

	sp_close(r);
	r->res.ms = monoclock_ms() - r->start_ms;
	TAILQ_REMOVE(&p->running, r, entry);
	TAILQ_INSERT_TAIL(&p->done, r, entry);
	r->done = 1;
	event_active(p->reaper, EV_TIMEOUT, 1);
}

static void
sp_fail(struct smtpprobe_req *r, enum smtpprobe_status st, const char *fmt,
    ...)
{
	va_list ap;

	r->res.status = st;
	va_start(ap, fmt);
	vsnprintf(r->res.detail, sizeof(r->res.detail), fmt, ap);
	va_end(ap);
	sp_finish(r);
}

static void
sp_on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe *p = arg;
	struct smtpprobe_req *r;

	(void)fd;
	(void)what;
	while ((r = TAILQ_FIRST(&p->done)) != NULL) {
		TAILQ_REMOVE(&p->done, r, entry);
		r->cb(&r->res, r->arg);
		sp_free(r);
	}
}

/* ---- events ---- */

static void
sp_arm(struct smtpprobe_req *r, short what)
{
	event_del(r->io);
	event_assign(r->io, r->p->base, r->fd, what, sp_on_io, r);
	event_add(r->io, NULL);
}

/* Each step gets the whole step timeout. */
static void
sp_step(struct smtpprobe_req *r, enum smtpprobe_step step)
{
	struct timeval tv;

	r->res.step = step;
	tv.tv_sec = r->p->step_ms / 1000;
	tv.tv_usec = (r->p->step_ms % 1000) * 1000;
	evtimer_add(r->timer, &tv);
}

static void
sp_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe_req *r = arg;

	(void)fd;
	(void)what;
	sp_fail(r, SMTPPROBE_TIMEOUT, "no progress within %d ms",
	    r->p->step_ms);
}

static void
sp_on_connected(struct smtpprobe_req *r)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		sp_fail(r, SMTPPROBE_CONNECT, "%s", strerror(err));
		return;
	}
	sp_step(r, SMTPPROBE_STEP_GREETING);
	smtpreply_init(&r->reply);
	sp_arm(r, EV_READ);
}

static void
sp_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe_req *r = arg;

	(void)fd;
	(void)what;
	if (r->res.step == SMTPPROBE_STEP_CONNECT)
		sp_on_connected(r);
	else if (r->ssl != NULL)
		sp_tls_step(r);
	else if (r->outlen > 0)
		sp_flush(r);
	else
		sp_read(r);
}

/* ---- plain-text SMTP ---- */

static void
sp_send(struct smtpprobe_req *r, const char *line)
{
	r->outlen = (size_t)snprintf(r->out, sizeof(r->out), "%s\r\n", line);
	smtpreply_init(&r->reply);
	sp_flush(r);
}

static void
sp_flush(struct smtpprobe_req *r)
{
	ssize_t n;

	n = send(r->fd, r->out, r->outlen, MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		sp_arm(r, EV_WRITE);
		return;
	}
	if (n == -1) {
		sp_fail(r, SMTPPROBE_PROTOCOL, "send: %s", strerror(errno));
		return;
	}
	memmove(r->out, r->out + n, r->outlen - (size_t)n);
	r->outlen -= (size_t)n;
	sp_arm(r, r->outlen > 0 ? EV_WRITE : EV_READ);
}

static void
sp_read(struct smtpprobe_req *r)
{
	const char *why = NULL;
	size_t used;
	ssize_t n;

	n = recv(r->fd, r->in + r->inlen, sizeof(r->in) - r->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		sp_fail(r, SMTPPROBE_PROTOCOL, "connection closed%s%s",
		    n == -1 ? ": " : "", n == -1 ? strerror(errno) : "");
		return;
	}
	r->inlen += (size_t)n;
	switch (smtpreply_feed(&r->reply, r->in, r->inlen, &used, &why)) {
	case SMTPREPLY_MORE:
		memmove(r->in, r->in + used, r->inlen - used);
		r->inlen -= used;
		return;
	case SMTPREPLY_BAD:
		sp_fail(r, SMTPPROBE_PROTOCOL, "%s", why);
		return;
	case SMTPREPLY_DONE:
		memmove(r->in, r->in + used, r->inlen - used);
		r->inlen -= used;
		sp_on_reply(r);
		return;
	}
}

/* A whole reply to the current step. */
static void
sp_on_reply(struct smtpprobe_req *r)
{
	static const int want[] = { 0, 220, 250, 220 };
	char cmd[DNS_NAME_MAX + 8];
	enum smtpprobe_step s = r->res.step;

	if (r->reply.code != want[s]) {
		sp_fail(r, SMTPPROBE_REJECTED, "%d %s", r->reply.code,
		    r->reply.text);
		return;
	}
	if (s == SMTPPROBE_STEP_GREETING) {
		snprintf(cmd, sizeof(cmd), "EHLO %s", r->p->helo);
		sp_step(r, SMTPPROBE_STEP_EHLO);
		sp_send(r, cmd);
	} else if (s == SMTPPROBE_STEP_EHLO && !r->reply.starttls) {
		r->res.step = SMTPPROBE_STEP_QUIT;
		(void)send(r->fd, "QUIT\r\n", 6, MSG_NOSIGNAL);
		sp_fail(r, SMTPPROBE_NO_STARTTLS, "EHLO reply without "
		    "STARTTLS");
	} else if (s == SMTPPROBE_STEP_EHLO) {
		r->res.starttls = 1;
		sp_step(r, SMTPPROBE_STEP_STARTTLS);
		sp_send(r, "STARTTLS");
	} else if (r->inlen > 0)
		/* RFC 3207 §5: plain text after "220" would be read as
		 * if it came over TLS (command injection). */
		sp_fail(r, SMTPPROBE_PROTOCOL, "data after the STARTTLS "
		    "reply, before TLS");
	else
		sp_tls_start(r);
}

/* ---- TLS ---- */

static void
sp_tls_start(struct smtpprobe_req *r)
{
	X509_VERIFY_PARAM *vp;

	sp_step(r, SMTPPROBE_STEP_HANDSHAKE);
	if ((r->ssl = SSL_new(r->p->ctx)) == NULL ||
	    SSL_set_fd(r->ssl, r->fd) != 1 ||
	    SSL_set_tlsext_host_name(r->ssl, r->host) != 1 ||
	    (vp = SSL_get0_param(r->ssl)) == NULL ||
	    X509_VERIFY_PARAM_set1_host(vp, r->host, 0) != 1) {
		sp_fail(r, SMTPPROBE_ERROR, "cannot set up TLS");
		return;
	}
	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
	ERR_clear_error();
	sp_tls_step(r);
}

static void
sp_tls_step(struct smtpprobe_req *r)
{
	int rc;

	if ((rc = SSL_connect(r->ssl)) == 1) {
		sp_tls_done(r);
		return;
	}
	switch (SSL_get_error(r->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		sp_arm(r, EV_READ);
		return;
	case SSL_ERROR_WANT_WRITE:
		sp_arm(r, EV_WRITE);
		return;
	default:
		sp_tls_error(r, rc);
		return;
	}
}

static void
sp_tls_error(struct smtpprobe_req *r, int rc)
{
	unsigned long e = ERR_get_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (why == NULL)
		why = rc == 0 ? "connection closed" : "handshake failed";
	sp_fail(r, SMTPPROBE_TLS, "%s", why);
}

/* The leaf's notAfter as a time_t. */
static int
sp_not_after(X509 *cert, time_t *out)
{
	struct tm tm;

	if (cert == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(cert),
	    &tm) != 1)
		return 0;
	*out = timegm(&tm);
	return 1;
}

/* The DER digests DANE compares (resolver/smtpprobe.h). */
static int
sp_digests(X509 *cert, struct smtpprobe_digests *d)
{
	unsigned char *der = NULL;
	unsigned int n;
	int len, ok;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der)) <= 0)
		return 0;
	ok = EVP_Digest(der, (size_t)len, d->spki256, &n, EVP_sha256(),
	    NULL) == 1 && EVP_Digest(der, (size_t)len, d->spki512, &n,
	    EVP_sha512(), NULL) == 1 && X509_digest(cert, EVP_sha256(),
	    d->cert256, &n) == 1 && X509_digest(cert, EVP_sha512(),
	    d->cert512, &n) == 1;
	OPENSSL_free(der);
	return ok;
}

/* Digests of the chain as the host presented it, leaf first. */
static void
sp_chain(struct smtpprobe_req *r)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(r->ssl);
	int i, n = chain != NULL ? sk_X509_num(chain) : 0;

	for (i = 0; i < n && r->res.ncerts < SMTPPROBE_CHAIN_MAX; i++)
		if (sp_digests(sk_X509_value(chain, i),
		    &r->res.certs[r->res.ncerts]))
			r->res.ncerts++;
		else
			break;
}

static void
sp_tls_done(struct smtpprobe_req *r)
{
	struct smtpprobe_result *res = &r->res;
	long v = SSL_get_verify_result(r->ssl);
	X509 *cert = SSL_get1_peer_certificate(r->ssl);

	res->tls = 1;
	snprintf(res->protocol, sizeof(res->protocol), "%s",
	    SSL_get_version(r->ssl));
	snprintf(res->cipher, sizeof(res->cipher), "%s",
	    SSL_get_cipher_name(r->ssl));
	res->verified = cert != NULL && v == X509_V_OK;
	snprintf(res->verify_error, sizeof(res->verify_error), "%s",
	    cert == NULL ? "no certificate" : v == X509_V_OK ? "" :
	    X509_verify_cert_error_string(v));
	res->have_expiry = sp_not_after(cert, &res->not_after);
	X509_free(cert);
	sp_chain(r);
	res->status = SMTPPROBE_OK;
	snprintf(res->detail, sizeof(res->detail), "TLS established");
	/*
	 * QUIT over TLS, and done: its reply would tell nothing more, and
	 * waiting for it would only cost a slow host's time.  A QUIT that
	 * does not fit in the socket buffer at once is not retried.
	 */
	r->res.step = SMTPPROBE_STEP_QUIT;
	(void)SSL_write(r->ssl, "QUIT\r\n", 6);
	sp_finish(r);
}

/* ---- start ---- */

static int
sp_connect(struct smtpprobe_req *r, const struct dns_addr *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)r->p->port);
		s4->sin_addr = a->u.v4;
		len = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)r->p->port);
		s6->sin6_addr = a->u.v6;
		len = sizeof(*s6);
	}
	if ((r->fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(r->fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		sp_fail(r, SMTPPROBE_CONNECT, "%s", strerror(errno));
		return 0;
	}
	sp_arm(r, EV_WRITE);
	return 0;
}

struct smtpprobe_req *
smtpprobe_start(struct smtpprobe *p, const char *host,
    const struct dns_addr *addr, smtpprobe_cb *cb, void *arg)
{
	struct smtpprobe_req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->p = p;
	r->fd = -1;
	r->cb = cb;
	r->arg = arg;
	r->start_ms = monoclock_ms();
	snprintf(r->host, sizeof(r->host), "%s", host);
	if ((r->io = event_new(p->base, -1, 0, sp_on_io, r)) == NULL ||
	    (r->timer = evtimer_new(p->base, sp_on_timer, r)) == NULL) {
		sp_free(r);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&p->running, r, entry);
	sp_step(r, SMTPPROBE_STEP_CONNECT);
	if (sp_connect(r, addr) == -1)
		sp_fail(r, SMTPPROBE_ERROR, "socket: %s", strerror(errno));
	return r;
}
