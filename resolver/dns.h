/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * dns.h: asynchronous DNS queries (TXT, A, AAAA) through one c-ares
 * channel driven by the caller's libevent loop.
 *
 * Purpose: the only way mtastsd talks DNS.  The channel uses the
 * servers given in the configuration ("ADDR[:PORT]" list, IPv6 as
 * "[::1]:53") or, without one, /etc/resolv.conf.  Written against
 * c-ares 1.18.1 (Debian 12): ARES_OPT_SOCK_STATE_CB, ares_process_fd()
 * and one timer armed from ares_timeout() (docs/DESIGN.md §Event loop).
 *
 * Threading: loop thread only.  Nothing here blocks.
 *
 * Results: every query ends with exactly one call of its callback,
 * unless it was cancelled with dns_cancel() first.  The callback never
 * runs before dns_query_*() has returned.  Outcomes are kept apart all
 * the way up (docs/DESIGN.md §Failures): an answer, a name that does not
 * exist (NXDOMAIN), a name without records of that type (NODATA), a
 * server failure (SERVFAIL, REFUSED, FORMERR, garbled answers, ICMP
 * refusal), a timeout, a name that cannot be put in a query, or a local
 * error.
 *
 * Ownership: the result passed to a callback is borrowed for the
 * duration of the call; copy what you need.  The query handle is gone
 * once its callback has returned or dns_cancel() was called.
 *
 * Pacing: at most `max_queries` queries are in c-ares at once; later
 * ones wait in FIFO order (c-ares 1.18 would send any number at once,
 * and a burst of thousands overflows the socket buffers of the server
 * or of our own UDP socket, turning into timeouts).  The wait counts
 * against the caller's own deadline, not c-ares' timeouts.
 *
 * Limits: at most DNS_TXT_MAX TXT records per answer are delivered
 * (the rest are dropped and counted), each joined record is cut at
 * DNS_TXT_RECORD_MAX bytes (the length is reported uncut in
 * `full_len`), at most DNS_ADDR_MAX addresses per answer.
 */
#ifndef DNS_H
#define DNS_H

#include <netinet/in.h>
#include <stddef.h>

struct event_base;
struct dns;
struct dns_query;

/* RFC 8461 §3.1 TXT records; a TXT RR holds at most 65535 bytes. */
#define DNS_TXT_MAX 64
#define DNS_TXT_RECORD_MAX 65535
#define DNS_ADDR_MAX 16

/* Longest presentation-format name we send (RFC 1035 §2.3.4). */
#define DNS_NAME_MAX 253

enum dns_status {
	DNS_OK = 0,	/* at least one record of the asked type */
	DNS_NXDOMAIN,	/* the name does not exist */
	DNS_NODATA,	/* the name exists, no record of this type */
	DNS_SERVFAIL,	/* SERVFAIL, REFUSED, FORMERR, bad reply, refused */
	DNS_TIMEOUT,	/* no server answered in time */
	DNS_BADNAME,	/* the name cannot be asked (too long, bad label) */
	DNS_ERROR	/* local failure: memory, no servers */
};

struct dns_conf {
	const char *servers;	/* "ADDR[:PORT],..." or NULL: resolv.conf */
	int timeout_ms;		/* first try; c-ares doubles it per round */
	int tries;		/* rounds over all servers */
	int max_queries;	/* in c-ares at once; 0: DNS_QUERIES_DEFAULT */
};

#define DNS_QUERIES_DEFAULT 64
#define DNS_QUERIES_MAX 4096

/* One TXT record: its character-strings joined (RFC 8461 §3.1). */
struct dns_txt_record {
	const char *data;	/* not NUL-terminated */
	size_t len;		/* <= DNS_TXT_RECORD_MAX */
	size_t full_len;	/* length before the cut */
};

struct dns_txt {
	size_t n;
	size_t dropped;		/* records over DNS_TXT_MAX */
	struct dns_txt_record rec[DNS_TXT_MAX];
};

struct dns_addr {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

struct dns_addrs {
	size_t n;
	struct dns_addr a[DNS_ADDR_MAX];
};

struct dnsmsg_answer;

/* res is non-NULL only when status is DNS_OK. */
typedef void dns_txt_cb(enum dns_status status, const struct dns_txt *res,
    void *arg);
typedef void dns_addr_cb(enum dns_status status,
    const struct dns_addrs *res, void *arg);
/* ans is non-NULL when status is DNS_OK, DNS_NXDOMAIN or DNS_NODATA. */
typedef void dns_sec_cb(enum dns_status status,
    const struct dnsmsg_answer *ans, void *arg);

/*
 * dns_new: create a channel on `base` with `conf` (copied).  Returns
 * NULL on failure with a reason in `err` (size `errlen`): bad server
 * list, unreadable resolv.conf, memory.
 */
struct dns *dns_new(struct event_base *base, const struct dns_conf *conf,
    char *err, size_t errlen);

/*
 * dns_free: destroy the channel.  Outstanding queries are dropped
 * without calling their callbacks.  NULL is a no-op.  Must not be
 * called from inside a dns callback.
 */
void dns_free(struct dns *d);

/*
 * dns_query_txt: ask for the TXT records of `name` (no search list,
 * no trailing dot needed).  Returns a handle, or NULL when the query
 * could not even be queued (memory).
 */
struct dns_query *dns_query_txt(struct dns *d, const char *name,
    dns_txt_cb *cb, void *arg);

/*
 * dns_query_addr: ask for the A (family AF_INET) or AAAA (AF_INET6)
 * records of `name`; CNAME chains in the answer are followed by
 * c-ares.  Returns a handle, or NULL as dns_query_txt().
 */
struct dns_query *dns_query_addr(struct dns *d, const char *name,
    int family, dns_addr_cb *cb, void *arg);

/*
 * dns_query_sec: ask for records of type `qtype` (DNSMSG_TYPE_MX,
 * DNSMSG_TYPE_TLSA, ...) of `name` with a raw query that asks for
 * DNSSEC validation (resolver/dnsmsg.h: AD and EDNS0 DO set), so the
 * answer's AD flag says whether the resolver validated it.  The answer
 * is parsed with dnsmsg_parse(): DNS_OK with records, DNS_NODATA or
 * DNS_NXDOMAIN without (both with `ans`, for its AD flag and TTL); an
 * answer that does not parse is DNS_SERVFAIL.  Returns a handle, or
 * NULL as dns_query_txt().
 */
struct dns_query *dns_query_sec(struct dns *d, const char *name, int qtype,
    dns_sec_cb *cb, void *arg);

/*
 * dns_cancel: the query's callback will never run.  The handle must
 * not be used afterwards.  Safe from inside any callback.
 */
void dns_cancel(struct dns_query *q);

/* dns_status_str: static short name ("ok", "nxdomain", ...). */
const char *dns_status_str(enum dns_status s);

/*
 * dns_addr_str: presentation form of `a` into `buf` (at least
 * INET6_ADDRSTRLEN bytes).  Returns buf.
 */
const char *dns_addr_str(const struct dns_addr *a, char *buf, size_t size);

#endif /* DNS_H */
