/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * sdnotify.h: tell systemd what the daemon is doing (Type=notify):
 * READY=1 once the sockets answer, RELOADING=1 / READY=1 around a
 * reload, STOPPING=1 on the way out.
 *
 * The sd_notify(3) protocol written out rather than libsystemd: one
 * datagram of "VAR=value" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or "@" for the abstract namespace).  That is
 * the protocol systemd documents as stable for implementations without
 * the library; linking libsystemd for it would map several compression
 * and crypto libraries into the daemon for one sendto().
 *
 * sdnotify_init() reads the variable once at start-up and removes it
 * from the environment, so programs the daemon runs (gpgv) cannot talk
 * to systemd in its name.  Without it every call is a no-op.
 * Loop thread only.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

/*
 * sdnotify_addr: the address in env, a $NOTIFY_SOCKET value: an
 * absolute path, or "@name" for an abstract socket.  Returns its
 * length for sendto(), or 0 when env is NULL, empty or unusable.
 * Pure.
 */
socklen_t	sdnotify_addr(const char *env, struct sockaddr_un *sun);

/* sdnotify_init: take $NOTIFY_SOCKET out of the environment. */
void		sdnotify_init(void);

/*
 * sdnotify_send: send `state` ("READY=1", lines separated by "\n").
 * Returns 1 if sent, 0 when not under systemd, -1 (errno set) when the
 * send failed; the daemon logs that and goes on.
 */
int		sdnotify_send(const char *state);

/* sdnotify_reloading: "RELOADING=1" with the MONOTONIC_USEC systemd
 * pairs it with; same return values. */
int		sdnotify_reloading(void);

#endif /* SDNOTIFY_H */
