/* SPDX-License-Identifier: MIT */
/*
 * Test-only packet builder: Ethernet, ARP, IPv4, TCP, UDP and ICMP frames with
 * checksums computed from scratch, plus knobs to make them wrong (bad lengths,
 * bad checksums, fragments). Deliberately shares no code with lb/src: its
 * checksum is a plain big-endian RFC 1071 sum, so a frame it builds is an
 * independent expectation for what the datapath produces.
 *
 * Builders write into <out> (<cap> bytes) and return the length written, or 0
 * when it does not fit. Addresses are network order (__be32), ports and other
 * numbers host order unless a field says otherwise.
 */
#ifndef LB_PKTBUILD_H
#define LB_PKTBUILD_H

#include <stdio.h>

#include "types.h"

#define PB_FRAME_MAX	2048	/* largest frame the tests build */

#define PB_DF		0x4000	/* IPv4 flags+offset word, host order */
#define PB_MF		0x2000

#define PB_FIN		0x01
#define PB_SYN		0x02
#define PB_RST		0x04
#define PB_PSH		0x08
#define PB_ACK		0x10

struct pb_eth {
	struct lb_mac src;
	struct lb_mac dst;
	uint16_t type;		/* host order; 0: 0x0800 for IPv4, 0x0806 for ARP */
	size_t trail;		/* zero bytes appended after L3 (Ethernet padding) */
	size_t min_len;		/* pad the frame with zeros up to this length */
};

struct pb_ip {
	__be32 saddr;
	__be32 daddr;
	uint8_t version;	/* 4 unless testing a bad one */
	uint8_t ihl;		/* 32-bit words, 5 .. 15; options are zero (EOL) */
	uint8_t ihl_field;	/* nonzero: written as the IHL instead (bad cases) */
	uint8_t tos;
	uint16_t id;
	uint16_t frag;		/* flags and offset: PB_DF, PB_MF, offset in 8-byte units */
	uint8_t ttl;
	uint8_t proto;		/* 0: set by the L4 builder */
	int tot_len_adj;	/* bytes added to the true total length (bad cases) */
	bool bad_csum;		/* store the header checksum with its low bit flipped */
};

struct pb_tcp {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;		/* PB_SYN | PB_ACK ... */
	uint16_t win;
	uint8_t doff;		/* 32-bit words, >= 5; options are NOPs */
	uint8_t doff_field;	/* nonzero: written as the data offset instead (bad cases) */
	bool bad_csum;		/* store the checksum with its low bit flipped */
};

struct pb_udp {
	uint16_t sport;
	uint16_t dport;
	int len_adj;		/* bytes added to the true UDP length (bad cases) */
	bool no_csum;		/* checksum 0: "not computed" (RFC 768) */
	bool bad_csum;
};

struct pb_icmp {
	uint8_t type;
	uint8_t code;
	uint32_t rest;		/* second 32-bit word: id/seq, or unused/next-hop MTU */
	bool bad_csum;
};

/* Parses a dotted quad; aborts the test program on a typo. */
__be32 pb_addr(const char *dotted);

/* RFC 1071 over <len> bytes, big-endian words, starting from <sum>; not folded. */
uint32_t pb_sum(uint32_t sum, const uint8_t *b, size_t len);

/* Unfolded sum of the TCP/UDP pseudo-header. */
uint32_t pb_pseudo(__be32 saddr, __be32 daddr, uint8_t proto, size_t l4len);

/* Folds and complements an unfolded sum: the value to store (host order). */
uint16_t pb_fold(uint32_t sum);

/* Defaults: version 4, IHL 5, TTL 64, DF, the given addresses. */
void pb_ip_init(struct pb_ip *ip, const char *saddr, const char *daddr);

/* TCP/UDP/ICMP message bytes (header + <data>), checksums from <ip>'s addresses. */
size_t pb_tcp_seg(uint8_t *out, size_t cap, const struct pb_ip *ip,
		  const struct pb_tcp *t, const void *data, size_t dlen);
size_t pb_udp_dgram(uint8_t *out, size_t cap, const struct pb_ip *ip,
		    const struct pb_udp *u, const void *data, size_t dlen);
size_t pb_icmp_msg(uint8_t *out, size_t cap, const struct pb_icmp *ic,
		   const void *data, size_t dlen);

/* An IPv4 packet: header from <ip> (proto must be set) followed by <l4>. */
size_t pb_ipv4(uint8_t *out, size_t cap, const struct pb_ip *ip,
	       const uint8_t *l4, size_t l4len);

/* An Ethernet frame around <l3> (type from <eth>, default IPv4). */
size_t pb_eth_frame(uint8_t *out, size_t cap, const struct pb_eth *eth,
		    const uint8_t *l3, size_t l3len);

/* Whole frames in one call. */
size_t pb_tcp_frame(uint8_t *out, size_t cap, const struct pb_eth *eth,
		    const struct pb_ip *ip, const struct pb_tcp *t,
		    const void *data, size_t dlen);
size_t pb_udp_frame(uint8_t *out, size_t cap, const struct pb_eth *eth,
		    const struct pb_ip *ip, const struct pb_udp *u,
		    const void *data, size_t dlen);
size_t pb_icmp_frame(uint8_t *out, size_t cap, const struct pb_eth *eth,
		     const struct pb_ip *ip, const struct pb_icmp *ic,
		     const void *data, size_t dlen);

/* An Ethernet/IPv4 ARP frame (<op> 1 request, 2 reply), padded to 60 bytes. */
size_t pb_arp_frame(uint8_t *out, size_t cap, const struct lb_mac *eth_src,
		    const struct lb_mac *eth_dst, uint16_t op,
		    const struct lb_mac *sha, __be32 spa,
		    const struct lb_mac *tha, __be32 tpa);

/* A payload of <len> bytes 0, 1, 2, ... for tests; <len> <= PB_FRAME_MAX. */
const uint8_t *pb_payload(size_t len);

/*
 * Independent checks on a frame (Ethernet + IPv4 assumed, as built above):
 * IPv4 header checksum; the TCP/UDP checksum over the whole segment (true for
 * a UDP checksum of 0); the ICMP checksum over the whole message.
 */
bool pb_ip_csum_ok(const uint8_t *f, size_t len);
bool pb_l4_csum_ok(const uint8_t *f, size_t len);

/*
 * Recomputes, in place and where the lengths allow, the checksums of an
 * Ethernet/IPv4 frame: TCP/UDP/ICMP (an ICMP error's quoted IPv4 header
 * first), then the IPv4 header. For fuzzing: a mutated frame becomes one
 * whose checksums verify, so it gets past the parser.
 */
void pb_fix_csums(uint8_t *f, size_t len);

/* Hex dump of two frames side by side, marking differing bytes, to <fp>. */
void pb_diff(FILE *fp, const uint8_t *got, size_t glen,
	     const uint8_t *want, size_t wlen);

/*
 * Classic pcap files (LINKTYPE_ETHERNET) for fixtures and fuzz seeds: tests
 * write them on request, never read them. Returns 0 or -1 (errno kept).
 */
struct pb_pcap;
struct pb_pcap *pb_pcap_open(const char *path);
/* Appends <f> stamped <sec> seconds after the epoch. */
int pb_pcap_add(struct pb_pcap *pc, uint32_t sec, const uint8_t *f, size_t len);
int pb_pcap_close(struct pb_pcap *pc);

/* Writes <f> as the file <dir>/<name>; 0 or -1. */
int pb_write_file(const char *dir, const char *name, const uint8_t *f,
		  size_t len);

#endif /* LB_PKTBUILD_H */
