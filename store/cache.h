/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * cache.h: the LMDB store of mtastsd (docs/DESIGN.md §Cache).
 *
 * Purpose: one LMDB environment in a directory, with named
 * sub-databases keyed by normalised domain name (lowercase A-labels, no
 * trailing dot; the caller normalises, this module only bounds the key):
 *   "policy"    cached MTA-STS policies   (store/record.h record_policy)
 *   "negative"  negative entries          (store/record.h record_negative)
 *   "list"      the STARTTLS Policy List's entries  (resolver/liststore.h)
 *   "meta"      the STARTTLS Policy List's metadata and raw files
 *   "dane"      the last DANE check of a domain (store/danerec.h)
 * The environment is opened with room for 8 sub-databases.
 *
 * Ownership and threading: struct cache is opaque and owned by the
 * caller (cache_open / cache_close).  Loop thread only: one struct cache
 * per process, opened AFTER any fork() and never used in a child.  The
 * CLI may open the same directory read-only while the daemon runs.
 * The one other thread is the cache's own sync thread
 * (cache_sync_start), which only calls fdatasync on the data file.
 *
 * Write transactions never outlive a call.  Reads share one read
 * transaction (MDB_NOTLS) whose snapshot is kept between calls while no
 * newer commit exists (ours or another process's) and is reset before
 * each of our writes, so a cached lookup neither allocates nor renews a
 * transaction, and no data read is older than the last commit:
 * cache_get_policy() copies the value once into the caller's buffer and
 * decodes it there.
 * Writes go through cache_write(), whose transaction object keeps the
 * first error (sticky, as Knot's txn->ret): the callback runs a series
 * of puts/dels with no checks, and the result is checked once.
 *
 * Recoverable LMDB conditions are handled here, not reported:
 *   MDB_MAP_FULL      abort, double the map (mdb_env_set_mapsize) up to
 *                     map_max, run the write again; at most
 *                     CACHE_GROW_TRIES times per call; CACHE_FULL after.
 *                     A delete needs free pages too (copy-on-write), so
 *                     cache_sweep alone may grow the map past map_max,
 *                     by map_max / 64 (at least 1 MiB): a full cache
 *                     can always be swept.
 *   MDB_READERS_FULL  mdb_reader_check() (frees slots of dead
 *                     processes), then one retry.
 *   MDB_MAP_RESIZED   another process grew the map: adopt its size
 *                     (mdb_env_set_mapsize(env, 0)), then one retry.
 * Nothing here exits or aborts; every failure is a result.
 *
 * Durability (the choice, and why): the environment is opened with
 * MDB_NOSYNC | MDB_NOTLS and without MDB_WRITEMAP.  The requirement is
 * "after kill -9 at any moment, every committed write is there and the
 * environment opens cleanly".  Without MDB_WRITEMAP a commit writes its
 * pages and then the new meta page with write(2); once
 * mdb_txn_commit() returns they are in the kernel's page cache, which
 * survives the death of the process, and LMDB's copy-on-write pages and
 * meta-page switch mean a process killed mid-commit leaves the previous
 * commit intact.  The writer lock is a robust mutex and stale reader
 * slots are cleared (mdb_reader_check) at open, so a killed process
 * blocks nothing.  No fsync per commit keeps blocking disk flushes off
 * the event loop (docs/DESIGN.md §Event loop): writes happen on every
 * discovery, TXT re-check and negative result.
 * Trade-off: on power loss or an OS crash, commits since the last
 * cache_sync() may be lost, and LMDB warns that with MDB_NOSYNC the file
 * can then be inconsistent if the file system reorders writes.  The
 * daemon calls cache_sync_start() from a timer (every 30 s; the flush
 * runs on the sync thread, off the event loop) and cache_close() syncs
 * at shutdown; a cache that LMDB reports damaged at open
 * (cache_open_res: CACHE_CORRUPT) is set aside (cache_set_aside) and
 * the daemon starts empty: it is a cache, every entry can be fetched
 * again (docs/mtastsd.8 says why).  MDB_NOMETASYNC (one fdatasync per
 * commit, integrity kept on power loss) was the alternative; it buys
 * crash-consistency the requirement does not ask for at the price of a
 * blocking flush per write.
 *
 * Directory: must exist with mode 0700 (no group/other bits) or is
 * created with mode 0700 (parents are never created); a read-write open
 * also requires it to be owned by the effective user.  Files are
 * created with mode 0600.
 *
 * Errors: functions that can fail take `const char **err` (may be NULL),
 * set to a static English reason on any result but CACHE_OK and
 * CACHE_NOTFOUND (LMDB's mdb_strerror() text, or a reason from this
 * module or from record.h for CACHE_CORRUPT / CACHE_INVALID).
 */
#ifndef CACHE_H
#define CACHE_H

#include <stddef.h>

struct cache;
struct cache_txn;
struct record_policy;
struct record_negative;

/* Longest key: a domain name is at most 253 octets (RFC 1035). */
#define CACHE_KEY_MAX		255

/* Map growth steps (each doubling) per call before CACHE_FULL. */
#define CACHE_GROW_TRIES	4

enum cache_db {
	CACHE_DB_ALL = -1,		/* cache_flush() only: every sub-db */
	CACHE_DB_POLICY = 0,		/* "policy" */
	CACHE_DB_NEGATIVE = 1,		/* "negative" */
	CACHE_DB_LIST = 2,		/* "list": STARTTLS list entries */
	CACHE_DB_META = 3,		/* "meta": STARTTLS list metadata */
	CACHE_DB_DANE = 4		/* "dane": store/danerec.h */
};
#define CACHE_DB_COUNT		5

enum cache_result {
	CACHE_OK = 0,		/* done; gets: found and copied */
	CACHE_NOTFOUND,		/* no such key (get, del) */
	CACHE_TOOSMALL,		/* get: buffer too small, *len: need */
	CACHE_CORRUPT,		/* value does not decode: log, miss */
	CACHE_FULL,		/* the map reached map_max */
	CACHE_INVALID,		/* caller error: bad key, unencodable
				 * record, write on a read-only cache */
	CACHE_ERROR,		/* LMDB or system error */
	CACHE_NEWER		/* record of a newer format (record.h
				 * record_newer): not ours, a miss that
				 * must not be deleted */
};

/*
 * cache_open: open (read-write: create) the environment in `dir`.
 * map_size is the initial map size in bytes, map_max the ceiling for
 * growth (0 < map_size <= map_max; LMDB rounds to pages, and keeps a
 * larger size if the file already needs it).  readonly != 0 opens with
 * MDB_RDONLY (the CLI): writes then give CACHE_INVALID, and a missing
 * sub-database reads as empty.  Returns the handle (free with
 * cache_close), or NULL with *err set.
 */
struct cache *cache_open(const char *dir, size_t map_size, size_t map_max,
    int readonly, const char **err);

/*
 * cache_open_res: cache_open, and on failure *res (may be NULL) says
 * what kind: CACHE_CORRUPT when LMDB reports the environment damaged
 * (MDB_INVALID: no valid meta page; MDB_CORRUPTED, MDB_PAGE_NOTFOUND:
 * a tree points to a page that is not one, as after a power loss with
 * MDB_NOSYNC on a file system that reorders writes), else CACHE_ERROR
 * or CACHE_INVALID (permissions, ownership, no space, arguments...).
 */
struct cache *cache_open_res(const char *dir, size_t map_size,
    size_t map_max, int readonly, enum cache_result *res, const char **err);

/*
 * cache_set_aside: rename the damaged data file dir/data.mdb to
 * dir/data.mdb.damaged-<tag> (tag: e.g. a UTC timestamp; letters,
 * digits, '-' only) and remove dir/lock.mdb, so that the next
 * cache_open starts an empty cache and the old file stays for a
 * person to inspect (mdb_dump -a may recover part of it).  The
 * environment must not be open in this process.  On success the new
 * name is copied to path[0..size).  Returns 0, or -1 with *err set.
 */
int cache_set_aside(const char *dir, const char *tag, char *path,
    size_t size, const char **err);

/* cache_close: sync (read-write), close, free.  NULL is a no-op. */
void cache_close(struct cache *c);

/*
 * cache_get: copy the value of `key` (a C string, 1..CACHE_KEY_MAX
 * bytes) in sub-db `db` into buf[0..size).  CACHE_OK: *len = its
 * length.  CACHE_TOOSMALL: nothing copied, *len = the length needed.
 * CACHE_NOTFOUND, CACHE_INVALID (bad key or db), CACHE_ERROR.
 */
enum cache_result cache_get(struct cache *c, enum cache_db db,
    const char *key, void *buf, size_t size, size_t *len, const char **err);

/*
 * cache_get_policy: the hot path.  Copies the "policy" value of `key`
 * into buf[0..size) (RECORD_POLICY_MAX bytes always suffice) and
 * decodes it in place into *out, whose strings then point into `buf`
 * (valid while buf is unchanged).  CACHE_CORRUPT (with the decoder's
 * reason in *err) when the value does not decode or is larger than any
 * valid record: the caller logs it and treats it as a miss.
 * CACHE_NEWER when it is a record of a newer format (record.h): the
 * caller treats it as a miss and leaves it in place.  Otherwise as
 * cache_get().
 */
enum cache_result cache_get_policy(struct cache *c, const char *key,
    void *buf, size_t size, struct record_policy *out, const char **err);

/* cache_get_negative: the same for "negative" (RECORD_NEGATIVE_MAX). */
enum cache_result cache_get_negative(struct cache *c, const char *key,
    void *buf, size_t size, struct record_negative *out, const char **err);

/*
 * cache_put: store `len` bytes at `val` under `key` in `db`, replacing
 * any value.  cache_put_policy/_negative encode the record straight into
 * the map (no intermediate buffer); an unencodable record gives
 * CACHE_INVALID with record.h's reason.  CACHE_FULL when the map cannot
 * grow further.
 */
enum cache_result cache_put(struct cache *c, enum cache_db db,
    const char *key, const void *val, size_t len, const char **err);
enum cache_result cache_put_policy(struct cache *c, const char *key,
    const struct record_policy *p, const char **err);
enum cache_result cache_put_negative(struct cache *c, const char *key,
    const struct record_negative *n, const char **err);

/* cache_del: remove `key` from `db`; CACHE_NOTFOUND if it was absent. */
enum cache_result cache_del(struct cache *c, enum cache_db db,
    const char *key, const char **err);

/*
 * cache_iter: call cb(key, val, len, arg) for every record of `db` in
 * key order (for "mtasts cache list").  key is a NUL-terminated copy;
 * val is borrowed from LMDB and valid only during the callback (decode
 * it there with record.h or copy it).  cb returns 0 to go on, non-zero
 * to stop (still CACHE_OK).  cb must not call any cache_ function.  The
 * walk reads one snapshot and never returns to the event loop.
 */
typedef int (*cache_iter_cb)(const char *key, const void *val, size_t len,
    void *arg);
enum cache_result cache_iter(struct cache *c, enum cache_db db,
    cache_iter_cb cb, void *arg, const char **err);

/*
 * cache_iter_from: cache_iter, starting at the first key after `after`
 * (MDB_SET_RANGE: the walk resumes in O(log n) wherever the previous
 * one stopped, whatever was added or removed since); after = NULL or ""
 * starts at the first key.  Lets a caller walk a large sub-database in
 * bounded batches, each in its own short read transaction, in O(n)
 * overall ("mtasts cache list").
 */
enum cache_result cache_iter_from(struct cache *c, enum cache_db db,
    const char *after, cache_iter_cb cb, void *arg, const char **err);

/*
 * cache_sweep: one bounded batch of a walk that removes records.  In
 * one write transaction, visits at most `max` records of `db` in key
 * order from the first key >= from ("" = the first key) and deletes
 * each one for which cb(db, key, val, len, arg) returns non-zero (val
 * as in cache_iter; cb must not call any cache_ function and, since a
 * MDB_MAP_FULL makes the batch run again, must only decide).  On
 * CACHE_OK, `from` (CACHE_KEY_MAX + 1 bytes) holds the key to resume
 * at, or "" when the end of db was reached, and *visited / *deleted
 * (may be NULL) the counts.  The caller bounds the time a batch keeps
 * the writer lock (lookups, which only read, are never blocked; other
 * writes wait for the batch).
 */
typedef int (*cache_sweep_cb)(enum cache_db db, const char *key,
    const void *val, size_t len, void *arg);
enum cache_result cache_sweep(struct cache *c, enum cache_db db, char *from,
    size_t max, cache_sweep_cb cb, void *arg, size_t *visited,
    size_t *deleted, const char **err);

/*
 * cache_stat: cheap figures for logs, warnings and metrics, from the
 * current snapshot (mdb_stat per sub-db: no walk).  used counts the
 * bytes of live pages (every tree, the free list's own tree and the
 * two meta pages): the map is full when used reaches map_max, whatever
 * the file's size, since freed pages are reused.
 */
struct cache_stat {
	size_t	entries[CACHE_DB_COUNT];	/* records per sub-db */
	size_t	used;		/* bytes in live pages */
	size_t	file;		/* bytes up to the highest page used */
	size_t	map_size;	/* current map size */
	size_t	map_max;	/* growth ceiling (cache_open) */
};
enum cache_result cache_stat(struct cache *c, struct cache_stat *st,
    const char **err);

/* cache_flush: empty `db`, or every sub-db for CACHE_DB_ALL. */
enum cache_result cache_flush(struct cache *c, enum cache_db db,
    const char **err);

/*
 * cache_write: run cb(txn, arg) inside one write transaction and commit
 * it, atomically (e.g. store a policy and delete the domain's negative
 * entry).  Inside cb use only the cache_txn_ functions below; they do
 * nothing once one of them has failed, and the first failure is what
 * cache_write returns.  On MDB_MAP_FULL the transaction is aborted, the
 * map grown and cb run AGAIN from the start, so cb must only describe
 * the writes (no side effects it cannot repeat).
 */
typedef void (*cache_write_cb)(struct cache_txn *txn, void *arg);
enum cache_result cache_write(struct cache *c, cache_write_cb cb, void *arg,
    const char **err);

void cache_txn_put(struct cache_txn *t, enum cache_db db, const char *key,
    const void *val, size_t len);
void cache_txn_put_policy(struct cache_txn *t, const char *key,
    const struct record_policy *p);
void cache_txn_put_negative(struct cache_txn *t, const char *key,
    const struct record_negative *n);
/* Returns 1 if the key was there and is deleted, else 0 (absent is not
 * an error). */
int cache_txn_del(struct cache_txn *t, enum cache_db db, const char *key);
/* Empties `db` (CACHE_DB_ALL: every sub-db). */
void cache_txn_drop(struct cache_txn *t, enum cache_db db);
/* Non-zero once an operation in this transaction has failed. */
int cache_txn_failed(const struct cache_txn *t);

/*
 * cache_sync: flush committed writes to disk (mdb_env_sync, forced).
 * Blocks on the disk: at shutdown, or in tests.  A no-op (CACHE_OK) on
 * a read-only cache.
 */
enum cache_result cache_sync(struct cache *c, const char **err);

/*
 * cache_sync_start: ask the cache's sync thread (started at the first
 * call) to flush committed writes to disk, and return at once: an
 * fdatasync can take seconds on a busy disk, and the event loop that
 * answers lookups must not wait for it.  The thread touches only the
 * data file's descriptor (fdatasync(2) is exactly what mdb_env_sync
 * does without MDB_WRITEMAP), never LMDB's shared state, so it cannot
 * race with transactions or a map resize.  A request made while a
 * flush runs is merged into one more flush after it.  Returns the
 * result of the last finished flush (CACHE_OK when none yet), with its
 * reason in *err; CACHE_ERROR also when the thread cannot be started
 * (the caller may then cache_sync()).  cache_close() waits for a
 * running flush and stops the thread.
 */
enum cache_result cache_sync_start(struct cache *c, const char **err);

/* cache_map_size: the current map size in bytes (grows on demand). */
size_t cache_map_size(const struct cache *c);

/* "ok", "not-found", "too-small", "corrupt", "full", "invalid", "error". */
const char *cache_result_str(enum cache_result r);

#endif /* CACHE_H */
