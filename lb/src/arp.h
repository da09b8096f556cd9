/* SPDX-License-Identifier: MIT */
/*
 * ARP frames (L0): the reply that makes a VIP ours, the gratuitous ARP sent at
 * start, and the request lbd uses to learn a real server's MAC.
 * Each builder writes a minimum-size (60-byte) Ethernet frame into <out> and
 * returns its length, or 0 when <cap> is too small.
 */
#ifndef LB_ARP_H
#define LB_ARP_H

#include "pkt.h"
#include "types.h"

#define ARP_FRAME_LEN	60

/*
 * Answers the ARP request <req> (parsed into <p>) on behalf of its target
 * address with <mac>. The caller has checked that p->arp_tpa is a VIP.
 */
size_t arp_reply(uint8_t *out, size_t cap, const uint8_t *req,
		 const struct pkt *p, const struct lb_mac *mac);

/* Broadcast announcement (RFC 5227 §2.3) that <ip> is at <mac>. */
size_t arp_announce(uint8_t *out, size_t cap, const struct lb_mac *mac,
		    __be32 ip);

/* Broadcast request "who has <tpa>, tell <spa> at <mac>". */
size_t arp_request(uint8_t *out, size_t cap, const struct lb_mac *mac,
		   __be32 spa, __be32 tpa);

/* Sender MAC of a parsed ARP frame <f>. */
void arp_sender_mac(const uint8_t *f, const struct pkt *p, struct lb_mac *mac);

#endif /* LB_ARP_H */
