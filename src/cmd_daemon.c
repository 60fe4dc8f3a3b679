/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_daemon.c: the mtasts(1) commands that ask the running daemon over
 * its JSON-lines socket (docs/PROTOCOLS.md): "resolve" without
 * --direct, "cache list|show|purge|flush" and "stats".
 *
 * With --json the daemon's reply objects are printed as they came (one
 * per line); otherwise they are rendered for people.  Exit status as in
 * cmd.h: a daemon that cannot be reached is CMD_EXIT_USAGE, so scripts
 * can tell "no policy" (1) from "could not ask" (2).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "cmd.h"

/* The daemon answers within lookup_timeout (at most 600 s, conf.c). */
#define CD_TIMEOUT_MS (610 * 1000)

struct cd_opts {
	const char	*socket;
	int		 json;
};

/*
 * cd_parse: [--socket PATH] [--json], before or after the verb (getopt
 * permutes); index of the first operand or -1.
 */
static int
cd_parse(int argc, char **argv, struct cd_opts *o)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	o->socket = client_default_socket();
	o->json = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's')
			o->socket = optarg;
		else if (ch == 'j')
			o->json = 1;
		else
			return -1;
	}
	return optind;
}

/* cd_request: a request object as one line; the caller frees it. */
static char *
cd_request(const char *op, const char *domain)
{
	cJSON *req;
	char *s;

	if ((req = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(req, "op", op);
	if (domain != NULL)
		cJSON_AddStringToObject(req, "domain", domain);
	s = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	return s;
}

static const char *
cd_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
cd_num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* cd_human_resolve: one resolve reply for people; returns the exit code. */
static int
cd_human_resolve(const cJSON *r)
{
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(r, "policy");
	const cJSON *mx;
	const char *postfix = cd_str(r, "postfix"), *err = cd_str(r, "error");

	printf("%s: ", cd_str(r, "domain") ? cd_str(r, "domain") : "?");
	if (!cJSON_IsObject(pol)) {
		printf("no policy (%s)%s%s\n", err ? err : "none",
		    cd_str(r, "detail") && *cd_str(r, "detail") ? ": " : "",
		    cd_str(r, "detail") ? cd_str(r, "detail") : "");
		return CMD_EXIT_NO;
	}
	printf("%s policy, %s, id %s, mode %s, max_age %.0f\n",
	    cd_str(r, "source") ? cd_str(r, "source") : "?",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "cached")) ?
	    "from cache" : "freshly discovered",
	    cd_str(pol, "id") ? cd_str(pol, "id") : "?",
	    cd_str(pol, "mode") ? cd_str(pol, "mode") : "?",
	    cd_num(pol, "max_age"));
	if (cd_num(r, "age") >= 0)
		printf("  age %.0f s, expires in %.0f s\n", cd_num(r, "age"),
		    cd_num(r, "expires_in"));
	cJSON_ArrayForEach(mx, cJSON_GetObjectItemCaseSensitive(pol, "mx"))
		if (cJSON_IsString(mx))
			printf("  mx: %s\n", mx->valuestring);
	printf("  postfix: %s\n", postfix ? postfix : "NOTFOUND");
	return CMD_EXIT_OK;
}

/* cd_failed: report a failed request; returns the exit code. */
static int
cd_failed(const cJSON *r, const char *line, int json)
{
	if (json)
		puts(line);
	else
		fprintf(stderr, "mtasts: %s: %s\n",
		    cd_str(r, "error") ? cd_str(r, "error") : "error",
		    cd_str(r, "detail") ? cd_str(r, "detail") : "");
	return cd_str(r, "error") != NULL &&
	    strcmp(cd_str(r, "error"), "domain-invalid") == 0 ?
	    CMD_EXIT_NO : CMD_EXIT_USAGE;
}

/*
 * cd_exchange: send one request and pass each reply line to `show`
 * (which returns an exit code).  A reply is one line, except for
 * cache.list, which streams entries and ends with an object carrying
 * "end" (or with an error).  Returns the worst exit code seen.
 */
static int
cd_exchange(struct client *c, const char *op, const char *domain,
    const struct cd_opts *o, int (*show)(const cJSON *, const char *, int))
{
	char err[256], *req;
	const char *line;
	cJSON *r;
	int rc = CMD_EXIT_OK, one, stream = strcmp(op, "cache.list") == 0;

	if ((req = cd_request(op, domain)) == NULL ||
	    client_send(c, req, err, sizeof(err)) == -1) {
		fprintf(stderr, "mtasts: %s\n", req ? err : "out of memory");
		free(req);
		return CMD_EXIT_USAGE;
	}
	free(req);
	for (;;) {
		if ((line = client_recv(c, err, sizeof(err))) == NULL) {
			fprintf(stderr, "mtasts: %s\n", err);
			return CMD_EXIT_USAGE;
		}
		if ((r = cJSON_Parse(line)) == NULL) {
			fprintf(stderr, "mtasts: bad reply from mtastsd\n");
			return CMD_EXIT_USAGE;
		}
		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "ok")))
			one = cd_failed(r, line, o->json);
		else
			one = show(r, line, o->json);
		rc = one > rc ? one : rc;
		one = !stream || cJSON_GetObjectItemCaseSensitive(r, "end") ||
		    cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "ok"));
		cJSON_Delete(r);
		if (one)
			return rc;
	}
}

static int
cd_show_resolve(const cJSON *r, const char *line, int json)
{
	if (!json)
		return cd_human_resolve(r);
	puts(line);
	return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "policy")) ?
	    CMD_EXIT_OK : CMD_EXIT_NO;
}

/* cd_show_raw: print the reply; human form is the JSON, pretty. */
static int
cd_show_raw(const cJSON *r, const char *line, int json)
{
	char *s;

	if (json || (s = cJSON_Print(r)) == NULL) {
		puts(line);
		return CMD_EXIT_OK;
	}
	puts(s);
	cJSON_free(s);
	return CMD_EXIT_OK;
}

/* cd_show_list: one cache entry per line for people. */
static int
cd_show_list(const cJSON *r, const char *line, int json)
{
	if (json)
		puts(line);
	else if (cJSON_GetObjectItemCaseSensitive(r, "end") != NULL)
		printf("%.0f entries\n", cd_num(r, "count"));
	else
		printf("%-40s %s %s\n", cd_str(r, "domain") ?
		    cd_str(r, "domain") : "?", cd_str(r, "kind") ?
		    cd_str(r, "kind") : "?", cd_str(r, "mode") ?
		    cd_str(r, "mode") : (cd_str(r, "code") ?
		    cd_str(r, "code") : ""));
	return CMD_EXIT_OK;
}

/* cd_run: connect, then one exchange per domain (or one without). */
static int
cd_run(const struct cd_opts *o, const char *op, char **domains, int n,
    int (*show)(const cJSON *, const char *, int))
{
	struct client *c;
	char err[256];
	int i, rc = CMD_EXIT_OK, one;

	if ((c = client_open(o->socket, CD_TIMEOUT_MS, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "mtasts: %s\n", err);
		return CMD_EXIT_USAGE;
	}
	if (n == 0)
		rc = cd_exchange(c, op, NULL, o, show);
	for (i = 0; i < n; i++) {
		one = cd_exchange(c, op, domains[i], o, show);
		rc = one > rc ? one : rc;
	}
	client_close(c);
	return rc;
}

int
cmd_resolve_daemon(int argc, char **argv, const char *socket, int json)
{
	struct cd_opts o;

	o.socket = socket != NULL ? socket : client_default_socket();
	o.json = json;
	return cd_run(&o, "resolve", argv, argc, cd_show_resolve);
}

int
cmd_cache(int argc, char **argv)
{
	static const struct {
		const char	*verb, *op;
		int		 domain;
		int		(*show)(const cJSON *, const char *, int);
	} verbs[] = {
		{ "list", "cache.list", 0, cd_show_list },
		{ "show", "cache.show", 1, cd_show_raw },
		{ "purge", "cache.purge", 1, cd_show_raw },
		{ "flush", "cache.flush", 0, cd_show_raw },
	};
	struct cd_opts o;
	size_t i;
	int first;

	if ((first = cd_parse(argc, argv, &o)) < 0 || first >= argc)
		goto usage;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[first], verbs[i].verb) != 0)
			continue;
		if (argc - first - 1 != verbs[i].domain)
			goto usage;
		return cd_run(&o, verbs[i].op, argv + first + 1,
		    verbs[i].domain, verbs[i].show);
	}
usage:
	fprintf(stderr, "usage: mtasts cache [--socket PATH] [--json] "
	    "list | show DOMAIN | purge DOMAIN | flush\n");
	return CMD_EXIT_USAGE;
}

int
cmd_stats(int argc, char **argv)
{
	struct cd_opts o;
	int first;

	if ((first = cd_parse(argc, argv, &o)) < 0 || first != argc) {
		fprintf(stderr, "usage: mtasts stats [--socket PATH] "
		    "[--json]\n");
		return CMD_EXIT_USAGE;
	}
	return cd_run(&o, "stats", NULL, 0, cd_show_raw);
}
