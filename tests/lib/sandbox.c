/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * sandbox.c: network namespace and scratch directory for the C
 * integration tests; see sandbox.h.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <event2/event.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

static char sandbox_tmp[256];

static int
sandbox_lo_up(void)
{
	struct ifreq ifr;
	int s, r;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	r = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (r == 0)
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return r;
}

/* have_tools: every space-separated tool is on PATH. */
static int
have_tools(const char *tools)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "for t in %s; do command -v $t "
	    ">/dev/null 2>&1 || exit 1; done", tools);
	return system(cmd) == 0;
}

const char *
sandbox_enter(const char *name, const char *tools)
{
	static char why[256];

	if (geteuid() != 0)
		return "needs root (network namespace)";
	if (!have_tools(tools)) {
		snprintf(why, sizeof(why), "needs %s", tools);
		return why;
	}
	if (unshare(CLONE_NEWNET) == -1)
		return "unshare(CLONE_NEWNET) failed";
	if (sandbox_lo_up() == -1)
		return "cannot bring up lo";
	snprintf(sandbox_tmp, sizeof(sandbox_tmp), "/tmp/mtasts-%s-XXXXXX",
	    name);
	if (mkdtemp(sandbox_tmp) == NULL)
		return "mkdtemp failed";
	return NULL;
}

const char *
sandbox_dir(void)
{
	return sandbox_tmp;
}

char *
sandbox_path(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", sandbox_tmp, name);
	return buf;
}

int
sandbox_write(const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *fp;
	int r;

	if ((fp = fopen(sandbox_path(name, path, sizeof(path)), "w")) == NULL)
		return -1;
	r = fwrite(data, 1, len, fp) == len ? 0 : -1;
	if (fclose(fp) != 0)
		r = -1;
	return r;
}

pid_t
sandbox_spawn(char *const argv[], const char *log)
{
	char path[512];
	pid_t pid, parent;
	int fd;

	sandbox_path(log, path, sizeof(path));
	parent = getpid();
	if ((pid = fork()) != 0)
		return pid;
	/* A crashed test must not leave its server running. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(127);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execvp(argv[0], argv);
	_exit(127);
}

/* Readiness is a probe, never a fixed sleep. */
int
sandbox_wait_tcp(const char *addr, int port)
{
	struct sockaddr_in sin;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i, s, r;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	for (i = 0; i < 500; i++) {
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return -1;
		r = connect(s, (struct sockaddr *)&sin, sizeof(sin));
		close(s);
		if (r == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static int
sandbox_rm(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
sandbox_leave(pid_t pid, int sig)
{
	if (pid > 0) {
		kill(pid, sig);
		waitpid(pid, NULL, 0);
	}
	if (sandbox_tmp[0] != '\0')
		nftw(sandbox_tmp, sandbox_rm, 16, FTW_DEPTH | FTW_PHYS);
}

long
sandbox_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void
sandbox_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

void
sandbox_loop(struct event_base *base, const int *pending, int wait_ms)
{
	struct timeval tv = { wait_ms / 1000, (wait_ms % 1000) * 1000 };
	struct event *t = evtimer_new(base, sandbox_on_deadline, base);

	evtimer_add(t, &tv);
	if (*pending > 0)
		event_base_dispatch(base);
	event_free(t);
}
