/* SPDX-License-Identifier: MIT */
/*
 * Frame parsing (L0): Ethernet, ARP, IPv4, TCP, UDP, ICMP (and the header an
 * ICMP error quotes). Read-only over a borrowed buffer; every field is
 * bounds-checked before it is read, so any byte string is safe input.
 */
#ifndef LB_PKT_H
#define LB_PKT_H

#include <netinet/in.h>
#include <string.h>

#include "csum.h"
#include "types.h"

#define PKT_ETH_HLEN		14
#define PKT_ETH_P_IP		0x0800
#define PKT_ETH_P_ARP		0x0806
#define PKT_ARP_LEN		28	/* Ethernet/IPv4 ARP payload */
#define PKT_ICMP_ECHOREPLY	0
#define PKT_ICMP_DEST_UNREACH	3
#define PKT_ICMP_ECHO		8
#define PKT_ICMP_TIME_EXCEEDED	11
#define PKT_ICMP_FRAG_NEEDED	4	/* code of DEST_UNREACH */

enum pkt_kind {
	PKT_K_ARP = 0,
	PKT_K_IPV4,
};

/* The header an ICMP error quotes: an IPv4 header and the first 8 L4 bytes. */
struct pkt_inner {
	uint16_t l3_off;	/* frame offset of the quoted IPv4 header */
	uint16_t l4_off;	/* frame offset of its L4 header */
	uint8_t proto;		/* quoted protocol */
	__be32 saddr;		/* network order */
	__be32 daddr;		/* network order */
	__be16 sport;		/* network order; 0 unless TCP/UDP */
	__be16 dport;		/* network order; 0 unless TCP/UDP */
};

/*
 * A parsed frame: offsets into the caller's buffer and the fields the
 * datapath decides on. Offsets are from the start of the frame, in bytes.
 */
struct pkt {
	enum pkt_kind kind;
	uint16_t l3_off;	/* IPv4 header or ARP payload */
	uint16_t l4_off;	/* TCP/UDP/ICMP header */
	uint16_t ip_len;	/* IPv4 total length, host order */
	uint8_t ihl;		/* IPv4 header length in bytes */
	uint8_t proto;		/* IPPROTO_* */
	uint8_t ttl;
	uint8_t tcp_flags;	/* byte 13 of the TCP header, else 0 */
	bool df;		/* IPv4 don't-fragment bit */
	__be32 saddr;		/* network order */
	__be32 daddr;		/* network order */
	__be16 sport;		/* network order; ICMP: 0 */
	__be16 dport;		/* network order; ICMP: 0 */
	uint8_t icmp_type;	/* ICMP only */
	uint8_t icmp_code;
	bool icmp_error;	/* an ICMP error with a valid quoted header in inner */
	struct pkt_inner inner;
	/* ARP only, network order: */
	uint16_t arp_op;	/* host order: 1 request, 2 reply */
	__be32 arp_spa;
	__be32 arp_tpa;
};

/*
 * Parses the <len>-byte frame at <frame> into <p>. Returns true when the frame
 * is a well-formed ARP or IPv4 frame; otherwise returns false with *<why> set
 * (TRUNCATED, NOT_IPV4, BAD_IHL, BAD_TOTLEN, BAD_IPCSUM, FRAGMENT, BAD_L4, or
 * ARP for an ARP payload that is not Ethernet/IPv4).
 * <p> borrows nothing: it holds offsets, so it stays valid for any copy of
 * the frame. Ethernet padding after the IPv4 total length is allowed.
 * Every field of <p> is written: those that do not apply are zero.
 */
bool pkt_parse(const uint8_t *frame, size_t len, struct pkt *p,
	       enum lb_drop *why);

/* Loads from a frame at any alignment: host order, or left in network order. */
static inline uint16_t pkt_rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline __be16 pkt_rd16n(const uint8_t *b)
{
	__be16 v;

	memcpy(&v, b, sizeof(v));
	return v;
}

static inline __be32 pkt_rd32n(const uint8_t *b)
{
	__be32 v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/*
 * True when the IPv4 header at <ip> (<hlen> bytes, a multiple of 4, at least
 * 20) verifies: 32-bit words summed into 64 bits and folded once at the end
 * (RFC 1071 §4.1's idea), the 20 bytes every header has unrolled and
 * options, rare, in a loop.
 */
static inline bool pkt_ipv4_csum_ok(const uint8_t *ip, size_t hlen)
{
	uint64_t acc;
	size_t i;

	acc = (uint64_t)pkt_rd32n(ip) + pkt_rd32n(ip + 4) + pkt_rd32n(ip + 8) +
	      pkt_rd32n(ip + 12) + pkt_rd32n(ip + 16);
	for (i = 20; i < hlen; i += 4)
		acc += pkt_rd32n(ip + i);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return csum_fold((uint32_t)acc) == 0;
}

/*
 * The frames that are nearly all of lbd's traffic, parsed in one straight
 * line for the datapath's fast path: IPv4 with a 20-byte header (no
 * options) that verifies, not a fragment, carrying a whole TCP or UDP
 * header. For such a frame, returns true having written kind, l3_off, l4_off,
 * ip_len, ihl, proto, ttl, tcp_flags, df, saddr, daddr, sport and dport,
 * each with the value pkt_parse() gives it; the other fields of <p> are left
 * as they were. For any other frame returns false, and pkt_parse() has the
 * last word (and the reason, for a drop). fuzz_pkt holds the two to this.
 */
static inline bool pkt_parse_fast(const uint8_t *f, size_t len, struct pkt *p)
{
	const uint8_t *ip = f + PKT_ETH_HLEN;
	const uint8_t *l4 = ip + 20;
	size_t ip_len, l4len, n;
	uint16_t frag;
	uint8_t proto;

	if (len < PKT_ETH_HLEN + 20 + 8 || pkt_rd16(f + 12) != PKT_ETH_P_IP ||
	    ip[0] != 0x45)
		return false;
	ip_len = pkt_rd16(ip + 2);
	frag = pkt_rd16(ip + 6);
	proto = ip[9];
	/* 28 <= ip_len <= len - 14, in one unsigned comparison. */
	if (ip_len - 28 > len - PKT_ETH_HLEN - 28 || (frag & 0x3fff))
		return false;
	l4len = ip_len - 20;
	if (proto == IPPROTO_TCP) {
		if (l4len < 20)
			return false;
		n = (size_t)(l4[12] >> 4) * 4;		/* data offset */
		if (n < 20 || n > l4len)
			return false;
		p->tcp_flags = l4[13];
	} else if (proto == IPPROTO_UDP) {
		n = pkt_rd16(l4 + 4);			/* UDP length */
		if (n < 8 || n > l4len)
			return false;
		p->tcp_flags = 0;
	} else {
		return false;
	}
	if (!pkt_ipv4_csum_ok(ip, 20))
		return false;
	p->kind = PKT_K_IPV4;
	p->l3_off = PKT_ETH_HLEN;
	p->l4_off = PKT_ETH_HLEN + 20;
	p->ip_len = (uint16_t)ip_len;
	p->ihl = 20;
	p->proto = proto;
	p->ttl = ip[8];
	p->df = frag & 0x4000;
	p->saddr = pkt_rd32n(ip + 12);
	p->daddr = pkt_rd32n(ip + 16);
	p->sport = pkt_rd16n(l4);
	p->dport = pkt_rd16n(l4 + 2);
	return true;
}

#endif /* LB_PKT_H */
