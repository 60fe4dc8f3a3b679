/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * stspol.c: MTA-STS policy file parser and validator (RFC 8461 §3.2).
 *
 * The body is split into lines (LF or CRLF), each line is checked
 * against the generic key/value grammar, and the four known fields are
 * then checked against their own, stricter rules.  The grammar and the
 * interpretation choices are listed in stspol.h; the reasons for each
 * are given here, next to the code that implements them.
 *
 * Nothing here allocates: mx patterns are copied into the fixed arrays
 * of struct stspol, whose sizes follow from the body size limit in the
 * header (every pattern is shorter than the line it came from).
 * Character classes are ASCII-only on purpose (no <ctype.h>): the
 * result must not depend on the process locale.
 */
#include <stdint.h>
#include <string.h>

#include "stspol.h"
#include "chars.h"

/* Which non-repeatable fields were seen (for §3.2 "first one wins"). */
#define SEEN_VERSION	0x01
#define SEEN_MODE	0x02
#define SEEN_MAX_AGE	0x04

/* §3.2: max_age is "expected [...] to be in the range of weeks or greater";
 * below one day we warn (the policy is still valid). */
#define STSPOL_MAX_AGE_SHORT	86400

/* RFC 1035 §2.3.4: a label is at most 63 octets. */
#define STSPOL_LABEL_MAX	63

/* mx_off[] holds offsets into names[], which is the body's size. */
_Static_assert(STSPOL_MAX_SIZE <= 65536, "mx_off must hold any offset");

/* max_age = 1*10DIGIT (§3.2). */
#define STSPOL_MAX_AGE_DIGITS	10

struct pstate {
	struct stspol	*out;
	const char	*why;	/* static reason of the first error */
	unsigned	 seen;	/* SEEN_* bits */
	size_t		 used;	/* bytes of out->names in use */
	size_t		 mxlines; /* valid mx lines, dropped ones too */
};

struct field {
	const char	*name;
	unsigned	 seen;	/* SEEN_* bit; 0 for mx, which may repeat */
	int		(*parse)(struct pstate *, const char *, size_t);
};

static int	field_version(struct pstate *, const char *, size_t);
static int	field_mode(struct pstate *, const char *, size_t);
static int	field_max_age(struct pstate *, const char *, size_t);
static int	field_mx(struct pstate *, const char *, size_t);

/* Field names are case-sensitive: the ABNF uses %s"..." (RFC 7405). */
static const struct field fields[] = {
	{ "version", SEEN_VERSION, field_version },
	{ "mode", SEEN_MODE, field_mode },
	{ "max_age", SEEN_MAX_AGE, field_max_age },
	{ "mx", 0, field_mx },
};

static const struct {
	const char		*name;
	enum stspol_mode	 mode;
} modes[] = {
	{ "enforce", STSPOL_MODE_ENFORCE },
	{ "testing", STSPOL_MODE_TESTING },
	{ "none", STSPOL_MODE_NONE },
};

/* n bytes at p equal the NUL-terminated literal s, exactly. */
static int
str_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/*
 * line_split: find the end of the line that starts at text[pos].  Sets
 * *n to its length without the terminator and *next to the start of
 * the next line.  §3.2: sts-policy-term = LF / CRLF, so a CR that is
 * not followed by LF is an error wherever it appears; so is a NUL,
 * which no rule allows and which would cut C strings short later.
 */
static int
line_split(const char *text, size_t len, size_t pos, size_t *n,
    size_t *next, const char **why)
{
	size_t i;

	for (i = pos; i < len; i++) {
		if (text[i] == '\0') {
			*why = "NUL byte";
			return -1;
		}
		if (text[i] == '\n') {
			*next = i + 1;
			break;
		}
		if (text[i] == '\r') {
			if (i + 1 == len || text[i + 1] != '\n') {
				*why = "bare CR line ending";
				return -1;
			}
			*next = i + 2;
			break;
		}
	}
	if (i == len)
		*next = len;	/* [sts-policy-term]: last line may lack one */
	*n = i - pos;
	return 0;
}

/*
 * key_scan: check the field name at the start of a non-empty line and
 * the ":" after it (sts-policy-ext-name, which the known names also
 * satisfy); sets *klen to the name's length.
 */
static int
key_scan(const char *p, size_t n, size_t *klen, const char **why)
{
	size_t i;

	if (!chars_is_alnum(p[0])) {
		/* No header folding in §3.2: an indented line is not a field. */
		*why = chars_is_wsp(p[0]) ? "leading whitespace" :
		    "invalid field name";
		return -1;
	}
	for (i = 1; i < n; i++)
		if (!chars_is_alnum(p[i]) && p[i] != '_' && p[i] != '-' &&
		    p[i] != '.')
			break;
	if (i == n) {
		*why = "missing ':' after field name";
		return -1;
	}
	if (p[i] != ':') {
		*why = chars_is_wsp(p[i]) ? "whitespace before ':'" :
		    "invalid field name";
		return -1;
	}
	if (i > STSPOL_EXT_NAME_MAX) {
		*why = "field name longer than 32 characters";
		return -1;
	}
	*klen = i;
	return 0;
}

/*
 * ext_value_check: sts-policy-ext-value.  Leading and trailing WSP
 * were already removed by the caller (they belong to the delimiter and
 * to "sts-policy-field *WSP"), so what is left must be non-empty and
 * made of SP, %x21-7E and well-formed UTF-8: no CTLs, HTAB included.
 */
static int
ext_value_check(const char *p, size_t n, const char **why)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, k;

	if (n == 0) {
		*why = "empty value";
		return -1;
	}
	while (i < n) {
		if (s[i] >= 0x20 && s[i] <= 0x7e) {
			i++;
			continue;
		}
		if (s[i] < 0x80 || (k = chars_utf8_len(s + i, n - i)) == 0) {
			*why = s[i] < 0x80 ? "control character in value" :
			    "invalid UTF-8 in value";
			return -1;
		}
		i += k;
	}
	return 0;
}

static int
field_version(struct pstate *st, const char *v, size_t n)
{
	if (!str_is(v, n, "STSv1")) {
		st->why = "invalid version (only STSv1 is supported)";
		return -1;
	}
	return 0;
}

static int
field_mode(struct pstate *st, const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (str_is(v, n, modes[i].name)) {
			st->out->mode = modes[i].mode;
			return 0;
		}
	}
	st->why = "invalid mode";
	return -1;
}

/*
 * field_max_age: 1*10DIGIT, no sign, leading zeros allowed.  Ten digits
 * can reach 9999999999, which overflows 32 bits, hence the 64-bit
 * accumulator.  Values above STSPOL_MAX_AGE_MAX are clamped, not
 * rejected: this is our choice.  The grammar accepts them (only the
 * prose says "maximum value"), and an over-long max_age still states
 * the domain's intent to be protected; rejecting the policy would make
 * the sender fail open and drop that protection.
 */
static int
field_max_age(struct pstate *st, const char *v, size_t n)
{
	uint64_t age = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (!chars_is_digit(v[i]))
			break;
	if (n == 0 || i < n) {
		st->why = "invalid max_age";
		return -1;
	}
	if (n > STSPOL_MAX_AGE_DIGITS) {
		st->why = "max_age longer than 10 digits";
		return -1;
	}
	for (i = 0; i < n; i++)
		age = age * 10 + (uint64_t)(v[i] - '0');
	if (age > STSPOL_MAX_AGE_MAX) {
		age = STSPOL_MAX_AGE_MAX;
		st->out->warnings |= STSPOL_WARN_MAX_AGE_CLAMPED;
	}
	if (age < STSPOL_MAX_AGE_SHORT)
		st->out->warnings |= STSPOL_WARN_MAX_AGE_SHORT;
	st->out->max_age = (uint32_t)age;
	return 0;
}

static const char *
mx_char_why(char c)
{
	if (c == '*')
		return "invalid mx: '*' only as the whole first label";
	if ((unsigned char)c >= 0x80)
		return "invalid mx: non-ASCII (A-label required)";
	return "invalid mx: invalid character";
}

/*
 * label_check: RFC 5321 §4.1.2 sub-domain = Let-dig [Ldh-str]: letters,
 * digits and hyphens, not starting or ending with a hyphen.  Length is
 * not part of the grammar: mx_usable() judges it.
 */
static int
label_check(const char *l, size_t n, const char **why)
{
	size_t i;

	if (n == 0) {
		*why = "invalid mx: empty label";
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!chars_is_alnum(l[i]) && l[i] != '-') {
			*why = mx_char_why(l[i]);
			return -1;
		}
	}
	if (l[0] == '-' || l[n - 1] == '-') {
		*why = "invalid mx: label starts or ends with '-'";
		return -1;
	}
	return 0;
}

/*
 * domain_check: RFC 5321 Domain = sub-domain *("." sub-domain).  One
 * label is enough by that rule, so "localhost" passes, and so does
 * "192.0.2.25": every label is a Let-dig run.  Sets *longest to the
 * longest label and *numeric when the last label is all digits.
 */
static int
domain_check(const char *d, size_t n, size_t *longest, int *numeric,
    const char **why)
{
	size_t i, lab = 0;

	*longest = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && d[i] != '.')
			continue;
		if (label_check(d + lab, i - lab, why) == -1)
			return -1;
		if (i - lab > *longest)
			*longest = i - lab;
		if (i < n)
			lab = i + 1;
	}
	for (i = lab; i < n && chars_is_digit(d[i]); i++)
		;
	*numeric = i == n;
	return 0;
}

/*
 * mx_usable: can a valid mx value of n bytes ever match an MX host
 * name?  Not when it breaks the DNS limits (RFC 1035 §2.3.4: labels of
 * 63 octets, names of 255 with the length bytes, 253 as text), and not
 * when its last label is all digits: RFC 1123 §2.1 and RFC 3696 §2 rule
 * that out for host names, it is how a dotted-decimal address is told
 * apart, and an MX record names a host, never an address (RFC 1035
 * §3.3.9: EXCHANGE is "a <domain-name> which specifies a host").  The
 * grammar accepts both, and §3.2 says parsers "MUST accept" a
 * syntactically valid policy, so such a value is dropped with a
 * warning, never the policy: rejecting it would make the sender fail
 * open.  Dropped, not kept: a kept "192.0.2.25" would reach Postfix's
 * match list and OpenSMTPD's relay choice, where a resolver may read it
 * as an address literal.
 */
static int
mx_usable(struct pstate *st, size_t n, size_t longest, int numeric)
{
	if (n > STSPOL_NAME_MAX || longest > STSPOL_LABEL_MAX) {
		st->out->warnings |= STSPOL_WARN_MX_TOO_LONG;
		return 0;
	}
	if (numeric) {
		st->out->warnings |= STSPOL_WARN_MX_IP_ADDRESS;
		return 0;
	}
	return 1;
}

/*
 * field_mx: sts-policy-mx-value = ["*."] Domain.  §3.2 and §4.1 allow
 * the wildcard only as the complete left-most label, so "*" must be
 * followed by "." and a domain; any other "*" fails in label_check.
 */
static int
field_mx(struct pstate *st, const char *v, size_t n)
{
	struct stspol *out = st->out;
	size_t i, skip = 0, longest;
	int numeric;
	char *dst;

	/*
	 * Deviation: RFC 5321 Domain has no trailing dot, but
	 * "mail.example.com." can only mean "mail.example.com", and
	 * rejecting the policy for it would make the sender fail open.
	 */
	if (n > 1 && v[n - 1] == '.') {
		n--;
		out->warnings |= STSPOL_WARN_MX_TRAILING_DOT;
	}
	if (n >= 2 && v[0] == '*' && v[1] == '.')
		skip = 2;
	if (domain_check(v + skip, n - skip, &longest, &numeric,
	    &st->why) == -1)
		return -1;
	st->mxlines++;
	if (!mx_usable(st, n, longest, numeric))
		return 0;
	/*
	 * Cannot fail for a body of at most STSPOL_MAX_SIZE bytes (the
	 * name and its NUL are shorter than the "mx:" line, and the
	 * shortest line sizes STSPOL_MX_MAX); checked all the same, so
	 * that the arrays' bounds never rest on that arithmetic alone.
	 */
	if (out->nmx == STSPOL_MX_MAX ||
	    n + 1 > sizeof(out->names) - st->used) {
		st->why = "too many mx entries";
		return -1;
	}
	dst = out->names + st->used;
	for (i = 0; i < n; i++)
		dst[i] = (char)chars_tolower(v[i]);
	dst[n] = '\0';
	out->mx_off[out->nmx++] = (uint16_t)st->used;
	st->used += n + 1;
	return 0;
}

static const struct field *
field_find(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (str_is(name, n, fields[i].name))
			return &fields[i];
	return NULL;
}

/*
 * line_parse: one line, terminator removed.  Empty and blank lines are
 * a deliberate deviation: the grammar has no empty field (the
 * published ABNF's "sts-policy-term" alternative is an erratum for
 * sts-policy-mx), yet a blank line carries no meaning, is a common
 * editing slip (often a trailing one), and rejecting the policy for it
 * would make the sender fail open.  So we skip it and warn.
 */
static int
line_parse(struct pstate *st, const char *p, size_t n)
{
	const struct field *f;
	size_t klen, v;

	while (n > 0 && chars_is_wsp(p[n - 1]))
		n--;		/* "sts-policy-field *WSP" */
	if (n == 0) {
		st->out->warnings |= STSPOL_WARN_EMPTY_LINE;
		return 0;
	}
	if (key_scan(p, n, &klen, &st->why) == -1)
		return -1;
	for (v = klen + 1; v < n && chars_is_wsp(p[v]); v++)
		;		/* sts-policy-field-delim = ":" *WSP */
	f = field_find(p, klen);
	if (f != NULL && (f->seen & st->seen) == 0) {
		st->seen |= f->seen;
		return f->parse(st, p + v, n - v);
	}
	/*
	 * §3.2: unknown fields "SHALL be ignored", and for a duplicated
	 * non-mx field "all entries except for the first SHALL be
	 * ignored".  Both must still be well-formed key/value lines.
	 */
	if (ext_value_check(p + v, n - v, &st->why) == -1)
		return -1;
	st->out->warnings |= f == NULL ? STSPOL_WARN_UNKNOWN_FIELD :
	    STSPOL_WARN_DUPLICATE_FIELD;
	return 0;
}

/* policy_finish: the required fields (§3.2) once every line is read. */
static int
policy_finish(struct pstate *st)
{
	struct stspol *out = st->out;

	if ((st->seen & SEEN_VERSION) == 0)
		st->why = "missing version field";
	else if ((st->seen & SEEN_MODE) == 0)
		st->why = "missing mode field";
	else if ((st->seen & SEEN_MAX_AGE) == 0)
		st->why = "missing max_age field";
	else if (out->mode != STSPOL_MODE_NONE && st->mxlines == 0)
		st->why = "mx required unless mode is none";
	else {
		/* Kept, not dropped: they are harmless and show intent. */
		if (out->mode == STSPOL_MODE_NONE && out->nmx > 0)
			out->warnings |= STSPOL_WARN_MX_IN_NONE;
		return 0;
	}
	return -1;
}

int
stspol_parse(const char *text, size_t len, struct stspol *out,
    const char **why)
{
	struct pstate st = { .out = out };
	size_t pos = 0, n, next;
	unsigned line = 0;
	int rc = -1;

	out->mode = STSPOL_MODE_NONE;
	out->max_age = 0;
	out->warnings = 0;
	out->errline = 0;
	out->nmx = 0;
	/* RFC 8461 §3.3: suggested maximum policy size, 64 kilobytes. */
	if (len > STSPOL_MAX_SIZE) {
		st.why = "policy larger than 64 KiB";
		goto done;
	}
	if (len == 0) {
		st.why = "empty policy";
		goto done;
	}
	while (pos < len) {
		line++;
		if (line_split(text, len, pos, &n, &next, &st.why) == -1 ||
		    line_parse(&st, text + pos, n) == -1) {
			out->errline = line;
			goto done;
		}
		pos = next;
	}
	/* Valid ([sts-policy-term]), but a cut-off body looks the same. */
	if (text[len - 1] != '\n')
		out->warnings |= STSPOL_WARN_NO_FINAL_EOL;
	rc = policy_finish(&st);
done:
	if (why != NULL)
		*why = rc == 0 ? NULL : st.why;
	return rc;
}

const char *
stspol_mx(const struct stspol *p, size_t i)
{
	if (i >= p->nmx)
		return NULL;
	return p->names + p->mx_off[i];
}

const char *
stspol_mode_str(enum stspol_mode m)
{
	switch (m) {
	case STSPOL_MODE_ENFORCE:
		return "enforce";
	case STSPOL_MODE_TESTING:
		return "testing";
	case STSPOL_MODE_NONE:
		return "none";
	}
	return "invalid";
}

const char *
stspol_warning_str(unsigned bit)
{
	switch (bit) {
	case STSPOL_WARN_MAX_AGE_CLAMPED:
		return "max_age above 31557600, clamped to it";
	case STSPOL_WARN_UNKNOWN_FIELD:
		return "unknown fields ignored";
	case STSPOL_WARN_MX_IN_NONE:
		return "mx lines in a mode none policy";
	case STSPOL_WARN_DUPLICATE_FIELD:
		return "repeated field ignored, first one kept";
	case STSPOL_WARN_MAX_AGE_SHORT:
		return "max_age below one day";
	case STSPOL_WARN_NO_FINAL_EOL:
		return "last line has no line ending";
	case STSPOL_WARN_EMPTY_LINE:
		return "empty lines ignored";
	case STSPOL_WARN_MX_TRAILING_DOT:
		return "trailing dot removed from mx";
	case STSPOL_WARN_MX_IP_ADDRESS:
		return "mx that is an IP address ignored (never an MX host name)";
	case STSPOL_WARN_MX_TOO_LONG:
		return "mx longer than a DNS name allows ignored";
	}
	return "unknown warning";
}

/*
 * stspol_content_type_ok: RFC 8461 §3.2 asks senders to check that the
 * media type is "text/plain" (type and subtype are case-insensitive,
 * RFC 7231 §3.1.1.1); parameters are ignored, so whatever follows ";"
 * is not examined.
 */
int
stspol_content_type_ok(const char *ct)
{
	static const char want[] = "text/plain";
	size_t i;

	if (ct == NULL)
		return 0;
	while (chars_is_wsp(*ct))
		ct++;
	for (i = 0; want[i] != '\0'; i++)
		if ((char)chars_tolower(ct[i]) != want[i])
			return 0;	/* also stops at ct's NUL */
	for (ct += i; chars_is_wsp(*ct); ct++)
		;
	return *ct == '\0' || *ct == ';';
}
