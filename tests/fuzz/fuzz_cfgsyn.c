/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * fuzz_cfgsyn.c: libFuzzer target for the configuration syntax
 * (src/cfgsyn.h) and the two parsers that use it (src/conf.h,
 * src/tmconf.h).
 *
 * The input is a configuration file.  It is walked line by line, each
 * value given to every value parser, each error formatted, and the
 * whole file parsed as mtastsd.conf and as table-mtasts.conf.  Checked,
 * beyond "no crash, no read past the input": a name and a value never
 * start or end with a blank, hold no NUL and no LF; a line number
 * only grows; an error message is NUL-terminated within its buffer and
 * holds no control character; a refused file leaves no struct behind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfgsyn.h"
#include "conf.h"
#include "tmconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_text(const char *s)
{
	size_t n = strlen(s);

	if (memchr(s, '\n', n) != NULL || (n > 0 && (s[0] == ' ' ||
	    s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r')))
		__builtin_trap();
}

static void
check_message(const char *err, size_t size)
{
	size_t i;

	if (memchr(err, '\0', size) == NULL)
		__builtin_trap();
	for (i = 0; err[i] != '\0'; i++)
		if ((unsigned char)err[i] < 0x20)
			__builtin_trap();
}

static void
values(const char *name, const char *v, unsigned lineno)
{
	char err[512];
	uint64_t n;
	int b;

	(void)cfgsyn_duration(v, &n);
	(void)cfgsyn_size(v, &n);
	(void)cfgsyn_count(v, &n);
	(void)cfgsyn_mode(v, &n);
	(void)cfgsyn_bool(v, &b);
	cfgsyn_error(err, sizeof(err), "f", lineno, name, v, "why");
	check_message(err, sizeof(err));
}

static void
parsers(const uint8_t *data, size_t size)
{
	char err[512], *text;
	struct tmconf tc;
	struct conf *c;

	if (tmconf_parse((const char *)data, size, &tc, err,
	    sizeof(err)) == -1)
		check_message(err, sizeof(err));
	/* conf_parse_string takes a C string: up to the first NUL. */
	if ((text = malloc(size + 1)) == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((c = conf_parse_string("f", text, err, sizeof(err))) == NULL)
		check_message(err, sizeof(err));
	conf_free(c);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfgsyn_lines it;
	const char *name, *value, *why;
	unsigned last = 0;
	int r;

	cfgsyn_begin(&it, (const char *)data, size);
	while ((r = cfgsyn_next(&it, &name, &value, &why)) == 1) {
		if (it.lineno <= last)
			__builtin_trap();
		last = it.lineno;
		check_text(name);
		check_text(value);
		values(name, value, it.lineno);
	}
	if (r == -1 && (why == NULL || it.lineno == 0))
		__builtin_trap();
	parsers(data, size);
	return 0;
}
