/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_list.c: "mtasts list verify|show|export-postfix", the offline
 * commands on EFF's STARTTLS Policy List (docs/DESIGN.md §List), and
 * the dispatch of every "mtasts list" verb; "status", "update" and
 * "show --daemon" ask the running daemon (cmd_list_daemon.c), "build"
 * reads its cache (cmd_list_build.c).
 *
 * The offline commands work on files only: by default the bundled
 * copy installed under MTASTSD_DATADIR, or --file F [--sig S]
 * [--keyring K] [--fingerprint FPR] (S defaults to F.asc, FPR to EFF's
 * primary key).  Every command checks the signature first
 * (resolver/listsig.c, gpgv), then parses the whole file
 * (resolver/tlslist.c); only "show" can skip the signature
 * (--no-verify), and says so.  Verdicts are those of the two modules;
 * this file only reads, decides the exit status and prints.
 *
 *   verify          signer, signature time, timestamp, expires, entry
 *                   counts, in force or expired.  Exit 0 only when the
 *                   list is signed by the pinned key, valid and in force.
 *   show DOMAIN     the entry, its mode and mx patterns, and the answer
 *                   the daemon would give Postfix (none when testing or
 *                   expired).  Exit 0 when DOMAIN is listed.
 *   export-postfix  a Postfix hash: table for smtp_tls_policy_maps in the
 *                   layout of EFF's starttls-policy-cli: enforce entries
 *                   as "domain  secure match=...", testing ones as
 *                   comments, sorted.  The value is the daemon's own
 *                   (src/reply.c: ".x" parent-domain patterns plus
 *                   servername=hostname).  An expired list gives only a
 *                   comment line and exit 1; an unverified list nothing.
 *
 * Exit status as cmd.h: 0 / 1 (bad or wrong signature, invalid or
 * expired list, domain not listed) / 2 (usage, unreadable file, gpgv
 * missing, failing or timing out: no verdict on the list).
 * Blocking is fine here: this is the CLI, not the daemon's loop.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "humanfmt.h"
#include "jsonout.h"
#include "domkey.h"
#include "listsig.h"
#include "reply.h"
#include "tlslist.h"

#ifndef MTASTSD_DATADIR
#define MTASTSD_DATADIR		"/usr/local/share/mtastsd"
#endif
#ifndef MTASTSD_GPGV
#define MTASTSD_GPGV		LISTSIG_GPGV_DEFAULT
#endif

#define LIST_FILE	MTASTSD_DATADIR "/policy.json"
#define LIST_KEYRING	MTASTSD_DATADIR "/starttls-policy-authority.gpg"
#define LIST_PATH_MAX	4096
#define LIST_POSTFIX_MAX 40000	/* 128 patterns of 253 bytes */
#define LIST_ERR_MAX	512

/* What a command loaded; result decides the exit status. */
enum list_load {
	LOAD_OK,		/* verified (or not asked to) and valid */
	LOAD_BAD,		/* bad signature or invalid list: exit 1 */
	LOAD_FAIL		/* no verdict (I/O, gpgv): exit 2 */
};

struct list_opts {
	const char		*file;
	const char		*sig;
	const char		*keyring;
	const char		*fpr;
	int			 json;
	int			 no_verify;
	char			 sigbuf[LIST_PATH_MAX];
};

struct list_state {
	struct listsig_info	 sig;
	int			 verified;
	struct tlslist		*list;
	char			 err[LIST_ERR_MAX];
	int64_t			 now;
};

void
cmd_list_usage(void)
{
	fprintf(stderr,
	    "usage: mtasts list verify [--json] [list options]\n"
	    "       mtasts list show [--json] [--no-verify] [list options]"
	    " DOMAIN\n"
	    "       mtasts list export-postfix [list options]\n"
	    "list options: [--file FILE] [--sig FILE.asc] [--keyring KEYRING]"
	    " [--fingerprint FPR]\n"
	    "       mtasts list status [--socket PATH | --config FILE] "
	    "[--json]\n"
	    "       mtasts list update [--socket PATH | --config FILE] "
	    "[--json] [--url URL]\n"
	    "       mtasts list show --daemon [--socket PATH | --config FILE] "
	    "[--json] DOMAIN\n"
	    "       mtasts list build --author TEXT [--state-dir DIR | "
	    "--config FILE]\n"
	    "           [--output FILE] [--min-age DUR] [--min-max-age DUR] "
	    "[--expires-in DUR]\n"
	    "           [--include-testing] [--now SECONDS]\n");
}

/*
 * list_opts: parse the options (argv[0] is the verb).  `allow` says
 * which of --json / --no-verify this verb takes.  Returns the index of
 * the first operand or -1 on a usage error (already reported).
 */
static int
list_opts(int argc, char **argv, struct list_opts *o, int allow_json,
    int allow_no_verify)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-verify", no_argument, NULL, 'n' },
		{ "file", required_argument, NULL, 'f' },
		{ "sig", required_argument, NULL, 's' },
		{ "keyring", required_argument, NULL, 'k' },
		{ "fingerprint", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (ch == 'j' && allow_json)
			o->json = 1;
		else if (ch == 'n' && allow_no_verify)
			o->no_verify = 1;
		else if (ch == 'f')
			o->file = optarg;
		else if (ch == 's')
			o->sig = optarg;
		else if (ch == 'k')
			o->keyring = optarg;
		else if (ch == 'p')
			o->fpr = optarg;
		else {
			if (ch == 'j' || ch == 'n')
				fprintf(stderr, "mtasts: list %s: option %s "
				    "not supported\n", argv[0],
				    argv[optind - 1]);
			return -1;
		}
	}
	return optind;
}

static int	wants_daemon(int, char **);

/* list_defaults: the bundled copy, and FILE.asc beside --file FILE. */
static int
list_defaults(struct list_opts *o)
{
	int n;

	if (o->sig == NULL && o->file != NULL) {
		n = snprintf(o->sigbuf, sizeof(o->sigbuf), "%s.asc", o->file);
		if (n < 0 || (size_t)n >= sizeof(o->sigbuf)) {
			fprintf(stderr, "mtasts: %s: name too long\n", o->file);
			return -1;
		}
		o->sig = o->sigbuf;
	}
	if (o->file == NULL)
		o->file = LIST_FILE;
	if (o->sig == NULL)
		o->sig = LIST_FILE ".asc";
	if (o->keyring == NULL)
		o->keyring = LIST_KEYRING;
	return 0;
}

/*
 * read_list: at most TLSLIST_MAX_SIZE + 1 bytes of path (so an
 * oversize file is reported by the parser, without reading it all).
 * Returns a malloc'ed buffer and *len, or NULL (reported).
 */
static char *
read_list(const char *path, size_t *len, struct stat *st)
{
	char *buf = NULL;
	FILE *fp;
	int err;

	if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), st) == -1) {
		fprintf(stderr, "mtasts: %s: %s\n", path, strerror(errno));
		goto done;
	}
	if ((buf = malloc((size_t)TLSLIST_MAX_SIZE + 1)) == NULL) {
		fprintf(stderr, "mtasts: out of memory\n");
		goto done;
	}
	*len = fread(buf, 1, (size_t)TLSLIST_MAX_SIZE + 1, fp);
	if ((err = ferror(fp)) != 0) {
		fprintf(stderr, "mtasts: %s: read error\n", path);
		free(buf);
		buf = NULL;
	}
done:
	if (fp != NULL)
		fclose(fp);
	return buf;
}

/* same_file: the file still is what we read (no swap under gpgv). */
static int
same_file(const char *path, const struct stat *st)
{
	struct stat now;

	return stat(path, &now) == 0 && now.st_dev == st->st_dev &&
	    now.st_ino == st->st_ino && now.st_size == st->st_size &&
	    now.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* list_verify: the signature check; LOAD_* as for list_load. */
static enum list_load
list_verify(const struct list_opts *o, struct list_state *s)
{
	struct listsig_conf conf = { 0 };

	conf.gpgv = MTASTSD_GPGV;
	conf.keyring = o->keyring;
	conf.fpr = o->fpr;
	switch (listsig_verify(&conf, o->sig, o->file, &s->sig)) {
	case LISTSIG_OK:
		s->verified = 1;
		return LOAD_OK;
	case LISTSIG_BAD_SIGNATURE:
	case LISTSIG_WRONG_KEY:
		return LOAD_BAD;
	default:
		return LOAD_FAIL;
	}
}

/*
 * list_load: read the file, verify its signature (unless --no-verify),
 * parse it.  The file is read before gpgv runs and checked unchanged
 * after, so the bytes parsed are the bytes verified.
 */
static enum list_load
list_load(const struct list_opts *o, struct list_state *s)
{
	enum list_load r = LOAD_FAIL;
	struct stat st;
	size_t len = 0;
	char *buf;

	memset(s, 0, sizeof(*s));
	s->now = (int64_t)time(NULL);
	if ((buf = read_list(o->file, &len, &st)) == NULL)
		return LOAD_FAIL;
	if (!o->no_verify && (r = list_verify(o, s)) != LOAD_OK)
		goto done;
	if (!o->no_verify && !same_file(o->file, &st)) {
		fprintf(stderr, "mtasts: %s changed while it was checked\n",
		    o->file);
		r = LOAD_FAIL;
		goto done;
	}
	s->list = tlslist_parse(buf, len, s->err, sizeof(s->err));
	r = s->list != NULL ? LOAD_OK : LOAD_BAD;
done:
	free(buf);
	return r;
}

/* exit_for: the exit status of a failed load. */
static int
exit_for(enum list_load r)
{
	return r == LOAD_BAD ? CMD_EXIT_NO : CMD_EXIT_USAGE;
}

/* ---- output helpers -------------------------------------------------- */

static void
add_count(cJSON *obj, const char *key, size_t n)
{
	cJSON_AddNumberToObject(obj, key, (double)n);
}

/* add_time: "key": "YYYY-MM-DDTHH:MM:SSZ", or null when !have. */
static void
add_time(cJSON *obj, const char *key, int have, int64_t t)
{
	char buf[TLSLIST_TIME_STRLEN];

	jsonout_add_str(obj, key, have ? tlslist_time_format(t, buf) : NULL);
}

/* signature_line: the human line about the signature check. */
static void
signature_line(const struct list_opts *o, const struct list_state *s)
{
	char t[TLSLIST_TIME_STRLEN];

	if (o->no_verify)
		printf("signature: not checked (--no-verify)\n");
	else if (s->verified)
		printf("signature: good, made %s by key %s (primary %s)\n",
		    tlslist_time_format(s->sig.sigtime, t), s->sig.signer_fpr,
		    s->sig.primary_fpr);
	else
		printf("signature: %s: %s\n", listsig_result_str(s->sig.result),
		    s->sig.reason);
}

/* ---- verify ---------------------------------------------------------- */

static cJSON *
verify_json(const struct list_opts *o, const struct list_state *s)
{
	const struct tlslist *l = s->list;
	cJSON *obj;

	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(obj, "file", o->file);
	cJSON_AddStringToObject(obj, "signature",
	    listsig_result_str(s->sig.result));
	jsonout_add_str(obj, "signature_error", s->verified ? NULL : s->sig.reason);
	jsonout_add_str(obj, "signer", s->verified ? s->sig.signer_fpr : NULL);
	jsonout_add_str(obj, "primary", s->verified ? s->sig.primary_fpr : NULL);
	add_time(obj, "signed", s->verified, s->sig.sigtime);
	cJSON_AddBoolToObject(obj, "valid", l != NULL);
	jsonout_add_str(obj, "error", s->verified && l == NULL ? s->err : NULL);
	add_time(obj, "timestamp", l != NULL, l ? tlslist_timestamp(l) : 0);
	add_time(obj, "expires", l != NULL, l ? tlslist_expires(l) : 0);
	jsonout_add_str(obj, "version", l ? tlslist_version(l) : NULL);
	jsonout_add_str(obj, "author", l ? tlslist_author(l) : NULL);
	add_count(obj, "entries", l ? tlslist_count(l) : 0);
	add_count(obj, "enforce", l ?
	    tlslist_count_mode(l, TLSLIST_MODE_ENFORCE) : 0);
	add_count(obj, "testing", l ?
	    tlslist_count_mode(l, TLSLIST_MODE_TESTING) : 0);
	add_count(obj, "aliases", l ? tlslist_alias_count(l) : 0);
	cJSON_AddBoolToObject(obj, "in_force",
	    l != NULL && !tlslist_expired(l, s->now));
	return obj;
}

static void
verify_human(const struct list_opts *o, const struct list_state *s)
{
	const struct tlslist *l = s->list;
	char t[TLSLIST_TIME_STRLEN], a[TLSLIST_AUTHOR_MAX + 1];

	printf("file:      %s\n", o->file);
	signature_line(o, s);
	if (l == NULL) {
		if (s->verified)
			printf("invalid:   %s\n", s->err);
		return;
	}
	printf("timestamp: %s\n", tlslist_time_format(tlslist_timestamp(l), t));
	printf("expires:   %s\n", tlslist_time_format(tlslist_expires(l), t));
	printf("version:   %s\n", tlslist_version(l));
	if (tlslist_author(l) != NULL)
		printf("author:    %s\n",
		    humanfmt_printable(tlslist_author(l), a, sizeof(a)));
	printf("entries:   %zu (%zu enforce, %zu testing; %zu aliases)\n",
	    tlslist_count(l), tlslist_count_mode(l, TLSLIST_MODE_ENFORCE),
	    tlslist_count_mode(l, TLSLIST_MODE_TESTING),
	    tlslist_alias_count(l));
	if (tlslist_expired(l, s->now))
		printf("status:    EXPIRED since %s: never applied\n",
		    tlslist_time_format(tlslist_expires(l), t));
	else
		printf("status:    in force until %s\n",
		    tlslist_time_format(tlslist_expires(l), t));
}

static int
list_verify_cmd(int argc, char **argv)
{
	struct list_state s;
	struct list_opts o;
	enum list_load r;
	int first, rc;

	if ((first = list_opts(argc, argv, &o, 1, 0)) < 0 || first != argc ||
	    list_defaults(&o) == -1) {
		cmd_list_usage();
		return CMD_EXIT_USAGE;
	}
	r = list_load(&o, &s);
	if (r == LOAD_FAIL && !s.sig.reason[0])
		return CMD_EXIT_USAGE;	/* unreadable file: reported */
	if (o.json) {
		if (jsonout_print(verify_json(&o, &s)) == -1)
			r = LOAD_FAIL;
	} else
		verify_human(&o, &s);
	if (r != LOAD_OK)
		rc = exit_for(r);
	else
		rc = tlslist_expired(s.list, s.now) ? CMD_EXIT_NO : CMD_EXIT_OK;
	tlslist_free(s.list);
	return rc;
}

/* ---- show ------------------------------------------------------------ */

/* load_failure: why the list cannot be used, for stderr and --json. */
static const char *
load_failure(const struct list_opts *o, const struct list_state *s,
    char *buf, size_t size)
{
	if (!o->no_verify && !s->verified && s->sig.reason[0] != '\0')
		snprintf(buf, size, "signature %s: %s",
		    listsig_result_str(s->sig.result), s->sig.reason);
	else if (s->list == NULL && s->err[0] != '\0')
		snprintf(buf, size, "invalid list: %s", s->err);
	else
		snprintf(buf, size, "cannot read the list");
	return buf;
}

/*
 * show_postfix: the value the daemon would answer for p, into buf, or
 * NULL with *why.  Only a verified list in force is ever applied, and
 * only enforce entries get an answer (testing: Postfix's own defaults
 * apply, as EFF's generator leaves them out).
 */
static const char *
show_postfix(const struct list_opts *o, const struct list_state *s,
    const struct tlslist_policy *p, char *buf, size_t size, const char **why)
{
	*why = NULL;
	if (p == NULL)
		*why = "not listed";
	else if (o->no_verify)
		*why = "signature not checked: the daemon never applies "
		    "such a list";
	else if (tlslist_expired(s->list, s->now))
		*why = "the list has expired: it is never applied";
	else if (p->mode != TLSLIST_MODE_ENFORCE)
		*why = "mode testing: no answer, Postfix's own settings apply";
	else if (reply_postfix(p->mx, p->nmx, buf, size) < 0)
		*why = "no Postfix value for these patterns";
	return *why == NULL ? buf : NULL;
}

static cJSON *
show_json(const char *domain, const struct list_state *s,
    const struct tlslist_policy *p, const char *postfix, const char *error)
{
	cJSON *obj, *mx;
	size_t i;

	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(obj, "domain", domain);
	cJSON_AddBoolToObject(obj, "found", p != NULL);
	jsonout_add_str(obj, "mode", p ? tlslist_mode_str(p->mode) : NULL);
	jsonout_add_str(obj, "alias", p ? p->alias : NULL);
	if ((mx = cJSON_AddArrayToObject(obj, "mx")) != NULL)
		for (i = 0; p != NULL && i < p->nmx; i++)
			cJSON_AddItemToArray(mx, cJSON_CreateString(p->mx[i]));
	cJSON_AddBoolToObject(obj, "verified", s->verified);
	if (s->list != NULL)
		cJSON_AddBoolToObject(obj, "in_force",
		    !tlslist_expired(s->list, s->now));
	else
		cJSON_AddNullToObject(obj, "in_force");
	jsonout_add_str(obj, "postfix", postfix);
	jsonout_add_str(obj, "error", error);
	return obj;
}

static void
show_human(const char *domain, const struct list_opts *o,
    const struct list_state *s, const struct tlslist_policy *p,
    const char *postfix, const char *why)
{
	char t[TLSLIST_TIME_STRLEN];
	size_t i;

	printf("domain:    %s\n", domain);
	printf("list:      %s (expires %s)\n", o->file,
	    tlslist_time_format(tlslist_expires(s->list), t));
	signature_line(o, s);
	if (p == NULL) {
		printf("entry:     none (not listed)\n");
		return;
	}
	printf("mode:      %s", tlslist_mode_str(p->mode));
	if (p->alias != NULL)
		printf(" (policy alias \"%s\")", p->alias);
	printf("\n");
	for (i = 0; i < p->nmx; i++)
		printf("mx:        %s\n", p->mx[i]);
	if (postfix != NULL)
		printf("postfix:   %s\n", postfix);
	else
		printf("postfix:   none (%s)\n", why);
}

/* show_domain: normalise the DOMAIN argument (as the daemon would). */
static int
show_domain(const char *arg, char key[DOMKEY_MAX + 1], const char **why)
{
	return domkey_normalize(arg, strlen(arg), key, why) == DOMKEY_DOMAIN ?
	    0 : -1;
}

static int
list_show_cmd(int argc, char **argv)
{
	static char postfix[LIST_POSTFIX_MAX];
	const struct tlslist_policy *p = NULL;
	char key[DOMKEY_MAX + 1], ebuf[LIST_ERR_MAX + 64];
	const char *why = NULL, *pf = NULL, *error = NULL;
	struct list_state s;
	struct list_opts o;
	enum list_load r;
	int first, rc;

	if (wants_daemon(argc, argv))
		return cmd_list_show_daemon(argc, argv);
	if ((first = list_opts(argc, argv, &o, 1, 1)) < 0 ||
	    first != argc - 1 || list_defaults(&o) == -1) {
		cmd_list_usage();
		return CMD_EXIT_USAGE;
	}
	memset(&s, 0, sizeof(s));
	if (show_domain(argv[first], key, &why) == -1) {
		snprintf(ebuf, sizeof(ebuf), "not a mail domain: %s", why);
		error = ebuf;
		r = LOAD_BAD;
	} else if ((r = list_load(&o, &s)) != LOAD_OK)
		error = load_failure(&o, &s, ebuf, sizeof(ebuf));
	else {
		p = tlslist_lookup(s.list, key);
		pf = show_postfix(&o, &s, p, postfix, sizeof(postfix), &why);
	}
	if (o.json) {
		if (jsonout_print(show_json(error ? argv[first] : key, &s, p, pf,
		    error)) == -1)
			r = LOAD_FAIL;
	} else if (error != NULL)
		fprintf(stderr, "mtasts: %s\n", error);
	else
		show_human(key, &o, &s, p, pf, why);
	rc = r != LOAD_OK ? exit_for(r) : p != NULL ? CMD_EXIT_OK : CMD_EXIT_NO;
	tlslist_free(s.list);
	return rc;
}

/* ---- export-postfix -------------------------------------------------- */

/* The exact line of EFF's starttls-policy-cli for an expired list. */
#define EXPORT_EXPIRED \
	"# Policy list is outdated. Falling back to opportunistic encryption."

/*
 * export_lines: the table, sorted by domain (tlslist order).  Layout
 * of EFF's generator: the domain left-justified to the longest key,
 * then " secure match=..." after one more space, or a comment.
 */
static void
export_lines(const struct tlslist *l)
{
	static char value[LIST_POSTFIX_MAX];
	const struct tlslist_policy *p;
	char t1[TLSLIST_TIME_STRLEN], t2[TLSLIST_TIME_STRLEN];
	size_t i, w = 0;

	for (i = 0; (p = tlslist_at(l, i)) != NULL; i++)
		if (strlen(p->domain) > w)
			w = strlen(p->domain);
	printf("# STARTTLS Policy List of %s, expires %s: regenerate before "
	    "then\n", tlslist_time_format(tlslist_timestamp(l), t1),
	    tlslist_time_format(tlslist_expires(l), t2));
	for (i = 0; (p = tlslist_at(l, i)) != NULL; i++) {
		if (p->mode != TLSLIST_MODE_ENFORCE)
			printf("# %-*s undefined due to testing policy\n",
			    (int)w, p->domain);
		else if (reply_postfix(p->mx, p->nmx, value, sizeof(value)) < 0)
			printf("# %-*s no Postfix value for its patterns\n",
			    (int)w, p->domain);
		else
			printf("%-*s  %s\n", (int)w, p->domain, value);
	}
}

static int
list_export_cmd(int argc, char **argv)
{
	char t[TLSLIST_TIME_STRLEN], ebuf[LIST_ERR_MAX + 64];
	struct list_state s;
	struct list_opts o;
	enum list_load r;
	int first, rc = CMD_EXIT_OK;

	if ((first = list_opts(argc, argv, &o, 0, 0)) < 0 || first != argc ||
	    list_defaults(&o) == -1) {
		cmd_list_usage();
		return CMD_EXIT_USAGE;
	}
	if ((r = list_load(&o, &s)) != LOAD_OK) {
		fprintf(stderr, "mtasts: %s: %s: nothing exported\n", o.file,
		    load_failure(&o, &s, ebuf, sizeof(ebuf)));
		return exit_for(r);
	}
	if (tlslist_expired(s.list, s.now)) {
		puts(EXPORT_EXPIRED);
		fprintf(stderr, "mtasts: %s: the list expired on %s: only a "
		    "comment line exported\n", o.file,
		    tlslist_time_format(tlslist_expires(s.list), t));
		rc = CMD_EXIT_NO;
	} else
		export_lines(s.list);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "mtasts: write error: %s\n", strerror(errno));
		rc = CMD_EXIT_USAGE;
	}
	tlslist_free(s.list);
	return rc;
}

/* wants_daemon: "show" was given --daemon, --socket or --config. */
static int
wants_daemon(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--daemon") == 0 ||
		    strcmp(argv[i], "--socket") == 0 ||
		    strncmp(argv[i], "--socket=", 9) == 0 ||
		    strcmp(argv[i], "--config") == 0 ||
		    strncmp(argv[i], "--config=", 9) == 0)
			return 1;
	return 0;
}

/* ---- dispatch -------------------------------------------------------- */

int
cmd_list(int argc, char **argv)
{
	static const struct {
		const char	*verb;
		int		(*run)(int, char **);
	} verbs[] = {
		{ "verify", list_verify_cmd },
		{ "show", list_show_cmd },
		{ "export-postfix", list_export_cmd },
		{ "build", cmd_list_build },
		{ "status", cmd_list_status },
		{ "update", cmd_list_update },
	};
	size_t i;

	for (i = 0; argc > 1 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].verb) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	if (argc > 1)
		fprintf(stderr, "mtasts: list: unknown command \"%s\"\n",
		    argv[1]);
	cmd_list_usage();
	return CMD_EXIT_USAGE;
}
