/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * mxres.h: a blocking MX lookup with a hard deadline, for table-mtasts
 * (its relayhost lookups; docs/opensmtpd.md "Why the table resolves MX
 * itself").
 *
 * Purpose: the MX hosts of a domain, asked through c-ares (1.18 API,
 * Debian 12) with the servers of /etc/resolv.conf, the same view of DNS
 * smtpd itself uses for the relay host it is then given.  Blocking is
 * acceptable in table-mtasts only because it answers one request at a
 * time anyway (smtpd's table protocol is synchronous) and the wait is
 * bounded by `timeout_ms` in total, retries included.
 *
 * Results: MX hosts are normalised (lower case, no trailing dot) and
 * kept only if they are valid host names (domkey.h); a null MX
 * (RFC 7505, "MX 0 .") therefore leaves none.  At most
 * RELAYHOST_MX_MAX records are kept.
 *
 * Not for the daemon (its event loop must never block): it has
 * resolver/dns.c.  Call mxres_init() once before the first lookup.
 */
#ifndef MXRES_H
#define MXRES_H

#include <stddef.h>

#include "relayhost.h"

enum mxres_status {
	MXRES_OK = 0,		/* *n hosts (maybe 0 after filtering) */
	MXRES_NODATA,		/* the domain has no MX: implicit MX
				 * (RFC 5321 §5.1) is the domain itself */
	MXRES_NXDOMAIN,		/* the domain does not exist */
	MXRES_FAIL,		/* server failure, bad answer, local error */
	MXRES_TIMEOUT		/* no answer within the deadline */
};

/* mxres_init: initialise c-ares; 0, or -1 with a reason in err. */
int		 mxres_init(char *err, size_t errlen);

/*
 * mxres_query: the MX records of `domain` (normalised) into
 * out[0..max), their number in *n.  A reason for anything but OK in
 * err (short English, no untrusted bytes).
 */
enum mxres_status mxres_query(const char *domain, int timeout_ms,
		    struct relayhost_mx *out, size_t max, size_t *n,
		    char *err, size_t errlen);

/* mxres_status_str: "ok", "nodata", "nxdomain", "fail", "timeout". */
const char	*mxres_status_str(enum mxres_status s);

#endif /* MXRES_H */
