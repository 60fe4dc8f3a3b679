/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * peercred.c: the uid behind a local TCP peer, from NETLINK_SOCK_DIAG;
 * see peercred.h.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peercred.h"

/* A reply: one message with the socket, or an error. */
#define PEERCRED_REPLY_MAX	1024

struct peercred {
	int		 fd;
	unsigned	 seq;
};

struct peercred *
peercred_open(void)
{
	struct peercred *pc;

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return NULL;
	pc->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG);
	if (pc->fd == -1) {
		free(pc);
		return NULL;
	}
	return pc;
}

void
peercred_close(struct peercred *pc)
{
	if (pc == NULL)
		return;
	close(pc->fd);
	free(pc);
}

/*
 * peercred_id: the query's socket id: the peer's socket has the
 * connection's remote end as its local one (src) and ours as remote
 * (dst).  -1 unless both ends are IPv4 or both IPv6.
 */
static int
peercred_id(int fd, struct inet_diag_req_v2 *r)
{
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	const struct sockaddr_in *m4, *p4;
	const struct sockaddr_in6 *m6, *p6;

	if (getsockname(fd, (struct sockaddr *)&me, &ml) == -1 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) == -1 ||
	    me.ss_family != peer.ss_family)
		return -1;
	r->sdiag_family = (unsigned char)me.ss_family;
	r->sdiag_protocol = IPPROTO_TCP;
	r->idiag_states = ~0U;
	r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (me.ss_family == AF_INET) {
		m4 = (const struct sockaddr_in *)(const void *)&me;
		p4 = (const struct sockaddr_in *)(const void *)&peer;
		r->id.idiag_sport = p4->sin_port;
		r->id.idiag_dport = m4->sin_port;
		memcpy(r->id.idiag_src, &p4->sin_addr, 4);
		memcpy(r->id.idiag_dst, &m4->sin_addr, 4);
		return 0;
	}
	if (me.ss_family != AF_INET6)
		return -1;
	m6 = (const struct sockaddr_in6 *)(const void *)&me;
	p6 = (const struct sockaddr_in6 *)(const void *)&peer;
	r->id.idiag_sport = p6->sin6_port;
	r->id.idiag_dport = m6->sin6_port;
	memcpy(r->id.idiag_src, &p6->sin6_addr, 16);
	memcpy(r->id.idiag_dst, &m6->sin6_addr, 16);
	return 0;
}

/* peercred_answer: the uid in the reply to query `seq`; -1 if none. */
static int
peercred_answer(struct peercred *pc, unsigned seq, uid_t *uid)
{
	union {
		struct nlmsghdr	 h;
		char		 buf[PEERCRED_REPLY_MAX];
	} rep;
	const struct inet_diag_msg *m;
	ssize_t n;

	/* Stale replies (a query that timed out) are skipped. */
	while ((n = recv(pc->fd, &rep, sizeof(rep), MSG_DONTWAIT)) > 0) {
		if ((size_t)n < sizeof(rep.h) || rep.h.nlmsg_seq != seq)
			continue;
		if (rep.h.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    (size_t)n < NLMSG_LENGTH(sizeof(*m)))
			return -1;	/* NLMSG_ERROR: no such socket */
		m = NLMSG_DATA(&rep.h);
		*uid = (uid_t)m->idiag_uid;
		return 0;
	}
	return -1;
}

int
peercred_tcp_uid(struct peercred *pc, int fd, uid_t *uid)
{
	struct {
		struct nlmsghdr		 h;
		struct inet_diag_req_v2	 r;
	} q;
	struct sockaddr_nl kernel;

	if (pc == NULL)
		return -1;
	memset(&q, 0, sizeof(q));
	if (peercred_id(fd, &q.r) == -1)
		return -1;
	q.h.nlmsg_len = sizeof(q);
	q.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.h.nlmsg_flags = NLM_F_REQUEST;
	q.h.nlmsg_seq = ++pc->seq;
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (sendto(pc->fd, &q, sizeof(q), 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) != (ssize_t)sizeof(q))
		return -1;
	return peercred_answer(pc, q.h.nlmsg_seq, uid);
}
