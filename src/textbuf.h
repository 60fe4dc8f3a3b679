/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * textbuf.h: a growing text buffer for the mtasts commands' human
 * output.  Out of memory sticks (`failed`) instead of failing every
 * call: the caller checks once, after writing everything.
 */
#ifndef TEXTBUF_H
#define TEXTBUF_H

#include <stddef.h>

struct textbuf {
	char	*s;		/* NUL-terminated once anything is written */
	size_t	 len, cap;
	int	 failed;	/* a realloc failed: s holds a prefix */
};

/* textbuf_printf: append printf-style text to b. */
void	textbuf_printf(struct textbuf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* TEXTBUF_H */
