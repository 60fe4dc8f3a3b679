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
 * steps with timings, ending with the Postfix answer.  Beside each
 * discovery, in parallel and within the same --timeout, runs the
 * domain's DANE check (resolver/danechk.h): its verdict, why, and each
 * MX host's TLSA status are shown, and the Postfix answer is the one
 * the daemon gives with dane = yes (DANE first).
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
#include "cmdopt.h"
#include "textbuf.h"
#include "jsonout.h"
#include "danechk.h"
#include "dns.h"
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
	/* The DANE check beside the discovery. */
	struct danechk	*dck;
	struct event	*dtimer;	/* its --timeout */
	int		 dane_done;
	int		 dane_ok;	/* dres holds a verdict */
	const char	*dane_fail;	/* else why not */
	struct danechk_result dres;
	cJSON		*json;		/* --json: built, waiting for DANE */
	int		 sts_done;	/* the discovery ended */
	enum resolve_err err;
};

struct cr_run {
	struct event_base *base;
	struct dns	*dns;		/* DANE checks */
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
		return cmdopt_add_server(o->servers, sizeof(o->servers),
		    optarg);
	case 'c':
		o->direct_only = 1;
		o->ca_file = optarg;
		return 0;
	case 't':
		o->direct_only = 1;
		return cmdopt_number(optarg, "--timeout", 0.001, CR_TIMEOUT_MAX,
		    &o->timeout);
	case 'm':
		o->direct_only = 1;
		if (cmdopt_number(optarg, "--max-fetches", 1, CR_FETCHES_MAX,
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

/* One contract object, without its DANE part; NULL on out of memory. */
static cJSON *
cr_json_obj(const char *domain, const struct resolve_result *r,
    enum resolve_err err, const char *detail)
{
	static char postfix[CR_POSTFIX_MAX];
	cJSON *obj;
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
	return obj;
}

/* The Postfix value DANE puts first, or NULL (none; TEMP: *temp). */
static const char *
cr_dane_postfix(const struct cr_item *it, int *temp)
{
	*temp = 0;
	if (!it->dane_ok)
		return NULL;
	switch (it->dres.verdict) {
	case DANE_ONLY:
		return "dane-only";
	case DANE_YES:
		return "dane";
	case DANE_TEMP:
		*temp = 1;
		return NULL;
	default:
		return NULL;
	}
}

/* Add the DANE part to `obj` and print it; NULL on out of memory. */
static char *
cr_json_line(cJSON *obj, const struct cr_item *it)
{
	const struct danechk_result *d = &it->dres;
	const char *pf;
	cJSON *o, *hosts, *h;
	char *s;
	size_t i;
	int temp;

	if ((o = cJSON_AddObjectToObject(obj, "dane")) != NULL) {
		jsonout_add_str(o, "verdict", it->dane_ok ?
		    dane_verdict_str(d->verdict) : NULL);
		cJSON_AddStringToObject(o, "why", it->dane_ok ? d->why :
		    it->dane_fail);
		jsonout_add_str(o, "mx", it->dane_ok ? dane_dns_str(d->mx) :
		    NULL);
		if ((hosts = cJSON_AddArrayToObject(o, "hosts")) != NULL)
			for (i = 0; it->dane_ok && i < d->nhosts; i++) {
				if ((h = cJSON_CreateObject()) == NULL)
					break;
				cJSON_AddStringToObject(h, "name",
				    d->host[i].name);
				cJSON_AddStringToObject(h, "tlsa",
				    dane_tlsa_str(d->host[i].tlsa));
				cJSON_AddStringToObject(h, "status",
				    dns_status_str(d->host[i].status));
				cJSON_AddItemToArray(hosts, h);
			}
	}
	/* "postfix": what the daemon answers with dane = yes. */
	if ((pf = cr_dane_postfix(it, &temp)) != NULL || temp)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, "postfix",
		    pf != NULL ? cJSON_CreateString(pf) : cJSON_CreateNull());
	s = cJSON_PrintUnformatted(obj);
	return s;
}

static void
cr_human_steps(struct textbuf *b, const struct resolve_result *r)
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
		textbuf_printf(b, "  %-15s %-18s %6ld ms  %s\n", label[i],
		    si->err == RESOLVE_OK && si->done ? "ok" :
		    resolve_code(si->err), si->ms, si->detail);
	}
}

static void
cr_human_policy(struct textbuf *b, const struct resolve_result *r)
{
	static char postfix[CR_POSTFIX_MAX];
	const struct stspol *p = r->policy;
	unsigned bit;
	size_t i;

	textbuf_printf(b, "  policy id %s: mode %s, max_age %lu\n",
	    r->rec != NULL ? r->rec->id : "?", stspol_mode_str(p->mode),
	    (unsigned long)p->max_age);
	for (i = 0; i < p->nmx; i++)
		textbuf_printf(b, "    mx: %s\n", stspol_mx(p, i));
	for (bit = 1; bit != 0 && bit <= STSPOL_WARN_ALL; bit <<= 1)
		if (p->warnings & bit)
			textbuf_printf(b, "    warning: %s\n",
			    stspol_warning_str(bit));
	if (cr_postfix(p, postfix, sizeof(postfix)) >= 0)
		textbuf_printf(b, "  postfix: %s\n", postfix);
	else
		textbuf_printf(b, "  postfix: no answer (mode %s: NOTFOUND)\n",
		    stspol_mode_str(p->mode));
}

static char *
cr_human(const char *domain, const struct resolve_result *r,
    enum resolve_err err, const char *detail)
{
	struct textbuf b = { NULL, 0, 0, 0 };

	textbuf_printf(&b, "%s\n", domain);
	if (r != NULL)
		cr_human_steps(&b, r);
	if (r != NULL && r->policy != NULL) {
		cr_human_policy(&b, r);
		textbuf_printf(&b, "  result: MTA-STS policy (%ld ms)\n",
		    r->total_ms);
	} else {
		textbuf_printf(&b, "  result: %s: %s", resolve_code(err), detail);
		if (r != NULL)
			textbuf_printf(&b, " (%ld ms)", r->total_ms);
		textbuf_printf(&b, "\n  postfix: no answer (NOTFOUND)\n");
	}
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* Append the DANE lines to a human answer; NULL on out of memory. */
static char *
cr_human_dane(char *text, const struct cr_item *it)
{
	const struct danechk_result *d = &it->dres;
	struct textbuf b = { text, strlen(text), strlen(text) + 1, 0 };
	const char *pf;
	size_t i;
	int temp;

	if (!it->dane_ok)
		textbuf_printf(&b, "  DANE: not known (%s)\n", it->dane_fail);
	else {
		textbuf_printf(&b, "  DANE: %s, MX RRset %s: %s\n",
		    dane_verdict_str(d->verdict), dane_dns_str(d->mx), d->why);
		for (i = 0; i < d->nhosts; i++)
			textbuf_printf(&b, "    TLSA _25._tcp.%s: %s (%s)\n",
			    d->host[i].name, dane_tlsa_str(d->host[i].tlsa),
			    dns_status_str(d->host[i].status));
	}
	pf = cr_dane_postfix(it, &temp);
	if (pf != NULL || temp)
		textbuf_printf(&b, "  postfix with dane = yes: %s (DANE first)\n",
		    pf != NULL ? pf : "TEMP dnssec-lookup-failed");
	else
		textbuf_printf(&b, "  postfix with dane = yes: the same (no DANE)\n");
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

/* Both the discovery and the DANE check are over: print. */
static void
cr_complete(struct cr_item *it)
{
	struct cr_run *run = it->run;
	char *text = it->out;

	if (run->opts->json) {
		it->out = it->json != NULL ? cr_json_line(it->json, it) : NULL;
		cJSON_Delete(it->json);
		it->json = NULL;
	} else
		it->out = text != NULL ? cr_human_dane(text, it) : NULL;
	if (it->out == NULL) {
		fprintf(stderr, "mtasts: out of memory\n");
		run->rc = CMD_EXIT_USAGE;
	}
	it->done = 1;
	if (it->err != RESOLVE_OK && run->rc == CMD_EXIT_OK)
		run->rc = CMD_EXIT_NO;
	cr_flush(run);
}

/* The discovery ended (r borrowed): build its part of the output. */
static void
cr_finish(struct cr_item *it, const struct resolve_result *r,
    enum resolve_err err, const char *detail)
{
	const char *name = it->domain[0] != '\0' ? it->domain : it->arg;
	char safe[DOMKEY_INPUT_MAX + 1];

	if (!cr_utf8_ok(name)) {
		cr_ascii_copy(name, safe, sizeof(safe));
		name = safe;
	}
	if (it->run->opts->json)
		it->json = cr_json_obj(name, r, err, detail);
	else
		it->out = cr_human(name, r, err, detail);
	it->err = err;
	it->sts_done = 1;
	if (it->dane_done)
		cr_complete(it);
}

/* The DANE check ended, failed or ran out of time. */
static void
cr_dane_end(struct cr_item *it, const struct danechk_result *d,
    const char *fail)
{
	struct cr_run *run = it->run;

	if (it->dtimer != NULL) {
		event_free(it->dtimer);
		it->dtimer = NULL;
	}
	it->dck = NULL;
	it->dane_done = 1;
	if (d != NULL) {
		it->dres = *d;
		it->dres.domain = NULL;		/* borrowed; not kept */
		it->dane_ok = 1;
	} else
		it->dane_fail = fail;
	if (it->sts_done)
		cr_complete(it);
	if (--run->pending == 0)
		event_base_loopbreak(run->base);
}

static void
cr_on_dane(const struct danechk_result *d, void *arg)
{
	cr_dane_end(arg, d, NULL);
}

static void
cr_on_dane_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct cr_item *it = arg;

	(void)fd;
	(void)what;
	danechk_cancel(it->dck);
	cr_dane_end(it, NULL, "no answer within --timeout");
}

/* Start the domain's DANE check with the --timeout deadline. */
static void
cr_start_dane(struct cr_run *run, struct cr_item *it)
{
	struct timeval tv;
	int ms = (int)(run->opts->timeout * 1000 + 0.5);

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if ((it->dtimer = evtimer_new(run->base, cr_on_dane_timeout, it)) ==
	    NULL || evtimer_add(it->dtimer, &tv) == -1 ||
	    (it->dck = danechk_start(run->dns, it->domain, cr_on_dane,
	    it)) == NULL) {
		if (it->dtimer != NULL)
			event_free(it->dtimer);
		it->dtimer = NULL;
		it->dane_done = 1;
		it->dane_fail = "local failure: cannot start the DANE check";
		return;
	}
	run->pending++;
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
		it->dane_done = 1;
		it->dane_fail = "not a mail domain";
		cr_finish(it, NULL, RESOLVE_DOMAIN_INVALID,
		    why != NULL ? why : "not a mail domain");
		return;
	}
	cr_start_dane(run, it);
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
	struct dns_conf dconf;
	struct resolve *rs;
	char err[256];
	size_t i;

	cr_conf(run->opts, &conf);
	dconf.servers = conf.dns_servers;
	dconf.timeout_ms = conf.dns_timeout_ms;
	dconf.tries = conf.dns_tries;
	dconf.max_queries = 0;
	if ((run->base = event_base_new()) == NULL ||
	    (rs = resolve_new(run->base, &conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mtasts: %s\n",
		    run->base == NULL ? "cannot create the event loop" : err);
		if (run->base != NULL)
			event_base_free(run->base);
		return CMD_EXIT_USAGE;
	}
	if ((run->dns = dns_new(run->base, &dconf, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "mtasts: %s\n", err);
		resolve_free(rs);
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
	for (i = 0; i < run->n; i++) {	/* only after a loop failure */
		resolve_cancel(run->items[i].req);
		danechk_cancel(run->items[i].dck);
		if (run->items[i].dtimer != NULL)
			event_free(run->items[i].dtimer);
		cJSON_Delete(run->items[i].json);
	}
	resolve_free(rs);
	dns_free(run->dns);
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
