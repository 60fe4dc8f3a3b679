/*
 * reply.h: turn a resolved MTA-STS policy into the answer text an MTA
 * expects (ARCHITECTURE §5).
 *
 * Pure module: no I/O, no clock, no allocation, no global state.  The
 * patterns are borrowed for the call.  Which policies get an answer at
 * all (mode enforce; testing only if the operator says so) is the
 * caller's decision: this module only writes the value.
 *
 * Postfix (smtp_tls_policy_maps, socketmap or tcp_table): the value is
 *     secure match=<p1>:<p2>:... servername=hostname
 * with the policy's mx patterns in policy order, "*.x" written as ".x"
 * (Postfix's parent-domain form), exact duplicates dropped.  Postfix
 * wants the certificate name checked against the MX host name, hence
 * servername=hostname (Postfix >= 3.4).  Never an empty match=: a
 * policy with no mx gives no answer.
 */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>

/*
 * reply_postfix: write the Postfix value for the policy's mx patterns
 * mx[0..nmx) into `out` (`outsize` bytes, NUL-terminated).  Returns its
 * length, or -1 when there is no such value: no mx pattern, a pattern with bytes
 * Postfix would misread (anything but letters, digits, "-", "." and a
 * leading "*."), or `outsize` too small.  On -1, out is "" when
 * outsize > 0.
 */
int reply_postfix(const char *const *mx, size_t nmx, char *out,
    size_t outsize);

#endif /* REPLY_H */
