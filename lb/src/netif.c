/* SPDX-License-Identifier: MIT */
/*
 * libnl-route lookups and the ethtool offload query. L2.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netif.h"

struct netif {
	struct nl_sock *sk;
	struct nl_cache *links;
	struct nl_cache *addrs;
	struct nl_cache *routes;
	struct nl_cache *neighs;
};

struct netif *netif_open(char *err, size_t errlen)
{
	struct netif *n = calloc(1, sizeof(*n));
	int rc;

	if (!n) {
		snprintf(err, errlen, "netlink: out of memory");
		return NULL;
	}
	n->sk = nl_socket_alloc();
	if (!n->sk) {
		snprintf(err, errlen, "netlink: cannot allocate a socket");
		goto err_free;
	}
	rc = nl_connect(n->sk, NETLINK_ROUTE);
	if (rc < 0)
		goto err_nl;
	rc = rtnl_link_alloc_cache(n->sk, AF_UNSPEC, &n->links);
	if (rc < 0)
		goto err_nl;
	rc = rtnl_addr_alloc_cache(n->sk, &n->addrs);
	if (rc < 0)
		goto err_nl;
	rc = rtnl_route_alloc_cache(n->sk, AF_INET, 0, &n->routes);
	if (rc < 0)
		goto err_nl;
	rc = rtnl_neigh_alloc_cache(n->sk, &n->neighs);
	if (rc < 0)
		goto err_nl;
	return n;

err_nl:
	snprintf(err, errlen, "netlink: %s", nl_geterror(rc));
err_free:
	netif_close(n);
	return NULL;
}

void netif_close(struct netif *n)
{
	if (!n)
		return;
	if (n->neighs)
		nl_cache_free(n->neighs);
	if (n->routes)
		nl_cache_free(n->routes);
	if (n->addrs)
		nl_cache_free(n->addrs);
	if (n->links)
		nl_cache_free(n->links);
	if (n->sk)
		nl_socket_free(n->sk);
	free(n);
}

int netif_refresh(struct netif *n, char *err, size_t errlen)
{
	struct nl_cache *all[] = { n->links, n->addrs, n->routes, n->neighs };
	size_t i;
	int rc;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		rc = nl_cache_refill(n->sk, all[i]);
		if (rc < 0) {
			snprintf(err, errlen, "netlink refill: %s", nl_geterror(rc));
			return -1;
		}
	}
	return 0;
}

static __be32 first_ipv4(struct netif *n, int ifindex)
{
	struct nl_object *o;

	for (o = nl_cache_get_first(n->addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		__be32 v;

		if (rtnl_addr_get_ifindex(a) != ifindex ||
		    rtnl_addr_get_family(a) != AF_INET || !local ||
		    nl_addr_get_len(local) != 4)
			continue;
		memcpy(&v, nl_addr_get_binary_addr(local), 4);
		return v;
	}
	return 0;
}

static int fill_info(struct netif *n, struct rtnl_link *l,
		     struct netif_info *out, char *err, size_t errlen)
{
	struct nl_addr *ll = rtnl_link_get_addr(l);

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(l);
	snprintf(out->name, sizeof(out->name), "%s", rtnl_link_get_name(l));
	out->mtu = rtnl_link_get_mtu(l);
	if (!ll || nl_addr_get_len(ll) != LB_ETH_ALEN) {
		snprintf(err, errlen, "%s has no Ethernet address", out->name);
		return -1;
	}
	memcpy(out->mac.b, nl_addr_get_binary_addr(ll), LB_ETH_ALEN);
	out->addr = first_ipv4(n, out->ifindex);
	return 0;
}

int netif_by_name(struct netif *n, const char *name, struct netif_info *out,
		  char *err, size_t errlen)
{
	struct rtnl_link *l = rtnl_link_get_by_name(n->links, name);
	int rc;

	if (!l) {
		snprintf(err, errlen, "no interface named '%s'", name);
		return -1;
	}
	rc = fill_info(n, l, out, err, errlen);
	rtnl_link_put(l);
	return rc;
}

int netif_by_index(struct netif *n, int ifindex, struct netif_info *out,
		   char *err, size_t errlen)
{
	struct rtnl_link *l = rtnl_link_get(n->links, ifindex);
	int rc;

	if (!l) {
		snprintf(err, errlen, "no interface with index %d", ifindex);
		return -1;
	}
	rc = fill_info(n, l, out, err, errlen);
	rtnl_link_put(l);
	return rc;
}

static bool prefix_holds(struct nl_addr *dst, __be32 addr, unsigned int *plen)
{
	uint32_t net, mask;

	*plen = dst ? nl_addr_get_prefixlen(dst) : 0;
	if (*plen == 0)
		return true;
	if (nl_addr_get_len(dst) != 4 || *plen > 32)
		return false;
	memcpy(&net, nl_addr_get_binary_addr(dst), 4);
	mask = htonl(*plen == 32 ? 0xffffffffu : ~(0xffffffffu >> *plen));
	return (net & mask) == (addr & mask);
}

int netif_route(struct netif *n, __be32 dst, int *ifindex, __be32 *nexthop,
		bool *on_link)
{
	struct rtnl_route *best = NULL;
	unsigned int best_len = 0;
	struct nl_object *o;
	struct rtnl_nexthop *nh;
	struct nl_addr *gw;

	for (o = nl_cache_get_first(n->routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		unsigned int plen;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    rtnl_route_get_type(r) != RTN_UNICAST ||
		    rtnl_route_get_nnexthops(r) < 1 ||
		    !prefix_holds(rtnl_route_get_dst(r), dst, &plen))
			continue;
		if (!best || plen > best_len) {
			best = r;
			best_len = plen;
		}
	}
	if (!best)
		return -1;
	nh = rtnl_route_nexthop_n(best, 0);
	gw = rtnl_route_nh_get_gateway(nh);
	*ifindex = rtnl_route_nh_get_ifindex(nh);
	*on_link = !gw || nl_addr_get_len(gw) != 4;
	if (*on_link)
		*nexthop = dst;
	else
		memcpy(nexthop, nl_addr_get_binary_addr(gw), 4);
	return 0;
}

int netif_default_gw(struct netif *n, int ifindex, __be32 *gw)
{
	struct nl_object *o;

	for (o = nl_cache_get_first(n->routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *d = rtnl_route_get_dst(r);
		struct rtnl_nexthop *nh;
		struct nl_addr *g;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    (d && nl_addr_get_prefixlen(d) != 0) ||
		    rtnl_route_get_nnexthops(r) < 1)
			continue;
		nh = rtnl_route_nexthop_n(r, 0);
		g = rtnl_route_nh_get_gateway(nh);
		if (rtnl_route_nh_get_ifindex(nh) != ifindex || !g ||
		    nl_addr_get_len(g) != 4)
			continue;
		memcpy(gw, nl_addr_get_binary_addr(g), 4);
		return 0;
	}
	return -1;
}

int netif_neigh(struct netif *n, int ifindex, __be32 addr, struct lb_mac *mac)
{
	const int usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
			   NUD_PERMANENT | NUD_NOARP;
	struct nl_addr *a = nl_addr_build(AF_INET, &addr, 4);
	struct rtnl_neigh *ne;
	struct nl_addr *ll;
	int rc = -1;

	if (!a)
		return -1;
	ne = rtnl_neigh_get(n->neighs, ifindex, a);
	nl_addr_put(a);
	if (!ne)
		return -1;
	ll = rtnl_neigh_get_lladdr(ne);
	if ((rtnl_neigh_get_state(ne) & usable) && ll &&
	    nl_addr_get_len(ll) == LB_ETH_ALEN) {
		memcpy(mac->b, nl_addr_get_binary_addr(ll), LB_ETH_ALEN);
		rc = 0;
	}
	rtnl_neigh_put(ne);
	return rc;
}

static int ethtool_get(int fd, const char *ifname, uint32_t cmd, uint32_t *val)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == -1)
		return -1;
	*val = ev.data;
	return 0;
}

int netif_offloads_on(const char *ifname, char *on, size_t onlen)
{
	static const struct {
		uint32_t cmd;
		const char *name;
	} feats[] = {
		{ ETHTOOL_GTXCSUM, "tx" },
		{ ETHTOOL_GTSO, "tso" },
		{ ETHTOOL_GGSO, "gso" },
		{ ETHTOOL_GGRO, "gro" },
	};
	size_t i, used = 0;
	int fd, count = 0;

	if (onlen)
		on[0] = '\0';
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	for (i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		uint32_t v;
		int w;

		if (ethtool_get(fd, ifname, feats[i].cmd, &v) == -1) {
			close(fd);
			return -1;
		}
		if (!v)
			continue;
		count++;
		w = snprintf(on + used, onlen - used, "%s%s", used ? " " : "",
			     feats[i].name);
		if (w > 0 && (size_t)w < onlen - used)
			used += (size_t)w;
	}
	close(fd);
	return count;
}
