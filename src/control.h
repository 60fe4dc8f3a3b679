/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * control.h: the JSON-lines protocol of the lookup socket, used by
 * mtasts(1) and table-mtasts (docs/PROTOCOLS.md "JSON lines").
 *
 * One JSON object per line in each direction, requests at most
 * CONTROL_LINE_MAX bytes before the "\n".  Every request names an
 * "op"; every reply has "ok" (true/false), a failed one "error" (a
 * short code) and "detail".  Ops: resolve, stats, cache.list,
 * cache.show, cache.purge, cache.flush, list.status, list.update (the
 * reply comes when the update has ended: src/listupd.h), list.show,
 * and test.clock and test.sweep (only when the daemon runs with -T: they
 * move the lookup service's clock and start a sweep of the cache now,
 * for the test suite).  A line that is too long gets "too-large" and the connection
 * closes; any other bad request gets its error and the connection
 * stays usable.  cache.list streams one line per entry, a batch at a
 * time as the client reads them, never the whole cache in memory.
 *
 * The cJSON tree of a request lives only inside the call that parsed
 * it (docs/HACKING.md §Style, "Memory").  Loop thread only.
 */
#ifndef CONTROL_H
#define CONTROL_H

struct listen_proto;

#define CONTROL_LINE_MAX	10000	/* request bytes before "\n" */
#define CONTROL_LIST_BATCH	256	/* cache.list entries per batch */
#define CONTROL_LIST_BYTES	65536	/* ... or this many bytes */
#define CONTROL_WAIT_MAX	600000	/* resolve "wait" in ms */
#define CONTROL_CLOCK_MAX	(10LL * 366 * 86400) /* test.clock step */

/* control_proto: the protocol for listen_start() (static). */
const struct listen_proto *control_proto(void);

#endif /* CONTROL_H */
