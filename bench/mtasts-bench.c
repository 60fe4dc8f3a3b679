/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * mtasts-bench.c: a Postfix socketmap load generator (docs/PERFORMANCE.md).
 *
 * usage: mtasts-bench [-c conns] [-t threads] [-n count | -d secs]
 *            [-w secs] [-k file | -P pattern -N count] [-m name]
 *            [-p pid] [-T secs] [-j] target
 *   target       unix:PATH, PATH (starting with /), tcp:HOST:PORT or
 *                HOST:PORT (numeric address)
 *   -c conns     connections (default 1), each with exactly one request
 *                in flight, as Postfix's smtp(8) processes use a
 *                socketmap: the next request is sent when the answer
 *                to the previous one has been read
 *   -t threads   event loops sharing the connections (default 1)
 *   -n count     send this many requests, then stop (default: each key
 *                once); the time is from the first request to the last
 *                answer
 *   -d secs      instead: measure for secs seconds after a warm-up of
 *                -w secs (default 1 when -d is given); answers that
 *                arrive outside the window are not counted
 *   -k file      keys, one a line: "key" or "key<TAB>expected reply"
 *                (the netstring payload, e.g. "NOTFOUND "); with
 *                expectations every answer is checked
 *   -P pattern   keys from a pattern: "{n}" is replaced by 0..N-1
 *   -m name      socketmap name (default "postfix")
 *   -s           compare the match= list of OK answers as a set:
 *                postfix-mta-sts-resolver lists the patterns in a
 *                random order (a Python set), and Postfix does not care
 *   -p pid       also report that process's CPU per request (user +
 *                system, /proc/PID/stat) over the same window
 *   -T secs      an answer later than this is a timeout; the
 *                connection is then closed (default 60)
 *   -j           print one JSON object instead of text
 * Requests take the keys in order, cycling, shared by all connections.
 *
 * Printed: requests, elapsed time, req/s, latency p50/p90/p99/max,
 * answers by status (OK, NOTFOUND, TEMP, TIMEOUT, PERM, other), wrong
 * answers, timeouts and connection errors, this program's own CPU per
 * request and the -p process's.  Latencies go into a log-linear
 * histogram (under 0.8% error), so memory does not grow with the run.
 *
 * Exit status: 0 when every request got an answer (and, with
 * expectations, the expected one), 1 otherwise, 2 on a usage or setup
 * error.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_REPLY_MAX		100000	/* Postfix's socketmap_max_reply_size */
#define BENCH_KEY_MAX		10000	/* socketmap_max_query_size */
#define BENCH_CONNS_MAX		10000
#define BENCH_THREADS_MAX	64
#define BENCH_EVENTS		256
#define BENCH_RBUF_INIT		512
#define BENCH_TICK_MS		10	/* phase and timeout checks */
#define HIST_SUB		128	/* sub-buckets per power of two */
#define HIST_N			(57 * HIST_SUB)

enum status {
	ST_OK = 0, ST_NOTFOUND, ST_TEMP, ST_TIMEOUT, ST_PERM, ST_OTHER, ST_N
};
static const char *const status_names[ST_N] = {
	"OK", "NOTFOUND", "TEMP", "TIMEOUT", "PERM", "other"
};

enum phase { PH_WARMUP = 0, PH_MEASURE, PH_DRAIN };

struct key {
	char		*req;		/* the whole netstring request */
	size_t		 reqlen;
	char		*expect;	/* expected payload, or NULL */
	size_t		 explen;
};

struct hist {
	uint64_t	 b[HIST_N];
	uint64_t	 n;
	uint64_t	 max;
};

struct tally {
	uint64_t	 answers;	/* counted answers */
	uint64_t	 status[ST_N];
	uint64_t	 wrong;		/* differs from the expected reply */
	uint64_t	 timeouts;	/* no answer within -T */
	uint64_t	 errors;	/* closed, bad netstring, I/O error */
	struct hist	 lat;		/* ns */
};

struct conn {
	int		 fd;
	int		 busy;		/* a request is in flight */
	int		 counted;	/* sent inside the window */
	const struct key *key;
	size_t		 sent;		/* bytes of the request written */
	struct timespec	 t_sent;
	char		*rbuf;
	size_t		 rlen, rcap;
};

struct opts {
	int		 conns, threads, json, sets;
	uint64_t	 count;		/* 0: duration mode or one per key */
	double		 secs, warmup, timeout;
	const char	*keyfile, *pattern, *map, *target;
	unsigned long	 npattern;
	long		 pid;
};

struct run {
	const struct opts *o;
	struct key	*keys;
	size_t		 nkeys;
	uint64_t	 total;		/* count mode: requests to send */
	_Atomic uint64_t next;		/* tickets taken */
	_Atomic int	 phase;
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
};

struct worker {
	struct run	*run;
	struct conn	*conns;
	int		 nconn, live, ep;
	int		 inflight;	/* connections waiting for answers */
	struct tally	 t;
	pthread_t	 tid;
};

/* ---- small helpers ---- */

static double
ts_sec(const struct timespec *a)
{
	return (double)a->tv_sec + (double)a->tv_nsec / 1e9;
}

static uint64_t
ts_diff_ns(const struct timespec *a, const struct timespec *b)
{
	int64_t d = (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 +
	    (b->tv_nsec - a->tv_nsec);

	return d > 0 ? (uint64_t)d : 0;
}

static void
now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL) {
		fprintf(stderr, "mtasts-bench: out of memory\n");
		exit(2);
	}
	return p;
}

/* ---- latency histogram ---- */

/* Exact below 2*HIST_SUB ns, then HIST_SUB steps per power of two. */
static unsigned
hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < 2 * HIST_SUB)
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	shift = msb - 7;	/* 2^7 == HIST_SUB: v >> shift in [128, 256) */
	return shift * HIST_SUB + (unsigned)(v >> shift);
}

/* The middle of bucket i. */
static uint64_t
hist_value(unsigned i)
{
	unsigned shift;

	if (i < 2 * HIST_SUB)
		return i;
	shift = i / HIST_SUB - 1;
	return ((uint64_t)(i - shift * HIST_SUB) << shift) +
	    ((uint64_t)1 << shift) / 2;
}

static void
hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

static void
hist_merge(struct hist *to, const struct hist *from)
{
	unsigned i;

	for (i = 0; i < HIST_N; i++)
		to->b[i] += from->b[i];
	to->n += from->n;
	if (from->max > to->max)
		to->max = from->max;
}

/* The value at quantile q (0..1), in ns. */
static uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n + 0.5);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_N; i++) {
		seen += h->b[i];
		if (seen >= want)
			return hist_value(i) < h->max ? hist_value(i) : h->max;
	}
	return h->max;
}

/* ---- keys ---- */

/* key_make: the netstring request for `key` under map name `map`. */
static int
key_make(struct key *k, const char *map, const char *key, size_t klen,
    const char *expect)
{
	size_t plen = strlen(map) + 1 + klen;
	int n;

	if (klen == 0 || plen > BENCH_KEY_MAX)
		return -1;
	k->req = xcalloc(1, plen + 16);
	n = snprintf(k->req, plen + 16, "%zu:%s %.*s,", plen, map, (int)klen,
	    key);
	k->reqlen = (size_t)n;
	if (expect != NULL) {
		k->expect = strdup(expect);
		k->explen = strlen(expect);
		if (k->expect == NULL)
			return -1;
	}
	return 0;
}

static void
keys_free(struct key *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(keys[i].req);
		free(keys[i].expect);
	}
	free(keys);
}

/* keys_line: one line of a key file; tab separates the expectation. */
static int
keys_line(struct key *k, const char *map, char *line)
{
	char *tab;
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if ((tab = strchr(line, '\t')) != NULL)
		*tab++ = '\0';
	return key_make(k, map, line, strlen(line), tab);
}

static struct key *
keys_file(const char *path, const char *map, size_t *nkeys)
{
	struct key *keys = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "mtasts-bench: %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	while (getline(&line, &lcap, f) != -1) {
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((keys = realloc(keys, cap * sizeof(*keys))) == NULL)
				exit(2);
			memset(keys + n, 0, (cap - n) * sizeof(*keys));
		}
		if (keys_line(&keys[n], map, line) == -1) {
			fprintf(stderr, "mtasts-bench: %s: bad key on line "
			    "%zu\n", path, n + 1);
			exit(2);
		}
		n++;
	}
	free(line);
	fclose(f);
	*nkeys = n;
	return keys;
}

/* keys_pattern: "{n}" in pattern replaced by 0..count-1. */
static struct key *
keys_pattern(const char *pattern, unsigned long count, const char *map,
    size_t *nkeys)
{
	const char *at = strstr(pattern, "{n}");
	struct key *keys;
	char buf[BENCH_KEY_MAX + 32];
	unsigned long i;
	int len;

	keys = xcalloc(count, sizeof(*keys));
	for (i = 0; i < count; i++) {
		if (at != NULL)
			len = snprintf(buf, sizeof(buf), "%.*s%lu%s",
			    (int)(at - pattern), pattern, i, at + 3);
		else
			len = snprintf(buf, sizeof(buf), "%s", pattern);
		if (len < 0 || (size_t)len >= sizeof(buf) ||
		    key_make(&keys[i], map, buf, (size_t)len, NULL) == -1) {
			fprintf(stderr, "mtasts-bench: bad pattern\n");
			exit(2);
		}
	}
	*nkeys = count;
	return keys;
}

/* ---- target and connections ---- */

/* parse_inet: "HOST:PORT" or "[HOST]:PORT", numeric. */
static int
parse_inet(struct run *r, const char *spec)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&r->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r->addr;
	const char *colon = strrchr(spec, ':');
	char host[64];
	long port;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host) ||
	    (port = strtol(colon + 1, NULL, 10)) <= 0 || port > 65535)
		return -1;
	if (spec[0] == '[' && colon > spec + 1 && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec - 2),
		    spec + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		r->addrlen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		r->addrlen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* parse_target: unix:PATH, /PATH, tcp:HOST:PORT or HOST:PORT. */
static int
parse_target(struct run *r, const char *spec)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&r->addr;

	memset(&r->addr, 0, sizeof(r->addr));
	if (strncmp(spec, "unix:", 5) == 0 || spec[0] == '/') {
		spec += spec[0] == '/' ? 0 : 5;
		if (strlen(spec) >= sizeof(sun->sun_path))
			return -1;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, spec);
		r->addrlen = sizeof(*sun);
		return 0;
	}
	if (strncmp(spec, "tcp:", 4) == 0)
		spec += 4;
	return parse_inet(r, spec);
}

/* conn_open: a blocking connect, then non-blocking I/O. */
static int
conn_open(const struct run *r, struct conn *c)
{
	int fd, on = 1;

	fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)&r->addr, r->addrlen) == -1) {
		close(fd);
		return -1;
	}
	if (r->addr.ss_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->rcap = BENCH_RBUF_INIT;
	c->rbuf = xcalloc(1, c->rcap);
	return 0;
}

static void
conn_close(struct worker *w, struct conn *c)
{
	if (c->fd == -1)
		return;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->busy)
		w->inflight--;
	c->busy = 0;
	w->live--;
}

/* ---- the request loop ---- */

/* take_key: the next key, or NULL when count mode has sent them all. */
static const struct key *
take_key(struct run *r)
{
	uint64_t t = atomic_fetch_add_explicit(&r->next, 1,
	    memory_order_relaxed);

	if (r->total != 0 && t >= r->total)
		return NULL;
	return &r->keys[t % r->nkeys];
}

/* conn_flush: write what is left of the request.  -1: I/O error. */
static int
conn_flush(struct worker *w, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	ssize_t n;

	while (c->sent < c->key->reqlen) {
		n = write(c->fd, c->key->req + c->sent,
		    c->key->reqlen - c->sent);
		if (n == -1 && errno == EAGAIN) {
			ev.events = EPOLLIN | EPOLLOUT;
			break;
		}
		if (n <= 0)
			return -1;
		c->sent += (size_t)n;
	}
	/* EPOLLOUT only while a request is stuck (rare: tiny requests). */
	if (ev.events != EPOLLIN || c->sent == (size_t)c->key->reqlen)
		epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
	return 0;
}

/* conn_send: start the next request on an idle connection. */
static void
conn_send(struct worker *w, struct conn *c)
{
	struct run *r = w->run;
	int ph = atomic_load_explicit(&r->phase, memory_order_relaxed);
	ssize_t n;

	if (ph == PH_DRAIN || (c->key = take_key(r)) == NULL)
		return;
	c->busy = 1;
	w->inflight++;
	c->counted = ph == PH_MEASURE;
	c->rlen = 0;
	now(&c->t_sent);
	/* The usual case: the whole request in one write. */
	n = write(c->fd, c->key->req, c->key->reqlen);
	c->sent = n > 0 ? (size_t)n : 0;
	if (c->sent == c->key->reqlen)
		return;
	if ((n == -1 && errno != EAGAIN) || conn_flush(w, c) == -1) {
		w->t.errors++;
		conn_close(w, c);
	}
}

static enum status
classify(const char *p, size_t len)
{
	static const size_t lens[ST_N] = { 2, 8, 4, 7, 4, 0 };
	int s;

	for (s = 0; s < ST_OTHER; s++)
		if (len >= lens[s] && memcmp(p, status_names[s], lens[s]) == 0 &&
		    (len == lens[s] || p[lens[s]] == ' '))
			return (enum status)s;
	return ST_OTHER;
}

/*
 * reply_parse: one netstring at the start of rbuf.  Returns its total
 * length (payload in *p, *plen), 0 if incomplete, -1 if malformed.
 */
static long
reply_parse(const struct conn *c, const char **p, size_t *plen)
{
	size_t i, len = 0;

	for (i = 0; i < c->rlen && c->rbuf[i] >= '0' && c->rbuf[i] <= '9';
	    i++) {
		len = len * 10 + (size_t)(c->rbuf[i] - '0');
		if (len > BENCH_REPLY_MAX || i > 6)
			return -1;
	}
	if (i == c->rlen)
		return 0;
	if (i == 0 || c->rbuf[i] != ':')
		return -1;
	if (c->rlen < i + 1 + len + 1)
		return 0;
	if (c->rbuf[i + 1 + len] != ',')
		return -1;
	*p = c->rbuf + i + 1;
	*plen = len;
	return (long)(i + 2 + len);
}

/* list_count: how often item occurs in the ':'-separated list l. */
static size_t
list_count(const char *l, size_t len, const char *item, size_t ilen)
{
	size_t i = 0, j, n = 0;

	while (i <= len) {
		for (j = i; j < len && l[j] != ':'; j++)
			;
		if (j - i == ilen && memcmp(l + i, item, ilen) == 0)
			n++;
		i = j + 1;
	}
	return n;
}

/* same_set: the same items, in any order (equal lengths: no extras). */
static int
same_set(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j;

	if (alen != blen)
		return 0;
	while (i <= alen) {
		for (j = i; j < alen && a[j] != ':'; j++)
			;
		if (list_count(a, alen, a + i, j - i) !=
		    list_count(b, blen, a + i, j - i))
			return 0;
		i = j + 1;
	}
	return 1;
}

/*
 * same_answer: a == b; with -s, words starting "match=" compare as
 * sets.  Equal lengths either way, so the words line up.
 */
static int
same_answer(const char *a, size_t alen, const char *b, size_t blen,
    int sets)
{
	size_t i, e;

	if (alen != blen)
		return 0;
	if (!sets)
		return memcmp(a, b, alen) == 0;
	for (i = 0; i < alen; i = e + 1) {
		for (e = i; e < alen && a[e] != ' '; e++)
			;
		if (e < alen && b[e] != ' ')
			return 0;
		if (e - i > 6 && memcmp(a + i, "match=", 6) == 0 &&
		    memcmp(b + i, "match=", 6) == 0) {
			if (!same_set(a + i + 6, e - i - 6, b + i + 6,
			    e - i - 6))
				return 0;
		} else if (memcmp(a + i, b + i, e - i) != 0)
			return 0;
	}
	return 1;
}

/* on_answer: a complete answer for c's request. */
static void
on_answer(struct worker *w, struct conn *c, const char *p, size_t plen)
{
	struct timespec t;
	int counted = c->counted;

	now(&t);
	c->busy = 0;
	w->inflight--;
	/* Duration mode counts answers to requests sent in the window;
	 * count mode counts everything. */
	if (w->run->total != 0 || (counted &&
	    atomic_load_explicit(&w->run->phase, memory_order_relaxed) ==
	    PH_MEASURE)) {
		w->t.answers++;
		w->t.status[classify(p, plen)]++;
		if (c->key->expect != NULL && !same_answer(p, plen,
		    c->key->expect, c->key->explen, w->run->o->sets))
			w->t.wrong++;
		hist_add(&w->t.lat, ts_diff_ns(&c->t_sent, &t));
	}
	conn_send(w, c);
}

/* conn_grow: room for at least one more read. */
static int
conn_grow(struct conn *c)
{
	size_t cap;
	char *nb;

	if (c->rlen < c->rcap)
		return 0;
	if (c->rcap >= BENCH_REPLY_MAX + 16)
		return -1;
	cap = c->rcap * 4 > BENCH_REPLY_MAX + 16 ? BENCH_REPLY_MAX + 16 :
	    c->rcap * 4;
	if ((nb = realloc(c->rbuf, cap)) == NULL)
		return -1;
	c->rbuf = nb;
	c->rcap = cap;
	return 0;
}

/* conn_read: read and handle whatever answer arrived. */
static void
conn_read(struct worker *w, struct conn *c)
{
	const char *p;
	size_t plen;
	ssize_t n;
	long used;

	if (conn_grow(c) == -1)
		goto fail;
	n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || !c->busy)
		goto fail;	/* closed, error, or an unasked answer */
	c->rlen += (size_t)n;
	if ((used = reply_parse(c, &p, &plen)) == 0)
		return;
	if (used < 0 || (size_t)used != c->rlen)
		goto fail;	/* malformed, or more than one answer */
	on_answer(w, c, p, plen);
	return;
fail:
	w->t.errors++;
	conn_close(w, c);
}

/* check_timeouts: close connections whose answer is overdue. */
static void
check_timeouts(struct worker *w)
{
	struct timespec t;
	uint64_t limit = (uint64_t)(w->run->o->timeout * 1e9);
	int i;

	now(&t);
	for (i = 0; i < w->nconn; i++) {
		struct conn *c = &w->conns[i];

		if (c->fd == -1 || !c->busy ||
		    ts_diff_ns(&c->t_sent, &t) < limit)
			continue;
		if (w->run->total != 0 || c->counted)
			w->t.timeouts++;
		conn_close(w, c);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[BENCH_EVENTS];
	struct timespec last, t;
	int i, n;

	now(&last);
	for (i = 0; i < w->nconn; i++)
		conn_send(w, &w->conns[i]);
	while (w->inflight > 0) {
		n = epoll_wait(w->ep, evs, BENCH_EVENTS, BENCH_TICK_MS);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd == -1)
				continue;
			if ((evs[i].events & EPOLLOUT) && conn_flush(w, c) ==
			    -1) {
				w->t.errors++;
				conn_close(w, c);
			} else if (evs[i].events & (EPOLLIN | EPOLLERR |
			    EPOLLHUP))
				conn_read(w, c);
		}
		now(&t);
		if (ts_diff_ns(&last, &t) >= BENCH_TICK_MS * 1000000ULL) {
			check_timeouts(w);
			last = t;
		}
	}
	return NULL;
}

/* ---- measuring ---- */

struct sample {
	struct timespec	 t;
	double		 self_cpu;	/* s, this process, user + system */
	double		 pid_cpu;	/* s, the -p process, or -1 */
	double		 pid_sys;	/* s, of which system time */
};

/* pid_cpu: user + system seconds of `pid` (all threads), or -1;
 * *sys: the system part. */
static double
pid_cpu(long pid, double *sys)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* Fields 14 and 15 (utime, stime) count from after "(comm)". */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &ut, &st) != 2)
		return -1;
	*sys = (double)st / (double)sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void
sample(struct sample *s, long pid)
{
	struct rusage ru;

	now(&s->t);
	getrusage(RUSAGE_SELF, &ru);
	s->self_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	s->pid_sys = 0;
	s->pid_cpu = pid_cpu(pid, &s->pid_sys);
}

static void
sleep_sec(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- output ---- */

struct result {
	struct tally	 t;
	uint64_t	 expected;	/* count mode: requests, else 0 */
	double		 elapsed, self_cpu, pid_cpu, pid_sys;
	int		 checked;	/* keys carry expectations */
};

static double
per_req_us(double cpu, uint64_t n)
{
	return n > 0 && cpu >= 0 ? cpu * 1e6 / (double)n : -1;
}

static void
print_json(const struct result *r)
{
	const struct hist *h = &r->t.lat;
	int s;

	printf("{\"requests\":%llu,\"elapsed\":%.6f,\"rps\":%.1f,"
	    "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,",
	    (unsigned long long)r->t.answers, r->elapsed,
	    r->elapsed > 0 ? (double)r->t.answers / r->elapsed : 0,
	    hist_quantile(h, 0.50) / 1e3, hist_quantile(h, 0.90) / 1e3,
	    hist_quantile(h, 0.99) / 1e3, (double)h->max / 1e3);
	printf("\"status\":{");
	for (s = 0; s < ST_N; s++)
		printf("%s\"%s\":%llu", s ? "," : "", status_names[s],
		    (unsigned long long)r->t.status[s]);
	printf("},\"checked\":%s,\"wrong\":%llu,\"timeouts\":%llu,"
	    "\"errors\":%llu,\"client_cpu_us\":%.3f,\"server_cpu_us\":%.3f,"
	    "\"server_sys_us\":%.3f,\"server_cpu_s\":%.3f}\n",
	    r->checked ? "true" : "false",
	    (unsigned long long)r->t.wrong, (unsigned long long)r->t.timeouts,
	    (unsigned long long)r->t.errors,
	    per_req_us(r->self_cpu, r->t.answers),
	    per_req_us(r->pid_cpu, r->t.answers),
	    r->pid_cpu >= 0 ? per_req_us(r->pid_sys, r->t.answers) : -1,
	    r->pid_cpu);
}

static void
print_text(const struct result *r)
{
	const struct hist *h = &r->t.lat;
	int s;

	printf("requests   %llu in %.3f s: %.1f req/s\n",
	    (unsigned long long)r->t.answers, r->elapsed,
	    r->elapsed > 0 ? (double)r->t.answers / r->elapsed : 0);
	printf("latency    p50 %.1f us, p90 %.1f us, p99 %.1f us, "
	    "max %.1f us\n", hist_quantile(h, 0.50) / 1e3,
	    hist_quantile(h, 0.90) / 1e3, hist_quantile(h, 0.99) / 1e3,
	    (double)h->max / 1e3);
	printf("answers   ");
	for (s = 0; s < ST_N; s++)
		printf(" %s %llu", status_names[s],
		    (unsigned long long)r->t.status[s]);
	printf("\nproblems   %llu wrong%s, %llu timeouts, %llu errors\n",
	    (unsigned long long)r->t.wrong, r->checked ? "" : " (unchecked)",
	    (unsigned long long)r->t.timeouts,
	    (unsigned long long)r->t.errors);
	printf("cpu        this program %.2f us/req", per_req_us(r->self_cpu,
	    r->t.answers));
	if (r->pid_cpu >= 0)
		printf(", server %.2f us/req (system %.2f; %.0f%% of one "
		    "core)", per_req_us(r->pid_cpu, r->t.answers),
		    per_req_us(r->pid_sys, r->t.answers),
		    r->elapsed > 0 ? 100 * r->pid_cpu / r->elapsed : 0);
	printf("\n");
}

/* ---- set-up ---- */

static void
usage(void)
{
	fprintf(stderr, "usage: mtasts-bench [-j] [-c conns] [-t threads] "
	    "[-n count | -d secs] [-w secs]\n"
	    "           [-k file | -P pattern -N count] [-m name] [-p pid] "
	    "[-s] [-T secs] target\n"
	    "target: unix:PATH | /PATH | tcp:HOST:PORT | HOST:PORT\n");
	exit(2);
}

static double
arg_num(const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

static void
parse_opts(struct opts *o, int argc, char **argv)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->conns = o->threads = 1;
	o->map = "postfix";
	o->timeout = 60;
	o->warmup = -1;
	while ((ch = getopt(argc, argv, "c:d:jk:m:n:N:p:P:st:T:w:")) != -1) {
		switch (ch) {
		case 'c': o->conns = (int)arg_num(optarg, 1,
			    BENCH_CONNS_MAX); break;
		case 'd': o->secs = arg_num(optarg, 0.001, 86400); break;
		case 'j': o->json = 1; break;
		case 'k': o->keyfile = optarg; break;
		case 'm': o->map = optarg; break;
		case 'n': o->count = (uint64_t)arg_num(optarg, 1, 1e15); break;
		case 'N': o->npattern = (unsigned long)arg_num(optarg, 1,
			    1e8); break;
		case 'p': o->pid = (long)arg_num(optarg, 1, 1e9); break;
		case 'P': o->pattern = optarg; break;
		case 's': o->sets = 1; break;
		case 't': o->threads = (int)arg_num(optarg, 1,
			    BENCH_THREADS_MAX); break;
		case 'T': o->timeout = arg_num(optarg, 0.001, 86400); break;
		case 'w': o->warmup = arg_num(optarg, 0, 86400); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || (o->keyfile == NULL) ==
	    (o->pattern == NULL) || (o->count != 0 && o->secs != 0))
		usage();
	o->target = argv[optind];
	if (o->pattern != NULL && o->npattern == 0)
		o->npattern = 1;
	if (o->warmup < 0)
		o->warmup = o->secs > 0 ? 1 : 0;
	if (o->threads > o->conns)
		o->threads = o->conns;
}

/* setup_workers: connect every connection and give it to a worker. */
static struct worker *
setup_workers(struct run *r)
{
	const struct opts *o = r->o;
	struct epoll_event ev = { .events = EPOLLIN };
	struct worker *ws = xcalloc((size_t)o->threads, sizeof(*ws));
	int i;

	for (i = 0; i < o->threads; i++) {
		ws[i].run = r;
		ws[i].conns = xcalloc((size_t)o->conns, sizeof(struct conn));
		if ((ws[i].ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
			return NULL;
	}
	for (i = 0; i < o->conns; i++) {
		struct worker *w = &ws[i % o->threads];
		struct conn *c = &w->conns[w->nconn];

		if (conn_open(r, c) == -1) {
			fprintf(stderr, "mtasts-bench: connect %s: %s\n",
			    o->target, strerror(errno));
			return NULL;
		}
		ev.data.ptr = c;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
			return NULL;
		w->nconn++;
		w->live++;
	}
	return ws;
}

/* run_workers: start, pace the phases (duration mode), join. */
static void
run_workers(struct run *r, struct worker *ws, struct sample *a,
    struct sample *b)
{
	const struct opts *o = r->o;
	int i;

	if (r->total != 0 || o->warmup <= 0) {
		atomic_store(&r->phase, PH_MEASURE);
		sample(a, o->pid);
	}
	for (i = 0; i < o->threads; i++)
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0)
			exit(2);
	if (r->total == 0) {
		if (o->warmup > 0) {
			sleep_sec(o->warmup);
			sample(a, o->pid);
			atomic_store(&r->phase, PH_MEASURE);
		}
		sleep_sec(o->secs);
		atomic_store(&r->phase, PH_DRAIN);
		sample(b, o->pid);
	}
	for (i = 0; i < o->threads; i++)
		pthread_join(ws[i].tid, NULL);
	if (r->total != 0)
		sample(b, o->pid);
}

static void
collect(const struct run *r, struct worker *ws, const struct sample *a,
    const struct sample *b, struct result *res)
{
	int i, s;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < r->o->threads; i++) {
		struct tally *t = &ws[i].t;

		res->t.answers += t->answers;
		for (s = 0; s < ST_N; s++)
			res->t.status[s] += t->status[s];
		res->t.wrong += t->wrong;
		res->t.timeouts += t->timeouts;
		res->t.errors += t->errors;
		hist_merge(&res->t.lat, &t->lat);
	}
	res->expected = r->total;
	res->elapsed = ts_sec(&b->t) - ts_sec(&a->t);
	res->self_cpu = b->self_cpu - a->self_cpu;
	res->pid_cpu = a->pid_cpu >= 0 && b->pid_cpu >= 0 ?
	    b->pid_cpu - a->pid_cpu : -1;
	res->pid_sys = b->pid_sys - a->pid_sys;
	res->checked = r->keys[0].expect != NULL;
}

static void
free_workers(struct worker *ws, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < ws[i].nconn; j++) {
			if (ws[i].conns[j].fd != -1)
				close(ws[i].conns[j].fd);
			free(ws[i].conns[j].rbuf);
		}
		free(ws[i].conns);
		if (ws[i].ep != -1)
			close(ws[i].ep);
	}
	free(ws);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct worker *ws;
	struct sample a, b;
	struct result res;
	int ok;

	parse_opts(&o, argc, argv);
	signal(SIGPIPE, SIG_IGN);	/* a closed connection is an error */
	memset(&r, 0, sizeof(r));
	r.o = &o;
	if (parse_target(&r, o.target) == -1)
		usage();
	r.keys = o.keyfile != NULL ? keys_file(o.keyfile, o.map, &r.nkeys) :
	    keys_pattern(o.pattern, o.npattern, o.map, &r.nkeys);
	if (r.keys == NULL || r.nkeys == 0) {
		fprintf(stderr, "mtasts-bench: no keys\n");
		return 2;
	}
	r.total = o.secs > 0 ? 0 : o.count != 0 ? o.count : r.nkeys;
	if ((ws = setup_workers(&r)) == NULL)
		return 2;
	run_workers(&r, ws, &a, &b);
	collect(&r, ws, &a, &b, &res);
	if (o.json)
		print_json(&res);
	else
		print_text(&res);
	ok = res.t.wrong == 0 && res.t.timeouts == 0 && res.t.errors == 0 &&
	    (r.total == 0 || res.t.answers == r.total);
	free_workers(ws, o.threads);
	keys_free(r.keys, r.nkeys);
	return ok ? 0 : 1;
}
