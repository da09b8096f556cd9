/* SPDX-License-Identifier: MIT */
/*
 * Health checks (L2): TCP_CHECK and HTTP_GET probes on raw non-blocking
 * sockets driven by libevent; rise/fall/retry decided by hcsm. No blocking
 * calls, no threads, no datapath or service-table access; see hc.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hc.h"
#include "hcsm.h"

#define HC_REQ_MAX	(CFG_PATH_MAX + 96)	/* request line + Host + Connection */

/* Where one probe is; each phase has its own I/O wait. */
enum hc_io {
	HC_IO_IDLE = 0,		/* no socket: waiting for the next check */
	HC_IO_CONNECT,		/* connect() in progress: wait writable */
	HC_IO_SEND,		/* HTTP: request partly sent: wait writable */
	HC_IO_READ,		/* HTTP: waiting for the status line: wait readable */
};

struct hc_chk {
	struct hc *h;			/* owner */
	struct hc_target t;		/* copy of what hc_add() got */
	struct hcsm sm;
	struct event *timer;		/* next probe (WAIT) or probe timeout (PROBING) */
	struct event *io;		/* fd readiness; NULL when IDLE */
	int fd;				/* -1 when IDLE */
	enum hc_io phase;
	uint64_t t0_us;			/* us, monotonic: probe start */
	char req[HC_REQ_MAX];		/* HTTP request, built once */
	size_t req_len;
	size_t req_sent;		/* bytes of req already sent */
	char rbuf[HC_STATUS_LINE_MAX];	/* response bytes so far */
	size_t rlen;
	/* What lbctl sees. */
	enum hc_reason last_reason;
	char last_detail[HC_DETAIL_LEN];
	uint32_t last_latency_us;	/* us */
	uint64_t n_failed;
	uint64_t hist[HC_HIST_BUCKETS];	/* non-cumulative */
	uint64_t hist_sum_us;		/* us */
};

struct hc {
	struct event_base *base;	/* borrowed */
	hc_event_cb cb;
	void *arg;
	uint64_t rng;			/* splitmix64 state */
	struct hc_chk **chk;		/* n_chk entries, each malloc'd */
	size_t n_chk;
	size_t cap_chk;
	uint64_t hist[HC_HIST_BUCKETS];	/* all probes, non-cumulative */
	uint64_t hist_sum_us;		/* us */
};

const uint32_t hc_hist_le_us[HC_HIST_BUCKETS - 1] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
};

static const char *const hc_reason_names[HC_REASON_MAX] = {
	[HC_OK] = "ok",
	[HC_ERR_TIMEOUT] = "timeout",
	[HC_ERR_REFUSED] = "connect refused",
	[HC_ERR_UNREACH] = "unreachable",
	[HC_ERR_RESET] = "connection reset",
	[HC_ERR_BAD_STATUS] = "bad status",
	[HC_ERR_BAD_RESPONSE] = "bad response",
	[HC_ERR_SOCKET] = "socket error",
	[HC_ERR_CONNECT] = "connect failed",
};

static void hc_timer_cb(evutil_socket_t fd, short what, void *arg);
static void hc_io_cb(evutil_socket_t fd, short what, void *arg);

/* ------------------------------------------------------------------ */
/* Pure helpers                                                        */
/* ------------------------------------------------------------------ */

const char *hc_reason_str(enum hc_reason r)
{
	if ((unsigned int)r >= HC_REASON_MAX)
		return "?";
	return hc_reason_names[r];
}

static bool hc_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason-phrase].
 * Accepted leniently as far as the reason goes (it may be missing along with
 * its SP, as some servers send), strictly for version and code.
 */
bool hc_parse_status_line(const char *line, size_t len, uint16_t *status)
{
	static const char ver[] = "HTTP/";
	const size_t vlen = sizeof(ver) - 1;
	unsigned int code;
	size_t i;

	if (len > HC_STATUS_LINE_MAX)
		return false;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* "HTTP/d.d SP ddd" is 12 bytes. */
	if (len < vlen + 7 || memcmp(line, ver, vlen) != 0)
		return false;
	i = vlen;
	if (!hc_is_digit(line[i]) || line[i + 1] != '.' || !hc_is_digit(line[i + 2]) ||
	    line[i + 3] != ' ')
		return false;
	i += 4;
	if (!hc_is_digit(line[i]) || !hc_is_digit(line[i + 1]) || !hc_is_digit(line[i + 2]))
		return false;
	code = (unsigned int)(line[i] - '0') * 100 + (unsigned int)(line[i + 1] - '0') * 10 +
	       (unsigned int)(line[i + 2] - '0');
	if (code < 100 || code > 599)
		return false;
	i += 3;
	if (i < len) {
		if (line[i] != ' ')
			return false;
		for (i++; i < len; i++) {
			unsigned char c = (unsigned char)line[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return false;
		}
	}
	*status = (uint16_t)code;
	return true;
}

bool hc_status_is_ok(uint16_t status, uint16_t want)
{
	if (want == 0)
		return status >= 200 && status <= 299;
	return status == want;
}

/* splitmix64: a small, seedable generator for jitter; not for secrets. */
static uint32_t hc_rand(struct hc *h)
{
	uint64_t z = (h->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static uint64_t hc_now_us(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer; 0 keeps us defined. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static enum hc_reason hc_errno_reason(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return HC_ERR_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		return HC_ERR_UNREACH;
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
		return HC_ERR_RESET;
	case ETIMEDOUT:
		return HC_ERR_TIMEOUT;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL:
		return HC_ERR_SOCKET;
	default:
		return HC_ERR_CONNECT;
	}
}

static size_t hc_hist_bucket(uint32_t us)
{
	size_t i;

	for (i = 0; i < HC_HIST_BUCKETS - 1; i++)
		if (us <= hc_hist_le_us[i])
			return i;
	return HC_HIST_BUCKETS - 1;
}

static void hc_hist_fill(const uint64_t *raw, uint64_t sum_us, struct hc_hist *out)
{
	uint64_t acc = 0;
	size_t i;

	for (i = 0; i < HC_HIST_BUCKETS; i++) {
		acc += raw[i];
		out->le[i] = acc;
	}
	out->count = acc;
	out->sum_us = sum_us;
}

/* ------------------------------------------------------------------ */
/* Probe life cycle                                                    */
/* ------------------------------------------------------------------ */

static struct timeval hc_tv_ms(uint64_t ms)
{
	struct timeval tv = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_usec = (suseconds_t)((ms % 1000) * 1000),
	};

	return tv;
}

/* Closes the probe's socket and its event; the chk goes back to IDLE. */
static void hc_io_close(struct hc_chk *c)
{
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->phase = HC_IO_IDLE;
}

/* Waits for <what> (EV_READ or EV_WRITE) on the probe socket. 0 or -1. */
static int hc_io_wait(struct hc_chk *c, enum hc_io phase, short what)
{
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	c->phase = phase;
	c->io = event_new(c->h->base, c->fd, what, hc_io_cb, c);
	if (!c->io)
		return -1;
	return event_add(c->io, NULL);
}

/* Re-arms the timer for the machine's next deadline. */
static void hc_schedule(struct hc_chk *c, uint64_t now_ms)
{
	uint64_t dl = hcsm_deadline(&c->sm);
	struct timeval tv = hc_tv_ms(dl > now_ms ? dl - now_ms : 0);

	/* evtimer_add() fails only on a corrupt event; the next reload re-adds. */
	(void)evtimer_add(c->timer, &tv);
}

/*
 * Ends the in-flight probe with <why> and the printf-style detail: records
 * it, feeds the machine, schedules the next probe and, on an up/down change,
 * calls the callback. The callback comes last because it may free <c>.
 */
__attribute__((format(printf, 3, 4)))
static void hc_finish(struct hc_chk *c, enum hc_reason why, const char *fmt, ...)
{
	struct hc *h = c->h;
	struct hcsm_transition tr;
	struct hc_event ev;
	char detail[HC_DETAIL_LEN];
	uint64_t now_us = hc_now_us();
	uint64_t lat = now_us > c->t0_us ? now_us - c->t0_us : 0;
	uint32_t lat_us = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
	size_t b = hc_hist_bucket(lat_us);
	va_list ap;
	bool flipped;

	hc_io_close(c);
	evtimer_del(c->timer);

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);

	c->last_reason = why;
	snprintf(c->last_detail, sizeof(c->last_detail), "%s", detail);
	c->last_latency_us = lat_us;
	if (why != HC_OK)
		c->n_failed++;
	c->hist[b]++;
	c->hist_sum_us += lat_us;
	h->hist[b]++;
	h->hist_sum_us += lat_us;

	flipped = hcsm_probe_done(&c->sm, now_us / 1000, why == HC_OK, (int)why,
				  hc_rand(h), &tr);
	hc_schedule(c, now_us / 1000);
	if (!flipped || !h->cb)
		return;

	ev = (struct hc_event){
		.id = c->t.id,
		.up = tr.is_up,
		.why = why,
		.detail = detail,
		.latency_us = lat_us,
		.streak = tr.streak,
		.attempts = tr.attempts,
		.inhibit_on_failure = tr.inhibit_on_failure,
	};
	h->cb(h->arg, &ev);
	/* <c> may be gone now. */
}

static void hc_fail_errno(struct hc_chk *c, const char *what, int err)
{
	enum hc_reason why = hc_errno_reason(err);

	if (why == HC_ERR_REFUSED || why == HC_ERR_RESET)
		hc_finish(c, why, "%s", hc_reason_str(why));
	else
		hc_finish(c, why, "%s: %s", what, strerror(err));
}

/* The connection is up: TCP_CHECK is done, HTTP_GET starts sending. */
static void hc_connected(struct hc_chk *c)
{
	if (c->t.kind == CFG_CHECK_TCP) {
		hc_finish(c, HC_OK, "connected");
		return;
	}
	c->req_sent = 0;
	c->rlen = 0;
	if (hc_io_wait(c, HC_IO_SEND, EV_WRITE) == -1)
		hc_finish(c, HC_ERR_SOCKET, "event_add failed");
}

static void hc_on_connect(struct hc_chk *c)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		err = errno;
	if (err == EINPROGRESS || err == EINTR)
		return;		/* spurious wake-up; the event is still armed */
	if (err != 0) {
		hc_fail_errno(c, "connect", err);
		return;
	}
	hc_connected(c);
}

static void hc_on_send(struct hc_chk *c)
{
	ssize_t n;

	for (;;) {
		n = send(c->fd, c->req + c->req_sent, c->req_len - c->req_sent, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		break;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		hc_fail_errno(c, "send", errno);
		return;
	}
	c->req_sent += (size_t)n;
	if (c->req_sent < c->req_len)
		return;		/* the write event is still armed */
	if (hc_io_wait(c, HC_IO_READ, EV_READ | EV_PERSIST) == -1)
		hc_finish(c, HC_ERR_SOCKET, "event_add failed");
}

/* True while the bytes so far could still begin "HTTP/". */
static bool hc_could_be_http(const char *buf, size_t len)
{
	static const char ver[] = "HTTP/";
	size_t n = len < sizeof(ver) - 1 ? len : sizeof(ver) - 1;

	return memcmp(buf, ver, n) == 0;
}

static void hc_on_read(struct hc_chk *c)
{
	const char *lf;
	uint16_t status;
	ssize_t n;

	for (;;) {
		n = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, 0);
		if (n == -1 && errno == EINTR)
			continue;
		break;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		hc_fail_errno(c, "recv", errno);
		return;
	}
	if (n == 0) {
		if (c->rlen == 0)
			hc_finish(c, HC_ERR_BAD_RESPONSE, "closed without a response");
		else
			hc_finish(c, HC_ERR_BAD_RESPONSE, "closed before the status line ended");
		return;
	}
	c->rlen += (size_t)n;

	if (!hc_could_be_http(c->rbuf, c->rlen)) {
		hc_finish(c, HC_ERR_BAD_RESPONSE, "not HTTP");
		return;
	}
	lf = memchr(c->rbuf, '\n', c->rlen);
	if (!lf) {
		if (c->rlen == sizeof(c->rbuf))
			hc_finish(c, HC_ERR_BAD_RESPONSE, "status line longer than %zu bytes",
				  sizeof(c->rbuf));
		return;
	}
	if (!hc_parse_status_line(c->rbuf, (size_t)(lf - c->rbuf), &status)) {
		hc_finish(c, HC_ERR_BAD_RESPONSE, "malformed status line");
		return;
	}
	if (!hc_status_is_ok(status, c->t.status_code)) {
		hc_finish(c, HC_ERR_BAD_STATUS, "HTTP %u", (unsigned int)status);
		return;
	}
	hc_finish(c, HC_OK, "HTTP %u", (unsigned int)status);
}

static void hc_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hc_chk *c = arg;

	(void)fd;
	(void)what;
	switch (c->phase) {
	case HC_IO_CONNECT:
		hc_on_connect(c);
		break;
	case HC_IO_SEND:
		hc_on_send(c);
		break;
	case HC_IO_READ:
		hc_on_read(c);
		break;
	case HC_IO_IDLE:
		break;
	}
}

static void hc_start(struct hc_chk *c)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = c->t.port,
		.sin_addr.s_addr = c->t.addr,
	};
	struct timeval tv = hc_tv_ms(c->t.connect_timeout_ms);
	int rc;

	c->t0_us = hc_now_us();
	if (!hcsm_probe_start(&c->sm, c->t0_us / 1000))
		return;
	/* The budget covers connect, send and the status line. */
	(void)evtimer_add(c->timer, &tv);

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd == -1) {
		hc_finish(c, HC_ERR_SOCKET, "socket: %s", strerror(errno));
		return;
	}
	do {
		rc = connect(c->fd, (const struct sockaddr *)&sin, sizeof(sin));
	} while (rc == -1 && errno == EINTR);
	if (rc == 0) {
		hc_connected(c);
		return;
	}
	if (errno != EINPROGRESS) {
		hc_fail_errno(c, "connect", errno);
		return;
	}
	if (hc_io_wait(c, HC_IO_CONNECT, EV_WRITE) == -1)
		hc_finish(c, HC_ERR_SOCKET, "event_add failed");
}

static void hc_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hc_chk *c = arg;

	(void)fd;
	(void)what;
	if (hcsm_phase(&c->sm) == HCSM_P_WAIT) {
		hc_start(c);
		return;
	}
	hc_finish(c, HC_ERR_TIMEOUT, "%s timeout after %u ms",
		  c->phase == HC_IO_READ ? "read" :
		  c->phase == HC_IO_SEND ? "send" : "connect",
		  (unsigned int)c->t.connect_timeout_ms);
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */
/* ------------------------------------------------------------------ */

static struct hc_chk *hc_find(const struct hc *h, uint32_t id, size_t *idx)
{
	size_t i;

	for (i = 0; i < h->n_chk; i++) {
		if (h->chk[i]->t.id == id) {
			if (idx)
				*idx = i;
			return h->chk[i];
		}
	}
	return NULL;
}

static void hc_chk_free(struct hc_chk *c)
{
	if (!c)
		return;
	hc_io_close(c);
	if (c->timer)
		event_free(c->timer);
	free(c);
}

/* A path goes into the request line verbatim: no spaces, no controls. */
static bool hc_path_is_valid(const char *path)
{
	size_t len = strnlen(path, CFG_PATH_MAX);
	size_t i;

	if (len == CFG_PATH_MAX)
		return false;
	if (len == 0)
		return true;
	if (path[0] != '/')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)path[i];

		if (ch <= 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

static bool hc_target_is_valid(const struct hc_target *t)
{
	if (t->kind != CFG_CHECK_TCP && t->kind != CFG_CHECK_HTTP)
		return false;
	if (t->id == HC_ID_ALL)
		return false;
	if (t->port == 0 || t->connect_timeout_ms == 0 || t->delay_loop_ms == 0)
		return false;
	return t->kind != CFG_CHECK_HTTP || hc_path_is_valid(t->path);
}

/*
 * HTTP/1.0 as keepalived sends it. Host carries the port unless it is 80
 * (RFC 9110 §7.2), as keepalived's request template does.
 */
static bool hc_build_request(struct hc_chk *c)
{
	char addr[INET_ADDRSTRLEN];
	char port[8] = "";
	struct in_addr in = { .s_addr = c->t.addr };
	uint16_t hport = ntohs(c->t.port);
	int n;

	if (!inet_ntop(AF_INET, &in, addr, sizeof(addr)))
		return false;
	if (hport != 80)
		snprintf(port, sizeof(port), ":%u", (unsigned int)hport);
	n = snprintf(c->req, sizeof(c->req),
		     "GET %s HTTP/1.0\r\nHost: %s%s\r\nConnection: close\r\n\r\n",
		     c->t.path[0] ? c->t.path : "/", addr, port);
	if (n < 0 || (size_t)n >= sizeof(c->req))
		return false;
	c->req_len = (size_t)n;
	return true;
}

int hc_target_from_cfg(struct hc_target *t, uint32_t id, const struct cfg_svc *svc,
		       const struct cfg_rs *rs)
{
	const struct cfg_check *chk = &rs->check;

	if (chk->kind != CFG_CHECK_TCP && chk->kind != CFG_CHECK_HTTP) {
		errno = EINVAL;
		return -1;
	}
	*t = (struct hc_target){
		.id = id,
		.addr = rs->addr,
		.port = chk->connect_port ? htons(chk->connect_port) : rs->port,
		.kind = chk->kind,
		.status_code = chk->status_code,
		.connect_timeout_ms = chk->connect_timeout_ms,
		.delay_loop_ms = svc->delay_loop_ms,
		.retry = chk->retry,
		.delay_before_retry_ms = chk->delay_before_retry_ms,
		.rise = rs->rise,
		.fall = rs->fall,
		.warmup_ms = svc->delay_loop_ms,
		.inhibit_on_failure = rs->inhibit_on_failure,
	};
	snprintf(t->path, sizeof(t->path), "%s", chk->path);
	return 0;
}

int hc_add(struct hc *h, const struct hc_target *t)
{
	struct hcsm_params p;
	struct hc_chk *c;
	uint64_t now_ms;

	if (!hc_target_is_valid(t)) {
		errno = EINVAL;
		return -1;
	}
	if (hc_find(h, t->id, NULL)) {
		errno = EEXIST;
		return -1;
	}
	if (h->n_chk == h->cap_chk) {
		size_t ncap = h->cap_chk ? h->cap_chk * 2 : 16;
		struct hc_chk **n = realloc(h->chk, ncap * sizeof(*n));

		if (!n)
			goto err_nomem;
		h->chk = n;
		h->cap_chk = ncap;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto err_nomem;
	c->h = h;
	c->t = *t;
	c->t.path[CFG_PATH_MAX - 1] = '\0';
	c->fd = -1;
	if (c->t.kind == CFG_CHECK_HTTP && !hc_build_request(c)) {
		free(c);
		errno = EINVAL;
		return -1;
	}
	c->timer = evtimer_new(h->base, hc_timer_cb, c);
	if (!c->timer)
		goto err_free_chk;

	p = (struct hcsm_params){
		.delay_loop_ms = t->delay_loop_ms,
		/* Up to 10% later, so that servers added together drift apart. */
		.jitter_ms = t->delay_loop_ms / 10,
		.warmup_ms = t->warmup_ms,
		.retry = t->retry,
		.delay_before_retry_ms = t->delay_before_retry_ms,
		.rise = t->rise,
		.fall = t->fall,
		.inhibit_on_failure = t->inhibit_on_failure,
	};
	now_ms = hc_now_us() / 1000;
	hcsm_init(&c->sm, &p, now_ms, hc_rand(h));
	hc_schedule(c, now_ms);

	h->chk[h->n_chk++] = c;
	return 0;

err_free_chk:
	free(c);
err_nomem:
	errno = ENOMEM;
	return -1;
}

int hc_remove(struct hc *h, uint32_t id)
{
	struct hc_chk *c;
	size_t i;

	c = hc_find(h, id, &i);
	if (!c) {
		errno = ENOENT;
		return -1;
	}
	h->chk[i] = h->chk[--h->n_chk];
	hc_chk_free(c);
	return 0;
}

struct hc *hc_new(struct event_base *base, hc_event_cb cb, void *arg, uint32_t seed)
{
	struct hc *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->base = base;
	h->cb = cb;
	h->arg = arg;
	h->rng = seed;
	return h;
}

void hc_free(struct hc *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->n_chk; i++)
		hc_chk_free(h->chk[i]);
	free(h->chk);
	free(h);
}

bool hc_is_up(const struct hc *h, uint32_t id)
{
	const struct hc_chk *c = hc_find(h, id, NULL);

	return c && hcsm_is_up(&c->sm);
}

bool hc_status(const struct hc *h, uint32_t id, struct hc_status *out)
{
	const struct hc_chk *c = hc_find(h, id, NULL);

	if (!c)
		return false;
	*out = (struct hc_status){
		.up = hcsm_is_up(&c->sm),
		.state = hcsm_state_name(hcsm_state(&c->sm)),
		.last_reason = c->last_reason,
		.last_latency_us = c->last_latency_us,
		.n_probes = c->sm.n_probes,
		.n_failed = c->n_failed,
		.n_transitions = c->sm.n_transitions,
	};
	snprintf(out->last_detail, sizeof(out->last_detail), "%s", c->last_detail);
	return true;
}

bool hc_hist(const struct hc *h, uint32_t id, struct hc_hist *out)
{
	const struct hc_chk *c;

	if (id == HC_ID_ALL) {
		hc_hist_fill(h->hist, h->hist_sum_us, out);
		return true;
	}
	c = hc_find(h, id, NULL);
	if (!c)
		return false;
	hc_hist_fill(c->hist, c->hist_sum_us, out);
	return true;
}

size_t hc_count(const struct hc *h)
{
	return h->n_chk;
}
