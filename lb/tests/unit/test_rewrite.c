/* SPDX-License-Identifier: MIT */
/*
 * rewrite, and the frames arp.c and icmp.c originate: every output frame is
 * compared byte for byte with one the test-only builder made from scratch
 * (its own checksums, no RFC 1624), so an incremental update that drifts from
 * a full recompute shows up as a differing byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "arp.h"
#include "icmp.h"
#include "pkt.h"
#include "pktbuild.h"
#include "rewrite.h"

static const struct lb_mac mac_gw = { { 0x02, 0, 0, 0, 0, 0xfe } };
static const struct lb_mac mac_ext = { { 0x02, 0, 0, 0, 0, 0x01 } };
static const struct lb_mac mac_int = { { 0x02, 0, 0, 0, 0, 0x02 } };
static const struct lb_mac mac_rs = { { 0x02, 0, 0, 0, 0x01, 0x21 } };
static const struct lb_mac mac_bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct lb_mac mac_zero;

#define CADDR	"198.51.100.7"
#define VADDR	"192.0.2.100"
#define DADDR	"10.1.0.21"
#define RADDR	"203.0.113.1"	/* a router between client and director */
#define CPORT	40000
#define VPORT	80
#define DPORT	8000

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return (uint32_t)(x >> 16);
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

static void parse_ok(const uint8_t *f, size_t len, struct pkt *p)
{
	enum lb_drop why = LB_DROP_NONE;

	if (!pkt_parse(f, len, p, &why))
		fail_msg("frame does not parse: reason %d", why);
}

/* --- one L4 packet, described ----------------------------------------------- */

struct l4desc {
	uint8_t proto;		/* TCP or UDP */
	uint8_t flags;		/* TCP */
	uint8_t doff;		/* TCP words, 0: 5 */
	uint8_t ihl;		/* IP words, 0: 5 */
	uint8_t ttl;		/* 0: 64 */
	uint16_t frag;
	bool udp_no_csum;
	size_t dlen;
	size_t trail;		/* Ethernet padding */
	const uint8_t *data;	/* NULL: pb_payload() */
};

static size_t build_l4(uint8_t *f, size_t cap, const struct l4desc *d,
		       const struct lb_mac *esrc, const struct lb_mac *edst,
		       __be32 saddr, uint16_t sport, __be32 daddr, uint16_t dport)
{
	struct pb_eth eth = { .src = *esrc, .dst = *edst, .trail = d->trail };
	const uint8_t *data = d->data ? d->data : pb_payload(d->dlen);
	struct pb_ip ip;

	pb_ip_init(&ip, "0.0.0.0", "0.0.0.0");
	ip.saddr = saddr;
	ip.daddr = daddr;
	ip.ihl = d->ihl ? d->ihl : 5;
	ip.ttl = d->ttl ? d->ttl : 64;
	ip.frag = d->frag;
	if (d->proto == IPPROTO_TCP) {
		struct pb_tcp t = { .sport = sport, .dport = dport, .seq = 0x01020304,
				    .ack = 0xa0b0c0d0, .flags = d->flags,
				    .doff = d->doff };

		return pb_tcp_frame(f, cap, &eth, &ip, &t, data, d->dlen);
	} else {
		struct pb_udp u = { .sport = sport, .dport = dport,
				    .no_csum = d->udp_no_csum };

		return pb_udp_frame(f, cap, &eth, &ip, &u, data, d->dlen);
	}
}

/* --- DR ---------------------------------------------------------------------- */

struct dr_case {
	const char *name;
	struct l4desc d;
};

static const struct dr_case dr_cases[] = {
	{ "tcp_syn", { .proto = IPPROTO_TCP, .flags = PB_SYN, .frag = PB_DF } },
	{ "tcp_data_options", { .proto = IPPROTO_TCP, .flags = PB_ACK | PB_PSH,
				.doff = 8, .ihl = 7, .dlen = 1200 } },
	{ "tcp_eth_padding", { .proto = IPPROTO_TCP, .flags = PB_ACK, .trail = 6 } },
	{ "udp", { .proto = IPPROTO_UDP, .dlen = 33 } },
	{ "udp_no_csum_ttl_2", { .proto = IPPROTO_UDP, .udp_no_csum = true,
				 .ttl = 2 } },
};

/* DR: only the MACs change, TTL included (the director is not a hop). */
static void test_rewrite_dr_changes_only_macs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dr_cases) / sizeof(dr_cases[0]); i++) {
		const struct dr_case *c = &dr_cases[i];
		uint8_t f[PB_FRAME_MAX], want[PB_FRAME_MAX];
		size_t n, wn;

		n = build_l4(f, sizeof(f), &c->d, &mac_gw, &mac_ext,
			     pb_addr(CADDR), CPORT, pb_addr(VADDR), VPORT);
		wn = build_l4(want, sizeof(want), &c->d, &mac_ext, &mac_rs,
			      pb_addr(CADDR), CPORT, pb_addr(VADDR), VPORT);
		assert_true(n > 0 && wn == n);
		rw_eth(f, &mac_ext, &mac_rs);
		assert_frame_eq(c->name, f, n, want, wn);
	}
}

/* --- NAT --------------------------------------------------------------------- */

struct nat_case {
	const char *name;
	struct l4desc d;
};

static const struct nat_case nat_cases[] = {
	{ "tcp_syn", { .proto = IPPROTO_TCP, .flags = PB_SYN, .frag = PB_DF } },
	{ "tcp_ack_data", { .proto = IPPROTO_TCP, .flags = PB_ACK, .dlen = 517 } },
	{ "tcp_odd_payload", { .proto = IPPROTO_TCP, .flags = PB_ACK, .dlen = 1 } },
	{ "tcp_options_ip_options", { .proto = IPPROTO_TCP, .flags = PB_SYN,
				      .doff = 15, .ihl = 15 } },
	{ "tcp_ttl_2", { .proto = IPPROTO_TCP, .flags = PB_FIN | PB_ACK, .ttl = 2 } },
	{ "tcp_ttl_255", { .proto = IPPROTO_TCP, .flags = PB_RST, .ttl = 255 } },
	{ "tcp_eth_padding", { .proto = IPPROTO_TCP, .flags = PB_ACK, .trail = 6 } },
	{ "udp", { .proto = IPPROTO_UDP, .dlen = 48 } },
	{ "udp_odd", { .proto = IPPROTO_UDP, .dlen = 3 } },
	{ "udp_empty_padded", { .proto = IPPROTO_UDP, .trail = 18 } },
	{ "udp_zero_checksum_stays_zero", { .proto = IPPROTO_UDP,
					    .udp_no_csum = true, .dlen = 20 } },
};

static void check_nat_in(const char *name, const struct l4desc *d,
			 __be32 caddr, uint16_t cport, __be32 vaddr,
			 uint16_t vport, __be32 daddr, uint16_t dport)
{
	uint8_t f[PB_FRAME_MAX], want[PB_FRAME_MAX];
	struct l4desc wd = *d;
	struct pkt p;
	size_t n, wn;

	n = build_l4(f, sizeof(f), d, &mac_gw, &mac_ext, caddr, cport, vaddr,
		     vport);
	wd.ttl = (uint8_t)((d->ttl ? d->ttl : 64) - 1);
	wn = build_l4(want, sizeof(want), &wd, &mac_gw, &mac_ext, caddr, cport,
		      daddr, dport);
	assert_true(n > 0 && wn == n);
	parse_ok(f, n, &p);
	rw_nat_in(f, &p, daddr, htons(dport));
	assert_frame_eq(name, f, n, want, wn);
	assert_true(pb_ip_csum_ok(f, n));
	assert_true(pb_l4_csum_ok(f, n));
}

static void check_nat_out(const char *name, const struct l4desc *d,
			  __be32 caddr, uint16_t cport, __be32 vaddr,
			  uint16_t vport, __be32 daddr, uint16_t dport)
{
	uint8_t f[PB_FRAME_MAX], want[PB_FRAME_MAX];
	struct l4desc wd = *d;
	struct pkt p;
	size_t n, wn;

	n = build_l4(f, sizeof(f), d, &mac_rs, &mac_int, daddr, dport, caddr,
		     cport);
	wd.ttl = (uint8_t)((d->ttl ? d->ttl : 64) - 1);
	wn = build_l4(want, sizeof(want), &wd, &mac_rs, &mac_int, vaddr, vport,
		      caddr, cport);
	assert_true(n > 0 && wn == n);
	parse_ok(f, n, &p);
	rw_nat_out(f, &p, vaddr, htons(vport));
	assert_frame_eq(name, f, n, want, wn);
	assert_true(pb_ip_csum_ok(f, n));
	assert_true(pb_l4_csum_ok(f, n));
}

static void test_rewrite_nat_in_equals_built_frame(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nat_cases) / sizeof(nat_cases[0]); i++)
		check_nat_in(nat_cases[i].name, &nat_cases[i].d, pb_addr(CADDR),
			     CPORT, pb_addr(VADDR), VPORT, pb_addr(DADDR), DPORT);
}

static void test_rewrite_nat_out_equals_built_frame(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nat_cases) / sizeof(nat_cases[0]); i++)
		check_nat_out(nat_cases[i].name, &nat_cases[i].d, pb_addr(CADDR),
			      CPORT, pb_addr(VADDR), VPORT, pb_addr(DADDR), DPORT);
}

/* Random addresses, ports, lengths and payloads, both directions. */
static void test_rewrite_nat_random_equals_built_frame(void **state)
{
	static uint8_t data[1400];
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		struct l4desc d = {
			.proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP,
			.flags = (uint8_t)rnd(),
			.ttl = (uint8_t)(2 + rnd() % 254),
			.dlen = rnd() % 4 ? rnd() % 64 : rnd() % sizeof(data),
			.ihl = (uint8_t)(5 + (rnd() % 8 == 0 ? rnd() % 11 : 0)),
			.data = data,
		};
		size_t k;
		char name[64];

		for (k = 0; k < d.dlen; k++)
			data[k] = (uint8_t)rnd();
		snprintf(name, sizeof(name), "random_%d", i);
		if (i % 2)
			check_nat_in(name, &d, rnd(), (uint16_t)rnd(), rnd(),
				     (uint16_t)rnd(), rnd(), (uint16_t)rnd());
		else
			check_nat_out(name, &d, rnd(), (uint16_t)rnd(), rnd(),
				      (uint16_t)rnd(), rnd(), (uint16_t)rnd());
	}
}

/*
 * A UDP datagram whose checksum after NAT computes to zero must carry 0xffff
 * (RFC 768: zero means "none"). Two payload bytes are chosen so that the
 * translated datagram sums to exactly 0xffff.
 */
static void test_rewrite_nat_udp_computed_zero_sent_as_ones(void **state)
{
	uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 0, 0 };
	uint8_t f[PB_FRAME_MAX];
	struct l4desc d = { .proto = IPPROTO_UDP, .dlen = sizeof(data),
			    .data = data };
	struct l4desc dz = d;
	int dir;

	(void)state;
	dz.udp_no_csum = true;
	for (dir = 0; dir < 2; dir++) {
		/* The translated datagram: in, C -> D:DPORT; out, V:VPORT -> C. */
		__be32 ts = pb_addr(dir ? VADDR : CADDR);
		__be32 td = pb_addr(dir ? CADDR : DADDR);
		uint16_t tsp = dir ? VPORT : CPORT, tdp = dir ? CPORT : DPORT;
		uint32_t s;
		size_t n;

		data[6] = data[7] = 0;
		n = build_l4(f, sizeof(f), &dz, &mac_gw, &mac_ext, ts, tsp, td, tdp);
		assert_int_equal(n, 14 + 20 + 16);
		s = pb_sum(pb_pseudo(ts, td, IPPROTO_UDP, 16), f + 34, 16);
		/* Payload word ~s brings the one's complement sum to 0xffff. */
		s = (uint16_t)~s;
		data[6] = (uint8_t)(s >> 8);
		data[7] = (uint8_t)s;
		if (dir == 0)
			check_nat_in("udp_zero_in", &d, pb_addr(CADDR), CPORT,
				     pb_addr(VADDR), VPORT, pb_addr(DADDR), DPORT);
		else
			check_nat_out("udp_zero_out", &d, pb_addr(CADDR), CPORT,
				      pb_addr(VADDR), VPORT, pb_addr(DADDR), DPORT);
		/* The case is the one intended: the translated checksum is ones. */
		n = build_l4(f, sizeof(f), &d, &mac_gw, &mac_ext, ts, tsp, td, tdp);
		assert_int_equal(f[34 + 6], 0xff);
		assert_int_equal(f[34 + 7], 0xff);
	}
}

/* --- ICMP errors under NAT ------------------------------------------------- */

struct icmp_err_case {
	const char *name;
	uint8_t type, code;
	struct l4desc inner;	/* the quoted packet */
	size_t quote;		/* bytes of it quoted; 0: all */
};

static const struct icmp_err_case icmp_err_cases[] = {
	{ "frag_needed_tcp_full", 3, 4, { .proto = IPPROTO_TCP, .flags = PB_ACK,
					  .frag = PB_DF, .dlen = 12 }, 0 },
	{ "frag_needed_tcp_8_bytes", 3, 4, { .proto = IPPROTO_TCP,
					     .flags = PB_ACK }, 28 },
	{ "frag_needed_tcp_csum_edge_18", 3, 4, { .proto = IPPROTO_TCP,
						  .flags = PB_ACK }, 38 },
	{ "frag_needed_tcp_csum_cut_17", 3, 4, { .proto = IPPROTO_TCP,
						 .flags = PB_ACK }, 37 },
	{ "port_unreach_udp_full", 3, 3, { .proto = IPPROTO_UDP, .dlen = 30 }, 0 },
	{ "port_unreach_udp_8_bytes", 3, 3, { .proto = IPPROTO_UDP, .dlen = 300 },
	  28 },
	{ "port_unreach_udp_no_csum", 3, 3, { .proto = IPPROTO_UDP,
					      .udp_no_csum = true, .dlen = 9 }, 0 },
	{ "time_exceeded_inner_options", 11, 0, { .proto = IPPROTO_TCP,
						  .flags = PB_SYN, .ihl = 8 }, 0 },
};

/* The first bytes of <isrc>:<isport> -> <idst>:<idport> that <c> quotes. */
static size_t build_quote(uint8_t *q, const struct icmp_err_case *c,
			  __be32 isrc, uint16_t isport, __be32 idst,
			  uint16_t idport)
{
	uint8_t in[PB_FRAME_MAX];
	size_t n;

	n = build_l4(in, sizeof(in), &c->inner, &mac_zero, &mac_zero, isrc,
		     isport, idst, idport);
	assert_true(n > 14);
	n -= 14;
	if (c->quote && c->quote < n)
		n = c->quote;
	memcpy(q, in + 14, n);
	return n;
}

/*
 * A quote cut inside the L4 checksum field cannot have that field updated
 * (half of the old value is missing): the expected quote keeps the original
 * bytes there.
 */
static void keep_cut_l4_csum(uint8_t *want_q, const uint8_t *orig_q, size_t n,
			     const struct icmp_err_case *c)
{
	size_t ihl = (size_t)(orig_q[0] & 0x0f) * 4;
	size_t coff = ihl + (c->inner.proto == IPPROTO_TCP ? 16 : 6);

	if (n > coff && n < coff + 2)
		want_q[coff] = orig_q[coff];
}

/* An ICMP error frame from <osrc> to <odst> (TTL <ttl>) quoting <q>. */
static size_t build_icmp_err(uint8_t *f, size_t cap,
			     const struct icmp_err_case *c,
			     const struct lb_mac *esrc, const struct lb_mac *edst,
			     __be32 osrc, __be32 odst, uint8_t ttl,
			     const uint8_t *q, size_t qlen)
{
	struct pb_eth eth = { .src = *esrc, .dst = *edst };
	struct pb_icmp ic = { .type = c->type, .code = c->code,
			      .rest = c->code == 4 ? 1400 : 0 };
	struct pb_ip ip;

	pb_ip_init(&ip, "0.0.0.0", "0.0.0.0");
	ip.saddr = osrc;
	ip.daddr = odst;
	ip.ttl = ttl;
	ip.frag = 0;
	return pb_icmp_frame(f, cap, &eth, &ip, &ic, q, qlen);
}

/*
 * Towards the real server: a router tells the VIP that VIP:vport -> client was
 * too big. Outer destination becomes the real server, the quote's source
 * becomes rs:dport, so its stack finds the socket. The quote's IPv4 checksum
 * and, when the quote holds it, its L4 checksum are those of the packet the
 * real server really sent.
 */
static void test_rewrite_icmp_nat_in_equals_built_frame(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(icmp_err_cases) / sizeof(icmp_err_cases[0]); i++) {
		const struct icmp_err_case *c = &icmp_err_cases[i];
		uint8_t f[PB_FRAME_MAX], want[PB_FRAME_MAX];
		uint8_t q[PB_FRAME_MAX], wq[PB_FRAME_MAX];
		struct pkt p;
		size_t n, wn, qn;

		qn = build_quote(q, c, pb_addr(VADDR), VPORT, pb_addr(CADDR), CPORT);
		assert_int_equal(build_quote(wq, c, pb_addr(DADDR), DPORT,
					     pb_addr(CADDR), CPORT), qn);
		keep_cut_l4_csum(wq, q, qn, c);
		n = build_icmp_err(f, sizeof(f), c, &mac_gw, &mac_ext,
				   pb_addr(RADDR), pb_addr(VADDR), 60, q, qn);
		wn = build_icmp_err(want, sizeof(want), c, &mac_gw, &mac_ext,
				    pb_addr(RADDR), pb_addr(DADDR), 59, wq, qn);
		assert_true(n > 0 && n == wn);
		parse_ok(f, n, &p);
		assert_true(p.icmp_error);
		rw_icmp_nat_in(f, &p, pb_addr(DADDR), htons(DPORT));
		assert_frame_eq(c->name, f, n, want, wn);
		assert_true(pb_ip_csum_ok(f, n));
		assert_true(pb_l4_csum_ok(f, n));
		assert_true(pb_ip_csum_ok(f + 28, n - 28));	/* the quote's */
	}
}

/*
 * From the real server side: an error about client -> rs:dport (the rs's own
 * port unreachable, say) leaves as VIP -> client quoting client -> VIP:vport.
 */
static void test_rewrite_icmp_nat_out_equals_built_frame(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(icmp_err_cases) / sizeof(icmp_err_cases[0]); i++) {
		const struct icmp_err_case *c = &icmp_err_cases[i];
		uint8_t f[PB_FRAME_MAX], want[PB_FRAME_MAX];
		uint8_t q[PB_FRAME_MAX], wq[PB_FRAME_MAX];
		struct pkt p;
		size_t n, wn, qn;

		qn = build_quote(q, c, pb_addr(CADDR), CPORT, pb_addr(DADDR), DPORT);
		assert_int_equal(build_quote(wq, c, pb_addr(CADDR), CPORT,
					     pb_addr(VADDR), VPORT), qn);
		keep_cut_l4_csum(wq, q, qn, c);
		n = build_icmp_err(f, sizeof(f), c, &mac_rs, &mac_int,
				   pb_addr(DADDR), pb_addr(CADDR), 64, q, qn);
		wn = build_icmp_err(want, sizeof(want), c, &mac_rs, &mac_int,
				    pb_addr(VADDR), pb_addr(CADDR), 63, wq, qn);
		assert_true(n > 0 && n == wn);
		parse_ok(f, n, &p);
		assert_true(p.icmp_error);
		rw_icmp_nat_out(f, &p, pb_addr(VADDR), htons(VPORT));
		assert_frame_eq(c->name, f, n, want, wn);
		assert_true(pb_ip_csum_ok(f, n));
		assert_true(pb_l4_csum_ok(f, n));
		assert_true(pb_ip_csum_ok(f + 28, n - 28));
	}
}

/* --- ARP frames ------------------------------------------------------------- */

static void test_arp_reply_fields(void **state)
{
	uint8_t req[64], out[64], want[64];
	struct pkt p;
	struct lb_mac got;
	size_t n;

	(void)state;
	n = pb_arp_frame(req, sizeof(req), &mac_gw, &mac_bcast, 1, &mac_gw,
			 pb_addr("192.0.2.1"), &mac_zero, pb_addr(VADDR));
	parse_ok(req, n, &p);
	arp_sender_mac(req, &p, &got);
	assert_memory_equal(got.b, mac_gw.b, 6);
	n = arp_reply(out, sizeof(out), req, &p, &mac_ext);
	assert_int_equal(n, ARP_FRAME_LEN);
	pb_arp_frame(want, sizeof(want), &mac_ext, &mac_gw, 2, &mac_ext,
		     pb_addr(VADDR), &mac_gw, pb_addr("192.0.2.1"));
	assert_frame_eq("arp_reply", out, n, want, 60);
	/* Too small a buffer: nothing written, 0 returned. */
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(arp_reply(out, 59, req, &p, &mac_ext), 0);
	assert_int_equal(out[0], 0xaa);
}

struct arp_build_case {
	const char *name;
	bool announce;
	const char *spa, *tpa;
};

static const struct arp_build_case arp_build_cases[] = {
	{ "announce_vip", true, VADDR, VADDR },
	{ "request_rs", false, "10.1.0.1", DADDR },
};

static void test_arp_announce_and_request_fields(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(arp_build_cases) / sizeof(arp_build_cases[0]); i++) {
		const struct arp_build_case *c = &arp_build_cases[i];
		uint8_t out[64], want[64];
		struct pkt p;
		size_t n;

		n = c->announce ?
		    arp_announce(out, sizeof(out), &mac_ext, pb_addr(c->spa)) :
		    arp_request(out, sizeof(out), &mac_ext, pb_addr(c->spa),
				pb_addr(c->tpa));
		pb_arp_frame(want, sizeof(want), &mac_ext, &mac_bcast, 1,
			     &mac_ext, pb_addr(c->spa), &mac_zero,
			     pb_addr(c->tpa));
		assert_frame_eq(c->name, out, n, want, 60);
		parse_ok(out, n, &p);
		assert_int_equal(p.arp_op, 1);
		assert_int_equal(c->announce ?
				 arp_announce(out, 10, &mac_ext, 0) :
				 arp_request(out, 10, &mac_ext, 0, 0), 0);
	}
}

/* --- ICMP frames ------------------------------------------------------------ */

struct echo_case {
	const char *name;
	size_t dlen;
	size_t trail;
	uint16_t frag;
	uint8_t ihl;
	uint32_t idseq;		/* identifier and sequence number */
	bool zero;		/* an all-zero payload */
};

/*
 * "ping_all_zero": identifier, sequence and payload all zero, so the reply's
 * message is all zeros and its checksum must be 0xffff; RFC 1624 eqn. 3
 * applied to the request's 0xf7ff gives 0x0000, which receivers reject.
 */
static const struct echo_case echo_cases[] = {
	{ "ping_56", 56, 0, PB_DF, 5, 0x4d2a0007, false },
	{ "ping_odd_33", 33, 0, 0, 5, 0x4d2a0007, false },
	{ "ping_empty_padded", 0, 18, PB_DF, 5, 0x4d2a0007, false },
	{ "ping_ip_options", 16, 0, 0, 6, 0x4d2a0007, false },
	{ "ping_1472", 1472, 0, PB_DF, 5, 0x4d2a0007, false },
	{ "ping_all_zero", 56, 0, PB_DF, 5, 0, true },
	{ "ping_all_zero_empty", 0, 0, PB_DF, 5, 0, true },
};

static void test_icmp_echo_reply_equals_built_frame(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(echo_cases) / sizeof(echo_cases[0]); i++) {
		const struct echo_case *c = &echo_cases[i];
		uint8_t f[PB_FRAME_MAX], out[PB_FRAME_MAX], want[PB_FRAME_MAX];
		struct pb_eth eth = { .src = mac_gw, .dst = mac_ext,
				      .trail = c->trail };
		struct pb_eth weth = { .src = mac_ext, .dst = mac_gw };
		struct pb_icmp req = { .type = 8, .rest = c->idseq };
		struct pb_icmp rep = { .type = 0, .rest = c->idseq };
		static const uint8_t zeros[PB_FRAME_MAX];
		const uint8_t *data = c->zero ? zeros : pb_payload(c->dlen);
		struct pb_ip ip, wip;
		struct pkt p;
		size_t n, wn, on;

		pb_ip_init(&ip, CADDR, VADDR);
		ip.frag = c->frag;
		ip.ihl = c->ihl;
		ip.ttl = 7;
		wip = ip;
		wip.saddr = ip.daddr;
		wip.daddr = ip.saddr;
		wip.ttl = 64;
		n = pb_icmp_frame(f, sizeof(f), &eth, &ip, &req, data, c->dlen);
		wn = pb_icmp_frame(want, sizeof(want), &weth, &wip, &rep, data,
				   c->dlen);
		parse_ok(f, n, &p);
		on = icmp_echo_reply(out, sizeof(out), f, &p);
		assert_frame_eq(c->name, out, on, want, wn);
		assert_true(pb_ip_csum_ok(out, on));
		assert_true(pb_l4_csum_ok(out, on));
		assert_int_equal(icmp_echo_reply(out, wn - 1, f, &p), 0);
	}
}

struct fn_case {
	const char *name;
	struct l4desc d;
	uint16_t mtu;
	size_t quote;		/* expected bytes of the offending packet quoted */
};

static const struct fn_case fn_cases[] = {
	{ "tcp_1600", { .proto = IPPROTO_TCP, .flags = PB_ACK, .frag = PB_DF,
			.dlen = 1560 }, 1500, 20 + 64 },
	{ "tcp_ip_options", { .proto = IPPROTO_TCP, .flags = PB_ACK, .frag = PB_DF,
			      .ihl = 15, .dlen = 1600 }, 1280, 60 + 64 },
	{ "udp_short_l4", { .proto = IPPROTO_UDP, .frag = PB_DF, .dlen = 10 },
	  68, 20 + 18 },
	{ "mtu_9000", { .proto = IPPROTO_TCP, .flags = PB_ACK, .frag = PB_DF,
			.dlen = 1200 }, 9000, 20 + 64 },
};

static void test_icmp_frag_needed_well_formed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fn_cases) / sizeof(fn_cases[0]); i++) {
		const struct fn_case *c = &fn_cases[i];
		uint8_t f[PB_FRAME_MAX], out[PB_FRAME_MAX], want[PB_FRAME_MAX];
		struct pb_eth weth = { .src = mac_ext, .dst = mac_gw };
		struct pb_icmp ic = { .type = 3, .code = 4, .rest = c->mtu };
		struct pb_ip wip;
		struct pkt p, op;
		size_t n, wn, on;

		n = build_l4(f, sizeof(f), &c->d, &mac_gw, &mac_ext,
			     pb_addr(CADDR), CPORT, pb_addr(VADDR), VPORT);
		parse_ok(f, n, &p);
		on = icmp_frag_needed(out, sizeof(out), f, &p, &mac_ext,
				      pb_addr(VADDR), c->mtu);
		pb_ip_init(&wip, VADDR, CADDR);
		wip.frag = 0;
		wip.id = 0;
		wn = pb_icmp_frame(want, sizeof(want), &weth, &wip, &ic, f + 14,
				   c->quote);
		assert_frame_eq(c->name, out, on, want, wn);
		assert_true(pb_ip_csum_ok(out, on));
		assert_true(pb_l4_csum_ok(out, on));
		/* It parses as an error quoting client -> VIP. */
		parse_ok(out, on, &op);
		assert_true(op.icmp_error);
		assert_int_equal(op.icmp_type, 3);
		assert_int_equal(op.icmp_code, 4);
		assert_int_equal(op.inner.saddr, pb_addr(CADDR));
		assert_int_equal(op.inner.daddr, pb_addr(VADDR));
		assert_int_equal(ntohs(op.inner.sport), CPORT);
		assert_int_equal(ntohs(op.inner.dport), VPORT);
		assert_int_equal(icmp_frag_needed(out, on - 1, f, &p, &mac_ext,
						  pb_addr(VADDR), c->mtu), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite_dr_changes_only_macs),
		cmocka_unit_test(test_rewrite_nat_in_equals_built_frame),
		cmocka_unit_test(test_rewrite_nat_out_equals_built_frame),
		cmocka_unit_test(test_rewrite_nat_random_equals_built_frame),
		cmocka_unit_test(test_rewrite_nat_udp_computed_zero_sent_as_ones),
		cmocka_unit_test(test_rewrite_icmp_nat_in_equals_built_frame),
		cmocka_unit_test(test_rewrite_icmp_nat_out_equals_built_frame),
		cmocka_unit_test(test_arp_reply_fields),
		cmocka_unit_test(test_arp_announce_and_request_fields),
		cmocka_unit_test(test_icmp_echo_reply_equals_built_frame),
		cmocka_unit_test(test_icmp_frag_needed_well_formed),
	};

	return cmocka_run_group_tests_name("rewrite", tests, NULL, NULL);
}
