/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cache.c: the LMDB store: environment, short transactions, map growth.
 *
 * Design notes (the interface and the durability choice are in
 * cache.h):
 *
 * - Reads reuse one read transaction handle (MDB_NOTLS ties the reader
 *   slot to it rather than to the thread), so a lookup does not malloc.
 *   Its snapshot is kept between reads (rtxn_live): renewing it costs a
 *   meta read and, per sub-database, a lookup of the database's name in
 *   the main tree, about as much as the get itself.  A kept snapshot is
 *   reused only while it is the newest one (mdb_env_info's last txnid,
 *   so a read-only opener sees the daemon's commits at its next read),
 *   and it is reset before each of our writes, so it never holds back
 *   the page reuse of a write (a long-lived reader would grow the file).
 * - Before mdb_env_set_mapsize() the reusable read handle is freed:
 *   LMDB requires that no transaction of this process be active, and a
 *   fresh handle after the remap costs one allocation, once.
 * - Writes run a caller-supplied callback in a fresh write transaction
 *   (struct cache_txn, sticky first error), so a MDB_MAP_FULL anywhere
 *   in it (put or commit) can be answered with "abort, grow, run again"
 *   without the caller seeing it (Postfix's slmdb does the same).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "record.h"

#if MDB_VERSION_FULL < MDB_VERINT(0, 9, 17)
#error "LMDB 0.9.17 or later is needed (robust mutexes, mdb_reader_check, mdb_txn_id)"
#endif

/* Least room a sweep may use beyond map_max (cache_reserve). */
#define CACHE_RESERVE_MIN	(1024 * 1024)

/* Sub-databases the environment has room for (CACHE_DB_COUNT used). */
#define CACHE_MAXDBS		8

static const char *const cache_db_names[CACHE_DB_COUNT] = {
	"policy", "negative", "list", "meta", "dane"
};

/*
 * The sync thread (cache_sync_start): it only ever calls fdatasync on
 * the data file's descriptor, under no lock; the mutex guards the
 * request flags and the last result.
 */
struct cache_syncer {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 started;
	int		 want;		/* a flush is asked for */
	int		 stop;		/* cache_close: finish and exit */
	int		 fd;		/* the data file */
	int		 last_errno;	/* of the last finished flush */
};

struct cache {
	MDB_env		*env;
	struct cache_syncer sync;
	MDB_dbi		 dbi[CACHE_DB_COUNT];
	int		 have_dbi[CACHE_DB_COUNT]; /* 0: absent (ro) */
	MDB_txn		*rtxn;		/* reusable read txn or NULL */
	int		 rtxn_live;	/* rtxn holds a snapshot */
	size_t		 map_max;
	int		 readonly;
	int		 opened;	/* mdb_env_open succeeded */
};

/* A write transaction with a sticky first error (Knot's txn->ret). */
struct cache_txn {
	struct cache		*c;
	MDB_txn			*txn;
	int			 rc;	/* first LMDB/errno code, or 0 */
	enum cache_result	 res;	/* first failure, or CACHE_OK */
	const char		*why;
};

static enum cache_result cache_fail(const char **, enum cache_result,
			    const char *);
static enum cache_result cache_mdb_fail(const char **, int);
static const char	*cache_check_dir(const char *, int);
static const char	*cache_check_key(const char *, MDB_val *);
static int		 cache_open_dbs(struct cache *);
static enum cache_result cache_open_kind(int);
static void		*cache_sync_main(void *);
static void		 cache_sync_stop(struct cache *);
static void		 cache_rtxn_drop(struct cache *);
static void		 cache_rtxn_release(struct cache *);
static int		 cache_read_begin(struct cache *, MDB_txn **);
static int		 cache_recover(struct cache *, int);
static int		 cache_begin(struct cache *, int, MDB_txn **);
static int		 cache_grow(struct cache *, size_t);
static enum cache_result cache_write_to(struct cache *, size_t,
			    cache_write_cb, void *, const char **);
static void		 cache_run(struct cache *, struct cache_txn *,
			    cache_write_cb, void *);
static int		 cache_txn_ok(struct cache_txn *, enum cache_db,
			    const char *, MDB_val *);
static void		 cache_txn_set(struct cache_txn *, enum cache_result,
			    int, const char *);
static enum cache_result cache_get_len(struct cache *, enum cache_db,
			    const char *, void *, size_t, size_t *,
			    const char **);

static enum cache_result
cache_fail(const char **err, enum cache_result res, const char *why)
{
	if (err != NULL)
		*err = why;
	return res;
}

/* MDB_MAP_FULL is the one LMDB error with its own result. */
static enum cache_result
cache_mdb_fail(const char **err, int rc)
{
	return cache_fail(err, rc == MDB_MAP_FULL ? CACHE_FULL : CACHE_ERROR,
	    mdb_strerror(rc));
}

/*
 * The directory must be ours alone: a cache others can write could
 * plant a policy (or remove one, a downgrade).  Only the last component
 * is created, never its parents.
 */
static const char *
cache_check_dir(const char *dir, int readonly)
{
	struct stat st;

	if (dir == NULL || *dir == '\0')
		return "empty cache directory name";
	if (stat(dir, &st) == -1) {
		if (errno != ENOENT || readonly)
			return strerror(errno);
		if (mkdir(dir, 0700) == -1 || stat(dir, &st) == -1)
			return strerror(errno);
	}
	if (!S_ISDIR(st.st_mode))
		return "cache path is not a directory";
	if ((st.st_mode & 077) != 0)
		return "cache directory is open to group or others "
		    "(mode must be 0700)";
	if (!readonly && st.st_uid != geteuid())
		return "cache directory is not owned by this user";
	return NULL;
}

/* Keys are C strings of 1..CACHE_KEY_MAX bytes, stored without NUL. */
static const char *
cache_check_key(const char *key, MDB_val *k)
{
	size_t n;

	if (key == NULL || (n = strlen(key)) == 0)
		return "empty key";
	if (n > CACHE_KEY_MAX)
		return "key too long";
	k->mv_data = (void *)(uintptr_t)key;
	k->mv_size = n;
	return NULL;
}

static int
cache_open_dbs(struct cache *c)
{
	MDB_txn *txn;
	int i, rc;

	if ((rc = mdb_txn_begin(c->env, NULL, c->readonly ? MDB_RDONLY : 0,
	    &txn)) != 0)
		return rc;
	for (i = 0; i < CACHE_DB_COUNT; i++) {
		rc = mdb_dbi_open(txn, cache_db_names[i],
		    c->readonly ? 0 : MDB_CREATE, &c->dbi[i]);
		/* Read-only and never created: reads as empty. */
		if (rc == MDB_NOTFOUND && c->readonly)
			continue;
		if (rc != 0) {
			mdb_txn_abort(txn);
			return rc;
		}
		c->have_dbi[i] = 1;
	}
	/* Committing (also a read txn) makes the handles usable later. */
	return mdb_txn_commit(txn);
}

/*
 * Which open failures mean "the file is damaged" (move it aside) rather
 * than "cannot open it here" (permissions, space, a version of LMDB
 * that does not match: a person must act, nothing is set aside).
 */
static enum cache_result
cache_open_kind(int rc)
{
	switch (rc) {
	case MDB_INVALID:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		return CACHE_CORRUPT;
	default:
		return rc == EINVAL ? CACHE_INVALID : CACHE_ERROR;
	}
}

struct cache *
cache_open(const char *dir, size_t map_size, size_t map_max, int readonly,
    const char **err)
{
	return cache_open_res(dir, map_size, map_max, readonly, NULL, err);
}

struct cache *
cache_open_res(const char *dir, size_t map_size, size_t map_max,
    int readonly, enum cache_result *res, const char **err)
{
	struct cache *c = NULL;
	unsigned flags = MDB_NOTLS | (readonly ? MDB_RDONLY : MDB_NOSYNC);
	const char *why;
	int rc;

	if (res != NULL)
		*res = CACHE_INVALID;
	if (map_size == 0 || map_max < map_size) {
		cache_fail(err, CACHE_INVALID, "need 0 < map_size <= map_max");
		return NULL;
	}
	if (res != NULL)
		*res = CACHE_ERROR;
	if ((why = cache_check_dir(dir, readonly)) != NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		cache_fail(err, CACHE_ERROR, why ? why : strerror(errno));
		return NULL;
	}
	c->map_max = map_max;
	c->readonly = readonly != 0;
	if ((rc = mdb_env_create(&c->env)) != 0)
		goto done;
	if ((rc = mdb_env_set_maxdbs(c->env, CACHE_MAXDBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(c->env, map_size)) != 0 ||
	    (rc = mdb_env_open(c->env, dir, flags, 0600)) != 0)
		goto done;
	c->opened = 1;
	/* Free reader slots of processes that died (kill -9). */
	mdb_reader_check(c->env, NULL);
	rc = cache_open_dbs(c);
done:
	if (rc != 0) {
		if (res != NULL)
			*res = cache_open_kind(rc);
		cache_mdb_fail(err, rc);
		cache_close(c);
		return NULL;
	}
	return c;
}

int
cache_set_aside(const char *dir, const char *tag, char *path, size_t size,
    const char **err)
{
	char from[4096], to[4096], lock[4096];
	const char *t;

	for (t = tag; t != NULL && *t != '\0'; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		    (*t >= '0' && *t <= '9') || *t == '-'))
			break;
	if (tag == NULL || *tag == '\0' || *t != '\0') {
		cache_fail(err, CACHE_INVALID, "bad tag");
		return -1;
	}
	if ((size_t)snprintf(from, sizeof(from), "%s/data.mdb", dir) >=
	    sizeof(from) ||
	    (size_t)snprintf(to, sizeof(to), "%s/data.mdb.damaged-%s", dir,
	    tag) >= sizeof(to) ||
	    (size_t)snprintf(lock, sizeof(lock), "%s/lock.mdb", dir) >=
	    sizeof(lock)) {
		cache_fail(err, CACHE_INVALID, "cache directory name too long");
		return -1;
	}
	/* Never over an earlier damaged file: that one may matter too. */
	if (access(to, F_OK) == 0) {
		cache_fail(err, CACHE_ERROR, "a set-aside file of that name "
		    "exists");
		return -1;
	}
	if (rename(from, to) == -1 ||
	    (unlink(lock) == -1 && errno != ENOENT)) {
		cache_fail(err, CACHE_ERROR, strerror(errno));
		return -1;
	}
	if (path != NULL && size > 0)
		snprintf(path, size, "%s", to);
	return 0;
}

void
cache_close(struct cache *c)
{
	if (c == NULL)
		return;
	cache_sync_stop(c);
	cache_rtxn_drop(c);
	if (c->env != NULL) {
		if (c->opened && !c->readonly)
			(void)mdb_env_sync(c->env, 1);	/* best effort */
		mdb_env_close(c->env);
	}
	free(c);
}

static void
cache_rtxn_drop(struct cache *c)
{
	if (c->rtxn != NULL)
		mdb_txn_abort(c->rtxn);
	c->rtxn = NULL;
	c->rtxn_live = 0;
}

/* Give up the kept snapshot (the handle and its reader slot stay). */
static void
cache_rtxn_release(struct cache *c)
{
	if (c->rtxn_live)
		mdb_txn_reset(c->rtxn);
	c->rtxn_live = 0;
}

/* The read txn: the kept snapshot while it is the newest, else renewed. */
static int
cache_read_begin(struct cache *c, MDB_txn **txn)
{
	MDB_envinfo info;
	int rc;

	if (c->rtxn_live) {
		if (mdb_env_info(c->env, &info) == 0 &&
		    info.me_last_txnid == mdb_txn_id(c->rtxn)) {
			*txn = c->rtxn;
			return 0;
		}
		cache_rtxn_release(c);
	}
	if ((rc = cache_begin(c, 0, txn)) == 0)
		c->rtxn_live = 1;
	return rc;
}

/*
 * Handle a recoverable error from beginning a transaction.  Returns 0
 * when the caller should retry, else the error to report.
 */
static int
cache_recover(struct cache *c, int rc)
{
	switch (rc) {
	case MDB_READERS_FULL:
		/* Slots of dead readers (kill -9) are reclaimable. */
		return mdb_reader_check(c->env, NULL);
	case MDB_MAP_RESIZED:
		/* Another process grew the map: adopt its size. */
		cache_rtxn_drop(c);
		return mdb_env_set_mapsize(c->env, 0);
	default:
		return rc;
	}
}

/*
 * Begin a read (reusing c->rtxn) or write transaction, retrying once
 * per recoverable error.  A read txn is never aborted by its user: it
 * stays c->rtxn (see cache_read_begin).
 */
static int
cache_begin(struct cache *c, int write, MDB_txn **txn)
{
	int rc = 0, tries;

	for (tries = 0; tries < 3; tries++) {
		if (write)
			rc = mdb_txn_begin(c->env, NULL, 0, txn);
		else if (c->rtxn != NULL) {
			if ((rc = mdb_txn_renew(c->rtxn)) != 0)
				cache_rtxn_drop(c);
		} else
			rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &c->rtxn);
		if (rc == 0) {
			if (!write)
				*txn = c->rtxn;
			return 0;
		}
		if (!write)
			c->rtxn = NULL;	/* nothing to free */
		if (cache_recover(c, rc) != 0)
			return rc;
	}
	return rc;
}

/*
 * The room a sweep may use beyond map_max.  LMDB's copy-on-write means
 * a delete needs free pages too, so a map that is exactly full could
 * never be emptied; deletes (cache_sweep) may therefore grow the map
 * this much past map_max, once, which keeps every full cache sweepable.
 */
static size_t
cache_reserve(const struct cache *c)
{
	size_t r = c->map_max / 64;

	return r > CACHE_RESERVE_MIN ? r : CACHE_RESERVE_MIN;
}

/* Double the map, up to ceiling.  Returns 0 if it grew. */
static int
cache_grow(struct cache *c, size_t ceiling)
{
	MDB_envinfo info;
	size_t cur, want;

	if (mdb_env_info(c->env, &info) != 0)
		return -1;
	cur = info.me_mapsize;
	if (cur >= ceiling)
		return -1;
	want = cur > ceiling / 2 ? ceiling : cur * 2;
	cache_rtxn_drop(c);	/* no transaction may be active */
	return mdb_env_set_mapsize(c->env, want) == 0 ? 0 : -1;
}

/* One attempt of a write: begin, callback, commit or abort. */
static void
cache_run(struct cache *c, struct cache_txn *t, cache_write_cb cb,
    void *arg)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->c = c;
	cache_rtxn_release(c);	/* let the write reuse every free page */
	if ((rc = cache_begin(c, 1, &t->txn)) != 0) {
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
		return;
	}
	cb(t, arg);
	if (t->res != CACHE_OK)
		mdb_txn_abort(t->txn);
	else if ((rc = mdb_txn_commit(t->txn)) != 0)
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
	t->txn = NULL;
}

/* cache_write, growing the map up to ceiling. */
static enum cache_result
cache_write_to(struct cache *c, size_t ceiling, cache_write_cb cb, void *arg,
    const char **err)
{
	struct cache_txn t;
	int grown;

	if (c->readonly)
		return cache_fail(err, CACHE_INVALID, "cache is read-only");
	for (grown = 0;; grown++) {
		cache_run(c, &t, cb, arg);
		if (t.rc != MDB_MAP_FULL || grown >= CACHE_GROW_TRIES ||
		    cache_grow(c, ceiling) != 0)
			break;
	}
	return cache_fail(err, t.res, t.why);
}

enum cache_result
cache_write(struct cache *c, cache_write_cb cb, void *arg, const char **err)
{
	return cache_write_to(c, c->map_max, cb, arg, err);
}

/* Record the first failure only (sticky); later ones are consequences. */
static void
cache_txn_set(struct cache_txn *t, enum cache_result res, int rc,
    const char *why)
{
	if (t->res != CACHE_OK)
		return;
	t->rc = rc;
	t->res = rc == MDB_MAP_FULL ? CACHE_FULL : res;
	t->why = why != NULL ? why : mdb_strerror(rc);
}

int
cache_txn_failed(const struct cache_txn *t)
{
	return t->res != CACHE_OK;
}

/* Common checks of a txn operation; fills *k.  Returns 1 to go on. */
static int
cache_txn_ok(struct cache_txn *t, enum cache_db db, const char *key,
    MDB_val *k)
{
	const char *why;

	if (t->res != CACHE_OK)
		return 0;
	if ((unsigned)db >= CACHE_DB_COUNT) {
		cache_txn_set(t, CACHE_INVALID, EINVAL, "no such database");
		return 0;
	}
	if ((why = cache_check_key(key, k)) != NULL) {
		cache_txn_set(t, CACHE_INVALID, EINVAL, why);
		return 0;
	}
	return 1;
}

void
cache_txn_put(struct cache_txn *t, enum cache_db db, const char *key,
    const void *val, size_t len)
{
	MDB_val k, v;
	int rc;

	if (!cache_txn_ok(t, db, key, &k))
		return;
	v.mv_data = (void *)(uintptr_t)val;
	v.mv_size = len;
	if ((rc = mdb_put(t->txn, t->c->dbi[db], &k, &v, 0)) != 0)
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
}

void
cache_txn_put_policy(struct cache_txn *t, const char *key,
    const struct record_policy *p)
{
	const char *why = NULL;
	MDB_val k, v;
	int rc;

	if (!cache_txn_ok(t, CACHE_DB_POLICY, key, &k))
		return;
	if ((v.mv_size = record_policy_size(p)) == 0) {
		record_policy_encode(p, NULL, 0, &why);
		cache_txn_set(t, CACHE_INVALID, EINVAL, why);
		return;
	}
	/* MDB_RESERVE: encode straight into the map, no bounce buffer. */
	if ((rc = mdb_put(t->txn, t->c->dbi[CACHE_DB_POLICY], &k, &v,
	    MDB_RESERVE)) != 0)
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
	else
		record_policy_encode(p, v.mv_data, v.mv_size, NULL);
}

void
cache_txn_put_negative(struct cache_txn *t, const char *key,
    const struct record_negative *n)
{
	const char *why = NULL;
	MDB_val k, v;
	int rc;

	if (!cache_txn_ok(t, CACHE_DB_NEGATIVE, key, &k))
		return;
	if ((v.mv_size = record_negative_size(n)) == 0) {
		record_negative_encode(n, NULL, 0, &why);
		cache_txn_set(t, CACHE_INVALID, EINVAL, why);
		return;
	}
	if ((rc = mdb_put(t->txn, t->c->dbi[CACHE_DB_NEGATIVE], &k, &v,
	    MDB_RESERVE)) != 0)
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
	else
		record_negative_encode(n, v.mv_data, v.mv_size, NULL);
}

int
cache_txn_del(struct cache_txn *t, enum cache_db db, const char *key)
{
	MDB_val k;
	int rc;

	if (!cache_txn_ok(t, db, key, &k))
		return 0;
	if ((rc = mdb_del(t->txn, t->c->dbi[db], &k, NULL)) == 0)
		return 1;
	if (rc != MDB_NOTFOUND)
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
	return 0;
}

void
cache_txn_drop(struct cache_txn *t, enum cache_db db)
{
	int i, rc;

	for (i = 0; i < CACHE_DB_COUNT && t->res == CACHE_OK; i++) {
		if (db != CACHE_DB_ALL && (int)db != i)
			continue;
		if ((rc = mdb_drop(t->txn, t->c->dbi[i], 0)) != 0)
			cache_txn_set(t, CACHE_ERROR, rc, NULL);
	}
	if (db != CACHE_DB_ALL && (unsigned)db >= CACHE_DB_COUNT)
		cache_txn_set(t, CACHE_INVALID, EINVAL, "no such database");
}

/* ---- one-shot writes, built on cache_write ---- */

struct cache_op {
	enum cache_db		 db;
	const char		*key;
	const void		*val;
	size_t			 len;
	int			 found;
};

static void
cache_op_put(struct cache_txn *t, void *arg)
{
	struct cache_op *op = arg;

	cache_txn_put(t, op->db, op->key, op->val, op->len);
}

static void
cache_op_put_policy(struct cache_txn *t, void *arg)
{
	struct cache_op *op = arg;

	cache_txn_put_policy(t, op->key, op->val);
}

static void
cache_op_put_negative(struct cache_txn *t, void *arg)
{
	struct cache_op *op = arg;

	cache_txn_put_negative(t, op->key, op->val);
}

static void
cache_op_del(struct cache_txn *t, void *arg)
{
	struct cache_op *op = arg;

	op->found = cache_txn_del(t, op->db, op->key);
}

static void
cache_op_drop(struct cache_txn *t, void *arg)
{
	struct cache_op *op = arg;

	cache_txn_drop(t, op->db);
}

enum cache_result
cache_put(struct cache *c, enum cache_db db, const char *key,
    const void *val, size_t len, const char **err)
{
	struct cache_op op = { db, key, val, len, 0 };

	return cache_write(c, cache_op_put, &op, err);
}

enum cache_result
cache_put_policy(struct cache *c, const char *key,
    const struct record_policy *p, const char **err)
{
	struct cache_op op = { CACHE_DB_POLICY, key, p, 0, 0 };

	return cache_write(c, cache_op_put_policy, &op, err);
}

enum cache_result
cache_put_negative(struct cache *c, const char *key,
    const struct record_negative *n, const char **err)
{
	struct cache_op op = { CACHE_DB_NEGATIVE, key, n, 0, 0 };

	return cache_write(c, cache_op_put_negative, &op, err);
}

enum cache_result
cache_del(struct cache *c, enum cache_db db, const char *key,
    const char **err)
{
	struct cache_op op = { db, key, NULL, 0, 0 };
	enum cache_result res;

	if ((res = cache_write(c, cache_op_del, &op, err)) != CACHE_OK)
		return res;
	return op.found ? CACHE_OK : CACHE_NOTFOUND;
}

enum cache_result
cache_flush(struct cache *c, enum cache_db db, const char **err)
{
	struct cache_op op = { db, NULL, NULL, 0, 0 };

	return cache_write(c, cache_op_drop, &op, err);
}

/* ---- reads ---- */

/* cache_get, but *len is always set when the key exists. */
static enum cache_result
cache_get_len(struct cache *c, enum cache_db db, const char *key, void *buf,
    size_t size, size_t *len, const char **err)
{
	enum cache_result res = CACHE_OK;
	const char *why;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((unsigned)db >= CACHE_DB_COUNT)
		return cache_fail(err, CACHE_INVALID, "no such database");
	if ((why = cache_check_key(key, &k)) != NULL)
		return cache_fail(err, CACHE_INVALID, why);
	if (!c->have_dbi[db])
		return CACHE_NOTFOUND;
	if ((rc = cache_read_begin(c, &txn)) != 0)
		return cache_mdb_fail(err, rc);
	rc = mdb_get(txn, c->dbi[db], &k, &v);
	if (rc == 0) {
		*len = v.mv_size;
		/* The one copy: MDB_val data dies with the transaction. */
		if (v.mv_size > size)
			res = cache_fail(err, CACHE_TOOSMALL,
			    "buffer too small");
		else if (v.mv_size > 0)
			memcpy(buf, v.mv_data, v.mv_size);
	} else if (rc == MDB_NOTFOUND)
		res = CACHE_NOTFOUND;
	else
		res = cache_mdb_fail(err, rc);
	return res;
}

enum cache_result
cache_get(struct cache *c, enum cache_db db, const char *key, void *buf,
    size_t size, size_t *len, const char **err)
{
	return cache_get_len(c, db, key, buf, size, len, err);
}

enum cache_result
cache_get_policy(struct cache *c, const char *key, void *buf, size_t size,
    struct record_policy *out, const char **err)
{
	enum cache_result res;
	const char *why;
	size_t len = 0;

	res = cache_get_len(c, CACHE_DB_POLICY, key, buf, size, &len, err);
	if (res == CACHE_TOOSMALL && len > RECORD_POLICY_MAX)
		return cache_fail(err, CACHE_CORRUPT, "record too large");
	if (res != CACHE_OK)
		return res;
	if (record_policy_decode(buf, len, out, &why) != 0)
		return cache_fail(err, record_newer(buf, len) ? CACHE_NEWER :
		    CACHE_CORRUPT, why);
	return CACHE_OK;
}

enum cache_result
cache_get_negative(struct cache *c, const char *key, void *buf, size_t size,
    struct record_negative *out, const char **err)
{
	enum cache_result res;
	const char *why;
	size_t len = 0;

	res = cache_get_len(c, CACHE_DB_NEGATIVE, key, buf, size, &len, err);
	if (res == CACHE_TOOSMALL && len > RECORD_NEGATIVE_MAX)
		return cache_fail(err, CACHE_CORRUPT, "record too large");
	if (res != CACHE_OK)
		return res;
	if (record_negative_decode(buf, len, out, &why) != 0)
		return cache_fail(err, record_newer(buf, len) ? CACHE_NEWER :
		    CACHE_CORRUPT, why);
	return CACHE_OK;
}

/* Keys we could not have written (empty, too long, with a NUL). */
static int
cache_key_bad(const MDB_val *k)
{
	return k->mv_size == 0 || k->mv_size > CACHE_KEY_MAX ||
	    memchr(k->mv_data, '\0', k->mv_size) != NULL;
}

/* Position cur at the first key > after (after "" or NULL: the first). */
static int
cache_seek(MDB_cursor *cur, const char *after, MDB_val *k, MDB_val *v)
{
	size_t n = after != NULL ? strlen(after) : 0;
	int rc;

	if (n == 0 || n > CACHE_KEY_MAX)
		return mdb_cursor_get(cur, k, v, MDB_FIRST);
	k->mv_data = (void *)(uintptr_t)after;
	k->mv_size = n;
	if ((rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE)) != 0)
		return rc;
	if (k->mv_size == n && memcmp(k->mv_data, after, n) == 0)
		rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
	return rc;
}

enum cache_result
cache_iter_from(struct cache *c, enum cache_db db, const char *after,
    cache_iter_cb cb, void *arg, const char **err)
{
	char kbuf[CACHE_KEY_MAX + 1];
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((unsigned)db >= CACHE_DB_COUNT)
		return cache_fail(err, CACHE_INVALID, "no such database");
	if (!c->have_dbi[db])
		return CACHE_OK;
	if ((rc = cache_read_begin(c, &txn)) != 0)
		return cache_mdb_fail(err, rc);
	if ((rc = mdb_cursor_open(txn, c->dbi[db], &cur)) == 0) {
		for (rc = cache_seek(cur, after, &k, &v); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (cache_key_bad(&k))
				continue;
			memcpy(kbuf, k.mv_data, k.mv_size);
			kbuf[k.mv_size] = '\0';
			if (cb(kbuf, v.mv_data, v.mv_size, arg) != 0)
				break;
		}
		mdb_cursor_close(cur);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return cache_mdb_fail(err, rc);
	return CACHE_OK;
}

enum cache_result
cache_iter(struct cache *c, enum cache_db db, cache_iter_cb cb, void *arg,
    const char **err)
{
	return cache_iter_from(c, db, NULL, cb, arg, err);
}

/* ---- sweeping ---- */

struct cache_sweep_op {
	enum cache_db	 db;
	const char	*from;		/* start key ("" = first) */
	size_t		 max;
	cache_sweep_cb	 cb;
	void		*arg;
	char		 next[CACHE_KEY_MAX + 1]; /* out: resume here */
	size_t		 visited, deleted;
};

/* Delete the record under cur if op->cb says so; 1 if deleted. */
static int
cache_sweep_one(struct cache_txn *t, struct cache_sweep_op *op,
    MDB_cursor *cur, const MDB_val *k, const MDB_val *v)
{
	char kbuf[CACHE_KEY_MAX + 1];
	int rc;

	op->visited++;
	if (cache_key_bad(k))
		return 0;	/* not ours to judge */
	memcpy(kbuf, k->mv_data, k->mv_size);
	kbuf[k->mv_size] = '\0';
	if (op->cb(op->db, kbuf, v->mv_data, v->mv_size, op->arg) == 0)
		return 0;
	if ((rc = mdb_cursor_del(cur, 0)) != 0) {
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
		return 0;
	}
	op->deleted++;
	return 1;
}

/* A cache_write callback: may run again after a map growth. */
static void
cache_sweep_txn(struct cache_txn *t, void *arg)
{
	struct cache_sweep_op *op = arg;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	op->visited = op->deleted = 0;
	op->next[0] = '\0';
	if ((rc = mdb_cursor_open(t->txn, t->c->dbi[op->db], &cur)) != 0) {
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
		return;
	}
	k.mv_data = (void *)(uintptr_t)op->from;
	k.mv_size = strlen(op->from);
	rc = mdb_cursor_get(cur, &k, &v, k.mv_size > 0 ? MDB_SET_RANGE :
	    MDB_FIRST);
	while (rc == 0 && t->res == CACHE_OK) {
		if (op->visited >= op->max) {
			/* The resume point: the first record not visited. */
			if (!cache_key_bad(&k)) {
				memcpy(op->next, k.mv_data, k.mv_size);
				op->next[k.mv_size] = '\0';
				break;
			}
		} else
			(void)cache_sweep_one(t, op, cur, &k, &v);
		/* After mdb_cursor_del, MDB_NEXT gives the record that
		 * followed the deleted one (LMDB's C_DEL), not the one
		 * after it. */
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		cache_txn_set(t, CACHE_ERROR, rc, NULL);
	mdb_cursor_close(cur);
}

enum cache_result
cache_sweep(struct cache *c, enum cache_db db, char *from, size_t max,
    cache_sweep_cb cb, void *arg, size_t *visited, size_t *deleted,
    const char **err)
{
	struct cache_sweep_op op;
	enum cache_result res;

	if ((unsigned)db >= CACHE_DB_COUNT || max == 0 || from == NULL ||
	    strlen(from) > CACHE_KEY_MAX)
		return cache_fail(err, CACHE_INVALID, "bad sweep arguments");
	memset(&op, 0, sizeof(op));
	op.db = db;
	op.from = from;
	op.max = max;
	op.cb = cb;
	op.arg = arg;
	/* One more growth step than a put gets: into the reserve. */
	if ((res = cache_write_to(c, c->map_max + cache_reserve(c),
	    cache_sweep_txn, &op, err)) != CACHE_OK)
		return res;
	memcpy(from, op.next, strlen(op.next) + 1);
	if (visited != NULL)
		*visited = op.visited;
	if (deleted != NULL)
		*deleted = op.deleted;
	return CACHE_OK;
}

/* ---- misc ---- */

enum cache_result
cache_sync(struct cache *c, const char **err)
{
	int rc;

	if (c->readonly)
		return CACHE_OK;
	if ((rc = mdb_env_sync(c->env, 1)) != 0)
		return cache_mdb_fail(err, rc);
	return CACHE_OK;
}

static void *
cache_sync_main(void *arg)
{
	struct cache_syncer *s = arg;
	int e;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->want && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->want)
			break;		/* stop, nothing left to flush */
		s->want = 0;
		pthread_mutex_unlock(&s->mu);
		/* mdb_env_sync(env, 1) without MDB_WRITEMAP, minus its
		 * read of the meta page (the map may be remapped). */
		e = fdatasync(s->fd) == -1 ? errno : 0;
		pthread_mutex_lock(&s->mu);
		s->last_errno = e;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Start the thread: 0, or an errno value. */
static int
cache_sync_init(struct cache *c)
{
	struct cache_syncer *s = &c->sync;
	sigset_t all, old;
	int rc;

	if (mdb_env_get_fd(c->env, &s->fd) != 0)
		return EBADF;
	if ((rc = pthread_mutex_init(&s->mu, NULL)) != 0)
		return rc;
	if ((rc = pthread_cond_init(&s->cv, NULL)) != 0) {
		pthread_mutex_destroy(&s->mu);
		return rc;
	}
	/* Signals are the event loop's business, never this thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, cache_sync_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		return rc;
	}
	s->started = 1;
	return 0;
}

enum cache_result
cache_sync_start(struct cache *c, const char **err)
{
	struct cache_syncer *s = &c->sync;
	int rc, e;

	if (c->readonly)
		return CACHE_OK;
	if (!s->started && (rc = cache_sync_init(c)) != 0)
		return cache_fail(err, CACHE_ERROR, strerror(rc));
	pthread_mutex_lock(&s->mu);
	e = s->last_errno;
	s->want = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return e != 0 ? cache_fail(err, CACHE_ERROR, strerror(e)) : CACHE_OK;
}

/* Let a running flush finish, then join the thread. */
static void
cache_sync_stop(struct cache *c)
{
	struct cache_syncer *s = &c->sync;

	if (!s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	s->want = 0;	/* cache_close syncs itself, in this thread */
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	s->started = 0;
}

enum cache_result
cache_stat(struct cache *c, struct cache_stat *st, const char **err)
{
	MDB_envinfo info;
	MDB_stat ms;
	MDB_txn *txn;
	size_t pages = 2, psize;	/* the two meta pages */
	int i, rc;

	memset(st, 0, sizeof(*st));
	st->map_max = c->map_max;
	if ((rc = mdb_env_info(c->env, &info)) != 0 ||
	    (rc = cache_read_begin(c, &txn)) != 0)
		return cache_mdb_fail(err, rc);
	/* dbi 0 is LMDB's free list, 1 the main tree (names of sub-dbs). */
	for (i = 0; i < 2; i++) {
		if ((rc = mdb_stat(txn, (MDB_dbi)i, &ms)) != 0)
			return cache_mdb_fail(err, rc);
		pages += ms.ms_branch_pages + ms.ms_leaf_pages +
		    ms.ms_overflow_pages;
	}
	psize = ms.ms_psize;
	for (i = 0; i < CACHE_DB_COUNT; i++) {
		if (!c->have_dbi[i])
			continue;
		if ((rc = mdb_stat(txn, c->dbi[i], &ms)) != 0)
			return cache_mdb_fail(err, rc);
		st->entries[i] = ms.ms_entries;
		pages += ms.ms_branch_pages + ms.ms_leaf_pages +
		    ms.ms_overflow_pages;
	}
	st->used = pages * psize;
	st->file = ((size_t)info.me_last_pgno + 1) * psize;
	st->map_size = info.me_mapsize;
	return CACHE_OK;
}

size_t
cache_map_size(const struct cache *c)
{
	MDB_envinfo info;

	if (mdb_env_info(c->env, &info) != 0)
		return 0;
	return info.me_mapsize;
}

const char *
cache_result_str(enum cache_result r)
{
	static const char *const names[] = {
		"ok", "not-found", "too-small", "corrupt", "full", "invalid",
		"error", "newer"
	};

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[r];
}
