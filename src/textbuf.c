/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * textbuf.c: a growing text buffer; see textbuf.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "textbuf.h"

void
textbuf_printf(struct textbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *ns;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || b->failed)
		return;
	need = b->len + (size_t)n + 1;
	if (need > b->cap) {
		if ((ns = realloc(b->s, need * 2)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = ns;
		b->cap = need * 2;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
