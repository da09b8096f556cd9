/* SPDX-License-Identifier: MIT */
/*
 * ticketd: the flash-sale HTTP backend. One event loop per thread, each with
 * its own SO_REUSEPORT listener, evhttp server and tickets seller (its own
 * Redis connection and lease); threads share nothing but read-only config
 * and atomic counters. L3: options, wiring, signals and HTTP handlers.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "guard.h"
#include "http.h"
#include "log.h"
#include "tickets.h"

#define SRV_THREADS_MAX 64

struct srv_cfg {
	char listen_host[64];	/* numeric IPv4 address */
	int listen_port;	/* TCP port, host order */
	char redis_host[256];	/* numeric address (no blocking lookups) */
	int redis_port;		/* TCP port, host order */
	char node[HTTP_USER_MAX + 1];	/* node id, validated like user ids */
	char prefix[32];	/* Redis key prefix */
	int64_t quota;		/* tickets, lease size per thread */
	int threads;		/* event loops */
	int lease_ttl_ms;	/* ms a lease lives without heartbeat */
	int heartbeat_ms;	/* ms between heartbeats */
	int redis_timeout_ms;	/* ms a Redis reply may take */
	int sweep_ms;		/* ms between sweeps, 0 = off */
	int request_timeout_ms;	/* ms, whole-request deadline (slowloris) */
	int idle_timeout_s;	/* s, evhttp read/write inactivity timeout */
	int drain_ms;		/* ms health is 503 before closing */
};

struct server;

struct worker {
	int idx;			/* thread index, 0-based */
	int lfd;			/* listening socket, SO_REUSEPORT */
	int efd;			/* eventfd: main thread -> drain */
	pthread_t th;
	struct server *srv;		/* borrowed, outlives the worker */
	struct event_base *base;	/* this thread's loop, lock-free */
	struct evhttp *http;
	struct evhttp_bound_socket *bound;	/* NULL once closed */
	struct guard *guard;
	struct tickets *tk;		/* this loop's seller */
	struct event *drain_ev, *close_ev, *exit_ev;
	bool closing;			/* loop-local: listener closed */
	char seller[HTTP_USER_MAX + 16];	/* "<node>/<idx>" */
	_Atomic uint64_t bad_requests;	/* 4xx answers */
};

struct server {
	struct srv_cfg cfg;		/* read-only once threads start */
	int nworkers;
	struct worker *workers;		/* nworkers entries */
	_Atomic bool draining;		/* set by the main thread on SIGTERM */
};

static void
reply_json(struct evhttp_request *req, int code, const char *body, int len,
    bool close)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *reason;

	evhttp_add_header(h, "Content-Type", "application/json");
	if (close)
		evhttp_add_header(h, "Connection", "close");
	if (len > 0)
		evbuffer_add(evhttp_request_get_output_buffer(req), body,
		    (size_t)len);
	switch (code) {
	case 200: reason = "OK"; break;
	case 400: reason = "Bad Request"; break;
	case 404: reason = "Not Found"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 409: reason = "Conflict"; break;
	case 414: reason = "URI Too Long"; break;
	case 503: reason = "Service Unavailable"; break;
	default: reason = "Error"; break;
	}
	evhttp_send_reply(req, code, reason, NULL);
}

/*
 * The answer table: how a store result becomes an HTTP reply.
 */
static const struct srv_answer {
	enum tickets_status st;
	int code;
	const char *status;	/* JSON "status" */
	bool with_order;
} srv_answers[] = {
	/* result                 code  status         order */
	{ TICKETS_OK,             200,  "ok",          true },
	{ TICKETS_DUP,            200,  "duplicate",   true },
	{ TICKETS_SOLD_OUT,       200,  "sold_out",    false },
	{ TICKETS_PAID,           200,  "paid",        true },
	{ TICKETS_EXPIRED,        409,  "expired",     true },
	{ TICKETS_NOT_FOUND,      404,  "not_found",   false },
	{ TICKETS_UNAVAILABLE,    503,  "unavailable", false },
};

static void
reply_result(struct evhttp_request *req, enum tickets_status st,
    const char *order)
{
	const struct srv_answer *a = &srv_answers[6];
	char body[128];
	size_t i;
	int n;

	for (i = 0; i < sizeof(srv_answers) / sizeof(srv_answers[0]); i++)
		if (srv_answers[i].st == st)
			a = &srv_answers[i];
	n = http_json_status(body, sizeof(body), a->status,
	    a->with_order ? order : NULL);
	reply_json(req, a->code, body, n, false);
}

static void
on_store_done(const struct tickets_result *res, void *arg)
{
	reply_result(arg, res->status, res->order);
}

static void
reply_stats(struct worker *w, struct evhttp_request *req)
{
	struct server *srv = w->srv;
	struct tickets_stats t, sum;
	uint64_t rtt_sum = 0, bad = 0;
	int i, connected = 0, nrtt = 0;
	char body[1024];
	int n;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < srv->nworkers; i++) {
		struct worker *x = &srv->workers[i];

		if (x->tk == NULL)
			continue;
		tickets_stats(x->tk, &t);
		sum.quota_left += t.quota_left;
		sum.inflight += t.inflight;
		sum.sold += t.sold;
		sum.dups += t.dups;
		sum.sold_out_local += t.sold_out_local;
		sum.sold_out_redis += t.sold_out_redis;
		sum.unavailable += t.unavailable;
		sum.errors += t.errors;
		sum.reconnects += t.reconnects;
		connected += t.connected;
		if (t.rtt_us > 0) {
			rtt_sum += t.rtt_us;
			nrtt++;
		}
		bad += atomic_load_explicit(&x->bad_requests,
		    memory_order_relaxed);
	}
	n = snprintf(body, sizeof(body),
	    "{\"node\":\"%s\",\"threads\":%d,\"draining\":%s,"
	    "\"quota_left\":%lld,\"inflight\":%lld,\"sold\":%llu,"
	    "\"duplicates\":%llu,\"sold_out_local\":%llu,"
	    "\"sold_out_redis\":%llu,\"unavailable\":%llu,\"errors\":%llu,"
	    "\"bad_requests\":%llu,\"redis_connected\":%d,"
	    "\"redis_connects\":%llu,\"redis_rtt_us\":%llu}\n",
	    srv->cfg.node, srv->nworkers,
	    atomic_load(&srv->draining) ? "true" : "false",
	    (long long)sum.quota_left, (long long)sum.inflight,
	    (unsigned long long)sum.sold, (unsigned long long)sum.dups,
	    (unsigned long long)sum.sold_out_local,
	    (unsigned long long)sum.sold_out_redis,
	    (unsigned long long)sum.unavailable,
	    (unsigned long long)sum.errors, (unsigned long long)bad,
	    connected, (unsigned long long)sum.reconnects,
	    (unsigned long long)(nrtt ? rtt_sum / (uint64_t)nrtt : 0));
	if (n < 0 || (size_t)n >= sizeof(body))
		n = http_json_error(body, sizeof(body), "stats overflow");
	reply_json(req, 200, body, n, false);
}

static enum http_method
method_of(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: return HTTP_M_GET;
	case EVHTTP_REQ_HEAD: return HTTP_M_HEAD;
	case EVHTTP_REQ_POST: return HTTP_M_POST;
	default: return HTTP_M_OTHER;
	}
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct http_req hr;
	enum tickets_status st;
	char body[160];
	int n;

	if (!http_req_parse(method_of(req), uri, strlen(uri), &hr)) {
		atomic_fetch_add_explicit(&w->bad_requests, 1,
		    memory_order_relaxed);
		n = http_json_error(body, sizeof(body), hr.err);
		reply_json(req, hr.code, body, n, false);
		return;
	}
	switch (hr.route) {
	case HTTP_R_HEALTH:
		if (atomic_load(&w->srv->draining)) {
			n = http_json_status(body, sizeof(body), "draining",
			    NULL);
			reply_json(req, 503, body, n, w->closing);
		} else {
			n = http_json_status(body, sizeof(body), "ok", NULL);
			reply_json(req, 200, body, n, false);
		}
		return;
	case HTTP_R_STATS:
		reply_stats(w, req);
		return;
	case HTTP_R_BUY:
		st = tickets_buy(w->tk, hr.user, on_store_done, req);
		break;
	case HTTP_R_PAY:
		st = tickets_pay(w->tk, hr.order, hr.user, on_store_done, req);
		break;
	default:
		st = TICKETS_UNAVAILABLE;
		break;
	}
	if (st != TICKETS_PENDING)
		reply_result(req, st, NULL);
}

static void
on_drained(void *arg)
{
	struct worker *w = arg;
	struct timeval tv = { 0, 100 * 1000 };	/* let replies flush */

	event_base_loopexit(w->base, &tv);
}

static void
on_close(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	w->closing = true;
	if (w->bound != NULL) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
	}
	tickets_drain(w->tk, on_drained, w);
}

static void
on_exit_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	log_warn("thread %d: drain deadline passed; exiting", w->idx);
	event_base_loopexit(w->base, NULL);
}

/* Runs on the worker's loop when the main thread starts a drain. */
static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int ms = w->srv->cfg.drain_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct timeval hard = { tv.tv_sec + 5, tv.tv_usec };

	uint64_t v;

	(void)what;
	while (read(fd, &v, sizeof(v)) == -1 && errno == EINTR)
		;
	evtimer_add(w->close_ev, &tv);
	evtimer_add(w->exit_ev, &hard);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

static int
worker_init(struct server *srv, struct worker *w, int idx)
{
	const struct srv_cfg *cfg = &srv->cfg;
	struct event_config *ecfg;
	struct tickets_cfg tc;

	w->idx = idx;
	w->srv = srv;
	snprintf(w->seller, sizeof(w->seller), "%s/%d", cfg->node, idx);
	/*
	 * Each loop is touched by its own thread only (the drain request
	 * arrives through an eventfd), so its base needs no locks. evhttp
	 * turns read and write interest on and off for every request; the
	 * epoll changelist folds those into one epoll_ctl per fd per loop
	 * iteration (perf showed epoll_ctl as the top syscall without it).
	 */
	ecfg = event_config_new();
	if (ecfg == NULL)
		return -1;
	event_config_set_flag(ecfg, EVENT_BASE_FLAG_NOLOCK |
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	w->base = event_base_new_with_config(ecfg);
	event_config_free(ecfg);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->base == NULL || w->efd == -1)
		return -1;
	w->http = evhttp_new(w->base);
	w->guard = guard_new(w->base, cfg->request_timeout_ms);
	w->drain_ev = event_new(w->base, w->efd, EV_READ, on_drain, w);
	w->close_ev = evtimer_new(w->base, on_close, w);
	w->exit_ev = evtimer_new(w->base, on_exit_timer, w);
	if (w->http == NULL || w->guard == NULL || w->drain_ev == NULL ||
	    w->close_ev == NULL || w->exit_ev == NULL ||
	    event_add(w->drain_ev, NULL) != 0)
		return -1;
	evhttp_set_bevcb(w->http, guard_bevcb, w->guard);
	evhttp_set_max_headers_size(w->http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(w->http, HTTP_BODY_MAX);
	evhttp_set_timeout(w->http, cfg->idle_timeout_s);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(w->http, on_request, w);
	w->bound = evhttp_accept_socket_with_handle(w->http, w->lfd);
	if (w->bound == NULL)
		return -1;
	memset(&tc, 0, sizeof(tc));
	tc.host = cfg->redis_host;
	tc.port = cfg->redis_port;
	tc.prefix = cfg->prefix;
	tc.node = cfg->node;
	tc.seller = w->seller;
	tc.quota = cfg->quota;
	tc.lease_ttl_ms = cfg->lease_ttl_ms;
	tc.heartbeat_ms = cfg->heartbeat_ms;
	tc.timeout_ms = cfg->redis_timeout_ms;
	tc.sweep_ms = idx == 0 ? cfg->sweep_ms : 0;
	w->tk = tickets_new(w->base, &tc);
	if (w->tk == NULL)
		return -1;
	return 0;
}

static void
worker_fini(struct worker *w)
{
	tickets_free(w->tk);
	w->tk = NULL;
	if (w->http != NULL)
		evhttp_free(w->http);	/* closes w->lfd if still bound */
	else if (w->lfd >= 0)
		close(w->lfd);
	guard_free(w->guard);
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->close_ev)
		event_free(w->close_ev);
	if (w->exit_ev)
		event_free(w->exit_ev);
	if (w->base)
		event_base_free(w->base);
	if (w->efd >= 0)
		close(w->efd);
}

/* Returns a listening, non-blocking SO_REUSEPORT socket, or -1. */
static int
listen_socket(const char *host, int port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1024) == -1)
		goto err_close;
	return fd;

err_close:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

/* Splits "HOST:PORT" into <host> and <port>; false if malformed. */
static bool
parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= hostlen)
		return false;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p <= 0 || p > 65535)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (int)p;
	return true;
}

static bool
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ticketd [options]\n"
	    "  --listen ADDR:PORT        HTTP listen address (127.0.0.1:8080)\n"
	    "  --redis HOST:PORT         Redis address, numeric (127.0.0.1:6379)\n"
	    "  --node ID                 node id, [A-Za-z0-9_-]{1,64} (node1)\n"
	    "  --quota N                 tickets leased per thread (100)\n"
	    "  --threads N               event loops, SO_REUSEPORT (1)\n"
	    "  --prefix P                Redis key prefix (tk:)\n"
	    "  --lease-ttl-ms MS         lease lifetime without heartbeat (3000)\n"
	    "  --heartbeat-ms MS         heartbeat period (lease-ttl/3)\n"
	    "  --redis-timeout-ms MS     Redis reply deadline (1000)\n"
	    "  --sweep-ms MS             expiry sweeper period, 0 = off (500)\n"
	    "  --request-timeout-ms MS   whole-request deadline (10000)\n"
	    "  --idle-timeout S          keep-alive idle timeout (30)\n"
	    "  --drain-ms MS             health 503 before closing (1000)\n");
}

/* Option table: long name, internal code, numeric bounds. */
enum srv_opt {
	OPT_LISTEN = 0, OPT_REDIS, OPT_NODE, OPT_QUOTA, OPT_THREADS,
	OPT_PREFIX, OPT_LEASE_TTL, OPT_HEARTBEAT, OPT_RTIMEOUT, OPT_SWEEP,
	OPT_REQTIMEOUT, OPT_IDLE, OPT_DRAIN, OPT_HELP,
};

static const struct option srv_longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "redis", required_argument, NULL, OPT_REDIS },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "quota", required_argument, NULL, OPT_QUOTA },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "lease-ttl-ms", required_argument, NULL, OPT_LEASE_TTL },
	{ "heartbeat-ms", required_argument, NULL, OPT_HEARTBEAT },
	{ "redis-timeout-ms", required_argument, NULL, OPT_RTIMEOUT },
	{ "sweep-ms", required_argument, NULL, OPT_SWEEP },
	{ "request-timeout-ms", required_argument, NULL, OPT_REQTIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "drain-ms", required_argument, NULL, OPT_DRAIN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Numeric options: where each goes and its bounds. */
static const struct srv_num_opt {
	enum srv_opt opt;
	long lo, hi;
} srv_num_opts[] = {
	/* option           lo  hi */
	{ OPT_QUOTA,        1,  100000000 },
	{ OPT_THREADS,      1,  SRV_THREADS_MAX },
	{ OPT_LEASE_TTL,    100, 3600000 },
	{ OPT_HEARTBEAT,    10, 3600000 },
	{ OPT_RTIMEOUT,     10, 600000 },
	{ OPT_SWEEP,        0,  3600000 },
	{ OPT_REQTIMEOUT,   100, 3600000 },
	{ OPT_IDLE,         1,  3600 },
	{ OPT_DRAIN,        0,  600000 },
};

static void
set_num(struct srv_cfg *cfg, enum srv_opt opt, long v)
{
	switch (opt) {
	case OPT_QUOTA: cfg->quota = v; break;
	case OPT_THREADS: cfg->threads = (int)v; break;
	case OPT_LEASE_TTL: cfg->lease_ttl_ms = (int)v; break;
	case OPT_HEARTBEAT: cfg->heartbeat_ms = (int)v; break;
	case OPT_RTIMEOUT: cfg->redis_timeout_ms = (int)v; break;
	case OPT_SWEEP: cfg->sweep_ms = (int)v; break;
	case OPT_REQTIMEOUT: cfg->request_timeout_ms = (int)v; break;
	case OPT_IDLE: cfg->idle_timeout_s = (int)v; break;
	case OPT_DRAIN: cfg->drain_ms = (int)v; break;
	default: break;
	}
}

static int
parse_args(int argc, char **argv, struct srv_cfg *cfg)
{
	int c;
	size_t i;
	long v;

	snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
	cfg->listen_port = 8080;
	snprintf(cfg->redis_host, sizeof(cfg->redis_host), "127.0.0.1");
	cfg->redis_port = 6379;
	snprintf(cfg->node, sizeof(cfg->node), "node1");
	snprintf(cfg->prefix, sizeof(cfg->prefix), "tk:");
	cfg->quota = 100;
	cfg->threads = 1;
	cfg->lease_ttl_ms = 3000;
	cfg->heartbeat_ms = 0;
	cfg->redis_timeout_ms = 1000;
	cfg->sweep_ms = 500;
	cfg->request_timeout_ms = 10000;
	cfg->idle_timeout_s = 30;
	cfg->drain_ms = 1000;
	while ((c = getopt_long(argc, argv, "", srv_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			if (!parse_hostport(optarg, cfg->listen_host,
			    sizeof(cfg->listen_host), &cfg->listen_port))
				goto bad;
			break;
		case OPT_REDIS:
			if (!parse_hostport(optarg, cfg->redis_host,
			    sizeof(cfg->redis_host), &cfg->redis_port))
				goto bad;
			break;
		case OPT_NODE:
			if (!http_user_is_valid(optarg, strlen(optarg)))
				goto bad;
			snprintf(cfg->node, sizeof(cfg->node), "%s", optarg);
			break;
		case OPT_PREFIX:
			if (strlen(optarg) == 0 ||
			    strlen(optarg) >= sizeof(cfg->prefix))
				goto bad;
			snprintf(cfg->prefix, sizeof(cfg->prefix), "%s", optarg);
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case '?':
			usage(stderr);
			return -1;
		default:
			for (i = 0; i < sizeof(srv_num_opts) /
			    sizeof(srv_num_opts[0]); i++)
				if ((int)srv_num_opts[i].opt == c)
					break;
			if (i == sizeof(srv_num_opts) / sizeof(srv_num_opts[0]) ||
			    !parse_int(optarg, srv_num_opts[i].lo,
			    srv_num_opts[i].hi, &v))
				goto bad;
			set_num(cfg, (enum srv_opt)c, v);
			break;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ticketd: unexpected argument %s\n",
		    argv[optind]);
		return -1;
	}
	if (cfg->heartbeat_ms == 0)
		cfg->heartbeat_ms = cfg->lease_ttl_ms / 3;
	if (cfg->heartbeat_ms >= cfg->lease_ttl_ms) {
		fprintf(stderr, "ticketd: --heartbeat-ms must be below "
		    "--lease-ttl-ms\n");
		return -1;
	}
	return 0;

bad:
	fprintf(stderr, "ticketd: bad value for --%s: %s\n",
	    srv_longopts[c >= 0 && c < OPT_HELP ? c : 0].name, optarg);
	return -1;
}

int
main(int argc, char **argv)
{
	struct server srv;
	sigset_t set;
	int i, sig, started = 0, rc = 1;

	memset(&srv, 0, sizeof(srv));
	if (parse_args(argc, argv, &srv.cfg) != 0)
		return 1;
	log_set_tag(srv.cfg.node);
	signal(SIGPIPE, SIG_IGN);
	srv.nworkers = srv.cfg.threads;
	srv.workers = calloc((size_t)srv.nworkers, sizeof(*srv.workers));
	if (srv.workers == NULL)
		return 1;
	for (i = 0; i < srv.nworkers; i++) {
		srv.workers[i].lfd = -1;
		srv.workers[i].efd = -1;
	}
	for (i = 0; i < srv.nworkers; i++) {
		srv.workers[i].lfd = listen_socket(srv.cfg.listen_host,
		    srv.cfg.listen_port);
		if (srv.workers[i].lfd == -1) {
			log_warn("listen %s:%d: %s", srv.cfg.listen_host,
			    srv.cfg.listen_port, strerror(errno));
			goto out_fini;
		}
	}
	for (i = 0; i < srv.nworkers; i++) {
		if (worker_init(&srv, &srv.workers[i], i) != 0) {
			log_warn("thread %d: setup failed", i);
			goto out_fini;
		}
	}
	/* Signals go to the main thread only, which waits in sigwait(). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < srv.nworkers; i++) {
		if (pthread_create(&srv.workers[i].th, NULL, worker_main,
		    &srv.workers[i]) != 0) {
			log_warn("pthread_create failed");
			break;
		}
		started++;
	}
	log_info("listening on %s:%d, redis %s:%d, %d threads, quota %lld",
	    srv.cfg.listen_host, srv.cfg.listen_port, srv.cfg.redis_host,
	    srv.cfg.redis_port, started, (long long)srv.cfg.quota);
	if (started == srv.nworkers) {
		while (sigwait(&set, &sig) != 0)
			;
		log_info("signal %d: draining", sig);
		rc = 0;
	}
	atomic_store(&srv.draining, true);
	for (i = 0; i < started; i++) {
		uint64_t one = 1;

		while (write(srv.workers[i].efd, &one, sizeof(one)) == -1 &&
		    errno == EINTR)
			;
	}
	for (i = 0; i < started; i++)
		pthread_join(srv.workers[i].th, NULL);
	log_info("drained; exiting");

out_fini:
	for (i = 0; i < srv.nworkers; i++)
		worker_fini(&srv.workers[i]);
	free(srv.workers);
	return rc;
}
