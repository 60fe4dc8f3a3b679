/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * checkrun.h: gather the facts of `mtasts check` for one domain, every
 * part at once on the caller's libevent loop.
 *
 * Purpose: for a normalised mail domain, run together: MTA-STS
 * discovery exactly as the daemon does it (resolver/resolve.c: the same
 * TXT selection, HTTPS rules and parser), the MX lookup, the A and AAAA
 * lookups of every MX host, an SMTP probe of every address as soon as
 * it is known (resolver/smtpprobe.c), and the _smtp._tls TXT lookup.
 * The facts go to src/checkfind.c, which judges them; nothing is
 * judged here.
 *
 * Time: everything starts at once and each piece has its own bound
 * (discovery its deadline, DNS its tries, each SMTP step its timeout),
 * so a domain takes about as long as its slowest MX host.
 *
 * Threading: loop thread only.  The callback runs once per started
 * check, never before checkrun_start() returned; the facts are borrowed
 * for the call, and the handle is gone after it.
 */
#ifndef CHECKRUN_H
#define CHECKRUN_H

#include <stddef.h>

struct checkfind_facts;
struct checkrun;
struct checkrun_req;
struct event_base;
struct tlslist;

struct checkrun_conf {
	const char	*dns_servers;	/* "ADDR[:PORT],..."; NULL: resolv.conf */
	const char	*ca_file;	/* PEM CA bundle; NULL: system store */
	unsigned	 smtp_port;	/* 0: 25 */
	int		 timeout_ms;	/* per network step */
	const char	*helo_name;	/* EHLO name; NULL: "localhost" */
	/* The STARTTLS list, passed on to the facts as it is (borrowed
	 * until checkrun_free()); NULL with the reason in list_error. */
	const struct tlslist *list;
	const char	*list_error;
};

typedef void checkrun_cb(const struct checkfind_facts *facts, void *arg);

/* checkrun_new: NULL with a reason in err (memory, bad servers, CA). */
struct checkrun *checkrun_new(struct event_base *base,
    const struct checkrun_conf *conf, char *err, size_t errlen);

/* checkrun_free: cancel every check (no callbacks); NULL is a no-op.
 * Not from inside a checkrun callback. */
void checkrun_free(struct checkrun *c);

/*
 * checkrun_start: check `domain` (normalised: resolver/domkey.h).
 * NULL when it could not be started (memory); then cb never runs.
 */
struct checkrun_req *checkrun_start(struct checkrun *c, const char *domain,
    checkrun_cb *cb, void *arg);

#endif /* CHECKRUN_H */
