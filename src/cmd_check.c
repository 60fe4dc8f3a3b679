/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_check.c: the validators of mtasts(1): "txt check", "policy
 * check" and "mx match".
 *
 * Mail administrators run these against their own MTA-STS set-up and
 * the tests use them to drive the pure parsers, so their verdicts are
 * exactly those of resolver/stsrec.c, resolver/stspol.c and
 * resolver/mxmatch.c; this file only reads input and prints.
 *
 * Output is human-readable by default; with --json it is exactly one
 * JSON object on stdout.  Exit status as in cmd.h.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "jsonout.h"
#include "mxmatch.h"
#include "stspol.h"
#include "stsrec.h"

static const struct option json_only[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

/*
 * check_opts: parse [--json] (and --content-type when ctype is not
 * NULL).  Returns the index of the first operand, or -1 on a usage
 * error (already reported).
 */
static int
check_opts(int argc, char **argv, int *json, const char **ctype)
{
	static const struct option with_ctype[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "content-type", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	*json = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+",
	    ctype ? with_ctype : json_only, NULL)) != -1) {
		switch (ch) {
		case 'j':
			*json = 1;
			break;
		case 'c':
			*ctype = optarg;
			break;
		default:
			return -1;
		}
	}
	return optind;
}

int
cmd_txt_check(int argc, char **argv)
{
	const char **txts = NULL;
	size_t *lens = NULL, n, i;
	enum stsrec_result r;
	struct stsrec rec;
	const char *why = NULL;
	int first, json, rc = CMD_EXIT_USAGE;
	cJSON *obj;

	if ((first = check_opts(argc, argv, &json, NULL)) < 0 ||
	    first >= argc) {
		fprintf(stderr, "usage: mtasts txt check [--json] RECORD...\n");
		return CMD_EXIT_USAGE;
	}
	n = (size_t)(argc - first);
	txts = calloc(n, sizeof(*txts));
	lens = calloc(n, sizeof(*lens));
	if (txts == NULL || lens == NULL) {
		fprintf(stderr, "mtasts: out of memory\n");
		goto done;
	}
	for (i = 0; i < n; i++) {
		txts[i] = argv[first + (int)i];
		lens[i] = strlen(txts[i]);
	}
	r = stsrec_select(txts, lens, n, &rec, &why);
	if (r != STSREC_OK && why == NULL)
		why = stsrec_code(r);
	if (json) {
		obj = cJSON_CreateObject();
		cJSON_AddBoolToObject(obj, "valid", r == STSREC_OK);
		jsonout_add_str(obj, "id", r == STSREC_OK ? rec.id : NULL);
		jsonout_add_str(obj, "error", r == STSREC_OK ? NULL : why);
		if (jsonout_print(obj) == -1)
			goto done;
	} else if (r == STSREC_OK)
		printf("valid: id=%s\n", rec.id);
	else
		printf("invalid (%s): %s\n", stsrec_code(r), why);
	rc = r == STSREC_OK ? CMD_EXIT_OK : CMD_EXIT_NO;
done:
	free(txts);
	free(lens);
	return rc;
}

/*
 * read_policy: read at most STSPOL_MAX_SIZE + 1 bytes of path ("-" is
 * stdin) into buf, so that an oversize body is seen as such by the
 * parser without reading an unbounded file.  Returns the length or -1.
 */
static long
read_policy(const char *path, char *buf, size_t bufsize)
{
	FILE *fp;
	size_t n;
	int err;

	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "mtasts: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, bufsize, fp);
	err = ferror(fp);
	if (fp != stdin)
		fclose(fp);
	if (err) {
		fprintf(stderr, "mtasts: %s: read error\n", path);
		return -1;
	}
	return (long)n;
}

/* policy_json: the --json object for a parse result. */
static cJSON *
policy_json(const struct stspol *p, int valid, const char *why)
{
	cJSON *obj, *mx, *warn;
	unsigned bit;
	size_t i;

	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddBoolToObject(obj, "valid", valid);
	jsonout_add_str(obj, "version", valid ? "STSv1" : NULL);
	jsonout_add_str(obj, "mode", valid ? stspol_mode_str(p->mode) : NULL);
	if (valid)
		cJSON_AddNumberToObject(obj, "max_age", p->max_age);
	else
		cJSON_AddNullToObject(obj, "max_age");
	mx = cJSON_AddArrayToObject(obj, "mx");
	for (i = 0; valid && mx != NULL && i < p->nmx; i++)
		cJSON_AddItemToArray(mx, cJSON_CreateString(stspol_mx(p, i)));
	jsonout_add_str(obj, "error", valid ? NULL : why);
	warn = cJSON_AddArrayToObject(obj, "warnings");
	for (bit = 1; valid && warn != NULL && bit != 0; bit <<= 1)
		if (p->warnings & bit)
			cJSON_AddItemToArray(warn,
			    cJSON_CreateString(stspol_warning_str(bit)));
	return obj;
}

static void
policy_human(const struct stspol *p, int valid, const char *why)
{
	unsigned bit;
	size_t i;

	if (!valid) {
		printf("invalid: %s\n", why);
		return;
	}
	printf("valid: version STSv1, mode %s, max_age %u\n",
	    stspol_mode_str(p->mode), (unsigned)p->max_age);
	for (i = 0; i < p->nmx; i++)
		printf("  mx: %s\n", stspol_mx(p, i));
	for (bit = 1; bit != 0; bit <<= 1)
		if (p->warnings & bit)
			printf("warning: %s\n", stspol_warning_str(bit));
}

int
cmd_policy_check(int argc, char **argv)
{
	static char buf[STSPOL_MAX_SIZE + 1];
	static struct stspol pol;
	const char *ctype = NULL, *why = NULL;
	char whyline[128];
	int first, json, valid;
	long len;

	if ((first = check_opts(argc, argv, &json, &ctype)) < 0 ||
	    first != argc - 1) {
		fprintf(stderr, "usage: mtasts policy check [--json] "
		    "[--content-type TYPE] FILE|-\n");
		return CMD_EXIT_USAGE;
	}
	if ((len = read_policy(argv[first], buf, sizeof(buf))) < 0)
		return CMD_EXIT_USAGE;
	/* RFC 8461 §3.2: the media type is checked before the body. */
	if (ctype != NULL && !stspol_content_type_ok(ctype)) {
		valid = 0;
		why = "Content-Type is not text/plain";
	} else if (!(valid = stspol_parse(buf, (size_t)len, &pol, &why) == 0)
	    && pol.errline > 0) {
		snprintf(whyline, sizeof(whyline), "line %u: %s",
		    (unsigned)pol.errline, why);
		why = whyline;
	}
	if (json) {
		if (jsonout_print(policy_json(&pol, valid, why)) == -1)
			return CMD_EXIT_USAGE;
	} else
		policy_human(&pol, valid, why);
	return valid ? CMD_EXIT_OK : CMD_EXIT_NO;
}

int
cmd_mx_match(int argc, char **argv)
{
	int first, json, match;
	cJSON *obj;

	if ((first = check_opts(argc, argv, &json, NULL)) < 0 ||
	    first != argc - 2) {
		fprintf(stderr, "usage: mtasts mx match [--json] PATTERN HOST\n");
		return CMD_EXIT_USAGE;
	}
	match = mxmatch_match(argv[first], argv[first + 1]);
	if (json) {
		obj = cJSON_CreateObject();
		cJSON_AddBoolToObject(obj, "match", match);
		if (jsonout_print(obj) == -1)
			return CMD_EXIT_USAGE;
	} else
		printf("%s\n", match ? "match" : "no match");
	return match ? CMD_EXIT_OK : CMD_EXIT_NO;
}
