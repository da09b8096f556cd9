/* SPDX-License-Identifier: MIT */
/*
 * Interfaces, routes and neighbours from the kernel (L2) via libnl: the only
 * libnl user. Also reads interface offload settings with the ethtool ioctl.
 * Everything here may block on netlink; only the control plane calls it.
 */
#ifndef LB_NETIF_H
#define LB_NETIF_H

#include <net/if.h>

#include "types.h"

struct netif;

/* What lbd needs to know about one interface. */
struct netif_info {
	int ifindex;
	char name[IF_NAMESIZE];
	struct lb_mac mac;
	__be32 addr;		/* first IPv4 address, network order; 0 if none */
	uint32_t mtu;		/* bytes */
};

/* Opens a netlink socket and fills the link, address, route and neighbour caches. */
struct netif *netif_open(char *err, size_t errlen);

/* Closes <n>. Accepts NULL. */
void netif_close(struct netif *n);

/* Re-reads all caches from the kernel. 0 or -1 with <err> filled. */
int netif_refresh(struct netif *n, char *err, size_t errlen);

/* Fills <out> for interface <name>. 0, or -1 with <err> filled. */
int netif_by_name(struct netif *n, const char *name, struct netif_info *out,
		  char *err, size_t errlen);

/* Fills <out> for interface <ifindex>. 0, or -1 with <err> filled. */
int netif_by_index(struct netif *n, int ifindex, struct netif_info *out,
		   char *err, size_t errlen);

/*
 * Longest-prefix match of <dst> in the main routing table: the interface
 * (*<ifindex>) and next hop (*<nexthop>: the gateway, or <dst> itself when it
 * is on-link). <on_link> tells which. 0, or -1 when no route reaches <dst>.
 */
int netif_route(struct netif *n, __be32 dst, int *ifindex, __be32 *nexthop,
		bool *on_link);

/* The IPv4 default route's gateway through <ifindex>. 0, or -1 when none. */
int netif_default_gw(struct netif *n, int ifindex, __be32 *gw);

/*
 * The kernel's neighbour entry for <addr> on <ifindex>, if it holds a usable
 * MAC (reachable, stale, delay, probe or permanent). 0, or -1 when unknown.
 */
int netif_neigh(struct netif *n, int ifindex, __be32 addr, struct lb_mac *mac);

/*
 * Checks the offloads a userspace forwarder cannot live with on <ifname>:
 * tx checksumming, TSO, GSO, GRO. Returns how many are on (0 is good) and
 * writes their names, space-separated, to <on>; -1 when they cannot be read.
 */
int netif_offloads_on(const char *ifname, char *on, size_t onlen);

#endif /* LB_NETIF_H */
