/* SPDX-License-Identifier: MIT */
/*
 * pkt: every malformed frame is refused with its exact reason, every
 * well-formed one parses with the right fields, and no prefix of a good frame
 * is read past its end (run under ASan with exact-size heap copies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "pktbuild.h"

enum sp_l4 {
	SP_TCP = 0,
	SP_UDP,
	SP_ICMP,
	SP_ARP,
	SP_RAW,		/* <dlen> bytes of payload with protocol <proto> */
};

/* A frame described by what differs from a plain client -> VIP packet. */
struct fspec {
	enum sp_l4 l4;
	uint16_t ethertype;	/* 0: by kind */
	uint8_t version;	/* 0: 4 */
	uint8_t ihl;		/* 0: 5 */
	uint8_t ihl_field;
	int tot_len;		/* > 0: total length field instead of the true one */
	int tot_len_adj;
	bool ip_bad_csum;
	uint16_t frag;		/* used as is (0: no flags) */
	uint8_t ttl;		/* 0: 64 */
	uint8_t proto;		/* SP_RAW */
	uint8_t tcp_flags;
	uint8_t doff, doff_field;
	int udp_len_adj;
	bool udp_no_csum;
	uint8_t icmp_type, icmp_code;
	size_t dlen;
	size_t trail;		/* Ethernet padding bytes */
	size_t cut;		/* > 0: keep only this many bytes */
	bool patch;		/* then set byte <patch_off> to <patch_val> */
	size_t patch_off;
	uint8_t patch_val;
	const struct fspec *inner;	/* ICMP: quote this packet's IP bytes */
	size_t quote;		/* bytes of the inner IP packet quoted; 0: all */
};

static const struct lb_mac mac_a = { { 0x02, 0, 0, 0, 0, 0xaa } };
static const struct lb_mac mac_b = { { 0x02, 0, 0, 0, 0, 0xbb } };

#define CADDR	"198.51.100.7"
#define VADDR	"192.0.2.100"
#define CPORT	40000
#define VPORT	80

/* The IPv4 packet (no Ethernet) for <s>; returns its length. */
static size_t build_ip(const struct fspec *s, uint8_t *out, size_t cap,
		       bool reverse)
{
	uint8_t l4[PB_FRAME_MAX];
	struct pb_ip ip;
	size_t n = 0, true_len;

	pb_ip_init(&ip, reverse ? VADDR : CADDR, reverse ? CADDR : VADDR);
	ip.version = s->version ? s->version : 4;
	ip.ihl = s->ihl ? s->ihl : 5;
	ip.ihl_field = s->ihl_field;
	ip.bad_csum = s->ip_bad_csum;
	ip.frag = s->frag;
	ip.ttl = s->ttl ? s->ttl : 64;
	switch (s->l4) {
	case SP_TCP: {
		struct pb_tcp t = { .sport = reverse ? VPORT : CPORT,
				    .dport = reverse ? CPORT : VPORT,
				    .seq = 1000, .ack = 2000,
				    .flags = s->tcp_flags, .doff = s->doff,
				    .doff_field = s->doff_field };

		ip.proto = IPPROTO_TCP;
		n = pb_tcp_seg(l4, sizeof(l4), &ip, &t, pb_payload(s->dlen),
			       s->dlen);
		break;
	}
	case SP_UDP: {
		struct pb_udp u = { .sport = reverse ? VPORT : CPORT,
				    .dport = reverse ? CPORT : VPORT,
				    .len_adj = s->udp_len_adj,
				    .no_csum = s->udp_no_csum };

		ip.proto = IPPROTO_UDP;
		n = pb_udp_dgram(l4, sizeof(l4), &ip, &u, pb_payload(s->dlen),
				 s->dlen);
		break;
	}
	case SP_ICMP: {
		struct pb_icmp ic = { .type = s->icmp_type, .code = s->icmp_code,
				      .rest = 0x00010002 };
		uint8_t q[PB_FRAME_MAX];
		size_t qn = 0;

		ip.proto = IPPROTO_ICMP;
		if (s->inner) {
			qn = build_ip(s->inner, q, sizeof(q), true);
			if (s->quote && s->quote < qn)
				qn = s->quote;
			n = pb_icmp_msg(l4, sizeof(l4), &ic, q, qn);
		} else {
			n = pb_icmp_msg(l4, sizeof(l4), &ic,
					pb_payload(s->dlen), s->dlen);
		}
		break;
	}
	case SP_RAW:
	default:
		ip.proto = s->proto;
		memcpy(l4, pb_payload(s->dlen), s->dlen);
		n = s->dlen;
		break;
	}
	true_len = (size_t)ip.ihl * 4 + n;
	ip.tot_len_adj = s->tot_len > 0 ? s->tot_len - (int)true_len :
					  s->tot_len_adj;
	return pb_ipv4(out, cap, &ip, l4, n);
}

static size_t build(const struct fspec *s, uint8_t *f, size_t cap)
{
	size_t n;

	if (s->l4 == SP_ARP) {
		n = pb_arp_frame(f, cap, &mac_a, &mac_b, 1, &mac_a,
				 pb_addr(CADDR), &mac_b, pb_addr(VADDR));
		if (s->ethertype) {
			f[12] = (uint8_t)(s->ethertype >> 8);
			f[13] = (uint8_t)s->ethertype;
		}
	} else {
		uint8_t l3[PB_FRAME_MAX];
		struct pb_eth eth = { .src = mac_a, .dst = mac_b,
				      .type = s->ethertype, .trail = s->trail };

		n = build_ip(s, l3, sizeof(l3), false);
		assert_true(n > 0);
		n = pb_eth_frame(f, cap, &eth, l3, n);
	}
	assert_true(n > 0);
	if (s->patch) {
		assert_true(s->patch_off < n);
		f[s->patch_off] = s->patch_val;
	}
	if (s->cut && s->cut < n)
		n = s->cut;
	return n;
}

/* Parses an exact-size heap copy, so ASan sees any read past the end. */
static bool parse_copy(const uint8_t *f, size_t len, struct pkt *p,
		       enum lb_drop *why)
{
	uint8_t *c = malloc(len ? len : 1);
	bool ok;

	assert_non_null(c);
	memcpy(c, f, len);
	ok = pkt_parse(c, len, p, why);
	free(c);
	return ok;
}

/* --- refused frames ---------------------------------------------------------- */

struct bad_case {
	const char *name;
	struct fspec s;
	enum lb_drop why;
};

static const struct fspec inner_tcp = { .l4 = SP_TCP, .tcp_flags = PB_SYN | PB_ACK };

static const struct bad_case bad_cases[] = {
	/* Ethernet */
	{ "eth_empty", { .cut = 1 }, LB_DROP_TRUNCATED },
	{ "eth_13_bytes", { .cut = 13 }, LB_DROP_TRUNCATED },
	{ "eth_ipv6", { .ethertype = 0x86dd }, LB_DROP_NOT_IPV4 },
	{ "eth_vlan_8021q", { .ethertype = 0x8100 }, LB_DROP_NOT_IPV4 },
	{ "eth_qinq_88a8", { .ethertype = 0x88a8 }, LB_DROP_NOT_IPV4 },
	{ "eth_rarp", { .ethertype = 0x8035 }, LB_DROP_NOT_IPV4 },
	{ "eth_802_3_length", { .ethertype = 0x002e }, LB_DROP_NOT_IPV4 },
	{ "eth_arp_type_on_ipv4", { .l4 = SP_TCP, .ethertype = 0x0806 },
	  LB_DROP_ARP },
	/* IPv4 header */
	{ "ip_header_only_ethernet", { .cut = 14 }, LB_DROP_TRUNCATED },
	{ "ip_19_bytes", { .cut = 33 }, LB_DROP_TRUNCATED },
	{ "ip_version_6", { .version = 6 }, LB_DROP_BAD_IHL },
	{ "ip_version_15", { .version = 0xf }, LB_DROP_BAD_IHL },
	{ "ip_ihl_4", { .ihl_field = 4 }, LB_DROP_BAD_IHL },
	{ "ip_ihl_1", { .ihl_field = 1 }, LB_DROP_BAD_IHL },
	{ "ip_ihl_15_beyond_frame", { .ihl_field = 15 }, LB_DROP_BAD_TOTLEN },
	{ "ip_totlen_0", { .tot_len = 0, .tot_len_adj = -40 }, LB_DROP_BAD_TOTLEN },
	{ "ip_totlen_19", { .tot_len = 19 }, LB_DROP_BAD_TOTLEN },
	{ "ip_totlen_below_ihl_options", { .ihl = 6, .tot_len = 23 },
	  LB_DROP_BAD_TOTLEN },
	{ "ip_totlen_frame_plus_1", { .tot_len_adj = 1 }, LB_DROP_BAD_TOTLEN },
	{ "ip_totlen_65535", { .tot_len = 65535 }, LB_DROP_BAD_TOTLEN },
	{ "ip_frame_cut_by_1", { .cut = 14 + 40 - 1 }, LB_DROP_BAD_TOTLEN },
	{ "ip_bad_checksum", { .ip_bad_csum = true }, LB_DROP_BAD_IPCSUM },
	{ "ip_bad_checksum_options", { .ihl = 15, .ip_bad_csum = true },
	  LB_DROP_BAD_IPCSUM },
	{ "ip_frag_mf", { .frag = PB_MF }, LB_DROP_FRAGMENT },
	{ "ip_frag_mf_df", { .frag = PB_MF | PB_DF }, LB_DROP_FRAGMENT },
	{ "ip_frag_offset_1", { .frag = 1 }, LB_DROP_FRAGMENT },
	{ "ip_frag_offset_max", { .frag = 0x1fff }, LB_DROP_FRAGMENT },
	{ "ip_frag_last", { .frag = PB_DF | 0x00b9 }, LB_DROP_FRAGMENT },
	/* TCP */
	{ "tcp_19_bytes", { .l4 = SP_RAW, .proto = IPPROTO_TCP, .dlen = 19 },
	  LB_DROP_TRUNCATED },
	{ "tcp_0_bytes", { .l4 = SP_RAW, .proto = IPPROTO_TCP },
	  LB_DROP_TRUNCATED },
	{ "tcp_doff_4", { .doff_field = 4 }, LB_DROP_BAD_L4 },
	{ "tcp_doff_0", { .doff_field = 0x10 }, LB_DROP_BAD_L4 },
	{ "tcp_doff_6_no_options", { .doff_field = 6 }, LB_DROP_BAD_L4 },
	{ "tcp_doff_15_short", { .doff = 5, .doff_field = 15, .dlen = 39 },
	  LB_DROP_BAD_L4 },
	/* The IPv4 total length ends the segment, not the Ethernet padding. */
	{ "tcp_doff_into_eth_padding", { .doff_field = 8, .trail = 12 },
	  LB_DROP_BAD_L4 },
	/* UDP */
	{ "udp_7_bytes", { .l4 = SP_RAW, .proto = IPPROTO_UDP, .dlen = 7 },
	  LB_DROP_TRUNCATED },
	{ "udp_len_7", { .l4 = SP_UDP, .udp_len_adj = -1 }, LB_DROP_BAD_L4 },
	{ "udp_len_0", { .l4 = SP_UDP, .dlen = 4, .udp_len_adj = -12 },
	  LB_DROP_BAD_L4 },
	{ "udp_len_beyond_ip", { .l4 = SP_UDP, .dlen = 4, .udp_len_adj = 1 },
	  LB_DROP_BAD_L4 },
	{ "udp_len_into_eth_padding", { .l4 = SP_UDP, .udp_len_adj = 10,
					.trail = 18 }, LB_DROP_BAD_L4 },
	/* ICMP */
	{ "icmp_7_bytes", { .l4 = SP_RAW, .proto = IPPROTO_ICMP, .dlen = 7 },
	  LB_DROP_TRUNCATED },
	/* ARP */
	{ "arp_truncated", { .l4 = SP_ARP, .cut = 14 + 27 }, LB_DROP_TRUNCATED },
	{ "arp_only_ethernet", { .l4 = SP_ARP, .cut = 14 }, LB_DROP_TRUNCATED },
	{ "arp_htype_ieee802", { .l4 = SP_ARP, .patch = true, .patch_off = 15,
				 .patch_val = 6 }, LB_DROP_ARP },
	{ "arp_ptype_ipv6", { .l4 = SP_ARP, .patch = true, .patch_off = 16,
			      .patch_val = 0x86 }, LB_DROP_ARP },
	{ "arp_hlen_8", { .l4 = SP_ARP, .patch = true, .patch_off = 18,
			  .patch_val = 8 }, LB_DROP_ARP },
	{ "arp_plen_16", { .l4 = SP_ARP, .patch = true, .patch_off = 19,
			   .patch_val = 16 }, LB_DROP_ARP },
};

static void test_pkt_refuses_malformed_with_reason(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		uint8_t f[PB_FRAME_MAX];
		struct pkt p;
		enum lb_drop why = LB_DROP_NONE;
		size_t n = build(&c->s, f, sizeof(f));

		if (parse_copy(f, n, &p, &why))
			fail_msg("%s: parsed, want drop %d", c->name, c->why);
		if (why != c->why)
			fail_msg("%s: reason %d, want %d", c->name, why, c->why);
	}
}

/*
 * The frames the bad cases start from (TCP, UDP, ARP, IPv4 options) parse:
 * each refusal above comes from the one defect its case adds.
 */
static void test_pkt_baseline_frames_of_bad_cases_parse(void **state)
{
	static const struct fspec good[] = {
		{ .l4 = SP_TCP }, { .l4 = SP_UDP }, { .l4 = SP_ARP },
		{ .l4 = SP_ICMP, .icmp_type = 8 }, { .ihl = 6 }, { .ihl = 15 },
		{ .l4 = SP_UDP, .dlen = 4 }, { .doff = 5, .dlen = 39 },
		{ .trail = 12 }, { .l4 = SP_UDP, .trail = 18 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t f[PB_FRAME_MAX];
		struct pkt p;
		enum lb_drop why;
		size_t n = build(&good[i], f, sizeof(f));

		assert_true(parse_copy(f, n, &p, &why));
	}
}

/* Every proper prefix of a good frame is refused and never read past. */
static void test_pkt_every_prefix_refused(void **state)
{
	static const struct fspec good[] = {
		{ .l4 = SP_TCP, .tcp_flags = PB_SYN, .doff = 8, .dlen = 10 },
		{ .l4 = SP_UDP, .dlen = 3 },
		{ .l4 = SP_ICMP, .icmp_type = 8, .dlen = 56 },
		{ .l4 = SP_ICMP, .icmp_type = 3, .icmp_code = 4,
		  .inner = &inner_tcp },
		{ .l4 = SP_TCP, .ihl = 15 },
	};
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t f[PB_FRAME_MAX];
		struct pkt p;
		enum lb_drop why;
		size_t n = build(&good[i], f, sizeof(f));

		assert_true(parse_copy(f, n, &p, &why));
		for (cut = 0; cut < n; cut++) {
			why = LB_DROP_NONE;
			if (parse_copy(f, cut, &p, &why))
				fail_msg("case %zu: prefix %zu of %zu parsed", i,
					 cut, n);
			assert_true(why == (cut < 34 ? LB_DROP_TRUNCATED :
					    LB_DROP_BAD_TOTLEN));
		}
	}
}

/*
 * The IPv4 header checksum as pkt_parse() checks it (an unrolled sum for
 * 20-byte headers, csum_add() for options): every single-bit flip of a good
 * header is refused, and flips outside version/IHL/total length are refused
 * as BAD_IPCSUM exactly.
 */
static void test_pkt_ip_header_bit_flips_refused(void **state)
{
	static const struct fspec good[] = {
		{ .l4 = SP_TCP, .frag = PB_DF }, { .l4 = SP_UDP, .ihl = 6 },
		{ .l4 = SP_TCP, .ihl = 15 },
	};
	size_t i, bit;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t f[PB_FRAME_MAX];
		size_t n = build(&good[i], f, sizeof(f));
		size_t hlen = (size_t)(f[14] & 0x0f) * 4;
		struct pkt p;
		enum lb_drop why;

		assert_true(parse_copy(f, n, &p, &why));
		for (bit = 0; bit < hlen * 8; bit++) {
			size_t byte = 14 + bit / 8;

			f[byte] ^= (uint8_t)(1u << (bit % 8));
			why = LB_DROP_NONE;
			if (parse_copy(f, n, &p, &why))
				fail_msg("case %zu: flip of header bit %zu parsed", i,
					 bit);
			if (byte != 14 && byte != 16 && byte != 17 &&
			    why != LB_DROP_BAD_IPCSUM)
				fail_msg("case %zu: flip of header bit %zu: reason %d",
					 i, bit, why);
			f[byte] ^= (uint8_t)(1u << (bit % 8));
		}
	}
}

/* Random headers: pkt_parse() accepts exactly those the reference verifies. */
static void test_pkt_ip_checksum_matches_reference(void **state)
{
	uint64_t x = 0x853c49e6748fea9bULL;
	int i, good = 0;

	(void)state;
	for (i = 0; i < 200000; i++) {
		uint8_t f[14 + 60 + 20] = { 0 };
		size_t hlen, k;
		struct pkt p;
		enum lb_drop why = LB_DROP_NONE;
		bool ok;

		f[12] = 0x08;
		for (k = 14; k < sizeof(f); k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			f[k] = (uint8_t)(x >> 24);
		}
		/* Version 4, IHL 5 mostly, a length that fits, no fragment. */
		f[14] = (uint8_t)(0x40 | ((x & 7) ? 5 : 5 + (x >> 40) % 11));
		hlen = (size_t)(f[14] & 0x0f) * 4;
		f[16] = 0;
		f[17] = (uint8_t)(hlen + 20);
		f[20] &= 0x40;
		f[21] = 0;
		f[14 + 9] = 6;
		f[14 + hlen + 12] = 0x50;	/* TCP data offset 5 */
		/* Half the time, a header that verifies. */
		if (x & 8) {
			uint16_t c;

			f[24] = f[25] = 0;
			c = pb_fold(pb_sum(0, f + 14, hlen));
			f[24] = (uint8_t)(c >> 8);
			f[25] = (uint8_t)c;
		}
		ok = pkt_parse(f, 14 + hlen + 20, &p, &why);
		if (ok != pb_ip_csum_ok(f, 14 + hlen + 20))
			fail_msg("run %d (ihl %zu): parse %d, reference %d, reason %d",
				 i, hlen, ok, !ok, why);
		if (!ok)
			assert_int_equal(why, LB_DROP_BAD_IPCSUM);
		good += ok;
	}
	assert_true(good > 50000);
}

/* --- accepted frames ---------------------------------------------------------- */

struct good_case {
	const char *name;
	struct fspec s;
	enum pkt_kind kind;
	uint8_t proto;
	uint16_t ip_len;
	uint8_t ihl;
	uint16_t l4_off;
	uint8_t tcp_flags;
	bool df;
	uint8_t ttl;
	uint16_t sport, dport;	/* host order */
	uint8_t icmp_type, icmp_code;
	bool icmp_error;
	/* icmp_error: the quoted header */
	uint16_t in_l3_off, in_l4_off;
	uint8_t in_proto;
	uint16_t in_sport, in_dport;
};

static const struct fspec inner_udp = { .l4 = SP_UDP, .dlen = 100 };
static const struct fspec inner_icmp = { .l4 = SP_ICMP, .icmp_type = 0, .dlen = 8 };
static const struct fspec inner_tcp_opts = { .l4 = SP_TCP, .ihl = 6,
					     .tcp_flags = PB_ACK };

static const struct good_case good_cases[] = {
	{ "tcp_syn", { .l4 = SP_TCP, .tcp_flags = PB_SYN, .frag = PB_DF },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_TCP, .ip_len = 40, .ihl = 20,
	  .l4_off = 34, .tcp_flags = PB_SYN, .df = true, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	{ "tcp_no_df_ttl_1", { .l4 = SP_TCP, .tcp_flags = PB_ACK | PB_FIN, .ttl = 1 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_TCP, .ip_len = 40, .ihl = 20,
	  .l4_off = 34, .tcp_flags = PB_ACK | PB_FIN, .df = false, .ttl = 1,
	  .sport = CPORT, .dport = VPORT },
	{ "tcp_options_and_data", { .l4 = SP_TCP, .tcp_flags = PB_PSH | PB_ACK,
	    .doff = 15, .dlen = 1000 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_TCP, .ip_len = 1080, .ihl = 20,
	  .l4_off = 34, .tcp_flags = PB_PSH | PB_ACK, .df = false, .ttl = 64,
	  .sport = CPORT, .dport = VPORT },
	{ "tcp_ip_options", { .l4 = SP_TCP, .ihl = 15, .tcp_flags = PB_SYN },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_TCP, .ip_len = 80, .ihl = 60,
	  .l4_off = 74, .tcp_flags = PB_SYN, .df = false, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	{ "tcp_eth_padding", { .l4 = SP_TCP, .tcp_flags = PB_ACK, .trail = 6 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_TCP, .ip_len = 40, .ihl = 20,
	  .l4_off = 34, .tcp_flags = PB_ACK, .df = false, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	{ "tcp_eth_long_trailer", { .l4 = SP_TCP, .tcp_flags = PB_RST, .trail = 1000 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_TCP, .ip_len = 40, .ihl = 20,
	  .l4_off = 34, .tcp_flags = PB_RST, .df = false, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	{ "ip_reserved_flag_not_fragment", { .l4 = SP_TCP, .frag = 0x8000 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_TCP, .ip_len = 40, .ihl = 20,
	  .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	{ "udp", { .l4 = SP_UDP, .dlen = 12 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_UDP, .ip_len = 40, .ihl = 20,
	  .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	{ "udp_no_checksum", { .l4 = SP_UDP, .udp_no_csum = true },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_UDP, .ip_len = 28, .ihl = 20,
	  .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	{ "udp_eth_padding", { .l4 = SP_UDP, .trail = 18 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_UDP, .ip_len = 28, .ihl = 20,
	  .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	/* A UDP length shorter than the IP payload is legal (RFC 768). */
	{ "udp_len_below_ip_payload", { .l4 = SP_UDP, .dlen = 8, .udp_len_adj = -8 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_UDP, .ip_len = 36, .ihl = 20,
	  .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64, .sport = CPORT,
	  .dport = VPORT },
	{ "icmp_echo", { .l4 = SP_ICMP, .icmp_type = 8, .dlen = 56 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 84, .ihl = 20,
	  .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64, .sport = 0,
	  .dport = 0, .icmp_type = 8, .icmp_code = 0, .icmp_error = false },
	{ "icmp_frag_needed_tcp", { .l4 = SP_ICMP, .icmp_type = 3,
	    .icmp_code = 4, .inner = &inner_tcp },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 40,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 3, .icmp_code = 4,
	  .icmp_error = true, .in_l3_off = 42, .in_l4_off = 62,
	  .in_proto = IPPROTO_TCP, .in_sport = VPORT, .in_dport = CPORT },
	{ "icmp_port_unreach_udp_8_bytes", { .l4 = SP_ICMP, .icmp_type = 3,
	    .icmp_code = 3, .inner = &inner_udp, .quote = 28 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 28,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 3, .icmp_code = 3,
	  .icmp_error = true, .in_l3_off = 42, .in_l4_off = 62,
	  .in_proto = IPPROTO_UDP, .in_sport = VPORT, .in_dport = CPORT },
	{ "icmp_time_exceeded_inner_options", { .l4 = SP_ICMP, .icmp_type = 11,
	    .inner = &inner_tcp_opts },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 44,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 11, .icmp_code = 0,
	  .icmp_error = true, .in_l3_off = 42, .in_l4_off = 66,
	  .in_proto = IPPROTO_TCP, .in_sport = VPORT, .in_dport = CPORT },
	{ "icmp_error_quoting_icmp", { .l4 = SP_ICMP, .icmp_type = 3,
	    .icmp_code = 1, .inner = &inner_icmp },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 36,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 3, .icmp_code = 1,
	  .icmp_error = true, .in_l3_off = 42, .in_l4_off = 62,
	  .in_proto = IPPROTO_ICMP, .in_sport = 0, .in_dport = 0 },
	{ "icmp_error_outer_ip_options", { .l4 = SP_ICMP, .ihl = 7,
	    .icmp_type = 3, .icmp_code = 4, .inner = &inner_tcp },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 28 + 8 + 40,
	  .ihl = 28, .l4_off = 42, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 3, .icmp_code = 4,
	  .icmp_error = true, .in_l3_off = 50, .in_l4_off = 70,
	  .in_proto = IPPROTO_TCP, .in_sport = VPORT, .in_dport = CPORT },
	/* Truncated quotes parse as ICMP, but not as an error with a flow. */
	{ "icmp_error_quote_27", { .l4 = SP_ICMP, .icmp_type = 3,
	    .icmp_code = 4, .inner = &inner_tcp, .quote = 27 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 27,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 3, .icmp_code = 4,
	  .icmp_error = false },
	{ "icmp_error_quote_19", { .l4 = SP_ICMP, .icmp_type = 11,
	    .inner = &inner_tcp, .quote = 19 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 19,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 11, .icmp_code = 0,
	  .icmp_error = false },
	{ "icmp_error_no_quote", { .l4 = SP_ICMP, .icmp_type = 3, .icmp_code = 4 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 28, .ihl = 20,
	  .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64, .sport = 0,
	  .dport = 0, .icmp_type = 3, .icmp_code = 4, .icmp_error = false },
	{ "icmp_error_inner_options_cut", { .l4 = SP_ICMP, .icmp_type = 3,
	    .inner = &inner_tcp_opts, .quote = 31 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 31,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 3, .icmp_code = 0,
	  .icmp_error = false },
	{ "icmp_error_inner_version_6", { .l4 = SP_ICMP, .icmp_type = 3,
	    .inner = &inner_tcp, .patch = true, .patch_off = 42,
	    .patch_val = 0x65 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 40,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 3, .icmp_code = 0,
	  .icmp_error = false },
	{ "icmp_error_inner_ihl_4", { .l4 = SP_ICMP, .icmp_type = 3,
	    .inner = &inner_tcp, .patch = true, .patch_off = 42,
	    .patch_val = 0x44 },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 40,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 3, .icmp_code = 0,
	  .icmp_error = false },
	/* Redirect (5) is not an error lbd translates. */
	{ "icmp_redirect_not_error", { .l4 = SP_ICMP, .icmp_type = 5,
	    .inner = &inner_tcp },
	  .kind = PKT_K_IPV4, .proto = IPPROTO_ICMP, .ip_len = 20 + 8 + 40,
	  .ihl = 20, .l4_off = 34, .tcp_flags = 0, .df = false, .ttl = 64,
	  .sport = 0, .dport = 0, .icmp_type = 5, .icmp_code = 0,
	  .icmp_error = false },
	{ "gre_other_protocol", { .l4 = SP_RAW, .proto = 47, .dlen = 4 },
	  .kind = PKT_K_IPV4, .proto = 47, .ip_len = 24, .ihl = 20, .l4_off = 34,
	  .tcp_flags = 0, .df = false, .ttl = 64, .sport = 0, .dport = 0 },
};

static void test_pkt_parses_good_frames_fields(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		const struct good_case *c = &good_cases[i];
		uint8_t f[PB_FRAME_MAX];
		struct pkt p;
		enum lb_drop why = LB_DROP_NONE;
		size_t n = build(&c->s, f, sizeof(f));

		if (!parse_copy(f, n, &p, &why))
			fail_msg("%s: refused with %d", c->name, why);
#define CHK(field, want) do {						\
		if ((uint64_t)(field) != (uint64_t)(want))		\
			fail_msg("%s: %s = %llu, want %llu", c->name, #field, \
				 (unsigned long long)(field),		\
				 (unsigned long long)(want));		\
	} while (0)
		CHK(p.kind, c->kind);
		CHK(p.l3_off, 14);
		CHK(p.l4_off, c->l4_off);
		CHK(p.ip_len, c->ip_len);
		CHK(p.ihl, c->ihl);
		CHK(p.proto, c->proto);
		CHK(p.ttl, c->ttl);
		CHK(p.tcp_flags, c->tcp_flags);
		CHK(p.df, c->df);
		CHK(p.saddr, pb_addr(CADDR));
		CHK(p.daddr, pb_addr(VADDR));
		CHK(ntohs(p.sport), c->sport);
		CHK(ntohs(p.dport), c->dport);
		CHK(p.icmp_type, c->icmp_type);
		CHK(p.icmp_code, c->icmp_code);
		CHK(p.icmp_error, c->icmp_error);
		if (c->icmp_error) {
			CHK(p.inner.l3_off, c->in_l3_off);
			CHK(p.inner.l4_off, c->in_l4_off);
			CHK(p.inner.proto, c->in_proto);
			CHK(p.inner.saddr, pb_addr(VADDR));
			CHK(p.inner.daddr, pb_addr(CADDR));
			CHK(ntohs(p.inner.sport), c->in_sport);
			CHK(ntohs(p.inner.dport), c->in_dport);
		}
#undef CHK
	}
}

struct arp_case {
	const char *name;
	uint16_t op;
	const char *spa, *tpa;
	size_t trail;		/* bytes beyond the 60-byte frame */
};

static const struct arp_case arp_cases[] = {
	{ "request", 1, "192.0.2.1", "192.0.2.100", 0 },
	{ "reply", 2, "192.0.2.100", "192.0.2.1", 0 },
	{ "probe_spa_zero", 1, "0.0.0.0", "192.0.2.100", 0 },
	{ "unknown_op_still_parses", 9, "192.0.2.1", "192.0.2.100", 0 },
	{ "fcs_trailer", 1, "192.0.2.1", "192.0.2.100", 4 },
};

static void test_pkt_parses_arp_fields(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(arp_cases) / sizeof(arp_cases[0]); i++) {
		const struct arp_case *c = &arp_cases[i];
		uint8_t f[128] = { 0 };
		struct pkt p;
		enum lb_drop why;
		size_t n = pb_arp_frame(f, sizeof(f), &mac_a, &mac_b, c->op,
					&mac_a, pb_addr(c->spa), &mac_b,
					pb_addr(c->tpa));

		assert_int_equal(n, 60);
		if (!parse_copy(f, n + c->trail, &p, &why))
			fail_msg("%s: refused with %d", c->name, why);
		assert_int_equal(p.kind, PKT_K_ARP);
		assert_int_equal(p.l3_off, 14);
		assert_int_equal(p.arp_op, c->op);
		assert_int_equal(p.arp_spa, pb_addr(c->spa));
		assert_int_equal(p.arp_tpa, pb_addr(c->tpa));
		/* The minimum ARP frame without padding (42 bytes) parses too. */
		assert_true(parse_copy(f, 42, &p, &why));
	}
}

/* Fields of one parse never leak into the next (p is cleared). */
static void test_pkt_clears_previous_result(void **state)
{
	static const struct fspec err = { .l4 = SP_ICMP, .icmp_type = 3,
					  .icmp_code = 4, .inner = &inner_tcp };
	static const struct fspec syn = { .l4 = SP_UDP };
	uint8_t f[PB_FRAME_MAX];
	struct pkt p;
	enum lb_drop why;
	size_t n;

	(void)state;
	n = build(&err, f, sizeof(f));
	assert_true(pkt_parse(f, n, &p, &why));
	assert_true(p.icmp_error);
	n = build(&syn, f, sizeof(f));
	assert_true(pkt_parse(f, n, &p, &why));
	assert_false(p.icmp_error);
	assert_int_equal(p.icmp_type, 0);
	assert_int_equal(p.inner.l3_off, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkt_refuses_malformed_with_reason),
		cmocka_unit_test(test_pkt_baseline_frames_of_bad_cases_parse),
		cmocka_unit_test(test_pkt_every_prefix_refused),
		cmocka_unit_test(test_pkt_ip_header_bit_flips_refused),
		cmocka_unit_test(test_pkt_ip_checksum_matches_reference),
		cmocka_unit_test(test_pkt_parses_good_frames_fields),
		cmocka_unit_test(test_pkt_parses_arp_fields),
		cmocka_unit_test(test_pkt_clears_previous_result),
	};

	return cmocka_run_group_tests_name("pkt", tests, NULL, NULL);
}
