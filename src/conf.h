/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * conf.h: mtastsd's configuration: one option table (conf.c) drives
 * parsing, validation, defaults, "mtastsd -n" and the man page test.
 *
 * File syntax (mtastsd.conf(5)): one "name = value" per line; blank
 * lines and lines whose first non-blank character is "#" are ignored.
 * Names are lower case; values run to the end of the line, surrounding
 * blanks removed.  An unknown name, a repeated name or a value out of
 * range rejects the whole file with "file:line: name = "value":
 * reason" (cfgsyn.h, the syntax table-mtasts.conf shares), so a typo
 * can never silently fall back to a default.
 *
 * Value types: string; boolean (yes/no); count (decimal, bounded);
 * duration (a number with an optional unit ms, s, m, h, d; no unit
 * means seconds; stored in milliseconds); size (a number with an
 * optional K, M or G, powers of 1024; stored in bytes); mode (octal);
 * version (a Postfix version such as 3.10.5, stored as REPLY_PF()).
 *
 * A struct conf is immutable once conf_load() returns: modules get the
 * fields they need at creation time and never read a global
 * (docs/DESIGN.md §Configuration).  SIGHUP builds a new struct conf and
 * swaps it in only if it loaded cleanly; options marked not reloadable
 * keep their old value (conf_reload_check() names them).
 */
#ifndef CONF_H
#define CONF_H

#include <stdint.h>
#include <stdio.h>

struct reply_profile;

/* Longest line and value accepted in the file. */
#define CONF_LINE_MAX 1024

struct conf {
	/* process and sockets */
	char		*user;
	char		*socket;
	char		*socket_owner;
	char		*socket_group;
	unsigned	 socket_mode;
	char		*listen_tcp;
	int		 listen_tcp_json;	/* JSON reads over TCP */
	char		*admin_group;
	char		*metrics_listen;	/* "": no metrics endpoint */
	char		*pidfile;
	char		*state_dir;
	int		 log_level;
	int		 log_lookups;		/* a line per answer */
	/* clients */
	unsigned	 max_connections;
	unsigned	 max_connections_per_user;
	int64_t		 client_idle_timeout;	/* ms */
	int64_t		 client_request_timeout; /* ms */
	int64_t		 socketmap_idle_timeout; /* ms */
	unsigned	 max_pending;
	unsigned	 max_pending_json;
	unsigned	 max_pending_per_user;
	int64_t		 lookup_timeout;	/* ms */
	/* discovery */
	char		*dns_servers;
	int64_t		 dns_timeout;		/* ms */
	unsigned	 dns_tries;
	int64_t		 connect_timeout;	/* ms */
	int64_t		 fetch_timeout;		/* ms */
	unsigned	 max_fetches;
	char		*ca_file;
	/* cache */
	uint64_t	 cache_map_size;
	uint64_t	 cache_map_max;
	uint64_t	 cache_expired_keep;	/* ms, expired policies */
	int64_t		 txt_recheck_interval;	/* ms */
	/* answers */
	int		 enforce_testing;	/* in every profile */
	int		 dane;			/* DANE first (Postfix) */
	char		*dane_probe_name;	/* resolver check, "." */
	/* reply profiles, by socketmap map name (reply.h, sockmap.h) */
	unsigned	 postfix_version;	/* "postfix": REPLY_PF() */
	int		 postfix_enforce_testing;
	int		 postfix_list_policies;
	unsigned	 postfix_tlsrpt_version; /* "postfix-tlsrpt" */
	int		 postfix_tlsrpt_enforce_testing;
	int		 postfix_tlsrpt_list_policies;
	/* STARTTLS Policy List (src/listupd.h) */
	int		 starttls_list;
	char		*starttls_list_url;		/* "": no updates */
	int64_t		 starttls_list_interval;	/* ms */
	char		*starttls_list_bundle;		/* "": none */
	char		*starttls_list_keyring;
	char		*starttls_list_fingerprint;
	int		 starttls_list_enforce_testing;
};

/*
 * conf_load: read path (NULL: defaults only) into a new struct conf.
 * Returns NULL with a message in err[0..errsize) on any error.
 * The result is freed with conf_free().
 */
struct conf	*conf_load(const char *path, char *err, size_t errsize);
void		 conf_free(struct conf *);

/*
 * conf_parse_string: as conf_load(), from text in memory; `name` is
 * used in messages.  For tests.
 */
struct conf	*conf_parse_string(const char *name, const char *text,
		    char *err, size_t errsize);

/* conf_dump: print every option as "name = value" ("mtastsd -n"). */
void		 conf_dump(const struct conf *, FILE *);

/*
 * conf_reload_check: after a reload, for each option that cannot change
 * without a restart and differs between old and new, copy the old
 * value into new and call warn(name) so the caller can log it.
 */
void		 conf_reload_check(const struct conf *old, struct conf *new,
		    void (*warn)(const char *name));

/* conf_option_name: the i-th option's name, NULL past the end (docs test). */
const char	*conf_option_name(size_t i);

/*
 * conf_profile: the reply profile (reply.h) that the socketmap map name
 * name[0..len) selects: "postfix" or "postfix-tlsrpt", with the global
 * enforce_testing folded in.  Returns 0, or -1 for any other name.
 */
int		 conf_profile(const struct conf *, const char *name,
		    size_t len, struct reply_profile *out);

/* conf_profile_name: the i-th profile's map name, NULL past the end. */
const char	*conf_profile_name(size_t i);

#endif /* CONF_H */
