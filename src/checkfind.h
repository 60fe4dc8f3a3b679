/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * checkfind.h: the findings of `mtasts check DOMAIN` from the facts
 * gathered about the domain (src/checkrun.c gathers them).
 *
 * Purpose: every judgement of the check lives here, as a pure function
 * of the facts: what is right (ok), what is worth changing (warning),
 * what breaks or weakens mail delivery (error), and what could not be
 * checked (unknown).  Each finding has a stable name (documented in
 * mtasts(1): the --json contract), an optional subject (an MX host, a
 * host and address, an mx pattern) and one line of text that says what
 * was found and, when it is not ok, what to change.
 *
 * Pure module: no I/O, no clock (the caller passes `now`), no
 * allocation, no global state.  The facts are borrowed for the call.
 *
 * Limits: at most CHECKFIND_MAX findings are kept per domain; more are
 * counted in `dropped` (a domain with CHECKFIND_HOSTS_MAX hosts of 32
 * addresses each stays within it).
 */
#ifndef CHECKFIND_H
#define CHECKFIND_H

#include <netinet/in.h>
#include <stddef.h>
#include <time.h>

#include "danechk.h"
#include "dns.h"
#include "dnsmsg.h"
#include "resolve.h"
#include "smtpprobe.h"

struct tlslist;

#define CHECKFIND_MAX		1024
/* MX hosts checked: those one answer gives (resolver/dnsmsg.h). */
#define CHECKFIND_HOSTS_MAX	DNSMSG_RR_MAX
#define CHECKFIND_SUBJECT_MAX	(DNS_NAME_MAX + INET6_ADDRSTRLEN + 4)
#define CHECKFIND_TEXT_MAX	320
/* Addresses probed per MX host: its A and its AAAA records. */
#define CHECKFIND_ADDR_MAX	(2 * DNS_ADDR_MAX)
/* Certificates expiring sooner than this are a warning. */
#define CHECKFIND_EXPIRY_WARN_DAYS	14
/* RFC 8461 §3.2 suggests "weeks or greater" for max_age in enforce. */
#define CHECKFIND_MAX_AGE_ENFORCE	604800

enum checkfind_level {
	CHECKFIND_OK = 0,
	CHECKFIND_WARNING,
	CHECKFIND_ERROR,
	CHECKFIND_UNKNOWN	/* could not be checked */
};

struct checkfind {
	const char		*name;	/* static, stable */
	enum checkfind_level	 level;
	char			 subject[CHECKFIND_SUBJECT_MAX];
	char			 text[CHECKFIND_TEXT_MAX];
};

struct checkfind_list {
	size_t		 n;
	size_t		 dropped;
	struct checkfind f[CHECKFIND_MAX];
};

/* One address of an MX host and, when it was probed, what SMTP said. */
struct checkfind_addr {
	struct dns_addr		 addr;
	int			 probed;
	struct smtpprobe_result	 probe;
};

/* One MX host: its addresses as DNS gave them. */
struct checkfind_host {
	char			 name[DNS_NAME_MAX + 1];	/* lowercase */
	unsigned		 pref;
	int			 implicit;	/* no MX: the domain itself */
	enum dns_status		 a, aaaa;	/* the two lookups */
	size_t			 naddr;
	struct checkfind_addr	 addr[CHECKFIND_ADDR_MAX];
	/* _25._tcp.<name> TLSA, asked with DNSSEC (for dane-match) */
	enum dns_status		 tlsa_status;
	int			 tlsa_ad;	/* validated */
	size_t			 ntlsa;
	struct dnsmsg_tlsa	 tlsa[DNSMSG_RR_MAX];
};

/*
 * Everything known about one domain.  The MTA-STS part is discovery's
 * own result (resolver/resolve.h), copied: `policy` non-NULL exactly
 * when sts_err is RESOLVE_OK, `body` when a body was fetched.
 */
struct checkfind_facts {
	const char		*domain;
	time_t			 now;
	/* _mta-sts TXT and the policy */
	enum resolve_err	 sts_err;
	const char		*sts_detail;
	const char		*sts_id;	/* NULL without a usable record */
	const struct stspol	*policy;
	const char		*body;
	size_t			 body_len;
	const struct resolve_step_info *step;	/* [RESOLVE_STEP_COUNT] */
	/* MX */
	enum dns_status		 mx;
	size_t			 mx_dropped;
	int			 null_mx;
	size_t			 nhosts;
	const struct checkfind_host *hosts;
	int			 smtp;		/* hosts were probed */
	/* _smtp._tls TXT */
	enum dns_status		 tlsrpt;
	const char *const	*tlsrpt_txt;
	const size_t		*tlsrpt_len;
	size_t			 tlsrpt_n;
	/* DANE (resolver/danechk.h): NULL when it could not be asked */
	const struct danechk_result *dane;
	/* the STARTTLS list: NULL when it could not be read (list_error) */
	const struct tlslist	*list;
	const char		*list_error;
};

/*
 * checkfind_run: the findings for `facts`, in a fixed order (TXT,
 * policy, MX, each host, TLSRPT, DANE, STARTTLS list), into `out`
 * (reset first).
 */
void checkfind_run(const struct checkfind_facts *facts,
    struct checkfind_list *out);

/*
 * checkfind_status: the exit status the findings give: 1 when any is an
 * error, else 2 when any could not be checked, else 0.
 */
int checkfind_status(const struct checkfind_list *l);

/* checkfind_level_str: "ok", "warning", "error", "unknown". */
const char *checkfind_level_str(enum checkfind_level l);

#endif /* CHECKFIND_H */
