/* SPDX-License-Identifier: MIT */
/*
 * dp: the whole pipeline on golden frames. Each case is {name, input frame,
 * expected frame, verdict, port, drop reason}; frames are described in a
 * table and made by the test-only builder, checksums from scratch. The table
 * is built the way the control plane builds it (svc_table_build() from a
 * struct cfg filled in here, then ports, MACs and the gateway), never through
 * cfg_parse().
 *
 * Run with "--fixtures DIR" to also write the golden frames as .pcap files
 * (dp_golden_in.pcap, dp_golden_out.pcap), or "--seeds DIR" to write each
 * input frame as a fuzz seed; the tests run either way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "conn.h"
#include "dp.h"
#include "pktbuild.h"
#include "svc.h"

/* --- the test network ---------------------------------------------------------
 *
 *   client 198.51.100.7 -- router (gw MAC ..:fe, 203.0.113.1)
 *        |
 *   [ext 192.0.2.1, MAC ..:01]  lbd, VIP 192.0.2.100  [int 10.1.0.1, MAC ..:02]
 *        |                                                 |
 *   DR real servers 192.0.2.11-19                 NAT real servers 10.1.0.21-29
 *
 * A real server's MAC is 02:00 followed by its IPv4 address.
 */
#define CADDR	"198.51.100.7"
#define VADDR	"192.0.2.100"
#define RADDR	"203.0.113.1"
#define EXTADDR	"192.0.2.1"
#define INTADDR	"10.1.0.1"
#define GWADDR	"192.0.2.254"

static const struct lb_mac MAC_GW = { { 0x02, 0, 0, 0, 0, 0xfe } };
static const struct lb_mac MAC_EXT = { { 0x02, 0, 0, 0, 0, 0x01 } };
static const struct lb_mac MAC_INT = { { 0x02, 0, 0, 0, 0, 0x02 } };
static const struct lb_mac MAC_OTHER = { { 0x02, 0, 0, 0, 0, 0x66 } };
static const struct lb_mac MAC_BCAST = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct lb_mac MAC_ZERO;
static const struct lb_mac MAC_RS1 = { { 0x02, 0, 192, 0, 2, 11 } };
static const struct lb_mac MAC_RS2 = { { 0x02, 0, 10, 1, 0, 21 } };
static const struct lb_mac MAC_RS3 = { { 0x02, 0, 10, 1, 0, 22 } };
static const struct lb_mac MAC_RS4 = { { 0x02, 0, 192, 0, 2, 12 } };

static const char *opt_fixtures;	/* --fixtures DIR */
static const char *opt_seeds;		/* --seeds DIR */
static bool opt_full_path_only;		/* the second run: no fast path */

/* --- building a table as the control plane does ------------------------------- */

struct wrs {
	const char *addr;
	uint16_t port;
	uint32_t weight;
};

struct wsvc {
	const char *vaddr;
	uint16_t vport;
	uint8_t proto;
	enum lb_fwd fwd;
	const char *sched;
	size_t n_rs;
	struct wrs rs[10];
};

static struct lb_mac rs_mac(__be32 addr)
{
	struct lb_mac m = { { 0x02, 0 } };

	memcpy(m.b + 2, &addr, 4);
	return m;
}

static struct svc_table *table_new(const struct wsvc *ws, size_t n,
				   bool expire_nodest)
{
	struct cfg_svc cs[8];
	struct cfg_rs crs[8][10];
	struct cfg c;
	struct svc_table *t;
	char err[CFG_ERR_LEN];
	size_t i, k;
	uint16_t s;

	assert_true(n <= 8);
	memset(&c, 0, sizeof(c));
	memset(cs, 0, sizeof(cs));
	memset(crs, 0, sizeof(crs));
	for (i = 0; i < n; i++) {
		cs[i].vaddr = pb_addr(ws[i].vaddr);
		cs[i].vport = htons(ws[i].vport);
		cs[i].proto = ws[i].proto;
		cs[i].fwd = ws[i].fwd;
		snprintf(cs[i].sched, sizeof(cs[i].sched), "%s", ws[i].sched);
		cs[i].line = (unsigned int)(i + 1);
		cs[i].rs = crs[i];
		cs[i].n_rs = ws[i].n_rs;
		for (k = 0; k < ws[i].n_rs; k++) {
			crs[i][k].addr = pb_addr(ws[i].rs[k].addr);
			crs[i][k].port = htons(ws[i].rs[k].port);
			crs[i][k].weight = ws[i].rs[k].weight;
			crs[i][k].rise = crs[i][k].fall = 1;
		}
	}
	c.svc = cs;
	c.n_svc = n;
	c.conn_max = 64;
	c.half_open_max = 64;
	c.expire_nodest_conn = expire_nodest;
	t = svc_table_build(&c, err, sizeof(err));
	if (!t)
		fail_msg("svc_table_build: %s", err);

	/* What the control plane learns from netlink and ARP. */
	t->port[LB_PORT_EXT] = (struct svc_port){ .present = true, .ifindex = 2,
		.mac = MAC_EXT, .addr = pb_addr(EXTADDR), .mtu = 1500 };
	t->port[LB_PORT_INT] = (struct svc_port){ .present = true, .ifindex = 3,
		.mac = MAC_INT, .addr = pb_addr(INTADDR), .mtu = 1500 };
	t->has_gw = true;
	t->gw_mac = MAC_GW;
	for (s = 0; s < t->n_svc; s++) {
		struct svc *sv = &t->svc[s];

		for (k = 0; k < sv->n_rs; k++) {
			struct svc_rs *rs = &sv->rs[k];

			rs->has_mac = true;
			rs->mac = rs_mac(rs->addr);
			rs->via = sv->fwd == LB_FWD_NAT ? LB_PORT_INT : LB_PORT_EXT;
		}
	}
	return t;
}

static struct dp *dp_make(uint32_t conn_max, uint32_t half_open_max,
			  const struct conn_timeouts *to)
{
	struct dp_conf conf = { .conn_max = conn_max,
				.half_open_max = half_open_max,
				.seed = 0x5eed,
				.full_path_only = opt_full_path_only };
	struct dp *dp;

	if (to)
		conf.timeouts = *to;
	else
		conn_timeouts_default(&conf.timeouts);
	dp = dp_new(&conf);
	assert_non_null(dp);
	return dp;
}

/* --- frames, described ------------------------------------------------------------ */

enum fd_kind {
	FD_NONE = 0,
	FD_TCP,
	FD_UDP,
	FD_ICMP,
	FD_ARP,
	FD_IPV6,	/* an IPv6 ethertype around a TCP/IPv4 body */
	FD_GRE,		/* IPv4 protocol 47 */
};

struct fd {
	enum fd_kind kind;
	const struct lb_mac *esrc, *edst;
	const char *saddr, *daddr;	/* ARP: spa, tpa */
	uint16_t sport, dport;
	uint8_t flags;		/* TCP flags; ICMP type; ARP op */
	uint8_t code;		/* ICMP code */
	uint32_t rest;		/* ICMP second word */
	uint8_t ttl;		/* 0: 64 */
	bool ttl_zero;		/* TTL 0 */
	bool no_df;
	bool zero_id;		/* IP id 0 (as lbd's own ICMP) instead of 0x1234 */
	bool bad_ipcsum;
	uint16_t dlen;		/* payload bytes */
	const struct fd *inner;	/* ICMP: the quoted packet */
	uint16_t quote;		/* bytes of it; 0: all */
	const struct lb_mac *tha;	/* ARP target MAC; NULL: zero */
};

static size_t fd_build(uint8_t *f, size_t cap, const struct fd *d)
{
	struct pb_eth eth = { .src = *d->esrc, .dst = *d->edst };
	struct pb_ip ip;
	size_t n = 0;

	if (d->kind == FD_ARP)
		return pb_arp_frame(f, cap, d->esrc, d->edst, d->flags, d->esrc,
				    pb_addr(d->saddr), d->tha ? d->tha : &MAC_ZERO,
				    pb_addr(d->daddr));
	pb_ip_init(&ip, d->saddr, d->daddr);
	ip.ttl = d->ttl_zero ? 0 : d->ttl ? d->ttl : 64;
	ip.frag = d->no_df ? 0 : PB_DF;
	ip.id = d->zero_id ? 0 : 0x1234;
	ip.bad_csum = d->bad_ipcsum;
	switch (d->kind) {
	case FD_IPV6:
		eth.type = 0x86dd;
		/* fall through */
	case FD_TCP: {
		struct pb_tcp t = { .sport = d->sport, .dport = d->dport,
				    .seq = 0x11111111, .ack = 0x22222222,
				    .flags = d->flags };

		n = pb_tcp_frame(f, cap, &eth, &ip, &t, pb_payload(d->dlen),
				 d->dlen);
		break;
	}
	case FD_UDP: {
		struct pb_udp u = { .sport = d->sport, .dport = d->dport };

		n = pb_udp_frame(f, cap, &eth, &ip, &u, pb_payload(d->dlen),
				 d->dlen);
		break;
	}
	case FD_ICMP: {
		struct pb_icmp ic = { .type = d->flags, .code = d->code,
				      .rest = d->rest };

		if (d->inner) {
			uint8_t q[PB_FRAME_MAX];
			size_t qn = fd_build(q, sizeof(q), d->inner);

			assert_true(qn > 14);
			qn -= 14;
			if (d->quote && d->quote < qn)
				qn = d->quote;
			n = pb_icmp_frame(f, cap, &eth, &ip, &ic, q + 14, qn);
		} else {
			n = pb_icmp_frame(f, cap, &eth, &ip, &ic,
					  pb_payload(d->dlen), d->dlen);
		}
		break;
	}
	case FD_GRE: {
		uint8_t l3[64];

		ip.proto = 47;
		n = pb_ipv4(l3, sizeof(l3), &ip, pb_payload(8), 8);
		n = pb_eth_frame(f, cap, &eth, l3, n);
		break;
	}
	default:
		fail_msg("fd_build: kind %d", d->kind);
	}
	assert_true(n > 0);
	return n;
}

static void assert_frame_eq(const char *name, const uint8_t *got, size_t glen,
			    const uint8_t *want, size_t wlen)
{
	if (glen == wlen && memcmp(got, want, glen) == 0)
		return;
	fprintf(stderr, "%s:\n", name);
	pb_diff(stderr, got, glen, want, wlen);
	fail_msg("%s: frame differs from the expected one", name);
}

/*
 * One frame through dp_handle() with a fresh scratch buffer; a frame to send
 * is joined (scratch headers, then the tail borrowed from the input) into
 * <frame>, so that cases compare whole frames byte for byte.
 */
struct out {
	enum lb_verdict v;
	uint8_t buf[PB_FRAME_MAX];
	struct dp_tx tx;
	uint8_t frame[PB_FRAME_MAX];
	size_t len;		/* bytes in <frame>, 0 unless LB_TX */
};

static enum lb_verdict run(struct dp *dp, struct svc_table *t, enum lb_port in,
			   const uint8_t *f, size_t len, uint32_t now,
			   struct out *o)
{
	memset(o->buf, 0xee, sizeof(o->buf));
	memset(o->frame, 0xee, sizeof(o->frame));
	o->len = 0;
	o->tx = (struct dp_tx){ .buf = o->buf, .cap = sizeof(o->buf) };
	o->v = dp_handle(dp, t, in, f, len, now, &o->tx);
	if (o->v == LB_TX) {
		assert_true(o->tx.len <= o->tx.cap);
		assert_true(o->tx.tail_len == 0 ||
			    (o->tx.tail >= f && o->tx.tail + o->tx.tail_len <= f + len));
		o->len = dp_tx_flatten(&o->tx, o->frame, sizeof(o->frame));
		assert_int_equal(o->len, o->tx.len + o->tx.tail_len);
	}
	return o->v;
}

static enum lb_verdict run_fd(struct dp *dp, struct svc_table *t,
			      enum lb_port in, const struct fd *d, uint32_t now,
			      struct out *o)
{
	uint8_t f[PB_FRAME_MAX];
	size_t n = fd_build(f, sizeof(f), d);

	return run(dp, t, in, f, n, now, o);
}

/* A client's TCP segment to VIP:<vport> from <cport>. */
static struct fd c_tcp(uint16_t cport, uint16_t vport, uint8_t flags)
{
	return (struct fd){ .kind = FD_TCP, .esrc = &MAC_GW, .edst = &MAC_EXT,
			    .saddr = CADDR, .daddr = VADDR, .sport = cport,
			    .dport = vport, .flags = flags };
}

/* A real server's TCP segment from <rs>:<dport> to the client. */
static struct fd rs_tcp(const char *rs, uint16_t dport, uint16_t cport,
			uint8_t flags)
{
	static struct lb_mac m[16];
	static unsigned int next;
	struct lb_mac *mm = &m[next++ % 16];

	*mm = rs_mac(pb_addr(rs));
	return (struct fd){ .kind = FD_TCP, .esrc = mm, .edst = &MAC_INT,
			    .saddr = rs, .daddr = CADDR, .sport = dport,
			    .dport = cport, .flags = flags };
}

/* The destination MAC of a transmitted frame, as a real server address. */
static const struct svc_rs *tx_rs(const struct svc_table *t, const struct out *o)
{
	uint16_t s, k;

	for (s = 0; s < t->n_svc; s++)
		for (k = 0; k < t->svc[s].n_rs; k++)
			if (memcmp(o->frame, t->svc[s].rs[k].mac.b, 6) == 0)
				return &t->svc[s].rs[k];
	return NULL;
}

static struct conn *find_conn(struct dp *dp, uint16_t cport, uint16_t vport,
			      uint8_t proto)
{
	struct flow_key k = { .caddr = pb_addr(CADDR), .vaddr = pb_addr(VADDR),
			      .cport = htons(cport), .vport = htons(vport),
			      .proto = proto };

	return conn_lookup_in(dp->ct, &k);
}

static uint32_t rs_active(struct dp *dp, uint16_t slot)
{
	return atomic_load(&dp->st.rs_conns[slot].active);
}

static uint32_t rs_inactive(struct dp *dp, uint16_t slot)
{
	return atomic_load(&dp->st.rs_conns[slot].inactive);
}

/* --- the golden world ----------------------------------------------------------- */

static const struct wsvc golden_svcs[] = {
	{ VADDR, 80, IPPROTO_TCP, LB_FWD_DR, "rr", 1, { { "192.0.2.11", 80, 1 } } },
	{ VADDR, 8080, IPPROTO_TCP, LB_FWD_NAT, "rr", 1, { { "10.1.0.21", 8000, 1 } } },
	{ VADDR, 53, IPPROTO_UDP, LB_FWD_NAT, "wrr", 1, { { "10.1.0.22", 5353, 1 } } },
	{ VADDR, 123, IPPROTO_UDP, LB_FWD_DR, "wrr", 1, { { "192.0.2.12", 123, 1 } } },
};

#define SLOT_DR		0	/* real server slots, in file order */
#define SLOT_NAT	1
#define SLOT_NATUDP	2
#define SLOT_DRUDP	3

/* Packets quoted by ICMP errors in the golden table. */
static const struct fd q_dr_out = {	/* what rs1 sent the client (DR) */
	.kind = FD_TCP, .esrc = &MAC_ZERO, .edst = &MAC_ZERO, .saddr = VADDR,
	.daddr = CADDR, .sport = 80, .dport = 1000, .flags = PB_ACK, .dlen = 1400 };
static const struct fd q_nat_out_as_seen = {	/* rs2's reply after SNAT */
	.kind = FD_TCP, .esrc = &MAC_ZERO, .edst = &MAC_ZERO, .saddr = VADDR,
	.daddr = CADDR, .sport = 8080, .dport = 1001, .flags = PB_ACK, .dlen = 20,
	.ttl = 63 };
static const struct fd q_nat_out_as_sent = {	/* the same, as rs2 sent it */
	.kind = FD_TCP, .esrc = &MAC_ZERO, .edst = &MAC_ZERO, .saddr = "10.1.0.21",
	.daddr = CADDR, .sport = 8000, .dport = 1001, .flags = PB_ACK, .dlen = 20,
	.ttl = 63 };
static const struct fd q_nat_in_as_sent = {	/* client -> VIP:8080 */
	.kind = FD_TCP, .esrc = &MAC_ZERO, .edst = &MAC_ZERO, .saddr = CADDR,
	.daddr = VADDR, .sport = 1001, .dport = 8080, .flags = PB_ACK, .dlen = 5,
	.ttl = 63 };
static const struct fd q_nat_in_as_seen = {	/* the same after DNAT */
	.kind = FD_TCP, .esrc = &MAC_ZERO, .edst = &MAC_ZERO, .saddr = CADDR,
	.daddr = "10.1.0.21", .sport = 1001, .dport = 8000, .flags = PB_ACK,
	.dlen = 5, .ttl = 63 };
static const struct fd q_unknown = {
	.kind = FD_TCP, .esrc = &MAC_ZERO, .edst = &MAC_ZERO, .saddr = VADDR,
	.daddr = CADDR, .sport = 80, .dport = 9999, .flags = PB_ACK };
static const struct fd q_icmp = {
	.kind = FD_ICMP, .esrc = &MAC_ZERO, .edst = &MAC_ZERO, .saddr = VADDR,
	.daddr = CADDR, .flags = 0, .dlen = 8 };
/* 1600 bytes of IP on the DR flow; 1501 bytes of IP from rs2 on the NAT flow. */
#define BIG_DR	.kind = FD_TCP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR, \
	.daddr = VADDR, .sport = 1000, .dport = 80, .flags = PB_ACK, .dlen = 1560
#define BIG_NAT	.kind = FD_TCP, .esrc = &MAC_RS2, .edst = &MAC_INT, \
	.saddr = "10.1.0.21", .daddr = CADDR, .sport = 8000, .dport = 1001, \
	.flags = PB_ACK, .dlen = 1461
static const struct fd big_dr = { BIG_DR };
static const struct fd big_nat = { BIG_NAT };

struct golden {
	const char *name;
	enum lb_port in;
	struct fd f;		/* the frame received */
	struct fd want;		/* the frame sent; kind FD_NONE: none */
	enum lb_verdict v;
	enum lb_port out;
	enum lb_drop why;
	/* Counter effects: a new flow on <slot>; a packet in or out of it. */
	int slot;		/* -1: no real server counter moves */
	char dir;		/* 'i' client -> rs, 'o' rs -> client, 0: none */
	bool new_conn;
};

#define TCPC(cp, vp, fl) .kind = FD_TCP, .esrc = &MAC_GW, .edst = &MAC_EXT, \
	.saddr = CADDR, .daddr = VADDR, .sport = (cp), .dport = (vp), .flags = (fl)

static const struct golden golden[] = {
	/* DR: only the MACs change, IP untouched (TTL included). */
	{ "dr_syn_to_vip", LB_PORT_EXT, { TCPC(1000, 80, PB_SYN) },
	  { .kind = FD_TCP, .esrc = &MAC_EXT, .edst = &MAC_RS1, .saddr = CADDR,
	    .daddr = VADDR, .sport = 1000, .dport = 80, .flags = PB_SYN },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, SLOT_DR, 'i', true },
	{ "dr_ack_same_rs", LB_PORT_EXT, { TCPC(1000, 80, PB_ACK) },
	  { .kind = FD_TCP, .esrc = &MAC_EXT, .edst = &MAC_RS1, .saddr = CADDR,
	    .daddr = VADDR, .sport = 1000, .dport = 80, .flags = PB_ACK },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, SLOT_DR, 'i', false },
	{ "dr_data_ttl_5_untouched", LB_PORT_EXT,
	  { TCPC(1000, 80, PB_ACK | PB_PSH), .ttl = 5, .dlen = 100 },
	  { .kind = FD_TCP, .esrc = &MAC_EXT, .edst = &MAC_RS1, .saddr = CADDR,
	    .daddr = VADDR, .sport = 1000, .dport = 80, .flags = PB_ACK | PB_PSH,
	    .ttl = 5, .dlen = 100 },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, SLOT_DR, 'i', false },
	/* NAT: DNAT in, SNAT out to the gateway with the VIP as source. */
	{ "nat_syn_dnat", LB_PORT_EXT, { TCPC(1001, 8080, PB_SYN) },
	  { .kind = FD_TCP, .esrc = &MAC_INT, .edst = &MAC_RS2, .saddr = CADDR,
	    .daddr = "10.1.0.21", .sport = 1001, .dport = 8000, .flags = PB_SYN,
	    .ttl = 63 },
	  LB_TX, LB_PORT_INT, LB_DROP_NONE, SLOT_NAT, 'i', true },
	{ "nat_synack_snat", LB_PORT_INT,
	  { .kind = FD_TCP, .esrc = &MAC_RS2, .edst = &MAC_INT, .saddr = "10.1.0.21",
	    .daddr = CADDR, .sport = 8000, .dport = 1001, .flags = PB_SYN | PB_ACK },
	  { .kind = FD_TCP, .esrc = &MAC_EXT, .edst = &MAC_GW, .saddr = VADDR,
	    .daddr = CADDR, .sport = 8080, .dport = 1001, .flags = PB_SYN | PB_ACK,
	    .ttl = 63 },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, SLOT_NAT, 'o', false },
	{ "nat_ack_data", LB_PORT_EXT, { TCPC(1001, 8080, PB_ACK), .dlen = 333 },
	  { .kind = FD_TCP, .esrc = &MAC_INT, .edst = &MAC_RS2, .saddr = CADDR,
	    .daddr = "10.1.0.21", .sport = 1001, .dport = 8000, .flags = PB_ACK,
	    .ttl = 63, .dlen = 333 },
	  LB_TX, LB_PORT_INT, LB_DROP_NONE, SLOT_NAT, 'i', false },
	{ "nat_udp_in", LB_PORT_EXT,
	  { .kind = FD_UDP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR,
	    .daddr = VADDR, .sport = 2000, .dport = 53, .dlen = 31 },
	  { .kind = FD_UDP, .esrc = &MAC_INT, .edst = &MAC_RS3, .saddr = CADDR,
	    .daddr = "10.1.0.22", .sport = 2000, .dport = 5353, .dlen = 31,
	    .ttl = 63 },
	  LB_TX, LB_PORT_INT, LB_DROP_NONE, SLOT_NATUDP, 'i', true },
	{ "nat_udp_reply", LB_PORT_INT,
	  { .kind = FD_UDP, .esrc = &MAC_RS3, .edst = &MAC_INT, .saddr = "10.1.0.22",
	    .daddr = CADDR, .sport = 5353, .dport = 2000, .dlen = 200 },
	  { .kind = FD_UDP, .esrc = &MAC_EXT, .edst = &MAC_GW, .saddr = VADDR,
	    .daddr = CADDR, .sport = 53, .dport = 2000, .dlen = 200, .ttl = 63 },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, SLOT_NATUDP, 'o', false },
	{ "dr_udp", LB_PORT_EXT,
	  { .kind = FD_UDP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR,
	    .daddr = VADDR, .sport = 2001, .dport = 123, .dlen = 48 },
	  { .kind = FD_UDP, .esrc = &MAC_EXT, .edst = &MAC_RS4, .saddr = CADDR,
	    .daddr = VADDR, .sport = 2001, .dport = 123, .dlen = 48 },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, SLOT_DRUDP, 'i', true },
	/* Only a SYN starts a TCP flow. */
	{ "ack_unknown_flow", LB_PORT_EXT, { TCPC(1002, 80, PB_ACK) }, { 0 },
	  LB_DROP, 0, LB_DROP_NO_CONN, -1, 0, false },
	{ "rst_unknown_flow", LB_PORT_EXT, { TCPC(1002, 80, PB_RST) }, { 0 },
	  LB_DROP, 0, LB_DROP_NO_CONN, -1, 0, false },
	{ "synack_unknown_flow", LB_PORT_EXT, { TCPC(1002, 80, PB_SYN | PB_ACK) },
	  { 0 }, LB_DROP, 0, LB_DROP_NO_CONN, -1, 0, false },
	{ "syn_fin_unknown_flow", LB_PORT_EXT, { TCPC(1002, 80, PB_SYN | PB_FIN) },
	  { 0 }, LB_DROP, 0, LB_DROP_NO_CONN, -1, 0, false },
	{ "no_service_port", LB_PORT_EXT, { TCPC(1003, 81, PB_SYN) }, { 0 },
	  LB_DROP, 0, LB_DROP_NO_SERVICE, -1, 0, false },
	{ "no_service_proto", LB_PORT_EXT,
	  { .kind = FD_UDP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR,
	    .daddr = VADDR, .sport = 1003, .dport = 80 }, { 0 },
	  LB_DROP, 0, LB_DROP_NO_SERVICE, -1, 0, false },
	/* ARP: we answer for the VIP on the VIP side, and nothing else. */
	{ "arp_request_vip", LB_PORT_EXT,
	  { .kind = FD_ARP, .esrc = &MAC_GW, .edst = &MAC_BCAST, .flags = 1,
	    .saddr = GWADDR, .daddr = VADDR },
	  { .kind = FD_ARP, .esrc = &MAC_EXT, .edst = &MAC_GW, .flags = 2,
	    .saddr = VADDR, .daddr = GWADDR, .tha = &MAC_GW },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, -1, 0, false },
	{ "arp_request_not_vip", LB_PORT_EXT,
	  { .kind = FD_ARP, .esrc = &MAC_GW, .edst = &MAC_BCAST, .flags = 1,
	    .saddr = GWADDR, .daddr = EXTADDR }, { 0 },
	  LB_PASS, 0, LB_DROP_NONE, -1, 0, false },
	{ "arp_request_vip_on_int", LB_PORT_INT,
	  { .kind = FD_ARP, .esrc = &MAC_RS2, .edst = &MAC_BCAST, .flags = 1,
	    .saddr = "10.1.0.21", .daddr = VADDR }, { 0 },
	  LB_PASS, 0, LB_DROP_NONE, -1, 0, false },
	{ "garp_claims_vip", LB_PORT_EXT,
	  { .kind = FD_ARP, .esrc = &MAC_OTHER, .edst = &MAC_BCAST, .flags = 1,
	    .saddr = VADDR, .daddr = VADDR }, { 0 },
	  LB_DROP, 0, LB_DROP_ARP_CONFLICT, -1, 0, false },
	{ "arp_reply_claims_vip", LB_PORT_EXT,
	  { .kind = FD_ARP, .esrc = &MAC_OTHER, .edst = &MAC_GW, .flags = 2,
	    .saddr = VADDR, .daddr = GWADDR, .tha = &MAC_GW }, { 0 },
	  LB_DROP, 0, LB_DROP_ARP_CONFLICT, -1, 0, false },
	{ "arp_request_vip_after_conflict", LB_PORT_EXT,
	  { .kind = FD_ARP, .esrc = &MAC_GW, .edst = &MAC_BCAST, .flags = 1,
	    .saddr = GWADDR, .daddr = VADDR },
	  { .kind = FD_ARP, .esrc = &MAC_EXT, .edst = &MAC_GW, .flags = 2,
	    .saddr = VADDR, .daddr = GWADDR, .tha = &MAC_GW },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, -1, 0, false },
	{ "arp_reply_to_vip", LB_PORT_EXT,
	  { .kind = FD_ARP, .esrc = &MAC_GW, .edst = &MAC_EXT, .flags = 2,
	    .saddr = GWADDR, .daddr = VADDR, .tha = &MAC_EXT }, { 0 },
	  LB_DROP, 0, LB_DROP_ARP, -1, 0, false },
	/* ICMP to the VIP. */
	{ "icmp_echo_vip", LB_PORT_EXT,
	  { .kind = FD_ICMP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR,
	    .daddr = VADDR, .flags = 8, .rest = 0x0abc0001, .dlen = 56, .ttl = 50 },
	  { .kind = FD_ICMP, .esrc = &MAC_EXT, .edst = &MAC_GW, .saddr = VADDR,
	    .daddr = CADDR, .flags = 0, .rest = 0x0abc0001, .dlen = 56 },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, -1, 0, false },
	{ "icmp_frag_needed_dr_flow", LB_PORT_EXT,
	  { .kind = FD_ICMP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = RADDR,
	    .daddr = VADDR, .flags = 3, .code = 4, .rest = 1400, .no_df = true,
	    .inner = &q_dr_out, .quote = 28 },
	  { .kind = FD_ICMP, .esrc = &MAC_EXT, .edst = &MAC_RS1, .saddr = RADDR,
	    .daddr = VADDR, .flags = 3, .code = 4, .rest = 1400, .no_df = true,
	    .inner = &q_dr_out, .quote = 28 },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, -1, 0, false },
	{ "icmp_frag_needed_nat_flow", LB_PORT_EXT,
	  { .kind = FD_ICMP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = RADDR,
	    .daddr = VADDR, .flags = 3, .code = 4, .rest = 1400, .no_df = true,
	    .inner = &q_nat_out_as_seen },
	  { .kind = FD_ICMP, .esrc = &MAC_INT, .edst = &MAC_RS2, .saddr = RADDR,
	    .daddr = "10.1.0.21", .flags = 3, .code = 4, .rest = 1400,
	    .no_df = true, .ttl = 63, .inner = &q_nat_out_as_sent },
	  LB_TX, LB_PORT_INT, LB_DROP_NONE, -1, 0, false },
	{ "icmp_error_from_nat_rs", LB_PORT_INT,
	  { .kind = FD_ICMP, .esrc = &MAC_RS2, .edst = &MAC_INT,
	    .saddr = "10.1.0.21", .daddr = CADDR, .flags = 3, .code = 1,
	    .no_df = true, .inner = &q_nat_in_as_seen },
	  { .kind = FD_ICMP, .esrc = &MAC_EXT, .edst = &MAC_GW, .saddr = VADDR,
	    .daddr = CADDR, .flags = 3, .code = 1, .no_df = true, .ttl = 63,
	    .inner = &q_nat_in_as_sent },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, -1, 0, false },
	{ "icmp_error_unknown_flow", LB_PORT_EXT,
	  { .kind = FD_ICMP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = RADDR,
	    .daddr = VADDR, .flags = 3, .code = 4, .rest = 1400,
	    .inner = &q_unknown }, { 0 },
	  LB_DROP, 0, LB_DROP_ICMP, -1, 0, false },
	{ "icmp_error_quoting_icmp", LB_PORT_EXT,
	  { .kind = FD_ICMP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = RADDR,
	    .daddr = VADDR, .flags = 11, .inner = &q_icmp }, { 0 },
	  LB_DROP, 0, LB_DROP_ICMP, -1, 0, false },
	{ "icmp_error_quote_too_short", LB_PORT_EXT,
	  { .kind = FD_ICMP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = RADDR,
	    .daddr = VADDR, .flags = 3, .code = 4, .inner = &q_dr_out,
	    .quote = 27 }, { 0 },
	  LB_DROP, 0, LB_DROP_ICMP, -1, 0, false },
	{ "icmp_timestamp_vip", LB_PORT_EXT,
	  { .kind = FD_ICMP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR,
	    .daddr = VADDR, .flags = 13, .dlen = 12 }, { 0 },
	  LB_DROP, 0, LB_DROP_ICMP, -1, 0, false },
	/* TTL. */
	{ "ttl_1_to_vip", LB_PORT_EXT, { TCPC(1000, 80, PB_ACK), .ttl = 1 }, { 0 },
	  LB_DROP, 0, LB_DROP_TTL, -1, 0, false },
	{ "ttl_0_syn_to_vip", LB_PORT_EXT, { TCPC(1004, 80, PB_SYN), .ttl_zero = true },
	  { 0 }, LB_DROP, 0, LB_DROP_TTL, -1, 0, false },
	{ "ttl_1_nat_reply", LB_PORT_INT,
	  { .kind = FD_TCP, .esrc = &MAC_RS2, .edst = &MAC_INT, .saddr = "10.1.0.21",
	    .daddr = CADDR, .sport = 8000, .dport = 1001, .flags = PB_ACK,
	    .ttl = 1 }, { 0 },
	  LB_DROP, 0, LB_DROP_TTL, -1, 0, false },
	{ "ttl_1_icmp_error_nat", LB_PORT_EXT,
	  { .kind = FD_ICMP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = RADDR,
	    .daddr = VADDR, .flags = 3, .code = 4, .ttl = 1,
	    .inner = &q_nat_out_as_seen }, { 0 },
	  LB_DROP, 0, LB_DROP_TTL, -1, 0, false },
	/* MTU: DF -> frag-needed back where it came from; no DF -> drop. */
	{ "too_big_df_frag_needed", LB_PORT_EXT, { BIG_DR },
	  { .kind = FD_ICMP, .esrc = &MAC_EXT, .edst = &MAC_GW, .saddr = VADDR,
	    .daddr = CADDR, .flags = 3, .code = 4, .rest = 1500, .no_df = true,
	    .zero_id = true, .inner = &big_dr, .quote = 20 + 64 },
	  LB_TX, LB_PORT_EXT, LB_DROP_TOO_BIG, -1, 0, false },
	{ "too_big_no_df", LB_PORT_EXT,
	  { TCPC(1000, 80, PB_ACK), .dlen = 1461, .no_df = true }, { 0 },
	  LB_DROP, 0, LB_DROP_TOO_BIG, -1, 0, false },
	{ "mtu_exactly_1500_fits", LB_PORT_EXT, { TCPC(1000, 80, PB_ACK), .dlen = 1460 },
	  { .kind = FD_TCP, .esrc = &MAC_EXT, .edst = &MAC_RS1, .saddr = CADDR,
	    .daddr = VADDR, .sport = 1000, .dport = 80, .flags = PB_ACK,
	    .dlen = 1460 },
	  LB_TX, LB_PORT_EXT, LB_DROP_NONE, SLOT_DR, 'i', false },
	{ "too_big_nat_reply_df", LB_PORT_INT, { BIG_NAT },
	  { .kind = FD_ICMP, .esrc = &MAC_INT, .edst = &MAC_RS2, .saddr = INTADDR,
	    .daddr = "10.1.0.21", .flags = 3, .code = 4, .rest = 1500,
	    .no_df = true, .zero_id = true, .inner = &big_nat, .quote = 20 + 64 },
	  LB_TX, LB_PORT_INT, LB_DROP_TOO_BIG, -1, 0, false },
	/* Not ours, or not parseable. */
	{ "bad_ip_checksum", LB_PORT_EXT, { TCPC(1000, 80, PB_ACK), .bad_ipcsum = true },
	  { 0 }, LB_DROP, 0, LB_DROP_BAD_IPCSUM, -1, 0, false },
	{ "ipv6", LB_PORT_EXT,
	  { .kind = FD_IPV6, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR,
	    .daddr = VADDR, .sport = 1, .dport = 80 }, { 0 },
	  LB_DROP, 0, LB_DROP_NOT_IPV4, -1, 0, false },
	{ "gre_to_vip", LB_PORT_EXT,
	  { .kind = FD_GRE, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR,
	    .daddr = VADDR }, { 0 },
	  LB_DROP, 0, LB_DROP_PROTO, -1, 0, false },
	{ "tcp_to_director_pass", LB_PORT_EXT,
	  { .kind = FD_TCP, .esrc = &MAC_GW, .edst = &MAC_EXT, .saddr = CADDR,
	    .daddr = EXTADDR, .sport = 1000, .dport = 22, .flags = PB_SYN },
	  { 0 }, LB_PASS, 0, LB_DROP_NONE, -1, 0, false },
	{ "rs_traffic_not_a_flow_pass", LB_PORT_INT,
	  { .kind = FD_TCP, .esrc = &MAC_RS2, .edst = &MAC_INT, .saddr = "10.1.0.21",
	    .daddr = INTADDR, .sport = 8000, .dport = 40000,
	    .flags = PB_SYN | PB_ACK }, { 0 },
	  LB_PASS, 0, LB_DROP_NONE, -1, 0, false },
	{ "gre_from_rs_pass", LB_PORT_INT,
	  { .kind = FD_GRE, .esrc = &MAC_RS2, .edst = &MAC_INT, .saddr = "10.1.0.21",
	    .daddr = CADDR }, { 0 },
	  LB_PASS, 0, LB_DROP_NONE, -1, 0, false },
};

#define NGOLDEN	(sizeof(golden) / sizeof(golden[0]))

static void test_dp_golden_frames(void **state)
{
	struct svc_table *t = table_new(golden_svcs, 4, false);
	struct dp *dp = dp_make(64, 64, NULL);
	uint64_t drops[LB_DROP_MAX] = { 0 };
	uint64_t conns[SVC_SLOTS] = { 0 }, pin[4] = { 0 }, bin[4] = { 0 };
	uint64_t pout[4] = { 0 }, bout[4] = { 0 }, ntx = 0;
	struct pb_pcap *pin_cap = NULL, *pout_cap = NULL;
	struct out o;
	size_t i, k;
	char path[512];

	(void)state;
	if (opt_fixtures) {
		snprintf(path, sizeof(path), "%s/dp_golden_in.pcap", opt_fixtures);
		pin_cap = pb_pcap_open(path);
		snprintf(path, sizeof(path), "%s/dp_golden_out.pcap", opt_fixtures);
		pout_cap = pb_pcap_open(path);
		assert_true(pin_cap && pout_cap);
	}
	for (i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden[i];
		uint8_t f[PB_FRAME_MAX], want[PB_FRAME_MAX];
		size_t n, wn = 0;
		enum lb_drop why;
		enum lb_verdict v;

		n = fd_build(f, sizeof(f), &g->f);
		why = g->why;
		if (g->want.kind != FD_NONE)
			wn = fd_build(want, sizeof(want), &g->want);
		if (pin_cap) {
			/* Step i at second i: an output sits beside its input. */
			assert_int_equal(pb_pcap_add(pin_cap, (uint32_t)i, f, n), 0);
			if (wn)
				assert_int_equal(pb_pcap_add(pout_cap, (uint32_t)i,
							     want, wn), 0);
		}
		if (opt_seeds) {
			snprintf(path, sizeof(path), "golden_%02zu_%s", i, g->name);
			assert_int_equal(pb_write_file(opt_seeds, path, f, n), 0);
		}
		v = run(dp, t, g->in, f, n, 1000 + (uint32_t)i, &o);
		if (v != g->v)
			fail_msg("%s: verdict %d, want %d (reason %s)", g->name, v,
				 g->v, dp_drop_name(o.tx.why));
		if (o.tx.why != why)
			fail_msg("%s: reason %s, want %s", g->name,
				 dp_drop_name(o.tx.why), dp_drop_name(why));
		if (why != LB_DROP_NONE)
			drops[why]++;
		if (v == LB_TX) {
			ntx++;
			if (o.tx.port != g->out)
				fail_msg("%s: sent on port %d, want %d", g->name,
					 o.tx.port, g->out);
			assert_frame_eq(g->name, o.frame, o.len, want, wn);
		} else {
			assert_int_equal(wn, 0);
		}
		if (g->slot >= 0) {
			uint64_t ipl = n - 14;

			if (g->new_conn)
				conns[g->slot]++;
			if (g->dir == 'i') {
				pin[g->slot]++;
				bin[g->slot] += ipl;
			} else if (g->dir == 'o') {
				pout[g->slot]++;
				bout[g->slot] += ipl;
			}
		}
	}
	pb_pcap_close(pin_cap);
	pb_pcap_close(pout_cap);

	/* Counters: every frame, every drop by reason, every real server. */
	assert_int_equal(dp_rx(&dp->st), NGOLDEN);
	assert_int_equal(dp_read(&dp->st.tx), ntx);
	for (k = 0; k < LB_DROP_MAX; k++)
		if (dp_read(&dp->st.drop[k]) != drops[k])
			fail_msg("drop counter %s = %llu, want %llu",
				 dp_drop_name((enum lb_drop)k),
				 (unsigned long long)dp_read(&dp->st.drop[k]),
				 (unsigned long long)drops[k]);
	for (k = 0; k < 4; k++) {
		const struct svc_rs *rs = t->slot[k];

		assert_non_null(rs);
		assert_int_equal(dp_read(&dp->st.rs[k].conns), conns[k]);
		assert_int_equal(dp_read(&dp->st.rs[k].pkts_in), pin[k]);
		assert_int_equal(dp_read(&dp->st.rs[k].bytes_in), bin[k]);
		assert_int_equal(dp_read(&dp->st.rs[k].pkts_out), pout[k]);
		assert_int_equal(dp_read(&dp->st.rs[k].bytes_out), bout[k]);
	}
	/* DR flow and NAT flow established by their ACKs; the UDP flows inactive. */
	assert_int_equal(rs_active(dp, SLOT_DR), 1);
	assert_int_equal(rs_inactive(dp, SLOT_DR), 0);
	assert_int_equal(rs_active(dp, SLOT_NAT), 1);
	assert_int_equal(rs_inactive(dp, SLOT_NATUDP), 1);
	assert_int_equal(rs_inactive(dp, SLOT_DRUDP), 1);
	assert_int_equal(conn_count(dp->ct), 4);
	dp_free(dp);
	svc_table_free(t);
}

/* --- verdicts outside the golden world --------------------------------------- */

static const struct wsvc two_nat[] = {
	{ VADDR, 80, IPPROTO_TCP, LB_FWD_NAT, "rr", 2,
	  { { "10.1.0.21", 8000, 1 }, { "10.1.0.22", 8000, 1 } } },
};

static const struct wsvc two_dr[] = {
	{ VADDR, 80, IPPROTO_TCP, LB_FWD_DR, "rr", 2,
	  { { "192.0.2.11", 80, 1 }, { "192.0.2.12", 80, 1 } } },
};

static void test_dp_nat_reply_without_gateway_no_neigh(void **state)
{
	struct svc_table *t = table_new(two_nat, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN);
	struct fd rep = rs_tcp("10.1.0.21", 8000, 5000, PB_SYN | PB_ACK);
	struct out o;

	(void)state;
	t->has_gw = false;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
	assert_int_equal(run_fd(dp, t, LB_PORT_INT, &rep, 2, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_NEIGH);
	assert_int_equal(dp_read(&dp->st.drop[LB_DROP_NO_NEIGH]), 1);
	dp_free(dp);
	svc_table_free(t);
}

/* The scheduler's pick has no MAC yet: no flow is created for it. */
static void test_dp_new_flow_without_rs_mac_no_neigh(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN);
	struct out o;

	(void)state;
	t->svc[0].rs[0].has_mac = false;
	t->svc[0].rs[1].has_mac = false;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_NEIGH);
	assert_int_equal(conn_count(dp->ct), 0);
	assert_int_equal(rs_inactive(dp, 0) + rs_inactive(dp, 1), 0);
	dp_free(dp);
	svc_table_free(t);
}

static void test_dp_all_rs_down_no_dest(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN);
	struct fd udp = { .kind = FD_UDP, .esrc = &MAC_GW, .edst = &MAC_EXT,
			  .saddr = CADDR, .daddr = VADDR, .sport = 1, .dport = 80 };
	struct out o;

	(void)state;
	t->svc[0].rs[0].up = false;
	t->svc[0].rs[1].up = false;
	svc_sched_reset(&t->svc[0]);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_DEST);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &udp, 1, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_SERVICE);
	assert_int_equal(conn_count(dp->ct), 0);
	dp_free(dp);
	svc_table_free(t);
}

/*
 * A forwarded frame is sent as rewritten headers in the scratch buffer plus a
 * tail borrowed from the received frame: DR rewrites only Ethernet, NAT up to
 * the fixed TCP header, in both directions. (run() checks that the joined
 * frame is what the golden cases expect; this pins down the split.)
 */
static void test_dp_forward_gathers_headers_only(void **state)
{
	struct svc_table *dr = table_new(two_dr, 1, false);
	struct svc_table *nat = table_new(two_nat, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	static const struct {
		bool nat, from_rs;
		uint8_t flags;
		size_t head;
	} c[] = {
		{ false, false, PB_SYN, 14 },
		{ false, false, PB_ACK, 14 },
		{ true, false, PB_SYN, 14 + 20 + 20 },
		{ true, true, PB_SYN | PB_ACK, 14 + 20 + 20 },
		{ true, false, PB_ACK, 14 + 20 + 20 },
	};
	uint8_t f[PB_FRAME_MAX];
	struct out o;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fd d = c[i].from_rs ?
			      rs_tcp("10.1.0.21", 8000, 5000, c[i].flags) :
			      c_tcp(c[i].nat ? 5000 : 6000, 80, c[i].flags);

		d.dlen = 100;
		n = fd_build(f, sizeof(f), &d);
		assert_int_equal(run(dp, c[i].nat ? nat : dr,
				     c[i].from_rs ? LB_PORT_INT : LB_PORT_EXT,
				     f, n, 1 + (uint32_t)i, &o), LB_TX);
		if (o.tx.len != c[i].head)
			fail_msg("case %zu: %zu header bytes, want %zu", i,
				 o.tx.len, c[i].head);
		assert_ptr_equal(o.tx.tail, f + c[i].head);
		assert_int_equal(o.tx.tail_len, n - c[i].head);
		assert_int_equal(o.len, n);
		assert_memory_equal(o.frame + c[i].head, f + c[i].head,
				    n - c[i].head);
	}
	dp_free(dp);
	svc_table_free(dr);
	svc_table_free(nat);
}

/* dp_tx_flatten() joins the two pieces, or refuses a buffer too small. */
static void test_dp_tx_flatten_fits_or_refuses(void **state)
{
	uint8_t head[4] = { 1, 2, 3, 4 }, tail[3] = { 5, 6, 7 }, out[8];
	struct dp_tx tx = { .buf = head, .cap = sizeof(head), .len = 4,
			    .tail = tail, .tail_len = 3 };
	static const uint8_t want[7] = { 1, 2, 3, 4, 5, 6, 7 };

	(void)state;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(dp_tx_flatten(&tx, out, 7), 7);
	assert_memory_equal(out, want, 7);
	assert_int_equal(out[7], 0xee);
	assert_int_equal(dp_tx_flatten(&tx, out, 6), 0);
	assert_int_equal(dp_tx_flatten(&tx, out, 3), 0);
	tx.tail = NULL;
	tx.tail_len = 0;
	assert_int_equal(dp_tx_flatten(&tx, out, 4), 4);
	tx.tail = tail;
	tx.tail_len = SIZE_MAX;		/* a length that would wrap the sum */
	assert_int_equal(dp_tx_flatten(&tx, out, sizeof(out)), 0);
}

/* A frame longer than the scratch buffer is dropped before it is read. */
static void test_dp_frame_longer_than_scratch_dropped(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN);
	uint8_t f[PB_FRAME_MAX], small[40];
	struct dp_tx tx = { .buf = small, .cap = sizeof(small) };
	size_t n = fd_build(f, sizeof(f), &syn);

	(void)state;
	assert_true(n > sizeof(small));
	assert_int_equal(dp_handle(dp, t, LB_PORT_EXT, f, n, 1, &tx), LB_DROP);
	assert_int_equal(tx.why, LB_DROP_TOO_BIG);
	assert_int_equal(conn_count(dp->ct), 0);
	dp_free(dp);
	svc_table_free(t);
}

/* --- scheduling through the datapath ------------------------------------------ */

static const struct wsvc wrr_1234[] = {
	{ VADDR, 80, IPPROTO_TCP, LB_FWD_DR, "wrr", 4,
	  { { "192.0.2.11", 80, 1 }, { "192.0.2.12", 80, 2 },
	    { "192.0.2.13", 80, 3 }, { "192.0.2.14", 80, 4 } } },
};

/* <n> SYNs from cport <from> on, counting where wrr sent each. */
static void syns(struct dp *dp, struct svc_table *t, int from, int n,
		 uint32_t *seen)
{
	struct out o;
	int i;

	for (i = 0; i < n; i++) {
		struct fd syn = c_tcp((uint16_t)(from + i), 80, PB_SYN);
		const struct svc_rs *rs;

		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
		rs = tx_rs(t, &o);
		assert_non_null(rs);
		seen[rs->slot]++;
	}
}

static void test_dp_wrr_proportions_over_100_syns(void **state)
{
	struct svc_table *t = table_new(wrr_1234, 1, false);
	struct dp *dp = dp_make(256, 256, NULL);
	uint32_t seen[4] = { 0 };
	int k;

	(void)state;
	syns(dp, t, 10000, 100, seen);
	for (k = 0; k < 4; k++) {
		assert_int_equal(seen[k], 10 * (k + 1));
		assert_int_equal(dp_read(&dp->st.rs[k].conns), 10 * (k + 1));
		assert_int_equal(rs_inactive(dp, (uint16_t)k), 10 * (k + 1));
	}
	dp_free(dp);
	svc_table_free(t);
}

/*
 * A rebuilt table the datapath takes up mid-cycle: with the same servers
 * and weights the cycle goes on (svc_table_inherit()), so 5 picks from the
 * old table and 5 from the new still make one exact 1:2:3:4 cycle; without
 * it the new table starts over and the heaviest server gets 2 + 2, not 4.
 * Changed weights start a fresh cycle.
 */
static void test_dp_wrr_cycle_survives_rebuild(void **state)
{
	struct svc_table *t1 = table_new(wrr_1234, 1, false);
	struct svc_table *t2 = table_new(wrr_1234, 1, false);
	struct svc_table *t3 = table_new(wrr_1234, 1, false);
	struct dp *dp = dp_make(256, 256, NULL);
	uint32_t seen[4] = { 0 }, fresh[4] = { 0 };
	int k;

	(void)state;
	syns(dp, t1, 20000, 5, seen);
	svc_table_inherit(t2, t1);
	syns(dp, t2, 20005, 5, seen);
	for (k = 0; k < 4; k++)
		assert_int_equal(seen[k], k + 1);

	/* rs4 down in t3: other weights, a new cycle over 1:2:3. */
	t3->svc[0].rs[3].up = false;
	svc_sched_reset(&t3->svc[0]);
	svc_table_inherit(t3, t2);
	syns(dp, t3, 20010, 6, fresh);
	assert_int_equal(fresh[0], 1);
	assert_int_equal(fresh[1], 2);
	assert_int_equal(fresh[2], 3);
	assert_int_equal(fresh[3], 0);
	dp_free(dp);
	svc_table_free(t1);
	svc_table_free(t2);
	svc_table_free(t3);
}

/*
 * Weight 0 (quiescent, ipvsadm -w 0): no new flows, but the existing flow is
 * still forwarded to it.
 */
static void test_dp_weight_zero_quiescent_keeps_existing_flow(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN), ack = c_tcp(5000, 80, PB_ACK);
	struct out o;
	int i;

	(void)state;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 0);
	t->svc[0].rs[0].weight = 0;
	svc_sched_reset(&t->svc[0]);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 2, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 0);
	for (i = 0; i < 5; i++) {
		struct fd s2 = c_tcp((uint16_t)(6000 + i), 80, PB_SYN);

		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &s2, 3, &o), LB_TX);
		assert_int_equal(tx_rs(t, &o)->slot, 1);
	}
	assert_int_equal(dp_read(&dp->st.rs[0].conns), 1);
	assert_int_equal(dp_read(&dp->st.rs[1].conns), 5);
	dp_free(dp);
	svc_table_free(t);
}

/*
 * Port reuse, NAT: a flow driven to TIME_WAIT by the four-way close, then a
 * new SYN on the same tuple is scheduled afresh (rr moves on to rs 1), and the
 * old flow's counters are released.
 */
static void test_dp_port_reuse_nat_time_wait_scheduled_afresh(void **state)
{
	struct svc_table *t = table_new(two_nat, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	static const struct {
		bool from_rs;
		uint8_t flags;
		enum conn_state after;
	} close[] = {
		{ false, PB_SYN, CONN_S_SYN_RECV },
		{ true, PB_SYN | PB_ACK, CONN_S_SYN_RECV },
		{ false, PB_ACK, CONN_S_ESTABLISHED },
		{ false, PB_FIN | PB_ACK, CONN_S_CLOSE_WAIT },
		{ true, PB_ACK, CONN_S_CLOSE_WAIT },
		{ true, PB_FIN | PB_ACK, CONN_S_TIME_WAIT },
		{ false, PB_ACK, CONN_S_TIME_WAIT },
	};
	struct out o;
	struct conn *cp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(close) / sizeof(close[0]); i++) {
		struct fd f = close[i].from_rs ?
			      rs_tcp("10.1.0.21", 8000, 5000, close[i].flags) :
			      c_tcp(5000, 80, close[i].flags);

		assert_int_equal(run_fd(dp, t, close[i].from_rs ? LB_PORT_INT :
					LB_PORT_EXT, &f, 10 + (uint32_t)i, &o),
				 LB_TX);
		cp = find_conn(dp, 5000, 80, IPPROTO_TCP);
		assert_non_null(cp);
		if (cp->state != close[i].after)
			fail_msg("step %zu: state %s, want %s", i,
				 conn_state_name(cp->state),
				 conn_state_name(close[i].after));
	}
	assert_int_equal(rs_inactive(dp, 0), 1);
	{
		struct fd syn = c_tcp(5000, 80, PB_SYN);

		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 100, &o), LB_TX);
		assert_int_equal(tx_rs(t, &o)->slot, 1);
	}
	cp = find_conn(dp, 5000, 80, IPPROTO_TCP);
	assert_non_null(cp);
	assert_int_equal(cp->rs, 1);
	assert_int_equal(cp->state, CONN_S_SYN_RECV);
	assert_int_equal(conn_count(dp->ct), 1);
	assert_int_equal(rs_inactive(dp, 0) + rs_active(dp, 0), 0);
	assert_int_equal(rs_inactive(dp, 1), 1);
	/* The old reply tuple is gone with the old flow. */
	{
		struct fd old = rs_tcp("10.1.0.21", 8000, 5000, PB_ACK);

		assert_int_equal(run_fd(dp, t, LB_PORT_INT, &old, 101, &o), LB_PASS);
	}
	dp_free(dp);
	svc_table_free(t);
}

/*
 * Port reuse, DR (input-only table): SYN, ACK, RST leaves the flow in CLOSE;
 * a new SYN on the tuple is scheduled afresh.
 */
static void test_dp_port_reuse_dr_closed_scheduled_afresh(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	static const uint8_t seq[] = { PB_SYN, PB_ACK, PB_RST | PB_ACK };
	static const enum conn_state after[] = { CONN_S_SYN_RECV,
		CONN_S_ESTABLISHED, CONN_S_CLOSE };
	struct out o;
	struct conn *cp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seq); i++) {
		struct fd f = c_tcp(5000, 80, seq[i]);

		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &f, 10 + (uint32_t)i,
					&o), LB_TX);
		assert_int_equal(tx_rs(t, &o)->slot, 0);
		cp = find_conn(dp, 5000, 80, IPPROTO_TCP);
		assert_non_null(cp);
		assert_int_equal(cp->state, after[i]);
	}
	{
		struct fd syn = c_tcp(5000, 80, PB_SYN);

		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 20, &o), LB_TX);
		assert_int_equal(tx_rs(t, &o)->slot, 1);
	}
	assert_int_equal(rs_inactive(dp, 0) + rs_active(dp, 0), 0);
	assert_int_equal(rs_inactive(dp, 1), 1);
	dp_free(dp);
	svc_table_free(t);
}

/*
 * Port reuse, DR after a normal close: the director sees only the client's
 * FIN and ACK, which leave an input-only flow in FIN_WAIT (it never reaches
 * TIME_WAIT). A new SYN on the tuple is a new connection: scheduled afresh,
 * so a server drained to weight 0 meanwhile does not get it.
 */
static void test_dp_port_reuse_dr_fin_ack_scheduled_afresh(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	static const uint8_t seq[] = { PB_SYN, PB_ACK, PB_FIN | PB_ACK, PB_ACK };
	static const enum conn_state after[] = { CONN_S_SYN_RECV,
		CONN_S_ESTABLISHED, CONN_S_FIN_WAIT, CONN_S_FIN_WAIT };
	struct out o;
	struct conn *cp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seq); i++) {
		struct fd f = c_tcp(5000, 80, seq[i]);

		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &f, 10 + (uint32_t)i,
					&o), LB_TX);
		assert_int_equal(tx_rs(t, &o)->slot, 0);
		cp = find_conn(dp, 5000, 80, IPPROTO_TCP);
		assert_non_null(cp);
		if (cp->state != after[i])
			fail_msg("step %zu: state %s, want %s", i,
				 conn_state_name(cp->state),
				 conn_state_name(after[i]));
	}
	/* Server 0 is being drained: weight 0, still up. */
	t->svc[0].rs[0].weight = 0;
	svc_sched_reset(&t->svc[0]);
	{
		struct fd syn = c_tcp(5000, 80, PB_SYN);

		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 20, &o), LB_TX);
		assert_int_equal(tx_rs(t, &o)->slot, 1);
	}
	cp = find_conn(dp, 5000, 80, IPPROTO_TCP);
	assert_non_null(cp);
	assert_int_equal(cp->rs, 1);
	assert_int_equal(rs_inactive(dp, 0) + rs_active(dp, 0), 0);
	assert_int_equal(conn_count(dp->ct), 1);
	dp_free(dp);
	svc_table_free(t);
}

/*
 * kubernetes/kubernetes#70747 and #81775: a real server goes down. Its
 * established flow keeps going (unless expire_nodest_conn), new flows go to a
 * live server, and a SYN that reuses the dead flow's tuple is a new flow on a
 * live server, not a revival of the old entry.
 */
static void test_dp_k8s_70747_81775_rs_down_existing_flow_continues(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN), ack = c_tcp(5000, 80, PB_ACK);
	struct fd other = c_tcp(5001, 80, PB_SYN);
	struct out o;

	(void)state;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 0);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 2, &o), LB_TX);
	t->svc[0].rs[0].up = false;
	svc_sched_reset(&t->svc[0]);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 3, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 0);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &other, 4, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 1);
	assert_int_equal(rs_active(dp, 0), 1);
	dp_free(dp);
	svc_table_free(t);
}

static void test_dp_k8s_70747_81775_rs_down_reused_tuple_goes_to_live_rs(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN), ack = c_tcp(5000, 80, PB_ACK);
	struct out o;
	struct conn *cp;

	(void)state;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 2, &o), LB_TX);
	assert_int_equal(rs_active(dp, 0), 1);
	t->svc[0].rs[0].up = false;
	svc_sched_reset(&t->svc[0]);
	/* The client gave up on the dead server and reconnects from the same port. */
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 3, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 1);
	cp = find_conn(dp, 5000, 80, IPPROTO_TCP);
	assert_non_null(cp);
	assert_int_equal(cp->rs, 1);
	assert_int_equal(rs_active(dp, 0) + rs_inactive(dp, 0), 0);
	assert_int_equal(rs_inactive(dp, 1), 1);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 4, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 1);
	assert_int_equal(rs_active(dp, 1), 1);
	dp_free(dp);
	svc_table_free(t);
}

/*
 * UDP has no handshake to restart: the next datagram of a flow whose real
 * server went down is scheduled afresh instead of following it into the void.
 */
static const struct wsvc two_udp_dr[] = {
	{ VADDR, 53, IPPROTO_UDP, LB_FWD_DR, "rr", 2,
	  { { "192.0.2.11", 53, 1 }, { "192.0.2.12", 53, 1 } } },
};

static void test_dp_udp_rs_down_next_datagram_rescheduled(void **state)
{
	struct svc_table *t = table_new(two_udp_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd u = { .kind = FD_UDP, .esrc = &MAC_GW, .edst = &MAC_EXT,
			.saddr = CADDR, .daddr = VADDR, .sport = 3000, .dport = 53 };
	struct out o;
	struct conn *cp;

	(void)state;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, 1, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 0);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, 2, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 0);	/* the flow sticks */
	t->svc[0].rs[0].up = false;
	svc_sched_reset(&t->svc[0]);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, 3, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 1);
	cp = find_conn(dp, 3000, 53, IPPROTO_UDP);
	assert_non_null(cp);
	assert_int_equal(cp->rs, 1);
	assert_int_equal(rs_active(dp, 0) + rs_inactive(dp, 0), 0);
	assert_int_equal(rs_inactive(dp, 1), 1);
	dp_free(dp);
	svc_table_free(t);
}

/* expire_nodest_conn: the dead server's flow is dropped at its next packet. */
static void test_dp_k8s_70747_81775_expire_nodest_conn_drops_flow(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, true);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN), ack = c_tcp(5000, 80, PB_ACK);
	struct out o;

	(void)state;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 2, &o), LB_TX);
	t->svc[0].rs[0].up = false;
	svc_sched_reset(&t->svc[0]);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 3, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_DEST);
	assert_null(find_conn(dp, 5000, 80, IPPROTO_TCP));
	assert_int_equal(rs_active(dp, 0) + rs_inactive(dp, 0), 0);
	/* inhibit_on_failure keeps a down server a destination: no drop. */
	t->svc[0].rs[1].inhibit = true;
	syn.sport = 5001;
	ack.sport = 5001;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 4, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 1);
	t->svc[0].rs[1].up = false;
	svc_sched_reset(&t->svc[0]);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 5, &o), LB_TX);
	assert_int_equal(tx_rs(t, &o)->slot, 1);
	dp_free(dp);
	svc_table_free(t);
}

/* A real server removed by a reload (its slot now empty): NO_DEST. */
static void test_dp_rs_removed_from_table_no_dest(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN), ack = c_tcp(5000, 80, PB_ACK);
	struct out o;
	struct svc_rs *saved;

	(void)state;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
	saved = t->slot[0];
	t->slot[0] = NULL;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 2, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_DEST);
	/* A new generation in the same slot is another server: also NO_DEST. */
	t->slot[0] = saved;
	saved->gen++;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 3, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_DEST);
	dp_free(dp);
	svc_table_free(t);
}

/*
 * A service removed while it has flows: they live on with their real server,
 * now a draining entry of the new table (IPVS asks the connection before
 * the service), while a new SYN on such a tuple finds no service, and so
 * does a new client.
 */
static void test_dp_removed_service_flows_drain(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(16, 16, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN), ack = c_tcp(5000, 80, PB_ACK);
	struct fd other = c_tcp(5001, 80, PB_SYN);
	struct svc_table *t2;
	const struct svc_rs *rs;
	struct svc_rs drain;
	struct cfg none;
	char err[CFG_ERR_LEN];
	struct out o;

	(void)state;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 2, &o), LB_TX);
	rs = tx_rs(t, &o);
	assert_non_null(rs);
	drain = *rs;

	memset(&none, 0, sizeof(none));
	t2 = svc_table_rebuild(&none, NULL, NULL, &drain, 1, err, sizeof(err));
	if (!t2)
		fail_msg("svc_table_rebuild: %s", err);
	t2->port[LB_PORT_EXT] = t->port[LB_PORT_EXT];
	t2->port[LB_PORT_INT] = t->port[LB_PORT_INT];
	t2->has_gw = true;
	t2->gw_mac = MAC_GW;
	assert_false(svc_is_vip(t2, pb_addr(VADDR)));

	assert_int_equal(run_fd(dp, t2, LB_PORT_EXT, &ack, 3, &o), LB_TX);
	assert_memory_equal(o.frame, drain.mac.b, 6);
	assert_int_equal(dp_read(&dp->st.rs[drain.slot].pkts_in), 3);
	/* Not a VIP any more: the kernel's business, counted nowhere. */
	assert_int_equal(run_fd(dp, t2, LB_PORT_EXT, &other, 4, &o), LB_PASS);
	/* The old flow's tuple, reused: the flow ends, no service takes it. */
	assert_int_equal(run_fd(dp, t2, LB_PORT_EXT, &syn, 5, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_SERVICE);
	assert_null(find_conn(dp, 5000, 80, IPPROTO_TCP));
	dp_free(dp);
	svc_table_free(t2);
	svc_table_free(t);
}

/* --- bounds ------------------------------------------------------------------- */

/*
 * A SYN flood beyond half_open_max is refused with HALF_OPEN_FULL while an
 * established flow keeps being forwarded.
 */
static void test_dp_half_open_bound_syn_flood(void **state)
{
	struct svc_table *t = table_new(two_dr, 1, false);
	struct dp *dp = dp_make(64, 4, NULL);
	struct fd syn = c_tcp(5000, 80, PB_SYN), ack = c_tcp(5000, 80, PB_ACK);
	struct out o;
	int i, ok = 0, full = 0;

	(void)state;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_TX);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 2, &o), LB_TX);
	for (i = 0; i < 20; i++) {
		struct fd f = c_tcp((uint16_t)(20000 + i), 80, PB_SYN);

		if (run_fd(dp, t, LB_PORT_EXT, &f, 3, &o) == LB_TX) {
			ok++;
		} else {
			assert_int_equal(o.tx.why, LB_DROP_HALF_OPEN_FULL);
			full++;
		}
		/* The established flow is unaffected throughout. */
		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, 3, &o), LB_TX);
	}
	assert_int_equal(ok, 4);
	assert_int_equal(full, 16);
	assert_int_equal(dp_read(&dp->st.drop[LB_DROP_HALF_OPEN_FULL]), 16);
	assert_int_equal(conn_half_open(dp->ct), 4);
	dp_free(dp);
	svc_table_free(t);
}

static const struct wsvc udp_dr[] = {
	{ VADDR, 53, IPPROTO_UDP, LB_FWD_DR, "rr", 1, { { "192.0.2.11", 53, 1 } } },
	{ VADDR, 80, IPPROTO_TCP, LB_FWD_DR, "rr", 1, { { "192.0.2.12", 80, 1 } } },
};

static void test_dp_conn_table_full(void **state)
{
	struct svc_table *t = table_new(udp_dr, 2, false);
	struct dp *dp = dp_make(4, 4, NULL);
	struct fd u = { .kind = FD_UDP, .esrc = &MAC_GW, .edst = &MAC_EXT,
			.saddr = CADDR, .daddr = VADDR, .dport = 53 };
	struct fd syn = c_tcp(5000, 80, PB_SYN);
	struct out o;
	uint16_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		u.sport = (uint16_t)(3000 + i);
		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, 1, &o), LB_TX);
	}
	u.sport = 4000;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, 1, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_CONN_FULL);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, 1, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_CONN_FULL);
	/* Existing flows still pass. */
	u.sport = 3001;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, 1, &o), LB_TX);
	assert_int_equal(dp_read(&dp->st.drop[LB_DROP_CONN_FULL]), 2);
	assert_int_equal(dp_read(&dp->st.rs[0].conns), 4);
	assert_int_equal(dp_read(&dp->st.rs[1].conns), 0);
	dp_free(dp);
	svc_table_free(t);
}

/* --- expiry -------------------------------------------------------------------- */

/*
 * Expiry with an injected now: nothing before the timeout, the flow after it
 * (within the documented 1/64 rounding), and the real server's active and
 * inactive counts back to 0; a packet of the expired flow is then unknown.
 */
static void test_dp_expire_injected_now_frees_flow_and_counters(void **state)
{
	struct svc_table *t = table_new(udp_dr, 2, false);
	struct conn_timeouts to;
	struct dp *dp;
	struct fd syn = c_tcp(5000, 80, PB_SYN), ack = c_tcp(5000, 80, PB_ACK);
	struct fd u = { .kind = FD_UDP, .esrc = &MAC_GW, .edst = &MAC_EXT,
			.saddr = CADDR, .daddr = VADDR, .sport = 3000, .dport = 53 };
	struct out o;
	const uint32_t t0 = 0xfffff000u;	/* the clock wraps during the test */

	(void)state;
	conn_timeouts_default(&to);
	to.ms[CONN_S_ESTABLISHED] = 64000;
	to.ms[CONN_S_UDP] = 6400;
	dp = dp_make(16, 16, &to);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &syn, t0, &o), LB_TX);
	assert_int_equal(rs_inactive(dp, 1), 1);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, t0, &o), LB_TX);
	assert_int_equal(rs_active(dp, 1), 1);
	assert_int_equal(rs_inactive(dp, 1), 0);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, t0, &o), LB_TX);
	assert_int_equal(rs_inactive(dp, 0), 1);

	assert_int_equal(dp_expire(dp, t0 + 6399, 100), 0);
	assert_int_equal(dp_expire(dp, t0 + 6400 + 100, 100), 1);	/* UDP */
	assert_int_equal(rs_inactive(dp, 0), 0);
	assert_int_equal(conn_count(dp->ct), 1);
	assert_int_equal(dp_expire(dp, t0 + 63999, 100), 0);
	assert_int_equal(dp_expire(dp, t0 + 64000 + 1000, 100), 1);	/* TCP */
	assert_int_equal(rs_active(dp, 1), 0);
	assert_int_equal(rs_inactive(dp, 1), 0);
	assert_int_equal(conn_count(dp->ct), 0);
	assert_int_equal(dp_read(&dp->st.expired), 2);
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &ack, t0 + 70000, &o), LB_DROP);
	assert_int_equal(o.tx.why, LB_DROP_NO_CONN);
	dp_free(dp);
	svc_table_free(t);
}

/* A packet re-arms the timeout; the budget bounds one call's work. */
static void test_dp_expire_rearm_and_budget(void **state)
{
	struct svc_table *t = table_new(udp_dr, 2, false);
	struct conn_timeouts to;
	struct dp *dp;
	struct fd u = { .kind = FD_UDP, .esrc = &MAC_GW, .edst = &MAC_EXT,
			.saddr = CADDR, .daddr = VADDR, .dport = 53 };
	struct out o;
	uint16_t i;

	(void)state;
	conn_timeouts_default(&to);
	to.ms[CONN_S_UDP] = 6400;
	dp = dp_make(16, 16, &to);
	for (i = 0; i < 5; i++) {
		u.sport = (uint16_t)(3000 + i);
		assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, 1000, &o), LB_TX);
	}
	/* Flow 3000 sends again at 5000: it lives until ~11400. */
	u.sport = 3000;
	assert_int_equal(run_fd(dp, t, LB_PORT_EXT, &u, 5000, &o), LB_TX);
	assert_int_equal(dp_expire(dp, 8000, 2), 2);
	assert_int_equal(dp_expire(dp, 8000, 2), 2);
	assert_int_equal(dp_expire(dp, 8000, 2), 0);
	assert_int_equal(conn_count(dp->ct), 1);
	assert_int_equal(rs_inactive(dp, 0), 1);
	assert_int_equal(dp_expire(dp, 12000, 2), 1);
	assert_int_equal(rs_inactive(dp, 0), 0);
	assert_int_equal(dp_read(&dp->st.expired), 5);
	dp_free(dp);
	svc_table_free(t);
}

static void test_dp_drop_names_distinct(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < LB_DROP_MAX; i++) {
		const char *n = dp_drop_name((enum lb_drop)i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		assert_string_not_equal(n, "unknown");
		for (k = 0; k < i; k++)
			assert_string_not_equal(n, dp_drop_name((enum lb_drop)k));
	}
	assert_string_equal(dp_drop_name(LB_DROP_MAX), "unknown");
	assert_string_equal(dp_drop_name((enum lb_drop)-1), "unknown");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dp_golden_frames),
		cmocka_unit_test(test_dp_nat_reply_without_gateway_no_neigh),
		cmocka_unit_test(test_dp_new_flow_without_rs_mac_no_neigh),
		cmocka_unit_test(test_dp_all_rs_down_no_dest),
		cmocka_unit_test(test_dp_forward_gathers_headers_only),
		cmocka_unit_test(test_dp_tx_flatten_fits_or_refuses),
		cmocka_unit_test(test_dp_frame_longer_than_scratch_dropped),
		cmocka_unit_test(test_dp_wrr_proportions_over_100_syns),
		cmocka_unit_test(test_dp_wrr_cycle_survives_rebuild),
		cmocka_unit_test(test_dp_weight_zero_quiescent_keeps_existing_flow),
		cmocka_unit_test(test_dp_port_reuse_nat_time_wait_scheduled_afresh),
		cmocka_unit_test(test_dp_port_reuse_dr_closed_scheduled_afresh),
		cmocka_unit_test(test_dp_port_reuse_dr_fin_ack_scheduled_afresh),
		cmocka_unit_test(test_dp_k8s_70747_81775_rs_down_existing_flow_continues),
		cmocka_unit_test(test_dp_k8s_70747_81775_rs_down_reused_tuple_goes_to_live_rs),
		cmocka_unit_test(test_dp_udp_rs_down_next_datagram_rescheduled),
		cmocka_unit_test(test_dp_k8s_70747_81775_expire_nodest_conn_drops_flow),
		cmocka_unit_test(test_dp_rs_removed_from_table_no_dest),
		cmocka_unit_test(test_dp_removed_service_flows_drain),
		cmocka_unit_test(test_dp_half_open_bound_syn_flood),
		cmocka_unit_test(test_dp_conn_table_full),
		cmocka_unit_test(test_dp_expire_injected_now_frees_flow_and_counters),
		cmocka_unit_test(test_dp_expire_rearm_and_budget),
		cmocka_unit_test(test_dp_drop_names_distinct),
	};
	int failed, i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--fixtures") == 0)
			opt_fixtures = argv[i + 1];
		else if (strcmp(argv[i], "--seeds") == 0)
			opt_seeds = argv[i + 1];
	}
	/*
	 * Everything twice: as lbd runs, and with every frame on the full
	 * path, which the fast path must match to the byte and the counter.
	 */
	failed = cmocka_run_group_tests_name("dp", tests, NULL, NULL);
	opt_full_path_only = true;
	failed += cmocka_run_group_tests_name("dp, full path only", tests,
					      NULL, NULL);
	return failed;
}
