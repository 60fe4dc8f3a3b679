/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * table_mtasts.c: table-mtasts, the OpenSMTPD table back end of
 * mtastsd (docs/opensmtpd.md, docs/DESIGN.md §OpenSMTPD).
 *
 * smtpd's lookup process runs it as <libexec>/opensmtpd/table-mtasts
 * with argv[0] = the table's name and argv[1] = the path after the ":"
 * in "table sts mtasts:/etc/mtastsd/table-mtasts.conf", and talks to it
 * over a socketpair on stdin (and stdout, for >= 7.6) in one of two
 * protocols, recognised from the first byte (tableproc.h).  Services:
 *   check domain      found when mtastsd says the domain's policy is
 *                     enforced (its socketmap verdict is OK), so
 *                     "match ... for domain <sts> action ..." with
 *                     "relay tls" forces verified TLS;
 *   lookup relayhost  "smtp+tls://<MX>:25" for an MX host that matches
 *                     the policy's mx patterns, rotating between
 *                     attempts (relayhost.h);
 *   anything else     not found.
 *
 * smtpd's table lookups are synchronous and a table that exits or
 * breaks the protocol makes smtpd exit.  So: one request at a time,
 * every wait bounded (the daemon by `timeout`, DNS by `dns_timeout`),
 * and nothing smtpd or the daemon sends ends this process; it exits
 * only when smtpd closes its end (or sends CLOSE).  A configuration
 * file that cannot be used does not end it either: every lookup is
 * then answered with a temporary failure and the reason logged.
 *
 * Why MX hosts are resolved here and not by the daemon: smtpd resolves
 * the relay host we return through its own resolver (the system's),
 * so the MX set should come from that same view of DNS; it keeps the
 * daemon's protocol free of a one-client operation; and the cost (a
 * blocking query) is paid only at delivery time, bounded by
 * dns_timeout, inside a process that answers one request at a time
 * anyway.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "domkey.h"
#include "log.h"
#include "monoclock.h"
#include "mxres.h"
#include "record.h"
#include "relayhost.h"
#include "tableproc.h"
#include "tmconf.h"

#define TM_IN_MAX	(TABLEPROC_IMSG_LEN_MAX + 1)
#define TM_OUT_MAX	4096
/* Every pattern a cached policy can have (store/record.h): a pattern
 * left out could only make a matching MX host look unusable. */
#define TM_PATTERNS_MAX	RECORD_MX_MAX
#define TM_NAMES_MAX	RECORD_MX_BYTES_MAX
#define TM_SERVICES	(TABLEPROC_K_DOMAIN | TABLEPROC_K_RELAYHOST)

/* What the daemon said about a domain. */
enum tm_verdict {
	TM_POLICY = 0,		/* enforced policy: patterns below */
	TM_NONE,		/* no policy to enforce */
	TM_PENDING,		/* unknown yet: discovery under way */
	TM_TEMP,		/* the daemon says: try again later */
	TM_UNREACHABLE		/* no usable answer: down, slow, garbled */
};

struct tm_answer {
	enum tm_verdict	 v;
	size_t		 npat;
	const char	*pat[TM_PATTERNS_MAX];	/* into names[] */
	size_t		 used;			/* bytes of names[] */
	char		 names[TM_NAMES_MAX];	/* NUL-terminated */
	char		 why[300];
};

struct tm_reply {
	enum tableproc_result r;
	char		 value[RELAYHOST_URL_MAX];
	const char	*msg;		/* text protocol error message */
};

struct tmt {
	const char	*name;		/* table name (argv[0]) */
	const char	*conf_path;	/* NULL: defaults only */
	struct tmconf	 conf;
	int		 conf_ok;	/* 0: answer every lookup "error" */
	char		 conf_err[300];
	enum tableproc_proto proto;
	char		 tablename[256]; /* text: config|tablename */
	int		 out_fd;
	unsigned char	 in[TM_IN_MAX];
	size_t		 inlen;
	int		 skipping;	/* discarding an over-long line */
	struct relayhost_turns turns;
	struct tm_answer ans;
	struct relayhost_mx mx[RELAYHOST_MX_MAX];
};

static struct tmt tmt;

/* --- configuration -------------------------------------------------------- */

/* read_file: at most TMCONF_FILE_MAX bytes of path into buf. */
static ssize_t
read_file(const char *path, char *buf, size_t size, char *err,
    size_t errlen)
{
	ssize_t n, len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((size_t)len < size &&
	    (n = read(fd, buf + len, size - (size_t)len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		len += n;
	}
	close(fd);
	if ((size_t)len >= size) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path,
		    size - 1);
		return -1;
	}
	return len;
}

/* load_conf: (re)read the file; on failure keep what we had. */
static int
load_conf(struct tmt *t)
{
	static char text[TMCONF_FILE_MAX + 1];
	char why[200];
	struct tmconf c;
	ssize_t len;

	if (t->conf_path == NULL) {
		tmconf_defaults(&c);
	} else if ((len = read_file(t->conf_path, text, sizeof(text), why,
	    sizeof(why))) == -1 ||
	    tmconf_parse(text, (size_t)len, &c, why, sizeof(why)) == -1) {
		snprintf(t->conf_err, sizeof(t->conf_err), "%s%s%s",
		    len == -1 ? "" : t->conf_path, len == -1 ? "" : ": ", why);
		return -1;
	}
	if (c.socket[0] == '\0')
		snprintf(c.socket, sizeof(c.socket), "%s",
		    client_default_socket());
	t->conf = c;
	t->conf_ok = 1;
	return 0;
}

/* --- asking the daemon ---------------------------------------------------- */

/*
 * policy_patterns: the "mx" strings of reply.policy; -1 when they do
 * not fit, which the daemon never sends (the same record.h limits):
 * the caller then fails closed rather than use part of the list.
 */
static int
policy_patterns(const cJSON *reply, struct tm_answer *a)
{
	const cJSON *pol, *mx, *p;
	size_t len;

	pol = cJSON_GetObjectItemCaseSensitive(reply, "policy");
	mx = cJSON_GetObjectItemCaseSensitive(pol, "mx");
	cJSON_ArrayForEach(p, mx) {
		if (!cJSON_IsString(p) ||
		    (len = strlen(p->valuestring)) > DOMKEY_MAX)
			continue;
		if (a->npat == TM_PATTERNS_MAX ||
		    len + 1 > sizeof(a->names) - a->used)
			return -1;
		a->pat[a->npat++] = memcpy(a->names + a->used,
		    p->valuestring, len + 1);
		a->used += len + 1;
	}
	return 0;
}

/* parse_answer: the daemon's resolve reply (docs/PROTOCOLS.md). */
static void
parse_answer(const cJSON *r, struct tm_answer *a)
{
	const char *err = client_str(r, "error"), *verdict, *mode;

	a->v = TM_UNREACHABLE;
	snprintf(a->why, sizeof(a->why), "malformed answer from mtastsd");
	if (client_refused(r)) {
		a->v = err != NULL && strcmp(err, "domain-invalid") == 0 ?
		    TM_NONE : TM_TEMP;
		snprintf(a->why, sizeof(a->why), "mtastsd: %s",
		    err != NULL ? err : "error");
		return;
	}
	/* OpenSMTPD has no DANE: the verdict of the MTA-STS part (an
	 * older mtastsd has only "verdict", which is that). */
	if (!client_true(r, "ok") ||
	    ((verdict = client_str(r, "mtasts_verdict")) == NULL &&
	    (verdict = client_str(r, "verdict")) == NULL))
		return;
	snprintf(a->why, sizeof(a->why), "%s", err != NULL ? err : "");
	mode = client_str(cJSON_GetObjectItemCaseSensitive(r, "policy"),
	    "mode");
	/* OK: enforce, or testing with enforce_testing.  An enforced
	 * policy Postfix cannot be given (verdict TEMP) still applies. */
	if (strcmp(verdict, "OK") == 0 ||
	    (mode != NULL && strcmp(mode, "enforce") == 0)) {
		a->v = TM_POLICY;
		if (policy_patterns(r, a) == -1) {
			a->v = TM_TEMP;
			snprintf(a->why, sizeof(a->why), "more mx patterns "
			    "than a policy can have");
		}
	} else if (strcmp(verdict, "TEMP") == 0)
		a->v = TM_TEMP;
	else if (strcmp(verdict, "NOTFOUND") == 0)
		a->v = err != NULL && (strcmp(err, "deadline") == 0 ||
		    strcmp(err, "overload") == 0) ? TM_PENDING : TM_NONE;
	else
		snprintf(a->why, sizeof(a->why), "unknown verdict from "
		    "mtastsd");
}

/* time_left: ms until deadline, at least 1 while any is left. */
static int
time_left(long long deadline)
{
	long long left = deadline - monoclock_ms();

	return left > 0 ? (int)left : 0;
}

/*
 * request: {"op":"resolve","domain":D,"wait":false|ms,
 * "client":"table-mtasts"} (the daemon counts it under that protocol),
 * or NULL.
 */
static cJSON *
request(const struct tmt *t, const char *domain)
{
	cJSON *req;

	if ((req = client_request("resolve", "domain", domain)) == NULL)
		return NULL;
	if ((t->conf.wait_ms > 0 ? cJSON_AddNumberToObject(req, "wait",
	    t->conf.wait_ms) : cJSON_AddFalseToObject(req, "wait")) == NULL ||
	    cJSON_AddStringToObject(req, "client", "table-mtasts") == NULL) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

/* ask: one resolve request, within conf.timeout in total. */
static void
ask(struct tmt *t, const char *domain, struct tm_answer *a)
{
	long long deadline = monoclock_ms() + t->conf.timeout_ms;
	struct client *c = NULL;
	cJSON *req, *r = NULL;
	char err[256];

	/* Not memset: names[] is 64 KiB, and npat and used bound it. */
	a->npat = a->used = 0;
	a->why[0] = '\0';
	a->v = TM_UNREACHABLE;
	snprintf(err, sizeof(err), "out of memory");
	if ((req = request(t, domain)) != NULL &&
	    (c = client_open(t->conf.socket, t->conf.timeout_ms, err,
	    sizeof(err))) != NULL && time_left(deadline) > 0) {
		/* One bound for the whole exchange, send and answer. */
		client_set_deadline(c, deadline);
		r = client_call(c, req, NULL, err, sizeof(err));
	}
	if (r != NULL)
		parse_answer(r, a);
	else {
		if (c != NULL && time_left(deadline) == 0)
			snprintf(err, sizeof(err), "mtastsd did not answer "
			    "within %d ms", t->conf.timeout_ms);
		snprintf(a->why, sizeof(a->why), "%s", err);
	}
	cJSON_Delete(r);
	cJSON_Delete(req);
	client_close(c);
}

/* --- services ------------------------------------------------------------- */

/* unusable: the answer for a daemon that could not be asked. */
static enum tableproc_result
unusable(struct tmt *t, const char *domain, const struct tm_answer *a)
{
	static struct log_rl rl;

	if (log_rl_allow(&rl))
		log_warnx("table %s: %s: %s; answering %s (on_unreachable)",
		    t->name, domain, a->why,
		    tmconf_answer_str(t->conf.on_unreachable));
	return t->conf.on_unreachable == TMCONF_ERROR ? TABLEPROC_ERROR :
	    TABLEPROC_NOTFOUND;
}

static void
check_domain(struct tmt *t, const char *domain, struct tm_reply *out)
{
	struct tm_answer *a = &t->ans;

	ask(t, domain, a);
	switch (a->v) {
	case TM_POLICY:
		out->r = TABLEPROC_FOUND;
		break;
	case TM_NONE:
		out->r = TABLEPROC_NOTFOUND;
		break;
	case TM_PENDING:
		out->r = t->conf.on_pending == TMCONF_ERROR ?
		    TABLEPROC_ERROR : TABLEPROC_NOTFOUND;
		out->msg = "MTA-STS discovery under way";
		break;
	case TM_TEMP:
		out->r = TABLEPROC_ERROR;
		out->msg = "mtastsd: temporary failure";
		log_warnx("table %s: check %s: %s", t->name, domain, a->why);
		break;
	default:
		out->r = unusable(t, domain, a);
		out->msg = "mtastsd unreachable";
		break;
	}
	log_debug("table %s: check domain %s -> %s%s%s", t->name, domain,
	    out->r == TABLEPROC_FOUND ? "found" : out->r == TABLEPROC_ERROR ?
	    "error" : "not-found", a->why[0] != '\0' ? " " : "", a->why);
}

/* candidates: the domain's MX hosts into t->mx; -1 on failure. */
static int
candidates(struct tmt *t, const char *domain, size_t *n)
{
	char err[128];

	switch (mxres_query(domain, t->conf.dns_timeout_ms, t->mx,
	    RELAYHOST_MX_MAX, n, err, sizeof(err))) {
	case MXRES_OK:
		return 0;
	case MXRES_NODATA:
		/* RFC 5321 §5.1: no MX, the domain is its own host. */
		t->mx[0].pref = 0;
		snprintf(t->mx[0].host, sizeof(t->mx[0].host), "%s", domain);
		*n = 1;
		return 0;
	default:
		log_warnx("table %s: relayhost %s: %s", t->name, domain, err);
		return -1;
	}
}

/* relay_filter: 1 enforce patterns, 0 any MX, -1 answer error. */
static int
relay_filter(struct tmt *t, const char *domain, const struct tm_answer *a)
{
	switch (a->v) {
	case TM_POLICY:
		return 1;
	case TM_NONE:
		return 0;
	case TM_PENDING:
		return t->conf.on_pending == TMCONF_ERROR ? -1 : 0;
	case TM_TEMP:
		log_warnx("table %s: relayhost %s: %s", t->name, domain,
		    a->why);
		return -1;
	default:
		return unusable(t, domain, a) == TABLEPROC_ERROR ? -1 : 0;
	}
}

static void
find_relayhost(struct tmt *t, const char *domain, struct tm_reply *out)
{
	struct tm_answer *a = &t->ans;
	size_t n, nmatch;
	unsigned turn;
	int filter, k;

	out->r = TABLEPROC_ERROR;
	ask(t, domain, a);
	if ((filter = relay_filter(t, domain, a)) == -1) {
		out->msg = "no MTA-STS answer from mtastsd";
		return;
	}
	if (candidates(t, domain, &n) == -1) {
		out->msg = "MX lookup failed";
		return;
	}
	turn = relayhost_turn(&t->turns, domain);
	if ((k = relayhost_pick(t->mx, n, a->pat, a->npat, filter, turn,
	    &nmatch)) == -1) {
		out->msg = n == 0 ? "no usable MX host" :
		    "no MX host matches the MTA-STS policy";
		log_warnx("table %s: relayhost %s: %s (%zu MX hosts)",
		    t->name, domain, out->msg, n);
		return;
	}
	if (relayhost_url(t->mx[k].host, out->value, sizeof(out->value)) ==
	    -1)
		return;
	out->r = TABLEPROC_FOUND;
	log_info("table %s: relayhost %s -> %s (%zu of %zu MX hosts%s)",
	    t->name, domain, out->value, nmatch, n,
	    filter ? " match the policy" : ", no policy enforced");
}

/* --- requests ------------------------------------------------------------- */

/* keyed: a check or lookup; the key is normalised first. */
static void
keyed(struct tmt *t, const struct tableproc_req *req, struct tm_reply *out)
{
	char dom[DOMKEY_MAX + 1], e[LOG_ESCAPE_MAX];
	int check = req->op == TABLEPROC_OP_CHECK;
	static struct log_rl rl;

	out->r = TABLEPROC_NOTFOUND;
	if (req->service != (check ? TABLEPROC_K_DOMAIN :
	    TABLEPROC_K_RELAYHOST))
		return;
	if (!t->conf_ok) {
		if (log_rl_allow(&rl))
			log_warnx("table %s: unusable configuration (%s): "
			    "answering error", t->name, t->conf_err);
		out->r = TABLEPROC_ERROR;
		out->msg = "table-mtasts configuration error";
		return;
	}
	switch (domkey_normalize(req->key, req->keylen, dom, NULL)) {
	case DOMKEY_DOMAIN:
		break;
	case DOMKEY_ERROR:
		out->r = TABLEPROC_ERROR;
		return;
	default:
		log_debug("table %s: %s %s: not a mail domain", t->name,
		    check ? "check" : "lookup",
		    log_escape(req->key, req->keylen, e, sizeof(e)));
		return;
	}
	if (check)
		check_domain(t, dom, out);
	else
		find_relayhost(t, dom, out);
}

static void
config_line(struct tmt *t, const struct tableproc_req *req)
{
	char k[64], v[LOG_ESCAPE_MAX];

	log_escape(req->cfkey, req->cfkeylen, k, sizeof(k));
	log_escape(req->cfval, req->cfvallen, v, sizeof(v));
	if (strcmp(k, "tablename") == 0 &&
	    req->cfvallen < sizeof(t->tablename)) {
		memcpy(t->tablename, req->cfval, req->cfvallen);
		t->tablename[req->cfvallen] = '\0';
	}
	if (strcmp(k, "protocol") == 0 && strcmp(v, "0.1") != 0)
		log_warnx("table %s: smtpd speaks table protocol %s; this "
		    "table knows 0.1", t->name, v);
	log_info("table %s: smtpd %s %s", t->name, k, v);
}

/* handle: everything but writing the reply. */
static void
handle(struct tmt *t, const struct tableproc_req *req, struct tm_reply *out)
{
	static struct log_rl rl;

	switch (req->op) {
	case TABLEPROC_OP_OPEN:
		log_info("table %s: smtpd opened the table (imsg protocol, API "
		    "version %u)%s", t->name, req->version,
		    req->version != TABLEPROC_API_VERSION ?
		    ": this table knows version 2" : "");
		break;
	case TABLEPROC_OP_CONFIG:
		config_line(t, req);
		break;
	case TABLEPROC_OP_UPDATE:
		out->r = load_conf(t) == 0 ? TABLEPROC_FOUND : TABLEPROC_ERROR;
		if (out->r == TABLEPROC_FOUND) {
			log_set_level((enum log_level)t->conf.log_level);
			log_info("table %s: configuration reloaded", t->name);
		} else
			log_warnx("table %s: reload failed, configuration "
			    "kept: %s", t->name, t->conf_err);
		out->msg = out->r == TABLEPROC_ERROR ? t->conf_err : NULL;
		break;
	case TABLEPROC_OP_CHECK:
	case TABLEPROC_OP_LOOKUP:
		keyed(t, req, out);
		break;
	case TABLEPROC_OP_BAD:
		if (log_rl_allow(&rl))
			log_warnx("table %s: malformed request from smtpd "
			    "(%s): %s%s", t->name,
			    tableproc_op_name(req->bad_op), req->why,
			    req->answerable ? "; answered error" :
			    "; cannot be answered");
		break;
	case TABLEPROC_OP_NONE:
		if (req->why != NULL)
			log_debug("table %s: ignored: %s", t->name, req->why);
		break;
	default:
		break;
	}
}

/* --- I/O ------------------------------------------------------------------ */

/* wait_fd: for a descriptor someone made non-blocking. */
static void
wait_fd(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	(void)poll(&pfd, 1, -1);
}

/* write_all: a reply to smtpd; smtpd gone means we are done. */
static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				wait_fd(fd, POLLOUT);
				continue;
			}
			log_warn("table %s: write to smtpd", tmt.name);
			exit(0);
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
reply(struct tmt *t, const struct tableproc_req *req, struct tm_reply *out)
{
	static char buf[TM_OUT_MAX];
	ssize_t n;

	if (t->proto == TABLEPROC_PROTO_IMSG) {
		n = tableproc_imsg_reply(req, out->r, out->value,
		    (uint32_t)getpid(), buf, sizeof(buf));
		if (n == -1)	/* cannot happen; never send a bad reply */
			n = tableproc_imsg_reply(req, TABLEPROC_ERROR, NULL,
			    (uint32_t)getpid(), buf, sizeof(buf));
	} else if (req->op == TABLEPROC_OP_READY)
		n = tableproc_text_register(TM_SERVICES, buf, sizeof(buf));
	else {
		n = tableproc_text_reply(req, out->r, out->value, out->msg,
		    buf, sizeof(buf));
		if (n == -1)
			n = tableproc_text_reply(req, TABLEPROC_ERROR, NULL,
			    NULL, buf, sizeof(buf));
	}
	if (n > 0)
		write_all(t->out_fd, buf, (size_t)n);
}

/* next: decode one message from t->in; bytes used, 0, or -1. */
static ssize_t
next(struct tmt *t, struct tableproc_req *req)
{
	const char *nl;

	if (t->proto == TABLEPROC_PROTO_IMSG)
		return tableproc_imsg_next(t->in, t->inlen, req);
	if (t->skipping) {
		/* The rest of an over-long line, already answered. */
		memset(req, 0, sizeof(*req));
		nl = memchr(t->in, '\n', t->inlen);
		t->skipping = nl == NULL;
		return nl != NULL ? (ssize_t)(nl - (char *)t->in) + 1 :
		    (ssize_t)t->inlen;
	}
	return tableproc_text_next((const char *)t->in, t->inlen,
	    t->tablename[0] != '\0' ? t->tablename : NULL, req);
}

static void
process(struct tmt *t)
{
	struct tableproc_req req;
	struct tm_reply out;
	ssize_t used;

	if (t->proto == TABLEPROC_PROTO_UNKNOWN) {
		t->proto = tableproc_detect(t->in, t->inlen);
		/* imsg: stdout is smtpd's own; reply on the socketpair. */
		t->out_fd = t->proto == TABLEPROC_PROTO_IMSG ? 0 : 1;
	}
	while (t->inlen > 0 && (used = next(t, &req)) != 0) {
		if (used == -1) {
			log_warnx("table %s: imsg frame shorter than its "
			    "header: %zu bytes dropped", t->name, t->inlen);
			t->inlen = 0;
			break;
		}
		if (req.skip_line)
			t->skipping = 1;
		memset(&out, 0, sizeof(out));
		handle(t, &req, &out);
		reply(t, &req, &out);
		if (req.op == TABLEPROC_OP_CLOSE)
			exit(0);
		memmove(t->in, t->in + used, t->inlen - (size_t)used);
		t->inlen -= (size_t)used;
	}
}

static void
serve(struct tmt *t)
{
	ssize_t n;

	for (;;) {
		if (t->inlen == sizeof(t->in)) {
			/* Cannot happen: the codecs consume any full buffer.
			 * Never read 0 bytes and take it for EOF. */
			log_warnx("table %s: input buffer full, dropped",
			    t->name);
			t->inlen = 0;
		}
		n = read(0, t->in + t->inlen, sizeof(t->in) - t->inlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			wait_fd(0, POLLIN);
			continue;
		}
		if (n == -1)
			log_warn("table %s: read from smtpd", t->name);
		if (n <= 0)
			return;
		t->inlen += (size_t)n;
		process(t);
	}
}

/*
 * asked: "table-mtasts --version" or "--help" by hand.  smtpd always
 * passes a table name and a path, never these.
 */
static int
asked(int argc, char *argv[])
{
	if (argc != 2)
		return 0;
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("table-mtasts (mtastsd) %s\n", PACKAGE_VERSION);
		return 1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: table-mtasts NAME [CONFIG_FILE]  (run by smtpd "
		    "for \"table NAME mtasts:CONFIG_FILE\")\n"
		    "       table-mtasts --version | --help\n"
		    "See table-mtasts(8).\n");
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	char err[128];

	if (asked(argc, argv))
		return 0;
	signal(SIGPIPE, SIG_IGN);
	tmt.name = argc > 0 && argv[0] != NULL ? argv[0] : "table-mtasts";
	tmt.conf_path = argc > 1 ? argv[1] : NULL;
	tmconf_defaults(&tmt.conf);
	snprintf(tmt.conf.socket, sizeof(tmt.conf.socket), "%s",
	    client_default_socket());
	if (load_conf(&tmt) == -1)
		tmt.conf_ok = 0;
	log_init("table-mtasts", tmt.conf.log_stderr, LOG_MAIL,
	    (enum log_level)tmt.conf.log_level);
	if (!tmt.conf_ok)
		log_warnx("table %s: unusable configuration, every lookup "
		    "will be answered error: %s", tmt.name, tmt.conf_err);
	if (mxres_init(err, sizeof(err)) == -1)
		log_warnx("table %s: %s", tmt.name, err);
	log_info("table %s: started (mtastsd socket %s)", tmt.name,
	    tmt.conf.socket);
	serve(&tmt);
	log_info("table %s: smtpd closed the table, exiting", tmt.name);
	return 0;
}
