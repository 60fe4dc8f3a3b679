/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listupd.c: the STARTTLS Policy List inside the daemon; see listupd.h.
 *
 * A job is a small state machine advanced only from lu->ev_step, an
 * event of this module: the fetch and gpgv callbacks just record what
 * happened and activate it.  So the job's events are always freed
 * outside the callbacks of the library that owns them (docs/DESIGN.md
 * §Event loop), and a job never ends inside a request's call stack.
 * Phases:
 *   START   bundled: read FILE and FILE.asc;  URL: resolver/listfetch.h
 *   NET     waiting for listfetch (DNS, then both HTTPS GETs)
 *   VERIFY  both files written to the private directory, gpgv running,
 *           then reaped by a check every LU_GPGV_POLL_MS (waitpid
 *           never blocks the loop)
 *   PARSE   the signature is good: a worker thread parses the file
 *           (tlslist_parse is pure and thread-safe; a 4 MiB list takes
 *           up to a tenth of a second, which lookups must not wait
 *           for) and writes one byte to a pipe the loop watches
 * then the rollback rule, the install, the waiters.  The worker only
 * reads job->json and writes job->list and job->perr; the loop touches
 * none of them until it has joined the thread.
 * Both waits are bounded: listfetch has its own deadline, gpgv gets
 * lu->ev_deadline and is killed when it passes, so a job always ends.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cache.h"
#include "conf.h"
#include "listfetch.h"
#include "listsig.h"
#include "liststore.h"
#include "listupd.h"
#include "log.h"
#include "tlslist.h"

#define LU_GPGV_GRACE_MS	1000	/* to exit after its output ended */
#define LU_GPGV_POLL_MS		10	/* how often its exit is checked */

#ifndef MTASTSD_GPGV
#define MTASTSD_GPGV		LISTSIG_GPGV_DEFAULT
#endif

#define LU_DAY			86400

enum lu_phase { LU_START = 0, LU_NET, LU_VERIFY, LU_PARSE };

struct listupd_req {
	struct lu_reqs		*list;		/* the job's waiters */
	listupd_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(listupd_req) entry;
};
TAILQ_HEAD(lu_reqs, listupd_req);

/* Owned copies of the options this module uses. */
struct lu_conf {
	int		 enabled, enforce_testing;
	int64_t		 interval;		/* s */
	char		*url, *bundle, *keyring, *state_dir;
	char		*dns_servers, *ca_file;
	char		 fpr[LISTSIG_FPR_MAX + 1];	/* upper case */
	int		 dns_timeout_ms, dns_tries, connect_ms, fetch_ms;
};

struct lu_job {
	struct listupd	*lu;
	int		 bundled;
	char		 source[LISTSTORE_SOURCE_MAX + 1];
	struct lu_reqs	 waiters;
	enum lu_phase	 phase;
	int		 done;		/* the phase's work has ended */
	int		 timed_out;	/* the phase's deadline passed */
	struct listfetch *lf;		/* URL jobs, phase NET */
	/* the files */
	char		*json, *sig;
	size_t		 jlen, slen;
	char		 tjson[PATH_MAX], tsig[PATH_MAX];
	struct listsig_job *sj;
	struct event	*ev_sig;
	struct listsig_info info;	/* gpgv's verdict, phase PARSE */
	/* phase PARSE: the worker and its pipe */
	pthread_t	 thr;
	int		 thr_live;	/* started, not joined */
	int		 pfd[2];	/* -1: closed */
	struct event	*ev_parsed;
	struct tlslist	*list;		/* the worker's result */
	char		 perr[LISTUPD_DETAIL_MAX - 32];
	/* the outcome */
	enum listupd_outcome outcome;
	char		 detail[LISTUPD_DETAIL_MAX];
};

struct listupd {
	struct event_base *base;
	struct cache	*cache;
	struct lu_conf	 c;
	int64_t		(*clock)(void *);
	void		*clock_arg;
	struct lookup_list state;
	struct liststore_meta meta;
	int		 have_meta;
	int		 expired_logged;
	int		 startup;	/* the start-up bundled job runs */
	char		 note[LISTUPD_DETAIL_MAX];
	struct lu_job	*job;		/* running */
	struct lu_job	*pending;	/* next, not started */
	struct event	*ev_kick, *ev_step, *ev_deadline, *ev_timer;
	struct event	*ev_expiry;
	int64_t		 next_update;
	int64_t		 last_attempt, last_success;
	char		 last_source[LISTSTORE_SOURCE_MAX + 1];
	enum listupd_outcome last_outcome;
	char		 last_detail[LISTUPD_DETAIL_MAX];
	uint64_t	 rng;
};

static void	lu_on_step(evutil_socket_t, short, void *);
static void	lu_finish(struct lu_job *);
static void	lu_schedule(struct listupd *, int64_t);
static void	lu_expiry_check(struct listupd *);

static const char *const outcome_names[] = {
	"none", "installed", "unchanged", "not-newer", "rollback",
	"bad-signature", "wrong-key", "invalid", "fetch-failed",
	"verify-failed", "store-failed", "error", "expired"
};

const char *
listupd_outcome_str(enum listupd_outcome o)
{
	if ((unsigned)o < sizeof(outcome_names) / sizeof(outcome_names[0]))
		return outcome_names[o];
	return "invalid";
}

int
listupd_outcome_ok(enum listupd_outcome o)
{
	return o == LISTUPD_INSTALLED || o == LISTUPD_UNCHANGED ||
	    o == LISTUPD_NOT_NEWER;
}

/* ---- small helpers -------------------------------------------------- */

static int64_t
lu_now(const struct listupd *lu)
{
	return lu->clock != NULL ? lu->clock(lu->clock_arg) :
	    (int64_t)time(NULL);
}

/* splitmix64: the schedule's jitter; no need for more. */
static uint64_t
lu_rand(struct listupd *lu)
{
	uint64_t x = (lu->rng += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * lu_outcome: record the job's outcome, success or failure, with its
 * detail; the first one recorded wins.
 */
static void __attribute__((format(printf, 3, 4)))
lu_outcome(struct lu_job *job, enum listupd_outcome o, const char *fmt, ...)
{
	va_list ap;

	if (job->outcome != LISTUPD_NONE)
		return;
	job->outcome = o;
	va_start(ap, fmt);
	vsnprintf(job->detail, sizeof(job->detail), fmt, ap);
	va_end(ap);
}

static const char *
lu_time(int64_t t, char buf[TLSLIST_TIME_STRLEN])
{
	return tlslist_time_format(t, buf);
}

/* lu_fpr_norm: 40/64 hex digits, upper case, spaces dropped. */
static void
lu_fpr_norm(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in != '\0' && o + 1 < size; in++) {
		if (*in == ' ')
			continue;
		out[o++] = *in >= 'a' && *in <= 'f' ? (char)(*in - 32) : *in;
	}
	out[o] = '\0';
}

/* ---- configuration -------------------------------------------------- */

static void
lu_conf_free(struct lu_conf *c)
{
	free(c->url);
	free(c->bundle);
	free(c->keyring);
	free(c->state_dir);
	free(c->dns_servers);
	free(c->ca_file);
	memset(c, 0, sizeof(*c));
}

/* lu_conf_set: copy conf into *c; -1 on out of memory (c cleared). */
static int
lu_conf_set(struct lu_conf *c, const struct conf *conf)
{
	memset(c, 0, sizeof(*c));
	c->enabled = conf->starttls_list;
	c->enforce_testing = conf->starttls_list_enforce_testing;
	c->interval = conf->starttls_list_interval / 1000;
	c->dns_timeout_ms = (int)conf->dns_timeout;
	c->dns_tries = (int)conf->dns_tries;
	c->connect_ms = (int)conf->connect_timeout;
	c->fetch_ms = (int)conf->fetch_timeout;
	lu_fpr_norm(conf->starttls_list_fingerprint, c->fpr, sizeof(c->fpr));
	if ((c->url = strdup(conf->starttls_list_url)) == NULL ||
	    (c->bundle = strdup(conf->starttls_list_bundle)) == NULL ||
	    (c->keyring = strdup(conf->starttls_list_keyring)) == NULL ||
	    (c->state_dir = strdup(conf->state_dir)) == NULL ||
	    (c->dns_servers = strdup(conf->dns_servers)) == NULL ||
	    (c->ca_file = strdup(conf->ca_file)) == NULL) {
		lu_conf_free(c);
		return -1;
	}
	return 0;
}

/* ---- requests and jobs ---------------------------------------------- */

static void
lu_reqs_unlink(struct listupd_req *r)
{
	TAILQ_REMOVE(r->list, r, entry);
	r->list = NULL;
}

static void
lu_reqs_add(struct lu_reqs *l, struct listupd_req *r)
{
	r->list = l;
	TAILQ_INSERT_TAIL(l, r, entry);
}

/*
 * lu_tmpdir_remove: the private directory goes with the job's files: it
 * is made again for each verification, and an empty directory left in
 * state_dir would only look like debris of a failed update.
 */
static void
lu_tmpdir_remove(const struct lu_job *job)
{
	char dir[PATH_MAX];
	char *slash;

	if (job->tjson[0] == '\0')
		return;
	snprintf(dir, sizeof(dir), "%s", job->tjson);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		(void)rmdir(dir);
	}
}

/* lu_job_free: everything the job holds; gpgv is killed. */
static void
lu_job_free(struct lu_job *job)
{
	struct listsig_info info;
	struct listupd_req *r;

	if (job == NULL)
		return;
	/* The worker reads job->json: it ends before anything is freed
	 * (a parse is bounded by LISTUPD_JSON_MAX). */
	if (job->thr_live)
		(void)pthread_join(job->thr, NULL);
	if (job->ev_parsed != NULL)
		event_free(job->ev_parsed);
	if (job->pfd[0] != -1)
		(void)close(job->pfd[0]);
	if (job->pfd[1] != -1)
		(void)close(job->pfd[1]);
	tlslist_free(job->list);
	while ((r = TAILQ_FIRST(&job->waiters)) != NULL) {
		lu_reqs_unlink(r);
		free(r);
	}
	if (job->ev_sig != NULL)
		event_free(job->ev_sig);
	if (job->sj != NULL)
		(void)listsig_finish(job->sj, 1, &info);
	listfetch_cancel(job->lf);
	if (job->tjson[0] != '\0')
		(void)unlink(job->tjson);
	if (job->tsig[0] != '\0')
		(void)unlink(job->tsig);
	lu_tmpdir_remove(job);
	free(job->json);
	free(job->sig);
	free(job);
}

static struct lu_job *
lu_job_new(struct listupd *lu, const char *source, int bundled,
    const char **why)
{
	struct lu_job *job;

	if ((job = calloc(1, sizeof(*job))) == NULL) {
		*why = "memory";
		return NULL;
	}
	TAILQ_INIT(&job->waiters);
	job->pfd[0] = job->pfd[1] = -1;
	job->lu = lu;
	job->bundled = bundled;
	snprintf(job->source, sizeof(job->source), "%s", source);
	if (!bundled && (strlen(source) > LISTSTORE_SOURCE_MAX ||
	    !listfetch_url_ok(source))) {
		free(job);
		*why = "bad-url";
		return NULL;
	}
	return job;
}

/*
 * lu_pending_for: the pending job for `source`, joined or created; a
 * new one is started by ev_kick once no job runs.  NULL with *why.
 */
static struct lu_job *
lu_pending_for(struct listupd *lu, const char *source, int bundled,
    const char **why)
{
	if (lu->pending != NULL) {
		if (strcmp(lu->pending->source, source) == 0)
			return lu->pending;
		*why = "busy";
		return NULL;
	}
	if ((lu->pending = lu_job_new(lu, source, bundled, why)) == NULL)
		return NULL;
	event_active(lu->ev_kick, EV_TIMEOUT, 0);
	return lu->pending;
}

/* lu_deadline: the current phase must end within ms. */
static void
lu_deadline(struct listupd *lu, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000 };

	evtimer_add(lu->ev_deadline, &tv);
}

static void
lu_step_soon(struct lu_job *job)
{
	event_active(job->lu->ev_step, EV_TIMEOUT, 0);
}

/* ---- phase START: the bundled copy ---------------------------------- */

/*
 * lu_read_file: at most max bytes of path into a new buffer.  0, or -1
 * with the job's outcome set.
 */
static int
lu_read_file(struct lu_job *job, const char *path, size_t max, char **out,
    size_t *len)
{
	char *buf;
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		lu_outcome(job, LISTUPD_FETCH_FAILED, "%s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		fclose(fp);
		lu_outcome(job, LISTUPD_ERROR, "out of memory");
		return -1;
	}
	n = fread(buf, 1, max + 1, fp);
	if (ferror(fp) || n > max) {
		lu_outcome(job, LISTUPD_FETCH_FAILED, "%s: %s", path,
		    ferror(fp) ? "read error" : "file too large");
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	*out = buf;
	*len = n;
	return 0;
}

static void
lu_start_bundled(struct lu_job *job)
{
	const char *file = job->lu->c.bundle;
	char sig[PATH_MAX];

	job->phase = LU_NET;
	job->done = 1;
	if (snprintf(sig, sizeof(sig), "%s.asc", file) >= (int)sizeof(sig))
		lu_outcome(job, LISTUPD_FETCH_FAILED, "%s: name too long",
		    file);
	else if (lu_read_file(job, file, LISTUPD_JSON_MAX, &job->json,
	    &job->jlen) == 0)
		(void)lu_read_file(job, sig, LISTUPD_SIG_MAX, &job->sig,
		    &job->slen);
	lu_step_soon(job);
}

/* ---- phase NET: resolver/listfetch.h ------------------------------- */

/* lu_on_fetched: listfetch ended (from its own event): take the files. */
static void
lu_on_fetched(struct listfetch_result *res, void *arg)
{
	struct lu_job *job = arg;

	job->lf = NULL;
	if (!res->ok)
		lu_outcome(job, LISTUPD_FETCH_FAILED, "%s", res->detail);
	else {
		job->json = res->data;
		job->jlen = res->dlen;
		job->sig = res->sig;
		job->slen = res->slen;
	}
	job->done = 1;
	lu_step_soon(job);
}

static void
lu_start_url(struct lu_job *job)
{
	struct lu_conf *c = &job->lu->c;
	struct listfetch_conf fc = { c->dns_servers[0] != '\0' ?
	    c->dns_servers : NULL, c->dns_timeout_ms, c->dns_tries,
	    c->ca_file[0] != '\0' ? c->ca_file : NULL, c->connect_ms,
	    c->fetch_ms, LISTUPD_JSON_MAX };
	char err[256];

	job->phase = LU_NET;
	if ((job->lf = listfetch_start(job->lu->base, &fc, job->source,
	    lu_on_fetched, job, err, sizeof(err))) == NULL) {
		lu_outcome(job, LISTUPD_ERROR, "%s", err);
		job->done = 1;
		lu_step_soon(job);
	}
}

/* ---- phase VERIFY: gpgv on private copies ---------------------------- */

/*
 * lu_tmpdir: state_dir/LISTUPD_TMPDIR, ours alone (gpgv reads the files
 * by name: nobody else may swap them).  0, or -1 with the outcome set.
 */
static int
lu_tmpdir(struct lu_job *job, char *dir, size_t size)
{
	struct stat st;

	if (snprintf(dir, size, "%s/%s", job->lu->c.state_dir,
	    LISTUPD_TMPDIR) >= (int)size) {
		lu_outcome(job, LISTUPD_ERROR, "state_dir name too long");
		return -1;
	}
	if ((mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    lstat(dir, &st) == -1) {
		lu_outcome(job, LISTUPD_ERROR, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		lu_outcome(job, LISTUPD_ERROR, "%s: not a private directory "
		    "(must be ours, mode 0700)", dir);
		return -1;
	}
	return 0;
}

/* lu_write_file: a new file, mode 0600, holding data.  0 or -1. */
static int
lu_write_file(struct lu_job *job, const char *path, const char *data,
    size_t len)
{
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((unlink(path) == -1 && errno != ENOENT) ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		lu_outcome(job, LISTUPD_ERROR, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0) {
			lu_outcome(job, LISTUPD_ERROR, "%s: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd) == 0 ? 0 : -1;
}

static void
lu_on_gpgv(evutil_socket_t fd, short what, void *arg)
{
	struct lu_job *job = arg;

	(void)fd;
	(void)what;
	if (job->done || listsig_job_read(job->sj) == 0)
		return;
	job->done = 1;
	event_del(job->ev_sig);
	lu_deadline(job->lu, LU_GPGV_GRACE_MS);
	lu_step_soon(job);
}

/*
 * lu_gpgv_reaped: gpgv is reaped without blocking the loop (the real
 * one exits as it closes its output, but may not be a zombie yet), so
 * it is checked every LU_GPGV_POLL_MS, and killed once the phase's
 * deadline passed: LISTSIG_TIMEOUT_DEFAULT while it writes,
 * LU_GPGV_GRACE_MS after.  0 while it runs (a check is armed).
 */
static int
lu_gpgv_reaped(struct lu_job *job)
{
	struct timeval tv = { 0, LU_GPGV_POLL_MS * 1000 };

	if (listsig_job_reap(job->sj, job->timed_out))
		return 1;
	event_add(job->lu->ev_step, &tv);
	return 0;
}

/* lu_verify_start: both files out, gpgv started and watched. */
static void
lu_verify_start(struct lu_job *job)
{
	struct listupd *lu = job->lu;
	struct listsig_conf sc = { MTASTSD_GPGV, lu->c.keyring, lu->c.fpr,
	    0 };
	struct listsig_info info;
	char dir[PATH_MAX - 32];

	job->phase = LU_VERIFY;
	job->done = 0;
	if (job->slen > LISTUPD_SIG_MAX)
		lu_outcome(job, LISTUPD_BAD_SIGNATURE, "signature file over %d "
		    "bytes", LISTUPD_SIG_MAX);
	if (job->outcome != LISTUPD_NONE || lu_tmpdir(job, dir,
	    sizeof(dir)) == -1)
		goto done;
	snprintf(job->tjson, sizeof(job->tjson), "%s/policy.json", dir);
	snprintf(job->tsig, sizeof(job->tsig), "%s/policy.json.asc", dir);
	if (lu_write_file(job, job->tjson, job->json, job->jlen) == -1 ||
	    lu_write_file(job, job->tsig, job->sig, job->slen) == -1)
		goto done;
	if ((job->sj = listsig_start(&sc, job->tsig, job->tjson, &info)) ==
	    NULL) {
		lu_outcome(job, LISTUPD_VERIFY_FAILED, "gpgv: %s: %s",
		    listsig_result_str(info.result), info.reason);
		goto done;
	}
	if ((job->ev_sig = event_new(lu->base, listsig_job_fd(job->sj),
	    EV_READ | EV_PERSIST, lu_on_gpgv, job)) == NULL ||
	    event_add(job->ev_sig, NULL) == -1) {
		lu_outcome(job, LISTUPD_ERROR, "cannot watch gpgv");
		goto done;
	}
	lu_deadline(lu, LISTSIG_TIMEOUT_DEFAULT);
	return;
done:
	job->done = 1;
	lu_step_soon(job);
}

/* ---- the verdict and the install ------------------------------------ */

/* lu_sig_verdict: gpgv's result as the job's outcome; 0 when good. */
static int
lu_sig_verdict(struct lu_job *job, const struct listsig_info *info)
{
	switch (info->result) {
	case LISTSIG_OK:
		return 0;
	case LISTSIG_BAD_SIGNATURE:
		lu_outcome(job, LISTUPD_BAD_SIGNATURE, "%s", info->reason);
		return -1;
	case LISTSIG_WRONG_KEY:
		lu_outcome(job, LISTUPD_WRONG_KEY, "%s (pinned: %s)",
		    info->reason, job->lu->c.fpr);
		return -1;
	default:
		lu_outcome(job, LISTUPD_VERIFY_FAILED, "gpgv: %s: %s",
		    listsig_result_str(info->result), info->reason);
		return -1;
	}
}

/*
 * lu_newer: may the candidate replace the installed list?  0 yes
 * (outcome untouched), -1 no (outcome set: rollback, not-newer or
 * unchanged).
 */
static int
lu_newer(struct lu_job *job, const struct listsig_stamp *cand)
{
	struct listupd *lu = job->lu;
	struct listsig_stamp inst = { lu->meta.sigtime, lu->meta.timestamp };
	const char *why = NULL;
	char a[TLSLIST_TIME_STRLEN], b[TLSLIST_TIME_STRLEN];

	if (!lu->have_meta)
		return 0;
	if (listsig_rollback_check(&inst, cand, &why) == -1) {
		lu_outcome(job, job->bundled ? LISTUPD_NOT_NEWER :
		    LISTUPD_ROLLBACK, "%s: %s (list of %s; installed: "
		    "list of %s)", job->bundled ? "not newer" :
		    "rollback refused", why, lu_time(cand->timestamp, a),
		    lu_time(inst.timestamp, b));
		return -1;
	}
	if (cand->sigtime == inst.sigtime &&
	    cand->timestamp == inst.timestamp) {
		lu_outcome(job, LISTUPD_UNCHANGED, "the installed list of %s",
		    lu_time(cand->timestamp, a));
		return -1;
	}
	return 0;
}

/* lu_adopt: the installed list's metadata becomes the state. */
static void
lu_adopt(struct listupd *lu, const struct liststore_meta *m)
{
	lu->meta = *m;
	lu->have_meta = 1;
	lu->note[0] = '\0';
	lu->state.active = lu->c.enabled;
	lu->state.expires = m->expires;
	lu->state.installed_at = m->installed_at;
	lu->expired_logged = 0;
}

/* lu_install: a verified, parsed list; swap it in if it is newer. */
static void
lu_install(struct lu_job *job, const struct tlslist *list,
    const struct listsig_info *info)
{
	struct listsig_stamp cand = { info->sigtime, tlslist_timestamp(list) };
	struct liststore_meta m;
	const char *why = NULL;
	char a[TLSLIST_TIME_STRLEN], b[TLSLIST_TIME_STRLEN];

	if (lu_newer(job, &cand) == -1)
		return;
	/* A fetched list already expired would replace the list in force
	 * with one never applied: refused, the installed one stays.  The
	 * bundled copy is installed all the same (it is EFF's last list,
	 * kept for status and as the rollback floor). */
	if (!job->bundled && tlslist_expired(list, lu_now(job->lu))) {
		lu_outcome(job, LISTUPD_EXPIRED, "list of %s expired on %s",
		    lu_time(cand.timestamp, a),
		    lu_time(tlslist_expires(list), b));
		return;
	}
	memset(&m, 0, sizeof(m));
	m.sigtime = info->sigtime;
	m.timestamp = cand.timestamp;
	m.expires = tlslist_expires(list);
	m.installed_at = lu_now(job->lu);
	m.entries = (uint32_t)tlslist_count(list);
	m.enforce = (uint32_t)tlslist_count_mode(list, TLSLIST_MODE_ENFORCE);
	m.testing = (uint32_t)tlslist_count_mode(list, TLSLIST_MODE_TESTING);
	snprintf(m.source, sizeof(m.source), "%s", job->source);
	snprintf(m.signer, sizeof(m.signer), "%s", info->signer_fpr);
	snprintf(m.primary, sizeof(m.primary), "%s", info->primary_fpr);
	if (liststore_install(job->lu->cache, list, &m, job->json, job->jlen,
	    job->sig, job->slen, &why) != CACHE_OK) {
		lu_outcome(job, LISTUPD_STORE_FAILED, "cache: %s",
		    why != NULL ? why : "error");
		return;
	}
	lu_outcome(job, LISTUPD_INSTALLED, "list of %s, expires %s",
	    lu_time(m.timestamp, a), lu_time(m.expires, b));
	lu_adopt(job->lu, &m);
}

/* ---- phase PARSE: the worker thread ---------------------------------- */

static int64_t lu_test_hold_ms;	/* listupd_test_hold */

void
listupd_test_hold(int64_t ms)
{
	lu_test_hold_ms = ms;
}

/* lu_parse_worker: the parse, off the loop; then one byte to the loop. */
static void *
lu_parse_worker(void *arg)
{
	struct lu_job *job = arg;
	struct timespec ts = { (time_t)(lu_test_hold_ms / 1000),
	    (long)(lu_test_hold_ms % 1000) * 1000000 };
	ssize_t n;

	while (lu_test_hold_ms > 0 && nanosleep(&ts, &ts) == -1 &&
	    errno == EINTR)
		;
	job->list = tlslist_parse(job->json, job->jlen, job->perr,
	    sizeof(job->perr));
	do
		n = write(job->pfd[1], "", 1);
	while (n == -1 && errno == EINTR);
	return NULL;
}

/* lu_on_parsed: the worker wrote its byte: join it, step on. */
static void
lu_on_parsed(evutil_socket_t fd, short what, void *arg)
{
	struct lu_job *job = arg;
	char c;

	(void)what;
	if (read(fd, &c, 1) != 1)
		return;		/* spurious: the byte is still to come */
	event_del(job->ev_parsed);
	(void)pthread_join(job->thr, NULL);
	job->thr_live = 0;
	job->done = 1;
	lu_step_soon(job);
}

/*
 * lu_parse_start: the worker and the event on its pipe.  0, or -1 with
 * the outcome set.  The worker blocks every signal, so they keep going
 * to the loop thread (libevent's handlers are process-wide anyway).
 */
static int
lu_parse_start(struct lu_job *job)
{
	sigset_t all, old;
	int rc;

	job->phase = LU_PARSE;
	job->done = 0;
	job->timed_out = 0;
	if (pipe(job->pfd) == -1) {
		job->pfd[0] = job->pfd[1] = -1;
		lu_outcome(job, LISTUPD_ERROR, "pipe: %s", strerror(errno));
		return -1;
	}
	if (fcntl(job->pfd[0], F_SETFL, O_NONBLOCK) == -1 ||
	    (job->ev_parsed = event_new(job->lu->base, job->pfd[0], EV_READ |
	    EV_PERSIST, lu_on_parsed, job)) == NULL ||
	    event_add(job->ev_parsed, NULL) == -1) {
		lu_outcome(job, LISTUPD_ERROR, "cannot watch the parser");
		return -1;
	}
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&job->thr, NULL, lu_parse_worker, job);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		lu_outcome(job, LISTUPD_ERROR, "cannot start the parser: %s",
		    strerror(rc));
		return -1;
	}
	job->thr_live = 1;
	return 0;
}

/* lu_parse_done: the worker's list: refuse it or install it. */
static void
lu_parse_done(struct lu_job *job)
{
	if (job->list == NULL) {
		lu_outcome(job, LISTUPD_INVALID,
		    "signed, but not a valid list: %s", job->perr);
		return;
	}
	lu_install(job, job->list, &job->info);
}

/*
 * lu_verify_done: gpgv ended (or its deadline passed): its verdict.
 * 1 when the parse was started (the job goes on), 0 when it ends.
 */
static int
lu_verify_done(struct lu_job *job)
{
	if (job->ev_sig != NULL)
		event_free(job->ev_sig);
	job->ev_sig = NULL;
	/* A time-out after the output ended is a lingering gpgv, killed:
	 * listsig_finish says so.  Before, gpgv never finished. */
	(void)listsig_finish(job->sj, job->timed_out && !job->done,
	    &job->info);
	job->sj = NULL;
	if (lu_sig_verdict(job, &job->info) == -1)
		return 0;
	return lu_parse_start(job) == 0;
}

/* ---- the step: advance the running job ------------------------------- */

static void
lu_on_step(evutil_socket_t fd, short what, void *arg)
{
	struct listupd *lu = arg;
	struct lu_job *job = lu->job;

	(void)fd;
	(void)what;
	if (job == NULL || (!job->done && !job->timed_out))
		return;
	if (job->phase == LU_VERIFY && job->sj != NULL && !lu_gpgv_reaped(job))
		return;
	evtimer_del(lu->ev_deadline);
	if (job->phase == LU_NET) {
		job->timed_out = 0;
		if (job->outcome == LISTUPD_NONE) {
			lu_verify_start(job);
			return;
		}
	} else if (job->phase == LU_VERIFY && job->sj != NULL) {
		if (lu_verify_done(job))
			return;
	} else if (job->phase == LU_PARSE) {
		if (job->thr_live)
			return;
		lu_parse_done(job);
	}
	lu_finish(job);
}

static void
lu_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct listupd *lu = arg;

	(void)fd;
	(void)what;
	if (lu->job != NULL) {
		lu->job->timed_out = 1;
		lu_on_step(-1, 0, lu);
	}
}

/* ev_kick: start the pending job once none runs. */
static void
lu_on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct listupd *lu = arg;
	struct lu_job *job;

	(void)fd;
	(void)what;
	if (lu->job != NULL || (job = lu->pending) == NULL)
		return;
	lu->pending = NULL;
	lu->job = job;
	log_debug("STARTTLS list: update from %s started", job->source);
	if (job->bundled)
		lu_start_bundled(job);
	else
		lu_start_url(job);
}

/* ---- the end of a job ----------------------------------------------- */

/* lu_log_outcome: one line per attempt; failures are warnings. */
static void
lu_log_outcome(const struct listupd *lu, const struct lu_job *job)
{
	char src[LOG_ESCAPE_MAX], det[LOG_ESCAPE_MAX];

	log_escape(job->source, strlen(job->source), src, sizeof(src));
	log_escape(job->detail, strlen(job->detail), det, sizeof(det));
	switch (job->outcome) {
	case LISTUPD_INSTALLED:
		log_info("STARTTLS list installed from %s: %s: %u entries (%u "
		    "enforce, %u testing), signed by %s", src, det,
		    (unsigned)lu->meta.entries, (unsigned)lu->meta.enforce,
		    (unsigned)lu->meta.testing, lu->meta.signer);
		break;
	case LISTUPD_UNCHANGED:
	case LISTUPD_NOT_NEWER:
		log_info("STARTTLS list from %s: %s: %s; the installed list "
		    "stays", src, listupd_outcome_str(job->outcome), det);
		break;
	default:
		log_warnx("STARTTLS list update from %s failed: %s: %s; %s",
		    src, listupd_outcome_str(job->outcome), det,
		    lu->have_meta ? "the installed list stays" :
		    "no list is installed");
		break;
	}
}

/* lu_after: what comes next for the schedule. */
static void
lu_after(struct listupd *lu, const struct lu_job *job)
{
	int64_t delay;

	if (job->bundled && lu->startup) {
		lu->startup = 0;
		if (lu->c.url[0] != '\0' && !evtimer_pending(lu->ev_timer,
		    NULL))
			lu_schedule(lu, -1);
		return;
	}
	if (job->bundled || strcmp(job->source, lu->c.url) != 0)
		return;		/* a one-off source: the schedule stays */
	delay = lu->c.interval;
	if (!listupd_outcome_ok(job->outcome) && delay > LISTUPD_RETRY_MAX)
		delay = LISTUPD_RETRY_MAX;
	lu_schedule(lu, delay);
}

/*
 * lu_finish: record and log the outcome, take the job out, answer its
 * waiters (a callback may ask for a new update: it becomes pending),
 * schedule, free, and start what is pending.
 */
static void
lu_finish(struct lu_job *job)
{
	struct listupd *lu = job->lu;
	struct listupd_result res;
	struct listupd_req *r;
	listupd_cb *cb;
	void *arg;

	if (job->outcome == LISTUPD_NONE)
		lu_outcome(job, LISTUPD_ERROR, "no outcome");
	lu->job = NULL;
	lu->last_attempt = lu_now(lu);
	lu->last_outcome = job->outcome;
	snprintf(lu->last_source, sizeof(lu->last_source), "%s", job->source);
	snprintf(lu->last_detail, sizeof(lu->last_detail), "%s", job->detail);
	if (!job->bundled && listupd_outcome_ok(job->outcome))
		lu->last_success = lu->last_attempt;
	lu_log_outcome(lu, job);
	if (job->outcome == LISTUPD_INSTALLED)
		lu_expiry_check(lu);	/* after the line it refers to */
	lu_after(lu, job);
	res.outcome = job->outcome;
	res.source = job->source;
	res.detail = job->detail;
	while ((r = TAILQ_FIRST(&job->waiters)) != NULL) {
		lu_reqs_unlink(r);
		cb = r->cb;
		arg = r->arg;
		free(r);
		cb(&res, arg);
	}
	lu_job_free(job);
	if (lu->pending != NULL)
		event_active(lu->ev_kick, EV_TIMEOUT, 0);
}

/* ---- schedule and expiry -------------------------------------------- */

/*
 * lu_schedule: the next fetch from the configured URL in `delay`
 * seconds less up to 10% jitter (never later than asked: the 48 h
 * rule), or, for delay < 0, the first one after start-up.
 */
static void
lu_schedule(struct listupd *lu, int64_t delay)
{
	struct timeval tv;
	int64_t now = lu_now(lu);

	if (lu->c.url[0] == '\0') {
		evtimer_del(lu->ev_timer);
		lu->next_update = 0;
		return;
	}
	if (delay < 0) {
		delay = 1 + (int64_t)(lu_rand(lu) % LISTUPD_FIRST_MAX);
		if (lu->have_meta && strcmp(lu->meta.source, lu->c.url) == 0 &&
		    lu->meta.installed_at + lu->c.interval > now + delay)
			delay = lu->meta.installed_at + lu->c.interval - now;
	} else if (delay >= 10)
		delay -= (int64_t)(lu_rand(lu) % (uint64_t)(delay / 10 + 1));
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = 0;
	evtimer_add(lu->ev_timer, &tv);
	lu->next_update = now + delay;
}

static void
lu_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct listupd *lu = arg;
	const char *why = NULL;

	(void)fd;
	(void)what;
	lu->next_update = 0;
	if (lu->c.url[0] == '\0')
		return;
	if (lu_pending_for(lu, lu->c.url, 0, &why) == NULL) {
		log_warnx("STARTTLS list: scheduled update not started: %s",
		    why);
		lu_schedule(lu, LISTUPD_RETRY_MAX);
	}
}

/*
 * lu_expiry_check: warn once when the list is (or becomes) expired; or
 * wake up when it expires.  Loud on purpose: an expired list protects
 * no one, and the operator must update it or turn it off.
 */
static void
lu_expiry_check(struct listupd *lu)
{
	struct timeval tv = { 0, 0 };
	char t[TLSLIST_TIME_STRLEN], src[LOG_ESCAPE_MAX];
	int64_t now = lu_now(lu), left;

	evtimer_del(lu->ev_expiry);
	if (!lu->state.active)
		return;
	if ((left = lu->state.expires - now) > 0) {
		tv.tv_sec = (time_t)(left < LU_DAY ? left + 1 : LU_DAY);
		evtimer_add(lu->ev_expiry, &tv);
		return;
	}
	if (lu->expired_logged)
		return;
	lu->expired_logged = 1;
	log_escape(lu->meta.source, strlen(lu->meta.source), src, sizeof(src));
	log_warnx("STARTTLS Policy List EXPIRED on %s (installed from %s): "
	    "it is NOT applied, lookups get MTA-STS answers only; update it "
	    "(mtasts list update) or set starttls_list = no",
	    lu_time(lu->state.expires, t), src);
}

static void
lu_on_expiry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	lu_expiry_check(arg);
}

/* ---- public --------------------------------------------------------- */

const struct lookup_list *
listupd_lookup_list(const struct listupd *lu)
{
	return &lu->state;
}

struct listupd_req *
listupd_update(struct listupd *lu, const char *url, listupd_cb *cb,
    void *arg, const char **why)
{
	struct listupd_req *r;
	struct lu_job *job;

	if (!lu->c.enabled) {
		*why = "disabled";
		return NULL;
	}
	if (url == NULL)
		url = lu->c.url;
	if (url[0] == '\0') {
		*why = "no-url";
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		*why = "memory";
		return NULL;
	}
	if ((job = lu_pending_for(lu, url, 0, why)) == NULL) {
		free(r);
		return NULL;
	}
	r->cb = cb;
	r->arg = arg;
	lu_reqs_add(&job->waiters, r);
	return r;
}

void
listupd_cancel(struct listupd_req *r)
{
	if (r == NULL)
		return;
	lu_reqs_unlink(r);
	free(r);
}

void
listupd_status(struct listupd *lu, struct listupd_status *st)
{
	lu_expiry_check(lu);
	memset(st, 0, sizeof(*st));
	st->enabled = lu->c.enabled;
	st->installed = lu->have_meta;
	st->meta = lu->meta;
	st->expired = lu->have_meta && lu_now(lu) >= lu->meta.expires;
	st->enforce_testing = lu->c.enforce_testing;
	st->url = lu->c.url;
	st->interval = lu->c.interval;
	st->updating = lu->job != NULL;
	st->updating_source = lu->job != NULL ? lu->job->source : NULL;
	st->next_update = evtimer_pending(lu->ev_timer, NULL) ?
	    lu->next_update : 0;
	st->last_attempt = lu->last_attempt;
	st->last_source = lu->last_source;
	st->last_outcome = lu->last_outcome;
	st->last_detail = lu->last_detail;
	st->last_success = lu->last_success;
	st->note = lu->note;
}

int
listupd_reconf(struct listupd *lu, const struct conf *conf)
{
	struct lu_conf nc;
	int url_changed;

	if (lu_conf_set(&nc, conf) == -1)
		return -1;
	/* Restart-only options (conf.c) keep what the list was read with. */
	nc.enabled = lu->c.enabled;
	url_changed = strcmp(nc.url, lu->c.url) != 0;
	lu_conf_free(&lu->c);
	lu->c = nc;
	lu->state.enforce_testing = nc.enforce_testing;
	if (!lu->c.enabled || lu->startup)
		return 0;
	if (url_changed || (lu->next_update != 0 &&
	    lu->next_update - lu_now(lu) > lu->c.interval))
		lu_schedule(lu, url_changed ? -1 : lu->c.interval);
	return 0;
}

/*
 * lu_load_stored: the list the store holds, if it may be used: it must
 * decode and be signed by the key pinned now (a list verified with a
 * key the operator has since replaced is not trusted).
 */
static void
lu_load_stored(struct listupd *lu)
{
	struct liststore_meta m;
	const char *why = NULL;
	char t[TLSLIST_TIME_STRLEN], src[LOG_ESCAPE_MAX];

	switch (liststore_meta_get(lu->cache, &m, &why)) {
	case CACHE_OK:
		break;
	case CACHE_NOTFOUND:
		log_info("STARTTLS list: none stored yet");
		return;
	default:
		snprintf(lu->note, sizeof(lu->note), "stored list unusable: %s",
		    why != NULL ? why : "cache error");
		log_warnx("STARTTLS list: %s", lu->note);
		return;
	}
	if (strcmp(m.primary, lu->c.fpr) != 0) {
		snprintf(lu->note, sizeof(lu->note), "stored list ignored: "
		    "signed by key %s, the pinned key is %s", m.primary,
		    lu->c.fpr);
		log_warnx("STARTTLS list: %s", lu->note);
		return;
	}
	lu_adopt(lu, &m);
	log_escape(m.source, strlen(m.source), src, sizeof(src));
	log_info("STARTTLS list: stored list from %s, %u entries, expires "
	    "%s", src, (unsigned)m.entries, lu_time(m.expires, t));
	lu_expiry_check(lu);
}

static int
lu_events(struct listupd *lu)
{
	struct event_base *b = lu->base;

	lu->ev_kick = event_new(b, -1, 0, lu_on_kick, lu);
	lu->ev_step = event_new(b, -1, 0, lu_on_step, lu);
	lu->ev_deadline = evtimer_new(b, lu_on_deadline, lu);
	lu->ev_timer = evtimer_new(b, lu_on_timer, lu);
	lu->ev_expiry = evtimer_new(b, lu_on_expiry, lu);
	return lu->ev_kick != NULL && lu->ev_step != NULL &&
	    lu->ev_deadline != NULL && lu->ev_timer != NULL &&
	    lu->ev_expiry != NULL ? 0 : -1;
}

struct listupd *
listupd_new(struct event_base *base, struct cache *cache,
    const struct conf *conf, int64_t (*clock)(void *), void *clock_arg,
    char *err, size_t errlen)
{
	struct listupd *lu;
	const char *why;

	if ((lu = calloc(1, sizeof(*lu))) == NULL ||
	    lu_conf_set(&lu->c, conf) == -1 || (lu->base = base) == NULL ||
	    lu_events(lu) == -1) {
		snprintf(err, errlen, "out of memory");
		listupd_free(lu);
		return NULL;
	}
	lu->cache = cache;
	lu->clock = clock;
	lu->clock_arg = clock_arg;
	lu->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)(uintptr_t)lu;
	lu->state.enforce_testing = lu->c.enforce_testing;
	if (!lu->c.enabled)
		return lu;
	lu_load_stored(lu);
	if (lu->c.bundle[0] != '\0') {
		lu->startup = 1;
		if (lu_pending_for(lu, LISTUPD_SOURCE_BUNDLED, 1, &why) ==
		    NULL) {
			snprintf(err, errlen, "STARTTLS list: %s", why);
			listupd_free(lu);
			return NULL;
		}
	} else
		lu_schedule(lu, -1);
	return lu;
}

void
listupd_free(struct listupd *lu)
{
	if (lu == NULL)
		return;
	lu_job_free(lu->job);
	lu_job_free(lu->pending);
	if (lu->ev_kick != NULL)
		event_free(lu->ev_kick);
	if (lu->ev_step != NULL)
		event_free(lu->ev_step);
	if (lu->ev_deadline != NULL)
		event_free(lu->ev_deadline);
	if (lu->ev_timer != NULL)
		event_free(lu->ev_timer);
	if (lu->ev_expiry != NULL)
		event_free(lu->ev_expiry);
	lu_conf_free(&lu->c);
	free(lu);
}
