/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd.h: the subcommands of mtasts(1).
 *
 * Each takes the arguments from its command word on (argv[0] is the
 * last command word, as getopt expects) and returns the exit status:
 * CMD_EXIT_OK (valid, match, found), CMD_EXIT_NO (invalid, no match,
 * not found) or CMD_EXIT_USAGE (usage or I/O error).
 */
#ifndef CMD_H
#define CMD_H

#define CMD_EXIT_OK	0
#define CMD_EXIT_NO	1
#define CMD_EXIT_USAGE	2

struct client;

/* Options of the commands that ask the daemon (cmd_daemon.c). */
struct cmd_daemon_opts {
	const char	*socket;	/* --socket PATH, or NULL */
	const char	*config;	/* --config FILE, or NULL */
	const char	*url;		/* --url URL (list update), or NULL */
	int		 json;		/* --json */
};

/* What cmd_daemon_parse() accepts besides --socket, --config, --json. */
#define CMD_DAEMON_URL		0x1	/* --url URL */
#define CMD_DAEMON_FLAG		0x2	/* --daemon (list show) */

int	cmd_resolve(int, char **);	/* cmd_resolve.c */
int	cmd_txt_check(int, char **);	/* cmd_check.c */
int	cmd_policy_check(int, char **);	/* cmd_check.c */
int	cmd_mx_match(int, char **);	/* cmd_check.c */
int	cmd_cache(int, char **);	/* cmd_daemon.c */
int	cmd_stats(int, char **);	/* cmd_daemon.c */
int	cmd_check_postfix(int, char **); /* cmd_postfix.c */
int	cmd_check(int, char **);	/* cmd_domcheck.c */
int	cmd_list(int, char **);		/* cmd_list.c */
/* cmd_list_usage: the usage of every "mtasts list" verb, on stderr. */
void	cmd_list_usage(void);		/* cmd_list.c */
/* The list verbs that ask the daemon (cmd_list_daemon.c); argv[0] is
 * the verb. */
int	cmd_list_status(int, char **);
int	cmd_list_update(int, char **);
int	cmd_list_show_daemon(int, char **);
/* "mtasts list build" (cmd_list_build.c); argv[0] is the verb. */
int	cmd_list_build(int, char **);

/*
 * cmd_daemon_parse: the options of a command that asks the daemon,
 * before or after the operands (argv[0] is the command word).  Returns
 * the index of the first operand, or -1 on a usage error.
 */
int	cmd_daemon_parse(int, char **, struct cmd_daemon_opts *,
	    unsigned allow);

/*
 * cmd_daemon_open: a connection to the daemon the options name
 * (client_socket()), each wait bounded by timeout_ms.  NULL after
 * reporting why on stderr.
 */
struct client *cmd_daemon_open(const struct cmd_daemon_opts *,
	    int timeout_ms);

/* cmd_resolve_daemon: resolve DOMAIN... (argv[0..argc)) through the
 * daemon the options name. */
int	cmd_resolve_daemon(int, char **, const struct cmd_daemon_opts *);

#endif /* CMD_H */
