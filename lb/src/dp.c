/* SPDX-License-Identifier: MIT */
/*
 * The per-packet pipeline. L1: no I/O, no allocation after dp_new(), no
 * clock: <now> comes from the caller. Every frame ends in exactly one of
 * three ways: a frame to send (LB_TX), a counted drop (LB_DROP), or a frame
 * that is not ours (LB_PASS).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "dp.h"
#include "icmp.h"
#include "pkt.h"
#include "rewrite.h"

/*
 * Counters have a single writer, this thread, so a relaxed load and store is
 * enough: no locked instruction on the packet path, and readers never see a
 * torn value.
 */
static inline void ctr_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void ctr32_add(_Atomic uint32_t *c, int32_t n)
{
	atomic_store_explicit(c, (uint32_t)((int32_t)atomic_load_explicit(
				 c, memory_order_relaxed) + n),
			      memory_order_relaxed);
}

/*
 * A forwarded packet of <ip_len> bytes, client to server (<in>) or back, for
 * real server counters <rc>. Services have no counters here: lbd derives
 * theirs from their real servers' (stats.h), one counter set less per packet.
 */
static inline void ctr_fwd(struct dp_ctr *rc, uint16_t ip_len, bool in)
{
	ctr_add(in ? &rc->pkts_in : &rc->pkts_out, 1);
	ctr_add(in ? &rc->bytes_in : &rc->bytes_out, ip_len);
}

static const char *const drop_names[LB_DROP_MAX] = {
	[LB_DROP_NONE] = "none",
	[LB_DROP_TRUNCATED] = "truncated",
	[LB_DROP_NOT_IPV4] = "not_ipv4",
	[LB_DROP_BAD_IHL] = "bad_ihl",
	[LB_DROP_BAD_TOTLEN] = "bad_total_length",
	[LB_DROP_BAD_IPCSUM] = "bad_ip_checksum",
	[LB_DROP_FRAGMENT] = "fragment",
	[LB_DROP_TTL] = "ttl_exceeded",
	[LB_DROP_BAD_L4] = "bad_l4_header",
	[LB_DROP_PROTO] = "unsupported_protocol",
	[LB_DROP_NO_SERVICE] = "no_service",
	[LB_DROP_NO_CONN] = "no_connection",
	[LB_DROP_NO_DEST] = "no_destination",
	[LB_DROP_CONN_FULL] = "conn_table_full",
	[LB_DROP_HALF_OPEN_FULL] = "half_open_full",
	[LB_DROP_NO_NEIGH] = "no_neighbour",
	[LB_DROP_TOO_BIG] = "too_big",
	[LB_DROP_ICMP] = "icmp_unmatched",
	[LB_DROP_ARP] = "arp_invalid",
	[LB_DROP_ARP_CONFLICT] = "arp_conflict",
};

const char *dp_drop_name(enum lb_drop why)
{
	if ((unsigned int)why >= LB_DROP_MAX)
		return "unknown";
	return drop_names[why];
}

struct dp *dp_new(const struct dp_conf *conf)
{
	struct dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return NULL;
	dp->full_path_only = conf->full_path_only;
	dp->ct = conn_tab_new(conf->conn_max, conf->half_open_max,
			      &conf->timeouts, conf->seed);
	if (!dp->ct) {
		free(dp);
		return NULL;
	}
	return dp;
}

void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	conn_tab_free(dp->ct);
	free(dp);
}

static enum lb_verdict reject(struct dp *dp, struct dp_tx *tx, enum lb_drop why)
{
	ctr_add(&dp->st.drop[why], 1);
	ctr_add(&dp->st.dropped, 1);
	tx->why = why;
	return LB_DROP;
}

/* Not lbd's frame: the kernel may have it. */
static enum lb_verdict pass(struct dp *dp)
{
	ctr_add(&dp->st.passed, 1);
	return LB_PASS;
}

/* A frame built whole in tx->buf. */
static enum lb_verdict emit(struct dp *dp, struct dp_tx *tx, size_t len,
			    enum lb_port port)
{
	ctr_add(&dp->st.tx, 1);
	tx->len = len;
	tx->port = port;
	return LB_TX;
}

/*
 * A forwarded frame: its first <head> bytes, rewritten, are in tx->buf, and
 * the rest goes out of the received frame <f> (<len> bytes) as it came in.
 */
static enum lb_verdict emit_fwd(struct dp *dp, struct dp_tx *tx,
				const uint8_t *f, size_t head, size_t len,
				enum lb_port port)
{
	tx->tail = f + head;
	tx->tail_len = len - head;
	return emit(dp, tx, head, port);
}

/*
 * Copies the first <head> bytes of the <len>-byte frame <f> to the scratch
 * buffer for rewriting. The usual NAT header (54 bytes) moves as one fixed
 * 64-byte block, four vector moves instead of a call, whenever the frame is
 * that long (and so is tx->buf, which holds any frame read); the bytes past
 * <head> are scratch that is never sent.
 */
static inline void dp_copy_head(struct dp_tx *tx, const uint8_t *f,
				size_t head, size_t len)
{
	if (head <= 64 && len >= 64)
		memcpy(tx->buf, f, 64);
	else
		memcpy(tx->buf, f, head);
}

size_t dp_tx_flatten(const struct dp_tx *tx, uint8_t *out, size_t cap)
{
	if (tx->len > cap || tx->tail_len > cap - tx->len)
		return 0;
	memcpy(out, tx->buf, tx->len);
	if (tx->tail_len)
		memcpy(out + tx->len, tx->tail, tx->tail_len);
	return tx->len + tx->tail_len;
}

/* --- connection accounting ---------------------------------------------- */

/*
 * Active (ESTABLISHED) versus inactive, per real server slot, as IPVS counts.
 * <from_est>/<to_est>: 1 established, 0 not, -1 no such side (new or gone).
 */
static void conns_account(struct dp *dp, uint16_t slot, int from_est,
			  int to_est)
{
	struct dp_rs_conns *rc = &dp->st.rs_conns[slot];

	if (from_est >= 0)
		ctr32_add(from_est ? &rc->active : &rc->inactive, -1);
	if (to_est >= 0)
		ctr32_add(to_est ? &rc->active : &rc->inactive, 1);
}

static void dp_conn_gone(void *arg, const struct conn *cp)
{
	struct dp *dp = arg;

	conns_account(dp, cp->rs, cp->state == CONN_S_ESTABLISHED, -1);
}

static void dp_conn_drop(struct dp *dp, struct conn *cp)
{
	dp_conn_gone(dp, cp);
	conn_del(dp->ct, cp);
}

/* Most segments leave the state as it is: then there is nothing to count. */
static inline void dp_conn_step(struct dp *dp, struct conn *cp,
				enum conn_dir dir, uint8_t flags, uint32_t now)
{
	enum conn_state old = conn_update(dp->ct, cp, dir, flags, now);
	int was, is;

	if (old == cp->state)
		return;
	was = old == CONN_S_ESTABLISHED;
	is = cp->state == CONN_S_ESTABLISHED;
	if (was != is)
		conns_account(dp, cp->rs, was, is);
}

size_t dp_expire(struct dp *dp, uint32_t now, size_t budget)
{
	size_t n = conn_expire(dp->ct, now, budget, dp_conn_gone, dp);

	if (n)
		ctr_add(&dp->st.expired, n);
	atomic_store_explicit(&dp->st.conn_live, conn_count(dp->ct),
			      memory_order_relaxed);
	atomic_store_explicit(&dp->st.conn_half_open, conn_half_open(dp->ct),
			      memory_order_relaxed);
	return n;
}

/* The real server a flow is bound to, if its slot still holds it. */
static inline struct svc_rs *dp_conn_rs(const struct svc_table *t,
				       const struct conn *cp)
{
	struct svc_rs *rs = t->slot[cp->rs];

	return rs && rs->gen == cp->rs_gen ? rs : NULL;
}

/* --- transmit helpers ----------------------------------------------------- */

/*
 * A packet larger than the egress MTU cannot be sent: lbd does not fragment.
 * With DF set the sender learns the MTU from an ICMP error (RFC 1191), sent
 * from <src> back out of the interface the packet came in on.
 */
static enum lb_verdict too_big(struct dp *dp, const struct svc_table *t,
			       enum lb_port in, const uint8_t *f,
			       const struct pkt *p, __be32 src, uint32_t mtu,
			       struct dp_tx *tx)
{
	size_t n;

	if (!p->df || p->proto == IPPROTO_ICMP)
		return reject(dp, tx, LB_DROP_TOO_BIG);
	n = icmp_frag_needed(tx->buf, tx->cap, f, p, &t->port[in].mac, src,
			     (uint16_t)mtu);
	if (!n)
		return reject(dp, tx, LB_DROP_TOO_BIG);
	/* Dropped, and answered: the reason counts, the verdict is LB_TX. */
	ctr_add(&dp->st.drop[LB_DROP_TOO_BIG], 1);
	tx->why = LB_DROP_TOO_BIG;
	return emit(dp, tx, n, in);
}

static bool fits(const struct svc_table *t, enum lb_port out,
		 const struct pkt *p)
{
	return p->ip_len <= t->port[out].mtu;
}

/* --- ARP ------------------------------------------------------------------ */

/*
 * lbd answers "who has VIP" on the VIP side and nothing else. Anyone else
 * claiming a VIP (a gratuitous ARP, or a reply that names it as sender) is
 * counted and ignored: lbd keeps the VIP and learns nothing from it.
 */
static enum lb_verdict dp_arp(struct dp *dp, const struct svc_table *t,
			      enum lb_port in, const uint8_t *f,
			      const struct pkt *p, struct dp_tx *tx)
{
	size_t n;

	if (svc_is_vip(t, p->arp_spa))
		return reject(dp, tx, LB_DROP_ARP_CONFLICT);
	if (!svc_is_vip(t, p->arp_tpa) || in != LB_PORT_EXT)
		return pass(dp);
	if (p->arp_op != 1)
		return reject(dp, tx, LB_DROP_ARP);
	n = arp_reply(tx->buf, tx->cap, f, p, &t->port[LB_PORT_EXT].mac);
	return n ? emit(dp, tx, n, LB_PORT_EXT) : reject(dp, tx, LB_DROP_ARP);
}

/* --- client -> VIP -------------------------------------------------------- */

static bool is_syn(const struct pkt *p)
{
	return (p->tcp_flags & (CONN_TCP_SYN | CONN_TCP_ACK | CONN_TCP_RST |
				CONN_TCP_FIN)) == CONN_TCP_SYN;
}

/*
 * A flow's first packet: only a TCP SYN (or any UDP datagram) may create one,
 * so stray ACKs and RSTs for unknown flows are dropped rather than scheduled.
 */
static struct conn *flow_new(struct dp *dp, struct svc *s,
			     const struct flow_key *k, const struct pkt *p,
			     uint32_t now, enum lb_drop *why)
{
	struct svc_rs *rs;
	struct conn *cp;
	int i;

	if (p->proto == IPPROTO_TCP && !is_syn(p)) {
		*why = LB_DROP_NO_CONN;
		return NULL;
	}
	i = s->sched->pick(&s->st, s->sd, s->n_rs);
	if (i < 0) {
		*why = LB_DROP_NO_DEST;
		return NULL;
	}
	rs = &s->rs[i];
	if (!rs->has_mac) {
		*why = LB_DROP_NO_NEIGH;
		return NULL;
	}
	cp = conn_new(dp->ct, k, rs->addr, rs->port, (enum lb_fwd)s->fwd,
		      rs->slot, rs->gen, now, why);
	if (!cp)
		return NULL;
	ctr_add(&dp->st.rs[rs->slot].conns, 1);
	conns_account(dp, rs->slot, -1, 0);
	return cp;
}

/*
 * Port reuse: a SYN on a tuple whose flow has ended (TIME_WAIT, CLOSE) or whose
 * real server is down or gone is a new connection and is scheduled afresh;
 * so is any UDP datagram whose real server is down or gone.
 * IPVS's default (conn_reuse_mode=1) also reschedules on TIME_WAIT and
 * CLOSE, but drops the SYN when the old entry is tied to conntrack, so the
 * client waits a second for its retransmission; a DR flow's FIN_WAIT needs
 * mode bit 2, and a dead server's flows follow expire_nodest_conn.
 * kubernetes 70747 and 81775 came from those corners.
 */
static inline bool flow_is_stale(const struct svc_rs *rs,
				 const struct conn *cp, const struct pkt *p)
{
	/* UDP has no handshake to lose: a datagram for a dead server moves on. */
	if (p->proto == IPPROTO_UDP)
		return !rs || !rs->up;
	if (!is_syn(p))
		return false;
	return conn_is_reusable(cp) || !rs || !rs->up;
}

/*
 * A TCP or UDP packet that may be for a VIP. Its flow is asked first and its
 * service only when there is none, as IPVS's ip_vs_in() asks the connection
 * before it schedules: a flow outlives its service's removal and drains on
 * its real server as IPVS's do. Returns LB_PASS when the packet belongs to
 * neither a flow nor a service. A SYN that would start a new flow on such
 * a drained flow's tuple finds no service: it ends the old flow and is
 * dropped as no_service, where a packet of no flow at all for an address
 * that is no longer a VIP is passed.
 */
static enum lb_verdict dp_flow_in(struct dp *dp, struct svc_table *t,
				  enum lb_port in, const uint8_t *f, size_t len,
				  const struct pkt *p, uint32_t now,
				  struct dp_tx *tx)
{
	struct flow_key k = {
		.caddr = p->saddr, .vaddr = p->daddr,
		.cport = p->sport, .vport = p->dport, .proto = p->proto,
	};
	struct svc_rs *rs = NULL;
	struct svc *s = NULL;
	struct conn *cp;
	enum lb_drop why;
	size_t head;

	cp = conn_lookup_in(dp->ct, &k);
	if (!cp) {
		s = svc_lookup(t, p->daddr, p->dport, p->proto);
		if (!s)
			return LB_PASS;
	}
	if (p->ttl <= 1)
		return reject(dp, tx, LB_DROP_TTL);
	if (cp) {
		rs = dp_conn_rs(t, cp);
		if (flow_is_stale(rs, cp, p)) {
			dp_conn_drop(dp, cp);
			cp = NULL;
			s = svc_lookup(t, p->daddr, p->dport, p->proto);
			if (!s)
				return reject(dp, tx, LB_DROP_NO_SERVICE);
		}
	}
	if (!cp) {
		cp = flow_new(dp, s, &k, p, now, &why);
		if (!cp)
			return reject(dp, tx, why);
		rs = dp_conn_rs(t, cp);
	}
	if (!rs || (t->expire_nodest_conn && !svc_rs_is_dest(rs))) {
		if (rs || t->expire_nodest_conn)
			dp_conn_drop(dp, cp);
		return reject(dp, tx, LB_DROP_NO_DEST);
	}
	if (!fits(t, rs->via, p))
		return too_big(dp, t, in, f, p, p->daddr, t->port[rs->via].mtu, tx);
	dp_conn_step(dp, cp, cp->fwd == LB_FWD_DR ? CONN_DIR_IN_ONLY : CONN_DIR_IN,
		     p->tcp_flags, now);

	/* DR changes only the MACs; NAT changes no byte past the L4 header. */
	if (cp->fwd == LB_FWD_NAT) {
		head = rw_nat_head_len(p);
		dp_copy_head(tx, f, head, len);
		rw_nat_in(tx->buf, p, cp->daddr, cp->dport);
	} else {
		head = PKT_ETH_HLEN;
		memcpy(tx->buf, f, PKT_ETH_HLEN);
	}
	rw_eth(tx->buf, &t->port[rs->via].mac, &rs->mac);
	ctr_fwd(&dp->st.rs[rs->slot], p->ip_len, true);
	return emit_fwd(dp, tx, f, head, len, rs->via);
}

/*
 * An ICMP error addressed to a VIP quotes a packet that a real server sent as
 * VIP:vport -> client; the flow it belongs to says which real server must hear
 * about it (a PMTU update, an unreachable client).
 */
static enum lb_verdict dp_icmp_in(struct dp *dp, struct svc_table *t,
				  enum lb_port in, const uint8_t *f, size_t len,
				  const struct pkt *p, struct dp_tx *tx)
{
	const struct pkt_inner *q = &p->inner;
	struct flow_key k = {
		.caddr = q->daddr, .vaddr = q->saddr,
		.cport = q->dport, .vport = q->sport, .proto = q->proto,
	};
	struct svc_rs *rs;
	struct conn *cp;

	if (q->proto != IPPROTO_TCP && q->proto != IPPROTO_UDP)
		return reject(dp, tx, LB_DROP_ICMP);
	if (p->ttl <= 1)
		return reject(dp, tx, LB_DROP_TTL);
	cp = conn_lookup_in(dp->ct, &k);
	if (!cp)
		return reject(dp, tx, LB_DROP_ICMP);
	rs = dp_conn_rs(t, cp);
	if (!rs)
		return reject(dp, tx, LB_DROP_NO_DEST);
	if (!fits(t, rs->via, p))
		return too_big(dp, t, in, f, p, p->daddr, t->port[rs->via].mtu, tx);
	memcpy(tx->buf, f, len);
	rw_eth(tx->buf, &t->port[rs->via].mac, &rs->mac);
	if (cp->fwd == LB_FWD_NAT)
		rw_icmp_nat_in(tx->buf, p, cp->daddr, cp->dport);
	return emit(dp, tx, len, rs->via);
}

static enum lb_verdict dp_to_vip(struct dp *dp, struct svc_table *t,
				 enum lb_port in, const uint8_t *f, size_t len,
				 const struct pkt *p, uint32_t now,
				 struct dp_tx *tx)
{
	size_t n;

	(void)now;
	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return reject(dp, tx, LB_DROP_NO_SERVICE);	/* no such port */
	case IPPROTO_ICMP:
		if (p->icmp_type == PKT_ICMP_ECHO) {
			n = icmp_echo_reply(tx->buf, tx->cap, f, p);
			return n ? emit(dp, tx, n, in) : reject(dp, tx, LB_DROP_ICMP);
		}
		if (p->icmp_error)
			return dp_icmp_in(dp, t, in, f, len, p, tx);
		return reject(dp, tx, LB_DROP_ICMP);
	default:
		return reject(dp, tx, LB_DROP_PROTO);
	}
}

/* --- real server -> client (NAT) ------------------------------------------ */

/* The NAT flow that frame <p> from a real server answers, or NULL. */
static inline struct conn *dp_reply_conn(struct dp *dp, const struct pkt *p)
{
	const struct pkt_inner *q = &p->inner;

	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)
		return conn_lookup_out(dp->ct, p->proto, p->saddr, p->sport,
				       p->daddr, p->dport);
	if (p->proto == IPPROTO_ICMP && p->icmp_error)
		return conn_lookup_out(dp->ct, q->proto, q->daddr, q->dport,
				       q->saddr, q->sport);
	return NULL;
}

/* A real server's reply <p> of NAT flow <cp>, on its way to the client. */
static inline enum lb_verdict dp_nat_out(struct dp *dp, struct svc_table *t,
					 enum lb_port in, const uint8_t *f,
					 size_t len, const struct pkt *p,
					 struct conn *cp, uint32_t now,
					 struct dp_tx *tx)
{
	struct svc_rs *rs;
	size_t head;

	if (p->ttl <= 1)
		return reject(dp, tx, LB_DROP_TTL);
	if (!t->has_gw)
		return reject(dp, tx, LB_DROP_NO_NEIGH);
	if (!fits(t, LB_PORT_EXT, p))
		return too_big(dp, t, in, f, p, t->port[in].addr,
			       t->port[LB_PORT_EXT].mtu, tx);
	if (p->proto == IPPROTO_ICMP) {
		/* The quote changes too, and the ICMP checksum covers it all. */
		memcpy(tx->buf, f, len);
		rw_eth(tx->buf, &t->port[LB_PORT_EXT].mac, &t->gw_mac);
		rw_icmp_nat_out(tx->buf, p, cp->vaddr, cp->vport);
		return emit(dp, tx, len, LB_PORT_EXT);
	}
	dp_conn_step(dp, cp, CONN_DIR_OUT, p->tcp_flags, now);
	head = rw_nat_head_len(p);
	dp_copy_head(tx, f, head, len);
	rw_eth(tx->buf, &t->port[LB_PORT_EXT].mac, &t->gw_mac);
	rw_nat_out(tx->buf, p, cp->vaddr, cp->vport);
	rs = dp_conn_rs(t, cp);
	if (rs)
		ctr_fwd(&dp->st.rs[rs->slot], p->ip_len, false);
	return emit_fwd(dp, tx, f, head, len, LB_PORT_EXT);
}

/* --- the fast path ---------------------------------------------------------- */

/*
 * Nearly every frame is a segment of a flow lbd already tracks that moves
 * nothing but the flow's timer: data or an ACK on an established TCP flow, a
 * datagram of a live UDP flow. Linux gives such flows a path of their own
 * beside the forwarding path (nf_flow_table); this is lbd's. It forwards a
 * frame only where the full path would forward it the same way, to the byte
 * and the counter, and hands every other frame back with LB_PASS, having
 * written and counted nothing: new flows, SYN, FIN or RST, a flow in any
 * other state, a real server down or gone, a packet over the MTU, a TTL
 * about to run out, IP options, anything pkt_parse_fast() leaves alone.
 * fuzz_pkt runs every input both ways and compares.
 */
static inline enum lb_verdict dp_fast(struct dp *dp, const struct svc_table *t,
				      enum lb_port in, const uint8_t *f,
				      size_t len, uint32_t now,
				      struct dp_tx *tx)
{
	struct conn *cp = NULL;
	struct svc_rs *rs;
	enum lb_port out;
	struct pkt p;
	size_t head;
	bool reply;

	if (!pkt_parse_fast(f, len, &p) || p.ttl <= 1 ||
	    (p.tcp_flags & (CONN_TCP_SYN | CONN_TCP_FIN | CONN_TCP_RST)))
		return LB_PASS;
	/* The order of the full path: replies first on the inside. */
	if (in == LB_PORT_INT)
		cp = conn_find_out(dp->ct, f + p.l3_off + RW_IP_OFF_SADDR,
				   f + p.l4_off, p.proto);
	reply = cp != NULL;
	if (!reply) {
		cp = conn_find_in(dp->ct, f + p.l3_off + RW_IP_OFF_SADDR,
				  f + p.l4_off, p.proto);
		if (!cp)
			return LB_PASS;
	}
	/* A TCP flow is never in CONN_S_UDP, a UDP flow always is. */
	if (cp->state != CONN_S_ESTABLISHED && cp->state != CONN_S_UDP)
		return LB_PASS;
	rs = dp_conn_rs(t, cp);
	if (!rs || !rs->up)
		return LB_PASS;
	out = reply ? LB_PORT_EXT : (enum lb_port)rs->via;
	if (!fits(t, out, &p) || (reply && !t->has_gw))
		return LB_PASS;

	conn_touch(dp->ct, cp, now);
	if (cp->fwd == LB_FWD_DR) {
		head = PKT_ETH_HLEN;
		memcpy(tx->buf, f, PKT_ETH_HLEN);
	} else {
		head = rw_nat_head_len(&p);
		dp_copy_head(tx, f, head, len);
		if (reply)
			rw_nat_out(tx->buf, &p, cp->vaddr, cp->vport);
		else
			rw_nat_in(tx->buf, &p, cp->daddr, cp->dport);
	}
	rw_eth(tx->buf, &t->port[out].mac, reply ? &t->gw_mac : &rs->mac);
	ctr_fwd(&dp->st.rs[rs->slot], p.ip_len, !reply);
	tx->why = LB_DROP_NONE;
	return emit_fwd(dp, tx, f, head, len, out);
}

/* --- the full path ---------------------------------------------------------- */

enum lb_verdict dp_handle(struct dp *dp, struct svc_table *t, enum lb_port in,
			  const uint8_t *f, size_t len, uint32_t now,
			  struct dp_tx *tx)
{
	struct conn *cp = NULL;
	enum lb_verdict v;
	struct pkt p;
	enum lb_drop why;

	if (len <= tx->cap && !dp->full_path_only) {
		v = dp_fast(dp, t, in, f, len, now, tx);
		if (v != LB_PASS)
			return v;
	}
	tx->len = 0;
	tx->tail = NULL;
	tx->tail_len = 0;
	tx->why = LB_DROP_NONE;
	if (len > tx->cap)
		return reject(dp, tx, LB_DROP_TOO_BIG);
	if (!pkt_parse(f, len, &p, &why))
		return reject(dp, tx, why);
	if (p.kind == PKT_K_ARP)
		return dp_arp(dp, t, in, f, &p, tx);
	if (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP) {
		/*
		 * The inside of a two-armed director carries replies of NAT
		 * flows, so their table is asked first there. No reply can be
		 * for a flow or a service: its destination, the client, is
		 * never a VIP.
		 */
		if (in == LB_PORT_INT) {
			cp = dp_reply_conn(dp, &p);
			if (cp)
				return dp_nat_out(dp, t, in, f, len, &p, cp,
						  now, tx);
		}
		v = dp_flow_in(dp, t, in, f, len, &p, now, tx);
		if (v != LB_PASS)
			return v;
	}
	if (svc_is_vip(t, p.daddr))
		return dp_to_vip(dp, t, in, f, len, &p, now, tx);
	/*
	 * Replies of NAT flows come back through the director because the
	 * real servers route through it; anything from them that matches no
	 * flow (health check answers to the director itself, say) is the
	 * kernel's business. An inside miss above is asked again here: rare,
	 * and passed.
	 */
	cp = dp_reply_conn(dp, &p);
	if (!cp)
		return pass(dp);
	return dp_nat_out(dp, t, in, f, len, &p, cp, now, tx);
}
