/* SPDX-License-Identifier: MIT */
/*
 * DR and NAT rewriting. L0: writes only the caller's frame; no I/O.
 *
 * Every address or port change is paired with the checksum updates it
 * implies: the IPv4 header checksum for addresses and TTL, the TCP/UDP
 * checksum for addresses (pseudo-header) and ports. All values stay in the
 * order they have on the wire; see csum.h for why that is sound.
 */
#include <netinet/in.h>
#include <string.h>

#include "csum.h"
#include "rewrite.h"

/*
 * Replaces the address at <ip> + <off> and the port at <l4> + <poff> (or
 * leaves the port when <l4> is NULL), fixing the IPv4 checksum and, when
 * <l4c> is not NULL, the L4 checksum at <l4c>. <ip_delta> is a further change
 * under the IPv4 checksum (CSUM_DELTA_TTL_DEC, or 0). Each checksum is
 * updated with one fold of all its terms (csum.h).
 */
static inline void set_addr_port(uint8_t *ip, size_t off, uint32_t addr,
				 uint32_t ip_delta, uint8_t *l4, size_t poff,
				 uint16_t port, uint8_t *l4c, uint8_t proto)
{
	uint32_t d = csum_delta4(pkt_rd32n(ip + off), addr);

	rw_st16(ip + RW_IP_OFF_CSUM, csum_update(pkt_rd16n(ip + RW_IP_OFF_CSUM),
					   csum_add32(d, ip_delta)));
	rw_st32(ip + off, addr);
	if (l4c) {
		if (l4)
			d = csum_add32(d, csum_delta2(pkt_rd16n(l4 + poff), port));
		rw_l4_csum_store(l4c, proto, csum_update(pkt_rd16n(l4c), d));
	}
	if (l4)
		rw_st16(l4 + poff, port);
}

/*
 * The quoted packet may be cut short (RFC 792 promises only 8 bytes of L4),
 * so its L4 checksum is fixed only when the field is inside the quote. Ports
 * exist only for TCP and UDP. Then the ICMP checksum is recomputed from
 * scratch, as IPVS does: the quote changed in several places.
 */
static void icmp_nat(uint8_t *f, const struct pkt *p, size_t outer_off,
		     size_t inner_off, size_t inner_poff, __be32 addr,
		     __be16 port)
{
	const struct pkt_inner *in = &p->inner;
	uint8_t *ip = f + p->l3_off;
	uint8_t *iip = f + in->l3_off;
	uint8_t *il4 = NULL;
	uint8_t *il4c = NULL;
	uint8_t *icmp = f + p->l4_off;
	size_t icmp_len = (size_t)p->ip_len - p->ihl;
	size_t quoted = (size_t)p->l3_off + p->ip_len - in->l4_off;
	uint16_t c;

	set_addr_port(ip, outer_off, addr, CSUM_DELTA_TTL_DEC, NULL, 0, 0,
		      NULL, 0);
	ip[RW_IP_OFF_TTL]--;
	if (in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP) {
		il4 = f + in->l4_off;
		il4c = rw_l4_csum(il4, in->proto, quoted);
	}
	set_addr_port(iip, inner_off, addr, 0, il4, inner_poff, port, il4c,
		      in->proto);
	rw_st16(icmp + 2, 0);
	c = csum_fold(csum_add(0, icmp, icmp_len));
	rw_st16(icmp + 2, c);
}

void rw_icmp_nat_in(uint8_t *f, const struct pkt *p, __be32 daddr,
		    __be16 dport)
{
	icmp_nat(f, p, RW_IP_OFF_DADDR, RW_IP_OFF_SADDR, 0, daddr, dport);
}

void rw_icmp_nat_out(uint8_t *f, const struct pkt *p, __be32 vaddr,
		     __be16 vport)
{
	icmp_nat(f, p, RW_IP_OFF_SADDR, RW_IP_OFF_DADDR, 2, vaddr, vport);
}
