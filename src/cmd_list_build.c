/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cmd_list_build.c: "mtasts list build", a fleet's own STARTTLS Policy
 * List from the MTA-STS policies this node's daemon has observed
 * (docs/fleet.md; the choice of domains and the format are
 * resolver/listbuild.h's).
 *
 * It reads the daemon's cache read-only, as LMDB allows beside the
 * running daemon, in one read snapshot: no request to the daemon, so
 * a build of 100,000 policies never loads its event loop, and a build
 * works while the daemon is stopped.  The state directory comes from
 * --state-dir, or from the configuration file (--config, default the
 * installed one).  The list goes to --output FILE, written beside it
 * and renamed into place so that a web server never serves half a
 * file, or to standard output.  What was listed and left out is said
 * on standard error.
 *
 * Exit status as cmd.h: 0 written; 1 the build was refused (more than
 * a node accepts); 2 usage, configuration, cache or write errors.
 * Blocking is fine here: this is the CLI.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cfgsyn.h"
#include "client.h"
#include "cmd.h"
#include "conf.h"
#include "listbuild.h"
#include "listupd.h"
#include "record.h"

#define BUILD_DAY	INT64_C(86400)
#define BUILD_MAP	(1024 * 1024)	/* read-only: LMDB keeps the file's */
#define BUILD_PATH_MAX	4096

struct build_opts {
	const char		*state_dir;
	const char		*config;
	const char		*output;
	struct listbuild_conf	 lb;
};

/* What the cache walk keeps: the build, and the first failure. */
struct build_walk {
	struct listbuild	*b;
	size_t			 unreadable;
	const char		*why;
};

/* A duration option (cfgsyn's syntax: "7d", "36h", "600") in seconds. */
static int
build_duration(const char *name, const char *s, int64_t *out)
{
	uint64_t ms;

	if (cfgsyn_duration(s, &ms) != 0 || ms / 1000 > INT32_MAX) {
		fprintf(stderr, "mtasts: list build: --%s: not a duration: "
		    "\"%s\"\n", name, s);
		return -1;
	}
	*out = (int64_t)(ms / 1000);
	return 0;
}

/* --now: unix seconds, for tests and reproducible builds. */
static int
build_now(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		fprintf(stderr, "mtasts: list build: --now: not a number of "
		    "seconds since 1970: \"%s\"\n", s);
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

static int
build_opts(int argc, char **argv, struct build_opts *o)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "author", required_argument, NULL, 'a' },
		{ "min-age", required_argument, NULL, 'm' },
		{ "min-max-age", required_argument, NULL, 'M' },
		{ "expires-in", required_argument, NULL, 'e' },
		{ "include-testing", no_argument, NULL, 't' },
		{ "now", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->lb.now = (int64_t)time(NULL);
	o->lb.min_age = 7 * BUILD_DAY;
	o->lb.min_max_age = (uint32_t)(7 * BUILD_DAY);
	o->lb.expires_in = 14 * BUILD_DAY;
	/* No bigger than what the nodes' daemons fetch. */
	o->lb.max_bytes = LISTUPD_JSON_MAX;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': o->state_dir = optarg; break;
		case 'c': o->config = optarg; break;
		case 'o': o->output = optarg; break;
		case 'a': o->lb.author = optarg; break;
		case 't': o->lb.include_testing = 1; break;
		case 'n':
			if (build_now(optarg, &o->lb.now) == -1)
				return -1;
			break;
		case 'm':
			if (build_duration("min-age", optarg,
			    &o->lb.min_age) == -1)
				return -1;
			break;
		case 'M':
			if (build_duration("min-max-age", optarg, &v) == -1)
				return -1;
			o->lb.min_max_age = (uint32_t)v;
			break;
		case 'e':
			if (build_duration("expires-in", optarg,
			    &o->lb.expires_in) == -1)
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mtasts: list build: no operands expected\n");
		return -1;
	}
	return 0;
}

/* cache_iter callback: decode each policy and offer it to the build. */
static int
build_one(const char *key, const void *val, size_t len, void *arg)
{
	struct build_walk *w = arg;
	struct record_policy p;

	/* A record we cannot read (corrupt, or from a newer mtastsd) is
	 * not evidence of anything: left out, and counted. */
	if (record_policy_decode(val, len, &p, NULL) != 0) {
		w->unreadable++;
		return 0;
	}
	if (listbuild_add(w->b, key, &p, &w->why) == -1)
		return 1;
	w->why = NULL;
	return 0;
}

/* The state directory: --state-dir, or the configuration's. */
static const char *
build_state_dir(const struct build_opts *o, char *buf, size_t size)
{
	const char *path = o->config != NULL ? o->config :
	    client_default_config();
	char err[512];
	struct conf *c;

	if (o->state_dir != NULL)
		return o->state_dir;
	if ((c = conf_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mtasts: list build: %s\n", err);
		return NULL;
	}
	snprintf(buf, size, "%s", c->state_dir);
	conf_free(c);
	return buf;
}

/* Write the list: to stdout, or beside FILE and renamed over it. */
static int
build_write(const char *output, const char *data, size_t len)
{
	char tmp[BUILD_PATH_MAX];
	FILE *f;
	int bad;

	if (output == NULL)
		return fwrite(data, 1, len, stdout) == len &&
		    fflush(stdout) == 0 ? 0 : -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", output,
	    (long)getpid()) >= sizeof(tmp))
		return -1;
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	bad = fwrite(data, 1, len, f) != len;
	bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, output) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* What was listed and what was left out, for the operator. */
static void
build_summary(const struct listbuild *b, const struct build_walk *w,
    size_t len)
{
	enum listbuild_pick k;

	fprintf(stderr, "mtasts: list build: %zu enforce, %zu testing "
	    "listed (%zu bytes); left out:",
	    listbuild_count(b, LISTBUILD_ENFORCE),
	    listbuild_count(b, LISTBUILD_TESTING), len);
	for (k = LISTBUILD_SKIP_NONE; k < LISTBUILD_NPICKS; k++)
		fprintf(stderr, " %s %zu", listbuild_pick_str(k),
		    listbuild_count(b, k));
	fprintf(stderr, " unreadable %zu\n", w->unreadable);
}

int
cmd_list_build(int argc, char **argv)
{
	struct build_opts o;
	struct build_walk w = { NULL, 0, NULL };
	struct cache *cache = NULL;
	char dirbuf[BUILD_PATH_MAX], *out = NULL;
	const char *dir, *err = NULL;
	size_t len = 0;
	int rc = CMD_EXIT_USAGE;

	if (build_opts(argc, argv, &o) == -1) {
		cmd_list_usage();
		return CMD_EXIT_USAGE;
	}
	if ((err = listbuild_conf_check(&o.lb)) != NULL) {
		fprintf(stderr, "mtasts: list build: %s\n", err);
		cmd_list_usage();
		return CMD_EXIT_USAGE;
	}
	if ((dir = build_state_dir(&o, dirbuf, sizeof(dirbuf))) == NULL)
		return CMD_EXIT_USAGE;
	if ((cache = cache_open(dir, BUILD_MAP, BUILD_MAP, 1, &err)) == NULL) {
		fprintf(stderr, "mtasts: list build: cannot open the cache "
		    "in %s: %s\n", dir, err != NULL ? err : "error");
		return CMD_EXIT_USAGE;
	}
	if ((w.b = listbuild_new(&o.lb)) == NULL) {
		fprintf(stderr, "mtasts: list build: out of memory\n");
		goto done;
	}
	if (cache_iter(cache, CACHE_DB_POLICY, build_one, &w, &err) !=
	    CACHE_OK) {
		fprintf(stderr, "mtasts: list build: cannot read the cache "
		    "in %s: %s\n", dir, err != NULL ? err : "error");
		goto done;
	}
	if (w.why == NULL && (out = listbuild_render(w.b, &len, &w.why)) ==
	    NULL && w.why == NULL)
		w.why = "out of memory";
	if (w.why != NULL) {
		fprintf(stderr, "mtasts: list build: refused: %s\n", w.why);
		rc = strcmp(w.why, "out of memory") == 0 ? CMD_EXIT_USAGE :
		    CMD_EXIT_NO;
		goto done;
	}
	if (build_write(o.output, out, len) == -1) {
		fprintf(stderr, "mtasts: list build: cannot write %s: %s\n",
		    o.output != NULL ? o.output : "standard output",
		    strerror(errno));
		goto done;
	}
	build_summary(w.b, &w, len);
	rc = CMD_EXIT_OK;
done:
	free(out);
	listbuild_free(w.b);
	cache_close(cache);
	return rc;
}
