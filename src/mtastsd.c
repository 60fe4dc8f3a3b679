/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * mtastsd.c: the MTA-STS policy daemon (docs/DESIGN.md §Programs): options,
 * start-up, the event loop, reload and shutdown.
 *
 * usage: mtastsd [-d] [-n] [-v] [-T] [-f FILE]
 *        mtastsd -h | --help | -V | --version
 *   -f FILE  configuration file (mtastsd.conf(5)); default
 *            SYSCONFDIR/mtastsd/mtastsd.conf, and if that default does
 *            not exist the daemon runs on built-in defaults (and says
 *            so).  A FILE named with -f must exist.
 *   -n       print the effective configuration ("name = value" for
 *            every option) and exit.
 *   -d       stay in the foreground and log to stderr (otherwise
 *            detach and log to syslog, facility mail).  That is how the
 *            systemd unit runs it: Type=notify (sdnotify.h), lines with
 *            the journal's priorities (log.h).
 *   -v       log at debug level, whatever log_level says.
 *   -T       test mode, for the test suite only: enables the JSON ops
 *            test.clock, which moves the lookup service's clock, and
 *            test.sweep, which starts a sweep of the cache.
 *            Never use it in production.
 *   -h, --help     print the usage on standard output and exit 0.
 *   -V, --version  print "mtastsd VERSION" and exit 0.
 *
 * Start-up (daemon.h explains the order): as root, the pidfile, the
 * listening sockets and the state directory; then detach, drop to
 * conf->user, and only then create the event base, open the LMDB cache
 * and the lookup service, which must not cross a fork.
 *
 * The STARTTLS list (src/listupd.h) is set up before the lookup
 * service, which reads its state at every fallback to the list.
 *
 * The lookup service (resolver/lookup.h) gets lookup_timeout as the
 * longest wait of a client, and a longer budget for the background job
 * that fills the cache (job_timeout_ms); its background outcomes are
 * logged (refresh failures as warnings unless the mode is none, RFC 8461
 * §10.2).
 *
 * Reload (SIGHUP): log_level, max_connections (and the descriptor plan,
 * fd_plan), max_connections_per_user, client_idle_timeout,
 * client_request_timeout, socketmap_idle_timeout, listen_tcp_json,
 * max_pending_per_user and enforce_testing apply at once.  The lookup
 * settings (lookup_timeout, dns_*, connect_timeout, fetch_timeout,
 * max_fetches, ca_file, txt_recheck_interval, max_pending,
 * max_pending_json), when any changed, start a new lookup service:
 * new requests use it, the old one answers the requests it already has
 * and is freed once it has none (its background work is cancelled).
 * starttls_list_url, _interval and _enforce_testing apply at once (the
 * next list update uses the network settings too: src/listupd.h).
 * Everything else needs a restart (conf.c marks it; the log says so).
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 on a start-up error.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cache.h"
#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "listen.h"
#include "listupd.h"
#include "log.h"
#include "lookup.h"
#include "metrics.h"
#include "metricsrv.h"
#include "record.h"
#include "refresh.h"
#include "sdnotify.h"
#include "sockmap.h"
#include "stats.h"
#include "sweep.h"
#include "tcptable.h"

#ifndef MTASTSD_SYSCONFDIR
#define MTASTSD_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF	MTASTSD_SYSCONFDIR "/mtastsd/mtastsd.conf"
#define RETIRE_POLL_SECS 1
#define JOB_TIMEOUT_MAX	600000	/* ms, longest background job */
/* Descriptors kept from clients: our own files, DNS, gpgv (see fd_plan). */
#define FD_RESERVE_BASE	64

/*
 * Debian's libcurl links librtmp, which links GnuTLS, and GnuTLS's
 * library constructor initialises it in every process that maps it:
 * ASN.1 trees, p11-kit, a random generator; about 0.7 MiB of RSS for
 * the life of the daemon.  mtastsd never uses GnuTLS (curl is limited
 * to https, over OpenSSL), so it opts out the way gnutls.h documents
 * (its GNUTLS_SKIP_GLOBAL_INIT macro, spelt out here: the header is not
 * a build dependency).  The constructor calls this function through
 * the dynamic linker, so it must be exported (Makefile.am).
 */
int	_gnutls_global_init_skip(void);

int
_gnutls_global_init_skip(void)
{
	return 1;
}

struct opts {
	const char	*file;		/* -f */
	int		 foreground;	/* -d */
	int		 dump;		/* -n */
	int		 verbose;	/* -v */
	int		 test;		/* -T */
};

/* One lookup service and the strings its configuration points to. */
struct svc {
	struct lookup	*lk;
	char		*dns_servers;
	char		*ca_file;
	struct svc	*next;
};

struct mtastsd {
	struct opts	 o;
	struct event_base *base;
	struct conf	*conf;
	char		 conf_path[PATH_MAX];	/* "" = defaults */
	int		 conf_optional;
	struct daemon_user user;
	int		 pidfd;
	int		 readyfd;
	struct cache	*cache;
	struct listupd	*list;		/* the STARTTLS list */
	struct listen	*listen;
	struct daemon	*daemon;
	struct svc	*svc;		/* answering new requests */
	struct svc	*retired;	/* replaced on reload, finishing */
	struct lookup_stats gone;	/* counters of freed services */
	struct metricsrv *metrics;	/* metrics_listen, or NULL */
	struct event	*ev_retire;
	struct event	*ev_trim;	/* heap_trim() after a burst */
	struct sweep	*sweep;		/* keeps the cache bounded */
	unsigned	 outcomes;	/* discovery outcomes since */
	struct listen_env env;
	struct stats	 stats;
};

static const struct listen_proto *protos[4];

/* usage: on stderr and exit 1 after a mistake, on stdout for -h. */
static void __attribute__((noreturn))
usage(int asked)
{
	fprintf(asked ? stdout : stderr,
	    "usage: mtastsd [-d] [-n] [-v] [-T] [-f file]\n"
	    "       mtastsd -h | --help | -V | --version\n"
	    "See mtastsd(8) and mtastsd.conf(5).\n");
	exit(asked ? 0 : 1);
}

/* die: a start-up failure; the pidfile goes first. */
static void __attribute__((noreturn))
die(struct mtastsd *m, const char *what, const char *err)
{
	if (m->pidfd != -1)
		daemon_pidfile_remove(m->conf->pidfile, m->pidfd);
	m->pidfd = -1;
	listen_free(m->listen);
	m->listen = NULL;
	fatalx("%s: %s", what, err);
}

static void
parse_args(int argc, char *argv[], struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "dnvTf:hV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'h':
			usage(1);
		case 'V':
			printf("mtastsd %s\n", PACKAGE_VERSION);
			exit(0);
		case 'd':
			o->foreground = 1;
			break;
		case 'n':
			o->dump = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'T':
			o->test = 1;
			break;
		case 'f':
			o->file = optarg;
			break;
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
}

/* load_conf: -f FILE, else the default file, else defaults. */
static struct conf *
load_conf(struct mtastsd *m)
{
	const char *path = m->o.file != NULL ? m->o.file : DEFAULT_CONF;
	struct conf *c;
	char err[512];

	m->conf_optional = m->o.file == NULL;
	if (m->conf_optional && access(path, F_OK) == -1 && errno == ENOENT)
		path = NULL;
	if ((c = conf_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mtastsd: %s\n", err);
		exit(1);
	}
	/* Kept absolute: SIGHUP reads it again after chdir("/"). */
	if (path == NULL)
		snprintf(m->conf_path, sizeof(m->conf_path), "%s", DEFAULT_CONF);
	else if (realpath(path, m->conf_path) == NULL)
		snprintf(m->conf_path, sizeof(m->conf_path), "%s", path);
	return c;
}

/* --- the lookup service -------------------------------------------------- */

static int64_t
service_clock(void *arg)
{
	const struct listen_env *env = arg;

	return (int64_t)time(NULL) + env->clock_offset;
}

static void
svc_free(struct svc *s)
{
	if (s == NULL)
		return;
	lookup_free(s->lk);
	free(s->dns_servers);
	free(s->ca_file);
	free(s);
}

/*
 * job_timeout_ms: the budget of one background job (discovery, TXT
 * re-check, refetch).  A job outlives the callers that wait at most
 * lookup_timeout for it (lookup.h), so the cache is filled for the next
 * lookup: it covers two DNS steps (TXT, then the policy host's
 * addresses; c-ares doubles the timeout on each try) and the whole
 * fetch, and is never shorter than lookup_timeout.
 */
static int
job_timeout_ms(const struct conf *c)
{
	unsigned tries = c->dns_tries < 10 ? c->dns_tries : 10;
	int64_t ms;

	ms = 2 * c->dns_timeout * (int64_t)((1u << tries) - 1) +
	    c->fetch_timeout;
	if (ms < c->lookup_timeout)
		ms = c->lookup_timeout;
	return (int)(ms < JOB_TIMEOUT_MAX ? ms : JOB_TIMEOUT_MAX);
}

/*
 * The heap after discoveries.  TLS fetches in flight raise its
 * high-water mark (50 of them: megabytes) and glibc keeps the pages
 * they freed; the cached path allocates nothing, so give them back.
 * After a burst (TRIM_OUTCOMES outcomes or more) that is done at the
 * first loop turn with no discovery left; a trickle waits for the next
 * cache sync (hook_sync, every 30 s).
 */
#define TRIM_OUTCOMES	32

static void
heap_trim(struct mtastsd *m)
{
	m->outcomes = 0;
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

/* discovering: does any lookup service, retired ones too, have a job? */
static int
discovering(const struct mtastsd *m)
{
	struct lookup_stats st;
	const struct svc *s;

	lookup_get_stats(m->svc->lk, &st);
	if (st.pending_domains > 0)
		return 1;
	for (s = m->retired; s != NULL; s = s->next) {
		lookup_get_stats(s->lk, &st);
		if (st.pending_domains > 0)
			return 1;
	}
	return 0;
}

static void
on_trim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (!discovering(arg))	/* else the next outcome comes back here */
		heap_trim(arg);
}

/* trim_soon: count an outcome; after a burst, trim once it is over. */
static void
trim_soon(struct mtastsd *m)
{
	static const struct timeval now = { 0, 0 };

	if (++m->outcomes >= TRIM_OUTCOMES && m->ev_trim != NULL &&
	    !evtimer_pending(m->ev_trim, NULL))
		evtimer_add(m->ev_trim, &now);
}

/*
 * log_overload: a limit of the lookup service refused work.  A client
 * can trigger it at will, so it is rate limited; the counters in
 * "mtasts stats" say how often.
 */
static void
log_overload(const char *dom, const char *which)
{
	static struct log_rl rl;

	if (log_rl_allow(&rl))
		log_warnx("%s: overload: %s full; %s", dom, which,
		    strcmp(which, "max_refreshes") == 0 ||
		    strcmp(which, "max_pending") == 0 ? "no discovery or "
		    "refresh started" : "no discovery started for this client");
}

/* on_lookup_event: log the lookup service's background outcomes. */
static void
on_lookup_event(const struct lookup_event *ev, void *arg)
{
	const struct record_policy *p = ev->policy;
	char dom[LOG_ESCAPE_MAX], det[LOG_ESCAPE_MAX];
	const char *code = ev->code != NULL ? ev->code : "";

	trim_soon(arg);
	log_escape(ev->domain != NULL ? ev->domain : "-", ev->domain != NULL ?
	    strlen(ev->domain) : 1, dom, sizeof(dom));
	log_escape(ev->detail != NULL ? ev->detail : "", ev->detail != NULL ?
	    strlen(ev->detail) : 0, det, sizeof(det));
	switch (ev->kind) {
	case LOOKUP_EV_STORED:
		log_info("%s: policy stored: mode %s, id %s, max_age %u", dom,
		    p != NULL ? record_mode_str(p->mode) : "?",
		    p != NULL && p->id != NULL ? p->id : "?",
		    p != NULL ? (unsigned)p->max_age : 0);
		break;
	case LOOKUP_EV_REFRESH_FAILED:
		/* RFC 8461 §3.3, §10.2: alert unless the mode is none. */
		if (p != NULL && p->mode == RECORD_MODE_NONE)
			log_debug("%s: refresh failed (%s), mode none", dom,
			    code);
		else
			log_warnx("%s: policy refresh failed: %s %s; cached "
			    "policy kept (%u failures in a row)", dom, code,
			    det, p != NULL ? (unsigned)p->failures : 0);
		break;
	case LOOKUP_EV_NEGATIVE:
		log_debug("%s: no policy: %s %s", dom, code, det);
		break;
	case LOOKUP_EV_DANE_PROBE:
		if (strcmp(code, "validating") == 0)
			log_info("DANE: the DNS resolver validates DNSSEC "
			    "(DNSKEY of %s authenticated)", dom);
		else if (strcmp(code, "not-validating") == 0)
			log_warnx("DANE: the DNS resolver does not validate "
			    "DNSSEC (DNSKEY of %s not authenticated): every "
			    "domain looks unsigned, so DANE never applies; "
			    "use a validating resolver (dns_servers), or set "
			    "dane_probe_name to a name under its trust anchor",
			    dom);
		else
			log_warnx("DANE: cannot tell whether the DNS resolver "
			    "validates: the DNSKEY query for %s failed (%s)",
			    dom, det);
		break;
	case LOOKUP_EV_OVERLOAD:
		log_overload(dom, code);
		break;
	case LOOKUP_EV_CORRUPT:
	case LOOKUP_EV_CACHE_ERROR:
	default:
		log_warnx("%s: cache: %s: %s %s", dom,
		    lookup_event_str(ev->kind), code, det);
		break;
	}
}

/* refresh_conf_of: the refresh rules with c's settings. */
static void
refresh_conf_of(const struct conf *c, struct refresh_conf *rc)
{
	refresh_conf_default(rc);
	rc->txt_recheck_interval = (int64_t)(c->txt_recheck_interval / 1000);
	rc->expired_keep = (int64_t)(c->cache_expired_keep / 1000);
}

/* svc_conf: lookup_conf from c; strings point into s. */
static void
svc_conf(struct mtastsd *m, const struct conf *c, const struct svc *s,
    struct lookup_conf *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->resolve.dns_servers = s->dns_servers[0] != '\0' ?
	    s->dns_servers : NULL;
	lc->resolve.dns_timeout_ms = (int)c->dns_timeout;
	lc->resolve.dns_tries = (int)c->dns_tries;
	lc->resolve.connect_timeout_ms = (int)c->connect_timeout;
	lc->resolve.fetch_timeout_ms = (int)c->fetch_timeout;
	lc->resolve.lookup_timeout_ms = job_timeout_ms(c);
	lc->resolve.max_fetches = (int)c->max_fetches;
	lc->resolve.ca_file = s->ca_file[0] != '\0' ? s->ca_file : NULL;
	refresh_conf_of(c, &lc->refresh);
	lc->wait_ms = (int)c->lookup_timeout;
	lc->max_pending = c->max_pending;
	lc->max_quota_pending = c->max_pending_json;
	lc->clock = service_clock;
	lc->clock_arg = &m->env;
	lc->on_event = on_lookup_event;
	lc->event_arg = m;
	lc->list = listupd_lookup_list(m->list);
	lc->dane = c->dane;
	lc->dane_probe_name = c->dane_probe_name;
}

static struct svc *
svc_new(struct mtastsd *m, const struct conf *c, char *err, size_t errlen)
{
	struct lookup_conf lc;
	struct svc *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->dns_servers = strdup(c->dns_servers)) == NULL ||
	    (s->ca_file = strdup(c->ca_file)) == NULL) {
		snprintf(err, errlen, "out of memory");
		svc_free(s);
		return NULL;
	}
	svc_conf(m, c, s, &lc);
	if ((s->lk = lookup_new(m->base, m->cache, &lc, err, errlen)) ==
	    NULL) {
		svc_free(s);
		return NULL;
	}
	return s;
}

/* svc_conf_changed: does the lookup service need to be rebuilt? */
static int
svc_conf_changed(const struct conf *a, const struct conf *b)
{
	return a->lookup_timeout != b->lookup_timeout ||
	    strcmp(a->dns_servers, b->dns_servers) != 0 ||
	    a->dns_timeout != b->dns_timeout ||
	    a->dns_tries != b->dns_tries ||
	    a->connect_timeout != b->connect_timeout ||
	    a->fetch_timeout != b->fetch_timeout ||
	    a->max_fetches != b->max_fetches ||
	    strcmp(a->ca_file, b->ca_file) != 0 ||
	    a->txt_recheck_interval != b->txt_recheck_interval ||
	    a->dane != b->dane ||
	    strcmp(a->dane_probe_name, b->dane_probe_name) != 0 ||
	    a->max_pending != b->max_pending ||
	    a->max_pending_json != b->max_pending_json;
}

/* on_retire: free replaced services that have no request left. */
static void
on_retire(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { RETIRE_POLL_SECS, 0 };
	struct mtastsd *m = arg;
	struct lookup_stats st;
	struct svc **pp, *s;

	(void)fd;
	(void)what;
	for (pp = &m->retired; *pp != NULL;) {
		lookup_get_stats((*pp)->lk, &st);
		if (st.in_flight > 0) {
			pp = &(*pp)->next;
			continue;
		}
		s = *pp;
		*pp = s->next;
		/* Its counters stay in the totals: counters never go down. */
		metrics_add(&m->gone, &st);
		svc_free(s);
		log_info("reload: previous lookup service freed");
	}
	if (m->retired != NULL)
		evtimer_add(m->ev_retire, &tv);
}

/* --- descriptors -------------------------------------------------------- */

/*
 * nofile_raise: the soft RLIMIT_NOFILE up to the hard one, at start:
 * every client connection is a descriptor, and Debian's default soft
 * limit (1024) is max_connections' default.
 */
static void
nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("cannot raise the descriptor limit");
}

/*
 * fd_plan: leave descriptors for outbound work, so that clients cannot
 * starve it (a discovery without a descriptor fails as a DNS or fetch
 * error and is cached so): FD_RESERVE_BASE for our own files (cache,
 * listeners, event loop, pidfile, logs), DNS sockets and gpgv's pipes,
 * and two per HTTPS fetch (its connection and its host's DNS query);
 * half the limit at most.  Client connections get the rest, and a
 * max_connections that does not fit is cut, with a warning.  At start
 * and on reload.
 */
static void
fd_plan(struct mtastsd *m, const struct conf *c)
{
	uint64_t reserve = FD_RESERVE_BASE + 2 * (uint64_t)c->max_fetches;
	struct rlimit rl;
	size_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur ==
	    RLIM_INFINITY) {
		listen_set_fd_room(m->listen, 0);
		return;
	}
	if (reserve > rl.rlim_cur / 2)	/* a tiny limit: share it */
		reserve = rl.rlim_cur / 2;
	room = (size_t)(rl.rlim_cur - reserve);
	listen_set_fd_room(m->listen, room);
	if (c->max_connections > room)
		log_warnx("max_connections %u does not fit in the descriptor "
		    "limit %llu with %llu kept for DNS, HTTPS and gpgv: at "
		    "most %zu connections (raise the limit, e.g. LimitNOFILE "
		    "in the systemd unit)", c->max_connections,
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)reserve, room);
}

/* --- daemon hooks -------------------------------------------------------- */

static const struct conf *
hook_current(void *arg)
{
	return ((struct mtastsd *)arg)->conf;
}

static void
hook_reload(struct conf *nc, void *arg)
{
	struct mtastsd *m = arg;
	struct timeval tv = { RETIRE_POLL_SECS, 0 };
	struct refresh_conf rc;
	struct svc *s = NULL;
	char err[512];

	if (svc_conf_changed(m->conf, nc)) {
		if ((s = svc_new(m, nc, err, sizeof(err))) == NULL) {
			log_warnx("reload failed, keeping the running "
			    "configuration: lookup service: %s", err);
			conf_free(nc);
			return;
		}
		m->svc->next = m->retired;
		m->retired = m->svc;
		m->svc = s;
		m->env.lookup = s->lk;
		evtimer_add(m->ev_retire, &tv);
	}
	/* The resolver may have changed under the same settings. */
	lookup_dane_probe(m->svc->lk);
	if (!m->o.verbose)
		log_set_level(nc->log_level);
	m->stats.log_lookups = nc->log_lookups;
	refresh_conf_of(nc, &rc);
	sweep_reconf(m->sweep, &rc);
	if (listupd_reconf(m->list, nc) == -1)
		log_warnx("reload: STARTTLS list: out of memory, its previous "
		    "settings stay");
	fd_plan(m, nc);
	conf_free(m->conf);
	m->conf = nc;
	m->env.conf = nc;
	log_info("reload done%s", s != NULL ? " (new lookup service)" : "");
}

static void
hook_stop(void *arg)
{
	listen_stop(((struct mtastsd *)arg)->listen);
}

static size_t
hook_busy(void *arg)
{
	return listen_busy(((struct mtastsd *)arg)->listen);
}

static void
hook_sync(void *arg)
{
	const char *err = NULL;

	/* The flush runs on the cache's own thread (store/cache.h); this
	 * reports the previous one. */
	if (cache_sync_start(((struct mtastsd *)arg)->cache, &err) !=
	    CACHE_OK)
		log_warnx("cache sync: %s", err != NULL ? err : "error");
	heap_trim(arg);		/* cheap at this rate */
}

/* --- metrics ------------------------------------------------------------- */

/* collect_list: the STARTTLS list's state for the metrics. */
static void
collect_list(struct mtastsd *m, struct metrics_snap *s)
{
	struct listupd_status ls;

	listupd_status(m->list, &ls);
	s->list_enabled = ls.enabled;
	s->list_installed = ls.installed;
	s->list_expired = ls.installed && ls.expired;
	if (ls.installed) {
		s->list_timestamp = ls.meta.timestamp;
		s->list_expires = ls.meta.expires;
		s->list_installed_at = ls.meta.installed_at;
		s->list_entries = ls.meta.entries;
	}
	s->list_last_attempt = ls.last_attempt;
	s->list_last_success = ls.last_success;
	s->list_last_outcome = listupd_outcome_str(ls.last_outcome);
	s->list_last_ok = listupd_outcome_ok(ls.last_outcome);
}

/*
 * service_stats: the lookup services' counters summed: the running one,
 * those replaced on reload and still finishing, and those freed.
 */
static void
service_stats(struct lookup_stats *out, void *arg)
{
	struct mtastsd *m = arg;
	struct lookup_stats st;
	const struct svc *v;

	*out = m->gone;
	lookup_get_stats(m->svc->lk, &st);
	metrics_add(out, &st);
	for (v = m->retired; v != NULL; v = v->next) {
		lookup_get_stats(v->lk, &st);
		metrics_add(out, &st);
	}
}

/* collect: a scrape's snapshot (metricsrv.h); LMDB's counters only. */
static void
collect(struct metrics_snap *s, void *arg)
{
	struct mtastsd *m = arg;
	struct sweep_stats ss;
	const char *err = NULL;

	s->st = &m->stats;
	s->version = PACKAGE_VERSION;
	service_stats(&s->ls, m);
	s->have_cache = cache_stat(m->cache, &s->cs, &err) == CACHE_OK;
	if (!s->have_cache)
		log_warnx("metrics: cache statistics: %s",
		    err != NULL ? err : "error");
	sweep_get_stats(m->sweep, &ss);
	s->kept_at = ss.kept_at;
	s->kept = ss.kept;
	collect_list(m, s);
}

static const struct daemon_hooks hooks = {
	.current = hook_current,
	.reload = hook_reload,
	.stop = hook_stop,
	.busy = hook_busy,
	.sync = hook_sync,
};

/* --- start-up ------------------------------------------------------------ */

/* start_root: everything that needs root, then detach and drop it. */
static void
start_root(struct mtastsd *m)
{
	uid_t du = m->user.drop ? m->user.uid : (uid_t)-1;
	gid_t dg = m->user.drop ? m->user.gid : (gid_t)-1;
	char err[512];

	nofile_raise();
	if ((m->pidfd = daemon_pidfile_open(m->conf->pidfile, du, dg, err,
	    sizeof(err))) == -1)
		die(m, "pidfile", err);
	if ((m->listen = listen_open(m->conf, du, dg, err, sizeof(err))) ==
	    NULL)
		die(m, "listen", err);
	if (m->conf->metrics_listen[0] != '\0' &&
	    (m->metrics = metricsrv_open(m->conf->metrics_listen, err,
	    sizeof(err))) == NULL)
		die(m, "metrics", err);
	if (daemon_mkdir(m->conf->state_dir, 0700, du, dg, err,
	    sizeof(err)) == -1)
		die(m, "state_dir", err);
	if (!m->o.foreground) {
		if (daemon_detach(&m->readyfd, err, sizeof(err)) == -1)
			die(m, "detach", err);
		log_init("mtastsd", 0, LOG_MAIL, m->o.verbose ?
		    LOG_LEVEL_DEBUG : (enum log_level)m->conf->log_level);
		if (daemon_pidfile_write(m->pidfd, err, sizeof(err)) == -1)
			die(m, "pidfile", err);
	}
	if (daemon_drop(&m->user, err, sizeof(err)) == -1)
		die(m, "privileges", err);
}

/*
 * open_cache: open the cache; one that LMDB reports damaged (after a
 * power loss, say) is set aside and the daemon starts with an empty
 * one, so mail flows with first-use answers rather than stopping
 * (mtastsd(8), "Cache damage", says why).  Any other failure stops the
 * daemon: it needs a person (permissions, space).
 */
static void
open_cache(struct mtastsd *m)
{
	enum cache_result res;
	const char *cerr = NULL, *aerr = NULL;
	char tag[32], aside[PATH_MAX];
	time_t now = time(NULL);
	struct tm tm;

	m->cache = cache_open_res(m->conf->state_dir,
	    (size_t)m->conf->cache_map_size, (size_t)m->conf->cache_map_max,
	    0, &res, &cerr);
	if (m->cache != NULL)
		return;
	if (cerr == NULL)
		cerr = "cannot open the cache";
	if (res != CACHE_CORRUPT)
		die(m, m->conf->state_dir, cerr);
	gmtime_r(&now, &tm);
	strftime(tag, sizeof(tag), "%Y%m%dT%H%M%SZ", &tm);
	if (cache_set_aside(m->conf->state_dir, tag, aside, sizeof(aside),
	    &aerr) == -1)
		die(m, m->conf->state_dir, aerr);
	log_errx("%s: cache damaged (%s): moved to %s; starting with an "
	    "empty cache: every domain is a first use again until it is "
	    "discovered, and the STARTTLS list until it is installed "
	    "again (bundled copy, next update)",
	    m->conf->state_dir, cerr, aside);
	if ((m->cache = cache_open(m->conf->state_dir,
	    (size_t)m->conf->cache_map_size, (size_t)m->conf->cache_map_max,
	    0, &cerr)) == NULL)
		die(m, m->conf->state_dir, cerr != NULL ? cerr :
		    "cannot open the cache");
}

/* start_loop: the event base and everything that lives on it. */
static void
start_loop(struct mtastsd *m)
{
	struct refresh_conf rc;
	const char *hold;
	long long ms;
	char err[512];

	if ((m->base = event_base_new()) == NULL)
		die(m, "libevent", "cannot create the event base");
	open_cache(m);
	/* -T only: a test holds the list's parse worker (at most 60 s) to
	 * show that lookups are answered while it runs. */
	if (m->o.test && (hold = getenv("MTASTSD_TEST_LIST_HOLD_MS")) != NULL &&
	    (ms = strtoll(hold, NULL, 10)) > 0)
		listupd_test_hold(ms < 60000 ? ms : 60000);
	/* Before the lookup service: it reads the list's state. */
	if ((m->list = listupd_new(m->base, m->cache, m->conf, service_clock,
	    &m->env, err, sizeof(err))) == NULL)
		die(m, "STARTTLS list", err);
	if ((m->svc = svc_new(m, m->conf, err, sizeof(err))) == NULL)
		die(m, "lookup service", err);
	m->env.lookup = m->svc->lk;
	lookup_dane_probe(m->svc->lk);
	refresh_conf_of(m->conf, &rc);
	if ((m->sweep = sweep_new(m->base, m->cache, &rc, service_clock,
	    &m->env, err, sizeof(err))) == NULL)
		die(m, "cache sweeper", err);
	m->env.cache = m->cache;
	m->env.sweep = m->sweep;
	m->env.list = m->list;
	m->env.conf = m->conf;
	m->env.stats = &m->stats;
	m->env.service_stats = service_stats;
	m->env.service_stats_arg = m;
	m->env.test_mode = m->o.test;
	m->stats.started_at = (int64_t)time(NULL);
	m->stats.log_lookups = m->conf->log_lookups;
	protos[0] = sockmap_proto();
	protos[1] = tcptable_proto();
	protos[2] = control_proto();
	protos[3] = NULL;
	if ((m->ev_retire = evtimer_new(m->base, on_retire, m)) == NULL ||
	    (m->ev_trim = evtimer_new(m->base, on_trim, m)) == NULL ||
	    listen_start(m->listen, m->base, &m->env, protos, err,
	    sizeof(err)) == -1 ||
	    (m->metrics != NULL && metricsrv_start(m->metrics, m->base,
	    collect, m, err, sizeof(err)) == -1) ||
	    (m->daemon = daemon_new(m->base, m->conf_path, m->conf_optional,
	    &hooks, m, err, sizeof(err))) == NULL)
		die(m, "start", err);
	fd_plan(m, m->conf);
}

static void
shutdown_all(struct mtastsd *m)
{
	struct svc *s;

	listen_free(m->listen);
	metricsrv_free(m->metrics);
	while ((s = m->retired) != NULL) {
		m->retired = s->next;
		svc_free(s);
	}
	svc_free(m->svc);
	listupd_free(m->list);		/* after listen: no waiter left */
	sweep_free(m->sweep);
	cache_close(m->cache);		/* syncs first */
	daemon_free(m->daemon);
	if (m->ev_retire != NULL)
		event_free(m->ev_retire);
	if (m->ev_trim != NULL)
		event_free(m->ev_trim);
	daemon_pidfile_remove(m->conf->pidfile, m->pidfd);
	event_base_free(m->base);
	conf_free(m->conf);
}

int
main(int argc, char *argv[])
{
	static struct mtastsd m;
	char err[512];

	m.pidfd = m.readyfd = -1;
	sdnotify_init();
	parse_args(argc, argv, &m.o);
	m.conf = load_conf(&m);
	if (m.o.dump) {
		conf_dump(m.conf, stdout);
		conf_free(m.conf);
		return 0;
	}
	log_init("mtastsd", 1, LOG_MAIL, m.o.verbose ? LOG_LEVEL_DEBUG :
	    (enum log_level)m.conf->log_level);
	if (access(m.conf_path, F_OK) == -1)
		log_info("no %s: running on built-in defaults", m.conf_path);
	if (m.o.test)
		log_warnx("TEST MODE (-T): test.clock is enabled; never use "
		    "this in production");
	if (daemon_user_lookup(m.conf->user, &m.user, err, sizeof(err)) == -1)
		die(&m, "user", err);
	start_root(&m);
	start_loop(&m);
	log_info("ready: socket %s%s%s%s%s, cache %s, user %s", m.conf->socket,
	    m.conf->listen_tcp[0] != '\0' ? ", tcp " : "", m.conf->listen_tcp,
	    m.conf->metrics_listen[0] != '\0' ? ", metrics " : "",
	    m.conf->metrics_listen,
	    m.conf->state_dir, m.user.drop ? m.user.name : "(unchanged)");
	daemon_ready(m.readyfd);
	/* The sockets listen: clients that connect now are answered. */
	daemon_notify_ready();
	event_base_dispatch(m.base);
	shutdown_all(&m);
	log_info("exiting");
	return 0;
}
