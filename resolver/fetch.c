/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fetch.c: curl multi on libevent, in the shape of curl's hiperfifo
 * example (docs/DESIGN.md §Event loop): a socket callback that keeps one
 * persistent event per socket, one timer set by curl's timer callback,
 * and after every curl_multi_socket_action() a drain of
 * curl_multi_info_read().  A finished transfer is removed from the multi
 * handle and cleaned up before its user callback runs, so the callback
 * may start or cancel other transfers.
 *
 * Sockets curl asks us to forget are marked dead and freed after the
 * current dispatch, never inside the event callback running for them.
 *
 * curl keeps CURLOPT_RESOLVE entries in the multi handle's DNS cache
 * for good (hundreds of bytes a host, megabytes after a cold start).  So
 * each finished transfer leaves a "-host:port" removal that the next
 * transfer to start hands to curl ahead of its own pin: the cache holds
 * at most the running transfers' hosts and those finished since the
 * last start.  A removal never touches a running transfer's entry:
 * curl reads a transfer's pin when it connects, in the same call that
 * loads the list.  When the last transfer has finished, the multi
 * handle is replaced (fetch_on_pump): that drops the whole DNS cache
 * and the pending removals, so an idle daemon keeps none of them
 * scattered over its heap after a burst of discoveries.
 */
#include "config.h"

#include <sys/queue.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "stspol.h"

#define FETCH_USER_AGENT	"mtastsd"
#define FETCH_URL_MAX		(8 + 253 + 6 + 256)
#define FETCH_PATH_MAX		256
#define FETCH_HOST_MAX		253
#define FETCH_ADDRS_MAX		16
#define FETCH_TRANSFERS_MAX	10000
#define FETCH_IP_MAX		64

struct fetch_sock {
	struct fetch	*f;
	struct event	*ev;
	int		 dead;
	struct fetch_sock *next;
};

struct fetch_req {
	struct fetch	*f;
	CURL		*easy;
	struct curl_slist *pin;
	fetch_cb	*cb;
	void		*arg;
	int		 running;	/* in the multi handle */
	int		 head_done;	/* status/type/length checked */
	enum fetch_status abort;	/* why a callback stopped it */
	char		*body;
	size_t		 len, cap;
	char		 host[FETCH_HOST_MAX + 1];
	unsigned	 port;
	char		 url[FETCH_URL_MAX];
	char		 errbuf[CURL_ERROR_SIZE];
	char		 detail[256];
	TAILQ_ENTRY(fetch_req) entry;	/* on queue or running list */
};

struct fetch_list {
	TAILQ_HEAD(fetch_reqs, fetch_req) reqs;
	size_t		 n;
};

struct fetch {
	struct event_base *base;
	CURLM		*multi;
	struct event	*timer;
	struct event	*pump;		/* starts queued transfers */
	struct fetch_sock *socks;
	struct fetch_list queue, running;
	size_t		 peak;
	struct curl_slist *unpin;	/* "-host:port" of finished pins */
	char		*ca_file;
	long		 connect_ms, total_ms;
	size_t		 max_body;
	size_t		 max_transfers;
	int		 any_type;	/* generic mode: no text/plain rule */
};

static void	fetch_on_sock(evutil_socket_t, short, void *);
static void	fetch_on_timer(evutil_socket_t, short, void *);
static void	fetch_on_pump(evutil_socket_t, short, void *);
static void	fetch_drain(struct fetch *);

const char *
fetch_status_str(enum fetch_status s)
{
	static const char *const names[] = {
		"ok", "connect", "timeout", "certificate", "tls", "status",
		"redirect", "content-type", "too-large", "error"
	};

	if ((unsigned)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "unknown";
}

void
fetch_counts(const struct fetch *f, size_t *running, size_t *queued,
    size_t *peak)
{
	*running = f->running.n;
	*queued = f->queue.n;
	*peak = f->peak;
}

static void
fetch_list_add(struct fetch_list *l, struct fetch_req *r)
{
	TAILQ_INSERT_TAIL(&l->reqs, r, entry);
	l->n++;
}

static void
fetch_list_del(struct fetch_list *l, struct fetch_req *r)
{
	TAILQ_REMOVE(&l->reqs, r, entry);
	l->n--;
}

/* ---- the curl multi / libevent glue (hiperfifo) ---- */

static int
fetch_sock_cb(CURL *e, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct fetch *f = userp;
	struct fetch_sock *s = socketp;
	short ev;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_del(s->ev);
			s->dead = 1;
		}
		return 0;
	}
	if (s == NULL) {
		/*
		 * Returning -1 would kill the whole multi handle; without an
		 * event the transfer just ends at its timeout instead.
		 */
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return 0;
		if ((s->ev = event_new(f->base, -1, 0, NULL, NULL)) == NULL) {
			free(s);
			return 0;
		}
		s->f = f;
		s->next = f->socks;
		f->socks = s;
		curl_multi_assign(f->multi, fd, s);
	}
	ev = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	event_del(s->ev);
	if (event_assign(s->ev, f->base, fd, ev, fetch_on_sock, s) == 0)
		event_add(s->ev, NULL);
	return 0;
}

/* Never calls libcurl (docs/DESIGN.md §Event loop). */
static int
fetch_timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct fetch *f = userp;
	struct timeval tv;

	(void)m;
	if (timeout_ms < 0) {
		evtimer_del(f->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(f->timer, &tv);
	return 0;
}

/* Free dead socket records, except the one whose callback is running. */
static void
fetch_reap(struct fetch *f, struct fetch_sock *self)
{
	struct fetch_sock **sp, *s;

	for (sp = &f->socks; (s = *sp) != NULL;) {
		if (s->dead && s != self) {
			*sp = s->next;
			event_free(s->ev);
			free(s);
		} else
			sp = &s->next;
	}
}

static void
fetch_on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_sock *s = arg;
	struct fetch *f = s->f;
	int action = 0, still;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(f->multi, fd, action, &still);
	fetch_drain(f);
	fetch_reap(f, s);
}

static void
fetch_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	int still;

	(void)fd;
	(void)what;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	fetch_drain(f);
	fetch_reap(f, NULL);
}

static int
fetch_multi_new(struct fetch *f)
{
	if ((f->multi = curl_multi_init()) == NULL)
		return -1;
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, fetch_sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, fetch_timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return 0;
}

/* Only with nothing running: every socket is closed by then. */
static void
fetch_multi_free(struct fetch *f)
{
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	f->multi = NULL;
	if (f->timer != NULL)
		evtimer_del(f->timer);
	while (f->socks != NULL) {
		struct fetch_sock *s = f->socks;

		f->socks = s->next;
		event_free(s->ev);
		free(s);
	}
}

/* ---- one transfer ---- */

static void
fetch_abort(struct fetch_req *r, enum fetch_status st, const char *fmt,
    long v)
{
	r->abort = st;
	snprintf(r->detail, sizeof(r->detail), fmt, v);
}

/*
 * At the end of the final response header: status 200 only, 3xx is a
 * redirect we must not follow (RFC 8461 §3.3), text/plain only (§3.2),
 * and a declared length over the cap fails before any body arrives.
 * Returns -1 to abort the transfer.
 */
static int
fetch_check_head(struct fetch_req *r)
{
	curl_off_t clen = -1;
	long code = 0;
	char *ct = NULL;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 100 && code < 200)
		return 0;	/* interim response; wait for the final one */
	r->head_done = 1;
	if (code >= 300 && code < 400) {
		fetch_abort(r, FETCH_REDIRECT, "HTTP %ld redirect (not followed)",
		    code);
		return -1;
	}
	if (code != 200) {
		fetch_abort(r, FETCH_STATUS, "HTTP status %ld", code);
		return -1;
	}
	curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
	if (!r->f->any_type && (ct == NULL || !stspol_content_type_ok(ct))) {
		fetch_abort(r, FETCH_CONTENT_TYPE,
		    "Content-Type is not text/plain", 0);
		return -1;
	}
	curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
	if (clen > (curl_off_t)r->f->max_body) {
		fetch_abort(r, FETCH_TOO_LARGE, "Content-Length %ld over limit",
		    (long)clen);
		return -1;
	}
	return 0;
}

static size_t
fetch_on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct fetch_req *r = arg;
	size_t len = size * n;

	/* The empty line ends a header block (trailers end one too). */
	if (!r->head_done && len <= 2 && len > 0 &&
	    (buf[0] == '\r' || buf[0] == '\n') && fetch_check_head(r) == -1)
		return 0;
	return len;
}

/* The body cap holds whether or not a Content-Length was sent. */
static size_t
fetch_on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct fetch_req *r = arg;
	size_t len = size * n, ncap;
	char *nb;

	if (!r->head_done && fetch_check_head(r) == -1)
		return 0;
	if (len > r->f->max_body - r->len) {
		fetch_abort(r, FETCH_TOO_LARGE, "body over %ld bytes",
		    (long)r->f->max_body);
		return 0;
	}
	if (r->len + len + 1 > r->cap) {
		ncap = r->cap ? r->cap : 4096;
		while (ncap < r->len + len + 1)
			ncap *= 2;
		if (ncap > r->f->max_body + 1)
			ncap = r->f->max_body + 1;
		if ((nb = realloc(r->body, ncap)) == NULL) {
			fetch_abort(r, FETCH_ERROR, "out of memory", 0);
			return 0;
		}
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, buf, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/*
 * RFC 8461 §3.3 wants RFC 6125 name checks: dNSName only, no CN
 * fallback, no partial wildcards.  curl's own check falls back to the
 * CN when a certificate has no dNSName, so OpenSSL checks the name
 * during the handshake with those flags as well; curl's check then
 * runs on a certificate that already passed ours.
 */
static CURLcode
fetch_ssl_ctx(CURL *easy, void *sslctx, void *arg)
{
	struct fetch_req *r = arg;
	X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(sslctx);

	(void)easy;
	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(vp, r->host, 0) != 1)
		return CURLE_OUT_OF_MEMORY;
	return CURLE_OK;
}

/* Options that must hold; any failure means "do not fetch". */
static int
fetch_setopt_rules(struct fetch_req *r, CURL *e)
{
	struct fetch *f = r->f;
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	bad |= curl_easy_setopt(e, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, fetch_ssl_ctx);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, r);
	if (f->ca_file != NULL) {
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, f->ca_file);
		/* Debian's libcurl also trusts /etc/ssl/certs unless told
		 * otherwise: ca_file must be the only trust anchor. */
		bad |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	bad |= curl_easy_setopt(e, CURLOPT_PROXY, "");
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, f->connect_ms);
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, f->total_ms);
	/*
	 * No CURLOPT_MAXFILESIZE: curl would fail on a large Content-Length
	 * before the status is known, and a big 404 page must still read
	 * as https-status.  fetch_check_head() and fetch_on_body() cap it.
	 */
	return bad ? -1 : 0;
}

static int
fetch_setopt_io(struct fetch_req *r, CURL *e)
{
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_URL, r->url);
	bad |= curl_easy_setopt(e, CURLOPT_RESOLVE, r->pin);
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, fetch_on_header);
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_on_body);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, FETCH_USER_AGENT);
	return bad ? -1 : 0;
}

/* "host:port:a1,[a2]": curl's pin format, IPv6 in brackets. */
static int
fetch_pin(struct fetch_req *r, unsigned port, const char *const *addrs,
    size_t naddrs)
{
	char buf[FETCH_HOST_MAX + 8 + FETCH_ADDRS_MAX * 48];
	struct in6_addr a6;
	struct in_addr a4;
	size_t i, off;
	int w;

	w = snprintf(buf, sizeof(buf), "%s:%u:", r->host, port);
	if (w < 0 || (size_t)w >= sizeof(buf))
		return -1;
	off = (size_t)w;
	for (i = 0; i < naddrs && i < FETCH_ADDRS_MAX; i++) {
		/* IP literals only: a name would send curl to its resolver. */
		if (inet_pton(AF_INET, addrs[i], &a4) != 1 &&
		    inet_pton(AF_INET6, addrs[i], &a6) != 1)
			return -1;
		w = snprintf(buf + off, sizeof(buf) - off,
		    strchr(addrs[i], ':') ? "%s[%s]" : "%s%s",
		    i ? "," : "", addrs[i]);
		if (w < 0 || (size_t)w >= sizeof(buf) - off)
			return -1;
		off += (size_t)w;
	}
	if ((r->pin = curl_slist_append(NULL, buf)) == NULL)
		return -1;
	return 0;
}

static void
fetch_req_free(struct fetch_req *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->pin);
	free(r->body);
	free(r);
}

static int
fetch_name_ok(const char *host, const char *path)
{
	size_t i;

	if (strlen(host) == 0 || strlen(host) > FETCH_HOST_MAX ||
	    path[0] != '/' || strlen(path) >= FETCH_PATH_MAX)
		return 0;
	for (i = 0; host[i] != '\0'; i++)
		if (!((host[i] >= 'a' && host[i] <= 'z') ||
		    (host[i] >= '0' && host[i] <= '9') ||
		    host[i] == '-' || host[i] == '.' || host[i] == '_'))
			return 0;
	for (i = 0; path[i] != '\0'; i++)
		if (path[i] <= ' ' || path[i] >= 0x7f)
			return 0;
	return 1;
}

static struct fetch_req *
fetch_req_new(struct fetch *f, const char *host, unsigned port,
    const char *path, const char *const *addrs, size_t naddrs)
{
	struct fetch_req *r;

	if (!fetch_name_ok(host, path) || port == 0 || port > 65535 ||
	    naddrs == 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->f = f;
	memcpy(r->host, host, strlen(host) + 1);
	r->port = port;
	if (port == 443)
		snprintf(r->url, sizeof(r->url), "https://%s%s", host, path);
	else
		snprintf(r->url, sizeof(r->url), "https://%s:%u%s", host,
		    port, path);
	if (fetch_pin(r, port, addrs, naddrs) == -1 ||
	    (r->easy = curl_easy_init()) == NULL ||
	    fetch_setopt_rules(r, r->easy) == -1 ||
	    fetch_setopt_io(r, r->easy) == -1) {
		fetch_req_free(r);
		return NULL;
	}
	return r;
}

/*
 * The pins of finished transfers go first: curl applies the list in
 * order, so a removal of this transfer's own host cannot undo its pin.
 * The request owns the joined list until it is freed.
 */
static int
fetch_begin(struct fetch *f, struct fetch_req *r)
{
	struct curl_slist *tail;

	if (f->multi == NULL && fetch_multi_new(f) == -1)
		return -1;
	if (f->unpin != NULL) {
		for (tail = f->unpin; tail->next != NULL; tail = tail->next)
			;
		tail->next = r->pin;
		if (curl_easy_setopt(r->easy, CURLOPT_RESOLVE, f->unpin) !=
		    CURLE_OK) {
			tail->next = NULL;
			return -1;
		}
		r->pin = f->unpin;
		f->unpin = NULL;
	}
	if (curl_multi_add_handle(f->multi, r->easy) != CURLM_OK)
		return -1;
	r->running = 1;
	fetch_list_add(&f->running, r);
	if (f->running.n > f->peak)
		f->peak = f->running.n;
	return 0;
}

struct fetch_req *
fetch_start(struct fetch *f, const char *host, unsigned port,
    const char *path, const char *const *addrs, size_t naddrs,
    fetch_cb *cb, void *arg)
{
	struct fetch_req *r;

	if ((r = fetch_req_new(f, host, port, path, addrs, naddrs)) == NULL)
		return NULL;
	r->cb = cb;
	r->arg = arg;
	if (f->running.n < f->max_transfers && f->queue.n == 0 &&
	    f->multi != NULL) {
		if (fetch_begin(f, r) == -1) {
			fetch_req_free(r);
			return NULL;
		}
	} else {
		fetch_list_add(&f->queue, r);
		event_active(f->pump, EV_TIMEOUT, 0);
	}
	return r;
}

/* ---- completion ---- */

static enum fetch_status
fetch_map(CURLcode c)
{
	switch (c) {
	case CURLE_OK:
		return FETCH_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
		return FETCH_CONNECT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return FETCH_CERTIFICATE;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return FETCH_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return FETCH_TOO_LARGE;
	default:
		return FETCH_ERROR;
	}
}

static long
fetch_ms(CURL *e, CURLINFO what)
{
	curl_off_t us = 0;

	curl_easy_getinfo(e, what, &us);
	return (long)(us / 1000);
}

/* Fill `res` from the finished handle; strings are copied into `r`. */
static void
fetch_verdict(struct fetch_req *r, CURLcode c, struct fetch_result *res,
    char *ip, char *ctype, size_t ctsize)
{
	char *s = NULL;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res->http_status);
	if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK
	    && s != NULL) {
		snprintf(ctype, ctsize, "%s", s);
		res->content_type = ctype;
	}
	s = NULL;
	if (curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_IP, &s) == CURLE_OK &&
	    s != NULL)
		snprintf(ip, FETCH_IP_MAX, "%s", s);
	res->connect_ms = fetch_ms(r->easy, CURLINFO_CONNECT_TIME_T);
	res->tls_ms = fetch_ms(r->easy, CURLINFO_APPCONNECT_TIME_T);
	res->total_ms = fetch_ms(r->easy, CURLINFO_TOTAL_TIME_T);
	if (r->abort != FETCH_OK) {
		res->status = r->abort;		/* our callbacks said why */
	} else if (c != CURLE_OK) {
		res->status = fetch_map(c);
		snprintf(r->detail, sizeof(r->detail), "%s",
		    r->errbuf[0] ? r->errbuf : curl_easy_strerror(c));
	} else if (!r->head_done && fetch_check_head(r) == -1) {
		res->status = r->abort;		/* e.g. 404 with no body */
	} else {
		res->status = FETCH_OK;
		snprintf(r->detail, sizeof(r->detail), "HTTP %ld, %zu bytes",
		    res->http_status, r->len);
		res->body = r->body != NULL ? r->body : "";
		res->len = r->len;
	}
	res->detail = r->detail;
}

/*
 * r's pin is done with: queue its removal for the next transfer to
 * start (see the top of the file).  Without memory the entry stays in
 * curl's cache, which is harmless but for its size.
 */
static void
fetch_unpin(struct fetch *f, const struct fetch_req *r)
{
	struct curl_slist *l;
	char buf[FETCH_HOST_MAX + 8];

	/* Prepended, as the order of removals does not matter. */
	snprintf(buf, sizeof(buf), "-%s:%u", r->host, r->port);
	if ((l = curl_slist_append(NULL, buf)) != NULL) {
		l->next = f->unpin;
		f->unpin = l;
	}
}

static void
fetch_finish(struct fetch *f, struct fetch_req *r, CURLcode c)
{
	struct fetch_result res;
	char ip[FETCH_IP_MAX] = "", ctype[128];

	memset(&res, 0, sizeof(res));
	fetch_verdict(r, c, &res, ip, ctype, sizeof(ctype));
	res.ip = ip;
	fetch_list_del(&f->running, r);
	r->running = 0;
	curl_multi_remove_handle(f->multi, r->easy);
	fetch_unpin(f, r);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	/* Handle gone from curl: the callback may start or cancel work. */
	r->cb(&res, r->arg);
	fetch_req_free(r);
	event_active(f->pump, EV_TIMEOUT, 0);	/* next or idle */
}

static void
fetch_drain(struct fetch *f)
{
	struct fetch_req *r;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r == NULL)
			continue;
		fetch_finish(f, r, m->data.result);
	}
}

/*
 * With nothing running or queued, a fresh multi handle replaces the old
 * one and its DNS cache; the removals it waited for are moot.  A failed
 * curl_multi_init() leaves f->multi NULL: fetch_begin() tries again.
 */
static void
fetch_idle(struct fetch *f)
{
	if (f->running.n > 0 || f->queue.n > 0 || f->unpin == NULL)
		return;
	fetch_multi_free(f);
	curl_slist_free_all(f->unpin);
	f->unpin = NULL;
	fetch_multi_new(f);
}

/*
 * Start queued transfers up to the limit, or go idle.  Runs from its
 * own event so that a failure can be reported through the callback
 * without ever running it inside fetch_start() or fetch_cancel(), and
 * so that fetch_idle() never frees a socket record whose callback runs.
 */
static void
fetch_on_pump(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	struct fetch_result res;
	struct fetch_req *r;

	(void)fd;
	(void)what;
	while (f->queue.n > 0 && f->running.n < f->max_transfers) {
		r = TAILQ_FIRST(&f->queue.reqs);
		fetch_list_del(&f->queue, r);
		if (fetch_begin(f, r) == 0)
			continue;
		memset(&res, 0, sizeof(res));
		res.status = FETCH_ERROR;
		res.detail = "cannot start transfer";
		res.ip = "";
		r->cb(&res, r->arg);
		fetch_req_free(r);
	}
	fetch_idle(f);
}

void
fetch_cancel(struct fetch_req *r)
{
	struct fetch *f;

	if (r == NULL)
		return;
	f = r->f;
	if (r->running) {
		fetch_list_del(&f->running, r);
		curl_multi_remove_handle(f->multi, r->easy);
		fetch_unpin(f, r);
		event_active(f->pump, EV_TIMEOUT, 0);	/* next or idle */
	} else
		fetch_list_del(&f->queue, r);
	fetch_req_free(r);
}

/* ---- lifecycle ---- */

void
fetch_generic(struct fetch *f)
{
	f->any_type = 1;
}

static int
fetch_conf_copy(struct fetch *f, const struct fetch_conf *conf, char *err,
    size_t errlen)
{
	if (conf->connect_timeout_ms <= 0 || conf->timeout_ms <= 0 ||
	    conf->max_transfers < 1 ||
	    conf->max_transfers > FETCH_TRANSFERS_MAX) {
		snprintf(err, errlen, "fetch: timeouts and max_transfers "
		    "must be positive (max_transfers <= %d)",
		    FETCH_TRANSFERS_MAX);
		return -1;
	}
	f->connect_ms = conf->connect_timeout_ms;
	f->total_ms = conf->timeout_ms;
	f->max_transfers = (size_t)conf->max_transfers;
	f->max_body = conf->max_body ? conf->max_body : FETCH_BODY_MAX;
	/* A typo in the CA path is a configuration error, not a verdict
	 * on every domain's certificate. */
	if (conf->ca_file != NULL && access(conf->ca_file, R_OK) == -1) {
		snprintf(err, errlen, "CA file %s: %s", conf->ca_file,
		    strerror(errno));
		return -1;
	}
	if (conf->ca_file != NULL &&
	    (f->ca_file = strdup(conf->ca_file)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The RFC 6125 rules above are OpenSSL calls: refuse other backends. */
static int
fetch_backend_ok(char *err, size_t errlen)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (v == NULL || v->ssl_version == NULL ||
	    strncmp(v->ssl_version, "OpenSSL/", 8) != 0) {
		snprintf(err, errlen, "libcurl is not built with OpenSSL (%s)",
		    v && v->ssl_version ? v->ssl_version : "no TLS");
		return -1;
	}
	return 0;
}

struct fetch *
fetch_new(struct event_base *base, const struct fetch_conf *conf, char *err,
    size_t errlen)
{
	struct fetch *f;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init failed");
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "out of memory");
		curl_global_cleanup();
		return NULL;
	}
	TAILQ_INIT(&f->queue.reqs);
	TAILQ_INIT(&f->running.reqs);
	f->base = base;
	if (fetch_backend_ok(err, errlen) == -1 ||
	    fetch_conf_copy(f, conf, err, errlen) == -1)
		goto fail;
	if ((f->timer = evtimer_new(base, fetch_on_timer, f)) == NULL ||
	    (f->pump = evtimer_new(base, fetch_on_pump, f)) == NULL ||
	    fetch_multi_new(f) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return f;
fail:
	fetch_free(f);
	return NULL;
}

void
fetch_free(struct fetch *f)
{
	struct fetch_req *r;

	if (f == NULL)
		return;
	while ((r = TAILQ_FIRST(&f->running.reqs)) != NULL) {
		fetch_list_del(&f->running, r);
		curl_multi_remove_handle(f->multi, r->easy);
		fetch_req_free(r);
	}
	while ((r = TAILQ_FIRST(&f->queue.reqs)) != NULL) {
		fetch_list_del(&f->queue, r);
		fetch_req_free(r);
	}
	fetch_multi_free(f);
	curl_slist_free_all(f->unpin);
	if (f->timer != NULL)
		event_free(f->timer);
	if (f->pump != NULL)
		event_free(f->pump);
	free(f->ca_file);
	free(f);
	curl_global_cleanup();
}
