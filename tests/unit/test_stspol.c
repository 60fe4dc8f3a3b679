/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_stspol.c: table-driven tests of the MTA-STS policy parser
 * (resolver/stspol.c, RFC 8461 §3.2) and of the media type check.
 *
 * Each row of `cases` is one policy body and what stspol_parse must
 * make of it: on success the mode, max_age, warning bits and mx list
 * (space-separated, in policy order); on failure the reason and line.
 * Bodies too big or too repetitive to write out (64 KiB, 129 mx lines,
 * 253-byte names) come from generator functions.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stspol.h"
#include "tap.h"

#define HDR	"version: STSv1\nmode: enforce\nmax_age: 86400\n"
#define MX1	"mx: mail.example.com\n"
#define OKPOL	HDR MX1
#define RFCEX	"version: STSv1\nmode: enforce\nmx: mail.example.com\n" \
		"mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n"
#define RFCMX	"mail.example.com *.example.net backupmx.example.com"
/* Explicit length, for bodies with an embedded NUL. */
#define BIN(s)	.text = (s), .len = sizeof(s) - 1

#define ENF	STSPOL_MODE_ENFORCE
#define TST	STSPOL_MODE_TESTING
#define W_CLAMP	STSPOL_WARN_MAX_AGE_CLAMPED
#define W_UNK	STSPOL_WARN_UNKNOWN_FIELD
#define W_NONE	STSPOL_WARN_MX_IN_NONE
#define W_DUP	STSPOL_WARN_DUPLICATE_FIELD
#define W_SHORT	STSPOL_WARN_MAX_AGE_SHORT
#define W_EOL	STSPOL_WARN_NO_FINAL_EOL
#define W_EMPTY	STSPOL_WARN_EMPTY_LINE
#define W_DOT	STSPOL_WARN_MX_TRAILING_DOT
#define W_IP	STSPOL_WARN_MX_IP_ADDRESS
#define W_LONG	STSPOL_WARN_MX_TOO_LONG

#define GENBUF	(STSPOL_MAX_SIZE + 1024)

struct pcase {
	const char	*name;
	const char	*text;		/* NULL: use gen */
	size_t		 len;		/* 0: strlen(text) */
	size_t		(*gen)(char *, size_t);
	int		 rc;		/* 0 valid, -1 invalid */
	const char	*why;		/* rc -1: exact reason */
	unsigned	 errline;	/* rc -1: line of the reason */
	enum stspol_mode mode;		/* rc 0 */
	uint32_t	 max_age;	/* rc 0 */
	unsigned	 warnings;	/* rc 0 */
	const char	*mx;		/* rc 0: joined list; NULL: skip */
	size_t		 nmx;		/* rc 0: if non-zero, number of mx */
};

/* A valid enforce policy with `count` distinct mx lines. */
static size_t
gen_mx(char *buf, size_t cap, int count)
{
	size_t n;
	int i;

	n = (size_t)snprintf(buf, cap, "%s", HDR);
	for (i = 0; i < count; i++)
		n += (size_t)snprintf(buf + n, cap - n,
		    "mx: mx%d.example.com\n", i);
	return n;
}

static size_t gen_mx128(char *b, size_t c) { return gen_mx(b, c, 128); }
static size_t gen_mx129(char *b, size_t c) { return gen_mx(b, c, 129); }

/* 3,000 short mx lines: a 48 KB body. */
static size_t
gen_mx3000(char *buf, size_t cap)
{
	size_t n;
	int i;

	n = (size_t)snprintf(buf, cap, "%s", HDR);
	for (i = 0; i < 3000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "mx: m%d.example\n", i);
	return n;
}

/*
 * The most mx lines a body can hold (§3.2 sets no limit on them; §3.3
 * suggests 64 KB for the body): HDR, then "mx:a" lines, the last one's
 * name grown to fill exactly STSPOL_MAX_SIZE bytes.
 */
static size_t
gen_fill(char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "%s", HDR);

	for (; n + 5 <= STSPOL_MAX_SIZE; n += 5)
		memcpy(buf + n, "mx:a\n", 5);
	for (; n < STSPOL_MAX_SIZE; n++) {
		buf[n - 1] = 'a';
		buf[n] = '\n';
	}
	return n;
}

/* A valid policy padded with one extension line to exactly `total`. */
static size_t
gen_size(char *buf, size_t cap, size_t total)
{
	size_t n, pad;

	n = (size_t)snprintf(buf, cap, "%s", OKPOL "x: ");
	pad = total - n - 1;
	memset(buf + n, 'a', pad);
	buf[n + pad] = '\n';
	return total;
}

static size_t gen_64k(char *b, size_t c) { return gen_size(b, c, 65536); }
static size_t gen_64k1(char *b, size_t c) { return gen_size(b, c, 65537); }

/* A policy whose only mx is `prefix` then a name of `len` bytes made
 * of 63-byte labels of 'a' (never ending in '.' for the lengths used). */
static size_t
gen_name(char *buf, size_t cap, const char *prefix, size_t len)
{
	size_t n, i;

	n = (size_t)snprintf(buf, cap, "%smx: %s", HDR, prefix);
	for (i = 0; i < len; i++)
		buf[n + i] = i % 64 == 63 ? '.' : 'a';
	buf[n + len] = '\n';
	return n + len + 1;
}

static size_t gen_n253(char *b, size_t c) { return gen_name(b, c, "", 253); }
static size_t gen_n254(char *b, size_t c) { return gen_name(b, c, "", 254); }
static size_t gen_w253(char *b, size_t c) { return gen_name(b, c, "*.", 251); }
static size_t gen_w254(char *b, size_t c) { return gen_name(b, c, "*.", 252); }
/* A policy whose only mx is one label of `len` 'a's then ".example". */
static size_t
gen_label(char *buf, size_t cap, size_t len)
{
	size_t n;

	n = (size_t)snprintf(buf, cap, "%smx: ", HDR);
	memset(buf + n, 'a', len);
	n += len;
	n += (size_t)snprintf(buf + n, cap - n, ".example\n");
	return n;
}

static size_t gen_l63(char *b, size_t c) { return gen_label(b, c, 63); }
static size_t gen_l64(char *b, size_t c) { return gen_label(b, c, 64); }

static const struct pcase cases[] = {
	/* The RFC's example and line endings. */
	{ "RFC 8461 example, LF", RFCEX, .mode = ENF, .max_age = 604800,
	  .mx = RFCMX },
	{ "RFC example, CRLF", "version: STSv1\r\nmode: enforce\r\n"
	  "mx: mail.example.com\r\nmx: *.example.net\r\n"
	  "mx: backupmx.example.com\r\nmax_age: 604800\r\n",
	  .mode = ENF, .max_age = 604800, .mx = RFCMX },
	{ "mixed LF and CRLF", "version: STSv1\r\nmode: enforce\n"
	  "mx: mail.example.com\r\nmax_age: 604800\n", .mode = ENF,
	  .max_age = 604800, .mx = "mail.example.com" },
	{ "no final line ending", "version: STSv1\nmode: enforce\n"
	  "mx: a.example\nmax_age: 604800", .mode = ENF, .max_age = 604800,
	  .warnings = W_EOL, .mx = "a.example" },
	{ "fields in another order", "max_age: 604800\nmx: a.example\n"
	  "mode: testing\nversion: STSv1\n", .mode = TST, .max_age = 604800,
	  .mx = "a.example" },
	{ "mode testing", "version: STSv1\nmode: testing\nmx: a.example\n"
	  "max_age: 86400\n", .mode = TST, .max_age = 86400, .mx = "a.example" },
	{ "mode none without mx", "version: STSv1\nmode: none\n"
	  "max_age: 86400\n", .mode = STSPOL_MODE_NONE, .max_age = 86400,
	  .mx = "" },
	{ "mode none with mx: kept, warned", "version: STSv1\nmode: none\n"
	  "mx: a.example\nmax_age: 86400\n", .max_age = 86400,
	  .warnings = W_NONE, .mx = "a.example" },

	/* Missing fields. */
	{ "empty input", "", .rc = -1, .why = "empty policy" },
	{ "only line endings", "\n\r\n", .rc = -1,
	  .why = "missing version field" },
	{ "missing version", "mode: enforce\n" MX1 "max_age: 86400\n",
	  .rc = -1, .why = "missing version field" },
	{ "missing mode", "version: STSv1\n" MX1 "max_age: 86400\n",
	  .rc = -1, .why = "missing mode field" },
	{ "missing max_age", "version: STSv1\nmode: enforce\n" MX1,
	  .rc = -1, .why = "missing max_age field" },
	{ "missing mx, enforce", HDR, .rc = -1,
	  .why = "mx required unless mode is none" },
	{ "missing mx, testing", "version: STSv1\nmode: testing\n"
	  "max_age: 86400\n", .rc = -1, .why = "mx required unless mode is none" },
	{ "Version: is an extension, so version is missing",
	  "Version: STSv1\nmode: enforce\n" MX1 "max_age: 86400\n",
	  .rc = -1, .why = "missing version field" },
	{ "MX: is an extension, so no mx", HDR "MX: a.example\n", .rc = -1,
	  .why = "mx required unless mode is none" },

	/* version and mode values. */
	{ "version STSv2", "version: STSv2\nmode: enforce\n" MX1
	  "max_age: 1\n", .rc = -1, .errline = 1,
	  .why = "invalid version (only STSv1 is supported)" },
	{ "version lowercase", "version: stsv1\n", .rc = -1, .errline = 1,
	  .why = "invalid version (only STSv1 is supported)" },
	{ "version with trailing ;", "version: STSv1;\n", .rc = -1,
	  .errline = 1, .why = "invalid version (only STSv1 is supported)" },
	{ "mode Enforce (case)", "version: STSv1\nmode: Enforce\n", .rc = -1,
	  .errline = 2, .why = "invalid mode" },
	{ "mode bogus", "version: STSv1\nmode: bogus\n", .rc = -1,
	  .errline = 2, .why = "invalid mode" },
	{ "mode empty", "version: STSv1\nmode:\n", .rc = -1, .errline = 2,
	  .why = "invalid mode" },
	{ "mode with trailing word", "version: STSv1\nmode: enforce now\n",
	  .rc = -1, .errline = 2, .why = "invalid mode" },
	{ "mode with UTF-8", "version: STSv1\nmode: enforc\xc3\xa9\n",
	  .rc = -1, .errline = 2, .why = "invalid mode" },

	/* Whitespace. */
	{ "no space after colon", "version:STSv1\nmode:enforce\n"
	  "mx:a.example\nmax_age:86400\n", .mode = ENF, .max_age = 86400,
	  .mx = "a.example" },
	{ "tabs and spaces after colon, trailing WSP",
	  "version:\tSTSv1 \t\nmode: \t enforce\t\nmx:  a.example  \r\n"
	  "max_age:\t86400\t\n", .mode = ENF, .max_age = 86400,
	  .mx = "a.example" },
	{ "space before colon", "version: STSv1\nmode : enforce\n", .rc = -1,
	  .errline = 2, .why = "whitespace before ':'" },
	{ "leading space (no folding)", "version: STSv1\n mode: enforce\n",
	  .rc = -1, .errline = 2, .why = "leading whitespace" },
	{ "blank line in the middle", "version: STSv1\n\nmode: enforce\n"
	  MX1 "max_age: 86400\n", .mode = ENF, .max_age = 86400,
	  .warnings = W_EMPTY, .mx = "mail.example.com" },
	{ "whitespace-only line", OKPOL " \t\r\n", .mode = ENF,
	  .max_age = 86400, .warnings = W_EMPTY, .mx = "mail.example.com" },
	{ "trailing blank line", OKPOL "\n", .mode = ENF, .max_age = 86400,
	  .warnings = W_EMPTY, .mx = "mail.example.com" },

	/* max_age. */
	{ "max_age 0", "version: STSv1\nmode: none\nmax_age: 0\n",
	  .max_age = 0, .warnings = W_SHORT, .mx = "" },
	{ "max_age 86399 is short", "version: STSv1\nmode: none\n"
	  "max_age: 86399\n", .max_age = 86399, .warnings = W_SHORT, .mx = "" },
	{ "max_age 31557600", "version: STSv1\nmode: none\n"
	  "max_age: 31557600\n", .max_age = 31557600, .mx = "" },
	{ "max_age 31557601 clamped", "version: STSv1\nmode: none\n"
	  "max_age: 31557601\n", .max_age = 31557600, .warnings = W_CLAMP,
	  .mx = "" },
	{ "max_age 10 digits 9999999999 clamped", "version: STSv1\n"
	  "mode: none\nmax_age: 9999999999\n", .max_age = 31557600,
	  .warnings = W_CLAMP, .mx = "" },
	{ "max_age 4294967297 (wraps in 32 bits) clamped", "version: STSv1\n"
	  "mode: none\nmax_age: 4294967297\n", .max_age = 31557600,
	  .warnings = W_CLAMP, .mx = "" },
	{ "max_age 11 digits", "version: STSv1\nmode: none\n"
	  "max_age: 99999999999\n", .rc = -1, .errline = 3,
	  .why = "max_age longer than 10 digits" },
	{ "max_age leading zeros, 10 digits", "version: STSv1\nmode: none\n"
	  "max_age: 0000604800\n", .max_age = 604800, .mx = "" },
	{ "max_age leading zeros, 11 digits", "version: STSv1\nmode: none\n"
	  "max_age: 00000604800\n", .rc = -1, .errline = 3,
	  .why = "max_age longer than 10 digits" },
	{ "max_age +1", "max_age: +1\n", .rc = -1, .errline = 1,
	  .why = "invalid max_age" },
	{ "max_age -1", "max_age: -1\n", .rc = -1, .errline = 1,
	  .why = "invalid max_age" },
	{ "max_age empty", "max_age:\n", .rc = -1, .errline = 1,
	  .why = "invalid max_age" },
	{ "max_age inner space", "max_age: 86 400\n", .rc = -1, .errline = 1,
	  .why = "invalid max_age" },
	{ "max_age 1e6", "max_age: 1e6\n", .rc = -1, .errline = 1,
	  .why = "invalid max_age" },
	{ "max_age hex", "max_age: 0x10\n", .rc = -1, .errline = 1,
	  .why = "invalid max_age" },

	/* Duplicates: first wins (§3.2). */
	{ "mode twice: first wins", "version: STSv1\nmode: testing\n"
	  "mode: enforce\n" MX1 "max_age: 86400\n", .mode = TST,
	  .max_age = 86400, .warnings = W_DUP, .mx = "mail.example.com" },
	{ "max_age twice: first wins", OKPOL "max_age: 1\n", .mode = ENF,
	  .max_age = 86400, .warnings = W_DUP, .mx = "mail.example.com" },
	{ "version twice, second bad: ignored", OKPOL "version: STSv2\n",
	  .mode = ENF, .max_age = 86400, .warnings = W_DUP,
	  .mx = "mail.example.com" },
	{ "first mode invalid, second valid", "version: STSv1\nmode: x\n"
	  "mode: enforce\n", .rc = -1, .errline = 2, .why = "invalid mode" },
	{ "duplicate with empty value", OKPOL "mode:\n", .rc = -1,
	  .errline = 5, .why = "empty value" },
	{ "mx twice: both kept", OKPOL MX1, .mode = ENF, .max_age = 86400,
	  .mx = "mail.example.com mail.example.com" },

	/* Extension fields. */
	{ "unknown field ignored", OKPOL "foo: bar baz\n", .mode = ENF,
	  .max_age = 86400, .warnings = W_UNK, .mx = "mail.example.com" },
	{ "extension name with _ - .", OKPOL "x-y.z_1: v\n", .mode = ENF,
	  .max_age = 86400, .warnings = W_UNK, .mx = "mail.example.com" },
	{ "UTF-8 in extension value", OKPOL
	  "comment: caf\xc3\xa9 \xe2\x98\x83 \xf0\x9d\x84\x9e\n", .mode = ENF,
	  .max_age = 86400, .warnings = W_UNK, .mx = "mail.example.com" },
	{ "truncated UTF-8 in extension", OKPOL "c: caf\xc3\n", .rc = -1,
	  .errline = 5, .why = "invalid UTF-8 in value" },
	{ "overlong UTF-8 (C0 AF)", OKPOL "c: \xc0\xaf\n", .rc = -1,
	  .errline = 5, .why = "invalid UTF-8 in value" },
	{ "UTF-16 surrogate (ED A0 80)", OKPOL "c: \xed\xa0\x80\n", .rc = -1,
	  .errline = 5, .why = "invalid UTF-8 in value" },
	{ "above U+10FFFF (F4 90 80 80)", OKPOL "c: \xf4\x90\x80\x80\n",
	  .rc = -1, .errline = 5, .why = "invalid UTF-8 in value" },
	{ "Latin-1 byte in extension", OKPOL "c: caf\xe9!\n", .rc = -1,
	  .errline = 5, .why = "invalid UTF-8 in value" },
	{ "tab inside extension value", OKPOL "c: a\tb\n", .rc = -1,
	  .errline = 5, .why = "control character in value" },
	{ "DEL in extension value", OKPOL "c: a\x7f\n", .rc = -1,
	  .errline = 5, .why = "control character in value" },
	{ "extension with empty value", OKPOL "foo:\n", .rc = -1,
	  .errline = 5, .why = "empty value" },
	{ "extension name 32 chars", OKPOL
	  "abcdefghijklmnopqrstuvwxyz012345: v\n", .mode = ENF,
	  .max_age = 86400, .warnings = W_UNK, .mx = "mail.example.com" },
	{ "extension name 33 chars", OKPOL
	  "abcdefghijklmnopqrstuvwxyz0123456: v\n", .rc = -1, .errline = 5,
	  .why = "field name longer than 32 characters" },
	{ "extension name starting with _", OKPOL "_x: v\n", .rc = -1,
	  .errline = 5, .why = "invalid field name" },
	{ "non-ASCII field name", OKPOL "m\xc3\xb6" "de: v\n", .rc = -1,
	  .errline = 5, .why = "invalid field name" },
	{ "line without name", OKPOL ": v\n", .rc = -1, .errline = 5,
	  .why = "invalid field name" },
	{ "line without colon", OKPOL "garbage\n", .rc = -1, .errline = 5,
	  .why = "missing ':' after field name" },
	{ "HTML body", "<html><body>policy</body></html>\n", .rc = -1,
	  .errline = 1, .why = "invalid field name" },
	{ "UTF-8 BOM before version", "\xef\xbb\xbfversion: STSv1\n",
	  .rc = -1, .errline = 1, .why = "invalid field name" },

	/* mx values. */
	{ "mx uppercase is lowercased", HDR "mx: MAIL.Example.COM\n",
	  .mode = ENF, .max_age = 86400, .mx = "mail.example.com" },
	{ "mx trailing dot removed", HDR "mx: mail.example.com.\n",
	  .mode = ENF, .max_age = 86400, .warnings = W_DOT,
	  .mx = "mail.example.com" },
	{ "mx wildcard", HDR "mx: *.Example.NET\n", .mode = ENF,
	  .max_age = 86400, .mx = "*.example.net" },
	{ "mx wildcard over a TLD", HDR "mx: *.com\n", .mode = ENF,
	  .max_age = 86400, .mx = "*.com" },
	{ "mx single label", HDR "mx: localhost\n", .mode = ENF,
	  .max_age = 86400, .mx = "localhost" },
	{ "mx A-label with --", HDR "mx: xn--bcher-kva.example\n",
	  .mode = ENF, .max_age = 86400, .mx = "xn--bcher-kva.example" },
	{ "mx digits in labels", HDR "mx: 1mx.2example.com\n", .mode = ENF,
	  .max_age = 86400, .mx = "1mx.2example.com" },
	{ "mx *example.com", HDR "mx: *example.com\n", .rc = -1, .errline = 4,
	  .why = "invalid mx: '*' only as the whole first label" },
	{ "mx a.*.example.com", HDR "mx: a.*.example.com\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: '*' only as the whole first label" },
	{ "mx *", HDR "mx: *\n", .rc = -1, .errline = 4,
	  .why = "invalid mx: '*' only as the whole first label" },
	{ "mx *.", HDR "mx: *.\n", .rc = -1, .errline = 4,
	  .why = "invalid mx: '*' only as the whole first label" },
	{ "mx **.example.com", HDR "mx: **.example.com\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: '*' only as the whole first label" },
	{ "mx *.*.example.com", HDR "mx: *.*.example.com\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: '*' only as the whole first label" },
	{ "mx U-label", HDR "mx: b\xc3\xbc" "cher.example\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: non-ASCII (A-label required)" },
	{ "mx leading hyphen", HDR "mx: -mail.example.com\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: label starts or ends with '-'" },
	{ "mx trailing hyphen in label", HDR "mx: mail-.example.com\n",
	  .rc = -1, .errline = 4,
	  .why = "invalid mx: label starts or ends with '-'" },
	{ "mx empty label", HDR "mx: mail..example.com\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: empty label" },
	{ "mx leading dot", HDR "mx: .example.com\n", .rc = -1, .errline = 4,
	  .why = "invalid mx: empty label" },
	{ "mx two trailing dots", HDR "mx: example.com..\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: empty label" },
	{ "mx empty", HDR "mx:\n", .rc = -1, .errline = 4,
	  .why = "invalid mx: empty label" },
	{ "mx underscore", HDR "mx: mail_1.example.com\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: invalid character" },
	{ "mx with port", HDR "mx: mail.example.com:25\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: invalid character" },
	{ "mx two names on one line", HDR "mx: a.example b.example\n",
	  .rc = -1, .errline = 4, .why = "invalid mx: invalid character" },
	/*
	 * §3.2: sts-policy-mx-value = ["*."] Domain, RFC 5321 Domain =
	 * sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]:
	 * "192.0.2.1" is a Domain, and "Parsers MUST accept [...] policy
	 * files which are syntactically valid".  It can never name an MX
	 * host: dropped with a warning, the rest of the policy applies.
	 */
	{ "mx IPv4 address only: valid, no pattern", HDR "mx: 192.0.2.1\n",
	  .mode = ENF, .max_age = 86400, .warnings = W_IP, .mx = "" },
	{ "mx IPv4 address among names", HDR "mx: 192.0.2.25\n"
	  "mx: mail.example.com\nmx: 198.51.100.7.\n", .mode = ENF,
	  .max_age = 86400, .warnings = W_IP | W_DOT,
	  .mx = "mail.example.com" },
	{ "mx *. before an address", HDR "mx: *.192.0.2.1\n" MX1,
	  .mode = ENF, .max_age = 86400, .warnings = W_IP,
	  .mx = "mail.example.com" },
	{ "mx numeric labels, name last", HDR "mx: 25.0.2.192.example\n",
	  .mode = ENF, .max_age = 86400, .mx = "25.0.2.192.example" },
	{ "mx address in testing mode", "version: STSv1\nmode: testing\n"
	  "max_age: 86400\nmx: 192.0.2.1\n", .mode = TST, .max_age = 86400,
	  .warnings = W_IP, .mx = "" },
	{ "mx address in none mode", "version: STSv1\nmode: none\n"
	  "max_age: 86400\nmx: 192.0.2.1\n", .mode = STSPOL_MODE_NONE,
	  .max_age = 86400, .warnings = W_IP, .mx = "" },
	{ "mx address and a bad mx", HDR "mx: 192.0.2.1\nmx: a_b.example\n",
	  .rc = -1, .errline = 5, .why = "invalid mx: invalid character" },
	{ "mx address literal", HDR "mx: [192.0.2.1]\n", .rc = -1,
	  .errline = 4, .why = "invalid mx: invalid character" },
	{ "mx label 63", .gen = gen_l63, .mode = ENF, .max_age = 86400,
	  .nmx = 1 },
	/* RFC 5321's Domain has no length limit; DNS names do (RFC 1035
	 * §2.3.4), so such a value can match no MX host: dropped. */
	{ "mx label 64", .gen = gen_l64, .mode = ENF, .max_age = 86400,
	  .warnings = W_LONG, .mx = "" },
	{ "mx name 253", .gen = gen_n253, .mode = ENF, .max_age = 86400,
	  .nmx = 1 },
	{ "mx name 254", .gen = gen_n254, .mode = ENF, .max_age = 86400,
	  .warnings = W_LONG, .mx = "" },
	{ "mx *. + 251 = 253", .gen = gen_w253, .mode = ENF,
	  .max_age = 86400, .nmx = 1 },
	{ "mx *. + 252 = 254", .gen = gen_w254, .mode = ENF,
	  .max_age = 86400, .warnings = W_LONG, .mx = "" },
	{ "128 mx lines", .gen = gen_mx128, .mode = ENF, .max_age = 86400,
	  .nmx = 128 },
	/* §3.2 sets no limit on mx lines; only the body size bounds them. */
	{ "129 mx lines", .gen = gen_mx129, .mode = ENF, .max_age = 86400,
	  .nmx = 129 },
	{ "3000 mx lines", .gen = gen_mx3000, .mode = ENF, .max_age = 86400,
	  .nmx = 3000 },
	{ "64 KiB of mx lines", .gen = gen_fill, .mode = ENF,
	  .max_age = 86400, .nmx = (STSPOL_MAX_SIZE - sizeof(HDR) + 1) / 5 },

	/* Size, NUL, CR, truncation. */
	{ "exactly 64 KiB", .gen = gen_64k, .mode = ENF, .max_age = 86400,
	  .warnings = W_UNK, .mx = "mail.example.com" },
	{ "64 KiB + 1", .gen = gen_64k1, .rc = -1,
	  .why = "policy larger than 64 KiB" },
	{ "NUL in a value", BIN("version: STSv1\nmode: enf\0orce\n"),
	  .rc = -1, .errline = 2, .why = "NUL byte" },
	{ "NUL first byte", BIN("\0version: STSv1\n"), .rc = -1,
	  .errline = 1, .why = "NUL byte" },
	{ "NUL as the last byte", BIN(OKPOL "\0"), .rc = -1, .errline = 5,
	  .why = "NUL byte" },
	{ "bare CR inside a line", "version: STSv1\nmode: en\rforce\n",
	  .rc = -1, .errline = 2, .why = "bare CR line ending" },
	{ "CR-only line endings", "version: STSv1\rmode: enforce\r",
	  .rc = -1, .errline = 1, .why = "bare CR line ending" },
	{ "CR as the last byte", OKPOL "\r", .rc = -1, .errline = 5,
	  .why = "bare CR line ending" },
	{ "CR CR LF", "version: STSv1\r\r\n", .rc = -1, .errline = 1,
	  .why = "bare CR line ending" },
	{ "truncated in a field name", "version: STSv1\nmode: enforce\n"
	  MX1 "max_ag", .rc = -1, .errline = 4,
	  .why = "missing ':' after field name" },
	{ "truncated in a value", "version: STSv1\nmode: enf", .rc = -1,
	  .errline = 2, .why = "invalid mode" },
	{ "truncated in max_age: still valid, warned", "version: STSv1\n"
	  "mode: enforce\n" MX1 "max_age: 6048", .mode = ENF,
	  .max_age = 6048, .warnings = W_EOL | W_SHORT,
	  .mx = "mail.example.com" },
	{ "truncated in a CRLF", OKPOL "foo: bar\r", .rc = -1, .errline = 5,
	  .why = "bare CR line ending" },
};

static const struct {
	const char	*ct;
	int		 want;
} ctcases[] = {
	{ "text/plain", 1 },
	{ "TEXT/PLAIN", 1 },
	{ "Text/Plain", 1 },
	{ "text/plain; charset=utf-8", 1 },
	{ "text/plain;charset=us-ascii", 1 },
	{ "text/plain ; charset=utf-8", 1 },
	{ "text/plain\t;\tcharset=iso-8859-1", 1 },
	{ "text/plain;", 1 },
	{ " text/plain", 1 },
	{ "\ttext/plain \t", 1 },
	{ NULL, 0 },
	{ "", 0 },
	{ " ", 0 },
	{ "text/plai", 0 },
	{ "text/plain-x", 0 },
	{ "text/plainx", 0 },
	{ "text/plain/x", 0 },
	{ "text/html", 0 },
	{ "text/html; charset=utf-8", 0 },
	{ "text / plain", 0 },
	{ "text/ plain", 0 },
	{ "application/octet-stream", 0 },
	{ "text/plain, text/html", 0 },
	{ "text/plain x", 0 },
	{ "xtext/plain", 0 },
	{ "text\\plain", 0 },
	{ "text/*", 0 },
};

static char *
join_mx(const struct stspol *p, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < p->nmx && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s",
		    i ? " " : "", stspol_mx(p, i));
	return buf;
}

/* Compare what we got with one case; returns the number of mismatches. */
static int
check_case(const struct pcase *c, int rc, const char *why,
    const struct stspol *p)
{
	static char mx[sizeof(p->names) + STSPOL_MX_MAX];
	int bad = 0;

	if (rc != c->rc) {
		tap_diag("rc: got %d (%s), want %d", rc, why ? why : "-", c->rc);
		return 1;
	}
	if (rc != 0) {
		if (why == NULL || strcmp(why, c->why) != 0)
			bad++, tap_diag("why: got \"%s\", want \"%s\"",
			    why ? why : "(null)", c->why);
		if (p->errline != c->errline)
			bad++, tap_diag("errline: got %u, want %u", p->errline,
			    c->errline);
		return bad;
	}
	if (why != NULL)
		bad++, tap_diag("why: got \"%s\", want NULL", why);
	if (p->mode != c->mode)
		bad++, tap_diag("mode: got %s, want %s",
		    stspol_mode_str(p->mode), stspol_mode_str(c->mode));
	if (p->max_age != c->max_age)
		bad++, tap_diag("max_age: got %u, want %u", p->max_age,
		    c->max_age);
	if (p->warnings != c->warnings)
		bad++, tap_diag("warnings: got %#x, want %#x", p->warnings,
		    c->warnings);
	if (c->mx != NULL && strcmp(join_mx(p, mx, sizeof(mx)), c->mx) != 0)
		bad++, tap_diag("mx: got \"%s\", want \"%s\"", mx, c->mx);
	if (c->nmx != 0 && p->nmx != c->nmx)
		bad++, tap_diag("nmx: got %zu, want %zu", p->nmx, c->nmx);
	return bad;
}

static void
run_parse_cases(void)
{
	static char gen[GENBUF];
	static struct stspol p;
	const struct pcase *c;
	const char *text, *why;
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		if (c->gen != NULL) {
			len = c->gen(gen, sizeof(gen));
			text = gen;
		} else {
			text = c->text;
			len = c->len ? c->len : strlen(c->text);
		}
		why = "not set";
		rc = stspol_parse(text, len, &p, &why);
		tap_ok(check_case(c, rc, why, &p) == 0, "parse: %s", c->name);
	}
}

static void
run_content_type_cases(void)
{
	size_t i;
	int got;

	for (i = 0; i < sizeof(ctcases) / sizeof(ctcases[0]); i++) {
		got = stspol_content_type_ok(ctcases[i].ct);
		if (!tap_ok(got == ctcases[i].want, "content type \"%s\"",
		    ctcases[i].ct ? ctcases[i].ct : "(null)"))
			tap_diag("got %d, want %d", got, ctcases[i].want);
	}
}

/* The helpers around the parser: accessors and strings. */
static void
run_helper_cases(void)
{
	static struct stspol p;
	unsigned bit, seen = 0;
	size_t i;
	int distinct = 1;
	const char *s;

	tap_is_int(stspol_parse(RFCEX, strlen(RFCEX), &p, NULL), 0,
	    "parse with why == NULL");
	tap_is_str(stspol_mx(&p, 2), "backupmx.example.com", "stspol_mx last");
	tap_is_str(stspol_mx(&p, 3), NULL, "stspol_mx past the end is NULL");
	tap_is_str(stspol_mode_str(STSPOL_MODE_ENFORCE), "enforce", "mode str");
	tap_is_str(stspol_mode_str(STSPOL_MODE_TESTING), "testing", "mode str");
	tap_is_str(stspol_mode_str(STSPOL_MODE_NONE), "none", "mode str");
	tap_is_str(stspol_mode_str((enum stspol_mode)7), "invalid",
	    "mode str out of range");
	tap_is_str(stspol_warning_str(0x8000), "unknown warning",
	    "warning str for an unknown bit");
	tap_is_str(stspol_warning_str(W_CLAMP | W_UNK), "unknown warning",
	    "warning str for two bits");
	/* Every bit of STSPOL_WARN_ALL has its own text. */
	for (bit = 1; bit & STSPOL_WARN_ALL; bit <<= 1) {
		s = stspol_warning_str(bit);
		for (i = 1; i < bit; i <<= 1)
			if (strcmp(s, stspol_warning_str((unsigned)i)) == 0)
				distinct = 0;
		if (strcmp(s, "unknown warning") == 0)
			distinct = 0;
		seen |= bit;
	}
	tap_ok(distinct && seen == STSPOL_WARN_ALL,
	    "every warning bit has distinct text");
}

int
main(void)
{
	run_parse_cases();
	run_content_type_cases();
	run_helper_cases();
	return tap_done();
}
