/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_domcheck.c: "mtasts check [--json] [options] DOMAIN...", the
 * whole inbound mail security of the domains, for those who publish
 * it: the _mta-sts record, the policy as senders fetch it, the MX hosts
 * against the policy, each MX address over SMTP and TLS, and TLSRPT.
 *
 * Every domain is checked at once on one loop (src/checkrun.c gathers,
 * src/checkfind.c judges); results are printed in argument order as
 * soon as they and all earlier ones are known.  Not "check-postfix"
 * (cmd_postfix.c): mtasts.c matches command words whole.
 *
 * Exit status: 1 when any finding is an error, else 2 when anything
 * could not be checked (or on a usage or local error), else 0:
 * warnings alone exit 0.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "checkfind.h"
#include "checkrun.h"
#include "cmd.h"
#include "cmdopt.h"
#include "textbuf.h"
#include "domkey.h"
#include "humanfmt.h"
#include "jsonout.h"
#include "stspol.h"
#include "tlslist.h"

#ifndef MTASTSD_DATADIR
#define MTASTSD_DATADIR		"/usr/local/share/mtastsd"
#endif
#define DC_LIST_FILE		MTASTSD_DATADIR "/policy.json"

#define DC_SERVERS_MAX		1024
#define DC_TIMEOUT_DEFAULT	10.0	/* seconds per network step */
#define DC_TIMEOUT_MAX		300.0

struct dc_opts {
	int		 json;
	char		 servers[DC_SERVERS_MAX];
	const char	*ca_file;
	unsigned	 port;
	double		 timeout;
	const char	*helo;
	const char	*list_file;
};

struct dc_item {
	struct dc_run	*run;
	const char	*arg;
	char		 domain[DOMKEY_MAX + 1];
	char		*out;
	int		 done;
};

struct dc_run {
	struct event_base *base;
	struct dc_opts	*opts;
	struct dc_item	*items;
	struct checkfind_list *findings;	/* scratch, one at a time */
	size_t		 n, next_print, pending;
	int		 problem, unchecked, local;
};

static void
dc_usage(FILE *fp)
{
	fprintf(fp, "usage: mtasts check [--json] [--dns-server ADDR[:PORT]]... "
	    "[--ca-file FILE]\n"
	    "           [--port N] [--timeout SECONDS] [--helo NAME] "
	    "[--list-file FILE]\n"
	    "           DOMAIN...\n");
}

/* ---- options ---- */

static int
dc_option(struct dc_opts *o, int ch)
{
	double v;

	switch (ch) {
	case 'j':
		o->json = 1;
		return 0;
	case 's':
		return cmdopt_add_server(o->servers, sizeof(o->servers),
		    optarg);
	case 'c':
		o->ca_file = optarg;
		return 0;
	case 'p':
		if (cmdopt_number(optarg, "--port", 1, 65535, &v) == -1 ||
		    v != (unsigned)v)
			return -1;
		o->port = (unsigned)v;
		return 0;
	case 't':
		return cmdopt_number(optarg, "--timeout", 0.001, DC_TIMEOUT_MAX,
		    &o->timeout);
	case 'H':
		o->helo = optarg;
		return 0;
	case 'L':
		o->list_file = optarg;
		return 0;
	default:
		return -1;
	}
}

/* Index of the first DOMAIN; -1 after a usage error, -2 after --help. */
static int
dc_parse(int argc, char **argv, struct dc_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "dns-server", required_argument, NULL, 's' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "helo", required_argument, NULL, 'H' },
		{ "list-file", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->timeout = DC_TIMEOUT_DEFAULT;
	o->port = 25;
	o->list_file = DC_LIST_FILE;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h') {
			dc_usage(stdout);
			return -2;
		}
		if (dc_option(o, ch) == -1) {
			dc_usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		dc_usage(stderr);
		return -1;
	}
	return optind;
}

/* ---- output ---- */

/* Text from the network, made ASCII (JSON must be UTF-8; a terminal
 * must not get control characters). */
static const char *
dc_ascii(const char *in, char *out, size_t size)
{
	size_t i;

	humanfmt_printable(in, out, size);
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] >= 0x80)
			out[i] = '?';
	return out;
}

static char *
dc_human(const char *domain, const struct checkfind_list *l)
{
	struct textbuf b = { NULL, 0, 0, 0 };
	char text[CHECKFIND_TEXT_MAX], subj[CHECKFIND_SUBJECT_MAX];
	size_t i, count[4] = { 0, 0, 0, 0 };

	for (i = 0; i < l->n; i++)
		count[l->f[i].level]++;
	textbuf_printf(&b, "%s: %zu error%s, %zu warning%s, %zu unknown, %zu ok\n",
	    domain, count[CHECKFIND_ERROR], count[CHECKFIND_ERROR] == 1 ?
	    "" : "s", count[CHECKFIND_WARNING], count[CHECKFIND_WARNING] ==
	    1 ? "" : "s", count[CHECKFIND_UNKNOWN], count[CHECKFIND_OK]);
	for (i = 0; i < l->n; i++) {
		dc_ascii(l->f[i].subject, subj, sizeof(subj));
		textbuf_printf(&b, "  %-7s %-23s %s%s%s\n",
		    checkfind_level_str(l->f[i].level), l->f[i].name, subj,
		    subj[0] != '\0' ? ": " : "",
		    dc_ascii(l->f[i].text, text, sizeof(text)));
	}
	if (l->dropped > 0)
		textbuf_printf(&b, "  (%zu more findings not shown)\n", l->dropped);
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static const char *
dc_worst(const struct checkfind_list *l)
{
	static const char *const names[] = { "ok", "warning", "error",
	    "unknown" };
	int worst = 0;
	size_t i;

	/* error > unknown > warning > ok, as the exit status reads them */
	for (i = 0; i < l->n; i++) {
		if (l->f[i].level == CHECKFIND_ERROR)
			return names[CHECKFIND_ERROR];
		if (l->f[i].level == CHECKFIND_UNKNOWN)
			worst = CHECKFIND_UNKNOWN;
		else if (l->f[i].level == CHECKFIND_WARNING && worst == 0)
			worst = CHECKFIND_WARNING;
	}
	return names[worst];
}

static cJSON *
dc_json_finding(const struct checkfind *f)
{
	char text[CHECKFIND_TEXT_MAX], subj[CHECKFIND_SUBJECT_MAX];
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddStringToObject(o, "level", checkfind_level_str(f->level));
	if (f->subject[0] != '\0')
		cJSON_AddStringToObject(o, "subject",
		    dc_ascii(f->subject, subj, sizeof(subj)));
	else
		cJSON_AddNullToObject(o, "subject");
	cJSON_AddStringToObject(o, "text", dc_ascii(f->text, text,
	    sizeof(text)));
	return o;
}

static cJSON *
dc_json_addr(const struct checkfind_addr *a)
{
	const struct smtpprobe_result *r = &a->probe;
	char ip[INET6_ADDRSTRLEN], det[SMTPPROBE_DETAIL_MAX];
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "address", dns_addr_str(&a->addr, ip,
	    sizeof(ip)));
	cJSON_AddStringToObject(o, "smtp", a->probed ?
	    smtpprobe_status_str(r->status) : "not-probed");
	cJSON_AddStringToObject(o, "step", smtpprobe_step_str(r->step));
	cJSON_AddStringToObject(o, "detail", dc_ascii(r->detail, det,
	    sizeof(det)));
	cJSON_AddBoolToObject(o, "starttls", r->starttls);
	jsonout_add_str(o, "protocol", r->tls ? r->protocol : NULL);
	jsonout_add_str(o, "cipher", r->tls ? r->cipher : NULL);
	cJSON_AddBoolToObject(o, "certificate_valid", r->tls && r->verified);
	if (r->tls && r->have_expiry)
		cJSON_AddNumberToObject(o, "not_after", (double)r->not_after);
	else
		cJSON_AddNullToObject(o, "not_after");
	cJSON_AddNumberToObject(o, "ms", (double)r->ms);
	return o;
}

static cJSON *
dc_json_hosts(const struct checkfind_facts *x)
{
	const struct checkfind_host *h;
	cJSON *arr, *o, *addrs;
	size_t i, j;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < x->nhosts; i++) {
		h = &x->hosts[i];
		if ((o = cJSON_CreateObject()) == NULL)
			continue;
		cJSON_AddStringToObject(o, "host", h->name);
		cJSON_AddNumberToObject(o, "preference", h->pref);
		cJSON_AddBoolToObject(o, "implicit", h->implicit);
		addrs = cJSON_AddArrayToObject(o, "addresses");
		for (j = 0; addrs != NULL && j < h->naddr; j++)
			cJSON_AddItemToArray(addrs, dc_json_addr(&h->addr[j]));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *
dc_json_policy(const struct checkfind_facts *x)
{
	cJSON *o, *mx;
	size_t i;

	if (x->policy == NULL)
		return cJSON_CreateNull();
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	jsonout_add_str(o, "id", x->sts_id);
	cJSON_AddStringToObject(o, "mode", stspol_mode_str(x->policy->mode));
	cJSON_AddNumberToObject(o, "max_age", x->policy->max_age);
	if ((mx = cJSON_AddArrayToObject(o, "mx")) != NULL)
		for (i = 0; i < x->policy->nmx; i++)
			cJSON_AddItemToArray(mx,
			    cJSON_CreateString(stspol_mx(x->policy, i)));
	return o;
}

static char *
dc_json(const struct checkfind_facts *x, const struct checkfind_list *l)
{
	cJSON *obj, *arr;
	char *s;
	size_t i;

	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(obj, "domain", x->domain);
	cJSON_AddStringToObject(obj, "result", dc_worst(l));
	cJSON_AddNumberToObject(obj, "exit", checkfind_status(l));
	cJSON_AddItemToObject(obj, "policy", dc_json_policy(x));
	cJSON_AddItemToObject(obj, "hosts", dc_json_hosts(x));
	if ((arr = cJSON_AddArrayToObject(obj, "findings")) != NULL)
		for (i = 0; i < l->n; i++)
			cJSON_AddItemToArray(arr, dc_json_finding(&l->f[i]));
	cJSON_AddNumberToObject(obj, "findings_dropped", (double)l->dropped);
	s = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return s;
}

/* Print every finished domain whose predecessors are all printed. */
static void
dc_flush(struct dc_run *run)
{
	struct dc_item *it;

	while (run->next_print < run->n && run->items[run->next_print].done) {
		it = &run->items[run->next_print++];
		if (!run->opts->json && run->next_print > 1)
			fputc('\n', stdout);
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
dc_on_facts(const struct checkfind_facts *x, void *arg)
{
	struct dc_item *it = arg;
	struct dc_run *run = it->run;
	struct checkfind_list *l = run->findings;

	checkfind_run(x, l);
	switch (checkfind_status(l)) {
	case 1:
		run->problem = 1;
		break;
	case 2:
		run->unchecked = 1;
		break;
	}
	it->out = run->opts->json ? dc_json(x, l) : dc_human(x->domain, l);
	if (it->out == NULL) {
		fprintf(stderr, "mtasts: out of memory\n");
		run->local = 1;
	}
	it->done = 1;
	dc_flush(run);
	if (--run->pending == 0)
		event_base_loopbreak(run->base);
}

/* ---- running ---- */

/*
 * The STARTTLS list file, parsed but not verified: the check reports
 * what the entry says; "mtasts list verify" checks the signature.
 * NULL with the reason in err.
 */
static struct tlslist *
dc_load_list(const char *path, char *err, size_t errlen)
{
	struct tlslist *list = NULL;
	char *buf = NULL;
	size_t len;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(TLSLIST_MAX_SIZE + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	len = fread(buf, 1, TLSLIST_MAX_SIZE + 1, fp);
	if (ferror(fp))
		snprintf(err, errlen, "%s: read error", path);
	else if (len > TLSLIST_MAX_SIZE)
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    TLSLIST_MAX_SIZE);
	else
		list = tlslist_parse(buf, len, err, errlen);
done:
	free(buf);
	fclose(fp);
	return list;
}

static void
dc_start(struct dc_run *run, struct checkrun *c, struct dc_item *it)
{
	const char *why = NULL;

	if (domkey_normalize(it->arg, strlen(it->arg), it->domain, &why) !=
	    DOMKEY_DOMAIN) {
		fprintf(stderr, "mtasts: %s: %s\n", it->arg,
		    why != NULL ? why : "not a mail domain");
		run->local = 1;
		it->done = 1;
		dc_flush(run);
		return;
	}
	if (checkrun_start(c, it->domain, dc_on_facts, it) == NULL) {
		fprintf(stderr, "mtasts: %s: cannot start the check\n",
		    it->domain);
		run->local = 1;
		it->done = 1;
		dc_flush(run);
		return;
	}
	run->pending++;
}

static int
dc_run_all(struct dc_run *run)
{
	struct checkrun_conf conf;
	struct checkrun *c = NULL;
	struct tlslist *list;
	char err[256], list_err[256];
	size_t i;
	int rc;

	memset(&conf, 0, sizeof(conf));
	conf.dns_servers = run->opts->servers[0] ? run->opts->servers : NULL;
	conf.ca_file = run->opts->ca_file;
	conf.smtp_port = run->opts->port;
	conf.timeout_ms = (int)(run->opts->timeout * 1000 + 0.5);
	conf.helo_name = run->opts->helo;
	list = dc_load_list(run->opts->list_file, list_err, sizeof(list_err));
	conf.list = list;
	conf.list_error = list_err;
	if ((run->base = event_base_new()) == NULL ||
	    (c = checkrun_new(run->base, &conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mtasts: %s\n", run->base == NULL ?
		    "cannot create the event loop" : err);
		if (run->base != NULL)
			event_base_free(run->base);
		tlslist_free(list);
		return CMD_EXIT_USAGE;
	}
	for (i = 0; i < run->n; i++)
		dc_start(run, c, &run->items[i]);
	if (run->pending > 0 && event_base_dispatch(run->base) == -1) {
		fprintf(stderr, "mtasts: event loop failed\n");
		run->local = 1;
	}
	checkrun_free(c);
	event_base_free(run->base);
	tlslist_free(list);
	if (run->problem)
		rc = CMD_EXIT_NO;
	else
		rc = run->unchecked || run->local ? CMD_EXIT_USAGE : CMD_EXIT_OK;
	return rc;
}

int
cmd_check(int argc, char **argv)
{
	struct dc_opts opts;
	struct dc_run run;
	int first, rc;
	size_t i;

	if ((first = dc_parse(argc, argv, &opts)) < 0)
		return first == -2 ? CMD_EXIT_OK : CMD_EXIT_USAGE;
	memset(&run, 0, sizeof(run));
	run.opts = &opts;
	run.n = (size_t)(argc - first);
	run.items = calloc(run.n, sizeof(*run.items));
	run.findings = malloc(sizeof(*run.findings));
	if (run.items == NULL || run.findings == NULL) {
		fprintf(stderr, "mtasts: out of memory\n");
		free(run.items);
		free(run.findings);
		return CMD_EXIT_USAGE;
	}
	for (i = 0; i < run.n; i++) {
		run.items[i].run = &run;
		run.items[i].arg = argv[first + (int)i];
	}
	rc = dc_run_all(&run);
	for (i = 0; i < run.n; i++)
		free(run.items[i].out);
	free(run.items);
	free(run.findings);
	return rc;
}
