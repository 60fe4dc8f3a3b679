/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_postfix.c: "mtasts check-postfix": read Postfix's configuration
 * through postconf(1) and report the mistakes that make Postfix ignore
 * mtastsd or defer mail (docs/postfix.md, docs/DESIGN.md §Failures).
 *
 *   mtasts check-postfix [--json] [-c CONFIG_DIR]
 *                        [-f | --config MTASTSD_CONF] [--postconf PATH]
 *
 * mtastsd's configuration (for its profiles) is MTASTSD_CONF, else the
 * installed mtastsd.conf when there is one, else the defaults.
 *
 * Checked:
 *   - the Postfix version (socketmap needs 2.10);
 *   - smtp_tls_policy_maps names a socketmap (or tcp) map; for each
 *     socketmap, its map name is an mtastsd profile and the profile
 *     writes no attribute the installed Postfix rejects (servername=
 *     before 3.4, the TLSRPT attributes before 3.10): Postfix defers
 *     the mail on an unknown attribute;
 *   - a unix socket is reachable where Postfix opens it: smtp(8) opens
 *     it lazily, after chroot(2) into queue_directory when master.cf
 *     says so, so an absolute path is looked up inside the jail (and a
 *     relative one is always relative to queue_directory); the
 *     mail_owner user may write to it; with proxy:, proxymap(8) opens
 *     it instead and proxy_read_maps must list the map;
 *   - the daemon answers there: a socketmap or tcp_table request for a
 *     key the daemon answers without any lookup (".invalid" parent
 *     form), and it is mtastsd: its JSON "version" op over the same
 *     socket (another resolver may hold the same port);
 *   - Postfix 3.10.5 and later with a map that writes no
 *     mx_host_pattern= (profile postfix, tcp_table): a warning, since
 *     such a Postfix then delivers to MX hosts outside the policy;
 *   - smtp_tls_CAfile or smtp_tls_CApath is set (without one every
 *     verified connection fails, so every "secure" answer defers mail),
 *     the file exists, the directory exists inside the jail;
 *   - with mtastsd's dane = yes (docs/postfix.md §5): Postfix's
 *     smtp_dns_support_level is dnssec (otherwise Postfix cannot do
 *     the DANE that mtastsd's "dane" and "dane-only" answers ask for),
 *     and mtastsd's resolver (dns_servers) validates: the DNSKEY of
 *     dane_probe_name comes back authenticated (resolver/danechk.h).
 *
 * Each finding is one line "ok: ...", "note: ...", "warning: ..." or
 * "problem: ..." (with --json: one object with a "checks" array of
 * {"level","code","text"}).  Exit status: 0 no problem, 1 a problem,
 * 2 usage error or postconf failed.  postconf's own messages go to
 * stderr unchanged.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "client.h"
#include "cmd.h"
#include "conf.h"
#include "danechk.h"
#include "dns.h"
#include "monoclock.h"
#include "reply.h"

/* Postfix checks the MX name against mx_host_pattern= (TLSRPT
 * attributes) from this version on (smtp_tls_enforce_sts_mx_patterns). */
#define CP_PF_MX_PATTERNS	REPLY_PF(3, 10, 5)

#define CP_OUT_MAX	(1024 * 1024)	/* postconf output read */
#define CP_PARAMS_MAX	64
#define CP_MAPS_MAX	32		/* entries of smtp_tls_policy_maps */
#define CP_PATH_MAX	4096
#define CP_PROBE_MS	3000		/* connect + answer deadline */
#define CP_PROBE_KEY	".mtasts-check-postfix.invalid"
#define CP_GROUPS_MAX	64

/* The parameters read with "postconf -x". */
static const char *const cp_names[] = {
	"mail_version", "compatibility_level", "queue_directory",
	"mail_owner", "smtp_tls_policy_maps", "smtp_tls_CAfile",
	"smtp_tls_CApath", "tls_append_default_CA", "proxy_read_maps",
	"smtp_dns_support_level",
};

struct cp_opts {
	const char	*postconf;	/* program */
	const char	*config_dir;	/* postconf -c, or NULL */
	const char	*conf_path;	/* mtastsd.conf, or NULL (default) */
	int		 json;
};

/* What Postfix's configuration says. */
struct cp_postfix {
	char		*out;		/* postconf -x output, split in place */
	char		*master;	/* postconf -M output, split in place */
	const char	*value[sizeof(cp_names) / sizeof(cp_names[0])];
	unsigned	 version;	/* REPLY_PF(); 0 if unknown */
	int		 smtp_chroot;	/* an smtp(8) service is chrooted */
	int		 proxy_chroot;	/* proxymap(8) is chrooted */
};

/* One entry of smtp_tls_policy_maps, split. */
struct cp_map {
	const char	*spec;		/* as written */
	int		 proxy;		/* "proxy:" prefix */
	int		 tcp;		/* tcp:HOST:PORT (tcp_table) */
	int		 unix_sock;	/* socketmap:unix: */
	char		 endpoint[CP_PATH_MAX];	/* path or HOST:PORT */
	char		 name[256];	/* socketmap map name */
};

/* Findings, counted; printed at once or collected for --json. */
struct cp_report {
	int		 json;
	cJSON		*checks;
	int		 problems, warnings;
};

static const char *
cp_param(const struct cp_postfix *pf, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cp_names) / sizeof(cp_names[0]); i++)
		if (strcmp(cp_names[i], name) == 0)
			return pf->value[i] != NULL ? pf->value[i] : "";
	return "";
}

static void __attribute__((format(printf, 4, 5)))
say(struct cp_report *r, const char *level, const char *code,
    const char *fmt, ...)
{
	char text[2048];
	cJSON *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strcmp(level, "problem") == 0)
		r->problems++;
	else if (strcmp(level, "warning") == 0)
		r->warnings++;
	if (!r->json) {
		printf("%s: %s\n", level, text);
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL)
		return;
	cJSON_AddStringToObject(o, "level", level);
	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "text", text);
	cJSON_AddItemToArray(r->checks, o);
}

/* --- running postconf ---------------------------------------------------- */

/* cp_read: read fd to EOF into a new NUL-terminated buffer (bounded). */
static char *
cp_read(int fd)
{
	char *buf;
	size_t len = 0;
	ssize_t n;

	if ((buf = malloc(CP_OUT_MAX + 1)) == NULL)
		return NULL;
	while (len < CP_OUT_MAX) {
		n = read(fd, buf + len, CP_OUT_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * cp_run: run "postconf [-c DIR] args..." (execvp, no shell) and return
 * its standard output, or NULL (reported) when it cannot run or fails.
 */
static char *
cp_run(const struct cp_opts *o, const char *const *args, size_t nargs)
{
	const char *argv[CP_PARAMS_MAX + 4];
	char *out = NULL;
	size_t i, n = 0;
	int fds[2], status;
	pid_t pid;

	argv[n++] = o->postconf;
	if (o->config_dir != NULL) {
		argv[n++] = "-c";
		argv[n++] = o->config_dir;
	}
	for (i = 0; i < nargs && n < CP_PARAMS_MAX + 2; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe(fds) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "mtasts: cannot run %s: %s\n", o->postconf,
		    strerror(errno));
		return NULL;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "mtasts: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	out = cp_read(fds[0]);
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "mtasts: %s failed\n", o->postconf);
		free(out);
		return NULL;
	}
	return out;
}

/* cp_parse_params: "name = value" lines of postconf -x into pf->value. */
static void
cp_parse_params(struct cp_postfix *pf)
{
	char *line, *next, *eq;
	size_t i;

	for (line = pf->out; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strstr(line, " =")) == NULL)
			continue;
		*eq = '\0';
		eq += 2;
		eq += *eq == ' ';
		for (i = 0; i < sizeof(cp_names) / sizeof(cp_names[0]); i++)
			if (strcmp(line, cp_names[i]) == 0)
				pf->value[i] = eq;
	}
}

/*
 * cp_chroot: the chroot column of a master.cf entry: "y", "n", or "-",
 * whose meaning changed in Postfix 3.0 (n with compatibility_level 1 or
 * later; y before), as Debian's configure-instance.sh reads it.
 */
static int
cp_chroot(const struct cp_postfix *pf, const char *col)
{
	int compat = atoi(cp_param(pf, "compatibility_level"));

	if (col[0] == 'y' || col[0] == 'Y')
		return 1;
	if (col[0] == 'n' || col[0] == 'N')
		return 0;
	return !(pf->version >= REPLY_PF(3, 0, 0) && compat >= 1);
}

/* cp_parse_master: which smtp(8) and proxymap(8) services chroot. */
static void
cp_parse_master(struct cp_postfix *pf)
{
	char *line, *next, *f[8], *save;
	size_t n;

	for (line = pf->master; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (n = 0, save = NULL; n < 8 &&
		    (f[n] = strtok_r(n == 0 ? line : NULL, " \t", &save)) !=
		    NULL; n++)
			;
		if (n < 8 || strcmp(f[1], "unix") != 0)
			continue;
		if (strcmp(f[7], "smtp") == 0 && cp_chroot(pf, f[4]))
			pf->smtp_chroot = 1;
		if (strcmp(f[7], "proxymap") == 0 && cp_chroot(pf, f[4]))
			pf->proxy_chroot = 1;
	}
}

/* cp_load: run postconf twice and parse.  0, or -1 (reported). */
static int
cp_load(const struct cp_opts *o, struct cp_postfix *pf)
{
	const char *args[CP_PARAMS_MAX];
	const char *rest;
	size_t i, n = 0;

	args[n++] = "-x";
	for (i = 0; i < sizeof(cp_names) / sizeof(cp_names[0]); i++)
		args[n++] = cp_names[i];
	if ((pf->out = cp_run(o, args, n)) == NULL)
		return -1;
	args[0] = "-M";
	if ((pf->master = cp_run(o, args, 1)) == NULL)
		return -1;
	cp_parse_params(pf);
	if (reply_version_parse(cp_param(pf, "mail_version"), &pf->version,
	    &rest) == -1)
		pf->version = 0;
	cp_parse_master(pf);
	return 0;
}

/* --- the maps ------------------------------------------------------------ */

/*
 * cp_split_map: parse one smtp_tls_policy_maps entry.  Returns 1 for a
 * socketmap or tcp map (m filled), 0 for any other map type.
 */
static int
cp_split_map(const char *spec, struct cp_map *m)
{
	const char *s = spec, *last;

	memset(m, 0, sizeof(*m));
	m->spec = spec;
	if (strncmp(s, "proxy:", 6) == 0) {
		m->proxy = 1;
		s += 6;
	}
	if (strncmp(s, "tcp:", 4) == 0) {
		m->tcp = 1;	/* tcp_table answers use profile "postfix" */
		snprintf(m->endpoint, sizeof(m->endpoint), "%s", s + 4);
		snprintf(m->name, sizeof(m->name), "postfix");
		return 1;
	}
	if (strncmp(s, "socketmap:", 10) != 0)
		return 0;
	s += 10;
	if (strncmp(s, "unix:", 5) == 0)
		m->unix_sock = 1;
	else if (strncmp(s, "inet:", 5) != 0)
		return 0;
	s += 5;
	if ((last = strrchr(s, ':')) == NULL)
		return 0;
	snprintf(m->endpoint, sizeof(m->endpoint), "%.*s", (int)(last - s),
	    s);
	snprintf(m->name, sizeof(m->name), "%s", last + 1);
	return 1;
}

/*
 * cp_host_path: the socket path, as the host sees it, that Postfix
 * opens: daemons run in queue_directory, chrooted there or not.
 */
static void
cp_host_path(const struct cp_postfix *pf, const struct cp_map *m,
    int chrooted, char *out, size_t outsize)
{
	const char *q = cp_param(pf, "queue_directory");
	int n;

	if (m->endpoint[0] != '/')
		n = snprintf(out, outsize, "%s/%s", q, m->endpoint);
	else
		n = snprintf(out, outsize, "%s%s", chrooted ? q : "",
		    m->endpoint);
	if (n < 0 || (size_t)n >= outsize)
		out[0] = '\0';		/* too long: "no socket at" */
}

/* --- talking to the daemon ---------------------------------------------- */

/* cp_open: a connection to the map's endpoint (client.h), or NULL. */
static struct client *
cp_open(const struct cp_map *m, const char *path, char *err, size_t errlen)
{
	struct client *c;

	c = m->unix_sock ? client_open(path, CP_PROBE_MS, err, errlen) :
	    client_open_tcp(m->endpoint, CP_PROBE_MS, err, errlen);
	if (c != NULL)
		client_set_deadline(c, monoclock_ms() + CP_PROBE_MS);
	return c;
}

/*
 * cp_ask: send one request for CP_PROBE_KEY (a parent-domain key: the
 * daemon answers it without a lookup) in the map's protocol.  The
 * answer (borrowed from c), or NULL when nothing sensible came back in
 * time.
 */
static const char *
cp_ask(struct client *c, const struct cp_map *m, char *err, size_t errlen)
{
	char req[512];
	int rlen;

	if (m->tcp)
		rlen = snprintf(req, sizeof(req), "get %s\n", CP_PROBE_KEY);
	else
		rlen = snprintf(req, sizeof(req), "%zu:%s %s,",
		    strlen(m->name) + 1 + strlen(CP_PROBE_KEY), m->name,
		    CP_PROBE_KEY);
	if (rlen < 0 || (size_t)rlen >= sizeof(req)) {
		snprintf(err, errlen, "map name too long");
		return NULL;
	}
	if (client_write(c, req, (size_t)rlen, err, errlen) == -1)
		return NULL;
	return client_recv_until(c, m->tcp ? '\n' : ',', err, errlen);
}

/*
 * cp_identify: is what answers there mtastsd?  Another resolver (Debian's
 * postfix-mta-sts-resolver listens on 127.0.0.1:8461 too) answers the
 * socketmap probe alike; only mtastsd answers its JSON "version" op on
 * the same socket (the first byte selects the protocol).
 */
static void
cp_identify(struct cp_report *r, const struct cp_map *m, const char *path)
{
	const char *where = m->unix_sock ? path : m->endpoint, *who;
	struct client *c;
	cJSON *req, *rep = NULL;
	char err[512];

	snprintf(err, sizeof(err), "out of memory");
	if ((req = client_request("version", NULL, NULL)) != NULL &&
	    (c = cp_open(m, path, err, sizeof(err))) != NULL) {
		rep = client_call(c, req, NULL, err, sizeof(err));
		client_close(c);
	}
	cJSON_Delete(req);
	who = client_str(rep, "daemon");
	if (who != NULL && strcmp(who, "mtastsd") == 0)
		say(r, "ok", "daemon-answers", "%s: mtastsd %s answers",
		    m->spec, client_str_or(rep, "version", "?"));
	else
		say(r, "problem", "not-mtastsd", "%s: something answers at "
		    "%s, but not mtastsd (asked for its version: %s): Postfix "
		    "gets another resolver's answers (Debian's "
		    "postfix-mta-sts-resolver also listens on 127.0.0.1:8461)",
		    m->spec, where, rep != NULL ? "not its answer" : err);
	cJSON_Delete(rep);
}

/* cp_probe: does the daemon answer this map as the profile expects? */
static void
cp_probe(struct cp_report *r, const struct cp_map *m, const char *path)
{
	const char *where = m->unix_sock ? path : m->endpoint, *ans;
	struct client *c;
	char err[512];

	if ((c = cp_open(m, path, err, sizeof(err))) == NULL) {
		say(r, "problem", "daemon-unreachable", "%s: %s; Postfix "
		    "defers all mail while nothing answers", m->spec, err);
		return;
	}
	if ((ans = cp_ask(c, m, err, sizeof(err))) == NULL)
		say(r, "problem", "daemon-no-answer", "%s: no answer from "
		    "%s within %d ms (%s)", m->spec, where, CP_PROBE_MS, err);
	else if (strstr(ans, "NOTFOUND") != NULL ||
	    strncmp(ans, "500 ", 4) == 0)
		cp_identify(r, m, path);
	else if (strstr(ans, "unknown map name") != NULL)
		say(r, "problem", "unknown-profile", "%s: the daemon does not "
		    "know the map name \"%s\" (PERM: Postfix defers the mail)",
		    m->spec, m->name);
	else
		say(r, "warning", "daemon-odd-answer", "%s: unexpected answer "
		    "\"%.80s\" (is this mtastsd?)", m->spec, ans);
	client_close(c);
}

/* --- socket file checks -------------------------------------------------- */

/* cp_may: may uid (in groups gids) access st with mode bits want (r/w/x)? */
static int
cp_may(const struct stat *st, uid_t uid, const gid_t *gids, int ngids,
    unsigned want)
{
	int i;

	if (uid == 0)
		return 1;
	if (st->st_uid == uid)
		return ((st->st_mode >> 6) & want) == want;
	for (i = 0; i < ngids; i++)
		if (st->st_gid == gids[i])
			return ((st->st_mode >> 3) & want) == want;
	return (st->st_mode & want) == want;
}

/*
 * cp_reachable: can `user` reach the socket at path: search permission
 * on every directory above it and write permission on the socket?
 * Returns NULL or the path that stops it (a static buffer).
 */
static const char *
cp_reachable(const char *path, const char *user)
{
	static char dir[CP_PATH_MAX];
	gid_t gids[CP_GROUPS_MAX];
	struct passwd *pw;
	struct stat st;
	char *slash;
	int n = CP_GROUPS_MAX;

	if ((pw = getpwnam(user)) == NULL)
		return NULL;		/* unknown user: cannot judge */
	if (getgrouplist(user, pw->pw_gid, gids, &n) == -1)
		n = 0;
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (stat(dir, &st) == 0 &&
		    !cp_may(&st, pw->pw_uid, gids, n, 1))
			return dir;
		*slash = '/';
	}
	if (stat(path, &st) == 0 && !cp_may(&st, pw->pw_uid, gids, n, 2))
		return path;
	return NULL;
}

/* cp_check_unix: the socket file of a socketmap:unix: map. */
static int
cp_check_unix(struct cp_report *r, const struct cp_postfix *pf,
    const struct cp_map *m, char *path, size_t pathsize)
{
	int jail = m->proxy ? pf->proxy_chroot : pf->smtp_chroot;
	const char *who = m->proxy ? "proxymap(8)" : "smtp(8)", *stop;
	struct stat st;
	int found;

	cp_host_path(pf, m, jail, path, pathsize);
	if ((found = stat(path, &st) == 0) && S_ISSOCK(st.st_mode)) {
		if ((stop = cp_reachable(path,
		    cp_param(pf, "mail_owner"))) == NULL)
			return 0;
		say(r, "problem", "socket-permission", "%s: user %s cannot "
		    "reach %s (check socket_group and socket_mode)", m->spec,
		    cp_param(pf, "mail_owner"), stop);
		return -1;
	}
	say(r, "problem", "socket-missing", "%s: %s at %s, where %s opens "
	    "it", m->spec, found ? "not a socket" : "no socket", path, who);
	if (m->endpoint[0] == '/' && jail)
		say(r, "note", "chroot-hint", "%s runs chrooted in %s: use a "
		    "path relative to queue_directory, an inet: socket or "
		    "proxy: (docs/postfix.md)", who,
		    cp_param(pf, "queue_directory"));
	return -1;
}

/*
 * cp_check_profile: the profile the map name selects writes nothing the
 * installed Postfix rejects (it defers the mail on an unknown
 * attribute).
 */
static void
cp_check_profile(struct cp_report *r, const struct conf *conf,
    const struct cp_postfix *pf, const struct cp_map *m)
{
	struct reply_profile prof;
	char have[REPLY_PF_STRLEN], want[REPLY_PF_STRLEN];
	const char *v = cp_param(pf, "mail_version");

	if (conf_profile(conf, m->name, strlen(m->name), &prof) == -1) {
		say(r, "problem", "unknown-profile", "%s: \"%s\" is not an "
		    "mtastsd profile (postfix, postfix-tlsrpt): mtastsd answers "
		    "PERM and Postfix defers the mail", m->spec, m->name);
		return;
	}
	reply_version_format(prof.version, want, sizeof(want));
	reply_version_format(pf->version, have, sizeof(have));
	if (prof.tlsrpt && prof.version >= REPLY_PF_TLSRPT &&
	    pf->version < REPLY_PF_TLSRPT)
		say(r, "problem", "profile-tlsrpt", "%s: profile %s writes the "
		    "TLSRPT attributes (Postfix >= 3.10), Postfix %s rejects "
		    "them and defers the mail: use the map name postfix",
		    m->spec, m->name, v);
	else if (prof.version >= REPLY_PF_SERVERNAME &&
	    pf->version < REPLY_PF_SERVERNAME)
		say(r, "problem", "profile-servername", "%s: profile %s writes "
		    "servername=hostname (postfix_version %s), Postfix %s "
		    "rejects it and defers the mail: set postfix_version = %s",
		    m->spec, m->name, want, v, have);
	else
		say(r, "ok", "profile", "%s: profile %s (Postfix %s) suits "
		    "Postfix %s", m->spec, m->name, want, v);
	if (!prof.tlsrpt && pf->version >= CP_PF_MX_PATTERNS)
		say(r, "warning", "mx-patterns", "%s: Postfix %s refuses MX "
		    "hosts outside an MTA-STS policy only when the answer "
		    "carries mx_host_pattern=, which only the profile "
		    "postfix-tlsrpt writes; with %s it delivers to any MX "
		    "whose certificate names a policy host: use %s", m->spec,
		    v, m->tcp ? "tcp_table" : "this profile", m->tcp ?
		    "socketmap with the map name postfix-tlsrpt" :
		    "the map name postfix-tlsrpt");
	else if (!prof.tlsrpt && !m->tcp && pf->version >= REPLY_PF_TLSRPT)
		say(r, "note", "tlsrpt-available", "%s: Postfix %s takes the "
		    "TLSRPT attributes: the map name postfix-tlsrpt adds them",
		    m->spec, v);
}

/* cp_listed: is `spec` (or it without "proxy:") in the list `list`? */
static int
cp_listed(const char *list, const char *spec)
{
	const char *bare = strncmp(spec, "proxy:", 6) == 0 ? spec + 6 : spec;
	const char *p = list;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if ((n == strlen(spec) && strncmp(p, spec, n) == 0) ||
		    (n == strlen(bare) && strncmp(p, bare, n) == 0))
			return 1;
		p += n;
	}
	return 0;
}

/* cp_check_map: one socketmap or tcp map of smtp_tls_policy_maps. */
static void
cp_check_map(struct cp_report *r, const struct conf *conf,
    const struct cp_postfix *pf, struct cp_map *m)
{
	char path[CP_PATH_MAX] = "";

	cp_check_profile(r, conf, pf, m);
	if (m->proxy && !cp_listed(cp_param(pf, "proxy_read_maps"), m->spec))
		say(r, "problem", "proxy-read-maps", "%s: not in "
		    "proxy_read_maps, so proxymap(8) refuses it", m->spec);
	if (m->unix_sock && cp_check_unix(r, pf, m, path, sizeof(path)) != 0)
		return;
	cp_probe(r, m, path);
}

/* cp_check_maps: every entry of smtp_tls_policy_maps. */
static void
cp_check_maps(struct cp_report *r, const struct conf *conf,
    const struct cp_postfix *pf)
{
	char list[8192], *save = NULL, *tok;
	struct cp_map m;
	int found = 0;

	snprintf(list, sizeof(list), "%s", cp_param(pf,
	    "smtp_tls_policy_maps"));
	for (tok = strtok_r(list, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (!cp_split_map(tok, &m))
			continue;
		found++;
		cp_check_map(r, conf, pf, &m);
	}
	if (found == 0)
		say(r, "problem", "no-map", "smtp_tls_policy_maps has no "
		    "socketmap or tcp map: Postfix never asks mtastsd "
		    "(docs/postfix.md)");
}

/* --- certificate authorities -------------------------------------------- */

static void
cp_check_ca(struct cp_report *r, const struct cp_postfix *pf)
{
	const char *file = cp_param(pf, "smtp_tls_CAfile");
	const char *dir = cp_param(pf, "smtp_tls_CApath");
	const char *q = cp_param(pf, "queue_directory");
	char jail[CP_PATH_MAX];
	struct stat st;

	if (file[0] == '\0' && dir[0] == '\0') {
		if (strcmp(cp_param(pf, "tls_append_default_CA"), "yes") == 0)
			say(r, "ok", "ca", "tls_append_default_CA = yes");
		else
			say(r, "problem", "no-ca", "neither smtp_tls_CAfile nor "
			    "smtp_tls_CApath is set: no server certificate "
			    "verifies, so every enforced policy defers the mail "
			    "(set smtp_tls_CAfile = "
			    "/etc/ssl/certs/ca-certificates.crt)");
		return;
	}
	/* smtp(8) reads the file before chroot, the directory after. */
	if (file[0] != '\0' && access(file, R_OK) == -1)
		say(r, "problem", "ca-file", "smtp_tls_CAfile %s: %s", file,
		    strerror(errno));
	else if (file[0] != '\0')
		say(r, "ok", "ca", "smtp_tls_CAfile = %s", file);
	if (dir[0] == '\0')
		return;
	snprintf(jail, sizeof(jail), "%s%s%s", pf->smtp_chroot ? q : "",
	    pf->smtp_chroot && dir[0] != '/' ? "/" : "", dir);
	if (stat(jail, &st) == 0 && S_ISDIR(st.st_mode))
		say(r, "ok", "ca", "smtp_tls_CApath = %s", dir);
	else if (pf->smtp_chroot)
		say(r, "warning", "ca-path-jail", "smtp_tls_CApath %s is not "
		    "in the chroot jail (%s); Debian's start scripts copy it "
		    "there, \"postfix start\" alone does not", dir, jail);
	else
		say(r, "problem", "ca-path", "smtp_tls_CApath %s: not a "
		    "directory", dir);
}

/* --- DANE ---------------------------------------------------------------- */

struct cp_probe {
	int		 done;
	enum danechk_probe_result r;
	enum dns_status	 st;
};

static void
cp_on_probe(enum danechk_probe_result r, enum dns_status st, void *arg)
{
	struct cp_probe *p = arg;

	p->done = 1;
	p->r = r;
	p->st = st;
}

/* cp_probe_resolver: does mtastsd's resolver validate?  -1: no probe. */
static int
cp_probe_resolver(const struct conf *conf, struct cp_probe *p, char *err,
    size_t errlen)
{
	struct dns_conf dc = { conf->dns_servers[0] != '\0' ?
	    conf->dns_servers : NULL, (int)conf->dns_timeout,
	    (int)conf->dns_tries, 0 };
	struct event_base *base;
	struct dns *d = NULL;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if ((base = event_base_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((d = dns_new(base, &dc, err, errlen)) == NULL)
		goto done;
	if (danechk_probe(d, conf->dane_probe_name, cp_on_probe, p) == NULL) {
		snprintf(err, errlen, "cannot ask for the DNSKEY of %s",
		    conf->dane_probe_name);
		goto done;
	}
	while (!p->done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	rc = p->done ? 0 : -1;
	if (rc == -1)
		snprintf(err, errlen, "event loop failed");
done:
	dns_free(d);
	event_base_free(base);
	return rc;
}

static void
cp_check_dane(struct cp_report *r, const struct conf *conf,
    const struct cp_postfix *pf)
{
	const char *level = cp_param(pf, "smtp_dns_support_level");
	struct cp_probe p;
	char err[256];

	if (!conf->dane) {
		say(r, "note", "dane", "dane = no: mtastsd gives Postfix "
		    "MTA-STS answers only");
		return;
	}
	if (strcmp(level, "dnssec") == 0)
		say(r, "ok", "dane-dns", "smtp_dns_support_level = dnssec");
	else
		say(r, "warning", "dane-dns", "smtp_dns_support_level is "
		    "\"%s\", not dnssec: Postfix cannot do DANE, but mtastsd "
		    "(dane = yes) answers \"dane\" or \"dane-only\" for "
		    "domains with DANE (set smtp_dns_support_level = dnssec "
		    "with a validating resolver, or dane = no)", level);
	if (cp_probe_resolver(conf, &p, err, sizeof(err)) == -1)
		say(r, "warning", "dane-resolver", "cannot probe mtastsd's "
		    "DNS resolver: %s", err);
	else if (p.r == DANECHK_VALIDATING)
		say(r, "ok", "dane-resolver", "mtastsd's DNS resolver "
		    "validates DNSSEC (DNSKEY of %s authenticated)",
		    conf->dane_probe_name);
	else if (p.r == DANECHK_NOT_VALIDATING)
		say(r, "warning", "dane-resolver", "mtastsd's DNS resolver "
		    "does not validate DNSSEC (DNSKEY of %s not "
		    "authenticated): every domain looks unsigned and DANE "
		    "never applies", conf->dane_probe_name);
	else
		say(r, "warning", "dane-resolver", "cannot tell whether "
		    "mtastsd's DNS resolver validates: the DNSKEY query for "
		    "%s failed (%s)", conf->dane_probe_name,
		    dns_status_str(p.st));
}

/* --- the command --------------------------------------------------------- */

static void
cp_usage(FILE *fp)
{
	fprintf(fp, "usage: mtasts check-postfix [--json] [-c CONFIG_DIR] "
	    "[-f | --config MTASTSD_CONF] [--postconf PATH]\n");
}

/* cp_opts: parse the options; 0, or -1 on a usage error (reported). */
static int
cp_opts(int argc, char **argv, struct cp_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "postconf", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	/* Not every user's PATH has sbin. */
	o->postconf = access("/usr/sbin/postconf", X_OK) == 0 ?
	    "/usr/sbin/postconf" : "postconf";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+c:f:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o->json = 1;
			break;
		case 'p':
			o->postconf = optarg;
			break;
		case 'c':
			o->config_dir = optarg;
			break;
		case 'f':
			o->conf_path = optarg;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/*
 * cp_conf: mtastsd's configuration (for the profiles): -f FILE, else the
 * installed file if there is one, else the defaults.
 */
static struct conf *
cp_conf(const struct cp_opts *o, struct cp_report *r)
{
	const char *path = o->conf_path;
	struct conf *c;
	char err[512];

	if (path == NULL && access(client_default_config(), F_OK) == 0)
		path = client_default_config();
	if ((c = conf_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mtasts: %s\n", err);
		return NULL;
	}
	say(r, "note", "mtastsd-conf", "mtastsd settings from %s",
	    path != NULL ? path : "the defaults");
	return c;
}

/* cp_version: the Postfix version check. */
static void
cp_version(struct cp_report *r, const struct cp_postfix *pf)
{
	const char *v = cp_param(pf, "mail_version");

	if (pf->version == 0)
		say(r, "warning", "version", "cannot read mail_version \"%s\"",
		    v);
	else if (pf->version < REPLY_PF_SOCKETMAP)
		say(r, "problem", "version", "Postfix %s has no socketmap "
		    "client (2.10 or later needed)", v);
	else
		say(r, "ok", "version", "Postfix %s", v);
}

/* cp_finish: the --json object or the human summary; the exit status. */
static int
cp_finish(struct cp_report *r, const struct cp_postfix *pf)
{
	cJSON *o;
	char *s;

	if (!r->json) {
		printf("%d problem%s, %d warning%s\n", r->problems,
		    r->problems == 1 ? "" : "s", r->warnings,
		    r->warnings == 1 ? "" : "s");
		return r->problems ? CMD_EXIT_NO : CMD_EXIT_OK;
	}
	if ((o = cJSON_CreateObject()) == NULL)
		return CMD_EXIT_USAGE;
	cJSON_AddStringToObject(o, "postfix_version",
	    cp_param(pf, "mail_version"));
	cJSON_AddNumberToObject(o, "problems", r->problems);
	cJSON_AddNumberToObject(o, "warnings", r->warnings);
	cJSON_AddItemToObject(o, "checks", r->checks);
	r->checks = NULL;
	if ((s = cJSON_PrintUnformatted(o)) != NULL)
		puts(s);
	cJSON_free(s);
	cJSON_Delete(o);
	return r->problems ? CMD_EXIT_NO : CMD_EXIT_OK;
}

int
cmd_check_postfix(int argc, char **argv)
{
	struct cp_report r = { 0, NULL, 0, 0 };
	struct cp_postfix pf;
	struct cp_opts o;
	struct conf *conf = NULL;
	int rc = CMD_EXIT_USAGE;

	memset(&pf, 0, sizeof(pf));
	if (cp_opts(argc, argv, &o) == -1) {
		cp_usage(stderr);
		return CMD_EXIT_USAGE;
	}
	r.json = o.json;
	if (r.json && (r.checks = cJSON_CreateArray()) == NULL)
		goto done;
	if ((conf = cp_conf(&o, &r)) == NULL || cp_load(&o, &pf) == -1)
		goto done;
	cp_version(&r, &pf);
	cp_check_maps(&r, conf, &pf);
	cp_check_ca(&r, &pf);
	cp_check_dane(&r, conf, &pf);
	rc = cp_finish(&r, &pf);
done:
	cJSON_Delete(r.checks);
	conf_free(conf);
	free(pf.out);
	free(pf.master);
	return rc;
}
