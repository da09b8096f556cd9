/* SPDX-License-Identifier: MIT */
/*
 * Binding a service table to the machine (L2): which interface carries the
 * VIPs, which reaches each real server, the next hop MACs (from the kernel's
 * neighbour table, or lbd's own ARP when the kernel has none), and the
 * gateway towards clients for NAT replies. Control plane only: it blocks.
 */
#ifndef LB_TOPO_H
#define LB_TOPO_H

#include "cap.h"
#include "netif.h"
#include "svc.h"

struct topo {
	struct netif_info port[LB_PORT_MAX];	/* ifindex 0: not used */
	__be32 gw;				/* NAT next hop to clients, or 0 */
	__be32 nexthop[SVC_SLOTS];		/* per real server slot, network order */
};

/*
 * Decides the interfaces for table <t>: <ext_name>/<int_name> when given
 * (NULL to find them by route). Fills t->port[], every rs->via and <tp>.
 * 0, or -1 with <err> filled (a VIP or real server no route reaches, a DR
 * real server that is not on-link, more than two interfaces).
 */
int topo_bind(struct netif *nif, struct svc_table *t, const char *ext_name,
	      const char *int_name, struct topo *tp, char *err, size_t errlen);

/*
 * Fills every rs->mac and t->gw_mac it can: kernel neighbour entries first,
 * then ARP requests sent through <caps> with replies awaited for up to
 * <wait_ms>. Returns how many next hops are still unknown.
 */
int topo_resolve(struct netif *nif, struct svc_table *t, const struct topo *tp,
		 struct cap *caps[LB_PORT_MAX], int wait_ms);

/*
 * The BPF filter that brings lbd what it handles on any port: ARP, traffic to
 * a VIP, and traffic from NAT real servers. Returns a malloc'd string, or NULL.
 */
char *topo_filter(const struct svc_table *t);

#endif /* LB_TOPO_H */
