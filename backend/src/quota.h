/* SPDX-License-Identifier: MIT */
/*
 * quota: the local mirror of one seller's lease of tickets in Redis.
 * L0: pure accounting; no I/O, no clock, no Redis.
 *
 * The lease model. Redis keeps the unified stock in `remaining` and moves it
 * in chunks into per-seller leases (one seller per ticketd thread). The buy
 * script sells only out of the caller's lease, so Redis alone decides and
 * never oversells. The seller keeps a local estimate of its lease:
 *
 *   avail     tickets it believes are in its lease and not in flight
 *   inflight  buys sent to Redis whose reply has not arrived
 *
 * A buy takes one from avail first; avail == 0 answers sold_out with no Redis
 * call. Every reply of the buy and lease scripts carries the seller's lease
 * as Redis saw it when the script ran. Replies come back in the order the
 * commands went out on the seller's single connection, so when a reply
 * arrives every command sent before it has been answered and the buys still
 * in flight were all sent after it; they are not yet counted in that lease.
 * Hence the resync rule, applied on every reply:
 *
 *   avail = max(0, lease_seen_by_redis - inflight)
 *
 * which makes any drift (a lease reclaimed by a sweeper, a lost reply, a
 * re-initialised sale) heal at the next reply.
 */
#ifndef TICKETS_QUOTA_H
#define TICKETS_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

struct quota {
	int64_t avail;		/* tickets, local estimate of unsold lease */
	int64_t inflight;	/* buys awaiting a Redis reply */
	int64_t target;		/* tickets, lease size the seller keeps */
};

/* quota_init: empty quota that wants a lease of <target> (> 0) tickets. */
void quota_init(struct quota *q, int64_t target);

/*
 * quota_take: reserves one ticket for a buy about to be sent to Redis.
 * Returns false (and changes nothing) when avail is 0: answer sold_out.
 */
bool quota_take(struct quota *q);

/*
 * quota_settle: a buy taken with quota_take got a script reply that says
 * the seller's lease is now <lease> tickets (after this buy, if it sold).
 * Applies the resync rule above.
 */
void quota_settle(struct quota *q, int64_t lease);

/*
 * quota_give_back: a taken buy did not run (Redis answered with an error,
 * or it was never sent): the ticket returns to avail.
 */
void quota_give_back(struct quota *q);

/*
 * quota_lost: a taken buy lost its connection; whether it ran is unknown.
 * The ticket is not returned; the next lease reply resyncs avail.
 */
void quota_lost(struct quota *q);

/* quota_sync: a lease reply says the lease is <lease>; resync avail. */
void quota_sync(struct quota *q, int64_t lease);

/* quota_reset: the connection is gone; avail is unknown, so 0 until synced. */
void quota_reset(struct quota *q);

/*
 * quota_is_low: true when avail + inflight is below half the target, the
 * point at which the seller asks Redis for more in the background.
 */
bool quota_is_low(const struct quota *q);

#endif
