/* SPDX-License-Identifier: MIT */
/*
 * ARP frame builders (RFC 826). L0: pure, no I/O.
 */
#include <string.h>

#include "arp.h"

#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2

static const struct lb_mac mac_bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct lb_mac mac_zero;

/* Writes a whole Ethernet/ARP frame; the tail up to 60 bytes is zero padding. */
static size_t arp_build(uint8_t *out, size_t cap, const struct lb_mac *eth_dst,
			uint16_t op, const struct lb_mac *sha, __be32 spa,
			const struct lb_mac *tha, __be32 tpa)
{
	uint8_t *a = out + PKT_ETH_HLEN;

	if (cap < ARP_FRAME_LEN)
		return 0;
	memset(out, 0, ARP_FRAME_LEN);
	memcpy(out, eth_dst->b, LB_ETH_ALEN);
	memcpy(out + 6, sha->b, LB_ETH_ALEN);
	out[12] = PKT_ETH_P_ARP >> 8;
	out[13] = PKT_ETH_P_ARP & 0xff;
	a[0] = 0;
	a[1] = 1;			/* Ethernet */
	a[2] = PKT_ETH_P_IP >> 8;
	a[3] = PKT_ETH_P_IP & 0xff;
	a[4] = LB_ETH_ALEN;
	a[5] = 4;
	a[6] = 0;
	a[7] = (uint8_t)op;
	memcpy(a + 8, sha->b, LB_ETH_ALEN);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 18, tha->b, LB_ETH_ALEN);
	memcpy(a + 24, &tpa, 4);
	return ARP_FRAME_LEN;
}

void arp_sender_mac(const uint8_t *f, const struct pkt *p, struct lb_mac *mac)
{
	memcpy(mac->b, f + p->l3_off + 8, LB_ETH_ALEN);
}

size_t arp_reply(uint8_t *out, size_t cap, const uint8_t *req,
		 const struct pkt *p, const struct lb_mac *mac)
{
	struct lb_mac asker;

	arp_sender_mac(req, p, &asker);
	return arp_build(out, cap, &asker, ARP_OP_REPLY, mac, p->arp_tpa,
			 &asker, p->arp_spa);
}

size_t arp_announce(uint8_t *out, size_t cap, const struct lb_mac *mac,
		    __be32 ip)
{
	return arp_build(out, cap, &mac_bcast, ARP_OP_REQUEST, mac, ip,
			 &mac_zero, ip);
}

size_t arp_request(uint8_t *out, size_t cap, const struct lb_mac *mac,
		   __be32 spa, __be32 tpa)
{
	return arp_build(out, cap, &mac_bcast, ARP_OP_REQUEST, mac, spa,
			 &mac_zero, tpa);
}
