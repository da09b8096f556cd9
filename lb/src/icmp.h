/* SPDX-License-Identifier: MIT */
/*
 * ICMP messages lbd originates (L0): echo replies for a VIP and
 * fragmentation-needed for frames larger than the egress MTU.
 * Builders return the frame length written to <out>, or 0 if it does not fit.
 */
#ifndef LB_ICMP_H
#define LB_ICMP_H

#include "pkt.h"
#include "types.h"

/*
 * Turns the echo request <f> (parsed into <p>, addressed to a VIP) into its
 * reply: addresses and MACs swapped, type 0, TTL 64, same identifier,
 * sequence and payload.
 */
size_t icmp_echo_reply(uint8_t *out, size_t cap, const uint8_t *f,
		       const struct pkt *p);

/*
 * "Fragmentation needed and DF set" (RFC 792, RFC 1191) for the too-big packet
 * <f>, sent back to its sender from <src_ip> at <src_mac>, announcing next-hop
 * MTU <mtu>. Quotes the offending IPv4 header and up to 64 bytes after it.
 */
size_t icmp_frag_needed(uint8_t *out, size_t cap, const uint8_t *f,
			const struct pkt *p, const struct lb_mac *src_mac,
			__be32 src_ip, uint16_t mtu);

#endif /* LB_ICMP_H */
