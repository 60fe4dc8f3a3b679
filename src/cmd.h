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

int	cmd_resolve(int, char **);	/* cmd_resolve.c */
int	cmd_txt_check(int, char **);	/* cmd_check.c */
int	cmd_policy_check(int, char **);	/* cmd_check.c */
int	cmd_mx_match(int, char **);	/* cmd_check.c */
int	cmd_cache(int, char **);	/* cmd_daemon.c */
int	cmd_stats(int, char **);	/* cmd_daemon.c */
int	cmd_check_postfix(int, char **); /* cmd_postfix.c */
int	cmd_list(int, char **);		/* cmd_list.c */
/* cmd_resolve_daemon: resolve DOMAIN... (argv[0..argc)) through the
 * daemon at `socket` (NULL: the default). */
int	cmd_resolve_daemon(int, char **, const char *socket, int json);

#endif /* CMD_H */
