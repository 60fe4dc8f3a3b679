/*
 * reply.c: MTA answer text from a resolved policy (see reply.h).
 *
 * Postfix's policy syntax is "secure match=a:b servername=hostname";
 * a pattern containing ":" or white space would split into other
 * attributes, so every pattern is checked here even though stspol
 * already validated it: this is the last step before text reaches the
 * MTA.
 */
#include <string.h>

#include "reply.h"

#define REPLY_PREFIX	"secure match="
#define REPLY_SUFFIX	" servername=hostname"

/* Letters, digits, "-" and "." after an optional leading "*.". */
static const char *
reply_pattern(const char *mx)
{
	const char *s;

	if (mx == NULL || mx[0] == '\0')
		return NULL;
	if (mx[0] == '*') {
		if (mx[1] != '.' || mx[2] == '\0')
			return NULL;
		mx++;		/* "*.x" -> ".x" (RFC 8461 §4.1 wildcard) */
	}
	for (s = mx[0] == '.' ? mx + 1 : mx; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return NULL;
	}
	return mx;
}

/* Was pattern i already written (an exact duplicate)? */
static int
reply_seen(const char *const *mx, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(mx[j], mx[i]) == 0)
			return 1;
	return 0;
}

static int
reply_append(char *out, size_t outsize, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (n >= outsize - *off)
		return -1;
	memcpy(out + *off, s, n + 1);
	*off += n;
	return 0;
}

int
reply_postfix(const char *const *mx, size_t nmx, char *out, size_t outsize)
{
	const char *pat;
	size_t i, off = 0;

	if (outsize == 0)
		return -1;
	out[0] = '\0';
	if (mx == NULL || nmx == 0)
		return -1;
	if (reply_append(out, outsize, &off, REPLY_PREFIX) == -1)
		goto fail;
	for (i = 0; i < nmx; i++) {
		if ((pat = reply_pattern(mx[i])) == NULL)
			goto fail;
		if (reply_seen(mx, i))
			continue;
		if ((i > 0 && reply_append(out, outsize, &off, ":") == -1) ||
		    reply_append(out, outsize, &off, pat) == -1)
			goto fail;
	}
	if (reply_append(out, outsize, &off, REPLY_SUFFIX) == -1)
		goto fail;
	return (int)off;
fail:
	out[0] = '\0';
	return -1;
}
