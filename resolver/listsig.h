/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * listsig.h: check the detached OpenPGP signature of the STARTTLS
 * Policy List with gpgv(1), pinned to one key (docs/DESIGN.md
 * §List), and the rollback rule.
 *
 * Purpose: answer "was policy.json signed, byte for byte, by the
 * pinned key?" and, when it was, say when it was signed and by which
 * (sub)key, so the caller can refuse a rollback and log the signer.
 *
 * How: gpgv is run with fork + execve, never a shell, at a fixed
 * absolute path (configure's MTASTSD_GPGV; default /usr/bin/gpgv) with
 * the fixed argument vector
 *     gpgv --status-fd 1 --keyring KEYRING SIG DATA
 * (both files given explicitly, so a signature file that carries its
 * own signed text cannot stand in for DATA; relative paths get "./" so
 * gpgv neither looks the keyring up in its home directory nor reads a
 * file name as an option).  stdin and stderr are /dev/null, every other
 * descriptor is closed, the signal mask and SIGPIPE are reset, and the
 * environment is only PATH=/usr/bin:/bin, LC_ALL=C and a GNUPGHOME that
 * does not exist (no user configuration or keyrings can take part).
 * The status output is read up to LISTSIG_STATUS_MAX bytes; the child
 * is killed (SIGKILL) when it runs past the timeout or writes more.
 * The verdict comes from the "[GNUPG:]" status lines and gpgv's exit
 * status: a VALIDSIG line whose field 12 (primary key fingerprint)
 * equals the pinned fingerprint, exit status 0, and no BADSIG, ERRSIG,
 * EXPSIG, EXPKEYSIG or REVKEYSIG line.  Field 3 is the signing (sub)key
 * and field 5 the signature creation time.  gpgv itself trusts every
 * key in KEYRING; pinning the primary fingerprint on top means a
 * keyring with extra keys still only accepts the intended one.
 *
 * Threading and blocking: listsig_verify BLOCKS (fork, exec, wait for
 * gpgv, up to the timeout).  It is for the CLI and for a daemon
 * worker or child process; the daemon must NOT call it on its event
 * loop thread.  For the loop there is the split form: listsig_start
 * (forks; blocks only until execve has succeeded or failed), then
 * listsig_job_fd readable -> listsig_job_read until it returns 1, then
 * listsig_job_reap from a timer until it returns 1 (the caller's
 * deadline passed: listsig_job_reap(job, 1)), then listsig_finish.
 * Only listsig_job_reap and listsig_finish reap the child (waitpid on
 * its pid: do not reap it elsewhere, e.g. with waitpid(-1) in a SIGCHLD
 * handler, and do not set SIGCHLD to SIG_IGN).  listsig_finish kills a
 * child still running and waits for it: after listsig_job_reap said 1
 * it does not block.
 * No state is shared between calls; jobs are independent.  The status parser
 * (listsig_status_parse) and listsig_rollback_check are pure.
 *
 * Ownership: conf, paths and buffers are borrowed for the call; a job
 * belongs to the caller until listsig_finish frees it.
 */
#ifndef LISTSIG_H
#define LISTSIG_H

#include <stddef.h>
#include <stdint.h>

/* EFF's STARTTLS Everywhere primary key (lists are signed by its
 * subkey 2C319DE47066C200DFDC4D6B842AEA40C5BCD6E1). */
#define LISTSIG_EFF_FPR		"B693F33372E965D76D55368616EEA65D03326C9D"
#define LISTSIG_GPGV_DEFAULT	"/usr/bin/gpgv"
#define LISTSIG_TIMEOUT_DEFAULT	30000	/* ms */
#define LISTSIG_STATUS_MAX	65536	/* bytes of gpgv status output */
#define LISTSIG_FPR_MAX		64	/* hex digits (v5 keys; v4 has 40) */
#define LISTSIG_REASON_MAX	256

enum listsig_result {
	LISTSIG_OK = 0,		/* signed by the pinned key */
	LISTSIG_BAD_SIGNATURE,	/* does not verify, or is no signature */
	LISTSIG_WRONG_KEY,	/* made by a key other than the pinned one */
	LISTSIG_GPGV_MISSING,	/* gpgv cannot be executed */
	LISTSIG_FAILED,		/* no verdict: gpgv or system failure,
				 * unreadable file, bad configuration */
	LISTSIG_TIMEOUT		/* gpgv ran past the timeout (killed) */
};

struct listsig_conf {
	const char	*gpgv;		/* absolute; NULL: the default */
	const char	*keyring;	/* pinned keyring file (required) */
	const char	*fpr;		/* pinned primary fingerprint, hex,
					 * case and spaces ignored; NULL: EFF */
	unsigned	 timeout_ms;	/* 0: LISTSIG_TIMEOUT_DEFAULT */
};

struct listsig_info {
	enum listsig_result result;
	int64_t		 sigtime;	/* VALIDSIG field 5; 0: unknown */
	char		 signer_fpr[LISTSIG_FPR_MAX + 1];  /* field 3, or "" */
	char		 primary_fpr[LISTSIG_FPR_MAX + 1]; /* field 12, or "" */
	char		 reason[LISTSIG_REASON_MAX];	/* "" when OK */
};

struct listsig_job;

/*
 * listsig_verify: check that `sig` (detached, armoured or binary) is a
 * valid signature over the exact bytes of `data` by the pinned key.
 * Blocks (see above).  Fills *out (result, and the signature's time
 * and fingerprints whenever gpgv reported a valid signature, even by
 * another key) and returns out->result.
 */
enum listsig_result listsig_verify(const struct listsig_conf *conf,
    const char *sig, const char *data, struct listsig_info *out);

/*
 * listsig_start: check the configuration and files, and start gpgv.
 * Returns the job, or NULL with *out filled (GPGV_MISSING or FAILED).
 */
struct listsig_job *listsig_start(const struct listsig_conf *conf,
    const char *sig, const char *data, struct listsig_info *out);

/* listsig_job_fd: the non-blocking descriptor to wait on for reading. */
int listsig_job_fd(const struct listsig_job *job);

/*
 * listsig_job_read: read what is available.  Returns 1 when gpgv has
 * finished writing (end of file, the size cap or a read error: call
 * listsig_finish), 0 when more may come.
 */
int listsig_job_read(struct listsig_job *job);

/*
 * listsig_job_reap: reap gpgv if it has exited, without waiting.  It is
 * killed first when `stop` is set (the caller's deadline passed) or its
 * output was cut short (the size cap, a read error).  Returns 1 when
 * reaped (or waitpid failed: listsig_finish says so), 0 while it runs.
 */
int listsig_job_reap(struct listsig_job *job, int stop);

/*
 * listsig_finish: kill gpgv if it still runs and reap it, decide (when
 * `abort` is set, the caller's deadline passed: LISTSIG_TIMEOUT), fill
 * *out, free the job.  Returns out->result.
 */
enum listsig_result listsig_finish(struct listsig_job *job, int abort,
    struct listsig_info *out);

/*
 * listsig_status_parse: the pure verdict.  `status` (len bytes, not
 * NUL-terminated) is gpgv's --status-fd output, `exit_code` its exit
 * status (0 good, 1 bad signature, 2 other error), `fpr` the pinned
 * primary fingerprint (40 or 64 hex digits, upper or lower case).
 * Fills *out, returns out->result (never GPGV_MISSING or TIMEOUT).
 */
enum listsig_result listsig_status_parse(const char *status, size_t len,
    int exit_code, const char *fpr, struct listsig_info *out);

/* listsig_result_str: "ok", "bad-signature", "wrong-key",
 * "gpgv-missing", "failed", "timeout"; "invalid" otherwise. */
const char *listsig_result_str(enum listsig_result r);

/* The facts of one verified list that the rollback rule compares. */
struct listsig_stamp {
	int64_t		 sigtime;	/* signature creation time */
	int64_t		 timestamp;	/* the list's "timestamp" */
};

/*
 * listsig_rollback_check: 0 when `cand` may replace `installed`, -1
 * (and *why, a static string, when why is not NULL) when the candidate
 * is older: its signature time is before the installed one's (EFF's
 * verify.sh) or its "timestamp" is (RULES.md: "greater than or equal
 * to the existing one").  Equal values pass: re-fetching the same list
 * is not a rollback.  Pure.
 */
int listsig_rollback_check(const struct listsig_stamp *installed,
    const struct listsig_stamp *cand, const char **why);

#endif /* LISTSIG_H */
