/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * smtpprobe.h: one SMTP conversation with one address of an MX host,
 * for `mtasts check`: connect, read the greeting, EHLO, STARTTLS, a TLS
 * handshake at TLS 1.2 or later, the certificate checked against the
 * MX host name, then QUIT.  It never sends mail (no MAIL FROM).
 *
 * Purpose: tell a domain's owner what a sending MTA will meet on each
 * address of each MX host (RFC 8461 §4: STARTTLS, a certificate valid
 * for the MX host name, TLS 1.2 or later as RFC 8996 asks).
 *
 * Threading: loop thread only; nothing blocks (non-blocking connect,
 * OpenSSL on a non-blocking socket driven by the libevent loop).
 *
 * Results: every started probe ends with exactly one call of its
 * callback, never before smtpprobe_start() returned, unless it was
 * cancelled.  The result is borrowed for the call.
 *
 * Limits: each step (connect, greeting, EHLO, STARTTLS, handshake) has
 * `step_timeout_ms`; QUIT is sent and its reply not awaited.  A reply
 * line is at most SMTPREPLY_LINE_MAX bytes and a reply at most
 * SMTPREPLY_LINES_MAX lines (resolver/smtpreply.h); past either the
 * probe ends with a protocol error.
 */
#ifndef SMTPPROBE_H
#define SMTPPROBE_H

#include <stddef.h>
#include <time.h>

struct event_base;
struct dns_addr;
struct smtpprobe;
struct smtpprobe_req;

/* How far the conversation got, and how it ended. */
enum smtpprobe_status {
	SMTPPROBE_OK = 0,	/* TLS established (certificate: see below) */
	SMTPPROBE_CONNECT,	/* TCP refused or unreachable */
	SMTPPROBE_TIMEOUT,	/* a step took longer than its timeout */
	SMTPPROBE_REJECTED,	/* the server answered 4xx/5xx */
	SMTPPROBE_PROTOCOL,	/* not SMTP, overlong reply, closed early */
	SMTPPROBE_NO_STARTTLS,	/* EHLO reply without STARTTLS */
	SMTPPROBE_TLS,		/* the handshake failed */
	SMTPPROBE_ERROR		/* local failure (memory, sockets) */
};

enum smtpprobe_step {
	SMTPPROBE_STEP_CONNECT = 0,
	SMTPPROBE_STEP_GREETING,
	SMTPPROBE_STEP_EHLO,
	SMTPPROBE_STEP_STARTTLS,
	SMTPPROBE_STEP_HANDSHAKE,
	SMTPPROBE_STEP_QUIT
};

#define SMTPPROBE_DETAIL_MAX	200
/* Certificates of the presented chain whose digests are kept. */
#define SMTPPROBE_CHAIN_MAX	4

/* Digests of one certificate and of its SubjectPublicKeyInfo, DER, as
 * TLSA records name them (RFC 6698 §2.1.2, §2.1.3). */
struct smtpprobe_digests {
	unsigned char	cert256[32], cert512[64];
	unsigned char	spki256[32], spki512[64];
};

struct smtpprobe_result {
	enum smtpprobe_status	 status;
	enum smtpprobe_step	 step;		/* the step it ended in */
	char			 detail[SMTPPROBE_DETAIL_MAX];
	int			 starttls;	/* EHLO offered STARTTLS */
	int			 tls;		/* the handshake completed */
	char			 protocol[16];	/* "TLSv1.3" */
	char			 cipher[64];
	int			 verified;	/* chain and name are valid */
	char			 verify_error[128];	/* why not, when tls */
	int			 have_expiry;
	time_t			 not_after;	/* the leaf's notAfter */
	size_t			 ncerts;	/* [0] the leaf, then the
						 * chain as presented */
	struct smtpprobe_digests certs[SMTPPROBE_CHAIN_MAX];
	long			 ms;		/* the whole probe */
};

struct smtpprobe_conf {
	const char	*ca_file;	/* PEM bundle; NULL: system store */
	const char	*helo_name;	/* our EHLO name */
	unsigned	 port;		/* 25 unless testing */
	int		 step_timeout_ms;
};

typedef void smtpprobe_cb(const struct smtpprobe_result *res, void *arg);

/*
 * smtpprobe_new: a prober on `base` (the TLS context is made once and
 * shared by every probe).  `conf` is copied.  NULL with a reason in
 * `err` on failure (memory, unreadable CA file).
 */
struct smtpprobe *smtpprobe_new(struct event_base *base,
    const struct smtpprobe_conf *conf, char *err, size_t errlen);

/* smtpprobe_free: cancel every probe (no callbacks) and free; NULL ok. */
void smtpprobe_free(struct smtpprobe *p);

/*
 * smtpprobe_start: talk to `addr` as MX host `host` (the name sent in
 * SNI and checked in the certificate).  NULL when the probe could not
 * be set up (memory).
 */
struct smtpprobe_req *smtpprobe_start(struct smtpprobe *p, const char *host,
    const struct dns_addr *addr, smtpprobe_cb *cb, void *arg);

/* smtpprobe_cancel: the callback never runs; the handle is gone. */
void smtpprobe_cancel(struct smtpprobe_req *r);

/* smtpprobe_status_str: "ok", "connect", "timeout", ... (static). */
const char *smtpprobe_status_str(enum smtpprobe_status s);

/* smtpprobe_step_str: "connect", "greeting", "ehlo", ... (static). */
const char *smtpprobe_step_str(enum smtpprobe_step s);

#endif /* SMTPPROBE_H */
