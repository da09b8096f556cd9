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

#define IP_OFF_TTL	8
#define IP_OFF_CSUM	10
#define IP_OFF_SADDR	12
#define IP_OFF_DADDR	16

static inline uint16_t ld16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return v;
}

static inline uint32_t ld32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static inline void st16(uint8_t *b, uint16_t v)
{
	memcpy(b, &v, 2);
}

static inline void st32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, 4);
}

/*
 * Where the L4 checksum of a <proto> header sits, or NULL when there is none
 * to update: ICMP has no pseudo-header, and a UDP checksum of zero means the
 * sender did not compute one (RFC 768), so it must stay zero.
 */
static inline uint8_t *l4_csum(uint8_t *l4, uint8_t proto, size_t avail)
{
	if (proto == IPPROTO_TCP && avail >= 18)
		return l4 + 16;
	if (proto == IPPROTO_UDP && avail >= 8 && ld16(l4 + 6) != 0)
		return l4 + 6;
	return NULL;
}

/* A computed UDP checksum of zero is sent as all ones (RFC 768). */
static inline void l4_csum_store(uint8_t *at, uint8_t proto, uint16_t c)
{
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	st16(at, c);
}

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
	uint32_t d = csum_delta4(ld32(ip + off), addr);

	st16(ip + IP_OFF_CSUM, csum_update(ld16(ip + IP_OFF_CSUM),
					   csum_add32(d, ip_delta)));
	st32(ip + off, addr);
	if (l4c) {
		if (l4)
			d = csum_add32(d, csum_delta2(ld16(l4 + poff), port));
		l4_csum_store(l4c, proto, csum_update(ld16(l4c), d));
	}
	if (l4)
		st16(l4 + poff, port);
}

/*
 * Address, port and TTL change together, so the IPv4 checksum takes the
 * address and TTL terms and the L4 checksum the address (pseudo-header) and
 * port terms, each in one fold.
 */
static inline void nat(uint8_t *f, const struct pkt *p, size_t off,
		       size_t poff, __be32 addr, __be16 port)
{
	uint8_t *ip = f + p->l3_off;
	uint8_t *l4 = f + p->l4_off;
	uint8_t *l4c = l4_csum(l4, p->proto, (size_t)p->ip_len - p->ihl);
	uint32_t d = csum_delta4(ld32(ip + off), addr);

	st16(ip + IP_OFF_CSUM, csum_update(ld16(ip + IP_OFF_CSUM),
					   csum_add32(d, CSUM_DELTA_TTL_DEC)));
	st32(ip + off, addr);
	ip[IP_OFF_TTL]--;
	if (l4c) {
		d = csum_add32(d, csum_delta2(ld16(l4 + poff), port));
		l4_csum_store(l4c, p->proto, csum_update(ld16(l4c), d));
	}
	st16(l4 + poff, port);
}

void rw_nat_in(uint8_t *f, const struct pkt *p, __be32 daddr, __be16 dport)
{
	nat(f, p, IP_OFF_DADDR, 2, daddr, dport);
}

void rw_nat_out(uint8_t *f, const struct pkt *p, __be32 vaddr, __be16 vport)
{
	nat(f, p, IP_OFF_SADDR, 0, vaddr, vport);
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
	ip[IP_OFF_TTL]--;
	if (in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP) {
		il4 = f + in->l4_off;
		il4c = l4_csum(il4, in->proto, quoted);
	}
	set_addr_port(iip, inner_off, addr, 0, il4, inner_poff, port, il4c,
		      in->proto);
	st16(icmp + 2, 0);
	c = csum_fold(csum_add(0, icmp, icmp_len));
	st16(icmp + 2, c);
}

void rw_icmp_nat_in(uint8_t *f, const struct pkt *p, __be32 daddr,
		    __be16 dport)
{
	icmp_nat(f, p, IP_OFF_DADDR, IP_OFF_SADDR, 0, daddr, dport);
}

void rw_icmp_nat_out(uint8_t *f, const struct pkt *p, __be32 vaddr,
		     __be16 vport)
{
	icmp_nat(f, p, IP_OFF_SADDR, IP_OFF_DADDR, 2, vaddr, vport);
}
