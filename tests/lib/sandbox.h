/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * sandbox.h: a private network namespace and scratch directory for the
 * C integration tests that start their own servers (unbound, nginx).
 *
 * sandbox_enter() moves the whole test process into a new network
 * namespace with only "lo" up, so the servers it spawns and the
 * queries it makes never leave the machine, and makes a temp dir.
 * Servers are spawned with PR_SET_PDEATHSIG, so a crashed test leaves
 * none behind; sandbox_leave() stops them and removes the directory.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

struct event_base;

/*
 * sandbox_enter: needs root and the given tools on PATH (space-
 * separated, e.g. "nginx openssl").  Returns NULL on success, else the
 * reason to skip the test.  `name` goes into the temp dir's name.
 */
const char	*sandbox_enter(const char *name, const char *tools);
/* sandbox_dir: the scratch directory. */
const char	*sandbox_dir(void);
/* sandbox_path: dir/name into buf; returns buf. */
char		*sandbox_path(const char *name, char *buf, size_t size);
/* sandbox_write: data[0..len) into dir/name; 0 or -1. */
int		 sandbox_write(const char *name, const void *data, size_t len);
/* sandbox_spawn: run argv with stdout/stderr in dir/log; pid or -1. */
pid_t		 sandbox_spawn(char *const argv[], const char *log);
/* sandbox_wait_tcp: until addr:port accepts (up to 10 s); 0 or -1. */
int		 sandbox_wait_tcp(const char *addr, int port);
/* sandbox_leave: signal and reap pid (if > 0), remove the directory. */
void		 sandbox_leave(pid_t pid, int sig);
/* sandbox_ms: a monotonic clock in milliseconds. */
long		 sandbox_ms(void);
/*
 * sandbox_loop: run base until a callback breaks the loop or wait_ms
 * pass; does nothing when *pending is 0 (nothing was started).
 */
void		 sandbox_loop(struct event_base *base, const int *pending,
		    int wait_ms);

#endif /* SANDBOX_H */
