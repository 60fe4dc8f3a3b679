/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_danerec.c: unit tests for the cached DANE state's codec
 * (store/danerec.c): a round trip, the exact bytes of a small record,
 * every cut of a valid record refused, and each rule of danerec.h
 * broken once, on encode and on decode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "danerec.h"
#include "tap.h"

static struct danerec
sample(void)
{
	struct danerec r;

	memset(&r, 0, sizeof(r));
	r.verdict = DANEREC_ONLY;
	r.mx = 0;
	r.checked_at = 1700000000;
	r.expires_at = 1700000300;
	r.ttl = 300;
	r.why = "every MX host has usable TLSA records";
	r.nhosts = 2;
	r.host[0].tlsa = 0;
	r.host[0].name = "mx1.example.sec";
	r.host[1].tlsa = 2;
	r.host[1].name = "mx2.example.sec";
	return r;
}

/* Decode from a heap copy of exactly `len` bytes (ASan guards it). */
static int
decode(const uint8_t *buf, size_t len, struct danerec *out, uint8_t **keep,
    const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, buf, len);
	rc = danerec_decode(copy, len, out, why);
	*keep = copy;
	return rc;
}

static void
test_roundtrip(void)
{
	static const uint8_t small[] = {
		1, 'D', 3, 2,
		1, 0, 0, 0, 0, 0, 0, 0,
		2, 0, 0, 0, 0, 0, 0, 0,
		60, 0, 0, 0,
		1, 'x', 0,
		1, 4, 1, 'a', 0
	};
	struct danerec r = sample(), d, s;
	uint8_t buf[DANEREC_MAX], again[DANEREC_MAX], *copy;
	const char *why;
	ssize_t n, m;
	size_t i;

	n = danerec_encode(&r, buf, sizeof(buf), &why);
	tap_ok(n > 0 && why == NULL, "encode: %zd bytes", n);
	tap_is_int(decode(buf, (size_t)n, &d, &copy, &why), 0, "decode");
	tap_ok(d.verdict == DANEREC_ONLY && d.mx == 0 &&
	    d.checked_at == 1700000000 && d.expires_at == 1700000300 &&
	    d.ttl == 300, "decode: numbers");
	tap_is_str(d.why, r.why, "decode: why");
	tap_ok(d.nhosts == 2 && d.host[1].tlsa == 2 &&
	    strcmp(d.host[0].name, "mx1.example.sec") == 0 &&
	    strcmp(d.host[1].name, "mx2.example.sec") == 0, "decode: hosts");
	m = danerec_encode(&d, again, sizeof(again), NULL);
	tap_ok(m == n && memcmp(buf, again, (size_t)n) == 0,
	    "decode then encode gives the same bytes");
	free(copy);

	memset(&s, 0, sizeof(s));
	s.verdict = DANEREC_TEMP;
	s.mx = 2;
	s.checked_at = 1;
	s.expires_at = 2;
	s.ttl = 60;
	s.why = "x";
	s.nhosts = 1;
	s.host[0].tlsa = 4;
	s.host[0].name = "a";
	n = danerec_encode(&s, buf, sizeof(buf), NULL);
	tap_ok(n == (ssize_t)sizeof(small) && memcmp(buf, small, sizeof(small))
	    == 0, "encode: the exact bytes of a small record");
	tap_is_int(danerec_encode(&s, buf, sizeof(small) - 1, &why), -1,
	    "encode: one byte short");
	tap_is_str(why, "buffer too small", "encode: short reason");

	s.why = NULL;
	s.nhosts = 0;
	n = danerec_encode(&s, buf, sizeof(buf), NULL);
	tap_is_int(decode(buf, (size_t)n, &d, &copy, NULL), 0,
	    "NULL why, no hosts: round trip");
	tap_ok(d.why != NULL && d.why[0] == '\0' && d.nhosts == 0,
	    "NULL why decodes as \"\"");
	free(copy);

	n = danerec_encode(&r, buf, sizeof(buf), NULL);
	for (i = 0; i < (size_t)n; i++) {
		if (decode(buf, i, &d, &copy, &why) == 0 || why == NULL) {
			free(copy);
			break;
		}
		free(copy);
	}
	tap_is_int((intmax_t)i, (intmax_t)n, "every cut of a record is "
	    "refused");
	buf[n] = 0;
	tap_is_int(decode(buf, (size_t)n + 1, &d, &copy, &why), -1,
	    "trailing byte refused");
	tap_is_str(why, "trailing bytes", "trailing reason");
	free(copy);
}

/* Version 2: the reason as a code, not text. */
static void
test_code(void)
{
	static const uint8_t small[] = {
		2, 'D', 3, 2,
		1, 0, 0, 0, 0, 0, 0, 0,
		2, 0, 0, 0, 0, 0, 0, 0,
		60, 0, 0, 0,
		9,
		1, 4, 1, 'a', 0
	};
	struct danerec r = sample(), d;
	uint8_t buf[DANEREC_MAX], again[DANEREC_MAX], *copy;
	const char *why;
	ssize_t n, m, n1;

	n1 = danerec_encode(&r, buf, sizeof(buf), NULL);
	r.why = NULL;
	r.why_code = 9;
	n = danerec_encode(&r, buf, sizeof(buf), &why);
	tap_ok(n > 0 && buf[0] == 2 && n == n1 - (ssize_t)strlen(sample().why)
	    - 1, "code: version 2, the text's bytes saved");
	tap_ok(decode(buf, (size_t)n, &d, &copy, &why) == 0 &&
	    d.why_code == 9 && d.why != NULL && d.why[0] == '\0' &&
	    d.nhosts == 2 && strcmp(d.host[1].name, "mx2.example.sec") == 0,
	    "code: decodes with its code, no text, the hosts");
	m = danerec_encode(&d, again, sizeof(again), NULL);
	tap_ok(m == n && memcmp(buf, again, (size_t)n) == 0,
	    "code: decode then encode gives the same bytes");
	free(copy);
	buf[DANEREC_FIXED] = 0;
	tap_ok(decode(buf, (size_t)n, &d, &copy, &why) == -1 &&
	    strcmp(why, "version 2 without a reason code") == 0,
	    "code: version 2 with code 0 is refused");
	free(copy);
	r.why = "x";
	tap_ok(danerec_encode(&r, buf, sizeof(buf), &why) == -1 &&
	    strcmp(why, "reason given as text and code") == 0,
	    "code: text and code at once refused");
	memset(&r, 0, sizeof(r));
	r.verdict = DANEREC_TEMP;
	r.mx = 2;
	r.checked_at = 1;
	r.expires_at = 2;
	r.ttl = 60;
	r.why_code = 9;
	r.nhosts = 1;
	r.host[0].tlsa = 4;
	r.host[0].name = "a";
	n = danerec_encode(&r, buf, sizeof(buf), NULL);
	tap_ok(n == (ssize_t)sizeof(small) && memcmp(buf, small,
	    sizeof(small)) == 0, "code: the exact bytes of a small record");
}

struct bad_byte {
	const char	*name;
	size_t		 off;
	uint8_t		 val;
	const char	*why;
};

static void
test_decode_bad(void)
{
	struct danerec r = sample(), d;
	uint8_t buf[DANEREC_MAX], *copy;
	const char *why;
	ssize_t n = danerec_encode(&r, buf, sizeof(buf), NULL);
	size_t hosts = DANEREC_FIXED + 1 + strlen(r.why) + 1;
	const struct bad_byte cases[] = {
		{ "version 3", 0, 3, "unknown version" },
		{ "version 0", 0, 0, "unknown version" },
		{ "kind P", 1, 'P', "not a DANE record" },
		{ "verdict 4", 2, 4, "unknown verdict" },
		{ "mx 3", 3, 3, "unknown MX status" },
		{ "why with a control byte", DANEREC_FIXED + 2, 0x07,
		    "reason too long or not printable" },
		{ "why without its NUL", DANEREC_FIXED + 1 + strlen(r.why),
		    'x', "truncated record" },
		{ "9 hosts", hosts, 9, "too many hosts" },
		{ "tlsa 5", hosts + 1, 5, "unknown TLSA status" },
		{ "host name with '*'", hosts + 3, '*', "bad host name" },
		{ "host name of length 0 (its NUL missing)", hosts + 2, 0,
		    "truncated record" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t save = buf[cases[i].off];
		int rc;

		buf[cases[i].off] = cases[i].val;
		rc = decode(buf, (size_t)n, &d, &copy, &why);
		tap_ok(rc == -1 && why != NULL && strcmp(why, cases[i].why) ==
		    0, "decode %s: got %s, want %s", cases[i].name,
		    why ? why : "ok", cases[i].why);
		free(copy);
		buf[cases[i].off] = save;
	}
	tap_is_int(danerec_decode(NULL, 0, &d, &why), -1, "decode NULL");
}

static void
test_encode_bad(void)
{
	struct danerec r;
	uint8_t buf[DANEREC_MAX];
	const char *why;
	char longwhy[DANEREC_WHY_MAX + 2];

	r = sample();
	r.verdict = (enum danerec_verdict)4;
	tap_ok(danerec_encode(&r, buf, sizeof(buf), &why) == -1 &&
	    strcmp(why, "unknown verdict") == 0, "encode: verdict 4");
	r = sample();
	memset(longwhy, 'a', sizeof(longwhy) - 1);
	longwhy[sizeof(longwhy) - 1] = '\0';
	r.why = longwhy;
	tap_ok(danerec_encode(&r, buf, sizeof(buf), &why) == -1,
	    "encode: why of %d bytes", DANEREC_WHY_MAX + 1);
	longwhy[DANEREC_WHY_MAX] = '\0';
	tap_ok(danerec_encode(&r, buf, sizeof(buf), NULL) > 0,
	    "encode: why of %d bytes", DANEREC_WHY_MAX);
	r = sample();
	r.nhosts = DANEREC_HOSTS_MAX + 1;
	tap_ok(danerec_encode(&r, buf, sizeof(buf), &why) == -1 &&
	    strcmp(why, "too many hosts") == 0, "encode: too many hosts");
	r = sample();
	r.host[1].name = NULL;
	tap_ok(danerec_encode(&r, buf, sizeof(buf), &why) == -1 &&
	    strcmp(why, "bad host name") == 0, "encode: NULL host name");
	r = sample();
	r.host[0].tlsa = 5;
	tap_ok(danerec_encode(&r, buf, sizeof(buf), &why) == -1 &&
	    strcmp(why, "unknown TLSA status") == 0, "encode: tlsa 5");
}

/* A newer format is "not mine": told apart from a damaged record. */
static void
test_newer(void)
{
	struct danerec r = sample();
	uint8_t buf[DANEREC_MAX];
	ssize_t n = danerec_encode(&r, buf, sizeof(buf), NULL);

	tap_ok(n > 0 && !danerec_newer(buf, (size_t)n), "newer: ours is not");
	buf[0] = DANEREC_VERSION_1;
	tap_ok(!danerec_newer(buf, (size_t)n), "newer: version 1 is not");
	buf[0] = 0;
	tap_ok(!danerec_newer(buf, (size_t)n), "newer: version 0 is not");
	buf[0] = DANEREC_VERSION + 1;
	tap_ok(danerec_newer(buf, (size_t)n), "newer: version %d is",
	    DANEREC_VERSION + 1);
	buf[0] = 0xff;
	tap_ok(danerec_newer(buf, 1), "newer: version 255, one byte");
	tap_ok(!danerec_newer(buf, 0), "newer: empty is not");
}

int
main(void)
{
	test_roundtrip();
	test_code();
	test_decode_bad();
	test_encode_bad();
	test_newer();
	return tap_done();
}
