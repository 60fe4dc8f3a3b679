/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * daemon.h: the process side of mtastsd: pidfile, detaching from the
 * terminal, dropping root, and the signals and timers of the running
 * daemon (docs/DESIGN.md §Process).
 *
 * Start-up order (mtastsd.c): daemon_user_lookup, daemon_pidfile_open,
 * listeners (listen_open) and daemon_mkdir of the state directory as
 * root; daemon_detach (unless -d); daemon_pidfile_write; daemon_drop;
 * then the event loop with daemon_new.  So every file that needs root
 * is opened before the drop, and nothing that must not cross a fork
 * (libevent's epoll descriptor, LMDB, curl, c-ares) exists before it.
 *
 * Signals, through libevent (never in a signal handler):
 *   SIGHUP   reload: conf_load() the same file; if it fails, log the
 *            reason and keep the running configuration; otherwise
 *            conf_reload_check() keeps (and names in the log) every
 *            option that needs a restart, and hooks->reload() applies
 *            the rest.
 *   SIGTERM, SIGINT
 *            hooks->stop() (stop accepting), then wait until
 *            hooks->busy() is 0 or DAEMON_DRAIN_MS passed, then leave
 *            the event loop; a second signal leaves it at once.
 *            systemd is told RELOADING=1 before and READY=1 after.
 *   SIGPIPE  ignored (a client that vanished is an EPIPE, not a death).
 * Timers: hooks->sync() every DAEMON_SYNC_SECS (cache_sync: the store
 * does not fsync per write, store/cache.h "Durability").
 *
 * Errors: functions return -1 with a reason in err; nothing here exits
 * except daemon_detach's parent process.  Loop thread only.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <sys/types.h>

#include <stddef.h>

struct conf;
struct daemon;
struct event_base;

#define DAEMON_DRAIN_MS		5000	/* SIGTERM: wait for answers */
#define DAEMON_SYNC_SECS	30	/* cache_sync period */
#define DAEMON_NAME_MAX		64	/* user name */

/* Who the daemon runs as. */
struct daemon_user {
	char	 name[DAEMON_NAME_MAX];
	uid_t	 uid;
	gid_t	 gid;
	int	 drop;		/* started as root: switch to uid/gid */
};

/*
 * daemon_user_lookup: as root, `name` must be an existing user other
 * than root (drop = 1).  Not root: the current uid/gid are kept
 * (drop = 0) and, when `name` is someone else, a notice is logged.
 * Returns 0, or -1 with a reason in err.
 */
int	daemon_user_lookup(const char *name, struct daemon_user *u,
	    char *err, size_t errlen);

/*
 * daemon_drop: when u->drop, set the group list to the user's primary
 * group alone, the real, effective and saved gid and uid, then check that root
 * cannot be regained (setuid(0) must fail).  Returns 0 or -1.
 */
int	daemon_drop(const struct daemon_user *u, char *err, size_t errlen);

/* daemon_uid, daemon_gid: a user or group name, or a decimal id.
 * Returns 0 or -1 (unknown). */
int	daemon_uid(const char *name, uid_t *uid);
int	daemon_gid(const char *name, gid_t *gid);

/*
 * daemon_mkdir: create the directory `path` with `mode`, owned by
 * uid/gid ((uid_t)-1 / (gid_t)-1: unchanged), unless it exists; an
 * existing path must be a directory and is left as it is.  Missing
 * directories above it are created 0755 for the caller, as "mkdir -p"
 * does.  Returns 0 or -1.
 */
int	daemon_mkdir(const char *path, mode_t mode, uid_t uid, gid_t gid,
	    char *err, size_t errlen);

/*
 * daemon_pidfile_open: create `path` exclusively (O_EXCL, O_NOFOLLOW),
 * write our pid and hold an flock on it for the life of the process
 * (the lock survives fork and privilege drop).  An existing pidfile
 * whose lock nobody holds is stale (its daemon died): it is removed and
 * the creation retried.  A held lock means another mtastsd runs: -1.
 * A missing parent directory is created 0755 for uid/gid (see
 * daemon_mkdir), so the unprivileged daemon can remove the file at
 * exit.  Returns the descriptor, or -1 with a reason in err.
 */
int	daemon_pidfile_open(const char *path, uid_t uid, gid_t gid,
	    char *err, size_t errlen);

/* daemon_pidfile_write: replace the content with getpid() (after a
 * fork).  Returns 0 or -1. */
int	daemon_pidfile_write(int fd, char *err, size_t errlen);

/* daemon_pidfile_remove: unlink path and close fd (-1: none); a
 * failure is logged. */
void	daemon_pidfile_remove(const char *path, int fd);

/*
 * daemon_detach: fork; the parent waits until the child calls
 * daemon_ready() (exit 0) or dies first (exit 1, "see the mail log"),
 * so an init script sees start-up failures.  The child starts a new
 * session, changes to "/" and points stdin, stdout and stderr at
 * /dev/null; it gets 0 and *readyfd.  Returns -1 (in the only process)
 * with a reason in err when fork or pipe fails.
 */
int	daemon_detach(int *readyfd, char *err, size_t errlen);

/* daemon_ready: tell the waiting parent that start-up worked; -1 is
 * ignored (foreground). */
void	daemon_ready(int readyfd);

/*
 * daemon_notify_ready: tell systemd (Type=notify, sdnotify.h) that the
 * sockets answer.  The running daemon also says RELOADING=1 and READY=1
 * around each SIGHUP, and STOPPING=1 on SIGTERM/SIGINT.
 */
void	daemon_notify_ready(void);

/* What the running daemon does on signals and timers (mtastsd.c). */
struct daemon_hooks {
	/* the configuration now running (for conf_reload_check) */
	const struct conf *(*current)(void *arg);
	/* apply a loaded, checked configuration; takes ownership */
	void	(*reload)(struct conf *conf, void *arg);
	/* stop accepting and close idle connections */
	void	(*stop)(void *arg);
	/* connections still finishing a request */
	size_t	(*busy)(void *arg);
	/* flush the store to disk */
	void	(*sync)(void *arg);
};

/*
 * daemon_new: install the signal events and the sync timer on `base`.
 * conf_path (copied; NULL: defaults only) is what SIGHUP loads again;
 * with `optional`, a missing file there means the defaults.  hooks is
 * borrowed (static) and arg is passed to each hook.  NULL on failure.
 */
struct daemon *daemon_new(struct event_base *base, const char *conf_path,
	    int optional, const struct daemon_hooks *hooks, void *arg,
	    char *err, size_t errlen);

/* daemon_stopping: 1 once SIGTERM/SIGINT arrived. */
int	daemon_stopping(const struct daemon *d);

/* daemon_free: remove the events.  NULL is a no-op. */
void	daemon_free(struct daemon *d);

#endif /* DAEMON_H */
