/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listsig.c: verify the STARTTLS Policy List's signature with gpgv.
 *
 * Two halves: a pure parser of gpgv's status lines (the verdict), and
 * the process plumbing (fork, execve, a bounded read, a deadline,
 * waitpid).  The plumbing follows EFF's scripts/verify.sh (gpgv, a
 * pinned keyring, both files named, VALIDSIG field 12 against the
 * pinned fingerprint) and adds what a daemon needs on top of a shell
 * script: no shell, no inherited descriptors or environment, a size
 * cap and a timeout.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "listsig.h"
#include "monoclock.h"

#define PATH_ARG_MAX	4096	/* longest file name we pass on */
#define FIELDS_MAX	16	/* status line fields we look at */

/* The child's whole environment (see listsig.h for why). */
static char *const child_env[] = {
	"PATH=/usr/bin:/bin",
	"LC_ALL=C",
	"GNUPGHOME=/nonexistent/mtastsd-gpgv",
	NULL
};

struct listsig_job {
	pid_t		 pid;
	int		 fd;		/* status pipe, non-blocking */
	int		 eof;
	int		 overflow;	/* status output hit the cap */
	int		 readerr;	/* read or poll failed */
	int		 killed;	/* SIGKILL sent */
	int		 reaped;	/* waitpid done (or failed) */
	int		 status;	/* its status, when reaped */
	int		 reap_errno;	/* waitpid's errno, 0 if it worked */
	size_t		 len;
	char		 fpr[LISTSIG_FPR_MAX + 1];	/* pinned, upper case */
	char		 buf[LISTSIG_STATUS_MAX];
};

/* What the status lines said (see status_verdict). */
struct sigseen {
	int		 valid_pinned;	/* VALIDSIG by the pinned key */
	int		 valid_other;	/* VALIDSIG by another key */
	int		 bad;		/* BADSIG, EXP*SIG, REVKEYSIG, ERRSIG */
	int		 nokey;		/* ERRSIG rc 9 / NO_PUBKEY */
	int		 nodata;	/* NODATA / UNEXPECTED: no signature */
	int		 keyring_error;	/* keyring could not be used */
	const char	*bad_reason;
};

static void
set_reason(struct listsig_info *out, const char *fmt, const char *arg)
{
	snprintf(out->reason, sizeof(out->reason), fmt, arg ? arg : "");
}

static void
info_init(struct listsig_info *out)
{
	memset(out, 0, sizeof(*out));
	out->result = LISTSIG_FAILED;
}

/*
 * fpr_norm: a fingerprint as 40 or 64 upper-case hex digits; spaces
 * are dropped (fingerprints are often written in groups of four).
 * Returns 0, or -1 when it is not one.
 */
static int
fpr_norm(const char *in, size_t n, char out[LISTSIG_FPR_MAX + 1])
{
	size_t i, o = 0;
	char c;

	for (i = 0; i < n; i++) {
		c = in[i];
		if (c == ' ')
			continue;
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) ||
		    o == LISTSIG_FPR_MAX)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return o == 40 || o == 64 ? 0 : -1;
}

/* ---- the verdict (pure) ---------------------------------------------- */

/*
 * split_fields: split one status line (after "[GNUPG:] ") at spaces
 * into at most FIELDS_MAX (start, length) pairs; returns the count.
 */
static size_t
split_fields(const char *s, size_t n, const char **f, size_t *fl)
{
	size_t i = 0, k = 0, start;

	while (i < n && k < FIELDS_MAX) {
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		f[k] = s + start;
		fl[k++] = i - start;
	}
	return k;
}

static int
field_is(const char *f, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(f, word, n) == 0;
}

/* epoch: a decimal signature time (gpgv 2.2 writes seconds). */
static int
epoch(const char *f, size_t n, int64_t *t)
{
	size_t i;

	if (n == 0 || n > 12)
		return -1;
	for (*t = 0, i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return -1;
		*t = *t * 10 + (f[i] - '0');
	}
	return 0;
}

/*
 * on_validsig: "VALIDSIG <fpr> <date> <time> <expire> <ver> <rsvd>
 * <pk-algo> <hash-algo> <class> <primary-fpr>" (GnuPG doc/DETAILS);
 * f[0] is "VALIDSIG", so field N of the whole line is f[N - 2].
 */
static void
on_validsig(const char **f, size_t *fl, size_t nf, const char *pinned,
    struct sigseen *seen, struct listsig_info *out)
{
	char signer[LISTSIG_FPR_MAX + 1], primary[LISTSIG_FPR_MAX + 1];
	int64_t t;

	if (nf < 11 || fpr_norm(f[1], fl[1], signer) == -1 ||
	    fpr_norm(f[10], fl[10], primary) == -1 ||
	    epoch(f[3], fl[3], &t) == -1) {
		seen->bad = 1;
		seen->bad_reason = "malformed VALIDSIG status line";
		return;
	}
	if (strcmp(primary, pinned) == 0)
		seen->valid_pinned = 1;
	else
		seen->valid_other = 1;
	/* Report the pinned key's signature if there is one. */
	if (out->primary_fpr[0] == '\0' || strcmp(primary, pinned) == 0) {
		memcpy(out->signer_fpr, signer, sizeof(signer));
		memcpy(out->primary_fpr, primary, sizeof(primary));
		out->sigtime = t;
	}
}

/* on_line: one "[GNUPG:] KEYWORD ..." line. */
static void
on_line(const char *s, size_t n, const char *pinned, struct sigseen *seen,
    struct listsig_info *out)
{
	const char *f[FIELDS_MAX];
	size_t fl[FIELDS_MAX], nf;

	if ((nf = split_fields(s, n, f, fl)) == 0)
		return;
	if (field_is(f[0], fl[0], "VALIDSIG"))
		on_validsig(f, fl, nf, pinned, seen, out);
	else if (field_is(f[0], fl[0], "BADSIG")) {
		seen->bad = 1;
		seen->bad_reason = "signature does not match the data";
	} else if (field_is(f[0], fl[0], "EXPSIG") ||
	    field_is(f[0], fl[0], "EXPKEYSIG")) {
		seen->bad = 1;
		seen->bad_reason = "signature or key expired";
	} else if (field_is(f[0], fl[0], "REVKEYSIG")) {
		seen->bad = 1;
		seen->bad_reason = "signing key revoked";
	} else if (field_is(f[0], fl[0], "ERRSIG")) {
		/* rc (field 7) 9: no public key; anything else: unusable. */
		if (nf >= 7 && field_is(f[6], fl[6], "9"))
			seen->nokey = 1;
		else {
			seen->bad = 1;
			seen->bad_reason = "signature cannot be checked "
			    "(unsupported algorithm or corrupt)";
		}
	} else if (field_is(f[0], fl[0], "NO_PUBKEY"))
		seen->nokey = 1;
	else if (field_is(f[0], fl[0], "NODATA") ||
	    field_is(f[0], fl[0], "UNEXPECTED"))
		seen->nodata = 1;
	else if (field_is(f[0], fl[0], "ERROR") && nf >= 2 &&
	    field_is(f[1], fl[1], "add_keyblock_resource"))
		seen->keyring_error = 1;
}

/* status_verdict: combine what was seen; a bad signature beats all. */
static enum listsig_result
status_verdict(const struct sigseen *s, int exit_code,
    struct listsig_info *out)
{
	if (s->keyring_error) {
		set_reason(out, "gpgv cannot use the keyring", NULL);
		return LISTSIG_FAILED;
	}
	if (s->bad) {
		set_reason(out, "%s", s->bad_reason);
		return LISTSIG_BAD_SIGNATURE;
	}
	if (s->valid_pinned && !s->nokey && exit_code == 0)
		return LISTSIG_OK;
	if (s->valid_other) {
		set_reason(out, "signed by primary key %s, not the pinned key",
		    out->primary_fpr);
		return LISTSIG_WRONG_KEY;
	}
	if (s->nokey) {
		set_reason(out, "signing key is not in the keyring", NULL);
		return LISTSIG_WRONG_KEY;
	}
	if (s->valid_pinned) {
		set_reason(out, "gpgv failed despite a valid signature", NULL);
		return LISTSIG_FAILED;
	}
	if (s->nodata || exit_code == 1 || exit_code == 0) {
		set_reason(out, "no valid OpenPGP signature found", NULL);
		return LISTSIG_BAD_SIGNATURE;
	}
	set_reason(out, "gpgv failed without a verdict", NULL);
	return LISTSIG_FAILED;
}

enum listsig_result
listsig_status_parse(const char *status, size_t len, int exit_code,
    const char *fpr, struct listsig_info *out)
{
	static const char prefix[] = "[GNUPG:] ";
	const size_t plen = sizeof(prefix) - 1;
	char pinned[LISTSIG_FPR_MAX + 1];
	struct sigseen seen = { 0 };
	const char *nl;
	size_t pos, n;

	info_init(out);
	if (fpr == NULL || fpr_norm(fpr, strlen(fpr), pinned) == -1) {
		set_reason(out, "invalid pinned fingerprint", NULL);
		return out->result;
	}
	for (pos = 0; pos < len; pos += n + 1) {
		nl = memchr(status + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (status + pos)) : len - pos;
		/* A last line without "\n" was cut short: ignore it. */
		if (nl != NULL && n > plen && memcmp(status + pos, prefix,
		    plen) == 0)
			on_line(status + pos + plen, n - plen, pinned, &seen,
			    out);
	}
	out->result = status_verdict(&seen, exit_code, out);
	return out->result;
}

int
listsig_rollback_check(const struct listsig_stamp *installed,
    const struct listsig_stamp *cand, const char **why)
{
	const char *w = NULL;

	if (cand->sigtime < installed->sigtime)
		w = "signature older than the installed list's";
	else if (cand->timestamp < installed->timestamp)
		w = "timestamp older than the installed list's";
	if (why != NULL)
		*why = w;
	return w == NULL ? 0 : -1;
}

const char *
listsig_result_str(enum listsig_result r)
{
	switch (r) {
	case LISTSIG_OK:
		return "ok";
	case LISTSIG_BAD_SIGNATURE:
		return "bad-signature";
	case LISTSIG_WRONG_KEY:
		return "wrong-key";
	case LISTSIG_GPGV_MISSING:
		return "gpgv-missing";
	case LISTSIG_FAILED:
		return "failed";
	case LISTSIG_TIMEOUT:
		return "timeout";
	}
	return "invalid";
}

/* ---- running gpgv ---------------------------------------------------- */

/* path_arg: p, or "./" p when relative (see listsig.h), into buf. */
static int
path_arg(const char *p, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "%s%s", p[0] == '/' ? "" : "./", p);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * child_exec: runs in the forked child; never returns.  Only
 * async-signal-safe calls: the parent may have threads.  The exec
 * error pipe is close-on-exec, so the parent reads 0 bytes when
 * execve succeeded and our errno when it did not.
 */
static void __attribute__((noreturn))
child_exec(int outfd, int errfd, char *const argv[])
{
	struct sigaction sa;
	sigset_t none;
	int null, o, e;

	/* Own process group, so a timeout kills gpgv's children too. */
	(void)setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	/* Move the pipes above 2 first: the parent may run with 0-2 closed. */
	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    (o = fcntl(outfd, F_DUPFD, 3)) == -1 ||
	    (e = fcntl(errfd, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    dup2(null, 0) == -1 || dup2(o, 1) == -1 || dup2(null, 2) == -1 ||
	    (e != 3 && dup2(e, 3) == -1) || fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		_exit(127);
	closefrom(4);
	execve(argv[0], argv, child_env);
	e = errno;
	(void)!write(3, &e, sizeof(e));
	_exit(127);
}

/* exec_errno: 0 when the child's execve succeeded, else its errno. */
static int
exec_errno(int fd)
{
	ssize_t n;
	int e = 0;

	do
		n = read(fd, &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(e) ? e : 0;
}

/* reap: waitpid without giving up on EINTR; 0 or -1. */
static int
reap(pid_t pid, int *status, int flags)
{
	pid_t r;

	do
		r = waitpid(pid, status, flags);
	while (r == -1 && errno == EINTR);
	return r == -1 ? -1 : r == 0 ? 1 : 0;
}

static void
kill_group(pid_t pid)
{
	if (kill(-pid, SIGKILL) == -1)
		(void)kill(pid, SIGKILL);
}

/*
 * spawn: fork and exec gpgv with argv; sets job->pid and job->fd.
 * Returns 0, or -1 with *out filled.
 */
static int
spawn(struct listsig_job *job, char *const argv[], struct listsig_info *out)
{
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, e, st, rc = -1;

	if (pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1) {
		set_reason(out, "pipe: %s", strerror(errno));
		goto done;
	}
	if ((job->pid = fork()) == -1) {
		set_reason(out, "fork: %s", strerror(errno));
		goto done;
	}
	if (job->pid == 0)
		child_exec(op[1], ep[1], argv);
	close(ep[1]);
	ep[1] = -1;
	if ((e = exec_errno(ep[0])) != 0) {
		reap(job->pid, &st, 0);
		out->result = e == ENOENT || e == EACCES || e == ENOEXEC ?
		    LISTSIG_GPGV_MISSING : LISTSIG_FAILED;
		set_reason(out, "cannot execute gpgv: %s", strerror(e));
		goto done;
	}
	job->fd = op[0];
	op[0] = -1;
	(void)fcntl(job->fd, F_SETFL, O_NONBLOCK);
	rc = 0;
done:
	if (op[0] != -1)
		close(op[0]);
	if (op[1] != -1)
		close(op[1]);
	if (ep[0] != -1)
		close(ep[0]);
	if (ep[1] != -1)
		close(ep[1]);
	return rc;
}

/*
 * check_conf: the pinned fingerprint, gpgv's path (absolute, as
 * configured: execve does not search PATH) and readable input files,
 * so that a missing file is reported as such and not as a bad
 * signature.  Returns 0, or -1 with *out filled.
 */
static int
check_conf(const struct listsig_conf *conf, const char *gpgv,
    const char *const files[3], char fpr[], struct listsig_info *out)
{
	const char *pin = conf->fpr ? conf->fpr : LISTSIG_EFF_FPR;
	size_t i;

	if (fpr_norm(pin, strlen(pin), fpr) == -1) {
		set_reason(out, "invalid pinned fingerprint \"%s\"", pin);
		return -1;
	}
	if (gpgv[0] != '/') {
		set_reason(out, "gpgv path \"%s\" is not absolute", gpgv);
		return -1;
	}
	if (access(gpgv, X_OK) == -1) {
		out->result = LISTSIG_GPGV_MISSING;
		set_reason(out, "gpgv not found at %s", gpgv);
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (files[i] == NULL || access(files[i], R_OK) == -1) {
			set_reason(out, "cannot read %s",
			    files[i] ? files[i] : "(no file)");
			return -1;
		}
	return 0;
}

struct listsig_job *
listsig_start(const struct listsig_conf *conf, const char *sig,
    const char *data, struct listsig_info *out)
{
	const char *gpgv = conf->gpgv ? conf->gpgv : LISTSIG_GPGV_DEFAULT;
	const char *const files[3] = { conf->keyring, sig, data };
	char kr[PATH_ARG_MAX], sg[PATH_ARG_MAX], dt[PATH_ARG_MAX];
	char *argv[] = { (char *)gpgv, "--status-fd", "1", "--keyring",
	    kr, sg, dt, NULL };
	struct listsig_job *job;

	info_init(out);
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		set_reason(out, "out of memory", NULL);
		return NULL;
	}
	job->fd = -1;
	if (check_conf(conf, gpgv, files, job->fpr, out) == -1)
		goto fail;
	if (path_arg(conf->keyring, kr, sizeof(kr)) == -1 ||
	    path_arg(sig, sg, sizeof(sg)) == -1 ||
	    path_arg(data, dt, sizeof(dt)) == -1) {
		set_reason(out, "file name too long", NULL);
		goto fail;
	}
	if (spawn(job, argv, out) == -1)
		goto fail;
	return job;
fail:
	free(job);
	return NULL;
}

int
listsig_job_fd(const struct listsig_job *job)
{
	return job->fd;
}

int
listsig_job_read(struct listsig_job *job)
{
	ssize_t n;

	for (;;) {
		if (job->len == sizeof(job->buf)) {
			job->overflow = 1;
			return 1;
		}
		n = read(job->fd, job->buf + job->len,
		    sizeof(job->buf) - job->len);
		if (n > 0)
			job->len += (size_t)n;
		else if (n == 0) {
			job->eof = 1;
			return 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		else if (errno != EINTR) {
			job->readerr = 1;
			return 1;
		}
	}
}

/* job_kill: SIGKILL to gpgv's process group, once, unless reaped. */
static void
job_kill(struct listsig_job *job)
{
	if (!job->killed && !job->reaped)
		kill_group(job->pid);
	job->killed = 1;
}

/* job_reap: waitpid (WNOHANG unless `block`); 1 when reaped or failed. */
static int
job_reap(struct listsig_job *job, int block)
{
	int r;

	if (job->reaped)
		return 1;
	if ((r = reap(job->pid, &job->status, block ? 0 : WNOHANG)) == 1)
		return 0;
	job->reaped = 1;
	job->reap_errno = r == -1 ? errno : 0;
	return 1;
}

int
listsig_job_reap(struct listsig_job *job, int stop)
{
	/* Output cut short (cap, read error): gpgv may still be writing. */
	if (stop || !job->eof)
		job_kill(job);
	return job_reap(job, 0);
}

enum listsig_result
listsig_finish(struct listsig_job *job, int abort, struct listsig_info *out)
{
	info_init(out);
	job_kill(job);		/* whatever still runs: see listsig.h */
	close(job->fd);
	(void)job_reap(job, 1);
	if (job->reap_errno != 0)
		set_reason(out, "waitpid: %s", strerror(job->reap_errno));
	else if (abort) {
		out->result = LISTSIG_TIMEOUT;
		set_reason(out, "gpgv did not finish in time (killed)", NULL);
	} else if (job->overflow)
		set_reason(out, "gpgv wrote too much status output", NULL);
	else if (job->readerr)
		set_reason(out, "cannot read gpgv's output", NULL);
	else if (WIFSIGNALED(job->status))
		set_reason(out, "gpgv was killed by a signal", NULL);
	else
		listsig_status_parse(job->buf, job->len,
		    WEXITSTATUS(job->status), job->fpr, out);
	free(job);
	return out->result;
}

/*
 * wait_exit: after gpgv closed its output, give it GRACE_MS to exit
 * (checked every 10 ms), then kill it.  Blocking: listsig_verify only.
 */
#define GRACE_MS	1000
static void
wait_exit(struct listsig_job *job)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < GRACE_MS / 10; i++) {
		if (listsig_job_reap(job, 0))
			return;
		nanosleep(&step, NULL);
	}
}

enum listsig_result
listsig_verify(const struct listsig_conf *conf, const char *sig,
    const char *data, struct listsig_info *out)
{
	unsigned tmo = conf->timeout_ms ? conf->timeout_ms :
	    LISTSIG_TIMEOUT_DEFAULT;
	struct listsig_job *job;
	struct pollfd pfd;
	int64_t deadline, left;

	if ((job = listsig_start(conf, sig, data, out)) == NULL)
		return out->result;
	deadline = monoclock_ms() + tmo;
	for (;;) {
		if ((left = deadline - monoclock_ms()) <= 0)
			return listsig_finish(job, 1, out);
		pfd.fd = job->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR) {
			job->readerr = 1;
			return listsig_finish(job, 0, out);
		}
		if (pfd.revents != 0 && listsig_job_read(job) == 1) {
			wait_exit(job);
			return listsig_finish(job, 0, out);
		}
	}
}
