/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmdopt.h: option values shared by the mtasts commands that run their
 * own resolver (`resolve --direct`, `check`).  Errors are printed on
 * stderr, as every mtasts command reports a bad option.
 */
#ifndef CMDOPT_H
#define CMDOPT_H

#include <stddef.h>

/*
 * cmdopt_add_server: append one --dns-server value to the
 * comma-separated list in buf[0..size) (c-ares' servers CSV).  0, or -1
 * (empty value, or the list would not fit) after saying so.
 */
int	cmdopt_add_server(char *buf, size_t size, const char *arg);

/*
 * cmdopt_number: parse arg as a number in [min, max] into *out; `name`
 * is the option as the user wrote it.  0, or -1 after saying so.
 */
int	cmdopt_number(const char *arg, const char *name, double min,
	    double max, double *out);

#endif /* CMDOPT_H */
