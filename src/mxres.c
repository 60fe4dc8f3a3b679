/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * mxres.c: blocking c-ares MX lookup with a deadline; see mxres.h.
 *
 * One channel per lookup: it rereads /etc/resolv.conf each time (a
 * table lives as long as smtpd) and leaves no state between lookups.
 * The loop is c-ares' own documented blocking pattern (ares_getsock,
 * ares_timeout, ares_process_fd) with poll() and a total deadline; at
 * the deadline ares_cancel() ends the query, whose callback then runs
 * once more with ARES_ECANCELLED.
 */
#include "config.h"

#include <ares.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "domkey.h"
#include "monoclock.h"
#include "mxres.h"

#define DNS_CLASS_IN	1
#define DNS_TYPE_MX	15

struct mxq {
	int			 done;
	enum mxres_status	 status;
	struct relayhost_mx	*out;
	size_t			 max;
	size_t			 n;
};

int
mxres_init(char *err, size_t errlen)
{
	int r;

	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		return -1;
	}
	return 0;
}

const char *
mxres_status_str(enum mxres_status s)
{
	static const char *const names[] = { "ok", "nodata", "nxdomain",
	    "fail", "timeout" };

	if ((unsigned)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "invalid";
}

/* keep: copy the answer's valid host names (the answer is borrowed). */
static void
keep(struct mxq *q, const struct ares_mx_reply *mx)
{
	char host[DOMKEY_MAX + 1];

	for (; mx != NULL && q->n < q->max; mx = mx->next) {
		if (mx->host == NULL || domkey_normalize(mx->host,
		    strlen(mx->host), host, NULL) != DOMKEY_DOMAIN)
			continue;
		q->out[q->n].pref = mx->priority;
		memcpy(q->out[q->n].host, host, strlen(host) + 1);
		q->n++;
	}
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct ares_mx_reply *mx = NULL;
	struct mxq *q = arg;
	int r;

	(void)timeouts;
	q->done = 1;
	if (status == ARES_SUCCESS) {
		r = ares_parse_mx_reply(abuf, alen, &mx);
		if (r == ARES_SUCCESS) {
			keep(q, mx);
			q->status = MXRES_OK;
		} else
			q->status = r == ARES_ENODATA ? MXRES_NODATA :
			    MXRES_FAIL;
		if (mx != NULL)
			ares_free_data(mx);
	} else if (status == ARES_ENODATA)
		q->status = MXRES_NODATA;
	else if (status == ARES_ENOTFOUND)
		q->status = MXRES_NXDOMAIN;
	else if (status == ARES_ETIMEOUT || status == ARES_ECANCELLED)
		q->status = MXRES_TIMEOUT;
	else
		q->status = MXRES_FAIL;
}

/* step: one poll round; bounded by the time left. */
static void
step(ares_channel ch, long long left)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval max, tv, *tvp;
	unsigned bits, r, w;
	int i, n = 0, ms;

	/* Not c-ares' ARES_GETSOCK_* macros: they shift a signed 1 into
	 * the sign bit for the last socket (undefined behaviour). */
	bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		r = (bits >> i) & 1;
		w = (bits >> (i + ARES_GETSOCK_MAXNUM)) & 1;
		if (!r && !w)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = (r ? POLLIN : 0) | (w ? POLLOUT : 0);
		pfd[n++].revents = 0;
	}
	max.tv_sec = left / 1000;
	max.tv_usec = (left % 1000) * 1000;
	tvp = ares_timeout(ch, &max, &tv);
	ms = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
	if (poll(pfd, (nfds_t)n, ms) <= 0) {
		ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		return;
	}
	for (i = 0; i < n; i++)
		if (pfd[i].revents != 0)
			ares_process_fd(ch,
			    pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ?
			    pfd[i].fd : ARES_SOCKET_BAD,
			    pfd[i].revents & POLLOUT ? pfd[i].fd :
			    ARES_SOCKET_BAD);
}

enum mxres_status
mxres_query(const char *domain, int timeout_ms, struct relayhost_mx *out,
    size_t max, size_t *n, char *err, size_t errlen)
{
	struct mxq q = { 0, MXRES_FAIL, out, max, 0 };
	struct ares_options o;
	ares_channel ch;
	long long deadline = monoclock_ms() + timeout_ms, left;
	int r;

	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOSEARCH;
	o.timeout = timeout_ms / 3 > 0 ? timeout_ms / 3 : 1;
	o.tries = 2;		/* t + 2t: the deadline cuts the rest */
	if ((r = ares_init_options(&ch, &o, ARES_OPT_FLAGS |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		*n = 0;
		return MXRES_FAIL;
	}
	ares_query(ch, domain, DNS_CLASS_IN, DNS_TYPE_MX, on_answer, &q);
	while (!q.done) {
		if ((left = deadline - monoclock_ms()) <= 0) {
			ares_cancel(ch);	/* runs on_answer */
			q.status = MXRES_TIMEOUT;
			q.n = 0;
			break;
		}
		step(ch, left);
	}
	ares_destroy(ch);
	*n = q.n;
	if (q.status != MXRES_OK)
		snprintf(err, errlen, "MX lookup: %s",
		    mxres_status_str(q.status));
	return q.status;
}
