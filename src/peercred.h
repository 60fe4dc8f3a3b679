/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * peercred.h: who is at the other end of a TCP connection from this
 * host, for the per-user limits of the lookup socket (listen.h).
 *
 * A loopback address does not say which local user connected, but the
 * kernel knows who owns the other socket: a NETLINK_SOCK_DIAG query
 * (SOCK_DIAG_BY_FAMILY, one exact 4-tuple, not a dump) answers with the
 * uid of the socket whose local and remote ends are the connection's
 * remote and local ends.  It needs no privilege.  A peer on another
 * host, or a kernel (or a sandbox: systemd's RestrictAddressFamilies
 * without AF_NETLINK) that does not answer, gives "unknown": the
 * caller then treats every such client as one.
 *
 * Cost: one sendto() and one recv() per accepted TCP connection, both
 * answered inside the kernel at once (the socket is non-blocking).
 * Loop thread only.
 */
#ifndef PEERCRED_H
#define PEERCRED_H

#include <sys/types.h>

struct peercred;

/* peercred_open: the netlink socket, or NULL (then every answer is
 * "unknown"). */
struct peercred	*peercred_open(void);

/* peercred_close: NULL is a no-op. */
void		 peercred_close(struct peercred *pc);

/*
 * peercred_tcp_uid: the uid that owns the local socket connected to
 * TCP socket fd (an accepted connection).  Returns 0 with *uid set, or
 * -1 when unknown (pc NULL, not TCP, not on this host, no answer).
 */
int		 peercred_tcp_uid(struct peercred *pc, int fd, uid_t *uid);

#endif /* PEERCRED_H */
