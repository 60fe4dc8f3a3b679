/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * danerec.h: versioned encoding of a domain's cached DANE state, the
 * value of the "dane" sub-database (store/cache.h): the verdict of the
 * last DANE check (resolver/dane.h), why, when it was made, until when
 * it may be answered, and each MX host's TLSA status for operators.
 *
 * Pure module: no I/O, no clock, no allocation, no global state.
 * Decoding never writes to the buffer and never allocates: the strings
 * of the decoded struct point into it (each stored with its NUL).
 *
 * Format, integers little-endian, read byte by byte:
 *   u8 version (1 or 2), u8 kind 'D', u8 verdict, u8 mx,
 *   i64 checked_at, i64 expires_at, u32 ttl,
 *   version 1: u8 why_len, why, NUL; version 2: u8 why_code (1..255),
 *   u8 nhosts, nhosts times (u8 tlsa, u8 name_len, name, NUL)
 * Version 2 keeps the reason as the resolver's code of it (resolver/
 * dane.h dane_why_code()) instead of its text: with 10,000 domains the
 * "dane" db's pages count against the daemon's memory.  The encoder
 * writes version 2 when why_code is not 0 (why must then be NULL or
 * ""), version 1 otherwise; both are read.
 * The value must end exactly after the last field; anything else
 * (another version or kind, a verdict, mx or tlsa status outside its
 * enum, more than DANEREC_HOSTS_MAX hosts, a string over its limit or
 * with a byte outside its alphabet, a missing NUL, trailing bytes) is
 * refused with a static reason: a miss, never a crash (so is a
 * version-2 record with why_code 0).  An unknown version is another mtastsd's record, not ours to read.
 *
 * Alphabets: why is 0..DANEREC_WHY_MAX printable ASCII bytes
 * (0x20-0x7e); a host name 1..253 bytes of letters, digits, '-', '_'
 * and '.'.  The enum values are stored, so they never change meaning.
 */
#ifndef DANEREC_H
#define DANEREC_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define DANEREC_VERSION		2	/* newest: a reason code */
#define DANEREC_VERSION_1	1	/* the reason's text; still read */
#define DANEREC_HOSTS_MAX	8
#define DANEREC_NAME_MAX	253
#define DANEREC_WHY_MAX		127
#define DANEREC_FIXED		24
#define DANEREC_MAX (DANEREC_FIXED + 1 + DANEREC_WHY_MAX + 1 + 1 + \
	DANEREC_HOSTS_MAX * (2 + DANEREC_NAME_MAX + 1))

/* Our own enums: store/ does not include resolver/ (same order). */
enum danerec_verdict {
	DANEREC_NO = 0,		/* DANE does not apply */
	DANEREC_DANE = 1,	/* Postfix "dane" */
	DANEREC_ONLY = 2,	/* Postfix "dane-only" */
	DANEREC_TEMP = 3	/* DNSSEC lookups failed: defer */
};
#define DANEREC_NVERDICTS	4
#define DANEREC_NMX		3	/* secure, insecure, fail */
#define DANEREC_NTLSA		5	/* usable ... fail */

struct danerec_host {
	uint8_t		 tlsa;		/* resolver/dane.h enum dane_tlsa */
	const char	*name;
};

struct danerec {
	enum danerec_verdict verdict;
	uint8_t		 mx;		/* resolver/dane.h enum dane_dns */
	int64_t		 checked_at;	/* unix time of the check */
	int64_t		 expires_at;	/* answered while now < this */
	uint32_t	 ttl;		/* lowest DNS TTL seen, 0: none */
	const char	*why;		/* may be NULL for encode (= "");
					 * "" after decoding version 2 */
	uint8_t		 why_code;	/* version 2; 0: the text above */
	size_t		 nhosts;
	struct danerec_host host[DANEREC_HOSTS_MAX];
};

/*
 * danerec_encode: write `r` into buf[0..size).  Returns the length, or
 * -1 with *why (may be NULL) set to a static reason ("buffer too
 * small", or what breaks a limit).
 */
ssize_t danerec_encode(const struct danerec *r, void *buf, size_t size,
    const char **why);

/*
 * danerec_decode: decode buf[0..len) into *out (strings point into
 * buf).  Returns 0, or -1 with *why (may be NULL) set.
 */
int danerec_decode(const void *buf, size_t len, struct danerec *out,
    const char **why);

/*
 * danerec_newer: 1 if the len bytes at buf are a DANE record of a newer
 * format than this build writes: "not mine", like record_newer(), so
 * never deleted or swept, only replaced by a fresh check.
 */
int danerec_newer(const void *buf, size_t len);

#endif /* DANEREC_H */
