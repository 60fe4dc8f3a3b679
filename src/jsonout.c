/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * jsonout.c: shared cJSON output helpers; see jsonout.h.
 */
#include "config.h"

#include <stdio.h>

#include "jsonout.h"

void
jsonout_add_str(cJSON *obj, const char *key, const char *val)
{
	if (val != NULL)
		cJSON_AddStringToObject(obj, key, val);
	else
		cJSON_AddNullToObject(obj, key);
}

int
jsonout_print(cJSON *obj)
{
	char *s;

	if (obj == NULL || (s = cJSON_PrintUnformatted(obj)) == NULL) {
		cJSON_Delete(obj);
		fprintf(stderr, "mtasts: out of memory\n");
		return -1;
	}
	puts(s);
	cJSON_free(s);
	cJSON_Delete(obj);
	return 0;
}
