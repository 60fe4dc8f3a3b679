/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_resolve.c: "mtasts resolve [--direct] [--json] [options] DOMAIN...".
 *
 * With --direct, every DOMAIN is normalised (resolver/domkey.c) and
 * discovered in this process, all of them at once on one libevent loop
 * (resolver/resolve.c), with the options below standing in for the
 * daemon's configuration.  Results are printed in argument order as
 * soon as they and all earlier ones are known: one JSON object per line
 * with --json (the discovery contract), otherwise a walk through the
 * steps with timings, ending with the Postfix answer.
 *
 * Without --direct the daemon is asked (cmd_daemon.c), at the socket
 * --socket, --config, $MTASTS_SOCKET or the installed mtastsd.conf
 * names (client_socket()).
 *
 * Exit status: 0 when every domain got a valid MTA-STS policy (any
 * mode), 1 when any did not, 2 on a usage or local error.
 */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "jsonout.h"
#include "domkey.h"
#include "reply.h"
#include "resolve.h"
#include "stspol.h"
#include "stsrec.h"

#define CR_SERVERS_MAX		1024	/* joined --dns-server list */
#define CR_TIMEOUT_DEFAULT	15.0	/* seconds, the contract's */
#define CR_TIMEOUT_MAX		3600.0
#define CR_FETCHES_DEFAULT	50
#define CR_FETCHES_MAX		10000
#define CR_DNS_TIMEOUT_MS	3000	/* first try; c-ares doubles it */
#define CR_DNS_TRIES		2
#define CR_CONNECT_TIMEOUT_MS	10000
#define CR_FETCH_TIMEOUT_MS	60000	/* RFC 8461 §3.3: one minute */
#define CR_POSTFIX_MAX		REPLY_VALUE_MAX	/* every pattern */

struct cr_opts {
	int		 direct;
	int		 direct_only;	/* an option that needs --direct */
	const char	*socket;
	const char	*config;
	int		 json;
	char		 servers[CR_SERVERS_MAX];
	const char	*ca_file;
	double		 timeout;
	int		 max_fetches;
};

/* One DOMAIN argument and, once known, its printed answer. */
struct cr_item {
	struct cr_run	*run;
	const char	*arg;
	char		 domain[DOMKEY_MAX + 1];
	struct resolve_req *req;
	char		*out;		/* text to print, NULL until done */
	int		 done;
};

struct cr_run {
	struct event_base *base;
	struct cr_opts	*opts;
	struct cr_item	*items;
	size_t		 n, next_print, pending;
	int		 rc;
};

static void
cr_usage(FILE *fp)
{
	fprintf(fp, "usage: mtasts resolve [--socket PATH | --config FILE] "
	    "[--json] DOMAIN...\n"
	    "       mtasts resolve --direct [--json] "
	    "[--dns-server ADDR[:PORT]]... [--ca-file FILE]\n"
	    "           [--timeout SECONDS] [--max-fetches N] DOMAIN...\n");
}

/* ---- options ---- */

static int
cr_add_servers(struct cr_opts *o, const char *arg)
{
	size_t have = strlen(o->servers), add = strlen(arg);

	if (add == 0 || have + add + 2 > sizeof(o->servers)) {
		fprintf(stderr, "mtasts: bad --dns-server \"%s\"\n", arg);
		return -1;
	}
	if (have > 0)
		o->servers[have++] = ',';
	memcpy(o->servers + have, arg, add + 1);
	return 0;
}

static int
cr_number(const char *arg, const char *name, double min, double max,
    double *out)
{
	char *end;
	double v;

	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "mtasts: %s must be between %g and %g\n",
		    name, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
cr_option(struct cr_opts *o, int ch)
{
	double v;

	switch (ch) {
	case 'd':
		o->direct = 1;
		return 0;
	case 'j':
		o->json = 1;
		return 0;
	case 'S':
		o->socket = optarg;
		return 0;
	case 'C':
		o->config = optarg;
		return 0;
	case 's':
		o->direct_only = 1;
		return cr_add_servers(o, optarg);
	case 'c':
		o->direct_only = 1;
		o->ca_file = optarg;
		return 0;
	case 't':
		o->direct_only = 1;
		return cr_number(optarg, "--timeout", 0.001, CR_TIMEOUT_MAX,
		    &o->timeout);
	case 'm':
		o->direct_only = 1;
		if (cr_number(optarg, "--max-fetches", 1, CR_FETCHES_MAX,
		    &v) == -1 || v != (int)v)
			return -1;
		o->max_fetches = (int)v;
		return 0;
	default:
		return -1;
	}
}

/* Index of the first DOMAIN; -1 after a usage error, -2 after --help. */
static int
cr_parse(int argc, char **argv, struct cr_opts *o)
{
	static const struct option opts[] = {
		{ "direct", no_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "dns-server", required_argument, NULL, 's' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-fetches", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->timeout = CR_TIMEOUT_DEFAULT;
	o->max_fetches = CR_FETCHES_DEFAULT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h') {
			cr_usage(stdout);
			return -2;
		}
		if (cr_option(o, ch) == -1) {
			cr_usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		cr_usage(stderr);
		return -1;
	}
	return optind;
}

/* ---- output ---- */

/*
 * JSON must be valid UTF-8; an argument that is not (it was rejected
 * as a domain anyway) is echoed with its non-ASCII bytes as "?".
 */
static void
cr_ascii_copy(const char *in, char *out, size_t outsize)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;

	for (; *s != '\0' && i + 1 < outsize; s++)
		out[i++] = *s < 0x80 ? (char)*s : '?';
	out[i] = '\0';
}

static int
cr_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	for (; *p != '\0'; p++) {
		if (*p < 0x80)
			continue;
		n = *p >= 0xf0 && *p <= 0xf4 ? 3 : *p >= 0xe0 ? 2 :
		    *p >= 0xc2 && *p < 0xe0 ? 1 : -1;
		if (n < 0 || *p > 0xf4)
			return 0;
		while (n-- > 0)
			if ((*++p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/*
 * cr_postfix: the value a Postfix lookup would get for `p`, as the
 * daemon answers with default settings: enforce only.
 */
static int
cr_postfix(const struct stspol *p, char *out, size_t outsize)
{
	static const char *mx[STSPOL_MX_MAX];	/* 100 KB: not on the stack */
	size_t i;

	if (p->mode != STSPOL_MODE_ENFORCE)
		return -1;
	for (i = 0; i < p->nmx; i++)
		mx[i] = stspol_mx(p, i);
	return reply_postfix(mx, p->nmx, out, outsize);
}

static cJSON *
cr_json_policy(const struct resolve_result *r)
{
	const struct stspol *p = r->policy;
	cJSON *obj, *mx;
	size_t i;

	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(obj, "id", r->rec != NULL ? r->rec->id : "");
	cJSON_AddStringToObject(obj, "mode", stspol_mode_str(p->mode));
	cJSON_AddNumberToObject(obj, "max_age", p->max_age);
	if ((mx = cJSON_AddArrayToObject(obj, "mx")) != NULL)
		for (i = 0; i < p->nmx; i++)
			cJSON_AddItemToArray(mx,
			    cJSON_CreateString(stspol_mx(p, i)));
	return obj;
}

/* One contract line; NULL on out of memory. */
static char *
cr_json_line(const char *domain, const struct resolve_result *r,
    enum resolve_err err, const char *detail)
{
	static char postfix[CR_POSTFIX_MAX];
	cJSON *obj;
	char *s;
	int ok = r != NULL && r->policy != NULL;

	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(obj, "domain", domain);
	cJSON_AddStringToObject(obj, "source", ok ? "mta-sts" : "none");
	if (ok)
		cJSON_AddItemToObject(obj, "policy", cr_json_policy(r));
	else
		cJSON_AddNullToObject(obj, "policy");
	jsonout_add_str(obj, "error", err == RESOLVE_OK ? NULL : resolve_code(err));
	jsonout_add_str(obj, "detail", detail);
	jsonout_add_str(obj, "postfix", ok && cr_postfix(r->policy, postfix,
	    sizeof(postfix)) >= 0 ? postfix : NULL);
	s = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return s;
}

/* A growing text buffer for the human format. */
struct cr_buf {
	char	*s;
	size_t	 len, cap;
	int	 failed;
};

static void __attribute__((format(printf, 2, 3)))
cr_printf(struct cr_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *ns;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || b->failed)
		return;
	need = b->len + (size_t)n + 1;
	if (need > b->cap) {
		if ((ns = realloc(b->s, need * 2)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = ns;
		b->cap = need * 2;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
cr_human_steps(struct cr_buf *b, const struct resolve_result *r)
{
	static const char *const label[RESOLVE_STEP_COUNT] = {
		"TXT _mta-sts", "A/AAAA mta-sts", "HTTPS GET", "policy"
	};
	const struct resolve_step_info *si;
	int i;

	for (i = 0; i < RESOLVE_STEP_COUNT; i++) {
		si = &r->step[i];
		if (!si->ran)
			continue;
		cr_printf(b, "  %-15s %-18s %6ld ms  %s\n", label[i],
		    si->err == RESOLVE_OK && si->done ? "ok" :
		    resolve_code(si->err), si->ms, si->detail);
	}
}

static void
cr_human_policy(struct cr_buf *b, const struct resolve_result *r)
{
	static char postfix[CR_POSTFIX_MAX];
	const struct stspol *p = r->policy;
	unsigned bit;
	size_t i;

	cr_printf(b, "  policy id %s: mode %s, max_age %lu\n",
	    r->rec != NULL ? r->rec->id : "?", stspol_mode_str(p->mode),
	    (unsigned long)p->max_age);
	for (i = 0; i < p->nmx; i++)
		cr_printf(b, "    mx: %s\n", stspol_mx(p, i));
	for (bit = 1; bit != 0 && bit <= STSPOL_WARN_ALL; bit <<= 1)
		if (p->warnings & bit)
			cr_printf(b, "    warning: %s\n",
			    stspol_warning_str(bit));
	if (cr_postfix(p, postfix, sizeof(postfix)) >= 0)
		cr_printf(b, "  postfix: %s\n", postfix);
	else
		cr_printf(b, "  postfix: no answer (mode %s: NOTFOUND)\n",
		    stspol_mode_str(p->mode));
}

static char *
cr_human(const char *domain, const struct resolve_result *r,
    enum resolve_err err, const char *detail)
{
	struct cr_buf b = { NULL, 0, 0, 0 };

	cr_printf(&b, "%s\n", domain);
	if (r != NULL)
		cr_human_steps(&b, r);
	if (r != NULL && r->policy != NULL) {
		cr_human_policy(&b, r);
		cr_printf(&b, "  result: MTA-STS policy (%ld ms)\n",
		    r->total_ms);
	} else {
		cr_printf(&b, "  result: %s: %s", resolve_code(err), detail);
		if (r != NULL)
			cr_printf(&b, " (%ld ms)", r->total_ms);
		cr_printf(&b, "\n  postfix: no answer (NOTFOUND)\n");
	}
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* Print every finished answer whose predecessors are all printed. */
static void
cr_flush(struct cr_run *run)
{
	struct cr_item *it;

	while (run->next_print < run->n &&
	    run->items[run->next_print].done) {
		it = &run->items[run->next_print++];
		if (!run->opts->json && run->next_print > 1)
			fputc('\n', stdout);	/* blank line between domains */
		if (it->out != NULL)
			fputs(it->out, stdout);
		if (run->opts->json && it->out != NULL)
			fputc('\n', stdout);
		free(it->out);
		it->out = NULL;
	}
	fflush(stdout);
}

static void
cr_finish(struct cr_item *it, const struct resolve_result *r,
    enum resolve_err err, const char *detail)
{
	struct cr_run *run = it->run;
	const char *name = it->domain[0] != '\0' ? it->domain : it->arg;
	char safe[DOMKEY_INPUT_MAX + 1];

	if (!cr_utf8_ok(name)) {
		cr_ascii_copy(name, safe, sizeof(safe));
		name = safe;
	}
	it->out = run->opts->json ? cr_json_line(name, r, err, detail) :
	    cr_human(name, r, err, detail);
	if (it->out == NULL) {
		fprintf(stderr, "mtasts: out of memory\n");
		run->rc = CMD_EXIT_USAGE;
	}
	it->done = 1;
	if (err != RESOLVE_OK && run->rc == CMD_EXIT_OK)
		run->rc = CMD_EXIT_NO;
	cr_flush(run);
}

/* ---- running ---- */

static void
cr_on_result(const struct resolve_result *r, void *arg)
{
	struct cr_item *it = arg;
	struct cr_run *run = it->run;

	it->req = NULL;
	cr_finish(it, r, r->err, r->detail);
	if (--run->pending == 0)
		event_base_loopbreak(run->base);
}

/* Normalise and start one argument; answers bad ones at once. */
static void
cr_start(struct cr_run *run, struct resolve *rs, struct cr_item *it)
{
	const char *why = NULL;
	enum domkey_kind k;

	k = domkey_normalize(it->arg, strlen(it->arg), it->domain, &why);
	if (k == DOMKEY_ERROR) {
		fprintf(stderr, "mtasts: %s\n", why ? why : "out of memory");
		run->rc = CMD_EXIT_USAGE;
	}
	if (k != DOMKEY_DOMAIN) {
		it->domain[0] = '\0';
		cr_finish(it, NULL, RESOLVE_DOMAIN_INVALID,
		    why != NULL ? why : "not a mail domain");
		return;
	}
	if ((it->req = resolve_start(rs, it->domain, cr_on_result, it)) ==
	    NULL) {
		fprintf(stderr, "mtasts: %s: cannot start the lookup\n",
		    it->domain);
		run->rc = CMD_EXIT_USAGE;
		cr_finish(it, NULL, RESOLVE_DNS_SERVFAIL,
		    "local failure: cannot start the lookup");
		return;
	}
	run->pending++;
}

static void
cr_conf(const struct cr_opts *o, struct resolve_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->dns_servers = o->servers[0] != '\0' ? o->servers : NULL;
	c->dns_timeout_ms = CR_DNS_TIMEOUT_MS;
	c->dns_tries = CR_DNS_TRIES;
	c->connect_timeout_ms = CR_CONNECT_TIMEOUT_MS;
	c->fetch_timeout_ms = CR_FETCH_TIMEOUT_MS;
	c->lookup_timeout_ms = (int)(o->timeout * 1000 + 0.5);
	if (c->lookup_timeout_ms < 1)
		c->lookup_timeout_ms = 1;
	c->max_fetches = o->max_fetches;
	c->ca_file = o->ca_file;
}

static int
cr_run_all(struct cr_run *run)
{
	struct resolve_conf conf;
	struct resolve *rs;
	char err[256];
	size_t i;

	cr_conf(run->opts, &conf);
	if ((run->base = event_base_new()) == NULL ||
	    (rs = resolve_new(run->base, &conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mtasts: %s\n",
		    run->base == NULL ? "cannot create the event loop" : err);
		if (run->base != NULL)
			event_base_free(run->base);
		return CMD_EXIT_USAGE;
	}
	run->rc = CMD_EXIT_OK;
	for (i = 0; i < run->n; i++)
		cr_start(run, rs, &run->items[i]);
	if (run->pending > 0 && event_base_dispatch(run->base) == -1) {
		fprintf(stderr, "mtasts: event loop failed\n");
		run->rc = CMD_EXIT_USAGE;
	}
	for (i = 0; i < run->n; i++)	/* only after a loop failure */
		resolve_cancel(run->items[i].req);
	resolve_free(rs);
	event_base_free(run->base);
	return run->rc;
}

int
cmd_resolve(int argc, char **argv)
{
	struct cmd_daemon_opts dopts;
	struct cr_opts opts;
	struct cr_run run;
	int first, rc;
	size_t i;

	if ((first = cr_parse(argc, argv, &opts)) < 0)
		return first == -2 ? CMD_EXIT_OK : CMD_EXIT_USAGE;
	if (!opts.direct && opts.direct_only) {
		fprintf(stderr, "mtasts: --dns-server, --ca-file, --timeout "
		    "and --max-fetches need --direct\n");
		return CMD_EXIT_USAGE;
	}
	if (opts.direct && (opts.socket != NULL || opts.config != NULL)) {
		fprintf(stderr, "mtasts: --socket and --config ask the daemon, "
		    "--direct does not\n");
		return CMD_EXIT_USAGE;
	}
	if (!opts.direct) {
		memset(&dopts, 0, sizeof(dopts));
		dopts.socket = opts.socket;
		dopts.config = opts.config;
		dopts.json = opts.json;
		return cmd_resolve_daemon(argc - first, argv + first, &dopts);
	}
	memset(&run, 0, sizeof(run));
	run.opts = &opts;
	run.n = (size_t)(argc - first);
	if ((run.items = calloc(run.n, sizeof(*run.items))) == NULL) {
		fprintf(stderr, "mtasts: out of memory\n");
		return CMD_EXIT_USAGE;
	}
	for (i = 0; i < run.n; i++) {
		run.items[i].run = &run;
		run.items[i].arg = argv[first + (int)i];
	}
	rc = cr_run_all(&run);
	for (i = 0; i < run.n; i++)
		free(run.items[i].out);
	free(run.items);
	return rc;
}
