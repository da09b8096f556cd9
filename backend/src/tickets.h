/* SPDX-License-Identifier: MIT */
/*
 * tickets: one seller of the sale, bound to one event loop. It owns a hiredis
 * async connection (reconnect with backoff, scripts loaded once and called
 * by EVALSHA, reloaded on NOSCRIPT), the local quota, and the background
 * timers: lease heartbeat and top-up, the expiry/reclaim sweeper, and the
 * reply deadline. L2: I/O on its loop only; never blocks; not thread-safe
 * except tickets_stats().
 */
#ifndef TICKETS_TICKETS_H
#define TICKETS_TICKETS_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct tickets;

struct tickets_cfg {
	const char *host;	/* Redis host, numeric or name */
	int port;		/* Redis TCP port */
	const char *prefix;	/* key prefix, e.g. "tk:" */
	const char *node;	/* node id recorded in orders */
	const char *seller;	/* lease holder id, unique per loop */
	int64_t quota;		/* tickets, lease size to keep locally */
	int lease_ttl_ms;	/* ms a lease survives without heartbeat */
	int heartbeat_ms;	/* ms between heartbeats (< lease_ttl_ms) */
	int timeout_ms;		/* ms a Redis reply may take before the
				 * connection is dropped and rebuilt */
	int sweep_ms;		/* ms between sweeps; 0 disables */
};

enum tickets_status {
	TICKETS_PENDING = 0,	/* the callback will be called */
	TICKETS_OK,		/* bought; order set */
	TICKETS_DUP,		/* the user already holds order */
	TICKETS_SOLD_OUT,
	TICKETS_PAID,
	TICKETS_EXPIRED,
	TICKETS_NOT_FOUND,
	TICKETS_UNAVAILABLE,	/* Redis down, erroring, or draining */
};

struct tickets_result {
	enum tickets_status status;
	char order[24];		/* decimal order id or "" */
};

/* Called once, on the seller's loop, with a result valid for the call. */
typedef void tickets_cb(const struct tickets_result *res, void *arg);

struct tickets_stats {
	int64_t quota_left;	/* tickets, local avail */
	int64_t inflight;	/* buys awaiting Redis */
	uint64_t sold;		/* buys answered ok */
	uint64_t dups;		/* buys answered duplicate */
	uint64_t sold_out_local;	/* sold_out with no Redis call */
	uint64_t sold_out_redis;	/* sold_out decided by Redis */
	uint64_t unavailable;	/* answers 503 */
	uint64_t errors;	/* Redis error replies and lost replies */
	uint64_t reconnects;	/* connections established */
	uint64_t rtt_us;	/* µs, EWMA of buy round trips */
	bool connected;		/* scripts loaded, accepting buys */
};

/*
 * tickets_new: a seller on <base> with <cfg> (strings copied). Starts
 * connecting at once. Returns NULL on allocation failure.
 */
struct tickets *tickets_new(struct event_base *base,
    const struct tickets_cfg *cfg);

/*
 * tickets_free: drops the connection (pending callbacks run with
 * TICKETS_UNAVAILABLE) and frees <tk>. Accepts NULL.
 */
void tickets_free(struct tickets *tk);

/*
 * tickets_buy: buys a ticket for <user> (a valid id). Returns a final status
 * at once (TICKETS_SOLD_OUT when the local quota is empty, without any Redis
 * call; TICKETS_UNAVAILABLE when Redis is not ready), or TICKETS_PENDING
 * and later calls <cb>(result, <arg>) exactly once.
 */
enum tickets_status tickets_buy(struct tickets *tk, const char *user,
    tickets_cb *cb, void *arg);

/* tickets_pay: pays <order> of <user>; same calling convention. */
enum tickets_status tickets_pay(struct tickets *tk, const char *order,
    const char *user, tickets_cb *cb, void *arg);

/*
 * tickets_drain: stops leasing and sweeping, returns the lease to the
 * unified stock, and calls <done>(<arg>) on the loop once nothing is in
 * flight (at once if Redis is down: the lease is then reclaimed by the
 * other nodes' sweepers when its heartbeat lapses). Later buys answer
 * TICKETS_UNAVAILABLE.
 */
void tickets_drain(struct tickets *tk, void (*done)(void *), void *arg);

/* tickets_stats: a snapshot of <tk>'s counters; callable from any thread. */
void tickets_stats(const struct tickets *tk, struct tickets_stats *out);

#endif
