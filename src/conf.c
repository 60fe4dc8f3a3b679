/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * conf.c: the option table and the mtastsd.conf parser; see conf.h.
 *
 * Defaults of paths come from configure (--runstatedir, --localstatedir)
 * through the MTASTSD_* macros, so an installed daemon and its man page
 * agree with where "make install" put things.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfgsyn.h"
#include "conf.h"
#include "log.h"
#include "reply.h"

#ifndef MTASTSD_RUNSTATEDIR
#define MTASTSD_RUNSTATEDIR "/run"
#endif
#ifndef MTASTSD_LOCALSTATEDIR
#define MTASTSD_LOCALSTATEDIR "/var"
#endif
#ifndef MTASTSD_DATADIR
#define MTASTSD_DATADIR "/usr/local/share/mtastsd"
#endif

enum conf_type { CT_STRING, CT_BOOL, CT_COUNT, CT_DURATION, CT_SIZE,
	CT_MODE, CT_LEVEL, CT_VERSION };

struct conf_option {
	const char	*name;
	enum conf_type	 type;
	size_t		 offset;	/* in struct conf */
	const char	*dflt;		/* parsed like a file value */
	uint64_t	 min, max;	/* counts, durations (ms), sizes */
	int		 reload;	/* may change on SIGHUP */
};

/* Longest reason for a bad value (range messages are built). */
#define CONF_WHY_MAX	128

#define O(f) offsetof(struct conf, f)
#define MS_DAY (86400ULL * 1000)

static const struct conf_option options[] = {
	{ "user", CT_STRING, O(user), "mtastsd", 0, 0, 0 },
	{ "socket", CT_STRING, O(socket),
	    MTASTSD_RUNSTATEDIR "/mtastsd/mtastsd.sock", 0, 0, 0 },
	{ "socket_owner", CT_STRING, O(socket_owner), "", 0, 0, 0 },
	{ "socket_group", CT_STRING, O(socket_group), "", 0, 0, 0 },
	{ "socket_mode", CT_MODE, O(socket_mode), "0660", 0, 0777, 0 },
	{ "listen_tcp", CT_STRING, O(listen_tcp), "", 0, 0, 0 },
	{ "listen_tcp_json", CT_BOOL, O(listen_tcp_json), "no", 0, 0, 1 },
	{ "admin_group", CT_STRING, O(admin_group), "", 0, 0, 0 },
	{ "metrics_listen", CT_STRING, O(metrics_listen), "", 0, 0, 0 },
	{ "pidfile", CT_STRING, O(pidfile),
	    MTASTSD_RUNSTATEDIR "/mtastsd/mtastsd.pid", 0, 0, 0 },
	{ "state_dir", CT_STRING, O(state_dir),
	    MTASTSD_LOCALSTATEDIR "/lib/mtastsd", 0, 0, 0 },
	{ "log_level", CT_LEVEL, O(log_level), "info", 0, 0, 1 },
	{ "log_lookups", CT_BOOL, O(log_lookups), "no", 0, 0, 1 },
	{ "max_connections", CT_COUNT, O(max_connections), "1024", 1,
	    65536, 1 },
	{ "max_connections_per_user", CT_COUNT, O(max_connections_per_user),
	    "256", 1, 65536, 1 },
	{ "client_idle_timeout", CT_DURATION, O(client_idle_timeout), "60s",
	    1000, MS_DAY, 1 },
	/* Postfix writes a request in one go: a partial one is not Postfix. */
	{ "client_request_timeout", CT_DURATION, O(client_request_timeout),
	    "5s", 100, 60000, 1 },
	/* Longer than one Postfix delivery: see src/listen.h. */
	{ "socketmap_idle_timeout", CT_DURATION, O(socketmap_idle_timeout),
	    "1h", 1000, MS_DAY, 1 },
	{ "max_pending", CT_COUNT, O(max_pending), "10000", 10, 1000000, 1 },
	{ "max_pending_json", CT_COUNT, O(max_pending_json), "1000", 1,
	    500000, 1 },
	{ "max_pending_per_user", CT_COUNT, O(max_pending_per_user), "100", 1,
	    500000, 1 },
	{ "lookup_timeout", CT_DURATION, O(lookup_timeout), "10s", 100,
	    600000, 1 },
	{ "dns_servers", CT_STRING, O(dns_servers), "", 0, 0, 1 },
	{ "dns_timeout", CT_DURATION, O(dns_timeout), "5s", 100, 60000, 1 },
	{ "dns_tries", CT_COUNT, O(dns_tries), "2", 1, 10, 1 },
	{ "connect_timeout", CT_DURATION, O(connect_timeout), "10s", 100,
	    60000, 1 },
	/* RFC 8461 §3.3 suggests a timeout of one minute. */
	{ "fetch_timeout", CT_DURATION, O(fetch_timeout), "60s", 1000,
	    300000, 1 },
	{ "max_fetches", CT_COUNT, O(max_fetches), "50", 1, 10000, 1 },
	{ "ca_file", CT_STRING, O(ca_file), "", 0, 0, 1 },
	{ "cache_map_size", CT_SIZE, O(cache_map_size), "16M", 1ULL << 20,
	    1ULL << 40, 0 },
	{ "cache_map_max", CT_SIZE, O(cache_map_max), "1G", 1ULL << 20,
	    1ULL << 40, 0 },
	/* Expired policies are kept for "cache show", then swept. */
	{ "cache_expired_keep", CT_DURATION, O(cache_expired_keep), "7d",
	    3600000, 366 * MS_DAY, 1 },
	{ "txt_recheck_interval", CT_DURATION, O(txt_recheck_interval), "1h",
	    60000, MS_DAY, 1 },
	{ "enforce_testing", CT_BOOL, O(enforce_testing), "no", 0, 0, 1 },
	{ "dane", CT_BOOL, O(dane), "yes", 0, 0, 1 },
	{ "dane_probe_name", CT_STRING, O(dane_probe_name), ".", 0, 0, 1 },
	/* Reply profiles: each targets one Postfix version (reply.h). */
	{ "postfix_version", CT_VERSION, O(postfix_version), "3.4",
	    REPLY_PF_SOCKETMAP, REPLY_PF_MAX, 1 },
	{ "postfix_enforce_testing", CT_BOOL, O(postfix_enforce_testing),
	    "no", 0, 0, 1 },
	{ "postfix_list_policies", CT_BOOL, O(postfix_list_policies), "yes",
	    0, 0, 1 },
	{ "postfix_tlsrpt_version", CT_VERSION, O(postfix_tlsrpt_version),
	    "3.10", REPLY_PF_TLSRPT, REPLY_PF_MAX, 1 },
	{ "postfix_tlsrpt_enforce_testing", CT_BOOL,
	    O(postfix_tlsrpt_enforce_testing), "no", 0, 0, 1 },
	{ "postfix_tlsrpt_list_policies", CT_BOOL,
	    O(postfix_tlsrpt_list_policies), "yes", 0, 0, 1 },
	/* The STARTTLS Policy List; EFF's README: update at least every
	 * 48 h (docs/DESIGN.md §List). */
	{ "starttls_list", CT_BOOL, O(starttls_list), "yes", 0, 0, 0 },
	/* No URL by default: EFF's can only serve the list that expired
	 * in 2020; a fleet sets its own (docs/fleet.md). */
	{ "starttls_list_url", CT_STRING, O(starttls_list_url), "", 0, 0, 1 },
	{ "starttls_list_interval", CT_DURATION, O(starttls_list_interval),
	    "12h", 60000, 2 * MS_DAY, 1 },
	{ "starttls_list_bundle", CT_STRING, O(starttls_list_bundle),
	    MTASTSD_DATADIR "/policy.json", 0, 0, 0 },
	{ "starttls_list_keyring", CT_STRING, O(starttls_list_keyring),
	    MTASTSD_DATADIR "/starttls-policy-authority.gpg", 0, 0, 0 },
	{ "starttls_list_fingerprint", CT_STRING,
	    O(starttls_list_fingerprint),
	    "B693F33372E965D76D55368616EEA65D03326C9D", 0, 0, 0 },
	{ "starttls_list_enforce_testing", CT_BOOL,
	    O(starttls_list_enforce_testing), "no", 0, 0, 1 },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

#define FIELD(c, o, type) ((type *)(void *)((char *)(c) + (o)->offset))

/* range_why: "out of range (MIN to MAX)" for o, in its units. */
static const char *
range_why(const struct conf_option *o, char *buf, size_t size)
{
	char lo[32], hi[32];

	switch (o->type) {
	case CT_DURATION:
		snprintf(buf, size, "out of range (%s to %s)",
		    cfgsyn_format_ms(o->min, lo, sizeof(lo)),
		    cfgsyn_format_ms(o->max, hi, sizeof(hi)));
		break;
	case CT_SIZE:
		snprintf(buf, size, "out of range (%" PRIu64 "M to %" PRIu64
		    "M)", o->min >> 20, o->max >> 20);
		break;
	case CT_MODE:
		snprintf(buf, size, "out of range (at most 0%" PRIo64 ")",
		    o->max);
		break;
	default:
		snprintf(buf, size, "out of range (%" PRIu64 " to %" PRIu64
		    ")", o->min, o->max);
		break;
	}
	return buf;
}

/* parse_typed: val as o's type into *v (numbers) or *i (flags). */
static const char *
parse_typed(const struct conf_option *o, const char *val, uint64_t *v,
    int *i)
{
	const char *rest;
	unsigned u;

	switch (o->type) {
	case CT_BOOL:
		return cfgsyn_bool(val, i) == -1 ? "expected yes or no" : NULL;
	case CT_LEVEL:
		return (*i = log_level_parse(val)) == -1 ?
		    "expected err, warn, info or debug" : NULL;
	case CT_COUNT:
		return cfgsyn_count(val, v) == -1 ?
		    "expected a whole number" : NULL;
	case CT_DURATION:
		return cfgsyn_duration(val, v) == -1 ? "expected a duration "
		    "such as 500ms, 30s, 5m, 1h or 2d" : NULL;
	case CT_SIZE:
		return cfgsyn_size(val, v) == -1 ?
		    "expected a size such as 4096, 64K, 16M or 1G" : NULL;
	case CT_MODE:
		return cfgsyn_mode(val, v) == -1 ?
		    "expected an octal mode such as 0660" : NULL;
	case CT_VERSION:
		if (reply_version_parse(val, &u, &rest) == -1 || *rest != '\0')
			return "expected a Postfix version such as 3.7 or "
			    "3.10.5";
		*v = u;
		return NULL;
	default:
		return NULL;
	}
}

/*
 * set_value: parse val for option o into c.  Returns 0, or -1 with a
 * reason in why (static, or in buf[0..size)).
 */
static int
set_value(struct conf *c, const struct conf_option *o, const char *val,
    const char **why, char *buf, size_t size)
{
	uint64_t v = 0;
	int i = 0;
	char *s;

	if (o->type == CT_STRING) {
		if ((s = strdup(val)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		free(*FIELD(c, o, char *));
		*FIELD(c, o, char *) = s;
		return 0;
	}
	if ((*why = parse_typed(o, val, &v, &i)) != NULL)
		return -1;
	if (o->type == CT_VERSION && (v < o->min || v > o->max)) {
		/* The versions that can read what the profile writes. */
		*why = o->min == REPLY_PF_TLSRPT ? "the TLSRPT attributes need "
		    "Postfix 3.10 or later" : "socketmap needs Postfix 2.10 "
		    "or later";
		return -1;
	}
	if ((o->type == CT_COUNT || o->type == CT_DURATION ||
	    o->type == CT_SIZE || o->type == CT_MODE) &&
	    ((o->type != CT_MODE && v < o->min) || v > o->max)) {
		*why = range_why(o, buf, size);
		return -1;
	}
	switch (o->type) {
	case CT_BOOL:
	case CT_LEVEL:
		*FIELD(c, o, int) = i;
		break;
	case CT_COUNT:
	case CT_MODE:
	case CT_VERSION:
		*FIELD(c, o, unsigned) = (unsigned)v;
		break;
	case CT_DURATION:
		*FIELD(c, o, int64_t) = (int64_t)v;
		break;
	default:
		*FIELD(c, o, uint64_t) = v;
		break;
	}
	return 0;
}

static const struct conf_option *
find_option(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

/* defaults: a struct conf with every option at its default value. */
static struct conf *
defaults(void)
{
	char buf[CONF_WHY_MAX];
	const char *why;
	struct conf *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	for (i = 0; i < NOPTIONS; i++)
		if (set_value(c, &options[i], options[i].dflt, &why, buf,
		    sizeof(buf)) == -1) {
			conf_free(c);
			return NULL;
		}
	return c;
}

/* fpr_ok: 40 or 64 hex digits, spaces between groups allowed. */
static int
fpr_ok(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (!isxdigit((unsigned char)*s))
			return 0;
		n++;
	}
	return n == 40 || n == 64;
}

/* url_ok: "" or "https://" and printable ASCII, as listupd.c wants. */
static int
url_ok(const char *s)
{
	if (*s == '\0')
		return 1;
	if (strncmp(s, "https://", 8) != 0 || strlen(s) > 512)
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return 0;
	return 1;
}

/* check_list: the STARTTLS list options. */
static const char *
check_list(const struct conf *c)
{
	if (!url_ok(c->starttls_list_url))
		return "starttls_list_url must be empty or an https:// URL "
		    "without spaces (at most 512 bytes)";
	if (!fpr_ok(c->starttls_list_fingerprint))
		return "starttls_list_fingerprint must be 40 or 64 hex digits";
	/* The daemon runs in "/" after detaching: relative paths would
	 * name other files. */
	if (c->starttls_list_keyring[0] != '/')
		return "starttls_list_keyring must be an absolute path";
	if (c->starttls_list_bundle[0] != '\0' &&
	    c->starttls_list_bundle[0] != '/')
		return "starttls_list_bundle must be empty or an absolute path";
	return NULL;
}

/* check: cross-option rules, after every option is known. */
static const char *
check(const struct conf *c)
{
	if (c->cache_map_size > c->cache_map_max)
		return "cache_map_size is larger than cache_map_max";
	if (c->socket[0] != '/')
		return "socket must be an absolute path";
	if (c->state_dir[0] != '/')
		return "state_dir must be an absolute path";
	return check_list(c);
}

/*
 * parse_option: one "name = value" of the file; `seen` marks options
 * already set.  0, or -1 with the message in err.
 */
static int
parse_option(struct conf *c, const char *file, unsigned lineno,
    const char *name, const char *val, unsigned char *seen, char *err,
    size_t errsize)
{
	const struct conf_option *o;
	char buf[CONF_WHY_MAX];
	const char *why;

	if ((o = find_option(name)) == NULL) {
		cfgsyn_error(err, errsize, file, lineno, name, NULL,
		    "unknown option");
		return -1;
	}
	if (seen[o - options]) {
		cfgsyn_error(err, errsize, file, lineno, name, NULL,
		    "set twice");
		return -1;
	}
	seen[o - options] = 1;
	if (set_value(c, o, val, &why, buf, sizeof(buf)) == -1) {
		cfgsyn_error(err, errsize, file, lineno, name, val, why);
		return -1;
	}
	return 0;
}

struct conf *
conf_parse_string(const char *name, const char *text, char *err,
    size_t errsize)
{
	unsigned char seen[NOPTIONS] = { 0 };
	struct cfgsyn_lines it;
	const char *key, *val, *why;
	struct conf *c;
	int r;

	if ((c = defaults()) == NULL) {
		snprintf(err, errsize, "%s: out of memory", name);
		return NULL;
	}
	cfgsyn_begin(&it, text, strlen(text));
	while ((r = cfgsyn_next(&it, &key, &val, &why)) == 1)
		if (parse_option(c, name, it.lineno, key, val, seen, err,
		    errsize) == -1)
			goto fail;
	if (r == -1)
		cfgsyn_error(err, errsize, name, it.lineno, NULL, NULL, why);
	else if ((why = check(c)) != NULL)
		cfgsyn_error(err, errsize, name, 0, NULL, NULL, why);
	else
		return c;
fail:
	conf_free(c);
	return NULL;
}

struct conf *
conf_load(const char *path, char *err, size_t errsize)
{
	static char text[64 * 1024];
	size_t n;
	FILE *fp;

	if (path == NULL)
		return conf_parse_string("(defaults)", "", err, errsize);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = fread(text, 1, sizeof(text) - 1, fp);
	if (ferror(fp) || !feof(fp)) {
		snprintf(err, errsize, "%s: %s", path, ferror(fp) ?
		    "read error" : "file larger than 64 KiB");
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	text[n] = '\0';
	if (strlen(text) != n) {
		snprintf(err, errsize, "%s: NUL byte in file", path);
		return NULL;
	}
	return conf_parse_string(path, text, err, errsize);
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NOPTIONS; i++)
		if (options[i].type == CT_STRING)
			free(*FIELD(c, &options[i], char *));
	free(c);
}

/* format_value: option o of c as the file syntax would write it. */
static void
format_value(const struct conf *c, const struct conf_option *o, FILE *fp)
{
	const struct conf *cc = c;
	char buf[REPLY_PF_STRLEN];
	uint64_t v;

	switch (o->type) {
	case CT_STRING:
		fputs(*FIELD(cc, o, char *), fp);
		break;
	case CT_BOOL:
		fputs(*FIELD(cc, o, int) ? "yes" : "no", fp);
		break;
	case CT_LEVEL:
		fputs(log_level_str(*FIELD(cc, o, int)), fp);
		break;
	case CT_COUNT:
		fprintf(fp, "%u", *FIELD(cc, o, unsigned));
		break;
	case CT_MODE:
		fprintf(fp, "0%o", *FIELD(cc, o, unsigned));
		break;
	case CT_VERSION:
		fputs(reply_version_format(*FIELD(cc, o, unsigned), buf,
		    sizeof(buf)), fp);
		break;
	case CT_DURATION:
		v = (uint64_t)*FIELD(cc, o, int64_t);
		if (v % 1000 == 0)
			fprintf(fp, "%" PRIu64 "s", v / 1000);
		else
			fprintf(fp, "%" PRIu64 "ms", v);
		break;
	case CT_SIZE:
		fprintf(fp, "%" PRIu64, *FIELD(cc, o, uint64_t));
		break;
	}
}

void
conf_dump(const struct conf *c, FILE *fp)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		fprintf(fp, "%s = ", options[i].name);
		format_value(c, &options[i], fp);
		fputc('\n', fp);
	}
}

/* same_value: whether option o is equal in a and b. */
static int
same_value(const struct conf *a, const struct conf *b,
    const struct conf_option *o)
{
	switch (o->type) {
	case CT_STRING:
		return strcmp(*FIELD(a, o, char *), *FIELD(b, o, char *)) == 0;
	case CT_BOOL:
	case CT_LEVEL:
		return *FIELD(a, o, int) == *FIELD(b, o, int);
	case CT_COUNT:
	case CT_MODE:
	case CT_VERSION:
		return *FIELD(a, o, unsigned) == *FIELD(b, o, unsigned);
	case CT_DURATION:
		return *FIELD(a, o, int64_t) == *FIELD(b, o, int64_t);
	case CT_SIZE:
		return *FIELD(a, o, uint64_t) == *FIELD(b, o, uint64_t);
	}
	return 0;
}

void
conf_reload_check(const struct conf *old, struct conf *new,
    void (*warn)(const char *))
{
	const struct conf_option *o;
	size_t i;
	char *s;

	for (i = 0; i < NOPTIONS; i++) {
		o = &options[i];
		if (o->reload || same_value(old, new, o))
			continue;
		warn(o->name);
		if (o->type == CT_STRING) {
			/* strdup failure keeps the new value: logged above. */
			if ((s = strdup(*FIELD(old, o, char *))) != NULL) {
				free(*FIELD(new, o, char *));
				*FIELD(new, o, char *) = s;
			}
		} else
			memcpy((char *)new + o->offset,
			    (const char *)old + o->offset,
			    o->type == CT_DURATION || o->type == CT_SIZE ?
			    8 : sizeof(int));
	}
}

const char *
conf_option_name(size_t i)
{
	return i < NOPTIONS ? options[i].name : NULL;
}

/* The reply profiles, by socketmap map name (mtastsd.conf(5) PROFILES). */
static const char *const profile_names[] = { "postfix", "postfix-tlsrpt" };

int
conf_profile(const struct conf *c, const char *name, size_t len,
    struct reply_profile *out)
{
	int tlsrpt;

	if (len == strlen(profile_names[0]) &&
	    memcmp(name, profile_names[0], len) == 0)
		tlsrpt = 0;
	else if (len == strlen(profile_names[1]) &&
	    memcmp(name, profile_names[1], len) == 0)
		tlsrpt = 1;
	else
		return -1;
	out->tlsrpt = tlsrpt;
	out->version = tlsrpt ? c->postfix_tlsrpt_version : c->postfix_version;
	out->enforce_testing = c->enforce_testing || (tlsrpt ?
	    c->postfix_tlsrpt_enforce_testing : c->postfix_enforce_testing);
	out->list_policies = tlsrpt ? c->postfix_tlsrpt_list_policies :
	    c->postfix_list_policies;
	return 0;
}

const char *
conf_profile_name(size_t i)
{
	return i < sizeof(profile_names) / sizeof(profile_names[0]) ?
	    profile_names[i] : NULL;
}
