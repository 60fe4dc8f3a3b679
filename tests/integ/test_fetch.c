/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The mtastsd authors; see LICENSE.
 */
/*
 * test_fetch.c: resolver/fetch.c against a real nginx (docs/HACKING.md
 * §Tests).
 *
 * The test moves itself into a new network namespace (unshare), brings
 * up its loopback, makes a CA and leaf certificates with the openssl
 * command, and starts nginx on 127.0.0.1 (and [::1] when IPv6 works):
 * port 443 with a good certificate for mta-sts.good.test, 8443 with a
 * CN-only certificate, 8444 with a partial wildcard "mta*.good.test",
 * 8445 with "*.good.test".  127.0.0.3:443 is a listener that never
 * accepts (a hung TLS handshake); nothing listens on 127.0.0.9.
 * Needs root, nginx and openssl; otherwise "1..0 # SKIP".
 *
 * Checked here, below what the discovery table sees: the RFC 6125 name
 * rules (no CN fallback, no partial wildcard), the body cap at exactly
 * its limit with and without Content-Length, the bound on simultaneous
 * transfers, cancellation, the pin list (IPv6, fallback to the next
 * address), argument checks, and that no callback runs early.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "sandbox.h"
#include "tap.h"

#define TF_WAIT_MS	20000
#define TF_HOST		"mta-sts.good.test"
#define TF_POLICY	"version: STSv1\r\nmode: enforce\r\n" \
			"mx: mx.good.test\r\nmax_age: 86400\r\n"

static pid_t tf_nginx = -1;
static int tf_ipv6;

/* ---- the namespace, certificates and nginx ---- */

/* n bytes of policy-like text (the content does not matter here). */
static int
tf_body(const char *name, size_t n)
{
	char *b;
	size_t i;
	int r;

	if ((b = malloc(n)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		b[i] = i % 64 == 63 ? '\n' : 'a' + (char)(i % 26);
	r = sandbox_write(name, b, n);
	free(b);
	return r;
}

static const char tf_ext[] =
    "[good]\nsubjectAltName=DNS:" TF_HOST "\nbasicConstraints=CA:FALSE\n"
    "extendedKeyUsage=serverAuth\n"
    "[cnonly]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    "[partial]\nsubjectAltName=DNS:mta*.good.test\n"
    "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    "[wild]\nsubjectAltName=DNS:*.good.test\nbasicConstraints=CA:FALSE\n"
    "extendedKeyUsage=serverAuth\n";

/* One CA, one key, four leaves; all named after their ext section. */
static int
tf_certs(void)
{
	static const char *const kinds[] = { "good", "cnonly", "partial",
	    "wild" };
	char cmd[1024];
	size_t i;

	if (sandbox_write("ext.cnf", tf_ext, strlen(tf_ext)) == -1)
		return -1;
	snprintf(cmd, sizeof(cmd), "cd %s && exec >openssl.log 2>&1 && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout ca.key -out ca.pem -subj /CN=mtasts-test-ca "
	    "-days 2 && openssl req -new -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout key.pem -out leaf.csr "
	    "-subj /CN=" TF_HOST, sandbox_dir());
	if (system(cmd) != 0)
		return -1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(cmd, sizeof(cmd), "cd %s && exec >>openssl.log 2>&1 "
		    "&& openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key "
		    "-set_serial %zu -days 2 -extfile ext.cnf -extensions %s "
		    "-out %s.pem", sandbox_dir(), i + 2, kinds[i], kinds[i]);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

static int
tf_conf(void)
{
	static char c[8192];
	const char *d = sandbox_dir();
	int n;

	n = snprintf(c, sizeof(c),
	    "daemon off;\nuser root root;\nworker_processes 1;\n"
	    "pid %s/nginx.pid;\nerror_log %s/nginx-error.log warn;\n"
	    "events { worker_connections 256; }\n"
	    "http {\n  access_log off;\n  types { }\n"
	    "  default_type text/plain;\n  charset off;\n"
	    "  client_body_temp_path %s/tmp;\n  proxy_temp_path %s/tmp;\n"
	    "  fastcgi_temp_path %s/tmp;\n  uwsgi_temp_path %s/tmp;\n"
	    "  scgi_temp_path %s/tmp;\n"
	    "  ssl_certificate_key %s/key.pem;\n  root %s/www;\n"
	    "  server {\n    listen 127.0.0.1:443 ssl;\n%s"
	    "    ssl_certificate %s/good.pem;\n"
	    "    location = /html { default_type text/html; }\n"
	    "    location = /charset {\n"
	    "      default_type \"text/plain; charset=utf-8\"; }\n"
	    "    location = /redirect { return 301 https://" TF_HOST "/p; }\n"
	    "    location = /big404 { error_page 404 /b65537; return 404; }\n"
	    "    location /chunked/ {\n      sub_filter_types *;\n"
	    "      sub_filter \"@@no-such-text@@\" \"\"; }\n  }\n"
	    "  server { listen 127.0.0.1:8443 ssl;\n"
	    "    ssl_certificate %s/cnonly.pem; }\n"
	    "  server { listen 127.0.0.1:8444 ssl;\n"
	    "    ssl_certificate %s/partial.pem; }\n"
	    "  server { listen 127.0.0.1:8445 ssl;\n"
	    "    ssl_certificate %s/wild.pem; }\n}\n",
	    d, d, d, d, d, d, d, d, d,
	    tf_ipv6 ? "    listen [::1]:443 ssl;\n" : "", d, d, d, d);
	if (n < 0 || (size_t)n >= sizeof(c))
		return -1;
	return sandbox_write("nginx.conf", c, (size_t)n);
}

static int
tf_files(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/www/chunked %s/tmp", sandbox_dir(),
	    sandbox_dir());
	if (system(cmd) != 0)
		return -1;
	return sandbox_write("www/p", TF_POLICY, strlen(TF_POLICY)) == -1 ||
	    sandbox_write("www/html", TF_POLICY, strlen(TF_POLICY)) == -1 ||
	    sandbox_write("www/charset", TF_POLICY, strlen(TF_POLICY)) == -1 ||
	    tf_body("www/b100", 100) == -1 || tf_body("www/b101", 101) == -1 ||
	    tf_body("www/chunked/b100", 100) == -1 ||
	    tf_body("www/chunked/b101", 101) == -1 ||
	    tf_body("www/b65536", 65536) == -1 ||
	    tf_body("www/b65537", 65537) == -1 ||
	    tf_body("www/chunked/b65537", 65537) == -1 ? -1 : 0;
}

static pid_t
tf_spawn(void)
{
	static char conf[256];
	char *argv[] = { "nginx", "-p", NULL, "-c", conf, NULL };

	argv[2] = (char *)sandbox_dir();
	sandbox_path("nginx.conf", conf, sizeof(conf));
	return sandbox_spawn(argv, "nginx.out");
}

static int
tf_v6(void)
{
	struct sockaddr_in6 s6;
	int s, ok;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_loopback;
	if ((s = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return 0;
	ok = bind(s, (struct sockaddr *)&s6, sizeof(s6)) == 0;
	close(s);
	return ok;
}

/* A listener that never accepts: the kernel completes TCP, nobody TLS. */
static int
tf_hang_listener(void)
{
	struct sockaddr_in sin;
	int s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(443);
	inet_pton(AF_INET, "127.0.0.3", &sin.sin_addr);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 16) == -1)
		return -1;
	return s;
}

/* ---- running fetches ---- */

struct tf_got {
	int		 returned, calls, early;
	enum fetch_status st;
	long		 http;
	size_t		 len;
	char		 body[128];
	char		 detail[256];
};

static struct event_base *tf_base;
static int tf_pending;

static void
tf_on_done(const struct fetch_result *r, void *arg)
{
	struct tf_got *g = arg;

	g->calls++;
	g->early |= !g->returned;
	g->st = r->status;
	g->http = r->http_status;
	g->len = r->len;
	snprintf(g->body, sizeof(g->body), "%.*s", (int)(r->len < 100 ?
	    r->len : 100), r->body != NULL ? r->body : "");
	snprintf(g->detail, sizeof(g->detail), "%s", r->detail);
	if (--tf_pending == 0)
		event_base_loopbreak(tf_base);
}

static struct fetch *
tf_fetch(int max_transfers, size_t max_body, int connect_ms)
{
	struct fetch_conf c;
	char err[256], ca[256];
	struct fetch *f;

	snprintf(ca, sizeof(ca), "%s/ca.pem", sandbox_dir());
	c.ca_file = ca;
	c.connect_timeout_ms = connect_ms;
	c.timeout_ms = 5000;
	c.max_transfers = max_transfers;
	c.max_body = max_body;
	if ((f = fetch_new(tf_base, &c, err, sizeof(err))) == NULL)
		tap_diag("fetch_new: %s", err);
	return f;
}

static struct fetch_req *
tf_start(struct fetch *f, unsigned port, const char *path,
    const char *addrs, struct tf_got *g)
{
	char buf[128], *list[4], *s, *save = NULL;
	struct fetch_req *r;
	size_t n = 0;

	memset(g, 0, sizeof(*g));
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (s = strtok_r(buf, ",", &save); s != NULL && n < 4;
	    s = strtok_r(NULL, ",", &save))
		list[n++] = s;
	tf_pending++;
	r = fetch_start(f, TF_HOST, port, path, (const char *const *)list, n,
	    tf_on_done, g);
	if (r == NULL)
		tf_pending--;
	g->returned = 1;
	return r;
}

/* ---- the cases ---- */

struct tf_case {
	const char	*name;
	int		 small;		/* the 100-byte-cap fetcher */
	unsigned	 port;
	const char	*path;
	const char	*addrs;
	enum fetch_status want;
	long		 want_http;	/* -1: do not check */
	size_t		 want_len;
};

static const struct tf_case tf_cases[] = {
	{ "policy", 0, 443, "/p", "127.0.0.1", FETCH_OK, 200,
	    sizeof(TF_POLICY) - 1 },
	{ "404", 0, 443, "/nope", "127.0.0.1", FETCH_STATUS, 404, 0 },
	{ "404 with a body over the cap", 0, 443, "/big404", "127.0.0.1",
	    FETCH_STATUS, 404, 0 },
	{ "301 not followed", 0, 443, "/redirect", "127.0.0.1",
	    FETCH_REDIRECT, 301, 0 },
	{ "text/html", 0, 443, "/html", "127.0.0.1", FETCH_CONTENT_TYPE, 200,
	    0 },
	{ "text/plain; charset=utf-8", 0, 443, "/charset", "127.0.0.1",
	    FETCH_OK, 200, sizeof(TF_POLICY) - 1 },
	{ "cap 100, 100 bytes", 1, 443, "/b100", "127.0.0.1", FETCH_OK, 200,
	    100 },
	{ "cap 100, 101 bytes", 1, 443, "/b101", "127.0.0.1", FETCH_TOO_LARGE,
	    -1, 0 },
	{ "cap 100, 100 bytes chunked", 1, 443, "/chunked/b100", "127.0.0.1",
	    FETCH_OK, 200, 100 },
	{ "cap 100, 101 bytes chunked", 1, 443, "/chunked/b101", "127.0.0.1",
	    FETCH_TOO_LARGE, -1, 0 },
	{ "64 KiB exactly", 0, 443, "/b65536", "127.0.0.1", FETCH_OK, 200,
	    65536 },
	{ "64 KiB + 1", 0, 443, "/b65537", "127.0.0.1", FETCH_TOO_LARGE, -1,
	    0 },
	{ "64 KiB + 1 chunked", 0, 443, "/chunked/b65537", "127.0.0.1",
	    FETCH_TOO_LARGE, -1, 0 },
	{ "CN-only certificate", 0, 8443, "/p", "127.0.0.1",
	    FETCH_CERTIFICATE, -1, 0 },
	{ "partial wildcard mta*.good.test", 0, 8444, "/p", "127.0.0.1",
	    FETCH_CERTIFICATE, -1, 0 },
	{ "wildcard *.good.test", 0, 8445, "/p", "127.0.0.1", FETCH_OK, 200,
	    sizeof(TF_POLICY) - 1 },
	{ "connection refused", 0, 443, "/p", "127.0.0.9", FETCH_CONNECT, -1,
	    0 },
	{ "refused, then the next address", 0, 443, "/p",
	    "127.0.0.9,127.0.0.1", FETCH_OK, 200, sizeof(TF_POLICY) - 1 },
	{ "TLS handshake never answered", 0, 443, "/p", "127.0.0.3",
	    FETCH_TIMEOUT, -1, 0 },
	{ "IPv6 pin", 0, 443, "/p", "::1", FETCH_OK, 200,
	    sizeof(TF_POLICY) - 1 },
};

#define TF_NCASES (sizeof(tf_cases) / sizeof(tf_cases[0]))

static void
tf_check(const struct tf_case *c, const struct tf_got *g)
{
	if (!tap_ok(g->calls == 1 && !g->early, "%s: one callback, after "
	    "return", c->name))
		tap_diag("got %d calls (early %d)", g->calls, g->early);
	if (!tap_ok(g->st == c->want, "%s: status", c->name))
		tap_diag("got %s (%s), want %s", fetch_status_str(g->st),
		    g->detail, fetch_status_str(c->want));
	if (c->want_http >= 0)
		tap_is_int(g->http, c->want_http, c->name);
	if (c->want == FETCH_OK)
		tap_is_int((intmax_t)g->len, (intmax_t)c->want_len, c->name);
}

/* Every case at once through fetchers that run 4 at a time. */
static void
tf_table(void)
{
	static struct tf_got got[TF_NCASES];
	struct fetch *big, *small;
	size_t i, running, queued, peak;

	big = tf_fetch(4, 0, 1000);
	small = tf_fetch(4, 100, 1000);
	if (big == NULL || small == NULL)
		goto done;
	for (i = 0; i < TF_NCASES; i++) {
		if (strchr(tf_cases[i].addrs, ':') != NULL && !tf_ipv6)
			continue;
		tf_start(tf_cases[i].small ? small : big, tf_cases[i].port,
		    tf_cases[i].path, tf_cases[i].addrs, &got[i]);
	}
	sandbox_loop(tf_base, &tf_pending, TF_WAIT_MS);
	for (i = 0; i < TF_NCASES; i++) {
		if (strchr(tf_cases[i].addrs, ':') != NULL && !tf_ipv6)
			tap_diag("skipped %s: no IPv6", tf_cases[i].name);
		else
			tf_check(&tf_cases[i], &got[i]);
	}
	tap_is_str(got[0].body, TF_POLICY, "policy body delivered whole");
	fetch_counts(big, &running, &queued, &peak);
	tap_is_int((intmax_t)peak, 4, "never more than 4 transfers at once");
	tap_is_int((intmax_t)(running + queued), 0, "nothing left running");
done:
	fetch_free(big);
	fetch_free(small);
}

/* 30 transfers, 3 at a time: the rest queue, all finish. */
static void
tf_bound(void)
{
	static struct tf_got got[30];
	struct fetch *f;
	size_t i, running, queued, peak;
	int ok = 0;

	if ((f = tf_fetch(3, 0, 1000)) == NULL)
		return;
	for (i = 0; i < 30; i++)
		tf_start(f, 443, "/p", "127.0.0.1", &got[i]);
	fetch_counts(f, &running, &queued, &peak);
	tap_ok(running == 3 && queued == 27, "bound: 3 running, 27 queued "
	    "(got %zu, %zu)", running, queued);
	sandbox_loop(tf_base, &tf_pending, TF_WAIT_MS);
	for (i = 0; i < 30; i++)
		ok += got[i].calls == 1 && got[i].st == FETCH_OK;
	tap_is_int(ok, 30, "bound: all 30 fetched");
	fetch_counts(f, &running, &queued, &peak);
	tap_is_int((intmax_t)peak, 3, "bound: peak is the limit");
	fetch_free(f);
}

/*
 * One host pinned to new addresses, transfer after transfer: each pin
 * wins over what the previous transfer left.  Idle in between, fetch.c
 * replaces the multi handle and its DNS cache; with `busy`, a transfer
 * to the hanging listener keeps it from going idle, so each pin must
 * win through the removal of the previous one that fetch.c hands curl
 * ahead of it.  Were a removal to undo a transfer's own pin, curl would
 * ask the system resolver, which does not know the name: an error, not
 * "connect".
 */
static void
tf_repin(int busy)
{
	static const struct {
		const char	*addrs;
		enum fetch_status want;
	} steps[] = {
		{ "127.0.0.1", FETCH_OK },
		{ "127.0.0.9", FETCH_CONNECT },
		{ "127.0.0.1", FETCH_OK },
		{ "127.0.0.9,127.0.0.1", FETCH_OK },
		{ "127.0.0.9", FETCH_CONNECT },
	};
	static const char *const hang_addr[] = { "127.0.0.3" };
	const char *how = busy ? "busy" : "idle";
	struct fetch_req *hang = NULL;
	struct tf_got g, hg;
	size_t i, running = 0, queued, peak;
	struct fetch *f;

	if ((f = tf_fetch(2, 0, 1000)) == NULL)
		return;
	memset(&hg, 0, sizeof(hg));
	if (busy && (hang = fetch_start(f, TF_HOST, 443, "/p", hang_addr, 1,
	    tf_on_done, &hg)) == NULL)
		tap_diag("repin: cannot start the hanging transfer");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		tf_start(f, 443, "/p", steps[i].addrs, &g);
		sandbox_loop(tf_base, &tf_pending, TF_WAIT_MS);
		/* Run what the loop break left pending (fetch_idle). */
		event_base_loop(tf_base, EVLOOP_NONBLOCK);
		tap_ok(g.calls == 1 && g.st == steps[i].want,
		    "re-pin %s %zu: %s gives %s (got %s)", how, i + 1,
		    steps[i].addrs, fetch_status_str(steps[i].want),
		    fetch_status_str(g.st));
	}
	fetch_counts(f, &running, &queued, &peak);
	tap_ok(running == (busy ? 1u : 0u) && hg.calls == 0,
	    "re-pin %s: %zu transfer(s) still running", how, running);
	fetch_cancel(hang);
	fetch_free(f);
}

/* Cancelled transfers, running or queued, never call back. */
static void
tf_cancel(void)
{
	struct fetch_req *r[8];
	struct tf_got got[8];
	struct fetch *f;
	int i, calls = 0, ok = 0;

	if ((f = tf_fetch(2, 0, 1000)) == NULL)
		return;
	for (i = 0; i < 8; i++)
		r[i] = tf_start(f, 443, "/p", "127.0.0.1", &got[i]);
	for (i = 0; i < 8; i += 2) {	/* 0 running, 2.. queued */
		fetch_cancel(r[i]);
		tf_pending--;
	}
	sandbox_loop(tf_base, &tf_pending, TF_WAIT_MS);
	for (i = 0; i < 8; i++) {
		calls += got[i].calls;
		ok += i % 2 == 1 && got[i].st == FETCH_OK && got[i].calls == 1;
	}
	tap_is_int(calls, 4, "cancel: only the kept transfers called back");
	tap_is_int(ok, 4, "cancel: the kept transfers succeeded");
	fetch_free(f);
}

/* The connect deadline covers the TLS handshake. */
static void
tf_hang(void)
{
	struct fetch *f;
	struct tf_got g;
	long t0;

	if ((f = tf_fetch(1, 0, 300)) == NULL)
		return;
	t0 = sandbox_ms();
	tf_start(f, 443, "/p", "127.0.0.3", &g);
	sandbox_loop(tf_base, &tf_pending, TF_WAIT_MS);
	tap_ok(g.st == FETCH_TIMEOUT && sandbox_ms() - t0 < 1300,
	    "hung handshake: timeout after the 300 ms connect deadline "
	    "(%ld ms)", sandbox_ms() - t0);
	fetch_free(f);
}

/* fetch_free with work outstanding: no callback (ASan checks leaks). */
static void
tf_free_busy(void)
{
	struct tf_got got[3];
	struct fetch *f;

	if ((f = tf_fetch(1, 0, 1000)) == NULL)
		return;
	tf_start(f, 443, "/p", "127.0.0.3", &got[0]);
	tf_start(f, 443, "/p", "127.0.0.1", &got[1]);
	tf_start(f, 443, "/p", "127.0.0.1", &got[2]);
	fetch_free(f);
	tf_pending = 0;
	tap_is_int(got[0].calls + got[1].calls + got[2].calls, 0,
	    "fetch_free: no callback for outstanding transfers");
}

static void
tf_bad_args(void)
{
	static const struct {
		const char *host, *path, *addr;
		unsigned port;
	} bad[] = {
		{ "Mta-sts.good.test", "/p", "127.0.0.1", 443 },
		{ "mta-sts.good.test:8443", "/p", "127.0.0.1", 443 },
		{ "mta-sts.good.test", "p", "127.0.0.1", 443 },
		{ "mta-sts.good.test", "/p q", "127.0.0.1", 443 },
		{ "mta-sts.good.test", "/p", "127.0.0.1", 0 },
		{ "mta-sts.good.test", "/p", "127.0.0.1", 65536 },
		{ "mta-sts.good.test", "/p", "[::1]", 443 },
		{ "mta-sts.good.test", "/p", "1.2.3.4,5.6.7.8", 443 },
		{ "mta-sts.good.test", "/p", "localhost", 443 },
		{ "mta-sts.good.test", "/p", "fe80::1%lo", 443 },
		{ "", "/p", "127.0.0.1", 443 },
	};
	struct fetch *f;
	const char *a[1];
	size_t i;

	if ((f = tf_fetch(1, 0, 1000)) == NULL)
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a[0] = bad[i].addr;
		tap_ok(fetch_start(f, bad[i].host, bad[i].port, bad[i].path, a,
		    1, tf_on_done, NULL) == NULL, "bad arguments refused: "
		    "\"%s\" port %u \"%s\" \"%s\"", bad[i].host, bad[i].port,
		    bad[i].path, bad[i].addr);
	}
	tap_ok(fetch_start(f, TF_HOST, 443, "/p", a, 0, tf_on_done, NULL) ==
	    NULL, "no address refused");
	fetch_free(f);
}

int
main(void)
{
	const char *why;
	int hang;

	signal(SIGPIPE, SIG_IGN);
	if ((why = sandbox_enter("test-fetch", "nginx openssl")) != NULL)
		return tap_skip_all(why);
	tf_ipv6 = tf_v6();
	if (tf_certs() == -1 || tf_files() == -1 || tf_conf() == -1 ||
	    (tf_nginx = tf_spawn()) == -1 ||
	    sandbox_wait_tcp("127.0.0.1", 443) == -1 ||
	    (hang = tf_hang_listener()) == -1 ||
	    (tf_base = event_base_new()) == NULL) {
		tap_ok(0, "set-up: certificates or nginx failed");
		sandbox_leave(tf_nginx, SIGQUIT);
		return tap_done();
	}
	tf_table();
	tf_bound();
	tf_repin(0);
	tf_repin(1);
	tf_cancel();
	tf_hang();
	tf_free_busy();
	tf_bad_args();
	event_base_free(tf_base);
	close(hang);
	sandbox_leave(tf_nginx, SIGQUIT);
	return tap_done();
}
