/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * reply.h: turn a resolved MTA-STS (or STARTTLS list) policy into the
 * answer text Postfix expects, as a reply profile says (docs/DESIGN.md
 * §Postfix, docs/postfix.md).
 *
 * Pure module: no I/O, no clock, no allocation, no global state.  Every
 * input is borrowed for the call.
 *
 * The value (smtp_tls_policy_maps, socketmap or tcp_table) is
 *     secure match=<p1>:<p2>:... [servername=hostname] [TLSRPT]
 * with the policy's mx patterns in policy order, "*.x" written as ".x"
 * (Postfix's parent-domain form), exact duplicates of one of the first
 * REPLY_DEDUP_MAX patterns dropped (past those, a repeat is written
 * again: Postfix takes it, and finding it would cost a comparison with
 * every earlier pattern, on every lookup).  Postfix
 * checks the certificate name against the MX host name it dialled only
 * with servername=hostname, which needs Postfix 3.4.  Never an empty
 * match=: a policy without mx gets no value.
 *
 * TLSRPT (Postfix's TLSRPT_README, "MTA-STS Support via
 * smtp_tls_policy_maps"): for an MTA-STS policy, a profile with tlsrpt
 * set and a Postfix version of 3.10 or later appends
 *     policy_type=sts policy_domain=<d> mx_host_pattern=<mx>...
 *     { policy_string = <line> }...
 * one mx_host_pattern per distinct policy mx, in its "*.x" form (Postfix
 * >= 3.10.5 dials only MX hosts that match one, and checks the
 * certificate against the dialled name), and one policy_string per
 * non-blank policy line in file order.  A line is cleaned first of what
 * Postfix cannot carry inside "{ }": braces, control bytes (a tab
 * becomes a space), bytes that are not well-formed UTF-8; blanks at
 * either end go.  Postfix before 3.10 rejects every one of these
 * attributes ("invalid attribute name") and defers the mail, so they
 * are never written for an older version, whatever else is asked.
 * STARTTLS list policies get no TLSRPT attributes: they are not STS
 * policies.
 *
 * Also the %XX codec of Postfix's tcp_table (reply_tcp_quote/unquote).
 *
 * Version gates, as numbers REPLY_PF(major, minor, patch): socketmap
 * 2.10, servername= 3.4, the TLSRPT attributes and "{ }" 3.10.
 */
#ifndef REPLY_H
#define REPLY_H

#include <sys/types.h>

#include <stddef.h>

#include "record.h"

/* A Postfix version as one number: REPLY_PF(3, 10, 5) == 31005. */
#define REPLY_PF(major, minor, patch) \
	((major) * 10000U + (minor) * 100U + (patch))
#define REPLY_PF_SOCKETMAP	REPLY_PF(2, 10, 0)  /* socketmap_table(5) */
#define REPLY_PF_SERVERNAME	REPLY_PF(3, 4, 0)   /* servername= */
#define REPLY_PF_TLSRPT		REPLY_PF(3, 10, 0)  /* TLSRPT, "{ }" */
#define REPLY_PF_MAX		REPLY_PF(99, 99, 99)
/* "99.99.99" and its NUL */
#define REPLY_PF_STRLEN		9

/*
 * Postfix's socketmap reply limit (socketmap_max_reply_size, fixed at
 * 100,000 bytes before 3.10 and its default since): the whole netstring
 * payload, "OK " included.
 */
#define REPLY_SOCKETMAP_MAX	100000

/*
 * The longest value without TLSRPT attributes, NUL included: every
 * pattern of a record (RECORD_MX_BYTES_MAX counts 1 + len + 1 per
 * pattern, more than its "len:" here) with "secure match=" and
 * " servername=hostname".  Less than REPLY_SOCKETMAP_MAX, so every
 * policy that fits a record gets a socketmap answer that enforces it.
 */
#define REPLY_VALUE_MAX		(sizeof("secure match=") - 1 + \
	RECORD_MX_BYTES_MAX + sizeof(" servername=hostname"))

/* Patterns checked for exact duplicates (see above). */
#define REPLY_DEDUP_MAX		128

/* What a profile answers and how (mtastsd.conf(5) PROFILES). */
struct reply_profile {
	unsigned	 version;	/* Postfix version, REPLY_PF() */
	int		 tlsrpt;	/* TLSRPT attributes (>= 3.10 only) */
	int		 enforce_testing; /* answer mode testing as enforce */
	int		 list_policies;	/* answer STARTTLS list policies */
};

/* Where a policy comes from. */
enum reply_origin {
	REPLY_MTASTS = 0,	/* the domain's MTA-STS policy */
	REPLY_LIST		/* the STARTTLS policy list */
};

/* A policy to answer; every pointer borrowed. */
struct reply_policy {
	enum reply_origin origin;
	const char	*domain;	/* policy domain (A-labels) */
	const char *const *mx;		/* mx[0..nmx), "*.x" or names */
	size_t		 nmx;
	const char	*text;		/* raw policy body, any bytes; */
	size_t		 text_len;	/* may be NULL/0 (no lines) */
};

/* What reply_postfix_profile() left out to stay within outsize. */
enum reply_fit {
	REPLY_FIT_FULL = 0,	/* everything the profile asks for */
	REPLY_FIT_NO_STRINGS,	/* TLSRPT without its policy_string */
	REPLY_FIT_NO_TLSRPT	/* no TLSRPT attributes at all */
};

/*
 * reply_answers: whether `prof` answers a policy of this origin and mode
 * with a value (1) or treats it as no policy, "not found" (0).  Mode
 * none never; testing only with enforce_testing (RFC 8461 §5: testing
 * policies are not enforced); list policies only with list_policies.
 */
int reply_answers(const struct reply_profile *prof, enum reply_origin origin,
    enum record_mode mode);

/*
 * reply_postfix_profile: write the Postfix value for `pol` as `prof`
 * says into out[0..outsize) (NUL-terminated).  Returns its length, or
 * -1 when there is no value: no mx pattern, a pattern with bytes
 * Postfix would misread (anything but letters, digits, "-", "." and a
 * leading "*."), or outsize too small even without TLSRPT; out is then
 * "" (when outsize > 0).  When the whole value does not fit, the
 * policy_string attributes are left out, then all TLSRPT attributes
 * (the answer still enforces the policy); *fit (may be NULL) says which,
 * REPLY_FIT_FULL when nothing was left out.  An invalid policy domain
 * also leaves the TLSRPT attributes out.
 */
int reply_postfix_profile(const struct reply_profile *prof,
    const struct reply_policy *pol, char *out, size_t outsize,
    enum reply_fit *fit);

/*
 * reply_postfix: the value for mx[0..nmx) with the default profile
 * (Postfix 3.4, no TLSRPT); as reply_postfix_profile() otherwise.
 */
int reply_postfix(const char *const *mx, size_t nmx, char *out,
    size_t outsize);

/*
 * reply_version_parse: "MAJOR.MINOR[.PATCH]" (major 1-99, minor and
 * patch 0-99, decimal, no leading "+" or blanks) into *v.  The version
 * ends at the first byte that cannot continue it; *rest (may be NULL)
 * points there ("" for a plain version, "-20250101" for a Postfix
 * snapshot).  Returns 0, or -1 when s does not start with a version.
 */
int reply_version_parse(const char *s, unsigned *v, const char **rest);

/* reply_version_format: v as "3.10" or "3.10.5" (patch 0 left out) in
 * out (at least REPLY_PF_STRLEN bytes); returns out. */
char *reply_version_format(unsigned v, char *out, size_t outsize);

/*
 * reply_tcp_quote: Postfix's hex_quote() of in[0..len) into out
 * (outsize bytes, NUL-terminated), as tcp_table values are sent: "%",
 * white space and every byte that is not printable ASCII become %XX
 * (upper case).  Returns the length, or -1 if it does not fit.
 */
ssize_t reply_tcp_quote(const char *in, size_t len, char *out,
    size_t outsize);

/*
 * reply_tcp_unquote: decode %XX (any case) in in[0..len) into out (at
 * least len bytes; not NUL-terminated, may then contain NUL), as
 * Postfix's hex_unquote() does to a tcp_table key.  Returns the
 * decoded length, or -1 for a "%" not followed by two hex digits.
 */
ssize_t reply_tcp_unquote(const char *in, size_t len, char *out);

#endif /* REPLY_H */
