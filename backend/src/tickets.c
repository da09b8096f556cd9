/* SPDX-License-Identifier: MIT */
/*
 * tickets: one seller over a hiredis async connection on a libevent loop.
 * L2: network I/O, never blocking. In async mode hiredis owns and frees each
 * reply after our callback returns, so callbacks never free replies; a NULL
 * reply means the connection is gone and the command's fate is unknown.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "quota.h"
#include "scripts.h"
#include "tickets.h"

#define TK_BACKOFF_MIN_MS 50	/* first reconnect delay */
#define TK_BACKOFF_MAX_MS 2000	/* reconnect delay cap */
#define TK_TICK_MS 100		/* deadline check period */
#define TK_REFILL_GAP_MS 50	/* min gap between on-demand lease calls */
#define TK_IDLE_BEATS 2		/* idle heartbeats before a lease returns */
#define TK_SWEEP_BATCH 200	/* orders and sellers per sweep call */
#define TK_ARGS_MAX 8
#define TK_SHA_LEN 40

/* Connection states, in the order a connection goes through them. */
enum tk_state {
	TK_DOWN = 0,		/* no context; reconnect timer armed */
	TK_CONNECTING,		/* TCP connect in progress */
	TK_LOADING,		/* SCRIPT LOAD replies outstanding */
	TK_READY,		/* serving */
};

/* The scripts ticketd loads on every connection. */
static const enum scripts_id tk_loaded[] = {
	SCRIPTS_BUY, SCRIPTS_LEASE, SCRIPTS_RELEASE, SCRIPTS_SWEEP, SCRIPTS_PAY,
};
#define TK_NLOADED (sizeof(tk_loaded) / sizeof(tk_loaded[0]))

enum tk_kind {
	TK_OP_LOAD = 0,		/* SCRIPT LOAD <lua> */
	TK_OP_EVAL,		/* EVALSHA <sha> 0 <prefix> <args...> */
};

/* One command in flight. Owned by the seller until its reply callback. */
struct tk_op {
	struct tickets *tk;
	enum tk_kind kind;
	enum scripts_id script;
	int nargs;			/* script arguments after the prefix */
	char args[3][72];		/* NUL-terminated script arguments */
	bool retried;			/* resent as EVAL after NOSCRIPT */
	uint64_t sent_us;		/* µs, monotonic send time */
	tickets_cb *cb;			/* user callback or NULL */
	void *arg;
};

struct tickets {
	struct event_base *base;
	char host[256];
	int port;
	char prefix[32];
	char node[72];
	char seller[72];
	int lease_ttl_ms, heartbeat_ms, timeout_ms, sweep_ms;

	redisAsyncContext *ac;		/* NULL unless CONNECTING or later */
	enum tk_state state;
	char sha[SCRIPTS_COUNT][TK_SHA_LEN + 1];
	unsigned nloaded;		/* SCRIPT LOAD replies this connection */
	int backoff_ms;
	uint64_t state_since_us;	/* µs, when state last changed */
	unsigned pending;		/* commands awaiting a reply */
	uint64_t busy_since_us;		/* µs, last reply or first send */

	struct quota q;
	bool lease_inflight;		/* a LEASE or RELEASE is pending */
	bool pool_empty;		/* last lease saw remaining == 0 */
	bool synced;			/* a lease was answered since the last connect */
	uint64_t last_lease_us;		/* µs, last LEASE sent */
	uint64_t attempts_since_hb;	/* buy attempts since last heartbeat */
	int idle_beats;			/* heartbeats in a row with none */

	bool closing;			/* drain started */
	bool released;			/* drain: RELEASE answered */
	void (*done)(void *);
	void *done_arg;

	struct event *reconnect_ev, *tick_ev, *hb_ev, *sweep_ev, *done_ev;

	/* Counters read by other threads through tickets_stats(). */
	_Atomic int64_t st_quota_left, st_inflight;
	_Atomic uint64_t st_sold, st_dups, st_so_local, st_so_redis;
	_Atomic uint64_t st_unavail, st_errors, st_reconnects, st_rtt_us;
	_Atomic bool st_connected;
};

static void tk_connect(struct tickets *tk);
static void tk_send_lease(struct tickets *tk);
static void tk_send_sweep(struct tickets *tk);
static void tk_send_release(struct tickets *tk);

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
bump(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void
publish_quota(struct tickets *tk)
{
	atomic_store_explicit(&tk->st_quota_left, tk->q.avail,
	    memory_order_relaxed);
	atomic_store_explicit(&tk->st_inflight, tk->q.inflight,
	    memory_order_relaxed);
}

static void
set_state(struct tickets *tk, enum tk_state s)
{
	tk->state = s;
	tk->state_since_us = now_us();
	atomic_store_explicit(&tk->st_connected, s == TK_READY,
	    memory_order_relaxed);
}

static void
arm_ms(struct event *ev, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/* Arms the drain completion check when nothing is in flight any more. */
static void
check_done(struct tickets *tk)
{
	if (tk->closing && tk->done != NULL && tk->pending == 0 &&
	    (tk->released || tk->state != TK_READY))
		arm_ms(tk->done_ev, 0);
}

/*
 * Connection loss, from any path. Clears the context pointer first so the
 * disconnect callback of a context we free ourselves is ignored, forgets
 * the local quota (resynced by the first lease on the next connection) and
 * schedules a reconnect with exponential backoff.
 */
static void
conn_lost(struct tickets *tk, const char *why)
{
	if (tk->state == TK_READY && !tk->closing)
		log_warn("redis %s:%d lost (%s); seller %s fails closed",
		    tk->host, tk->port, why, tk->seller);
	tk->ac = NULL;
	set_state(tk, TK_DOWN);
	tk->nloaded = 0;
	tk->lease_inflight = false;
	tk->synced = false;
	quota_reset(&tk->q);
	publish_quota(tk);
	if (!tk->closing) {
		arm_ms(tk->reconnect_ev, tk->backoff_ms);
		tk->backoff_ms *= 2;
		if (tk->backoff_ms > TK_BACKOFF_MAX_MS)
			tk->backoff_ms = TK_BACKOFF_MAX_MS;
	}
	check_done(tk);
}

/* Drops a live context from outside hiredis callbacks (timers only). */
static void
drop_conn(struct tickets *tk, const char *why)
{
	redisAsyncContext *ac = tk->ac;

	conn_lost(tk, why);
	if (ac != NULL)
		redisAsyncFree(ac);	/* runs pending callbacks with NULL */
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv);

/* Queues <op> on the connection. Returns 0, or -1 if it could not be sent. */
static int
op_send(struct tickets *tk, struct tk_op *op)
{
	const char *argv[TK_ARGS_MAX];
	size_t argvlen[TK_ARGS_MAX];
	int argc = 0, i;

	if (tk->ac == NULL)
		return -1;
	if (op->kind == TK_OP_LOAD) {
		argv[argc++] = "SCRIPT";
		argv[argc++] = "LOAD";
		argv[argc++] = scripts_table[op->script].lua;
	} else {
		if (op->retried) {
			argv[argc++] = "EVAL";
			argv[argc++] = scripts_table[op->script].lua;
		} else {
			argv[argc++] = "EVALSHA";
			argv[argc++] = tk->sha[op->script];
		}
		argv[argc++] = "0";
		argv[argc++] = tk->prefix;
		for (i = 0; i < op->nargs; i++)
			argv[argc++] = op->args[i];
	}
	for (i = 0; i < argc; i++)
		argvlen[i] = strlen(argv[i]);
	if (redisAsyncCommandArgv(tk->ac, on_reply, op, argc, argv,
	    argvlen) != REDIS_OK)
		return -1;
	if (tk->pending++ == 0)
		tk->busy_since_us = now_us();
	op->sent_us = now_us();
	return 0;
}

static struct tk_op *
op_new(struct tickets *tk, enum tk_kind kind, enum scripts_id script,
    tickets_cb *cb, void *arg)
{
	struct tk_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	op->tk = tk;
	op->kind = kind;
	op->script = script;
	op->cb = cb;
	op->arg = arg;
	return op;
}

static void
op_arg(struct tk_op *op, const char *s)
{
	snprintf(op->args[op->nargs], sizeof(op->args[0]), "%s", s);
	op->nargs++;
}

static void
op_arg_int(struct tk_op *op, int64_t v)
{
	snprintf(op->args[op->nargs], sizeof(op->args[0]), "%lld",
	    (long long)v);
	op->nargs++;
}

/* Sends a background script call with no user callback. */
static int
send_bg(struct tickets *tk, struct tk_op *op)
{
	if (op == NULL)
		return -1;
	if (op_send(tk, op) != 0) {
		free(op);
		return -1;
	}
	return 0;
}

static void
finish(struct tk_op *op, enum tickets_status st, const char *order)
{
	struct tickets_result res;

	if (op->cb == NULL)
		return;
	res.status = st;
	res.order[0] = '\0';
	if (order != NULL && strlen(order) < sizeof(res.order))
		memcpy(res.order, order, strlen(order) + 1);
	if (st == TICKETS_UNAVAILABLE)
		bump(&op->tk->st_unavail);
	op->cb(&res, op->arg);
}

static bool
is_str(const redisReply *r)
{
	return r != NULL && (r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS);
}

/* Element <i> of array <r> as a string, or NULL. */
static const char *
elem_str(const redisReply *r, size_t i)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    !is_str(r->element[i]))
		return NULL;
	return r->element[i]->str;
}

/* Element <i> of array <r> as an integer into <out>; false if not one. */
static bool
elem_int(const redisReply *r, size_t i, int64_t *out)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element[i]->type != REDIS_REPLY_INTEGER)
		return false;
	*out = r->element[i]->integer;
	return true;
}

static void
on_buy(struct tickets *tk, struct tk_op *op, const redisReply *r)
{
	const char *st = elem_str(r, 0), *order = elem_str(r, 1);
	int64_t lease = 0;
	uint64_t rtt, ewma;

	if (r == NULL) {
		quota_lost(&tk->q);
		bump(&tk->st_errors);
		finish(op, TICKETS_UNAVAILABLE, NULL);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR || st == NULL ||
	    !elem_int(r, 2, &lease)) {
		if (r->type == REDIS_REPLY_ERROR)
			quota_give_back(&tk->q);	/* the script did not run */
		else
			quota_lost(&tk->q);
		bump(&tk->st_errors);
		log_warn("buy: unexpected reply: %s",
		    r->type == REDIS_REPLY_ERROR ? r->str : "(shape)");
		finish(op, TICKETS_UNAVAILABLE, NULL);
		return;
	}
	quota_settle(&tk->q, lease);
	rtt = now_us() - op->sent_us;
	ewma = atomic_load_explicit(&tk->st_rtt_us, memory_order_relaxed);
	ewma = ewma == 0 ? rtt : (ewma * 7 + rtt) / 8;
	atomic_store_explicit(&tk->st_rtt_us, ewma, memory_order_relaxed);
	if (strcmp(st, "ok") == 0) {
		bump(&tk->st_sold);
		finish(op, TICKETS_OK, order);
	} else if (strcmp(st, "dup") == 0) {
		bump(&tk->st_dups);
		finish(op, TICKETS_DUP, order);
	} else {
		bump(&tk->st_so_redis);
		finish(op, TICKETS_SOLD_OUT, NULL);
	}
	if (!tk->closing && !tk->lease_inflight && !tk->pool_empty &&
	    quota_is_low(&tk->q))
		tk_send_lease(tk);
}

static void
on_pay(struct tickets *tk, struct tk_op *op, const redisReply *r)
{
	const char *st = elem_str(r, 0);

	if (st == NULL) {
		bump(&tk->st_errors);
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_warn("pay: error reply: %s", r->str);
		finish(op, TICKETS_UNAVAILABLE, NULL);
	} else if (strcmp(st, "paid") == 0) {
		finish(op, TICKETS_PAID, op->args[0]);
	} else if (strcmp(st, "expired") == 0) {
		finish(op, TICKETS_EXPIRED, op->args[0]);
	} else {
		finish(op, TICKETS_NOT_FOUND, NULL);
	}
}

static void
on_lease(struct tickets *tk, const redisReply *r)
{
	int64_t lease, got, rem;

	tk->lease_inflight = false;
	if (!elem_int(r, 0, &lease) || !elem_int(r, 1, &got) ||
	    !elem_int(r, 2, &rem)) {
		if (r != NULL) {
			bump(&tk->st_errors);
			log_warn("lease: unexpected reply: %s",
			    r->type == REDIS_REPLY_ERROR ? r->str : "(shape)");
		}
		return;
	}
	quota_sync(&tk->q, lease);
	tk->pool_empty = rem <= 0;
	tk->synced = true;
}

static void
on_release(struct tickets *tk, const redisReply *r)
{
	tk->lease_inflight = false;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		if (r != NULL)
			bump(&tk->st_errors);
		if (tk->closing)
			tk->released = true;
		return;
	}
	if (tk->closing) {
		tk->released = true;
		log_info("seller %s returned %lld tickets", tk->seller,
		    (long long)r->integer);
	}
	quota_sync(&tk->q, 0);
}

static void
on_sweep(struct tickets *tk, const redisReply *r)
{
	int64_t nexp, nrec;

	if (!elem_int(r, 0, &nexp) || !elem_int(r, 1, &nrec)) {
		if (r != NULL) {
			bump(&tk->st_errors);
			log_warn("sweep: unexpected reply: %s",
			    r->type == REDIS_REPLY_ERROR ? r->str : "(shape)");
		}
		return;
	}
	if (nexp > 0 || nrec > 0)
		log_info("sweep: %lld orders expired, %lld leased tickets "
		    "reclaimed", (long long)nexp, (long long)nrec);
	/* A full batch means more are due: keep going without waiting. */
	if (nexp == TK_SWEEP_BATCH && !tk->closing)
		tk_send_sweep(tk);
}

static void
on_load(struct tickets *tk, struct tk_op *op, const redisReply *r)
{
	if (r == NULL)
		return;
	if (r->type != REDIS_REPLY_STRING || r->len != TK_SHA_LEN) {
		log_warn("SCRIPT LOAD %s failed: %s",
		    scripts_table[op->script].name,
		    r->type == REDIS_REPLY_ERROR ? r->str : "(shape)");
		bump(&tk->st_errors);
		redisAsyncDisconnect(tk->ac);
		return;
	}
	memcpy(tk->sha[op->script], r->str, TK_SHA_LEN + 1);
	if (tk->state == TK_LOADING && ++tk->nloaded == TK_NLOADED) {
		set_state(tk, TK_READY);
		tk->backoff_ms = TK_BACKOFF_MIN_MS;
		bump(&tk->st_reconnects);
		log_info("redis %s:%d ready; seller %s", tk->host, tk->port,
		    tk->seller);
		if (!tk->closing) {
			tk_send_lease(tk);
		} else {
			/* Drain began while connecting: hand the lease back. */
			tk_send_release(tk);
			if (!tk->lease_inflight)
				tk->released = true;
		}
	}
}

/* True if <r> is a NOSCRIPT error, i.e. the script cache was flushed. */
static bool
is_noscript(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0;
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct tk_op *op = priv;
	struct tickets *tk = op->tk;
	const redisReply *r = reply;

	(void)ac;
	if (tk->pending > 0)
		tk->pending--;
	tk->busy_since_us = now_us();
	if (is_noscript(r) && op->kind == TK_OP_EVAL && !op->retried &&
	    tk->ac != NULL) {
		/*
		 * The script did not run. Resend this call with the script
		 * text (EVAL also caches it, so later EVALSHAs work again).
		 */
		log_warn("NOSCRIPT for %s; resending with EVAL",
		    scripts_table[op->script].name);
		op->retried = true;
		if (op_send(tk, op) == 0)
			return;
		r = NULL;
	}
	if (op->kind == TK_OP_LOAD) {
		on_load(tk, op, r);
	} else {
		switch (op->script) {
		case SCRIPTS_BUY:
			on_buy(tk, op, r);
			break;
		case SCRIPTS_PAY:
			on_pay(tk, op, r);
			break;
		case SCRIPTS_LEASE:
			on_lease(tk, r);
			break;
		case SCRIPTS_RELEASE:
			on_release(tk, r);
			break;
		case SCRIPTS_SWEEP:
			on_sweep(tk, r);
			break;
		default:
			break;
		}
	}
	publish_quota(tk);
	free(op);
	check_done(tk);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct tickets *tk = ac->data;
	size_t i;

	if (tk == NULL || tk->ac != ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback. */
		conn_lost(tk, ac->errstr);
		return;
	}
	set_state(tk, TK_LOADING);
	/* A failed send leaves us LOADING; on_tick then drops the context. */
	for (i = 0; i < TK_NLOADED; i++)
		if (send_bg(tk, op_new(tk, TK_OP_LOAD, tk_loaded[i], NULL,
		    NULL)) != 0)
			return;
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct tickets *tk = ac->data;

	(void)status;
	if (tk == NULL || tk->ac != ac)
		return;		/* a context we dropped ourselves */
	conn_lost(tk, ac->err ? ac->errstr : "closed");
}

static void
tk_connect(struct tickets *tk)
{
	redisAsyncContext *ac;

	ac = redisAsyncConnect(tk->host, tk->port);
	if (ac == NULL || ac->err) {
		if (ac != NULL)
			redisAsyncFree(ac);
		conn_lost(tk, "connect failed");
		return;
	}
	ac->data = tk;
	if (redisLibeventAttach(ac, tk->base) != REDIS_OK) {
		redisAsyncFree(ac);
		conn_lost(tk, "attach failed");
		return;
	}
	tk->ac = ac;
	set_state(tk, TK_CONNECTING);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

static void
on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tk_connect(arg);
}

/*
 * The reply deadline. hiredis 0.14 has no async timeouts, so a Redis that
 * stops answering (paused, partitioned) would hold requests forever: if a
 * reply is overdue, or a connect or script load takes too long, the context
 * is dropped, every pending request answers 503, and we reconnect.
 */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tickets *tk = arg;
	uint64_t now = now_us(), lim = (uint64_t)tk->timeout_ms * 1000u;

	(void)fd;
	(void)what;
	if (tk->ac == NULL)
		return;
	if (tk->pending > 0 && now - tk->busy_since_us > lim)
		drop_conn(tk, "reply timeout");
	else if (tk->state != TK_READY && now - tk->state_since_us > lim)
		drop_conn(tk, "connect timeout");
}

static void
tk_send_lease(struct tickets *tk)
{
	struct tk_op *op;

	if (tk->state != TK_READY || tk->lease_inflight)
		return;
	op = op_new(tk, TK_OP_EVAL, SCRIPTS_LEASE, NULL, NULL);
	if (op == NULL)
		return;
	op_arg(op, tk->seller);
	op_arg_int(op, tk->q.target);
	op_arg_int(op, tk->lease_ttl_ms);
	if (send_bg(tk, op) == 0) {
		tk->lease_inflight = true;
		tk->last_lease_us = now_us();
	}
}

static void
tk_send_release(struct tickets *tk)
{
	struct tk_op *op;

	if (tk->state != TK_READY)
		return;
	op = op_new(tk, TK_OP_EVAL, SCRIPTS_RELEASE, NULL, NULL);
	if (op == NULL)
		return;
	op_arg(op, tk->seller);
	if (send_bg(tk, op) == 0)
		tk->lease_inflight = true;
}

/*
 * The heartbeat. A seller keeps its lease alive and topped up. Once the
 * unified stock is empty, a seller that saw no buy attempts for
 * TK_IDLE_BEATS periods returns its lease so busy sellers can sell it: a
 * lease parked on an idle loop (e.g. a thread SO_REUSEPORT gave no
 * connections) would otherwise be undersold. While stock remains, idle
 * sellers keep their lease, so traffic that arrives later (the start of a
 * rush) is not told sold_out while a lease is on its way.
 */
static void
on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct tickets *tk = arg;
	bool idle;

	(void)fd;
	(void)what;
	tk->idle_beats = tk->attempts_since_hb == 0 ? tk->idle_beats + 1 : 0;
	idle = tk->idle_beats >= TK_IDLE_BEATS;
	tk->attempts_since_hb = 0;
	if (tk->closing || tk->state != TK_READY || tk->lease_inflight)
		return;
	if (idle && tk->pool_empty && tk->q.avail > 0 && tk->q.inflight == 0)
		tk_send_release(tk);
	else if (!idle || tk->q.avail + tk->q.inflight > 0)
		tk_send_lease(tk);
}

static void
tk_send_sweep(struct tickets *tk)
{
	struct tk_op *op;

	if (tk->closing || tk->state != TK_READY)
		return;
	op = op_new(tk, TK_OP_EVAL, SCRIPTS_SWEEP, NULL, NULL);
	if (op == NULL)
		return;
	op_arg_int(op, TK_SWEEP_BATCH);
	send_bg(tk, op);
}

static void
on_sweep_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tk_send_sweep(arg);
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct tickets *tk = arg;
	void (*done)(void *) = tk->done;

	(void)fd;
	(void)what;
	if (done == NULL)
		return;
	tk->done = NULL;
	done(tk->done_arg);
}

struct tickets *
tickets_new(struct event_base *base, const struct tickets_cfg *cfg)
{
	struct tickets *tk = calloc(1, sizeof(*tk));
	struct timeval tv;

	if (tk == NULL)
		return NULL;
	tk->base = base;
	snprintf(tk->host, sizeof(tk->host), "%s", cfg->host);
	tk->port = cfg->port;
	snprintf(tk->prefix, sizeof(tk->prefix), "%s", cfg->prefix);
	snprintf(tk->node, sizeof(tk->node), "%s", cfg->node);
	snprintf(tk->seller, sizeof(tk->seller), "%s", cfg->seller);
	tk->lease_ttl_ms = cfg->lease_ttl_ms;
	tk->heartbeat_ms = cfg->heartbeat_ms;
	tk->timeout_ms = cfg->timeout_ms;
	tk->sweep_ms = cfg->sweep_ms;
	tk->backoff_ms = TK_BACKOFF_MIN_MS;
	quota_init(&tk->q, cfg->quota);
	tk->reconnect_ev = evtimer_new(base, on_reconnect, tk);
	tk->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, tk);
	tk->hb_ev = event_new(base, -1, EV_PERSIST, on_heartbeat, tk);
	tk->sweep_ev = event_new(base, -1, EV_PERSIST, on_sweep_timer, tk);
	tk->done_ev = evtimer_new(base, on_done, tk);
	if (tk->reconnect_ev == NULL || tk->tick_ev == NULL ||
	    tk->hb_ev == NULL || tk->sweep_ev == NULL || tk->done_ev == NULL)
		goto err_free;
	tv.tv_sec = 0;
	tv.tv_usec = TK_TICK_MS * 1000;
	evtimer_add(tk->tick_ev, &tv);
	arm_ms(tk->hb_ev, tk->heartbeat_ms);
	if (tk->sweep_ms > 0)
		arm_ms(tk->sweep_ev, tk->sweep_ms);
	tk_connect(tk);
	return tk;

err_free:
	tickets_free(tk);
	return NULL;
}

void
tickets_free(struct tickets *tk)
{
	if (tk == NULL)
		return;
	tk->closing = true;
	tk->done = NULL;
	if (tk->ac != NULL)
		drop_conn(tk, "shutdown");
	if (tk->reconnect_ev)
		event_free(tk->reconnect_ev);
	if (tk->tick_ev)
		event_free(tk->tick_ev);
	if (tk->hb_ev)
		event_free(tk->hb_ev);
	if (tk->sweep_ev)
		event_free(tk->sweep_ev);
	if (tk->done_ev)
		event_free(tk->done_ev);
	free(tk);
}

enum tickets_status
tickets_buy(struct tickets *tk, const char *user, tickets_cb *cb, void *arg)
{
	struct tk_op *op;

	tk->attempts_since_hb++;
	/*
	 * Until a lease has been answered since the last connect, an empty
	 * local quota means "not known yet", not "sold out": telling a buyer
	 * sold_out then would be a false answer in the middle of a rush.
	 */
	if (tk->closing || tk->state != TK_READY || !tk->synced) {
		bump(&tk->st_unavail);
		return TICKETS_UNAVAILABLE;
	}
	if (!quota_take(&tk->q)) {
		/*
		 * Sold out locally: answer now, without Redis. Ask for more
		 * in the background, at most every TK_REFILL_GAP_MS, so
		 * tickets returned by expiry or by idle or dead sellers
		 * reach this seller.
		 */
		bump(&tk->st_so_local);
		if (!tk->lease_inflight && now_us() - tk->last_lease_us >
		    TK_REFILL_GAP_MS * 1000u)
			tk_send_lease(tk);
		return TICKETS_SOLD_OUT;
	}
	op = op_new(tk, TK_OP_EVAL, SCRIPTS_BUY, cb, arg);
	if (op != NULL) {
		op_arg(op, user);
		op_arg(op, tk->node);
		op_arg(op, tk->seller);
		if (op_send(tk, op) == 0) {
			publish_quota(tk);
			return TICKETS_PENDING;
		}
		free(op);
	}
	quota_give_back(&tk->q);
	bump(&tk->st_errors);
	bump(&tk->st_unavail);
	return TICKETS_UNAVAILABLE;
}

enum tickets_status
tickets_pay(struct tickets *tk, const char *order, const char *user,
    tickets_cb *cb, void *arg)
{
	struct tk_op *op;

	if (tk->closing || tk->state != TK_READY) {
		bump(&tk->st_unavail);
		return TICKETS_UNAVAILABLE;
	}
	op = op_new(tk, TK_OP_EVAL, SCRIPTS_PAY, cb, arg);
	if (op != NULL) {
		op_arg(op, order);
		op_arg(op, user);
		if (op_send(tk, op) == 0)
			return TICKETS_PENDING;
		free(op);
	}
	bump(&tk->st_unavail);
	return TICKETS_UNAVAILABLE;
}

void
tickets_drain(struct tickets *tk, void (*done)(void *), void *arg)
{
	if (tk->closing)
		return;
	tk->closing = true;
	tk->done = done;
	tk->done_arg = arg;
	event_del(tk->hb_ev);
	event_del(tk->sweep_ev);
	event_del(tk->reconnect_ev);
	if (tk->state == TK_READY) {
		/* FIFO: buys already sent run before the lease goes back. */
		tk->lease_inflight = false;
		tk_send_release(tk);
		if (!tk->lease_inflight)
			tk->released = true;
	}
	check_done(tk);
}

void
tickets_stats(const struct tickets *tk, struct tickets_stats *out)
{
	out->quota_left = atomic_load_explicit(&tk->st_quota_left,
	    memory_order_relaxed);
	out->inflight = atomic_load_explicit(&tk->st_inflight,
	    memory_order_relaxed);
	out->sold = atomic_load_explicit(&tk->st_sold, memory_order_relaxed);
	out->dups = atomic_load_explicit(&tk->st_dups, memory_order_relaxed);
	out->sold_out_local = atomic_load_explicit(&tk->st_so_local,
	    memory_order_relaxed);
	out->sold_out_redis = atomic_load_explicit(&tk->st_so_redis,
	    memory_order_relaxed);
	out->unavailable = atomic_load_explicit(&tk->st_unavail,
	    memory_order_relaxed);
	out->errors = atomic_load_explicit(&tk->st_errors,
	    memory_order_relaxed);
	out->reconnects = atomic_load_explicit(&tk->st_reconnects,
	    memory_order_relaxed);
	out->rtt_us = atomic_load_explicit(&tk->st_rtt_us,
	    memory_order_relaxed);
	out->connected = atomic_load_explicit(&tk->st_connected,
	    memory_order_relaxed);
}

