/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * monoclock.h: milliseconds on the monotonic clock, for deadlines and
 * durations.  The wall clock can jump (NTP, an administrator); a
 * deadline measured on it could end at once or never.
 */
#ifndef MONOCLOCK_H
#define MONOCLOCK_H

#include <stdint.h>

/* monoclock_ms: CLOCK_MONOTONIC in ms; only differences mean anything. */
int64_t	monoclock_ms(void);

#endif /* MONOCLOCK_H */
