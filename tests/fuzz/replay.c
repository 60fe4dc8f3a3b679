/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * replay.c: run a libFuzzer target over its seed corpus without
 * libFuzzer, as a TAP test, so "make check" exercises every fuzz
 * target with every corpus file on every build (c-ares does the same).
 *
 * Usage: replay_<target> [DIR...]  (each regular file is one input;
 * without arguments, the CORPUS_DIR the build compiled in)
 * A crash or sanitizer report aborts the run; the TAP driver then
 * reports the missing plan as a failure.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The corpus files are small; 1 MiB keeps a stray big file harmless. */
#define REPLAY_MAX_INPUT (1024 * 1024)

static int
replay_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX_INPUT];
	uint8_t *copy;
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL)
		return tap_ok(0, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	/* An exact-size copy lets ASan catch reads past the input. */
	if ((copy = malloc(n ? n : 1)) == NULL)
		return tap_ok(0, "%s: out of memory", path);
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return tap_ok(1, "%s (%zu bytes)", path, n);
}

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
replay_dir(const char *dir)
{
	struct dirent *de;
	char **names = NULL, path[4096];
	size_t n = 0, i;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		tap_ok(0, "%s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char **nn;

		if (de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL)
			break;
		names = nn;
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	/* Sorted, so the TAP numbering is stable between runs. */
	qsort(names, n, sizeof(*names), names_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			replay_file(path);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
#ifdef CORPUS_DIR
		replay_dir(CORPUS_DIR);
#else
		fprintf(stderr, "usage: %s CORPUS-DIR...\n", argv[0]);
		return 2;
#endif
	}
	for (i = 1; i < argc; i++)
		replay_dir(argv[i]);
	if (tap_n == 0)
		tap_ok(0, "corpus is empty");
	return tap_done();
}
