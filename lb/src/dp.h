/* SPDX-License-Identifier: MIT */
/*
 * The per-packet pipeline (L1):
 *
 *   frame -> pkt_parse -> ARP | ICMP | flow -> conn lookup -> sched (new flow)
 *         -> rewrite (DR | NAT) -> verdict
 *
 * One call per received frame. Never blocks, never allocates, never prints:
 * it returns a verdict, writes at most one frame (or the rewritten headers of
 * one) into the caller's scratch buffer and bumps counters, which other
 * threads may read (single writer, relaxed atomics).
 */
#ifndef LB_DP_H
#define LB_DP_H

#include <stdatomic.h>

#include "conn.h"
#include "svc.h"
#include "types.h"

/* Counters of one real server slot (services' are derived: stats.h). */
struct dp_ctr {
	_Atomic uint64_t conns;		/* flows scheduled */
	_Atomic uint64_t pkts_in;	/* client -> real server */
	_Atomic uint64_t bytes_in;	/* IP bytes, client -> real server */
	_Atomic uint64_t pkts_out;	/* real server -> client (NAT only) */
	_Atomic uint64_t bytes_out;
};

/* Connections per real server slot, as ipvsadm's ActiveConn/InActConn. */
struct dp_rs_conns {
	_Atomic uint32_t active;	/* TCP ESTABLISHED */
	_Atomic uint32_t inactive;	/* every other state, and UDP */
};

/*
 * Every frame ends in exactly one verdict, so frames seen are not counted
 * but summed (dp_rx()): one counter less per packet.
 */
struct dp_stats {
	_Atomic uint64_t tx;			/* frames produced (LB_TX) */
	_Atomic uint64_t dropped;		/* frames dropped (LB_DROP) */
	_Atomic uint64_t passed;		/* frames left alone (LB_PASS) */
	_Atomic uint64_t drop[LB_DROP_MAX];	/* by enum lb_drop; a frame
						   answered with an ICMP error
						   counts here and in tx */
	_Atomic uint64_t expired;		/* flows timed out */
	_Atomic uint64_t conn_live;		/* table fill, as of the last dp_expire() */
	_Atomic uint64_t conn_half_open;
	struct dp_ctr rs[SVC_SLOTS];		/* by real server slot */
	struct dp_rs_conns rs_conns[SVC_SLOTS];
};

struct dp_conf {
	uint32_t conn_max;
	uint32_t half_open_max;
	struct conn_timeouts timeouts;
	uint32_t seed;			/* conn hash key; pass a random value */
	bool full_path_only;		/* tests: no fast path (see dp.c) */
};

struct dp {
	struct conn_tab *ct;
	bool full_path_only;
	struct dp_stats st;
};

/*
 * Where dp_handle() puts a frame to send. The frame is buf[0, len) followed by
 * tail[0, tail_len): a forwarded frame has only its rewritten headers in
 * <buf>, and its tail points into the received frame <f>, which is therefore
 * borrowed until the frame is sent, and at most until the caller's next read.
 * Frames lbd builds or rewrites throughout (ARP and ICMP replies, translated
 * ICMP errors) are whole in <buf>, with tail_len 0.
 */
struct dp_tx {
	uint8_t *buf;		/* scratch frame owned by the caller */
	size_t cap;		/* its size; at least the largest frame read */
	size_t len;		/* out: bytes of <buf> to send (LB_TX) */
	const uint8_t *tail;	/* out: rest of the frame, inside <f>, or NULL */
	size_t tail_len;	/* out: bytes at <tail>, 0 when none */
	enum lb_port port;	/* out: interface to send on */
	enum lb_drop why;	/* out: the reason counted, or LB_DROP_NONE */
};

/* Builds a datapath with a connection table sized by <conf>. NULL on failure. */
struct dp *dp_new(const struct dp_conf *conf);

/* Frees <dp>. Accepts NULL. */
void dp_free(struct dp *dp);

/*
 * Handles the <len>-byte frame <f> received on <in>, forwarding by table <t>
 * at time <now> (ms). Returns LB_TX with a frame for tx->port described by
 * <tx> (see struct dp_tx: tx->tail may point into <f>), LB_DROP with tx->why
 * counted, or LB_PASS for traffic that is not lbd's. <f> is only read; a
 * frame longer than tx->cap is dropped (LB_DROP_TOO_BIG) unread.
 */
enum lb_verdict dp_handle(struct dp *dp, struct svc_table *t, enum lb_port in,
			  const uint8_t *f, size_t len, uint32_t now,
			  struct dp_tx *tx);

/*
 * Copies the frame <tx> describes (tx->buf, then tx->tail) into <out>, which
 * holds <cap> bytes. Returns the frame's length, or 0 when it does not fit.
 * For tests and tools; the loop sends the two pieces as they are.
 */
size_t dp_tx_flatten(const struct dp_tx *tx, uint8_t *out, size_t cap);

/*
 * Expires at most <budget> due flows at <now>; cheap when none are due.
 * Returns how many were removed.
 */
size_t dp_expire(struct dp *dp, uint32_t now, size_t budget);

/* "truncated", "bad_ip_csum", … : the counter names lbctl and metrics use. */
const char *dp_drop_name(enum lb_drop why);

/* Reads a counter written by the datapath (from any thread). */
static inline uint64_t dp_read(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* Frames the datapath has seen: each got one verdict. */
static inline uint64_t dp_rx(const struct dp_stats *st)
{
	return dp_read(&st->tx) + dp_read(&st->dropped) + dp_read(&st->passed);
}

#endif /* LB_DP_H */
