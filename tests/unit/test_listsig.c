/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_listsig.c: tests of the list signature check (resolver/listsig.c).
 *
 * Three parts: a table of gpgv status outputs and exit codes -> verdict
 * (the pure parser), a table for the rollback rule, and runs of the
 * real gpgv: the bundled list ($MTASTS_SRCDIR/contrib/starttls-list),
 * a changed byte, a list signed at test time by a throwaway key (made
 * with gpg in a temporary GNUPGHOME), a missing gpgv, and fake "gpgv"
 * scripts that hang, flood or linger.  The gpg-based cases are reported
 * as skipped when gpg(1) is not installed (Debian package gnupg).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "listsig.h"
#include "monoclock.h"
#include "tap.h"

#define EFF	LISTSIG_EFF_FPR
#define SUB	"2C319DE47066C200DFDC4D6B842AEA40C5BCD6E1"
#define OTHER	"0123456789ABCDEF0123456789ABCDEF01234567"
#define P	"[GNUPG:] "
#define VALID(signer, primary) P "VALIDSIG " signer " 2020-05-20 " \
		"1589995512 0 4 0 1 10 00 " primary "\n"
#define GOOD	P "NEWSIG starttls-policy@eff.org\n" P "KEY_CONSIDERED " EFF \
		" 0\n" P "GOODSIG 842AEA40C5BCD6E1 STARTTLS Everywhere Team " \
		"<starttls-policy@eff.org>\n" VALID(SUB, EFF)

/* ---- the status parser ----------------------------------------------- */

struct scase {
	const char		*name;
	const char		*status;
	int			 exit_code;
	const char		*pin;		/* NULL: EFF */
	enum listsig_result	 want;
	int64_t			 sigtime;	/* checked if OK or WRONG_KEY */
	const char		*primary;	/* checked when not NULL */
};

static const struct scase scases[] = {
	{ "real gpgv output", GOOD, 0, NULL, LISTSIG_OK, 1589995512, EFF },
	{ "pin in lower case", GOOD, 0,
	  "b693f33372e965d76d55368616eea65d03326c9d", LISTSIG_OK, 1589995512,
	  EFF },
	{ "pin with spaces", GOOD, 0, "B693 F333 72E9 65D7 6D55  3686 16EE "
	  "A65D 0332 6C9D", LISTSIG_OK, 1589995512, EFF },
	{ "BADSIG", P "NEWSIG\n" P "BADSIG 842AEA40C5BCD6E1 STARTTLS\n", 1,
	  NULL, LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "no public key", P "NEWSIG\n" P "ERRSIG 842AEA40C5BCD6E1 1 10 00 "
	  "1589995512 9 " SUB "\n" P "NO_PUBKEY 842AEA40C5BCD6E1\n", 2, NULL,
	  LISTSIG_WRONG_KEY, 0, NULL },
	{ "valid but another primary", VALID(OTHER, OTHER), 0, NULL,
	  LISTSIG_WRONG_KEY, 1589995512, OTHER },
	{ "pinned subkey is not the primary", VALID(SUB, EFF), 0, SUB,
	  LISTSIG_WRONG_KEY, 1589995512, EFF },
	{ "not a signature", P "NODATA 1\n" P "NODATA 2\n", 2, NULL,
	  LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "a key, not a signature", P "UNEXPECTED 0\n", 2, NULL,
	  LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "nothing, exit 2", "", 2, NULL, LISTSIG_FAILED, 0, NULL },
	{ "nothing, exit 0", "", 0, NULL, LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "valid, but exit 2", GOOD, 2, NULL, LISTSIG_FAILED, 0, NULL },
	{ "valid and bad signature", GOOD P "BADSIG 1 x\n", 1, NULL,
	  LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "valid and unknown key", GOOD P "ERRSIG 1 1 10 00 1 9 x\n", 2, NULL,
	  LISTSIG_WRONG_KEY, 0, NULL },
	{ "unsupported algorithm", P "ERRSIG 842AEA40C5BCD6E1 99 10 00 "
	  "1589995512 4\n", 2, NULL, LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "expired key", P "EXPKEYSIG 842AEA40C5BCD6E1 x\n" VALID(SUB, EFF), 0,
	  NULL, LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "revoked key", P "REVKEYSIG 842AEA40C5BCD6E1 x\n" VALID(SUB, EFF), 0,
	  NULL, LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "short VALIDSIG", P "VALIDSIG " SUB " 2020-05-20 1589995512\n", 0,
	  NULL, LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "VALIDSIG time not a number", P "VALIDSIG " SUB " 2020-05-20 "
	  "20200520T172512 0 4 0 1 10 00 " EFF "\n", 0, NULL,
	  LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "VALIDSIG fingerprint not hex", P "VALIDSIG " SUB " 2020-05-20 "
	  "1589995512 0 4 0 1 10 00 " "B693F33372E965D76D55368616EEA65D03326C9X"
	  "\n", 0, NULL, LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "cut-off last line ignored", P "VALIDSIG " SUB " 2020-05-20 "
	  "1589995512 0 4 0 1 10 00 " EFF, 0, NULL, LISTSIG_BAD_SIGNATURE, 0,
	  NULL },
	{ "line without the prefix ignored", "VALIDSIG " SUB " 2020-05-20 "
	  "1589995512 0 4 0 1 10 00 " EFF "\n", 0, NULL,
	  LISTSIG_BAD_SIGNATURE, 0, NULL },
	{ "keyring unusable", P "ERROR add_keyblock_resource 33587281\n"
	  P "ERRSIG 842AEA40C5BCD6E1 1 10 00 1589995512 9 " SUB "\n", 2, NULL,
	  LISTSIG_FAILED, 0, NULL },
	{ "invalid pin", GOOD, 0, "B693F333", LISTSIG_FAILED, 0, NULL },
	{ "other key first, pinned reported", VALID(OTHER, OTHER) GOOD, 0, NULL,
	  LISTSIG_OK, 1589995512, EFF },
	{ "v5 fingerprint", P "VALIDSIG " EFF "0011223344556677AABBCCDD x "
	  "1700000000 0 5 0 22 10 00 " EFF "0011223344556677AABBCCDD\n", 0,
	  EFF "0011223344556677aabbccdd", LISTSIG_OK, 1700000000, NULL },
};

static void
test_status(void)
{
	const struct scase *c;
	struct listsig_info info;
	size_t i;

	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		c = &scases[i];
		listsig_status_parse(c->status, strlen(c->status), c->exit_code,
		    c->pin ? c->pin : EFF, &info);
		if (!tap_ok(info.result == c->want, "status: %s", c->name))
			tap_diag("got %s (%s), want %s",
			    listsig_result_str(info.result), info.reason,
			    listsig_result_str(c->want));
		if (c->want != LISTSIG_OK && c->want != LISTSIG_WRONG_KEY)
			continue;
		if (c->sigtime != 0)
			tap_is_int(info.sigtime, c->sigtime, c->name);
		if (c->primary != NULL)
			tap_is_str(info.primary_fpr, c->primary, c->name);
	}
}

/* ---- rollback -------------------------------------------------------- */

static void
test_rollback(void)
{
	static const struct {
		const char		*name;
		struct listsig_stamp	 cand;
		int			 want;
	} r[] = {
		{ "same list", { 1000, 500 }, 0 },
		{ "newer", { 2000, 600 }, 0 },
		{ "newer signature, same timestamp", { 1001, 500 }, 0 },
		{ "older signature", { 999, 600 }, -1 },
		{ "older timestamp", { 2000, 499 }, -1 },
		{ "both older", { 1, 1 }, -1 },
	};
	const struct listsig_stamp installed = { 1000, 500 };
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		why = "unset";
		tap_is_int(listsig_rollback_check(&installed, &r[i].cand, &why),
		    r[i].want, r[i].name);
		tap_ok(r[i].want == 0 ? why == NULL : why != NULL &&
		    strstr(why, "older") != NULL, "%s: reason", r[i].name);
	}
}

/* ---- the real gpgv --------------------------------------------------- */

static char tmp[64];		/* scratch directory */
static char srcdata[4096];	/* contrib/starttls-list */

static void
path(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static int
write_file(const char *name, const char *text, size_t len, int mode)
{
	char p[256];
	FILE *fp;
	int ok;

	path(p, sizeof(p), tmp, name);
	if ((fp = fopen(p, "wb")) == NULL)
		return -1;
	ok = fwrite(text, 1, len, fp) == len;
	ok &= fclose(fp) == 0;
	return ok && chmod(p, (mode_t)mode) == 0 ? 0 : -1;
}

/* copy_file: src to tmp/name, with byte `flip` (if >= 0) changed. */
static int
copy_file(const char *src, const char *name, long flip, const char *append)
{
	static char buf[1 << 20];
	size_t n;
	FILE *fp;

	if ((fp = fopen(src, "rb")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 16, fp);
	fclose(fp);
	if (flip >= 0 && (size_t)flip < n)
		buf[flip] ^= 0x01;
	if (append != NULL) {
		memcpy(buf + n, append, strlen(append));
		n += strlen(append);
	}
	return write_file(name, buf, n, 0644);
}

struct vcase {
	const char		*name;
	const char		*gpgv;		/* NULL: default */
	const char		*keyring;	/* in tmp unless absolute */
	const char		*sig;
	const char		*data;
	unsigned		 timeout_ms;
	enum listsig_result	 want;
	const char		*reason;	/* substring, or NULL */
};

static void
run_vcase(const struct vcase *c, const char *pin)
{
	char kr[256], sig[256], data[256];
	struct listsig_conf conf = { 0 };
	struct listsig_info info;
	time_t t0 = time(NULL);

	path(kr, sizeof(kr), tmp, c->keyring);
	path(sig, sizeof(sig), tmp, c->sig);
	path(data, sizeof(data), tmp, c->data);
	conf.gpgv = c->gpgv;
	conf.keyring = kr;
	conf.fpr = pin;
	conf.timeout_ms = c->timeout_ms;
	listsig_verify(&conf, sig, data, &info);
	if (!tap_ok(info.result == c->want && (c->reason == NULL ||
	    strstr(info.reason, c->reason) != NULL), "gpgv: %s", c->name))
		tap_diag("got %s (%s), want %s (%s)",
		    listsig_result_str(info.result), info.reason,
		    listsig_result_str(c->want), c->reason ? c->reason : "");
	if (c->want == LISTSIG_TIMEOUT)
		tap_ok(time(NULL) - t0 <= 3, "%s: returned within 3 s",
		    c->name);
}

static const struct vcase eff_cases[] = {
	{ "bundled list verifies", NULL, "eff.gpg", "policy.json.asc",
	  "policy.json", 0, LISTSIG_OK, NULL },
	{ "one changed byte", NULL, "eff.gpg", "policy.json.asc",
	  "flipped.json", 0, LISTSIG_BAD_SIGNATURE, "does not match" },
	{ "a newline appended", NULL, "eff.gpg", "policy.json.asc",
	  "newline.json", 0, LISTSIG_BAD_SIGNATURE, NULL },
	{ "data as signature", NULL, "eff.gpg", "policy.json", "policy.json",
	  0, LISTSIG_BAD_SIGNATURE, "no valid OpenPGP signature" },
	{ "key as signature", NULL, "eff.gpg", "eff.asc", "policy.json",
	  0, LISTSIG_BAD_SIGNATURE, NULL },
	/* gpgv 2.2 reads binary keyrings only: the key is not found. */
	{ "armoured keyring file", NULL, "eff.asc", "policy.json.asc",
	  "policy.json", 0, LISTSIG_WRONG_KEY, "not in the keyring" },
	{ "keyring missing", NULL, "nokeyring.gpg", "policy.json.asc",
	  "policy.json", 0, LISTSIG_FAILED, "cannot read" },
	{ "signature missing", NULL, "eff.gpg", "nosig.asc", "policy.json",
	  0, LISTSIG_FAILED, "cannot read" },
	{ "gpgv missing", "/nonexistent/bin/gpgv", "eff.gpg",
	  "policy.json.asc", "policy.json", 0, LISTSIG_GPGV_MISSING,
	  "gpgv not found at /nonexistent/bin/gpgv" },
	{ "gpgv path relative", "gpgv", "eff.gpg", "policy.json.asc",
	  "policy.json", 0, LISTSIG_FAILED, "not absolute" },
	{ "gpgv not executable format", "/dev/null", "eff.gpg",
	  "policy.json.asc", "policy.json", 0, LISTSIG_GPGV_MISSING, NULL },
};

/* Scripts standing in for gpgv; their path is tmp/<name>. */
static const struct {
	const char		*name;
	const char		*text;
	enum listsig_result	 want;
	const char		*reason;
} fakes[] = {
	{ "hang", "#!/bin/sh\nexec sleep 30\n", LISTSIG_TIMEOUT, NULL },
	{ "hang-child", "#!/bin/sh\nsleep 30\necho done\n", LISTSIG_TIMEOUT,
	  NULL },
	{ "flood", "#!/bin/sh\nwhile :; do echo '[GNUPG:] NEWSIG'; done\n",
	  LISTSIG_FAILED, "too much status output" },
	{ "linger", "#!/bin/sh\nexec >&-\nexec sleep 30\n", LISTSIG_FAILED,
	  "killed by a signal" },
	{ "liar", "#!/bin/sh\necho '[GNUPG:] VALIDSIG " SUB " 2020-05-20 "
	  "1589995512 0 4 0 1 10 00 " EFF "'\nexit 0\n", LISTSIG_OK, NULL },
	/* The child's whole world: environment, arguments, descriptors
	 * (the test leaves fd 7 open without close-on-exec), stdin. */
	{ "env", "#!/bin/sh\n"
	  "[ \"$(env | grep -v '^PWD=' | sort | tr '\\n' ' ')\" = "
	  "'GNUPGHOME=/nonexistent/mtastsd-gpgv LC_ALL=C PATH=/usr/bin:/bin ' ]"
	  " || exit 3\n"
	  "[ \"$*\" = '--status-fd 1 --keyring ./k.gpg ./-s.asc ./d.json' ]"
	  " || exit 4\n"
	  "for f in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$f ] && exit 5; done\n"
	  "read x && exit 6\n"
	  "echo '[GNUPG:] NODATA 1'\nexit 2\n",
	  LISTSIG_BAD_SIGNATURE, NULL },
};

/*
 * run_split: the split API driven as src/listupd.c drives it: read
 * until the output ends or tmo_ms pass; then check for gpgv's exit
 * every 10 ms, killing it when the deadline passed or SPLIT_GRACE_MS
 * after its output ended.  *slowest is the longest listsig_job_reap
 * or listsig_finish call (ms): the loop must never wait in them.  A
 * waiting call would take seconds (the fakes sleep 30 s); the check
 * allows 250 ms for a loaded machine.
 */
#define SPLIT_GRACE_MS	300
static enum listsig_result
run_split(const struct listsig_conf *conf, const char *sig, const char *data,
    int tmo_ms, struct listsig_info *info, int64_t *slowest)
{
	struct listsig_job *job;
	struct pollfd pfd;
	int64_t deadline = monoclock_ms() + tmo_ms, t;
	int ended = 0, reaped = 0;

	*slowest = 0;
	if ((job = listsig_start(conf, sig, data, info)) == NULL)
		return info->result;
	while (!ended && (t = deadline - monoclock_ms()) > 0) {
		pfd.fd = listsig_job_fd(job);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)t) > 0)
			ended = listsig_job_read(job);
	}
	if (ended)
		deadline = monoclock_ms() + SPLIT_GRACE_MS;
	while (!reaped) {
		t = monoclock_ms();
		reaped = listsig_job_reap(job, t >= deadline);
		if (monoclock_ms() - t > *slowest)
			*slowest = monoclock_ms() - t;
		if (!reaped)
			(void)poll(NULL, 0, 10);
	}
	t = monoclock_ms();
	listsig_finish(job, !ended, info);
	if (monoclock_ms() - t > *slowest)
		*slowest = monoclock_ms() - t;
	return info->result;
}

static void
test_fakes(void)
{
	struct listsig_conf conf = { 0 };
	struct listsig_info info;
	char exe[256], cwd[4096];
	int64_t slowest;
	time_t t0;
	size_t i;

	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tmp) == -1) {
		tap_ok(0, "chdir %s", tmp);
		return;
	}
	/* Relative names: "./" is added, so "-s.asc" is not an option. */
	write_file("k.gpg", "k", 1, 0644);
	write_file("-s.asc", "s", 1, 0644);
	write_file("d.json", "d", 1, 0644);
	/* A descriptor the daemon might leak: gpgv must not get it. */
	if (dup2(STDIN_FILENO, 7) == -1)
		tap_ok(0, "dup2 to fd 7");
	for (i = 0; i < sizeof(fakes) / sizeof(fakes[0]); i++) {
		write_file(fakes[i].name, fakes[i].text, strlen(fakes[i].text),
		    0755);
		path(exe, sizeof(exe), tmp, fakes[i].name);
		conf.gpgv = exe;
		conf.keyring = "k.gpg";
		conf.timeout_ms = 500;
		t0 = time(NULL);
		listsig_verify(&conf, "-s.asc", "d.json", &info);
		if (!tap_ok(info.result == fakes[i].want && (!fakes[i].reason ||
		    strstr(info.reason, fakes[i].reason)), "fake gpgv: %s",
		    fakes[i].name))
			tap_diag("got %s (%s), want %s",
			    listsig_result_str(info.result), info.reason,
			    listsig_result_str(fakes[i].want));
		tap_ok(time(NULL) - t0 <= 3, "fake gpgv %s: within 3 s",
		    fakes[i].name);
		/* The same through the loop's split API, never waiting. */
		run_split(&conf, "-s.asc", "d.json", 500, &info, &slowest);
		if (!tap_ok(info.result == fakes[i].want && (!fakes[i].reason ||
		    strstr(info.reason, fakes[i].reason)), "fake gpgv %s: "
		    "split API", fakes[i].name))
			tap_diag("got %s (%s)", listsig_result_str(info.result),
			    info.reason);
		if (!tap_ok(slowest < 250, "fake gpgv %s: no reap call blocks",
		    fakes[i].name))
			tap_diag("slowest call %" PRId64 " ms", slowest);
	}
	close(7);
	if (chdir(cwd) == -1)
		tap_ok(0, "chdir back");
}

/* sh: run a shell command (test set-up only); 1 when it exited 0. */
static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0;
}

/* make_test_key: a throwaway ed25519 key; its fingerprint into fpr. */
static int
make_test_key(char fpr[LISTSIG_FPR_MAX + 1])
{
	char line[512];
	FILE *fp;
	int ok = 0;

	if (!sh("GNUPGHOME=%s/gnupg; export GNUPGHOME; mkdir -m 700 $GNUPGHOME"
	    " && gpg -q --batch --passphrase '' --quick-gen-key "
	    "'mtastsd test <test@example.invalid>' ed25519 sign never "
	    ">/dev/null 2>&1 && gpg -q --export > %s/test.gpg && "
	    "gpg --with-colons --list-keys > %s/colons 2>/dev/null",
	    tmp, tmp, tmp))
		return -1;
	path(line, sizeof(line), tmp, "colons");
	if ((fp = fopen(line, "r")) == NULL)
		return -1;
	while (!ok && fgets(line, sizeof(line), fp) != NULL)
		ok = sscanf(line, "fpr:::::::::%64[0-9A-F]:", fpr) == 1;
	fclose(fp);
	return ok ? 0 : -1;
}

/* sign: tmp/<in> signed by the test key into tmp/<out> (armoured). */
static int
sign(const char *in, const char *out)
{
	return sh("GNUPGHOME=%s/gnupg gpg -q --batch --yes --armor "
	    "--detach-sign -o %s/%s %s/%s 2>/dev/null", tmp, tmp, out, tmp, in)
	    ? 0 : -1;
}

static void
test_test_key(void)
{
	static const struct vcase c[] = {
		{ "test key, EFF keyring", NULL, "eff.gpg", "test.asc",
		  "test.json", 0, LISTSIG_WRONG_KEY, "not in the keyring" },
		{ "test key in keyring, EFF pinned", NULL, "both.gpg",
		  "test.asc", "test.json", 0, LISTSIG_WRONG_KEY,
		  "not the pinned key" },
		{ "EFF list, test key pinned", NULL, "both.gpg",
		  "policy.json.asc", "policy.json", 0, LISTSIG_WRONG_KEY,
		  NULL },
		{ "test key pinned", NULL, "test.gpg", "test.asc", "test.json",
		  0, LISTSIG_OK, NULL },
		{ "test key pinned, both in keyring", NULL, "both.gpg",
		  "test.asc", "test.json", 0, LISTSIG_OK, NULL },
	};
	static const char list[] = "{\"version\":\"0.1\"}";
	char fpr[LISTSIG_FPR_MAX + 1];
	struct listsig_info info;
	struct listsig_conf conf = { 0 };
	char kr[256], sig[256], data[256];
	size_t i;

	if (!sh("command -v gpg >/dev/null 2>&1")) {
		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			tap_ok(1, "gpgv: %s # SKIP gpg not installed",
			    c[i].name);
		return;
	}
	if (make_test_key(fpr) == -1 ||
	    write_file("test.json", list, sizeof(list) - 1, 0644) == -1 ||
	    sign("test.json", "test.asc") == -1 ||
	    !sh("cat %s/eff.gpg %s/test.gpg > %s/both.gpg", tmp, tmp, tmp)) {
		tap_ok(0, "test key set-up");
		return;
	}
	run_vcase(&c[0], NULL);
	run_vcase(&c[1], NULL);
	run_vcase(&c[2], fpr);
	run_vcase(&c[3], fpr);
	run_vcase(&c[4], fpr);
	/* The signature time and signer of the test signature. */
	path(kr, sizeof(kr), tmp, "test.gpg");
	path(sig, sizeof(sig), tmp, "test.asc");
	path(data, sizeof(data), tmp, "test.json");
	conf.keyring = kr;
	conf.fpr = fpr;
	listsig_verify(&conf, sig, data, &info);
	tap_ok(info.sigtime > time(NULL) - 600 && info.sigtime <= time(NULL),
	    "test signature time is now");
	tap_is_str(info.primary_fpr, fpr, "test signature primary fpr");
	sh("GNUPGHOME=%s/gnupg gpgconf --kill all >/dev/null 2>&1", tmp);
}

/* The split API, driven like an event loop would. */
static void
test_async(void)
{
	struct listsig_conf conf = { 0 };
	struct listsig_job *job;
	struct listsig_info info;
	char kr[256], sig[256], data[256];
	struct pollfd pfd;
	int done = 0, i;

	path(kr, sizeof(kr), tmp, "eff.gpg");
	path(sig, sizeof(sig), tmp, "policy.json.asc");
	path(data, sizeof(data), tmp, "policy.json");
	conf.keyring = kr;
	if ((job = listsig_start(&conf, sig, data, &info)) == NULL) {
		tap_ok(0, "async: start (%s)", info.reason);
		return;
	}
	while (!done) {
		pfd.fd = listsig_job_fd(job);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10000) <= 0)
			break;
		done = listsig_job_read(job);
	}
	for (i = 0; done && !listsig_job_reap(job, 0) && i < 100; i++)
		(void)poll(NULL, 0, 10);
	tap_ok(i < 100, "async: gpgv reaped after %d checks", i);
	listsig_finish(job, !done, &info);
	tap_is_str(listsig_result_str(info.result), "ok", "async: verdict");
	tap_is_str(info.signer_fpr, SUB, "async: signing subkey");
	tap_is_str(info.primary_fpr, EFF, "async: primary key");
	tap_is_int(info.sigtime, 1589995512, "async: signature time");
}

static int
setup(void)
{
	char src[4096 + 64];

	snprintf(tmp, sizeof(tmp), "/tmp/test_listsig.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	path(src, sizeof(src), srcdata, "policy.json");
	if (copy_file(src, "policy.json", -1, NULL) == -1 ||
	    copy_file(src, "flipped.json", 1000, NULL) == -1 ||
	    copy_file(src, "newline.json", -1, "\n") == -1)
		return -1;
	path(src, sizeof(src), srcdata, "policy.json.asc");
	if (copy_file(src, "policy.json.asc", -1, NULL) == -1)
		return -1;
	path(src, sizeof(src), srcdata, "starttls-policy-authority.gpg");
	if (copy_file(src, "eff.gpg", -1, NULL) == -1)
		return -1;
	path(src, sizeof(src), srcdata, "starttls-policy-authority.asc");
	return copy_file(src, "eff.asc", -1, NULL);
}

int
main(void)
{
	const char *dir = getenv("MTASTS_SRCDIR");
	size_t i;

	test_status();
	test_rollback();
	snprintf(srcdata, sizeof(srcdata), "%s/contrib/starttls-list",
	    dir ? dir : ".");
	if (setup() == -1) {
		tap_ok(0, "set-up in %s from %s: %s", tmp, srcdata,
		    strerror(errno));
		return tap_done();
	}
	if (access(LISTSIG_GPGV_DEFAULT, X_OK) == -1)
		tap_ok(1, "gpgv runs # SKIP " LISTSIG_GPGV_DEFAULT " missing");
	else {
		for (i = 0; i < sizeof(eff_cases) / sizeof(eff_cases[0]); i++)
			run_vcase(&eff_cases[i], NULL);
		test_test_key();
		test_async();
	}
	test_fakes();
	sh("rm -rf %s", tmp);
	return tap_done();
}
