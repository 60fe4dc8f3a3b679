/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_list_daemon.c: the "mtasts list" verbs that ask the running
 * daemon about the STARTTLS Policy List it uses (docs/PROTOCOLS.md
 * list.status, list.update, list.show), with the options of every
 * daemon command ([--socket PATH | --config FILE] [--json], cmd.h):
 *
 *   status          the installed list, whether it is in force, the
 *                   schedule and the last update attempt.  Exit 0 when
 *                   a list is in force, 1 when not (disabled, none,
 *                   expired).
 *   update [--url URL]
 *                   fetch, verify and install now (the configured URL,
 *                   or URL); waits for the outcome.  Exit 0 installed
 *                   or unchanged, 1 rejected (bad signature, other key,
 *                   rollback, invalid list), 2 no verdict (fetch or
 *                   gpgv failure, busy, disabled).
 *   show --daemon DOMAIN
 *                   the daemon's entry for DOMAIN.  Exit 0 when listed.
 *
 * A daemon that cannot be asked is exit 2.  The offline verbs and the
 * dispatch are in cmd_list.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "cmd.h"
#include "humanfmt.h"

/* An update waits for HTTPS (fetch_timeout, at most 300 s), DNS and
 * gpgv (30 s); the daemon bounds each phase. */
#define LD_TIMEOUT_MS	(15 * 60 * 1000)

/* ld_failed: a refused request ("ok": false) for people. */
static void
ld_failed(const cJSON *r)
{
	char a[512], b[512];
	const char *err = client_str(r, "error");
	const char *detail = client_str(r, "detail");

	fprintf(stderr, "mtasts: %s: %s\n", humanfmt_printable(err ? err :
	    "error", a, sizeof(a)), humanfmt_printable(detail ? detail : "",
	    b, sizeof(b)));
}

static void
ld_status_human(const cJSON *r)
{
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(r, "last_attempt");
	char span[HUMANFMT_SPAN_STRLEN];

	if (!client_true(r, "enabled"))
		printf("list:         disabled (starttls_list = no)\n");
	else if (!client_true(r, "installed"))
		printf("list:         none installed\n");
	else if (client_true(r, "expired"))
		printf("list:         EXPIRED since %s: never applied\n",
		    client_str_or(r, "expires", "?"));
	else
		printf("list:         in force until %s\n",
		    client_str_or(r, "expires", "?"));
	if (client_true(r, "installed")) {
		printf("source:       %s\n", client_str_or(r, "source", "?"));
		printf("signed:       %s by %s (primary %s)\n",
		    client_str_or(r, "signed", "?"),
		    client_str_or(r, "signer", "?"),
		    client_str_or(r, "primary", "?"));
		printf("timestamp:    %s\n",
		    client_str_or(r, "timestamp", "?"));
		printf("installed:    %s\n",
		    client_str_or(r, "installed_at", "?"));
		printf("entries:      %.0f (%.0f enforce, %.0f testing%s)\n",
		    client_num(r, "entries"), client_num(r, "enforce"),
		    client_num(r, "testing"), client_true(r,
		    "enforce_testing") ? ", enforced" : ", not enforced");
	}
	if (client_str(r, "url") != NULL)
		printf("updates:      %s every %s, next %s\n",
		    client_str(r, "url"), humanfmt_span(client_num(r,
		    "interval"), span), client_str_or(r, "next_update",
		    client_true(r, "updating") ? "now (running)" :
		    "not scheduled"));
	if (cJSON_IsObject(last))
		printf("last attempt: %s from %s: %s (%s)\n",
		    client_str_or(last, "at", "?"),
		    client_str_or(last, "source", "?"),
		    client_str_or(last, "result", "?"),
		    client_str_or(last, "detail", ""));
	if (client_str(r, "note") != NULL)
		printf("note:         %s\n", client_str(r, "note"));
}

/* ld_run: one request, the reply shown by show(); the exit status. */
static int
ld_run(const struct cmd_daemon_opts *o, cJSON *req,
    int (*rc_of)(const cJSON *), void (*human)(const cJSON *))
{
	struct client *c;
	const char *line;
	char err[256];
	cJSON *r = NULL;
	int rc;

	if (req == NULL)
		fprintf(stderr, "mtasts: out of memory\n");
	else if ((c = cmd_daemon_open(o, LD_TIMEOUT_MS)) != NULL) {
		if ((r = client_call(c, req, &line, err, sizeof(err))) == NULL)
			fprintf(stderr, "mtasts: %s\n", err);
		else if (o->json)
			puts(line);
		client_close(c);
	}
	cJSON_Delete(req);
	if (r == NULL)
		return CMD_EXIT_USAGE;
	/* Refused requests; a failed update has a "result" to judge. */
	if (client_refused(r) && client_str(r, "result") == NULL) {
		rc = client_str(r, "error") != NULL &&
		    strcmp(client_str(r, "error"), "domain-invalid") == 0 ?
		    CMD_EXIT_NO : CMD_EXIT_USAGE;
		if (!o->json)
			ld_failed(r);
	} else {
		rc = rc_of(r);
		if (!o->json && client_refused(r))
			ld_failed(r);
		else if (!o->json)
			human(r);
	}
	cJSON_Delete(r);
	return rc;
}

static int
ld_status_rc(const cJSON *r)
{
	return client_true(r, "enabled") && client_true(r, "installed") &&
	    !client_true(r, "expired") ? CMD_EXIT_OK : CMD_EXIT_NO;
}

/* ld_update_rc: 0 ok, 1 the list was rejected, 2 no verdict. */
static int
ld_update_rc(const cJSON *r)
{
	static const char *const rejected[] = {
		"rollback", "bad-signature", "wrong-key", "invalid", "expired"
	};
	const char *res = client_str(r, "result");
	size_t i;

	if (client_true(r, "ok"))
		return CMD_EXIT_OK;
	for (i = 0; res != NULL && i < sizeof(rejected) / sizeof(*rejected);
	    i++)
		if (strcmp(res, rejected[i]) == 0)
			return CMD_EXIT_NO;
	return CMD_EXIT_USAGE;
}

static void
ld_update_human(const cJSON *r)
{
	printf("%s: %s (%s)\n", client_str_or(r, "source", "?"),
	    client_str_or(r, "result", "?"), client_str_or(r, "detail", ""));
}

static int
ld_show_rc(const cJSON *r)
{
	return client_true(r, "listed") ? CMD_EXIT_OK : CMD_EXIT_NO;
}

static void
ld_show_human(const cJSON *r)
{
	const cJSON *mx;

	printf("domain:    %s\n", client_str_or(r, "domain", "?"));
	if (!client_true(r, "listed")) {
		printf("entry:     none (not listed%s)\n",
		    client_true(r, "in_force") ? "" : "; no list in force");
		return;
	}
	printf("mode:      %s\n", client_str_or(r, "mode", "?"));
	cJSON_ArrayForEach(mx, cJSON_GetObjectItemCaseSensitive(r, "mx"))
		if (cJSON_IsString(mx))
			printf("mx:        %s\n", mx->valuestring);
	printf("postfix:   %s\n", client_str_or(r, "postfix",
	    client_true(r, "in_force") ? "none (mode testing, not enforced)" :
	    "none (no list in force)"));
}

int
cmd_list_status(int argc, char **argv)
{
	struct cmd_daemon_opts o;

	if (cmd_daemon_parse(argc, argv, &o, 0) != argc) {
		cmd_list_usage();
		return CMD_EXIT_USAGE;
	}
	return ld_run(&o, client_request("list.status", NULL, NULL),
	    ld_status_rc, ld_status_human);
}

int
cmd_list_update(int argc, char **argv)
{
	struct cmd_daemon_opts o;

	if (cmd_daemon_parse(argc, argv, &o, CMD_DAEMON_URL) != argc) {
		cmd_list_usage();
		return CMD_EXIT_USAGE;
	}
	return ld_run(&o, client_request("list.update", "url", o.url),
	    ld_update_rc, ld_update_human);
}

int
cmd_list_show_daemon(int argc, char **argv)
{
	struct cmd_daemon_opts o;
	int first;

	if ((first = cmd_daemon_parse(argc, argv, &o, CMD_DAEMON_FLAG)) !=
	    argc - 1) {
		cmd_list_usage();
		return CMD_EXIT_USAGE;
	}
	return ld_run(&o, client_request("list.show", "domain", argv[first]),
	    ld_show_rc, ld_show_human);
}
