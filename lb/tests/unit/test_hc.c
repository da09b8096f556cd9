/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for hc.c: the status-line parser (table-driven), then real
 * probes against servers on 127.0.0.1 inside this process, on the same
 * libevent loop: accepting (TCP ok), closed port (refused), full accept queue
 * (connect timeout), silent (read timeout), 503, 200, garbage, plus retry,
 * recovery, removal mid-probe and a few hundred targets at once.
 * Loopback only; timeouts of 50-200 ms keep each case short.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hc.h"

/* Slack for ASan builds and loaded CI machines. */
#define SLACK_US	150000u

/* ------------------------------------------------------------------ */
/* Status-line parser                                                  */
/* ------------------------------------------------------------------ */

struct sl_case {
	const char *line;
	bool ok;
	uint16_t status;
};

static const struct sl_case sl_cases[] = {
	/* line						ok	status */
	{ "HTTP/1.0 200 OK",				true,	200 },
	{ "HTTP/1.1 200 OK\r",				true,	200 },
	{ "HTTP/1.1 503 Service Unavailable",		true,	503 },
	{ "HTTP/1.0 204",				true,	204 },
	{ "HTTP/1.0 204 ",				true,	204 },
	{ "HTTP/2.0 301 Moved\tPermanently",		true,	301 },
	{ "HTTP/1.1 100 Continue",			true,	100 },
	{ "HTTP/1.1 599 x",				true,	599 },
	{ "",						false,	0 },
	{ "\r",						false,	0 },
	{ "HTTP/1.1",					false,	0 },
	{ "HTTP/1.1 ",					false,	0 },
	{ "HTTP/1.1 20",				false,	0 },
	{ "HTTP/1.1 2000 OK",				false,	0 },
	{ "HTTP/1.1 2x0 OK",				false,	0 },
	{ "HTTP/1.1 099 low",				false,	0 },
	{ "HTTP/1.1 600 high",				false,	0 },
	{ "HTTP/1.1  200 OK",				false,	0 },
	{ "HTTP/11 200 OK",				false,	0 },
	{ "HTTP/1.x 200 OK",				false,	0 },
	{ "http/1.1 200 OK",				false,	0 },
	{ "HTTPS/1.1 200 OK",				false,	0 },
	{ " HTTP/1.1 200 OK",				false,	0 },
	{ "HTTP/1.1 200 O\x01K",			false,	0 },
	{ "HTTP/1.1 200 OK\x7f",			false,	0 },
	{ "SSH-2.0-OpenSSH_9.2",			false,	0 },
	{ "<html><body>hello</body></html>",		false,	0 },
};

static void test_hc_parse_status_line_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sl_cases) / sizeof(sl_cases[0]); i++) {
		const struct sl_case *sc = &sl_cases[i];
		uint16_t status = 0xbeef;
		bool ok = hc_parse_status_line(sc->line, strlen(sc->line), &status);

		if (ok != sc->ok)
			fail_msg("case %zu \"%s\": got %d", i, sc->line, ok);
		if (ok)
			assert_int_equal(status, sc->status);
		else
			assert_int_equal(status, 0xbeef);
	}
}

static void test_hc_parse_status_line_bounded(void **state)
{
	char big[HC_STATUS_LINE_MAX + 2];
	uint16_t status = 0;
	char *exact;
	size_t n;

	(void)state;
	/* Reads only <len> bytes: a valid prefix followed by junk is judged on the prefix. */
	assert_true(hc_parse_status_line("HTTP/1.0 200 OK\nXXXX", 15, &status));
	assert_int_equal(status, 200);
	assert_false(hc_parse_status_line("HTTP/1.0 200 OK", 11, &status));
	/* No NUL needed: an exact-size heap copy, checked by ASan. */
	n = strlen("HTTP/1.0 404 Not Found");
	exact = malloc(n);
	assert_non_null(exact);
	memcpy(exact, "HTTP/1.0 404 Not Found", n);
	assert_true(hc_parse_status_line(exact, n, &status));
	assert_int_equal(status, 404);
	free(exact);
	/* Too long is garbage, even if well-formed. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.0 200 ", 13);
	assert_true(hc_parse_status_line(big, HC_STATUS_LINE_MAX, &status));
	assert_false(hc_parse_status_line(big, HC_STATUS_LINE_MAX + 1, &status));
	/* Embedded NUL in the reason is a control character. */
	assert_false(hc_parse_status_line("HTTP/1.0 200 O\0K", 16, &status));
}

static void test_hc_status_is_ok(void **state)
{
	(void)state;
	assert_true(hc_status_is_ok(200, 0));
	assert_true(hc_status_is_ok(204, 0));
	assert_true(hc_status_is_ok(299, 0));
	assert_false(hc_status_is_ok(199, 0));
	assert_false(hc_status_is_ok(300, 0));
	assert_false(hc_status_is_ok(503, 0));
	assert_true(hc_status_is_ok(503, 503));
	assert_false(hc_status_is_ok(200, 204));
	assert_true(hc_status_is_ok(301, 301));
}

static void test_hc_reason_str(void **state)
{
	int r;

	(void)state;
	assert_string_equal(hc_reason_str(HC_OK), "ok");
	assert_string_equal(hc_reason_str(HC_ERR_REFUSED), "connect refused");
	assert_string_equal(hc_reason_str(HC_ERR_TIMEOUT), "timeout");
	assert_string_equal(hc_reason_str(HC_REASON_MAX), "?");
	for (r = 0; r < HC_REASON_MAX; r++) {
		assert_non_null(hc_reason_str((enum hc_reason)r));
		assert_string_not_equal(hc_reason_str((enum hc_reason)r), "?");
	}
}

/* ------------------------------------------------------------------ */
/* Loopback servers                                                    */
/* ------------------------------------------------------------------ */

#define SRV_CONNS	512

struct sconn {
	struct srv *srv;
	int fd;
	struct event *ev;
	char buf[1024];
	size_t len;
};

/*
 * A server on 127.0.0.1. With <accepting> false it never calls accept()
 * (the kernel still completes handshakes into the backlog). Otherwise it
 * accepts; with <reply> NULL it closes at once (TCP_CHECK), else it reads
 * the request up to the blank line, sends <reply> and closes.
 */
struct srv {
	struct event_base *base;
	int lfd;
	uint16_t port;			/* host order */
	struct event *lev;
	const char *reply;
	unsigned int n_accepted;
	char last_req[1024];
	struct sconn *conns[SRV_CONNS];
};

static int listen_on(uint16_t port, int backlog, uint16_t *bound)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t slen = sizeof(sin);
	int one = 1;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	*bound = ntohs(sin.sin_port);
	return fd;
}

/* A port nothing listens on: bound once to reserve a number, then closed. */
static uint16_t closed_port(void)
{
	uint16_t port;
	int fd = listen_on(0, -1, &port);

	close(fd);
	return port;
}

static void sconn_close(struct sconn *sc)
{
	struct srv *s = sc->srv;
	size_t i;

	for (i = 0; i < SRV_CONNS; i++)
		if (s->conns[i] == sc)
			s->conns[i] = NULL;
	event_free(sc->ev);
	close(sc->fd);
	free(sc);
}

static void sconn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sconn *sc = arg;
	struct srv *s = sc->srv;
	ssize_t n;

	(void)what;
	n = recv(fd, sc->buf + sc->len, sizeof(sc->buf) - 1 - sc->len, 0);
	if (n <= 0) {
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		sconn_close(sc);
		return;
	}
	sc->len += (size_t)n;
	sc->buf[sc->len] = '\0';
	if (!strstr(sc->buf, "\r\n\r\n") && sc->len < sizeof(sc->buf) - 1)
		return;
	snprintf(s->last_req, sizeof(s->last_req), "%s", sc->buf);
	if (s->reply[0])
		assert_int_equal(send(fd, s->reply, strlen(s->reply), MSG_NOSIGNAL),
				 (ssize_t)strlen(s->reply));
	sconn_close(sc);
}

static void srv_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct srv *s = arg;
	struct sconn *sc;
	size_t i;
	int fd;

	(void)what;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			return;
		s->n_accepted++;
		if (!s->reply) {
			close(fd);
			continue;
		}
		sc = calloc(1, sizeof(*sc));
		assert_non_null(sc);
		sc->srv = s;
		sc->fd = fd;
		sc->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, sconn_read_cb, sc);
		assert_non_null(sc->ev);
		assert_int_equal(event_add(sc->ev, NULL), 0);
		for (i = 0; i < SRV_CONNS && s->conns[i]; i++)
			;
		if (i < SRV_CONNS)
			s->conns[i] = sc;
		else
			fail_msg("more than %d server connections", SRV_CONNS);
	}
}

static void srv_start(struct srv *s, struct event_base *base, uint16_t port, bool accepting,
		      int backlog, const char *reply)
{
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->reply = reply;
	s->lfd = listen_on(port, backlog, &s->port);
	if (accepting) {
		s->lev = event_new(base, s->lfd, EV_READ | EV_PERSIST, srv_accept_cb, s);
		assert_non_null(s->lev);
		assert_int_equal(event_add(s->lev, NULL), 0);
	}
}

static void srv_stop(struct srv *s)
{
	size_t i;

	for (i = 0; i < SRV_CONNS; i++)
		if (s->conns[i])
			sconn_close(s->conns[i]);
	if (s->lev)
		event_free(s->lev);
	close(s->lfd);
	s->lev = NULL;
	s->lfd = -1;
}

/* ------------------------------------------------------------------ */
/* Checker harness                                                     */
/* ------------------------------------------------------------------ */

#define MAX_EVENTS	1024

struct rec_event {
	struct hc_event ev;
	char detail[HC_DETAIL_LEN];
	uint64_t n_probes;		/* hc_status().n_probes when it came */
};

struct ctx {
	struct event_base *base;
	struct hc *h;
	struct rec_event evs[MAX_EVENTS];
	unsigned int n_ev;
	bool remove_in_cb;		/* the callback removes the target */
	bool expired;
	unsigned int fds_before;	/* open descriptors at setup */
};

/* Open descriptors of this process, to catch leaked probe sockets. */
static unsigned int count_fds(void)
{
	unsigned int n = 0;
	DIR *d = opendir("/proc/self/fd");

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void on_event(void *arg, const struct hc_event *ev)
{
	struct ctx *c = arg;
	struct rec_event *r;
	struct hc_status st;

	assert_true(c->n_ev < MAX_EVENTS);
	r = &c->evs[c->n_ev++];
	r->ev = *ev;
	snprintf(r->detail, sizeof(r->detail), "%s", ev->detail);
	r->ev.detail = r->detail;
	assert_true(hc_status(c->h, ev->id, &st));
	assert_int_equal(st.up, ev->up);
	r->n_probes = st.n_probes;
	if (c->remove_in_cb)
		assert_int_equal(hc_remove(c->h, ev->id), 0);
}

static int ctx_setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->fds_before = count_fds();
	c->base = event_base_new();
	assert_non_null(c->base);
	c->h = hc_new(c->base, on_event, c, 42);
	assert_non_null(c->h);
	*state = c;
	return 0;
}

static int ctx_teardown(void **state)
{
	struct ctx *c = *state;

	unsigned int fds_before = c->fds_before;

	hc_free(c->h);
	event_base_free(c->base);
	free(c);
	/* Every probe socket, server socket and event fd is closed again. */
	assert_int_equal(count_fds(), fds_before);
	return 0;
}

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctx *c = arg;

	(void)fd;
	(void)what;
	c->expired = true;
}

typedef bool (*cond_fn)(struct ctx *c, uint32_t arg);

/* Runs the loop until <cond> holds or <max_ms> pass. Returns cond's value. */
static bool run_until(struct ctx *c, cond_fn cond, uint32_t arg, uint32_t max_ms)
{
	struct timeval tv = { .tv_sec = max_ms / 1000, .tv_usec = (max_ms % 1000) * 1000 };
	struct event *t = evtimer_new(c->base, expire_cb, c);

	assert_non_null(t);
	c->expired = false;
	assert_int_equal(evtimer_add(t, &tv), 0);
	while (!cond(c, arg) && !c->expired)
		assert_true(event_base_loop(c->base, EVLOOP_ONCE) >= 0);
	event_free(t);
	return cond(c, arg);
}

static bool cond_events(struct ctx *c, uint32_t n)
{
	return c->n_ev >= n;
}

static bool cond_never(struct ctx *c, uint32_t n)
{
	(void)c;
	(void)n;
	return false;
}

/* Target 1's probes reach <n>. */
static bool cond_probes(struct ctx *c, uint32_t n)
{
	struct hc_status st;

	return hc_status(c->h, 1, &st) && st.n_probes >= n;
}

static struct hc_target target(uint32_t id, enum cfg_check_kind kind, uint16_t port)
{
	struct hc_target t = {
		.id = id,
		.addr = htonl(INADDR_LOOPBACK),
		.port = htons(port),
		.kind = kind,
		.status_code = 0,
		.connect_timeout_ms = 100,
		.delay_loop_ms = 50,
		.retry = 0,
		.delay_before_retry_ms = 20,
		.rise = 1,
		.fall = 1,
		.warmup_ms = 0,
	};

	snprintf(t.path, sizeof(t.path), "/health");
	return t;
}

/* Runs one HTTP target against a server answering <reply>; returns the event. */
static const struct rec_event *http_against(struct ctx *c, struct srv *s, const char *reply)
{
	struct hc_target t;

	srv_start(s, c->base, 0, true, 16, reply);
	t = target(1, CFG_CHECK_HTTP, s->port);
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_events, 1, 2000));
	return &c->evs[0];
}

/* ------------------------------------------------------------------ */
/* Probes                                                              */
/* ------------------------------------------------------------------ */

static void test_hc_tcp_ok(void **state)
{
	struct ctx *c = *state;
	struct hc_target t;
	struct hc_status st;
	struct hc_hist hi;
	struct srv s;

	srv_start(&s, c->base, 0, true, 64, NULL);
	t = target(1, CFG_CHECK_TCP, s.port);
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(hc_is_up(c->h, 1));
	assert_true(run_until(c, cond_probes, 3, 2000));
	assert_int_equal(c->n_ev, 0);	/* starts up, stays up: nothing to say */
	assert_true(hc_status(c->h, 1, &st));
	assert_true(st.up);
	assert_string_equal(st.state, "up");
	assert_int_equal(st.last_reason, HC_OK);
	assert_string_equal(st.last_detail, "connected");
	assert_true(st.n_failed == 0);
	assert_true(st.last_latency_us < 100000);
	assert_true(s.n_accepted >= 3);
	assert_true(hc_hist(c->h, 1, &hi));
	assert_true(hi.count == st.n_probes);
	assert_true(hi.le[HC_HIST_BUCKETS - 1] == hi.count);
	srv_stop(&s);
}

static void test_hc_tcp_refused(void **state)
{
	struct ctx *c = *state;
	struct hc_target t = target(7, CFG_CHECK_TCP, closed_port());
	const struct rec_event *r;
	struct hc_status st;

	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_events, 1, 2000));
	r = &c->evs[0];
	assert_int_equal(r->ev.id, 7);
	assert_false(r->ev.up);
	assert_int_equal(r->ev.why, HC_ERR_REFUSED);
	assert_string_equal(r->detail, "connect refused");
	assert_int_equal(r->ev.attempts, 1);
	assert_int_equal(r->ev.streak, 1);
	assert_true(r->ev.latency_us < 100000);
	assert_false(hc_is_up(c->h, 7));
	assert_true(hc_status(c->h, 7, &st));
	assert_string_equal(st.state, "down");
	assert_true(st.n_failed == 1);
	/* Still down on later probes: no second event. */
	run_until(c, cond_never, 0, 200);
	assert_int_equal(c->n_ev, 1);
	assert_true(hc_status(c->h, 7, &st));
	assert_true(st.n_probes >= 2);
}

/* Waits until the listener's accept queue holds <n> connections. */
static void wait_acceptq(int lfd, unsigned int n)
{
	uint64_t until = mono_us() + 1000000;
	struct tcp_info ti;
	socklen_t len;

	do {
		len = sizeof(ti);
		assert_int_equal(getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
		/* For a listener, tcpi_unacked is the accept queue length. */
		if (ti.tcpi_unacked >= n)
			return;
		usleep(1000);
	} while (mono_us() < until);
	fail_msg("accept queue never reached %u", n);
}

static void test_hc_tcp_connect_timeout(void **state)
{
	struct ctx *c = *state;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct hc_target t;
	const struct rec_event *r;
	struct srv s;
	int filler;

	/*
	 * Backlog 0 holds one connection; once it is queued and never accepted
	 * the kernel drops further SYNs, so our connect() sees nothing at all.
	 */
	srv_start(&s, c->base, 0, false, 0, NULL);
	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(filler >= 0);
	sin.sin_port = htons(s.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(filler, (struct sockaddr *)&sin, sizeof(sin)), 0);
	wait_acceptq(s.lfd, 1);

	t = target(1, CFG_CHECK_TCP, s.port);
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_events, 1, 2000));
	r = &c->evs[0];
	assert_false(r->ev.up);
	assert_int_equal(r->ev.why, HC_ERR_TIMEOUT);
	assert_string_equal(r->detail, "connect timeout after 100 ms");
	assert_true(r->ev.latency_us >= 100000);
	assert_true(r->ev.latency_us < 100000 + SLACK_US);
	close(filler);
	srv_stop(&s);
}

static void test_hc_http_read_timeout(void **state)
{
	struct ctx *c = *state;
	struct hc_target t;
	const struct rec_event *r;
	struct hc_hist hi;
	struct srv s;

	/* Listens, never accepts: the handshake completes, no answer ever comes. */
	srv_start(&s, c->base, 0, false, 16, NULL);
	t = target(1, CFG_CHECK_HTTP, s.port);
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_events, 1, 2000));
	r = &c->evs[0];
	assert_false(r->ev.up);
	assert_int_equal(r->ev.why, HC_ERR_TIMEOUT);
	assert_string_equal(r->detail, "read timeout after 100 ms");
	assert_true(r->ev.latency_us >= 100000);
	assert_true(r->ev.latency_us < 100000 + SLACK_US);
	/* 100 ms lands in (0.1, 0.25]. */
	assert_true(hc_hist(c->h, 1, &hi));
	assert_true(hi.count == 1);
	assert_true(hi.le[6] == 0);	/* le 0.05 */
	assert_true(hi.le[8] == 1);	/* le 0.25 */
	srv_stop(&s);
}

static void test_hc_http_ok(void **state)
{
	struct ctx *c = *state;
	struct hc_status st;
	struct hc_target t;
	struct srv s;
	char want[128];

	srv_start(&s, c->base, 0, true, 16, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
	t = target(1, CFG_CHECK_HTTP, s.port);
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_probes, 2, 2000));
	assert_int_equal(c->n_ev, 0);
	assert_true(hc_status(c->h, 1, &st));
	assert_true(st.up);
	assert_int_equal(st.last_reason, HC_OK);
	assert_string_equal(st.last_detail, "HTTP 200");
	assert_true(st.n_failed == 0);
	/* Exactly keepalived's HTTP/1.0 request; Host carries the non-80 port. */
	snprintf(want, sizeof(want),
		 "GET /health HTTP/1.0\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n",
		 (unsigned int)s.port);
	assert_string_equal(s.last_req, want);
	srv_stop(&s);
}

static void test_hc_http_bad_status(void **state)
{
	struct ctx *c = *state;
	const struct rec_event *r;
	struct srv s;

	r = http_against(c, &s, "HTTP/1.0 503 Service Unavailable\r\n\r\n");
	assert_false(r->ev.up);
	assert_int_equal(r->ev.why, HC_ERR_BAD_STATUS);
	assert_string_equal(r->detail, "HTTP 503");
	assert_true(r->ev.latency_us < 100000);
	srv_stop(&s);
}

static void test_hc_http_status_code_exact(void **state)
{
	struct ctx *c = *state;
	struct hc_target t;
	struct hc_status st;
	struct srv s;

	/* status_code 204: a 200 is a bad status; then a 204 server is fine. */
	srv_start(&s, c->base, 0, true, 16, "HTTP/1.1 200 OK\r\n\r\n");
	t = target(1, CFG_CHECK_HTTP, s.port);
	t.status_code = 204;
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_events, 1, 2000));
	assert_int_equal(c->evs[0].ev.why, HC_ERR_BAD_STATUS);
	assert_string_equal(c->evs[0].detail, "HTTP 200");
	s.reply = "HTTP/1.1 204 No Content\r\n\r\n";
	assert_true(run_until(c, cond_events, 2, 2000));
	assert_true(c->evs[1].ev.up);
	assert_int_equal(c->evs[1].ev.why, HC_OK);
	assert_string_equal(c->evs[1].detail, "HTTP 204");
	assert_true(hc_status(c->h, 1, &st));
	assert_true(st.n_transitions == 2);
	srv_stop(&s);
}

struct garbage_case {
	const char *reply;
	const char *detail;
};

static const struct garbage_case garbage_cases[] = {
	/* reply					detail */
	{ "SSH-2.0-OpenSSH_9.2\r\n",			"not HTTP" },
	{ "<html>hello</html>",				"not HTTP" },
	{ "HTTP/1.1 2x0 OK\r\n\r\n",			"malformed status line" },
	{ "HTTP/1.1 200",				"closed before the status line ended" },
	{ "",						"closed without a response" },
};

static void test_hc_http_garbage(void **state)
{
	struct ctx *c = *state;
	size_t i;

	for (i = 0; i < sizeof(garbage_cases) / sizeof(garbage_cases[0]); i++) {
		const struct rec_event *r;
		struct srv s;

		c->n_ev = 0;
		r = http_against(c, &s, garbage_cases[i].reply);
		assert_false(r->ev.up);
		assert_int_equal(r->ev.why, HC_ERR_BAD_RESPONSE);
		if (strcmp(r->detail, garbage_cases[i].detail) != 0)
			fail_msg("case %zu: detail \"%s\"", i, r->detail);
		assert_int_equal(hc_remove(c->h, 1), 0);
		srv_stop(&s);
	}
}

static void test_hc_http_status_line_too_long(void **state)
{
	struct ctx *c = *state;
	const struct rec_event *r;
	static char reply[HC_STATUS_LINE_MAX + 64];
	struct srv s;

	memset(reply, 'a', sizeof(reply) - 1);
	memcpy(reply, "HTTP/1.0 200 ", 13);
	reply[sizeof(reply) - 1] = '\0';
	r = http_against(c, &s, reply);
	assert_int_equal(r->ev.why, HC_ERR_BAD_RESPONSE);
	assert_non_null(strstr(r->detail, "longer than"));
	srv_stop(&s);
}

static void test_hc_retry_before_down(void **state)
{
	struct ctx *c = *state;
	struct hc_target t = target(1, CFG_CHECK_TCP, closed_port());
	const struct rec_event *r;
	uint64_t t0 = mono_us();

	t.retry = 2;
	t.delay_before_retry_ms = 20;
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_events, 1, 2000));
	r = &c->evs[0];
	assert_false(r->ev.up);
	assert_int_equal(r->ev.attempts, 3);
	assert_true(r->n_probes == 3);
	/* Two retry delays of 20 ms came first. */
	assert_true(mono_us() - t0 >= 40000);
}

static void test_hc_rise_fall_recovery(void **state)
{
	struct ctx *c = *state;
	struct hc_target t;
	struct srv s;
	uint16_t port = closed_port();

	t = target(1, CFG_CHECK_TCP, port);
	t.fall = 2;
	t.rise = 3;
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_events, 1, 2000));
	assert_false(c->evs[0].ev.up);
	assert_int_equal(c->evs[0].ev.streak, 2);
	assert_true(c->evs[0].n_probes == 2);
	/* The server comes back on the same port: up after three passes. */
	srv_start(&s, c->base, port, true, 64, NULL);
	assert_true(run_until(c, cond_events, 2, 2000));
	assert_true(c->evs[1].ev.up);
	assert_int_equal(c->evs[1].ev.why, HC_OK);
	assert_int_equal(c->evs[1].ev.streak, 3);
	assert_string_equal(c->evs[1].detail, "connected");
	assert_true(hc_is_up(c->h, 1));
	srv_stop(&s);
}

static void test_hc_remove_inflight(void **state)
{
	struct ctx *c = *state;
	struct hc_target t;
	struct hc_status st;
	struct srv s;

	srv_start(&s, c->base, 0, false, 16, NULL);
	t = target(1, CFG_CHECK_HTTP, s.port);
	t.connect_timeout_ms = 200;
	assert_int_equal(hc_add(c->h, &t), 0);
	run_until(c, cond_never, 0, 30);	/* probe now waits for the status line */
	assert_true(hc_status(c->h, 1, &st));
	assert_true(st.n_probes == 0);
	assert_int_equal(hc_remove(c->h, 1), 0);
	assert_int_equal(hc_count(c->h), 0);
	run_until(c, cond_never, 0, 300);
	assert_int_equal(c->n_ev, 0);
	srv_stop(&s);
}

static void test_hc_remove_from_callback(void **state)
{
	struct ctx *c = *state;
	struct hc_target t = target(3, CFG_CHECK_TCP, closed_port());

	c->remove_in_cb = true;
	assert_int_equal(hc_add(c->h, &t), 0);
	assert_true(run_until(c, cond_events, 1, 2000));
	assert_int_equal(hc_count(c->h), 0);
	run_until(c, cond_never, 0, 150);
	assert_int_equal(c->n_ev, 1);
}

#define MANY	300

static void test_hc_many_targets(void **state)
{
	struct ctx *c = *state;
	uint16_t dead = closed_port();
	struct hc_hist all;
	struct srv s;
	uint32_t i;

	srv_start(&s, c->base, 0, true, 1024, NULL);
	for (i = 0; i < MANY; i++) {
		struct hc_target t = target(100 + i, CFG_CHECK_TCP, i % 2 ? dead : s.port);

		t.warmup_ms = 50;	/* spread the first round */
		assert_int_equal(hc_add(c->h, &t), 0);
	}
	assert_int_equal(hc_count(c->h), MANY);
	assert_true(run_until(c, cond_events, MANY / 2, 3000));
	run_until(c, cond_never, 0, 150);
	assert_int_equal(c->n_ev, MANY / 2);
	for (i = 0; i < c->n_ev; i++) {
		assert_true(c->evs[i].ev.id % 2 == 1);	/* 100 + odd i */
		assert_int_equal(c->evs[i].ev.why, HC_ERR_REFUSED);
	}
	for (i = 0; i < MANY; i++)
		assert_int_equal(hc_is_up(c->h, 100 + i), i % 2 == 0);
	assert_true(hc_hist(c->h, HC_ID_ALL, &all));
	assert_true(all.count >= MANY);
	for (i = 1; i < HC_HIST_BUCKETS; i++)
		assert_true(all.le[i] >= all.le[i - 1]);
	srv_stop(&s);
}

/* ------------------------------------------------------------------ */
/* API edges                                                           */
/* ------------------------------------------------------------------ */

static void test_hc_add_rejects(void **state)
{
	struct ctx *c = *state;
	struct hc_target t = target(1, CFG_CHECK_HTTP, 80), bad;
	struct hc_status st;
	struct hc_hist hi;

	bad = t;
	bad.kind = CFG_CHECK_NONE;
	errno = 0;
	assert_int_equal(hc_add(c->h, &bad), -1);
	assert_int_equal(errno, EINVAL);
	bad = t;
	bad.port = 0;
	assert_int_equal(hc_add(c->h, &bad), -1);
	bad = t;
	bad.connect_timeout_ms = 0;
	assert_int_equal(hc_add(c->h, &bad), -1);
	bad = t;
	bad.delay_loop_ms = 0;
	assert_int_equal(hc_add(c->h, &bad), -1);
	bad = t;
	bad.id = HC_ID_ALL;
	assert_int_equal(hc_add(c->h, &bad), -1);
	bad = t;
	snprintf(bad.path, sizeof(bad.path), "/a b");
	assert_int_equal(hc_add(c->h, &bad), -1);
	snprintf(bad.path, sizeof(bad.path), "/x\r\nEvil: 1");
	assert_int_equal(hc_add(c->h, &bad), -1);
	snprintf(bad.path, sizeof(bad.path), "health");
	assert_int_equal(hc_add(c->h, &bad), -1);
	memset(bad.path, 'a', sizeof(bad.path));	/* no NUL */
	bad.path[0] = '/';
	assert_int_equal(hc_add(c->h, &bad), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(hc_count(c->h), 0);

	assert_int_equal(hc_add(c->h, &t), 0);
	errno = 0;
	assert_int_equal(hc_add(c->h, &t), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(hc_count(c->h), 1);

	/* Unknown ids. */
	errno = 0;
	assert_int_equal(hc_remove(c->h, 2), -1);
	assert_int_equal(errno, ENOENT);
	assert_false(hc_is_up(c->h, 2));
	assert_false(hc_status(c->h, 2, &st));
	assert_false(hc_hist(c->h, 2, &hi));
	/* Before the first probe: up, nothing recorded. */
	assert_true(hc_status(c->h, 1, &st));
	assert_true(st.up);
	assert_string_equal(st.last_detail, "");
	assert_true(st.n_probes == 0);
	assert_int_equal(hc_remove(c->h, 1), 0);
	assert_int_equal(hc_count(c->h), 0);
	hc_free(NULL);
}

static void test_hc_target_from_cfg(void **state)
{
	struct cfg_svc svc = { .delay_loop_ms = 2500 };
	struct cfg_rs rs = {
		.addr = htonl(0x0a000002),
		.port = htons(8080),
		.inhibit_on_failure = true,
		.rise = 2,
		.fall = 3,
		.check = {
			.kind = CFG_CHECK_HTTP,
			.connect_timeout_ms = 300,
			.retry = 1,
			.delay_before_retry_ms = 200,
			.path = "/healthz",
			.status_code = 204,
		},
	};
	struct hc_target t;

	(void)state;
	assert_int_equal(hc_target_from_cfg(&t, 9, &svc, &rs), 0);
	assert_int_equal(t.id, 9);
	assert_true(t.addr == rs.addr);
	assert_true(t.port == htons(8080));
	assert_int_equal(t.kind, CFG_CHECK_HTTP);
	assert_string_equal(t.path, "/healthz");
	assert_int_equal(t.status_code, 204);
	assert_int_equal(t.connect_timeout_ms, 300);
	assert_int_equal(t.delay_loop_ms, 2500);
	assert_int_equal(t.warmup_ms, 2500);
	assert_int_equal(t.retry, 1);
	assert_int_equal(t.delay_before_retry_ms, 200);
	assert_int_equal(t.rise, 2);
	assert_int_equal(t.fall, 3);
	assert_true(t.inhibit_on_failure);
	rs.check.connect_port = 9000;
	assert_int_equal(hc_target_from_cfg(&t, 9, &svc, &rs), 0);
	assert_true(t.port == htons(9000));
	rs.check.kind = CFG_CHECK_NONE;
	errno = 0;
	assert_int_equal(hc_target_from_cfg(&t, 9, &svc, &rs), -1);
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hc_parse_status_line_table),
		cmocka_unit_test(test_hc_parse_status_line_bounded),
		cmocka_unit_test(test_hc_status_is_ok),
		cmocka_unit_test(test_hc_reason_str),
		cmocka_unit_test(test_hc_target_from_cfg),
#define T(f) cmocka_unit_test_setup_teardown(f, ctx_setup, ctx_teardown)
		T(test_hc_add_rejects),
		T(test_hc_tcp_ok),
		T(test_hc_tcp_refused),
		T(test_hc_tcp_connect_timeout),
		T(test_hc_http_read_timeout),
		T(test_hc_http_ok),
		T(test_hc_http_bad_status),
		T(test_hc_http_status_code_exact),
		T(test_hc_http_garbage),
		T(test_hc_http_status_line_too_long),
		T(test_hc_retry_before_down),
		T(test_hc_rise_fall_recovery),
		T(test_hc_remove_inflight),
		T(test_hc_remove_from_callback),
		T(test_hc_many_targets),
#undef T
	};

	return cmocka_run_group_tests_name("hc", tests, NULL, NULL);
}
