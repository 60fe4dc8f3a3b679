/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * humanfmt.h: times and durations for people, as the mtasts(1) commands
 * print them without --json.
 *
 * Pure: no I/O, no clock (the caller passes what it measured), no
 * allocation; every result is written into the caller's buffer, whose
 * size the *_STRLEN constants give, and returned.  The daemon's JSON
 * carries numbers as doubles, so the inputs are doubles; a missing
 * value is NAN (see client_num()) and prints as "?", never as a number
 * that could be mistaken for a real one.
 */
#ifndef HUMANFMT_H
#define HUMANFMT_H

#include <stddef.h>

/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define HUMANFMT_TIME_STRLEN	21
/* "in 106751991167300d 15h" and its NUL, with room to spare. */
#define HUMANFMT_SPAN_STRLEN	40

/*
 * humanfmt_time: unix time t (seconds) as ISO 8601 UTC,
 * "2026-12-07T21:16:43Z".  "?" when t is NAN or outside years
 * 1970..9999.
 */
const char	*humanfmt_time(double t, char buf[HUMANFMT_TIME_STRLEN]);

/*
 * humanfmt_span: a duration of s seconds (its absolute value, rounded
 * down to whole seconds) in its two largest units: "3d 4h", "2h 5m",
 * "4m 10s", "42s", "0s"; a unit that is zero is left out ("1d",
 * "1h 1s" is "1h").  "?" when s is NAN or infinite.
 */
const char	*humanfmt_span(double s, char buf[HUMANFMT_SPAN_STRLEN]);

/*
 * humanfmt_rel: a time s seconds from now, for people: "in 3d 4h"
 * (s > 0), "3d 4h ago" (s < 0), "now" (|s| < 1).  "?" for NAN.
 */
const char	*humanfmt_rel(double s, char buf[HUMANFMT_SPAN_STRLEN]);

/*
 * humanfmt_printable: a copy of untrusted text (a list's author, a
 * daemon's error detail) safe for a terminal: control characters and
 * DEL become "?".  Truncated to size - 1 bytes.
 */
const char	*humanfmt_printable(const char *s, char *buf, size_t size);

#endif /* HUMANFMT_H */
