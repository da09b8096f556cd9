/* SPDX-License-Identifier: MIT */
/*
 * Frame parsing (L0): Ethernet, ARP, IPv4, TCP, UDP, ICMP (and the header an
 * ICMP error quotes). Read-only over a borrowed buffer; every field is
 * bounds-checked before it is read, so any byte string is safe input.
 */
#ifndef LB_PKT_H
#define LB_PKT_H

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

#endif /* LB_PKT_H */
