/* SPDX-License-Identifier: MIT */
/*
 * Connection table (L1): fixed capacity, preallocated at start, O(1) lookup by
 * the client tuple (and, for NAT, by the real server's reply tuple), the IPVS
 * TCP state table and per-state timeouts, expiry without full scans.
 * No I/O, no clock reads: time is always the caller's <now> in milliseconds.
 * Nothing here allocates after conn_tab_new().
 */
#ifndef LB_CONN_H
#define LB_CONN_H

#include <stdatomic.h>

#include "types.h"

/* TCP states as IPVS names them (ip_vs_proto_tcp.c), plus one for UDP. */
enum conn_state {
	CONN_S_NONE = 0,
	CONN_S_ESTABLISHED,
	CONN_S_SYN_SENT,
	CONN_S_SYN_RECV,
	CONN_S_FIN_WAIT,
	CONN_S_TIME_WAIT,
	CONN_S_CLOSE,
	CONN_S_CLOSE_WAIT,
	CONN_S_LAST_ACK,
	CONN_S_LISTEN,
	CONN_S_SYNACK,
	CONN_S_UDP,
	CONN_S_MAX
};

/*
 * Which way a segment travels. DR directors see only the client's half of a
 * TCP conversation, so they use IPVS's "input only" table.
 */
enum conn_dir {
	CONN_DIR_IN = 0,	/* client -> real server, both halves seen (NAT) */
	CONN_DIR_OUT,		/* real server -> client (NAT replies) */
	CONN_DIR_IN_ONLY,	/* client -> real server, replies bypass us (DR) */
	CONN_DIR_MAX
};

/* TCP flag bits as they appear in byte 13 of the TCP header. */
#define CONN_TCP_FIN	0x01
#define CONN_TCP_SYN	0x02
#define CONN_TCP_RST	0x04
#define CONN_TCP_ACK	0x10

/* Per-state timeouts in milliseconds; index is enum conn_state. */
struct conn_timeouts {
	uint32_t ms[CONN_S_MAX];
};

/*
 * One tracked flow: 48 bytes, so 1M flows plus both hash heads fit in 56 MB.
 * Callers read the public fields; the link fields belong to conn.c.
 */
struct conn {
	/*
	 * Real server, client, VIP: so the client tuple (caddr:vaddr,
	 * cport:vport) and the reply tuple (daddr:caddr, dport:cport) each
	 * lie as they do in a packet, and a lookup reads either as two words.
	 */
	__be32 daddr;		/* real server address, network order */
	__be32 caddr;		/* client address, network order */
	__be32 vaddr;		/* virtual address, network order */
	__be16 dport;		/* real server port, network order */
	__be16 cport;		/* client port, network order */
	__be16 vport;		/* virtual port, network order */
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state;		/* enum conn_state */
	uint8_t fwd;		/* enum lb_fwd, bound at creation */
	uint8_t flags;		/* CONN_F_*, owned by conn.c */
	uint16_t rs;		/* real server slot (svc.h), stable across reloads */
	uint16_t rs_gen;	/* generation of that slot when the conn was bound */
	uint16_t pad;
	uint32_t expires;	/* ms, same clock as <now>, compared wrap-safely */
	uint32_t in_next;	/* in-hash chain: index + 1, 0 ends the chain */
	uint32_t out_next;	/* out-hash chain (NAT only) */
	uint32_t lru_prev;	/* per-state expiry list, index + 1 */
	uint32_t lru_next;
};

struct conn_tab;

/*
 * Called for each connection conn_expire() removes, before its slot is reused.
 * <cp> is valid only during the call.
 */
typedef void (*conn_expire_cb)(void *arg, const struct conn *cp);

/* Fills <t> with IPVS's default timeouts (tcp 900 s, tcpfin 120 s, udp 300 s…). */
void conn_timeouts_default(struct conn_timeouts *t);

/*
 * Allocates a table for <capacity> flows (1 .. 2^24), of which at most
 * <half_open_max> (>= 1; more than <capacity> acts as <capacity>) may be
 * half-open (SYN_RECV) at once. <seed> keys the hash (pass a random value).
 * <t> is copied; each timeout must be at most 2^30 ms. All memory is allocated
 * and touched here. Returns NULL on a bad argument (including <t> NULL) or
 * when memory is short.
 *
 * Time: every <now> below is in ms on one uint32 clock that may wrap but must
 * not go backwards between calls, and conn_expire() must run at least once a
 * day. A flow expires no earlier than its state's timeout after the <now> of
 * its last conn_new()/conn_update()/conn_touch(), and at most 1/64 of that
 * timeout later (expiries are rounded up so that busy flows rarely move in
 * the expiry lists).
 */
struct conn_tab *conn_tab_new(uint32_t capacity, uint32_t half_open_max,
			      const struct conn_timeouts *t, uint32_t seed);

/* Frees <tab> and every connection in it. Accepts NULL. */
void conn_tab_free(struct conn_tab *tab);

/* Looks up a flow by the client's tuple <k>. Returns NULL when unknown. */
struct conn *conn_lookup_in(struct conn_tab *tab, const struct flow_key *k);

/*
 * Looks up a NAT flow by the real server's reply tuple: source <daddr>:<dport>,
 * destination <caddr>:<cport>, all network order. DR flows are never found here.
 */
struct conn *conn_lookup_out(struct conn_tab *tab, uint8_t proto,
			     __be32 daddr, __be16 dport,
			     __be32 caddr, __be16 cport);

/*
 * The two lookups for a tuple read straight from a frame, as the fast path
 * does: <addrs> points at an IPv4 header's source address (8 bytes: source,
 * destination), <ports> at a TCP or UDP header (4 bytes: source port,
 * destination port), both as they lie on the wire. conn_find_in() takes a
 * client's packet, conn_find_out() a real server's reply.
 */
struct conn *conn_find_in(struct conn_tab *tab, const uint8_t *addrs,
			  const uint8_t *ports, uint8_t proto);
struct conn *conn_find_out(struct conn_tab *tab, const uint8_t *addrs,
			   const uint8_t *ports, uint8_t proto);

/*
 * Creates a flow for <k> bound to real server <daddr>:<dport> (slot <rs>,
 * generation <rs_gen>) with method <fwd>. TCP flows start in SYN_RECV and
 * count against the half-open bound; UDP flows start in CONN_S_UDP. The caller
 * has checked that no flow exists for <k>. Returns the connection, or NULL with
 * *<why> set to LB_DROP_CONN_FULL or LB_DROP_HALF_OPEN_FULL; existing flows
 * are never evicted to make room.
 */
struct conn *conn_new(struct conn_tab *tab, const struct flow_key *k,
		      __be32 daddr, __be16 dport, enum lb_fwd fwd,
		      uint16_t rs, uint16_t rs_gen, uint32_t now,
		      enum lb_drop *why);

/*
 * Runs one segment with TCP flags <tcp_flags> (CONN_TCP_*) travelling in <dir>
 * through the state table, and re-arms the timeout from <now>. For UDP flows
 * <tcp_flags> is ignored. Entering SYN_RECV counts the flow as half-open again
 * (it is never refused here), leaving it uncounts it. Returns the state before
 * the update.
 */
enum conn_state conn_update(struct conn_tab *tab, struct conn *cp,
			    enum conn_dir dir, uint8_t tcp_flags, uint32_t now);

/*
 * Re-arms <cp>'s timeout from <now> for a segment that leaves its state as it
 * is (conn_update() does this for such segments).
 */
void conn_touch(struct conn_tab *tab, struct conn *cp, uint32_t now);

/*
 * The pure TCP state table: the state after a segment with <tcp_flags> in <dir>
 * hits a flow in state <s>. RST beats SYN beats FIN beats ACK; a segment with
 * none of them, CONN_S_UDP and out-of-range arguments leave <s> unchanged.
 */
enum conn_state conn_tcp_next_state(enum conn_state s, enum conn_dir dir,
				    uint8_t tcp_flags);

/*
 * Removes <cp> from the table at once (port reuse, dead real server); <cp> is
 * invalid afterwards. A slot that is already free is ignored.
 */
void conn_del(struct conn_tab *tab, struct conn *cp);

/*
 * Removes at most <budget> flows whose timeout is due at <now>, calling <cb>
 * (may be NULL) once for each, after it left the hashes and before its slot is
 * reused; <cb> must not add or remove flows. Cost is O(removed + states),
 * never a scan of the table. Returns how many were removed.
 */
size_t conn_expire(struct conn_tab *tab, uint32_t now, size_t budget,
		   conn_expire_cb cb, void *arg);

/*
 * True when a new SYN for <cp>'s tuple should start a fresh flow: a TCP flow in
 * TIME_WAIT or CLOSE, or a DR flow in FIN_WAIT (where input-only flows end).
 * Always false for UDP.
 */
bool conn_is_reusable(const struct conn *cp);

/* Live flows, half-open flows and capacity. */
uint32_t conn_count(const struct conn_tab *tab);
uint32_t conn_half_open(const struct conn_tab *tab);
uint32_t conn_capacity(const struct conn_tab *tab);

/* Bytes the table allocated, for the memory benchmark and metrics. */
size_t conn_tab_bytes(const struct conn_tab *tab);

/* "ESTABLISHED", "SYN_RECV", … as ipvsadm -L -c prints them. */
const char *conn_state_name(enum conn_state s);

/*
 * Visits every live flow in no particular order (for lbctl -L -c). Not for the
 * packet path. <fn> must not add or remove flows.
 */
void conn_walk(const struct conn_tab *tab,
	       void (*fn)(void *arg, const struct conn *cp), void *arg);

/*
 * A copy of the table for listing (lbctl -L -c), made by the datapath in
 * slices between batches so it never reads memory the datapath writes.
 * The asker fills buf/cap, sets state to CONN_DUMP_ASKED (release) and waits
 * for CONN_DUMP_DONE (acquire); the datapath calls conn_dump_step() while the
 * state is ASKED.
 */
enum conn_dump_state {
	CONN_DUMP_IDLE = 0,
	CONN_DUMP_ASKED,
	CONN_DUMP_DONE,
};

struct conn_dump {
	_Atomic int state;	/* enum conn_dump_state */
	struct conn *buf;	/* cap entries, owned by the asker */
	uint32_t cap;
	uint32_t n;		/* out: entries copied (at most cap) */
	uint32_t next;		/* datapath's cursor; the asker sets it to 0 */
	uint32_t now;		/* out: the datapath's clock when it finished */
};

/*
 * Copies the live flows of slots [d->next, d->next + <budget>) into d->buf and
 * moves the cursor; at the end of the table records <now> and publishes DONE.
 */
void conn_dump_step(const struct conn_tab *tab, struct conn_dump *d,
		    uint32_t now, uint32_t budget);

#endif /* LB_CONN_H */
