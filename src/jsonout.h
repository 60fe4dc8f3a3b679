/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * jsonout.h: the two cJSON output chores every JSON writer here shares
 * (the mtasts commands and the daemon's JSON-lines protocol).
 */
#ifndef JSONOUT_H
#define JSONOUT_H

#include <cjson/cJSON.h>

/* jsonout_add_str: "key": "val", or "key": null when val is NULL. */
void	jsonout_add_str(cJSON *obj, const char *key, const char *val);

/*
 * jsonout_print: print obj on stdout as one line and free it (obj may
 * be NULL after a failed allocation).  0, or -1 when out of memory
 * (reported on stderr).
 */
int	jsonout_print(cJSON *obj);

#endif /* JSONOUT_H */
