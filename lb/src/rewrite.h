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

/*
 * NAT, client -> real server: destination <daddr>:<dport> (network order)
 * replaces the VIP and port; TTL is decremented. IPv4 and TCP/UDP checksums
 * are updated incrementally (a zero UDP checksum stays zero). <p> must be a
 * TCP or UDP packet with TTL > 1. Writes only within rw_nat_head_len(<p>).
 */
void rw_nat_in(uint8_t *f, const struct pkt *p, __be32 daddr, __be16 dport);

/*
 * NAT, real server -> client: source <vaddr>:<vport> replaces the real
 * server's address and port; TTL is decremented. As rw_nat_in() otherwise.
 */
void rw_nat_out(uint8_t *f, const struct pkt *p, __be32 vaddr, __be16 vport);

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
