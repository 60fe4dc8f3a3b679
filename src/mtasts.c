/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * mtasts.c: the mtasts command-line tool.
 *
 * mtasts resolve [--direct] ... DOMAIN...   ask the daemon, or discover
 *                                            in-process (cmd_resolve.c)
 * mtasts cache ..., mtasts stats             the daemon's cache and
 *                                            counters (cmd_daemon.c)
 * mtasts check [--json] ... DOMAIN...        a domain's inbound mail
 *                                            security, for its owner
 *                                            (cmd_domcheck.c)
 * mtasts check-postfix ...                   Postfix's and the daemon's
 *                                            settings checked together
 *                                            (cmd_postfix.c)
 * mtasts list verify | show | export-postfix the STARTTLS list offline,
 *        | status | update | show --daemon   or the daemon's copy
 *                                            (cmd_list.c, cmd_list_daemon.c)
 * mtasts txt check RECORD...                 RFC 8461 §3.1 TXT validator
 * mtasts policy check [--content-type T] F   RFC 8461 §3.2 policy validator
 * mtasts mx match PATTERN HOST               RFC 8461 §4.1 MX matcher
 *                                            (the three: cmd_check.c)
 *
 * Exit status (all commands): 0 valid / match / found, 1 invalid /
 * no match / not found, 2 usage or I/O error.  This file only
 * dispatches; each command lives in its own cmd_*.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mtasts resolve [DAEMON] [--json] DOMAIN...\n"
	    "       mtasts resolve --direct [--json] [options] DOMAIN...\n"
	    "       mtasts cache [DAEMON] [--json] list | show DOMAIN |"
	    " purge DOMAIN | flush\n"
	    "       mtasts stats [DAEMON] [--json]\n"
	    "       mtasts check [--json] [--dns-server ADDR] [--ca-file F] "
	    "[--port N]\n"
	    "           [--timeout T] [--helo NAME] [--list-file F] DOMAIN...\n"
	    "       mtasts check-postfix [--json] [-c CONFIG_DIR] "
	    "[-f | --config MTASTSD_CONF]\n"
	    "       mtasts list verify | show DOMAIN | export-postfix "
	    "[--json] [--file F]...\n"
	    "       mtasts list status | update [--url URL] | show --daemon "
	    "DOMAIN [DAEMON] [--json]\n"
	    "       mtasts txt check [--json] RECORD...\n"
	    "       mtasts policy check [--json] [--content-type TYPE] FILE|-\n"
	    "       mtasts mx match [--json] PATTERN HOST\n"
	    "       mtasts --version | --help\n"
	    "DAEMON: --socket PATH or --config MTASTSD_CONF (default: "
	    "$MTASTS_SOCKET,\n"
	    "then the socket of the installed mtastsd.conf).  See mtasts(1).\n");
}

/* Two-word commands ("txt check") are matched on both words. */
static const struct {
	const char	*noun;
	const char	*verb;
	int		(*run)(int, char **);
} commands[] = {
	{ "resolve", NULL, cmd_resolve },
	{ "txt", "check", cmd_txt_check },
	{ "policy", "check", cmd_policy_check },
	{ "mx", "match", cmd_mx_match },
	{ "cache", NULL, cmd_cache },
	{ "stats", NULL, cmd_stats },
	/* Matched whole: "check" never takes "check-postfix". */
	{ "check", NULL, cmd_check },
	{ "check-postfix", NULL, cmd_check_postfix },
	{ "list", NULL, cmd_list },
};

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mtasts %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].noun) != 0)
			continue;
		if (commands[i].verb == NULL)
			return commands[i].run(argc - 1, argv + 1);
		if (argc > 2 && strcmp(argv[2], commands[i].verb) == 0)
			return commands[i].run(argc - 2, argv + 2);
	}
	fprintf(stderr, "mtasts: unknown command \"%s%s%s\"\n", argv[1],
	    argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
	usage(stderr);
	return CMD_EXIT_USAGE;
}
