/* SPDX-License-Identifier: MIT */
/*
 * Header rewriting (L0) on a caller-owned copy of a parsed frame: DR's MAC
 * swap, NAT's address/port translation in both directions (incremental
 * checksums, RFC 1624), and the same translation for the header quoted inside
 * an ICMP error. The frame must be the one <p> was parsed from (or a copy).
 */
#ifndef LB_REWRITE_H
#define LB_REWRITE_H

#include <netinet/in.h>
#include <string.h>

#include "csum.h"
#include "pkt.h"
#include "types.h"

/*
 * Sets the Ethernet source and destination of <f>. Inline: it is two 6-byte
 * stores on every forwarded frame.
 */
static inline void rw_eth(uint8_t *f, const struct lb_mac *src,
			  const struct lb_mac *dst)
{
	memcpy(f, dst->b, LB_ETH_ALEN);
	memcpy(f + LB_ETH_ALEN, src->b, LB_ETH_ALEN);
}

/*
 * The bytes rw_nat_in() and rw_nat_out() may touch: Ethernet, IPv4 with its
 * options, and the fixed TCP or UDP header (ports and checksum). A caller may
 * rewrite a copy of just these and send the rest of the frame unchanged.
 */
static inline size_t rw_nat_head_len(const struct pkt *p)
{
	return (size_t)p->l4_off + (p->proto == IPPROTO_TCP ? 20 : 8);
}

#define RW_IP_OFF_TTL	8
#define RW_IP_OFF_CSUM	10
#define RW_IP_OFF_SADDR	12
#define RW_IP_OFF_DADDR	16

/* Stores into a frame at any alignment, in the order the value has. */
static inline void rw_st16(uint8_t *b, uint16_t v)
{
	memcpy(b, &v, sizeof(v));
}

static inline void rw_st32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, sizeof(v));
}

/*
 * Where the L4 checksum of a <proto> header sits, or NULL when there is none
 * to update: ICMP has no pseudo-header, and a UDP checksum of zero means the
 * sender did not compute one (RFC 768), so it must stay zero. <avail> is the
 * bytes of L4 header and data the frame holds.
 */
static inline uint8_t *rw_l4_csum(uint8_t *l4, uint8_t proto, size_t avail)
{
	if (proto == IPPROTO_TCP && avail >= 18)
		return l4 + 16;
	if (proto == IPPROTO_UDP && avail >= 8 && pkt_rd16n(l4 + 6) != 0)
		return l4 + 6;
	return NULL;
}

/* Stores L4 checksum <c>; a computed UDP checksum of zero goes as all ones (RFC 768). */
static inline void rw_l4_csum_store(uint8_t *at, uint8_t proto, uint16_t c)
{
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	rw_st16(at, c);
}

/*
 * NAT of one address and its port: the address at IPv4 offset <off> becomes
 * <addr>, the port at L4 offset <poff> becomes <port>, and TTL drops by one.
 * The IPv4 checksum takes the address and TTL terms and the L4 checksum the
 * address (pseudo-header) and port terms, each in one fold (csum.h).
 * Inline, with the helpers above: it runs on every NAT packet, and on the
 * fast path the offsets are constants.
 */
static inline void rw_nat(uint8_t *f, const struct pkt *p, size_t off,
			  size_t poff, __be32 addr, __be16 port)
{
	uint8_t *ip = f + p->l3_off;
	uint8_t *l4 = f + p->l4_off;
	/* The parser saw the whole TCP or UDP header: no length to check. */
	uint8_t *l4c = p->proto == IPPROTO_TCP ? l4 + 16 :
		       pkt_rd16n(l4 + 6) != 0 ? l4 + 6 : NULL;
	uint32_t d = csum_delta4(pkt_rd32n(ip + off), addr);

	rw_st16(ip + RW_IP_OFF_CSUM,
		csum_update(pkt_rd16n(ip + RW_IP_OFF_CSUM),
			    csum_add32(d, CSUM_DELTA_TTL_DEC)));
	rw_st32(ip + off, addr);
	ip[RW_IP_OFF_TTL]--;
	if (l4c) {
		d = csum_add32(d, csum_delta2(pkt_rd16n(l4 + poff), port));
		rw_l4_csum_store(l4c, p->proto, csum_update(pkt_rd16n(l4c), d));
	}
	rw_st16(l4 + poff, port);
}

/*
 * NAT, client -> real server: destination <daddr>:<dport> (network order)
 * replaces the VIP and port; TTL is decremented. IPv4 and TCP/UDP checksums
 * are updated incrementally (a zero UDP checksum stays zero). <p> must be a
 * TCP or UDP packet with TTL > 1. Writes only within rw_nat_head_len(<p>).
 */
static inline void rw_nat_in(uint8_t *f, const struct pkt *p, __be32 daddr,
			     __be16 dport)
{
	rw_nat(f, p, RW_IP_OFF_DADDR, 2, daddr, dport);
}

/*
 * NAT, real server -> client: source <vaddr>:<vport> replaces the real
 * server's address and port; TTL is decremented. As rw_nat_in() otherwise.
 */
static inline void rw_nat_out(uint8_t *f, const struct pkt *p, __be32 vaddr,
			      __be16 vport)
{
	rw_nat(f, p, RW_IP_OFF_SADDR, 0, vaddr, vport);
}

/*
 * NAT for an ICMP error travelling towards a real server: the outer
 * destination becomes <daddr>, and the quoted packet (which the real server
 * sent as VIP:vport) gets source <daddr>:<dport>, so the real server's stack
 * recognises it. The ICMP checksum is recomputed over the whole message.
 * <p> must have p->icmp_error set.
 */
void rw_icmp_nat_in(uint8_t *f, const struct pkt *p, __be32 daddr,
		    __be16 dport);

/*
 * NAT for an ICMP error from the real server side towards a client: outer
 * source becomes <vaddr>, the quoted packet's destination <vaddr>:<vport>.
 */
void rw_icmp_nat_out(uint8_t *f, const struct pkt *p, __be32 vaddr,
		     __be16 vport);

#endif /* LB_REWRITE_H */
