/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * daemon.c: pidfile, detach, privilege drop, signals; see daemon.h.
 *
 * Why an flock on the pidfile rather than kill(pid, 0): a stale file's
 * pid may belong to an unrelated process by now, and kill() cannot tell.
 * The kernel drops the lock when the daemon dies, however it dies, so
 * "nobody holds the lock" is exactly "no daemon owns this file".
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "sdnotify.h"

#define DAEMON_DRAIN_POLL_MS	50

struct daemon {
	struct event_base *base;
	const struct daemon_hooks *hooks;
	void		*arg;
	char		*conf_path;
	int		 optional;
	int		 stopping;
	struct timespec	 drain_until;
	struct event	*ev_hup, *ev_term, *ev_int;
	struct event	*ev_sync, *ev_drain;
};

/* --- users, groups, directories ---------------------------------------- */

/* parse_id: a decimal id without sign; 0 or -1. */
static int
parse_id(const char *s, unsigned long *id)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*id = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *id >= (unsigned long)UINT32_MAX)
		return -1;
	return 0;
}

int
daemon_uid(const char *name, uid_t *uid)
{
	struct passwd *pw;
	unsigned long id;

	if (parse_id(name, &id) == 0) {
		*uid = (uid_t)id;
		return 0;
	}
	if ((pw = getpwnam(name)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

int
daemon_gid(const char *name, gid_t *gid)
{
	struct group *gr;
	unsigned long id;

	if (parse_id(name, &id) == 0) {
		*gid = (gid_t)id;
		return 0;
	}
	if ((gr = getgrnam(name)) == NULL)
		return -1;
	*gid = gr->gr_gid;
	return 0;
}

int
daemon_user_lookup(const char *name, struct daemon_user *u, char *err,
    size_t errlen)
{
	struct passwd *pw;

	memset(u, 0, sizeof(*u));
	if (strlen(name) >= sizeof(u->name)) {
		snprintf(err, errlen, "user name too long");
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s", name);
	pw = getpwnam(name);
	if (geteuid() != 0) {
		u->uid = geteuid();
		u->gid = getegid();
		if (pw == NULL || pw->pw_uid != u->uid)
			log_info("not started as root: running as uid %u, not "
			    "as user %s", (unsigned)u->uid, name);
		return 0;
	}
	if (pw == NULL) {
		snprintf(err, errlen, "user %s: no such user", name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user %s is root: refusing to serve "
		    "untrusted clients as root", name);
		return -1;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->drop = 1;
	return 0;
}

int
daemon_drop(const struct daemon_user *u, char *err, size_t errlen)
{
	if (!u->drop)
		return 0;
	/*
	 * Only the user's primary group, as Postfix and OpenSMTPD do: the
	 * daemon needs no supplementary group, and initgroups() would also
	 * ask every NSS source (libnss_systemd and its libraries stay
	 * mapped for the life of the daemon, about 650 KiB of RSS).
	 */
	if (setgroups(1, &u->gid) == -1 ||
	    setresgid(u->gid, u->gid, u->gid) == -1 ||
	    setresuid(u->uid, u->uid, u->uid) == -1) {
		snprintf(err, errlen, "cannot become user %s: %s", u->name,
		    strerror(errno));
		return -1;
	}
	/* Paranoia, as OpenSMTPD: root must be gone for good. */
	if (setuid(0) != -1 || seteuid(0) != -1 || getuid() != u->uid ||
	    geteuid() != u->uid || getgid() != u->gid ||
	    getegid() != u->gid) {
		snprintf(err, errlen, "privileges of root could be regained "
		    "after switching to %s", u->name);
		return -1;
	}
	return 0;
}

/*
 * mkdir_ancestors: create the missing directories above path, 0755 and
 * owned by whoever runs us, as "mkdir -p" would: with the default
 * --prefix, nothing creates /usr/local/var/run or /usr/local/var/lib
 * before the daemon does.
 */
static int
mkdir_ancestors(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	for (p = strchr(dir + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int
daemon_mkdir(const char *path, mode_t mode, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	struct stat st;
	int r;

	if ((r = mkdir(path, mode)) == -1 && errno == ENOENT) {
		if (mkdir_ancestors(path, err, errlen) == -1)
			return -1;
		r = mkdir(path, mode);
	}
	if (r == -1) {
		if (errno == EEXIST && stat(path, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errlen, "%s: %s", path, errno == EEXIST ?
		    "exists and is not a directory" : strerror(errno));
		return -1;
	}
	/* mkdir() obeys the umask; the mode asked for is the one meant. */
	if (chmod(path, mode) == -1 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) == -1)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	log_info("created directory %s", path);
	return 0;
}

/* mkdir_parent: daemon_mkdir of the directory part of path. */
static int
mkdir_parent(const char *path, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	char dir[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	return daemon_mkdir(dir, 0755, uid, gid, err, errlen);
}

/* --- pidfile ------------------------------------------------------------ */

/*
 * pidfile_stale: path exists.  Returns 1 when it was stale and is now
 * removed, 0 when another daemon holds it (err says which), -1 on error.
 */
static int
pidfile_stale(const char *path, char *err, size_t errlen)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;	/* gone meanwhile: try again */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "%s: mtastsd is already running "
		    "(pid %s)", path, buf[0] != '\0' ? buf : "unknown");
		close(fd);
		return 0;
	}
	close(fd);
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: stale, but cannot remove it: %s",
		    path, strerror(errno));
		return -1;
	}
	log_info("removed stale pidfile %s", path);
	return 1;
}

int
daemon_pidfile_open(const char *path, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	int fd, tries, r;

	if (mkdir_parent(path, uid, gid, err, errlen) == -1)
		return -1;
	for (tries = 0; tries < 3; tries++) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (fd != -1) {
			if (flock(fd, LOCK_EX | LOCK_NB) == -1 ||
			    daemon_pidfile_write(fd, err, errlen) == -1) {
				snprintf(err, errlen, "%s: %s", path,
				    strerror(errno));
				close(fd);
				unlink(path);
				return -1;
			}
			return fd;
		}
		if (errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if ((r = pidfile_stale(path, err, errlen)) != 1)
			return -1;
	}
	snprintf(err, errlen, "%s: keeps reappearing", path);
	return -1;
}

int
daemon_pidfile_write(int fd, char *err, size_t errlen)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "pidfile: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
daemon_pidfile_remove(const char *path, int fd)
{
	if (fd == -1)
		return;
	if (unlink(path) == -1)
		log_warn("cannot remove pidfile %s", path);
	close(fd);
}

/* --- detach ------------------------------------------------------------- */

/* parent_wait: the parent's side of daemon_detach(); never returns. */
static void
parent_wait(int fd, pid_t child)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n == 1)
		_exit(0);
	(void)waitpid(child, NULL, WNOHANG);
	fprintf(stderr, "mtastsd: start-up failed; see the mail log\n");
	_exit(1);
}

int
daemon_detach(int *readyfd, char *err, size_t errlen)
{
	int p[2], null;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		parent_wait(p[0], pid);
	}
	close(p[0]);
	if (setsid() == -1 || chdir("/") == -1 ||
	    (null = open("/dev/null", O_RDWR)) == -1) {
		snprintf(err, errlen, "detach: %s", strerror(errno));
		close(p[1]);
		return -1;
	}
	(void)dup2(null, STDIN_FILENO);
	(void)dup2(null, STDOUT_FILENO);
	(void)dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
	*readyfd = p[1];
	return 0;
}

void
daemon_ready(int readyfd)
{
	if (readyfd == -1)
		return;
	if (write(readyfd, "1", 1) != 1)
		log_warn("cannot tell the parent process that start-up worked");
	close(readyfd);
}

/* --- signals and timers ------------------------------------------------- */

static void
reload_warn(const char *name)
{
	log_warnx("reload: option %s cannot change without a restart; "
	    "keeping the running value", name);
}

/* notify: log a failed sd_notify (systemd then times the unit out). */
static void
notify(int r)
{
	if (r == -1)
		log_warn("cannot notify systemd ($NOTIFY_SOCKET)");
}

void
daemon_notify_ready(void)
{
	notify(sdnotify_send("READY=1"));
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	const char *path = d->conf_path;
	struct conf *nc;
	char err[512];

	(void)sig;
	(void)what;
	if (d->stopping)
		return;
	if (path != NULL && d->optional && access(path, F_OK) == -1 &&
	    errno == ENOENT)
		path = NULL;
	log_info("SIGHUP: reloading %s", path != NULL ? path : "defaults");
	notify(sdnotify_reloading());
	if ((nc = conf_load(path, err, sizeof(err))) == NULL) {
		log_warnx("reload failed, keeping the running configuration: "
		    "%s", err);
	} else {
		conf_reload_check(d->hooks->current(d->arg), nc, reload_warn);
		d->hooks->reload(nc, d->arg);
	}
	/* Ready again either way: the old settings still answer. */
	notify(sdnotify_send("READY=1"));
}

/* drain_check: leave the loop once nothing is busy or time is up. */
static void
drain_check(struct daemon *d)
{
	struct timeval tv = { 0, DAEMON_DRAIN_POLL_MS * 1000 };
	struct timespec now;
	size_t busy;

	busy = d->hooks->busy(d->arg);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (busy == 0 || now.tv_sec > d->drain_until.tv_sec ||
	    (now.tv_sec == d->drain_until.tv_sec &&
	    now.tv_nsec >= d->drain_until.tv_nsec)) {
		if (busy > 0)
			log_warnx("shutdown: %zu connections still busy "
			    "after %d ms, closing them", busy,
			    DAEMON_DRAIN_MS);
		event_base_loopexit(d->base, NULL);
		return;
	}
	evtimer_add(d->ev_drain, &tv);
}

static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain_check(arg);
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (d->stopping) {
		log_info("signal %d again: exiting now", (int)sig);
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->stopping = 1;
	log_info("signal %d: no new connections, finishing requests",
	    (int)sig);
	notify(sdnotify_send("STOPPING=1"));
	d->hooks->stop(d->arg);
	clock_gettime(CLOCK_MONOTONIC, &d->drain_until);
	d->drain_until.tv_sec += DAEMON_DRAIN_MS / 1000;
	d->drain_until.tv_nsec += (long)(DAEMON_DRAIN_MS % 1000) * 1000000L;
	if (d->drain_until.tv_nsec >= 1000000000L) {
		d->drain_until.tv_sec++;
		d->drain_until.tv_nsec -= 1000000000L;
	}
	drain_check(d);
}

static void
on_sync(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	d->hooks->sync(d->arg);
}

struct daemon *
daemon_new(struct event_base *base, const char *conf_path, int optional,
    const struct daemon_hooks *hooks, void *arg, char *err, size_t errlen)
{
	struct timeval tv = { DAEMON_SYNC_SECS, 0 };
	struct daemon *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto fail;
	d->base = base;
	d->hooks = hooks;
	d->arg = arg;
	d->optional = optional;
	if (conf_path != NULL && (d->conf_path = strdup(conf_path)) == NULL)
		goto fail;
	signal(SIGPIPE, SIG_IGN);
	d->ev_hup = evsignal_new(base, SIGHUP, on_hup, d);
	d->ev_term = evsignal_new(base, SIGTERM, on_term, d);
	d->ev_int = evsignal_new(base, SIGINT, on_term, d);
	d->ev_sync = event_new(base, -1, EV_PERSIST, on_sync, d);
	d->ev_drain = evtimer_new(base, on_drain, d);
	if (d->ev_hup == NULL || d->ev_term == NULL || d->ev_int == NULL ||
	    d->ev_sync == NULL || d->ev_drain == NULL ||
	    evsignal_add(d->ev_hup, NULL) == -1 ||
	    evsignal_add(d->ev_term, NULL) == -1 ||
	    evsignal_add(d->ev_int, NULL) == -1 ||
	    event_add(d->ev_sync, &tv) == -1)
		goto fail;
	return d;
fail:
	snprintf(err, errlen, "cannot set up signal events");
	daemon_free(d);
	return NULL;
}

int
daemon_stopping(const struct daemon *d)
{
	return d->stopping;
}

void
daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	if (d->ev_hup != NULL)
		event_free(d->ev_hup);
	if (d->ev_term != NULL)
		event_free(d->ev_term);
	if (d->ev_int != NULL)
		event_free(d->ev_int);
	if (d->ev_sync != NULL)
		event_free(d->ev_sync);
	if (d->ev_drain != NULL)
		event_free(d->ev_drain);
	free(d->conf_path);
	free(d);
}
