/* SPDX-License-Identifier: MIT */
/*
 * ICMP replies and errors that lbd originates. L0: pure, no I/O.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "csum.h"
#include "icmp.h"

#define ICMP_TTL	64
#define ICMP_QUOTE_L4	64	/* bytes quoted after the offending IP header */

size_t icmp_echo_reply(uint8_t *out, size_t cap, const uint8_t *f,
		       const struct pkt *p)
{
	size_t len = (size_t)p->l3_off + p->ip_len;
	uint8_t *ip = out + p->l3_off;
	uint8_t *icmp = out + p->l4_off;
	uint16_t before, after, c;

	if (cap < len)
		return 0;
	memcpy(out, f, len);
	memcpy(out, f + 6, LB_ETH_ALEN);
	memcpy(out + 6, f, LB_ETH_ALEN);
	memcpy(ip + 12, &p->daddr, 4);
	memcpy(ip + 16, &p->saddr, 4);
	ip[8] = ICMP_TTL;
	csum_ipv4_set(ip, p->ihl);

	memcpy(&before, icmp, 2);
	icmp[0] = PKT_ICMP_ECHOREPLY;
	icmp[1] = 0;
	memcpy(&after, icmp, 2);
	memcpy(&c, icmp + 2, 2);
	c = csum_replace2(c, before, after);
	memcpy(icmp + 2, &c, 2);
	/*
	 * RFC 1624 eqn. 3 gives +0 (0x0000) when the message it covers sums to
	 * zero, i.e. is all zeros (identifier, sequence and payload 0), whose
	 * checksum is 0xffff: receivers reject +0 there. Only a zero result can
	 * be that case, so only then is the message summed.
	 */
	if (c == 0 && csum_add(0, icmp, (size_t)p->ip_len - p->ihl) == 0) {
		c = 0xffff;
		memcpy(icmp + 2, &c, 2);
	}
	return len;
}

size_t icmp_frag_needed(uint8_t *out, size_t cap, const uint8_t *f,
			const struct pkt *p, const struct lb_mac *src_mac,
			__be32 src_ip, uint16_t mtu)
{
	size_t l4 = (size_t)p->ip_len - p->ihl;
	size_t quote = p->ihl + (l4 < ICMP_QUOTE_L4 ? l4 : ICMP_QUOTE_L4);
	size_t ip_len = 20 + 8 + quote;
	size_t len = PKT_ETH_HLEN + ip_len;
	uint8_t *ip = out + PKT_ETH_HLEN;
	uint8_t *icmp = ip + 20;
	uint16_t v;

	if (cap < len)
		return 0;
	memcpy(out, f + 6, LB_ETH_ALEN);
	memcpy(out + 6, src_mac->b, LB_ETH_ALEN);
	out[12] = PKT_ETH_P_IP >> 8;
	out[13] = PKT_ETH_P_IP & 0xff;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	v = htons((uint16_t)ip_len);
	memcpy(ip + 2, &v, 2);
	ip[8] = ICMP_TTL;
	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &p->saddr, 4);
	csum_ipv4_set(ip, 20);

	memset(icmp, 0, 8);
	icmp[0] = PKT_ICMP_DEST_UNREACH;
	icmp[1] = PKT_ICMP_FRAG_NEEDED;
	v = htons(mtu);
	memcpy(icmp + 6, &v, 2);
	memcpy(icmp + 8, f + p->l3_off, quote);
	v = csum_fold(csum_add(0, icmp, 8 + quote));
	memcpy(icmp + 2, &v, 2);
	return len;
}
