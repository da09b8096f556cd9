/* SPDX-License-Identifier: MIT */
/*
 * Value types shared by every lbd module: addresses, the flow key, verdicts,
 * drop reasons and forwarding methods. Types only: no functions, no state.
 */
#ifndef LB_TYPES_H
#define LB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#define LB_ETH_ALEN	6

struct lb_mac {
	uint8_t b[LB_ETH_ALEN];
};

/*
 * A flow as the director first sees it: the client's packet towards the VIP.
 * All fields in network byte order, exactly as on the wire; pad is zero so the
 * key can be hashed and compared as bytes.
 */
struct flow_key {
	__be32 caddr;		/* client address, network order */
	__be32 vaddr;		/* virtual (service) address, network order */
	__be16 cport;		/* client port, network order */
	__be16 vport;		/* virtual port, network order */
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t pad[3];		/* always zero */
};

/* Forwarding method, bound to a connection when it is created. */
enum lb_fwd {
	LB_FWD_NAT = 0,		/* two-way address/port rewrite (LVS-NAT) */
	LB_FWD_DR,		/* MAC rewrite only (LVS-DR, direct routing) */
};

/* What the datapath decided for one frame. */
enum lb_verdict {
	LB_DROP = 0,		/* frame consumed; a drop reason was counted */
	LB_TX,			/* a frame was written to the scratch buffer: send it */
	LB_PASS,		/* not ours (the kernel's business); nothing counted */
};

/*
 * Why a frame was dropped. Each reason has its own counter; the names are
 * what lbctl and the metrics endpoint print (see dp_drop_name()).
 */
enum lb_drop {
	LB_DROP_NONE = 0,
	LB_DROP_TRUNCATED,	/* shorter than its headers claim */
	LB_DROP_NOT_IPV4,	/* ethertype other than IPv4/ARP, or VLAN */
	LB_DROP_BAD_IHL,	/* IPv4 version != 4 or IHL < 5 */
	LB_DROP_BAD_TOTLEN,	/* total length < IHL*4 or > frame */
	LB_DROP_BAD_IPCSUM,	/* IPv4 header checksum does not verify */
	LB_DROP_FRAGMENT,	/* IPv4 fragment (no reassembly in lbd) */
	LB_DROP_TTL,		/* TTL <= 1 */
	LB_DROP_BAD_L4,		/* TCP data offset or UDP length out of range */
	LB_DROP_PROTO,		/* L4 protocol the service does not carry */
	LB_DROP_NO_SERVICE,	/* to a VIP, but no service on that port */
	LB_DROP_NO_CONN,	/* non-SYN TCP for an unknown flow */
	LB_DROP_NO_DEST,	/* scheduler found no available real server */
	LB_DROP_CONN_FULL,	/* connection table at capacity */
	LB_DROP_HALF_OPEN_FULL,	/* half-open (SYN) bound reached */
	LB_DROP_NO_NEIGH,	/* no MAC known for the next hop */
	LB_DROP_TOO_BIG,	/* larger than the egress MTU */
	LB_DROP_ICMP,		/* ICMP that matches no flow, or unsupported */
	LB_DROP_ARP,		/* ARP that is not a request for a VIP */
	LB_DROP_ARP_CONFLICT,	/* someone else claims a VIP: ignored */
	LB_DROP_MAX
};

/* Egress interface of a transmitted frame. */
enum lb_port {
	LB_PORT_EXT = 0,	/* the VIP side */
	LB_PORT_INT,		/* the real servers' side (two-armed NAT) */
	LB_PORT_MAX
};

#endif /* LB_TYPES_H */
