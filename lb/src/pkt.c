/* SPDX-License-Identifier: MIT */
/*
 * Frame parsing. L0: reads a borrowed buffer, writes only the caller's
 * struct pkt; no I/O. Every read is preceded by a length check against what
 * the frame actually holds, and IPv4's own lengths are checked against it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "csum.h"
#include "pkt.h"

static bool fail(enum lb_drop *why, enum lb_drop reason)
{
	*why = reason;
	return false;
}

static bool parse_arp(const uint8_t *f, size_t len, struct pkt *p,
		      enum lb_drop *why)
{
	const uint8_t *a = f + PKT_ETH_HLEN;

	if (len < PKT_ETH_HLEN + PKT_ARP_LEN)
		return fail(why, LB_DROP_TRUNCATED);
	/* Ethernet hardware (1), IPv4 protocol, 6-byte MACs, 4-byte addresses. */
	if (pkt_rd16(a) != 1 || pkt_rd16(a + 2) != PKT_ETH_P_IP || a[4] != 6 || a[5] != 4)
		return fail(why, LB_DROP_ARP);
	p->kind = PKT_K_ARP;
	p->l3_off = PKT_ETH_HLEN;
	p->arp_op = pkt_rd16(a + 6);
	p->arp_spa = pkt_rd32n(a + 14);
	p->arp_tpa = pkt_rd32n(a + 24);
	return true;
}

/*
 * The IPv4 header an ICMP error quotes, plus 8 bytes of its L4 header, must
 * lie within the outer packet. Returns false when it does not; the caller
 * then treats the ICMP message as one that matches no flow.
 */
static bool parse_inner(const uint8_t *f, const struct pkt *p,
			struct pkt_inner *in)
{
	size_t off = (size_t)p->l4_off + 8;
	size_t end = (size_t)p->l3_off + p->ip_len;
	const uint8_t *ip;
	size_t ihl;

	if (off + 20 > end)
		return false;
	ip = f + off;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20 || off + ihl + 8 > end)
		return false;
	in->l3_off = (uint16_t)off;
	in->l4_off = (uint16_t)(off + ihl);
	in->proto = ip[9];
	in->saddr = pkt_rd32n(ip + 12);
	in->daddr = pkt_rd32n(ip + 16);
	in->sport = 0;
	in->dport = 0;
	if (in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP) {
		in->sport = pkt_rd16n(f + in->l4_off);
		in->dport = pkt_rd16n(f + in->l4_off + 2);
	}
	return true;
}

/*
 * ICMP: its type, and for an error the quoted header. Out of line, like
 * parse_not_ipv4(), so that the TCP/UDP path keeps its registers.
 */
static __attribute__((noinline)) bool
parse_icmp(const uint8_t *f, struct pkt *p, size_t l4len, enum lb_drop *why)
{
	const uint8_t *l4 = f + p->l4_off;

	if (l4len < 8)
		return fail(why, LB_DROP_TRUNCATED);
	p->icmp_type = l4[0];
	p->icmp_code = l4[1];
	if (p->icmp_type == PKT_ICMP_DEST_UNREACH ||
	    p->icmp_type == PKT_ICMP_TIME_EXCEEDED)
		p->icmp_error = parse_inner(f, p, &p->inner);
	return true;
}

/* Everything but an IPv4 frame that holds at least its fixed header. */
static __attribute__((noinline)) bool
parse_not_ipv4(const uint8_t *f, size_t len, struct pkt *p, enum lb_drop *why)
{
	uint16_t type;

	if (len < PKT_ETH_HLEN)
		return fail(why, LB_DROP_TRUNCATED);
	type = pkt_rd16(f + 12);
	if (type == PKT_ETH_P_ARP)
		return parse_arp(f, len, p, why);
	if (type != PKT_ETH_P_IP)
		return fail(why, LB_DROP_NOT_IPV4);
	p->kind = PKT_K_IPV4;
	p->l3_off = PKT_ETH_HLEN;
	return fail(why, LB_DROP_TRUNCATED);
}

/*
 * The common case, a TCP or UDP packet in an IPv4 frame, takes the straight
 * path; everything else branches off to out-of-line helpers. For all the
 * compiler knows, a uint8_t store through <p> may change a frame byte (a
 * character type aliases anything), so header fields are read into locals
 * first and stored once, rather than reloaded after every store.
 */
bool pkt_parse(const uint8_t *f, size_t len, struct pkt *p, enum lb_drop *why)
{
	const uint8_t *ip, *l4;
	size_t ihl, ip_len, l4len, n;
	uint16_t frag;
	uint8_t proto;

	memset(p, 0, sizeof(*p));
	if (len < PKT_ETH_HLEN + 20 || pkt_rd16(f + 12) != PKT_ETH_P_IP)
		return parse_not_ipv4(f, len, p, why);
	p->kind = PKT_K_IPV4;
	p->l3_off = PKT_ETH_HLEN;
	ip = f + PKT_ETH_HLEN;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20)
		return fail(why, LB_DROP_BAD_IHL);
	ip_len = pkt_rd16(ip + 2);
	if (ip_len < ihl || ip_len > len - PKT_ETH_HLEN)
		return fail(why, LB_DROP_BAD_TOTLEN);
	if (!pkt_ipv4_csum_ok(ip, ihl))
		return fail(why, LB_DROP_BAD_IPCSUM);
	frag = pkt_rd16(ip + 6);
	if (frag & 0x3fff)		/* MF set or a non-zero offset */
		return fail(why, LB_DROP_FRAGMENT);
	proto = ip[9];
	p->ihl = (uint8_t)ihl;
	p->ip_len = (uint16_t)ip_len;
	p->df = frag & 0x4000;
	p->ttl = ip[8];
	p->proto = proto;
	p->saddr = pkt_rd32n(ip + 12);
	p->daddr = pkt_rd32n(ip + 16);
	p->l4_off = (uint16_t)(PKT_ETH_HLEN + ihl);

	l4 = ip + ihl;
	l4len = ip_len - ihl;
	if (proto == IPPROTO_TCP) {
		if (l4len < 20)
			return fail(why, LB_DROP_TRUNCATED);
		n = (size_t)(l4[12] >> 4) * 4;		/* data offset */
		if (n < 20 || n > l4len)
			return fail(why, LB_DROP_BAD_L4);
		p->tcp_flags = l4[13];
	} else if (proto == IPPROTO_UDP) {
		if (l4len < 8)
			return fail(why, LB_DROP_TRUNCATED);
		n = pkt_rd16(l4 + 4);			/* UDP length */
		if (n < 8 || n > l4len)
			return fail(why, LB_DROP_BAD_L4);
	} else if (proto == IPPROTO_ICMP) {
		return parse_icmp(f, p, l4len, why);
	} else {
		return true;	/* the datapath decides what to do with it */
	}
	p->sport = pkt_rd16n(l4);
	p->dport = pkt_rd16n(l4 + 2);
	return true;
}
