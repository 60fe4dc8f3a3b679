/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * promfmt.h: pure writer of the Prometheus text exposition format,
 * version 0.0.4 (docs/metrics.md): "# HELP" and "# TYPE" lines, then
 * samples "name{label="value",...} value\n".  No I/O, no clock.
 *
 * Escaping: in label values a backslash, a double quote and a line
 * feed are written as \\, \" and \n; in HELP text a backslash and a
 * line feed.  Metric and label names are checked against the format's
 * grammar ([a-zA-Z_:][a-zA-Z0-9_:]*, labels without ':'); a bad name
 * is a programming error: the writer records it and writes nothing
 * more (promfmt_error()).  Counters are uint64_t and printed exactly;
 * gauges are doubles: NaN, +Inf and -Inf as the format spells them.
 *
 * Ownership: struct promfmt owns its growing buffer (promfmt_fini()
 * frees it); out of memory sets the error and stops writing.
 */
#ifndef PROMFMT_H
#define PROMFMT_H

#include <stddef.h>
#include <stdint.h>

#define PROMFMT_MAX	(4 * 1024 * 1024)	/* a runaway writer stops */

struct promfmt {
	char		*buf;		/* NUL-terminated text */
	size_t		 len, cap;
	const char	*error;		/* NULL, or what went wrong */
};

/* A label: name and value (value borrowed for the call). */
struct promfmt_label {
	const char	*name;
	const char	*value;
};

void promfmt_init(struct promfmt *f);
void promfmt_fini(struct promfmt *f);

/* promfmt_error: NULL while everything was written, else why not. */
const char *promfmt_error(const struct promfmt *f);

/* promfmt_family: the HELP and TYPE lines ("counter", "gauge",
 * "histogram") that start a metric family. */
void promfmt_family(struct promfmt *f, const char *name,
    const char *type, const char *help);

/* promfmt_u64 / promfmt_double: one sample with nlabels labels. */
void promfmt_u64(struct promfmt *f, const char *name,
    const struct promfmt_label *labels, size_t nlabels,
    uint64_t v);
void promfmt_double(struct promfmt *f, const char *name,
    const struct promfmt_label *labels, size_t nlabels,
    double v);

/*
 * promfmt_histogram: the _bucket (cumulative, with le), _sum and
 * _count samples of a histogram whose bucket i counts observations in
 * (bounds[i-1], bounds[i]] (not cumulative); counts has nbounds + 1
 * entries, the last for +Inf.  Bounds and sum in the metric's unit.
 */
void promfmt_histogram(struct promfmt *f, const char *name,
    const double *bounds, const uint64_t *counts,
    size_t nbounds, double sum);

#endif /* PROMFMT_H */
