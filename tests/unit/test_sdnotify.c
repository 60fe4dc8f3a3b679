/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_sdnotify.c: $NOTIFY_SOCKET parsing, and real datagrams to a
 * socket bound here, as systemd would bind it (src/sdnotify.c).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"
#include "tap.h"

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static const struct {
	const char	*name;
	const char	*env;
	socklen_t	 want;	/* 0: refused */
} addrs[] = {
	{ "path", "/run/systemd/notify", SUN_OFF + 20 },
	{ "abstract", "@/org/freedesktop/systemd1/notify", SUN_OFF + 33 },
	{ "unset", NULL, 0 },
	{ "empty", "", 0 },
	{ "relative path", "run/notify", 0 },
	{ "bare @", "@", 0 },
	{ "bare /", "/", 0 },
	{ "vsock (not spoken here)", "vsock:2:1234", 0 },
};

static void
test_addr(void)
{
	struct sockaddr_un sun;
	char name[128], big[200];
	socklen_t len;
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		snprintf(name, sizeof(name), "address: %s", addrs[i].name);
		tap_is_int(sdnotify_addr(addrs[i].env, &sun), addrs[i].want,
		    name);
	}
	len = sdnotify_addr("@abc", &sun);
	tap_ok(len == SUN_OFF + 4 && sun.sun_path[0] == '\0' &&
	    memcmp(sun.sun_path + 1, "abc", 3) == 0,
	    "abstract: leading NUL, no trailing NUL counted");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	tap_is_int(sdnotify_addr(big, &sun), 0, "path longer than sun_path");
}

/* bound: a datagram socket bound to env's address (as systemd does). */
static int
bound(const char *env)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if ((len = sdnotify_addr(env, &sun)) == 0 ||
	    (fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* received: the next datagram on fd, NUL-terminated. */
static const char *
received(int fd)
{
	static char buf[256];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_send(const char *env, const char *what)
{
	char name[128];
	const char *got;
	int fd;

	if ((fd = bound(env)) == -1) {
		tap_ok(0, "%s: bind %s", what, env);
		return;
	}
	setenv("NOTIFY_SOCKET", env, 1);
	sdnotify_init();
	tap_ok(getenv("NOTIFY_SOCKET") == NULL,
	    "%s: NOTIFY_SOCKET taken out of the environment", what);
	snprintf(name, sizeof(name), "%s: READY=1 sent", what);
	tap_is_int(sdnotify_send("READY=1"), 1, name);
	snprintf(name, sizeof(name), "%s: READY=1 received", what);
	tap_is_str(received(fd), "READY=1", name);
	snprintf(name, sizeof(name), "%s: RELOADING=1 sent", what);
	tap_is_int(sdnotify_reloading(), 1, name);
	got = received(fd);
	tap_ok(strncmp(got, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0 &&
	    isdigit((unsigned char)got[27]),
	    "%s: RELOADING=1 with MONOTONIC_USEC", what);
	close(fd);
}

int
main(void)
{
	char dir[] = "/tmp/test_sdnotify.XXXXXX", path[128], abs[64];

	test_addr();

	unsetenv("NOTIFY_SOCKET");
	sdnotify_init();
	tap_is_int(sdnotify_send("READY=1"), 0,
	    "not under systemd: nothing sent, no error");

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp");
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/notify", dir);
	test_send(path, "path socket");
	unlink(path);
	snprintf(abs, sizeof(abs), "@mtastsd-test-sdnotify-%ld",
	    (long)getpid());
	test_send(abs, "abstract socket");

	/* Nobody listens any more: the caller must hear about it. */
	setenv("NOTIFY_SOCKET", path, 1);
	sdnotify_init();
	tap_is_int(sdnotify_send("STOPPING=1"), -1,
	    "socket gone: failure reported");
	rmdir(dir);
	return tap_done();
}
