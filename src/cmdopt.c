/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmdopt.c: option values shared by the mtasts commands; see cmdopt.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdopt.h"

int
cmdopt_add_server(char *buf, size_t size, const char *arg)
{
	size_t have = strlen(buf), add = strlen(arg);

	if (add == 0 || have + add + 2 > size) {
		fprintf(stderr, "mtasts: bad --dns-server \"%s\"\n", arg);
		return -1;
	}
	if (have > 0)
		buf[have++] = ',';
	memcpy(buf + have, arg, add + 1);
	return 0;
}

int
cmdopt_number(const char *arg, const char *name, double min, double max,
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
